//! One course of a packet through the hooks (its state, call stack and what it assumed), the
//! bookkeeping that keeps forked courses from repeating each other, and how finished courses
//! become a [`TraceReport`].

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use crate::model::Hook;

use super::eval::chain_label;
use super::matching::PktState;
use super::outcome::NatResult;
use super::report::{Alternative, Assumption, ChainRef, FinalVerdict, RuleRef, Step, TraceReport};
use super::schedule::{ChainId, TraceIndex};

/// An accept that ended a base chain.
#[derive(Debug, Clone)]
pub(super) struct AcceptRec {
    pub(super) rule: RuleRef,
    pub(super) nat_chain: bool,
}

/// Hashes of the last non-policy accept outside nat chains, the last non-policy accept and
/// the last accept of a course ([`accept_decider`] takes the first there is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(super) struct Accepted(pub(super) [Option<u64>; 3]);

impl Accepted {
    /// The deciding accept so far and which of the three it is: with the accepts still to
    /// come, that is all [`accept_decider`] needs, so courses equal in it (and in packet
    /// state) end with the same deciding rules.
    pub(super) fn decider(&self) -> Option<(usize, u64)> {
        self.0
            .iter()
            .enumerate()
            .find_map(|(i, k)| k.map(|k| (i, k)))
    }
}

/// See [`Accepted::decider`].
pub(super) type DeciderKey = Option<(usize, u64)>;

/// One possible course of the packet.
#[derive(Debug, Clone)]
pub(super) struct Branch {
    pub(super) st: PktState,
    pub(super) steps: Vec<Step>,
    pub(super) assumptions: Vec<Assumption>,
    /// Non-listing orders taken, one list per reordered group.
    pub(super) orders: Vec<Vec<ChainRef>>,
    /// Whether an undecidable match was assumed not to hold (or a non-first vmap option taken).
    pub(super) alt_assumption: bool,
    pub(super) accepts: Vec<AcceptRec>,
    /// The accepts that can still decide (see [`Accepted`]), kept up to date by
    /// [`Branch::accept`].
    pub(super) accepted: Accepted,
    /// The hooks this course went through, in order.
    pub(super) hooks: Vec<Hook>,
}

impl Branch {
    /// Records an accept.
    pub(super) fn accept(&mut self, a: AcceptRec) {
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
    pub(super) fn future_key(&self) -> (bool, bool, DeciderKey) {
        (
            self.alt_assumption,
            self.alt_assumption && self.orders.is_empty(),
            self.accepted.decider(),
        )
    }
}

/// A finished course.
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    pub(super) verdict: FinalVerdict,
    pub(super) decided_by: Option<RuleRef>,
    pub(super) br: Branch,
}

impl Outcome {
    /// The address translation of an accepted packet (a dropped one has none to report).
    pub(super) fn nat(&self) -> NatResult {
        match self.verdict {
            FinalVerdict::Accept => NatResult::of(&self.br.st),
            FinalVerdict::Drop => NatResult::default(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    pub(super) chain: ChainId,
    pub(super) pos: usize,
    /// Where this frame's gotos start in `Work::trail`.
    pub(super) trail_start: usize,
}

#[derive(Clone)]
pub(super) struct Work {
    pub(super) br: Branch,
    pub(super) order_pos: usize,
    pub(super) stack: Vec<Frame>,
    /// Chains left by goto, per frame (see `Frame::trail_start`), to find goto loops.
    pub(super) trail: Vec<ChainId>,
    /// `trail_keys[i]` hashes `trail[..=i]` (kept in step with `trail`).
    pub(super) trail_keys: Vec<u64>,
    /// The chains of `stack` and `trail`: reaching one of them again is a loop.
    pub(super) on_path: HashSet<ChainId>,
}

impl Work {
    /// Returns from the top frame, forgetting it and the chains it left by goto.
    pub(super) fn pop_frame(&mut self) {
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
    pub(super) fn push_trail(&mut self, c: ChainId) {
        let mut h = DefaultHasher::new();
        (self.trail_keys.last(), c).hash(&mut h);
        self.trail_keys.push(h.finish());
        self.trail.push(c);
    }

    /// Where this course is and what decides its future: two courses with equal keys at an
    /// undecidable rule reach the same outcomes from there on (the assumptions and steps that
    /// led each there are only reported, not consulted).
    pub(super) fn point_key(&self, order: usize) -> PointKey {
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
    pub(super) fn loop_path(&self, idx: &TraceIndex<'_>, to: ChainId) -> Vec<String> {
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
pub(super) struct PointKey {
    /// Which order of the group runs.
    pub(super) order: usize,
    pub(super) order_pos: usize,
    /// Depth and hash of the call stack (chains and positions): a fixed-size key, as the
    /// trace may visit up to `max_steps` points.
    pub(super) stack: (usize, u64),
    /// Length and hash of the goto trail.
    pub(super) trail: (usize, Option<u64>),
    pub(super) st: PktState,
    pub(super) future: (bool, bool, DeciderKey),
}

/// The courses that reached an undecidable rule of one group, in one order of it.
///
/// A course reaching such a rule in the same [`PointKey`] as an earlier one is dropped: the
/// earlier one already follows (or followed) every course from there. Without this, courses
/// forked at undecidable rules without effect met again at the next one and forked again,
/// up to the branch limit, and the 256 copies each walked the rest of the ruleset.
pub(super) struct Seen {
    pub(super) order: usize,
    pub(super) keys: HashSet<PointKey>,
}

impl Seen {
    /// Whether no course was at `w`'s point before (and remembers it).
    pub(super) fn first_visit(&mut self, w: &Work) -> bool {
        self.keys.insert(w.point_key(self.order))
    }
}

/// Shared counters of one trace.
pub(super) struct Budget {
    pub(super) steps: u64,
    pub(super) branches: usize,
    pub(super) truncated: bool,
}

/// The deciding rule of an accept (see [`TraceReport`]).
pub(super) fn accept_decider(accepts: &[AcceptRec]) -> Option<RuleRef> {
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
pub(super) fn build_report(outcomes: Vec<Outcome>) -> TraceReport {
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
