//! `nfdiff diff --semantic`: both rulesets through the packet-space engine, every witness
//! through the concrete tracer on both sides, then a renderer.

use std::io::Write;

use anyhow::{Context, Result};
use netfilter_model::parse::SourceSpec;
use netfilter_model::space::{self, Certainty, SpaceQuery};
use netfilter_model::trace::{FinalVerdict, Packet, TraceIndex, TraceOptions};

use crate::args::OutputFormat;
use crate::exit::{self, Status};
use crate::input::load_sources;
use crate::render;
use crate::semantic_diff_report::{Difference, SemanticDiffReport, SideFate};

/// What `diff --semantic` was asked.
#[derive(Debug)]
pub struct SemanticDiffRequest {
    /// The OLD source.
    pub old: SourceSpec,
    /// The NEW source.
    pub new: SourceSpec,
    /// OLD as the user wrote it.
    pub old_label: String,
    /// NEW as the user wrote it.
    pub new_label: String,
    /// The packets to compare.
    pub query: SpaceQuery,
    /// Whether a different deciding rule counts as a difference.
    pub by_rule: bool,
    /// Output format.
    pub format: OutputFormat,
}

/// The verdicts the tracer holds possible for `pkt` in `rs`, its main verdict first.
fn traced(idx: &TraceIndex<'_>, pkt: &Packet) -> Result<Vec<FinalVerdict>> {
    let rep = idx.trace(pkt, &TraceOptions::default())?;
    let mut out = vec![rep.verdict];
    for a in &rep.alternatives {
        if !out.contains(&a.verdict) {
            out.push(a.verdict);
        }
    }
    Ok(out)
}

fn side(s: &space::Fate, idx: &TraceIndex<'_>, witness: &Packet) -> Result<SideFate> {
    Ok(SideFate {
        verdict: s.verdict,
        certain: s.certainty == Certainty::Must,
        deciding: s.deciding.clone(),
        reasons: Vec::new(),
        traced: traced(idx, witness)?,
    })
}

/// The packet space of a query in words: `forward path, any packet` or `forward path,
/// iifname "cali*", ip daddr 10.0.0.0/8, tcp dport 443`.
pub fn describe_query(q: &SpaceQuery) -> String {
    let mut parts = vec![format!("{} path", q.path)];
    if let Some(i) = &q.iif {
        parts.push(format!("iifname {i}"));
    }
    if let Some(o) = &q.oif {
        parts.push(format!("oifname {o}"));
    }
    let list = |v: Vec<String>| {
        if v.len() == 1 {
            v[0].clone()
        } else {
            format!("{{ {} }}", v.join(", "))
        }
    };
    if !q.src.is_empty() {
        parts.push(format!(
            "saddr {}",
            list(q.src.iter().map(|a| a.to_string()).collect())
        ));
    }
    if !q.dst.is_empty() {
        parts.push(format!(
            "daddr {}",
            list(q.dst.iter().map(|a| a.to_string()).collect())
        ));
    }
    if !q.proto.is_empty() {
        parts.push(format!(
            "l4proto {}",
            list(q.proto.iter().map(|p| p.to_string()).collect())
        ));
    }
    if !q.sport.is_empty() {
        parts.push(format!(
            "sport {}",
            list(q.sport.iter().map(|p| p.to_string()).collect())
        ));
    }
    if !q.dport.is_empty() {
        parts.push(format!(
            "dport {}",
            list(q.dport.iter().map(|p| p.to_string()).collect())
        ));
    }
    if let Some(t) = q.icmp_type {
        parts.push(format!("icmp type {t}"));
    }
    if let Some(c) = q.ct_state {
        parts.push(format!("ct state {c}"));
    }
    if let Some(m) = q.mark {
        parts.push(format!("mark {m:#x}"));
    }
    if parts.len() == 1 {
        parts.push("any packet".into());
    }
    parts.join(", ")
}

/// Runs the semantic diff and renders it; exit 0 when no packet's fate differs, else 1.
pub fn semantic_diff(out: &mut impl Write, req: SemanticDiffRequest) -> Result<Status> {
    // OLD and NEW are read at the same time, as `diff` does.
    let (old_rs, new_rs) = std::thread::scope(|s| {
        let old_job = s.spawn(|| load_sources(std::slice::from_ref(&req.old)));
        let new_rs = load_sources(std::slice::from_ref(&req.new));
        let old_rs = old_job
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (old_rs, new_rs)
    });
    let old_rs = old_rs.with_context(|| format!("reading OLD ({})", req.old_label))?;
    let new_rs = new_rs.with_context(|| format!("reading NEW ({})", req.new_label))?;
    let d = space::semantic_diff(&old_rs, &new_rs, &req.query, req.by_rule)?;
    let mut differences = Vec::with_capacity(d.differences.len());
    if !d.differences.is_empty() {
        // Each side indexed once for tracing every witness (not once per witness).
        let (old_idx, new_idx) = (TraceIndex::new(&old_rs), TraceIndex::new(&new_rs));
        for c in &d.differences {
            differences.push(Difference {
                packets: c.cubes.iter().map(|c| c.to_string()).collect(),
                more_packets: c.cubes_truncated,
                witness: c.witness.clone(),
                old: side(&c.old, &old_idx, &c.witness)?,
                new: side(&c.new, &new_idx, &c.witness)?,
            });
        }
    }
    let uncertain = d.uncertain;
    let report = SemanticDiffReport {
        old_label: req.old_label,
        new_label: req.new_label,
        by_rule: req.by_rule,
        space: describe_query(&req.query),
        uncertain,
        differences,
        notes: Vec::new(),
    };
    match req.format {
        OutputFormat::Text => render::semantic_diff_text::write(out, &report)?,
        OutputFormat::Json => render::semantic_diff_json::write(out, &report)?,
    }
    Ok(if report.equivalent() {
        exit::SUCCESS
    } else {
        exit::DIFFERENT
    })
}
