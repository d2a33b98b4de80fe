//! `diff --format html`: one self-contained page with the summary and, per changed chain,
//! OLD and NEW side by side, rule by rule (deleted, inserted and moved rules marked with a
//! word as well as a colour).

use std::io::{self, Write};

use netfilter_model::diff::{ChainDiff, DiffStatus, RuleOpKind, RulesetDiff};

use super::diff_view::{listed, DiffView};
use super::html::{escape, page_end, page_start};
use super::style::Painter;

fn status_word(s: DiffStatus) -> &'static str {
    match s {
        DiffStatus::OnlyOld => "only in OLD",
        DiffStatus::OnlyNew => "only in NEW",
        DiffStatus::Changed => "changed",
        DiffStatus::Same => "same",
        other => other.as_str(),
    }
}

fn cell(class: &str, tag: &str, index: Option<usize>, rule: &str) -> String {
    let tag = if tag.is_empty() {
        String::new()
    } else {
        format!("<span class=\"tag\">{tag}</span>")
    };
    let idx = index.map_or(String::new(), |i| format!("{i}: "));
    format!(
        "<td class=\"{class}\">{tag}<span class=\"rule\">{}{}</span></td>",
        idx,
        escape(rule)
    )
}

fn write_chain(out: &mut impl Write, c: &ChainDiff) -> io::Result<()> {
    writeln!(
        out,
        "<h3>chain {} <small>({}; OLD {}, NEW {})</small></h3>",
        escape(&c.chain),
        status_word(c.status),
        c.old_backend.map_or("-", |b| b.as_str()),
        c.new_backend.map_or("-", |b| b.as_str())
    )?;
    for ch in &c.changes {
        writeln!(
            out,
            "<p>{}: <code>{}</code> &rarr; <code>{}</code></p>",
            ch.field.as_str(),
            escape(ch.old.as_deref().unwrap_or("-")),
            escape(ch.new.as_deref().unwrap_or("-"))
        )?;
    }
    if c.rules.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<table class=\"sbs\"><tr><th>OLD ({} rules)</th><th>NEW ({} rules)</th></tr>",
        c.old_rules, c.new_rules
    )?;
    for op in &c.rules {
        let (l, r) = match op.op {
            RuleOpKind::Equal => (
                cell("eq", "", op.old_index, &op.rule),
                cell(
                    "eq",
                    "",
                    op.new_index,
                    op.new_rule.as_deref().unwrap_or(&op.rule),
                ),
            ),
            RuleOpKind::Delete => (
                cell("del", "DELETED", op.old_index, &op.rule),
                "<td></td>".to_string(),
            ),
            RuleOpKind::Insert => (
                "<td></td>".to_string(),
                cell(
                    "ins",
                    "INSERTED",
                    op.new_index,
                    op.new_rule.as_deref().unwrap_or(&op.rule),
                ),
            ),
            RuleOpKind::Move => (
                cell("mov", "MOVED", op.old_index, &op.rule),
                cell(
                    "mov",
                    "MOVED",
                    op.new_index,
                    op.new_rule.as_deref().unwrap_or(&op.rule),
                ),
            ),
        };
        writeln!(out, "<tr>{l}{r}</tr>")?;
    }
    writeln!(out, "</table>")
}

/// Writes the diff as one HTML page.
pub fn write(out: &mut impl Write, d: &RulesetDiff, view: &DiffView) -> io::Result<()> {
    page_start(out, "nfdiff diff")?;
    writeln!(
        out,
        "<p>OLD <code>{}</code> &rarr; NEW <code>{}</code></p>",
        escape(&view.old_label),
        escape(&view.new_label)
    )?;
    let mut summary = Vec::new();
    super::diff_text::write_summary(&mut summary, d, &Painter { enabled: false })?;
    writeln!(
        out,
        "<div class=\"summary\" id=\"summary\"><p><span class=\"sev {}\">{}</span></p><pre>{}</pre></div>",
        if d.equal { "sev-ok" } else { "sev-warning" },
        if d.equal { "EQUAL" } else { "DIFFERENT" },
        escape(String::from_utf8_lossy(&summary).trim())
    )?;
    let mut table: Option<(String, String)> = None;
    for c in d.chains.iter().filter(|c| listed(view, c)) {
        let key = (c.family.to_string(), c.table.clone());
        if table.as_ref() != Some(&key) {
            writeln!(out, "<h2>table {} {}</h2>", escape(&key.0), escape(&key.1))?;
            table = Some(key);
        }
        write_chain(out, c)?;
    }
    let sets: Vec<_> = d
        .sets
        .iter()
        .filter(|s| view.all || s.status != DiffStatus::Same)
        .collect();
    if !sets.is_empty() {
        writeln!(out, "<h2>Sets and maps</h2>")?;
        writeln!(out, "<table class=\"sbs\"><tr><th>set</th><th>status</th><th>removed</th><th>added</th></tr>")?;
        for s in sets {
            writeln!(
                out,
                "<tr><td>{} {} {}</td><td>{}</td><td class=\"del\">{}</td><td class=\"ins\">{}</td></tr>",
                s.family,
                escape(&s.table),
                escape(&s.set),
                status_word(s.status),
                escape(&s.removed.join(", ")),
                escape(&s.added.join(", "))
            )?;
        }
        writeln!(out, "</table>")?;
    }
    page_end(out)
}
