//! The symbolic walk: hooks in kernel order along the path, base-chain groups (every order
//! that matters, compared), chains rule by rule with jump/goto/return and policies. A set
//! `S` entering a rule splits into `M = S ∧ pred` (decided or changed here) and `S ∧ ¬pred`.

use std::cell::RefCell;
use std::collections::HashMap;

use biodivine_lib_bdd::Bdd;

use crate::model::{Backend, ChainType, Direction, Hook, MatchKind, Policy, Rule, SetKey, Verdict};
use crate::trace::{
    hook_has_oif, ChainId, Group, Leg, LocalAddrs, Stage, TraceIndex, TracePath, STAGES,
};

use super::bitvec::{eq_const, prefix};
use super::compile::{addr_value, compile_match, Body, IfAt, MatchCtx};
use super::error::SpaceError;
use super::exec::{decider_of, Exec, RuleKey};
use super::state::{Fixed, SymState};
use super::vars::Universe;

/// Oracle variables by rule: `(ruleset, table, chain, rule)` to the first of two indexes
/// (the rule's undecidable matches, its undecidable verdict).
pub(crate) type OracleMap = HashMap<(usize, usize, usize, usize), usize>;

/// Priority of connection tracking on prerouting and output (`NF_IP_PRI_CONNTRACK`).
const CONNTRACK_PRIORITY: i32 = -200;

/// What one hook run sees.
pub(crate) struct HookCtx {
    pub(crate) hook: Hook,
    pub(crate) v6: bool,
    pub(crate) iif: IfAt,
    pub(crate) oif: IfAt,
    pub(crate) loop_leg: bool,
}

/// The outcome of one run (one IP version of one ruleset).
pub(crate) struct RunResult {
    /// Packets that went through every hook, by the accept that decided.
    pub(crate) accepts: Vec<(Option<RuleKey>, Bdd)>,
    pub(crate) drops: Vec<(RuleKey, Bdd)>,
    pub(crate) taints: Vec<(String, Bdd)>,
}

/// One ruleset's engine over a shared universe.
pub(crate) struct Engine<'a> {
    pub(crate) u: &'a Universe,
    pub(crate) fx: Fixed,
    pub(crate) idx: &'a TraceIndex<'a>,
    pub(crate) rs: usize,
    pub(crate) oracles: &'a OracleMap,
    /// Why each oracle variable that was used exists.
    pub(crate) reasons: RefCell<HashMap<usize, String>>,
    pub(crate) max_depth: usize,
    pub(crate) notes: RefCell<Vec<String>>,
}

impl<'a> Engine<'a> {
    /// An engine for ruleset number `rs`.
    pub(crate) fn new(
        u: &'a Universe,
        idx: &'a TraceIndex<'a>,
        rs: usize,
        oracles: &'a OracleMap,
    ) -> Engine<'a> {
        Engine {
            u,
            fx: Fixed::new(u),
            idx,
            rs,
            oracles,
            reasons: RefCell::new(HashMap::new()),
            max_depth: 64,
            notes: RefCell::new(Vec::new()),
        }
    }

    fn key(&self, id: ChainId, rule: Option<usize>) -> RuleKey {
        RuleKey {
            rs: self.rs,
            table: id.0,
            chain: id.1,
            rule,
        }
    }

    /// The packets whose address `bits` is one of the node's (loopback when not known).
    fn local(&self, bits: &[Bdd], v6: bool, local: Option<&LocalAddrs>) -> Bdd {
        let nets: Vec<ipnet::IpNet> = match local {
            Some(l) => l.local.clone(),
            None => vec![
                "127.0.0.0/8".parse().expect("a valid prefix"),
                "::1/128".parse().expect("a valid prefix"),
            ],
        };
        nets.iter()
            .filter(|n| matches!(n, ipnet::IpNet::V6(_)) == v6)
            .fold(self.u.vars.mk_false(), |acc, n| {
                acc.or(&prefix(
                    &self.u.vars,
                    bits,
                    addr_value(n.network()),
                    usize::from(n.prefix_len()),
                ))
            })
    }

    /// Runs the packets of `entry` (all of one IP version) along `path`.
    pub(crate) fn run(
        &self,
        entry: &Bdd,
        v6: bool,
        path: TracePath,
        local: Option<&LocalAddrs>,
    ) -> Result<RunResult, SpaceError> {
        let mut ex = Exec::new(self.u, entry);
        let forced = match path {
            TracePath::Auto if local.is_none() => {
                self.notes.borrow_mut().push(
                    "the node's local addresses are not known: the forward path was assumed"
                        .to_string(),
                );
                Some(TracePath::Forward)
            }
            TracePath::Auto => None,
            p => Some(p),
        };
        let f = self.u.vars.mk_false();
        let orig_dst = ex.st.dst(v6).to_vec();
        let mut legs: Vec<(Leg, Bdd)> = match forced {
            Some(TracePath::Output) => vec![(Leg::LocalOut, entry.clone())],
            Some(_) => vec![(Leg::Arriving, entry.clone())],
            None => {
                let from_node = self.local(ex.st.src(v6), v6, local);
                vec![
                    (Leg::LocalOut, entry.and(&from_node)),
                    (Leg::Arriving, entry.and_not(&from_node)),
                ]
            }
        };
        for stage in STAGES {
            let hook = stage.hook();
            let mut next: Vec<(Leg, Bdd)> = Vec::new();
            for (leg, set) in std::mem::take(&mut legs) {
                if set.is_false() {
                    continue;
                }
                if !stage.visits(leg) {
                    next.push((leg, set));
                    continue;
                }
                // Parts of the leg that see the same interfaces here.
                let var = IfAt::Var;
                let none = IfAt::Name(String::new());
                let lo = IfAt::Name("lo".into());
                let parts: Vec<(Bdd, IfAt, IfAt)> = match stage {
                    Stage::Output => {
                        let l = self.local(&orig_dst, v6, local);
                        vec![
                            (set.and(&l), none.clone(), lo),
                            (set.and_not(&l), none, var),
                        ]
                    }
                    Stage::PostroutingOut => {
                        let l = self.local(ex.st.dst(v6), v6, local);
                        vec![
                            (set.and(&l), none.clone(), lo),
                            (set.and_not(&l), none, var),
                        ]
                    }
                    Stage::Prerouting | Stage::Input if leg.is_loop() => vec![(set, lo, none)],
                    Stage::Prerouting | Stage::Input => vec![(set, var, none)],
                    Stage::Forward | Stage::PostroutingFwd => vec![(set, var.clone(), var)],
                };
                for (part, iif, oif) in parts {
                    if part.is_false() {
                        continue;
                    }
                    let oif = if hook_has_oif(&hook) {
                        oif
                    } else {
                        IfAt::Name(String::new())
                    };
                    let h = HookCtx {
                        hook: hook.clone(),
                        v6,
                        iif,
                        oif,
                        loop_leg: leg.is_loop(),
                    };
                    let alive = self.run_hook(&mut ex, part, &h)?;
                    // The leg after this stage.
                    let to_local = |ex: &Exec| self.local(ex.st.dst(v6), v6, local);
                    match (stage, leg) {
                        (Stage::Output | Stage::Forward, l) => next.push((l, alive)),
                        (Stage::PostroutingOut, _) => {
                            let l = to_local(&ex);
                            next.push((Leg::LoopArriving, alive.and(&l)));
                            next.push((Leg::Done, alive.and_not(&l)));
                        }
                        (Stage::Prerouting, Leg::LoopArriving) => {
                            next.push((Leg::LoopDelivering, alive))
                        }
                        (Stage::Prerouting, _) => match forced {
                            Some(TracePath::Input) => next.push((Leg::Delivering, alive)),
                            Some(_) => next.push((Leg::Forwarding, alive)),
                            None => {
                                let l = to_local(&ex);
                                next.push((Leg::Delivering, alive.and(&l)));
                                next.push((Leg::Forwarding, alive.and_not(&l)));
                            }
                        },
                        (Stage::Input | Stage::PostroutingFwd, _) => next.push((Leg::Done, alive)),
                    }
                }
            }
            legs = next;
        }
        let survivors = legs.iter().fold(f, |acc, (_, b)| acc.or(b));
        let mut accepts: Vec<(Option<RuleKey>, Bdd)> = Vec::new();
        for (d, p) in &ex.deciders {
            let b = p.and(&survivors);
            if b.is_false() {
                continue;
            }
            let k = decider_of(d);
            match accepts.iter_mut().find(|(x, _)| *x == k) {
                Some((_, acc)) => *acc = acc.or(&b),
                None => accepts.push((k, b)),
            }
        }
        Ok(RunResult {
            accepts,
            drops: ex.drops,
            taints: ex.taints,
        })
    }

    /// Runs every base-chain group of a hook; returns the packets that go on.
    fn run_hook(&self, ex: &mut Exec, mut set: Bdd, h: &HookCtx) -> Result<Bdd, SpaceError> {
        let Some(groups) = self.idx.hooks.get(&(h.hook.clone(), h.v6)) else {
            return Ok(set);
        };
        for g in groups {
            if set.is_false() {
                break;
            }
            set = self.run_group(ex, set, g, h)?;
        }
        Ok(set)
    }

    /// Runs a group of equal-priority base chains in listing order; every other order the
    /// schedule keeps is run too, and the packets whose outcome it changes are marked.
    fn run_group(
        &self,
        ex: &mut Exec,
        set: Bdd,
        g: &Group,
        h: &HookCtx,
    ) -> Result<Bdd, SpaceError> {
        let orders = &g.order_ids;
        let Some(first) = orders.first() else {
            return Ok(set);
        };
        if orders.len() == 1 {
            return self.run_order(ex, set, first, h);
        }
        let before = ex.clone();
        let alive = self.run_order(ex, set.clone(), first, h)?;
        let mut differ = self.u.vars.mk_false();
        for o in &orders[1..] {
            let mut alt = before.clone();
            self.run_order(&mut alt, set.clone(), o, h)?;
            differ = differ.or(&ex.differs(&alt, &set, self.u));
        }
        if !differ.is_false() {
            let names: Vec<String> = first
                .iter()
                .map(|&id| self.idx.chain_ref(id).to_string())
                .collect();
            ex.taint(
                &differ,
                format!(
                    "the order of equal-priority base chains at {} ({}) is not known and changes the outcome; listing order assumed",
                    h.hook,
                    names.join(", ")
                ),
            );
        }
        Ok(alive)
    }

    /// Runs base chains in one order; returns the packets not dropped.
    fn run_order(
        &self,
        ex: &mut Exec,
        mut set: Bdd,
        order: &[ChainId],
        h: &HookCtx,
    ) -> Result<Bdd, SpaceError> {
        for &id in order {
            if set.is_false() {
                break;
            }
            let chain = self.idx.chain(id);
            let Some(base) = chain.base.as_ref() else {
                continue;
            };
            let is_nat = base.chain_type == ChainType::Nat;
            let entering = if is_nat {
                if h.loop_leg {
                    continue;
                }
                // Only a connection's first packet, and not once a nat chain of this hook
                // mapped it.
                let new = ex
                    .st
                    .untracked
                    .not()
                    .and(&eq_const(&self.u.vars, &self.fx.ct, 0));
                let mapped = match h.hook {
                    Hook::Prerouting | Hook::Output => ex.st.dnat.clone(),
                    Hook::Input | Hook::Postrouting => ex.st.snat.clone(),
                    _ => self.u.vars.mk_false(),
                };
                set.and(&new).and_not(&mapped)
            } else {
                set.clone()
            };
            if entering.is_false() {
                continue;
            }
            let before_ct = !h.loop_leg
                && matches!(h.hook, Hook::Prerouting | Hook::Output)
                && base.priority < CONNTRACK_PRIORITY;
            ex.dropped_now = self.u.vars.mk_false();
            let mut stack = vec![id];
            let fell = self.run_chain(ex, id, entering, id, h, before_ct, &mut stack)?;
            let policy = self.key(id, None);
            if base.policy == Policy::Drop {
                ex.drop(&fell, policy);
            } else {
                ex.accept(&fell, policy, is_nat);
            }
            set = set.and_not(&ex.dropped_now);
        }
        Ok(set)
    }

    /// The condition of a rule, with its oracle variable when part of it is undecidable.
    fn rule_pred(
        &self,
        st: &SymState,
        rule: &Rule,
        id: ChainId,
        ri: usize,
        h: &HookCtx,
        before_ct: bool,
    ) -> Bdd {
        let ctx = MatchCtx {
            u: self.u,
            fx: &self.fx,
            st,
            v6: h.v6,
            iif: &h.iif,
            oif: &h.oif,
            before_ct,
            sets: &self.idx.tables[id.0].sets,
        };
        let mut pred = self.u.vars.mk_true();
        let mut opaque: Vec<String> = Vec::new();
        for m in &rule.matches {
            let c = compile_match(m, &ctx);
            pred = pred.and(&c.dep);
            match c.body {
                Body::Exact(b) => {
                    pred = if m.negated {
                        pred.and_not(&b)
                    } else {
                        pred.and(&b)
                    };
                }
                Body::Opaque(why) => opaque.push(why),
            }
            if pred.is_false() {
                return pred;
            }
        }
        if !opaque.is_empty() {
            match self.oracle(id, ri, 0, opaque.join("; ")) {
                Some(o) => pred = pred.and(&o),
                None => self
                    .notes
                    .borrow_mut()
                    .push("an undecidable match had no oracle variable; assumed to hold".into()),
            }
        }
        pred
    }

    /// Marks the packets of `s` whose address this rule reads after a translation to an
    /// address the engine does not know (masquerade, redirect, NAT through a map).
    fn taint_unknown_reads(&self, ex: &mut Exec, s: &Bdd, rule: &Rule) {
        let (mut src, mut dst) = (false, false);
        for m in &rule.matches {
            match &m.kind {
                MatchKind::Address { dir, .. } | MatchKind::AddrType { dir, .. } => match dir {
                    Direction::Src => src = true,
                    Direction::Dst => dst = true,
                },
                MatchKind::SetLookup { keys, .. } => {
                    for k in keys {
                        match k {
                            SetKey::Saddr | SetKey::Saddr6 | SetKey::IpsetSrc => src = true,
                            SetKey::Daddr | SetKey::Daddr6 | SetKey::IpsetDst => dst = true,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if src && !ex.st.src_unknown.is_false() {
            let t = s.and(&ex.st.src_unknown);
            ex.taint(
                &t,
                "the source address after masquerade or NAT through a map is not known",
            );
        }
        if dst && !ex.st.dst_unknown.is_false() {
            let t = s.and(&ex.st.dst_unknown);
            ex.taint(
                &t,
                "the destination after redirect or NAT through a map is not known",
            );
        }
    }

    /// Oracle variable `slot` of a rule, recording why it is used.
    pub(crate) fn oracle(&self, id: ChainId, ri: usize, slot: usize, why: String) -> Option<Bdd> {
        let i = *self.oracles.get(&(self.rs, id.0, id.1, ri))? + slot;
        let v = self.u.oracle(i)?;
        let i = v.to_index() - usize::from(self.u.layout.oracle_start);
        self.reasons.borrow_mut().entry(i).or_insert(why);
        Some(self.u.vars.mk_var(v))
    }

    /// Runs the packets of `s` through chain `id`; returns those that return from it (or
    /// fall off its end). Accepts and drops are recorded in `ex`.
    #[allow(clippy::too_many_arguments)]
    fn run_chain(
        &self,
        ex: &mut Exec,
        id: ChainId,
        mut s: Bdd,
        base: ChainId,
        h: &HookCtx,
        before_ct: bool,
        stack: &mut Vec<ChainId>,
    ) -> Result<Bdd, SpaceError> {
        let chain = self.idx.chain(id);
        let nat_chain = self
            .idx
            .chain(base)
            .base
            .as_ref()
            .is_some_and(|b| b.chain_type == ChainType::Nat);
        let nft = self.idx.tables[id.0].table.backend == Backend::Nft;
        let mut returned = self.u.vars.mk_false();
        for (ri, rule) in chain.rules.iter().enumerate() {
            if s.is_false() {
                break;
            }
            self.taint_unknown_reads(ex, &s, rule);
            let pred = self.rule_pred(&ex.st, rule, id, ri, h, before_ct);
            let m = s.and(&pred);
            if m.is_false() {
                continue;
            }
            s = s.and_not(&pred);
            let key = self.key(id, Some(ri));
            let eff = self.statements(ex, &m, rule, id, ri, h, before_ct, nft);
            s = s.or(&eff.broke);
            // NAT ends the chain with an accept, which is never the deciding one when another
            // accepts later (the tracer ranks it as a nat-chain accept).
            ex.accept(&eff.nat_done, key, true);
            let m = eff.rest;
            if m.is_false() {
                continue;
            }
            let verdict = eff.verdict.as_ref().or(rule.verdict.as_ref());
            match verdict {
                None | Some(Verdict::Continue) => s = s.or(&m),
                Some(Verdict::Accept) => ex.accept(&m, key, nat_chain),
                Some(Verdict::Drop | Verdict::Reject { .. }) => ex.drop(&m, key),
                Some(Verdict::Return) => returned = returned.or(&m),
                Some(Verdict::Jump(t) | Verdict::Goto(t)) => {
                    let is_goto = matches!(verdict, Some(Verdict::Goto(_)));
                    let Some(&ci) = self.idx.tables[id.0].chains.get(t.as_str()) else {
                        // A missing chain: the tracer goes on with the next rule.
                        s = s.or(&m);
                        continue;
                    };
                    let target = (id.0, ci);
                    if stack.contains(&target) {
                        let mut path: Vec<String> = stack
                            .iter()
                            .map(|&c| self.idx.chain_ref(c).to_string())
                            .collect();
                        path.push(self.idx.chain_ref(target).to_string());
                        return Err(SpaceError::JumpCycle { path });
                    }
                    if stack.len() >= self.max_depth {
                        return Err(SpaceError::TooDeep {
                            limit: self.max_depth,
                            chain: self.idx.chain_ref(target).to_string(),
                        });
                    }
                    stack.push(target);
                    let back = self.run_chain(ex, target, m, base, h, before_ct, stack)?;
                    stack.pop();
                    if is_goto {
                        returned = returned.or(&back);
                    } else {
                        s = s.or(&back);
                    }
                }
                Some(Verdict::Queue(_) | Verdict::Other(_)) => {
                    let what = match verdict {
                        Some(Verdict::Queue(_)) => "the packet is queued to user space".to_string(),
                        _ => "the target is not known to nfdiff".to_string(),
                    };
                    match self.oracle(id, ri, 1, format!("{what}: it may accept or drop")) {
                        Some(o) => {
                            ex.accept(&m.and(&o), key, nat_chain);
                            ex.drop(&m.and_not(&o), key);
                        }
                        None => {
                            ex.taint(&m, what);
                            ex.accept(&m, key, nat_chain);
                        }
                    }
                }
                Some(Verdict::Vmap(_)) => {
                    ex.taint(
                        &m,
                        "verdict maps are not evaluated by the space engine yet; assumed no element matches",
                    );
                    s = s.or(&m);
                }
                #[allow(unreachable_patterns)]
                Some(_) => {
                    ex.taint(&m, format!("verdict `{}` is not modelled", rule));
                    s = s.or(&m);
                }
            }
        }
        Ok(returned.or(&s))
    }
}
