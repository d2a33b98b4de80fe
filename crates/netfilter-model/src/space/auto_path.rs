//! `--path auto` with the node's local addresses over flows, leg by leg as the tracer's
//! route plan: traffic from a local address is sent by the node (output, postrouting, and,
//! to a local destination, back over `lo` through prerouting and input without nat); other
//! traffic arrives (prerouting, then input when the destination after DNAT is local, else
//! forward and postrouting).

use ipnet::IpNet;

use crate::model::{AddrSpec, Hook};
use crate::trace::{LocalAddrs, TraceIndex};

use super::bdd::Bdd;
use super::engine::{finish_accepted, query_region, run_hook, Stage};
use super::error::SpaceError;
use super::predicate::addr_in;
use super::query::SpaceQuery;
use super::state::{Flow, FlowState};
use super::universe::{Field, Universe};
use super::walk::{Done, Walker};

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
        finish_accepted(accepted, &mut done);
    }
    Ok(done)
}

#[cfg(test)]
mod tests;
