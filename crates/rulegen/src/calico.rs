//! Calico (iptables dataplane) shaped rulesets: workload endpoints with fw/tw chains,
//! dispatch chains split by interface-name prefix, profile chains with marks.

use crate::out::GenTable;
use crate::rng::Rng;

const HEX: &[u8] = b"0123456789abcdef";
const ID: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

fn cali_id(rng: &mut Rng) -> String {
    format!("cali:{}", rng.word(ID, 16))
}

/// Generates a filter table with `endpoints` workload endpoints (about 40 rules each).
pub fn generate(rng: &mut Rng, endpoints: usize) -> Vec<GenTable> {
    let names: Vec<String> = (0..endpoints).map(|_| interface_name(rng)).collect();
    generate_named(rng, names)
}

/// A random Calico workload interface name: `cali` and 11 hex digits.
pub fn interface_name(rng: &mut Rng) -> String {
    format!("cali{}", rng.word(HEX, 11))
}

/// Generates a filter table for these workload interface names (sorted and deduplicated first).
pub fn generate_named(rng: &mut Rng, mut names: Vec<String>) -> Vec<GenTable> {
    let mut filter = GenTable::new(
        "filter",
        vec![
            ("INPUT", "type filter hook input priority 0"),
            ("FORWARD", "type filter hook forward priority 0"),
            ("OUTPUT", "type filter hook output priority 0"),
        ],
    );
    names.sort();
    names.dedup();
    for c in [
        "cali-FORWARD",
        "cali-from-wl-dispatch",
        "cali-to-wl-dispatch",
        "cali-pro-kns.default",
        "cali-pro-_default-sa",
    ] {
        filter.chain(c);
    }
    let r = |rng: &mut Rng, f: &mut GenTable, chain: &str, ipt: String, nft: String| {
        rule(rng, f, chain, None, &ipt, &nft)
    };
    r(
        rng,
        &mut filter,
        "FORWARD",
        "-j cali-FORWARD".into(),
        "jump cali-FORWARD".into(),
    );
    r(
        rng,
        &mut filter,
        "FORWARD",
        "-m mark --mark 0x10000/0x10000 -j ACCEPT".into(),
        "meta mark & 0x00010000 == 0x00010000 accept".into(),
    );
    r(
        rng,
        &mut filter,
        "cali-FORWARD",
        "-j MARK --set-xmark 0x0/0xe0000".into(),
        "meta mark set mark and 0xfff1ffff".into(),
    );
    r(
        rng,
        &mut filter,
        "cali-FORWARD",
        "-i cali+ -j cali-from-wl-dispatch".into(),
        "iifname \"cali*\" jump cali-from-wl-dispatch".into(),
    );
    r(
        rng,
        &mut filter,
        "cali-FORWARD",
        "-o cali+ -j cali-to-wl-dispatch".into(),
        "oifname \"cali*\" jump cali-to-wl-dispatch".into(),
    );
    for prof in ["cali-pro-kns.default", "cali-pro-_default-sa"] {
        r(
            rng,
            &mut filter,
            prof,
            "-j MARK --set-xmark 0x10000/0x10000".into(),
            "meta mark set mark or 0x00010000".into(),
        );
        r(
            rng,
            &mut filter,
            prof,
            "-m mark --mark 0x10000/0x10000 -j RETURN".into(),
            "meta mark & 0x00010000 == 0x00010000 return".into(),
        );
    }
    // Dispatch chains, split by the first character after `cali` as Felix does for large node.
    for (dir, flag, nftkw, prefix) in [
        ("from", "-i", "iifname", "cali-fw-"),
        ("to", "-o", "oifname", "cali-tw-"),
    ] {
        let root = format!("cali-{dir}-wl-dispatch");
        let mut groups: Vec<(char, Vec<&String>)> = Vec::new();
        for n in &names {
            let c = n.as_bytes()[4] as char;
            match groups.last_mut() {
                Some((g, v)) if *g == c => v.push(n),
                _ => groups.push((c, vec![n])),
            }
        }
        for (c, members) in &groups {
            let sub = format!("{root}-{c}");
            filter.chain(sub.clone());
            r(
                rng,
                &mut filter,
                &root,
                format!("{flag} cali{c}+ -g {sub}"),
                format!("{nftkw} \"cali{c}*\" goto {sub}"),
            );
            for m in members {
                r(
                    rng,
                    &mut filter,
                    &sub,
                    format!("{flag} {m} -g {prefix}{m}"),
                    format!("{nftkw} \"{m}\" goto {prefix}{m}"),
                );
            }
            unknown(rng, &mut filter, &sub);
        }
        unknown(rng, &mut filter, &root);
    }
    for n in &names {
        for (prefix, policy) in [
            ("cali-fw-", "cali-po-egress"),
            ("cali-tw-", "cali-pi-ingress"),
        ] {
            let chain = format!("{prefix}{n}");
            filter.chain(chain.clone());
            r(
                rng,
                &mut filter,
                &chain,
                "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT".into(),
                "ct state established,related accept".into(),
            );
            r(
                rng,
                &mut filter,
                &chain,
                "-m conntrack --ctstate INVALID -j DROP".into(),
                "ct state invalid drop".into(),
            );
            r(
                rng,
                &mut filter,
                &chain,
                "-j MARK --set-xmark 0x0/0x10000".into(),
                "meta mark set mark and 0xfffeffff".into(),
            );
            if prefix == "cali-fw-" {
                r(
                    rng,
                    &mut filter,
                    &chain,
                    "-p udp -m udp --dport 4789 -j DROP".into(),
                    "udp dport 4789 drop".into(),
                );
            } else {
                r(
                    rng,
                    &mut filter,
                    &chain,
                    "-p tcp -m multiport --dports 80,443,8080 -j MARK --set-xmark 0x20000/0x20000"
                        .into(),
                    "tcp dport { 80, 443, 8080 } meta mark set mark or 0x00020000".into(),
                );
            }
            let _ = policy;
            for prof in ["cali-pro-kns.default", "cali-pro-_default-sa"] {
                r(
                    rng,
                    &mut filter,
                    &chain,
                    format!("-j {prof}"),
                    format!("jump {prof}"),
                );
                rule(
                    rng,
                    &mut filter,
                    &chain,
                    Some("Return if profile accepted"),
                    "-m mark --mark 0x10000/0x10000 -j RETURN",
                    "meta mark & 0x00010000 == 0x00010000 return",
                );
            }
            rule(
                rng,
                &mut filter,
                &chain,
                Some("Drop if no profiles matched"),
                "-j DROP",
                "drop",
            );
        }
    }
    vec![filter]
}

/// Appends a rule carrying Calico's `cali:` id comment and optionally a second, human comment.
/// nft has one comment per rule, so its text joins both with `; ` as nfdiff's model does.
fn rule(rng: &mut Rng, f: &mut GenTable, chain: &str, extra: Option<&str>, ipt: &str, nft: &str) {
    let id = cali_id(rng);
    let (ipt_c, nft_c) = match extra {
        Some(e) => (
            format!("-m comment --comment \"{id}\" -m comment --comment \"{e}\""),
            format!("{id}; {e}"),
        ),
        None => (format!("-m comment --comment \"{id}\""), id),
    };
    f.rule(
        chain,
        format!("{ipt_c} {ipt}"),
        format!("{nft} comment \"{nft_c}\""),
    );
}

fn unknown(rng: &mut Rng, f: &mut GenTable, chain: &str) {
    rule(rng, f, chain, Some("Unknown interface"), "-j DROP", "drop");
}
