//! Randomized differential test: generated rulesets and packets in the kernel and in the
//! tracer must agree on every case.
//!
//! Every case is compared through the legacy save with the nft text, the nft JSON dump and
//! (feature `netlink`) a live read; the summary gives the "can't tell" rate per source. A long
//! local sweep: `NFDIFF_TRACE_KERNEL_CASES=5000 NFDIFF_TRACE_KERNEL_SEED=7`.
//!
//! `NFDIFF_TRACE_KERNEL_CASES=<n>` sets the number of cases (default 200),
//! `NFDIFF_TRACE_KERNEL_SEED=<s>` the base seed (default 1), and
//! `NFDIFF_TRACE_KERNEL_CASE_SEED=<s>` replays one case as printed by a failure.

use super::compare::{
    compare, compare_read, equal_priority_clash, kernel_outcome, packet_of, show,
};
use super::gen::{generate, Case};
use super::node::{Load, Node};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn reproducer(case: &Case, why: &str, extra: &str) -> String {
    format!(
        "case seed {seed} (replay: NFDIFF_TRACE_KERNEL_CASE_SEED={seed} cargo test -p netfilter-model --test all trace_kernel::randomized): {why}\n\
         probe: {proto} from {from} ({fip} via {fif}) to {dst} ({to} via {tif}) sport {sport} dport {dport}\n\
         --- iptables-legacy-restore input ---\n{legacy}\n--- nft -f input ---\n{nft}\n{extra}",
        seed = case.seed,
        proto = case.probe.proto,
        from = case.probe.from.ns,
        fip = case.probe.from.ip,
        fif = case.probe.from.node_if,
        dst = case.probe.dst,
        to = case.probe.to.ns,
        tif = case.probe.to.node_if,
        sport = case.probe.sport,
        dport = case.probe.dport,
        legacy = case.legacy.as_deref().unwrap_or("(none)"),
        nft = case.nft.as_deref().unwrap_or("(none)"),
    )
}

#[test]
fn kernel_agrees_with_the_tracer_on_random_rulesets() {
    let mut node = match Node::start() {
        Ok(n) => n,
        Err(why) => {
            println!("kernel randomized trace test skipped: {why}");
            return;
        }
    };
    // Register the legacy tables now, so in this shared namespace every case (and a replay
    // of it) has nf_tables base chains registered after legacy ones, hence run first.
    node.run("for t in raw mangle nat filter; do iptables-legacy -w -t $t -S >/dev/null; done")
        .unwrap_or_else(|e| panic!("registering the legacy tables: {e}"));
    let seeds: Vec<u64> = match env_u64("NFDIFF_TRACE_KERNEL_CASE_SEED") {
        Some(s) => vec![s],
        None => {
            let n = env_u64("NFDIFF_TRACE_KERNEL_CASES").unwrap_or(200);
            let base = env_u64("NFDIFF_TRACE_KERNEL_SEED").unwrap_or(1);
            (0..n)
                .map(|i| base.wrapping_mul(1_000_003).wrapping_add(i))
                .collect()
        }
    };
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let (mut delivered, mut dropped, mut ambiguous, mut clashes) = (0, 0, 0, 0);
    let mut legacy_last = 0;
    // Per source (save + nft text, nft JSON, live): cases compared, and "can't tell" ones.
    let mut per_source = [(0usize, 0usize); 3];
    for &seed in &seeds {
        let mut case = generate(seed);
        // The shared namespace registered its legacy tables long ago, so there nf_tables
        // base chains always run first at equal priority. Every other clashing case runs
        // in a fresh namespace, nf_tables loaded first, where legacy runs first.
        let mut fresh = None;
        if case.clash && seed % 2 == 1 {
            fresh = Some(Node::start().unwrap_or_else(|e| panic!("a fresh node: {e}")));
            legacy_last += 1;
        }
        let node = fresh.as_mut().unwrap_or(&mut node);
        case.probe.sport = node.fresh_port();
        let load = Load {
            legacy: case.legacy.clone(),
            nft: case.nft.clone(),
            nft_first: true,
            ..Load::default()
        };
        if let Err(e) = node.load(&load) {
            failures.push(reproducer(
                &case,
                &format!("the kernel refused the ruleset: {e}"),
                "",
            ));
            continue;
        }
        let cap = match node.send(&case.probe, true) {
            Ok(c) => c,
            Err(e) => {
                failures.push(reproducer(&case, &format!("sending failed: {e}"), ""));
                continue;
            }
        };
        let rs = cap.ruleset();
        let pkt = packet_of(&case.probe);
        // The same capture read through the other sources: nft JSON, and a live read.
        #[allow(unused_mut)]
        let mut others = vec![("nft JSON", cap.ruleset_json())];
        #[cfg(feature = "netlink")]
        others.push(("live", Some(node.live_ruleset(&cap))));
        for (i, (what, other)) in others.into_iter().enumerate() {
            let Some(other) = other else { continue };
            match compare_read(&cap, &rs, &other, &pkt) {
                Ok(rep) => {
                    per_source[i + 1].0 += 1;
                    if rep.uncertain {
                        per_source[i + 1].1 += 1;
                    }
                }
                Err(e) => failures.push(reproducer(&case, &format!("({what} source) {e}"), "")),
            }
        }
        per_source[0].0 += 1;
        match compare(&cap, &rs, &pkt) {
            Ok(rep) => {
                if cap.delivered > 0 {
                    delivered += 1;
                } else {
                    dropped += 1;
                }
                if rep.order_dependent || rep.uncertain {
                    ambiguous += 1;
                }
                if rep.uncertain {
                    per_source[0].1 += 1;
                }
                if equal_priority_clash(&rs) {
                    clashes += 1;
                }
            }
            Err(e) => {
                let k = kernel_outcome(&cap, &rs);
                let trace = netfilter_model::trace::trace(
                    &rs,
                    &pkt,
                    &netfilter_model::trace::TraceOptions::default(),
                );
                let extra = format!(
                    "kernel: delivered {}, drop counter {}, counters moved: {}\n\
                     tracer: {:#?}\n--- iptables-legacy-save -c ---\n{}\n--- nft list ruleset ---\n{}",
                    cap.delivered,
                    k.dropped_by.as_ref().map_or("none".into(), show),
                    k.counted.iter().map(show).collect::<Vec<_>>().join(", "),
                    trace.map(|r| (r.verdict, r.decided_by, r.alternatives, r.order_dependent, r.uncertain, r.steps)),
                    cap.legacy_save,
                    cap.nft_text
                );
                failures.push(reproducer(&case, &e, &extra));
            }
        }
    }
    println!(
        "kernel randomized trace test: {} cases in {:.1} s: {delivered} delivered, {dropped} dropped, {clashes} with equal-priority base chains ({legacy_last} in a fresh namespace with legacy registered last), {ambiguous} order-dependent or uncertain, {} disagreements",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    for (name, (n, u)) in ["save + nft text", "nft JSON", "live"]
        .iter()
        .zip(per_source)
    {
        if n > 0 {
            println!(
                "  {name}: {n} cases, {u} can't tell ({:.2}%)",
                100.0 * u as f64 / n as f64
            );
        }
    }
    let summary: Vec<&str> = failures
        .iter()
        .map(|f| f.lines().next().unwrap_or(""))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} random cases disagree with the kernel:\n{}\n\nthe first in full:\n{}",
        failures.len(),
        seeds.len(),
        summary.join("\n"),
        failures[0]
    );
}
