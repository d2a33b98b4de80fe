//! The evaluator: walks hooks, equal-priority groups and chains iteratively, with an explicit
//! call stack, forking on undecidable matches and on chain orders that matter.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::model::{Backend, ChainType, CtStateSet, Hook, Policy, Rule, Statement, Verdict};

use super::error::TraceError;
use super::matching::{eval_match, Ctx, PktState, Truth};
use super::nat::apply_nat;
use super::options::TraceOptions;
use super::packet::Packet;
use super::path::{hook_has_iif, hook_has_oif};
use super::report::{
    Alternative, Assumption, ChainRef, FinalVerdict, Overruled, RuleRef, Step, StepEvent,
    TraceReport,
};
use super::schedule::{ChainId, TraceIndex};
use super::vmap::VmapOutcome;

/// An accept that ended a base chain.
#[derive(Debug, Clone)]
struct AcceptRec {
    rule: RuleRef,
    nat_chain: bool,
}

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
}

/// A finished course.
#[derive(Debug, Clone)]
struct Outcome {
    verdict: FinalVerdict,
    decided_by: Option<RuleRef>,
    br: Branch,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    chain: ChainId,
    pos: usize,
    /// Where this frame's gotos start in `Work::trail`.
    trail_start: usize,
}

struct Work {
    br: Branch,
    order_pos: usize,
    stack: Vec<Frame>,
    /// Chains left by goto, per frame (see `Frame::trail_start`), to find goto loops.
    trail: Vec<ChainId>,
    /// The chains of `stack` and `trail`: reaching one of them again is a loop.
    on_path: HashSet<ChainId>,
}

impl Work {
    /// Returns from the top frame, forgetting it and the chains it left by goto.
    fn pop_frame(&mut self) {
        if let Some(f) = self.stack.pop() {
            self.on_path.remove(&f.chain);
            for c in self.trail.drain(f.trail_start.min(self.trail.len())..) {
                self.on_path.remove(&c);
            }
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
        }];
        let mut done: Vec<Outcome> = Vec::new();
        let mut notes = Vec::new();
        for hook in pkt.path.hooks() {
            let Some(groups) = self.hooks.get(&(hook.clone(), v6)) else {
                continue;
            };
            let iif = if pkt.path.has_iif() && hook_has_iif(hook) {
                pkt.iif.as_deref().unwrap_or("")
            } else {
                ""
            };
            let oif = if pkt.path.has_oif() && hook_has_oif(hook) {
                pkt.oif.as_deref().unwrap_or("")
            } else {
                ""
            };
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
                for br in frontier {
                    for (oi, order) in orders.iter().enumerate() {
                        let b = if oi == 0 {
                            br.clone()
                        } else {
                            if budget.branches >= opts.max_branches {
                                budget.truncated = true;
                                break;
                            }
                            budget.branches += 1;
                            let mut b = br.clone();
                            b.orders
                                .push(order.iter().map(|&id| self.chain_ref(id)).collect());
                            b
                        };
                        self.run_group(
                            Work {
                                br: b,
                                order_pos: 0,
                                stack: Vec::new(),
                                trail: Vec::new(),
                                on_path: HashSet::new(),
                            },
                            order,
                            hook,
                            pkt,
                            iif,
                            oif,
                            opts,
                            &mut budget,
                            &mut next,
                            &mut done,
                        )?;
                    }
                }
                // Courses that reach the same packet state under the same assumptions have
                // the same future: keep the first (listing order comes first). Unless their
                // accepting rules so far differ: another order of equal-priority chains can
                // change which rule accepts the packet without changing the verdict.
                // Bucketed by hash: comparing every pair made this quadratic in the branches.
                let mut kept: Vec<Branch> = Vec::with_capacity(next.len());
                let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
                for b in next {
                    let mut h = DefaultHasher::new();
                    (&b.st, &b.assumptions).hash(&mut h);
                    let bucket = buckets.entry(h.finish()).or_default();
                    if !bucket.iter().any(|&i| {
                        kept[i].st == b.st
                            && kept[i].assumptions == b.assumptions
                            && accept_decider(&kept[i].accepts) == accept_decider(&b.accepts)
                    }) {
                        bucket.push(kept.len());
                        kept.push(b);
                    }
                }
                frontier = kept;
            }
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
                    if is_nat && w.br.st.ct_bits(pkt) & CtStateSet::NEW == 0 {
                        w.br.steps.push(mk_step(
                            self,
                            hook,
                            id,
                            None,
                            StepEvent::Skip,
                            Some("nat chains see only the first packet of a connection".into()),
                        ));
                        w.order_pos += 1;
                        continue;
                    }
                    w.br.steps
                        .push(mk_step(self, hook, id, None, StepEvent::Enter, None));
                    w.stack.clear();
                    w.trail.clear();
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
                        w.br.accepts.push(AcceptRec {
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
                    before_conntrack: self.before_conntrack(hook, base_id),
                };
                let mut truth = Truth::Yes;
                for m in &rule.matches {
                    truth = truth.and(eval_match(m, &ctx));
                    if truth == Truth::No {
                        break;
                    }
                }
                match truth {
                    Truth::No => continue,
                    Truth::Yes => {}
                    Truth::Maybe(reason) => {
                        let rr = rule_ref_of(self, top.chain, Some(ri));
                        if budget.branches < opts.max_branches {
                            budget.branches += 1;
                            let mut alt = Work {
                                br: w.br.clone(),
                                order_pos: w.order_pos,
                                stack: w.stack.clone(),
                                trail: w.trail.clone(),
                                on_path: w.on_path.clone(),
                            };
                            alt.br.alt_assumption = true;
                            alt.br.steps.push(mk_step(
                                self,
                                hook,
                                top.chain,
                                Some(ri),
                                StepEvent::Assume,
                                Some(format!("assumed not to match: {reason}")),
                            ));
                            alt.br.assumptions.push(Assumption {
                                rule: rr.clone(),
                                holds: false,
                                reason: reason.clone(),
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
                        w.br.assumptions.push(Assumption {
                            rule: rr,
                            holds: true,
                            reason,
                        });
                    }
                }
                // Statements, in order.
                let mut nat_done = false;
                // Before conntrack (or once untracked) the packet has no conntrack entry:
                // connection-mark statements do nothing, and `notrack` after conntrack
                // does nothing either (the kernel ignores it once an entry is attached).
                let before_ct = self.before_conntrack(hook, base_id);
                for s in &rule.statements {
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
                if nat_done {
                    w.br.accepts.push(AcceptRec {
                        rule: rule_ref_of(self, top.chain, Some(ri)),
                        nat_chain: true,
                    });
                    w.stack.clear();
                    w.order_pos += 1;
                    continue;
                }
                // The verdict (a verdict map first picks one).
                let owned: Verdict;
                let verdict: &Verdict = match &rule.verdict {
                    None | Some(Verdict::Continue) => continue,
                    Some(Verdict::Vmap(_)) => {
                        let Some(spec) = self.tables[top.chain.0].vmaps.get(&(top.chain.1, ri))
                        else {
                            continue;
                        };
                        let mut ctx = ctx_for(self, pkt, &w.br.st, iif, oif, top.chain);
                        ctx.before_conntrack = self.before_conntrack(hook, base_id);
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
                                    let mut alt = Work {
                                        br: w.br.clone(),
                                        order_pos: w.order_pos,
                                        stack: w.stack.clone(),
                                        trail: w.trail.clone(),
                                        on_path: w.on_path.clone(),
                                    };
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
                                                alt, &v, hook, top.chain, ri, opts, done,
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
                match self.apply_verdict(w, verdict, hook, top.chain, ri, opts, done)? {
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
        done: &mut Vec<Outcome>,
    ) -> Result<Option<Work>, TraceError> {
        let base_id = w.stack.first().map_or(at, |f| f.chain);
        match verdict {
            Verdict::Continue | Verdict::Vmap(_) => {}
            Verdict::Accept => {
                w.br.steps
                    .push(mk_step(self, hook, at, Some(ri), StepEvent::Accept, None));
                w.br.accepts.push(AcceptRec {
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
                        w.trail.push(f.chain);
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
                let mut alt = Work {
                    br: w.br.clone(),
                    order_pos: w.order_pos,
                    stack: Vec::new(),
                    trail: Vec::new(),
                    on_path: HashSet::new(),
                };
                alt.br.alt_assumption = true;
                alt.br.assumptions.push(Assumption {
                    rule: rr.clone(),
                    holds: false,
                    reason: format!("{what}; assumed it drops"),
                });
                alt.br.steps.push(mk_step(
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
                    br: alt.br,
                });
                w.br.assumptions.push(Assumption {
                    rule: rr.clone(),
                    holds: true,
                    reason: format!("{what}; assumed it accepts"),
                });
                w.br.steps.push(mk_step(
                    self,
                    hook,
                    at,
                    Some(ri),
                    StepEvent::Queue,
                    Some(format!("{what}; assumed it accepts")),
                ));
                w.br.accepts.push(AcceptRec {
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

/// Priority of connection tracking on prerouting and output (`NF_IP_PRI_CONNTRACK`).
const CONNTRACK_PRIORITY: i32 = -200;

impl TraceIndex<'_> {
    /// Whether a base chain runs before connection tracking attaches an entry to the packet.
    fn before_conntrack(&self, hook: &Hook, base: ChainId) -> bool {
        matches!(hook, Hook::Prerouting | Hook::Output)
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

/// Turns the courses into a report: the primary course, alternatives, flags.
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
            assumptions: Vec::new(),
            steps: Vec::new(),
            overruled: None,
            notes: Vec::new(),
        };
    }
    let primary = outcomes.remove(primary_pos);
    let key = (primary.verdict, primary.decided_by.clone());
    let mut alternatives: Vec<Alternative> = Vec::new();
    let mut order_dependent = false;
    let mut uncertain = false;
    for o in &outcomes {
        let k = (o.verdict, o.decided_by.clone());
        if !o.br.orders.is_empty() && !o.br.alt_assumption && o.verdict != primary.verdict {
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
            .any(|a| a.verdict == o.verdict && a.decided_by == o.decided_by)
        {
            continue;
        }
        alternatives.push(Alternative {
            verdict: o.verdict,
            decided_by: o.decided_by.clone(),
            order: o.br.orders.clone(),
            assumptions: o.br.assumptions.clone(),
        });
    }
    TraceReport {
        verdict: primary.verdict,
        decided_by: primary.decided_by,
        alternatives,
        order_dependent,
        uncertain,
        assumptions: primary.br.assumptions,
        steps: primary.br.steps,
        overruled: None,
        notes: Vec::new(),
    }
}
