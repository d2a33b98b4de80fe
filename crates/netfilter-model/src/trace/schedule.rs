//! The tracer's index of a ruleset: chains by name, parsed sets and verdict maps, and per
//! hook and IP version the base chains in priority order, grouped by equal priority.

use std::collections::{HashMap, HashSet};

use crate::model::{
    Backend, Chain, ChainType, Direction, Hook, IfacePattern, MatchKind, Policy, Ruleset,
    Statement, Table, Verdict, VmapElements,
};

use super::natcore::{flatten, nat_core_priority, Unit};
use super::prefilter::Prefilter;
use super::registration::{handle_order, respects};
use super::report::ChainRef;
use super::sets::ParsedSet;
use super::vmap::{parse_verdict, VmapSpec};

/// A chain: (table index, chain index) in the ruleset.
pub(crate) type ChainId = (usize, usize);

/// Most equal-priority chains whose every order is evaluated; larger groups get a subset.
pub const MAX_FULL_PERMUTATION: usize = 5;

/// One table, indexed.
pub(crate) struct TableIndex<'a> {
    pub(crate) table: &'a Table,
    pub(crate) chains: HashMap<&'a str, usize>,
    pub(crate) sets: HashMap<String, ParsedSet>,
    /// Parsed verdict maps by (chain index, rule index).
    pub(crate) vmaps: HashMap<(usize, usize), VmapSpec>,
    /// Interface indexes of long dispatch-like chains, by chain index.
    pub(crate) skips: Vec<Option<ChainSkip>>,
    /// Per chain, per rule: what the rule surely requires.
    pub(crate) prefilters: Vec<Vec<Prefilter>>,
}

/// Chains with fewer rules that test an exact interface name are scanned rule by rule.
const SKIP_INDEX_MIN_RULES: usize = 16;

/// An index of a long chain (a Calico dispatch chain) that skips rules which test an exact
/// interface name other than the packet's.
#[derive(Debug, Default)]
pub(crate) struct ChainSkip {
    /// Rules that need one of their exact input-interface names: name -> rule indexes.
    by_iif: HashMap<String, Vec<usize>>,
    /// Likewise for the output interface (rules without an exact input-interface test).
    by_oif: HashMap<String, Vec<usize>>,
    /// Every other rule.
    general: Vec<usize>,
    /// Per rule: whether it is in `general` (then no lookup is needed to reach it).
    is_general: Vec<bool>,
}

impl ChainSkip {
    fn new(c: &Chain) -> ChainSkip {
        let mut sk = ChainSkip::default();
        for (i, r) in c.rules.iter().enumerate() {
            let exact = |want: Direction| {
                r.matches.iter().find_map(|m| match &m.kind {
                    MatchKind::Interface { dir, names }
                        if !m.negated
                            && *dir == want
                            && names.iter().all(|n| matches!(n, IfacePattern::Exact(_))) =>
                    {
                        Some(names)
                    }
                    _ => None,
                })
            };
            let (map, names) = match (exact(Direction::Src), exact(Direction::Dst)) {
                (Some(n), _) => (&mut sk.by_iif, n),
                (None, Some(n)) => (&mut sk.by_oif, n),
                (None, None) => {
                    sk.general.push(i);
                    sk.is_general.push(true);
                    continue;
                }
            };
            sk.is_general.push(false);
            for n in names {
                let v = map.entry(n.literal().to_string()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
        sk
    }

    /// The first rule at or after `pos` that might match a packet on these interfaces.
    pub(crate) fn next(&self, pos: usize, iif: &str, oif: &str, len: usize) -> usize {
        match self.is_general.get(pos) {
            Some(true) | None => return pos,
            Some(false) => {}
        }
        let first = |v: &[usize]| {
            let k = v.partition_point(|&x| x < pos);
            v.get(k).copied().unwrap_or(len)
        };
        let mut best = first(&self.general);
        if let Some(v) = self.by_iif.get(iif) {
            best = best.min(first(v));
        }
        if let Some(v) = self.by_oif.get(oif) {
            best = best.min(first(v));
        }
        best
    }
}

/// Base chains that run at one priority on one hook (nat chains at the nat core's), with the
/// orders to evaluate.
pub(crate) struct Group {
    pub(crate) priority: i32,
    /// The chains in the first order: listing order, the nat core's by their own priority.
    pub(crate) chains: Vec<ChainId>,
    /// Orders to evaluate, as permutations of `chains`; the first is the listing order.
    pub(crate) order_ids: Vec<Vec<ChainId>>,
}

/// A ruleset indexed for tracing. Build it once and trace many packets with it.
pub struct TraceIndex<'a> {
    pub(crate) tables: Vec<TableIndex<'a>>,
    pub(crate) hooks: HashMap<(Hook, bool), Vec<Group>>,
    /// Notes about what the trace never looks at.
    pub(crate) notes: Vec<String>,
}

/// What a chain (with the chains it reaches) may do.
#[derive(Clone, Copy, Default)]
struct Effects {
    writes: bool,
    may_drop: bool,
}

impl<'a> TraceIndex<'a> {
    /// Indexes a ruleset: done once per ruleset, not per packet.
    pub fn new(rs: &'a Ruleset) -> TraceIndex<'a> {
        let mut tables = Vec::with_capacity(rs.tables.len());
        let mut ignored = 0usize;
        let mut off_path = 0usize;
        for t in &rs.tables {
            let mut chains = HashMap::with_capacity(t.chains.len());
            for (i, c) in t.chains.iter().enumerate() {
                chains.entry(c.name.as_str()).or_insert(i);
            }
            let sets = t
                .sets
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        ParsedSet::parse_typed(&s.key_type, s.elements.iter().map(String::as_str)),
                    )
                })
                .collect();
            let mut vmaps = HashMap::new();
            for (ci, c) in t.chains.iter().enumerate() {
                for (ri, r) in c.rules.iter().enumerate() {
                    if let Some(Verdict::Vmap(map)) = &r.verdict {
                        vmaps.insert((ci, ri), VmapSpec::from_map(map));
                    }
                }
            }
            let skips = t
                .chains
                .iter()
                .map(|c| {
                    if c.rules.len() < SKIP_INDEX_MIN_RULES {
                        return None;
                    }
                    let sk = ChainSkip::new(c);
                    (sk.general.len() + SKIP_INDEX_MIN_RULES <= c.rules.len()).then_some(sk)
                })
                .collect();
            let prefilters = t
                .chains
                .iter()
                .map(|c| c.rules.iter().map(Prefilter::of).collect())
                .collect();
            if !(t.family.sees_ipv4() || t.family.sees_ipv6()) {
                ignored += t.chains.iter().filter(|c| c.base.is_some()).count();
            } else {
                off_path += t
                    .chains
                    .iter()
                    .filter_map(|c| c.base.as_ref())
                    .filter(|b| {
                        !matches!(
                            b.hook,
                            Hook::Prerouting
                                | Hook::Input
                                | Hook::Forward
                                | Hook::Output
                                | Hook::Postrouting
                        )
                    })
                    .count();
            }
            tables.push(TableIndex {
                table: t,
                chains,
                sets,
                vmaps,
                skips,
                prefilters,
            });
        }
        let mut notes = Vec::new();
        if ignored > 0 {
            notes.push(format!(
                "{ignored} base chain(s) of arp, bridge or netdev tables are not on the IP path and were not traced"
            ));
        }
        if off_path > 0 {
            notes.push(format!(
                "{off_path} base chain(s) on ingress, egress or unknown hooks were not traced"
            ));
        }
        let mut idx = TraceIndex {
            tables,
            hooks: HashMap::new(),
            notes,
        };
        idx.build_schedule();
        idx
    }

    fn build_schedule(&mut self) {
        let effects = self.effects();
        for v6 in [false, true] {
            for hook in [
                Hook::Prerouting,
                Hook::Input,
                Hook::Forward,
                Hook::Output,
                Hook::Postrouting,
            ] {
                // (priority it runs at, its own priority, is a nat chain, id).
                let core = nat_core_priority(&hook);
                let mut base: Vec<(i32, i32, bool, ChainId)> = Vec::new();
                for (ti, t) in self.tables.iter().enumerate() {
                    let fam = t.table.family;
                    let sees = if v6 { fam.sees_ipv6() } else { fam.sees_ipv4() };
                    if !sees {
                        continue;
                    }
                    for (ci, c) in t.table.chains.iter().enumerate() {
                        if let Some(b) = &c.base {
                            if b.hook == hook {
                                let nat = b.chain_type == ChainType::Nat && core.is_some();
                                let at = if nat {
                                    core.unwrap_or(b.priority)
                                } else {
                                    b.priority
                                };
                                base.push((at, b.priority, nat, (ti, ci)));
                            }
                        }
                    }
                }
                // Stable: equal priorities keep listing order.
                base.sort_by_key(|(at, own, _, _)| (*at, *own));
                let mut groups: Vec<Group> = Vec::new();
                let mut members: Vec<Vec<(i32, bool, ChainId)>> = Vec::new();
                for (at, own, nat, id) in base {
                    match groups.last_mut() {
                        Some(g) if g.priority == at => {}
                        _ => {
                            groups.push(Group {
                                priority: at,
                                chains: Vec::new(),
                                order_ids: Vec::new(),
                            });
                            members.push(Vec::new());
                        }
                    }
                    if let Some(m) = members.last_mut() {
                        m.push((own, nat, id));
                    }
                }
                for (g, m) in groups.iter_mut().zip(members) {
                    let eff_of = |id: &ChainId| effects.get(id).copied().unwrap_or_default();
                    // The nat core is one unit, where its first chain would be listed.
                    let mut units: Vec<Unit<ChainId>> = Vec::new();
                    let mut unit_eff: Vec<Effects> = Vec::new();
                    let nat: Vec<(i32, ChainId)> =
                        m.iter().filter(|x| x.1).map(|x| (x.0, x.2)).collect();
                    for &(_, is_nat, id) in &m {
                        if !is_nat {
                            units.push(Unit::Chain(id));
                            unit_eff.push(eff_of(&id));
                        } else if !units.iter().any(|u| matches!(u, Unit::NatCore(_))) {
                            units.push(Unit::NatCore(nat_orders(&nat, &eff_of)));
                            let mut e = Effects::default();
                            for (_, c) in &nat {
                                let x = eff_of(c);
                                e.writes |= x.writes;
                                e.may_drop |= x.may_drop;
                            }
                            unit_eff.push(e);
                        }
                    }
                    // Each order of the units, with at most this many orders of the nat core.
                    let cap = MAX_FULL_PERMUTATION * MAX_FULL_PERMUTATION;
                    let mut orders: Vec<Vec<ChainId>> = Vec::new();
                    for o in orders_for(&unit_eff) {
                        for f in flatten(&units, &o, cap) {
                            if !orders.contains(&f) {
                                orders.push(f);
                            }
                        }
                    }
                    // Within one nf_tables table the handles tell which chain registered
                    // last, hence runs first: keep the orders the kernel can run.
                    let pairs = handle_order(&self.tables, &m);
                    if !pairs.is_empty() {
                        let kept: Vec<Vec<ChainId>> = orders
                            .iter()
                            .filter(|o| respects(o, &pairs))
                            .cloned()
                            .collect();
                        if !kept.is_empty() {
                            orders = kept;
                        }
                    }
                    g.chains = orders.first().cloned().unwrap_or_default();
                    g.order_ids = orders;
                }
                self.hooks.insert((hook.clone(), v6), groups);
            }
        }
    }

    /// Effects of every base chain, over the chains it reaches (iterative, with a visited set).
    fn effects(&self) -> HashMap<ChainId, Effects> {
        let mut local: HashMap<ChainId, (Effects, Vec<usize>)> = HashMap::new();
        for (ti, t) in self.tables.iter().enumerate() {
            for (ci, c) in t.table.chains.iter().enumerate() {
                local.insert((ti, ci), self.local_effects(ti, ci, c));
            }
        }
        let mut out = HashMap::new();
        for (ti, t) in self.tables.iter().enumerate() {
            for (ci, c) in t.table.chains.iter().enumerate() {
                if c.base.is_none() {
                    continue;
                }
                let mut eff = Effects::default();
                let mut seen = HashSet::new();
                let mut stack = vec![ci];
                while let Some(x) = stack.pop() {
                    if !seen.insert(x) {
                        continue;
                    }
                    if let Some((e, targets)) = local.get(&(ti, x)) {
                        eff.writes |= e.writes;
                        eff.may_drop |= e.may_drop;
                        stack.extend(targets.iter().copied());
                    }
                }
                out.insert((ti, ci), eff);
            }
        }
        out
    }

    fn local_effects(&self, ti: usize, _ci: usize, c: &Chain) -> (Effects, Vec<usize>) {
        let t = &self.tables[ti];
        let mut e = Effects::default();
        let mut targets = Vec::new();
        if let Some(b) = &c.base {
            e.may_drop |= b.policy == Policy::Drop;
            e.writes |= b.chain_type == ChainType::Nat;
        }
        let verdict = |v: &Verdict, e: &mut Effects, targets: &mut Vec<usize>| match v {
            Verdict::Drop | Verdict::Reject { .. } | Verdict::Queue(_) | Verdict::Other(_) => {
                e.may_drop = true
            }
            Verdict::Jump(n) | Verdict::Goto(n) => {
                if let Some(&x) = t.chains.get(n.as_str()) {
                    targets.push(x);
                }
            }
            _ => {}
        };
        for r in &c.rules {
            for s in &r.statements {
                if matches!(
                    s,
                    Statement::SetMark { .. }
                        | Statement::SetCtMark { .. }
                        | Statement::SaveMark { .. }
                        | Statement::RestoreMark { .. }
                        | Statement::Nat { .. }
                ) {
                    e.writes = true;
                }
            }
            match &r.verdict {
                Some(Verdict::Vmap(map)) => {
                    let spec = VmapSpec::from_map(map);
                    let data: Vec<String> = match spec.inline_set() {
                        Some(s) => s.elements.iter().filter_map(|el| el.data.clone()).collect(),
                        None => {
                            // A named map: its elements, or the worst case when absent.
                            let name = match &map.elements {
                                VmapElements::Named(n) => n.as_str(),
                                _ => "",
                            };
                            match t.table.set(name) {
                                Some(s) => s
                                    .elements
                                    .iter()
                                    .filter_map(|el| {
                                        el.split_once(" : ").map(|(_, d)| d.to_string())
                                    })
                                    .collect(),
                                None => {
                                    e.may_drop = true;
                                    Vec::new()
                                }
                            }
                        }
                    };
                    for d in data {
                        match parse_verdict(&d) {
                            Some(v) => verdict(&v, &mut e, &mut targets),
                            None => e.may_drop = true,
                        }
                    }
                }
                Some(v) => verdict(v, &mut e, &mut targets),
                None => {}
            }
        }
        (e, targets)
    }

    /// A chain's reference for reports.
    pub(crate) fn chain_ref(&self, id: ChainId) -> ChainRef {
        let t = self.tables[id.0].table;
        ChainRef {
            backend: t.backend,
            family: t.family,
            table: t.name.clone(),
            chain: t.chains[id.1].name.clone(),
        }
    }

    /// The chain behind an id.
    pub(crate) fn chain(&self, id: ChainId) -> &'a Chain {
        &self.tables[id.0].table.chains[id.1]
    }

    /// Whether any table of this backend has base chains for packets of this IP version.
    pub(crate) fn has_backend(&self, backend: Backend, v6: bool) -> bool {
        self.hooks
            .iter()
            .filter(|((_, v), _)| *v == v6)
            .flat_map(|(_, g)| g)
            .flat_map(|g| &g.chains)
            .any(|id| self.tables[id.0].table.backend == backend)
    }
}

/// The orders worth trying for the nat core's chains: by their own priority, and chains of
/// equal own priority in the orders [`orders_for`] gives (one such run varied at a time).
fn nat_orders(nat: &[(i32, ChainId)], eff_of: &dyn Fn(&ChainId) -> Effects) -> Vec<Vec<ChainId>> {
    let sorted: Vec<ChainId> = nat.iter().map(|x| x.1).collect();
    let mut out = vec![sorted.clone()];
    let mut start = 0;
    while start < nat.len() {
        let end = start
            + nat[start..]
                .iter()
                .take_while(|x| x.0 == nat[start].0)
                .count();
        if end - start > 1 {
            let eff: Vec<Effects> = nat[start..end].iter().map(|x| eff_of(&x.1)).collect();
            for o in orders_for(&eff).into_iter().skip(1) {
                let mut v = sorted.clone();
                for (k, &i) in o.iter().enumerate() {
                    v[start + k] = sorted[start + i];
                }
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        start = end;
    }
    out
}

/// The orders worth evaluating for a group, listing order first.
///
/// - one chain, or chains that write no packet state and at most one of which can drop:
///   only the listing order (no order can change anything);
/// - no writes but several may drop: each chain moved to the front (the first dropper decides);
/// - some chain writes state (marks, NAT): every permutation up to
///   [`MAX_FULL_PERMUTATION`] chains; beyond, the listing order, its reverse, and each chain
///   moved to the front and to the back.
fn orders_for(eff: &[Effects]) -> Vec<Vec<usize>> {
    let k = eff.len();
    let identity: Vec<usize> = (0..k).collect();
    let writes = eff.iter().any(|e| e.writes);
    let drops = eff.iter().filter(|e| e.may_drop).count();
    if k <= 1 || (!writes && drops <= 1) {
        return vec![identity];
    }
    let mut orders = vec![identity.clone()];
    let push = |o: Vec<usize>, orders: &mut Vec<Vec<usize>>| {
        if !orders.contains(&o) {
            orders.push(o);
        }
    };
    if !writes {
        for i in 1..k {
            push(moved_to_front(&identity, i), &mut orders);
        }
        return orders;
    }
    if k <= MAX_FULL_PERMUTATION {
        for p in permutations(k) {
            push(p, &mut orders);
        }
        return orders;
    }
    push(identity.iter().rev().copied().collect(), &mut orders);
    for i in 0..k {
        push(moved_to_front(&identity, i), &mut orders);
        let mut back: Vec<usize> = identity.iter().copied().filter(|&x| x != i).collect();
        back.push(i);
        push(back, &mut orders);
    }
    orders
}

fn moved_to_front(order: &[usize], i: usize) -> Vec<usize> {
    let mut o = vec![i];
    o.extend(order.iter().copied().filter(|&x| x != i));
    o
}

/// All permutations of `0..k` in lexicographic order (iterative).
fn permutations(k: usize) -> Vec<Vec<usize>> {
    let mut cur: Vec<usize> = (0..k).collect();
    let mut out = vec![cur.clone()];
    loop {
        let Some(i) = (1..k).rev().find(|&i| cur[i - 1] < cur[i]) else {
            return out;
        };
        let j = (i..k).rev().find(|&j| cur[j] > cur[i - 1]).unwrap_or(i);
        cur.swap(i - 1, j);
        cur[i..].reverse();
        out.push(cur.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Match, Rule};

    #[test]
    fn skip_index_finds_the_next_candidate() {
        let iif = |n: &str, neg: bool| Rule {
            matches: vec![Match::with_negation(
                MatchKind::Interface {
                    dir: Direction::Src,
                    names: vec![IfacePattern::Exact(n.into())],
                },
                neg,
            )],
            ..Rule::default()
        };
        let mut c = Chain::new("d", None);
        c.rules = vec![
            iif("a", false),
            iif("b", false),
            iif("a", true),
            iif("b", false),
        ];
        let sk = ChainSkip::new(&c);
        assert_eq!(sk.next(0, "b", "", 4), 1);
        assert_eq!(sk.next(2, "b", "", 4), 2, "a negated test is general");
        assert_eq!(sk.next(3, "b", "", 4), 3);
        assert_eq!(sk.next(3, "zz", "", 4), 4);
        assert_eq!(sk.next(0, "a", "", 4), 0);
    }

    #[test]
    fn orders() {
        assert_eq!(permutations(3).len(), 6);
        assert_eq!(permutations(1), vec![vec![0]]);
        let quiet = Effects::default();
        let dropper = Effects {
            writes: false,
            may_drop: true,
        };
        let writer = Effects {
            writes: true,
            may_drop: false,
        };
        assert_eq!(orders_for(&[quiet, dropper]).len(), 1);
        assert_eq!(
            orders_for(&[dropper, dropper, quiet]),
            vec![vec![0, 1, 2], vec![1, 0, 2], vec![2, 0, 1]]
        );
        assert_eq!(orders_for(&[writer, quiet, quiet]).len(), 6);
        let big = orders_for(&[writer; 7]);
        assert!(big.len() <= 2 + 2 * 7 && big[0] == (0..7).collect::<Vec<_>>());
    }
}
