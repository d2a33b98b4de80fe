//! The self-check: every must class's witness, traced by the concrete tracer, must get the
//! class's verdict and deciding rule.

use crate::model::Ruleset;
use crate::trace::{FinalVerdict, RuleRef, TraceIndex, TraceOptions, TraceReport};

use super::error::SpaceError;
use super::partition::{partition, Certainty, PacketClass};
use super::query::SpaceQuery;

/// A class whose witness the tracer gives another fate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SelfCheckFailure {
    /// The class.
    pub class: PacketClass,
    /// The tracer's verdict for the witness.
    pub traced_verdict: FinalVerdict,
    /// The tracer's deciding rule.
    pub traced_by: Option<RuleRef>,
}

/// Whether the tracer's report allows the class's fate: its primary outcome, or (when the
/// tracer itself is unsure or the order of equal-priority chains matters) an alternative.
fn agrees(c: &PacketClass, r: &TraceReport) -> bool {
    let want = c.deciding.first();
    if r.verdict == c.verdict && r.decided_by.as_ref() == want {
        return true;
    }
    (r.uncertain || r.order_dependent)
        && r.alternatives
            .iter()
            .any(|a| a.verdict == c.verdict && a.decided_by.as_ref() == want)
}

/// Partitions the query's space and traces each must class's witness; returns the classes
/// the tracer disagrees with (none when the engine and the tracer agree), and how many
/// classes were checked.
pub fn self_check(
    rs: &Ruleset,
    q: &SpaceQuery,
) -> Result<(Vec<SelfCheckFailure>, usize), SpaceError> {
    let p = partition(rs, q)?;
    let idx = TraceIndex::new(rs);
    let opts = TraceOptions::default();
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for c in p.classes {
        if c.certainty != Certainty::Must {
            continue;
        }
        checked += 1;
        let r = idx.trace(&c.witness, &opts)?;
        if !agrees(&c, &r) {
            failures.push(SelfCheckFailure {
                traced_verdict: r.verdict,
                traced_by: r.decided_by.clone(),
                class: c,
            });
        }
    }
    Ok((failures, checked))
}
