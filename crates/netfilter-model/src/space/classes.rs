//! The partition: packets grouped by fate (verdict and deciding rules), each group *must*
//! where no undecidable match or chain order could change it and *may* elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use biodivine_lib_bdd::Bdd;

use crate::trace::{ChainId, FinalVerdict, Packet, RuleRef, TraceIndex};

use super::cube::Cube;
use super::universe::Universe;
use super::walk::{Done, RuleKey};

/// Whether a class's fate holds whatever the undecidable matches do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Certainty {
    /// Every packet of the class has this fate.
    Must,
    /// Packets of the class may have this fate (and may have another).
    May,
}

impl Certainty {
    /// `must` or `may`.
    pub fn as_str(self) -> &'static str {
        match self {
            Certainty::Must => "must",
            Certainty::May => "may",
        }
    }
}

/// One class of the partition.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PacketClass {
    /// The class's packets, as cubes (their union).
    pub cubes: Vec<Cube>,
    /// Whether more cubes than shown make up the class.
    pub cubes_truncated: bool,
    /// The fate.
    pub verdict: FinalVerdict,
    /// The rules that decided it, in path order (for an accept, every accepting rule
    /// outside nat chains, else the nat chains' accepts, else the last policy).
    pub deciding: Vec<RuleRef>,
    /// Must or may.
    pub certainty: Certainty,
    /// For a *may* class: the undecidable matches and chain orders that leave it open; for a
    /// *must* class with several deciding rules: why the deciding rule varies.
    pub reasons: Vec<String>,
    /// A packet of the class.
    pub witness: Packet,
}

/// The partition of the asked-for packet space.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Partition {
    /// The classes: *must* classes are disjoint; a packet in a *may* class is in at least
    /// one other *may* class.
    pub classes: Vec<PacketClass>,
    /// Notes about what the analysis did not look at.
    pub notes: Vec<String>,
}

/// A class before rendering: its region and fate.
#[derive(Debug, Clone)]
pub(crate) struct RawClass {
    pub(crate) region: Bdd,
    pub(crate) verdict: FinalVerdict,
    pub(crate) deciding: Vec<RuleKey>,
    pub(crate) certainty: Certainty,
    pub(crate) reasons: BTreeSet<String>,
}

/// Groups finished flows by fate. A packet with one possible verdict is in a *must* class
/// whose deciding rules are every rule that decides it in some order of equal-priority
/// chains (or under some undecidable match); a packet with several possible verdicts is in
/// one *may* class per verdict.
pub(crate) fn classify(u: &Universe, done: Vec<Done>) -> Vec<RawClass> {
    type Key = (FinalVerdict, Vec<RuleKey>);
    let mut by_fate: BTreeMap<Key, (Bdd, BTreeSet<String>)> = BTreeMap::new();
    for d in done {
        let e = by_fate
            .entry((d.verdict, d.deciding))
            .or_insert_with(|| (u.f(), BTreeSet::new()));
        e.0 = e.0.or(&d.flow.region);
        e.1.extend(d.flow.reasons);
    }
    // Packets with more than one possible fate.
    let mut seen = u.f();
    let mut multi = u.f();
    for (r, _) in by_fate.values() {
        multi = multi.or(&seen.and(r));
        seen = seen.or(r);
    }
    // (verdict, deciding, certainty) -> region, reasons.
    type ClassKey = (FinalVerdict, Vec<RuleKey>, Certainty);
    let mut classes: BTreeMap<ClassKey, (Bdd, BTreeSet<String>)> = BTreeMap::new();
    let mut add = |k: (FinalVerdict, Vec<RuleKey>, Certainty), r: Bdd, why: &BTreeSet<String>| {
        let e = classes.entry(k).or_insert_with(|| (u.f(), BTreeSet::new()));
        e.0 = e.0.or(&r);
        e.1.extend(why.iter().cloned());
    };
    let none = BTreeSet::new();
    // Packets with one fate.
    let mut shared: Vec<(&Key, Bdd, &BTreeSet<String>)> = Vec::new();
    for (k, (r, why)) in &by_fate {
        let alone = r.and_not(&multi);
        if !alone.is_false() {
            add((k.0, k.1.clone(), Certainty::Must), alone, &none);
        }
        let both = r.and(&multi);
        if !both.is_false() {
            shared.push((k, both, why));
        }
    }
    // The others, split by the set of fates they can have.
    let mut pieces: Vec<(Bdd, Vec<usize>)> = vec![(multi, Vec::new())];
    for (i, (_, r, _)) in shared.iter().enumerate() {
        let mut next = Vec::with_capacity(pieces.len() + 1);
        for (p, ks) in pieces {
            let inside = p.and(r);
            let outside = p.and_not(r);
            if !inside.is_false() {
                let mut ks2 = ks.clone();
                ks2.push(i);
                next.push((inside, ks2));
            }
            if !outside.is_false() {
                next.push((outside, ks));
            }
        }
        pieces = next;
    }
    for (p, ks) in pieces {
        let verdicts: BTreeSet<FinalVerdict> = ks.iter().map(|&i| shared[i].0 .0).collect();
        let certainty = if verdicts.len() == 1 {
            Certainty::Must
        } else {
            Certainty::May
        };
        for v in verdicts {
            let mut deciding: Vec<RuleKey> = Vec::new();
            let mut why = BTreeSet::new();
            for &i in &ks {
                if shared[i].0 .0 == v {
                    for d in &shared[i].0 .1 {
                        if !deciding.contains(d) {
                            deciding.push(*d);
                        }
                    }
                    why.extend(shared[i].2.iter().cloned());
                }
            }
            add((v, deciding, certainty), p.clone(), &why);
        }
    }
    classes
        .into_iter()
        .map(
            |((verdict, deciding, certainty), (region, reasons))| RawClass {
                region,
                verdict,
                deciding,
                certainty,
                reasons,
            },
        )
        .collect()
}

/// A rule or policy as the reports name it.
pub(crate) fn rule_ref(idx: &TraceIndex<'_>, (id, rule): RuleKey) -> RuleRef {
    let (ti, ci): ChainId = id;
    let t = idx.tables[ti].table;
    let c = &t.chains[ci];
    let (text, comment, policy) = match rule.and_then(|i| c.rules.get(i)) {
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
        index: if policy { None } else { rule.map(|i| i + 1) },
        policy,
        rule: text,
        comment,
    }
}
