//! Three-valued matching of one rule condition against the packet: yes, no, or maybe.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::model::{CtStateSet, Direction, Match, MatchKind, Protocol, SetKey};

use super::assumptions::Facts;
use super::noct::no_conntrack;
use super::node_facts::addr_type_truth;
use super::packet::Packet;
use super::route::Leg;
use super::sets::{KeyVal, ParsedSet};
use super::stateful::stateful_truth;
use super::verbatim::{eval_verbatim, Verbatim};

/// The outcome of a test that may be undecidable from the data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Truth {
    /// It holds.
    Yes,
    /// It does not hold.
    No,
    /// It cannot be decided; why.
    Maybe(String),
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b {
            Truth::Yes
        } else {
            Truth::No
        }
    }
}

impl Truth {
    /// Conjunction: `No` wins, then `Maybe` (the first reason), then `Yes`.
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::No, _) | (_, Truth::No) => Truth::No,
            (Truth::Maybe(r), _) | (_, Truth::Maybe(r)) => Truth::Maybe(r),
            _ => Truth::Yes,
        }
    }
}

impl std::ops::Not for Truth {
    type Output = Truth;

    /// Negation; `Maybe` stays `Maybe`.
    fn not(self) -> Truth {
        match self {
            Truth::Yes => Truth::No,
            Truth::No => Truth::Yes,
            m => m,
        }
    }
}

/// The mutable part of the packet as the trace goes: addresses after NAT, marks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PktState {
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    pub(crate) sport: Option<u16>,
    pub(crate) dport: Option<u16>,
    pub(crate) mark: u32,
    pub(crate) ct_mark: u32,
    pub(crate) dnat: bool,
    pub(crate) snat: bool,
    /// Set by `notrack`: later chains see ct state untracked and nat chains are skipped.
    pub(crate) untracked: bool,
    /// Where the course is on its way through the host.
    pub(crate) leg: Leg,
    /// The DNAT was a redirect to the node itself.
    pub(crate) nat_redirect: bool,
    /// The SNAT was a masquerade.
    pub(crate) masquerade: bool,
    /// The packet facts the course assumed.
    pub(crate) facts: Facts,
}

impl PktState {
    /// The conntrack state bits the packet has now.
    pub(crate) fn ct_bits(&self, pkt: &Packet) -> u8 {
        let mut bits = if self.untracked {
            CtStateSet::UNTRACKED
        } else {
            pkt.ct_state.0
        };
        if self.dnat {
            bits |= CtStateSet::DNAT;
        }
        if self.snat {
            bits |= CtStateSet::SNAT;
        }
        bits
    }
}

impl PktState {
    pub(crate) fn from_packet(p: &Packet) -> PktState {
        PktState {
            src: p.src,
            dst: p.dst,
            sport: p.sport,
            dport: p.dport,
            mark: p.mark,
            ct_mark: p.ct_mark,
            dnat: false,
            snat: false,
            untracked: false,
            leg: Leg::Arriving,
            nat_redirect: false,
            masquerade: false,
            facts: Facts::default(),
        }
    }
}

/// Everything a match may look at.
pub(crate) struct Ctx<'a> {
    pub(crate) pkt: &'a Packet,
    pub(crate) st: &'a PktState,
    /// Input interface at this hook (`""` when the hook has none).
    pub(crate) iif: &'a str,
    /// Output interface at this hook (`""` when the hook has none).
    pub(crate) oif: &'a str,
    /// The named sets of the rule's table.
    pub(crate) sets: &'a HashMap<String, ParsedSet>,
    /// Whether the base chain runs before connection tracking (priority below -200 on
    /// prerouting or output): the packet has no conntrack entry yet, so ct state is
    /// `invalid` (unless `notrack` made it untracked) and other ct matches fail.
    pub(crate) before_conntrack: bool,
}

enum Eval {
    T(Truth),
    /// A protocol dependency fails (`tcp dport` on a UDP packet, `ip saddr` on IPv6):
    /// the match fails whether or not it is negated.
    Inapplicable,
}

fn maybe(what: impl std::fmt::Display) -> Truth {
    Truth::Maybe(what.to_string())
}

/// Evaluates one match, negation included.
pub(crate) fn eval_match(m: &Match, ctx: &Ctx<'_>) -> Truth {
    match eval_kind(m, ctx) {
        Eval::Inapplicable => Truth::No,
        Eval::T(t) if m.negated => !t,
        Eval::T(t) => t,
    }
}

/// Checks the packet's protocol against a required one.
fn proto_dep(ctx: &Ctx<'_>, want: Protocol) -> Option<Eval> {
    match ctx.pkt.proto {
        None => Some(Eval::T(Truth::Maybe(format!(
            "the query gives no protocol (rule needs {want})"
        )))),
        Some(p) if p != want => Some(Eval::Inapplicable),
        Some(_) => None,
    }
}

fn port_val(ctx: &Ctx<'_>, dir: Direction) -> Result<u16, Truth> {
    let (v, name) = match dir {
        Direction::Src => (ctx.st.sport, "source"),
        Direction::Dst => (ctx.st.dport, "destination"),
    };
    v.ok_or_else(|| Truth::Maybe(format!("the query gives no {name} port")))
}

fn eval_kind(m: &Match, ctx: &Ctx<'_>) -> Eval {
    if matches!(
        m.kind,
        MatchKind::Statistic { .. } | MatchKind::Limit { .. } | MatchKind::Other { .. }
    ) {
        if let Some(t) = stateful_truth(&m.kind, m) {
            return Eval::T(t);
        }
    }
    let st = ctx.st;
    let t = match &m.kind {
        MatchKind::Interface { dir, names } => {
            let n = match dir {
                Direction::Src => ctx.iif,
                Direction::Dst => ctx.oif,
            };
            Truth::from(names.iter().any(|p| p.matches(n)))
        }
        MatchKind::Address { dir, addrs } => {
            let a = match dir {
                Direction::Src => st.src,
                Direction::Dst => st.dst,
            };
            if addrs.iter().any(|s| s.is_ipv6() != a.is_ipv6()) {
                return Eval::Inapplicable;
            }
            Truth::from(addrs.iter().any(|s| s.contains(&a)))
        }
        MatchKind::Protocol { protos } => match ctx.pkt.proto {
            None => maybe(format!("the query gives no protocol (rule tests {m})")),
            Some(p) => Truth::from(protos.contains(&p)),
        },
        MatchKind::Fragment => Truth::No,
        MatchKind::Port { dir, proto, ports } => {
            if let Some(e) = port_proto_dep(ctx, *proto) {
                return e;
            }
            match port_val(ctx, *dir) {
                Ok(p) => Truth::from(ports.iter().any(|r| r.contains(p))),
                Err(t) => t,
            }
        }
        MatchKind::AnyPort { proto, ports } => {
            if let Some(e) = port_proto_dep(ctx, *proto) {
                return e;
            }
            let s = port_val(ctx, Direction::Src);
            let d = port_val(ctx, Direction::Dst);
            let hit = |p: &Result<u16, Truth>| match p {
                Ok(p) => Truth::from(ports.iter().any(|r| r.contains(*p))),
                Err(t) => t.clone(),
            };
            match (hit(&s), hit(&d)) {
                (Truth::Yes, _) | (_, Truth::Yes) => Truth::Yes,
                (Truth::No, Truth::No) => Truth::No,
                (Truth::Maybe(r), _) | (_, Truth::Maybe(r)) => Truth::Maybe(r),
            }
        }
        MatchKind::TcpFlags { .. } => {
            if let Some(e) = proto_dep(ctx, Protocol::TCP) {
                return e;
            }
            maybe("the query gives no TCP flags")
        }
        MatchKind::Icmp {
            v6,
            icmp_type,
            code,
        } => {
            let want = if *v6 {
                Protocol::ICMPV6
            } else {
                Protocol::ICMP
            };
            if let Some(e) = proto_dep(ctx, want) {
                return e;
            }
            let Some(t) = icmp_type else {
                return Eval::T(Truth::Yes);
            };
            match ctx.pkt.icmp_type {
                None => maybe("the query gives no ICMP type"),
                Some(pt) if pt != *t => Truth::No,
                Some(_) => match (code, ctx.pkt.icmp_code) {
                    (None, _) => Truth::Yes,
                    (Some(c), Some(pc)) => Truth::from(*c == pc),
                    (Some(_), None) => maybe("the query gives no ICMP code"),
                },
            }
        }
        MatchKind::CtState { states } => {
            let bits = if ctx.before_conntrack && !st.untracked {
                CtStateSet::INVALID
            } else {
                st.ct_bits(ctx.pkt)
            };
            Truth::from(states.0 & bits != 0)
        }
        // No conntrack entry (not yet, or untracked): nft's ct expression breaks the rule
        // and xt_connmark / xt_conntrack fail, negated or not.
        MatchKind::CtStatus { .. } | MatchKind::CtDirection { .. } | MatchKind::CtMark { .. }
            if no_conntrack(ctx.before_conntrack, st, ctx.pkt) =>
        {
            return Eval::Inapplicable;
        }
        MatchKind::CtStatus { statuses } => {
            if ctx.pkt.ct_state == CtStateSet::NEW
                && statuses.iter().all(|s| s == "dnat" || s == "snat")
            {
                Truth::from(
                    statuses
                        .iter()
                        .any(|s| (s == "dnat" && st.dnat) || (s == "snat" && st.snat)),
                )
            } else {
                maybe(format!("`{m}` depends on the connection's history"))
            }
        }
        MatchKind::CtDirection { original } => {
            if ctx.pkt.ct_state == CtStateSet::NEW {
                Truth::from(*original)
            } else {
                maybe("the query does not say which direction of the connection the packet is")
            }
        }
        MatchKind::Mark { value, mask } => Truth::from(st.mark & mask == *value),
        MatchKind::CtMark { value, mask } => Truth::from(st.ct_mark & mask == *value),
        MatchKind::SetLookup { set, keys } => match ctx.sets.get(set) {
            None => maybe(format!(
                "the members of set `{set}` are not in the dump (an ipset?)"
            )),
            Some(ps) => {
                // `tcp dport @s` needs a TCP packet, negated or not.
                for k in keys {
                    if let SetKey::TransportPort { proto, .. } = k {
                        if let Some(e) = proto_dep(ctx, *proto) {
                            return e;
                        }
                    }
                }
                let key: Vec<KeyVal<'_>> = keys.iter().map(|k| key_val(k, ctx)).collect();
                if key
                    .iter()
                    .any(|k| matches!(k, KeyVal::Addr(a) if a.is_ipv6() != ctx.pkt.is_ipv6()))
                {
                    return Eval::Inapplicable;
                }
                ps.contains(&key)
            }
        },
        MatchKind::PhysDev { .. } => maybe("bridge ports (physdev) are not part of the query"),
        MatchKind::Mac { .. } => maybe("the query gives no MAC address"),
        MatchKind::Statistic { .. } => maybe(format!("`{m}` is random or counts packets")),
        MatchKind::Limit { .. } => maybe(format!("`{m}` depends on the traffic rate")),
        MatchKind::Owner { .. } => maybe("the query gives no socket owner"),
        MatchKind::Length { .. } => maybe("the query gives no packet length"),
        MatchKind::PktType { .. } => maybe("the query gives no link-layer packet type"),
        MatchKind::Ttl { .. } => maybe("the query gives no TTL / hop limit"),
        MatchKind::Dscp { .. } | MatchKind::Tos { .. } => maybe("the query gives no DSCP/TOS"),
        MatchKind::AddrType {
            dir,
            types,
            limit_iface,
        } => {
            let a = match dir {
                Direction::Src => st.src,
                Direction::Dst => st.dst,
            };
            addr_type_truth(
                *dir,
                types,
                limit_iface.is_some(),
                a,
                ctx.pkt.local_addrs.as_ref(),
            )
        }
        MatchKind::Other {
            module,
            args,
            lossy: false,
        } if module == "rpfilter" => {
            // xt_rpfilter matches a packet whose source passes the reverse-path lookup;
            // `--invert` matches one that fails it. nft's `fib saddr . iif oif 0` forms arrive
            // here too: normalization rewrites them to these rpfilter options.
            let invert = args.split_whitespace().any(|a| a == "--invert");
            Truth::from(ctx.pkt.rpf_valid != invert)
        }
        MatchKind::Other {
            module,
            args,
            lossy: false,
        } if module == "nft" => match eval_verbatim(args, ctx) {
            Some(Verbatim::T(t)) => t,
            Some(Verbatim::Inapplicable) => return Eval::Inapplicable,
            None => maybe(format!("`{module}` is a match nfdiff does not evaluate")),
        },
        MatchKind::Other { lossy: true, .. } => {
            maybe(format!("`{m}` was read from a lossy source"))
        }
        MatchKind::Other { module, .. } => {
            maybe(format!("`{module}` is a match nfdiff does not evaluate"))
        }
        #[allow(unreachable_patterns)]
        _ => maybe(format!("`{m}` is a match nfdiff does not evaluate")),
    };
    Eval::T(t)
}

fn port_proto_dep(ctx: &Ctx<'_>, proto: Option<Protocol>) -> Option<Eval> {
    match proto {
        Some(p) => proto_dep(ctx, p),
        None => match ctx.pkt.proto {
            None => Some(Eval::T(maybe("the query gives no protocol"))),
            Some(p) if !p.has_ports() => Some(Eval::Inapplicable),
            Some(_) => None,
        },
    }
}

/// The packet's value for one set-key field.
pub(crate) fn key_val<'a>(k: &SetKey, ctx: &Ctx<'a>) -> KeyVal<'a> {
    let port = |p: Option<u16>, what: &str| match p {
        Some(p) => KeyVal::Num(u64::from(p)),
        None => KeyVal::Unknown(format!("the query gives no {what} port")),
    };
    match k {
        SetKey::Saddr => KeyVal::Addr(ctx.st.src),
        SetKey::Daddr => KeyVal::Addr(ctx.st.dst),
        SetKey::Sport => port(ctx.st.sport, "source"),
        SetKey::Dport => port(ctx.st.dport, "destination"),
        SetKey::TransportPort { dir, .. } => match dir {
            Direction::Src => port(ctx.st.sport, "source"),
            Direction::Dst => port(ctx.st.dport, "destination"),
        },
        SetKey::IifName => KeyVal::Name(ctx.iif),
        SetKey::OifName => KeyVal::Name(ctx.oif),
        SetKey::L4Proto => match ctx.pkt.proto {
            Some(p) => KeyVal::Num(u64::from(p.0)),
            None => KeyVal::Unknown("the query gives no protocol".into()),
        },
        SetKey::Mark => KeyVal::Num(u64::from(ctx.st.mark)),
        other => KeyVal::Unknown(format!("set key `{other}` is not evaluated")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AddrSpec, IfacePattern, PortRange};

    fn ctx_test(m: Match, pkt: &Packet) -> Truth {
        let st = PktState::from_packet(pkt);
        let sets = HashMap::new();
        let ctx = Ctx {
            pkt,
            st: &st,
            iif: pkt.iif.as_deref().unwrap_or(""),
            oif: pkt.oif.as_deref().unwrap_or(""),
            sets: &sets,
            before_conntrack: false,
        };
        eval_match(&m, &ctx)
    }

    #[test]
    fn three_valued() {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        p.iif = Some("cali12".into());
        let iif = MatchKind::Interface {
            dir: Direction::Src,
            names: vec![IfacePattern::Prefix("cali".into())],
        };
        assert_eq!(ctx_test(Match::new(iif.clone()), &p), Truth::Yes);
        assert_eq!(ctx_test(Match::with_negation(iif, true), &p), Truth::No);
        let port = MatchKind::Port {
            dir: Direction::Dst,
            proto: Some(Protocol::TCP),
            ports: vec![PortRange::single(80)],
        };
        assert!(matches!(
            ctx_test(Match::new(port.clone()), &p),
            Truth::Maybe(_)
        ));
        p.proto = Some(Protocol::UDP);
        // A failed dependency fails the negated match too.
        assert_eq!(
            ctx_test(Match::with_negation(port.clone(), true), &p),
            Truth::No
        );
        p.proto = Some(Protocol::TCP);
        p.dport = Some(80);
        assert_eq!(ctx_test(Match::new(port), &p), Truth::Yes);
        let v6 = MatchKind::Address {
            dir: Direction::Src,
            addrs: vec![AddrSpec::net("::/0".parse().unwrap())],
        };
        assert_eq!(ctx_test(Match::with_negation(v6, true), &p), Truth::No);
        let stat = MatchKind::Statistic {
            mode: crate::model::StatisticMode::Random,
            probability: Some("0.5".into()),
            every: None,
            packet: None,
        };
        assert!(matches!(ctx_test(Match::new(stat), &p), Truth::Maybe(_)));
        let set = MatchKind::SetLookup {
            set: "KUBE-X".into(),
            keys: vec![SetKey::IpsetDst],
        };
        assert!(matches!(ctx_test(Match::new(set), &p), Truth::Maybe(_)));
    }

    #[test]
    fn reverse_path_checks_follow_the_query() {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        // Built as the parsers build them: normalized, so nft's forms become rpfilter.
        let other = |module: &str, args: &str| {
            let mut r = crate::model::Rule {
                matches: vec![Match::new(MatchKind::Other {
                    module: module.into(),
                    args: args.into(),
                    lossy: false,
                })],
                ..Default::default()
            };
            r.normalize();
            r.matches.remove(0)
        };
        let xt_invert = other("rpfilter", "--validmark --invert");
        let xt_plain = other("rpfilter", "--loose");
        let nft = other("nft", "fib saddr . mark . iif oif 0");
        let nft_missing = other("nft", "fib saddr . iif oif missing");
        let unrelated = other("nft", "fib daddr . iif type local");
        assert_eq!(ctx_test(xt_invert.clone(), &p), Truth::No);
        assert_eq!(ctx_test(xt_plain.clone(), &p), Truth::Yes);
        assert_eq!(ctx_test(nft.clone(), &p), Truth::No);
        assert_eq!(ctx_test(nft_missing.clone(), &p), Truth::No);
        assert!(matches!(ctx_test(unrelated, &p), Truth::Maybe(_)));
        p.rpf_valid = false;
        assert_eq!(ctx_test(xt_invert, &p), Truth::Yes);
        assert_eq!(ctx_test(xt_plain, &p), Truth::No);
        assert_eq!(ctx_test(nft, &p), Truth::Yes);
        assert_eq!(ctx_test(nft_missing, &p), Truth::Yes);
    }
}
