//! The BDD layer: oxidd's shared-node decision diagrams behind the small API the engine uses.
//!
//! Every BDD of one analysis lives in one manager (a unique table of nodes and an apply
//! cache), so intersecting a large region with a small predicate costs the predicate's
//! paths, not the region's size. `biodivine-lib-bdd`, used before, keeps each BDD as its own
//! node vector and copies it on every operation: removing 13,000 kube-proxy service cubes
//! one by one from a region took 78.7 s with it and 0.36 s with oxidd (the same
//! 154,323-node result; `scripts/bdd-compare`).

use std::fmt;

use oxidd::bdd::{BDDFunction, BDDManagerRef};
use oxidd::{
    BooleanFunction, BooleanFunctionQuant, Edge, Function, HasLevel, InnerNode, Manager,
    ManagerRef, Node,
};

/// Most inner nodes one analysis may hold (2 GiB of node slots, reserved, not touched).
/// Dead nodes are collected as the table fills.
const NODE_CAPACITY: usize = 1 << 27;

/// Nodes above which [`BddVariableSet::collect_garbage`] collects (64 MiB of slots; the
/// TUM partition stays below, a 100k-rule kube-proxy walk goes far above).
const GC_NODES: usize = 1 << 22;

/// Entries of the apply cache. Measured on the TUM FORWARD partition (2.0 s at 2^14 to
/// 2^18 entries, 2.2 s at 2^20, 2.8 s at 2^22: a large cache costs more in memory traffic
/// than its hits save) and a 10,000-rule kube-proxy semantic diff (no difference).
const CACHE_CAPACITY: usize = 1 << 16;

/// One variable, by its position in the order (most significant header bit first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct BddVariable(u16);

impl BddVariable {
    /// The variable at this position.
    pub(crate) fn from_index(i: usize) -> BddVariable {
        BddVariable(i as u16)
    }

    /// Its position.
    pub(crate) fn to_index(self) -> usize {
        usize::from(self.0)
    }
}

/// Values of some variables (the others free): a cube.
#[derive(Debug, Clone, Default)]
pub(crate) struct BddPartialValuation(Vec<Option<bool>>);

impl BddPartialValuation {
    /// The cube fixing these variables.
    pub(crate) fn from_values(values: &[(BddVariable, bool)]) -> BddPartialValuation {
        let mut v = BddPartialValuation::default();
        for &(var, b) in values {
            v.set_value(var, b);
        }
        v
    }

    /// The value of a variable, if fixed.
    pub(crate) fn get_value(&self, var: BddVariable) -> Option<bool> {
        self.0.get(var.to_index()).copied().flatten()
    }

    fn set_value(&mut self, var: BddVariable, b: bool) {
        let i = var.to_index();
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        self.0[i] = Some(b);
    }

    /// The fixed variables and their values, in variable order.
    pub(crate) fn to_values(&self) -> Vec<(BddVariable, bool)> {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.map(|b| (BddVariable::from_index(i), b)))
            .collect()
    }
}

/// Values of every variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BddValuation(Vec<bool>);

impl BddValuation {
    /// Sets a variable.
    pub(crate) fn set_value(&mut self, var: BddVariable, b: bool) {
        self.0[var.to_index()] = b;
    }

    /// A variable's value.
    pub(crate) fn value(&self, var: BddVariable) -> bool {
        self.0[var.to_index()]
    }
}

/// The manager of one analysis and its variables.
pub(crate) struct BddVariableSet {
    /// Keeps the manager alive for the universe's lifetime (the handles below do too).
    _manager: BDDManagerRef,
    pos: Vec<BDDFunction>,
    neg: Vec<BDDFunction>,
    t: Bdd,
    f: Bdd,
}

/// Unwraps a node allocation: the table holds [`NODE_CAPACITY`] live nodes, more than the
/// memory of the machines nfdiff runs on, so running out is running out of memory.
fn alloc<T>(r: Result<T, oxidd::error::OutOfMemory>) -> T {
    match r {
        Ok(v) => v,
        Err(_) => panic!("out of memory: the packet-space BDD table is full"),
    }
}

impl BddVariableSet {
    /// A fresh manager with `n` variables.
    pub(crate) fn new_anonymous(n: u16) -> BddVariableSet {
        let manager = oxidd::bdd::new_manager(NODE_CAPACITY, CACHE_CAPACITY, 1);
        let (pos, neg, t, f) = manager.with_manager_exclusive(|m| {
            m.add_vars(u32::from(n));
            let pos: Vec<BDDFunction> = (0..u32::from(n))
                .map(|v| alloc(BDDFunction::var(m, v)))
                .collect();
            let neg: Vec<BDDFunction> = (0..u32::from(n))
                .map(|v| alloc(BDDFunction::not_var(m, v)))
                .collect();
            (pos, neg, BDDFunction::t(m), BDDFunction::f(m))
        });
        BddVariableSet {
            _manager: manager,
            pos,
            neg,
            t: Bdd(t),
            f: Bdd(f),
        }
    }

    /// Number of variables.
    pub(crate) fn num_vars(&self) -> u16 {
        self.pos.len() as u16
    }

    /// Every variable, in order.
    #[cfg(test)]
    pub(crate) fn variables(&self) -> Vec<BddVariable> {
        (0..self.pos.len()).map(BddVariable::from_index).collect()
    }

    /// `true`.
    pub(crate) fn mk_true(&self) -> Bdd {
        self.t.clone()
    }

    /// `false`.
    pub(crate) fn mk_false(&self) -> Bdd {
        self.f.clone()
    }

    /// `var == value`.
    pub(crate) fn mk_literal(&self, var: BddVariable, value: bool) -> Bdd {
        Bdd(if value {
            self.pos[var.to_index()].clone()
        } else {
            self.neg[var.to_index()].clone()
        })
    }

    /// The conjunction of a cube's literals, built bottom-up (each step adds one node).
    pub(crate) fn mk_conjunctive_clause(&self, c: &BddPartialValuation) -> Bdd {
        let mut acc = self.t.0.clone();
        for (var, b) in c.to_values().into_iter().rev() {
            acc = alloc(self.mk_literal(var, b).0.and(&acc));
        }
        Bdd(acc)
    }

    /// Frees the nodes no BDD refers to any more once the table holds more than
    /// [`GC_NODES`] (the manager does so by itself only when its table is nearly full, long
    /// after a 100k-rule walk has left most of its nodes dead).
    pub(crate) fn collect_garbage(&self) {
        self._manager.with_manager_shared(|m| {
            if m.num_inner_nodes() > GC_NODES {
                m.gc();
            }
        });
    }
}

/// A set of packets: a Boolean function over the universe's variables.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Bdd(BDDFunction);

impl fmt::Debug for Bdd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_false() {
            f.write_str("Bdd(false)")
        } else if self.is_true() {
            f.write_str("Bdd(true)")
        } else {
            write!(f, "Bdd({} nodes)", self.0.node_count())
        }
    }
}

impl Bdd {
    /// `self ∧ o`.
    pub(crate) fn and(&self, o: &Bdd) -> Bdd {
        Bdd(alloc(self.0.and(&o.0)))
    }

    /// `self ∨ o`.
    pub(crate) fn or(&self, o: &Bdd) -> Bdd {
        Bdd(alloc(self.0.or(&o.0)))
    }

    /// `self ∧ ¬o`.
    pub(crate) fn and_not(&self, o: &Bdd) -> Bdd {
        // imp_strict(a, b) is ¬a ∧ b.
        Bdd(alloc(o.0.imp_strict(&self.0)))
    }

    /// `self ⊕ o`.
    pub(crate) fn xor(&self, o: &Bdd) -> Bdd {
        Bdd(alloc(self.0.xor(&o.0)))
    }

    /// `¬self`.
    pub(crate) fn not(&self) -> Bdd {
        Bdd(alloc(self.0.not()))
    }

    /// Whether no packet is in the set.
    pub(crate) fn is_false(&self) -> bool {
        !self.0.satisfiable()
    }

    /// Whether every packet is.
    pub(crate) fn is_true(&self) -> bool {
        self.0.valid()
    }

    /// The variables of a cube of positive literals, for quantification.
    fn var_cube(&self, vars: &[BddVariable], values: Option<&[bool]>) -> BDDFunction {
        self.0.with_manager_shared(|m, _| {
            let mut idx: Vec<(usize, bool)> = vars
                .iter()
                .enumerate()
                .map(|(i, v)| (v.to_index(), values.is_none_or(|vs| vs[i])))
                .collect();
            idx.sort_unstable();
            let mut acc = BDDFunction::t(m);
            for (v, b) in idx.into_iter().rev() {
                let lit = if b {
                    alloc(BDDFunction::var(m, v as u32))
                } else {
                    alloc(BDDFunction::not_var(m, v as u32))
                };
                acc = alloc(lit.and(&acc));
            }
            acc
        })
    }

    /// `∃ vars. self`.
    pub(crate) fn exists(&self, vars: &[BddVariable]) -> Bdd {
        let cube = self.var_cube(vars, None);
        Bdd(alloc(self.0.exists(&cube)))
    }

    /// The same set in another manager over the same variables (node by node, bottom up),
    /// so that analyses run in separate managers, on separate threads, can be compared.
    pub(crate) fn transfer(&self, to: &BddVariableSet) -> Bdd {
        self.0.with_manager_shared(|m, root| {
            let (fid, tid) = terminal_ids(m);
            let mut memo: fxhash::FxHashMap<usize, Bdd> = fxhash::FxHashMap::default();
            memo.insert(fid, to.mk_false());
            memo.insert(tid, to.mk_true());
            let mut stack = vec![(root, false)];
            while let Some((e, children_done)) = stack.pop() {
                let id = e.raw().node_id();
                if memo.contains_key(&id) {
                    continue;
                }
                let Node::Inner(n) = m.get_node(e) else {
                    continue;
                };
                let (high, low) = (n.child(0), n.child(1));
                if !children_done {
                    stack.push((e, true));
                    stack.push((high, false));
                    stack.push((low, false));
                    continue;
                }
                let var = to.pos[n.level() as usize].clone();
                let (h, l) = (&memo[&high.raw().node_id()], &memo[&low.raw().node_id()]);
                let b = Bdd(alloc(var.ite(&h.0, &l.0)));
                memo.insert(id, b);
            }
            memo[&root.raw().node_id()].clone()
        })
    }

    /// Whether the two sets share a packet, by a walk over both that builds no node and
    /// stops at the first shared path (most tests in `classify` find none).
    pub(crate) fn intersects(&self, o: &Bdd) -> bool {
        self.pair_walk(o, |a, b, f, t| {
            if a == f || b == f {
                Some(false)
            } else if a == t || b == t || a == b {
                Some(true)
            } else {
                None
            }
        })
    }

    /// Whether every packet of `self` is in `o`, by the same kind of walk.
    pub(crate) fn is_subset(&self, o: &Bdd) -> bool {
        // Walks for a counterexample: a path in `self` and not in `o`.
        !self.pair_walk(o, |a, b, f, t| {
            if a == f || b == t || a == b {
                Some(false)
            } else if b == f || a == t {
                Some(true)
            } else {
                None
            }
        })
    }

    /// Walks `self` and `o` together, depth first, each pair of nodes once; `leaf` decides
    /// a pair by node ids (with the ids of `false` and `true`) or asks to go deeper.
    /// Returns whether some pair was decided `true`.
    fn pair_walk(
        &self,
        o: &Bdd,
        leaf: impl Fn(usize, usize, usize, usize) -> Option<bool>,
    ) -> bool {
        self.0.with_manager_shared(|m, a| {
            let (fid, tid) = terminal_ids(m);
            let b = o.0.as_edge(m);
            let mut stack = vec![(a, b)];
            // Pairs already walked: most walks stop within a few steps, so the set is only
            // kept once a walk is long.
            let mut seen = fxhash::FxHashSet::default();
            let mut steps = 0usize;
            while let Some((a, b)) = stack.pop() {
                let (ia, ib) = (a.raw().node_id(), b.raw().node_id());
                match leaf(ia, ib, fid, tid) {
                    Some(true) => return true,
                    Some(false) => continue,
                    None => {}
                }
                steps += 1;
                if steps > 64 && !seen.insert((ia, ib)) {
                    continue;
                }
                let (Node::Inner(na), Node::Inner(nb)) = (m.get_node(a), m.get_node(b)) else {
                    continue;
                };
                let (la, lb) = (na.level(), nb.level());
                for i in 0..2 {
                    let ca = if la <= lb { na.child(i) } else { a };
                    let cb = if lb <= la { nb.child(i) } else { b };
                    stack.push((ca, cb));
                }
            }
            false
        })
    }

    /// Up to `limit` paths to `true`, as cubes, low branches first.
    pub(crate) fn sat_clauses(&self, limit: usize) -> Vec<BddPartialValuation> {
        self.0.with_manager_shared(|m, root| {
            let (fid, tid) = terminal_ids(m);
            let mut out = Vec::new();
            let mut path: Vec<(BddVariable, bool)> = Vec::new();
            let mut stack = vec![(root, 0usize, None)];
            while let Some((e, len, lit)) = stack.pop() {
                path.truncate(len);
                path.extend(lit);
                let id = e.raw().node_id();
                if id == fid {
                    continue;
                }
                if id == tid {
                    out.push(BddPartialValuation::from_values(&path));
                    if out.len() >= limit {
                        break;
                    }
                    continue;
                }
                let Node::Inner(n) = m.get_node(e) else {
                    continue;
                };
                let v = BddVariable(n.level() as u16);
                // Child 0 is the branch where the variable is true; the low one goes first.
                stack.push((n.child(0), path.len(), Some((v, true))));
                stack.push((n.child(1), path.len(), Some((v, false))));
            }
            out
        })
    }
}

/// Literals every member of a set has (some of them, at least): two sets where one has a
/// variable true and the other false share no packet, which is far cheaper to see on these
/// bit sets than by walking both diagrams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Literals {
    /// The set is empty (it has every literal).
    empty: bool,
    /// Bit `v` set: every member has variable `v` true.
    ones: Vec<u64>,
    /// Bit `v` set: every member has variable `v` false.
    zeros: Vec<u64>,
}

impl Literals {
    /// The literals of both sets: literals of their intersection.
    pub(crate) fn with(&self, o: &Literals) -> Literals {
        let or = |a: &[u64], b: &[u64]| -> Vec<u64> {
            let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
            let mut v = long.to_vec();
            for (x, y) in v.iter_mut().zip(short) {
                *x |= y;
            }
            v
        };
        Literals {
            empty: self.empty || o.empty,
            ones: or(&self.ones, &o.ones),
            zeros: or(&self.zeros, &o.zeros),
        }
    }

    /// Whether sets with these literals can share no packet.
    pub(crate) fn contradicts(&self, o: &Literals) -> bool {
        let clash = |a: &[u64], b: &[u64]| a.iter().zip(b).any(|(x, y)| x & y != 0);
        self.empty || o.empty || clash(&self.ones, &o.zeros) || clash(&self.zeros, &o.ones)
    }
}

impl Bdd {
    /// The literals on every path to `true` (all of them: a variable skipped on some path
    /// is free there), by one walk over the diagram's nodes.
    pub(crate) fn implied_literals(&self) -> Literals {
        self.0.with_manager_shared(|m, root| {
            let (fid, tid) = terminal_ids(m);
            let words = (m.num_levels() as usize).div_ceil(64);
            let root_id = root.raw().node_id();
            if root_id == fid {
                return Literals {
                    empty: true,
                    ..Literals::default()
                };
            }
            // Per node, its ones then its zeros, `2 * words` words from its slot's start.
            let mut arena: Vec<u64> = vec![0; 2 * words];
            let mut slot: fxhash::FxHashMap<usize, usize> = fxhash::FxHashMap::default();
            // `true` has no literal: slot 0, all clear.
            slot.insert(tid, 0);
            let mut stack = vec![(root, false)];
            while let Some((e, expanded)) = stack.pop() {
                let id = e.raw().node_id();
                if slot.contains_key(&id) {
                    continue;
                }
                let Node::Inner(n) = m.get_node(e) else {
                    continue;
                };
                let (hi, lo) = (n.child(0), n.child(1));
                let (hid, lid) = (hi.raw().node_id(), lo.raw().node_id());
                if !expanded {
                    stack.push((e, true));
                    for c in [hi, lo] {
                        let cid = c.raw().node_id();
                        if cid != fid && !slot.contains_key(&cid) {
                            stack.push((c, false));
                        }
                    }
                    continue;
                }
                let at = arena.len();
                let level = n.level() as usize;
                let (w, bit) = (level / 64, 1u64 << (level % 64));
                if lid == fid {
                    let from = slot[&hid];
                    arena.extend_from_within(from..from + 2 * words);
                    arena[at + w] |= bit;
                } else if hid == fid {
                    let from = slot[&lid];
                    arena.extend_from_within(from..from + 2 * words);
                    arena[at + words + w] |= bit;
                } else {
                    let (a, b) = (slot[&hid], slot[&lid]);
                    for i in 0..2 * words {
                        let x = arena[a + i] & arena[b + i];
                        arena.push(x);
                    }
                }
                slot.insert(id, at);
            }
            let at = slot[&root_id];
            Literals {
                empty: false,
                ones: arena[at..at + words].to_vec(),
                zeros: arena[at + words..at + 2 * words].to_vec(),
            }
        })
    }
}

/// Values of some variables, indexed by position (`None`: free): the constraint the
/// walks below follow without building the conjunction.
pub(crate) type Fixed = [Option<bool>];

impl Bdd {
    /// Whether some member of the set has the `fixed` values (`self ∧ fixed` is not empty),
    /// by a walk that follows only the fixed branches.
    pub(crate) fn intersects_fixed(&self, fixed: &Fixed) -> bool {
        self.0.with_manager_shared(|m, root| {
            let (fid, tid) = terminal_ids(m);
            let mut unsat = fxhash::FxHashSet::default();
            reaches_true(m, root, fixed, fid, tid, &mut unsat)
        })
    }

    /// The member with the `fixed` values smallest in variable order (every other
    /// variable false wherever it can be, earlier variables first); `None` when there is
    /// none.
    pub(crate) fn lowest_with(&self, fixed: &Fixed) -> Option<BddValuation> {
        self.0.with_manager_shared(|m, root| {
            let (fid, tid) = terminal_ids(m);
            let n = m.num_levels() as usize;
            let mut val = BddValuation((0..n).map(|i| fixed.get(i) == Some(&Some(true))).collect());
            let mut unsat = fxhash::FxHashSet::default();
            let found = lowest_path(m, root, fixed, fid, tid, &mut val, &mut unsat);
            found.then_some(val)
        })
    }

    /// Whether a packet is in the set.
    pub(crate) fn contains(&self, val: &BddValuation) -> bool {
        self.0.with_manager_shared(|m, root| {
            let (_, tid) = terminal_ids(m);
            let mut e = root;
            while let Node::Inner(node) = m.get_node(e) {
                e = node.child(if val.0[node.level() as usize] { 0 } else { 1 });
            }
            e.raw().node_id() == tid
        })
    }
}

/// The first path from `e` to `true` taking only the `fixed` branches, false branches
/// first: sets `val` along it and returns whether there is one (the levels of a path given
/// up are set back to their fixed value or false). Nodes with no such path go to `unsat`.
fn lowest_path<'a, 'id>(
    m: &'a <BDDFunction as Function>::Manager<'id>,
    e: oxidd::util::Ref<'a, <<BDDFunction as Function>::Manager<'id> as Manager>::Edge>,
    fixed: &Fixed,
    fid: usize,
    tid: usize,
    val: &mut BddValuation,
    unsat: &mut fxhash::FxHashSet<usize>,
) -> bool {
    let id = e.raw().node_id();
    if id == tid {
        return true;
    }
    if id == fid || unsat.contains(&id) {
        return false;
    }
    let Node::Inner(n) = m.get_node(e) else {
        return false;
    };
    let l = n.level() as usize;
    let fixed_here = fixed.get(l).copied().flatten();
    let branches: &[bool] = match fixed_here {
        Some(true) => &[true],
        Some(false) => &[false],
        None => &[false, true],
    };
    for &b in branches {
        val.0[l] = b;
        if lowest_path(
            m,
            n.child(if b { 0 } else { 1 }),
            fixed,
            fid,
            tid,
            val,
            unsat,
        ) {
            return true;
        }
    }
    val.0[l] = fixed_here == Some(true);
    unsat.insert(id);
    false
}

/// Whether a path from `e` to `true` takes only the `fixed` branches; nodes found to have
/// none are added to `unsat` (valid across calls with the same `fixed`).
fn reaches_true<'a, 'id>(
    m: &'a <BDDFunction as Function>::Manager<'id>,
    e: oxidd::util::Ref<'a, <<BDDFunction as Function>::Manager<'id> as Manager>::Edge>,
    fixed: &Fixed,
    fid: usize,
    tid: usize,
    unsat: &mut fxhash::FxHashSet<usize>,
) -> bool {
    let mut seen = fxhash::FxHashSet::default();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        let id = e.raw().node_id();
        if id == tid {
            return true;
        }
        if id == fid || unsat.contains(&id) || !seen.insert(id) {
            continue;
        }
        let Node::Inner(n) = m.get_node(e) else {
            continue;
        };
        match fixed.get(n.level() as usize).copied().flatten() {
            Some(b) => stack.push(n.child(if b { 0 } else { 1 })),
            None => {
                stack.push(n.child(0));
                stack.push(n.child(1));
            }
        }
    }
    unsat.extend(seen);
    false
}

/// The node ids of `false` and `true` in a manager.
fn terminal_ids<'id>(m: &<BDDFunction as Function>::Manager<'id>) -> (usize, usize) {
    let (f, t) = (BDDFunction::f(m), BDDFunction::t(m));
    let ids = (f.as_edge(m).raw().node_id(), t.as_edge(m).raw().node_id());
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_paths_and_literals() {
        let vs = BddVariableSet::new_anonymous(4);
        let v: Vec<BddVariable> = vs.variables();
        let a = vs.mk_literal(v[0], true);
        let b = vs.mk_literal(v[2], false);
        let ab = a.and(&b);
        assert!(!ab.is_false() && !ab.is_true());
        assert!(ab.and_not(&a).is_false());
        assert_eq!(a.and_not(&b), a.and(&b.not()));
        assert!(a.xor(&a).is_false());
        let other = BddVariableSet::new_anonymous(4);
        let moved = a.or(&b).and_not(&ab).transfer(&other);
        let ov = other.variables();
        let want = other
            .mk_literal(ov[0], true)
            .or(&other.mk_literal(ov[2], false))
            .and_not(
                &other
                    .mk_literal(ov[0], true)
                    .and(&other.mk_literal(ov[2], false)),
            );
        assert_eq!(moved, want);
        assert!(vs.mk_false().transfer(&other).is_false());
        assert!(vs.mk_true().transfer(&other).is_true());
        assert!(a.intersects(&b) && !a.intersects(&a.not()) && !ab.intersects(&vs.mk_false()));
        assert!(ab.is_subset(&a) && !a.is_subset(&ab) && vs.mk_false().is_subset(&ab));
        assert!(a.is_subset(&vs.mk_true()) && !vs.mk_true().is_subset(&a));
        assert!(a.or(&a.not()).is_true());
        let c = vs.mk_conjunctive_clause(&BddPartialValuation::from_values(&[
            (v[2], false),
            (v[0], true),
        ]));
        assert_eq!(c, ab);
        assert_eq!(ab.exists(&[v[2]]), a);
        // a ∨ b: paths low-first: a=0 ∧ c=0, then a=1.
        let paths: Vec<_> = a
            .or(&b)
            .sat_clauses(10)
            .iter()
            .map(|p| p.to_values())
            .collect();
        assert_eq!(
            paths,
            vec![vec![(v[0], false), (v[2], false)], vec![(v[0], true)]]
        );
        assert_eq!(a.or(&b).sat_clauses(1).len(), 1);
    }

    #[test]
    fn implied_literals_tell_disjoint_sets_apart() {
        let vs = BddVariableSet::new_anonymous(70);
        let v: Vec<BddVariable> = vs.variables();
        let lit = |i: usize, b: bool| vs.mk_literal(v[i], b);
        // (v0 ∧ ¬v66 ∧ v3) ∨ (v0 ∧ ¬v66 ∧ ¬v3): v0 and ¬v66 on every path, v3 on none.
        let x = lit(0, true).and(&lit(66, false));
        let xl = x
            .and(&lit(3, true))
            .or(&x.and(&lit(3, false)))
            .implied_literals();
        assert_eq!(xl, x.implied_literals());
        assert!(xl.contradicts(&lit(66, true).implied_literals()));
        assert!(xl.contradicts(&lit(0, false).implied_literals()));
        assert!(!xl.contradicts(&lit(3, false).implied_literals()));
        assert!(!xl.contradicts(&vs.mk_true().implied_literals()));
        assert!(xl.contradicts(&vs.mk_false().implied_literals()));
        // The literals of an intersection include both sides'.
        let both = xl.with(&lit(5, true).implied_literals());
        assert_eq!(both, x.and(&lit(5, true)).implied_literals());
        assert!(both.contradicts(&lit(5, false).implied_literals()));
    }

    #[test]
    fn walks_under_fixed_values() {
        let vs = BddVariableSet::new_anonymous(4);
        let v: Vec<BddVariable> = vs.variables();
        let lit = |i: usize, b: bool| vs.mk_literal(v[i], b);
        // (v0 ∧ v2) ∨ (¬v0 ∧ v1 ∧ v3)
        let r = lit(0, true)
            .and(&lit(2, true))
            .or(&lit(0, false).and(&lit(1, true)).and(&lit(3, true)));
        let mut fixed = vec![None; 4];
        assert!(r.intersects_fixed(&fixed));
        let low = r.lowest_with(&fixed).expect("a member");
        assert_eq!(low.0, vec![false, true, false, true]);
        assert!(r.contains(&low));
        fixed[1] = Some(false);
        assert!(r.intersects_fixed(&fixed));
        // v1 fixed false forces v0 and v2; v3 stays false where it can.
        assert_eq!(
            r.lowest_with(&fixed).expect("a member").0,
            vec![true, false, true, false]
        );
        fixed[2] = Some(false);
        assert!(!r.intersects_fixed(&fixed));
        assert_eq!(r.lowest_with(&fixed), None);
        // A fixed variable the set does not test still takes its value.
        let mut fixed = vec![None; 4];
        fixed[3] = Some(true);
        assert_eq!(
            lit(0, true).lowest_with(&fixed).expect("a member").0,
            vec![true, false, false, true]
        );
        assert!(!r.contains(&BddValuation(vec![true, true, false, true])));
        assert_eq!(vs.mk_false().lowest_with(&[None; 4]), None);
    }
}
