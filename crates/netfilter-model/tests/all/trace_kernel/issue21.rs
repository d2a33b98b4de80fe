//! The reproducers of issue 21 in the kernel: each case loads a small ruleset, sends one
//! forwarded probe, and the tracer must give the kernel's verdict (the one the case expects)
//! on the legacy save with the nft text, and hold it possible on the nft JSON dump.

use netfilter_model::trace::FinalVerdict;

use super::compare::{compare_read, packet_of, show};
use super::node::{Load, Node, Probe, POD1, REMOTE};

/// One reproducer.
struct Case {
    name: &'static str,
    load: Load,
    probe: Probe,
    /// What the kernel does (checked, so the case keeps reproducing the class).
    kernel: FinalVerdict,
}

fn udp(dst: &str, to: super::node::Endpoint, dport: u16) -> Probe {
    Probe {
        proto: "udp",
        from: POD1,
        to,
        dst: dst.into(),
        sport: 0,
        dport,
    }
}

fn legacy(rules: &str) -> Load {
    Load {
        legacy: Some(rules.into()),
        ..Load::default()
    }
}

fn iptables_nft(rules: &str) -> Load {
    Load {
        iptables_nft: Some(rules.into()),
        ..Load::default()
    }
}

fn nft(rules: impl Into<String>) -> Load {
    Load {
        nft: Some(rules.into()),
        ..Load::default()
    }
}

const MARK_OUTSIDE_MASK: &str = "*filter\n:FORWARD ACCEPT [0:0]\n\
     -A FORWARD -m mark --mark 0x2/0xf0 -j DROP\n\
     -A FORWARD -m connmark --mark 0x1/0x10 -j DROP\nCOMMIT\n";
const PORT_SETS: &str = "table inet t {\n\
     set ports { type inet_service; flags interval; elements = { 5000-5010 }; }\n\
     chain f { type filter hook forward priority 0; policy accept; tcp dport @ports counter drop; }\n}\n";
const CONCAT_SET: &str = "table ip t {\n\
     set s { type ipv4_addr . inet_service; elements = { 10.244.1.5 . 5005 }; }\n\
     chain f { type filter hook forward priority 0; policy accept; ip saddr . udp dport @s counter drop; }\n}\n";

/// Maps for DNAT and a forward chain that drops what reaches the remote's address.
const NAT_MAPS: &str = "table ip t {\n\
     map m { type ipv4_addr : ipv4_addr; elements = { 10.96.0.70 : 192.168.50.2 }; }\n\
     map mp { type ipv4_addr . inet_service : ipv4_addr . inet_service; elements = { 10.96.0.71 . 53 : 192.168.50.2 . 5005 }; }\n\
     chain f { type filter hook forward priority 0; policy accept; ip daddr 192.168.50.2 counter drop; }\n";

fn cases() -> Vec<Case> {
    let to_remote = udp("192.168.50.2", REMOTE, 5005);
    vec![
        // 2: the nat core runs at -100 whatever the nat chain's priority: the filter chain
        // at 0 sees the new destination.
        Case {
            name: "nat chain at priority 10 runs before a filter chain at 0 (prerouting)",
            load: nft("table ip t {\n\
                 chain n { type nat hook prerouting priority 10; policy accept; ip daddr 10.96.0.50 counter dnat to 192.168.50.2; }\n\
                 chain f { type filter hook prerouting priority 0; policy accept; ip daddr 192.168.50.2 counter drop; }\n}\n"),
            probe: udp("10.96.0.50", REMOTE, 5005),
            kernel: FinalVerdict::Drop,
        },
        // 2: and at +100 on postrouting, after a filter chain at 0.
        Case {
            name: "nat chain at priority -50 runs after a filter chain at 0 (postrouting)",
            load: nft("table ip t {\n\
                 chain n { type nat hook postrouting priority -50; policy accept; ip saddr 10.244.1.5 counter snat to 10.244.1.99; }\n\
                 chain f { type filter hook postrouting priority 0; policy accept; ip saddr 10.244.1.99 counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        // 3: after a mapping the later nat chains of the hook do not run.
        Case {
            name: "legacy DNAT then an nft nat chain at -99",
            load: Load {
                legacy: Some(
                    "*nat\n:PREROUTING ACCEPT [0:0]\n\
                     -A PREROUTING -d 10.96.0.60/32 -p udp -j DNAT --to-destination 10.244.1.12\nCOMMIT\n"
                        .into(),
                ),
                nft: Some(
                    "table ip t {\n\
                     chain n { type nat hook prerouting priority -99; policy accept; ip daddr 10.96.0.60 counter dnat to 192.168.50.2; }\n\
                     chain f { type filter hook forward priority 0; policy accept; ip daddr 192.168.50.2 counter drop; }\n}\n"
                        .into(),
                ),
                ..Load::default()
            },
            probe: Probe {
                from: REMOTE,
                ..udp("10.96.0.60", super::node::POD3, 53)
            },
            kernel: FinalVerdict::Accept,
        },
        // 3: two nft nat chains: the first (by priority) maps, the second does not run.
        Case {
            name: "two nft nat chains, the first maps",
            load: nft("table ip t {\n\
                 chain a { type nat hook prerouting priority -90; policy accept; ip daddr 10.96.0.61 counter dnat to 10.244.1.12; }\n\
                 chain b { type nat hook prerouting priority -80; policy accept; ip daddr 10.96.0.61 counter dnat to 192.168.50.2; }\n\
                 chain f { type filter hook forward priority 0; policy accept; ip daddr 192.168.50.2 counter drop; }\n}\n"),
            probe: Probe {
                from: REMOTE,
                ..udp("10.96.0.61", super::node::POD3, 53)
            },
            kernel: FinalVerdict::Accept,
        },
        // 4: a forwarded packet keeps its input interface at postrouting.
        Case {
            name: "nft postrouting iifname",
            load: nft("table ip t {\n\
                 chain p { type filter hook postrouting priority 0; policy accept; iifname \"cali5c4d3e2f1a0\" counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        // 6: a set lookup keyed on a port keeps its protocol.
        Case {
            name: "tcp dport @ports does not match UDP",
            load: nft(PORT_SETS),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "tcp dport @ports matches TCP",
            load: nft(PORT_SETS),
            probe: Probe {
                proto: "tcp",
                ..to_remote.clone()
            },
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "ip saddr . udp dport @s does not match TCP",
            load: nft(CONCAT_SET),
            probe: Probe {
                proto: "tcp",
                ..to_remote.clone()
            },
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "ip saddr . udp dport @s matches UDP",
            load: nft(CONCAT_SET),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        // 5: wildcards in anonymous sets and verdict maps.
        Case {
            name: "iifname { \"ext0\", \"cali*\" } drop",
            load: nft("table inet t {\n\
                 chain f { type filter hook forward priority 0; policy accept; iifname { \"ext0\", \"cali*\" } counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "iifname vmap with a wildcard",
            load: nft("table inet t {\n\
                 chain f { type filter hook forward priority 0; policy accept; iifname vmap { \"ext0\" : accept, \"cali*\" : jump d }; }\n\
                 chain d { counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        // 9: a ct expression without a conntrack entry breaks the rule.
        Case {
            name: "meta mark set ct mark drop before conntrack",
            load: nft("table ip t {\n\
                 chain raw { type filter hook prerouting priority raw; policy accept; meta mark set ct mark counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "ct mark set ct mark or 0x1 drop before conntrack",
            load: nft("table ip t {\n\
                 chain raw { type filter hook prerouting priority -300; policy accept; ct mark set ct mark or 0x1 counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "meta mark set ct mark drop on an untracked packet",
            load: nft("table ip t {\n\
                 chain raw { type filter hook prerouting priority raw; policy accept; notrack; }\n\
                 chain f { type filter hook forward priority 0; policy accept; meta mark set ct mark counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "ct mark set 0x1 drop before conntrack (a store, not a load)",
            load: nft("table ip t {\n\
                 chain raw { type filter hook prerouting priority raw; policy accept; ct mark set 0x1 counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        // 8: DNAT through a map changes the destination.
        Case {
            name: "dnat to ip daddr map @m",
            load: nft(format!("{NAT_MAPS}chain n {{ type nat hook prerouting priority dstnat; policy accept; dnat to ip daddr map @m; }}\n}}\n")),
            probe: udp("10.96.0.70", REMOTE, 5005),
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "dnat to ip daddr . udp dport through a concatenated map",
            load: nft(format!("{NAT_MAPS}chain n {{ type nat hook prerouting priority dstnat; policy accept; dnat ip addr . port to ip daddr . udp dport map @mp; }}\n}}\n")),
            probe: udp("10.96.0.71", REMOTE, 53),
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "dnat to ip daddr through an anonymous map",
            load: nft(format!("{NAT_MAPS}chain n {{ type nat hook prerouting priority dstnat; policy accept; dnat to ip daddr map {{ 10.96.0.72 : 192.168.50.2 }}; }}\n}}\n")),
            probe: udp("10.96.0.72", REMOTE, 5005),
            kernel: FinalVerdict::Drop,
        },
        // 11: xt targets of iptables-nft rules, whose options nft JSON loses.
        Case {
            name: "iptables-nft REJECT (an xt target in nft JSON)",
            load: iptables_nft("*filter\n:FORWARD ACCEPT [0:0]\n\
                 -A FORWARD -s 10.244.1.5/32 -j LOG\n\
                 -A FORWARD -s 10.244.1.5/32 -j REJECT\nCOMMIT\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "iptables-nft DNAT (an xt target in nft JSON)",
            load: iptables_nft("*nat\n:PREROUTING ACCEPT [0:0]\n\
                 -A PREROUTING -d 10.96.0.80/32 -p udp -j DNAT --to-destination 192.168.50.2\nCOMMIT\n"),
            probe: udp("10.96.0.80", REMOTE, 5005),
            kernel: FinalVerdict::Accept,
        },
        // "Can't tell"s the query decides.
        Case {
            name: "anonymous concatenation set",
            load: nft("table inet t {\n\
                 chain f { type filter hook forward priority 0; policy accept; ip saddr . udp dport { 10.244.1.5 . 5005, 10.244.1.9 . 53 } counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "icmp type { ... } in an inet table",
            load: nft("table inet t {\n\
                 chain f { type filter hook forward priority 0; policy accept; icmp type { echo-request, echo-reply } counter drop; }\n}\n"),
            probe: Probe {
                proto: "icmp",
                dport: 1,
                ..to_remote.clone()
            },
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "meta nfproto ipv6 does not match IPv4",
            load: nft("table inet t {\n\
                 chain f { type filter hook forward priority 0; policy accept; meta nfproto ipv6 counter drop; meta nfproto ipv4 counter accept; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "ct state ! established (iptables-nft conntrack)",
            load: iptables_nft("*filter\n:FORWARD ACCEPT [0:0]\n\
                 -A FORWARD -m conntrack ! --ctstate ESTABLISHED,RELATED -j DROP\nCOMMIT\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        Case {
            name: "ct state vmap",
            load: nft("table inet t {\n\
                 chain f { type filter hook forward priority 0; policy accept; ct state vmap { established : accept, new : jump d, invalid : drop }; }\n\
                 chain d { counter drop; }\n}\n"),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Drop,
        },
        // 1: value bits outside the mask: the match never holds.
        Case {
            name: "legacy mark and connmark values outside their masks",
            load: legacy(MARK_OUTSIDE_MASK),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "iptables-nft mark and connmark values outside their masks",
            load: iptables_nft(MARK_OUTSIDE_MASK),
            probe: to_remote.clone(),
            kernel: FinalVerdict::Accept,
        },
        Case {
            name: "nft mark value outside its mask",
            load: nft("table ip t {\n\
                 chain f { type filter hook forward priority 0; policy accept; meta mark & 0xf0 == 0x2 counter drop; ct mark & 0x10 == 0x1 counter drop; }\n}\n"),
            probe: to_remote,
            kernel: FinalVerdict::Accept,
        },
    ]
}

#[test]
fn issue21_reproducers_agree_with_the_kernel() {
    if let Err(why) = Node::start() {
        println!("issue 21 kernel reproducers skipped: {why}");
        return;
    }
    let mut node = Node::start().unwrap_or_else(|e| panic!("node: {e}"));
    let mut failures = Vec::new();
    let all = cases();
    for c in &all {
        let mut p = c.probe.clone();
        p.sport = node.fresh_port();
        node.load(&c.load)
            .unwrap_or_else(|e| panic!("{}: load: {e}", c.name));
        let cap = node
            .send(&p, true)
            .unwrap_or_else(|e| panic!("{}: send: {e}", c.name));
        let kernel = if cap.delivered > 0 {
            FinalVerdict::Accept
        } else {
            FinalVerdict::Drop
        };
        if kernel != c.kernel {
            failures.push(format!(
                "{}: the kernel {kernel}, the case expects {} (the reproducer no longer reproduces)",
                c.name, c.kernel
            ));
        }
        let pkt = packet_of(&p);
        // The JSON dump loses the options of iptables-nft's xt matches (connmark): there the
        // tracer may be uncertain, as long as it holds the kernel's verdict possible.
        #[allow(unused_mut)]
        let mut sources = vec![
            ("legacy save + nft text", Some(cap.ruleset()), true),
            ("legacy save + nft JSON", cap.ruleset_json(), false),
        ];
        #[cfg(feature = "netlink")]
        sources.push((
            "legacy save + live nf_tables",
            Some(node.live_ruleset(&cap)),
            true,
        ));
        for (what, rs, exact) in sources {
            let Some(rs) = rs else { continue };
            match compare_read(&cap, &cap.ruleset(), &rs, &pkt) {
                Ok(rep) => {
                    if exact && (rep.verdict != kernel || rep.uncertain || rep.order_dependent) {
                        failures.push(format!(
                            "{} ({what}): kernel {kernel}, tracer {} by {} (uncertain {}, order-dependent {})",
                            c.name,
                            rep.verdict,
                            rep.decided_by.as_ref().map_or("nothing".into(), |d| d.to_string()),
                            rep.uncertain,
                            rep.order_dependent
                        ));
                    }
                }
                Err(e) => failures.push(format!("{} ({what}): {e}", c.name)),
            }
        }
        let k = super::compare::kernel_outcome(&cap, &cap.ruleset());
        println!(
            "{}: kernel {kernel} (drop counter {})",
            c.name,
            k.dropped_by.as_ref().map_or("none".into(), show)
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} issue-21 reproducers disagree:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
