//! Registration order of equal-priority nf_tables base chains, read from their handles.
//!
//! The kernel keeps the hooks of one hook point sorted by priority and inserts a new one
//! before the existing ones of the same priority (`nf_hook_entries_grow`), so of two base
//! chains with equal priority the one registered last runs first. nf_tables registers a base
//! chain when it is created and gives the chains of a table increasing handles, so within one
//! table the chain with the higher handle runs first. Across tables, and across backends, the
//! handles do not tell the registration order (a chain may be added to an older table later),
//! so those pairs keep every order.

use crate::model::Backend;

use super::schedule::{ChainId, TableIndex};

/// Pairs `(first, second)` of base chains whose order the handles decide: `first` runs
/// before `second`. `members` are the group's chains with their own priority and whether
/// they are nat chains (run by the nat core).
pub(crate) fn handle_order(
    tables: &[TableIndex<'_>],
    members: &[(i32, bool, ChainId)],
) -> Vec<(ChainId, ChainId)> {
    let mut out = Vec::new();
    for (i, &(own_a, nat_a, a)) in members.iter().enumerate() {
        for &(own_b, nat_b, b) in &members[i + 1..] {
            if a.0 != b.0 || own_a != own_b || nat_a != nat_b {
                continue;
            }
            let t = tables[a.0].table;
            if t.backend != Backend::Nft {
                continue;
            }
            let (Some(ha), Some(hb)) = (t.chains[a.1].origin.handle, t.chains[b.1].origin.handle)
            else {
                continue;
            };
            match ha.cmp(&hb) {
                std::cmp::Ordering::Greater => out.push((a, b)),
                std::cmp::Ordering::Less => out.push((b, a)),
                std::cmp::Ordering::Equal => {}
            }
        }
    }
    out
}

/// Whether an order of chains runs every `first` before its `second`.
pub(crate) fn respects(order: &[ChainId], pairs: &[(ChainId, ChainId)]) -> bool {
    let pos = |c: &ChainId| order.iter().position(|x| x == c);
    pairs.iter().all(|(f, s)| match (pos(f), pos(s)) {
        (Some(i), Some(j)) => i < j,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_respecting_pairs() {
        let (a, b, c) = ((0, 0), (0, 1), (1, 0));
        let pairs = vec![(b, a)];
        assert!(respects(&[b, a, c], &pairs));
        assert!(respects(&[c, b, a], &pairs));
        assert!(!respects(&[a, b, c], &pairs));
        assert!(
            respects(&[a, c], &pairs),
            "a pair not in the order constrains nothing"
        );
    }
}
