//! A compact, contiguous summary of each rule (one source and destination prefix, one
//! protocol) that rejects most non-matching rules without touching the rule itself.

use std::net::IpAddr;

use crate::model::{AddrSpec, Direction, MatchKind, Protocol, Rule};

/// A prefix as masked 128-bit integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NetKey {
    v6: bool,
    addr: u128,
    mask: u128,
}

impl NetKey {
    fn holds(&self, a: IpAddr) -> bool {
        self.v6 == a.is_ipv6() && bits(a) & self.mask == self.addr
    }
}

fn bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

/// What a rule requires for sure: if the packet fails any of it, the rule cannot match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Prefilter {
    src: Option<NetKey>,
    dst: Option<NetKey>,
    proto: Option<u8>,
}

impl Prefilter {
    /// Summarizes the positive single-prefix address matches and single-protocol match.
    pub(crate) fn of(rule: &Rule) -> Prefilter {
        let mut p = Prefilter::default();
        for m in &rule.matches {
            if m.negated {
                continue;
            }
            match &m.kind {
                MatchKind::Address { dir, addrs } if addrs.len() == 1 => {
                    let AddrSpec::Net { net } = addrs[0] else {
                        continue;
                    };
                    let v6 = net.addr().is_ipv6();
                    let width = if v6 { 128 } else { 32 };
                    let len = u32::from(net.prefix_len());
                    let mask = if len == 0 {
                        0
                    } else {
                        (u128::MAX << (128 - len)) >> (128 - width)
                    };
                    let key = NetKey {
                        v6,
                        addr: bits(net.addr()) & mask,
                        mask,
                    };
                    match dir {
                        Direction::Src => p.src = Some(key),
                        Direction::Dst => p.dst = Some(key),
                    }
                }
                MatchKind::Protocol { protos } if protos.len() == 1 => p.proto = Some(protos[0].0),
                _ => {}
            }
        }
        p
    }

    /// Whether the rule surely does not match a packet with these fields.
    #[inline]
    pub(crate) fn rejects(&self, src: IpAddr, dst: IpAddr, proto: Option<Protocol>) -> bool {
        if let Some(k) = &self.src {
            if !k.holds(src) {
                return true;
            }
        }
        if let Some(k) = &self.dst {
            if !k.holds(dst) {
                return true;
            }
        }
        matches!((self.proto, proto), (Some(a), Some(b)) if a != b.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Match, Rule};

    #[test]
    fn rejects_only_sure_misses() {
        let addr = |n: &str, neg: bool| {
            Match::with_negation(
                MatchKind::Address {
                    dir: Direction::Src,
                    addrs: vec![AddrSpec::net(n.parse().unwrap())],
                },
                neg,
            )
        };
        let r = Rule {
            matches: vec![addr("10.1.0.0/16", false)],
            ..Rule::default()
        };
        let p = Prefilter::of(&r);
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(!p.rejects(a("10.1.2.3"), a("1.1.1.1"), None));
        assert!(p.rejects(a("10.2.0.1"), a("1.1.1.1"), None));
        assert!(p.rejects(a("fd00::1"), a("fd00::2"), None));
        let neg = Rule {
            matches: vec![addr("10.1.0.0/16", true)],
            ..Rule::default()
        };
        assert!(!Prefilter::of(&neg).rejects(a("10.1.2.3"), a("1.1.1.1"), None));
        let all = Rule {
            matches: vec![addr("0.0.0.0/0", false)],
            ..Rule::default()
        };
        assert!(!Prefilter::of(&all).rejects(a("10.1.2.3"), a("1.1.1.1"), None));
        let v6 = Rule {
            matches: vec![addr("fd00::/8", false)],
            ..Rule::default()
        };
        assert!(!Prefilter::of(&v6).rejects(a("fd12::1"), a("fd00::2"), None));
        assert!(Prefilter::of(&v6).rejects(a("fe80::1"), a("fd00::2"), None));
    }
}
