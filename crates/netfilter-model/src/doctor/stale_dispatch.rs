//! `stale-dispatch`: Calico interface-dispatch chains (and native dispatch maps) that differ
//! between backends, and every pod interface one backend's dispatch lists while another's
//! drops it as an "Unknown interface", with a witness packet.
//!
//! The dispatch chains are compared with the diff engine ([`crate::diff::diff_rulesets`], legacy
//! as OLD, nf_tables as NEW). Whether a dispatch drops an interface is decided from the
//! dispatch chains alone ([`DispatchProbe`]), for each interface name (the node's, when known,
//! else every name a dispatch lists), in both directions and for IPv4 and IPv6. For each such
//! drop a [`WitnessSearch`] looks for a packet the listing backend accepts but the node drops.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::diff::{diff_rulesets, DiffOptions, DiffStatus};
use crate::model::{Backend, IfacePattern, MatchKind, Ruleset};
use crate::trace::{iface_classes, RuleRef, TraceIndex, TraceOptions};

use super::diagnose::DoctorOptions;
use super::dispatch_fate::{
    dispatch_roots, is_dispatch, DispatchFate, DispatchProbe, PodDirection, UNKNOWN_INTERFACE,
};
use super::felix::{felix_value, FelixDetection};
use super::finding::{Finding, Severity};
use super::node::NodeFacts;
use super::space_witness::SpaceWitnessSearch;
use super::witness::{
    trace_args, TracerWitnessSearch, Witness, WitnessOutcome, WitnessQuery, WitnessSearch,
    WitnessSearchKind, WitnessSource,
};

/// One interface whose traffic (in one direction and IP version) an "Unknown interface" rule
/// drops for every packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchDrop {
    /// The interface name (for a class of names: the witness name used).
    pub interface: String,
    /// The class of names in words, when `interface` stands for a class (from dumps: "any
    /// other name starting with `cali1`"); `None` for the name itself.
    pub class: Option<String>,
    /// Which way the traffic goes.
    pub direction: PodDirection,
    /// IPv6 rather than IPv4.
    pub v6: bool,
    /// The "Unknown interface" rule that drops it.
    pub rule: RuleRef,
    /// The backend whose dispatch lists it, with the endpoint chain it continues in; `None`
    /// when no copy lists it (a node interface Calico does not know).
    pub listed_in: Option<(Backend, String)>,
    /// The witness search, when another backend lists the interface.
    pub search: Option<WitnessOutcome>,
    /// The `nfdiff trace` command of the witness (or, without one, of the example tried).
    pub command: Option<String>,
}

impl DispatchDrop {
    /// Whether the search found no witness although the listing backend accepts some packets
    /// it tried: those never reach the stale dispatch (an earlier rule decides them), so the
    /// drop is not shown to happen.
    pub fn unreached(&self) -> bool {
        self.search
            .as_ref()
            .is_some_and(|s| s.witness.is_none() && s.listing_accepts_some())
    }
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

/// Exact interface names tested by any dispatch chain or listed in a dispatch map.
fn listed_names(rs: &Ruleset) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in &rs.tables {
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

/// Dispatch chains and maps that differ between the backends, as evidence lines.
fn differing(legacy: &Ruleset, nft: &Ruleset) -> Vec<String> {
    if legacy.tables.is_empty() || nft.tables.is_empty() {
        return Vec::new();
    }
    let d = diff_rulesets(legacy, nft, &DiffOptions::default());
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

/// The interface the node uses for the other end of a pod's traffic: the default route's,
/// else the first interface that is neither a pod's nor loopback, else `eth0`.
fn uplink(node: &NodeFacts, v6: bool) -> String {
    if let Some(r) = node.routes.as_ref().and_then(|rs| {
        rs.iter()
            .find(|r| r.dst.prefix_len() == 0 && r.dst.addr().is_ipv6() == v6)
    }) {
        return r.dev.clone();
    }
    node.interfaces
        .as_ref()
        .and_then(|l| {
            l.iter()
                .find(|n| !n.starts_with("cali") && n.as_str() != "lo")
                .cloned()
        })
        .unwrap_or_else(|| "eth0".to_string())
}

/// The pod's addresses of one version, from the node's routes through its interface.
fn pod_addrs(node: &NodeFacts, interface: &str, v6: bool) -> Vec<IpAddr> {
    node.routes
        .iter()
        .flatten()
        .filter(|r| r.dev == interface && r.dst.addr().is_ipv6() == v6)
        .map(|r| {
            if r.dst.prefix_len() == r.dst.max_prefix_len() {
                r.dst.addr()
            } else {
                r.dst.hosts().next().unwrap_or_else(|| r.dst.addr())
            }
        })
        .collect()
}

/// Every interface whose traffic a dispatch drops as unknown: listed by another backend
/// (with a witness search), or — on a node — listed by none.
pub fn dispatch_drops(
    rs: &Ruleset,
    node: &NodeFacts,
    search: &dyn WitnessSearch,
    opts: &TraceOptions,
) -> Vec<DispatchDrop> {
    let probes: Vec<DispatchProbe> = dispatch_roots(rs)
        .iter()
        .filter_map(|r| DispatchProbe::new(rs, r))
        .collect();
    // name -> its class in words, when it stands for a class of names rather than itself
    let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
    match &node.interfaces {
        Some(ifs) => {
            let listed = listed_names(rs);
            for n in ifs
                .iter()
                .filter(|n| n.starts_with("cali") || listed.contains(*n))
            {
                names.insert(n.clone(), None);
            }
        }
        None => {
            for n in listed_names(rs) {
                names.insert(n, None);
            }
            // every other class of `cali*` names the rules tell apart, by a witness name
            let idx = TraceIndex::new(rs);
            for c in iface_classes(&idx, &IfacePattern::Prefix("cali".into())) {
                names
                    .entry(c.example)
                    .or_insert_with(|| c.prefix.is_some().then_some(c.description));
            }
        }
    }
    let name_list: Vec<&str> = names.keys().map(String::as_str).collect();
    // fate of every name in every root, each root indexed once
    let all: Vec<Vec<DispatchFate>> = probes.iter().map(|p| p.fates(&name_list, opts)).collect();
    let mut out = Vec::new();
    for (ni, (name, class)) in names.iter().enumerate() {
        for direction in [PodDirection::FromPod, PodDirection::ToPod] {
            for v6 in [false, true] {
                let fates: Vec<(&DispatchProbe, DispatchFate)> = probes
                    .iter()
                    .zip(&all)
                    .filter(|(p, _)| p.root().direction == direction)
                    .filter(|(p, _)| {
                        if v6 {
                            p.root().family.sees_ipv6()
                        } else {
                            p.root().family.sees_ipv4()
                        }
                    })
                    .map(|(p, f)| (p, f[ni].clone()))
                    .collect();
                let Some((dropper, rule)) = fates.iter().find_map(|(p, f)| match f {
                    DispatchFate::Unknown(r) => Some((p.root().backend, r.clone())),
                    _ => None,
                }) else {
                    continue;
                };
                let lister = fates.iter().find_map(|(p, f)| match f {
                    DispatchFate::Listed { target } if p.root().backend != dropper => {
                        Some((*p, target.clone()))
                    }
                    _ => None,
                });
                let listed_anywhere = fates
                    .iter()
                    .any(|(_, f)| matches!(f, DispatchFate::Listed { .. }));
                let search = match &lister {
                    Some((p, target)) => Some(search.search(&WitnessQuery {
                        interface: name.clone(),
                        direction,
                        v6,
                        listing: p.root().backend,
                        listing_table: (p.root().family, p.root().table.clone()),
                        endpoint_chain: target.clone(),
                        unknown_rule: rule.clone(),
                        pod_addrs: pod_addrs(node, name, v6),
                        uplink: uplink(node, v6),
                    })),
                    // a node interface no copy lists
                    None if node.interfaces.is_some() && !listed_anywhere => None,
                    None => continue,
                };
                out.push(DispatchDrop {
                    interface: name.clone(),
                    class: class.clone(),
                    direction,
                    v6,
                    rule,
                    listed_in: lister.map(|(p, t)| (p.root().backend, t)),
                    search,
                    command: None,
                });
            }
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

/// `nfdiff trace SOURCES ARGS`, with sources quoted for a POSIX shell where needed.
fn trace_command(sources: &[String], args: &str) -> String {
    let quoted: Vec<String> = if sources.is_empty() {
        vec!["SOURCE...".to_string()]
    } else {
        sources
            .iter()
            .map(|s| {
                if s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/._-:+=@,".contains(c))
                {
                    s.clone()
                } else {
                    format!("'{}'", s.replace('\'', "'\\''"))
                }
            })
            .collect()
    };
    format!("nfdiff trace {} {args}", quoted.join(" "))
}

/// How a drop's interface is named: a node's interface as is, a name from the dumps quoted.
fn label(d: &DispatchDrop, node: &NodeFacts) -> String {
    if let Some(c) = &d.class {
        format!("{c} (e.g. {})", d.interface)
    } else if node.interfaces.is_some() {
        d.interface.clone()
    } else {
        format!("`{}`", d.interface)
    }
}

/// When the stale rule decides only in some cases: which.
fn qualifier(w: &Witness) -> String {
    let mut q = String::new();
    if w.order_dependent {
        q.push_str(" under another order of the equal-priority base chains, order_dependent");
    }
    if w.uncertain {
        q.push_str(" if matches the dumps cannot decide go the other way, uncertain");
    }
    q
}

/// Without a witness, after the engine could not decide: why candidate packets answered.
fn fallback_note(s: &WitnessOutcome) -> Option<String> {
    match &s.source {
        WitnessSource::TracerAfterSpace(why) => Some(format!(
            "candidate packets were tried because {why}; packets no candidate covers may still \
             be witnesses"
        )),
        _ => None,
    }
}

/// The evidence lines of one drop.
fn drop_evidence(d: &DispatchDrop, node: &NodeFacts, sources: &[String]) -> Vec<String> {
    let who = label(d, node);
    let ipv = if d.v6 { "IPv6" } else { "IPv4" };
    let mut line = format!("{who}: dropped by {}", rule_words(&d.rule));
    match &d.listed_in {
        Some((b, _)) => line.push_str(&format!("; {b} lists it")),
        None => line.push_str("; no copy of Calico's rules lists it"),
    }
    let mut out = Vec::new();
    match &d.search {
        Some(s) => match &s.witness {
            Some(w) => {
                if let Some((b, _)) = &d.listed_in {
                    line.push_str(&format!("; {b} alone would accept it"));
                }
                out.push(line);
                out.push(format!(
                    "witness ({ipv} {} the pod, {} accepts it, the node drops it{}): {}",
                    d.direction.preposition(),
                    d.listed_in.as_ref().map(|l| l.0.as_str()).unwrap_or("-"),
                    qualifier(w),
                    trace_command(sources, &trace_args(&w.packet))
                ));
            }
            None if d.unreached() => {
                let b = d.listed_in.as_ref().map(|l| l.0.as_str()).unwrap_or("-");
                match (&s.source, s.listing_accepts) {
                    (WitnessSource::Space, Some(_)) => line.push_str(&format!(
                        "; but no packet reaches it: the packet-space engine shows every packet \
                         {} the pod that {b} accepts is decided before the stale dispatch",
                        d.direction.preposition(),
                    )),
                    _ => line.push_str(&format!(
                        "; but no packet tried reaches it: {} of the {} tried, which {b} \
                         accepts, are decided before the stale dispatch",
                        s.tried - s.denied_alone,
                        s.tried,
                    )),
                }
                out.push(line);
                out.extend(fallback_note(s));
            }
            None => {
                let b = d.listed_in.as_ref().map(|l| l.0.as_str()).unwrap_or("-");
                match (&s.source, s.listing_accepts) {
                    (WitnessSource::Space, Some(_)) => line.push_str(&format!(
                        "; no witness: the pod's current policy ({b}'s own rules) also denies \
                         every packet {} the pod (proven by the packet-space engine)",
                        d.direction.preposition(),
                    )),
                    _ => line.push_str(&format!(
                        "; no witness: the pod's current policy ({b}'s own rules) also denies \
                         every packet tried ({})",
                        s.tried
                    )),
                }
                out.push(line);
                if let Some(e) = &s.example {
                    let el = format!(
                        "tried ({ipv} {} the pod, the \"{UNKNOWN_INTERFACE}\" rule drops it{}): {}",
                        d.direction.preposition(),
                        qualifier(e),
                        trace_command(sources, &trace_args(&e.packet))
                    );
                    out.push(el);
                }
                out.extend(fallback_note(s));
            }
        },
        None => out.push(line),
    }
    out
}

/// The finding: differing dispatch chains, and interfaces dropped as unknown.
pub fn finding(
    rs: &Ruleset,
    node: &NodeFacts,
    felix: &FelixDetection,
    doctor: &DoctorOptions,
) -> Option<Finding> {
    let (opts, sources) = (&doctor.trace, doctor.sources.as_slice());
    if dispatch_roots(rs).is_empty()
        && !rs
            .tables
            .iter()
            .any(|t| t.sets.iter().any(|s| is_dispatch(&s.name)))
    {
        return None;
    }
    let legacy = backend_only(rs, Backend::Legacy);
    let nft = backend_only(rs, Backend::Nft);
    let diffs = differing(&legacy, &nft);
    let search: Box<dyn WitnessSearch> = match doctor.witness_search {
        WitnessSearchKind::PacketSpace => {
            Box::new(SpaceWitnessSearch::new(rs, &legacy, &nft, opts))
        }
        WitnessSearchKind::Tracer => Box::new(TracerWitnessSearch::new(rs, &legacy, &nft, opts)),
    };
    let mut drops = dispatch_drops(rs, node, search.as_ref(), opts);
    for d in &mut drops {
        let s = d.search.as_ref();
        d.command = s
            .and_then(|s| s.witness.as_ref().or(s.example.as_ref()))
            .map(|w| trace_command(sources, &trace_args(&w.packet)));
    }
    if diffs.is_empty() && drops.is_empty() {
        return None;
    }
    let mut evidence: Vec<String> = diffs.clone();
    for d in &drops {
        evidence.extend(drop_evidence(d, node, sources));
    }
    let severity = if drops.iter().any(|d| !d.unreached()) {
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
    // the headline: one with a witness first, then any the listing backend knows
    let witnessed = |d: &&DispatchDrop| {
        d.search
            .as_ref()
            .is_some_and(|s| s.witness.as_ref().is_some_and(|w| !w.uncertain))
    };
    let headline = drops
        .iter()
        .filter(witnessed)
        .chain(
            drops
                .iter()
                .filter(|d| d.listed_in.is_some() && !d.unreached()),
        )
        .chain(drops.iter().filter(|d| !d.unreached()))
        .next();
    let (summary, explanation) = match headline {
        Some(d) => {
            let mut names: Vec<String> = Vec::new();
            for x in drops
                .iter()
                .filter(|x| x.listed_in.is_some() == d.listed_in.is_some() && !x.unreached())
            {
                let l = label(x, node);
                if !names.contains(&l) {
                    names.push(l);
                }
            }
            /// Names listed in the summary; the evidence lists them all.
            const SHOWN: usize = 5;
            let who = if names.len() > SHOWN {
                format!(
                    "{} and {} more",
                    names[..SHOWN].join(", "),
                    names.len() - SHOWN
                )
            } else {
                names.join(", ")
            };
            let dir = d.direction.preposition();
            let summary = format!(
                "traffic {dir} {who} is dropped by {} {} {} {} rule {} \"{UNKNOWN_INTERFACE}\"",
                d.rule.backend,
                d.rule.family,
                d.rule.table,
                d.rule.chain,
                d.rule.index.map(|i| i.to_string()).unwrap_or_default()
            );
            let listed = match &d.listed_in {
                Some((b, _)) => format!(
                    " The {b} copy of Calico's rules lists {}, but the {} copy does not: it is \
                     a stale copy Felix no longer updates, and its last rule drops every \
                     interface it does not know.",
                    d.interface, d.rule.backend
                ),
                None => String::new(),
            };
            let accepted = match (&d.listed_in, d.search.as_ref().map(|s| &s.witness)) {
                (Some((b, _)), Some(Some(_))) => format!(
                    " The {b} backend alone would accept these packets, but a drop in either \
                     backend is final."
                ),
                (Some((b, _)), Some(None)) => format!(
                    " The pod's current policy in the {b} copy also denies every packet tried, \
                     but the stale drop takes every packet its policy will ever allow."
                ),
                _ => String::new(),
            };
            let explanation = format!(
                "Pods behind {who} get no traffic: packets {dir} {} are dropped by the {} \
                 backend, table {} {}, chain {}, rule {} (\"{UNKNOWN_INTERFACE}\").{listed}\
                 {accepted} {}. Fix: set FELIX_IPTABLESBACKEND={} and clean up the stale \
                 {other} rules (or reboot the node).",
                d.interface,
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
            (summary, explanation)
        }
        None => (
            format!(
                "{} Calico dispatch chain(s) or map(s) differ between legacy and nf_tables",
                diffs.len()
            ),
            format!(
                "Calico's interface-dispatch chains differ between the two backends, so one copy \
                 is stale. No interface is dropped by an \"{UNKNOWN_INTERFACE}\" rule yet, but \
                 the next pod whose interface only one copy lists will be. {}.",
                felix.choice_sentence()
            ),
        ),
    };
    Some(Finding {
        id: super::finding::FindingId::StaleDispatch,
        severity,
        summary,
        evidence,
        advice,
        explanation,
        dispatch_drops: drops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_text, ParseOptions};

    const CURRENT: &str = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n\
        :OUTPUT ACCEPT [0:0]\n:cali-from-wl-dispatch - [0:0]\n:cali-fw-shared - [0:0]\n\
        -A FORWARD -i cali+ -j cali-from-wl-dispatch\n\
        -A cali-from-wl-dispatch -i cali7+ -g cali-fw-shared\n\
        -A cali-from-wl-dispatch -m comment --comment \"Unknown interface\" -j DROP\n\
        -A cali-fw-shared -j ACCEPT\nCOMMIT\n";

    /// A dispatch that takes a whole prefix: from dumps, the class of names is found and
    /// named, with a witness name of the class.
    #[test]
    fn a_listed_prefix_class_is_found_from_dumps() {
        let stale = CURRENT.replace("-A cali-from-wl-dispatch -i cali7+ -g cali-fw-shared\n", "");
        let mut rs = parse_text(
            CURRENT,
            &ParseOptions::new("current").with_backend(Some(Backend::Legacy)),
        )
        .expect("parses");
        rs.extend(
            parse_text(
                &stale,
                &ParseOptions::new("stale").with_backend(Some(Backend::Nft)),
            )
            .expect("parses"),
        );
        let opts = TraceOptions::default();
        let legacy = backend_only(&rs, Backend::Legacy);
        let nft = backend_only(&rs, Backend::Nft);
        let search = TracerWitnessSearch::new(&rs, &legacy, &nft, &opts);
        let drops = dispatch_drops(&rs, &NodeFacts::default(), &search, &opts);
        assert_eq!(drops.len(), 1, "{drops:?}");
        let d = &drops[0];
        assert!(d.interface.starts_with("cali7"), "{d:?}");
        assert!(
            d.class.as_deref().is_some_and(|c| c.contains("cali7")),
            "{d:?}"
        );
        assert_eq!(
            d.listed_in,
            Some((Backend::Legacy, "cali-fw-shared".into()))
        );
        assert_eq!(d.rule.backend, Backend::Nft);
        let w = d.search.as_ref().and_then(|s| s.witness.as_ref());
        assert!(w.is_some_and(|w| w.accepted_alone), "{d:?}");
        // a stale copy whose dispatch nothing reaches: the drop is reported, but not critical
        let unreached = stale.replace("-A FORWARD -i cali+ -j cali-from-wl-dispatch\n", "");
        let mut rs2 = parse_text(
            CURRENT,
            &ParseOptions::new("current").with_backend(Some(Backend::Legacy)),
        )
        .expect("parses");
        rs2.extend(
            parse_text(
                &unreached,
                &ParseOptions::new("stale").with_backend(Some(Backend::Nft)),
            )
            .expect("parses"),
        );
        let legacy2 = backend_only(&rs2, Backend::Legacy);
        let nft2 = backend_only(&rs2, Backend::Nft);
        let search2 = TracerWitnessSearch::new(&rs2, &legacy2, &nft2, &opts);
        let drops2 = dispatch_drops(&rs2, &NodeFacts::default(), &search2, &opts);
        assert_eq!(drops2.len(), 1);
        assert!(drops2[0].unreached(), "{drops2:?}");
        // the packet-space engine proves it: the listing backend accepts packets of the
        // class, none reaches the stale dispatch
        let space2 = SpaceWitnessSearch::new(&rs2, &legacy2, &nft2, &opts);
        let drops3 = dispatch_drops(&rs2, &NodeFacts::default(), &space2, &opts);
        assert_eq!(drops3.len(), 1);
        let s = drops3[0].search.as_ref().expect("searched");
        assert_eq!(
            (&s.source, s.listing_accepts, s.witness.is_none()),
            (&WitnessSource::Space, Some(true), true),
            "{s:?}"
        );
        assert!(drops3[0].unreached());
        let ev = drop_evidence(&drops3[0], &NodeFacts::default(), &[]);
        assert!(
            ev[0].contains("but no packet reaches it: the packet-space engine shows"),
            "{ev:?}"
        );
        // and finds the witness of the reached copy
        let space = SpaceWitnessSearch::new(&rs, &legacy, &nft, &opts);
        let drops = dispatch_drops(&rs, &NodeFacts::default(), &space, &opts);
        let s = drops[0].search.as_ref().expect("searched");
        assert_eq!(s.source, WitnessSource::Space);
        assert!(
            s.witness.as_ref().is_some_and(|w| w.accepted_alone),
            "{s:?}"
        );
        let f = finding(
            &rs2,
            &NodeFacts::default(),
            &FelixDetection::compute(&rs2, &NodeFacts::default().with_derived_saves(&rs2)),
            &DoctorOptions::default().witness_search(WitnessSearchKind::Tracer),
        )
        .expect("a finding");
        assert_eq!(f.severity, Severity::Warning, "{f:?}");
        assert!(f
            .evidence
            .iter()
            .any(|e| e.contains("but no packet tried reaches it")));
        // on a node, only its own interfaces count
        let node = NodeFacts {
            interfaces: Some(vec!["cali7abc".into(), "eth0".into()]),
            ..NodeFacts::default()
        };
        let drops = dispatch_drops(&rs, &node, &search, &opts);
        assert_eq!(drops.len(), 1);
        assert_eq!(
            (drops[0].interface.as_str(), &drops[0].class),
            ("cali7abc", &None)
        );
    }
}
