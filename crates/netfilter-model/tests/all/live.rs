//! Live nf_tables reads (feature `netlink`), each inside a fresh network namespace.

use std::io::Write;
use std::process::{Command, Stdio};

use netfilter_model::model::{Backend, Family, MatchKind, Ruleset, Verdict};
use netfilter_model::netlink::read_live_nft;

mod corpus;
mod xt_fixtures;

use xt_fixtures::assert_equals_save;

use super::netns::{assert_fresh_namespace, assert_inner_passes, in_child, sh};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

/// A native ruleset with vmaps, named/interval/concatenated sets, counters, comments,
/// mark arithmetic, nat, log, limit and reject.
const NATIVE: &str = r#"
table inet fw {
	set allowed {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9, 172.16.0.1 }
	}
	set svc {
		type ipv4_addr . inet_service
		elements = { 10.1.0.1 . 80, 10.1.0.2 . 443 }
	}
	map portmap {
		type inet_service : verdict
		elements = { 22 : jump ssh, 80 : accept }
	}
	counter hits {
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept comment "established"
		ct state invalid drop
		iifname "lo" accept
		iifname "veth*" meta mark set 0x00000010
		ip saddr @allowed tcp dport vmap @portmap
		ip saddr . tcp dport @svc counter accept
		tcp dport { 8000-8080, 9090 } ip saddr != 10.9.0.0/16 accept
		udp sport 53 udp dport 1024-65535 accept
		ip6 saddr fe80::/10 icmpv6 type echo-request accept
		icmp type echo-request limit rate 5/second accept
		tcp flags & (fin | syn | rst | ack) == syn log prefix "syn: " drop
		meta l4proto udp counter name "hits"
		iifname vmap { "eth0" : jump ssh, "eth1" : drop }
		meta mark & 0x0000ff00 == 0x00000100 meta mark set mark and 0xffff00ff xor 0x00000200
		ct mark set meta mark
		reject with tcp reset
	}
	chain ssh {
		tcp dport 22 ct state new accept comment "ssh in"
		tcp dport 2222 jump { ip saddr 10.0.0.1 accept; drop; }
		return
	}
}
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "eth0" tcp dport 8080 dnat to 10.0.0.2:80
		ip daddr 203.0.113.0/24 dnat to 10.0.0.3-10.0.0.5
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" ip saddr 10.0.0.0/8 masquerade random,persistent
		oifname "eth1" snat to 198.51.100.1
	}
}
"#;

/// The canonical texts of a chain's rules, one per line.
fn chain_text(rs: &Ruleset, family: Family, table: &str, chain: &str) -> String {
    let t = rs
        .table(Backend::Nft, family, table)
        .unwrap_or_else(|| panic!("table {family} {table} missing"));
    let c = t
        .chain(chain)
        .unwrap_or_else(|| panic!("chain {chain} missing in {family} {table}"));
    c.rules
        .iter()
        .map(|r| r.canonical())
        .collect::<Vec<_>>()
        .join("\n")
}

fn nft_load(text: &str) {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run nft");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write ruleset");
    assert!(child.wait().expect("wait nft").success(), "nft -f failed");
}

#[test]
fn native_nft_ruleset_reads_back() {
    assert_inner_passes("all::live::inner_native_nft", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace native_nft_ruleset_reads_back creates"]
fn inner_native_nft() {
    if !in_child() {
        return;
    }
    assert_fresh_namespace();
    nft_load(NATIVE);
    let rs = read_live_nft().expect("live read");
    assert_eq!(
        chain_text(&rs, Family::Inet, "fw", "input"),
        [
            "ct state established,related accept comment \"established\"",
            "ct state invalid drop",
            "iifname \"lo\" accept",
            "iifname \"veth*\" meta mark set 0x00000010",
            "ip saddr @allowed tcp dport vmap @portmap",
            "ip saddr . tcp dport @svc accept",
            "ip saddr != 10.9.0.0/16 tcp dport { 8000-8080, 9090 } accept",
            "udp sport 53 udp dport 1024-65535 accept",
            "ip6 saddr fe80::/10 icmpv6 type echo-request accept",
            "icmp type echo-request limit rate 5/second accept",
            "tcp flags & (fin|syn|rst|ack) == syn log prefix \"syn: \" drop",
            "meta l4proto udp counter name \"hits\"",
            "iifname vmap { \"eth0\" : jump ssh, \"eth1\" : drop }",
            "meta mark & 0x0000ff00 == 0x00000100 meta mark set mark and 0xffff00ff xor 0x00000200",
            "ct mark set meta mark (nfmask 0xffffffff ctmask 0xffffffff)",
            "meta l4proto tcp reject with tcp-reset",
        ]
        .join("\n")
    );
    assert_eq!(
        chain_text(&rs, Family::Inet, "fw", "ssh"),
        "tcp dport 22 ct state new accept comment \"ssh in\"\n\
         tcp dport 2222 jump { ip saddr 10.0.0.1 accept; drop }\n\
         return"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "nat", "pre"),
        "iifname \"eth0\" tcp dport 8080 dnat to 10.0.0.2:80\n\
         ip daddr 203.0.113.0/24 dnat to 10.0.0.3-10.0.0.5"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "nat", "post"),
        "oifname \"eth0\" ip saddr 10.0.0.0/8 masquerade persistent random\n\
         oifname \"eth1\" snat to 198.51.100.1"
    );
    let fw = rs.table(Backend::Nft, Family::Inet, "fw").expect("fw");
    let sets: Vec<String> = fw
        .sets
        .iter()
        .map(|s| {
            format!(
                "{} {}{} [{}] {{ {} }}",
                s.name,
                s.key_type,
                s.data_type
                    .as_deref()
                    .map(|d| format!(" : {d}"))
                    .unwrap_or_default(),
                s.flags.join(","),
                s.elements.join(", ")
            )
        })
        .collect();
    assert_eq!(
        sets,
        [
            "allowed ipv4_addr [interval] { 10.0.0.0/8, 172.16.0.1, 192.168.1.1-192.168.1.9 }",
            "svc ipv4_addr . inet_service [] { 10.1.0.1 . 80, 10.1.0.2 . 443 }",
            "portmap inet_service : verdict [] { 22 : jump ssh, 80 : accept }",
        ]
    );
    assert_eq!(fw.objects.len(), 1);
    assert_eq!(fw.objects[0].kind, "counter");
    // Counters are read (not part of equality) and base chains carry hook and policy.
    let input = fw.chain("input").expect("input");
    assert!(input.rules[0].counters.is_some());
    assert_eq!(
        input.base.as_ref().map(|b| (b.priority, b.policy.as_str())),
        Some((0, "drop"))
    );
}

/// ipsets the Calico fixture's `-m set` rules reference (as `testdata/capture.sh` creates them).
const CALICO_IPSETS: &str = "\
ipset create cali40all-ipam-pools hash:net family inet
ipset add cali40all-ipam-pools 10.244.0.0/16
ipset create cali40masq-ipam-pools hash:net family inet
ipset add cali40masq-ipam-pools 10.244.0.0/16
ipset create cali40all-hosts-net hash:net family inet
ipset add cali40all-hosts-net 192.168.50.10
ipset create cali40s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet
ipset add cali40s:y-uVl4bAoAfdydOS8SL9Rv9 10.244.2.15";

#[test]
fn calico_iptables_nft_reads_back_with_comments() {
    assert_inner_passes("all::live::inner_calico_iptables_nft", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace calico_iptables_nft_reads_back_with_comments creates"]
fn inner_calico_iptables_nft() {
    if !in_child() {
        return;
    }
    assert_fresh_namespace();
    if Command::new("ipset").arg("-v").output().is_err() {
        eprintln!("skipping: ipset not installed");
        return;
    }
    sh(CALICO_IPSETS);
    sh(&format!(
        "iptables-nft-restore < {TESTDATA}/calico/calico.rules"
    ));
    let rs = read_live_nft().expect("live read");
    // Same rule count as `iptables-nft-save` shows for the fixture (testdata/calico/nft.save).
    let save = std::fs::read_to_string(format!("{TESTDATA}/calico/nft.save")).expect("nft.save");
    let expected_rules = save.lines().filter(|l| l.starts_with("-A ")).count();
    assert_eq!(rs.rule_count(), expected_rules);
    assert_equals_save(&rs, &save, "calico");
    // Every rule's comments (xt comment matches) survive, joined as the iptables parser joins them.
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "cali-from-wl-dispatch"),
        "iifname \"cali1*\" goto cali-from-wl-dispatch-1 comment \"cali:nFBvRMNuiwueHj-T\"\n\
         iifname \"cali5c4d3e2f1a0\" goto cali-fw-cali5c4d3e2f1a0 comment \"cali:jaAxippws6AMlme7\"\n\
         drop comment \"cali:WuW-v0hFU6WR8AOY; Unknown interface\""
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "cali-pi-_X7VFB0-30Nbs6hn4qt"),
        "tcp dport { 8080, 8443 } src @cali40s:y-uVl4bAoAfdydOS8SL9Rv9 meta mark set mark or 0x00010000 comment \"cali:v1LY-iI_NmBqx6_5\"\n\
         meta mark & 0x00010000 == 0x00010000 return comment \"cali:dVeicn58w8WieTmP\""
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "cali-OUTPUT"),
        [
            "meta mark & 0x00010000 == 0x00010000 accept comment \"cali:stcmYrBco42UHVyp\"",
            "oifname \"cali*\" return comment \"cali:R9UOHzN0AzUFH-Fo\"",
            "meta l4proto ipip fib saddr type local dst @cali40all-hosts-net accept comment \"cali:d_3IOxGnyHDu9x1B; Allow IPIP packets to other Calico hosts\"",
            "meta mark set mark and 0xfff0ffff comment \"cali:4WgOmWQtRLPZCmjU\"",
            "ct state != dnat jump cali-to-host-endpoint comment \"cali:vvIidW75zrMRTLjG\"",
            "meta mark & 0x00010000 == 0x00010000 accept comment \"cali:AEdNLKoXHTqyXZfo; Host endpoint policy accepted packet.\"",
        ]
        .join("\n")
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "nat", "cali-POSTROUTING"),
        "jump cali-fip-snat comment \"cali:2sEb3EDsYN7yTyhn\"\n\
         jump cali-nat-outgoing comment \"cali:jizMHRhZtAfoC59E\"\n\
         oifname \"tunl0\" fib saddr . oif type != local fib saddr type local masquerade comment \"cali:d08n8Uapz7hkAzb_\""
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "nat", "cali-nat-outgoing"),
        "src @cali40masq-ipam-pools dst != @cali40all-ipam-pools masquerade fully-random comment \"cali:awxmY5N644qeTKsT\""
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "raw", "cali-PREROUTING"),
        [
            "meta mark set mark and 0xfff0ffff comment \"cali:o5UOW27KfZbv_ELe\"",
            "iifname \"cali*\" meta mark set mark or 0x00040000 comment \"cali:Hi9CSOyxPen1Yvs_\"",
            "meta mark & 0x00040000 == 0x00040000 rpfilter --validmark --invert drop comment \"cali:jJ31V0_rsvgVIbkL\"",
            "meta mark & 0x00040000 == 0x00000000 jump cali-from-host-endpoint comment \"cali:U4WE64v5J4EEuNiK\"",
            "meta mark & 0x00010000 == 0x00010000 accept comment \"cali:1kIP1GcRZevXEXvn\"",
        ]
        .join("\n")
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "cali-fw-cali5c4d3e2f1a0")
            .lines()
            .nth(3),
        Some("udp dport 4789 drop comment \"cali:V5Bgmifr0IP3Rb7K; Drop VXLAN encapped packets originating in pods\"")
    );
    // Nothing of this ruleset is left undecoded except what the model keeps verbatim on purpose.
    let verbatim: Vec<String> = rs
        .tables
        .iter()
        .flat_map(|t| &t.chains)
        .flat_map(|c| &c.rules)
        .flat_map(|r| &r.matches)
        .filter_map(|m| match &m.kind {
            MatchKind::Other { module, .. } if module.starts_with("xt:") => Some(m.to_string()),
            _ => None,
        })
        .collect();
    assert!(verbatim.is_empty(), "undecoded xt matches: {verbatim:?}");
}

#[test]
fn live_read_without_cap_net_admin_names_the_privilege() {
    assert_inner_passes(
        "all::live::inner_without_cap_net_admin",
        &[],
        &[
            "setpriv",
            "--bounding-set=-net_admin",
            "--inh-caps=-net_admin",
        ],
    );
}

#[test]
#[ignore = "inner test: runs only inside the namespace live_read_without_cap_net_admin_names_the_privilege creates"]
fn inner_without_cap_net_admin() {
    if !in_child() {
        return;
    }
    let err = read_live_nft().expect_err("must fail without CAP_NET_ADMIN");
    assert!(
        err.to_string()
            .contains("reading nf_tables needs CAP_NET_ADMIN (run as root)"),
        "{err}"
    );
}

#[test]
fn dumps_stay_consistent_under_churn() {
    assert_inner_passes("all::live::inner_churn", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace dumps_stay_consistent_under_churn creates"]
fn inner_churn() {
    if !in_child() {
        return;
    }
    assert_fresh_namespace();
    nft_load("table ip t {\n chain base {\n type filter hook input priority 0;\n }\n}\n");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let written2 = written.clone();
    // Writer: every batch replaces chain `base`'s rules with 20 rules of one version, each
    // jumping to a chain and looking up a set created in the same batch.
    let writer = std::thread::spawn(move || {
        let mut v = 0u32;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            v += 1;
            let prev = v - 1;
            let mut b = String::new();
            b.push_str("flush chain ip t base\n");
            if prev > 0 {
                b.push_str(&format!(
                    "delete chain ip t c{prev}\ndelete set ip t s{prev}\n"
                ));
            }
            b.push_str(&format!(
                "add set ip t s{v} {{ type ipv4_addr; elements = {{ 10.0.0.{} }}; }}\n\
                 add chain ip t c{v}\n",
                v % 250
            ));
            for i in 0..20 {
                b.push_str(&format!(
                    "add rule ip t base ip saddr @s{v} tcp dport {} jump c{v} comment \"v{v}\"\n",
                    1000 + i
                ));
            }
            let mut child = Command::new("nft")
                .args(["-f", "-"])
                .stdin(Stdio::piped())
                .spawn()
                .expect("nft");
            let _ = child.stdin.take().expect("stdin").write_all(b.as_bytes());
            let ok = child.wait().is_ok_and(|s| s.success());
            assert!(ok, "writer batch {v} failed:\n{b}");
            written2.store(v, std::sync::atomic::Ordering::Relaxed);
        }
        v
    });
    let mut generations = std::collections::BTreeSet::new();
    let started = std::time::Instant::now();
    let mut dumps = 0u32;
    // At least 200 dumps, and keep dumping until the writer has changed the ruleset 50 times.
    while dumps < 200
        || (written.load(std::sync::atomic::Ordering::Relaxed) < 50
            && started.elapsed() < std::time::Duration::from_secs(60))
    {
        dumps += 1;
        let rs = read_live_nft().expect("consistent dump");
        let t = rs.table(Backend::Nft, Family::Ip, "t").expect("table t");
        let base = t.chain("base").expect("chain base");
        let versions: std::collections::BTreeSet<_> =
            base.rules.iter().map(|r| r.comment.clone()).collect();
        assert!(
            base.rules.is_empty() || (base.rules.len() == 20 && versions.len() == 1),
            "half-changed chain: {} rules, versions {versions:?}",
            base.rules.len()
        );
        for r in &base.rules {
            match &r.verdict {
                Some(Verdict::Jump(c)) => assert!(t.chain(c).is_some(), "jump to missing {c}"),
                other => panic!("unexpected verdict {other:?}"),
            }
            for m in &r.matches {
                if let MatchKind::SetLookup { set, .. } = &m.kind {
                    assert!(t.set(set).is_some(), "lookup into missing set {set}");
                }
            }
        }
        generations.insert(versions.into_iter().next().flatten());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = writer.join().expect("writer");
    eprintln!(
        "churn: {dumps} consistent dumps saw {} distinct versions while {writes} batches were written",
        generations.len()
    );
    assert!(writes > 10, "the writer hardly ran ({writes} batches)");
    assert!(
        generations.len() > 2,
        "the dumps saw too few versions to prove anything"
    );
}

#[test]
fn parallel_rule_dumps_equal_the_single_socket_dump() {
    assert_inner_passes("all::live::inner_parallel_dump", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace parallel_rule_dumps_equal_the_single_socket_dump creates"]
fn inner_parallel_dump() {
    if !in_child() {
        return;
    }
    assert_fresh_namespace();
    let mut text = String::from("table ip p {\n");
    for i in 0..300 {
        text.push_str(&format!(
            "chain c{i} {{\n ip saddr 10.0.{}.{} tcp dport {} counter jump c{} comment \"r{i}\"\n}}\n",
            i / 256,
            i % 256,
            1000 + i,
            i + 1
        ));
    }
    text.push_str("chain c300 {\n accept\n}\n}\n");
    nft_load(&text);
    let single = read_live_nft().expect("single-socket read");
    // The inner test runs alone in its process (--test-threads=1), so the variable is ours.
    std::env::set_var("NFDIFF_NETLINK_WORKERS", "3");
    let parallel = read_live_nft().expect("parallel read");
    std::env::remove_var("NFDIFF_NETLINK_WORKERS");
    assert_eq!(single.rule_count(), 301);
    assert_eq!(single, parallel);
    assert_eq!(
        chain_text(&parallel, Family::Ip, "p", "c299"),
        "ip saddr 10.0.1.43 tcp dport 1299 jump c300 comment \"r299\""
    );
}
