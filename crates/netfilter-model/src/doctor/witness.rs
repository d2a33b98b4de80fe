//! The witness search of `stale-dispatch`: a packet the listing backend's own rules accept but
//! the node drops at the stale backend's "Unknown interface" rule.
//!
//! [`WitnessSearch`] is the boundary: [`TracerWitnessSearch`] tries candidate packets with the
//! concrete tracer; [`SpaceWitnessSearch`](super::SpaceWitnessSearch) answers the same
//! [`WitnessQuery`] over every packet with the packet-space engine and confirms its witnesses
//! here. Candidates come from the rules: the pod's addresses (node routes, else the address
//! matches of the pod's chains), and per rule of the chains the pod's endpoint chain reaches
//! (`cali-fw-*`/`cali-tw-*`, `cali-pi-*`/`cali-po-*`, profiles) its protocol, destination port
//! and peer address, plus a few common probes. Every candidate is traced through the listing
//! backend alone (it must accept, under every order and assumption) and through the whole
//! node (the "Unknown interface" rule must drop it, under some order of equal-priority chains).

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::model::{AddrSpec, Backend, Direction, Family, MatchKind, Protocol, Ruleset, Verdict};
use crate::trace::{FinalVerdict, Packet, RuleRef, TraceIndex, TraceOptions, TracePath};

use super::dispatch_fate::PodDirection;

/// Most candidate packets one search traces.
pub const MAX_CANDIDATES: usize = 96;

/// Source port of candidate TCP/UDP packets (policies rarely test it; a witness is concrete).
const CANDIDATE_SPORT: u16 = 40000;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessQuery {
    /// The pod's interface.
    pub interface: String,
    /// Which way the pod's traffic goes.
    pub direction: PodDirection,
    /// IPv6 rather than IPv4.
    pub v6: bool,
    /// The backend whose dispatch lists the interface.
    pub listing: Backend,
    /// Family and table of the listing dispatch.
    pub listing_table: (Family, String),
    /// The endpoint chain the listing dispatch continues in (`cali-fw-…`, `cali-tw-…`).
    pub endpoint_chain: String,
    /// The stale backend's "Unknown interface" rule.
    pub unknown_rule: RuleRef,
    /// The pod's addresses (from the node's routes), when known.
    pub pod_addrs: Vec<IpAddr>,
    /// The node's other interface for this traffic (uplink).
    pub uplink: String,
}

/// A packet and what the node does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The packet.
    pub packet: Packet,
    /// Whether the listing backend alone accepts it.
    pub accepted_alone: bool,
    /// What accepts it in the listing backend (when it does).
    pub accepted_by: Option<RuleRef>,
    /// The node's verdict under the listing order of equal-priority chains.
    pub verdict: FinalVerdict,
    /// What decides it under the listing order.
    pub decided_by: Option<RuleRef>,
    /// Whether the "Unknown interface" rule decides only under another order of
    /// equal-priority base chains.
    pub order_dependent: bool,
    /// Whether it decides only under other assumptions about matches the trace cannot decide
    /// (ipsets, lossy listings).
    pub uncertain: bool,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessOutcome {
    /// A packet the listing backend accepts and the node drops at the unknown rule.
    pub witness: Option<Witness>,
    /// Candidate packets tried.
    pub tried: usize,
    /// Of those, how many the listing backend alone denies.
    pub denied_alone: usize,
    /// A tried packet the unknown rule drops (under some order) although the listing backend
    /// denies it too: the example to show when there is no witness.
    pub example: Option<Witness>,
    /// Which search answered.
    pub source: WitnessSource,
    /// Whether the listing backend alone accepts some packet of the query, when the
    /// packet-space engine decided it over every packet; `None` when only the packets tried
    /// tell (`denied_alone < tried`).
    pub listing_accepts: Option<bool>,
}

impl WitnessOutcome {
    /// An outcome with nothing tried yet.
    pub fn new(source: WitnessSource) -> WitnessOutcome {
        WitnessOutcome {
            witness: None,
            tried: 0,
            denied_alone: 0,
            example: None,
            source,
            listing_accepts: None,
        }
    }

    /// Whether the listing backend alone accepts some packet of the query (over every packet
    /// when the engine decided it, else of the packets tried).
    pub fn listing_accepts_some(&self) -> bool {
        self.listing_accepts
            .unwrap_or(self.denied_alone < self.tried)
    }
}

/// Which [`WitnessSearch`] the doctor uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WitnessSearchKind {
    /// [`SpaceWitnessSearch`](super::SpaceWitnessSearch): every packet, by the packet-space
    /// engine, with the tracer where the engine cannot decide.
    #[default]
    PacketSpace,
    /// [`TracerWitnessSearch`]: candidate packets derived from the rules.
    Tracer,
}

/// Which search answered a [`WitnessQuery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessSource {
    /// Candidate packets derived from the rules, traced ([`TracerWitnessSearch`]).
    Tracer,
    /// The packet-space engine over every packet of the query; its witnesses confirmed by the
    /// tracer.
    Space,
    /// The packet-space engine could not decide (its answer was only *may*, or it failed: the
    /// reason); the tracer's candidate packets answered.
    TracerAfterSpace(String),
}

impl WitnessSource {
    /// `tracer`, `packet-space` or `tracer-after-packet-space`.
    pub fn as_str(&self) -> &'static str {
        match self {
            WitnessSource::Tracer => "tracer",
            WitnessSource::Space => "packet-space",
            WitnessSource::TracerAfterSpace(_) => "tracer-after-packet-space",
        }
    }
}

/// Finds witnesses: [`TracerWitnessSearch`] on candidate packets,
/// [`SpaceWitnessSearch`](super::SpaceWitnessSearch) over every packet.
pub trait WitnessSearch {
    /// Searches for a witness of `q`.
    fn search(&self, q: &WitnessQuery) -> WitnessOutcome;
}

/// [`WitnessSearch`] by tracing candidate packets derived from the rules.
pub struct TracerWitnessSearch<'a> {
    rs: &'a Ruleset,
    full: TraceIndex<'a>,
    legacy: TraceIndex<'a>,
    nft: TraceIndex<'a>,
    opts: TraceOptions,
}

impl<'a> TracerWitnessSearch<'a> {
    /// A search over the node ruleset `rs`; `legacy` and `nft` are its tables of one backend
    /// each, which the caller keeps.
    pub fn new(
        rs: &'a Ruleset,
        legacy: &'a Ruleset,
        nft: &'a Ruleset,
        opts: &TraceOptions,
    ) -> TracerWitnessSearch<'a> {
        TracerWitnessSearch {
            rs,
            full: TraceIndex::new(rs),
            legacy: TraceIndex::new(legacy),
            nft: TraceIndex::new(nft),
            opts: opts.clone(),
        }
    }
}

/// A host inside a prefix, clear of the network address and the usual gateway (`.1`).
fn host_in(spec: &AddrSpec) -> IpAddr {
    match spec {
        AddrSpec::Range { first, .. } => *first,
        AddrSpec::Net { net } => {
            let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
            let add: u128 = match host_bits {
                0 => 0,
                1 => 1,
                2..=4 => 2,
                _ => 10,
            };
            match net.network() {
                IpAddr::V4(a) => IpAddr::from(std::net::Ipv4Addr::from(
                    u32::from(a).wrapping_add(add as u32),
                )),
                IpAddr::V6(a) => {
                    IpAddr::from(std::net::Ipv6Addr::from(u128::from(a).wrapping_add(add)))
                }
            }
        }
    }
}

/// One candidate's protocol fields and peer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Shape {
    proto: Option<u8>,
    dport: Option<u16>,
    peer: Option<IpAddr>,
}

/// Chains reachable from `start` in one table, by jump, goto and verdict-map verdicts.
fn reachable(rs: &Ruleset, b: Backend, family: Family, table: &str, start: &str) -> Vec<String> {
    let Some(t) = rs.table(b, family, table) else {
        return Vec::new();
    };
    let mut seen: Vec<String> = vec![start.to_string()];
    let mut i = 0;
    while i < seen.len() {
        if let Some(c) = t.chain(&seen[i]) {
            for r in &c.rules {
                let mut targets = Vec::new();
                match &r.verdict {
                    Some(Verdict::Jump(n) | Verdict::Goto(n)) => targets.push(n.clone()),
                    Some(Verdict::Vmap(map)) => {
                        for v in map.chain_targets() {
                            if let Verdict::Jump(n) | Verdict::Goto(n) = v {
                                targets.push(n.clone());
                            }
                        }
                    }
                    _ => {}
                }
                for n in targets {
                    if !seen.contains(&n) {
                        seen.push(n);
                    }
                }
            }
        }
        i += 1;
    }
    seen
}

/// The shapes and pod-side addresses the pod's chains test.
fn shapes_from_rules(rs: &Ruleset, q: &WitnessQuery) -> (Vec<Shape>, Vec<IpAddr>) {
    let (family, table) = &q.listing_table;
    let (peer_dir, pod_dir) = match q.direction {
        PodDirection::FromPod => (Direction::Dst, Direction::Src),
        PodDirection::ToPod => (Direction::Src, Direction::Dst),
    };
    let mut shapes = BTreeSet::new();
    let mut pod = Vec::new();
    let Some(t) = rs.table(q.listing, *family, table) else {
        return (Vec::new(), pod);
    };
    for name in reachable(rs, q.listing, *family, table, &q.endpoint_chain) {
        let Some(c) = t.chain(&name) else { continue };
        // matches of rules that lead towards an accept (not of drops and rejects)
        for r in c
            .rules
            .iter()
            .filter(|r| !matches!(r.verdict, Some(Verdict::Drop | Verdict::Reject { .. })))
        {
            let mut s = Shape {
                proto: None,
                dport: None,
                peer: None,
            };
            let mut any = false;
            for m in r.matches.iter().filter(|m| !m.negated) {
                match &m.kind {
                    MatchKind::Protocol { protos } => {
                        if let Some(p) = protos.first() {
                            s.proto = Some(p.0);
                            any = true;
                        }
                    }
                    MatchKind::Port {
                        dir: Direction::Dst,
                        proto,
                        ports,
                    } => {
                        if let Some(p) = proto {
                            s.proto = Some(p.0);
                        }
                        s.dport = ports.first().map(|p| p.first);
                        any = true;
                    }
                    MatchKind::AnyPort { proto, ports } => {
                        if let Some(p) = proto {
                            s.proto = Some(p.0);
                        }
                        s.dport = ports.first().map(|p| p.first);
                        any = true;
                    }
                    MatchKind::Address { dir, addrs } => {
                        for a in addrs {
                            let h = host_in(a);
                            if h.is_ipv6() != q.v6 {
                                continue;
                            }
                            if *dir == peer_dir && s.peer.is_none() {
                                s.peer = Some(h);
                                any = true;
                            } else if *dir == pod_dir && !pod.contains(&h) {
                                pod.push(h);
                            }
                        }
                    }
                    _ => {}
                }
            }
            if any {
                shapes.insert(s);
            }
        }
    }
    // the pod's own chains (endpoint, anti-spoofing: `ip saddr != POD drop`) name its address
    for c in t.chains.iter().filter(|c| c.name.contains(&q.interface)) {
        for m in c.rules.iter().flat_map(|r| &r.matches) {
            if let MatchKind::Address { dir, addrs } = &m.kind {
                for h in addrs.iter().map(host_in) {
                    if *dir == pod_dir && h.is_ipv6() == q.v6 && !pod.contains(&h) {
                        pod.push(h);
                    }
                }
            }
        }
    }
    (shapes.into_iter().collect(), pod)
}

/// Common probes tried after the rule-derived ones.
fn default_shapes(v6: bool) -> Vec<Shape> {
    let icmp = if v6 { 58 } else { 1 };
    [
        (Some(6), Some(80)),
        (Some(17), Some(53)),
        (Some(icmp), None),
    ]
    .into_iter()
    .map(|(proto, dport)| Shape {
        proto,
        dport,
        peer: None,
    })
    .collect()
}

/// The peer address of candidates whose rules name none (a documentation address).
pub(super) fn default_peer(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10])
    } else {
        IpAddr::from([192, 0, 2, 10])
    }
}

impl TracerWitnessSearch<'_> {
    /// The pod addresses candidates use: the node's routes, else the pod's rules, else a
    /// private address.
    fn pods(&self, q: &WitnessQuery, rule_pods: Vec<IpAddr>) -> Vec<IpAddr> {
        let mut pods = q.pod_addrs.clone();
        if pods.is_empty() {
            pods = rule_pods;
        }
        if pods.is_empty() {
            pods.push(if q.v6 {
                IpAddr::from([0xfd00, 0, 0, 0, 0, 0, 0, 0x10])
            } else {
                IpAddr::from([10, 0, 0, 10])
            });
        }
        pods
    }

    /// Addresses a reader expects in a witness, most natural first: the pod's (as candidates
    /// use them) and the peers (the default one, then those the pod's rules name).
    pub(super) fn natural_addresses(&self, q: &WitnessQuery) -> (Vec<IpAddr>, Vec<IpAddr>) {
        let (shapes, rule_pods) = shapes_from_rules(self.rs, q);
        let mut peers = vec![default_peer(q.v6)];
        for p in shapes.iter().filter_map(|s| s.peer) {
            if !peers.contains(&p) {
                peers.push(p);
            }
        }
        (self.pods(q, rule_pods), peers)
    }

    fn candidates(&self, q: &WitnessQuery) -> Vec<Packet> {
        let (mut shapes, rule_pods) = shapes_from_rules(self.rs, q);
        shapes.extend(default_shapes(q.v6));
        let pods = self.pods(q, rule_pods);
        let default_peer = default_peer(q.v6);
        let mut out = Vec::new();
        for pod in &pods {
            for s in &shapes {
                let peer = s.peer.unwrap_or(default_peer);
                let (src, dst) = match q.direction {
                    PodDirection::FromPod => (*pod, peer),
                    PodDirection::ToPod => (peer, *pod),
                };
                let mut p = Packet::new(src, dst);
                p.path = TracePath::Forward;
                match q.direction {
                    PodDirection::FromPod => {
                        p.iif = Some(q.interface.clone());
                        p.oif = Some(q.uplink.clone());
                    }
                    PodDirection::ToPod => {
                        p.iif = Some(q.uplink.clone());
                        p.oif = Some(q.interface.clone());
                    }
                }
                p.proto = s.proto.map(Protocol);
                match s.proto {
                    Some(6 | 17 | 132 | 33) => {
                        p.sport = Some(CANDIDATE_SPORT);
                        p.dport = Some(s.dport.unwrap_or(80));
                    }
                    Some(1) => {
                        p.icmp_type = Some(8);
                    }
                    Some(58) => {
                        p.icmp_type = Some(128);
                    }
                    _ => {}
                }
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out.truncate(MAX_CANDIDATES);
        out
    }
}

/// Whether two references name the same rule (the text may be spelled differently).
pub(super) fn same_rule(a: &RuleRef, b: &RuleRef) -> bool {
    a.backend == b.backend
        && a.family == b.family
        && a.table == b.table
        && a.chain == b.chain
        && a.index == b.index
}

/// What tracing one packet shows.
pub(super) struct Examined {
    /// Whether the listing backend alone accepts it (under every order and assumption).
    pub(super) accepted_alone: bool,
    /// The packet as a witness (or example), when the unknown rule drops it under some order
    /// or assumption.
    pub(super) hit: Option<Witness>,
}

/// How sure a witness is: lower is surer.
pub(super) fn rank(w: &Witness) -> (bool, bool) {
    (w.uncertain, w.order_dependent)
}

impl TracerWitnessSearch<'_> {
    /// Traces `p` through the listing backend alone and through the whole node; `None` when
    /// either trace fails.
    pub(super) fn examine(&self, q: &WitnessQuery, p: &Packet) -> Option<Examined> {
        let alone = match q.listing {
            Backend::Legacy => &self.legacy,
            Backend::Nft => &self.nft,
        };
        let (Ok(a), Ok(f)) = (alone.trace(p, &self.opts), self.full.trace(p, &self.opts)) else {
            return None;
        };
        let accepted_alone = a.verdict == FinalVerdict::Accept
            && a.alternatives
                .iter()
                .all(|x| x.verdict == FinalVerdict::Accept);
        let primary = f.verdict == FinalVerdict::Drop
            && f.decided_by
                .as_ref()
                .is_some_and(|r| same_rule(r, &q.unknown_rule));
        let hits: Vec<_> = f
            .alternatives
            .iter()
            .filter(|x| {
                x.verdict == FinalVerdict::Drop
                    && x.decided_by
                        .as_ref()
                        .is_some_and(|r| same_rule(r, &q.unknown_rule))
            })
            .collect();
        let hit = (primary || !hits.is_empty()).then(|| Witness {
            packet: p.clone(),
            accepted_alone,
            accepted_by: accepted_alone.then(|| a.decided_by.clone()).flatten(),
            verdict: f.verdict,
            decided_by: f.decided_by.clone(),
            order_dependent: !primary && hits.iter().any(|x| !x.order.is_empty()),
            uncertain: !primary && hits.iter().all(|x| !x.assumptions.is_empty()),
        });
        Some(Examined {
            accepted_alone,
            hit,
        })
    }
}

impl WitnessSearch for TracerWitnessSearch<'_> {
    fn search(&self, q: &WitnessQuery) -> WitnessOutcome {
        let mut out = WitnessOutcome::new(WitnessSource::Tracer);
        for p in self.candidates(q) {
            let Some(e) = self.examine(q, &p) else {
                continue;
            };
            out.tried += 1;
            if !e.accepted_alone {
                out.denied_alone += 1;
            }
            let Some(w) = e.hit else { continue };
            if e.accepted_alone {
                if !w.uncertain {
                    out.witness = Some(w);
                    return out;
                }
                if out.witness.as_ref().is_none_or(|o| rank(&w) < rank(o)) {
                    out.witness = Some(w);
                }
                continue;
            }
            // prefer an example the unknown rule drops under the listing order, for certain
            if out.example.as_ref().is_none_or(|e| rank(&w) < rank(e)) {
                out.example = Some(w);
            }
        }
        out
    }
}

/// The `nfdiff trace` arguments that reproduce `p` (after the sources).
pub fn trace_args(p: &Packet) -> String {
    let mut s = String::new();
    if let Some(i) = &p.iif {
        s.push_str(&format!("--iif {i} "));
    }
    if let Some(o) = &p.oif {
        s.push_str(&format!("--oif {o} "));
    }
    s.push_str(&format!("--src {} --dst {}", p.src, p.dst));
    if let Some(proto) = p.proto {
        let name = match proto.0 {
            6 => "tcp".to_string(),
            17 => "udp".to_string(),
            1 => "icmp".to_string(),
            58 => "icmpv6".to_string(),
            n => n.to_string(),
        };
        s.push_str(&format!(" --proto {name}"));
    }
    if let Some(sp) = p.sport {
        s.push_str(&format!(" --sport {sp}"));
    }
    if let Some(dp) = p.dport {
        s.push_str(&format!(" --dport {dp}"));
    }
    if let Some(t) = p.icmp_type {
        s.push_str(&format!(" --icmp-type {t}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipnet::IpNet;

    #[test]
    fn candidates_take_the_pod_address_from_its_anti_spoofing_chain() {
        let p = format!(
            "{}/../../testdata/trace-kernel/native-current.nft",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(p).expect("fixture");
        let rs = crate::parse::parse_text(&text, &crate::parse::ParseOptions::new("native"))
            .expect("parses");
        let empty = Ruleset::default();
        let opts = TraceOptions::default();
        let search = TracerWitnessSearch::new(&rs, &empty, &rs, &opts);
        let q = WitnessQuery {
            interface: "cali1a2b3c4d5e6".into(),
            direction: PodDirection::FromPod,
            v6: false,
            listing: Backend::Nft,
            listing_table: (Family::Ip, "calico".into()),
            endpoint_chain: "filter-cali-fw-cali1a2b3c4d5e6".into(),
            unknown_rule: RuleRef {
                backend: Backend::Legacy,
                family: Family::Ip,
                table: "filter".into(),
                chain: "cali-from-wl-dispatch".into(),
                index: Some(1),
                policy: false,
                rule: "drop".into(),
                comment: None,
            },
            pod_addrs: Vec::new(),
            uplink: "eth1".into(),
        };
        let c = search.candidates(&q);
        assert!(!c.is_empty());
        assert!(
            c.iter().all(|p| p.src.to_string() == "10.244.1.12"),
            "{:?}",
            c.iter().map(|p| p.src).collect::<Vec<_>>()
        );
        // its egress policy allows DNS: a candidate asks exactly that
        assert!(c
            .iter()
            .any(|p| p.proto == Some(Protocol::UDP) && p.dport == Some(53)));
    }

    #[test]
    fn hosts_avoid_network_and_gateway() {
        let h = |s: &str| host_in(&AddrSpec::net(s.parse::<IpNet>().expect("net")));
        assert_eq!(h("192.168.50.0/24").to_string(), "192.168.50.10");
        assert_eq!(h("10.0.0.7/32").to_string(), "10.0.0.7");
        assert_eq!(h("10.0.0.4/30").to_string(), "10.0.0.6");
        assert_eq!(h("fd00:50::/64").to_string(), "fd00:50::a");
    }
}
