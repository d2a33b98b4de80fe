//! The path through the host over flows: hooks in kernel order, base chains by priority
//! (every order of equal-priority chains the tracer tries), nat chains for first packets only.

use crate::model::{AddrSpec, ChainType, Hook, Policy};
use crate::trace::{FinalVerdict, TraceIndex, TracePath};

use super::bdd::Bdd;
use super::error::SpaceError;
use super::predicate::{addr_in, ct_new, has_ports, proto_is, HookCx};
use super::query::SpaceQuery;
use super::state::{AcceptRec, Flow, FlowSet, FlowState};
use super::universe::{Field, Universe, CT_STATES};
use super::walk::{Done, Ends, RuleKey, Walker};

/// Priority of connection tracking on prerouting and output (`NF_IP_PRI_CONNTRACK`).
pub(crate) const CONNTRACK_PRIORITY: i32 = -200;

/// The hooks of a path with whether the kernel knows the input and output interface there.
fn hooks_of(path: TracePath) -> Vec<(Hook, bool, bool)> {
    match path {
        TracePath::Input => vec![(Hook::Prerouting, true, false), (Hook::Input, true, false)],
        TracePath::Output => vec![
            (Hook::Output, false, true),
            (Hook::Postrouting, false, true),
        ],
        TracePath::Forward | TracePath::Auto => vec![
            (Hook::Prerouting, true, false),
            (Hook::Forward, true, true),
            (Hook::Postrouting, true, true),
        ],
    }
}

/// The path a query asks about (`auto` without node facts is the forward path, as in trace).
pub(crate) fn effective_path(q: &SpaceQuery) -> Result<TracePath, SpaceError> {
    match (q.path, &q.local_addrs) {
        (TracePath::Auto, None) => Ok(TracePath::Forward),
        (TracePath::Auto, Some(_)) => Ok(TracePath::Auto),
        (p, _) => Ok(p),
    }
}

/// Values a well-formed packet of one IP version has: class indexes in range, interfaces
/// the path has not as class 0. Fields the packet does not carry (the other version's
/// addresses, ports of a protocol without them) are left free: pinning them to zero made
/// every BDD repeat a chain of 256 address variables under each distinct prefix above them.
fn well_formed(u: &Universe, v6: bool, path: TracePath) -> Bdd {
    let n = (u.ifaces.len() as u128).max(1);
    let zero = |f: Field| u.eq(&u.entry_bits(f), 0).unwrap_or_else(|| u.f());
    let below = |f: Field, n: u128| u.range(&u.entry_bits(f), 0, n - 1).unwrap_or_else(|| u.f());
    let mut b = u
        .eq(&u.entry_bits(Field::Family), u128::from(v6))
        .unwrap_or_else(|| u.f());
    b = b.and(&below(Field::Iif, n)).and(&below(Field::Oif, n));
    if !path.has_iif() {
        b = b.and(&zero(Field::Iif));
    }
    if !path.has_oif() {
        b = b.and(&zero(Field::Oif));
    }
    b.and(&below(Field::Ct, CT_STATES.len() as u128))
}

/// The query's packets of one IP version.
pub(crate) fn query_region(u: &Universe, q: &SpaceQuery, v6: bool) -> Result<Bdd, SpaceError> {
    let path = effective_path(q)?;
    let mut b = well_formed(u, v6, path);
    let none = FlowState::default();
    let addrs = |specs: &[AddrSpec], f: Field| -> Bdd {
        if specs.is_empty() {
            return u.t();
        }
        specs
            .iter()
            .filter(|s| s.is_ipv6() == v6)
            .fold(u.f(), |acc, s| {
                acc.or(&addr_in(u, &none, f, s).unwrap_or_else(|| u.f()))
            })
    };
    let (sf, df) = if v6 {
        (Field::Src6, Field::Dst6)
    } else {
        (Field::Src4, Field::Dst4)
    };
    b = b.and(&addrs(&q.src, sf)).and(&addrs(&q.dst, df));
    if let Some(p) = &q.iif {
        b = b.and(&u.iface_in(Field::Iif, &u.classes_matching(p)));
    }
    if let Some(p) = &q.oif {
        b = b.and(&u.iface_in(Field::Oif, &u.classes_matching(p)));
    }
    if !q.proto.is_empty() {
        b = b.and(
            &q.proto
                .iter()
                .fold(u.f(), |acc, p| acc.or(&proto_is(u, p.0))),
        );
    }
    for (ranges, f) in [(&q.sport, Field::Sport), (&q.dport, Field::Dport)] {
        if !ranges.is_empty() {
            let bits = u.entry_bits(f);
            let r = ranges.iter().fold(u.f(), |acc, r| {
                acc.or(&u
                    .range(&bits, u128::from(r.first), u128::from(r.last))
                    .unwrap_or_else(|| u.f()))
            });
            b = b.and(&r).and(&has_ports(u));
        }
    }
    if let Some(t) = q.icmp_type {
        b = b.and(&proto_is(u, if v6 { 58 } else { 1 })).and(
            &u.eq(&u.entry_bits(Field::IcmpType), u128::from(t))
                .unwrap_or_else(|| u.f()),
        );
    }
    if let Some(s) = q.ct_state {
        let ct = u.entry_bits(Field::Ct);
        let r = CT_STATES
            .iter()
            .enumerate()
            .filter(|(_, bit)| s.0 & **bit != 0)
            .fold(u.f(), |acc, (i, _)| {
                acc.or(&u.eq(&ct, i as u128).unwrap_or_else(|| u.f()))
            });
        b = b.and(&r);
    }
    if let Some(m) = q.mark {
        b = b.and(
            &u.eq(&u.entry_bits(Field::Mark), u128::from(m))
                .unwrap_or_else(|| u.f()),
        );
    }
    Ok(b)
}

/// Runs the query's packets through one ruleset: every packet ends in some `Done` (in more
/// than one when undecidable matches or chain orders leave its fate open).
pub(crate) fn run(
    u: &Universe,
    idx: &TraceIndex<'_>,
    q: &SpaceQuery,
) -> Result<Vec<Done>, SpaceError> {
    let path = effective_path(q)?;
    if let (TracePath::Auto, Some(node)) = (path, &q.local_addrs) {
        return super::auto_path::run_auto(u, idx, q, node);
    }
    let w = Walker { u, idx };
    let mut done = Vec::new();
    for v6 in [false, true] {
        let region = query_region(u, q, v6)?;
        if region.is_false() {
            continue;
        }
        let mut flows: Vec<Flow> = vec![Flow {
            region,
            st: FlowState::default(),
            reasons: Default::default(),
        }];
        for (hook, has_iif, has_oif) in hooks_of(path) {
            let stage = Stage {
                hook,
                has_iif,
                has_oif,
                on_lo: false,
                looped: false,
            };
            flows = run_hook(&w, q, v6, stage, flows, &mut done)?;
        }
        finish_accepted(flows, &mut done);
    }
    Ok(done)
}

/// Flows accepted at the end of the path: done, decided by their accepts.
pub(crate) fn finish_accepted(flows: Vec<Flow>, done: &mut Vec<Done>) {
    for f in flows {
        let deciding = accept_deciders(&f.st.accepts);
        done.push(Done {
            flow: f,
            verdict: FinalVerdict::Accept,
            deciding,
        });
    }
}

/// Where on its way a flow is at one hook: which interfaces the kernel knows there, and
/// whether they are `lo` and the packet is on its way back over it.
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    pub(crate) hook: Hook,
    pub(crate) has_iif: bool,
    pub(crate) has_oif: bool,
    /// The packet goes out on, or comes back over, `lo`.
    pub(crate) on_lo: bool,
    /// Looped back: nat chains do not run again, conntrack has the entry already.
    pub(crate) looped: bool,
}

/// Runs flows through one hook's base chains (every order of equal priorities); returns the
/// accepted flows, pushes the dropped ones to `done`.
pub(crate) fn run_hook(
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
                // A connection's first packets, by whether the flow is untracked (the only
                // part of the state `ct_new` reads), built once rather than per flow.
                let firsts = [ct_new(u, &FlowState::default()), u.f()];
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
                    if mapped || s.looped {
                        ends.accepted.add(f);
                        continue;
                    }
                    let runs = &firsts[usize::from(f.st.untracked)];
                    if f.region.is_subset(runs) {
                        entering.push(f);
                    } else if !f.region.intersects(runs) {
                        ends.accepted.add(f);
                    } else {
                        ends.accepted.add(f.with_region(f.region.and_not(runs)));
                        entering.push(f.with_region(f.region.and(runs)));
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
    // Most nodes a hook built are dead once its flows are out (a no-op on small analyses).
    u.vars.collect_garbage();
    Ok(flows)
}

/// The rules that decided an accepted packet: every rule accept outside nat chains, else
/// the nat chains' accepts, else the last policy (the tracer's deciding accept is the last
/// of these).
pub(crate) fn accept_deciders(accepts: &[AcceptRec]) -> Vec<RuleKey> {
    let pick = |f: &dyn Fn(&AcceptRec) -> bool| -> Vec<RuleKey> {
        accepts
            .iter()
            .filter(|a| f(a))
            .map(|a| (a.chain, a.rule))
            .collect()
    };
    let v = pick(&|a| a.rule.is_some() && !a.nat);
    if !v.is_empty() {
        return v;
    }
    let v = pick(&|a| a.rule.is_some());
    if !v.is_empty() {
        return v;
    }
    accepts
        .last()
        .map(|a| vec![(a.chain, a.rule)])
        .unwrap_or_default()
}
