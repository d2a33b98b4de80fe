//! `fleet --format json`: `{"schema_version": 1, "nodes", "healthy", "critical_nodes",
//! "groups": [{"number", "config", "majority", "nodes", "backends", "chains", "differences":
//! [{"backend", "family", "table", "kind", "name", "status", "added", "removed", "changed",
//! "base_changed", "moved_from"}]}],
//! "outliers": [{"node", "source", "group", "worst", "endpoints", "backends", "findings"}],
//! "skipped": [{"source", "error"}]}`.

use std::io::Write;

use netfilter_model::fleet::{BackendSummary, ChainDelta, FindingBrief, FleetReport};
use serde::Serialize;

/// The JSON document.
#[derive(Serialize)]
struct FleetView<'a> {
    schema_version: u32,
    nodes: usize,
    healthy: usize,
    critical_nodes: Vec<&'a str>,
    groups: Vec<GroupView<'a>>,
    outliers: Vec<NodeView<'a>>,
    skipped: Vec<SkippedView<'a>>,
}

#[derive(Serialize)]
struct GroupView<'a> {
    number: usize,
    config: &'a str,
    majority: bool,
    nodes: &'a [String],
    backends: Vec<&'static str>,
    chains: usize,
    differences: Vec<DeltaView<'a>>,
}

#[derive(Serialize)]
struct DeltaView<'a> {
    backend: &'static str,
    family: &'static str,
    table: &'a str,
    kind: &'static str,
    name: &'a str,
    status: &'static str,
    added: usize,
    removed: usize,
    changed: usize,
    base_changed: bool,
    moved_from: Option<&'static str>,
}

#[derive(Serialize)]
struct NodeView<'a> {
    node: &'a str,
    source: &'a str,
    group: usize,
    worst: Option<&'static str>,
    endpoints: usize,
    backends: &'a [BackendSummary],
    findings: &'a [FindingBrief],
}

#[derive(Serialize)]
struct SkippedView<'a> {
    source: &'a str,
    error: &'a str,
}

fn delta(d: &ChainDelta) -> DeltaView<'_> {
    DeltaView {
        backend: d.backend.as_str(),
        family: d.family.as_str(),
        table: &d.table,
        kind: d.kind.as_str(),
        name: &d.name,
        status: d.status.as_str(),
        added: d.added,
        removed: d.removed,
        changed: d.changed,
        base_changed: d.base_changed,
        moved_from: d.moved_from.map(|b| b.as_str()),
    }
}

/// Writes the report as JSON.
pub fn write(out: &mut impl Write, r: &FleetReport) -> anyhow::Result<()> {
    let view = FleetView {
        schema_version: 1,
        nodes: r.nodes,
        healthy: r.healthy,
        critical_nodes: r.critical_nodes().iter().map(|n| n.node.as_str()).collect(),
        groups: r
            .groups
            .iter()
            .map(|g| GroupView {
                number: g.number,
                config: &g.config,
                majority: g.number == 1,
                nodes: &g.nodes,
                backends: g.backends.iter().map(|b| b.as_str()).collect(),
                chains: g.chains,
                differences: g.differences.iter().map(delta).collect(),
            })
            .collect(),
        outliers: r
            .outliers
            .iter()
            .map(|n| NodeView {
                node: &n.node,
                source: &n.source,
                group: n.group,
                worst: n.worst().map(|s| s.as_str()),
                endpoints: n.endpoints,
                backends: &n.backends,
                findings: &n.findings,
            })
            .collect(),
        skipped: r
            .skipped
            .iter()
            .map(|s| SkippedView {
                source: &s.source,
                error: &s.error,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &view)?;
    writeln!(out)?;
    Ok(())
}
