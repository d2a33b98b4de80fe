//! `doctor --format html`: one self-contained page with the verdict in a paragraph, the
//! findings by severity (colour and a word), and the drop path of the first witness packet
//! as an inline SVG.

use std::io::Write;

use netfilter_model::doctor::{DoctorReport, Finding, Severity};
use netfilter_model::trace::{Packet, TraceReport};

use super::html::{escape, page_end, page_start};
use super::trace_text::describe_packet;

/// A packet and its trace: the drop path to draw.
pub struct DropPath<'a> {
    /// The witness packet.
    pub packet: &'a Packet,
    /// Its trace through the node's ruleset.
    pub trace: &'a TraceReport,
    /// The `nfdiff trace` command that reproduces it.
    pub command: Option<&'a str>,
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev-critical",
        Severity::Warning => "sev-warning",
        _ => "sev-info",
    }
}

fn write_finding(out: &mut impl Write, f: &Finding) -> std::io::Result<()> {
    writeln!(
        out,
        "<div class=\"finding\" id=\"finding-{}\">",
        escape(f.id.as_str())
    )?;
    writeln!(
        out,
        "<p><span class=\"sev {}\">{}</span><code>{}</code> {}</p>",
        severity_class(f.severity),
        f.severity.as_str().to_uppercase(),
        escape(f.id.as_str()),
        escape(&f.summary)
    )?;
    if !f.evidence.is_empty() {
        writeln!(out, "<ul>")?;
        for e in &f.evidence {
            writeln!(out, "<li>{}</li>", escape(e))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(
        out,
        "<p><strong>Advice:</strong> <span class=\"advice\">{}</span></p>",
        escape(&f.advice)
    )?;
    writeln!(out, "</div>")
}

/// Writes the report as one HTML page.
pub fn write(
    out: &mut impl Write,
    r: &DoctorReport,
    path: Option<&DropPath<'_>>,
) -> anyhow::Result<()> {
    page_start(out, "nfdiff doctor")?;
    let serious = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .count();
    let notes = r.findings.len() - serious;
    writeln!(out, "<div class=\"summary\" id=\"summary\">")?;
    match r.worst() {
        None => writeln!(
            out,
            "<p><span class=\"sev sev-ok\">HEALTHY</span>No findings.</p>"
        )?,
        Some(worst) => {
            let head = if serious == 0 {
                format!("Healthy, with {notes} note(s).")
            } else if notes > 0 {
                format!("{serious} problem(s) found, and {notes} note(s).")
            } else {
                format!("{serious} problem(s) found.")
            };
            writeln!(
                out,
                "<p><span class=\"sev {}\">{}</span>{}</p>",
                severity_class(worst.severity),
                worst.severity.as_str().to_uppercase(),
                escape(&head)
            )?;
            writeln!(out, "<p>{}</p>", escape(&worst.explanation))?;
            writeln!(
                out,
                "<p><strong>What to do:</strong> <span id=\"fix\">{}</span></p>",
                escape(&worst.advice)
            )?;
        }
    }
    writeln!(out, "</div>")?;
    if let Some(p) = path {
        writeln!(out, "<h2>Drop path</h2>")?;
        writeln!(
            out,
            "<p>Witness packet: <code>{}</code></p>",
            escape(&describe_packet(p.packet))
        )?;
        if let Some(cmd) = p.command {
            writeln!(out, "<pre>{}</pre>", escape(cmd))?;
        }
        if let Some(d) = &p.trace.decided_by {
            writeln!(
                out,
                "<p>{} by <strong>{}</strong>: <span class=\"rule\">{}</span></p>",
                p.trace.verdict.as_str().to_uppercase(),
                escape(&d.to_string()),
                escape(&d.rule)
            )?;
        }
        super::svg_path::write(out, p.trace)?;
    }
    let findings: Vec<&Finding> = r.findings.iter().collect();
    for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
        let of: Vec<&&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
        if of.is_empty() {
            continue;
        }
        let title = match sev {
            Severity::Critical => "Critical",
            Severity::Warning => "Warnings",
            _ => "Notes",
        };
        writeln!(out, "<h2>{title} ({})</h2>", of.len())?;
        for f in of {
            write_finding(out, f)?;
        }
    }
    if !r.tables.is_empty() {
        writeln!(out, "<h2>Tables read</h2>")?;
        writeln!(
            out,
            "<table class=\"sbs\"><tr><th>backend</th><th>family</th><th>table</th><th>chains</th><th>rules</th></tr>"
        )?;
        for t in &r.tables {
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t.backend,
                t.family,
                escape(&t.table),
                t.chains,
                t.rules
            )?;
        }
        writeln!(out, "</table>")?;
    }
    page_end(out)?;
    Ok(())
}
