//! Equal-priority nf_tables base chains of one table: the chain registered last runs first,
//! and the handles of a live read or an nft JSON dump say which one that is (issue 21,
//! "equal-priority order from a live read").

use netfilter_model::trace::FinalVerdict;

use super::compare::{compare_read, packet_of};
use super::node::{Load, Node, Probe, POD1, REMOTE};

/// Two forward chains at priority 0: one sets a mark, the other drops marked packets. Which
/// one runs first decides the verdict.
fn ruleset(marker_first_declared: bool) -> String {
    let marker = "chain m { type filter hook forward priority 0; policy accept; meta mark set 0x7 counter; }";
    let dropper = "chain d { type filter hook forward priority 0; policy accept; meta mark 0x7 counter drop; }";
    let (first, second) = if marker_first_declared {
        (marker, dropper)
    } else {
        (dropper, marker)
    };
    format!("table ip t {{\n{first}\n{second}\n}}\n")
}

#[test]
fn handles_order_equal_priority_chains_of_a_table() {
    let mut node = match Node::start() {
        Ok(n) => n,
        Err(why) => {
            println!("registration-order kernel test skipped: {why}");
            return;
        }
    };
    let mut failures = Vec::new();
    // Declared first, registered first, runs last.
    for (marker_first, kernel_expected) in
        [(true, FinalVerdict::Accept), (false, FinalVerdict::Drop)]
    {
        let load = Load {
            nft: Some(ruleset(marker_first)),
            ..Load::default()
        };
        node.load(&load).unwrap_or_else(|e| panic!("load: {e}"));
        let probe = Probe {
            proto: "udp",
            from: POD1,
            to: REMOTE,
            dst: "192.168.50.2".into(),
            sport: node.fresh_port(),
            dport: 5005,
        };
        let cap = node
            .send(&probe, true)
            .unwrap_or_else(|e| panic!("send: {e}"));
        let kernel = if cap.delivered > 0 {
            FinalVerdict::Accept
        } else {
            FinalVerdict::Drop
        };
        let case = if marker_first {
            "marker declared first"
        } else {
            "dropper declared first"
        };
        if kernel != kernel_expected {
            failures.push(format!(
                "{case}: the kernel {kernel}, expected {kernel_expected} (the reproducer no longer reproduces)"
            ));
        }
        let pkt = packet_of(&probe);
        // With handles the order is known: one answer, the kernel's.
        #[allow(unused_mut)]
        let mut exact = vec![("nft JSON (handles)", cap.ruleset_json())];
        #[cfg(feature = "netlink")]
        exact.push(("live nf_tables", Some(node.live_ruleset(&cap))));
        for (what, rs) in exact {
            let Some(rs) = rs else { continue };
            match compare_read(&cap, &cap.ruleset(), &rs, &pkt) {
                Ok(rep) if rep.verdict == kernel && !rep.order_dependent => {}
                Ok(rep) => failures.push(format!(
                    "{case} ({what}): kernel {kernel}, tracer {} (order-dependent {})",
                    rep.verdict, rep.order_dependent
                )),
                Err(e) => failures.push(format!("{case} ({what}): {e}")),
            }
        }
        // The text listing has no handles: both orders stay possible.
        match compare_read(&cap, &cap.ruleset(), &cap.ruleset(), &pkt) {
            Ok(rep) if rep.order_dependent => {}
            Ok(_) => failures.push(format!(
                "{case} (nft text): the order is not known without handles, yet the tracer is not order-dependent"
            )),
            Err(e) => failures.push(format!("{case} (nft text): {e}")),
        }
        println!("{case}: kernel {kernel}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
