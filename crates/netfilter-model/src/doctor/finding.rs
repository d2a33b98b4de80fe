//! One doctor finding: id, severity, one-line summary, evidence, advice and an explanation.

use std::fmt;

use super::stale_dispatch::DispatchDrop;

/// How bad a finding is. Info findings are notes: they do not make a node unhealthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; not a fault by itself.
    Info,
    /// A fault or a trap that can break traffic.
    Warning,
    /// Traffic is being dropped now.
    Critical,
}

impl Severity {
    /// The stable lowercase name (`info`, `warning`, `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about: its stable id. Displayed and serialized as the kebab-case name
/// (`stale-dispatch`, ...), one of [`FINDING_IDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FindingId {
    /// `stale-dispatch`: a stale Calico dispatch chain drops a pod's traffic.
    StaleDispatch,
    /// `felix-backend-detection`: which backend Felix's auto-detection would pick.
    FelixBackendDetection,
    /// `mixed-backends`: one owner's chains in both backends.
    MixedBackends,
    /// `pids-headroom`: how close the node is to its process limit.
    PidsHeadroom,
    /// `equal-priority-hooks`: base chains at one priority whose order matters.
    EqualPriorityHooks,
    /// `unreferenced-chains`: chains nothing jumps to.
    UnreferencedChains,
    /// `shadowed-rules`: rules an earlier rule always decides first.
    ShadowedRules,
}

impl FindingId {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::StaleDispatch => "stale-dispatch",
            FindingId::FelixBackendDetection => "felix-backend-detection",
            FindingId::MixedBackends => "mixed-backends",
            FindingId::PidsHeadroom => "pids-headroom",
            FindingId::EqualPriorityHooks => "equal-priority-hooks",
            FindingId::UnreferencedChains => "unreferenced-chains",
            FindingId::ShadowedRules => "shadowed-rules",
        }
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for FindingId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Every finding id the doctor can report, in report order.
pub const FINDING_IDS: &[&str] = &[
    "stale-dispatch",
    "felix-backend-detection",
    "mixed-backends",
    "pids-headroom",
    "equal-priority-hooks",
    "unreferenced-chains",
    "shadowed-rules",
];

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// Stable id, one of [`FINDING_IDS`].
    pub id: FindingId,
    /// How bad it is.
    pub severity: Severity,
    /// One line.
    pub summary: String,
    /// The facts behind it, one per line.
    pub evidence: Vec<String>,
    /// What to do.
    pub advice: String,
    /// One paragraph in plain words, for people (the text output leads with the worst one's).
    pub explanation: String,
    /// `stale-dispatch` only: each interface a stale dispatch drops, with its witness.
    pub dispatch_drops: Vec<DispatchDrop>,
}
