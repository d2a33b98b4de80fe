//! The entry point: compares two rulesets chain by chain and builds the report.

use crate::model::{Chain, Ruleset};

use super::chains::{backend_sensitive, diff_chain_pair, entries, one_sided, pair_up, Entry, Pair};
use super::options::DiffOptions;
use super::report::{ChainDiff, DiffStatus, DiffSummary, RuleOpKind, RulesetDiff};
use super::sets::{diff_object, diff_set};
use super::summary::{interfaces_only, owners, Pick};

/// Records the rules of a chain pair that have no equal counterpart (all of a
/// one-sided chain), whose interface references the summary must look at.
fn note_unpaired(
    d: &ChainDiff,
    i: Option<usize>,
    j: Option<usize>,
    old_pick: &mut [Pick],
    new_pick: &mut [Pick],
) {
    match (
        i.and_then(|i| old_pick.get_mut(i)),
        j.and_then(|j| new_pick.get_mut(j)),
    ) {
        (Some(p), None) => *p = Pick::All,
        (None, Some(p)) => *p = Pick::All,
        (Some(op_old), Some(op_new)) => {
            for op in &d.rules {
                let unpaired = matches!(op.op, RuleOpKind::Delete | RuleOpKind::Insert);
                if !unpaired && op.new_rule.is_none() {
                    continue;
                }
                if let Some(o) = op.old_index.and_then(|x| x.checked_sub(1)) {
                    op_old.push(o);
                }
                if let Some(n) = op.new_index.and_then(|x| x.checked_sub(1)) {
                    op_new.push(n);
                }
            }
        }
        (None, None) => {}
    }
}

/// Rules below which chain pairs are compared on the calling thread alone.
const PARALLEL_MIN_RULES: usize = 20_000;

/// Compares each chain pair, in order. Large rulesets are split into two halves of about
/// equal rule counts compared on two threads: each chain pair is independent, and
/// rendering every rule's canonical text is most of a diff's own work.
fn diff_chain_pairs(
    pairs: &[Pair],
    oc: &[Entry<'_, Chain>],
    nc: &[Entry<'_, Chain>],
    opts: &DiffOptions,
) -> Vec<(Pair, ChainDiff)> {
    let weight = |&(i, j): &Pair| {
        i.and_then(|i| oc.get(i)).map_or(0, |e| e.item.rules.len())
            + j.and_then(|j| nc.get(j)).map_or(0, |e| e.item.rules.len())
    };
    let one = |&(i, j): &Pair| {
        let d = match (i.and_then(|i| oc.get(i)), j.and_then(|j| nc.get(j))) {
            (Some(o), Some(n)) => diff_chain_pair(o, n, opts),
            (Some(o), None) => one_sided(o, true),
            (None, Some(n)) => one_sided(n, false),
            (None, None) => return None,
        };
        Some(((i, j), d))
    };
    let total: usize = pairs.iter().map(weight).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if total < PARALLEL_MIN_RULES || threads < 2 {
        return pairs.iter().filter_map(one).collect();
    }
    // The first pair at which half the rules are behind.
    let mut behind = 0;
    let split = pairs
        .iter()
        .position(|p| {
            behind += weight(p);
            behind * 2 >= total
        })
        .map_or(pairs.len(), |k| k + 1);
    let (front, back) = pairs.split_at(split);
    std::thread::scope(|s| {
        let back_job = s.spawn(|| back.iter().filter_map(one).collect::<Vec<_>>());
        let mut out: Vec<_> = front.iter().filter_map(one).collect();
        match back_job.join() {
            Ok(rest) => out.extend(rest),
            // Comparing chains does not panic on any input; if it did, say so here.
            Err(p) => std::panic::resume_unwind(p),
        }
        out
    })
}

/// Compares OLD with NEW.
///
/// Chains, sets and objects are matched by family, table and name; the backend
/// takes part only when one side holds the same table in both backends, so a
/// `legacy:` and an `nft:` capture of the same rules compare equal. Rules are
/// aligned with Myers' algorithm over interned canonical texts, and a deleted and
/// an inserted rule with the same text become one move. Counters and handles never
/// count. The work is near-linear in the number of rules for similar rulesets.
pub fn diff_rulesets(old: &Ruleset, new: &Ruleset, opts: &DiffOptions) -> RulesetDiff {
    let sensitive = backend_sensitive(old, new);
    let mut summary = DiffSummary::default();

    let oc = entries(old, |t| t.chains.as_slice(), |c| c.name.clone());
    let nc = entries(new, |t| t.chains.as_slice(), |c| c.name.clone());
    let pairs = pair_up(&oc, &nc, &sensitive);
    let diffs = diff_chain_pairs(&pairs, &oc, &nc, opts);
    let mut chains = Vec::with_capacity(diffs.len());
    // Rules without an equal counterpart, per chain, for the interface summary.
    let mut old_pick = vec![Pick::default(); oc.len()];
    let mut new_pick = vec![Pick::default(); nc.len()];
    for ((i, j), d) in diffs {
        note_unpaired(&d, i, j, &mut old_pick, &mut new_pick);
        summary.chains.add(d.status);
        for op in &d.rules {
            summary.rules.add(op);
        }
        chains.push(d);
    }

    let os = entries(old, |t| t.sets.as_slice(), |s| s.name.clone());
    let ns = entries(new, |t| t.sets.as_slice(), |s| s.name.clone());
    let sets: Vec<_> = pair_up(&os, &ns, &sensitive)
        .into_iter()
        .filter_map(|(i, j)| diff_set(i.and_then(|i| os.get(i)), j.and_then(|j| ns.get(j)), opts))
        .collect();
    for s in &sets {
        summary.sets.add(s.status);
    }

    let object_name = |o: &crate::model::NamedObject| format!("{} {}", o.kind, o.name);
    let oo = entries(old, |t| t.objects.as_slice(), object_name);
    let no = entries(new, |t| t.objects.as_slice(), object_name);
    let objects: Vec<_> = pair_up(&oo, &no, &sensitive)
        .into_iter()
        .filter_map(|(i, j)| diff_object(i.and_then(|i| oo.get(i)), j.and_then(|j| no.get(j))))
        .collect();
    for o in &objects {
        summary.objects.add(o.status);
    }

    (summary.interfaces_only_old, summary.interfaces_only_new) =
        interfaces_only(old, new, &old_pick, &new_pick);
    summary.owners = owners(old, new);

    let equal = chains.iter().all(|c| c.status == DiffStatus::Same)
        && !summary.sets.any_difference()
        && !summary.objects.any_difference();
    RulesetDiff {
        equal,
        chains,
        sets,
        objects,
        summary,
    }
}
