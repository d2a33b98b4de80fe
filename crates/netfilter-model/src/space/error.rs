//! Errors of the packet-space engine: bad queries, rulesets it cannot walk.

use crate::trace::TraceError;

/// Why a packet-space analysis could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpaceError {
    /// The query asks for something the engine cannot analyse.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A chain jumps (directly or not) to a chain already on the call stack.
    #[error(
        "jump cycle: {}: these chains call each other in a loop, which the kernel refuses to load",
        path.join(" -> ")
    )]
    JumpCycle {
        /// The chains of the cycle, `backend family table chain`, the repeated one last.
        path: Vec<String>,
    },
    /// Jumps nested deeper than the limit.
    #[error("jumps nested more than {limit} chains deep (at {chain})")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where the limit was hit.
        chain: String,
    },
    /// The concrete tracer (used for the self-check) failed.
    #[error(transparent)]
    Trace(#[from] TraceError),
}
