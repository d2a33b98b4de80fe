//! Graphviz DOT helpers shared by the graph renderers: quoting and the jump targets of a rule.

use netfilter_model::model::{Rule, Verdict};

/// A DOT double-quoted string: quotes and backslashes escaped, newlines as `\n`, other
/// control characters dropped (comments come from the ruleset and may hold anything).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Cuts long text (rule text in a node label) to `max` characters with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// How a rule leaves its chain for another: `jump`/`goto` and the targets of a verdict map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Returns to the rule after it.
    Jump,
    /// Does not return.
    Goto,
}

/// The chains a rule may continue in, with how (verdict maps list theirs in their text).
pub fn targets(rule: &Rule) -> Vec<(Edge, String)> {
    match &rule.verdict {
        Some(Verdict::Jump(c)) => vec![(Edge::Jump, c.clone())],
        Some(Verdict::Goto(c)) => vec![(Edge::Goto, c.clone())],
        Some(Verdict::Vmap(map)) => map
            .chain_targets()
            .into_iter()
            .filter_map(|v| match v {
                Verdict::Jump(c) => Some((Edge::Jump, c.clone())),
                Verdict::Goto(c) => Some((Edge::Goto, c.clone())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netfilter_model::model::VerdictMap;

    #[test]
    fn quoting_and_vmap_targets() {
        assert_eq!(quote("a \"b\"\\\n<c>\u{7}"), "\"a \\\"b\\\"\\\\\\n<c>\"");
        assert_eq!(clip("abcdef", 4), "abc…");
        let r = Rule::new(
            Vec::new(),
            Vec::new(),
            Some(Verdict::Vmap(VerdictMap::parse(
                "iifname vmap { \"cali1\" : jump cali-fw-cali1, \"cali2\" : goto cali-fw-cali2, \"x\" : drop }",
            ))),
        );
        assert_eq!(
            targets(&r),
            vec![
                (Edge::Jump, "cali-fw-cali1".to_string()),
                (Edge::Goto, "cali-fw-cali2".to_string())
            ]
        );
    }
}
