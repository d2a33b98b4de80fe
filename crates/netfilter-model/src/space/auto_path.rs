//! `--path auto` with the node's local addresses over flows, leg by leg as the tracer's
//! route plan: traffic from a local address is sent by the node (output, postrouting, and,
//! to a local destination, back over `lo` through prerouting and input without nat); other
//! traffic arrives (prerouting, then input when the destination after DNAT is local, else
//! forward and postrouting).

use biodivine_lib_bdd::Bdd;
use ipnet::IpNet;

use crate::model::{AddrSpec, ChainType, Hook, Policy};
use crate::trace::{FinalVerdict, LocalAddrs, TraceIndex};

use super::engine::{accept_deciders, query_region, CONNTRACK_PRIORITY};
use super::error::SpaceError;
use super::predicate::{addr_in, ct_new, HookCx};
use super::query::SpaceQuery;
use super::state::{AcceptRec, Flow, FlowSet, FlowState};
use super::universe::{Field, Universe};
use super::walk::{Done, Ends, Walker};

/// Where on its way a flow is at one hook: which interfaces the kernel knows there, and
/// whether they are `lo` and the packet is on its way back over it.
#[derive(Debug, Clone)]
struct Stage {
    hook: Hook,
    has_iif: bool,
    has_oif: bool,
    /// The packet goes out on, or comes back over, `lo`.
    on_lo: bool,
    /// Looped back: nat chains do not run again, conntrack has the entry already.
    looped: bool,
}

/// The packets whose address in `f` (its current bits) is one of the node's: `None` for a
/// rewritten address nfdiff does not know.
fn is_local(u: &Universe, st: &FlowState, f: Field, v6: bool, node: &LocalAddrs) -> Option<Bdd> {
    node.local
        .iter()
        .filter(|n| matches!(n, IpNet::V6(_)) == v6)
        .try_fold(u.f(), |acc, n| {
            Some(acc.or(&addr_in(u, st, f, &AddrSpec::Net { net: *n })?))
        })
}

/// Splits flows by a per-state predicate into (holds, does not); where it is not known,
/// both, with why.
fn split(
    flows: Vec<Flow>,
    pred: impl Fn(&FlowState) -> Option<Bdd>,
    why: &str,
) -> (Vec<Flow>, Vec<Flow>) {
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for f in flows {
        match pred(&f.st) {
            Some(p) => {
                let a = f.region.and(&p);
                let b = f.region.and_not(&p);
                if !a.is_false() {
                    yes.push(f.with_region(a));
                }
                if !b.is_false() {
                    no.push(f.with_region(b));
                }
            }
            None => {
                let mut f = f;
                f.reasons.insert(why.to_string());
                yes.push(f.clone());
                no.push(f);
            }
        }
    }
    (yes, no)
}

/// Runs the query's packets through one ruleset on the auto path.
pub(crate) fn run_auto(
    u: &Universe,
    idx: &TraceIndex<'_>,
    q: &SpaceQuery,
    node: &LocalAddrs,
) -> Result<Vec<Done>, SpaceError> {
    let w = Walker { u, idx };
    let mut done = Vec::new();
    let unknown_dst =
        "the destination was rewritten to an address nfdiff does not know: it may be local or not";
    for v6 in [false, true] {
        let region = query_region(u, q, v6)?;
        if region.is_false() {
            continue;
        }
        let (src, dst) = if v6 {
            (Field::Src6, Field::Dst6)
        } else {
            (Field::Src4, Field::Dst4)
        };
        let entry = FlowState::default();
        let from_node = is_local(u, &entry, src, v6, node).unwrap_or_else(|| u.f());
        let flow = |r: Bdd| Flow {
            region: r,
            st: FlowState::default(),
            reasons: Default::default(),
        };
        let sent = vec![flow(region.and(&from_node))];
        let arriving = vec![flow(region.and_not(&from_node))];
        let local_dst = |st: &FlowState| is_local(u, st, dst, v6, node);
        let stage = |hook: Hook, has_iif: bool, has_oif: bool, on_lo: bool, looped: bool| Stage {
            hook,
            has_iif,
            has_oif,
            on_lo,
            looped,
        };
        let run =
            |s: Stage, flows: Vec<Flow>, done: &mut Vec<Done>| run_hook(&w, q, v6, s, flows, done);
        // Sent by the node: out on `lo` to a local destination (at output, the destination
        // the socket gave; at postrouting, the one after output DNAT).
        let (to_lo, out) = split(sent, |_| is_local(u, &entry, dst, v6, node), unknown_dst);
        let mut after = run(
            stage(Hook::Output, false, true, true, false),
            to_lo,
            &mut done,
        )?;
        after.extend(run(
            stage(Hook::Output, false, true, false, false),
            out,
            &mut done,
        )?);
        let (to_lo, out) = split(after, local_dst, unknown_dst);
        let looping = run(
            stage(Hook::Postrouting, false, true, true, false),
            to_lo,
            &mut done,
        )?;
        let mut accepted = run(
            stage(Hook::Postrouting, false, true, false, false),
            out,
            &mut done,
        )?;
        let back = run(
            stage(Hook::Prerouting, true, false, true, true),
            looping,
            &mut done,
        )?;
        accepted.extend(run(
            stage(Hook::Input, true, false, true, true),
            back,
            &mut done,
        )?);
        // Arriving: delivered when the destination after prerouting is local.
        let routed = run(
            stage(Hook::Prerouting, true, false, false, false),
            arriving,
            &mut done,
        )?;
        let (deliver, forward) = split(routed, local_dst, unknown_dst);
        accepted.extend(run(
            stage(Hook::Input, true, false, false, false),
            deliver,
            &mut done,
        )?);
        let fwd = run(
            stage(Hook::Forward, true, true, false, false),
            forward,
            &mut done,
        )?;
        accepted.extend(run(
            stage(Hook::Postrouting, true, true, false, false),
            fwd,
            &mut done,
        )?);
        for f in accepted {
            let deciding = accept_deciders(&f.st.accepts);
            done.push(Done {
                flow: f,
                verdict: FinalVerdict::Accept,
                deciding,
            });
        }
    }
    Ok(done)
}

/// Runs flows through one hook's base chains (every order of equal priorities); returns the
/// accepted flows, pushes the dropped ones to `done`.
fn run_hook(
    w: &Walker<'_, '_>,
    q: &SpaceQuery,
    v6: bool,
    s: Stage,
    mut flows: Vec<Flow>,
    done: &mut Vec<Done>,
) -> Result<Vec<Flow>, SpaceError> {
    let (u, idx) = (w.u, w.idx);
    if flows.is_empty() {
        return Ok(flows);
    }
    let Some(groups) = idx.hooks.get(&(s.hook.clone(), v6)) else {
        return Ok(flows);
    };
    for g in groups {
        let mut after = FlowSet::default();
        let several = g.order_ids.len() > 1;
        for order in &g.order_ids {
            let mut cur = flows.clone();
            if several {
                let names: Vec<String> = order
                    .iter()
                    .map(|&c| idx.chain_ref(c).to_string())
                    .collect();
                let why = format!(
                    "base chains of equal priority run in an order no dump shows; in the order {} the fate is this",
                    names.join(", ")
                );
                for f in &mut cur {
                    f.reasons.insert(why.clone());
                }
            }
            for &id in order {
                let chain = idx.chain(id);
                let Some(base) = &chain.base else { continue };
                let is_nat = base.chain_type == ChainType::Nat;
                let cx = HookCx {
                    v6,
                    has_iif: s.has_iif,
                    has_oif: s.has_oif,
                    before_ct: !s.looped
                        && matches!(s.hook, Hook::Prerouting | Hook::Output)
                        && base.priority < CONNTRACK_PRIORITY,
                    sets: &idx.tables[id.0].sets,
                    rpf_valid: q.rpf_valid,
                    local_addrs: q.local_addrs.as_ref(),
                    on_lo: s.on_lo,
                };
                let mut ends = Ends::default();
                let mut entering = Vec::new();
                for f in cur {
                    if !is_nat {
                        entering.push(f);
                        continue;
                    }
                    // nat chains see a connection's first packet, until one maps it, and
                    // not again on its way back over lo.
                    let mapped = match s.hook {
                        Hook::Prerouting | Hook::Output => f.st.dnat,
                        _ => f.st.snat,
                    };
                    let runs = if mapped || s.looped {
                        u.f()
                    } else {
                        ct_new(u, &f.st)
                    };
                    ends.accepted.add(f.with_region(f.region.and_not(&runs)));
                    let inside = f.region.and(&runs);
                    if !inside.is_false() {
                        entering.push(f.with_region(inside));
                    }
                }
                let mut stack = Vec::new();
                let back = w.walk(&cx, id, is_nat, entering, &mut stack, &mut ends)?;
                for mut f in back.into_vec() {
                    match base.policy {
                        Policy::Accept => {
                            f.st.accepts.push(AcceptRec {
                                chain: id,
                                rule: None,
                                nat: is_nat,
                            });
                            ends.accepted.add(f);
                        }
                        Policy::Drop => done.push(Done {
                            flow: f,
                            verdict: FinalVerdict::Drop,
                            deciding: vec![(id, None)],
                        }),
                    }
                }
                done.extend(ends.dropped);
                cur = ends.accepted.into_vec();
            }
            for f in cur {
                after.add(f);
            }
        }
        flows = after.into_vec();
    }
    Ok(flows)
}

#[cfg(test)]
mod tests;
