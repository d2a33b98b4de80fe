//! Errors of the packet-space analysis.

/// Why a packet-space analysis could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpaceError {
    /// The query asks for something the engine cannot analyse.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A chain jumps (directly or not) to a chain already on the call stack.
    #[error("jump cycle: {}: these chains call each other in a loop", path.join(" -> "))]
    JumpCycle {
        /// The chains of the cycle, `backend family table chain`, the repeated one last.
        path: Vec<String>,
    },
    /// Chains nest deeper than the engine follows.
    #[error("chains nest deeper than {limit} levels at {chain}")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// The chain reached at the limit.
        chain: String,
    },
    /// The packets split into more differently-treated groups than the engine keeps.
    #[error("{flows} differently treated packet groups at {chain}: more than the analysis keeps")]
    TooComplex {
        /// Groups at that point.
        flows: usize,
        /// The chain.
        chain: String,
    },
    /// The concrete tracer failed (self-check).
    #[error("{0}")]
    Trace(#[from] crate::trace::TraceError),
}
