//! The variable universe: which BDD variables encode which header field, most significant
//! bit first, and the interface-name alphabet shared by every ruleset analysed together.

use std::collections::{BTreeSet, HashMap};

use crate::model::IfacePattern;
use crate::trace::IfaceClass;

use super::bdd::{Bdd, BddPartialValuation, BddVariable, BddVariableSet};

/// A header field the universe encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Field {
    /// 0 = IPv4, 1 = IPv6.
    Family,
    /// Input-interface class index.
    Iif,
    /// Output-interface class index.
    Oif,
    /// IPv4 source address.
    Src4,
    /// IPv4 destination address.
    Dst4,
    /// IPv6 source address.
    Src6,
    /// IPv6 destination address.
    Dst6,
    /// Layer-4 protocol number.
    Proto,
    /// Source port.
    Sport,
    /// Destination port.
    Dport,
    /// ICMP / ICMPv6 type.
    IcmpType,
    /// ICMP / ICMPv6 code.
    IcmpCode,
    /// TCP flags byte.
    TcpFlags,
    /// Conntrack state index ([`CT_STATES`]).
    Ct,
    /// Packet mark.
    Mark,
    /// Connection mark.
    CtMark,
}

/// Fields in variable order.
pub(crate) const FIELDS: [Field; 16] = [
    Field::Family,
    Field::Iif,
    Field::Oif,
    Field::Src4,
    Field::Dst4,
    Field::Src6,
    Field::Dst6,
    Field::Proto,
    Field::Sport,
    Field::Dport,
    Field::IcmpType,
    Field::IcmpCode,
    Field::TcpFlags,
    Field::Ct,
    Field::Mark,
    Field::CtMark,
];

/// Fields in variable order when the rulesets have a long port-dispatch chain
/// ([`FieldOrder::PortsFirst`]).
const PORTS_FIRST: [Field; 16] = [
    Field::Family,
    Field::Proto,
    Field::Dport,
    Field::Sport,
    Field::IcmpType,
    Field::IcmpCode,
    Field::TcpFlags,
    Field::Ct,
    Field::Mark,
    Field::CtMark,
    Field::Iif,
    Field::Oif,
    Field::Src4,
    Field::Dst4,
    Field::Src6,
    Field::Dst6,
];

/// Which fields come first in the variable order (see `space/order.rs` for the choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldOrder {
    /// [`FIELDS`]: interfaces and addresses above protocol and ports.
    AddressesFirst,
    /// Protocol, ports and the other small fields above interfaces and addresses.
    PortsFirst,
}

/// The conntrack states a packet can be in, by index (`CtStateSet` bits).
pub(crate) const CT_STATES: [u8; 5] = [
    crate::model::CtStateSet::NEW,
    crate::model::CtStateSet::ESTABLISHED,
    crate::model::CtStateSet::RELATED,
    crate::model::CtStateSet::INVALID,
    crate::model::CtStateSet::UNTRACKED,
];

/// One bit of a field's current value: a constant, an entry variable (possibly flipped),
/// or unknown (set by a statement nfdiff does not model exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Bit {
    /// A known constant.
    Const(bool),
    /// The entry value of a variable, negated when the flag is set.
    Var(u16, bool),
    /// Not known.
    Unknown,
}

/// The variable set and the layout of the fields in it.
pub(crate) struct Universe {
    pub(crate) vars: BddVariableSet,
    offsets: HashMap<Field, (u16, u16)>,
    /// Interface-name classes, by index.
    pub(crate) ifaces: Vec<IfaceClass>,
    /// Exact names' class indexes, for fast lookups.
    exact_class: HashMap<String, usize>,
}

/// Bits needed to number `n` things (at least 1).
fn bits_for(n: usize) -> u16 {
    let mut b = 1u16;
    while (1usize << b) < n {
        b += 1;
    }
    b
}

impl Universe {
    /// Lays out the fields for this interface alphabet, interfaces and addresses first.
    #[cfg(test)]
    pub(crate) fn new(ifaces: Vec<IfaceClass>) -> Universe {
        Universe::with_order(ifaces, FieldOrder::AddressesFirst)
    }

    /// Lays out the fields for this interface alphabet in an order.
    pub(crate) fn with_order(ifaces: Vec<IfaceClass>, order: FieldOrder) -> Universe {
        let ib = bits_for(ifaces.len());
        let mut offsets = HashMap::new();
        let mut at = 0u16;
        let fields = match order {
            FieldOrder::AddressesFirst => FIELDS,
            FieldOrder::PortsFirst => PORTS_FIRST,
        };
        for f in fields {
            let w = match f {
                Field::Family => 1,
                Field::Iif | Field::Oif => ib,
                Field::Src4 | Field::Dst4 | Field::Mark | Field::CtMark => 32,
                Field::Src6 | Field::Dst6 => 128,
                Field::Proto | Field::IcmpType | Field::IcmpCode | Field::TcpFlags => 8,
                Field::Sport | Field::Dport => 16,
                Field::Ct => 3,
            };
            offsets.insert(f, (at, w));
            at += w;
        }
        let exact_class = ifaces
            .iter()
            .enumerate()
            .filter(|(_, c)| c.prefix.is_none())
            .map(|(i, c)| (c.example.clone(), i))
            .collect();
        Universe {
            vars: BddVariableSet::new_anonymous(at),
            offsets,
            ifaces,
            exact_class,
        }
    }

    /// First variable and width of a field.
    pub(crate) fn span(&self, f: Field) -> (u16, u16) {
        self.offsets[&f]
    }

    /// The entry bits of a field, most significant first.
    pub(crate) fn entry_bits(&self, f: Field) -> Vec<Bit> {
        let (at, w) = self.span(f);
        (at..at + w).map(|v| Bit::Var(v, false)).collect()
    }

    /// Constant bits of `value` in a field of width `w`.
    pub(crate) fn const_bits(value: u128, w: u16) -> Vec<Bit> {
        (0..w)
            .map(|i| Bit::Const((value >> (w - 1 - i)) & 1 == 1))
            .collect()
    }

    /// The variables of a field.
    pub(crate) fn field_vars(&self, f: Field) -> Vec<BddVariable> {
        let (at, w) = self.span(f);
        (at..at + w)
            .map(|v| BddVariable::from_index(usize::from(v)))
            .collect()
    }

    /// `true`.
    pub(crate) fn t(&self) -> Bdd {
        self.vars.mk_true()
    }

    /// `false`.
    pub(crate) fn f(&self) -> Bdd {
        self.vars.mk_false()
    }

    /// The BDD of one bit having value `want`; `None` when the bit is unknown.
    fn lit(&self, b: Bit, want: bool) -> Option<Bdd> {
        match b {
            Bit::Const(c) => Some(if c == want { self.t() } else { self.f() }),
            Bit::Var(v, neg) => Some(
                self.vars
                    .mk_literal(BddVariable::from_index(usize::from(v)), want != neg),
            ),
            Bit::Unknown => None,
        }
    }

    /// `bits == value` on the bits selected by `mask` (both right-aligned to the width),
    /// built as one conjunctive clause rather than one operation per bit.
    pub(crate) fn masked_eq(&self, bits: &[Bit], value: u128, mask: u128) -> Option<Bdd> {
        let w = bits.len();
        let mut clause: Vec<(BddVariable, bool)> = Vec::new();
        for (i, b) in bits.iter().enumerate() {
            let shift = w - 1 - i;
            if (mask >> shift) & 1 == 0 {
                continue;
            }
            let want = (value >> shift) & 1 == 1;
            match *b {
                Bit::Const(c) if c != want => return Some(self.f()),
                Bit::Const(_) => {}
                Bit::Var(v, neg) => {
                    let var = BddVariable::from_index(usize::from(v));
                    match clause.iter().find(|(x, _)| *x == var) {
                        Some((_, have)) if *have != (want != neg) => return Some(self.f()),
                        Some(_) => {}
                        None => clause.push((var, want != neg)),
                    }
                }
                Bit::Unknown => return None,
            }
        }
        Some(
            self.vars
                .mk_conjunctive_clause(&BddPartialValuation::from_values(&clause)),
        )
    }

    /// `bits == value`.
    pub(crate) fn eq(&self, bits: &[Bit], value: u128) -> Option<Bdd> {
        self.masked_eq(bits, value, u128::MAX)
    }

    /// The first `len` bits equal those of `value`.
    pub(crate) fn prefix(&self, bits: &[Bit], value: u128, len: usize) -> Option<Bdd> {
        let w = bits.len();
        let len = len.min(w);
        let mask = match len {
            0 => 0,
            128.. => u128::MAX,
            l => ((1u128 << l) - 1) << (w - l),
        };
        self.masked_eq(bits, value, mask)
    }

    /// `lo <= bits <= hi` (unsigned).
    pub(crate) fn range(&self, bits: &[Bit], lo: u128, hi: u128) -> Option<Bdd> {
        if lo > hi {
            return Some(self.f());
        }
        let w = bits.len();
        let mut ge = self.t();
        let mut le = self.t();
        for (i, b) in bits.iter().enumerate().rev() {
            let shift = w - 1 - i;
            let one = self.lit(*b, true)?;
            let zero = self.lit(*b, false)?;
            ge = if (lo >> shift) & 1 == 1 {
                one.and(&ge)
            } else {
                one.or(&ge)
            };
            le = if (hi >> shift) & 1 == 0 {
                zero.and(&le)
            } else {
                zero.or(&le)
            };
        }
        Some(ge.and(&le))
    }

    /// The class indexes whose names match a pattern.
    pub(crate) fn classes_matching(&self, p: &IfacePattern) -> Vec<usize> {
        match p {
            IfacePattern::Exact(n) => match self.exact_class.get(n) {
                Some(&i) => vec![i],
                None => self
                    .ifaces
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.prefix.is_some() && p.matches(&c.example))
                    .map(|(i, _)| i)
                    .collect(),
            },
            IfacePattern::Prefix(_) => self
                .ifaces
                .iter()
                .enumerate()
                .filter(|(_, c)| p.matches(&c.example))
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// The entry value of an interface field is one of these classes.
    pub(crate) fn iface_in(&self, f: Field, classes: &[usize]) -> Bdd {
        let bits = self.entry_bits(f);
        let mut acc = self.f();
        for &c in classes {
            if let Some(b) = self.eq(&bits, c as u128) {
                acc = acc.or(&b);
            }
        }
        acc
    }

    /// The value of a field in a full valuation.
    pub(crate) fn value_of(&self, f: Field, val: &super::bdd::BddValuation) -> u128 {
        let mut v = 0u128;
        for var in self.field_vars(f) {
            v = (v << 1) | u128::from(val.value(var));
        }
        v
    }
}

/// The interface literals of several rulesets and a query, as one alphabet's classes.
pub(crate) fn alphabet(lits: &BTreeSet<IfacePattern>) -> Vec<IfaceClass> {
    crate::trace::classes_from_literals(lits, &IfacePattern::Prefix(String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u() -> Universe {
        Universe::new(alphabet(&BTreeSet::new()))
    }

    #[test]
    fn ranges_and_prefixes_over_entry_bits() {
        let u = u();
        let bits = u.entry_bits(Field::Dport);
        let r = u.range(&bits, 1024, 65535).unwrap();
        let low = u.eq(&bits, 1023).unwrap();
        let high = u.eq(&bits, 1024).unwrap();
        assert!(r.and(&low).is_false());
        assert!(!r.and(&high).is_false());
        let addr = u.entry_bits(Field::Src4);
        let p = u.prefix(&addr, 0x0a00_0000, 8).unwrap();
        assert!(!p.and(&u.eq(&addr, 0x0aff_ffff).unwrap()).is_false());
        assert!(p.and(&u.eq(&addr, 0x0b00_0000).unwrap()).is_false());
        assert!(u.prefix(&addr, 0, 0).unwrap().is_true());
        let konst = Universe::const_bits(80, 16);
        assert!(u.eq(&konst, 80).unwrap().is_true());
        assert!(u.range(&konst, 81, 90).unwrap().is_false());
        assert!(u.eq(&[Bit::Unknown], 1).is_none());
    }

    #[test]
    fn both_orders_lay_out_every_field_once() {
        for order in [FieldOrder::AddressesFirst, FieldOrder::PortsFirst] {
            let u = Universe::with_order(alphabet(&BTreeSet::new()), order);
            let mut spans: Vec<(u16, u16)> = FIELDS.iter().map(|&f| u.span(f)).collect();
            spans.sort_unstable();
            let mut at = 0;
            for (start, w) in spans {
                assert_eq!(start, at, "{order:?}");
                at += w;
            }
            assert_eq!(at, u.vars.num_vars());
        }
        let u = Universe::with_order(alphabet(&BTreeSet::new()), FieldOrder::PortsFirst);
        assert!(u.span(Field::Dport).0 < u.span(Field::Dst4).0);
    }
}
