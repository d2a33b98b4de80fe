//! `stale-dispatch`: Calico interface-dispatch chains (and native dispatch maps) that differ
//! between backends, and every interface whose traffic an "Unknown interface" rule drops.
//!
//! The dispatch chains are compared with the diff engine ([`crate::diff::diff_rulesets`], legacy
//! as OLD, nf_tables as NEW); the drops are found with the tracer: one forward-path packet from
//! each `cali*` interface of the node (when the node's interface names are known) or from each
//! interface-name class ([`crate::trace::TraceIndex::reach`]) otherwise, keeping the traces whose
//! deciding rule is commented "Unknown interface".

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::diff::{diff_rulesets, DiffOptions, DiffStatus};
use crate::model::{Backend, IfacePattern, MatchKind, Protocol, Ruleset, Table};
use crate::trace::{
    FinalVerdict, Packet, RuleRef, TraceIndex, TraceOptions, TracePath, TraceReport,
};

use super::felix::{felix_value, FelixDetection};
use super::finding::{Finding, Severity};

/// The comment Calico puts on the last rule of a dispatch chain.
pub const UNKNOWN_INTERFACE: &str = "Unknown interface";

/// Whether a chain or map name is a Calico workload dispatch chain or one of its sub-chains.
pub fn is_dispatch(name: &str) -> bool {
    name.contains("cali-from-wl-dispatch") || name.contains("cali-to-wl-dispatch")
}

/// One interface (or interface class) whose traffic an "Unknown interface" rule drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedInterface {
    /// The interface name, or a class description.
    pub interface: String,
    /// A witness name of the class (the name itself for a node interface).
    pub example: String,
    /// The deciding rule.
    pub rule: RuleRef,
    /// The backend that lists this interface in its dispatch chains, if only another one does.
    pub listed_in: Option<Backend>,
    /// The backend whose own rules accept the packet, when the drop overrules it.
    pub accepted_in: Option<Backend>,
}

fn backend_only(rs: &Ruleset, b: Backend) -> Ruleset {
    Ruleset {
        tables: rs
            .tables
            .iter()
            .filter(|t| t.backend == b)
            .cloned()
            .collect(),
        warnings: Vec::new(),
    }
}

/// Exact interface names tested by a backend's dispatch chains.
fn listed_names(rs: &Ruleset, b: Backend) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in rs.tables.iter().filter(|t| t.backend == b) {
        for c in t.chains.iter().filter(|c| is_dispatch(&c.name)) {
            for r in &c.rules {
                for m in &r.matches {
                    if let MatchKind::Interface { names, .. } = &m.kind {
                        for n in names {
                            if let IfacePattern::Exact(s) = n {
                                out.insert(s.clone());
                            }
                        }
                    }
                }
            }
        }
        for s in t.sets.iter().filter(|s| is_dispatch(&s.name)) {
            for e in &s.elements {
                if let Some(k) = e.split(':').next() {
                    out.insert(k.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    out
}

fn has_dispatch(t: &Table) -> bool {
    t.chains.iter().any(|c| is_dispatch(&c.name)) || t.sets.iter().any(|s| is_dispatch(&s.name))
}

/// The "Unknown interface" drop deciding a trace, if that is what decides it.
fn unknown_drop(rep: &TraceReport) -> Option<&RuleRef> {
    if rep.verdict != FinalVerdict::Drop {
        return None;
    }
    rep.decided_by.as_ref().filter(|r| {
        r.comment
            .as_deref()
            .is_some_and(|c| c.contains(UNKNOWN_INTERFACE))
    })
}

/// Dispatch chains and maps that differ between the backends, as evidence lines.
fn differing(rs: &Ruleset) -> Vec<String> {
    let legacy = backend_only(rs, Backend::Legacy);
    let nft = backend_only(rs, Backend::Nft);
    if legacy.tables.is_empty() || nft.tables.is_empty() {
        return Vec::new();
    }
    let d = diff_rulesets(&legacy, &nft, &DiffOptions::default());
    let mut out = Vec::new();
    for c in d.chains.iter().filter(|c| is_dispatch(&c.chain)) {
        let what = match c.status {
            DiffStatus::Same => continue,
            DiffStatus::OnlyOld => "only in legacy".to_string(),
            DiffStatus::OnlyNew => "only in nft".to_string(),
            DiffStatus::Changed => format!(
                "differs: legacy {} rules, nft {} rules",
                c.old_rules, c.new_rules
            ),
        };
        out.push(format!("{} {} {}: {what}", c.family, c.table, c.chain));
    }
    for s in d.sets.iter().filter(|s| is_dispatch(&s.set)) {
        if s.status != DiffStatus::Same {
            out.push(format!(
                "{} {} map {}: {}",
                s.family,
                s.table,
                s.set,
                s.status.as_str()
            ));
        }
    }
    out
}

/// Traces one forward packet per interface (node `cali*` names, else every class).
fn dropped(
    rs: &Ruleset,
    interfaces: Option<&[String]>,
    opts: &TraceOptions,
) -> Vec<DroppedInterface> {
    let idx = TraceIndex::new(rs);
    let legacy_names = listed_names(rs, Backend::Legacy);
    let nft_names = listed_names(rs, Backend::Nft);
    let oif = interfaces
        .and_then(|l| {
            l.iter()
                .find(|n| !n.starts_with("cali") && n.as_str() != "lo")
                .cloned()
        })
        .unwrap_or_else(|| "eth0".to_string());
    let v6 = rs
        .tables
        .iter()
        .any(|t| t.family.sees_ipv6() && !t.family.sees_ipv4() && has_dispatch(t));
    let mut addrs: Vec<(IpAddr, IpAddr)> =
        vec![(IpAddr::from([10, 0, 0, 1]), IpAddr::from([192, 0, 2, 1]))];
    if v6 {
        addrs.push((
            IpAddr::from([0xfd00, 0, 0, 0, 0, 0, 0, 1]),
            IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
        ));
    }
    let mut out: Vec<DroppedInterface> = Vec::new();
    for (src, dst) in addrs {
        let mut pkt = Packet::new(src, dst);
        pkt.path = TracePath::Forward;
        pkt.oif = Some(oif.clone());
        pkt.proto = Some(Protocol::UDP);
        pkt.dport = Some(9);
        let traces: Vec<(String, String, TraceReport)> = match interfaces {
            Some(names) => names
                .iter()
                .filter(|n| n.starts_with("cali"))
                .filter_map(|n| {
                    let mut p = pkt.clone();
                    p.iif = Some(n.clone());
                    idx.trace(&p, opts).ok().map(|r| (n.clone(), n.clone(), r))
                })
                .collect(),
            None => {
                pkt.iif = Some("cali".into());
                match idx.reach(&IfacePattern::Prefix("cali".into()), &pkt, opts) {
                    Ok(rep) => rep
                        .classes
                        .into_iter()
                        .map(|c| (c.description, c.example, c.trace))
                        .collect(),
                    Err(_) => Vec::new(),
                }
            }
        };
        for (interface, example, rep) in traces {
            let Some(rule) = unknown_drop(&rep) else {
                continue;
            };
            if out.iter().any(|d| d.example == example && d.rule == *rule) {
                continue;
            }
            let other = match rule.backend {
                Backend::Legacy => (Backend::Nft, &nft_names),
                Backend::Nft => (Backend::Legacy, &legacy_names),
            };
            out.push(DroppedInterface {
                interface,
                example: example.clone(),
                rule: rule.clone(),
                listed_in: other.1.contains(&example).then_some(other.0),
                accepted_in: rep.overruled.as_ref().map(|o| o.accepted_in),
            });
        }
    }
    out
}

fn rule_words(r: &RuleRef) -> String {
    let pos = match r.index {
        Some(i) => format!("rule {i}"),
        None => "policy".to_string(),
    };
    format!(
        "{} {} {} {} {pos} (\"{UNKNOWN_INTERFACE}\")",
        r.backend, r.family, r.table, r.chain
    )
}

/// The finding: differing dispatch chains, and interfaces dropped as unknown.
pub fn finding(
    rs: &Ruleset,
    interfaces: Option<&[String]>,
    felix: &FelixDetection,
    opts: &TraceOptions,
) -> Option<Finding> {
    if !rs.tables.iter().any(has_dispatch) {
        return None;
    }
    let diffs = differing(rs);
    let drops = dropped(rs, interfaces, opts);
    // Without the node's interface list every class is traced, and Calico drops names it does
    // not know by design; those are only news when the backends disagree.
    let stale_drops: Vec<&DroppedInterface> = drops
        .iter()
        .filter(|d| d.listed_in.is_some() || d.accepted_in.is_some())
        .collect();
    let node_drops = interfaces.is_some() && !drops.is_empty();
    if diffs.is_empty() && !node_drops {
        return None;
    }
    let mut evidence: Vec<String> = diffs.clone();
    for d in &drops {
        let mut line = format!("{}: dropped by {}", d.interface, rule_words(&d.rule));
        if let Some(b) = d.listed_in {
            line.push_str(&format!("; {b} lists it"));
        }
        if let Some(b) = d.accepted_in {
            line.push_str(&format!("; {b} alone would accept it"));
        }
        evidence.push(line);
    }
    let severity = if !stale_drops.is_empty() || node_drops {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let rec = felix.recommended.0;
    let other = match rec {
        Backend::Legacy => Backend::Nft,
        Backend::Nft => Backend::Legacy,
    };
    let advice = format!(
        "Set FELIX_IPTABLESBACKEND={} on calico-node so Felix keeps writing {rec} ({}), then \
         clean up the stale Calico rules in {other}: reboot the node (the kernel forgets both \
         backends and Felix rewrites {rec}), or flush and delete the cali- chains with the \
         {other} iptables binaries.",
        felix_value(rec),
        felix.recommended.1
    );
    let summary;
    let explanation;
    let headline = if node_drops {
        stale_drops.first().copied().or(drops.first())
    } else {
        stale_drops.first().copied()
    };
    if let Some(d) = headline {
        let names: Vec<&str> = stale_drops.iter().map(|d| d.interface.as_str()).collect();
        let who = if names.is_empty() {
            d.interface.clone()
        } else {
            names.join(", ")
        };
        summary = format!(
            "traffic from {who} is dropped by {} {} {} {} rule {} \"{UNKNOWN_INTERFACE}\"",
            d.rule.backend,
            d.rule.family,
            d.rule.table,
            d.rule.chain,
            d.rule.index.map(|i| i.to_string()).unwrap_or_default()
        );
        let listed = match d.listed_in {
            Some(b) => format!(
                " The {b} copy of Calico's rules lists {}, but the {} copy does not: it is a \
                 stale copy Felix no longer updates, and its last rule drops every interface it \
                 does not know.",
                d.example, d.rule.backend
            ),
            None => String::new(),
        };
        let accepted = match d.accepted_in {
            Some(b) => format!(
                " The {b} backend alone would accept these packets, but a drop in either \
                 backend is final."
            ),
            None => String::new(),
        };
        explanation = format!(
            "Pods behind {who} get no traffic: packets from {} are dropped by the {} backend, \
             table {} {}, chain {}, rule {} (\"{UNKNOWN_INTERFACE}\").{listed}{accepted} {}. \
             Fix: set FELIX_IPTABLESBACKEND={} and clean up the stale {other} rules (or reboot \
             the node).",
            d.example,
            d.rule.backend,
            d.rule.family,
            d.rule.table,
            d.rule.chain,
            d.rule
                .index
                .map(|i| i.to_string())
                .unwrap_or_else(|| "policy".into()),
            felix.choice_sentence(),
            felix_value(rec),
        );
    } else {
        summary = format!(
            "{} Calico dispatch chain(s) or map(s) differ between legacy and nf_tables",
            diffs.len()
        );
        explanation = format!(
            "Calico's interface-dispatch chains differ between the two backends, so one copy is \
             stale. No traced interface is dropped by an \"{UNKNOWN_INTERFACE}\" rule yet, but \
             the next pod whose interface only one copy lists will be. {}.",
            felix.choice_sentence()
        );
    }
    Some(Finding {
        id: "stale-dispatch",
        severity,
        summary,
        evidence,
        advice,
        explanation,
    })
}
