//! Kernel cross-check of the nft JSON parser: rulesets loaded into a fresh network namespace
//! (`unshare -n`) with `iptables-nft-restore` or `nft -f`, read back with `nft -j list
//! ruleset`, and compared with the models the same rules must give. Skipped unless root
//! with `unshare`, `nft` and `iptables-nft-restore` available. The host ruleset is never
//! read or changed.

use std::io::Write;
use std::process::{Command, Stdio};

use netfilter_model::model::{iptables_builtin, Backend, Family, Policy, Ruleset, Table};
use netfilter_model::parse::{parse_nft_json, ParseOptions};

/// Runs `script` under `sh` in a new network namespace with `stdin`; its stdout, or why not.
fn in_netns(script: &str, stdin: &str) -> Result<String, String> {
    let mut child = Command::new("unshare")
        .args(["-n", "sh", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if let Some(mut i) = child.stdin.take() {
        i.write_all(stdin.as_bytes())
            .map_err(|e| format!("cannot write to the namespace's shell: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("unshare failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{script}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether this process can make network namespaces and has the tools; prints why not.
fn kernel_available(tools: &[&str]) -> bool {
    let uid = Command::new("id").arg("-u").output();
    let root = matches!(&uid, Ok(o) if String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        println!("not root; skipping the kernel cross-check");
        return false;
    }
    let check = tools
        .iter()
        .map(|t| format!("command -v {t} >/dev/null"))
        .collect::<Vec<_>>()
        .join(" && ");
    match in_netns(&format!("{check} && nft list ruleset"), "") {
        Ok(listing) if listing.trim().is_empty() => true,
        Ok(listing) => {
            println!("a fresh namespace is not empty ({listing:?}); skipping");
            false
        }
        Err(e) => {
            println!("no usable network namespace or tools ({e}); skipping");
            false
        }
    }
}

fn table<'a>(rs: &'a Ruleset, family: Family, name: &str) -> &'a Table {
    rs.table(Backend::Nft, family, name)
        .unwrap_or_else(|| panic!("table {family} {name} missing"))
}

/// An iptables-save rule and what the JSON read of the same kernel rule gives.
struct Case {
    /// Canonical text of the rule's model from `iptables-save` (without the comment).
    ipt: &'static str,
    /// The `-m comment` text, if the rule has one.
    comment: Option<&'static str>,
    /// Canonical text from nft JSON when iptables-nft stored an xt compat expression
    /// (whose options nft JSON drops); `None` when every part is native nf_tables.
    xt: Option<&'static str>,
}

const IPTABLES_RULES: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:cali-from-wl-dispatch - [0:0]
:cali-fw-cali123 - [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i cali+ -m comment --comment \"cali:abc\" -j cali-from-wl-dispatch
-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
-A INPUT -p tcp --dport 8080:8090 -s 10.0.0.0/8 ! -d 192.168.0.0/16 -j ACCEPT
-A INPUT -m mark --mark 0x10000/0x10000 -j ACCEPT
-A INPUT -p udp --dport 53 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -j LOG --log-prefix \"x: \"
-A FORWARD -j MARK --set-xmark 0x80000/0x80000
-A cali-from-wl-dispatch -i cali123 -g cali-fw-cali123
-A cali-from-wl-dispatch -m comment --comment \"Unknown interface\" -j DROP
-A cali-fw-cali123 -p tcp -m tcp --dport 22 -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 1.2.3.4/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080
-A POSTROUTING -s 10.0.0.0/8 ! -o cali+ -j MASQUERADE
COMMIT
";

fn expected_iptables() -> Vec<(&'static str, &'static str, Vec<Case>)> {
    let c = |ipt, comment, xt| Case { ipt, comment, xt };
    vec![
        (
            "filter",
            "INPUT",
            vec![
                c(
                    "ct state established,related accept",
                    None,
                    Some("xt:conntrack [lossy] accept"),
                ),
                c(
                    "iifname \"cali*\" jump cali-from-wl-dispatch",
                    Some("cali:abc"),
                    None,
                ),
                c(
                    "tcp dport { 80, 443 } accept",
                    None,
                    Some("meta l4proto tcp xt:multiport [lossy] accept"),
                ),
                c(
                    "ip saddr 10.0.0.0/8 ip daddr != 192.168.0.0/16 tcp dport 8080-8090 accept",
                    None,
                    None,
                ),
                c("meta mark & 0x00010000 == 0x00010000 accept", None, None),
                c(
                    "udp dport 53 reject",
                    None,
                    Some("udp dport 53 xt:REJECT [lossy]"),
                ),
                c("log prefix \"x: \"", None, Some("xt:LOG [lossy]")),
            ],
        ),
        (
            "filter",
            "FORWARD",
            vec![c(
                "meta mark set mark or 0x00080000",
                None,
                Some("xt:MARK [lossy]"),
            )],
        ),
        ("filter", "OUTPUT", vec![]),
        (
            "filter",
            "cali-from-wl-dispatch",
            vec![
                c("iifname \"cali123\" goto cali-fw-cali123", None, None),
                c("drop", Some("Unknown interface"), None),
            ],
        ),
        (
            "filter",
            "cali-fw-cali123",
            vec![c("tcp dport 22 return", None, None)],
        ),
        (
            "nat",
            "PREROUTING",
            vec![c(
                "ip daddr 1.2.3.4 tcp dport 80 dnat to 10.0.0.1:8080",
                None,
                Some("ip daddr 1.2.3.4 tcp dport 80 xt:DNAT [lossy]"),
            )],
        ),
        ("nat", "INPUT", vec![]),
        ("nat", "OUTPUT", vec![]),
        (
            "nat",
            "POSTROUTING",
            vec![c(
                "oifname != \"cali*\" ip saddr 10.0.0.0/8 masquerade",
                None,
                Some("oifname != \"cali*\" ip saddr 10.0.0.0/8 xt:MASQUERADE [lossy]"),
            )],
        ),
    ]
}

#[test]
fn iptables_nft_rules_read_back_as_json() {
    if !kernel_available(&["iptables-nft-restore", "nft"]) {
        return;
    }
    let json = in_netns(
        "iptables-nft-restore && nft -j list ruleset",
        IPTABLES_RULES,
    )
    .expect("restore and list in a fresh namespace");
    let rs = parse_nft_json(&json, &ParseOptions::new("netns:nft -j")).expect("kernel JSON parses");
    let (mut native, mut lossy) = (0, 0);
    for (tname, cname, cases) in expected_iptables() {
        let t = table(&rs, Family::Ip, tname);
        let chain = t
            .chain(cname)
            .unwrap_or_else(|| panic!("chain {tname} {cname} missing"));
        // Built-in chains carry the kernel's fixed hook, priority and type.
        if let Some((hook, prio, ty)) = iptables_builtin(tname, cname) {
            let base = chain.base.as_ref().expect("built-in chain is a base chain");
            assert_eq!(
                (&base.hook, base.priority, &base.chain_type),
                (&hook, prio, &ty)
            );
            let policy = if (tname, cname) == ("filter", "FORWARD") {
                Policy::Drop
            } else {
                Policy::Accept
            };
            assert_eq!(base.policy, policy, "{tname} {cname}");
        } else {
            assert!(chain.base.is_none(), "{tname} {cname}");
        }
        assert_eq!(chain.rules.len(), cases.len(), "rules of {tname} {cname}");
        for (rule, case) in chain.rules.iter().zip(&cases) {
            let got = rule.canonical_without_comment();
            println!("{tname} {cname}: {got}   lossy: {:?}", rule.lossy);
            if got == case.ipt {
                native += 1;
            } else {
                // Only an xt compat part may differ, and it must be reported as lossy.
                assert_eq!(Some(got.as_str()), case.xt, "{tname} {cname}");
                assert!(!rule.lossy.is_empty(), "lossy rule not reported: {got}");
                lossy += 1;
            }
            if let Some(c) = case.comment {
                // Either nf_tables kept the comment natively, or its loss is reported.
                let kept = rule.comment.as_deref() == Some(c);
                let reported = rule.lossy.iter().any(|l| l.to_string().contains("comment"));
                assert!(kept || reported, "comment {c:?} silently dropped: {got}");
                if !kept {
                    // Equal modulo the comment, and the loss is on record (lossy notes are
                    // metadata of the source, so equality itself ignores them).
                    assert!(rule.comment.is_none());
                    assert!(rule.lossy.iter().any(|l| l.to_string().contains("comment")));
                }
            }
        }
    }
    println!("iptables-nft cross-check: {native} rules equal, {lossy} rules lossy (xt compat)");
    assert!(
        native >= 5,
        "expected the natively stored rules to compare equal"
    );
}

const NATIVE_RULES: &str = r#"table inet fw {
	set allowed {
		type ipv4_addr . inet_service
		elements = { 10.0.0.1 . 22, 10.0.0.2 . 80 }
	}
	set nets {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9 }
	}
	map dispatch {
		type ifname : verdict
		elements = { "cali123" : jump cali-fw-cali123, "lo" : accept }
	}
	counter hits {
	}
	chain cali-fw-cali123 {
		ip saddr @nets counter accept
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname vmap @dispatch
		ip saddr . tcp dport @allowed counter accept
		iifname "cali*" tcp dport { 80, 443 } meta mark set mark or 0x80000 accept
		meta mark & 0x10000 == 0x10000 counter name "hits" drop
		udp dport 53 reject
		tcp dport 22 iifname vmap { "eth0" : accept, "eth1" : drop }
		ip daddr != 192.168.0.0/16 log prefix "x: " level info drop
		icmp type echo-request icmp code 0 accept comment "ping"
	}
	chain postnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname != "cali*" ip saddr 10.0.0.0/8 masquerade
	}
	chain prenat {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 1.2.3.4 tcp dport 80 dnat ip to 10.0.0.1:8080
	}
}
"#;

#[test]
fn native_nft_rules_read_back_as_json() {
    if !kernel_available(&["nft"]) {
        return;
    }
    let json = in_netns("nft -f - && nft -j list ruleset", NATIVE_RULES)
        .expect("load and list in a fresh namespace");
    let rs = parse_nft_json(&json, &ParseOptions::new("netns:nft -j")).expect("kernel JSON parses");
    let t = table(&rs, Family::Inet, "fw");
    let rules = |name: &str| -> Vec<String> {
        t.chain(name)
            .unwrap_or_else(|| panic!("chain {name} missing"))
            .rules
            .iter()
            .map(|r| r.canonical())
            .collect()
    };
    assert_eq!(rules("cali-fw-cali123"), vec!["ip saddr @nets accept"]);
    assert_eq!(
        rules("input"),
        vec![
            "ct state established,related accept",
            "iifname vmap @dispatch",
            "ip saddr . tcp dport @allowed accept",
            "iifname \"cali*\" tcp dport { 80, 443 } meta mark set mark or 0x00080000 accept",
            "meta mark & 0x00010000 == 0x00010000 counter name \"hits\" drop",
            "udp dport 53 reject",
            "tcp dport 22 iifname vmap { \"eth0\" : accept, \"eth1\" : drop }",
            "ip daddr != 192.168.0.0/16 log prefix \"x: \" level info drop",
            "icmp type echo-request icmp code 0 accept comment \"ping\"",
        ]
    );
    assert_eq!(
        rules("postnat"),
        vec!["oifname != \"cali*\" ip saddr 10.0.0.0/8 masquerade"]
    );
    assert_eq!(
        rules("prenat"),
        vec!["ip daddr 1.2.3.4 tcp dport 80 dnat to 10.0.0.1:8080"]
    );
    let input = t.chain("input").unwrap();
    let base = input.base.as_ref().unwrap();
    assert_eq!((base.priority, base.policy), (0, Policy::Drop));
    assert!(input.rules.iter().all(|r| r.lossy.is_empty()));
    assert!(input.rules.iter().all(|r| r.origin.handle.is_some()));
    let prenat = t.chain("prenat").unwrap().base.clone().unwrap();
    assert_eq!(prenat.priority, -100);
    assert_eq!(
        t.set("allowed").unwrap().elements,
        vec!["10.0.0.1 . 22", "10.0.0.2 . 80"]
    );
    assert_eq!(
        t.set("allowed").unwrap().key_type,
        "ipv4_addr . inet_service"
    );
    let nets = t.set("nets").unwrap();
    assert_eq!(nets.flags, vec!["interval"]);
    assert_eq!(nets.elements, vec!["10.0.0.0/8", "192.168.1.1-192.168.1.9"]);
    let dispatch = t.set("dispatch").unwrap();
    assert_eq!(dispatch.data_type.as_deref(), Some("verdict"));
    assert_eq!(
        dispatch.elements,
        vec!["\"cali123\" : jump cali-fw-cali123", "\"lo\" : accept"]
    );
    assert_eq!(t.objects.len(), 1);
    assert_eq!(
        (t.objects[0].kind.as_str(), t.objects[0].name.as_str()),
        ("counter", "hits")
    );
    // Reading twice gives equal models (counters and handles are not part of equality).
    let again = parse_nft_json(&json, &ParseOptions::new("again")).unwrap();
    assert_eq!(rs, again);
}

/// Rule lines per chain of an `nft list ruleset` text (lines inside `chain X { ... }` that
/// are not the base-chain line).
fn text_rule_counts(text: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line
            .strip_prefix("chain ")
            .and_then(|l| l.strip_suffix(" {"))
        {
            out.push((name.to_string(), 0));
            current = Some(out.len() - 1);
        } else if line == "}" {
            current = None;
        } else if let Some(i) = current {
            if !line.is_empty() && !line.starts_with("type ") {
                out[i].1 += 1;
            }
        }
    }
    out
}

#[test]
fn calico_nft_dump_reads_back_as_json() {
    let path = super::nft_json_corpus::corpus_base().join("calico-fv/cali-nftables-dump.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("corpus not found at {}; skipping", path.display());
        return;
    };
    if !kernel_available(&["nft"]) {
        return;
    }
    let json = in_netns("nft -f - && nft -j list ruleset", &text)
        .expect("Calico's nft dump loads in a fresh namespace");
    let rs = parse_nft_json(&json, &ParseOptions::new("netns:calico")).expect("kernel JSON parses");
    let t = table(&rs, Family::Ip, "calico");
    // Every chain and every rule of the text dump is in the JSON model, in order.
    let counts = text_rule_counts(&text);
    assert_eq!(counts.len(), t.chains.len());
    for (name, n) in &counts {
        let c = t
            .chain(name)
            .unwrap_or_else(|| panic!("chain {name} missing"));
        assert_eq!(c.rules.len(), *n, "rules of chain {name}");
    }
    let dispatch: Vec<String> = t
        .chain("filter-cali-from-wl-dispatch")
        .unwrap()
        .rules
        .iter()
        .map(|r| r.canonical())
        .collect();
    assert_eq!(
        dispatch,
        vec![
            "iifname vmap @filter-cali-from-wl-dispatch comment \"cali:Lui9n9_J-BlSLUtk;\"",
            "drop comment \"cali:KMISEjprqaGFiicp; Unknown interface\"",
        ]
    );
    let raw: Vec<String> = t
        .chain("raw-cali-PREROUTING")
        .unwrap()
        .rules
        .iter()
        .map(|r| r.canonical_without_comment())
        .collect();
    assert_eq!(
        raw[..3],
        [
            "meta mark set mark and 0xffe4ffff",
            "udp dport 4789 notrack",
            "iifname \"cali*\" meta mark set mark or 0x00080000",
        ]
    );
    // Counters loaded with the dump are read, but take no part in the model's equality.
    let out = &t.chain("nat-OUTPUT").unwrap().rules[0];
    assert_eq!(out.counters.map(|c| c.packets), Some(767));
    let set = t.set("cali40this-host").unwrap();
    assert_eq!(
        set.elements,
        vec!["10.128.0.212", "127.0.0.0", "127.0.0.1", "192.168.122.1"]
    );
    let untyped: Vec<String> = t
        .chains
        .iter()
        .flat_map(|c| &c.rules)
        .flat_map(|r| &r.matches)
        .filter(|m| matches!(m.kind, netfilter_model::model::MatchKind::Other { .. }))
        .map(|m| m.to_string())
        .collect();
    println!(
        "Calico nft dump: {} rules, untyped matches: {untyped:?}",
        rs.rule_count()
    );
    // nft's reverse-path check reads as the rpfilter match iptables-nft translates into it.
    assert_eq!(untyped, vec!["rpfilter --validmark --invert"]);
}

#[test]
fn calico_iptables_dump_restored_reads_back_as_json() {
    let path = super::nft_json_corpus::corpus_base().join("calico-fv/cali-iptables-dump.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("corpus not found at {}; skipping", path.display());
        return;
    };
    if !kernel_available(&["iptables-nft-restore", "nft"]) {
        return;
    }
    let json = in_netns("iptables-nft-restore && nft -j list ruleset", &text)
        .expect("Calico's iptables dump restores in a fresh namespace");
    let rs =
        parse_nft_json(&json, &ParseOptions::new("netns:calico-ipt")).expect("kernel JSON parses");
    // Every `-A` line is a rule of the same chain, in order; comments and xt options that
    // nft JSON cannot show are reported on the rule, never silently dropped.
    let mut tname = String::new();
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    let (mut checked, mut lossy) = (0, 0);
    for line in text.lines() {
        if let Some(t) = line.strip_prefix('*') {
            tname = t.trim().to_string();
            continue;
        }
        let Some(rest) = line.strip_prefix("-A ") else {
            continue;
        };
        let chain = rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let idx = seen
            .iter()
            .filter(|(t, c, _)| *t == tname && *c == chain)
            .count();
        seen.push((tname.clone(), chain.clone(), idx));
        let t = table(&rs, Family::Ip, &tname);
        let c = t
            .chain(&chain)
            .unwrap_or_else(|| panic!("chain {tname} {chain} missing"));
        let r = c
            .rules
            .get(idx)
            .unwrap_or_else(|| panic!("rule {idx} of {tname} {chain} missing"));
        if line.contains("-m comment") {
            assert!(
                r.comment.is_some() || r.lossy.iter().any(|l| l.to_string().contains("comment")),
                "comment silently dropped: {line}"
            );
        }
        if !r.lossy.is_empty() {
            lossy += 1;
        }
        checked += 1;
    }
    for (t, c, i) in &seen {
        let n = seen.iter().filter(|(t2, c2, _)| t2 == t && c2 == c).count();
        let chain = table(&rs, Family::Ip, t).chain(c).unwrap();
        assert_eq!(chain.rules.len(), n, "rules of {t} {c} (rule {i})");
    }
    println!("Calico iptables dump via iptables-nft: {checked} rules checked, {lossy} lossy");
    assert_eq!(checked, 57);
}
