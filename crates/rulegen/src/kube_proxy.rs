//! kube-proxy (iptables mode) shaped rulesets: services x endpoints in nat, filter guards.

use crate::out::GenTable;
use crate::rng::Rng;

const HASH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Generates nat and filter tables with about `target_rules` rules.
pub fn generate(rng: &mut Rng, target_rules: usize) -> Vec<GenTable> {
    let mut nat = GenTable::new(
        "nat",
        vec![
            ("PREROUTING", "type nat hook prerouting priority -100"),
            ("INPUT", "type nat hook input priority 100"),
            ("OUTPUT", "type nat hook output priority -100"),
            ("POSTROUTING", "type nat hook postrouting priority 100"),
        ],
    );
    let mut filter = GenTable::new(
        "filter",
        vec![
            ("INPUT", "type filter hook input priority 0"),
            ("FORWARD", "type filter hook forward priority 0"),
            ("OUTPUT", "type filter hook output priority 0"),
        ],
    );
    for c in [
        "KUBE-MARK-MASQ",
        "KUBE-NODEPORTS",
        "KUBE-POSTROUTING",
        "KUBE-SERVICES",
    ] {
        nat.chain(c);
    }
    for c in [
        "KUBE-FIREWALL",
        "KUBE-FORWARD",
        "KUBE-SERVICES",
        "KUBE-EXTERNAL-SERVICES",
    ] {
        filter.chain(c);
    }
    let portals = "kubernetes service portals";
    for hook in ["PREROUTING", "OUTPUT"] {
        nat.rule(
            hook,
            format!("-m comment --comment \"{portals}\" -j KUBE-SERVICES"),
            format!("jump KUBE-SERVICES comment \"{portals}\""),
        );
    }
    nat.rule(
        "POSTROUTING",
        "-m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING",
        "jump KUBE-POSTROUTING comment \"kubernetes postrouting rules\"",
    );
    nat.rule(
        "KUBE-MARK-MASQ",
        "-j MARK --set-xmark 0x4000/0x4000",
        "meta mark set mark or 0x00004000",
    );
    nat.rule(
        "KUBE-POSTROUTING",
        "-m mark ! --mark 0x4000/0x4000 -j RETURN",
        "meta mark & 0x00004000 != 0x00004000 return",
    );
    nat.rule(
        "KUBE-POSTROUTING",
        "-j MARK --set-xmark 0x4000/0x0",
        "meta mark set mark xor 0x00004000",
    );
    let snat = "kubernetes service traffic requiring SNAT";
    nat.rule(
        "KUBE-POSTROUTING",
        format!("-m comment --comment \"{snat}\" -j MASQUERADE --random-fully"),
        format!("masquerade fully-random comment \"{snat}\""),
    );
    filter.rule("INPUT", "-j KUBE-FIREWALL", "jump KUBE-FIREWALL");
    filter.rule(
        "KUBE-FIREWALL",
        "-m comment --comment \"kubernetes firewall for dropping marked packets\" -m mark --mark 0x8000/0x8000 -j DROP",
        "meta mark & 0x00008000 == 0x00008000 drop comment \"kubernetes firewall for dropping marked packets\"",
    );
    let fwd = "kubernetes forwarding rules";
    filter.rule(
        "FORWARD",
        format!("-m comment --comment \"{fwd}\" -j KUBE-FORWARD"),
        format!("jump KUBE-FORWARD comment \"{fwd}\""),
    );
    filter.rule(
        "FORWARD",
        "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        "ct state new jump KUBE-SERVICES comment \"kubernetes service portals\"",
    );
    filter.rule(
        "KUBE-FORWARD",
        "-m conntrack --ctstate INVALID -j DROP",
        "ct state invalid drop",
    );
    filter.rule(
        "KUBE-FORWARD",
        format!("-m comment --comment \"{fwd}\" -m mark --mark 0x4000/0x4000 -j ACCEPT"),
        format!("meta mark & 0x00004000 == 0x00004000 accept comment \"{fwd}\""),
    );
    filter.rule(
        "KUBE-FORWARD",
        "-m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "ct state established,related accept comment \"kubernetes forwarding conntrack rule\"",
    );

    let mut svc = 0u32;
    while nat.rules.len() + filter.rules.len() < target_rules {
        svc += 1;
        let ns = ["default", "kube-system", "monitoring", "shop", "payments"][svc as usize % 5];
        let name = format!("svc-{svc}");
        let port = 80 + (rng.below(8000) as u16);
        let cluster_ip = format!("10.96.{}.{}", (svc / 250) % 250, svc % 250 + 1);
        let proto = if rng.below(10) == 0 { "udp" } else { "tcp" };
        let endpoints = 1 + rng.below(3) as u32;
        let svc_comment = format!("{ns}/{name}:http");
        let svc_chain = format!("KUBE-SVC-{}", rng.word(HASH, 16));
        if rng.below(20) == 0 {
            // A service without endpoints: kube-proxy rejects in filter KUBE-SERVICES.
            filter.rule(
                "KUBE-SERVICES",
                format!(
                    "-d {cluster_ip}/32 -p {proto} -m comment --comment \"{svc_comment} has no endpoints\" -m {proto} --dport {port} -j REJECT --reject-with icmp-port-unreachable"
                ),
                format!(
                    "ip daddr {cluster_ip} {proto} dport {port} reject with icmp port-unreachable comment \"{svc_comment} has no endpoints\""
                ),
            );
            continue;
        }
        nat.chain(svc_chain.clone());
        nat.rule(
            "KUBE-SERVICES",
            format!(
                "-d {cluster_ip}/32 -p {proto} -m comment --comment \"{svc_comment} cluster IP\" -m {proto} --dport {port} -j {svc_chain}"
            ),
            format!(
                "ip daddr {cluster_ip} {proto} dport {port} jump {svc_chain} comment \"{svc_comment} cluster IP\""
            ),
        );
        nat.rule(
            svc_chain.clone(),
            format!(
                "! -s 10.244.0.0/16 -d {cluster_ip}/32 -p {proto} -m comment --comment \"{svc_comment} cluster IP\" -m {proto} --dport {port} -j KUBE-MARK-MASQ"
            ),
            format!(
                "ip saddr != 10.244.0.0/16 ip daddr {cluster_ip} {proto} dport {port} jump KUBE-MARK-MASQ comment \"{svc_comment} cluster IP\""
            ),
        );
        if rng.below(10) == 0 {
            let node_port = 30000 + (svc % 2768) as u16;
            nat.rule(
                "KUBE-NODEPORTS",
                format!(
                    "-p {proto} -m comment --comment \"{svc_comment}\" -m {proto} --dport {node_port} -j {svc_chain}"
                ),
                format!("{proto} dport {node_port} jump {svc_chain} comment \"{svc_comment}\""),
            );
        }
        for e in 0..endpoints {
            let ep_ip = format!("10.244.{}.{}", rng.below(250), rng.below(250) + 1);
            let sep = format!("KUBE-SEP-{}", rng.word(HASH, 16));
            let ep_comment = format!("{svc_comment} -> {ep_ip}:{port}");
            nat.chain(sep.clone());
            let remaining = endpoints - e;
            if remaining > 1 {
                let p = 1.0 / f64::from(remaining);
                let threshold = (p * 2147483648.0) as u64;
                nat.rule(
                    svc_chain.clone(),
                    format!(
                        "-m comment --comment \"{ep_comment}\" -m statistic --mode random --probability {p:.11} -j {sep}"
                    ),
                    format!(
                        "meta random & 2147483647 < {threshold} jump {sep} comment \"{ep_comment}\""
                    ),
                );
            } else {
                nat.rule(
                    svc_chain.clone(),
                    format!("-m comment --comment \"{ep_comment}\" -j {sep}"),
                    format!("jump {sep} comment \"{ep_comment}\""),
                );
            }
            nat.rule(
                sep.clone(),
                format!("-s {ep_ip}/32 -m comment --comment \"{svc_comment}\" -j KUBE-MARK-MASQ"),
                format!("ip saddr {ep_ip} jump KUBE-MARK-MASQ comment \"{svc_comment}\""),
            );
            nat.rule(
                sep,
                format!(
                    "-p {proto} -m comment --comment \"{svc_comment}\" -m {proto} -j DNAT --to-destination {ep_ip}:{port}"
                ),
                format!("meta l4proto {proto} dnat to {ep_ip}:{port} comment \"{svc_comment}\""),
            );
        }
    }
    let last = "kubernetes service nodeports; NOTE: this must be the last rule in this chain";
    nat.rule(
        "KUBE-SERVICES",
        format!("-m comment --comment \"{last}\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"),
        format!("fib daddr type local jump KUBE-NODEPORTS comment \"{last}\""),
    );
    vec![filter, nat]
}
