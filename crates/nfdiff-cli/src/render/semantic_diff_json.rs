//! JSON rendering of `diff --semantic` through dedicated view types: `{"equivalent", "by_rule",
//! "old", "new", "space", "uncertain", "differences": [...], "notes", "summary"}`.

use std::io::{self, Write};

use netfilter_model::trace::Packet;
use netfilter_model::wire::RuleJson;
use serde::Serialize;

use crate::semantic_diff_report::{
    proto_word, trace_args, Difference, SemanticDiffReport, SideFate,
};

/// The witness packet.
#[derive(Serialize)]
struct PacketView<'a> {
    iif: Option<&'a str>,
    oif: Option<&'a str>,
    src: String,
    dst: String,
    proto: Option<String>,
    sport: Option<u16>,
    dport: Option<u16>,
    icmp_type: Option<u8>,
    icmp_code: Option<u8>,
    ct_state: String,
    mark: u32,
    ct_mark: u32,
    path: &'static str,
}

impl<'a> From<&'a Packet> for PacketView<'a> {
    fn from(p: &'a Packet) -> Self {
        PacketView {
            iif: p.iif.as_deref(),
            oif: p.oif.as_deref(),
            src: p.src.to_string(),
            dst: p.dst.to_string(),
            proto: p.proto.map(proto_word),
            sport: p.sport,
            dport: p.dport,
            icmp_type: p.icmp_type,
            icmp_code: p.icmp_code,
            ct_state: p.ct_state.to_string(),
            mark: p.mark,
            ct_mark: p.ct_mark,
            path: p.path.as_str(),
        }
    }
}

/// A class's fate on one side.
#[derive(Serialize)]
struct SideView<'a> {
    verdict: &'static str,
    certainty: &'static str,
    decided_by: Vec<RuleJson<'a>>,
    reasons: &'a [String],
    /// The concrete tracer's verdicts for the witness (its main verdict first).
    traced: Vec<&'static str>,
    confirmed: bool,
}

impl<'a> From<&'a SideFate> for SideView<'a> {
    fn from(s: &'a SideFate) -> Self {
        SideView {
            verdict: s.verdict.as_str(),
            certainty: if s.certain { "must" } else { "may" },
            decided_by: s.deciding.iter().map(Into::into).collect(),
            reasons: &s.reasons,
            traced: s.traced.iter().map(|v| v.as_str()).collect(),
            confirmed: s.confirmed(),
        }
    }
}

/// One differing class.
#[derive(Serialize)]
struct DifferenceView<'a> {
    certain: bool,
    packets: &'a [String],
    more_packets: bool,
    witness: PacketView<'a>,
    trace_args: String,
    old: SideView<'a>,
    new: SideView<'a>,
}

impl<'a> From<&'a Difference> for DifferenceView<'a> {
    fn from(d: &'a Difference) -> Self {
        DifferenceView {
            certain: d.certain(),
            packets: &d.packets,
            more_packets: d.more_packets,
            witness: (&d.witness).into(),
            trace_args: trace_args(&d.witness),
            old: (&d.old).into(),
            new: (&d.new).into(),
        }
    }
}

#[derive(Serialize)]
struct SummaryView {
    differences: usize,
    certain: usize,
    possible: usize,
}

#[derive(Serialize)]
struct ReportView<'a> {
    equivalent: bool,
    by_rule: bool,
    old: &'a str,
    new: &'a str,
    space: &'a str,
    uncertain: bool,
    differences: Vec<DifferenceView<'a>>,
    notes: &'a [String],
    summary: SummaryView,
}

/// Writes the semantic diff as one JSON object.
pub fn write(out: &mut impl Write, rep: &SemanticDiffReport) -> io::Result<()> {
    let certain = rep.certain();
    let view = ReportView {
        equivalent: rep.equivalent(),
        by_rule: rep.by_rule,
        old: &rep.old_label,
        new: &rep.new_label,
        space: &rep.space,
        uncertain: rep.uncertain,
        differences: rep.differences.iter().map(Into::into).collect(),
        notes: &rep.notes,
        summary: SummaryView {
            differences: rep.differences.len(),
            certain,
            possible: rep.differences.len() - certain,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &view)?;
    writeln!(out)
}
