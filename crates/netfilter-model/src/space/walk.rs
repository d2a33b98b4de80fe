//! Chain walking over flows: each rule splits its input into the packets it matches and
//! the rest; jumps recurse, returns come back, accepts end the base chain, drops are final.

use std::collections::{BTreeMap, BTreeSet};

use fxhash::FxHashMap;

use crate::model::{Backend, Rule, Verdict};
use crate::trace::{reads_conntrack, ChainId, FinalVerdict, TraceIndex};

use super::bdd::Bdd;
use super::error::SpaceError;
use super::predicate::{no_conntrack, rule_pred, HookCx, Tri};
use super::prefilter::{rule_excludes, RewrittenDst};
use super::reads::{ReadView, Reads};
use super::state::{AcceptRec, Flow, FlowSet, FlowState};
use super::statements::{apply_statement, is_effective, StmtEffect};
use super::universe::Universe;
use super::vmap::vmap_parts;

/// A rule or policy, by chain and index (`None` for the policy).
pub(crate) type RuleKey = (ChainId, Option<usize>);

/// Packets whose fate is decided.
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub(crate) flow: Flow,
    pub(crate) verdict: FinalVerdict,
    /// The rules that decided (for a drop, the dropping rule).
    pub(crate) deciding: Vec<RuleKey>,
}

/// What leaves a base chain: the accepted flows and the dropped ones.
#[derive(Default)]
pub(crate) struct Ends {
    pub(crate) accepted: FlowSet,
    pub(crate) dropped: Vec<Done>,
}

/// Most flows one chain position may hold before the analysis gives up.
pub(crate) const MAX_FLOWS: usize = 200_000;

/// Deepest chain nesting followed.
const MAX_DEPTH: usize = 128;

/// Walks chains for one ruleset.
pub(crate) struct Walker<'w, 'a> {
    pub(crate) u: &'w Universe,
    pub(crate) idx: &'w TraceIndex<'a>,
}

/// Whether two states look alike to a match (the accepts so far do not matter to one).
fn same_fields(a: &FlowState, b: &FlowState) -> bool {
    a.fields == b.fields && a.untracked == b.untracked && a.dnat == b.dnat && a.snat == b.snat
}

/// A state as a match sees it: the rewritten fields and conntrack flags, not the accepts.
struct MatchView<'s>(&'s FlowState);

impl PartialEq for MatchView<'_> {
    fn eq(&self, o: &Self) -> bool {
        same_fields(self.0, o.0)
    }
}

impl Eq for MatchView<'_> {}

impl std::hash::Hash for MatchView<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let s = self.0;
        (&s.fields, s.untracked, s.dnat, s.snat).hash(h);
    }
}

/// What a rule's predicate depends on: the parts of the state it reads, or all of it.
#[derive(PartialEq, Eq, Hash)]
enum CompileKey<'s> {
    Part(ReadView<'s>),
    Whole(MatchView<'s>),
}

/// A rule's predicate for one key, with the packets it may match (both parts together).
struct Compiled {
    p: Tri,
    hit_all: Bdd,
}

/// A rule that neither decides nor changes anything later rules see.
fn inert(r: &Rule) -> bool {
    matches!(r.verdict, None | Some(Verdict::Continue)) && !r.statements.iter().any(is_effective)
}

impl Walker<'_, '_> {
    fn chain_label(&self, id: ChainId) -> String {
        self.idx.chain_ref(id).to_string()
    }

    /// Walks a chain; returns the flows that return from it (for a base chain: those the
    /// policy decides).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn walk(
        &self,
        cx: &HookCx<'_>,
        chain: ChainId,
        nat_base: bool,
        flows: Vec<Flow>,
        stack: &mut Vec<ChainId>,
        ends: &mut Ends,
    ) -> Result<FlowSet, SpaceError> {
        if stack.contains(&chain) {
            let mut path: Vec<String> = stack.iter().map(|&c| self.chain_label(c)).collect();
            path.push(self.chain_label(chain));
            return Err(SpaceError::JumpCycle { path });
        }
        if stack.len() >= MAX_DEPTH {
            return Err(SpaceError::TooDeep {
                limit: MAX_DEPTH,
                chain: self.chain_label(chain),
            });
        }
        stack.push(chain);
        let u = self.u;
        let c = self.idx.chain(chain);
        let backend = self.idx.tables[chain.0].table.backend;
        let mut cur: FlowSet = flows.into_iter().collect();
        let mut ret = FlowSet::default();
        // Each slot's rewritten destination (a slot keeps its state).
        let mut rewritten: Vec<RewrittenDst> = Vec::new();
        for (ri, rule) in c.rules.iter().enumerate() {
            if cur.is_empty() {
                break;
            }
            if inert(rule) {
                continue;
            }
            // Flows leaving the rule on to the next one (continuing hits, returns), added
            // once every flow has met the rule so none meets it twice.
            let mut onward: Vec<Flow> = Vec::new();
            // Flows to hand to a jump or goto target, by target name (one walk per rule).
            let mut calls: BTreeMap<(bool, String), Vec<Flow>> = BTreeMap::new();
            // The rule compiled once per distinct value of what it reads of the state (most
            // flows share one).
            let reads = Reads::of(rule);
            let mut compiled: FxHashMap<CompileKey<'_>, Compiled> = FxHashMap::default();
            let mut hits: Vec<Flow> = Vec::new();
            // What stays of each flow the rule meets (applied once `compiled` no longer
            // borrows the states).
            let mut misses: Vec<(usize, Bdd, Option<BTreeSet<String>>)> = Vec::new();
            while rewritten.len() < cur.slots() {
                rewritten.push(RewrittenDst::of(&cur.get(rewritten.len()).st, cx.v6));
            }
            for (i, rw) in rewritten.iter().enumerate() {
                // States whose constant destination the rule's literals rule out, and
                // emptied slots: the flow goes on unchanged.
                if rule_excludes(rule, rw, cx.v6) || !cur.has_packets(i) {
                    continue;
                }
                let f = cur.get(i);
                let key = match &reads {
                    Some(r) => CompileKey::Part(r.view(&f.st)),
                    None => CompileKey::Whole(MatchView(&f.st)),
                };
                let Compiled { p, hit_all } = compiled.entry(key).or_insert_with(|| {
                    let p = rule_pred(u, &rule.matches, &f.st, cx);
                    let hit_all = p.yes.or(&p.maybe);
                    Compiled { p, hit_all }
                });
                if !f.region.intersects(hit_all) {
                    continue;
                }
                let more = !p.maybe.is_false() && f.region.intersects(&p.maybe);
                let mut reasons = f.reasons.clone();
                if more {
                    reasons.extend(p.reasons.iter().cloned());
                }
                let (hit, miss) = if p.yes.is_true() || f.region.is_subset(&p.yes) {
                    (f.region.clone(), u.f())
                } else {
                    (f.region.and(hit_all), f.region.and_not(&p.yes))
                };
                // The slot keeps its reasons unless the rule adds some.
                misses.push((i, miss, more.then(|| reasons.clone())));
                hits.push(Flow {
                    region: hit,
                    st: f.st.clone(),
                    reasons,
                });
            }
            drop(compiled);
            for (i, miss, reasons) in misses {
                cur.replace(i, miss, reasons);
            }
            for hit in hits {
                for (flow, verdict) in self.statements(cx, rule, backend, hit) {
                    let Some(v) = verdict else {
                        onward.push(flow);
                        continue;
                    };
                    self.verdict(
                        cx,
                        v,
                        flow,
                        chain,
                        ri,
                        nat_base,
                        &mut onward,
                        &mut ret,
                        &mut calls,
                        ends,
                    );
                }
            }
            for ((goto, target), flows) in calls {
                let Some(&ci) = self.idx.tables[chain.0].chains.get(target.as_str()) else {
                    // The tracer treats a missing chain as a rule without effect.
                    onward.extend(flows);
                    continue;
                };
                let back = self.walk(cx, (chain.0, ci), nat_base, flows, stack, ends)?;
                for f in back.into_vec() {
                    if goto {
                        ret.add(f);
                    } else {
                        onward.push(f);
                    }
                }
            }
            for f in onward {
                cur.add(f);
            }
            if cur.len() > MAX_FLOWS {
                return Err(SpaceError::TooComplex {
                    flows: cur.len(),
                    chain: self.chain_label(chain),
                });
            }
        }
        for f in cur.into_vec() {
            ret.add(f);
        }
        stack.pop();
        Ok(ret)
    }

    /// Runs a matching flow through the rule's statements: the flows that come out, each
    /// with the verdict it meets (`None`: on to the next rule).
    fn statements(
        &self,
        cx: &HookCx<'_>,
        rule: &Rule,
        backend: Backend,
        flow: Flow,
    ) -> Vec<(Flow, Option<Verdict>)> {
        let u = self.u;
        let mut out = Vec::new();
        let mut f = flow;
        for s in &rule.statements {
            if backend == Backend::Nft && reads_conntrack(s) {
                // A ct expression without a conntrack entry ends the rule.
                let noct = no_conntrack(u, &f.st, cx.before_ct);
                let broke = f.region.and(&noct);
                if !broke.is_false() {
                    out.push((f.with_region(broke), None));
                }
                f.region = f.region.and_not(&noct);
                if f.region.is_false() {
                    return out;
                }
            }
            let no_ct = cx.before_ct || f.st.untracked;
            match apply_statement(u, s, &mut f.st, no_ct, cx.before_ct, cx.v6) {
                StmtEffect::Next => {}
                StmtEffect::NatDone => {
                    out.push((f, Some(Verdict::Accept)));
                    return out;
                }
                StmtEffect::Verdict(v) => {
                    out.push((f, Some(v)));
                    return out;
                }
                StmtEffect::Unmodelled(r) => {
                    f.reasons.insert(r);
                }
            }
        }
        let v = match &rule.verdict {
            None | Some(Verdict::Continue) => None,
            Some(v) => Some(v.clone()),
        };
        out.push((f, v));
        out
    }

    /// Applies a verdict to a flow.
    #[allow(clippy::too_many_arguments)]
    fn verdict(
        &self,
        cx: &HookCx<'_>,
        v: Verdict,
        mut f: Flow,
        chain: ChainId,
        ri: usize,
        nat_base: bool,
        next: &mut Vec<Flow>,
        ret: &mut FlowSet,
        calls: &mut BTreeMap<(bool, String), Vec<Flow>>,
        ends: &mut Ends,
    ) {
        match v {
            Verdict::Accept => {
                f.st.accepts.push(AcceptRec {
                    chain,
                    rule: Some(ri),
                    nat: nat_base,
                });
                ends.accepted.add(f);
            }
            Verdict::Drop | Verdict::Reject { .. } => ends.dropped.push(Done {
                flow: f,
                verdict: FinalVerdict::Drop,
                deciding: vec![(chain, Some(ri))],
            }),
            Verdict::Return => ret.add(f),
            Verdict::Jump(t) => calls.entry((false, t)).or_default().push(f),
            Verdict::Goto(t) => calls.entry((true, t)).or_default().push(f),
            Verdict::Continue => next.push(f),
            Verdict::Queue(_) | Verdict::Other(_) => {
                let what = if matches!(v, Verdict::Queue(_)) {
                    "the packet is queued to user space, which may accept or drop it"
                } else {
                    "the target is not known to nfdiff; it may accept or drop"
                };
                f.reasons.insert(what.to_string());
                ends.dropped.push(Done {
                    flow: f.clone(),
                    verdict: FinalVerdict::Drop,
                    deciding: vec![(chain, Some(ri))],
                });
                f.st.accepts.push(AcceptRec {
                    chain,
                    rule: Some(ri),
                    nat: nat_base,
                });
                ends.accepted.add(f);
            }
            Verdict::Vmap(text) => {
                let spec = self.idx.tables[chain.0].vmaps.get(&(chain.1, ri));
                for (part, v) in vmap_parts(self.u, cx, spec, text.text(), f) {
                    match v {
                        Some(v) => {
                            self.verdict(cx, v, part, chain, ri, nat_base, next, ret, calls, ends)
                        }
                        None => next.push(part),
                    }
                }
            }
            #[allow(unreachable_patterns)]
            _ => next.push(f),
        }
    }
}
