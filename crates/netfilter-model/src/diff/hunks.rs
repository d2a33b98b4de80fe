//! Grouping of rule operations into hunks with N unchanged rules of context.

use std::ops::Range;

use super::report::{RuleOp, RuleOpKind};

/// A run of rule operations to show together, as a unified diff's `@@` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The operations shown, as a range of positions in [`super::ChainDiff::rules`].
    pub ops: Range<usize>,
    /// 1-based first OLD position covered (the position before it when none is).
    pub old_start: usize,
    /// OLD rules covered (equal and deleted).
    pub old_len: usize,
    /// 1-based first NEW position covered (the position before it when none is).
    pub new_start: usize,
    /// NEW rules covered (equal, inserted and moved).
    pub new_len: usize,
}

/// Groups `ops` into hunks: every change (see [`RuleOp::is_change`]) with up to
/// `context` operations around it; hunks closer than that are merged.
pub fn hunks(ops: &[RuleOp], context: usize) -> Vec<Hunk> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for (pos, op) in ops.iter().enumerate() {
        if !op.is_change() {
            continue;
        }
        let start = pos.saturating_sub(context);
        let end = pos.saturating_add(context).saturating_add(1).min(ops.len());
        match ranges.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => ranges.push(start..end),
        }
    }
    ranges
        .into_iter()
        .map(|r| {
            // Positions of the last OLD/NEW rule before the hunk.
            let before = &ops[..r.start];
            let old_before = before
                .iter()
                .rev()
                .find(|o| matches!(o.op, RuleOpKind::Equal | RuleOpKind::Delete))
                .and_then(|o| o.old_index)
                .unwrap_or(0);
            let new_before = before
                .iter()
                .rev()
                .find(|o| o.op != RuleOpKind::Delete)
                .and_then(|o| o.new_index)
                .unwrap_or(0);
            let inside = &ops[r.clone()];
            let old_len = inside
                .iter()
                .filter(|o| matches!(o.op, RuleOpKind::Equal | RuleOpKind::Delete))
                .count();
            let new_len = inside.iter().filter(|o| o.op != RuleOpKind::Delete).count();
            let old_start = inside
                .iter()
                .find(|o| matches!(o.op, RuleOpKind::Equal | RuleOpKind::Delete))
                .and_then(|o| o.old_index)
                .unwrap_or(old_before);
            let new_start = inside
                .iter()
                .find(|o| o.op != RuleOpKind::Delete)
                .and_then(|o| o.new_index)
                .unwrap_or(new_before);
            Hunk {
                ops: r,
                old_start,
                old_len,
                new_start,
                new_len,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: RuleOpKind, o: Option<usize>, n: Option<usize>) -> RuleOp {
        RuleOp {
            op: kind,
            old_index: o,
            new_index: n,
            rule: String::new(),
            new_rule: None,
            comparable: true,
        }
    }

    fn eq(i: usize) -> RuleOp {
        op(RuleOpKind::Equal, Some(i), Some(i))
    }

    #[test]
    fn context_and_merging() {
        // 10 equal rules with a delete after the 2nd and an insert after the 9th.
        let mut ops: Vec<RuleOp> = (1..=2).map(eq).collect();
        ops.push(op(RuleOpKind::Delete, Some(3), None));
        ops.extend((4..=10).map(|i| op(RuleOpKind::Equal, Some(i), Some(i - 1))));
        ops.push(op(RuleOpKind::Insert, None, Some(10)));
        let h = hunks(&ops, 1);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].ops, 1..4);
        assert_eq!((h[0].old_start, h[0].old_len), (2, 3));
        assert_eq!((h[0].new_start, h[0].new_len), (2, 2));
        assert_eq!(h[1].ops, 9..11);
        assert_eq!((h[1].old_start, h[1].old_len), (10, 1));
        assert_eq!((h[1].new_start, h[1].new_len), (9, 2));
        let h = hunks(&ops, 3);
        assert_eq!(h.len(), 2);
        let h = hunks(&ops, 4);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].ops, 0..11);
    }

    #[test]
    fn no_changes_no_hunks() {
        let ops: Vec<RuleOp> = (1..=5).map(eq).collect();
        assert!(hunks(&ops, 3).is_empty());
        assert!(hunks(&[], 3).is_empty());
    }

    #[test]
    fn pure_insert_starts_before() {
        let ops = vec![eq(1), op(RuleOpKind::Insert, None, Some(2))];
        let h = hunks(&ops, 0);
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].old_start, h[0].old_len), (1, 0));
        assert_eq!((h[0].new_start, h[0].new_len), (2, 1));
    }
}
