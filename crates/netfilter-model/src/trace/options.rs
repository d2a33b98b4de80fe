//! Limits that keep a trace bounded, whatever the ruleset.

/// Work limits of one trace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceOptions {
    /// Rule evaluations allowed for one packet over all branches; beyond, the trace fails
    /// with [`TraceError::BudgetExceeded`](super::TraceError::BudgetExceeded).
    pub max_steps: u64,
    /// Deepest call stack of jumps allowed (the kernel's nf_tables limit is 16 nested jumps).
    pub max_depth: usize,
    /// Most branches (undecidable matches, equal-priority orders, the drop a queue or
    /// unknown target may do) followed; beyond, further undecidable matches are assumed to
    /// hold and a note says so. Every fork counts, also one later merged into an equal
    /// course.
    pub max_branches: usize,
}

impl Default for TraceOptions {
    fn default() -> TraceOptions {
        TraceOptions {
            max_steps: 2_000_000,
            max_depth: 64,
            max_branches: 256,
        }
    }
}

impl TraceOptions {
    /// Rule evaluations allowed for one packet over all branches.
    pub fn max_steps(mut self, n: u64) -> TraceOptions {
        self.max_steps = n;
        self
    }

    /// Deepest call stack of jumps allowed.
    pub fn max_depth(mut self, n: usize) -> TraceOptions {
        self.max_depth = n;
        self
    }

    /// Most branches followed.
    pub fn max_branches(mut self, n: usize) -> TraceOptions {
        self.max_branches = n;
        self
    }
}
