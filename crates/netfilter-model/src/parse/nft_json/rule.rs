//! Assembles a model rule from the items its statements map to.

use crate::model::LossNote;
use crate::model::{Match, MatchKind, Rule, Statement, Verdict, VerdictMap};

use super::expr::MatchOut;
use super::stmt::Item;

/// Adds one statement's item to the rule being built.
pub(super) fn add_item(rule: &mut Rule, item: Item) {
    if let Item::Match(_) = &item {
        note_match_after_effect(rule, &item);
    }
    match item {
        Item::Match(MatchOut::Match(m)) => rule.matches.push(m),
        Item::Match(MatchOut::IcmpCode {
            v6,
            code,
            negated,
            text,
        }) => merge_icmp_code(rule, v6, code, negated, text),
        Item::Statement(s) => rule.statements.push(s),
        Item::Verdict(v) => {
            if rule.verdict.is_none() {
                rule.verdict = Some(v);
            } else if let Some(Verdict::Vmap(m)) = &rule.verdict {
                // `ip saddr vmap @m accept`: the verdict when the map has no match, kept
                // with the map as the nft text parser keeps it.
                rule.verdict = Some(Verdict::Vmap(VerdictMap::parse(&format!("{m} {v}"))));
            } else {
                // nft never lists two verdicts; keep the extra one verbatim.
                rule.statements.push(Statement::Other {
                    target: "nft".into(),
                    args: v.to_string(),
                    lossy: false,
                });
            }
        }
        Item::Counter(c) => {
            if rule.counters.is_none() {
                rule.counters = Some(c);
            } else {
                rule.statements.push(Statement::Other {
                    target: "nft".into(),
                    args: "counter".into(),
                    lossy: false,
                });
            }
        }
        Item::Lossy { item, note } => {
            rule.lossy.push(note);
            if let Some(i) = item {
                add_item(rule, *i);
            }
        }
    }
}

/// The model evaluates all matches before any statement; a match listed after a side
/// effect (`log ... limit rate 5/second drop`) is noted on the rule rather than silently
/// reordered.
fn note_match_after_effect(rule: &mut Rule, item: &Item) {
    let effect = rule
        .statements
        .iter()
        .find(|s| !matches!(s, Statement::ObjectRef { kind, .. } if kind == "counter"));
    if let (Some(effect), Item::Match(m)) = (effect, item) {
        let what = match m {
            MatchOut::Match(m) => m.to_string(),
            MatchOut::IcmpCode { text, .. } => text.clone(),
        };
        rule.lossy.push(LossNote::MatchAfterStatement {
            matched: what,
            statement: effect.to_string(),
        });
    }
}

/// `icmp code C` after `icmp type T` becomes the code of that match (iptables'
/// `--icmp-type T/C`); otherwise it stays verbatim.
fn merge_icmp_code(rule: &mut Rule, v6: bool, code: u8, negated: bool, text: String) {
    if !negated {
        for m in rule.matches.iter_mut().rev() {
            if let MatchKind::Icmp {
                v6: mv6,
                icmp_type: Some(_),
                code: c @ None,
            } = &mut m.kind
            {
                if *mv6 == v6 && !m.negated {
                    *c = Some(code);
                    return;
                }
            }
        }
    }
    rule.matches.push(Match::new(MatchKind::Other {
        module: "nft".into(),
        args: text,
        lossy: false,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Counters, Verdict};

    #[test]
    fn merges_icmp_codes_and_keeps_lossy_notes() {
        let mut r = Rule::default();
        add_item(
            &mut r,
            Item::Match(MatchOut::Match(Match::new(MatchKind::Icmp {
                v6: false,
                icmp_type: Some(3),
                code: None,
            }))),
        );
        add_item(
            &mut r,
            Item::Match(MatchOut::IcmpCode {
                v6: false,
                code: 3,
                negated: false,
                text: "icmp code port-unreachable".into(),
            }),
        );
        assert_eq!(
            r.matches,
            vec![Match::new(MatchKind::Icmp {
                v6: false,
                icmp_type: Some(3),
                code: Some(3)
            })]
        );
        add_item(
            &mut r,
            Item::Match(MatchOut::IcmpCode {
                v6: true,
                code: 1,
                negated: false,
                text: "icmpv6 code admin-prohibited".into(),
            }),
        );
        assert_eq!(r.matches.len(), 2);
        add_item(
            &mut r,
            Item::Counter(Counters {
                packets: 1,
                bytes: 2,
            }),
        );
        add_item(
            &mut r,
            Item::Lossy {
                item: None,
                note: "lost".into(),
            },
        );
        add_item(&mut r, Item::Verdict(Verdict::Accept));
        add_item(&mut r, Item::Verdict(Verdict::Drop));
        assert_eq!(
            r.counters,
            Some(Counters {
                packets: 1,
                bytes: 2
            })
        );
        assert_eq!(r.lossy, vec![LossNote::Other("lost".into())]);
        assert_eq!(r.verdict, Some(Verdict::Accept));
        assert_eq!(r.statements.len(), 1);
    }

    #[test]
    fn matches_after_side_effects_are_noted() {
        let mut r = Rule::default();
        add_item(
            &mut r,
            Item::Statement(Statement::ObjectRef {
                kind: "counter".into(),
                name: "c".into(),
            }),
        );
        add_item(
            &mut r,
            Item::Match(MatchOut::Match(Match::new(MatchKind::Fragment))),
        );
        assert!(r.lossy.is_empty());
        add_item(&mut r, Item::Statement(Statement::Notrack));
        add_item(
            &mut r,
            Item::Match(MatchOut::Match(Match::new(MatchKind::Limit {
                rate: "5/second".into(),
                burst: None,
            }))),
        );
        assert_eq!(
            r.lossy,
            vec![LossNote::MatchAfterStatement {
                matched: "limit rate 5/second".into(),
                statement: "notrack".into(),
            }]
        );
        assert_eq!(
            r.lossy[0].to_string(),
            "match `limit rate 5/second` comes after statement `notrack` in the source"
        );
    }
}
