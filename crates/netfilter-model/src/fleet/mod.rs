//! Fleet analysis: per-node fingerprints of both backends, nodes grouped by configuration, and
//! how every node outside the majority differs from it, with each node's doctor findings.
//!
//! [`fingerprint_node`] (or [`fingerprint_snapshot`], [`fingerprint_of_snapshot`]) turns one
//! node into a [`NodeFingerprint`], kilobytes whatever the ruleset's size (the wire type of
//! `nfdiff serve`'s `/fingerprint`: [`NodeFingerprint::to_json`]); a [`Fleet`] takes
//! fingerprints one at a time and [`Fleet::report`] groups them. Nothing here reads files: the
//! caller streams its inputs node by node.

pub mod abstraction;
mod fingerprint;
mod group;
mod report;

pub use fingerprint::{
    fingerprint_node, fingerprint_of_snapshot, fingerprint_snapshot, is_fingerprint,
    parse_fingerprints, BackendSummary, ChainFingerprint, ChainKey, ChainKind, FindingBrief,
    FingerprintOptions, FingerprintStream, NodeFingerprint, FINGERPRINT_VERSION,
};
pub use group::{chain_deltas, Fleet};
pub use report::{ChainDelta, ConfigGroup, DeltaStatus, FleetReport, NodeReport, SkippedSource};
