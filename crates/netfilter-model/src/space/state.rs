//! The symbolic packet state: every field a packet can have changed on its way (addresses
//! and ports after NAT, marks, the NAT and notrack flags) as functions of the header bits.

use biodivine_lib_bdd::Bdd;

use super::bitvec::select;
use super::vars::Universe;

/// Per bit, what each packet's field holds now. One state serves every packet of a run:
/// a statement only changes the packets that execute it (`ite(matched, new, old)`).
#[derive(Clone)]
pub(crate) struct SymState {
    pub(crate) src4: Vec<Bdd>,
    pub(crate) dst4: Vec<Bdd>,
    pub(crate) src6: Vec<Bdd>,
    pub(crate) dst6: Vec<Bdd>,
    pub(crate) sport: Vec<Bdd>,
    pub(crate) dport: Vec<Bdd>,
    pub(crate) mark: Vec<Bdd>,
    pub(crate) ct_mark: Vec<Bdd>,
    /// The packets whose destination was translated.
    pub(crate) dnat: Bdd,
    /// The packets whose source was translated.
    pub(crate) snat: Bdd,
    /// The packets `notrack` left without a conntrack entry.
    pub(crate) untracked: Bdd,
    /// Packets whose source address was rewritten to one the engine does not know
    /// (masquerade), with why.
    pub(crate) src_unknown: Bdd,
    /// Packets whose destination was rewritten to one the engine does not know (redirect,
    /// NAT through a map).
    pub(crate) dst_unknown: Bdd,
}

/// The fields no statement changes, as bit vectors of their variables.
pub(crate) struct Fixed {
    pub(crate) proto: Vec<Bdd>,
    pub(crate) icmp_type: Vec<Bdd>,
    pub(crate) icmp_code: Vec<Bdd>,
    pub(crate) tcp_flags: Vec<Bdd>,
    pub(crate) ct: Vec<Bdd>,
    pub(crate) iif: Vec<Bdd>,
    pub(crate) oif: Vec<Bdd>,
}

impl Fixed {
    pub(crate) fn new(u: &Universe) -> Fixed {
        let l = &u.layout;
        Fixed {
            proto: u.field_bits(l.proto),
            icmp_type: u.field_bits(l.icmp_type),
            icmp_code: u.field_bits(l.icmp_code),
            tcp_flags: u.field_bits(l.tcp_flags),
            ct: u.field_bits(l.ct),
            iif: u.field_bits(l.iif),
            oif: u.field_bits(l.oif),
        }
    }
}

impl SymState {
    /// The state on entry: every field is the packet's own header.
    pub(crate) fn initial(u: &Universe) -> SymState {
        let l = &u.layout;
        SymState {
            src4: u.field_bits(l.src4),
            dst4: u.field_bits(l.dst4),
            src6: u.field_bits(l.src6),
            dst6: u.field_bits(l.dst6),
            sport: u.field_bits(l.sport),
            dport: u.field_bits(l.dport),
            mark: u.field_bits(l.mark),
            ct_mark: u.field_bits(l.ct_mark),
            dnat: u.vars.mk_false(),
            snat: u.vars.mk_false(),
            untracked: u.vars.mk_false(),
            src_unknown: u.vars.mk_false(),
            dst_unknown: u.vars.mk_false(),
        }
    }

    /// The source address bits of a packet of this family.
    pub(crate) fn src(&self, v6: bool) -> &[Bdd] {
        if v6 {
            &self.src6
        } else {
            &self.src4
        }
    }

    /// The destination address bits of a packet of this family.
    pub(crate) fn dst(&self, v6: bool) -> &[Bdd] {
        if v6 {
            &self.dst6
        } else {
            &self.dst4
        }
    }

    /// Sets a field to `new` for the packets of `cond`.
    pub(crate) fn assign(field: &mut Vec<Bdd>, cond: &Bdd, new: &[Bdd]) {
        *field = select(cond, new, field);
    }

    /// Per bit whether the two states differ, as the set of packets where any field does.
    pub(crate) fn differs(&self, other: &SymState, u: &Universe) -> Bdd {
        let mut acc = u.vars.mk_false();
        let pairs = [
            (&self.src4, &other.src4),
            (&self.dst4, &other.dst4),
            (&self.src6, &other.src6),
            (&self.dst6, &other.dst6),
            (&self.sport, &other.sport),
            (&self.dport, &other.dport),
            (&self.mark, &other.mark),
            (&self.ct_mark, &other.ct_mark),
        ];
        for (a, b) in pairs {
            for (x, y) in a.iter().zip(b) {
                if x != y {
                    acc = acc.or(&x.xor(y));
                }
            }
        }
        for (x, y) in [
            (&self.dnat, &other.dnat),
            (&self.snat, &other.snat),
            (&self.untracked, &other.untracked),
        ] {
            if x != y {
                acc = acc.or(&x.xor(y));
            }
        }
        acc
    }
}
