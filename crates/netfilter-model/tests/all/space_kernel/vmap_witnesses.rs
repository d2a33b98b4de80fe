//! Kernel differential of verdict maps in the packet-space engine: a native nft ruleset that
//! dispatches by interface, by `ip daddr . tcp dport` intervals, by `ct state` and by
//! protocol through verdict maps is loaded into the tracer's test node; every class of every
//! (sender, receiver) pair is certain, and each class's witness goes through the kernel.

use netfilter_model::space::{partition, Certainty};
use netfilter_model::trace::FinalVerdict;

use super::harness::{load, prepare, send_all, Tally, Witness, TCP_SYN};
use super::partition_witnesses::query;
use crate::all::trace_kernel::node::{Load, Node, ENDPOINTS};

const RULES: &str = r#"table inet vm {
    map dispatch {
        type ifname : verdict
        elements = { "cali5c4d3e2f1a0" : jump from_pod1, "cali9f8e7d6c5b4" : drop }
    }
    map services {
        type ipv4_addr . inet_service : verdict
        flags interval
        elements = { 192.168.50.2 . 80-90 : accept, 10.244.1.0/24 . 22 : drop }
    }
    chain forward {
        type filter hook forward priority 0; policy accept;
        iifname vmap @dispatch
        ct state vmap { invalid : drop, established : accept }
        ip daddr . tcp dport vmap @services
        meta l4proto vmap { udp : drop, gre : goto gre_in }
    }
    chain from_pod1 {
        tcp dport 443 drop
        return
    }
    chain gre_in {
        iifname "eth1" accept
        drop
    }
}
"#;

#[test]
fn verdict_map_witnesses_agree_with_the_kernel() {
    let mut node = match Node::start() {
        Ok(n) => n,
        Err(why) => {
            println!("verdict-map witness kernel test skipped: {why}");
            return;
        }
    };
    prepare(&mut node).unwrap_or_else(|e| panic!("preparing the node: {e}"));
    let l = Load {
        nft: Some(RULES.to_string()),
        ..Load::default()
    };
    let rs = load(&mut node, &l).unwrap_or_else(|e| panic!("loading the ruleset: {e}"));
    let mut witnesses = Vec::new();
    let mut classes = 0usize;
    for from in ENDPOINTS {
        for to in ENDPOINTS.iter().copied().filter(|e| *e != from) {
            let p = partition(&rs, &query(from, to))
                .unwrap_or_else(|e| panic!("{} -> {}: {e}", from.ns, to.ns));
            for c in &p.classes {
                classes += 1;
                assert_eq!(
                    c.certainty,
                    Certainty::Must,
                    "{} -> {}: {c:?}",
                    from.ns,
                    to.ns
                );
                witnesses.push(Witness {
                    packet: c.witness.clone(),
                    tcp_flags: TCP_SYN,
                    claimed: vec![c.verdict],
                    label: format!(
                        "{} -> {} class {}",
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
    }
    let outcomes =
        send_all(&mut node, &witnesses).unwrap_or_else(|e| panic!("sending witnesses: {e}"));
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for o in &outcomes {
        tally.add(o);
        if o.agrees() == Some(false) {
            failures.push(o.to_string());
        }
    }
    println!(
        "verdict-map kernel test: {classes} classes, all certain: {} witnesses agreed ({} delivered), {} disagreed, {} not realizable",
        tally.agreed, tally.delivered, tally.disagreed, tally.not_realizable
    );
    assert!(
        failures.is_empty(),
        "{} witnesses disagree with the kernel; the first:\n{}",
        failures.len(),
        failures[0]
    );
    assert!(
        tally.agreed >= classes / 2,
        "too few witnesses could be sent: {tally:?}"
    );
    assert!(outcomes
        .iter()
        .any(|o| o.witness.claimed == [FinalVerdict::Drop] && o.agrees() == Some(true)));
}
