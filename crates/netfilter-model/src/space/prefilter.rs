//! A cheap test, before compiling a rule for a flow: the rule's literal destination address
//! or port cannot be the constant a NAT statement rewrote it to, so the rule cannot match.

use crate::model::{AddrSpec, Direction, Match, MatchKind, Rule};

use super::state::FlowState;
use super::universe::{Bit, Field};

/// The value of a field rewritten to a constant, or `None` when it is not one.
fn const_field(st: &FlowState, f: Field) -> Option<u128> {
    let bits = st.fields.get(&f)?;
    let mut v = 0u128;
    for b in bits {
        match b {
            Bit::Const(x) => v = (v << 1) | u128::from(*x),
            _ => return None,
        }
    }
    Some(v)
}

fn ip_value(a: std::net::IpAddr) -> u128 {
    match a {
        std::net::IpAddr::V4(x) => u128::from(u32::from(x)),
        std::net::IpAddr::V6(x) => u128::from(x),
    }
}

/// Whether the address `v` (of `width` bits) is in `spec`, as `Universe::prefix`/`range` decide.
fn addr_contains(spec: &AddrSpec, v: u128, width: u32) -> bool {
    match spec {
        AddrSpec::Net { net } => {
            let len = u32::from(net.prefix_len()).min(width);
            let mask = match len {
                0 => 0,
                128.. => u128::MAX,
                l => ((1u128 << l) - 1) << (width - l),
            };
            (v & mask) == (ip_value(net.addr()) & mask)
        }
        AddrSpec::Range { first, last } => ip_value(*first) <= v && v <= ip_value(*last),
    }
}

/// The constants a state's destination address and port were rewritten to, worked out once
/// per flow and chain rather than once per rule.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RewrittenDst {
    addr: Option<u128>,
    port: Option<u128>,
}

impl RewrittenDst {
    /// The constants of a state, for packets of one IP version.
    pub(crate) fn of(st: &FlowState, v6: bool) -> RewrittenDst {
        if st.fields.is_empty() {
            return RewrittenDst::default();
        }
        RewrittenDst {
            addr: const_field(st, if v6 { Field::Dst6 } else { Field::Dst4 }),
            port: const_field(st, Field::Dport),
        }
    }
}

/// Whether one positive match surely fails for every packet whose destination was
/// rewritten to `c`: a destination address or port match outside its list.
fn match_excludes(m: &Match, c: &RewrittenDst, v6: bool) -> bool {
    if m.negated {
        return false;
    }
    match &m.kind {
        MatchKind::Address {
            dir: Direction::Dst,
            addrs,
        } => {
            if addrs.iter().any(|s| s.is_ipv6() != v6) {
                // The predicate is the empty set for the other family.
                return true;
            }
            let width = if v6 { 128 } else { 32 };
            match c.addr {
                Some(v) => !addrs.iter().any(|s| addr_contains(s, v, width)),
                None => false,
            }
        }
        MatchKind::Port {
            dir: Direction::Dst,
            ports,
            ..
        } => match c.port {
            Some(v) => !ports
                .iter()
                .any(|r| u128::from(r.first) <= v && v <= u128::from(r.last)),
            None => false,
        },
        _ => false,
    }
}

/// Whether the rule surely matches no packet whose destination was rewritten to `c` (its
/// compiled predicate would be empty), decided from its literal fields without a BDD.
pub(crate) fn rule_excludes(rule: &Rule, c: &RewrittenDst, v6: bool) -> bool {
    if c.addr.is_none() && c.port.is_none() {
        return false;
    }
    rule.matches.iter().any(|m| match_excludes(m, c, v6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortRange, Protocol};

    fn bits(v: u128, w: u32) -> Vec<Bit> {
        (0..w)
            .rev()
            .map(|i| Bit::Const((v >> i) & 1 == 1))
            .collect()
    }

    fn dnat_state(addr: [u8; 4], port: u16) -> FlowState {
        let mut st = FlowState::default();
        st.fields.insert(
            Field::Dst4,
            bits(u128::from(u32::from(std::net::Ipv4Addr::from(addr))), 32),
        );
        st.fields.insert(Field::Dport, bits(u128::from(port), 16));
        st
    }

    fn dst(net: &str) -> Match {
        Match::new(MatchKind::Address {
            dir: Direction::Dst,
            addrs: vec![AddrSpec::Net {
                net: net.parse().unwrap(),
            }],
        })
    }

    fn dport(first: u16, last: u16) -> Match {
        Match::new(MatchKind::Port {
            dir: Direction::Dst,
            proto: Some(Protocol::TCP),
            ports: vec![PortRange { first, last }],
        })
    }

    #[test]
    fn a_rewritten_destination_outside_the_rule_excludes_it() {
        let st = dnat_state([10, 244, 1, 7], 8080);
        let m = dst("10.96.0.6/32");
        assert!(match_excludes(&m, &RewrittenDst::of(&st, false), false));
        assert!(!match_excludes(
            &dst("10.244.1.7/32"),
            &RewrittenDst::of(&st, false),
            false
        ));
        assert!(!match_excludes(
            &dst("10.244.0.0/16"),
            &RewrittenDst::of(&st, false),
            false
        ));
        assert!(!match_excludes(
            &dst("0.0.0.0/0"),
            &RewrittenDst::of(&st, false),
            false
        ));
        assert!(match_excludes(
            &dst("10.245.0.0/16"),
            &RewrittenDst::of(&st, false),
            false
        ));
        assert!(match_excludes(
            &dst("fd00::/8"),
            &RewrittenDst::of(&st, false),
            false
        ));
    }

    #[test]
    fn a_rewritten_port_outside_the_rule_excludes_it() {
        let st = dnat_state([10, 244, 1, 7], 8080);
        assert!(match_excludes(
            &dport(80, 80),
            &RewrittenDst::of(&st, false),
            false
        ));
        assert!(!match_excludes(
            &dport(8000, 8100),
            &RewrittenDst::of(&st, false),
            false
        ));
    }

    #[test]
    fn negated_and_unrewritten_matches_never_exclude() {
        let st = dnat_state([10, 244, 1, 7], 8080);
        let mut m = dst("10.96.0.6/32");
        m.negated = true;
        assert!(!match_excludes(&m, &RewrittenDst::of(&st, false), false));
        let entry = FlowState::default();
        assert!(!match_excludes(
            &dst("10.96.0.6/32"),
            &RewrittenDst::of(&entry, false),
            false
        ));
        assert!(!match_excludes(
            &dport(80, 80),
            &RewrittenDst::of(&entry, false),
            false
        ));
    }
}
