//! The partition of a query's packet space into classes of equal fate: verdict, deciding
//! rule, and whether the engine can claim it for every packet of the class (*must*) or
//! only for some values of what it cannot decide (*may*).

use biodivine_lib_bdd::Bdd;

use crate::model::Ruleset;
use crate::trace::{FinalVerdict, Packet, RuleRef};

use super::analysis::{Analysis, Fate, Fates};
use super::cube::{cubes_of, Cube};
use super::error::SpaceError;
use super::query::SpaceQuery;
use super::witness::witness;

/// Most BDD paths read per class for its cubes.
pub(crate) const MAX_PATHS: usize = 20_000;

/// Whether a class's fate holds whatever the engine could not decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Certainty {
    /// Every packet of the class has this fate, whatever the undecidable matches do.
    Must,
    /// Packets of the class have this fate for some outcomes of undecidable matches or
    /// unmodelled effects (the reasons say which); may classes can overlap.
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

/// One class of packets with one fate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacketClass {
    /// The class as a union of cubes (merged where possible).
    pub cubes: Vec<Cube>,
    /// Cubes not listed (a class with more BDD paths than the engine reads).
    pub omitted_cubes: usize,
    /// The verdict.
    pub verdict: FinalVerdict,
    /// The rule (or policy) that decided: the drop, or the accept the tracer would name;
    /// empty when no base chain saw the packets.
    pub deciding: Vec<RuleRef>,
    /// Must or may.
    pub certainty: Certainty,
    /// For a may class: why the engine cannot claim the fate for every packet.
    pub reasons: Vec<String>,
    /// One packet of the class.
    pub witness: Packet,
}

/// A query's packet space, class by class.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Partition {
    /// Must classes first (they are disjoint), then may classes.
    pub classes: Vec<PacketClass>,
    /// What the analysis did not look at or assumed.
    pub notes: Vec<String>,
}

/// A class before it is described: the fate, certainty, reasons and header-only set.
pub(crate) struct ClassSet {
    pub(crate) fate: Fate,
    pub(crate) certainty: Certainty,
    pub(crate) reasons: Vec<String>,
    pub(crate) set: Bdd,
}

/// Splits fates into must and may classes over the header variables.
pub(crate) fn class_sets(a: &Analysis<'_>, f: &Fates) -> Vec<ClassSet> {
    let u = &a.u;
    let oracles = u.oracles();
    let tainted = f
        .taints
        .iter()
        .fold(u.vars.mk_false(), |acc, (_, b)| acc.or(&b.exists(&oracles)));
    let mut must_out = Vec::new();
    let mut may_out = Vec::new();
    for (fate, r) in &f.outcomes {
        let must = r.for_all(&oracles).and_not(&tainted);
        let may = r.exists(&oracles).and_not(&must);
        if !must.is_false() {
            must_out.push(ClassSet {
                fate: *fate,
                certainty: Certainty::Must,
                reasons: Vec::new(),
                set: must,
            });
        }
        if !may.is_false() {
            let mut reasons: Vec<String> = Vec::new();
            for (why, b) in &f.taints {
                if !b.exists(&oracles).and(&may).is_false() {
                    reasons.push(why.clone());
                }
            }
            let support = r.support_set();
            let mut used: Vec<usize> = f.reasons.keys().copied().collect();
            used.sort();
            for i in used {
                let Some(v) = u.oracle(i) else { continue };
                if !support.contains(&v) {
                    continue;
                }
                let flips = r.var_restrict(v, true).xor(&r.var_restrict(v, false));
                if !flips.exists(&oracles).and(&may).is_false() {
                    if let Some(why) = f.reasons.get(&i) {
                        if !reasons.contains(why) {
                            reasons.push(why.clone());
                        }
                    }
                }
            }
            may_out.push(ClassSet {
                fate: *fate,
                certainty: Certainty::May,
                reasons,
                set: may,
            });
        }
    }
    must_out.extend(may_out);
    must_out
}

/// Describes a class: cubes, witness, deciding rule.
pub(crate) fn describe(a: &Analysis<'_>, c: &ClassSet, q: &SpaceQuery) -> Option<PacketClass> {
    let witness = witness(&a.u, &c.set, q)?;
    let (cubes, omitted_cubes) = cubes_of(&a.u, &c.set, MAX_PATHS);
    Some(PacketClass {
        cubes,
        omitted_cubes,
        verdict: c.fate.verdict,
        deciding: c.fate.decider.map(|k| a.rule_ref(k)).into_iter().collect(),
        certainty: c.certainty,
        reasons: c.reasons.clone(),
        witness,
    })
}

/// Partitions the query's packet space by fate in one ruleset (both backends, every table
/// it holds).
pub fn partition(rs: &Ruleset, q: &SpaceQuery) -> Result<Partition, SpaceError> {
    let a = Analysis::new(&[rs], q);
    let fates = a.fates(0, q)?;
    let classes = class_sets(&a, &fates)
        .iter()
        .filter_map(|c| describe(&a, c, q))
        .collect();
    Ok(Partition {
        classes,
        notes: fates.notes,
    })
}
