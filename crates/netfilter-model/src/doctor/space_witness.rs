//! The witness search of `stale-dispatch` on the packet-space engine: over every packet of the
//! pod's interface (one direction, one IP version, the pod's addresses when known), those the
//! listing backend alone accepts and the node drops at the stale "Unknown interface" rule.
//!
//! The engine compares the listing backend alone with the whole node
//! ([`semantic_diff`], by deciding rule, so every packet the unknown rule may drop is paired
//! with its fate in the listing backend). A pair whose listing side *must* accept and whose node
//! side *must* drop with the unknown rule among the deciding rules holds witnesses: the pair's
//! witness, its addresses swapped for natural ones where the tracer still agrees, is confirmed
//! by the concrete tracer ([`TracerWitnessSearch`]), so a [`Witness`] says exactly what the
//! tracer says. No such pair and none that is only *may*: the set is empty, proven over every
//! packet asked about. Only *may* pairs (matches or chain orders the engine cannot decide, a
//! verdict map, an address type), or an engine error: the tracer's candidate packets answer
//! ([`WitnessSource::TracerAfterSpace`]), then the engine's *may* witnesses.
//!
//! The packets asked about are new connections with mark 0 on the forward path between the
//! pod's interface and the uplink, from and to unicast addresses (`1.0.0.0`-`126.255.255.255`,
//! `128.0.0.0`-`223.255.255.255`; `2000::/3`, `fc00::/7`): the kernel forwards no others.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{AddrSpec, Backend, CtStateSet, IfacePattern, Protocol, Ruleset};
use crate::space::{partition, semantic_diff, Certainty, Fate, PacketClass, SpaceQuery};
use crate::trace::{FinalVerdict, Packet, TraceOptions, TracePath};

use super::dispatch_fate::PodDirection;
use super::witness::{
    rank, same_rule, TracerWitnessSearch, Witness, WitnessOutcome, WitnessQuery, WitnessSearch,
    WitnessSource,
};

/// Most engine witnesses confirmed by the tracer in one search.
const MAX_CONFIRMED: usize = 32;

/// Most engine examples (packets the listing backend denies) traced in one search.
const MAX_EXAMPLES: usize = 8;

/// Most reasons named when the engine leaves packets open.
const OPEN_REASONS: usize = 2;

/// Most natural pod and peer addresses tried in place of a witness's.
const NATURAL_TRIES: usize = 3;

/// [`WitnessSearch`] with the packet-space engine, falling back to [`TracerWitnessSearch`]
/// where the engine cannot decide.
pub struct SpaceWitnessSearch<'a> {
    rs: &'a Ruleset,
    legacy: &'a Ruleset,
    nft: &'a Ruleset,
    tracer: TracerWitnessSearch<'a>,
}

impl<'a> SpaceWitnessSearch<'a> {
    /// A search over the node ruleset `rs`; `legacy` and `nft` are its tables of one backend
    /// each, which the caller keeps.
    pub fn new(
        rs: &'a Ruleset,
        legacy: &'a Ruleset,
        nft: &'a Ruleset,
        opts: &TraceOptions,
    ) -> SpaceWitnessSearch<'a> {
        SpaceWitnessSearch {
            rs,
            legacy,
            nft,
            tracer: TracerWitnessSearch::new(rs, legacy, nft, opts),
        }
    }
}

/// What the engine says about a query.
#[derive(Debug)]
enum Answer {
    /// Packets the listing backend must accept and the node must drop, with the unknown rule
    /// among the deciding rules: one per class, those the unknown rule alone decides first.
    Found(Vec<Packet>),
    /// No packet the listing backend must accept is dropped by the unknown rule; whether it
    /// accepts some, and packets it denies that the unknown rule drops (surest first).
    Empty {
        listing_accepts: bool,
        examples: Vec<Packet>,
    },
    /// Only *may*: why, and the classes' witnesses.
    Open { reason: String, may: Vec<Packet> },
}

/// Which classes of a partition count.
type ClassFilter<'f> = dyn Fn(&PacketClass) -> bool + 'f;

/// Unicast addresses of one IP version.
fn unicast(v6: bool) -> Vec<AddrSpec> {
    let range = |a: [u8; 4], b: [u8; 4]| AddrSpec::Range {
        first: IpAddr::from(a),
        last: IpAddr::from(b),
    };
    let net = |s: &str| s.parse::<IpNet>().map(AddrSpec::net).ok();
    if v6 {
        ["2000::/3", "fc00::/7"]
            .into_iter()
            .filter_map(net)
            .collect()
    } else {
        vec![
            range([1, 0, 0, 0], [126, 255, 255, 255]),
            range([128, 0, 0, 0], [223, 255, 255, 255]),
        ]
    }
}

/// The packets asked about: new connections with mark 0 between the pod's interface and the
/// uplink, from or to the pod's addresses when known.
fn space_query(q: &WitnessQuery) -> SpaceQuery {
    let pods: Vec<AddrSpec> = q
        .pod_addrs
        .iter()
        .filter(|a| a.is_ipv6() == q.v6)
        .map(|a| AddrSpec::net(IpNet::from(*a)))
        .collect();
    let pods = if pods.is_empty() { unicast(q.v6) } else { pods };
    let pod_if = IfacePattern::Exact(q.interface.clone());
    let uplink = IfacePattern::Exact(q.uplink.clone());
    let sq = SpaceQuery::new(TracePath::Forward)
        .with_ct_state(CtStateSet(CtStateSet::NEW))
        .with_mark(0);
    match q.direction {
        PodDirection::FromPod => sq
            .with_iif(pod_if)
            .with_oif(uplink)
            .with_src(pods)
            .with_dst(unicast(q.v6)),
        PodDirection::ToPod => sq
            .with_iif(uplink)
            .with_oif(pod_if)
            .with_src(unicast(q.v6))
            .with_dst(pods),
    }
}

/// The engine's witness as `nfdiff trace` can give it (no ICMP code, the query's interfaces),
/// so the printed command reproduces the packet confirmed.
fn as_traced(q: &WitnessQuery, mut p: Packet) -> Packet {
    p.icmp_code = None;
    p.ct_mark = 0;
    p.path = TracePath::Forward;
    p.local_addrs = None;
    p.rpf_valid = true;
    let (iif, oif) = match q.direction {
        PodDirection::FromPod => (&q.interface, &q.uplink),
        PodDirection::ToPod => (&q.uplink, &q.interface),
    };
    p.iif = Some(iif.clone());
    p.oif = Some(oif.clone());
    p
}

impl SpaceWitnessSearch<'_> {
    fn listing(&self, q: &WitnessQuery) -> &Ruleset {
        match q.listing {
            Backend::Legacy => self.legacy,
            Backend::Nft => self.nft,
        }
    }

    /// The engine's answer for `q`; `Err` when the engine cannot analyse the rulesets.
    fn answer(&self, q: &WitnessQuery) -> Result<Answer, String> {
        let alone = self.listing(q);
        let sq = space_query(q);
        let d = semantic_diff(alone, self.rs, &sq, true).map_err(|e| e.to_string())?;
        let hits = |f: &Fate| {
            f.verdict == FinalVerdict::Drop
                && f.deciding.iter().any(|r| same_rule(r, &q.unknown_rule))
        };
        let mut found: Vec<(usize, Packet)> = Vec::new();
        let mut may: Vec<Packet> = Vec::new();
        let mut examples: Vec<((Certainty, Certainty, usize), Packet)> = Vec::new();
        let mut listing_accepts = false;
        for c in &d.differences {
            let accepts = c.old.verdict == FinalVerdict::Accept;
            listing_accepts |= accepts && c.old.certainty == Certainty::Must;
            if !hits(&c.new) {
                continue;
            }
            let sure = c.old.certainty == Certainty::Must && c.new.certainty == Certainty::Must;
            match (accepts, sure) {
                (true, true) => found.push((c.new.deciding.len(), c.witness.clone())),
                (true, false) => may.push(c.witness.clone()),
                (false, _) => examples.push((
                    (c.new.certainty, c.old.certainty, c.new.deciding.len()),
                    c.witness.clone(),
                )),
            }
        }
        if !found.is_empty() {
            found.sort_by_key(|(n, _)| *n);
            return Ok(Answer::Found(found.into_iter().map(|(_, p)| p).collect()));
        }
        if !may.is_empty() {
            return Ok(Answer::Open {
                reason: self.open_reason(q, &sq),
                may,
            });
        }
        if !listing_accepts {
            // packets the listing backend accepts and the node too, by the same rules, are in
            // no difference
            listing_accepts = partition(alone, &sq)
                .map_err(|e| e.to_string())?
                .classes
                .iter()
                .any(|c| c.verdict == FinalVerdict::Accept && c.certainty == Certainty::Must);
        }
        examples.sort_by_key(|(k, _)| *k);
        Ok(Answer::Empty {
            listing_accepts,
            examples: examples.into_iter().map(|(_, p)| p).collect(),
        })
    }

    /// Why the engine leaves these packets open: the reasons of the listing backend's *may*
    /// accepts and of the node's *may* classes the unknown rule decides (the first few).
    fn open_reason(&self, q: &WitnessQuery, sq: &SpaceQuery) -> String {
        let mut why: Vec<String> = Vec::new();
        let sides: [(&Ruleset, &ClassFilter<'_>); 2] = [
            (self.listing(q), &|c| c.verdict == FinalVerdict::Accept),
            (self.rs, &|c| {
                c.deciding.iter().any(|r| same_rule(r, &q.unknown_rule))
            }),
        ];
        for (rs, relevant) in sides {
            let Ok(p) = partition(rs, sq) else { continue };
            for c in p
                .classes
                .iter()
                .filter(|c| c.certainty == Certainty::May && relevant(c))
            {
                for r in &c.reasons {
                    if !why.contains(r) {
                        why.push(r.clone());
                    }
                }
            }
        }
        let more = why.len().saturating_sub(OPEN_REASONS);
        why.truncate(OPEN_REASONS);
        if more > 0 {
            why.push(format!("{more} more"));
        }
        let mut s =
            "the packet-space engine leaves the fate of some of these packets open".to_string();
        if !why.is_empty() {
            s.push_str(&format!(" ({})", why.join("; ")));
        }
        s
    }

    /// `w` with the pod's and the peer's address (and, for an example, the protocol) swapped
    /// for natural ones (those the tracer's candidates use), when the tracer gives the same
    /// answer, just as sure.
    fn natural(&self, q: &WitnessQuery, w: Witness) -> Witness {
        let (pods, peers) = self.tracer.natural_addresses(q);
        let (pod, peer) = match q.direction {
            PodDirection::FromPod => (w.packet.src, w.packet.dst),
            PodDirection::ToPod => (w.packet.dst, w.packet.src),
        };
        let pods: Vec<IpAddr> = pods.into_iter().take(NATURAL_TRIES).chain([pod]).collect();
        let peers: Vec<IpAddr> = peers
            .into_iter()
            .take(NATURAL_TRIES)
            .chain([peer])
            .collect();
        let mut shapes = Vec::new();
        if !w.accepted_alone {
            // an example needs no particular protocol: the tracer's first probe reads best
            let mut p = w.packet.clone();
            (p.proto, p.sport, p.dport) = (Some(Protocol::TCP), Some(40000), Some(80));
            (p.icmp_type, p.icmp_code) = (None, None);
            shapes.push(p);
        }
        shapes.push(w.packet.clone());
        for shape in &shapes {
            for (a, b) in pods
                .iter()
                .flat_map(|a| peers.iter().map(move |b| (*a, *b)))
            {
                let mut p = shape.clone();
                (p.src, p.dst) = match q.direction {
                    PodDirection::FromPod => (a, b),
                    PodDirection::ToPod => (b, a),
                };
                if p == w.packet {
                    continue;
                }
                let Some(e) = self.tracer.examine(q, &p) else {
                    continue;
                };
                let same = e.accepted_alone == w.accepted_alone;
                if let Some(n) = e.hit.filter(|n| same && rank(n) <= rank(&w)) {
                    return n;
                }
            }
        }
        w
    }

    /// Confirms engine witnesses (with `witnesses`; else examples) with the tracer: the
    /// surest confirmed one, made natural.
    fn confirm(
        &self,
        q: &WitnessQuery,
        packets: &[Packet],
        witnesses: bool,
        out: &mut WitnessOutcome,
    ) {
        let limit = if witnesses {
            MAX_CONFIRMED
        } else {
            MAX_EXAMPLES
        };
        for p in packets.iter().take(limit) {
            let p = as_traced(q, p.clone());
            let Some(e) = self.tracer.examine(q, &p) else {
                continue;
            };
            out.tried += 1;
            if !e.accepted_alone {
                out.denied_alone += 1;
            }
            let Some(w) = e.hit else { continue };
            if e.accepted_alone {
                if out.witness.as_ref().is_none_or(|o| rank(&w) < rank(o)) {
                    out.witness = Some(w);
                }
            } else if out.example.as_ref().is_none_or(|o| rank(&w) < rank(o)) {
                out.example = Some(w);
            }
            let sure = |w: &Option<Witness>| w.as_ref().is_some_and(|w| rank(w) == (false, false));
            if sure(&out.witness) || (!witnesses && sure(&out.example)) {
                break;
            }
        }
        if let Some(w) = out.witness.take() {
            out.witness = Some(self.natural(q, w));
        } else if let Some(e) = out.example.take() {
            out.example = Some(self.natural(q, e));
        }
    }

    /// The tracer's candidates, then the engine's *may* witnesses.
    fn fall_back(&self, q: &WitnessQuery, reason: String, may: &[Packet]) -> WitnessOutcome {
        let mut out = self.tracer.search(q);
        out.source = WitnessSource::TracerAfterSpace(reason);
        if out.witness.is_none() && !may.is_empty() {
            let mut extra = WitnessOutcome::new(out.source.clone());
            self.confirm(q, may, true, &mut extra);
            out.tried += extra.tried;
            out.denied_alone += extra.denied_alone;
            out.witness = extra.witness;
            if out.example.is_none() {
                out.example = extra.example;
            }
        }
        out
    }
}

impl WitnessSearch for SpaceWitnessSearch<'_> {
    fn search(&self, q: &WitnessQuery) -> WitnessOutcome {
        match self.answer(q) {
            Ok(Answer::Found(packets)) => {
                let mut out = WitnessOutcome::new(WitnessSource::Space);
                out.listing_accepts = Some(true);
                self.confirm(q, &packets, true, &mut out);
                if out.witness.is_some() {
                    return out;
                }
                self.fall_back(
                    q,
                    "the tracer did not confirm the packet-space engine's witnesses".into(),
                    &[],
                )
            }
            Ok(Answer::Empty {
                listing_accepts,
                examples,
            }) => {
                let mut out = WitnessOutcome::new(WitnessSource::Space);
                out.listing_accepts = Some(listing_accepts);
                self.confirm(q, &examples, false, &mut out);
                out
            }
            Ok(Answer::Open { reason, may }) => self.fall_back(q, reason, &may),
            Err(e) => self.fall_back(q, format!("the packet-space engine failed: {e}"), &[]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Family;
    use crate::trace::RuleRef;

    fn query(direction: PodDirection, v6: bool, pod_addrs: Vec<IpAddr>) -> WitnessQuery {
        WitnessQuery {
            interface: "cali1".into(),
            direction,
            v6,
            listing: Backend::Legacy,
            listing_table: (Family::Ip, "filter".into()),
            endpoint_chain: "cali-fw-cali1".into(),
            unknown_rule: RuleRef {
                backend: Backend::Nft,
                family: Family::Ip,
                table: "filter".into(),
                chain: "cali-from-wl-dispatch".into(),
                index: Some(1),
                policy: false,
                rule: "drop".into(),
                comment: None,
            },
            pod_addrs,
            uplink: "eth0".into(),
        }
    }

    #[test]
    fn the_query_is_the_pods_side_of_one_direction_and_version() {
        let pod: IpAddr = "10.0.0.7".parse().expect("addr");
        let sq = space_query(&query(PodDirection::FromPod, false, vec![pod]));
        assert_eq!(sq.iif, Some(IfacePattern::Exact("cali1".into())));
        assert_eq!(sq.oif, Some(IfacePattern::Exact("eth0".into())));
        assert_eq!(
            sq.src,
            vec![AddrSpec::net("10.0.0.7/32".parse().expect("net"))]
        );
        assert_eq!(sq.dst, unicast(false));
        assert_eq!(sq.ct_state, Some(CtStateSet(CtStateSet::NEW)));
        assert_eq!(sq.mark, Some(0));
        // to the pod, IPv6, address unknown: unicast IPv6 on both sides
        let sq = space_query(&query(PodDirection::ToPod, true, vec![pod]));
        assert_eq!(sq.oif, Some(IfacePattern::Exact("cali1".into())));
        assert_eq!(
            (sq.src.clone(), sq.dst.clone()),
            (unicast(true), unicast(true))
        );
        assert!(sq.src.iter().all(AddrSpec::is_ipv6));
        assert!(!unicast(false).iter().any(AddrSpec::is_ipv6));
    }

    #[test]
    fn traced_witnesses_are_what_nfdiff_trace_can_give() {
        let q = query(PodDirection::ToPod, false, Vec::new());
        let mut p = Packet::new(
            "192.0.2.1".parse().expect("addr"),
            "10.0.0.1".parse().expect("addr"),
        );
        p.proto = Some(Protocol(1));
        p.icmp_type = Some(8);
        p.icmp_code = Some(0);
        p.ct_mark = 5;
        let t = as_traced(&q, p);
        assert_eq!((t.icmp_type, t.icmp_code, t.ct_mark), (Some(8), None, 0));
        assert_eq!(
            (t.iif.as_deref(), t.oif.as_deref()),
            (Some("eth0"), Some("cali1"))
        );
    }
}
