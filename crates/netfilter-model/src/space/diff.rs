//! Semantic diff: two rulesets over one shared universe; the packets whose fate differs.

use std::collections::BTreeMap;

use crate::model::Ruleset;
use crate::trace::{FinalVerdict, Packet, RuleRef, TraceIndex};

use super::analysis::{describe, universe_for};
use super::bdd::Bdd;
use super::classes::{classify, rule_ref, union_of, Certainty, RawClass};
use super::cube::Cube;
use super::engine::{effective_path, query_region, run};
use super::error::SpaceError;
use super::query::SpaceQuery;
use super::universe::Universe;
use super::walk::Done;

/// A packet's fate on one side.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub struct Fate {
    /// The verdict.
    pub verdict: FinalVerdict,
    /// The deciding rules.
    pub deciding: Vec<RuleRef>,
    /// Must or may.
    pub certainty: Certainty,
}

/// Packets whose fate differs, with one fate on each side.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct ClassDiff {
    /// The packets, as cubes.
    pub cubes: Vec<Cube>,
    /// Whether more cubes than shown make up the class.
    pub cubes_truncated: bool,
    /// A packet of the class.
    pub witness: Packet,
    /// Its fate in the old ruleset.
    pub old: Fate,
    /// Its fate in the new ruleset.
    pub new: Fate,
}

/// The result of a semantic diff.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[non_exhaustive]
pub struct SemanticDiff {
    /// The classes whose fate differs.
    pub differences: Vec<ClassDiff>,
    /// Whether either side has *may* classes: equivalence then holds up to the matches the
    /// engine cannot decide.
    pub uncertain: bool,
}

impl SemanticDiff {
    /// Whether no packet's fate differs.
    pub fn is_equivalent(&self) -> bool {
        self.differences.is_empty()
    }
}

/// A class with what the diff compares of it.
type Keyed = (RawClass, (FinalVerdict, Vec<String>));

/// What is compared: the verdict, or the verdict and the deciding rules (by place and text,
/// not by index, so inserting an unrelated rule does not count).
fn key(c: &RawClass, idx: &TraceIndex<'_>, by_rule: bool) -> (FinalVerdict, Vec<String>) {
    let rules = if by_rule {
        c.deciding
            .iter()
            .map(|&k| {
                let r = rule_ref(idx, k);
                format!(
                    "{} {} {} {} {}",
                    r.backend, r.family, r.table, r.chain, r.rule
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    (c.verdict, rules)
}

/// The packets some finished flow accepts and those some finished flow drops.
///
/// Every packet of the query ends in some finished flow, so the verdict with fewer flows is
/// united by halves and the other is the rest of the query's packets plus those of its
/// flows that meet the first: uniting thousands of kube-proxy DNAT flows by halves built
/// large intermediate unions (1.4 s of a 10k-rule diff) for a result of 1,566 nodes.
fn verdict_regions(u: &Universe, q: &SpaceQuery, done: &[Done]) -> Result<(Bdd, Bdd), SpaceError> {
    let of = |v: FinalVerdict| -> Vec<&Bdd> {
        done.iter()
            .filter(|x| x.verdict == v)
            .map(|x| &x.flow.region)
            .collect()
    };
    let (acc, drop) = (of(FinalVerdict::Accept), of(FinalVerdict::Drop));
    let swap = acc.len() < drop.len();
    let (few, many) = if swap { (acc, drop) } else { (drop, acc) };
    let few_u = union_of(u, &few.into_iter().cloned().collect::<Vec<_>>());
    let query = query_region(u, q, false)?.or(&query_region(u, q, true)?);
    let meeting: Vec<Bdd> = many
        .into_iter()
        .filter(|r| r.intersects(&few_u))
        .map(|r| r.and(&few_u))
        .collect();
    let many_u = query.and_not(&few_u).or(&union_of(u, &meeting));
    debug_assert_eq!(
        many_u,
        union_of(
            u,
            &done
                .iter()
                .filter(|x| (x.verdict == FinalVerdict::Accept) != swap)
                .map(|x| x.flow.region.clone())
                .collect::<Vec<_>>()
        ),
        "every packet of the query ends in some finished flow"
    );
    Ok(if swap {
        (few_u, many_u)
    } else {
        (many_u, few_u)
    })
}

/// Where each side's possible fates differ.
fn delta(u: &Universe, old: &[Keyed], new: &[Keyed]) -> Bdd {
    let mut by_key: BTreeMap<&(FinalVerdict, Vec<String>), (Bdd, Bdd)> = BTreeMap::new();
    for (c, k) in old {
        let e = by_key.entry(k).or_insert_with(|| (u.f(), u.f()));
        e.0 = e.0.or(&c.region);
    }
    for (c, k) in new {
        let e = by_key.entry(k).or_insert_with(|| (u.f(), u.f()));
        e.1 = e.1.or(&c.region);
    }
    by_key.values().fold(u.f(), |acc, (a, b)| acc.or(&a.xor(b)))
}

/// Compares two rulesets over the query's packets: the classes whose verdict differs (with
/// `by_rule`, whose deciding rules differ too), each with a witness and both fates.
pub fn semantic_diff(
    old: &Ruleset,
    new: &Ruleset,
    q: &SpaceQuery,
    by_rule: bool,
) -> Result<SemanticDiff, SpaceError> {
    let (io, inew) = (TraceIndex::new(old), TraceIndex::new(new));
    // One universe per side (the same layout): the two rulesets are walked at once on two
    // threads, each in its own manager, and what is compared is moved into the old side's.
    // A manager shared by both threads spent about as long in contention as it saved.
    let u = universe_for(&[&io, &inew], q);
    let un = universe_for(&[&io, &inew], q);
    let path = effective_path(q)?;
    let (done_old, done_new) = std::thread::scope(|s| {
        let old = s.spawn(|| run(&u, &io, q));
        let new = run(&un, &inew, q);
        (old.join(), new)
    });
    let done_old = match done_old {
        Ok(r) => r?,
        Err(p) => std::panic::resume_unwind(p),
    };
    let done_new = done_new?;
    let keyed = |u: &Universe, done: Vec<Done>, idx: &TraceIndex<'_>| -> Vec<Keyed> {
        classify(u, done)
            .into_iter()
            .map(|c| {
                let k = key(&c, idx, by_rule);
                (c, k)
            })
            .collect()
    };
    // The new side's classes, in the old side's manager.
    let moved = |nc: Vec<Keyed>| -> Vec<Keyed> {
        nc.into_iter()
            .map(|(mut c, k)| {
                c.region = c.region.transfer(&u.vars);
                (c, k)
            })
            .collect()
    };
    let (oc, nc, uncertain, d) = if by_rule {
        let (oc, nc) = std::thread::scope(|s| {
            let old = s.spawn(|| keyed(&u, done_old, &io));
            let new = keyed(&un, done_new, &inew);
            (old.join(), new)
        });
        let oc = oc.unwrap_or_else(|p| std::panic::resume_unwind(p));
        let nc = moved(nc);
        let uncertain = oc
            .iter()
            .chain(&nc)
            .any(|(c, _)| c.certainty == Certainty::May);
        let d = delta(&u, &oc, &nc);
        (oc, nc, uncertain, d)
    } else {
        // Comparing verdicts needs only each verdict's packets: the classes are worked out
        // only where those differ (none when the rulesets are equivalent).
        let (ao, dro) = verdict_regions(&u, q, &done_old)?;
        let (an, drn) = verdict_regions(&un, q, &done_new)?;
        // A class is *may* exactly where a packet may be accepted and may be dropped.
        let uncertain = !ao.and(&dro).is_false() || !an.and(&drn).is_false();
        let (an, drn) = (an.transfer(&u.vars), drn.transfer(&u.vars));
        let d = ao.xor(&an).or(&dro.xor(&drn));
        if d.is_false() {
            return Ok(SemanticDiff {
                differences: Vec::new(),
                uncertain,
            });
        }
        let within = |done: Vec<Done>, d: &Bdd| -> Vec<Done> {
            done.into_iter()
                .filter_map(|mut x| {
                    x.flow.region = x.flow.region.and(d);
                    (!x.flow.region.is_false()).then_some(x)
                })
                .collect()
        };
        let d_new = d.transfer(&un.vars);
        let oc = keyed(&u, within(done_old, &d), &io);
        let nc = moved(keyed(&un, within(done_new, &d_new), &inew));
        (oc, nc, uncertain, d)
    };
    let mut differences = Vec::new();
    if !d.is_false() {
        for (a, ka) in &oc {
            let ra = a.region.and(&d);
            if ra.is_false() {
                continue;
            }
            for (b, kb) in &nc {
                if ka == kb {
                    continue;
                }
                let r = ra.and(&b.region);
                if r.is_false() {
                    continue;
                }
                let (cubes, cubes_truncated, w) = describe(&u, &r, q, path);
                let Some(witness) = w else { continue };
                let fate = |c: &RawClass, idx: &TraceIndex<'_>| Fate {
                    verdict: c.verdict,
                    deciding: c.deciding.iter().map(|&k| rule_ref(idx, k)).collect(),
                    certainty: c.certainty,
                };
                differences.push(ClassDiff {
                    cubes,
                    cubes_truncated,
                    witness,
                    old: fate(a, &io),
                    new: fate(b, &inew),
                });
            }
        }
    }
    differences.sort_by(|a, b| (&a.old, &a.new).cmp(&(&b.old, &b.new)));
    Ok(SemanticDiff {
        differences,
        uncertain,
    })
}
