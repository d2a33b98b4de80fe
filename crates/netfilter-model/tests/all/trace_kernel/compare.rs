//! Kernel against tracer: the verdict, the deciding rule, and the rules whose counters moved.

use std::collections::BTreeSet;
use std::net::IpAddr;

use netfilter_model::model::{Backend, Family, Policy, Protocol, Ruleset, Verdict};
use netfilter_model::trace::{
    trace, FinalVerdict, Packet, RuleRef, StepEvent, TraceOptions, TracePath, TraceReport,
};

use super::node::{Capture, Probe};

/// A rule (index `Some`) or a chain's policy (`None`), as counters and the tracer name it.
pub type RuleKey = (Backend, Family, String, String, Option<usize>);

fn key(r: &RuleRef) -> RuleKey {
    (
        r.backend,
        r.family,
        r.table.clone(),
        r.chain.clone(),
        r.index,
    )
}

/// Shows a key like the tracer's `RuleRef` display.
pub fn show(k: &RuleKey) -> String {
    match k.4 {
        Some(i) => format!("{} {} {} {} rule {i}", k.0, k.1, k.2, k.3),
        None => format!("{} {} {} {} policy", k.0, k.1, k.2, k.3),
    }
}

/// The tracer's query for a probe: forward path, new connection, interfaces of the node.
pub fn packet_of(p: &Probe) -> Packet {
    let src: IpAddr = p.from.ip.parse().expect("endpoint address");
    let dst: IpAddr = p.dst.parse().expect("probe address");
    let mut pkt = Packet::new(src, dst);
    pkt.path = TracePath::Forward;
    pkt.iif = Some(p.from.node_if.to_string());
    pkt.oif = Some(p.to.node_if.to_string());
    match p.proto {
        "udp" | "tcp" => {
            pkt.proto = Some(if p.proto == "udp" {
                Protocol::UDP
            } else {
                Protocol::TCP
            });
            pkt.sport = Some(p.sport);
            pkt.dport = Some(p.dport);
        }
        _ => {
            pkt.proto = Some(Protocol::ICMP);
            pkt.icmp_type = Some(8);
            pkt.icmp_code = Some(0);
        }
    }
    pkt
}

/// Rules and policies whose counters moved; rules without counters are not listed.
pub fn counted(rs: &Ruleset) -> BTreeSet<RuleKey> {
    let mut out = BTreeSet::new();
    for t in &rs.tables {
        for c in &t.chains {
            if c.base.is_some() && c.counters.is_some_and(|k| k.packets > 0) {
                out.insert((t.backend, t.family, t.name.clone(), c.name.clone(), None));
            }
            for (i, r) in c.rules.iter().enumerate() {
                if r.counters.is_some_and(|k| k.packets > 0) {
                    out.insert((
                        t.backend,
                        t.family,
                        t.name.clone(),
                        c.name.clone(),
                        Some(i + 1),
                    ));
                }
            }
        }
    }
    out
}

fn rule_verdict<'a>(rs: &'a Ruleset, k: &RuleKey) -> Option<&'a Verdict> {
    let t = rs.table(k.0, k.1, &k.2)?;
    let c = t.chains.iter().find(|c| c.name == k.3)?;
    c.rules.get(k.4?.checked_sub(1)?)?.verdict.as_ref()
}

fn has_counter(rs: &Ruleset, k: &RuleKey) -> bool {
    let Some(t) = rs.table(k.0, k.1, &k.2) else {
        return false;
    };
    let Some(c) = t.chains.iter().find(|c| c.name == k.3) else {
        return false;
    };
    match k.4 {
        Some(i) => c
            .rules
            .get(i.wrapping_sub(1))
            .is_some_and(|r| r.counters.is_some()),
        None => c.counters.is_some(),
    }
}

fn policy_drop(rs: &Ruleset, k: &RuleKey) -> bool {
    rs.table(k.0, k.1, &k.2)
        .and_then(|t| t.chains.iter().find(|c| c.name == k.3))
        .and_then(|c| c.base.as_ref())
        .is_some_and(|b| b.policy == Policy::Drop)
}

/// What the kernel did, read from delivery and counters.
#[derive(Debug)]
pub struct KernelOutcome {
    /// Delivered or not.
    pub verdict: FinalVerdict,
    /// For a drop: the rule or legacy policy whose counter shows it dropped the packet
    /// (`None`: no counter tells, e.g. an nf_tables policy).
    pub dropped_by: Option<RuleKey>,
    /// Whether the drop was a reject (the node then sends an error through its output path).
    pub reject: bool,
    /// Every rule and policy whose counter moved.
    pub counted: BTreeSet<RuleKey>,
}

/// Reads the kernel's outcome from a capture.
pub fn kernel_outcome(cap: &Capture, rs: &Ruleset) -> KernelOutcome {
    let counted = counted(rs);
    let verdict = if cap.delivered > 0 {
        FinalVerdict::Accept
    } else {
        FinalVerdict::Drop
    };
    let mut dropped_by = None;
    let mut reject = false;
    if verdict == FinalVerdict::Drop {
        let drops: Vec<&RuleKey> = counted
            .iter()
            .filter(|k| match k.4 {
                Some(_) => rule_verdict(rs, k).is_some_and(|v| v.is_final_drop()),
                None => policy_drop(rs, k),
            })
            .collect();
        if let [one] = drops[..] {
            dropped_by = Some(one.clone());
            reject = matches!(rule_verdict(rs, one), Some(Verdict::Reject { .. }));
        }
    }
    KernelOutcome {
        verdict,
        dropped_by,
        reject,
        counted,
    }
}

/// Compares one capture with the tracer on the captured dumps. `Err` explains the
/// disagreement.
pub fn compare(cap: &Capture, rs: &Ruleset, pkt: &Packet) -> Result<TraceReport, String> {
    compare_read(cap, rs, rs, pkt)
}

/// [`compare`], reading the kernel's outcome from the counters of `counted_in` (a source that
/// keeps every rule's verdict, where `rs` may not: nft JSON shows xt targets without them).
pub fn compare_read(
    cap: &Capture,
    counted_in: &Ruleset,
    rs: &Ruleset,
    pkt: &Packet,
) -> Result<TraceReport, String> {
    let rep = trace(rs, pkt, &TraceOptions::default()).map_err(|e| format!("trace failed: {e}"))?;
    let k = kernel_outcome(cap, counted_in);
    let single = !rep.order_dependent && !rep.uncertain;
    // Verdicts the tracer holds possible, each with its deciding rule.
    let mut possible: Vec<(FinalVerdict, Option<RuleKey>)> =
        vec![(rep.verdict, rep.decided_by.as_ref().map(key))];
    possible.extend(
        rep.alternatives
            .iter()
            .map(|a| (a.verdict, a.decided_by.as_ref().map(key))),
    );
    if !possible.iter().any(|(v, _)| *v == k.verdict) {
        return Err(format!(
            "kernel {} but the tracer says {} (possible: {:?})",
            k.verdict,
            rep.verdict,
            possible.iter().map(|p| p.0).collect::<Vec<_>>()
        ));
    }
    if single && rep.verdict != k.verdict {
        return Err(format!(
            "kernel {} but the tracer says {} without order dependence or uncertainty",
            k.verdict, rep.verdict
        ));
    }
    let candidates: Vec<&Option<RuleKey>> = possible
        .iter()
        .filter(|(v, _)| *v == k.verdict)
        .map(|(_, d)| d)
        .collect();
    if k.verdict == FinalVerdict::Drop {
        match &k.dropped_by {
            Some(d) => {
                if !candidates.iter().any(|c| c.as_ref() == Some(d)) {
                    return Err(format!(
                        "kernel dropped at {} (its counter moved) but the tracer names {}",
                        show(d),
                        candidates
                            .iter()
                            .map(|c| c.as_ref().map_or("nothing".into(), show))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ));
                }
            }
            None => {
                // No counter names the drop: it must be a policy without counters.
                if !candidates.iter().any(|c| {
                    c.as_ref()
                        .is_some_and(|c| c.4.is_none() && !has_counter(counted_in, c))
                }) {
                    return Err(format!(
                        "kernel dropped with no drop counter moving (an nf_tables policy?) but the tracer names {}",
                        candidates
                            .iter()
                            .map(|c| c.as_ref().map_or("nothing".into(), show))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ));
                }
            }
        }
    } else if !rep.uncertain {
        // The accepting rule depends on the order of equal-priority chains (as the last
        // explicit accept, else a policy): when every accepting candidate is a rule with a
        // counter, one of them must have counted the packet.
        let checkable: Vec<&RuleKey> = candidates
            .iter()
            .filter_map(|c| c.as_ref())
            .filter(|c| c.4.is_some() && has_counter(counted_in, c))
            .collect();
        if !checkable.is_empty()
            && checkable.len() == candidates.len()
            && !checkable.iter().any(|c| k.counted.contains(*c))
        {
            return Err(format!(
                "the tracer says {} accepted the packet but no such counter moved",
                checkable
                    .iter()
                    .map(|c| show(c))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }
    // The rules that acted are comparable only on one known path: no assumption about an
    // undecidable match (it may change the path but not the verdict) and no two non-empty
    // base chains at one priority of one hook (the kernel's order between them is not in the
    // dumps; a drop in the first hides the packet from the second).
    if single && !k.reject && rep.assumptions.is_empty() && !equal_priority_clash(rs) {
        fired_rules_agree(&rep, counted_in, &k)?;
    }
    Ok(rep)
}

/// Whether two base chains with rules share a hook and a priority.
pub fn equal_priority_clash(rs: &Ruleset) -> bool {
    let mut seen = BTreeSet::new();
    for t in &rs.tables {
        for c in &t.chains {
            if let (Some(b), false) = (&c.base, c.rules.is_empty()) {
                if !seen.insert((format!("{:?}", b.hook), b.priority)) {
                    return true;
                }
            }
        }
    }
    false
}

/// On a single path: every rule the trace shows acting has a counter that moved, and every
/// rule with a verdict whose counter moved is on the trace.
fn fired_rules_agree(rep: &TraceReport, rs: &Ruleset, k: &KernelOutcome) -> Result<(), String> {
    let mut fired = BTreeSet::new();
    for s in &rep.steps {
        let acted = matches!(
            s.event,
            StepEvent::Accept
                | StepEvent::Drop
                | StepEvent::Reject
                | StepEvent::Return
                | StepEvent::Jump
                | StepEvent::Goto
                | StepEvent::Mark
                | StepEvent::Nat
        );
        if let (true, Some(i)) = (acted, s.index) {
            fired.insert((
                s.backend,
                s.family,
                s.table.clone(),
                s.chain.clone(),
                Some(i),
            ));
        }
    }
    for f in &fired {
        if has_counter(rs, f) && !k.counted.contains(f) {
            return Err(format!(
                "the trace shows {} acting but its counter did not move",
                show(f)
            ));
        }
    }
    for c in &k.counted {
        if c.4.is_some() && rule_verdict(rs, c).is_some() && !fired.contains(c) {
            return Err(format!(
                "the counter of {} moved but the trace does not pass it",
                show(c)
            ));
        }
    }
    Ok(())
}
