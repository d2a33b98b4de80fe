//! Interned comparison keys of rules: canonical texts hashed once, compared as integers.

use std::collections::HashMap;

use crate::model::{MatchKind, Rule, Statement};

use super::options::DiffOptions;

/// Maps canonical texts to small integers, so sequences of rules compare cheaply.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    /// The id of `text`, allocating one on first sight.
    pub(crate) fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        // More than u32::MAX distinct rules cannot be held in memory anyway;
        // saturating keeps this total without a panic.
        let id = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(text.into(), id);
        id
    }
}

/// Whether any part of the rule was lost by its source.
pub(crate) fn is_lossy(rule: &Rule) -> bool {
    !rule.lossy.is_empty()
        || rule
            .matches
            .iter()
            .any(|m| matches!(m.kind, MatchKind::Other { lossy: true, .. }))
        || rule
            .statements
            .iter()
            .any(|s| matches!(s, Statement::Other { lossy: true, .. }))
}

/// The keys of one rule.
#[derive(Debug)]
pub(crate) struct RuleKey {
    /// Canonical text, shown in reports.
    pub(crate) text: String,
    /// Id of the text that decides equality (without the comment when comments are ignored).
    pub(crate) full: u32,
    /// Id used to align the two chains; equal to `full` unless lossy rules are involved.
    pub(crate) align: u32,
    /// Whether the rule was read completely.
    pub(crate) comparable: bool,
}

/// The text of `rule` with its comment removed.
fn without_comment(rule: &Rule) -> String {
    if rule.comment.is_none() {
        return rule.canonical();
    }
    rule.canonical_without_comment()
}

/// The text of `rule` reduced to what a lossy source keeps: verbatim (`Other`)
/// matches and statements by their module name only (an nft JSON `xt` match keeps
/// no options), and no comment when `strip_comment` (nft text may drop it).
fn loose_text(rule: &Rule, strip_comment: bool) -> String {
    let mut r = rule.clone();
    for m in &mut r.matches {
        if let MatchKind::Other {
            module,
            args,
            lossy,
        } = &mut m.kind
        {
            *module = module.trim_start_matches("xt:").to_string();
            args.clear();
            *lossy = false;
        }
    }
    for s in &mut r.statements {
        if let Statement::Other {
            target,
            args,
            lossy,
        } = s
        {
            *target = target.trim_start_matches("xt:").to_string();
            args.clear();
            *lossy = false;
        }
    }
    if strip_comment {
        r.comment = None;
    }
    r.canonical()
}

/// Keys of every rule of a chain pair. When any rule of the pair is lossy, the
/// alignment keys leave lossy parts out (and comments, when a rule-level loss is
/// recorded), so a lossy rule still lines up with its complete counterpart.
pub(crate) fn chain_pair_keys(
    old: &[Rule],
    new: &[Rule],
    opts: &DiffOptions,
    interner: &mut Interner,
) -> (Vec<RuleKey>, Vec<RuleKey>) {
    let make = |rules: &[Rule], interner: &mut Interner| -> Vec<RuleKey> {
        rules
            .iter()
            .map(|r| {
                let text = r.canonical();
                let full = if opts.ignore_comments && r.comment.is_some() {
                    interner.intern(&without_comment(r))
                } else {
                    interner.intern(&text)
                };
                RuleKey {
                    text,
                    full,
                    align: full,
                    comparable: !is_lossy(r),
                }
            })
            .collect()
    };
    let mut ok = make(old, interner);
    let mut nk = make(new, interner);
    let any_lossy = ok.iter().chain(&nk).any(|k| !k.comparable);
    if any_lossy {
        let strip_comment =
            opts.ignore_comments || old.iter().chain(new).any(|r| !r.lossy.is_empty());
        for (keys, rules) in [(&mut ok, old), (&mut nk, new)] {
            for (k, r) in keys.iter_mut().zip(rules) {
                k.align = interner.intern(&loose_text(r, strip_comment));
            }
        }
    }
    (ok, nk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Match, Verdict};

    fn rule(comment: Option<&str>) -> Rule {
        Rule {
            verdict: Some(Verdict::Drop),
            comment: comment.map(str::to_string),
            ..Rule::default()
        }
    }

    #[test]
    fn interner_reuses_ids() {
        let mut i = Interner::default();
        let a = i.intern("drop");
        let b = i.intern("accept");
        assert_ne!(a, b);
        assert_eq!(i.intern("drop"), a);
    }

    #[test]
    fn comments_decide_unless_ignored() {
        let mut i = Interner::default();
        let old = [rule(Some("x"))];
        let new = [rule(Some("y"))];
        let (o, n) = chain_pair_keys(&old, &new, &DiffOptions::default(), &mut i);
        assert_ne!(o[0].full, n[0].full);
        let opts = DiffOptions {
            ignore_comments: true,
        };
        let (o, n) = chain_pair_keys(&old, &new, &opts, &mut i);
        assert_eq!(o[0].full, n[0].full);
        assert_eq!(o[0].text, "drop comment \"x\"");
    }

    #[test]
    fn lossy_rules_align_on_what_is_left() {
        let mut i = Interner::default();
        let old = [rule(Some("Unknown interface"))];
        let mut lossy = rule(None);
        lossy.lossy.push("comment dropped by nft text".into());
        let (o, n) = chain_pair_keys(&old, &[lossy], &DiffOptions::default(), &mut i);
        assert!(o[0].comparable);
        assert!(!n[0].comparable);
        assert_ne!(o[0].full, n[0].full);
        assert_eq!(o[0].align, n[0].align);

        let mut xt = rule(None);
        xt.matches.push(Match::new(MatchKind::Other {
            module: "xt:recent".into(),
            args: String::new(),
            lossy: true,
        }));
        assert!(is_lossy(&xt));
        let mut full = rule(None);
        full.matches.push(Match::new(MatchKind::Other {
            module: "recent".into(),
            args: "--rcheck --seconds 60".into(),
            lossy: false,
        }));
        let (o, n) = chain_pair_keys(&[full], &[xt], &DiffOptions::default(), &mut i);
        assert_eq!(o[0].align, n[0].align);
        assert_ne!(o[0].full, n[0].full);
    }
}
