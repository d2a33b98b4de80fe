//! Text rendering of a ruleset diff: a unified-diff-like view with table and chain headers.

use std::io::{self, Write};

use netfilter_model::diff::{hunks, ChainDiff, DiffStatus, RuleOp, RuleOpKind, RulesetDiff};

use super::diff_view::{count, headline, iface_list, listed, status_words, DiffView};
use super::style::{Painter, Style};

/// Writes the diff for people.
pub fn write(out: &mut impl Write, d: &RulesetDiff, view: &DiffView) -> io::Result<()> {
    let p = Painter {
        enabled: view.color,
    };
    writeln!(
        out,
        "{}",
        p.paint(Style::Red, &format!("--- OLD {}", view.old_label))
    )?;
    writeln!(
        out,
        "{}",
        p.paint(Style::Green, &format!("+++ NEW {}", view.new_label))
    )?;
    let mut table: Option<(String, String)> = None;
    for c in d.chains.iter().filter(|c| listed(view, c)) {
        let key = (c.family.to_string(), c.table.clone());
        if table.as_ref() != Some(&key) {
            writeln!(out)?;
            let backends = format!(
                "OLD {}, NEW {}",
                c.old_backend.map_or("-", |b| b.as_str()),
                c.new_backend.map_or("-", |b| b.as_str())
            );
            writeln!(
                out,
                "{} {}",
                p.paint(Style::Bold, &format!("table {} {}", key.0, key.1)),
                p.paint(Style::Dim, &format!("({backends})"))
            )?;
            table = Some(key);
        }
        write_chain(out, c, view, &p)?;
    }
    write_sets(out, d, view, &p)?;
    write_summary(out, d, &p)
}

fn write_chain(
    out: &mut impl Write,
    c: &ChainDiff,
    view: &DiffView,
    p: &Painter,
) -> io::Result<()> {
    let rules = match c.status {
        DiffStatus::OnlyOld => count(c.old_rules, "rule"),
        DiffStatus::OnlyNew => count(c.new_rules, "rule"),
        _ if c.old_rules == c.new_rules => count(c.old_rules, "rule"),
        _ => format!("{} -> {} rules", c.old_rules, c.new_rules),
    };
    let style = match c.status {
        DiffStatus::OnlyOld => Style::Red,
        DiffStatus::OnlyNew => Style::Green,
        DiffStatus::Changed => Style::Yellow,
        DiffStatus::Same => Style::Dim,
        _ => Style::Yellow,
    };
    writeln!(
        out,
        "{} {}",
        p.paint(Style::Bold, &format!("chain {}:", c.chain)),
        p.paint(style, &format!("{} ({rules})", status_words(c.status)))
    )?;
    for ch in &c.changes {
        writeln!(
            out,
            "  {}: {} -> {}",
            ch.field.as_str(),
            ch.old.as_deref().unwrap_or("(none)"),
            ch.new.as_deref().unwrap_or("(none)")
        )?;
    }
    if matches!(c.status, DiffStatus::OnlyOld | DiffStatus::OnlyNew) {
        for op in &c.rules {
            write_op(out, op, p)?;
        }
        return Ok(());
    }
    for h in hunks(&c.rules, view.context) {
        writeln!(
            out,
            "{}",
            p.paint(
                Style::Cyan,
                &format!(
                    "@@ -{},{} +{},{} @@",
                    h.old_start, h.old_len, h.new_start, h.new_len
                )
            )
        )?;
        for op in c.rules.get(h.ops.clone()).unwrap_or_default() {
            write_op(out, op, p)?;
        }
    }
    Ok(())
}

fn idx(i: Option<usize>) -> String {
    i.map_or_else(String::new, |i| i.to_string())
}

fn write_op(out: &mut impl Write, op: &RuleOp, p: &Painter) -> io::Result<()> {
    let (mark, style) = match op.op {
        RuleOpKind::Equal if op.is_change() => ('?', Some(Style::Yellow)),
        RuleOpKind::Equal => (' ', None),
        RuleOpKind::Delete => ('-', Some(Style::Red)),
        RuleOpKind::Insert => ('+', Some(Style::Green)),
        RuleOpKind::Move => ('~', Some(Style::Yellow)),
    };
    let mut line = format!(
        "{mark} {:>4} {:>4}  {}",
        idx(op.old_index),
        idx(op.new_index),
        op.rule
    );
    if op.op == RuleOpKind::Move {
        line.push_str("  (moved)");
    }
    if !op.comparable && !op.is_change() {
        line.push_str("  (lossy source: not fully comparable)");
    }
    match style {
        Some(s) => writeln!(out, "{}", p.paint(s, &line))?,
        None => writeln!(out, "{line}")?,
    }
    if let Some(n) = &op.new_rule {
        let note = if op.comparable {
            "NEW text"
        } else {
            "NEW, not comparable: a source was lossy"
        };
        let line = format!("{mark} {:>4} {:>4}  {n}  ({note})", "", "");
        match style {
            Some(s) => writeln!(out, "{}", p.paint(s, &line))?,
            None => writeln!(out, "{}", p.paint(Style::Dim, &line))?,
        }
    }
    Ok(())
}

fn write_sets(
    out: &mut impl Write,
    d: &RulesetDiff,
    view: &DiffView,
    p: &Painter,
) -> io::Result<()> {
    let sets: Vec<_> = d
        .sets
        .iter()
        .filter(|s| view.all || s.status != DiffStatus::Same)
        .collect();
    let objects: Vec<_> = d
        .objects
        .iter()
        .filter(|o| view.all || o.status != DiffStatus::Same)
        .collect();
    if sets.is_empty() && objects.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    for s in sets {
        writeln!(
            out,
            "{} {}",
            p.paint(
                Style::Bold,
                &format!("set {} {} {}:", s.family, s.table, s.set)
            ),
            format_args!(
                "{} ({} -> {} elements)",
                status_words(s.status),
                s.old_elements,
                s.new_elements
            )
        )?;
        for ch in &s.changes {
            writeln!(
                out,
                "  {}: {} -> {}",
                ch.field.as_str(),
                ch.old.as_deref().unwrap_or("(none)"),
                ch.new.as_deref().unwrap_or("(none)")
            )?;
        }
        for e in &s.removed {
            writeln!(out, "{}", p.paint(Style::Red, &format!("- {e}")))?;
        }
        for e in &s.added {
            writeln!(out, "{}", p.paint(Style::Green, &format!("+ {e}")))?;
        }
    }
    for o in objects {
        writeln!(
            out,
            "{} {}",
            p.paint(
                Style::Bold,
                &format!("{} {} {} {}:", o.kind, o.family, o.table, o.name)
            ),
            status_words(o.status)
        )?;
        if o.old_body != o.new_body {
            if let Some(b) = &o.old_body {
                writeln!(out, "{}", p.paint(Style::Red, &format!("- {b}")))?;
            }
            if let Some(b) = &o.new_body {
                writeln!(out, "{}", p.paint(Style::Green, &format!("+ {b}")))?;
            }
        }
    }
    Ok(())
}

pub fn write_summary(out: &mut impl Write, d: &RulesetDiff, p: &Painter) -> io::Result<()> {
    let s = &d.summary;
    writeln!(out)?;
    let verdict = if d.equal {
        p.paint(Style::Green, "no differences")
    } else {
        p.paint(Style::Red, "different")
    };
    writeln!(out, "{} {verdict}", p.paint(Style::Bold, "Summary:"))?;
    for part in headline(d).split("; ") {
        writeln!(out, "  {part}")?;
    }
    writeln!(
        out,
        "  interfaces known only to OLD: {}",
        iface_list(&s.interfaces_only_old)
    )?;
    writeln!(
        out,
        "  interfaces known only to NEW: {}",
        iface_list(&s.interfaces_only_new)
    )?;
    if !s.owners.is_empty() {
        writeln!(
            out,
            "  {:<8} {:>11} {:>11} {:>11} {:>11}",
            "owner", "OLD chains", "OLD rules", "NEW chains", "NEW rules"
        )?;
        for o in &s.owners {
            writeln!(
                out,
                "  {:<8} {:>11} {:>11} {:>11} {:>11}",
                o.owner, o.old_chains, o.old_rules, o.new_chains, o.new_rules
            )?;
        }
    }
    Ok(())
}
