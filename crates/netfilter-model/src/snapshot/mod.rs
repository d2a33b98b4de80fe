//! Versioned capture of a node (both backends, save-output counts, links, versions) as one JSON file.

mod format;
mod read;

pub use format::{
    Snapshot, SnapshotAddr, SnapshotPids, SnapshotRuleset, SnapshotSave, SnapshotTablesNames,
    SnapshotVersion, MODEL_SCHEMA, SNAPSHOT_VERSION,
};
pub use read::{facts_from_snapshot, parse_snapshot, read_snapshot, snapshot_ruleset};
