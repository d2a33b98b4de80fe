//! The packet tracer: which rule, in which backend, decides a packet's fate.
//!
//! Semantics follow DESIGN.md ("Tracing semantics"): hooks in kernel order, every base chain
//! of every table of both backends by priority, equal priorities in every order that matters,
//! accept ending only the base chain, drop final, three-valued matching, interface classes.

mod apply_verdict;
mod assumptions;
mod course;
mod error;
mod eval;
mod ifclass;
mod matching;
mod nat;
mod natcore;
mod natmap;
mod noct;
mod node_facts;
mod options;
mod outcome;
mod packet;
mod packet_check;
mod path;
mod prefilter;
mod reach;
mod registration;
mod report;
mod route;
mod schedule;
pub(crate) mod sets;
mod stateful;
mod step_detail;
mod verbatim;
mod vmap;
mod xt;

pub use error::TraceError;
pub use ifclass::{iface_classes, IfaceClass, IFNAME_MAX};
pub use matching::Truth;
pub use node_facts::{LocalAddrSpec, LocalAddrs};
pub use options::TraceOptions;
pub use outcome::{NatEndpoint, NatResult};
pub use packet::Packet;
pub use path::TracePath;
pub use report::{
    Alternative, Assumption, ChainRef, ClassTrace, FinalVerdict, Overruled, PacketFact,
    ReachReport, RuleRef, Step, StepEvent, TraceReport,
};
pub use schedule::{TraceIndex, MAX_FULL_PERMUTATION};
pub use step_detail::{NatChange, NatRewrite, SkipReason, StepDetail, UserSpaceDecider};

// For the packet-space engine, which follows the same semantics over sets of packets.
pub(crate) use ifclass::{classes_from_literals, literals};
pub(crate) use noct::reads_conntrack;
pub(crate) use schedule::ChainId;
pub(crate) use sets::{Atom, ParsedSet};
pub(crate) use stateful::stateful_truth;
pub(crate) use vmap::{parse_verdict, VKey, VmapSpec};
pub(crate) use xt::{xt_effect, XtEffect};

use crate::model::{IfacePattern, Ruleset};

/// Traces one packet through a ruleset (indexing it first; use [`TraceIndex`] for many packets).
///
/// A match the dumps cannot decide (an ipset member, `-m statistic`, a lossy part) is *maybe*:
/// the primary course (`verdict`, `decided_by`) assumes it holds, every other assumption is
/// followed too, and the outcomes that differ are in `alternatives` with `uncertain` set
/// ([`TraceReport::is_certain`] is `false`). `assumptions` lists what was assumed.
pub fn trace(rs: &Ruleset, pkt: &Packet, opts: &TraceOptions) -> Result<TraceReport, TraceError> {
    TraceIndex::new(rs).trace(pkt, opts)
}

/// Traces a packet once per interface-name class of the input-interface pattern.
///
/// Each class's trace follows [`trace`]'s rule for undecidable matches: assumed to hold on
/// the primary course, the other outcomes listed as alternatives.
pub fn reach(
    rs: &Ruleset,
    pattern: &IfacePattern,
    base: &Packet,
    opts: &TraceOptions,
) -> Result<ReachReport, TraceError> {
    TraceIndex::new(rs).reach(pattern, base, opts)
}
