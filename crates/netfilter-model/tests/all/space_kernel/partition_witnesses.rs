//! Kernel differential of the packet-space engine: the witnesses of random classes of the
//! generated rulesets of `trace_kernel::gen`, each claimed with its class's verdict, sent
//! through the kernel of the tracer's test node.
//!
//! For each case two (sender, receiver) pairs of the node are drawn and the engine partitions
//! the space the topology can produce between them: input interface = the sender's node-side
//! interface, output interface = the receiver's, destination = the receiver's address (the
//! remote host: anything routed via `eth1`), sources outside the node's own and martian
//! ranges, tcp/udp/icmp/gre, ct state new, no mark. Of each partition up to
//! `NFDIFF_SPACE_WITNESS_CLASSES` classes (default 4) are drawn at random. Besides, each case
//! partitions `NFDIFF_SPACE_WITNESS_PINNED` (default 4) single random packets (every query field
//! pinned): the engine must give the concrete tracer's verdict, and the packet goes to the
//! kernel too.
//!
//! `NFDIFF_SPACE_WITNESS_CASES=<n>` rulesets (default 8), `NFDIFF_SPACE_WITNESS_SEED=<s>` the
//! base seed (default 3), `NFDIFF_SPACE_WITNESS_DEBUG=1` prints every partition. A must class
//! claims its verdict; a may class claims both (it is sent but cannot disagree, and is
//! reported apart).

use ipnet::IpNet;
use netfilter_model::model::{AddrSpec, CtStateSet, IfacePattern, PortRange, Protocol};
use netfilter_model::space::{partition, Certainty, SpaceQuery};
use netfilter_model::trace::{FinalVerdict, TracePath};

use super::harness::{load, prepare, send_all, Tally, Witness, TCP_SYN};
use super::tracer_witnesses::{env_u64, possible_verdicts, random_packet};
use crate::all::trace_kernel::gen::{generate, Rng};
use crate::all::trace_kernel::node::{Endpoint, Load, Node, ENDPOINTS};

fn net(s: &str) -> AddrSpec {
    AddrSpec::net(s.parse::<IpNet>().expect("prefix"))
}

/// The packets the topology can send from `from` to `to` on the forward path.
pub(super) fn query(from: Endpoint, to: Endpoint) -> SpaceQuery {
    let mut q = SpaceQuery::new(TracePath::Forward);
    q.iif = Some(IfacePattern::Exact(from.node_if.to_string()));
    q.oif = Some(IfacePattern::Exact(to.node_if.to_string()));
    q.dst = if to.ns == "remote" {
        vec![
            net("192.168.50.2/32"),
            net("10.0.0.0/8"),
            net("172.16.0.0/12"),
        ]
    } else {
        vec![net(&format!("{}/32", to.ip))]
    };
    q.src = vec![
        net("10.0.0.0/8"),
        net("172.16.0.0/12"),
        net("192.168.50.2/32"),
    ];
    q.proto = vec![Protocol::TCP, Protocol::UDP, Protocol::ICMP, Protocol::GRE];
    q.ct_state = Some(CtStateSet(CtStateSet::NEW));
    q.mark = Some(0);
    q
}

/// The query of exactly one packet.
fn pinned_query(p: &netfilter_model::trace::Packet) -> SpaceQuery {
    let mut q = SpaceQuery::new(TracePath::Forward);
    q.iif = p.iif.clone().map(IfacePattern::Exact);
    q.oif = p.oif.clone().map(IfacePattern::Exact);
    q.src = vec![AddrSpec::net(IpNet::from(p.src))];
    q.dst = vec![AddrSpec::net(IpNet::from(p.dst))];
    q.proto = p.proto.into_iter().collect();
    q.sport = p
        .sport
        .map(|x| PortRange { first: x, last: x })
        .into_iter()
        .collect();
    q.dport = p
        .dport
        .map(|x| PortRange { first: x, last: x })
        .into_iter()
        .collect();
    q.icmp_type = p.icmp_type;
    q.ct_state = Some(p.ct_state);
    q.mark = Some(p.mark);
    q
}

#[test]
fn engine_witnesses_agree_with_the_kernel() {
    let mut node = match Node::start() {
        Ok(n) => n,
        Err(why) => {
            println!("engine witness kernel test skipped: {why}");
            return;
        }
    };
    prepare(&mut node).unwrap_or_else(|e| panic!("preparing the node: {e}"));
    node.run("for t in raw mangle nat filter; do iptables-legacy -w -t $t -S >/dev/null; done")
        .unwrap_or_else(|e| panic!("registering the legacy tables: {e}"));
    let cases = env_u64("NFDIFF_SPACE_WITNESS_CASES").unwrap_or(8);
    let per_partition = env_u64("NFDIFF_SPACE_WITNESS_CLASSES").unwrap_or(4) as usize;
    let base = env_u64("NFDIFF_SPACE_WITNESS_SEED").unwrap_or(3);
    let pinned = env_u64("NFDIFF_SPACE_WITNESS_PINNED").unwrap_or(4) as usize;
    let mut pinned_checked = 0usize;
    let started = std::time::Instant::now();
    let (mut tally, mut may_sent, mut classes_seen) = (Tally::default(), 0usize, 0usize);
    let mut tracer_disagrees = Vec::new();
    let mut failures = Vec::new();
    for i in 0..cases {
        let seed = base.wrapping_mul(9_000_011).wrapping_add(i);
        let case = generate(seed);
        let l = Load {
            legacy: case.legacy.clone(),
            nft: case.nft.clone(),
            nft_first: true,
            ..Load::default()
        };
        let rs = match load(&mut node, &l) {
            Ok(rs) => rs,
            Err(e) => {
                failures.push(format!("seed {seed}: the kernel refused the ruleset: {e}"));
                continue;
            }
        };
        let mut rng = Rng(seed ^ 0x5ace_15c0_0000_0002);
        let mut witnesses = Vec::new();
        for _ in 0..2 {
            let from = ENDPOINTS[rng.below(ENDPOINTS.len())];
            let others: Vec<Endpoint> = ENDPOINTS.iter().copied().filter(|e| *e != from).collect();
            let to = others[rng.below(others.len())];
            let p = partition(&rs, &query(from, to))
                .unwrap_or_else(|e| panic!("seed {seed}: partition failed: {e}"));
            classes_seen += p.classes.len();
            if std::env::var_os("NFDIFF_SPACE_WITNESS_DEBUG").is_some() {
                eprintln!(
                    "seed {seed} {} -> {}: {} classes, notes {:?}",
                    from.ns,
                    to.ns,
                    p.classes.len(),
                    p.notes
                );
                for c in &p.classes {
                    eprintln!(
                        "  {} {:?} {:?} witness {:?}",
                        c.verdict,
                        c.certainty,
                        c.cubes.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                        c.witness
                    );
                }
            }
            let mut idx: Vec<usize> = (0..p.classes.len()).collect();
            for k in (1..idx.len()).rev() {
                idx.swap(k, rng.below(k + 1));
            }
            for &k in idx.iter().take(per_partition) {
                let c = &p.classes[k];
                let claimed = match c.certainty {
                    Certainty::Must => vec![c.verdict],
                    _ => vec![FinalVerdict::Accept, FinalVerdict::Drop],
                };
                // The engine's must claim is also checked against the concrete tracer, so a
                // disagreement with the kernel can be told apart from one with the tracer.
                if c.certainty == Certainty::Must {
                    let t = possible_verdicts(&rs, &c.witness);
                    if !t.contains(&c.verdict) {
                        tracer_disagrees.push(format!(
                            "seed {seed}: class {} claims {} but the tracer says {t:?} for its witness",
                            c.cubes.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" | "),
                            c.verdict
                        ));
                    }
                }
                witnesses.push(Witness {
                    packet: c.witness.clone(),
                    tcp_flags: TCP_SYN,
                    claimed,
                    label: format!(
                        "seed {seed} {} -> {} class {}",
                        from.ns,
                        to.ns,
                        c.cubes
                            .iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    ),
                });
            }
        }
        // Pinned points: a random packet of the topology, every query field fixed to it; the
        // engine's partition of that one packet must give the tracer's verdict, and the
        // packet goes to the kernel with the engine's claim.
        for k in 0..pinned {
            let (pkt, flags) = random_packet(&mut rng);
            let q = pinned_query(&pkt);
            let p = partition(&rs, &q)
                .unwrap_or_else(|e| panic!("seed {seed}: partition of one packet failed: {e}"));
            let t = possible_verdicts(&rs, &pkt);
            let engine: Vec<(FinalVerdict, Certainty)> =
                p.classes.iter().map(|c| (c.verdict, c.certainty)).collect();
            pinned_checked += 1;
            let must: Vec<FinalVerdict> = engine
                .iter()
                .filter(|(_, c)| *c == Certainty::Must)
                .map(|(v, _)| *v)
                .collect();
            if engine.is_empty() || must.iter().any(|v| !t.contains(v)) {
                tracer_disagrees.push(format!(
                    "seed {seed} pinned packet {k}: engine {engine:?}, tracer {t:?}: {pkt:?}"
                ));
            }
            witnesses.push(Witness {
                claimed: if must.len() == 1 && engine.len() == 1 {
                    must
                } else {
                    vec![FinalVerdict::Accept, FinalVerdict::Drop]
                },
                packet: pkt,
                tcp_flags: flags,
                label: format!("seed {seed} pinned packet {k}"),
            });
        }
        let outcomes = send_all(&mut node, &witnesses)
            .unwrap_or_else(|e| panic!("seed {seed}: sending witnesses: {e}"));
        for o in &outcomes {
            tally.add(o);
            if o.witness.claimed.len() > 1 && o.agrees().is_some() {
                may_sent += 1;
            }
            if o.agrees() == Some(false) {
                failures.push(format!(
                    "{o}\n--- iptables-legacy-restore input ---\n{}\n--- nft -f input ---\n{}",
                    case.legacy.as_deref().unwrap_or("(none)"),
                    case.nft.as_deref().unwrap_or("(none)")
                ));
            }
        }
    }
    println!(
        "engine witness kernel test: {cases} rulesets, {classes_seen} classes, in {:.1} s: {} witnesses sent and agreed ({} must classes; {} delivered), {} may classes sent, {} disagreed, {} not realizable; {pinned_checked} single packets partitioned; {} disagreements with the tracer",
        started.elapsed().as_secs_f64(),
        tally.agreed,
        tally.sharp,
        tally.delivered,
        may_sent,
        tally.disagreed,
        tally.not_realizable,
        tracer_disagrees.len()
    );
    assert!(
        failures.is_empty(),
        "{} witnesses disagree with the kernel; the first:\n{}",
        failures.len(),
        failures[0]
    );
    assert!(
        tracer_disagrees.is_empty(),
        "{} must-class witnesses disagree with the tracer; the first: {}",
        tracer_disagrees.len(),
        tracer_disagrees[0]
    );
    assert!(
        cases == 0 || tally.sharp > 0,
        "no must-class witness was sent: the test checked nothing"
    );
}
