//! The witness harness exercised with the concrete tracer as the claimant: random packets on
//! the generated rulesets of `trace_kernel::gen`, each claimed with the tracer's verdicts,
//! sent through the kernel.
//!
//! `NFDIFF_SPACE_KERNEL_CASES=<n>` rulesets (default 8), `NFDIFF_SPACE_KERNEL_WITNESSES=<n>`
//! packets per ruleset (default 8), `NFDIFF_SPACE_KERNEL_SEED=<s>` the base seed (default 1).

use std::net::IpAddr;

use netfilter_model::model::Protocol;
use netfilter_model::trace::{trace, FinalVerdict, Packet, TraceOptions, TracePath};

use super::harness::{load, prepare, send_all, Tally, Witness, TCP_SYN};
use crate::all::trace_kernel::gen::{generate, Rng};
use crate::all::trace_kernel::node::{Load, Node, ENDPOINTS};

/// A number from the environment.
pub fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Every verdict a trace report holds possible.
pub fn possible_verdicts(rs: &netfilter_model::model::Ruleset, pkt: &Packet) -> Vec<FinalVerdict> {
    let rep = trace(rs, pkt, &TraceOptions::default()).expect("trace a generated packet");
    let mut v = vec![rep.verdict];
    for a in &rep.alternatives {
        if !v.contains(&a.verdict) {
            v.push(a.verdict);
        }
    }
    v
}

pub fn random_packet(rng: &mut Rng) -> (Packet, u8) {
    let from = ENDPOINTS[rng.below(ENDPOINTS.len())];
    let others: Vec<_> = ENDPOINTS.iter().filter(|e| **e != from).collect();
    let to = *others[rng.below(others.len())];
    let dst = if to.ns == "remote" {
        rng.pick(&[
            "192.168.50.2",
            "10.0.0.7",
            "10.244.2.15",
            "172.16.3.4",
            "10.96.0.10",
        ])
    } else {
        to.ip
    };
    let src = loop {
        let s = rng.pick(&[
            from.ip,
            from.ip,
            "10.244.1.7",
            "10.244.2.3",
            "10.1.2.3",
            "192.168.50.2",
            "10.244.1.5",
            "10.244.1.12",
        ]);
        if s != dst {
            break s;
        }
    };
    let mut p = Packet::new(
        src.parse::<IpAddr>().expect("address"),
        dst.parse::<IpAddr>().expect("address"),
    );
    p.path = TracePath::Forward;
    p.iif = Some(from.node_if.to_string());
    p.oif = Some(to.node_if.to_string());
    let proto = rng.pick(&[Protocol::UDP, Protocol::TCP, Protocol::ICMP, Protocol::GRE]);
    p.proto = Some(proto);
    if proto == Protocol::TCP || proto == Protocol::UDP {
        p.sport = Some(1024 + rng.below(60000) as u16);
        p.dport = Some(rng.pick(&[53, 80, 443, 5005, 8080, 123, 9999]));
    } else if proto == Protocol::ICMP {
        p.icmp_type = Some(8);
        p.icmp_code = Some(0);
    }
    (p, TCP_SYN)
}

/// The harness must be able to fail: the first sent witness, claimed with the opposite verdict,
/// disagrees with the kernel.
fn harness_notices_a_false_claim(node: &mut Node, outcomes: &[super::harness::WitnessOutcome]) {
    let Some(o) = outcomes.iter().find(|o| {
        matches!(o.result, super::harness::WitnessResult::Sent(_)) && o.witness.claimed.len() == 1
    }) else {
        return;
    };
    let mut wrong = o.witness.clone();
    wrong.claimed = vec![match wrong.claimed[0] {
        FinalVerdict::Accept => FinalVerdict::Drop,
        FinalVerdict::Drop => FinalVerdict::Accept,
    }];
    let again = send_all(node, &[wrong]).unwrap_or_else(|e| panic!("sending again: {e}"));
    assert_eq!(
        again[0].agrees(),
        Some(false),
        "a false claim went unnoticed: {}",
        again[0]
    );
}

#[test]
fn tracer_witnesses_agree_with_the_kernel() {
    let mut node = match Node::start() {
        Ok(n) => n,
        Err(why) => {
            println!("witness kernel harness test skipped: {why}");
            return;
        }
    };
    prepare(&mut node).unwrap_or_else(|e| panic!("preparing the node: {e}"));
    node.run("for t in raw mangle nat filter; do iptables-legacy -w -t $t -S >/dev/null; done")
        .unwrap_or_else(|e| panic!("registering the legacy tables: {e}"));
    let cases = env_u64("NFDIFF_SPACE_KERNEL_CASES").unwrap_or(8);
    let per_case = env_u64("NFDIFF_SPACE_KERNEL_WITNESSES").unwrap_or(8) as usize;
    let base = env_u64("NFDIFF_SPACE_KERNEL_SEED").unwrap_or(1);
    let started = std::time::Instant::now();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for i in 0..cases {
        let seed = base.wrapping_mul(7_000_003).wrapping_add(i);
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
        let mut rng = Rng(seed ^ 0x5ace_15c0_0000_0001);
        let witnesses: Vec<Witness> = (0..per_case)
            .map(|k| {
                let (packet, tcp_flags) = random_packet(&mut rng);
                Witness {
                    claimed: possible_verdicts(&rs, &packet),
                    packet,
                    tcp_flags,
                    label: format!("seed {seed} witness {k}"),
                }
            })
            .collect();
        let outcomes = send_all(&mut node, &witnesses)
            .unwrap_or_else(|e| panic!("seed {seed}: sending witnesses: {e}"));
        if i == 0 {
            harness_notices_a_false_claim(&mut node, &outcomes);
        }
        for o in &outcomes {
            tally.add(o);
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
        "witness kernel harness (tracer claims): {cases} rulesets in {:.1} s: {} witnesses agreed ({} with one claimed verdict; {} delivered by the kernel), {} disagreed, {} not realizable",
        started.elapsed().as_secs_f64(),
        tally.agreed,
        tally.sharp,
        tally.delivered,
        tally.disagreed,
        tally.not_realizable
    );
    assert!(
        failures.is_empty(),
        "{} disagreements; the first:\n{}",
        failures.len(),
        failures[0]
    );
    assert!(
        cases == 0 || tally.sharp > 0,
        "no witness was sent with a single claimed verdict: the harness checked nothing"
    );
}
