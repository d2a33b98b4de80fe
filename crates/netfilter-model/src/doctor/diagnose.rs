//! The doctor's entry point: run every finding on a ruleset and node facts.

use crate::model::Ruleset;
use crate::trace::TraceOptions;

use super::felix::{self, FelixDetection};
use super::finding::FINDING_IDS;
use super::node::NodeFacts;
use super::report::{DoctorReport, TableRules};
use super::witness::WitnessSearchKind;
use super::{equal_priority, mixed_backends, pids, shadowed, stale_dispatch, unreferenced};

/// Options of a doctor run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DoctorOptions {
    /// Limits of the traces `stale-dispatch` runs.
    pub trace: TraceOptions,
    /// The sources as given on the command line, for the `nfdiff trace` command lines of
    /// witnesses (`live` for this node); empty: `SOURCE...`.
    pub sources: Vec<String>,
    /// How `stale-dispatch` looks for witness packets (default: the packet-space engine).
    pub witness_search: WitnessSearchKind,
}

impl DoctorOptions {
    /// The sources as the caller named them, for the witnesses' `nfdiff trace` command lines.
    pub fn sources(mut self, sources: Vec<String>) -> DoctorOptions {
        self.sources = sources;
        self
    }

    /// How `stale-dispatch` looks for witness packets.
    pub fn witness_search(mut self, kind: WitnessSearchKind) -> DoctorOptions {
        self.witness_search = kind;
        self
    }

    /// Limits of the traces the doctor runs.
    pub fn trace(mut self, trace: TraceOptions) -> DoctorOptions {
        self.trace = trace;
        self
    }
}

/// Diagnoses a node: `rs` holds both backends, `node` what else is known. Save-output line
/// counts missing from `node` are derived from `rs` ([`NodeFacts::with_derived_saves`]).
pub fn diagnose(rs: &Ruleset, node: &NodeFacts, opts: &DoctorOptions) -> DoctorReport {
    let facts = node.clone().with_derived_saves(rs);
    let det = FelixDetection::compute(rs, &facts);
    let mut findings: Vec<_> = [
        stale_dispatch::finding(rs, &facts, &det, opts),
        felix::finding(&facts, &det),
        mixed_backends::finding(rs),
        pids::finding(&facts.pids),
        equal_priority::finding(rs),
        unreferenced::finding(rs),
        shadowed::finding(rs),
    ]
    .into_iter()
    .flatten()
    .collect();
    let order = |id: &str| {
        FINDING_IDS
            .iter()
            .position(|i| *i == id)
            .unwrap_or(usize::MAX)
    };
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| order(a.id.as_str()).cmp(&order(b.id.as_str())))
    });
    let tables = rs
        .tables
        .iter()
        .map(|t| TableRules {
            backend: t.backend,
            family: t.family,
            table: t.name.clone(),
            chains: t.chains.len(),
            rules: t.chains.iter().map(|c| c.rules.len()).sum(),
        })
        .collect();
    DoctorReport {
        findings,
        tables,
        counts_derived: facts.saves.iter().any(|s| s.derived),
    }
}
