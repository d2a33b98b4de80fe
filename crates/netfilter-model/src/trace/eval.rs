//! The evaluator: walks hooks, equal-priority groups and chains iteratively, with an explicit
//! call stack, forking on undecidable matches and on chain orders that matter.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use crate::model::{Backend, ChainType, CtStateSet, Hook, Policy, Rule, Statement, Verdict};

use super::assumptions::{eval_rule, Atom, Facts};
use super::error::TraceError;
use super::matching::{Ctx, PktState, Truth};
use super::nat::apply_nat;
use super::natcore::mapped_at;
use super::natmap::{resolve as resolve_nat_map, NatMap};
use super::noct::{no_conntrack, reads_conntrack};
use super::options::TraceOptions;
use super::outcome::NatResult;
use super::packet::Packet;
use super::path::TracePath;
use super::report::{
    Alternative, Assumption, ChainRef, FinalVerdict, Overruled, PacketFact, RuleRef, Step,
    StepEvent, TraceReport,
};
use super::route::{Leg, RoutePlan, Stage, STAGES};
use super::schedule::{ChainId, Group, TraceIndex};
use super::vmap::VmapOutcome;
use super::xt::{xt_effect, XtEffect};

/// An accept that ended a base chain.
#[derive(Debug, Clone)]
struct AcceptRec {
    rule: RuleRef,
    nat_chain: bool,
}

/// Hashes of the last non-policy accept outside nat chains, the last non-policy accept and
/// the last accept of a course ([`accept_decider`] takes the first there is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Accepted([Option<u64>; 3]);

impl Accepted {
    /// The deciding accept so far and which of the three it is: with the accepts still to
    /// come, that is all [`accept_decider`] needs, so courses equal in it (and in packet
    /// state) end with the same deciding rules.
    fn decider(&self) -> Option<(usize, u64)> {
        self.0
            .iter()
            .enumerate()
            .find_map(|(i, k)| k.map(|k| (i, k)))
    }
}

/// See [`Accepted::decider`].
type DeciderKey = Option<(usize, u64)>;

/// One possible course of the packet.
#[derive(Debug, Clone)]
struct Branch {
    st: PktState,
    steps: Vec<Step>,
    assumptions: Vec<Assumption>,
    /// Non-listing orders taken, one list per reordered group.
    orders: Vec<Vec<ChainRef>>,
    /// Whether an undecidable match was assumed not to hold (or a non-first vmap option taken).
    alt_assumption: bool,
    accepts: Vec<AcceptRec>,
    /// The accepts that can still decide (see [`Accepted`]), kept up to date by
    /// [`Branch::accept`].
    accepted: Accepted,
    /// The hooks this course went through, in order.
    hooks: Vec<Hook>,
}

impl Branch {
    /// Records an accept.
    fn accept(&mut self, a: AcceptRec) {
        let mut h = DefaultHasher::new();
        a.rule.hash(&mut h);
        let key = Some(h.finish());
        if !a.rule.policy {
            if !a.nat_chain {
                self.accepted.0[0] = key;
            }
            self.accepted.0[1] = key;
        }
        self.accepted.0[2] = key;
        self.accepts.push(a);
    }

    /// What, besides the packet state and position, decides how this course's outcomes are
    /// reported: whether an undecidable match was assumed not to hold (and then whether a
    /// group ran out of listing order: such outcomes do not make the trace `uncertain`), and
    /// the accepts that can still decide. Courses where every match was assumed to hold are
    /// one class whatever the order: the listing-order one comes first and stands for them,
    /// as it did when courses were merged on equal assumption lists.
    fn future_key(&self) -> (bool, bool, DeciderKey) {
        (
            self.alt_assumption,
            self.alt_assumption && self.orders.is_empty(),
            self.accepted.decider(),
        )
    }
}

/// A finished course.
#[derive(Debug, Clone)]
struct Outcome {
    verdict: FinalVerdict,
    decided_by: Option<RuleRef>,
    br: Branch,
}

impl Outcome {
    /// The address translation of an accepted packet (a dropped one has none to report).
    fn nat(&self) -> NatResult {
        match self.verdict {
            FinalVerdict::Accept => NatResult::of(&self.br.st),
            FinalVerdict::Drop => NatResult::default(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    chain: ChainId,
    pos: usize,
    /// Where this frame's gotos start in `Work::trail`.
    trail_start: usize,
}

#[derive(Clone)]
struct Work {
    br: Branch,
    order_pos: usize,
    stack: Vec<Frame>,
    /// Chains left by goto, per frame (see `Frame::trail_start`), to find goto loops.
    trail: Vec<ChainId>,
    /// `trail_keys[i]` hashes `trail[..=i]` (kept in step with `trail`).
    trail_keys: Vec<u64>,
    /// The chains of `stack` and `trail`: reaching one of them again is a loop.
    on_path: HashSet<ChainId>,
}

impl Work {
    /// Returns from the top frame, forgetting it and the chains it left by goto.
    fn pop_frame(&mut self) {
        if let Some(f) = self.stack.pop() {
            self.on_path.remove(&f.chain);
            let from = f.trail_start.min(self.trail.len());
            for c in self.trail.drain(from..) {
                self.on_path.remove(&c);
            }
            self.trail_keys.truncate(from);
        }
    }

    /// Leaves `c` by goto.
    fn push_trail(&mut self, c: ChainId) {
        let mut h = DefaultHasher::new();
        (self.trail_keys.last(), c).hash(&mut h);
        self.trail_keys.push(h.finish());
        self.trail.push(c);
    }

    /// Where this course is and what decides its future: two courses with equal keys at an
    /// undecidable rule reach the same outcomes from there on (the assumptions and steps that
    /// led each there are only reported, not consulted).
    fn point_key(&self, order: usize) -> PointKey {
        let mut h = DefaultHasher::new();
        for f in &self.stack {
            (f.chain, f.pos, f.trail_start).hash(&mut h);
        }
        PointKey {
            order,
            order_pos: self.order_pos,
            stack: (self.stack.len(), h.finish()),
            trail: (self.trail.len(), self.trail_keys.last().copied()),
            st: self.br.st.clone(),
            future: self.br.future_key(),
        }
    }

    /// The loop `stack` + `trail` + `to`, as chain labels in call order.
    fn loop_path(&self, idx: &TraceIndex<'_>, to: ChainId) -> Vec<String> {
        let mut path = Vec::new();
        for (i, f) in self.stack.iter().enumerate() {
            let end = self
                .stack
                .get(i + 1)
                .map_or(self.trail.len(), |n| n.trail_start)
                .min(self.trail.len());
            let start = f.trail_start.min(end);
            path.extend(self.trail[start..end].iter().map(|&c| chain_label(idx, c)));
            path.push(chain_label(idx, f.chain));
        }
        path.push(chain_label(idx, to));
        path
    }
}

/// A course at an undecidable rule (see [`Work::point_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PointKey {
    /// Which order of the group runs.
    order: usize,
    order_pos: usize,
    /// Depth and hash of the call stack (chains and positions): a fixed-size key, as the
    /// trace may visit up to `max_steps` points.
    stack: (usize, u64),
    /// Length and hash of the goto trail.
    trail: (usize, Option<u64>),
    st: PktState,
    future: (bool, bool, DeciderKey),
}

/// The courses that reached an undecidable rule of one group, in one order of it.
///
/// A course reaching such a rule in the same [`PointKey`] as an earlier one is dropped: the
/// earlier one already follows (or followed) every course from there. Without this, courses
/// forked at undecidable rules without effect met again at the next one and forked again,
/// up to the branch limit, and the 256 copies each walked the rest of the ruleset.
struct Seen {
    order: usize,
    keys: HashSet<PointKey>,
}

impl Seen {
    /// Whether no course was at `w`'s point before (and remembers it).
    fn first_visit(&mut self, w: &Work) -> bool {
        self.keys.insert(w.point_key(self.order))
    }
}

/// Shared counters of one trace.
struct Budget {
    steps: u64,
    branches: usize,
    truncated: bool,
}

fn rule_ref_of(idx: &TraceIndex<'_>, id: ChainId, rule: Option<usize>) -> RuleRef {
    let t = idx.tables[id.0].table;
    let c = &t.chains[id.1];
    let (text, comment, policy) = match rule.and_then(|i| c.rules.get(i)) {
        Some(r) => (r.to_string(), r.comment.clone(), false),
        None => (
            format!(
                "policy {}",
                c.base.as_ref().map_or("accept", |b| b.policy.as_str())
            ),
            None,
            true,
        ),
    };
    RuleRef {
        backend: t.backend,
        family: t.family,
        table: t.name.clone(),
        chain: c.name.clone(),
        index: if policy { None } else { rule.map(|i| i + 1) },
        policy,
        rule: text,
        comment,
    }
}

fn mk_step(
    idx: &TraceIndex<'_>,
    hook: &Hook,
    id: ChainId,
    rule: Option<usize>,
    event: StepEvent,
    detail: Option<String>,
) -> Step {
    let t = idx.tables[id.0].table;
    Step {
        hook: hook.clone(),
        backend: t.backend,
        family: t.family,
        table: t.name.clone(),
        chain: t.chains[id.1].name.clone(),
        index: rule.map(|i| i + 1),
        event,
        detail,
    }
}

fn chain_label(idx: &TraceIndex<'_>, id: ChainId) -> String {
    idx.chain_ref(id).to_string()
}

impl TraceIndex<'_> {
    /// Traces one packet through every hook of its path.
    pub fn trace(&self, pkt: &Packet, opts: &TraceOptions) -> Result<TraceReport, TraceError> {
        if !pkt.families_agree() {
            return Err(TraceError::InvalidPacket(format!(
                "source {} and destination {} are of different IP versions",
                pkt.src, pkt.dst
            )));
        }
        if let Some(e) = self.malformed_element() {
            return Err(e);
        }
        if pkt.path == TracePath::Auto && pkt.iif.is_none() {
            let (plan, _) = RoutePlan::new(pkt);
            if plan.start == Leg::Arriving {
                return Err(TraceError::InvalidPacket(match pkt.local_addrs {
                    Some(_) => format!(
                        "the source {} is not an address of this node, so the packet arrives on an interface: give its input interface (--iif)",
                        pkt.src
                    ),
                    None => "without the node's local addresses the packet is taken to be forwarded: give its input interface (--iif), or the node's addresses (--local-addr)".to_string(),
                }));
            }
        }
        let (outcomes, mut notes, truncated) = self.run(pkt, opts, None)?;
        let mut report = build_report(outcomes);
        // Courses left unexplored could end otherwise.
        report.uncertain |= truncated;
        notes.extend(self.notes.iter().cloned());
        if report.verdict == FinalVerdict::Drop {
            if let Some(d) = &report.decided_by {
                let other = match d.backend {
                    Backend::Legacy => Backend::Nft,
                    Backend::Nft => Backend::Legacy,
                };
                if self.has_backend(other, pkt.is_ipv6()) {
                    let (alone, _, _) = self.run(pkt, opts, Some(other))?;
                    let alone = build_report(alone);
                    if alone.verdict == FinalVerdict::Accept {
                        report.overruled = Some(Overruled {
                            accepted_in: other,
                            accepted_by: alone.decided_by,
                            dropped_in: d.backend,
                        });
                    }
                }
            }
        }
        report.notes = notes;
        Ok(report)
    }

    /// The first malformed element of a named set or map, as the error a trace gives.
    fn malformed_element(&self) -> Option<TraceError> {
        self.tables.iter().find_map(|t| {
            let mut names: Vec<&String> = t.sets.keys().collect();
            names.sort();
            names.into_iter().find_map(|name| {
                let (element, reason) = t.sets[name].malformed.clone()?;
                Some(TraceError::MalformedSetElement {
                    table: format!("{} {} {}", t.table.backend, t.table.family, t.table.name),
                    set: name.clone(),
                    element,
                    reason,
                })
            })
        })
    }

    /// Runs every course of the packet; `only` restricts the trace to one backend.
    fn run(
        &self,
        pkt: &Packet,
        opts: &TraceOptions,
        only: Option<Backend>,
    ) -> Result<(Vec<Outcome>, Vec<String>, bool), TraceError> {
        let v6 = pkt.is_ipv6();
        let mut budget = Budget {
            steps: 0,
            branches: 1,
            truncated: false,
        };
        let mut frontier = vec![Branch {
            st: PktState::from_packet(pkt),
            steps: Vec::new(),
            assumptions: Vec::new(),
            orders: Vec::new(),
            alt_assumption: false,
            accepts: Vec::new(),
            accepted: Accepted::default(),
            hooks: Vec::new(),
        }];
        let mut done: Vec<Outcome> = Vec::new();
        let mut notes = Vec::new();
        let (plan, note) = RoutePlan::new(pkt);
        notes.extend(note);
        let mut forward_without_oif = false;
        frontier[0].st.leg = plan.start;
        for stage in STAGES {
            let hook = stage.hook();
            let (visiting, mut out): (Vec<Branch>, Vec<Branch>) =
                frontier.into_iter().partition(|b| stage.visits(b.st.leg));
            // Courses with the same interfaces at this stage run the hook together.
            let mut parts: Vec<((String, String), Vec<Branch>)> = Vec::new();
            for mut br in visiting {
                br.hooks.push(hook.clone());
                let ifs = plan.interfaces(stage, &br.st);
                match parts.iter_mut().find(|(k, _)| *k == ifs) {
                    Some((_, v)) => v.push(br),
                    None => parts.push((ifs, vec![br])),
                }
            }
            for ((iif, oif), part) in parts {
                if stage == Stage::Forward && plan.is_auto() && pkt.oif.is_none() {
                    forward_without_oif = true;
                }
                let part = match self.hooks.get(&(hook.clone(), v6)) {
                    Some(groups) => self.run_hook(
                        part,
                        groups,
                        &hook,
                        pkt,
                        &iif,
                        &oif,
                        only,
                        opts,
                        &mut budget,
                        &mut done,
                    )?,
                    None => part,
                };
                for mut br in part {
                    br.st.leg = plan.next(stage, &br.st);
                    out.push(br);
                }
            }
            frontier = out;
        }
        if forward_without_oif {
            notes.push(
                "the packet is forwarded, and the query gives no output interface: rules testing it see an empty name"
                    .to_string(),
            );
        }
        for br in frontier {
            let decided_by = accept_decider(&br.accepts);
            done.push(Outcome {
                verdict: FinalVerdict::Accept,
                decided_by,
                br,
            });
        }
        if budget.truncated {
            notes.push(format!(
                "more than {} courses: later undecidable matches were assumed to hold and some chain orders were not tried",
                opts.max_branches
            ));
        }
        Ok((done, notes, budget.truncated))
    }

    /// Runs every base-chain group of one hook for the courses in `frontier` (which share
    /// the interfaces `iif`, `oif`); returns the courses that go on.
    #[allow(clippy::too_many_arguments)]
    fn run_hook(
        &self,
        mut frontier: Vec<Branch>,
        groups: &[Group],
        hook: &Hook,
        pkt: &Packet,
        iif: &str,
        oif: &str,
        only: Option<Backend>,
        opts: &TraceOptions,
        budget: &mut Budget,
        done: &mut Vec<Outcome>,
    ) -> Result<Vec<Branch>, TraceError> {
        for g in groups {
            let filtered: Vec<Vec<ChainId>>;
            let orders: &[Vec<ChainId>] = match only {
                None => &g.order_ids,
                Some(b) => {
                    let c: Vec<ChainId> = g
                        .chains
                        .iter()
                        .copied()
                        .filter(|id| self.tables[id.0].table.backend == b)
                        .collect();
                    if c.is_empty() {
                        continue;
                    }
                    filtered = vec![c];
                    &filtered
                }
            };
            let mut next: Vec<Branch> = Vec::new();
            let mut seen = Seen {
                order: 0,
                keys: HashSet::new(),
            };
            for br in frontier {
                // The last order to run takes the course itself: cloning it for every group
                // made the work grow with groups x steps so far.
                let mut br = Some(br);
                for (oi, order) in orders.iter().enumerate() {
                    if oi > 0 {
                        if budget.branches >= opts.max_branches {
                            budget.truncated = true;
                            break;
                        }
                        budget.branches += 1;
                    }
                    // Without branches left, no later order runs (the count only grows).
                    let last = oi + 1 == orders.len() || budget.branches >= opts.max_branches;
                    let b = if last { br.take() } else { br.clone() };
                    let Some(mut b) = b else {
                        break;
                    };
                    if oi > 0 {
                        b.orders
                            .push(order.iter().map(|&id| self.chain_ref(id)).collect());
                    }
                    seen.order = oi;
                    self.run_group(
                        Work {
                            br: b,
                            order_pos: 0,
                            stack: Vec::new(),
                            trail: Vec::new(),
                            trail_keys: Vec::new(),
                            on_path: HashSet::new(),
                        },
                        order,
                        hook,
                        pkt,
                        iif,
                        oif,
                        opts,
                        budget,
                        &mut seen,
                        &mut next,
                        done,
                    )?;
                }
            }
            // Courses that reach the same packet state with the same future key have the
            // same future: keep the first (listing order comes first). The key holds their
            // accepting rules so far: another order of equal-priority chains can change
            // which rule accepts the packet without changing the verdict. Courses are not
            // kept apart by their assumption lists: with undecidable matches in many
            // groups, 256 courses differing only in assumptions went through every later
            // group (and were compared at each).
            let mut kept: Vec<Branch> = Vec::with_capacity(next.len());
            let mut keys: HashSet<(PktState, (bool, bool, DeciderKey))> = HashSet::new();
            for b in next {
                if keys.insert((b.st.clone(), b.future_key())) {
                    kept.push(b);
                }
            }
            frontier = kept;
        }
        Ok(frontier)
    }

    /// Runs the chains of one group in one order for one course (and the courses it forks).
    #[allow(clippy::too_many_arguments)]
    fn run_group(
        &self,
        start: Work,
        order: &[ChainId],
        hook: &Hook,
        pkt: &Packet,
        iif: &str,
        oif: &str,
        opts: &TraceOptions,
        budget: &mut Budget,
        seen: &mut Seen,
        cont: &mut Vec<Branch>,
        done: &mut Vec<Outcome>,
    ) -> Result<(), TraceError> {
        let mut work = vec![start];
        while let Some(mut w) = work.pop() {
            'course: loop {
                let Some(top) = w.stack.last().copied() else {
                    // Between base chains.
                    let Some(&id) = order.get(w.order_pos) else {
                        cont.push(w.br);
                        break 'course;
                    };
                    let chain = self.chain(id);
                    let is_nat = chain
                        .base
                        .as_ref()
                        .is_some_and(|b| b.chain_type == ChainType::Nat);
                    if is_nat
                        && (w.br.st.ct_bits(pkt) & CtStateSet::NEW == 0 || w.br.st.leg.is_loop())
                    {
                        let why = if w.br.st.leg.is_loop() {
                            "nat ran when the packet left; it does not run again on its way back over lo"
                        } else {
                            "nat chains see only the first packet of a connection"
                        };
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            id,
                            None,
                            StepEvent::Skip,
                            Some(why.into()),
                        ));
                        w.order_pos += 1;
                        continue;
                    }
                    if is_nat && mapped_at(hook, &w.br.st) {
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            id,
                            None,
                            StepEvent::Skip,
                            Some("an earlier nat chain of this hook mapped the connection".into()),
                        ));
                        w.order_pos += 1;
                        continue;
                    }
                    w.br.steps
                        .push(mk_step(self, hook, id, None, StepEvent::Enter, None));
                    w.stack.clear();
                    w.trail.clear();
                    w.trail_keys.clear();
                    w.on_path.clear();
                    w.stack.push(Frame {
                        chain: id,
                        pos: 0,
                        trail_start: 0,
                    });
                    w.on_path.insert(id);
                    continue;
                };
                let base_id = w.stack[0].chain;
                let chain = self.chain(top.chain);
                let mut top = top;
                let len = chain.rules.len();
                if top.pos < len {
                    // Skip rules that surely do not match, without looking into them.
                    let ti = &self.tables[top.chain.0];
                    let skip = ti.skips.get(top.chain.1).and_then(Option::as_ref);
                    let pf = ti
                        .prefilters
                        .get(top.chain.1)
                        .map_or(&[][..], Vec::as_slice);
                    let (src, dst) = (w.br.st.src, w.br.st.dst);
                    loop {
                        let mut p = top.pos;
                        if let Some(sk) = skip {
                            p = sk.next(p, iif, oif, len);
                        }
                        while p < len && pf.get(p).is_some_and(|f| f.rejects(src, dst, pkt.proto)) {
                            p += 1;
                        }
                        if p == top.pos {
                            break;
                        }
                        top.pos = p;
                    }
                    if let Some(f) = w.stack.last_mut() {
                        f.pos = top.pos;
                    }
                }
                if top.pos >= chain.rules.len() {
                    if w.stack.len() == 1 {
                        let policy = chain.base.as_ref().map_or(Policy::Accept, |b| b.policy);
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            top.chain,
                            None,
                            StepEvent::Policy,
                            Some(policy.as_str().into()),
                        ));
                        let r = rule_ref_of(self, top.chain, None);
                        if policy == Policy::Drop {
                            done.push(Outcome {
                                verdict: FinalVerdict::Drop,
                                decided_by: Some(r),
                                br: w.br,
                            });
                            break 'course;
                        }
                        w.br.accept(AcceptRec {
                            rule: r,
                            nat_chain: self.is_nat_chain(base_id),
                        });
                        w.stack.clear();
                        w.order_pos += 1;
                    } else {
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            top.chain,
                            None,
                            StepEvent::Return,
                            Some("end of chain".into()),
                        ));
                        w.pop_frame();
                    }
                    continue;
                }
                budget.steps += 1;
                if budget.steps > opts.max_steps {
                    return Err(TraceError::BudgetExceeded {
                        budget: opts.max_steps,
                        chain: chain_label(self, top.chain),
                    });
                }
                let ri = top.pos;
                if let Some(f) = w.stack.last_mut() {
                    f.pos += 1;
                }
                let rule: &Rule = &chain.rules[ri];
                let ctx = Ctx {
                    pkt,
                    st: &w.br.st,
                    iif,
                    oif,
                    sets: &self.tables[top.chain.0].sets,
                    before_conntrack: self.before_conntrack(hook, base_id, &w.br.st),
                };
                let rule_truth = eval_rule(rule, &ctx, &w.br.st.facts);
                match rule_truth.truth.clone() {
                    Truth::No => continue,
                    Truth::Yes => {}
                    Truth::Maybe(reason) => {
                        if !seen.first_visit(&w) {
                            break 'course;
                        }
                        let rr = rule_ref_of(self, top.chain, Some(ri));
                        if budget.branches < opts.max_branches {
                            budget.branches += 1;
                            let mut alt = w.clone();
                            alt.br.alt_assumption = true;
                            alt.br.steps.push(mk_step(
                                self,
                                hook,
                                top.chain,
                                Some(ri),
                                StepEvent::Assume,
                                Some(format!("assumed not to match: {reason}")),
                            ));
                            let facts = record_facts(
                                &mut alt.br.st.facts,
                                rule_truth.facts_if_not_matching(),
                            );
                            alt.br.assumptions.push(Assumption {
                                rule: rr.clone(),
                                holds: false,
                                reason: reason.clone(),
                                facts,
                            });
                            work.push(alt);
                        } else {
                            budget.truncated = true;
                        }
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            top.chain,
                            Some(ri),
                            StepEvent::Assume,
                            Some(format!("assumed to match: {reason}")),
                        ));
                        let facts =
                            record_facts(&mut w.br.st.facts, rule_truth.facts_if_matching());
                        w.br.assumptions.push(Assumption {
                            rule: rr,
                            holds: true,
                            reason,
                            facts,
                        });
                    }
                }
                // Statements, in order.
                let mut nat_done = false;
                // Before conntrack (or once untracked) the packet has no conntrack entry:
                // connection-mark statements do nothing, and `notrack` after conntrack
                // does nothing either (the kernel ignores it once an entry is attached).
                let before_ct = self.before_conntrack(hook, base_id, &w.br.st);
                let nft_rule = self.tables[top.chain.0].table.backend == Backend::Nft;
                let mut broke = false;
                // The verdict of an xt target whose options nft JSON lost.
                let mut xt_verdict: Option<Verdict> = None;
                let nat_map = self.nat_map(rule, pkt, &w.br.st, iif, oif, top.chain);
                if let Some((_, NatMap::Maybe(_, reason))) = &nat_map {
                    // The other course: the key is in no element, the lookup breaks the rule.
                    if budget.branches < opts.max_branches {
                        budget.branches += 1;
                        let mut alt = w.clone();
                        alt.br.alt_assumption = true;
                        alt.br.steps.push(mk_step(
                            self,
                            hook,
                            top.chain,
                            Some(ri),
                            StepEvent::Assume,
                            Some(format!(
                                "assumed the nat map has no element for the packet: {reason}"
                            )),
                        ));
                        alt.br.assumptions.push(Assumption {
                            rule: rule_ref_of(self, top.chain, Some(ri)),
                            holds: false,
                            reason: format!("nat map lookup: {reason}"),
                            facts: Vec::new(),
                        });
                        work.push(alt);
                    } else {
                        budget.truncated = true;
                    }
                    w.br.assumptions.push(Assumption {
                        rule: rule_ref_of(self, top.chain, Some(ri)),
                        holds: true,
                        reason: format!("nat map lookup: {reason}"),
                        facts: Vec::new(),
                    });
                }
                for (si, s) in rule.statements.iter().enumerate() {
                    if nft_rule && reads_conntrack(s) && no_conntrack(before_ct, &w.br.st, pkt) {
                        broke = true;
                        break;
                    }
                    let before = (w.br.st.mark, w.br.st.ct_mark);
                    let st = &mut w.br.st;
                    let no_ct = before_ct || st.untracked;
                    match s {
                        Statement::SetCtMark { .. }
                        | Statement::SaveMark { .. }
                        | Statement::RestoreMark { .. }
                            if no_ct =>
                        {
                            continue;
                        }
                        Statement::Notrack if !before_ct => continue,
                        Statement::Other { .. } => match xt_effect(s) {
                            None | Some(XtEffect::Harmless) => continue,
                            Some(XtEffect::Verdict(v)) => {
                                xt_verdict = Some(v);
                                break;
                            }
                            Some(XtEffect::Mutates(what)) => {
                                w.br.assumptions.push(Assumption {
                                    rule: rule_ref_of(self, top.chain, Some(ri)),
                                    holds: true,
                                    reason: what,
                                    facts: Vec::new(),
                                });
                                continue;
                            }
                            Some(XtEffect::Unknown(what)) => {
                                xt_verdict = Some(Verdict::Other(what));
                                break;
                            }
                            Some(XtEffect::Nat(kind)) => {
                                let xs = Statement::Nat {
                                    kind,
                                    addr: None,
                                    port: None,
                                    flags: Vec::new(),
                                };
                                if let Some(d) = apply_nat(&xs, st) {
                                    w.br.steps.push(mk_step(
                                        self,
                                        hook,
                                        top.chain,
                                        Some(ri),
                                        StepEvent::Nat,
                                        Some(format!("{d} (xt target: the address is not in the nft JSON dump; assumed unchanged)")),
                                    ));
                                    w.br.assumptions.push(Assumption {
                                        rule: rule_ref_of(self, top.chain, Some(ri)),
                                        holds: true,
                                        reason: "the xt NAT target's address is not in the nft JSON dump; assumed unchanged".into(),
                                        facts: Vec::new(),
                                    });
                                    nat_done = true;
                                    break;
                                }
                                continue;
                            }
                        },
                        Statement::SetMark { and, xor } => st.mark = (st.mark & and) ^ xor,
                        Statement::SetCtMark { and, xor } => st.ct_mark = (st.ct_mark & and) ^ xor,
                        Statement::SaveMark { nfmask, ctmask } => {
                            st.ct_mark = (st.ct_mark & !ctmask) | (st.mark & nfmask)
                        }
                        Statement::RestoreMark { nfmask, ctmask } => {
                            st.mark = (st.mark & !nfmask) | (st.ct_mark & ctmask)
                        }
                        Statement::Notrack => {
                            if !st.untracked {
                                st.untracked = true;
                                w.br.steps.push(mk_step(
                                    self,
                                    hook,
                                    top.chain,
                                    Some(ri),
                                    StepEvent::Notrack,
                                    Some("the connection is not tracked from here on".into()),
                                ));
                            }
                            continue;
                        }
                        Statement::Nat { .. } => {
                            let s = match &nat_map {
                                Some((i, NatMap::Hit(x) | NatMap::Maybe(Some(x), _)))
                                    if *i == si =>
                                {
                                    x
                                }
                                Some((i, NatMap::Miss)) if *i == si => {
                                    broke = true;
                                    break;
                                }
                                _ => s,
                            };
                            if let Some(d) = apply_nat(s, st) {
                                w.br.steps.push(mk_step(
                                    self,
                                    hook,
                                    top.chain,
                                    Some(ri),
                                    StepEvent::Nat,
                                    Some(d),
                                ));
                                nat_done = true;
                                break;
                            }
                            continue;
                        }
                        _ => continue,
                    }
                    let after = (w.br.st.mark, w.br.st.ct_mark);
                    if after.0 != before.0 {
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            top.chain,
                            Some(ri),
                            StepEvent::Mark,
                            Some(format!("0x{:x} -> 0x{:x}", before.0, after.0)),
                        ));
                    }
                    if after.1 != before.1 {
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            top.chain,
                            Some(ri),
                            StepEvent::CtMark,
                            Some(format!("0x{:x} -> 0x{:x}", before.1, after.1)),
                        ));
                    }
                }
                if broke {
                    w.br.steps.push(mk_step(
                        self,
                        hook,
                        top.chain,
                        Some(ri),
                        StepEvent::Skip,
                        Some(if matches!(nat_map, Some((_, NatMap::Miss))) {
                            "the nat map has no element for the packet: the rule ends".into()
                        } else {
                            "a ct expression without a conntrack entry ends the rule".into()
                        }),
                    ));
                    continue;
                }
                if nat_done {
                    w.br.accept(AcceptRec {
                        rule: rule_ref_of(self, top.chain, Some(ri)),
                        nat_chain: true,
                    });
                    w.stack.clear();
                    w.order_pos += 1;
                    continue;
                }
                // The verdict (a verdict map first picks one).
                let owned: Verdict;
                let verdict: &Verdict = match xt_verdict.as_ref().or(rule.verdict.as_ref()) {
                    None | Some(Verdict::Continue) => continue,
                    Some(Verdict::Vmap(_)) => {
                        let Some(spec) = self.tables[top.chain.0].vmaps.get(&(top.chain.1, ri))
                        else {
                            continue;
                        };
                        let mut ctx = ctx_for(self, pkt, &w.br.st, iif, oif, top.chain);
                        ctx.before_conntrack = self.before_conntrack(hook, base_id, &w.br.st);
                        match spec.eval(&ctx) {
                            VmapOutcome::Miss => continue,
                            VmapOutcome::Hit(v, el) => {
                                w.br.steps.push(mk_step(
                                    self,
                                    hook,
                                    top.chain,
                                    Some(ri),
                                    StepEvent::Vmap,
                                    Some(el),
                                ));
                                owned = v;
                                &owned
                            }
                            VmapOutcome::Maybe(options, reason) => {
                                if !seen.first_visit(&w) {
                                    break 'course;
                                }
                                let rr = rule_ref_of(self, top.chain, Some(ri));
                                let mut first: Option<(Option<Verdict>, String)> = None;
                                for (oi, (v, el)) in options.into_iter().enumerate() {
                                    let what = match &v {
                                        Some(_) => format!("element `{el}`"),
                                        None => "no element".to_string(),
                                    };
                                    let a = Assumption {
                                        rule: rr.clone(),
                                        holds: v.is_some(),
                                        reason: format!("{reason}; assumed {what}"),
                                        facts: Vec::new(),
                                    };
                                    if oi == 0 {
                                        w.br.assumptions.push(a);
                                        w.br.steps.push(mk_step(
                                            self,
                                            hook,
                                            top.chain,
                                            Some(ri),
                                            StepEvent::Assume,
                                            Some(format!("{reason}; assumed {what}")),
                                        ));
                                        first = Some((v, el));
                                        continue;
                                    }
                                    if budget.branches >= opts.max_branches {
                                        budget.truncated = true;
                                        break;
                                    }
                                    budget.branches += 1;
                                    let mut alt = w.clone();
                                    // Replace the first option's assumption and step.
                                    alt.br.assumptions.pop();
                                    alt.br.steps.pop();
                                    alt.br.alt_assumption = true;
                                    alt.br.assumptions.push(a);
                                    alt.br.steps.push(mk_step(
                                        self,
                                        hook,
                                        top.chain,
                                        Some(ri),
                                        StepEvent::Assume,
                                        Some(format!("{reason}; assumed {what}")),
                                    ));
                                    match v {
                                        Some(v) => {
                                            if let Some(f) = self.apply_verdict(
                                                alt, &v, hook, top.chain, ri, opts, budget, done,
                                            )? {
                                                work.push(f);
                                            }
                                        }
                                        None => work.push(alt),
                                    }
                                }
                                match first {
                                    Some((Some(v), _)) => {
                                        owned = v;
                                        &owned
                                    }
                                    _ => continue,
                                }
                            }
                        }
                    }
                    Some(v) => v,
                };
                match self.apply_verdict(w, verdict, hook, top.chain, ri, opts, budget, done)? {
                    Some(n) => w = n,
                    None => break 'course,
                }
            }
        }
        Ok(())
    }

    fn is_nat_chain(&self, id: ChainId) -> bool {
        self.chain(id)
            .base
            .as_ref()
            .is_some_and(|b| b.chain_type == ChainType::Nat)
    }

    /// Applies a verdict to a course. Returns the course to continue with, or `None` when it
    /// ended (dropped, recorded in `done`).
    #[allow(clippy::too_many_arguments)]
    fn apply_verdict(
        &self,
        mut w: Work,
        verdict: &Verdict,
        hook: &Hook,
        at: ChainId,
        ri: usize,
        opts: &TraceOptions,
        budget: &mut Budget,
        done: &mut Vec<Outcome>,
    ) -> Result<Option<Work>, TraceError> {
        let base_id = w.stack.first().map_or(at, |f| f.chain);
        match verdict {
            Verdict::Continue | Verdict::Vmap(_) => {}
            Verdict::Accept => {
                w.br.steps
                    .push(mk_step(self, hook, at, Some(ri), StepEvent::Accept, None));
                w.br.accept(AcceptRec {
                    rule: rule_ref_of(self, at, Some(ri)),
                    nat_chain: self.is_nat_chain(base_id),
                });
                w.stack.clear();
                w.order_pos += 1;
            }
            Verdict::Drop | Verdict::Reject { .. } => {
                let ev = if matches!(verdict, Verdict::Drop) {
                    StepEvent::Drop
                } else {
                    StepEvent::Reject
                };
                w.br.steps.push(mk_step(self, hook, at, Some(ri), ev, None));
                done.push(Outcome {
                    verdict: FinalVerdict::Drop,
                    decided_by: Some(rule_ref_of(self, at, Some(ri))),
                    br: w.br,
                });
                return Ok(None);
            }
            Verdict::Return => {
                w.br.steps
                    .push(mk_step(self, hook, at, Some(ri), StepEvent::Return, None));
                if w.stack.len() <= 1 {
                    // In a base chain: the policy applies.
                    if let Some(f) = w.stack.last_mut() {
                        f.pos = usize::MAX;
                    }
                } else {
                    w.pop_frame();
                }
            }
            Verdict::Jump(target) | Verdict::Goto(target) => {
                let is_goto = matches!(verdict, Verdict::Goto(_));
                let t = &self.tables[at.0];
                let Some(&ci) = t.chains.get(target.as_str()) else {
                    w.br.steps.push(mk_step(
                        self,
                        hook,
                        at,
                        Some(ri),
                        StepEvent::MissingChain,
                        Some(format!(
                            "chain `{target}` is not in the ruleset; treated as a return"
                        )),
                    ));
                    return Ok(Some(w));
                };
                let id = (at.0, ci);
                let trail_start = w.stack.last().map_or(0, |f| f.trail_start);
                if w.on_path.contains(&id) {
                    return Err(TraceError::JumpCycle {
                        path: w.loop_path(self, id),
                    });
                }
                // A goto below the base chain replaces its frame; everything else pushes one.
                let grows = !is_goto || w.stack.len() <= 1;
                if grows && w.stack.len() >= opts.max_depth {
                    return Err(TraceError::TooDeep {
                        limit: opts.max_depth,
                        chain: chain_label(self, id),
                    });
                }
                w.br.steps.push(mk_step(
                    self,
                    hook,
                    at,
                    Some(ri),
                    if is_goto {
                        StepEvent::Goto
                    } else {
                        StepEvent::Jump
                    },
                    Some(target.clone()),
                ));
                if is_goto && w.stack.len() > 1 {
                    // The goto replaces the frame; remember the chain left, to find loops.
                    if let Some(f) = w.stack.pop() {
                        w.push_trail(f.chain);
                    }
                    w.stack.push(Frame {
                        chain: id,
                        pos: 0,
                        trail_start,
                    });
                    w.on_path.insert(id);
                } else {
                    if is_goto {
                        // A goto from the base chain: when the target ends, the policy applies.
                        if let Some(f) = w.stack.last_mut() {
                            f.pos = usize::MAX;
                        }
                    }
                    w.stack.push(Frame {
                        chain: id,
                        pos: 0,
                        trail_start: w.trail.len(),
                    });
                    w.on_path.insert(id);
                }
            }
            Verdict::Queue(_) | Verdict::Other(_) => {
                // User space (or an unknown target) decides: assume it lets the packet go on
                // to the next base chain; the drop it might do is listed as an alternative.
                let what = match verdict {
                    Verdict::Queue(_) => "the packet is queued to user space",
                    _ => "the target is not known to nfdiff",
                };
                let rr = rule_ref_of(self, at, Some(ri));
                // The drop is a course of its own, within the branch limit like any other
                // (one per queue rule per course made the kept outcomes grow quadratically).
                if budget.branches >= opts.max_branches {
                    budget.truncated = true;
                } else {
                    budget.branches += 1;
                    let mut alt = w.br.clone();
                    alt.alt_assumption = true;
                    alt.assumptions.push(Assumption {
                        rule: rr.clone(),
                        holds: false,
                        reason: format!("{what}; assumed it drops"),
                        facts: Vec::new(),
                    });
                    alt.steps.push(mk_step(
                        self,
                        hook,
                        at,
                        Some(ri),
                        StepEvent::Queue,
                        Some(format!("{what}; assumed it drops")),
                    ));
                    done.push(Outcome {
                        verdict: FinalVerdict::Drop,
                        decided_by: Some(rr.clone()),
                        br: alt,
                    });
                }
                w.br.assumptions.push(Assumption {
                    rule: rr.clone(),
                    holds: true,
                    reason: format!("{what}; assumed it accepts"),
                    facts: Vec::new(),
                });
                w.br.steps.push(mk_step(
                    self,
                    hook,
                    at,
                    Some(ri),
                    StepEvent::Queue,
                    Some(format!("{what}; assumed it accepts")),
                ));
                w.br.accept(AcceptRec {
                    rule: rr,
                    nat_chain: self.is_nat_chain(base_id),
                });
                w.stack.clear();
                w.order_pos += 1;
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        Ok(Some(w))
    }
}

impl TraceIndex<'_> {
    /// The rule's first NAT statement through a map, resolved for the packet.
    fn nat_map(
        &self,
        rule: &Rule,
        pkt: &Packet,
        st: &PktState,
        iif: &str,
        oif: &str,
        id: ChainId,
    ) -> Option<(usize, NatMap)> {
        let (i, s) = rule
            .statements
            .iter()
            .enumerate()
            .find(|(_, s)| matches!(s, Statement::Nat { .. }))?;
        match resolve_nat_map(s, &ctx_for(self, pkt, st, iif, oif, id)) {
            NatMap::NotAMap => None,
            m => Some((i, m)),
        }
    }
}

/// Records the facts a course assumes and describes them for its report.
fn record_facts(facts: &mut Facts, assumed: Vec<(&Atom, bool)>) -> Vec<PacketFact> {
    assumed
        .into_iter()
        .map(|(a, holds)| {
            facts.assume(a, holds);
            PacketFact {
                what: a.what.clone(),
                holds,
            }
        })
        .collect()
}

/// Priority of connection tracking on prerouting and output (`NF_IP_PRI_CONNTRACK`).
const CONNTRACK_PRIORITY: i32 = -200;

impl TraceIndex<'_> {
    /// Whether a base chain runs before connection tracking attaches an entry to the packet
    /// (a packet looped back over `lo` keeps the entry it got on its way out).
    fn before_conntrack(&self, hook: &Hook, base: ChainId, st: &PktState) -> bool {
        !st.leg.is_loop()
            && matches!(hook, Hook::Prerouting | Hook::Output)
            && self
                .chain(base)
                .base
                .as_ref()
                .is_some_and(|b| b.priority < CONNTRACK_PRIORITY)
    }
}

fn ctx_for<'c>(
    idx: &'c TraceIndex<'_>,
    pkt: &'c Packet,
    st: &'c PktState,
    iif: &'c str,
    oif: &'c str,
    id: ChainId,
) -> Ctx<'c> {
    Ctx {
        pkt,
        st,
        iif,
        oif,
        sets: &idx.tables[id.0].sets,
        before_conntrack: false,
    }
}

/// The deciding rule of an accept (see [`TraceReport`]).
fn accept_decider(accepts: &[AcceptRec]) -> Option<RuleRef> {
    accepts
        .iter()
        .rev()
        .find(|a| !a.rule.policy && !a.nat_chain)
        .or_else(|| accepts.iter().rev().find(|a| !a.rule.policy))
        .or_else(|| accepts.last())
        .map(|a| a.rule.clone())
}

/// Turns the courses into a report: the primary course, alternatives, flags. Outcomes are
/// told apart by verdict, deciding rule and NAT result: a load balancer whose endpoints all
/// end on the same accept has one outcome per endpoint.
fn build_report(outcomes: Vec<Outcome>) -> TraceReport {
    let primary_pos = outcomes
        .iter()
        .position(|o| o.br.orders.is_empty() && !o.br.alt_assumption)
        .unwrap_or(0);
    let mut outcomes = outcomes;
    if outcomes.is_empty() {
        return TraceReport {
            verdict: FinalVerdict::Accept,
            decided_by: None,
            alternatives: Vec::new(),
            order_dependent: false,
            uncertain: false,
            nat: NatResult::default(),
            path: Vec::new(),
            assumptions: Vec::new(),
            steps: Vec::new(),
            overruled: None,
            notes: Vec::new(),
        };
    }
    let primary = outcomes.remove(primary_pos);
    let primary_nat = primary.nat();
    let key = (primary.verdict, primary.decided_by.clone(), primary_nat);
    let mut alternatives: Vec<Alternative> = Vec::new();
    let mut order_dependent = false;
    let mut uncertain = false;
    for o in &outcomes {
        let nat = o.nat();
        let k = (o.verdict, o.decided_by.clone(), nat);
        if !o.br.orders.is_empty()
            && !o.br.alt_assumption
            && (o.verdict != primary.verdict || nat != primary_nat)
        {
            order_dependent = true;
        }
        if o.br.orders.is_empty() && o.br.alt_assumption && k != key {
            uncertain = true;
        }
        if k == key {
            continue;
        }
        if alternatives
            .iter()
            .any(|a| a.verdict == o.verdict && a.decided_by == o.decided_by && a.nat == nat)
        {
            continue;
        }
        alternatives.push(Alternative {
            verdict: o.verdict,
            decided_by: o.decided_by.clone(),
            order: o.br.orders.clone(),
            assumptions: o.br.assumptions.clone(),
            nat,
            path: o.br.hooks.clone(),
        });
    }
    TraceReport {
        verdict: primary.verdict,
        decided_by: primary.decided_by,
        alternatives,
        order_dependent,
        uncertain,
        nat: primary_nat,
        path: primary.br.hooks,
        assumptions: primary.br.assumptions,
        steps: primary.br.steps,
        overruled: None,
        notes: Vec::new(),
    }
}
