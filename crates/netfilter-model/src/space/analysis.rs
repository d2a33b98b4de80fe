//! One analysis: the rulesets indexed, the shared variable universe (interface alphabet of
//! every ruleset and the query, oracle variables), and each ruleset's fates over it.

use std::collections::{BTreeSet, HashMap};

use biodivine_lib_bdd::Bdd;

use crate::model::{MatchKind, Rule, Ruleset, Statement, Verdict};
use crate::trace::{iface_literals, FinalVerdict, RuleRef, TraceIndex, TracePath};

use super::bitvec::{eq_const, range};
use super::compile::{IfAt, MatchCtx};
use super::engine::{Engine, OracleMap};
use super::error::SpaceError;
use super::exec::RuleKey;
use super::query::SpaceQuery;
use super::state::{Fixed, SymState};
use super::vars::{Universe, CT_STATES};
use crate::model::{AddrSpec, Direction, Match, Protocol};

/// A packet's fate in one ruleset: the verdict and the rule that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Fate {
    pub(crate) verdict: FinalVerdict,
    pub(crate) decider: Option<RuleKey>,
}

/// Every fate of one ruleset, over header and oracle variables.
pub(crate) struct Fates {
    pub(crate) outcomes: Vec<(Fate, Bdd)>,
    /// Packets whose fate the engine cannot claim, with why.
    pub(crate) taints: Vec<(String, Bdd)>,
    /// Why each used oracle variable exists, by oracle index.
    pub(crate) reasons: HashMap<usize, String>,
    pub(crate) notes: Vec<String>,
}

/// Rulesets indexed over one universe.
pub(crate) struct Analysis<'a> {
    pub(crate) u: Universe,
    pub(crate) indexes: Vec<TraceIndex<'a>>,
    pub(crate) oracles: OracleMap,
}

/// Whether a rule may need oracle variables: a match the engine may not express, or a
/// verdict or target that may accept or drop.
fn needs_oracle(r: &Rule) -> bool {
    let matches = r.matches.iter().any(|m| {
        !matches!(
            m.kind,
            MatchKind::Interface { .. }
                | MatchKind::Address { .. }
                | MatchKind::Protocol { .. }
                | MatchKind::Fragment
                | MatchKind::Port { .. }
                | MatchKind::AnyPort { .. }
                | MatchKind::TcpFlags { .. }
                | MatchKind::Icmp { .. }
                | MatchKind::CtState { .. }
                | MatchKind::CtMark { .. }
                | MatchKind::Mark { .. }
        )
    });
    let verdict = matches!(r.verdict, Some(Verdict::Queue(_) | Verdict::Other(_)))
        || r.statements
            .iter()
            .any(|s| matches!(s, Statement::Other { .. }));
    matches || verdict
}

impl<'a> Analysis<'a> {
    /// Indexes `rulesets` over one universe, with the query's interface patterns.
    pub(crate) fn new(rulesets: &[&'a Ruleset], q: &SpaceQuery) -> Analysis<'a> {
        let indexes: Vec<TraceIndex<'a>> = rulesets.iter().map(|rs| TraceIndex::new(rs)).collect();
        let mut lits = BTreeSet::new();
        for idx in &indexes {
            lits.extend(iface_literals(idx));
        }
        lits.extend(q.iface_literals().cloned());
        let mut oracles = OracleMap::new();
        let mut next = 0usize;
        for (rs, idx) in indexes.iter().enumerate() {
            for (ti, t) in idx.tables.iter().enumerate() {
                for (ci, c) in t.table.chains.iter().enumerate() {
                    for (ri, r) in c.rules.iter().enumerate() {
                        if needs_oracle(r) {
                            oracles.insert((rs, ti, ci, ri), next);
                            next += 2;
                        }
                    }
                }
            }
        }
        let u = Universe::new(&lits, next);
        Analysis {
            u,
            indexes,
            oracles,
        }
    }

    /// The query's packets of one IP version, within the valid domain.
    pub(crate) fn entry(&self, q: &SpaceQuery, v6: bool) -> Result<Bdd, SpaceError> {
        let u = &self.u;
        let fx = Fixed::new(u);
        let st = SymState::initial(u);
        let var = IfAt::Var;
        let ctx = MatchCtx {
            u,
            fx: &fx,
            st: &st,
            v6,
            iif: &var,
            oif: &var,
            before_ct: false,
            sets: &HashMap::new(),
        };
        let mut set = u.domain.and(&u.family(v6));
        if q.iif.is_some() && q.path == TracePath::Output {
            return Err(SpaceError::InvalidQuery(
                "the output path has no input interface: drop --iif or pick another path".into(),
            ));
        }
        if q.oif.is_some() && q.path == TracePath::Input {
            return Err(SpaceError::InvalidQuery(
                "the input path has no output interface: drop --oif or pick another path".into(),
            ));
        }
        if let Some(p) = &q.iif {
            set = set.and(&ctx.iface(Direction::Src, &|n| p.matches(n)));
        }
        if let Some(p) = &q.oif {
            set = set.and(&ctx.iface(Direction::Dst, &|n| p.matches(n)));
        }
        let addrs = |specs: &[AddrSpec], dir: Direction| -> Bdd {
            let mine: Vec<AddrSpec> = specs
                .iter()
                .filter(|s| s.is_ipv6() == v6)
                .copied()
                .collect();
            if mine.is_empty() {
                return u.vars.mk_false();
            }
            let m = Match::new(MatchKind::Address { dir, addrs: mine });
            match super::compile::compile_match(&m, &ctx).body {
                super::compile::Body::Exact(b) => b,
                super::compile::Body::Opaque(_) => u.vars.mk_true(),
            }
        };
        if !q.src.is_empty() {
            set = set.and(&addrs(&q.src, Direction::Src));
        }
        if !q.dst.is_empty() {
            set = set.and(&addrs(&q.dst, Direction::Dst));
        }
        if !q.proto.is_empty() {
            let p = q.proto.iter().fold(u.vars.mk_false(), |acc, p| {
                acc.or(&eq_const(&u.vars, &fx.proto, u128::from(p.0)))
            });
            set = set.and(&p);
        }
        let ports = |rs: &[crate::model::PortRange], bits: &[Bdd]| {
            rs.iter().fold(u.vars.mk_false(), |acc, r| {
                acc.or(&range(
                    &u.vars,
                    bits,
                    u128::from(r.first),
                    u128::from(r.last),
                ))
            })
        };
        if !q.sport.is_empty() {
            set = set.and(&ctx.has_ports()).and(&ports(&q.sport, &st.sport));
        }
        if !q.dport.is_empty() {
            set = set.and(&ctx.has_ports()).and(&ports(&q.dport, &st.dport));
        }
        if let Some(t) = q.icmp_type {
            let want = if v6 { Protocol::ICMPV6 } else { Protocol::ICMP };
            set = set
                .and(&eq_const(&u.vars, &fx.proto, u128::from(want.0)))
                .and(&eq_const(&u.vars, &fx.icmp_type, u128::from(t)));
        }
        if let Some(states) = q.ct_state {
            let s = CT_STATES
                .iter()
                .enumerate()
                .filter(|(_, &b)| states.0 & b != 0)
                .fold(u.vars.mk_false(), |acc, (i, _)| {
                    acc.or(&eq_const(&u.vars, &fx.ct, i as u128))
                });
            set = set.and(&s);
        }
        if let Some(m) = q.mark {
            set = set.and(&eq_const(&u.vars, &st.mark, u128::from(m)));
        }
        // Interfaces a path never has are not part of the question.
        let mut free = Vec::new();
        if q.path == TracePath::Output {
            free.extend((0..u.layout.iif.width).map(|i| u.layout.iif.var(i)));
        }
        if q.path == TracePath::Input {
            free.extend((0..u.layout.oif.width).map(|i| u.layout.oif.var(i)));
        }
        if !free.is_empty() {
            set = set.exists(&free);
        }
        Ok(set)
    }

    /// The fates of ruleset `rs` for the query.
    pub(crate) fn fates(&self, rs: usize, q: &SpaceQuery) -> Result<Fates, SpaceError> {
        let engine = Engine::new(&self.u, &self.indexes[rs], rs, &self.oracles);
        let mut outcomes: Vec<(Fate, Bdd)> = Vec::new();
        let mut taints: Vec<(String, Bdd)> = Vec::new();
        for v6 in [false, true] {
            let entry = self.entry(q, v6)?;
            if entry.is_false() {
                continue;
            }
            let r = engine.run(&entry, v6, q.path, q.local_addrs.as_ref())?;
            let mut add = |fate: Fate, b: Bdd| {
                if b.is_false() {
                    return;
                }
                match outcomes.iter_mut().find(|(f, _)| *f == fate) {
                    Some((_, x)) => *x = x.or(&b),
                    None => outcomes.push((fate, b)),
                }
            };
            for (k, b) in r.accepts {
                add(
                    Fate {
                        verdict: FinalVerdict::Accept,
                        decider: k,
                    },
                    b,
                );
            }
            for (k, b) in r.drops {
                add(
                    Fate {
                        verdict: FinalVerdict::Drop,
                        decider: Some(k),
                    },
                    b,
                );
            }
            for (w, b) in r.taints {
                match taints.iter_mut().find(|(x, _)| *x == w) {
                    Some((_, x)) => *x = x.or(&b),
                    None => taints.push((w, b)),
                }
            }
        }
        outcomes.sort_by_key(|a| a.0);
        let mut notes = engine.notes.into_inner();
        notes.extend(self.indexes[rs].notes.iter().cloned());
        notes.dedup();
        Ok(Fates {
            outcomes,
            taints,
            reasons: engine.reasons.into_inner(),
            notes,
        })
    }

    /// The report reference of a rule or policy.
    pub(crate) fn rule_ref(&self, k: RuleKey) -> RuleRef {
        let t = self.indexes[k.rs].tables[k.table].table;
        let c = &t.chains[k.chain];
        let (text, comment, policy) = match k.rule.and_then(|i| c.rules.get(i)) {
            Some(r) => (r.to_string(), r.comment.clone(), false),
            None => (
                format!(
                    "policy {}",
                    c.base.as_ref().map_or("accept", |b| b.policy.as_str())
                ),
                None,
                true,
            ),
        };
        RuleRef {
            backend: t.backend,
            family: t.family,
            table: t.name.clone(),
            chain: c.name.clone(),
            index: if policy { None } else { k.rule.map(|i| i + 1) },
            policy,
            rule: text,
            comment,
        }
    }
}
