//! `nft list ruleset` text parser against the public corpus and (as root) the kernel.

use std::path::{Path, PathBuf};

use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_nft_text, ParseOptions};

fn corpus() -> Option<PathBuf> {
    // The repository is cloned next to `shared/`; a git worktree sits one level deeper.
    let base = env!("CARGO_MANIFEST_DIR");
    let mut candidates: Vec<PathBuf> = std::env::var_os("NFDIFF_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(Path::new(base).join("../../../shared/corpus"));
    candidates.push(Path::new(base).join("../../../../shared/corpus"));
    let found = candidates.into_iter().find(|p| p.is_dir());
    if found.is_none() {
        println!("corpus not found next to the repository; skipping");
    }
    found
}

fn parse(text: &str, name: &str) -> netfilter_model::Result<Ruleset> {
    parse_nft_text(text, &ParseOptions::new(name))
}

fn nft_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            nft_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "nft") {
            out.push(p);
        }
    }
}

#[test]
fn corpus_nftables_dumps_parse() {
    let Some(c) = corpus() else { return };
    let mut files = Vec::new();
    nft_files(&c.join("nftables-dumps"), &mut files);
    assert!(!files.is_empty(), "no *.nft files in the corpus");
    let mut failed = Vec::new();
    let mut rules = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read corpus file");
        match parse(&text, &f.display().to_string()) {
            Ok(rs) => rules += rs.rule_count(),
            Err(e) => failed.push(format!("{e}")),
        }
    }
    let passed = files.len() - failed.len();
    println!(
        "nftables-dumps: {passed} passed, {} failed ({rules} rules)",
        failed.len()
    );
    for f in &failed {
        println!("  FAIL {f}");
    }
    assert!(
        passed * 100 >= files.len() * 95,
        "{passed}/{} parsed",
        files.len()
    );
}

#[test]
fn corpus_calico_dumps_parse() {
    let Some(c) = corpus() else { return };
    for name in ["cali-nftables-dump.txt", "foreign-nft-dump.txt"] {
        let path = c.join("calico-fv").join(name);
        let text = std::fs::read_to_string(&path).expect("read");
        let rs = parse(&text, name).unwrap_or_else(|e| panic!("{e}"));
        assert!(rs.rule_count() > 10, "{name}: {} rules", rs.rule_count());
        println!(
            "{name}: {} tables, {} rules",
            rs.tables.len(),
            rs.rule_count()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Kernel checks: only as root, only inside a fresh `unshare -n` network namespace.

/// Why the kernel checks cannot run here, if they cannot.
pub(super) fn kernel_unavailable(tools: &[&str]) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0");
    if !root {
        return Some("not root".into());
    }
    let ok = std::process::Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Some("`unshare -n` does not work here".into());
    }
    for t in tools {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("`{t}` is not installed"));
        }
    }
    None
}

/// Runs `script` with `sh` inside a new network namespace, in a scratch directory
/// holding `files`; returns standard output.
pub(super) fn in_netns(name: &str, files: &[(&str, &str)], script: &str) -> String {
    let dir = std::env::temp_dir().join(format!("nfdiff-nfttext-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for (f, body) in files {
        std::fs::write(dir.join(f), body).expect("write scratch file");
    }
    let out = std::process::Command::new("unshare")
        .args(["-n", "sh", "-ec", script])
        .current_dir(&dir)
        .output()
        .expect("run unshare");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "namespace script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 listing")
}

fn chain_texts(rs: &Ruleset, table: &str, chain: &str) -> Vec<String> {
    let t = rs
        .tables
        .iter()
        .find(|t| t.name == table)
        .unwrap_or_else(|| panic!("no table {table}"));
    t.chain(chain)
        .unwrap_or_else(|| panic!("no chain {chain}"))
        .rules
        .iter()
        .map(|r| r.canonical())
        .collect()
}

const CALICO_IPTABLES: &str = r#"*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:cali-from-wl-dispatch - [0:0]
:cali-fw-cali12345 - [0:0]
-A INPUT -m comment --comment "cali:web" -p tcp -m multiport --dports 80,443 -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 10.0.0.0/8 ! -d 192.168.0.0/16 -p tcp --dport 8080:8090 -j ACCEPT
-A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable
-A FORWARD -i cali+ -m mark --mark 0x10000/0x10000 -j cali-from-wl-dispatch
-A FORWARD -i cali+ -j MARK --set-xmark 0x80000/0x80000
-A FORWARD -j LOG --log-prefix "cali-drop: "
-A cali-from-wl-dispatch -i cali12345 -g cali-fw-cali12345
-A cali-from-wl-dispatch -m comment --comment "Unknown interface" -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
"#;

#[test]
fn kernel_iptables_nft_listing() {
    if let Some(why) = kernel_unavailable(&["nft", "iptables-nft-restore"]) {
        println!("skipping kernel check: {why}");
        return;
    }
    // stderr carries nft's `# Warning: ... managed by iptables-nft`; keep it in the listing.
    let listing = in_netns(
        "ipt",
        &[("rules", CALICO_IPTABLES)],
        "iptables-nft-restore < rules; nft list ruleset 2>&1; echo '#==SPLIT=='; nft list ruleset 2>/dev/null",
    );
    let (listing, stdout_only) = listing.split_once("#==SPLIT==").expect("both listings");
    let rs = parse(listing, "live-ns").unwrap_or_else(|e| panic!("{e}\n{listing}"));
    assert!(rs
        .warnings
        .iter()
        .any(|w| w.kind == "managed-by-iptables-nft"));
    assert_eq!(
        chain_texts(&rs, "filter", "INPUT"),
        [
            "tcp dport { 80, 443 } accept",
            "ct state established,related accept",
            "ip saddr 10.0.0.0/8 ip daddr != 192.168.0.0/16 tcp dport 8080-8090 accept",
            "meta l4proto udp reject",
        ]
    );
    assert_eq!(
        chain_texts(&rs, "filter", "FORWARD"),
        [
            r#"iifname "cali*" meta mark & 0x00010000 == 0x00010000 jump cali-from-wl-dispatch"#,
            r#"iifname "cali*" meta mark set mark or 0x00080000"#,
            r#"log prefix "cali-drop: ""#,
        ]
    );
    assert_eq!(
        chain_texts(&rs, "filter", "cali-from-wl-dispatch"),
        [r#"iifname "cali12345" goto cali-fw-cali12345"#, "drop"]
    );
    assert_eq!(
        chain_texts(&rs, "nat", "PREROUTING"),
        ["tcp dport 80 dnat to 10.0.0.1:8080"]
    );
    assert_eq!(
        chain_texts(&rs, "nat", "POSTROUTING"),
        [r#"oifname "eth0" masquerade"#]
    );
    // The two `-m comment` rules lost their comment in the listing: marked, not hidden.
    let filter = rs
        .tables
        .iter()
        .find(|t| t.name == "filter")
        .expect("filter");
    let input = filter.chain("INPUT").expect("INPUT");
    assert_eq!(
        input.rules[0].lossy,
        [netfilter_model::model::LossNote::CommentDroppedByNftText]
    );
    assert!(input.rules[1].lossy.is_empty());
    let dispatch = filter.chain("cali-from-wl-dispatch").expect("dispatch");
    assert_eq!(
        dispatch.rules[1].lossy,
        [netfilter_model::model::LossNote::CommentDroppedByNftText]
    );
    assert_eq!(input.rules[0].counters.map(|c| c.packets), Some(0));
    // Without the stderr warning the table names still tell iptables-nft's tables apart.
    let rs2 = parse(stdout_only, "live-ns-stdout").unwrap_or_else(|e| panic!("{e}"));
    assert!(rs2.warnings.is_empty());
    assert_eq!(rs2, rs);
    let fwd = filter.chain("FORWARD").expect("FORWARD");
    let base = fwd.base.as_ref().expect("base chain");
    assert_eq!((base.priority, base.policy.as_str()), (0, "drop"));
    let nat = rs.tables.iter().find(|t| t.name == "nat").expect("nat");
    let prio: Vec<i32> = nat
        .chains
        .iter()
        .filter_map(|c| c.base.as_ref().map(|b| b.priority))
        .collect();
    assert_eq!(prio, [-100, 100, -100, 100]);
}

const IPTABLES_EXTENSIONS: &str = r#"*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m limit --limit 5/min -j ACCEPT
-A INPUT -m limit --limit 5/min --limit-burst 10 -j ACCEPT
-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT
-A INPUT -m statistic --mode random --probability 0.5 -j ACCEPT
-A INPUT -m statistic --mode nth --every 3 --packet 1 -j ACCEPT
-A INPUT -m state --state NEW -j ACCEPT
-A INPUT -m pkttype --pkt-type broadcast -j DROP
-A INPUT -m mac --mac-source 00:11:22:33:44:55 -j DROP
-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p tcp --syn -j ACCEPT
-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j DROP
-A INPUT -m length --length 100:200 -j ACCEPT
-A INPUT -m ttl --ttl-lt 5 -j DROP
-A INPUT -m dscp --dscp 0x2e -j ACCEPT
-A INPUT -m connmark --mark 0x1/0xff -j ACCEPT
-A INPUT -j CONNMARK --restore-mark
-A INPUT -j CONNMARK --save-mark
-A INPUT -j CONNMARK --set-xmark 0x1/0xff
-A INPUT -j NFLOG --nflog-group 5 --nflog-prefix "x"
-A INPUT -j NFQUEUE --queue-num 3 --queue-bypass
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A INPUT -m recent --name foo --rcheck -j DROP
-A OUTPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu
-A OUTPUT -f -j DROP
COMMIT
"#;

/// How nft 1.0.x prints iptables-nft's extensions, and what the model makes of them.
#[test]
fn kernel_iptables_nft_extensions() {
    if let Some(why) = kernel_unavailable(&["nft", "iptables-nft-restore"]) {
        println!("skipping kernel check: {why}");
        return;
    }
    let listing = in_netns(
        "iptext",
        &[("rules", IPTABLES_EXTENSIONS)],
        "iptables-nft-restore < rules; nft list ruleset 2>/dev/null",
    );
    let rs = parse(&listing, "live-ns").unwrap_or_else(|e| panic!("{e}\n{listing}"));
    assert_eq!(
        chain_texts(&rs, "filter", "INPUT"),
        [
            "limit rate 5/minute accept",
            "limit rate 5/minute burst 10 packets accept",
            "fib daddr type local accept",
            "statistic mode random probability 0.50000000000 accept",
            "statistic mode nth every 3 packet 1 accept",
            "ct state new accept",
            "meta pkttype broadcast drop",
            "ether saddr 00:11:22:33:44:55 drop",
            "meta l4proto icmp xt:icmp [lossy] accept",
            "tcp flags & (fin|syn|rst|ack) == syn accept",
            "ip saddr 10.0.0.1-10.0.0.9 drop",
            "meta length 100-200 accept",
            "ip ttl < 5 drop",
            "ip dscp 0x2e accept",
            "ct mark & 0x000000ff == 0x00000001 accept",
            "meta mark set ct mark (nfmask 0xffffffff ctmask 0xffffffff)",
            "ct mark set meta mark (nfmask 0xffffffff ctmask 0xffffffff)",
            "ct mark set ct mark and 0xffffff00 xor 0x00000001",
            r#"log group 5 prefix "x""#,
            "queue flags bypass to 3",
            "meta l4proto tcp reject with tcp-reset",
            "reject with icmp-host-prohibited",
            "xt:recent [lossy] drop",
        ]
    );
    assert_eq!(
        chain_texts(&rs, "filter", "OUTPUT"),
        [
            "meta l4proto tcp tcp option maxseg size set rt mtu",
            "ip frag-off & 0x1fff != 0 drop",
        ]
    );
    let input = &rs.tables[0].chains[0];
    assert_eq!(
        input.rules[8].lossy.len(),
        1,
        "xt match icmp hides its options"
    );
}

const NATIVE: &str = r#"table inet web {
	comment "nfdiff test"
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/8, 192.168.0.0/16 }
	}

	set allowed {
		type ipv4_addr . inet_service
		elements = { 10.1.1.1 . 80, 10.1.1.2 . 443 }
	}

	counter hits {
	}

	chain input {
		type filter hook input priority filter + 10; policy drop;
		comment "entry"
		iifname vmap { "lo" : accept, "eth0" : jump from_eth0 }
		ct state established,related counter accept comment "return traffic"
	}

	chain from_eth0 {
		ip saddr @blocked counter name "hits" drop
		ip saddr . tcp dport @allowed counter accept
		tcp dport { 22, 80, 443 } meta mark set 0x00000001 counter accept comment "web"
		udp dport 53 ip daddr != 10.0.0.0/8 meta mark set mark or 0x00080000 accept
		icmp type echo-request limit rate 5/second burst 10 packets accept
		counter reject with icmpx admin-prohibited
	}
}
"#;

#[test]
fn kernel_native_listing_round_trip() {
    if let Some(why) = kernel_unavailable(&["nft"]) {
        println!("skipping kernel check: {why}");
        return;
    }
    let out = in_netns(
        "native",
        &[("rules.nft", NATIVE)],
        "nft -f rules.nft; nft list ruleset; echo '#==SPLIT=='; nft -a list ruleset",
    );
    let (plain, handles) = out.split_once("#==SPLIT==").expect("both listings");
    let file = parse(NATIVE, "rules.nft").unwrap_or_else(|e| panic!("{e}"));
    let listed = parse(plain, "nft list").unwrap_or_else(|e| panic!("{e}\n{plain}"));
    let listed_a = parse(handles, "nft -a list").unwrap_or_else(|e| panic!("{e}\n{handles}"));
    assert_eq!(listed, listed_a);
    assert_eq!(file, listed, "file and listing differ:\n{plain}");
    let t = &listed_a.tables[0];
    assert!(t.origin.handle.is_some());
    assert!(t.chains.iter().all(|c| c.origin.handle.is_some()));
    assert!(t.chains[1].rules.iter().all(|r| r.origin.handle.is_some()));
    assert_eq!(t.comment.as_deref(), Some("nfdiff test"));
    assert_eq!(t.chains[0].comment.as_deref(), Some("entry"));
    assert_eq!(t.chains[0].base.as_ref().map(|b| b.priority), Some(10));
    assert_eq!(t.sets.len(), 2);
    assert_eq!(
        t.set("allowed").map(|s| s.elements.clone()),
        Some(vec![
            "10.1.1.1 . 80".to_string(),
            "10.1.1.2 . 443".to_string()
        ])
    );
    assert_eq!(t.objects.len(), 1);
    assert_eq!(
        chain_texts(&listed, "web", "input"),
        [
            r#"iifname vmap { "eth0" : jump from_eth0, "lo" : accept }"#,
            r#"ct state established,related accept comment "return traffic""#,
        ]
    );
    assert_eq!(
        chain_texts(&listed, "web", "from_eth0"),
        [
            r#"ip saddr @blocked counter name "hits" drop"#,
            "ip saddr . tcp dport @allowed accept",
            r#"tcp dport { 22, 80, 443 } meta mark set 0x00000001 accept comment "web""#,
            "ip daddr != 10.0.0.0/8 udp dport 53 meta mark set mark or 0x00080000 accept",
            "icmp type echo-request limit rate 5/second burst 10 packets accept",
            "reject with icmpx-admin-prohibited",
        ]
    );
}

/// A plain rendering of everything the parser produced, for snapshots.
fn render(rs: &Ruleset) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for w in &rs.warnings {
        let _ = writeln!(s, "# warning {}: {}", w.kind, w.message);
    }
    for t in &rs.tables {
        let _ = writeln!(s, "table {} {} ({})", t.family, t.name, t.backend);
        if !t.flags.is_empty() {
            let _ = writeln!(s, "  flags {}", t.flags.join(","));
        }
        for set in &t.sets {
            let _ = writeln!(
                s,
                "  set {}: type {}{}; flags [{}]; extra [{}]",
                set.name,
                set.key_type,
                set.data_type
                    .as_ref()
                    .map(|d| format!(" : {d}"))
                    .unwrap_or_default(),
                set.flags.join(","),
                set.extra.join("; ")
            );
            for e in &set.elements {
                let _ = writeln!(s, "    element {e}");
            }
        }
        for o in &t.objects {
            let _ = writeln!(s, "  {} {}: {}", o.kind, o.name, o.body);
        }
        for c in &t.chains {
            match &c.base {
                Some(b) => {
                    let _ = writeln!(
                        s,
                        "  chain {} [type {} hook {} priority {} policy {}]",
                        c.name,
                        b.chain_type,
                        b.hook,
                        b.priority,
                        b.policy.as_str()
                    );
                }
                None => {
                    let _ = writeln!(s, "  chain {}", c.name);
                }
            }
            for r in &c.rules {
                let _ = writeln!(s, "    {}", r.canonical());
                for l in &r.lossy {
                    let _ = writeln!(s, "      lossy: {l}");
                }
            }
        }
    }
    s
}

#[test]
fn snapshot_sets_with_ifnames() {
    let Some(c) = corpus() else { return };
    let path = c.join("nftables-dumps/sets/sets_with_ifnames.nft");
    let text = std::fs::read_to_string(path).expect("read");
    let rs = parse(&text, "sets_with_ifnames.nft").unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("nft_text_sets_with_ifnames", render(&rs));
}

#[test]
fn snapshot_calico_nftables_dump() {
    let Some(c) = corpus() else { return };
    let path = c.join("calico-fv/cali-nftables-dump.txt");
    let text = std::fs::read_to_string(path).expect("read");
    let rs = parse(&text, "cali-nftables-dump.txt").unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("nft_text_calico_dump", render(&rs));
}

#[test]
fn damaged_input_gives_errors_not_panics() {
    // Deep nesting is refused with a message, never recursed into.
    let deep = format!(
        "table ip t {{\n chain c {{\n ip saddr {}\n }}\n}}\n",
        "{ ".repeat(100_000)
    );
    let e = parse(&deep, "deep").expect_err("too deep");
    assert!(e.to_string().contains("nesting"), "{e}");
    let Some(c) = corpus() else { return };
    let mut files = Vec::new();
    nft_files(&c.join("nftables-dumps"), &mut files);
    let mut runs = 0;
    let mut errors = 0;
    for f in files.iter().step_by(5) {
        let text = std::fs::read_to_string(f).expect("read");
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(23).collect();
        for &cut in &cuts {
            // Truncated, and with one character replaced by a brace or a quote.
            let truncated = &text[..cut];
            let mut mutated = text.clone();
            let ch = text[cut..].chars().next().map_or(1, char::len_utf8);
            mutated.replace_range(cut..cut + ch, ["{", "}", "\"", "(", ";", "@"][cut % 6]);
            for input in [truncated, mutated.as_str()] {
                runs += 1;
                if let Err(e) = parse(input, "damaged") {
                    errors += 1;
                    let s = e.to_string();
                    assert!(s.starts_with("damaged:"), "error without source: {s}");
                }
            }
        }
    }
    println!("damaged inputs: {runs} parsed, {errors} rejected with an error, no panic");
    assert!(errors > 0);
}
