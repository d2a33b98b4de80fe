//! `doctor --format json`: `{"findings": [{"id", "severity", "summary", "evidence", "advice"}]}`.

use std::io::Write;

use netfilter_model::doctor::DoctorReport;
use serde::Serialize;

/// The JSON document.
#[derive(Serialize)]
struct DoctorView<'a> {
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
}

/// Writes the report as JSON.
pub fn write(out: &mut impl Write, r: &DoctorReport) -> anyhow::Result<()> {
    let view = DoctorView {
        findings: r
            .findings
            .iter()
            .map(|f| FindingView {
                id: f.id,
                severity: f.severity.as_str(),
                summary: &f.summary,
                evidence: &f.evidence,
                advice: &f.advice,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &view)?;
    writeln!(out)?;
    Ok(())
}
