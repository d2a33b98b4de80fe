//! `doctor --format prometheus`: textfile-collector metrics (rules per backend and table,
//! findings by id).

use std::io::Write;

use netfilter_model::doctor::{DoctorReport, Severity, FINDING_IDS};

fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn severity_value(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Critical => 3,
    }
}

/// Writes the metrics.
pub fn write(out: &mut impl Write, r: &DoctorReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "# HELP nfdiff_rules Rules per backend, family and table."
    )?;
    writeln!(out, "# TYPE nfdiff_rules gauge")?;
    for t in &r.tables {
        writeln!(
            out,
            "nfdiff_rules{{backend=\"{}\",family=\"{}\",table=\"{}\"}} {}",
            t.backend,
            t.family,
            label(&t.table),
            t.rules
        )?;
    }
    writeln!(
        out,
        "# HELP nfdiff_chains Chains per backend, family and table."
    )?;
    writeln!(out, "# TYPE nfdiff_chains gauge")?;
    for t in &r.tables {
        writeln!(
            out,
            "nfdiff_chains{{backend=\"{}\",family=\"{}\",table=\"{}\"}} {}",
            t.backend,
            t.family,
            label(&t.table),
            t.chains
        )?;
    }
    writeln!(
        out,
        "# HELP nfdiff_doctor_finding Whether the doctor reports this finding (1) or not (0)."
    )?;
    writeln!(out, "# TYPE nfdiff_doctor_finding gauge")?;
    for id in FINDING_IDS {
        let present = r.findings.iter().any(|f| f.id == *id);
        writeln!(
            out,
            "nfdiff_doctor_finding{{id=\"{id}\"}} {}",
            u8::from(present)
        )?;
    }
    writeln!(
        out,
        "# HELP nfdiff_doctor_finding_severity Severity of the finding: 0 none, 1 info, 2 warning, 3 critical."
    )?;
    writeln!(out, "# TYPE nfdiff_doctor_finding_severity gauge")?;
    for id in FINDING_IDS {
        let v = r
            .findings
            .iter()
            .find(|f| f.id == *id)
            .map(|f| severity_value(f.severity))
            .unwrap_or(0);
        writeln!(out, "nfdiff_doctor_finding_severity{{id=\"{id}\"}} {v}")?;
    }
    writeln!(
        out,
        "# HELP nfdiff_doctor_healthy 1 when no finding is a warning or worse."
    )?;
    writeln!(out, "# TYPE nfdiff_doctor_healthy gauge")?;
    writeln!(out, "nfdiff_doctor_healthy {}", u8::from(r.healthy()))?;
    Ok(())
}
