//! Matching of chains, sets and objects across the two sides, and chain-level comparison.

use std::collections::{HashMap, HashSet};

use crate::model::{Backend, Chain, Family, Ruleset, Table};

use super::options::DiffOptions;
use super::report::{ChainDiff, ChainField, Change, DiffStatus, RuleOp, RuleOpKind};
use super::rules::diff_rules;

/// One chain, set or object of one side, with where it lives.
#[derive(Debug)]
pub(crate) struct Entry<'a, T> {
    pub(crate) family: Family,
    pub(crate) table: &'a str,
    pub(crate) backend: Backend,
    pub(crate) name: String,
    pub(crate) item: &'a T,
}

/// The identity of an entry across sides: family, table, backend only where a
/// side holds the same table in both backends, name, and which occurrence of that
/// name (a table read twice from two sources).
type Key<'a> = (Family, &'a str, Option<Backend>, String, u32);

/// Positions of an entry in OLD and NEW; `None` where a side lacks it.
pub(crate) type Pair = (Option<usize>, Option<usize>);

/// Output order: table group, OLD (0) or NEW-only (1), position on that side.
type SortKey = (usize, usize, usize);

/// `(family, table)` pairs that some side holds in more than one backend; only for
/// those is the backend part of the key, so `legacy:` and `nft:` captures of the
/// same rules compare equal.
pub(crate) fn backend_sensitive<'a>(
    old: &'a Ruleset,
    new: &'a Ruleset,
) -> HashSet<(Family, &'a str)> {
    let mut out = HashSet::new();
    for rs in [old, new] {
        let mut seen: HashMap<(Family, &str), Backend> = HashMap::new();
        for t in &rs.tables {
            match seen.get(&(t.family, t.name.as_str())) {
                Some(b) if *b != t.backend => {
                    out.insert((t.family, t.name.as_str()));
                }
                Some(_) => {}
                None => {
                    seen.insert((t.family, t.name.as_str()), t.backend);
                }
            }
        }
    }
    out
}

/// Lists the items of every table of a ruleset, in listing order.
pub(crate) fn entries<'a, T>(
    rs: &'a Ruleset,
    items: impl Fn(&'a Table) -> &'a [T],
    name: impl Fn(&T) -> String,
) -> Vec<Entry<'a, T>> {
    let mut out = Vec::new();
    for t in &rs.tables {
        for it in items(t) {
            out.push(Entry {
                family: t.family,
                table: &t.name,
                backend: t.backend,
                name: name(it),
                item: it,
            });
        }
    }
    out
}

fn keys<'a, T>(side: &[Entry<'a, T>], sensitive: &HashSet<(Family, &str)>) -> Vec<Key<'a>> {
    let mut occ: HashMap<(Family, &'a str, Option<Backend>, String), u32> = HashMap::new();
    side.iter()
        .map(|e| {
            let b = sensitive
                .contains(&(e.family, e.table))
                .then_some(e.backend);
            let n = occ
                .entry((e.family, e.table, b, e.name.clone()))
                .or_insert(0);
            let k = (e.family, e.table, b, e.name.clone(), *n);
            *n += 1;
            k
        })
        .collect()
}

/// Pairs entries of the two sides by key. The result is grouped by table (tables
/// in order of first appearance, OLD first); within a table, OLD's entries in
/// OLD's order (paired or not), then NEW-only entries in NEW's order.
pub(crate) fn pair_up<'a, T>(
    old: &[Entry<'a, T>],
    new: &[Entry<'a, T>],
    sensitive: &HashSet<(Family, &str)>,
) -> Vec<Pair> {
    let ok = keys(old, sensitive);
    let nk = keys(new, sensitive);
    let mut new_by_key: HashMap<&Key<'a>, usize> = HashMap::with_capacity(nk.len());
    for (j, k) in nk.iter().enumerate() {
        new_by_key.insert(k, j);
    }
    let mut group_of: HashMap<(Family, &'a str, Option<Backend>), usize> = HashMap::new();
    let mut out: Vec<(SortKey, Pair)> = Vec::new();
    let mut taken = vec![false; nk.len()];
    for (i, k) in ok.iter().enumerate() {
        let n = group_of.len();
        let g = *group_of.entry((k.0, k.1, k.2)).or_insert(n);
        let j = new_by_key.get(k).copied();
        if let Some(j) = j {
            taken[j] = true;
        }
        out.push(((g, 0, i), (Some(i), j)));
    }
    for (j, k) in nk.iter().enumerate() {
        let n = group_of.len();
        let g = *group_of.entry((k.0, k.1, k.2)).or_insert(n);
        if !taken[j] {
            out.push(((g, 1, j), (None, Some(j))));
        }
    }
    out.sort_by_key(|(order, _)| *order);
    out.into_iter().map(|(_, p)| p).collect()
}

fn push_change(
    out: &mut Vec<Change<ChainField>>,
    field: ChainField,
    old: Option<String>,
    new: Option<String>,
) {
    if old != new {
        out.push(Change { field, old, new });
    }
}

/// Differences of hook, priority, type, policy, devices and comment.
pub(crate) fn chain_changes(
    old: &Chain,
    new: &Chain,
    opts: &DiffOptions,
) -> Vec<Change<ChainField>> {
    let mut out = Vec::new();
    let (ob, nb) = (old.base.as_ref(), new.base.as_ref());
    push_change(
        &mut out,
        ChainField::Hook,
        ob.map(|b| b.hook.to_string()),
        nb.map(|b| b.hook.to_string()),
    );
    push_change(
        &mut out,
        ChainField::Priority,
        ob.map(|b| b.priority.to_string()),
        nb.map(|b| b.priority.to_string()),
    );
    push_change(
        &mut out,
        ChainField::Type,
        ob.map(|b| b.chain_type.to_string()),
        nb.map(|b| b.chain_type.to_string()),
    );
    push_change(
        &mut out,
        ChainField::Policy,
        ob.map(|b| b.policy.as_str().to_string()),
        nb.map(|b| b.policy.as_str().to_string()),
    );
    let devices = |b: Option<&crate::model::BaseChain>| {
        b.filter(|b| !b.devices.is_empty()).map(|b| {
            let mut d = b.devices.clone();
            d.sort();
            d.join(",")
        })
    };
    push_change(&mut out, ChainField::Devices, devices(ob), devices(nb));
    if !opts.ignore_comments {
        push_change(
            &mut out,
            ChainField::Comment,
            old.comment.clone(),
            new.comment.clone(),
        );
    }
    out
}

/// Compares a chain present on both sides.
pub(crate) fn diff_chain_pair(
    o: &Entry<'_, Chain>,
    n: &Entry<'_, Chain>,
    opts: &DiffOptions,
) -> ChainDiff {
    let changes = chain_changes(o.item, n.item, opts);
    let rules = diff_rules(&o.item.rules, &n.item.rules, opts);
    let status = if changes.is_empty() && rules.iter().all(|r| r.op == RuleOpKind::Equal) {
        DiffStatus::Same
    } else {
        DiffStatus::Changed
    };
    ChainDiff {
        family: o.family,
        table: o.table.to_string(),
        chain: o.item.name.clone(),
        old_backend: Some(o.backend),
        new_backend: Some(n.backend),
        status,
        changes,
        rules,
        old_rules: o.item.rules.len(),
        new_rules: n.item.rules.len(),
    }
}

/// Whether a chain is an iptables built-in chain as the legacy backend always has it and
/// iptables-nft creates it only when used: no rules, policy accept, the table's own hook,
/// priority and type. Having it or not makes no difference to any packet.
fn is_implicit_builtin(e: &Entry<'_, Chain>) -> bool {
    let Some(b) = &e.item.base else {
        return false;
    };
    matches!(e.family, Family::Ip | Family::Ip6)
        && e.item.rules.is_empty()
        && b.policy == crate::model::Policy::Accept
        && crate::model::iptables_builtin(e.table, &e.item.name).is_some_and(|(hook, prio, ty)| {
            hook == b.hook && prio == b.priority && ty == b.chain_type
        })
}

/// A chain present on one side only: every rule deleted (OLD) or inserted (NEW). An empty
/// built-in chain with policy accept is `same`: the other side behaves as if it had it.
pub(crate) fn one_sided(e: &Entry<'_, Chain>, in_old: bool) -> ChainDiff {
    let rules = e
        .item
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleOp {
            op: if in_old {
                RuleOpKind::Delete
            } else {
                RuleOpKind::Insert
            },
            old_index: in_old.then_some(i + 1),
            new_index: (!in_old).then_some(i + 1),
            rule: r.canonical(),
            new_rule: None,
            comparable: !super::keys::is_lossy(r),
        })
        .collect();
    ChainDiff {
        family: e.family,
        table: e.table.to_string(),
        chain: e.item.name.clone(),
        old_backend: in_old.then_some(e.backend),
        new_backend: (!in_old).then_some(e.backend),
        status: if is_implicit_builtin(e) {
            DiffStatus::Same
        } else if in_old {
            DiffStatus::OnlyOld
        } else {
            DiffStatus::OnlyNew
        },
        changes: Vec::new(),
        rules,
        old_rules: if in_old { e.item.rules.len() } else { 0 },
        new_rules: if in_old { 0 } else { e.item.rules.len() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BaseChain, ChainType, Hook, Policy};

    fn table(backend: Backend, name: &str, chains: &[&str]) -> Table {
        let mut t = Table::new(backend, Family::Ip, name);
        for c in chains {
            t.chains.push(Chain::new(*c, None));
        }
        t
    }

    fn rs(tables: Vec<Table>) -> Ruleset {
        Ruleset {
            tables,
            warnings: Vec::new(),
        }
    }

    fn names(
        pairs: &[(Option<usize>, Option<usize>)],
        o: &[Entry<'_, Chain>],
        n: &[Entry<'_, Chain>],
    ) -> Vec<String> {
        pairs
            .iter()
            .map(|(a, b)| {
                let a = a.map(|i| o[i].name.as_str()).unwrap_or("-");
                let b = b.map(|j| n[j].name.as_str()).unwrap_or("-");
                format!("{a}/{b}")
            })
            .collect()
    }

    #[test]
    fn backend_is_not_part_of_the_key() {
        let old = rs(vec![table(Backend::Legacy, "filter", &["A", "B"])]);
        let new = rs(vec![table(Backend::Nft, "filter", &["C", "A"])]);
        let s = backend_sensitive(&old, &new);
        assert!(s.is_empty());
        let o = entries(&old, |t| &t.chains, |c| c.name.clone());
        let n = entries(&new, |t| &t.chains, |c| c.name.clone());
        assert_eq!(names(&pair_up(&o, &n, &s), &o, &n), ["A/A", "B/-", "-/C"]);
    }

    #[test]
    fn backend_is_part_of_the_key_when_a_side_has_both() {
        let old = rs(vec![
            table(Backend::Legacy, "filter", &["A"]),
            table(Backend::Nft, "filter", &["A"]),
        ]);
        let new = rs(vec![table(Backend::Nft, "filter", &["A"])]);
        let s = backend_sensitive(&old, &new);
        assert_eq!(s.len(), 1);
        let o = entries(&old, |t| &t.chains, |c| c.name.clone());
        let n = entries(&new, |t| &t.chains, |c| c.name.clone());
        let p = pair_up(&o, &n, &s);
        assert_eq!(p, vec![(Some(0), None), (Some(1), Some(0))]);
    }

    #[test]
    fn base_chain_changes_are_listed() {
        let base = |policy| BaseChain {
            chain_type: ChainType::Filter,
            hook: Hook::Forward,
            priority: 0,
            policy,
            devices: Vec::new(),
        };
        let a = Chain::new("FORWARD", Some(base(Policy::Accept)));
        let b = Chain::new("FORWARD", Some(base(Policy::Drop)));
        let ch = chain_changes(&a, &b, &DiffOptions::default());
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].field, ChainField::Policy);
        assert_eq!(ch[0].old.as_deref(), Some("accept"));
        assert_eq!(ch[0].new.as_deref(), Some("drop"));
        let user = Chain::new("FORWARD", None);
        let ch = chain_changes(&a, &user, &DiffOptions::default());
        let fields: Vec<_> = ch.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                ChainField::Hook,
                ChainField::Priority,
                ChainField::Type,
                ChainField::Policy
            ]
        );
        assert!(ch.iter().all(|c| c.new.is_none()));
    }

    #[test]
    fn an_empty_accepting_builtin_on_one_side_is_no_difference() {
        use crate::diff::{diff_rulesets, DiffOptions};
        use crate::model::iptables_builtin;
        let builtin = |name: &str, policy: Policy, rules: usize| {
            let (hook, priority, chain_type) = iptables_builtin("filter", name).unwrap();
            let mut c = Chain::new(
                name,
                Some(BaseChain {
                    chain_type,
                    hook,
                    priority,
                    policy,
                    devices: Vec::new(),
                }),
            );
            c.rules = vec![crate::model::Rule::default(); rules];
            c
        };
        // Legacy has every built-in chain; iptables-nft only the one it used.
        let mut legacy = Table::new(Backend::Legacy, Family::Ip, "filter");
        legacy.chains = vec![
            builtin("INPUT", Policy::Accept, 1),
            builtin("FORWARD", Policy::Accept, 0),
            builtin("OUTPUT", Policy::Accept, 0),
        ];
        let mut nft = Table::new(Backend::Nft, Family::Ip, "filter");
        nft.chains = vec![builtin("INPUT", Policy::Accept, 1)];
        let d = diff_rulesets(
            &rs(vec![legacy.clone()]),
            &rs(vec![nft.clone()]),
            &DiffOptions::default(),
        );
        assert!(d.equal, "{:?}", d.chains);
        assert!(d.chains.iter().all(|c| c.status == DiffStatus::Same));
        // A dropping policy, or a rule, is a difference.
        legacy.chains[1] = builtin("FORWARD", Policy::Drop, 0);
        let d = diff_rulesets(
            &rs(vec![legacy.clone()]),
            &rs(vec![nft.clone()]),
            &DiffOptions::default(),
        );
        assert!(!d.equal);
        assert_eq!(d.chains[1].status, DiffStatus::OnlyOld);
        legacy.chains[1] = builtin("FORWARD", Policy::Accept, 1);
        let d = diff_rulesets(&rs(vec![nft]), &rs(vec![legacy]), &DiffOptions::default());
        assert_eq!(d.chains[1].status, DiffStatus::OnlyNew);
    }
}
