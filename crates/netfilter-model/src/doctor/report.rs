//! The doctor's report: findings, worst first, and rule counts per backend and table.

use crate::model::{Backend, Family};

use super::finding::{Finding, Severity};

/// Rules in one table of one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableRules {
    /// Backend.
    pub backend: Backend,
    /// Family.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chains in the table.
    pub chains: usize,
    /// Rules in the table.
    pub rules: usize,
}

/// What `diagnose` found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DoctorReport {
    /// Findings, worst first (then in [`super::FINDING_IDS`] order).
    pub findings: Vec<Finding>,
    /// Rules per backend and table, in ruleset order.
    pub tables: Vec<TableRules>,
    /// Whether the save-output line counts were derived from the model rather than measured.
    pub counts_derived: bool,
}

impl DoctorReport {
    /// The worst finding, if any.
    pub fn worst(&self) -> Option<&Finding> {
        self.findings.first()
    }

    /// Whether no finding is a warning or worse (info findings are notes).
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.severity == Severity::Info)
    }
}
