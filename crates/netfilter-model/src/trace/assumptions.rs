//! One assumption per packet fact per course: a match the trace cannot decide but whose
//! answer is a fixed property of the packet (its address type, its membership of an ipset,
//! its unknown protocol) is assumed once; later rules testing the same fact of the same
//! packet fields get the same answer, so no course holds contradictory assumptions.
//!
//! Matches whose answer changes from one test to the next (`statistic`, `limit`, `recent`,
//! unknown extensions) are not facts: each test is a new draw.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::model::{Direction, Match, MatchKind, Protocol, Rule};

use super::matching::{eval_match, Ctx, Truth};

/// The facts a course has assumed: `(fact key, whether the fact holds)` sorted by key, and
/// what they say about a protocol the query does not give.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Facts {
    keyed: Vec<(u64, bool)>,
    /// The protocols the packet may still have (`None`: any), sorted.
    proto_in: Option<Vec<u8>>,
    /// Protocols the packet does not have, sorted.
    proto_not: Vec<u8>,
}

impl Facts {
    fn get(&self, key: u64) -> Option<bool> {
        self.keyed
            .binary_search_by_key(&key, |f| f.0)
            .ok()
            .map(|i| self.keyed[i].1)
    }

    /// Records an assumed fact (a fact is recorded once: the evaluation never asks twice).
    pub(crate) fn assume(&mut self, a: &Atom, holds: bool) {
        match self.keyed.binary_search_by_key(&a.key, |f| f.0) {
            Ok(i) => self.keyed[i].1 = holds,
            Err(i) => self.keyed.insert(i, (a.key, holds)),
        }
        match (&a.protos, holds) {
            (Some(l), true) => {
                let mut next: Vec<u8> = match &self.proto_in {
                    Some(cur) => cur.iter().copied().filter(|p| l.contains(p)).collect(),
                    None => l
                        .iter()
                        .copied()
                        .filter(|p| !self.proto_not.contains(p))
                        .collect(),
                };
                next.sort_unstable();
                next.dedup();
                self.proto_in = Some(next);
            }
            (Some(l), false) if a.protos_exact => {
                if let Some(cur) = &mut self.proto_in {
                    cur.retain(|p| !l.contains(p));
                }
                self.proto_not.extend(l.iter().copied());
                self.proto_not.sort_unstable();
                self.proto_not.dedup();
            }
            _ => {}
        }
    }

    /// Whether the packet's protocol is in `l`, as far as the assumed facts tell.
    fn proto_in(&self, l: &[u8]) -> Option<bool> {
        match &self.proto_in {
            Some(a) if a.iter().all(|p| l.contains(p)) => Some(true),
            Some(a) if a.iter().all(|p| !l.contains(p)) => Some(false),
            Some(_) => None,
            None if l.iter().all(|p| self.proto_not.contains(p)) => Some(false),
            None => None,
        }
    }

    /// The one protocol the facts leave, when they leave one.
    fn single_proto(&self) -> Option<u8> {
        match self.proto_in.as_deref() {
            Some([p]) => Some(*p),
            _ => None,
        }
    }
}

/// A packet fact one undecidable match of a rule tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Atom {
    pub(crate) key: u64,
    /// The fact in words: the match without negation and the packet fields it reads.
    pub(crate) what: String,
    /// Whether the fact holds when the match does (false for a negated match).
    pub(crate) holds_when_matching: bool,
    /// The protocols the packet has when the fact holds (a protocol match, or a port match
    /// that needs its protocol), for a query that gives none.
    protos: Option<Vec<u8>>,
    /// Whether the fact failing means the protocol is none of `protos` (a protocol match).
    protos_exact: bool,
}

/// A rule's matches, evaluated against the packet and the course's facts.
pub(crate) struct RuleTruth {
    /// The conjunction.
    pub(crate) truth: Truth,
    /// The undecidable matches that are packet facts.
    pub(crate) atoms: Vec<Atom>,
    /// Whether an undecidable match is not a packet fact (then "does not match" cannot be
    /// pinned on one fact).
    pub(crate) other_maybe: bool,
}

/// The packet fields a fact about `kind` depends on, in words; `None` when the match is not
/// a fixed property of the packet.
fn fact_fields(kind: &MatchKind, ctx: &Ctx<'_>) -> Option<String> {
    let st = ctx.st;
    let port = |p: Option<u16>| p.map_or("?".to_string(), |p| p.to_string());
    let fields = match kind {
        MatchKind::AddrType {
            dir, limit_iface, ..
        } => {
            let a = match dir {
                Direction::Src => st.src,
                Direction::Dst => st.dst,
            };
            match limit_iface {
                Some(Direction::Src) => format!("{a} on iif `{}`", ctx.iif),
                Some(Direction::Dst) => format!("{a} on oif `{}`", ctx.oif),
                None => a.to_string(),
            }
        }
        MatchKind::SetLookup { .. } => format!(
            "{} -> {} ports {} -> {}, iif `{}`, oif `{}`, mark 0x{:x}",
            st.src,
            st.dst,
            port(st.sport),
            port(st.dport),
            ctx.iif,
            ctx.oif,
            st.mark
        ),
        MatchKind::Port { .. } | MatchKind::AnyPort { .. } => {
            format!("ports {} -> {}", port(st.sport), port(st.dport))
        }
        MatchKind::PhysDev { .. } => format!("iif `{}`, oif `{}`", ctx.iif, ctx.oif),
        MatchKind::Protocol { .. }
        | MatchKind::TcpFlags { .. }
        | MatchKind::Icmp { .. }
        | MatchKind::CtStatus { .. }
        | MatchKind::CtDirection { .. }
        | MatchKind::Mac { .. }
        | MatchKind::Owner { .. }
        | MatchKind::Length { .. }
        | MatchKind::PktType { .. } => "the packet".to_string(),
        _ => return None,
    };
    Some(fields)
}

fn key_of(what: &str) -> u64 {
    let mut h = DefaultHasher::new();
    what.hash(&mut h);
    h.finish()
}

/// The protocols a match needs, when the query gives no protocol: all of a protocol match's
/// (exact: failing means none of them), the one a port, flag or ICMP match depends on.
fn protos_of(kind: &MatchKind, ctx: &Ctx<'_>) -> Option<(Vec<u8>, bool)> {
    if ctx.pkt.proto.is_some() {
        return None;
    }
    match kind {
        MatchKind::Protocol { protos } => Some((protos.iter().map(|p| p.0).collect(), true)),
        MatchKind::Port { proto: Some(p), .. } | MatchKind::AnyPort { proto: Some(p), .. } => {
            Some((vec![p.0], false))
        }
        MatchKind::TcpFlags { .. } => Some((vec![Protocol::TCP.0], false)),
        MatchKind::Icmp { v6, .. } => Some((
            vec![if *v6 {
                Protocol::ICMPV6.0
            } else {
                Protocol::ICMP.0
            }],
            false,
        )),
        _ => None,
    }
}

/// The fact an undecidable match tests, when it is one.
fn atom_of(m: &Match, ctx: &Ctx<'_>) -> Option<Atom> {
    let fields = fact_fields(&m.kind, ctx)?;
    let what = format!("`{}` of {fields}", Match::new(m.kind.clone()));
    let (protos, protos_exact) = match protos_of(&m.kind, ctx) {
        Some((l, exact)) => (Some(l), exact),
        None => (None, false),
    };
    Some(Atom {
        key: key_of(&what),
        what,
        holds_when_matching: !m.negated,
        protos,
        protos_exact,
    })
}

/// Evaluates a rule's matches: a fact the course assumed before answers as assumed. When the
/// query gives no protocol and the assumed facts leave one, the matches see that protocol.
pub(crate) fn eval_rule(rule: &Rule, ctx: &Ctx<'_>, facts: &Facts) -> RuleTruth {
    match facts.single_proto() {
        Some(p) if ctx.pkt.proto.is_none() => {
            let mut pkt = ctx.pkt.clone();
            pkt.proto = Some(Protocol(p));
            let ctx = Ctx { pkt: &pkt, ..*ctx };
            eval_rule_in(rule, &ctx, facts)
        }
        _ => eval_rule_in(rule, ctx, facts),
    }
}

fn eval_rule_in(rule: &Rule, ctx: &Ctx<'_>, facts: &Facts) -> RuleTruth {
    let mut truth = Truth::Yes;
    let mut atoms = Vec::new();
    let mut other_maybe = false;
    for m in &rule.matches {
        let t = match eval_match(m, ctx) {
            Truth::Maybe(reason) => match atom_of(m, ctx) {
                // A port (or flag, ICMP) match whose protocol the facts exclude fails,
                // negated or not, as on a packet of another protocol.
                Some(a)
                    if !a.protos_exact
                        && a.protos.as_deref().and_then(|l| facts.proto_in(l)) == Some(false) =>
                {
                    Truth::No
                }
                Some(a) => match facts.get(a.key).or_else(|| {
                    // A protocol match the protocol facts decide.
                    a.protos
                        .as_deref()
                        .filter(|_| a.protos_exact)
                        .and_then(|l| facts.proto_in(l))
                }) {
                    Some(holds) => Truth::from(holds == a.holds_when_matching),
                    None => {
                        atoms.push(a);
                        Truth::Maybe(reason)
                    }
                },
                None => {
                    other_maybe = true;
                    Truth::Maybe(reason)
                }
            },
            t => t,
        };
        truth = truth.and(t);
        if truth == Truth::No {
            break;
        }
    }
    if truth != Truth::No && !matches!(truth, Truth::Maybe(_)) {
        atoms.clear();
    }
    RuleTruth {
        truth,
        atoms,
        other_maybe,
    }
}

impl RuleTruth {
    /// The facts that hold on the course where the rule matches.
    pub(crate) fn facts_if_matching(&self) -> Vec<(&Atom, bool)> {
        self.atoms
            .iter()
            .map(|a| (a, a.holds_when_matching))
            .collect()
    }

    /// The facts that hold on the course where the rule does not match: only when a single
    /// fact was undecided (otherwise any one of them may be the one that fails).
    pub(crate) fn facts_if_not_matching(&self) -> Vec<(&Atom, bool)> {
        match self.atoms.as_slice() {
            [a] if !self.other_maybe => vec![(a, !a.holds_when_matching)],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::trace::matching::PktState;
    use crate::trace::Packet;

    fn addrtype(neg: bool) -> Match {
        Match::with_negation(
            MatchKind::AddrType {
                dir: Direction::Src,
                types: vec!["LOCAL".into()],
                limit_iface: None,
            },
            neg,
        )
    }

    #[test]
    fn a_fact_answers_once_per_course() {
        let p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let st = PktState::from_packet(&p);
        let sets = HashMap::new();
        let ctx = Ctx {
            pkt: &p,
            st: &st,
            iif: "eth0",
            oif: "",
            sets: &sets,
            before_conntrack: false,
        };
        let rule = |neg| Rule {
            matches: vec![addrtype(neg)],
            ..Default::default()
        };
        let mut facts = Facts::default();
        let first = eval_rule(&rule(false), &ctx, &facts);
        assert!(matches!(first.truth, Truth::Maybe(_)));
        let (a, holds) = first.facts_if_not_matching()[0];
        assert!(a.what.contains("10.0.0.1"), "{}", a.what);
        facts.assume(a, holds);
        // Assumed not LOCAL: the same test is now decided, and its negation holds.
        assert_eq!(eval_rule(&rule(false), &ctx, &facts).truth, Truth::No);
        assert_eq!(eval_rule(&rule(true), &ctx, &facts).truth, Truth::Yes);
        // A random draw is never a fact.
        let stat = Rule {
            matches: vec![Match::new(MatchKind::Statistic {
                mode: crate::model::StatisticMode::Random,
                probability: Some("0.5".into()),
                every: None,
                packet: None,
            })],
            ..Default::default()
        };
        let r = eval_rule(&stat, &ctx, &facts);
        assert!(r.atoms.is_empty() && r.other_maybe);
        assert!(r.facts_if_not_matching().is_empty());
    }

    #[test]
    fn protocol_facts_exclude_each_other() {
        let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        p.dport = Some(80);
        let st = PktState::from_packet(&p);
        let sets = HashMap::new();
        let ctx = Ctx {
            pkt: &p,
            st: &st,
            iif: "eth0",
            oif: "",
            sets: &sets,
            before_conntrack: false,
        };
        let proto = |name: &str| Rule {
            matches: vec![Match::new(MatchKind::Protocol {
                protos: vec![Protocol::parse(name).unwrap()],
            })],
            ..Default::default()
        };
        let tcp_dport = Rule {
            matches: vec![Match::new(MatchKind::Port {
                dir: Direction::Dst,
                proto: Some(Protocol::TCP),
                ports: vec![crate::model::PortRange::single(80)],
            })],
            ..Default::default()
        };
        let mut facts = Facts::default();
        let r = eval_rule(&proto("tcp"), &ctx, &facts);
        assert!(matches!(r.truth, Truth::Maybe(_)));
        for (a, holds) in r.facts_if_matching() {
            facts.assume(a, holds);
        }
        // Assumed TCP: not UDP, and `tcp dport 80` is decided by the port.
        assert_eq!(eval_rule(&proto("udp"), &ctx, &facts).truth, Truth::No);
        assert_eq!(eval_rule(&tcp_dport, &ctx, &facts).truth, Truth::Yes);
        // Assumed not TCP: `tcp dport` fails, UDP stays open.
        let mut facts = Facts::default();
        for (a, holds) in eval_rule(&proto("tcp"), &ctx, &facts).facts_if_not_matching() {
            facts.assume(a, holds);
        }
        assert_eq!(eval_rule(&proto("tcp"), &ctx, &facts).truth, Truth::No);
        assert_eq!(eval_rule(&tcp_dport, &ctx, &facts).truth, Truth::No);
        assert!(matches!(
            eval_rule(&proto("udp"), &ctx, &facts).truth,
            Truth::Maybe(_)
        ));
    }
}
