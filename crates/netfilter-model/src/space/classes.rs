//! The partition: packets grouped by fate (verdict and deciding rules), each group *must*
//! where no undecidable match or chain order could change it and *may* elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use crate::trace::{ChainId, FinalVerdict, Packet, RuleRef, TraceIndex};

use super::bdd::{Bdd, Literals};
use super::cube::Cube;
use super::universe::Universe;
use super::walk::{Done, RuleKey};

/// Whether a class's fate holds whatever the undecidable matches do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, serde::Serialize)]
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
#[derive(Debug, Clone, Default, serde::Serialize)]
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

/// Most pieces the deciding rules of overlapping same-verdict fates are told apart into;
/// beyond, a piece lists every rule that decides some of its packets.
const MAX_PIECES: usize = 256;

/// The union of regions and the packets in more than one of them, by halves (a running
/// union grew large early and made every later operation slow).
fn union_and_overlap(u: &Universe, rs: &[&Bdd]) -> (Bdd, Bdd) {
    match rs {
        [] => (u.f(), u.f()),
        [r] => ((*r).clone(), u.f()),
        _ => {
            let (a, b) = rs.split_at(rs.len() / 2);
            let (ua, ma) = union_and_overlap(u, a);
            let (ub, mb) = union_and_overlap(u, b);
            let both = ua.and(&ub);
            (ua.or(&ub), ma.or(&mb).or(&both))
        }
    }
}

/// The non-empty ones of `r ∧ ¬by` (tagged `false`) and `r ∧ by` (tagged `true`), in that
/// order; a region wholly on one side is kept as it is, without building anything.
fn split_by(r: &Bdd, by: &Bdd) -> Vec<(Bdd, bool)> {
    if r.is_false() {
        return Vec::new();
    }
    if !r.intersects(by) {
        return vec![(r.clone(), false)];
    }
    if r.is_subset(by) {
        return vec![(r.clone(), true)];
    }
    vec![(r.and_not(by), false), (r.and(by), true)]
}

/// The union of regions, by halves.
pub(crate) fn union_of(u: &Universe, rs: &[Bdd]) -> Bdd {
    match rs {
        [] => u.f(),
        [r] => r.clone(),
        _ => {
            let (a, b) = rs.split_at(rs.len() / 2);
            union_of(u, a).or(&union_of(u, b))
        }
    }
}

/// Groups finished flows by fate. A packet with one possible verdict is in a *must* class
/// whose deciding rules are every rule that decides it in some order of equal-priority
/// chains (or under some undecidable match); a packet with several possible verdicts is in
/// one *may* class per verdict.
pub(crate) fn classify(u: &Universe, done: Vec<Done>) -> Vec<RawClass> {
    type Key = (FinalVerdict, Vec<RuleKey>);
    type ClassKey = (FinalVerdict, Vec<RuleKey>, Certainty);
    // Regions of one fate, united by halves once all are known (a running union grew
    // large early and made every later operation slow).
    let mut pending: BTreeMap<Key, (Vec<Bdd>, BTreeSet<String>)> = BTreeMap::new();
    for d in done {
        let e = pending.entry((d.verdict, d.deciding)).or_default();
        e.0.push(d.flow.region);
        e.1.extend(d.flow.reasons);
    }
    let by_fate: BTreeMap<Key, (Bdd, BTreeSet<String>)> = pending
        .into_iter()
        .map(|(k, (rs, why))| (k, (union_of(u, &rs), why)))
        .collect();
    // Per verdict, the packets it reaches and those it reaches through more than one fate.
    let reach = |v: FinalVerdict| {
        let rs: Vec<&Bdd> = by_fate
            .iter()
            .filter(|(k, _)| k.0 == v)
            .map(|(_, (r, _))| r)
            .collect();
        union_and_overlap(u, &rs)
    };
    let (accepted, accepted_multi) = reach(FinalVerdict::Accept);
    let (dropped, dropped_multi) = reach(FinalVerdict::Drop);
    // Packets that may be accepted and may be dropped.
    let open = accepted.and(&dropped);
    let mut classes: BTreeMap<ClassKey, (Vec<Bdd>, BTreeSet<String>)> = BTreeMap::new();
    let mut add = |v: FinalVerdict, deciding: Vec<RuleKey>, r: &Bdd, why: &BTreeSet<String>| {
        for (part, in_open) in split_by(r, &open) {
            let certainty = if in_open {
                Certainty::May
            } else {
                Certainty::Must
            };
            let e = classes.entry((v, deciding.clone(), certainty)).or_default();
            e.0.push(part);
            if certainty == Certainty::May || deciding.len() > 1 {
                e.1.extend(why.iter().cloned());
            }
        }
    };
    for v in [FinalVerdict::Accept, FinalVerdict::Drop] {
        let keys: Vec<(&Key, &(Bdd, BTreeSet<String>))> =
            by_fate.iter().filter(|(k, _)| k.0 == v).collect();
        // Packets this verdict reaches through more than one fate.
        let multi = match v {
            FinalVerdict::Accept => &accepted_multi,
            _ => &dropped_multi,
        };
        let mut shared: Vec<(&Key, Bdd, &BTreeSet<String>)> = Vec::new();
        for (k, (r, why)) in &keys {
            for (part, in_multi) in split_by(r, multi) {
                if in_multi {
                    shared.push((k, part, why));
                } else {
                    add(v, k.1.clone(), &part, why);
                }
            }
        }
        if shared.is_empty() {
            continue;
        }
        // Split the shared packets by the set of fates they can have.
        // Each piece carries literals all its packets have, and each fate its own: a clash
        // between them settles most disjointness tests without walking the diagrams.
        let fate_lits: Vec<Literals> = shared
            .iter()
            .map(|(_, r, _)| r.implied_literals())
            .collect();
        let mut pieces: Vec<(Bdd, Vec<usize>, Literals)> =
            vec![(multi.clone(), Vec::new(), multi.implied_literals())];
        for (i, (_, r, _)) in shared.iter().enumerate() {
            let r_lits = &fate_lits[i];
            let mut next = Vec::with_capacity(pieces.len() + 1);
            for (p, ks, lits) in pieces {
                if lits.contradicts(r_lits) || !p.intersects(r) {
                    next.push((p, ks, lits));
                    continue;
                }
                let mut with = ks.clone();
                with.push(i);
                if next.len() >= MAX_PIECES || p.is_subset(r) {
                    next.push((p, with, lits));
                    continue;
                }
                let both = lits.with(r_lits);
                next.push((p.and(r), with, both));
                next.push((p.and_not(r), ks, lits));
            }
            pieces = next;
        }
        for (p, ks, _) in pieces {
            let mut deciding: Vec<RuleKey> = Vec::new();
            let mut why = BTreeSet::new();
            for &i in &ks {
                for d in &shared[i].0 .1 {
                    if !deciding.contains(d) {
                        deciding.push(*d);
                    }
                }
                why.extend(shared[i].2.iter().cloned());
            }
            add(v, deciding, &p, &why);
        }
    }
    classes
        .into_iter()
        .map(
            |((verdict, deciding, certainty), (regions, reasons))| RawClass {
                region: union_of(u, &regions),
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
