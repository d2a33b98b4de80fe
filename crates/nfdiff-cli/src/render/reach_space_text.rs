//! Text rendering of `reach` on the packet-space engine: per interface class, its classes of
//! packets with verdict, certainty, deciding rule, the packets as cubes, and a witness.

use std::io::{self, Write};

use netfilter_model::model::IfacePattern;
use netfilter_model::space::Certainty;
use netfilter_model::trace::{FinalVerdict, RuleRef};

use crate::reach_space::ReachSpaceClass;

/// Cubes listed per class before "... and N more".
const CUBES_LISTED: usize = 8;

fn rule(r: &RuleRef) -> String {
    match &r.comment {
        Some(c) => format!("{r} \"{c}\""),
        None => r.to_string(),
    }
}

/// Writes every interface class and its packet classes.
pub fn write(
    out: &mut impl Write,
    pattern: &IfacePattern,
    classes: &[ReachSpaceClass],
) -> io::Result<()> {
    let total: usize = classes.iter().map(|c| c.partition.classes.len()).sum();
    writeln!(
        out,
        "Input interfaces {}: {} interface class(es), {} packet class(es)",
        format!("{pattern}").trim_matches('"'),
        classes.len(),
        total
    )?;
    for c in classes {
        writeln!(out)?;
        let drops = c
            .partition
            .classes
            .iter()
            .filter(|k| k.verdict == FinalVerdict::Drop)
            .count();
        writeln!(
            out,
            "{} (analysed as {}): {} class(es), {} accepted, {} dropped",
            c.description,
            c.example,
            c.partition.classes.len(),
            c.partition.classes.len() - drops,
            drops
        )?;
        for k in &c.partition.classes {
            let verdict = match k.verdict {
                FinalVerdict::Accept => "ACCEPT",
                FinalVerdict::Drop => "DROP",
            };
            let by = if k.deciding.is_empty() {
                "no base chain saw it".to_string()
            } else {
                k.deciding.iter().map(rule).collect::<Vec<_>>().join(" or ")
            };
            let certainty = match k.certainty {
                Certainty::Must => "must",
                _ => "may",
            };
            writeln!(out, "  [{certainty}] {verdict} by {by}")?;
            for (i, cube) in k.cubes.iter().enumerate() {
                if i == CUBES_LISTED {
                    writeln!(
                        out,
                        "      ... and {}{} more",
                        k.cubes.len() - CUBES_LISTED,
                        if k.cubes_truncated { " or" } else { "" }
                    )?;
                    break;
                }
                writeln!(
                    out,
                    "      {} {cube}",
                    if i == 0 { "packets:" } else { "        " }
                )?;
            }
            if k.cubes.len() <= CUBES_LISTED && k.cubes_truncated {
                writeln!(out, "      ... and more")?;
            }
            // On a *must* class the reasons are notes (the orders in which it holds); only a
            // *may* class depends on them.
            let label = if k.certainty == Certainty::Must {
                "note"
            } else {
                "may because"
            };
            for r in &k.reasons {
                writeln!(out, "      {label}: {r}")?;
            }
            writeln!(
                out,
                "      witness: {}",
                super::trace_text::packet_fields(&k.witness)
            )?;
        }
        for n in &c.partition.notes {
            writeln!(out, "  Note: {n}")?;
        }
    }
    Ok(())
}
