//! A seeded generator of small two-backend rulesets and probe packets for the kernel.
//!
//! Rulesets use what both the kernel and the tracer model exactly: interface names and
//! prefixes, address prefixes, protocols with ports (single, lists, ranges), ICMP types,
//! marks with masks (matched and set), ct state, negation, jump/goto/return between user
//! chains, policies, and native nft base chains at priorities equal to or between the
//! legacy tables' fixed ones. Every nft rule carries a counter after its matches, so the
//! counters say which rules matched, as the legacy counters do.

use std::fmt::Write as _;

use super::node::{Endpoint, Probe, ENDPOINTS};

/// splitmix64.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// One generated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The seed that generates it.
    pub seed: u64,
    /// `iptables-legacy-restore` input.
    pub legacy: Option<String>,
    /// `nft -f` input.
    pub nft: Option<String>,
    /// The probe (its source port is set when sent).
    pub probe: Probe,
    /// Whether an nft forward chain shares priority 0 with legacy filter FORWARD.
    pub clash: bool,
}

const IFACES: &[&str] = &[
    "cali5c4d3e2f1a0",
    "cali9f8e7d6c5b4",
    "cali1a2b3c4d5e6",
    "eth1",
    "cali+",
    "cali1+",
    "cali9+",
    "eth+",
];
const NETS: &[&str] = &[
    "10.244.1.5/32",
    "10.244.1.8/29",
    "10.244.1.0/24",
    "10.244.0.0/16",
    "192.168.50.0/24",
    "192.168.50.2/32",
    "10.0.0.0/8",
];
const PORTS: &[u16] = &[53, 80, 443, 5005, 8080];
const CT: &[&[&str]] = &[
    &["new"],
    &["established"],
    &["related", "established"],
    &["invalid"],
    &["new", "established"],
    &["untracked"],
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hook {
    Pre,
    Fwd,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Legacy,
    Nft,
}

fn iface(s: Syntax, dir: &str, name: &str, neg: bool) -> String {
    match s {
        Syntax::Legacy => format!("{}-{dir} {name}", if neg { "! " } else { "" }),
        Syntax::Nft => {
            let n = name.replace('+', "*");
            let kw = if dir == "i" { "iifname" } else { "oifname" };
            format!("{kw} {}\"{n}\"", if neg { "!= " } else { "" })
        }
    }
}

fn addr(s: Syntax, dir: &str, net: &str, neg: bool) -> String {
    match s {
        Syntax::Legacy => format!("{}-{dir} {net}", if neg { "! " } else { "" }),
        Syntax::Nft => format!(
            "ip {} {}{net}",
            if dir == "s" { "saddr" } else { "daddr" },
            if neg { "!= " } else { "" }
        ),
    }
}

fn l4(rng: &mut Rng, s: Syntax) -> String {
    let proto = rng.pick(&["udp", "tcp", "icmp"]);
    if rng.chance(10) {
        return match s {
            Syntax::Legacy => format!("! -p {proto}"),
            Syntax::Nft => format!("meta l4proto != {proto}"),
        };
    }
    if proto == "icmp" {
        let t = rng.pick(&[("echo-request", 8), ("echo-reply", 0)]);
        return match (s, rng.chance(50)) {
            (_, false) => match s {
                Syntax::Legacy => "-p icmp".into(),
                Syntax::Nft => "meta l4proto icmp".into(),
            },
            (Syntax::Legacy, true) => format!("-p icmp -m icmp --icmp-type {}", t.1),
            (Syntax::Nft, true) => format!("icmp type {}", t.0),
        };
    }
    let neg = rng.chance(20);
    match rng.below(4) {
        0 => match s {
            Syntax::Legacy => format!("-p {proto}"),
            Syntax::Nft => format!("meta l4proto {proto}"),
        },
        1 => {
            let p = rng.pick(PORTS);
            match s {
                Syntax::Legacy => format!(
                    "-p {proto} -m {proto} {}--dport {p}",
                    if neg { "! " } else { "" }
                ),
                Syntax::Nft => format!("{proto} dport {}{p}", if neg { "!= " } else { "" }),
            }
        }
        2 => {
            let mut ps: Vec<u16> = (0..2 + rng.below(2)).map(|_| rng.pick(PORTS)).collect();
            ps.sort();
            ps.dedup();
            let list: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
            match s {
                Syntax::Legacy => format!(
                    "-p {proto} -m multiport {}--dports {}",
                    if neg { "! " } else { "" },
                    list.join(",")
                ),
                Syntax::Nft => format!(
                    "{proto} dport {}{{ {} }}",
                    if neg { "!= " } else { "" },
                    list.join(", ")
                ),
            }
        }
        _ => {
            let (lo, hi) = rng.pick(&[(50u16, 100u16), (400, 5005), (5006, 9000)]);
            match s {
                Syntax::Legacy => format!(
                    "-p {proto} -m {proto} {}--dport {lo}:{hi}",
                    if neg { "! " } else { "" }
                ),
                Syntax::Nft => format!("{proto} dport {}{lo}-{hi}", if neg { "!= " } else { "" }),
            }
        }
    }
}

fn mark_match(rng: &mut Rng, s: Syntax) -> String {
    let m = rng.pick(&[0x1u32, 0x2, 0x3, 0x6, 0xffff_ffff]);
    let v = m & rng.pick(&[0x0u32, 0x1, 0x2, 0x4, 0x7]);
    let neg = rng.chance(25);
    match s {
        Syntax::Legacy if m == 0xffff_ffff => {
            format!("-m mark {}--mark {v:#x}", if neg { "! " } else { "" })
        }
        Syntax::Legacy => format!(
            "-m mark {}--mark {v:#x}/{m:#x}",
            if neg { "! " } else { "" }
        ),
        Syntax::Nft if m == 0xffff_ffff => {
            format!("meta mark {}{v:#x}", if neg { "!= " } else { "" })
        }
        Syntax::Nft => format!(
            "meta mark & {m:#x} {} {v:#x}",
            if neg { "!=" } else { "==" }
        ),
    }
}

fn ct_match(rng: &mut Rng, s: Syntax) -> String {
    let states = rng.pick(CT);
    let neg = rng.chance(25);
    match s {
        Syntax::Legacy => {
            let up: Vec<String> = states.iter().map(|x| x.to_uppercase()).collect();
            if rng.chance(30) && !states.contains(&"untracked") {
                format!(
                    "-m state {}--state {}",
                    if neg { "! " } else { "" },
                    up.join(",")
                )
            } else {
                format!(
                    "-m conntrack {}--ctstate {}",
                    if neg { "! " } else { "" },
                    up.join(",")
                )
            }
        }
        Syntax::Nft => {
            if states.len() == 1 {
                format!("ct state {}{}", if neg { "!= " } else { "" }, states[0])
            } else {
                format!(
                    "ct state {}{{ {} }}",
                    if neg { "!= " } else { "" },
                    states.join(", ")
                )
            }
        }
    }
}

fn mark_stmt(rng: &mut Rng, s: Syntax) -> String {
    let bit = rng.pick(&[0x1u32, 0x2, 0x4]);
    match (s, rng.below(4)) {
        (Syntax::Legacy, 0) => format!("-j MARK --set-mark {bit:#x}"),
        (Syntax::Legacy, 1) => format!("-j MARK --or-mark {bit:#x}"),
        (Syntax::Legacy, 2) => format!("-j MARK --and-mark {:#x}", !bit),
        (Syntax::Legacy, _) => format!("-j MARK --set-xmark {bit:#x}/{:#x}", bit | 0x2),
        (Syntax::Nft, 0) => format!("meta mark set {bit:#x}"),
        (Syntax::Nft, 1) => format!("meta mark set mark or {bit:#x}"),
        (Syntax::Nft, 2) => format!("meta mark set mark and {:#x}", !bit),
        (Syntax::Nft, _) => format!("meta mark set mark xor {bit:#x}"),
    }
}

/// One rule's text (legacy: after `-A CHAIN `; nft: the rule line).
fn rule(
    rng: &mut Rng,
    s: Syntax,
    hook: Hook,
    (filter_fwd, notrack): (bool, bool),
    targets: &[String],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut kinds = [0usize, 1, 2, 3, 4, 5, 6];
    for i in (1..kinds.len()).rev() {
        let j = rng.below(i + 1);
        kinds.swap(i, j);
    }
    let n = rng.pick(&[0usize, 1, 1, 2, 2, 3]);
    for &k in kinds.iter().take(n) {
        let neg = rng.chance(25);
        match k {
            0 => parts.push(iface(s, "i", rng.pick(IFACES), neg)),
            1 if hook == Hook::Fwd => parts.push(iface(s, "o", rng.pick(IFACES), neg)),
            2 => parts.push(addr(s, "s", rng.pick(NETS), neg)),
            3 => parts.push(addr(s, "d", rng.pick(NETS), neg)),
            4 => parts.push(l4(rng, s)),
            5 => parts.push(mark_match(rng, s)),
            6 => parts.push(ct_match(rng, s)),
            _ => {}
        }
    }
    // The action.
    let mut acts: Vec<&str> = vec!["accept", "drop", "return", "mark", "mark"];
    if filter_fwd {
        acts.push("reject");
    }
    if notrack {
        acts.push("notrack");
    }
    if !targets.is_empty() {
        acts.extend(["jump", "jump", "goto"]);
    }
    let act = rng.pick(&acts);
    let target = if targets.is_empty() {
        String::new()
    } else {
        targets[rng.below(targets.len())].clone()
    };
    match s {
        Syntax::Legacy => {
            let a = match act {
                "accept" => "-j ACCEPT".to_string(),
                "drop" => "-j DROP".into(),
                "return" => "-j RETURN".into(),
                "reject" => "-j REJECT".into(),
                "jump" => format!("-j {target}"),
                "goto" => format!("-g {target}"),
                "notrack" => "-j CT --notrack".into(),
                _ => mark_stmt(rng, s),
            };
            parts.push(a);
        }
        Syntax::Nft => {
            parts.push("counter".into());
            let v = match act {
                "accept" => "accept".to_string(),
                "drop" => "drop".into(),
                "return" => "return".into(),
                "reject" => "reject".into(),
                "jump" => format!("jump {target}"),
                "goto" => format!("goto {target}"),
                _ => String::new(),
            };
            if act == "notrack" {
                parts.push("notrack".into());
            } else if act == "mark" || rng.chance(15) {
                parts.push(mark_stmt(rng, s));
            }
            if !v.is_empty() {
                parts.push(v);
            }
        }
    }
    parts.join(" ")
}

/// Rules of a base chain and its user chains `{prefix}0..`: user chain i jumps only to
/// chains after it, so there are no loops.
fn chain_group(
    rng: &mut Rng,
    s: Syntax,
    hook: Hook,
    allow: (bool, bool),
    prefix: &str,
) -> Vec<(String, Vec<String>)> {
    let users: Vec<String> = (0..rng.below(3)).map(|i| format!("{prefix}{i}")).collect();
    let mut out = Vec::new();
    let base_rules = (0..1 + rng.below(4))
        .map(|_| rule(rng, s, hook, allow, &users))
        .collect();
    out.push((String::new(), base_rules));
    for (i, u) in users.iter().enumerate() {
        let later = &users[i + 1..];
        let rules = (0..1 + rng.below(3))
            .map(|_| rule(rng, s, hook, allow, later))
            .collect();
        out.push((u.clone(), rules));
    }
    out
}

fn legacy_rules(rng: &mut Rng, clash: bool) -> String {
    // (table, base chain, hook, whether this case uses it)
    let mut picks = [
        ("raw", "PREROUTING", Hook::Pre, rng.chance(35)),
        ("mangle", "PREROUTING", Hook::Pre, rng.chance(35)),
        ("mangle", "FORWARD", Hook::Fwd, rng.chance(35)),
        ("filter", "FORWARD", Hook::Fwd, clash || rng.chance(80)),
    ];
    if !picks.iter().any(|p| p.3) {
        picks[3].3 = true;
    }
    let mut out = String::new();
    for table in ["raw", "mangle", "filter"] {
        let chosen: Vec<_> = picks.iter().filter(|p| p.0 == table && p.3).collect();
        if chosen.is_empty() {
            continue;
        }
        let builtins: &[&str] = match table {
            "raw" => &["PREROUTING", "OUTPUT"],
            "mangle" => &["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
            _ => &["INPUT", "FORWARD", "OUTPUT"],
        };
        let mut decl = String::new();
        let mut body = String::new();
        let mut policies = std::collections::BTreeMap::new();
        for p in &chosen {
            let prefix = format!("{}_U", if p.2 == Hook::Pre { "P" } else { "F" });
            // REJECT only in filter FORWARD; CT --notrack only in the raw table.
            let allow = (table == "filter", table == "raw");
            for (name, rules) in chain_group(rng, Syntax::Legacy, p.2, allow, &prefix) {
                let chain = if name.is_empty() {
                    p.1.to_string()
                } else {
                    name
                };
                if chain != p.1 {
                    let _ = writeln!(decl, ":{chain} - [0:0]");
                }
                for r in rules {
                    let _ = writeln!(body, "-A {chain} {r}");
                }
            }
            policies.insert(p.1, if rng.chance(25) { "DROP" } else { "ACCEPT" });
        }
        let _ = writeln!(out, "*{table}");
        for b in builtins {
            let _ = writeln!(out, ":{b} {} [0:0]", policies.get(b).unwrap_or(&"ACCEPT"));
        }
        out.push_str(&decl);
        out.push_str(&body);
        out.push_str("COMMIT\n");
    }
    out
}

fn nft_rules(rng: &mut Rng, clash: bool) -> String {
    let mut out = String::new();
    let tables = 1 + rng.below(2);
    let mut n = 0;
    for t in 0..tables {
        let family = rng.pick(&["ip", "inet"]);
        let _ = writeln!(out, "table {family} t{t} {{");
        for _ in 0..1 + rng.below(2) {
            let (hook, prio) = if clash && n == 0 {
                (Hook::Fwd, 0)
            } else {
                (
                    if rng.chance(35) { Hook::Pre } else { Hook::Fwd },
                    rng.pick(&[-300, -150, -150, -10, 0, 0, 0, 10]),
                )
            };
            let policy = if rng.chance(25) { "drop" } else { "accept" };
            let base = format!("b{n}");
            n += 1;
            // reject on forward, notrack on prerouting (at any priority: after conntrack
            // it does nothing).
            let allow = (hook == Hook::Fwd, hook == Hook::Pre);
            let group = chain_group(rng, Syntax::Nft, hook, allow, &format!("{base}_u"));
            for (name, rules) in group {
                if name.is_empty() {
                    let _ = writeln!(
                        out,
                        "\tchain {base} {{\n\t\ttype filter hook {} priority {prio}; policy {policy};",
                        if hook == Hook::Pre { "prerouting" } else { "forward" }
                    );
                } else {
                    let _ = writeln!(out, "\tchain {name} {{");
                }
                for r in rules {
                    let _ = writeln!(out, "\t\t{r}");
                }
                out.push_str("\t}\n");
            }
        }
        out.push_str("}\n");
    }
    out
}

fn probe(rng: &mut Rng) -> Probe {
    let from: Endpoint = ENDPOINTS[rng.below(ENDPOINTS.len())];
    let others: Vec<Endpoint> = ENDPOINTS.iter().copied().filter(|e| *e != from).collect();
    let to = others[rng.below(others.len())];
    let proto = rng.pick(&["udp", "udp", "tcp", "icmp"]);
    Probe {
        proto,
        from,
        to,
        dst: to.ip.to_string(),
        sport: 0,
        dport: if proto == "icmp" { 1 } else { rng.pick(PORTS) },
    }
}

/// Makes the two priority-0 forward chains talk through the mark: one sets bit 0x1 first
/// thing, the other tests it first thing, so the verdict depends on their order.
fn handshake(rng: &mut Rng, legacy: &mut String, nft: &mut String) {
    let verdict = rng.pick(&[("DROP", "drop"), ("ACCEPT", "accept")]);
    let (lrule, nrule) = if rng.chance(50) {
        (
            "-A FORWARD -j MARK --or-mark 0x1".to_string(),
            format!("meta mark & 0x1 == 0x1 counter {}", verdict.1),
        )
    } else {
        (
            format!("-A FORWARD -m mark --mark 0x1/0x1 -j {}", verdict.0),
            "counter meta mark set mark or 0x1".to_string(),
        )
    };
    // First rule of legacy filter FORWARD.
    if let Some(f) = legacy.find("*filter\n") {
        let at = legacy[f..]
            .find("-A FORWARD ")
            .or_else(|| legacy[f..].find("COMMIT"))
            .map(|i| f + i);
        if let Some(at) = at {
            legacy.insert_str(at, &format!("{lrule}\n"));
        }
    }
    // First rule of the nft forward chain at priority 0 (chain b0).
    let head = "type filter hook forward priority 0; policy ";
    if let Some(h) = nft.find(head) {
        if let Some(eol) = nft[h..].find('\n') {
            nft.insert_str(h + eol + 1, &format!("\t\t{nrule}\n"));
        }
    }
}

/// The case of one seed.
pub fn generate(seed: u64) -> Case {
    let mut rng = Rng(seed);
    // A quarter of the cases put an nft forward chain at priority 0 beside legacy filter
    // FORWARD: the kernel's order between them is not in any dump.
    let clash = rng.chance(25);
    let which = if clash { 2 } else { rng.below(4) };
    let mut legacy = (which != 1).then(|| legacy_rules(&mut rng, clash));
    let mut nft = (which != 0).then(|| nft_rules(&mut rng, clash));
    if let (true, true, Some(l), Some(n)) = (clash, rng.chance(60), legacy.as_mut(), nft.as_mut()) {
        handshake(&mut rng, l, n);
    }
    let mut case = Case {
        seed,
        legacy,
        nft,
        probe: probe(&mut rng),
        clash,
    };
    super::gen21::add_extras(&mut case);
    case
}
