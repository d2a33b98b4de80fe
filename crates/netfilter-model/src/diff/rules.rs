//! Rule-level hunks of one chain pair: `similar` over interned keys, then move detection.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use similar::{capture_diff_slices_deadline, Algorithm, DiffOp};

use super::fasthash::FastHashMap;

use crate::model::Rule;

use super::keys::{chain_pair_keys, RuleKey};
use super::lossy::{agree, comments_compatible, differ_only_in_notation, loses_something};
use super::options::DiffOptions;
use super::report::{RuleOp, RuleOpKind};

/// Time one chain pair may spend in Myers before `similar` falls back to an
/// approximate (still correct, possibly longer) edit script. Only pathological
/// inputs (two huge, almost entirely different chains) ever reach it.
const DEADLINE: Duration = Duration::from_secs(5);

/// How many queued deletes a move candidate looks at before giving up.
const MOVE_SCAN: usize = 8;

/// How two paired rules compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pairing {
    /// Equal by every comparable part; `comparable` is false if a side is lossy.
    Same { comparable: bool },
    /// Different only where a lossy source could not say.
    NotComparable,
    /// Really different.
    Different,
}

/// How the aligned rules `ra` (key `a`) and `rb` (key `b`) compare. Equal texts are
/// equal; otherwise, when a side is lossy, the parts both show must agree and each
/// lossy part must stand where the other side has a part its extension could make.
fn pairing(a: &RuleKey, b: &RuleKey, ra: &Rule, rb: &Rule, opts: &DiffOptions) -> Pairing {
    if a.full == b.full {
        Pairing::Same {
            comparable: a.comparable && b.comparable,
        }
    } else if a.align == b.align && !(a.comparable && b.comparable) {
        match agree(ra, rb, opts) {
            Some(true) => Pairing::Same { comparable: true },
            Some(false) => Pairing::NotComparable,
            None if comments_compatible(ra, rb, opts) && differ_only_in_notation(ra, rb) => {
                Pairing::NotComparable
            }
            None => Pairing::Different,
        }
    } else if a.align == b.align
        && a.full != b.full
        && comments_compatible(ra, rb, opts)
        && differ_only_in_notation(ra, rb)
    {
        Pairing::NotComparable
    } else {
        Pairing::Different
    }
}

/// An op for two paired rules; `old_text` and `new_text` are moved in.
fn paired(
    kind: RuleOpKind,
    i: usize,
    j: usize,
    old_text: String,
    new_text: String,
    p: Pairing,
) -> RuleOp {
    RuleOp {
        op: kind,
        old_index: Some(i + 1),
        new_index: Some(j + 1),
        new_rule: (old_text != new_text).then_some(new_text),
        rule: old_text,
        comparable: matches!(p, Pairing::Same { comparable: true }),
    }
}

// Each rule appears in exactly one op, so its text is moved out of its key.
fn deleted(i: usize, a: &mut RuleKey) -> RuleOp {
    RuleOp {
        op: RuleOpKind::Delete,
        old_index: Some(i + 1),
        new_index: None,
        rule: std::mem::take(&mut a.text),
        new_rule: None,
        comparable: a.comparable,
    }
}

fn inserted(j: usize, b: &mut RuleKey) -> RuleOp {
    RuleOp {
        op: RuleOpKind::Insert,
        old_index: None,
        new_index: Some(j + 1),
        rule: std::mem::take(&mut b.text),
        new_rule: None,
        comparable: b.comparable,
    }
}

/// The edit script of `old` -> `new` over alignment ids. The two directions of a
/// diff must mirror each other, but Myers breaks ties by direction, so the script
/// is always computed in one direction (fixed by the rules' texts, not by which
/// side is OLD) and mirrored when needed.
fn script(ok: &[RuleKey], nk: &[RuleKey]) -> Vec<DiffOp> {
    let oa: Vec<u32> = ok.iter().map(|k| k.align).collect();
    let na: Vec<u32> = nk.iter().map(|k| k.align).collect();
    if oa == na {
        return vec![DiffOp::Equal {
            old_index: 0,
            new_index: 0,
            len: oa.len(),
        }];
    }
    let flip = (nk.len(), texts(nk)) < (ok.len(), texts(ok));
    let deadline = Instant::now().checked_add(DEADLINE);
    if !flip {
        return capture_diff_slices_deadline(Algorithm::Myers, &oa, &na, deadline);
    }
    capture_diff_slices_deadline(Algorithm::Myers, &na, &oa, deadline)
        .into_iter()
        .map(|d| match d {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => DiffOp::Equal {
                old_index: new_index,
                new_index: old_index,
                len,
            },
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => DiffOp::Insert {
                old_index: new_index,
                new_index: old_index,
                new_len: old_len,
            },
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => DiffOp::Delete {
                old_index: new_index,
                old_len: new_len,
                new_index: old_index,
            },
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => DiffOp::Replace {
                old_index: new_index,
                old_len: new_len,
                new_index: old_index,
                new_len: old_len,
            },
        })
        .collect()
}

fn texts(keys: &[RuleKey]) -> Vec<&str> {
    keys.iter().map(|k| k.text.as_str()).collect()
}

/// Rule ops in diff order; each run of changes lists its deletes, then its inserts.
#[derive(Default)]
struct OpList {
    ops: Vec<RuleOp>,
    inserts: Vec<RuleOp>,
}

impl OpList {
    fn delete(&mut self, op: RuleOp) {
        self.ops.push(op);
    }

    fn insert(&mut self, op: RuleOp) {
        self.inserts.push(op);
    }

    fn equal(&mut self, op: RuleOp) {
        self.ops.append(&mut self.inserts);
        self.ops.push(op);
    }

    fn finish(mut self) -> Vec<RuleOp> {
        self.ops.append(&mut self.inserts);
        self.ops
    }
}

/// Diffs the rules of two chains with the same key.
pub(crate) fn diff_rules(old: &[Rule], new: &[Rule], opts: &DiffOptions) -> Vec<RuleOp> {
    if old == new {
        return all_equal(old, opts);
    }
    diff_keyed(old, new, opts)
}

/// Diffs the rules of two chains over interned keys (the general path).
fn diff_keyed(old: &[Rule], new: &[Rule], opts: &DiffOptions) -> Vec<RuleOp> {
    let (mut ok, mut nk) = chain_pair_keys(old, new, opts);
    let mut list = OpList::default();
    for d in script(&ok, &nk) {
        match d {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for k in 0..len {
                    let (i, j) = (old_index + k, new_index + k);
                    let (Some(a), Some(b)) = (ok.get_mut(i), nk.get_mut(j)) else {
                        continue;
                    };
                    let (Some(ra), Some(rb)) = (old.get(i), new.get(j)) else {
                        continue;
                    };
                    match pairing(a, b, ra, rb, opts) {
                        Pairing::Different => {
                            list.delete(deleted(i, a));
                            list.insert(inserted(j, b));
                        }
                        p => {
                            let (x, y) = (std::mem::take(&mut a.text), std::mem::take(&mut b.text));
                            list.equal(paired(RuleOpKind::Equal, i, j, x, y, p));
                        }
                    }
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push_deletes(&mut list, &mut ok, old_index, old_len),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push_inserts(&mut list, &mut nk, new_index, new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push_deletes(&mut list, &mut ok, old_index, old_len);
                push_inserts(&mut list, &mut nk, new_index, new_len);
            }
        }
    }
    detect_moves(list.finish(), (&ok, &nk), (old, new), opts)
}

/// The ops of two structurally equal rule lists (the common case): what the general
/// path yields for them (one `Equal` op per rule, equal texts so no `new_rule`, no
/// moves), without keys, hashing or a second rendering of each text.
fn all_equal(rules: &[Rule], opts: &DiffOptions) -> Vec<RuleOp> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleOp {
            op: RuleOpKind::Equal,
            old_index: Some(i + 1),
            new_index: Some(i + 1),
            rule: r.canonical(),
            new_rule: None,
            comparable: !loses_something(r, opts),
        })
        .collect()
}

fn push_deletes(list: &mut OpList, keys: &mut [RuleKey], start: usize, len: usize) {
    for i in start..start + len {
        if let Some(a) = keys.get_mut(i) {
            list.delete(deleted(i, a));
        }
    }
}

fn push_inserts(list: &mut OpList, keys: &mut [RuleKey], start: usize, len: usize) {
    for j in start..start + len {
        if let Some(b) = keys.get_mut(j) {
            list.insert(inserted(j, b));
        }
    }
}

/// Pairs a deleted and an inserted rule with equal keys into one move, shown at
/// the insert's place; the delete disappears. Pairs in order of appearance.
fn detect_moves(
    ops: Vec<RuleOp>,
    (ok, nk): (&[RuleKey], &[RuleKey]),
    (old, new): (&[Rule], &[Rule]),
    opts: &DiffOptions,
) -> Vec<RuleOp> {
    let mut pending: FastHashMap<u32, VecDeque<usize>> = FastHashMap::default();
    for (pos, op) in ops.iter().enumerate() {
        if op.op == RuleOpKind::Delete {
            if let Some(k) = op.old_index.and_then(|i| ok.get(i.checked_sub(1)?)) {
                pending.entry(k.align).or_default().push_back(pos);
            }
        }
    }
    if pending.is_empty() {
        return ops;
    }
    let mut ops = ops;
    let mut removed = vec![false; ops.len()];
    for pos in 0..ops.len() {
        if ops[pos].op != RuleOpKind::Insert {
            continue;
        }
        let Some(j) = ops[pos].new_index.and_then(|j| j.checked_sub(1)) else {
            continue;
        };
        let Some(b) = nk.get(j) else { continue };
        let Some(queue) = pending.get_mut(&b.align) else {
            continue;
        };
        let found = queue
            .iter()
            .take(MOVE_SCAN)
            .enumerate()
            .find_map(|(qi, &dpos)| {
                let i = ops[dpos].old_index?.checked_sub(1)?;
                let a = ok.get(i)?;
                match pairing(a, b, old.get(i)?, new.get(j)?, opts) {
                    Pairing::Different => None,
                    p => Some((qi, dpos, i, p)),
                }
            });
        if let Some((qi, dpos, i, p)) = found {
            queue.remove(qi);
            removed[dpos] = true;
            let old_text = std::mem::take(&mut ops[dpos].rule);
            let new_text = std::mem::take(&mut ops[pos].rule);
            ops[pos] = paired(RuleOpKind::Move, i, j, old_text, new_text, p);
        }
    }
    ops.into_iter()
        .zip(removed)
        .filter_map(|(op, r)| (!r).then_some(op))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;
    use crate::model::{IfacePattern, Match, MatchKind, Verdict};

    fn r(name: &str) -> Rule {
        Rule {
            matches: vec![Match::new(MatchKind::Interface {
                dir: Direction::Src,
                names: vec![IfacePattern::Exact(name.into())],
            })],
            verdict: Some(Verdict::Accept),
            ..Rule::default()
        }
    }

    fn rules(names: &str) -> Vec<Rule> {
        names.split_whitespace().map(r).collect()
    }

    fn run(old: &str, new: &str) -> Vec<(RuleOpKind, Option<usize>, Option<usize>)> {
        diff_rules(&rules(old), &rules(new), &DiffOptions::default())
            .into_iter()
            .map(|o| (o.op, o.old_index, o.new_index))
            .collect()
    }

    use RuleOpKind::*;

    #[test]
    fn equal_fast_path_matches_the_keyed_path() {
        let mut list = rules("a b a");
        list[1].comment = Some("x \"y\"".into());
        let mut lossy = r("c");
        lossy.lossy.push("comment dropped by nft text".into());
        list.push(lossy);
        for ignore_comments in [false, true] {
            let opts = DiffOptions { ignore_comments };
            let fast = diff_rules(&list, &list, &opts);
            assert_eq!(fast, diff_keyed(&list, &list, &opts));
            assert_eq!(fast.len(), 4);
            // A lost comment does not count when comments are ignored.
            assert_eq!(fast[3].comparable, ignore_comments);
            assert!(fast[0].comparable);
        }
    }

    #[test]
    fn equal_chains_are_all_equal() {
        assert_eq!(
            run("a b", "a b"),
            vec![(Equal, Some(1), Some(1)), (Equal, Some(2), Some(2))]
        );
        assert!(run("", "").is_empty());
    }

    #[test]
    fn insert_and_delete() {
        assert_eq!(
            run("a b c", "a c d"),
            vec![
                (Equal, Some(1), Some(1)),
                (Delete, Some(2), None),
                (Equal, Some(3), Some(2)),
                (Insert, None, Some(3)),
            ]
        );
    }

    #[test]
    fn moved_rule_is_one_move() {
        let ops = run("a b c d", "b c d a");
        assert_eq!(
            ops,
            vec![
                (Equal, Some(2), Some(1)),
                (Equal, Some(3), Some(2)),
                (Equal, Some(4), Some(3)),
                (Move, Some(1), Some(4)),
            ]
        );
    }

    #[test]
    fn duplicates_pair_once() {
        let ops = run("a x a", "x a a");
        let moves = ops.iter().filter(|o| o.0 == Move).count();
        let others = ops
            .iter()
            .filter(|o| o.0 == Delete || o.0 == Insert)
            .count();
        assert_eq!(others, 0, "{ops:?}");
        assert!(moves <= 1);
        assert_eq!(ops.len(), 3);
    }

    #[test]
    fn lossy_difference_is_not_comparable_not_changed() {
        let mut old = r("a");
        old.comment = Some("Unknown interface".into());
        let mut new = r("a");
        new.lossy.push("comment dropped".into());
        let ops = diff_rules(&[old], &[new], &DiffOptions::default());
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].op, Equal);
        assert!(!ops[0].comparable);
        assert_eq!(
            ops[0].rule,
            "iifname \"a\" accept comment \"Unknown interface\""
        );
        assert_eq!(ops[0].new_rule.as_deref(), Some("iifname \"a\" accept"));
        assert!(ops[0].is_change());
    }

    #[test]
    fn comment_change_in_a_lossy_chain_is_still_a_change() {
        let mut a = r("a");
        a.comment = Some("x".into());
        let mut b = r("a");
        b.comment = Some("y".into());
        let mut lossy = r("z");
        lossy.lossy.push("comment dropped".into());
        let ops = diff_rules(&[a, lossy.clone()], &[b, lossy], &DiffOptions::default());
        let kinds: Vec<_> = ops.iter().map(|o| o.op).collect();
        assert_eq!(kinds, vec![Delete, Insert, Equal], "{ops:?}");
        assert!(!ops[2].comparable);
    }

    #[test]
    fn ignored_comment_keeps_both_texts() {
        let mut a = r("a");
        a.comment = Some("x".into());
        let mut b = r("a");
        b.comment = Some("y".into());
        let opts = DiffOptions {
            ignore_comments: true,
        };
        let ops = diff_rules(&[a], &[b], &opts);
        assert_eq!(ops[0].op, Equal);
        assert!(ops[0].comparable);
        assert!(!ops[0].is_change());
        assert_eq!(
            ops[0].new_rule.as_deref(),
            Some("iifname \"a\" accept comment \"y\"")
        );
    }
}
