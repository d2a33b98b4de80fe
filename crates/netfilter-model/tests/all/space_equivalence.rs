//! The fixtures of `testdata/space-equivalence` (issue 15): listings of one ruleset and pairs
//! written differently are the same firewall; the pairs that are not have the documented
//! witness, and the concrete tracer agrees with both claims.

use std::net::IpAddr;

use netfilter_model::model::{CtStateSet, Protocol, Ruleset};
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::trace::{trace, FinalVerdict, Packet, TraceOptions, TracePath, TraceReport};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/space-equivalence"
);

/// Reads one fixture file (relative to `testdata/space-equivalence`), sniffing its format.
pub fn fixture(name: &str) -> Ruleset {
    let path = format!("{DIR}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_text(&text, &ParseOptions::new(path.as_str()))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The listings of `base.rules` and `base-native.nft` that keep every packet-deciding part
/// (the iptables-nft JSON listing does not: see the fixture README).
pub const BASE_LISTINGS: &[&str] = &[
    "base.legacy.save",
    "base.nft.save",
    "base.nft.txt",
    "base-native.txt",
    "base-native.json",
];

/// Pairs that are the same firewall: `(old, new)`.
pub const EQUIVALENT_PAIRS: &[(&str, &str)] = &[
    ("reorder-a.legacy.save", "reorder-b.legacy.save"),
    ("reorder-a.nft.txt", "reorder-b.legacy.save"),
    ("inline-a.legacy.save", "inline-b.legacy.save"),
    ("inline-a.legacy.save", "inline-b.nft.txt"),
    ("multiport-a.legacy.save", "multiport-b.legacy.save"),
    ("multiport-a.legacy.save", "multiport-b-native.json"),
    ("multiport-a.nft.save", "multiport-b-native.txt"),
];

/// A pair that is not the same firewall, with one packet whose fate differs.
pub struct Refuted {
    /// Old side (relative to `testdata/space-equivalence`).
    pub old: &'static str,
    /// New side.
    pub new: &'static str,
    /// The witness.
    pub packet: fn() -> Packet,
    /// Verdict and deciding chain/index on the old side (`None`: the policy).
    pub old_fate: (FinalVerdict, &'static str, Option<usize>),
    /// The same on the new side.
    pub new_fate: (FinalVerdict, &'static str, Option<usize>),
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// A new-connection packet on the forward path.
pub fn forward(
    iif: &str,
    oif: &str,
    src: &str,
    dst: &str,
    proto: Protocol,
    dport: Option<u16>,
) -> Packet {
    let mut p = Packet::new(ip(src), ip(dst));
    p.path = TracePath::Forward;
    p.iif = Some(iif.into());
    p.oif = Some(oif.into());
    p.proto = Some(proto);
    if dport.is_some() {
        p.sport = Some(40000);
        p.dport = dport;
    }
    p
}

/// The pairs that are not equivalent, with the witnesses of the fixture README.
pub fn refuted() -> Vec<Refuted> {
    use FinalVerdict::{Accept, Drop};
    let tcp8080 = || {
        forward(
            "eth1",
            "cali5c4d3e2f1a0",
            "10.244.2.7",
            "10.244.1.5",
            Protocol::TCP,
            Some(8080),
        )
    };
    let service = || {
        forward(
            "eth1",
            "cali5c4d3e2f1a0",
            "10.244.2.7",
            "10.96.0.20",
            Protocol::TCP,
            Some(80),
        )
    };
    let tcp8081 = || {
        forward(
            "eth1",
            "cali5c4d3e2f1a0",
            "10.244.2.7",
            "10.244.1.5",
            Protocol::TCP,
            Some(8081),
        )
    };
    let kube_api = || {
        forward(
            "eth1",
            "eth0",
            "10.1.2.3",
            "10.96.0.1",
            Protocol::TCP,
            Some(443),
        )
    };
    let mut out = Vec::new();
    for (old, new) in [
        ("base.legacy.save", "port-changed.legacy.save"),
        ("base.nft.txt", "port-changed.legacy.save"),
        ("base.legacy.save", "port-changed.nft.save"),
        ("base-native.json", "port-changed.nft.txt"),
    ] {
        for (packet, swap) in [
            (tcp8080 as fn() -> Packet, false),
            (service, false),
            (tcp8081, true),
        ] {
            let accept = (Accept, "FORWARD", Some(4));
            let drop = (Drop, "cali-tw-cali5c4d3e2f1a0", Some(6));
            let (old_fate, new_fate) = if swap { (drop, accept) } else { (accept, drop) };
            out.push(Refuted {
                old,
                new,
                packet,
                old_fate,
                new_fate,
            });
        }
    }
    for new in ["reorder-overlap.legacy.save", "reorder-overlap.nft.txt"] {
        out.push(Refuted {
            old: "reorder-a.legacy.save",
            new,
            packet: kube_api,
            old_fate: (Accept, "svc", Some(3)),
            new_fate: (Drop, "svc", Some(3)),
        });
    }
    out.push(Refuted {
        old: "../incident/legacy.save",
        new: "../incident/nft.save",
        packet: || {
            forward(
                "cali9f8e7d6c5b4",
                "eth1",
                "10.244.1.9",
                "192.168.50.2",
                Protocol::UDP,
                Some(5009),
            )
        },
        old_fate: (Accept, "FORWARD", Some(2)),
        new_fate: (Drop, "cali-from-wl-dispatch", Some(3)),
    });
    out
}

/// Traces `pkt` on `rs`; panics on a tracer error.
pub fn trace_of(rs: &Ruleset, pkt: &Packet) -> TraceReport {
    trace(rs, pkt, &TraceOptions::default()).unwrap_or_else(|e| panic!("trace failed: {e}"))
}

/// Verdict, deciding chain and index of a trace whose every outcome has one verdict (the
/// incident's ipsets leave only the masquerade uncertain).
fn fate(rep: &TraceReport) -> (FinalVerdict, String, Option<usize>) {
    assert!(
        rep.alternatives.iter().all(|a| a.verdict == rep.verdict),
        "the fixture's trace should have one verdict: {:?}",
        rep.alternatives
    );
    let d = rep.decided_by.as_ref().expect("a deciding rule or policy");
    (rep.verdict, d.chain.clone(), d.index)
}

#[test]
fn the_documented_witnesses_differ_in_the_tracer() {
    for case in refuted() {
        let pkt = (case.packet)();
        for (side, name, want) in [
            ("old", case.old, case.old_fate),
            ("new", case.new, case.new_fate),
        ] {
            let got = fate(&trace_of(&fixture(name), &pkt));
            assert_eq!(
                (got.0, got.1.as_str(), got.2),
                want,
                "{side} side {name} of {} vs {} on {pkt:?}",
                case.old,
                case.new
            );
        }
    }
}

/// splitmix64, for seeded samples.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Interfaces, addresses, ports and states the fixtures test, plus some they do not.
const IFACES: &[&str] = &[
    "eth1",
    "eth0",
    "cali1a2b3c4d5e6",
    "cali5c4d3e2f1a0",
    "cali9f8e7d6c5b4",
    "cali0000000000",
];
const ADDRS: &[&str] = &[
    "10.244.1.5",
    "10.244.1.12",
    "10.244.1.200",
    "10.244.2.7",
    "10.96.0.1",
    "10.96.0.10",
    "10.96.0.20",
    "10.100.0.1",
    "192.168.50.2",
    "10.1.2.3",
];
const PORTS: &[u16] = &[
    0, 22, 52, 53, 54, 80, 123, 443, 5000, 5005, 5011, 8080, 8081, 9090,
];
const STATES: &[u8] = &[
    CtStateSet::NEW,
    CtStateSet::ESTABLISHED,
    CtStateSet::RELATED,
    CtStateSet::INVALID,
];
const MARKS: &[u32] = &[0, 0x4000, 0x10000, 0x14000];

/// A random packet over the fixtures' values (seeded, so a failure replays).
pub fn sample_packet(rng: &mut Rng) -> Packet {
    let proto = rng.pick(&[Protocol::TCP, Protocol::UDP, Protocol::ICMP, Protocol::GRE]);
    let mut p = forward(
        rng.pick(IFACES),
        rng.pick(IFACES),
        rng.pick(ADDRS),
        rng.pick(ADDRS),
        proto,
        None,
    );
    if proto == Protocol::TCP || proto == Protocol::UDP {
        p.sport = Some(rng.pick(PORTS));
        p.dport = Some(rng.pick(PORTS));
    } else if proto == Protocol::ICMP {
        p.icmp_type = Some(rng.pick(&[0u8, 3, 8]));
        p.icmp_code = Some(0);
    }
    p.ct_state = CtStateSet(rng.pick(STATES));
    p.mark = rng.pick(MARKS);
    p
}

fn same_verdicts(old: &Ruleset, new: &Ruleset, what: &str, packets: usize, seed: u64) {
    let mut rng = Rng(seed);
    for _ in 0..packets {
        let pkt = sample_packet(&mut rng);
        let (a, b) = (trace_of(old, &pkt), trace_of(new, &pkt));
        assert!(
            !a.uncertain && !b.uncertain,
            "{what}: an uncertain trace on {pkt:?}"
        );
        assert_eq!(a.verdict, b.verdict, "{what}: verdicts differ on {pkt:?}");
    }
}

#[test]
fn equivalent_fixtures_agree_on_sampled_packets() {
    let base = fixture(BASE_LISTINGS[0]);
    for other in &BASE_LISTINGS[1..] {
        same_verdicts(&base, &fixture(other), other, 1500, 15);
    }
    for (old, new) in EQUIVALENT_PAIRS {
        same_verdicts(
            &fixture(old),
            &fixture(new),
            &format!("{old} vs {new}"),
            1500,
            15,
        );
    }
}

#[test]
fn the_iptables_nft_json_listing_is_lossy_but_never_certainly_different() {
    // `nft -j` shows iptables-nft's xt matches by name only: the tracer must call the traces
    // that meet them uncertain, and the outcome of the complete listing must be among its
    // possible outcomes.
    let base = fixture("base.legacy.save");
    let json = fixture("base.nft.json");
    let mut rng = Rng(15);
    let mut uncertain = 0;
    for _ in 0..1500 {
        let pkt = sample_packet(&mut rng);
        let (a, b) = (trace_of(&base, &pkt), trace_of(&json, &pkt));
        if b.uncertain {
            uncertain += 1;
        }
        let possible: Vec<FinalVerdict> = std::iter::once(b.verdict)
            .chain(b.alternatives.iter().map(|x| x.verdict))
            .collect();
        assert!(
            possible.contains(&a.verdict),
            "base.nft.json cannot give {:?} (only {possible:?}) on {pkt:?}",
            a.verdict
        );
    }
    assert!(uncertain > 0, "no trace on base.nft.json met an xt match");
}

/// The live reads of `base.rules` (through iptables-nft) and of `base-native.nft`, made in the
/// scratch namespace of the inner test, each compared with `base.legacy.save`.
#[cfg(feature = "netlink")]
mod live {
    use super::{fixture, same_verdicts, DIR};
    use crate::all::netns::{assert_fresh_namespace, assert_inner_passes, in_child, sh};

    #[test]
    fn the_live_reads_of_the_base_ruleset_are_the_same_firewall() {
        assert_inner_passes("all::space_equivalence::live::inner_live_base", &[], &[]);
    }

    #[test]
    #[ignore = "inner test: runs only inside the namespace of the_live_reads_of_the_base_ruleset_are_the_same_firewall"]
    fn inner_live_base() {
        if !in_child() {
            return;
        }
        assert_fresh_namespace();
        let base = fixture("base.legacy.save");
        sh(&format!("iptables-nft-restore < '{DIR}/base.rules'"));
        let live = netfilter_model::netlink::read_live_nft().expect("live read");
        same_verdicts(&base, &live, "live read of base.rules", 1500, 16);
        sh("nft flush ruleset");
        sh(&format!("nft -f '{DIR}/base-native.nft'"));
        let native = netfilter_model::netlink::read_live_nft().expect("live read");
        same_verdicts(&base, &native, "live read of base-native.nft", 1500, 16);
    }
}
