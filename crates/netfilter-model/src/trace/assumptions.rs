//! One assumption per packet fact per course: a match the trace cannot decide but whose
//! answer is a fixed property of the packet (its address type, its membership of an ipset,
//! its unknown protocol) is assumed once; later rules testing the same fact of the same
//! packet fields get the same answer, so no course holds contradictory assumptions.
//!
//! Matches whose answer changes from one test to the next (`statistic`, `limit`, `recent`,
//! unknown extensions) are not facts: each test is a new draw.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::model::{Direction, Match, MatchKind, Rule};

use super::matching::{eval_match, Ctx, Truth};

/// The facts a course has assumed, sorted by key: `(fact key, whether the fact holds)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Facts(Vec<(u64, bool)>);

impl Facts {
    fn get(&self, key: u64) -> Option<bool> {
        self.0
            .binary_search_by_key(&key, |f| f.0)
            .ok()
            .map(|i| self.0[i].1)
    }

    /// Records a fact (a fact is recorded once: the evaluation never asks twice).
    pub(crate) fn set(&mut self, key: u64, holds: bool) {
        match self.0.binary_search_by_key(&key, |f| f.0) {
            Ok(i) => self.0[i].1 = holds,
            Err(i) => self.0.insert(i, (key, holds)),
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

/// The fact an undecidable match tests, when it is one.
fn atom_of(m: &Match, ctx: &Ctx<'_>) -> Option<Atom> {
    let fields = fact_fields(&m.kind, ctx)?;
    let what = format!("`{}` of {fields}", Match::new(m.kind.clone()));
    Some(Atom {
        key: key_of(&what),
        what,
        holds_when_matching: !m.negated,
    })
}

/// Evaluates a rule's matches: a fact the course assumed before answers as assumed.
pub(crate) fn eval_rule(rule: &Rule, ctx: &Ctx<'_>, facts: &Facts) -> RuleTruth {
    let mut truth = Truth::Yes;
    let mut atoms = Vec::new();
    let mut other_maybe = false;
    for m in &rule.matches {
        let t = match eval_match(m, ctx) {
            Truth::Maybe(reason) => match atom_of(m, ctx) {
                Some(a) => match facts.get(a.key) {
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
        facts.set(a.key, holds);
        // Assumed not LOCAL: the same test is now decided, and its negation holds.
        assert_eq!(eval_rule(&rule(false), &ctx, &facts).truth, Truth::No);
        assert_eq!(eval_rule(&rule(true), &ctx, &facts).truth, Truth::Yes);
        // A random draw is never a fact.
        let stat = Rule {
            matches: vec![Match::new(MatchKind::Statistic {
                mode: "random".into(),
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
}
