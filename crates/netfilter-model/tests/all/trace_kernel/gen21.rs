//! Extra features for the generated kernel cases (issue 21): nat chains at odd priorities
//! (two of them, the later one must not run), DNAT through maps, `iifname` on postrouting,
//! mark values outside their masks, port-keyed set lookups, and ct loads without a
//! conntrack entry; anonymous concatenation sets, `icmp type` sets, `meta nfproto` and
//! `ct state vmap` in an inet table. They go into more nft tables (`x21`, `x21i`), drawn
//! from their own random stream so the rest of a seed's case stays as it was.

use std::fmt::Write as _;

use super::gen::{Case, Rng};

const IFACES: &[&str] = &[
    "cali5c4d3e2f1a0",
    "cali9f8e7d6c5b4",
    "cali*",
    "eth1",
    "eth*",
];

/// Adds some of the features to `case` (about two cases in five get any).
pub fn add_extras(case: &mut Case) {
    let mut rng = Rng(case.seed ^ 0x2121_2121_5eed_0021);
    if !rng.chance(40) {
        return;
    }
    let mut body = String::new();
    let mut fwd = Vec::new();
    let verdict = |rng: &mut Rng| rng.pick(&["accept", "drop"]);
    // Sets for the lookups.
    body.push_str(
        "\tset ports { type inet_service; flags interval; elements = { 50-100, 5005 }; }\n",
    );
    body.push_str("\tset sp { type ipv4_addr . inet_service; elements = { 10.244.1.5 . 5005, 192.168.50.2 . 53, 10.244.1.9 . 80 }; }\n");
    for _ in 0..1 + rng.below(3) {
        match rng.below(5) {
            0 => {
                let m = rng.pick(&[0xf0u32, 0x10, 0xff00]);
                let v = rng.pick(&[0x1u32, 0x2, 0x100]);
                fwd.push(format!(
                    "meta mark & {m:#x} {} {v:#x} counter {}",
                    if rng.chance(30) { "!=" } else { "==" },
                    verdict(&mut rng)
                ));
            }
            1 => {
                let p = rng.pick(&["tcp", "udp"]);
                fwd.push(format!("{p} dport @ports counter {}", verdict(&mut rng)));
            }
            2 => {
                let p = rng.pick(&["tcp", "udp"]);
                fwd.push(format!(
                    "ip saddr . {p} dport @sp counter {}",
                    verdict(&mut rng)
                ));
            }
            3 => {
                let list = if rng.chance(50) {
                    "{ \"ext0\", \"cali*\" }".to_string()
                } else {
                    "{ \"eth1\", \"cali9*\" }".to_string()
                };
                fwd.push(format!("iifname {list} counter {}", verdict(&mut rng)));
            }
            _ => {
                let k = rng.pick(&["meta mark set ct mark", "ct mark set ct mark or 0x1"]);
                fwd.push(format!("{k} counter {}", verdict(&mut rng)));
            }
        }
    }
    let prio = rng.pick(&[-5, 5]);
    let _ = writeln!(
        body,
        "\tchain xf {{\n\t\ttype filter hook forward priority {prio}; policy accept;"
    );
    for r in &fwd {
        let _ = writeln!(body, "\t\t{r}");
    }
    body.push_str("\t}\n");
    // ct loads before conntrack: they break the rule, so these never act.
    if rng.chance(30) {
        let k = rng.pick(&["meta mark set ct mark", "ct mark set ct mark or 0x1"]);
        let _ = writeln!(
            body,
            "\tchain xr {{\n\t\ttype filter hook prerouting priority raw; policy accept;\n\t\t{k} counter drop\n\t}}"
        );
    }
    // A forwarded packet keeps its input interface at postrouting. Not negated: the node's
    // own packets (a reject's ICMP error) have none and must not count here too.
    if rng.chance(40) {
        let i = rng.pick(IFACES);
        let _ = writeln!(
            body,
            "\tchain xp {{\n\t\ttype filter hook postrouting priority {}; policy accept;\n\t\tiifname \"{i}\" counter {}\n\t}}",
            rng.pick(&[-50, 0, 50, 150]),
            verdict(&mut rng)
        );
    }
    // DNAT of a service address to the probe's destination, by nat chains at odd
    // priorities; the second maps elsewhere and must not run after the first. Not where the
    // packet may be untracked (then no nat chain runs and the packet goes nowhere).
    let untracked = [&case.legacy, &case.nft]
        .iter()
        .any(|t| t.as_deref().is_some_and(|t| t.contains("notrack")));
    if !untracked && rng.chance(50) {
        let svc = format!("10.96.0.{}", 10 + case.seed % 200);
        let to = case.probe.to.ip;
        let p1 = rng.pick(&[-150, -101, -100, -99, -50, 10]);
        let p2 = p1 + rng.pick(&[1, 20]);
        let how = match rng.below(3) {
            0 => format!("ip daddr {svc} counter dnat to {to}"),
            1 => format!("counter dnat to ip daddr map {{ {svc} : {to} }}"),
            _ => "counter dnat to ip daddr map @svc".to_string(),
        };
        let _ = writeln!(
            body,
            "\tmap svc {{ type ipv4_addr : ipv4_addr; elements = {{ {svc} : {to} }}; }}"
        );
        let _ = writeln!(
            body,
            "\tchain xn1 {{\n\t\ttype nat hook prerouting priority {p1}; policy accept;\n\t\t{how}\n\t}}"
        );
        let _ = writeln!(
            body,
            "\tchain xn2 {{\n\t\ttype nat hook prerouting priority {p2}; policy accept;\n\t\tip daddr {{ {svc}, {to} }} counter dnat to 10.99.99.99\n\t}}"
        );
        // If the second ran, the packet would go to 10.99.99.99: drop it there visibly.
        let _ = writeln!(
            body,
            "\tchain xg {{\n\t\ttype filter hook forward priority 20; policy accept;\n\t\tip daddr 10.99.99.99 counter drop\n\t}}"
        );
        case.probe.dst = svc;
    }
    let mut table = format!("table ip x21 {{\n{body}}}\n");
    // Verbatim forms the tracer decides from the query, in an inet table.
    if rng.chance(50) {
        let mut rules = Vec::new();
        for _ in 0..1 + rng.below(2) {
            rules.push(match rng.below(4) {
                0 => format!(
                    "ip saddr . {} dport {{ 10.244.1.5 . 5005, 10.244.1.9 . 53, 192.168.50.2 . 80 }} counter {}",
                    rng.pick(&["udp", "tcp"]),
                    verdict(&mut rng)
                ),
                1 => format!(
                    "icmp type {{ {} }} counter {}",
                    rng.pick(&["echo-request, echo-reply", "echo-reply, destination-unreachable"]),
                    verdict(&mut rng)
                ),
                2 => format!(
                    "meta nfproto {} counter {}",
                    rng.pick(&["ipv4", "ipv6"]),
                    verdict(&mut rng)
                ),
                // Drops through a chain with a counter, so the kernel's counters show them.
                _ => format!(
                    "ct state vmap {{ established : accept, new : {}, invalid : jump d }}",
                    rng.pick(&["accept", "jump d", "continue"])
                ),
            });
        }
        let _ = write!(
            table,
            "table inet x21i {{\n\tchain v {{\n\t\ttype filter hook forward priority {}; policy accept;\n",
            rng.pick(&[-7, 7])
        );
        for r in rules {
            let _ = writeln!(table, "\t\t{r}");
        }
        table.push_str("\t}\n\tchain d {\n\t\tcounter drop\n\t}\n}\n");
    }
    match &mut case.nft {
        Some(n) => n.push_str(&table),
        None => case.nft = Some(table),
    }
}
