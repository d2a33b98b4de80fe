//! The fleet report: configurations (groups of nodes with equal fingerprints), the majority,
//! how every other configuration differs from it chain by chain, and the nodes with findings.

use crate::doctor::Severity;
use crate::model::{Backend, Family};

use super::fingerprint::{BackendSummary, ChainKind, FindingBrief};

/// How a chain of a configuration differs from the majority's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaStatus {
    /// Only this configuration has it.
    Added,
    /// Only the majority has it.
    Removed,
    /// Both have it, with different contents.
    Changed,
    /// Only this configuration has it in this backend, and only the majority has it, with the
    /// same content, in [`ChainDelta::moved_from`].
    Moved,
}

impl DeltaStatus {
    /// `added`, `removed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeltaStatus::Added => "added",
            DeltaStatus::Removed => "removed",
            DeltaStatus::Changed => "changed",
            DeltaStatus::Moved => "moved",
        }
    }
}

/// One chain (or set) that differs from the majority. Rule counts are of abstracted rule shapes
/// (a run of per-endpoint rules counts once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainDelta {
    /// Backend.
    pub backend: Backend,
    /// Family.
    pub family: Family,
    /// Table.
    pub table: String,
    /// Chain or set.
    pub kind: ChainKind,
    /// Abstracted name.
    pub name: String,
    /// What differs.
    pub status: DeltaStatus,
    /// Rule shapes only this configuration has.
    pub added: usize,
    /// Rule shapes only the majority has.
    pub removed: usize,
    /// Rule shapes replaced by another at the same place.
    pub changed: usize,
    /// Whether the base-chain attachment (hook, priority, policy) or set type differs.
    pub base_changed: bool,
    /// For [`DeltaStatus::Moved`]: the backend the majority has it in.
    pub moved_from: Option<Backend>,
}

/// A configuration: nodes whose fingerprints are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigGroup {
    /// 1-based number, largest configuration first.
    pub number: usize,
    /// Hash of the configuration (XXH3-64 of its chain keys and hashes), 16 hex digits.
    pub config: String,
    /// Its nodes, by name.
    pub nodes: Vec<String>,
    /// Backends with chains in it.
    pub backends: Vec<Backend>,
    /// Chain and set entries of its fingerprint.
    pub chains: usize,
    /// How it differs from the majority (empty for the majority).
    pub differences: Vec<ChainDelta>,
}

/// A node outside the majority configuration, or with a warning or critical finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeReport {
    /// Node name.
    pub node: String,
    /// The input it was read from.
    pub source: String,
    /// Its configuration's number ([`ConfigGroup::number`]).
    pub group: usize,
    /// Distinct pod interface names its rules name.
    pub endpoints: usize,
    /// Sizes per backend.
    pub backends: Vec<BackendSummary>,
    /// Its doctor findings, worst first.
    pub findings: Vec<FindingBrief>,
}

impl NodeReport {
    /// The worst severity among its findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// An input that could not be read, and why; the run went on without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSource {
    /// The input's name (file, or tar member).
    pub source: String,
    /// The error.
    pub error: String,
}

/// What [`super::Fleet::report`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetReport {
    /// Nodes read.
    pub nodes: usize,
    /// Configurations, largest first (ties: by their first node's name); the first is the
    /// majority.
    pub groups: Vec<ConfigGroup>,
    /// Nodes outside the majority or with warning or critical findings: worst finding first,
    /// then by name.
    pub outliers: Vec<NodeReport>,
    /// Nodes of any configuration with info findings only or none: their count.
    pub healthy: usize,
    /// Inputs skipped, in input order.
    pub skipped: Vec<SkippedSource>,
}

impl FleetReport {
    /// The majority configuration, if any node was read.
    pub fn majority(&self) -> Option<&ConfigGroup> {
        self.groups.first()
    }

    /// Nodes with a critical finding.
    pub fn critical_nodes(&self) -> Vec<&NodeReport> {
        self.outliers
            .iter()
            .filter(|n| n.worst() == Some(Severity::Critical))
            .collect()
    }

    /// Whether any node has a critical finding.
    pub fn has_critical(&self) -> bool {
        !self.critical_nodes().is_empty()
    }

    /// The configuration with this number.
    pub fn group(&self, number: usize) -> Option<&ConfigGroup> {
        self.groups.iter().find(|g| g.number == number)
    }
}
