//! Text rendering of `diff --semantic`: the classes of packets whose fate differs, each with
//! its packets, the deciding rule on each side and a witness to trace.

use std::io::{self, Write};

use netfilter_model::trace::FinalVerdict;

use super::trace_text::describe_packet;
use crate::semantic_diff_report::{
    shell_word, trace_args, Difference, SemanticDiffReport, SideFate,
};

fn verdict_word(v: FinalVerdict) -> &'static str {
    match v {
        FinalVerdict::Accept => "ACCEPT",
        FinalVerdict::Drop => "DROP",
    }
}

fn write_side(out: &mut impl Write, name: &str, s: &SideFate) -> io::Result<()> {
    let may = match (s.certain, s.reasons.is_empty()) {
        (true, _) => "",
        (false, true) => " (may: depends on matches nfdiff cannot decide)",
        (false, false) => " (may)",
    };
    match s.deciding.as_slice() {
        [] => writeln!(
            out,
            "   {name}: {} (no base chain on the path sees these packets){may}",
            verdict_word(s.verdict)
        )?,
        [first, rest @ ..] => {
            let by = if s.verdict == FinalVerdict::Accept {
                ", last accepted by"
            } else {
                " by"
            };
            writeln!(
                out,
                "   {name}: {}{by} {first}{may}:",
                verdict_word(s.verdict)
            )?;
            writeln!(out, "        {}", first.rule)?;
            for r in rest {
                writeln!(out, "        or {r}: {}", r.rule)?;
            }
        }
    }
    for r in &s.reasons {
        writeln!(out, "        (may: {r})")?;
    }
    Ok(())
}

fn write_difference(
    out: &mut impl Write,
    n: usize,
    d: &Difference,
    rep: &SemanticDiffReport,
) -> io::Result<()> {
    let certainty = if d.certain() { "" } else { " [may]" };
    match d.packets.split_first() {
        Some((first, rest)) => {
            writeln!(out, "{n}.{certainty} {first}")?;
            for p in rest {
                writeln!(out, "   or {p}")?;
            }
        }
        None => writeln!(out, "{n}.{certainty} (packets not shown)")?,
    }
    if d.more_packets {
        writeln!(out, "   or more parts of the class")?;
    }
    write_side(out, "OLD", &d.old)?;
    write_side(out, "NEW", &d.new)?;
    writeln!(out, "   witness: {}", describe_packet(&d.witness))?;
    let args = trace_args(&d.witness);
    writeln!(
        out,
        "     nfdiff trace {} {args}",
        shell_word(&rep.old_label)
    )?;
    writeln!(
        out,
        "     nfdiff trace {} {args}",
        shell_word(&rep.new_label)
    )?;
    for (name, s) in [("OLD", &d.old), ("NEW", &d.new)] {
        if !s.confirmed() {
            let traced: Vec<&str> = s.traced.iter().map(|v| verdict_word(*v)).collect();
            writeln!(
                out,
                "   WARNING: the tracer gives {} for the witness on {name}, not {}: please report this",
                traced.join(" or "),
                verdict_word(s.verdict)
            )?;
        }
    }
    Ok(())
}

/// Writes the semantic diff for people.
pub fn write(out: &mut impl Write, rep: &SemanticDiffReport) -> io::Result<()> {
    writeln!(out, "--- OLD {}", rep.old_label)?;
    writeln!(out, "+++ NEW {}", rep.new_label)?;
    let what = if rep.by_rule {
        "verdict or deciding rule"
    } else {
        "verdict"
    };
    writeln!(
        out,
        "Packets compared: {}; what counts: the {what}",
        rep.space
    )?;
    writeln!(out)?;
    for (i, d) in rep.differences.iter().enumerate() {
        write_difference(out, i + 1, d, rep)?;
        writeln!(out)?;
    }
    if rep.equivalent() {
        writeln!(out, "Summary: equivalent: no packet's {what} differs")?;
    } else {
        let n = rep.differences.len();
        let certain = rep.certain();
        writeln!(
            out,
            "Summary: different: {n} class(es) of packets ({certain} certain, {} possible)",
            n - certain
        )?;
    }
    for n in &rep.notes {
        writeln!(out, "Note: {n}")?;
    }
    if rep.uncertain {
        writeln!(
            out,
            "Note: some packets' fate depends on matches nfdiff cannot decide (sets without \
             members, random or rate matches, parts a listing leaves out): \"equivalent\" holds \
             whatever they do, differences marked [may] hold for some of their outcomes"
        )?;
    }
    Ok(())
}
