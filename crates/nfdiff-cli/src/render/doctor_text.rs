//! `doctor --format text`: the worst finding explained in one paragraph, then every finding.

use std::io::Write;

use netfilter_model::doctor::{DoctorReport, Severity};

/// Text width of wrapped paragraphs.
const WIDTH: usize = 96;

/// Word-wraps `text` at [`WIDTH`] with `indent` before each line.
fn wrap(out: &mut impl Write, text: &str, indent: &str) -> std::io::Result<()> {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > WIDTH {
            writeln!(out, "{indent}{line}")?;
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

/// Writes the report as text.
pub fn write(out: &mut impl Write, r: &DoctorReport) -> anyhow::Result<()> {
    let serious = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .count();
    let notes = r.findings.len() - serious;
    let Some(worst) = r.worst() else {
        writeln!(out, "Healthy: no findings.")?;
        return Ok(());
    };
    if serious == 0 {
        writeln!(out, "Healthy, with {notes} note(s).")?;
    } else {
        writeln!(
            out,
            "{serious} problem(s) found{}.",
            if notes > 0 {
                format!(", and {notes} note(s)")
            } else {
                String::new()
            }
        )?;
    }
    writeln!(out)?;
    wrap(out, &worst.explanation, "")?;
    writeln!(out)?;
    wrap(out, &format!("What to do: {}", worst.advice), "")?;
    if r.counts_derived {
        writeln!(out)?;
        wrap(
            out,
            "(Save-output line counts were derived from the rulesets, as the *-save commands \
             would print them; they were not measured on a node.)",
            "",
        )?;
    }
    for f in &r.findings {
        writeln!(out)?;
        writeln!(
            out,
            "[{}] {}: {}",
            f.severity.as_str().to_uppercase(),
            f.id,
            f.summary
        )?;
        for e in &f.evidence {
            writeln!(out, "  - {e}")?;
        }
        wrap(out, &format!("Advice: {}", f.advice), "  ")?;
    }
    Ok(())
}
