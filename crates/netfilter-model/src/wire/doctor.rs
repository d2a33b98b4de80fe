//! The JSON wire format of doctor reports, the one `nfdiff doctor --format json` prints:
//! `{"schema_version", "findings": [{"id", "severity", "summary", "evidence", "advice"}]}`, and
//! for `stale-dispatch` the dropped interfaces with their witnesses (`dispatch_drops`).

use serde::Serialize;

use crate::doctor::{DispatchDrop, DoctorReport, Witness, WitnessSource};

use super::rule::RuleJson;
use super::SCHEMA_VERSION;

/// `nfdiff doctor --format json`: a [`DoctorReport`] as its wire document.
#[derive(Serialize)]
pub struct DoctorJson<'a> {
    /// The wire format's version ([`SCHEMA_VERSION`]).
    schema_version: u32,
    findings: Vec<FindingView<'a>>,
}

/// One finding.
#[derive(Serialize)]
struct FindingView<'a> {
    id: &'a str,
    severity: &'a str,
    summary: &'a str,
    evidence: &'a [String],
    advice: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dispatch_drops: Vec<DropView<'a>>,
}

/// Where the interface is listed.
#[derive(Serialize)]
struct ListedView<'a> {
    backend: &'a str,
    chain: &'a str,
}

/// A witness (or the example tried when there is none).
#[derive(Serialize)]
struct WitnessView<'a> {
    command: Option<&'a str>,
    verdict: &'a str,
    decided_by: Option<RuleJson<'a>>,
    order_dependent: bool,
    uncertain: bool,
    accepted_alone: bool,
    accepted_by: Option<RuleJson<'a>>,
}

impl<'a> WitnessView<'a> {
    fn of(w: &'a Witness, command: Option<&'a str>) -> WitnessView<'a> {
        WitnessView {
            command,
            verdict: w.verdict.as_str(),
            decided_by: w.decided_by.as_ref().map(RuleJson::from),
            order_dependent: w.order_dependent,
            uncertain: w.uncertain,
            accepted_alone: w.accepted_alone,
            accepted_by: w.accepted_by.as_ref().map(RuleJson::from),
        }
    }
}

/// One interface a stale dispatch drops.
#[derive(Serialize)]
struct DropView<'a> {
    interface: &'a str,
    direction: &'a str,
    ip: &'a str,
    dropped_by: RuleJson<'a>,
    listed_in: Option<ListedView<'a>>,
    /// Candidate packets tried, and how many the listing backend alone denies.
    tried: Option<usize>,
    denied_alone: Option<usize>,
    /// Which search answered: `packet-space` (every packet), `tracer` (candidate packets),
    /// `tracer-after-packet-space` (the engine could not decide: `undecided_because`).
    searched_by: Option<&'a str>,
    undecided_because: Option<&'a str>,
    witness: Option<WitnessView<'a>>,
    /// Without a witness: a tried packet the stale rule drops (under some order).
    example: Option<WitnessView<'a>>,
}

impl<'a> DropView<'a> {
    fn of(d: &'a DispatchDrop) -> DropView<'a> {
        let cmd = d.command.as_deref();
        let s = d.search.as_ref();
        DropView {
            interface: &d.interface,
            direction: d.direction.as_str(),
            ip: if d.v6 { "ipv6" } else { "ipv4" },
            dropped_by: RuleJson::from(&d.rule),
            listed_in: d.listed_in.as_ref().map(|(b, c)| ListedView {
                backend: b.as_str(),
                chain: c,
            }),
            tried: s.map(|s| s.tried),
            denied_alone: s.map(|s| s.denied_alone),
            searched_by: s.map(|s| s.source.as_str()),
            undecided_because: s.and_then(|s| match &s.source {
                WitnessSource::TracerAfterSpace(why) => Some(why.as_str()),
                _ => None,
            }),
            witness: s
                .and_then(|s| s.witness.as_ref())
                .map(|w| WitnessView::of(w, cmd)),
            example: s
                .filter(|s| s.witness.is_none())
                .and_then(|s| s.example.as_ref())
                .map(|w| WitnessView::of(w, cmd)),
        }
    }
}

impl<'a> DoctorJson<'a> {
    /// The wire document of a doctor report.
    pub fn new(r: &'a DoctorReport) -> DoctorJson<'a> {
        DoctorJson {
            schema_version: SCHEMA_VERSION,
            findings: r
                .findings
                .iter()
                .map(|f| FindingView {
                    id: f.id.as_str(),
                    severity: f.severity.as_str(),
                    summary: &f.summary,
                    evidence: &f.evidence,
                    advice: &f.advice,
                    dispatch_drops: f.dispatch_drops.iter().map(DropView::of).collect(),
                })
                .collect(),
        }
    }
}
