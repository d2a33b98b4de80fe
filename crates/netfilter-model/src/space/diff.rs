//! Semantic diff: both rulesets over one variable universe; the packets whose verdict (or,
//! by rule, whose deciding rule) differs, class by class, each with a witness.

use crate::model::Ruleset;
use crate::trace::{FinalVerdict, Packet, RuleRef};

use super::analysis::{Analysis, Fate};
use super::cube::{cubes_of, Cube};
use super::error::SpaceError;
use super::partition::{class_sets, Certainty, MAX_PATHS};
use super::query::SpaceQuery;
use super::witness::witness;

/// One side's fate of a differing class.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Side {
    /// The verdict.
    pub verdict: FinalVerdict,
    /// The deciding rule (empty when no base chain saw the packets).
    pub deciding: Vec<RuleRef>,
    /// Whether this side's fate holds whatever the undecidable matches do.
    pub certainty: Certainty,
    /// For a may fate: why.
    pub reasons: Vec<String>,
}

/// Packets whose fate differs between the two rulesets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClassDiff {
    /// The packets, as cubes.
    pub cubes: Vec<Cube>,
    /// Cubes not listed.
    pub omitted_cubes: usize,
    /// The fate in the old ruleset.
    pub old: Side,
    /// The fate in the new ruleset.
    pub new: Side,
    /// `Must` when both sides' fates are certain: the difference is proven.
    pub certainty: Certainty,
    /// One packet of the class.
    pub witness: Packet,
}

/// The result of a semantic diff.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SemanticDiff {
    /// The differing classes, proven ones first.
    pub classes: Vec<ClassDiff>,
    /// What the analysis did not look at or assumed.
    pub notes: Vec<String>,
}

impl SemanticDiff {
    /// Whether no packet of the query may be treated differently.
    pub fn is_equivalent(&self) -> bool {
        self.classes.is_empty()
    }

    /// Whether some packet is proven to be treated differently.
    pub fn proven_different(&self) -> bool {
        self.classes.iter().any(|c| c.certainty == Certainty::Must)
    }
}

/// Whether two deciding rules are the same rule: same table, chain and rule text (the
/// backend and position may differ between listings of the same ruleset).
fn same_rule(a: &Option<RuleRef>, b: &Option<RuleRef>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.family == y.family
                && x.table == y.table
                && x.chain == y.chain
                && x.policy == y.policy
                && x.rule == y.rule
        }
        _ => false,
    }
}

/// Compares the fates of every packet of the query in `old` and `new`. With `by_rule`, a
/// packet also differs when its deciding rule does.
pub fn semantic_diff(
    old: &Ruleset,
    new: &Ruleset,
    q: &SpaceQuery,
    by_rule: bool,
) -> Result<SemanticDiff, SpaceError> {
    let a = Analysis::new(&[old, new], q);
    let f0 = a.fates(0, q)?;
    let f1 = a.fates(1, q)?;
    let c0 = class_sets(&a, &f0);
    let c1 = class_sets(&a, &f1);
    let side = |fate: &Fate, certainty: Certainty, reasons: &[String]| Side {
        verdict: fate.verdict,
        deciding: fate.decider.map(|k| a.rule_ref(k)).into_iter().collect(),
        certainty,
        reasons: reasons.to_vec(),
    };
    let mut classes = Vec::new();
    for x in &c0 {
        for y in &c1 {
            let rx = x.fate.decider.map(|k| a.rule_ref(k));
            let ry = y.fate.decider.map(|k| a.rule_ref(k));
            let differs = x.fate.verdict != y.fate.verdict || (by_rule && !same_rule(&rx, &ry));
            if !differs {
                continue;
            }
            let both = x.set.and(&y.set);
            let Some(w) = witness(&a.u, &both, q) else {
                continue;
            };
            let (cubes, omitted_cubes) = cubes_of(&a.u, &both, MAX_PATHS);
            let certainty = if x.certainty == Certainty::Must && y.certainty == Certainty::Must {
                Certainty::Must
            } else {
                Certainty::May
            };
            classes.push(ClassDiff {
                cubes,
                omitted_cubes,
                old: side(&x.fate, x.certainty, &x.reasons),
                new: side(&y.fate, y.certainty, &y.reasons),
                certainty,
                witness: w,
            });
        }
    }
    classes.sort_by_key(|c| c.certainty);
    let mut notes = f0.notes;
    notes.extend(f1.notes);
    notes.sort();
    notes.dedup();
    Ok(SemanticDiff { classes, notes })
}
