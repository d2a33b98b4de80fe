//! Node findings: mixed backends, stale dispatch chains, Felix backend detection, pids headroom.
//!
//! [`diagnose`] takes a merged ruleset of both backends and the node facts a run could gather
//! ([`NodeFacts`]: save-output line counts, interface names, cgroup pids figures, versions) and
//! returns a [`DoctorReport`]: findings with an id, a severity, a summary, evidence and advice.
//! Nothing here reads the system; the CLI (live or snapshot) supplies the facts.

mod diagnose;
mod dispatch_fate;
mod equal_priority;
mod felix;
mod finding;
mod mixed_backends;
mod node;
mod pids;
mod report;
mod shadowed;
mod space_witness;
mod stale_dispatch;
mod unreferenced;
mod witness;

pub use diagnose::{diagnose, DoctorOptions};
pub use dispatch_fate::{
    dispatch_roots, is_dispatch, DispatchFate, DispatchProbe, DispatchRoot, PodDirection,
    UNKNOWN_INTERFACE,
};
pub use felix::{detect, felix_inputs, Detector, DetectorInputs, FelixDetection};
pub use finding::{Finding, FindingId, Severity, FINDING_IDS};
pub use node::{
    save_command_name, NodeFacts, NodeRoute, PidsFigures, SaveCounts, SaveOutput, SaveResult,
    ToolVersion, HINT_CHAINS,
};
pub use report::{DoctorReport, TableRules};
pub use space_witness::SpaceWitnessSearch;
pub use stale_dispatch::DispatchDrop;
pub use witness::{
    trace_args, TracerWitnessSearch, Witness, WitnessOutcome, WitnessQuery, WitnessSearch,
    WitnessSearchKind, WitnessSource,
};
