//! `fleet --format text`: the fleet in one screen — configurations, how each differs from the
//! majority, then every node outside it or with problems, with its findings.

use std::io::Write;

use netfilter_model::doctor::Severity;
use netfilter_model::fleet::{ChainDelta, ConfigGroup, DeltaStatus, FleetReport, NodeReport};

/// Node names listed per configuration before "and N more".
const NAMES_SHOWN: usize = 8;

/// `legacy+nft`.
pub(crate) fn backends_text(g: &ConfigGroup) -> String {
    if g.backends.is_empty() {
        return "(no rules)".into();
    }
    g.backends
        .iter()
        .map(|b| b.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// `node-1, node-2, ... and 12 more`.
pub(crate) fn names_text(names: &[String], shown: usize) -> String {
    let mut s = names
        .iter()
        .take(shown)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > shown {
        s.push_str(&format!(" and {} more", names.len() - shown));
    }
    s
}

/// `nft ip filter chain cali-FORWARD`.
pub(crate) fn delta_where(d: &ChainDelta) -> String {
    format!(
        "{} {} {} {} {}",
        d.backend,
        d.family,
        d.table,
        d.kind.as_str(),
        d.name
    )
}

/// `added (3 rules)`, `changed (+1 -0 ~2 rules, hook or policy differs)`.
pub(crate) fn delta_what(d: &ChainDelta) -> String {
    match d.status {
        DeltaStatus::Added => format!("only here ({} rules)", d.added),
        DeltaStatus::Removed => format!("missing ({} rules in the majority)", d.removed),
        DeltaStatus::Moved => match d.moved_from {
            Some(b) => format!("the same rules as the majority has in {b}"),
            None => "moved".to_string(),
        },
        DeltaStatus::Changed => {
            let mut s = format!(
                "changed ({} added, {} removed, {} changed rules",
                d.added, d.removed, d.changed
            );
            if d.base_changed {
                s.push_str("; hook, priority, policy or type differs");
            }
            s.push(')');
            s
        }
    }
}

/// When a configuration has the majority's chains, all of them, only in another backend: one
/// sentence saying so.
pub(crate) fn all_moved(g: &ConfigGroup) -> Option<String> {
    let from = g.differences.first()?.moved_from?;
    let [to] = g.backends.as_slice() else {
        return None;
    };
    g.differences
        .iter()
        .all(|d| d.status == DeltaStatus::Moved && d.moved_from == Some(from))
        .then(|| {
            format!(
                "all {} chain(s): the same rules as the majority has in {from}, but in {to}",
                g.differences.len()
            )
        })
}

/// `legacy 9921 rules, nft 9874 rules`.
pub(crate) fn sizes_text(n: &NodeReport) -> String {
    if n.backends.is_empty() {
        return "no rules".into();
    }
    n.backends
        .iter()
        .map(|b| format!("{} {} rules", b.backend, b.rules))
        .collect::<Vec<_>>()
        .join(", ")
}

fn severity_tag(s: Severity) -> String {
    s.as_str().to_ascii_uppercase()
}

/// Writes the report as text.
pub fn write(out: &mut impl Write, r: &FleetReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "Fleet: {} node(s) in {} configuration(s){}.",
        r.nodes,
        r.groups.len(),
        if r.skipped.is_empty() {
            String::new()
        } else {
            format!("; {} input(s) skipped", r.skipped.len())
        }
    )?;
    let critical: Vec<String> = r.critical_nodes().iter().map(|n| n.node.clone()).collect();
    if critical.is_empty() {
        writeln!(out, "No node has a critical finding.")?;
    } else {
        writeln!(
            out,
            "Critical: {} node(s): {}",
            critical.len(),
            names_text(&critical, 20)
        )?;
    }
    if let Some(m) = r.majority() {
        writeln!(
            out,
            "Majority: configuration #{}, {} of {} node(s), backends {}.",
            m.number,
            m.nodes.len(),
            r.nodes,
            backends_text(m)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Configurations:")?;
    for g in &r.groups {
        let what = if g.number == 1 {
            "majority".to_string()
        } else {
            format!(
                "differs from the majority in {} chain(s)",
                g.differences.len()
            )
        };
        writeln!(
            out,
            "  #{:<3} {:>6} node(s)  {:<11} {:>5} chain entries  {what}",
            g.number,
            g.nodes.len(),
            backends_text(g),
            g.chains
        )?;
    }
    for g in r.groups.iter().filter(|g| g.number > 1) {
        writeln!(out)?;
        writeln!(
            out,
            "Configuration #{} ({}), against the majority:",
            g.number,
            names_text(&g.nodes, NAMES_SHOWN)
        )?;
        match all_moved(g) {
            Some(sentence) => writeln!(out, "  {sentence}")?,
            None => {
                for d in &g.differences {
                    writeln!(out, "  {}: {}", delta_where(d), delta_what(d))?;
                }
            }
        }
    }
    if r.groups.len() > 1 {
        writeln!(
            out,
            "(Rules are counted after per-node names are abstracted: a run of per-pod rules counts once.)"
        )?;
    }
    writeln!(out)?;
    if r.outliers.is_empty() {
        writeln!(
            out,
            "Every node is in the majority configuration, without problems."
        )?;
    } else {
        writeln!(
            out,
            "Nodes outside the majority or with problems ({}):",
            r.outliers.len()
        )?;
        for n in &r.outliers {
            let tag = match n.worst() {
                Some(s) if s > Severity::Info => format!("{}  ", severity_tag(s)),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {}  {tag}configuration #{}, {} endpoint(s), {}  [{}]",
                n.node,
                n.group,
                n.endpoints,
                sizes_text(n),
                n.source
            )?;
            for f in n.findings.iter().filter(|f| f.severity > Severity::Info) {
                writeln!(
                    out,
                    "    [{}] {}: {}",
                    severity_tag(f.severity),
                    f.id,
                    f.summary
                )?;
            }
        }
    }
    writeln!(
        out,
        "{} node(s) without warnings or critical findings.",
        r.healthy
    )?;
    if !r.skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "Skipped ({}):", r.skipped.len())?;
        for s in &r.skipped {
            writeln!(out, "  {}: {}", s.source, s.error)?;
        }
    }
    Ok(())
}
