//! The JSON wire format of trace and reach reports (DESIGN.md: `verdict`, `decided_by`,
//! `alternatives`, `order_dependent`, `uncertain`, `steps`), the one `nfdiff trace --format
//! json` prints.

use serde::Serialize;

use crate::model::Hook;
use crate::trace::{Alternative, Assumption, NatResult, ReachReport, Step, TraceReport};

use super::rule::RuleJson;
use super::SCHEMA_VERSION;

/// A packet fact an assumption fixes for the rest of its course.
#[derive(Serialize)]
struct FactView<'a> {
    what: &'a str,
    holds: bool,
}

/// An assumption about an undecidable match.
#[derive(Serialize)]
struct AssumptionView<'a> {
    rule: RuleJson<'a>,
    holds: bool,
    reason: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    facts: Vec<FactView<'a>>,
}

impl<'a> From<&'a Assumption> for AssumptionView<'a> {
    fn from(a: &'a Assumption) -> Self {
        AssumptionView {
            rule: (&a.rule).into(),
            holds: a.holds,
            reason: &a.reason,
            facts: a
                .facts
                .iter()
                .map(|f| FactView {
                    what: &f.what,
                    holds: f.holds,
                })
                .collect(),
        }
    }
}

/// The address translation of an outcome: endpoints as `10.244.1.5:8080` (`local:PORT` for a
/// redirect), `null` when not translated.
#[derive(Serialize)]
struct NatView {
    dnat: Option<String>,
    snat: Option<String>,
    masquerade: bool,
}

impl From<&NatResult> for NatView {
    fn from(n: &NatResult) -> Self {
        NatView {
            dnat: n.dnat.map(|e| e.to_string()),
            snat: n.snat.map(|e| e.to_string()),
            masquerade: n.masquerade,
        }
    }
}

fn hook_names(path: &[Hook]) -> Vec<&str> {
    path.iter().map(Hook::as_str).collect()
}

/// Another outcome and what leads to it.
#[derive(Serialize)]
struct AlternativeView<'a> {
    verdict: &'static str,
    decided_by: Option<RuleJson<'a>>,
    /// Reordered equal-priority groups: chains as `backend family table chain`, in run order.
    order: Vec<Vec<String>>,
    assumptions: Vec<AssumptionView<'a>>,
    nat: NatView,
    path: Vec<&'a str>,
}

impl<'a> From<&'a Alternative> for AlternativeView<'a> {
    fn from(a: &'a Alternative) -> Self {
        AlternativeView {
            verdict: a.verdict.as_str(),
            decided_by: a.decided_by.as_ref().map(Into::into),
            order: a
                .order
                .iter()
                .map(|g| g.iter().map(|c| c.to_string()).collect())
                .collect(),
            assumptions: a.assumptions.iter().map(Into::into).collect(),
            nat: (&a.nat).into(),
            path: hook_names(&a.path),
        }
    }
}

/// One step.
#[derive(Serialize)]
struct StepView<'a> {
    hook: &'a str,
    backend: &'static str,
    family: &'static str,
    table: &'a str,
    chain: &'a str,
    index: Option<usize>,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl<'a> From<&'a Step> for StepView<'a> {
    fn from(s: &'a Step) -> Self {
        StepView {
            hook: s.hook.as_str(),
            backend: s.backend.as_str(),
            family: s.family.as_str(),
            table: &s.table,
            chain: &s.chain,
            index: s.index,
            event: s.event.as_str(),
            detail: s.detail.as_ref().map(ToString::to_string),
        }
    }
}

/// The trace object.
#[derive(Serialize)]
struct TraceView<'a> {
    verdict: &'static str,
    decided_by: Option<RuleJson<'a>>,
    alternatives: Vec<AlternativeView<'a>>,
    order_dependent: bool,
    uncertain: bool,
    nat: NatView,
    path: Vec<&'a str>,
    steps: Vec<StepView<'a>>,
}

impl<'a> From<&'a TraceReport> for TraceView<'a> {
    fn from(r: &'a TraceReport) -> Self {
        TraceView {
            verdict: r.verdict.as_str(),
            decided_by: r.decided_by.as_ref().map(Into::into),
            alternatives: r.alternatives.iter().map(Into::into).collect(),
            order_dependent: r.order_dependent,
            uncertain: r.uncertain,
            nat: (&r.nat).into(),
            path: hook_names(&r.path),
            steps: r.steps.iter().map(Into::into).collect(),
        }
    }
}

/// One interface class of `reach`.
#[derive(Serialize)]
struct ClassView<'a> {
    iif: &'a str,
    example: &'a str,
    #[serde(flatten)]
    trace: TraceView<'a>,
}

/// `nfdiff trace --format json`: a [`TraceReport`] as its wire document. Serialize it with
/// `serde_json` (the CLI uses `to_writer_pretty` and a final newline).
#[derive(Serialize)]
pub struct TraceJson<'a> {
    /// The wire format's version ([`SCHEMA_VERSION`]).
    schema_version: u32,
    #[serde(flatten)]
    trace: TraceView<'a>,
}

impl<'a> TraceJson<'a> {
    /// The wire document of a trace.
    pub fn new(rep: &'a TraceReport) -> TraceJson<'a> {
        TraceJson {
            schema_version: SCHEMA_VERSION,
            trace: rep.into(),
        }
    }
}

/// `nfdiff reach --format json`: `{"schema_version", "classes": [...]}`, each class its
/// interface class, example name and trace.
#[derive(Serialize)]
pub struct ReachJson<'a> {
    /// The wire format's version ([`SCHEMA_VERSION`]).
    schema_version: u32,
    classes: Vec<ClassView<'a>>,
}

impl<'a> ReachJson<'a> {
    /// The wire document of a reach report.
    pub fn new(rep: &'a ReachReport) -> ReachJson<'a> {
        ReachJson {
            schema_version: SCHEMA_VERSION,
            classes: rep
                .classes
                .iter()
                .map(|c| ClassView {
                    iif: &c.description,
                    example: &c.example,
                    trace: (&c.trace).into(),
                })
                .collect(),
        }
    }
}
