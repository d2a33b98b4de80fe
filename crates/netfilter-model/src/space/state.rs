//! Flows: a set of packets (a BDD over the entry header) with the state they share —
//! fields rewritten by statements, conntrack flags, the accepts met so far.

use std::collections::{BTreeMap, BTreeSet};

use fxhash::FxHashMap;

use crate::trace::ChainId;

use super::bdd::Bdd;
use super::universe::{Bit, Field, Universe};

/// An accept (or policy accept) that ended a base chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AcceptRec {
    pub(crate) chain: ChainId,
    /// Rule index; `None` for the policy.
    pub(crate) rule: Option<usize>,
    /// Whether the base chain is a nat chain.
    pub(crate) nat: bool,
}

/// What the packets of a flow share besides their entry header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct FlowState {
    /// Fields rewritten so far (the others have their entry bits).
    pub(crate) fields: BTreeMap<Field, Vec<Bit>>,
    /// Set by `notrack`.
    pub(crate) untracked: bool,
    /// The connection was destination-NATed.
    pub(crate) dnat: bool,
    /// The connection was source-NATed.
    pub(crate) snat: bool,
    /// Accepts that ended base chains, in order.
    pub(crate) accepts: Vec<AcceptRec>,
}

impl FlowState {
    /// The current bits of a field.
    pub(crate) fn bits(&self, u: &Universe, f: Field) -> Vec<Bit> {
        match self.fields.get(&f) {
            Some(b) => b.clone(),
            None => u.entry_bits(f),
        }
    }
}

/// Packets that share a state.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub(crate) region: Bdd,
    pub(crate) st: FlowState,
    /// Why some packets of the flow may be here (undecidable matches on the way).
    pub(crate) reasons: BTreeSet<String>,
}

impl Flow {
    /// The same state and reasons over another region.
    pub(crate) fn with_region(&self, region: Bdd) -> Flow {
        Flow {
            region,
            st: self.st.clone(),
            reasons: self.reasons.clone(),
        }
    }
}

/// Flows merged by state: packets in the same state go on together.
///
/// A rule changes few of a chain's flows (each kube-proxy endpoint's DNAT is its own state),
/// so the walk updates regions in place; a flow whose packets all left stays as an empty
/// slot (skipped, and reused if its state comes back) rather than re-indexing the rest.
#[derive(Debug, Default)]
pub(crate) struct FlowSet {
    flows: Vec<Flow>,
    /// The first slot of each state hash (states are not cloned into the index).
    index: FxHashMap<u64, usize>,
    /// The next slot with the same state hash, per slot.
    same_hash: Vec<Option<usize>>,
    /// Whether each slot has packets (kept here: asking a BDD takes the manager's lock).
    has_packets: Vec<bool>,
    /// Flows with packets.
    live: usize,
}

/// A state's hash for the index.
fn state_hash(st: &FlowState) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = fxhash::FxHasher64::default();
    st.hash(&mut h);
    h.finish()
}

impl FlowSet {
    /// Adds a flow, merging it with one in the same state.
    pub(crate) fn add(&mut self, f: Flow) {
        if f.region.is_false() {
            return;
        }
        let h = state_hash(&f.st);
        let mut at = self.index.get(&h).copied();
        while let Some(i) = at {
            if self.flows[i].st == f.st {
                break;
            }
            at = self.same_hash[i];
        }
        match at {
            Some(i) => {
                let g = &mut self.flows[i];
                if !self.has_packets[i] {
                    // An emptied slot: the flow starts afresh.
                    g.region = f.region;
                    g.reasons = f.reasons;
                    self.has_packets[i] = true;
                    self.live += 1;
                } else {
                    g.region = g.region.or(&f.region);
                    g.reasons.extend(f.reasons);
                }
            }
            None => {
                let i = self.flows.len();
                self.same_hash.push(self.index.insert(h, i));
                self.has_packets.push(true);
                self.flows.push(f);
                self.live += 1;
            }
        }
    }

    /// Number of flows with packets.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Whether no flow has packets.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of slots (flows, and emptied ones), for [`FlowSet::get`] and
    /// [`FlowSet::replace`].
    pub(crate) fn slots(&self) -> usize {
        self.flows.len()
    }

    /// The flow in a slot (its region is empty for an emptied slot).
    pub(crate) fn get(&self, i: usize) -> &Flow {
        &self.flows[i]
    }

    /// Whether the flow in a slot has packets.
    pub(crate) fn has_packets(&self, i: usize) -> bool {
        self.has_packets[i]
    }

    /// Gives the flow in a slot a new region (empty to take its packets out) and, if given,
    /// new reasons.
    pub(crate) fn replace(&mut self, i: usize, region: Bdd, reasons: Option<BTreeSet<String>>) {
        let g = &mut self.flows[i];
        let now = !region.is_false();
        match (self.has_packets[i], now) {
            (true, false) => self.live -= 1,
            (false, true) => self.live += 1,
            _ => {}
        }
        self.has_packets[i] = now;
        g.region = region;
        if let Some(r) = reasons {
            g.reasons = r;
        }
    }

    /// The flows with packets, in order.
    pub(crate) fn into_vec(self) -> Vec<Flow> {
        self.flows
            .into_iter()
            .zip(self.has_packets)
            .filter_map(|(f, has)| has.then_some(f))
            .collect()
    }
}

impl FromIterator<Flow> for FlowSet {
    fn from_iter<I: IntoIterator<Item = Flow>>(iter: I) -> Self {
        let mut s = FlowSet::default();
        for f in iter {
            s.add(f);
        }
        s
    }
}
