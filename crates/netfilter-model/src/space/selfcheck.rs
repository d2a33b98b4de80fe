//! Self-check: every *must* class's witness traced by the concrete tracer must get the
//! class's verdict.

use crate::model::Ruleset;
use crate::trace::{FinalVerdict, Packet, TraceIndex, TraceOptions};

use super::classes::{Certainty, Partition};
use super::error::SpaceError;

/// A class whose witness the concrete tracer does not give the claimed verdict.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SelfCheckFailure {
    /// Index of the class in the partition.
    pub class: usize,
    /// The witness traced.
    pub witness: Packet,
    /// The class's verdict.
    pub claimed: FinalVerdict,
    /// The tracer's verdict.
    pub traced: FinalVerdict,
}

/// Traces the witness of every *must* class; returns the classes the tracer disagrees with
/// (when the tracer itself is uncertain, any of its possible verdicts counts as agreement).
pub fn self_check(rs: &Ruleset, p: &Partition) -> Result<Vec<SelfCheckFailure>, SpaceError> {
    let idx = TraceIndex::new(rs);
    let opts = TraceOptions::default();
    let mut out = Vec::new();
    for (i, c) in p.classes.iter().enumerate() {
        if c.certainty != Certainty::Must {
            continue;
        }
        let r = idx.trace(&c.witness, &opts)?;
        let agrees = r.verdict == c.verdict
            || (r.uncertain && r.alternatives.iter().any(|a| a.verdict == c.verdict));
        if !agrees {
            out.push(SelfCheckFailure {
                class: i,
                witness: c.witness.clone(),
                claimed: c.verdict,
                traced: r.verdict,
            });
        }
    }
    Ok(out)
}
