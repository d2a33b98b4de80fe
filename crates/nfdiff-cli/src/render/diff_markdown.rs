//! Markdown rendering of a ruleset diff, for pasting into a ticket.

use std::io::{self, Write};

use netfilter_model::diff::{hunks, ChainDiff, DiffStatus, RuleOp, RuleOpKind, RulesetDiff};

use super::diff_view::{headline, iface, listed, status_words, DiffView};

/// Inline code that survives backticks in the text.
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// A table cell: pipes escaped, newlines flattened.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A code-block fence longer than any backtick run in `lines`.
fn fence<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let longest = lines
        .flat_map(|l| l.split(|c| c != '`').map(str::len))
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

fn op_lines(op: &RuleOp) -> Vec<String> {
    let mark = match op.op {
        RuleOpKind::Equal if op.is_change() => '?',
        RuleOpKind::Equal => ' ',
        RuleOpKind::Delete => '-',
        RuleOpKind::Insert => '+',
        RuleOpKind::Move => '!',
    };
    let mut first = format!("{mark} {}", op.rule);
    if op.op == RuleOpKind::Move {
        first.push_str(&format!(
            "    # moved: OLD #{} -> NEW #{}",
            op.old_index.unwrap_or(0),
            op.new_index.unwrap_or(0)
        ));
    }
    let mut v = vec![first];
    if let Some(n) = &op.new_rule {
        let note = if op.comparable {
            "NEW text"
        } else {
            "NEW, not comparable: a source was lossy"
        };
        v.push(format!("{mark} {n}    # {note}"));
    }
    v
}

fn write_chain(out: &mut impl Write, c: &ChainDiff, view: &DiffView) -> io::Result<()> {
    let mut lines = Vec::new();
    if matches!(c.status, DiffStatus::OnlyOld | DiffStatus::OnlyNew) {
        for op in &c.rules {
            lines.extend(op_lines(op));
        }
    } else {
        for h in hunks(&c.rules, view.context) {
            lines.push(format!(
                "@@ -{},{} +{},{} @@",
                h.old_start, h.old_len, h.new_start, h.new_len
            ));
            for op in c.rules.get(h.ops.clone()).unwrap_or_default() {
                lines.extend(op_lines(op));
            }
        }
    }
    if lines.is_empty() && c.changes.is_empty() && c.status == DiffStatus::Same {
        // Listed in the chain table already; nothing more to show.
        return Ok(());
    }
    writeln!(
        out,
        "#### {} {} — {}",
        code(&format!("{} {}", c.family, c.table)),
        code(&c.chain),
        status_words(c.status)
    )?;
    writeln!(out)?;
    for ch in &c.changes {
        writeln!(
            out,
            "- {}: {} → {}",
            ch.field.as_str(),
            ch.old.as_deref().map_or("(none)".to_string(), code),
            ch.new.as_deref().map_or("(none)".to_string(), code)
        )?;
    }
    if !c.changes.is_empty() {
        writeln!(out)?;
    }
    if lines.is_empty() {
        return Ok(());
    }
    let f = fence(lines.iter().map(String::as_str));
    writeln!(out, "{f}diff")?;
    for l in &lines {
        writeln!(out, "{l}")?;
    }
    writeln!(out, "{f}")?;
    writeln!(out)
}

/// Writes the diff as Markdown.
pub fn write(out: &mut impl Write, d: &RulesetDiff, view: &DiffView) -> io::Result<()> {
    let s = &d.summary;
    writeln!(
        out,
        "### nfdiff: OLD {} vs NEW {}",
        code(&view.old_label),
        code(&view.new_label)
    )?;
    writeln!(out)?;
    let verdict = if d.equal {
        "No differences"
    } else {
        "Different"
    };
    writeln!(out, "**{verdict}.** {}.", headline(d))?;
    writeln!(out)?;
    let list = |v: &[netfilter_model::model::IfacePattern]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|p| code(&iface(p)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    writeln!(
        out,
        "- **Interfaces known only to OLD:** {}",
        list(&s.interfaces_only_old)
    )?;
    writeln!(
        out,
        "- **Interfaces known only to NEW:** {}",
        list(&s.interfaces_only_new)
    )?;
    writeln!(out)?;
    if !s.owners.is_empty() {
        writeln!(
            out,
            "| owner | OLD chains | OLD rules | NEW chains | NEW rules |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|")?;
        for o in &s.owners {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&o.owner),
                o.old_chains,
                o.old_rules,
                o.new_chains,
                o.new_rules
            )?;
        }
        writeln!(out)?;
    }
    let chains: Vec<&ChainDiff> = d.chains.iter().filter(|c| listed(view, c)).collect();
    if !chains.is_empty() {
        writeln!(
            out,
            "| table | chain | status | deleted | inserted | moved |"
        )?;
        writeln!(out, "|---|---|---|---:|---:|---:|")?;
        for c in &chains {
            let n = c.rule_counts();
            writeln!(
                out,
                "| {} {} | {} | {} | {} | {} | {} |",
                c.family,
                cell(&c.table),
                cell(&code(&c.chain)),
                status_words(c.status),
                n.deleted,
                n.inserted,
                n.moved
            )?;
        }
        writeln!(out)?;
        for c in chains {
            write_chain(out, c, view)?;
        }
    }
    for x in d
        .sets
        .iter()
        .filter(|x| view.all || x.status != DiffStatus::Same)
    {
        writeln!(
            out,
            "#### set {} {} — {}",
            code(&format!("{} {}", x.family, x.table)),
            code(&x.set),
            status_words(x.status)
        )?;
        writeln!(out)?;
        for ch in &x.changes {
            writeln!(
                out,
                "- {}: {} → {}",
                ch.field.as_str(),
                ch.old.as_deref().map_or("(none)".to_string(), code),
                ch.new.as_deref().map_or("(none)".to_string(), code)
            )?;
        }
        let lines: Vec<String> = x
            .removed
            .iter()
            .map(|e| format!("- {e}"))
            .chain(x.added.iter().map(|e| format!("+ {e}")))
            .collect();
        if !lines.is_empty() {
            let f = fence(lines.iter().map(String::as_str));
            writeln!(out, "{f}diff")?;
            for l in &lines {
                writeln!(out, "{l}")?;
            }
            writeln!(out, "{f}")?;
        }
        writeln!(out)?;
    }
    for o in d
        .objects
        .iter()
        .filter(|o| view.all || o.status != DiffStatus::Same)
    {
        writeln!(
            out,
            "- {} {} in {}: {} ({} → {})",
            o.kind,
            code(&o.name),
            code(&format!("{} {}", o.family, o.table)),
            status_words(o.status),
            o.old_body.as_deref().map_or("(none)".to_string(), code),
            o.new_body.as_deref().map_or("(none)".to_string(), code)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_survives_backticks() {
        assert_eq!(code("abc"), "`abc`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(fence(["x", "```"].into_iter()), "````");
        assert_eq!(fence(["x"].into_iter()), "```");
    }
}
