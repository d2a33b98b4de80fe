//! The variable universe: one BDD variable per header bit, in field order, most significant
//! bit first, plus interface-class indexes and the oracle variables of undecidable matches.

use std::collections::BTreeSet;

use biodivine_lib_bdd::{Bdd, BddVariable, BddVariableSet};

use crate::model::IfacePattern;
use crate::trace::{iface_classes_of, IfaceClass};

/// Where one field's bits are: the first variable and the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Field {
    pub(crate) start: u16,
    pub(crate) width: u16,
}

impl Field {
    /// The variable of bit `i` counted from the most significant bit.
    pub(crate) fn var(self, i: u16) -> BddVariable {
        BddVariable::from_index(usize::from(self.start + i))
    }
}

/// The fields of a packet, each with its place in the variable order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// One bit: set for IPv6.
    pub(crate) v6: Field,
    pub(crate) iif: Field,
    pub(crate) oif: Field,
    pub(crate) src4: Field,
    pub(crate) dst4: Field,
    pub(crate) src6: Field,
    pub(crate) dst6: Field,
    pub(crate) proto: Field,
    pub(crate) sport: Field,
    pub(crate) dport: Field,
    pub(crate) icmp_type: Field,
    pub(crate) icmp_code: Field,
    pub(crate) tcp_flags: Field,
    /// Index into [`CT_STATES`].
    pub(crate) ct: Field,
    pub(crate) mark: Field,
    pub(crate) ct_mark: Field,
    /// First oracle variable; every variable from here on is one.
    pub(crate) oracle_start: u16,
}

/// The conntrack states a packet can arrive with, by index of the `ct` field.
pub(crate) const CT_STATES: [u8; 5] = [
    crate::model::CtStateSet::NEW,
    crate::model::CtStateSet::ESTABLISHED,
    crate::model::CtStateSet::RELATED,
    crate::model::CtStateSet::INVALID,
    crate::model::CtStateSet::UNTRACKED,
];

/// Most oracle variables (BDD variables are 16-bit indexes).
pub(crate) const MAX_ORACLES: usize = 60_000;

/// Bits needed to number `n` values (at least one).
fn bits_for(n: usize) -> u16 {
    let mut b = 1u16;
    while (1usize << b) < n {
        b += 1;
    }
    b
}

/// The shared universe of an analysis: variables, interface classes, oracle reasons.
pub(crate) struct Universe {
    pub(crate) vars: BddVariableSet,
    pub(crate) layout: Layout,
    /// The interface-name classes; a class's index is the value of the `iif`/`oif` field.
    pub(crate) ifaces: Vec<IfaceClass>,
    /// Why each oracle variable exists (filled as rules are compiled).
    pub(crate) oracle_reasons: Vec<Option<String>>,
    /// Every header bit is a valid value: interface and ct-state indexes in range.
    pub(crate) domain: Bdd,
}

impl Universe {
    /// A universe for these interface literals and `oracles` oracle variables.
    pub(crate) fn new(literals: &BTreeSet<IfacePattern>, oracles: usize) -> Universe {
        let ifaces = iface_classes_of(literals, &IfacePattern::Prefix(String::new()));
        let ifbits = bits_for(ifaces.len());
        let mut next = 0u16;
        let mut field = |width: u16| {
            let f = Field { start: next, width };
            next += width;
            f
        };
        let layout = Layout {
            v6: field(1),
            iif: field(ifbits),
            oif: field(ifbits),
            src4: field(32),
            dst4: field(32),
            src6: field(128),
            dst6: field(128),
            proto: field(8),
            sport: field(16),
            dport: field(16),
            icmp_type: field(8),
            icmp_code: field(8),
            tcp_flags: field(8),
            ct: field(3),
            mark: field(32),
            ct_mark: field(32),
            oracle_start: 0,
        };
        let oracle_start = next;
        let oracles = oracles.min(MAX_ORACLES);
        let total = usize::from(oracle_start) + oracles;
        let vars = BddVariableSet::new_anonymous(total as u16);
        let layout = Layout {
            oracle_start,
            ..layout
        };
        let domain = vars.mk_true();
        let mut u = Universe {
            vars,
            layout,
            ifaces,
            oracle_reasons: vec![None; oracles],
            domain,
        };
        let n = u.ifaces.len() as u128;
        let iif = u.lt(u.layout.iif, n);
        let oif = u.lt(u.layout.oif, n);
        let ct = u.lt(u.layout.ct, CT_STATES.len() as u128);
        u.domain = iif.and(&oif).and(&ct);
        u
    }

    /// The variables of a field, most significant first, as BDDs.
    pub(crate) fn field_bits(&self, f: Field) -> Vec<Bdd> {
        (0..f.width).map(|i| self.vars.mk_var(f.var(i))).collect()
    }

    /// `field < n` over the field's own variables.
    fn lt(&self, f: Field, n: u128) -> Bdd {
        if n == 0 {
            return self.vars.mk_false();
        }
        super::bitvec::le_const(&self.vars, &self.field_bits(f), n - 1)
    }

    /// Whether the IPv6 bit is `v6`.
    pub(crate) fn family(&self, v6: bool) -> Bdd {
        self.vars.mk_literal(self.layout.v6.var(0), v6)
    }

    /// Oracle variable `i` (clamped to the last one when the ruleset needs more than exist).
    pub(crate) fn oracle(&self, i: usize) -> Option<BddVariable> {
        let n = self.oracle_reasons.len();
        if n == 0 {
            return None;
        }
        Some(BddVariable::from_index(
            usize::from(self.layout.oracle_start) + i.min(n - 1),
        ))
    }

    /// Every oracle variable.
    pub(crate) fn oracles(&self) -> Vec<BddVariable> {
        (0..self.oracle_reasons.len())
            .filter_map(|i| self.oracle(i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_in_field_order_with_valid_domain() {
        let lits: BTreeSet<IfacePattern> = [
            IfacePattern::Prefix("cali".into()),
            IfacePattern::Exact("eth0".into()),
        ]
        .into_iter()
        .collect();
        let u = Universe::new(&lits, 3);
        assert_eq!(u.ifaces.len(), 3, "{:?}", u.ifaces);
        assert_eq!(u.layout.iif.width, 2);
        assert!(u.layout.src4.start < u.layout.dst4.start);
        assert_eq!(u.oracles().len(), 3);
        // Three interface classes in two bits: index 3 is outside the domain.
        let three = super::super::bitvec::eq_const(&u.vars, &u.field_bits(u.layout.iif), 3);
        assert!(three.and(&u.domain).is_false());
        assert_eq!(bits_for(1), 1);
        assert_eq!(bits_for(5), 3);
    }
}
