//! Errors of the tracer: bad queries, jump cycles, work limits.

/// Why a trace could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The query is not a packet the tracer can follow.
    #[error("invalid packet: {0}")]
    InvalidPacket(String),
    /// A named set or map holds an element that is not a value of its type: the tracer
    /// cannot say what it matches, and does not assume.
    #[error("set `{set}` of {table}: element `{element}` is malformed ({reason})")]
    MalformedSetElement {
        /// `backend family table` of the set.
        table: String,
        /// The set's name.
        set: String,
        /// The element as written.
        element: String,
        /// What was expected.
        reason: String,
    },
    /// A chain jumps (directly or not) to a chain already on the call stack.
    #[error(
        "jump cycle: {}: these chains call each other in a loop, which the kernel refuses to \
         load, so no verdict can be traced",
        path.join(" -> ")
    )]
    JumpCycle {
        /// The chains of the cycle, `backend family table chain`, the repeated one last.
        path: Vec<String>,
    },
    /// The call stack grew deeper than the limit.
    #[error(
        "jumps nested more than {limit} chains deep (at {chain}); the tracer stops there \
         (nf_tables itself refuses more than 16 nested jumps)"
    )]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where the limit was hit.
        chain: String,
    },
    /// The trace evaluated more rules than its budget allows (a goto loop, or a huge ruleset).
    #[error("trace stopped after {budget} rule evaluations (a goto loop?) in {chain}")]
    BudgetExceeded {
        /// The budget.
        budget: u64,
        /// Where it ran out.
        chain: String,
    },
}
