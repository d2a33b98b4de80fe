//! kube-proxy NAT flows in the kernel (`testdata/kube-proxy-flows`, iptables and nftables
//! mode): real packets through the node topology, counted by each possible destination per
//! source address and port. Every arrival must be an outcome the tracer lists (its DNAT
//! destination seen by the listener, masquerade seen in the source address), every accepted
//! outcome must be seen, and a dropped flow must arrive nowhere.

use std::collections::BTreeSet;
use std::net::IpAddr;

use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_iptables_save, parse_nft_text, ParseOptions};
use netfilter_model::trace::{trace, FinalVerdict, LocalAddrs, TraceOptions};

use super::node::{fixtures, testdata, Load, Node};
use crate::all::trace::kube_flows::{Flow, FLOWS};

/// Namespaces that may receive a probe, with the addresses that lead there.
const RECEIVERS: [(&str, &str); 3] = [
    ("pod1", "10.244.1.5"),
    ("pod3", "10.244.1.12"),
    ("remote", "10.244.2.7"),
];
/// Source addresses a receiver may see.
const SOURCES: [&str; 5] = [
    "192.168.50.1",
    "192.168.50.2",
    "10.244.1.5",
    "10.244.1.9",
    "10.244.1.12",
];
/// Destination ports a receiver may see.
const PORTS: [u16; 6] = [53, 80, 443, 8080, 8443, 30080];
/// Probes per flow with more than one outcome: each outcome is missed with probability 2^-16.
const PROBES: usize = 16;

/// What arrived: receiver namespace, source address, destination port.
type Arrival = (String, String, u16);

/// The sender of a flow: a namespace, or the node itself.
fn sender(src: &str) -> Option<&'static str> {
    match src {
        "10.244.1.5" => Some("pod1"),
        "10.244.1.9" => Some("pod2"),
        "10.244.1.12" => Some("pod3"),
        "192.168.50.2" => Some("remote"),
        _ => None,
    }
}

/// A counter per source and port in every receiver, before anything else sees the packet.
fn listeners() -> String {
    let mut s = String::new();
    for (ns, _) in RECEIVERS {
        s.push_str(&format!(
            "ip netns exec {ns} nft -f - <<'NFT'\ntable ip probe\ndelete table ip probe\ntable ip probe {{\n\tchain pre {{\n\t\ttype filter hook prerouting priority -400; policy drop;\n"
        ));
        for src in SOURCES {
            for p in PORTS {
                s.push_str(&format!(
                    "\t\tip saddr {src} th dport {p} counter comment \"{src} {p}\"\n"
                ));
            }
        }
        s.push_str("\t}\n}\nNFT\n");
    }
    s
}

/// Reads the counters: every (receiver, source, port) that counted packets.
fn arrivals(node: &mut Node) -> BTreeSet<Arrival> {
    let mut out = BTreeSet::new();
    for (ns, _) in RECEIVERS {
        let text = node
            .run(&format!("ip netns exec {ns} nft list table ip probe"))
            .expect("probe table");
        for line in text.lines() {
            let Some(rest) = line.split("counter packets ").nth(1) else {
                continue;
            };
            let n: u64 = rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let Some(c) = line.split("comment \"").nth(1) else {
                continue;
            };
            let mut w = c.trim_end_matches('"').split_whitespace();
            if let (Some(src), Some(port), true) = (w.next(), w.next(), n > 0) {
                out.insert((ns.to_string(), src.to_string(), port.parse().unwrap()));
            }
        }
    }
    out
}

/// The node's addresses as `ip -o -4 addr` lists them in its namespace.
fn node_addrs(node: &mut Node) -> LocalAddrs {
    let text = node.run("ip -o -4 addr show").expect("ip addr");
    let mut addrs = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if let Some(i) = w.iter().position(|x| *x == "inet") {
            if let Some((a, p)) = w.get(i + 1).and_then(|s| s.split_once('/')) {
                let a: IpAddr = a.parse().unwrap();
                addrs.push((a, p.parse().unwrap(), w.get(1) == Some(&"lo")));
            }
        }
    }
    LocalAddrs::from_interface_addrs(&addrs)
}

/// The arrivals the trace predicts: its accepted outcomes mapped to receiver, source, port.
fn predicted(f: &Flow, rs: &Ruleset, local: &LocalAddrs) -> (BTreeSet<Arrival>, bool) {
    let mut p = f.packet(40000);
    p.local_addrs = Some(local.clone());
    let rep = trace(rs, &p, &TraceOptions::default()).unwrap();
    let mut out = BTreeSet::new();
    let mut dropped = false;
    let nats = std::iter::once((rep.verdict, rep.nat))
        .chain(rep.alternatives.iter().map(|a| (a.verdict, a.nat)));
    for (v, nat) in nats {
        if v == FinalVerdict::Drop {
            dropped = true;
            continue;
        }
        let Some(d) = nat.dnat else { continue };
        let to = d.addr.unwrap().to_string();
        let Some((ns, _)) = RECEIVERS.iter().find(|(_, a)| *a == to) else {
            panic!("{}: DNAT to {to}, which no receiver holds", f.name);
        };
        let src = if nat.masquerade {
            "192.168.50.1".to_string()
        } else {
            f.src.to_string()
        };
        out.insert((ns.to_string(), src, d.port.unwrap()));
    }
    (out, dropped)
}

fn strip_notes(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn kube_proxy_nat_flows_agree_with_the_kernel() {
    let mut node = match Node::start() {
        Ok(n) => n,
        Err(why) => {
            println!("kernel NAT flows skipped: {why}");
            return;
        }
    };
    let _ = fixtures();
    let dir = testdata().join("kube-proxy-flows");
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).expect("fixture");
    node.run("ip -n remote route replace 203.0.113.10 via 192.168.50.1")
        .expect("route to the load balancer address");
    let local = node_addrs(&mut node);
    assert!(local.is_local("192.168.50.1".parse().unwrap()));
    let loads = [
        (
            "iptables",
            Load {
                legacy: Some(strip_notes(&read("kube-proxy.rules"))),
                ..Load::default()
            },
        ),
        (
            "nftables",
            Load {
                nft: Some(strip_notes(&read("kube-proxy.nft"))),
                ..Load::default()
            },
        ),
    ];
    let send = fixtures().join("send.py");
    let mut checked = 0;
    for (mode, load) in &loads {
        node.load(load).expect("loads");
        // Trace what the kernel holds now.
        let rs = if load.legacy.is_some() {
            let save = node.run("iptables-legacy-save").expect("save");
            parse_iptables_save(&save, &ParseOptions::new("kernel legacy")).expect("parses")
        } else {
            let text = node.run("nft list ruleset").expect("list");
            parse_nft_text(&text, &ParseOptions::new("kernel nft")).expect("parses")
        };
        // The same kernel ruleset read as nft JSON predicts the same.
        let json = load.nft.is_some().then(|| {
            let j = node.run("nft -j list ruleset").expect("json");
            netfilter_model::parse::parse_nft_json(&j, &ParseOptions::new("kernel json"))
                .expect("parses")
        });
        for f in FLOWS {
            // The LoadBalancer's other source range is not part of the topology.
            if f.src == "198.51.100.7" {
                continue;
            }
            let (want, dropped) = predicted(f, &rs, &local);
            if let Some(j) = &json {
                assert_eq!(
                    predicted(f, j, &local),
                    (want.clone(), dropped),
                    "{mode}: {}: nft JSON and nft text disagree",
                    f.name
                );
            }
            node.run(&listeners()).expect("listeners");
            let probes = if want.len() > 1 { PROBES } else { 2 };
            let mut script = String::new();
            for _ in 0..probes {
                let sport = node.fresh_port();
                let exec = match sender(f.src) {
                    Some(ns) => format!("ip netns exec {ns} "),
                    None => String::new(),
                };
                script.push_str(&format!(
                    "{exec}timeout 5 python3 '{}' {} {} {} {sport} {}\n",
                    send.display(),
                    f.proto,
                    f.src,
                    f.dst,
                    f.dport
                ));
            }
            script.push_str("sleep 0.05\n");
            node.run(&script).expect("probes sent");
            let got = arrivals(&mut node);
            assert!(
                got.is_subset(&want),
                "{mode}: {}: the kernel delivered {got:?}, the trace predicts only {want:?}",
                f.name
            );
            if f.name == "session affinity" {
                // One client sticks to the endpoint its first packet chose: the others are
                // possible (for another client, or once the affinity expires), not seen here.
                assert_eq!(got.len(), 1, "{mode}: {}: {got:?}", f.name);
                checked += 1;
                continue;
            }
            assert_eq!(
                got, want,
                "{mode}: {}: the trace predicts {want:?}, {probes} probes reached {got:?}",
                f.name
            );
            if want.is_empty() {
                assert!(
                    dropped,
                    "{mode}: {}: nothing arrived, nothing dropped",
                    f.name
                );
            }
            checked += 1;
        }
    }
    println!("kernel NAT flows: {checked} flows agree");
    assert!(checked >= 20, "{checked}");
}

/// Issue 21, item 10: the node's own packet DNAT'ed at output to a local address loops back
/// over `lo` through prerouting and input, where a drop rule stops it. Checked with the drop
/// rule's counter, from the legacy save and from native nft (text and JSON).
#[test]
fn output_dnat_to_a_local_address_is_dropped_at_input_in_the_kernel() {
    let mut node = match Node::start() {
        Ok(n) => n,
        Err(why) => {
            println!("kernel output DNAT loop skipped: {why}");
            return;
        }
    };
    let legacy = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
        -A OUTPUT -d 192.168.50.77/32 -p udp -j DNAT --to-destination 192.168.50.1:9999\nCOMMIT\n\
        *filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
        -A INPUT -p udp -m udp --dport 9999 -j DROP\nCOMMIT\n";
    let nft = "table ip loop {\n\tchain out {\n\t\ttype nat hook output priority -100; policy accept;\n\t\t\
        ip daddr 192.168.50.77 meta l4proto udp dnat to 192.168.50.1:9999\n\t}\n\tchain in {\n\t\t\
        type filter hook input priority 0; policy accept;\n\t\tudp dport 9999 counter drop\n\t}\n}\n";
    let local = node_addrs(&mut node);
    let send = fixtures().join("send.py");
    for (mode, load) in [
        (
            "legacy",
            Load {
                legacy: Some(legacy.into()),
                ..Load::default()
            },
        ),
        (
            "nft",
            Load {
                nft: Some(nft.into()),
                ..Load::default()
            },
        ),
    ] {
        node.load(&load).expect("loads");
        let sport = node.fresh_port();
        node.run(&format!(
            "timeout 5 python3 '{}' udp 192.168.50.1 192.168.50.77 {sport} 9999\nsleep 0.05",
            send.display()
        ))
        .expect("sent");
        let mut dumps: Vec<(String, Ruleset)> = Vec::new();
        if mode == "legacy" {
            let save = node.run("iptables-legacy-save -c").expect("save");
            assert!(
                save.lines()
                    .any(|l| l.starts_with("[1:") && l.contains("--dport 9999 -j DROP")),
                "the kernel's INPUT drop did not count the packet:\n{save}"
            );
            dumps.push((
                "legacy save".into(),
                parse_iptables_save(&save, &ParseOptions::new("kernel legacy")).unwrap(),
            ));
        } else {
            let text = node.run("nft list ruleset").expect("list");
            assert!(
                text.contains("counter packets 1 "),
                "the kernel's input drop did not count the packet:\n{text}"
            );
            dumps.push((
                "nft text".into(),
                parse_nft_text(&text, &ParseOptions::new("kernel nft")).unwrap(),
            ));
            let json = node.run("nft -j list ruleset").expect("json");
            dumps.push((
                "nft json".into(),
                netfilter_model::parse::parse_nft_json(&json, &ParseOptions::new("kernel json"))
                    .unwrap(),
            ));
        }
        for (what, rs) in dumps {
            let mut p = netfilter_model::trace::Packet::new(
                "192.168.50.1".parse().unwrap(),
                "192.168.50.77".parse().unwrap(),
            );
            p.path = netfilter_model::trace::TracePath::Auto;
            p.oif = Some("eth1".into());
            p.proto = Some(netfilter_model::model::Protocol::UDP);
            p.sport = Some(sport);
            p.dport = Some(9999);
            p.local_addrs = Some(local.clone());
            let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
            assert_eq!(rep.verdict, FinalVerdict::Drop, "{what}: {rep:#?}");
            let hooks: Vec<&str> = rep.path.iter().map(|h| h.as_str()).collect();
            assert_eq!(
                hooks,
                ["output", "postrouting", "prerouting", "input"],
                "{what}"
            );
            assert_eq!(rep.decided_by.unwrap().index, Some(1), "{what}");
        }
    }
}

/// Issue 21, item 12: legacy NAT and an nft nat chain at the same priority map the same
/// packet to different endpoints. Which one the kernel takes depends on the registration
/// order, which the trace reports as `order_dependent` with both destinations; the one the
/// kernel took must be among them, whichever backend was loaded first.
#[test]
fn equal_priority_nat_results_are_order_dependent_in_the_kernel() {
    let legacy = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
        -A PREROUTING -d 10.96.0.99/32 -p udp -j DNAT --to-destination 10.244.1.5\nCOMMIT\n";
    let nft = "table ip n {\n\tchain pre {\n\t\ttype nat hook prerouting priority -100; policy accept;\n\t\t\
        ip daddr 10.96.0.99 meta l4proto udp dnat to 10.244.1.12\n\t}\n}\n";
    let send = fixtures().join("send.py");
    let mut delivered: BTreeSet<Arrival> = BTreeSet::new();
    for nft_first in [false, true] {
        // A fresh namespace per load order: a legacy table, once registered, stays.
        let mut node = match Node::start() {
            Ok(n) => n,
            Err(why) => {
                println!("kernel equal-priority NAT skipped: {why}");
                return;
            }
        };
        let local = node_addrs(&mut node);
        node.load(&Load {
            legacy: Some(legacy.into()),
            nft: Some(nft.into()),
            nft_first,
            ..Load::default()
        })
        .expect("loads");
        node.run(&listeners()).expect("listeners");
        let sport = node.fresh_port();
        node.run(&format!(
            "ip netns exec remote timeout 5 python3 '{}' udp 192.168.50.2 10.96.0.99 {sport} 80\nsleep 0.05",
            send.display()
        ))
        .expect("sent");
        let got = arrivals(&mut node);
        let mut rs = parse_iptables_save(
            &node.run("iptables-legacy-save").expect("save"),
            &ParseOptions::new("kernel legacy"),
        )
        .unwrap();
        rs.extend(
            parse_nft_text(
                &node.run("nft list ruleset").expect("list"),
                &ParseOptions::new("kernel nft"),
            )
            .unwrap(),
        );
        let mut p = netfilter_model::trace::Packet::new(
            "192.168.50.2".parse().unwrap(),
            "10.96.0.99".parse().unwrap(),
        );
        p.path = netfilter_model::trace::TracePath::Auto;
        p.iif = Some("eth1".into());
        p.oif = Some("cali5c4d3e2f1a0".into());
        p.proto = Some(netfilter_model::model::Protocol::UDP);
        p.sport = Some(sport);
        p.dport = Some(80);
        p.local_addrs = Some(local.clone());
        let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
        assert!(rep.order_dependent, "{rep:#?}");
        let predicted: BTreeSet<Arrival> = std::iter::once(rep.nat)
            .chain(rep.alternatives.iter().map(|a| a.nat))
            .filter_map(|n| n.dnat)
            .map(|d| {
                let to = d.addr.unwrap().to_string();
                let ns = RECEIVERS.iter().find(|(_, a)| *a == to).unwrap().0;
                (ns.to_string(), "192.168.50.2".to_string(), 80)
            })
            .collect();
        assert_eq!(predicted.len(), 2, "{predicted:?}");
        assert_eq!(got.len(), 1, "nft first: {nft_first}: {got:?}");
        println!(
            "equal-priority NAT, nft loaded first: {nft_first}: the kernel delivered to {got:?}"
        );
        assert!(
            got.is_subset(&predicted),
            "nft first: {nft_first}: the kernel delivered {got:?}, the trace predicts {predicted:?}"
        );
        delivered.extend(got);
    }
    // Each order gave its own endpoint: the dependence is real.
    assert_eq!(delivered.len(), 2, "{delivered:?}");
}
