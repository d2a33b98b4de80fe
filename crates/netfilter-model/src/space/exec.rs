//! The bookkeeping of one symbolic run: the state, which accept decides each packet so far,
//! the drops, and the packets whose fate rests on something the engine does not model.

use biodivine_lib_bdd::Bdd;

use super::state::SymState;
use super::vars::Universe;

/// A rule (or, with `rule: None`, a chain's policy) of one of the analysed rulesets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RuleKey {
    /// Which ruleset of the analysis.
    pub(crate) rs: usize,
    pub(crate) table: usize,
    pub(crate) chain: usize,
    pub(crate) rule: Option<usize>,
}

/// The accepts that can still decide, as the tracer ranks them: the last accept by a rule
/// outside nat chains, the last accept by a rule, the last accept.
pub(crate) type Decider = [Option<RuleKey>; 3];

/// The accept a [`Decider`] names.
pub(crate) fn decider_of(d: &Decider) -> Option<RuleKey> {
    d[0].or(d[1]).or(d[2])
}

/// One run's bookkeeping (cloned to try another order of equal-priority chains).
#[derive(Clone)]
pub(crate) struct Exec {
    pub(crate) st: SymState,
    /// A partition of the packets by their accept history.
    pub(crate) deciders: Vec<(Decider, Bdd)>,
    /// Packets dropped, by the rule that dropped them.
    pub(crate) drops: Vec<(RuleKey, Bdd)>,
    /// Packets whose fate the engine cannot claim, with why.
    pub(crate) taints: Vec<(String, Bdd)>,
    /// Packets dropped in the current base chain.
    pub(crate) dropped_now: Bdd,
}

impl Exec {
    /// A run of the packets of `entry`.
    pub(crate) fn new(u: &Universe, entry: &Bdd) -> Exec {
        Exec {
            st: SymState::initial(u),
            deciders: vec![([None; 3], entry.clone())],
            drops: Vec::new(),
            taints: Vec::new(),
            dropped_now: u.vars.mk_false(),
        }
    }

    /// The packets of `m` are accepted by `key`.
    pub(crate) fn accept(&mut self, m: &Bdd, key: RuleKey, nat_chain: bool) {
        if m.is_false() {
            return;
        }
        let mut out: Vec<(Decider, Bdd)> = Vec::with_capacity(self.deciders.len() + 1);
        for (d, p) in self.deciders.drain(..) {
            let hit = p.and(m);
            if hit.is_false() {
                push_merge(&mut out, d, p);
                continue;
            }
            let rest = p.and_not(m);
            let mut nd = d;
            if key.rule.is_some() {
                if !nat_chain {
                    nd[0] = Some(key);
                }
                nd[1] = Some(key);
            }
            nd[2] = Some(key);
            if !rest.is_false() {
                push_merge(&mut out, d, rest);
            }
            push_merge(&mut out, nd, hit);
        }
        self.deciders = out;
    }

    /// The packets of `m` are dropped by `key`.
    pub(crate) fn drop(&mut self, m: &Bdd, key: RuleKey) {
        if m.is_false() {
            return;
        }
        self.dropped_now = self.dropped_now.or(m);
        match self.drops.iter_mut().find(|(k, _)| *k == key) {
            Some((_, b)) => *b = b.or(m),
            None => self.drops.push((key, m.clone())),
        }
    }

    /// The packets of `m` get a fate the engine cannot claim, because of `why`.
    pub(crate) fn taint(&mut self, m: &Bdd, why: impl Into<String>) {
        if m.is_false() {
            return;
        }
        let why = why.into();
        match self.taints.iter_mut().find(|(w, _)| *w == why) {
            Some((_, b)) => *b = b.or(m),
            None => self.taints.push((why, m.clone())),
        }
    }

    /// The packets of `within` whose outcome differs between this run and `other`
    /// (another order of the same group): dropped by another rule, accepted by another,
    /// or left in another state.
    pub(crate) fn differs(&self, other: &Exec, within: &Bdd, u: &Universe) -> Bdd {
        let mut keep = self.st.differs(&other.st, u);
        let mut acc = u.vars.mk_false();
        let mut dropped = u.vars.mk_false();
        let mut keys: Vec<RuleKey> = self.drops.iter().map(|(k, _)| *k).collect();
        keys.extend(other.drops.iter().map(|(k, _)| *k));
        keys.sort();
        keys.dedup();
        let f = u.vars.mk_false();
        let find = |v: &[(RuleKey, Bdd)], k: RuleKey| {
            v.iter()
                .find(|(x, _)| *x == k)
                .map_or_else(|| f.clone(), |(_, b)| b.clone())
        };
        for k in keys {
            let (a, b) = (find(&self.drops, k), find(&other.drops, k));
            acc = acc.or(&a.xor(&b));
            dropped = dropped.or(&a).or(&b);
        }
        let mut dk: Vec<Option<RuleKey>> =
            self.deciders.iter().map(|(d, _)| decider_of(d)).collect();
        dk.extend(other.deciders.iter().map(|(d, _)| decider_of(d)));
        dk.sort();
        dk.dedup();
        let union = |v: &[(Decider, Bdd)], k: Option<RuleKey>| {
            v.iter()
                .filter(|(d, _)| decider_of(d) == k)
                .fold(f.clone(), |a, (_, b)| a.or(b))
        };
        for k in dk {
            keep = keep.or(&union(&self.deciders, k).xor(&union(&other.deciders, k)));
        }
        // Who accepted a packet, and its state, no longer matter once it is dropped.
        acc.or(&keep.and_not(&dropped)).and(within)
    }
}

fn push_merge(out: &mut Vec<(Decider, Bdd)>, d: Decider, b: Bdd) {
    match out.iter_mut().find(|(x, _)| *x == d) {
        Some((_, p)) => *p = p.or(&b),
        None => out.push((d, b)),
    }
}
