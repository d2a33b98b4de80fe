//! Interned comparison keys of rules: canonical texts hashed once, compared as integers.

use crate::model::{MatchKind, Rule, Statement};

use super::fasthash::FastHashMap;
use super::lossy::{align_text, has_verbatim, loses_something, Notation};
use super::options::DiffOptions;

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

/// Gives equal texts equal ids, numbering from 0 in order of first sight.
fn intern<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<u32> {
    let mut ids: FastHashMap<&'a str, u32> = FastHashMap::default();
    texts
        .map(|t| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(t).or_insert(next)
        })
        .collect()
}

/// The canonical texts of `rules`, each distinct rule rendered once: a rule
/// structurally equal (`Rule: Eq`, over exactly the parts the text shows) to an
/// earlier one gets a copy of that one's text. Also returns, per rule, the index of
/// the first rule equal to it, so texts need only be interned once per distinct rule.
fn texts_once(rules: &[&Rule]) -> (Vec<String>, Vec<usize>) {
    let mut first: FastHashMap<&Rule, usize> = FastHashMap::default();
    first.reserve(rules.len());
    let mut texts: Vec<String> = Vec::with_capacity(rules.len());
    let mut rep: Vec<usize> = Vec::with_capacity(rules.len());
    for (i, r) in rules.iter().enumerate() {
        let f = *first.entry(*r).or_insert(i);
        let text = match texts.get(f) {
            Some(t) if f != i => t.clone(),
            _ => r.canonical(),
        };
        texts.push(text);
        rep.push(f);
    }
    (texts, rep)
}

/// Keys of every rule of a chain pair. Ids are only comparable within the pair.
/// When any rule of the pair is lossy, the alignment keys reduce every rule to
/// what every listing keeps (see [`align_text`]), so a lossy rule still lines up
/// with its complete counterpart; the pair is then verified part by part.
pub(crate) fn chain_pair_keys(
    old: &[Rule],
    new: &[Rule],
    opts: &DiffOptions,
) -> (Vec<RuleKey>, Vec<RuleKey>) {
    let all: Vec<&Rule> = old.iter().chain(new).collect();
    let (texts, rep) = texts_once(&all);
    let full = if opts.ignore_comments {
        let bare: Vec<Option<String>> = all
            .iter()
            .map(|r| r.comment.is_some().then(|| without_comment(r)))
            .collect();
        intern(
            texts
                .iter()
                .zip(&bare)
                .map(|(t, b)| b.as_deref().unwrap_or(t)),
        )
    } else {
        // Texts are interned once per distinct rule; a copy takes its original's id.
        // Structurally different rules with equal texts still share an id.
        let mut ids: FastHashMap<&str, u32> = FastHashMap::default();
        let mut full: Vec<u32> = Vec::with_capacity(all.len());
        for (i, f) in rep.iter().enumerate() {
            let id = match full.get(*f) {
                Some(id) if *f != i => *id,
                _ => {
                    let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                    let t = texts.get(i).map_or("", String::as_str);
                    *ids.entry(t).or_insert(next)
                }
            };
            full.push(id);
        }
        full
    };
    let comparable: Vec<bool> = all.iter().map(|r| !loses_something(r, opts)).collect();
    // Verbatim parts in iptables notation on one side and in nft notation on the other
    // (nft's translated listing of xt extensions) also need the loose alignment.
    let crossed = {
        let any = |rs: &[Rule], n| rs.iter().any(|r| has_verbatim(r, n));
        (any(old, Notation::Iptables) && any(new, Notation::Nft))
            || (any(old, Notation::Nft) && any(new, Notation::Iptables))
    };
    let align = if comparable.iter().all(|c| *c) && !crossed {
        full.clone()
    } else {
        let loose: Vec<String> = all.iter().map(|r| align_text(r)).collect();
        intern(loose.iter().map(String::as_str))
    };
    let mut keys: Vec<RuleKey> = texts
        .into_iter()
        .zip(full)
        .zip(align)
        .zip(comparable)
        .map(|(((text, full), align), comparable)| RuleKey {
            text,
            full,
            align,
            comparable,
        })
        .collect();
    let new_keys = keys.split_off(old.len().min(keys.len()));
    (keys, new_keys)
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
    fn intern_reuses_ids() {
        assert_eq!(intern(["drop", "accept", "drop"].into_iter()), [0, 1, 0]);
    }

    #[test]
    fn comments_decide_unless_ignored() {
        let old = [rule(Some("x"))];
        let new = [rule(Some("y"))];
        let (o, n) = chain_pair_keys(&old, &new, &DiffOptions::default());
        assert_ne!(o[0].full, n[0].full);
        let opts = DiffOptions {
            ignore_comments: true,
        };
        let (o, n) = chain_pair_keys(&old, &new, &opts);
        assert_eq!(o[0].full, n[0].full);
        assert_eq!(o[0].text, "drop comment \"x\"");
    }

    #[test]
    fn lossy_rules_align_on_what_is_left() {
        let old = [rule(Some("Unknown interface"))];
        let mut lossy = rule(None);
        lossy.lossy.push("comment dropped by nft text".into());
        let (o, n) = chain_pair_keys(&old, &[lossy], &DiffOptions::default());
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
        let (o, n) = chain_pair_keys(&[full], &[xt], &DiffOptions::default());
        assert_eq!(o[0].align, n[0].align);
        assert_ne!(o[0].full, n[0].full);
    }
}
