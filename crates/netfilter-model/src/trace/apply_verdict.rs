//! Applying a rule's verdict to a course: accept ends the base chain, drop and reject end the
//! course, jump and goto push or replace a frame, verdict maps pick an element, queue and
//! unknown targets fork.

use crate::model::{Hook, Verdict};

use super::course::*;
use super::error::TraceError;
use super::eval::*;
use super::options::TraceOptions;
use super::report::*;
use super::schedule::{ChainId, TraceIndex};
use super::step_detail::{StepDetail, UserSpaceDecider};

impl TraceIndex<'_> {
    /// Applies a verdict to a course. Returns the course to continue with, or `None` when it
    /// ended (dropped, recorded in `done`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_verdict(
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
                        Some(StepDetail::MissingChain {
                            chain: target.clone(),
                        }),
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
                    Some(StepDetail::JumpTarget {
                        chain: target.clone(),
                    }),
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
                let decider = match verdict {
                    Verdict::Queue(_) => UserSpaceDecider::Queue,
                    _ => UserSpaceDecider::UnknownTarget,
                };
                let assumed = |accepts| StepDetail::AssumedUserSpace { decider, accepts };
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
                        reason: assumed(false).to_string(),
                        facts: Vec::new(),
                    });
                    alt.steps.push(mk_step(
                        self,
                        hook,
                        at,
                        Some(ri),
                        StepEvent::Queue,
                        Some(assumed(false)),
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
                    reason: assumed(true).to_string(),
                    facts: Vec::new(),
                });
                w.br.steps.push(mk_step(
                    self,
                    hook,
                    at,
                    Some(ri),
                    StepEvent::Queue,
                    Some(assumed(true)),
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
