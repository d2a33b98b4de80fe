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
pub struct Finding {
    /// Stable id, one of [`FINDING_IDS`].
    pub id: &'static str,
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
