//! The evaluator: walks hooks, equal-priority groups and chains iteratively, with an explicit
//! call stack, forking on undecidable matches and on chain orders that matter.

use std::collections::HashSet;

use crate::model::{Backend, ChainType, CtStateSet, Hook, Policy, Rule, Statement, Verdict};

use super::assumptions::{eval_rule, Atom, Facts};
use super::error::TraceError;
use super::matching::{Ctx, PktState, Truth};
use super::nat::apply_nat;
use super::natcore::mapped_at;
use super::natmap::{resolve as resolve_nat_map, NatMap};
use super::noct::{no_conntrack, reads_conntrack};
use super::options::TraceOptions;
use super::packet::Packet;
use super::path::TracePath;
use super::report::{
    Assumption, FinalVerdict, Overruled, PacketFact, RuleRef, Step, StepEvent, TraceReport,
};
use super::route::{Leg, RoutePlan, Stage, STAGES};
use super::schedule::{ChainId, Group, TraceIndex};
use super::step_detail::{SkipReason, StepDetail};
use super::vmap::VmapOutcome;
use super::xt::{xt_effect, XtEffect};

use super::course::*;

pub(super) fn rule_ref_of(idx: &TraceIndex<'_>, id: ChainId, rule: Option<usize>) -> RuleRef {
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

pub(super) fn mk_step(
    idx: &TraceIndex<'_>,
    hook: &Hook,
    id: ChainId,
    rule: Option<usize>,
    event: StepEvent,
    detail: Option<StepDetail>,
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

pub(super) fn chain_label(idx: &TraceIndex<'_>, id: ChainId) -> String {
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
                            SkipReason::NatRanOnTheWayOut
                        } else {
                            SkipReason::NotFirstPacket
                        };
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            id,
                            None,
                            StepEvent::Skip,
                            Some(StepDetail::Skip(why)),
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
                            Some(StepDetail::Skip(SkipReason::EarlierNatChainMapped)),
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
                            Some(StepDetail::Policy(policy)),
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
                            Some(StepDetail::EndOfChain),
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
                                Some(StepDetail::Assumed {
                                    holds: false,
                                    reason: reason.clone(),
                                }),
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
                            Some(StepDetail::Assumed {
                                holds: true,
                                reason: reason.clone(),
                            }),
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
                            Some(StepDetail::AssumedNatMapMiss {
                                reason: reason.to_string(),
                            }),
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
                                if let Some(mut d) = apply_nat(&xs, st) {
                                    d.xt_address_unknown = true;
                                    w.br.steps.push(mk_step(
                                        self,
                                        hook,
                                        top.chain,
                                        Some(ri),
                                        StepEvent::Nat,
                                        Some(StepDetail::Nat(d)),
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
                                    Some(StepDetail::Untracked),
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
                                    Some(StepDetail::Nat(d)),
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
                            Some(StepDetail::MarkChange {
                                old: before.0,
                                new: after.0,
                            }),
                        ));
                    }
                    if after.1 != before.1 {
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            top.chain,
                            Some(ri),
                            StepEvent::CtMark,
                            Some(StepDetail::MarkChange {
                                old: before.1,
                                new: after.1,
                            }),
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
                        Some(StepDetail::Skip(
                            if matches!(nat_map, Some((_, NatMap::Miss))) {
                                SkipReason::NatMapMiss
                            } else {
                                SkipReason::NoConntrackEntry
                            },
                        )),
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
                                    Some(StepDetail::VmapElement { element: el }),
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
                                    let detail = StepDetail::AssumedVmapElement {
                                        reason: reason.clone(),
                                        element: v.as_ref().map(|_| el.clone()),
                                    };
                                    let a = Assumption {
                                        rule: rr.clone(),
                                        holds: v.is_some(),
                                        reason: detail.to_string(),
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
                                            Some(detail),
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
                                        Some(detail),
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

    pub(super) fn is_nat_chain(&self, id: ChainId) -> bool {
        self.chain(id)
            .base
            .as_ref()
            .is_some_and(|b| b.chain_type == ChainType::Nat)
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
