//! `fleet --format markdown`: the fleet report for a ticket — configurations, differences from
//! the majority, and the nodes with problems, as tables.

use std::io::Write;

use netfilter_model::doctor::Severity;
use netfilter_model::fleet::FleetReport;

use super::fleet_text::{all_moved, backends_text, delta_what, names_text, sizes_text};

/// Escapes `|` and backticks so a cell stays one cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('`', "'").replace('\n', " ")
}

/// Writes the report as Markdown.
pub fn write(out: &mut impl Write, r: &FleetReport) -> anyhow::Result<()> {
    writeln!(out, "## nfdiff fleet")?;
    writeln!(out)?;
    let critical: Vec<String> = r.critical_nodes().iter().map(|n| n.node.clone()).collect();
    writeln!(
        out,
        "**{}** node(s) in **{}** configuration(s); **{}** with a critical finding{}.",
        r.nodes,
        r.groups.len(),
        critical.len(),
        if critical.is_empty() {
            String::new()
        } else {
            format!(": {}", names_text(&critical, 20))
        }
    )?;
    if !r.skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "{} input(s) skipped (see below).", r.skipped.len())?;
    }
    writeln!(out)?;
    writeln!(out, "### Configurations")?;
    writeln!(out)?;
    writeln!(
        out,
        "| # | nodes | backends | chain entries | vs majority | examples |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for g in &r.groups {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            g.number,
            g.nodes.len(),
            backends_text(g),
            g.chains,
            if g.number == 1 {
                "majority".to_string()
            } else {
                format!("{} chain(s) differ", g.differences.len())
            },
            cell(&names_text(&g.nodes, 3))
        )?;
    }
    for g in r.groups.iter().filter(|g| g.number > 1) {
        writeln!(out)?;
        writeln!(out, "#### Configuration {} against the majority", g.number)?;
        writeln!(out)?;
        if let Some(sentence) = all_moved(g) {
            writeln!(out, "{}.", cell(&sentence))?;
            continue;
        }
        writeln!(
            out,
            "| backend | family | table | kind | name | difference |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        for d in &g.differences {
            writeln!(
                out,
                "| {} | {} | {} | {} | `{}` | {} |",
                d.backend,
                d.family,
                cell(&d.table),
                d.kind.as_str(),
                cell(&d.name),
                delta_what(d)
            )?;
        }
    }
    if !r.outliers.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Nodes outside the majority or with problems")?;
        writeln!(out)?;
        writeln!(
            out,
            "| node | worst | configuration | endpoints | rules | findings |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        for n in &r.outliers {
            let findings: Vec<String> = n
                .findings
                .iter()
                .filter(|f| f.severity > Severity::Info)
                .map(|f| format!("**{}** {}: {}", f.severity, f.id, cell(&f.summary)))
                .collect();
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&n.node),
                n.worst()
                    .filter(|s| *s > Severity::Info)
                    .map_or("-", |s| s.as_str()),
                n.group,
                n.endpoints,
                sizes_text(n),
                if findings.is_empty() {
                    "-".to_string()
                } else {
                    findings.join("<br>")
                }
            )?;
        }
    }
    if !r.skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Skipped inputs")?;
        writeln!(out)?;
        for s in &r.skipped {
            writeln!(out, "- `{}`: {}", cell(&s.source), cell(&s.error))?;
        }
    }
    Ok(())
}
