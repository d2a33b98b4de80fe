//! Chain-level diff of two rulesets: matching, rule hunks, sets, objects and a summary.

mod chains;
mod engine;
pub(crate) mod fasthash;
mod hunks;
mod keys;
mod lossy;
mod options;
mod report;
mod rules;
mod sets;
mod summary;

pub use engine::diff_rulesets;
pub use hunks::{hunks, Hunk};
pub use options::DiffOptions;
pub use report::{
    ChainDiff, ChainField, Change, DiffStatus, DiffSummary, ObjectDiff, OwnerCounts, RuleCounts,
    RuleOp, RuleOpKind, RulesetDiff, SetDiff, SetField, StatusCounts,
};
pub use summary::{owner_of, OWNERS};
