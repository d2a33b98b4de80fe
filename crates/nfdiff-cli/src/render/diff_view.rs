//! How a diff report is presented: source labels, what to list, context, colour, wording.

use netfilter_model::diff::{ChainDiff, DiffStatus, RulesetDiff};
use netfilter_model::model::IfacePattern;

/// Presentation choices shared by the diff renderers.
#[derive(Debug, Clone)]
pub struct DiffView {
    /// OLD as the user named it.
    pub old_label: String,
    /// NEW as the user named it.
    pub new_label: String,
    /// List unchanged chains, sets and objects too.
    pub all: bool,
    /// Unchanged rules around each change (text and markdown).
    pub context: usize,
    /// Colour the text output.
    pub color: bool,
}

/// An interface pattern as people write it: `eth0`, or `cali*` for a prefix.
pub fn iface(p: &IfacePattern) -> String {
    match p {
        IfacePattern::Exact(s) => s.clone(),
        IfacePattern::Prefix(s) => format!("{s}*"),
        other => other.to_string(),
    }
}

/// A list of interface patterns, or `(none)`.
pub fn iface_list(v: &[IfacePattern]) -> String {
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.iter().map(iface).collect::<Vec<_>>().join(", ")
    }
}

/// A status in words.
pub fn status_words(s: DiffStatus) -> &'static str {
    match s {
        DiffStatus::OnlyOld => "only in OLD",
        DiffStatus::OnlyNew => "only in NEW",
        DiffStatus::Changed => "changed",
        DiffStatus::Same => "same",
        other => other.as_str(),
    }
}

/// Whether a chain is listed: every changed one, unchanged ones with `--all`.
pub fn listed(view: &DiffView, c: &ChainDiff) -> bool {
    view.all || c.status != DiffStatus::Same
}

/// `N thing` or `N things`.
pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The one-sentence verdict: what differs, in numbers.
pub fn headline(d: &RulesetDiff) -> String {
    let s = &d.summary;
    let mut parts = vec![format!(
        "chains: {} only in OLD, {} only in NEW, {} changed, {} same",
        s.chains.only_old, s.chains.only_new, s.chains.changed, s.chains.same
    )];
    parts.push(format!(
        "rules: {} deleted, {} inserted, {} moved, {} equal",
        s.rules.deleted, s.rules.inserted, s.rules.moved, s.rules.equal
    ));
    if s.rules.not_comparable > 0 {
        parts.push(format!(
            "{} not comparable (a source was lossy)",
            count(s.rules.not_comparable, "rule")
        ));
    }
    for (what, c) in [("sets", &s.sets), ("objects", &s.objects)] {
        if c.only_old + c.only_new + c.changed + c.same > 0 {
            parts.push(format!(
                "{what}: {} only in OLD, {} only in NEW, {} changed, {} same",
                c.only_old, c.only_new, c.changed, c.same
            ));
        }
    }
    parts.join("; ")
}
