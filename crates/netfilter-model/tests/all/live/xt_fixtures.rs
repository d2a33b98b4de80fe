//! iptables-nft rulesets (kube-proxy, Calico IPv6, xt extensions) read live, against iptables-save.

use std::io::Write;
use std::process::{Command, Stdio};

use netfilter_model::model::{Family, Ruleset};
use netfilter_model::netlink::read_live_nft;

use super::super::netns::{assert_fresh_namespace, assert_inner_passes, in_child, sh};
use super::{chain_text, TESTDATA};

/// Restores a fixture with `<x>tables-nft-restore`, reads it live and checks that every chain
/// of its `nft.save` exists with the same number of rules, and that no xt payload is left
/// undecoded. Returns the live ruleset for further checks.
fn check_xt_fixture(dir: &str, restore: &str, ipsets: &str, family: Family) -> Ruleset {
    assert_fresh_namespace();
    if !ipsets.is_empty() {
        sh(ipsets);
    }
    sh(&format!("{restore} < {TESTDATA}/{dir}/{dir}.rules"));
    let rs = read_live_nft().expect("live read");
    let save = std::fs::read_to_string(format!("{TESTDATA}/{dir}/nft.save")).expect("nft.save");
    let live: std::collections::BTreeMap<(String, String), usize> = rs
        .tables
        .iter()
        .filter(|t| t.family == family)
        .flat_map(|t| {
            t.chains
                .iter()
                .map(move |c| ((t.name.clone(), c.name.clone()), c.rules.len()))
        })
        .collect();
    assert_eq!(live, save_shape(&save));
    let undecoded: Vec<String> = rs
        .tables
        .iter()
        .flat_map(|t| &t.chains)
        .flat_map(|c| &c.rules)
        .filter(|r| r.canonical().contains("xt:"))
        .map(|r| r.canonical())
        .collect();
    assert!(
        undecoded.is_empty(),
        "undecoded xt payloads: {undecoded:#?}"
    );
    assert_equals_save(&rs, &save, dir);
    rs
}

/// The live model equals the iptables-save parser's model of the same kernel ruleset as
/// `iptables-nft-save` printed it — comments, multiport lists, marks and all (the diff
/// engine with comments compared, backends ignored by design).
pub(super) fn assert_equals_save(live: &Ruleset, save: &str, what: &str) {
    use netfilter_model::diff::{diff_rulesets, DiffOptions};
    use netfilter_model::parse::{parse_iptables_save, ParseOptions};
    let parsed = parse_iptables_save(save, &ParseOptions::new(what)).expect("nft.save parses");
    let d = diff_rulesets(&parsed, live, &DiffOptions::default());
    let differing: Vec<String> = d
        .chains
        .iter()
        .filter(|c| c.status != netfilter_model::diff::DiffStatus::Same)
        .map(|c| format!("{} {} {:?}", c.table, c.chain, c.status))
        .collect();
    assert!(
        d.equal,
        "{what}: live read differs from iptables-nft-save: {differing:#?}"
    );
    assert_eq!(
        d.summary.rules.not_comparable, 0,
        "{what}: nothing lossy over netlink"
    );
}

#[test]
fn kube_proxy_iptables_nft_reads_back() {
    assert_inner_passes("all::live::xt_fixtures::inner_kube_proxy", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace kube_proxy_iptables_nft_reads_back creates"]
fn inner_kube_proxy() {
    if !in_child() {
        return;
    }
    let rs = check_xt_fixture("kube-proxy", "iptables-nft-restore", "", Family::Ip);
    assert_eq!(
        chain_text(&rs, Family::Ip, "nat", "KUBE-POSTROUTING"),
        "meta mark & 0x00004000 != 0x00004000 return\n\
         meta mark set mark xor 0x00004000\n\
         masquerade fully-random comment \"kubernetes service traffic requiring SNAT\""
    );
    let svc = chain_text(&rs, Family::Ip, "nat", "KUBE-SERVICES");
    assert!(
        svc.starts_with(
            "ip saddr != 10.244.0.0/16 ip daddr 10.96.0.1 tcp dport 443 jump KUBE-MARK-MASQ \
             comment \"default/kubernetes:https cluster IP\"\n"
        ),
        "{svc}"
    );
    let sep = chain_text(&rs, Family::Ip, "nat", "KUBE-SEP-JDA7T7BXGNTMTJSZ");
    assert!(
        sep.ends_with(
            "meta l4proto tcp recent --set --name KUBE-SEP-JDA7T7BXGNTMTJSZ --mask 255.255.255.255 \
             --rsource dnat to 10.244.3.9:9090 comment \"default/api:grpc\""
        ),
        "{sep}"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "KUBE-SERVICES"),
        "ip daddr 10.96.200.4 tcp dport 5432 reject \
         comment \"default/legacy-db:pg has no endpoints\""
    );
}

#[test]
fn calico_ipv6_ip6tables_nft_reads_back() {
    assert_inner_passes("all::live::xt_fixtures::inner_calico6", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace calico_ipv6_ip6tables_nft_reads_back creates"]
fn inner_calico6() {
    if !in_child() {
        return;
    }
    if Command::new("ipset").arg("-v").output().is_err() {
        eprintln!("skipping: ipset not installed");
        return;
    }
    let ipsets = "ipset create cali60all-ipam-pools hash:net family inet6; \
                  ipset create cali60masq-ipam-pools hash:net family inet6; \
                  ipset create cali60s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet6";
    let rs = check_xt_fixture("calico6", "ip6tables-nft-restore", ipsets, Family::Ip6);
    let wl = chain_text(&rs, Family::Ip6, "filter", "cali-wl-to-host");
    assert!(
        wl.contains("icmpv6 type nd-router-solicit accept comment \"cali:5kNWiYaqBxM3f758\""),
        "{wl}"
    );
}

/// iptables extensions as iptables-nft stores them (many natively, the rest as xt payloads).
const XT_RULES: &str = r#"*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:X - [0:0]
-A INPUT -p tcp -m tcp --dport 22 -m limit --limit 3/min --limit-burst 7 -j LOG --log-prefix "ssh: " --log-level 6 --log-uid
-A INPUT -p udp -m udp --sport 1000:2000 --dport 53 -j NFLOG --nflog-group 5 --nflog-prefix "dns"
-A INPUT -p icmp -m icmp --icmp-type 8/0 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3 -j ACCEPT
-A INPUT -m mac --mac-source 00:11:22:33:44:55 -j DROP
-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j DROP
-A INPUT -m pkttype --pkt-type broadcast -j DROP
-A INPUT -m length --length 100:200 -j DROP
-A INPUT -m ttl --ttl-lt 5 -j DROP
-A INPUT -m dscp --dscp 0x2e -j ACCEPT
-A INPUT -m physdev --physdev-in veth+ --physdev-is-bridged -j ACCEPT
-A INPUT -m statistic --mode nth --every 3 --packet 1 -j X
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j X
-A INPUT -m connmark --mark 0x1/0xff -j X
-A INPUT -m addrtype --dst-type LOCAL,BROADCAST -j X
-A INPUT -m state --state NEW -j X
-A INPUT -m conntrack --ctstate NEW --ctstatus CONFIRMED -j X
-A INPUT -p tcp -m multiport --ports 80,443 -j X
-A INPUT -f -j DROP
-A OUTPUT -m owner --uid-owner 1000 -j DROP
-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400
-A X -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff
-A X -j CONNMARK --restore-mark
-A X -j CONNMARK --set-xmark 0x5/0xff
-A X -p tcp -j REJECT --reject-with tcp-reset
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080
-A PREROUTING -p tcp -m tcp --dport 81 -j DNAT --to-destination 10.0.0.1:8080-8090
-A PREROUTING -d 1.2.3.4/32 -j DNAT --to-destination 10.0.0.2
-A POSTROUTING -o eth0 -j SNAT --to-source 1.1.1.1-1.1.1.5 --random
-A POSTROUTING -o eth1 -p tcp -j MASQUERADE --to-ports 1024-2048
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp
-A OUTPUT -j NOTRACK
COMMIT
"#;

#[test]
fn iptables_nft_extensions_decode_like_iptables_save() {
    assert_inner_passes("all::live::xt_fixtures::inner_xt_extensions", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace iptables_nft_extensions_decode_like_iptables_save creates"]
fn inner_xt_extensions() {
    if !in_child() {
        return;
    }
    assert_fresh_namespace();
    let mut child = Command::new("iptables-nft-restore")
        .stdin(Stdio::piped())
        .spawn()
        .expect("iptables-nft-restore");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(XT_RULES.as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
    let rs = read_live_nft().expect("live read");
    // Each line is the canonical form of the rule on the same position of XT_RULES, as
    // `iptables-nft-save` prints it back (reviewed by hand against its output).
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "INPUT"),
        [
            "tcp dport 22 limit rate 3/minute burst 7 packets log prefix \"ssh: \" level info flags skuid",
            "udp sport 1000-2000 udp dport 53 log group 5 prefix \"dns\"",
            "icmp type echo-request icmp code 0 accept",
            "icmp type destination-unreachable accept",
            "ether saddr 00:11:22:33:44:55 drop",
            "ip saddr 10.0.0.1-10.0.0.9 drop",
            "meta pkttype broadcast drop",
            "meta length 100-200 drop",
            "ip ttl < 5 drop",
            "ip dscp 0x2e accept",
            "physdev in \"veth*\" is-bridged accept",
            "statistic mode nth every 3 packet 1 jump X",
            "tcp flags & (fin|syn|rst|ack) == syn jump X",
            "ct mark & 0x000000ff == 0x00000001 jump X",
            "fib daddr type { broadcast, local } jump X",
            "ct state new jump X",
            "ct state new ct status confirmed jump X",
            "tcp port { 80, 443 } jump X",
            "ip frag-off & 0x1fff != 0 drop",
        ]
        .join("\n")
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "FORWARD"),
        "tcp flags & (syn|rst) == syn tcp option maxseg size set rt mtu\n\
         tcp flags & (syn|rst) == syn tcp option maxseg size set 1400"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "OUTPUT"),
        "meta skuid 1000 drop"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "filter", "X"),
        [
            "ct mark set meta mark (nfmask 0x000000ff ctmask 0x000000ff)",
            "meta mark set ct mark (nfmask 0xffffffff ctmask 0xffffffff)",
            "ct mark set ct mark and 0xffffff00 xor 0x00000005",
            "meta l4proto tcp reject with tcp-reset",
        ]
        .join("\n")
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "nat", "PREROUTING"),
        "tcp dport 80 redirect to :8080\n\
         tcp dport 81 dnat to 10.0.0.1:8080-8090\n\
         ip daddr 1.2.3.4 dnat to 10.0.0.2"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "nat", "POSTROUTING"),
        "oifname \"eth0\" snat to 1.1.1.1-1.1.1.5 random\n\
         oifname \"eth1\" meta l4proto tcp masquerade to :1024-2048"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip, "raw", "PREROUTING"),
        "udp dport 53 notrack\ntcp dport 21 ct --helper ftp"
    );
    assert_eq!(chain_text(&rs, Family::Ip, "raw", "OUTPUT"), "notrack");
}

/// IPv6 rules as ip6tables-nft stores them.
const XT6_RULES: &str = r#"*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s fd00::/64 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A INPUT -d fd00::1/128 -p tcp -m tcp --dport 22 -j REJECT --reject-with icmp6-adm-prohibited
-A INPUT -p udp -m udp --dport 53 -j REJECT
-A INPUT -m iprange --src-range fd00::1-fd00::9 -j DROP
-A INPUT -i eth+ -m conntrack --ctstate INVALID -j DROP
-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
-A FORWARD -m set --match-set cali60s:y-uVl4bAoAfdydOS8SL9Rv9 dst -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::2]:8080
-A POSTROUTING -o eth0 -j MASQUERADE
-A PREROUTING -p tcp -m tcp --dport 81 -j REDIRECT --to-ports 8081
COMMIT
"#;

#[test]
fn ip6tables_nft_rules_decode_like_ip6tables_save() {
    assert_inner_passes("all::live::xt_fixtures::inner_xt6", &[], &[]);
}

#[test]
#[ignore = "inner test: runs only inside the namespace ip6tables_nft_rules_decode_like_ip6tables_save creates"]
fn inner_xt6() {
    if !in_child() {
        return;
    }
    assert_fresh_namespace();
    if Command::new("ipset").arg("-v").output().is_err() {
        eprintln!("skipping: ipset not installed");
        return;
    }
    sh("ipset create cali60s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet6");
    let mut child = Command::new("ip6tables-nft-restore")
        .stdin(Stdio::piped())
        .spawn()
        .expect("ip6tables-nft-restore");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(XT6_RULES.as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
    let rs = read_live_nft().expect("live read");
    assert_eq!(
        chain_text(&rs, Family::Ip6, "filter", "INPUT"),
        [
            "ip6 saddr fd00::/64 icmpv6 type nd-neighbor-solicit ip6 hoplimit 255 accept",
            "ip6 daddr fd00::1 tcp dport 22 reject with icmp6-adm-prohibited",
            "udp dport 53 reject",
            "ip6 saddr fd00::1-fd00::9 drop",
            "iifname \"eth*\" ct state invalid drop",
            "tcp dport { 80, 443, 8000-8080 } accept",
        ]
        .join("\n")
    );
    assert_eq!(
        chain_text(&rs, Family::Ip6, "filter", "FORWARD"),
        "dst @cali60s:y-uVl4bAoAfdydOS8SL9Rv9 accept"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip6, "nat", "PREROUTING"),
        "tcp dport 80 dnat to [fd00::2]:8080\ntcp dport 81 redirect to :8081"
    );
    assert_eq!(
        chain_text(&rs, Family::Ip6, "nat", "POSTROUTING"),
        "oifname \"eth0\" masquerade"
    );
}

/// Chains and their rule counts per `(table, chain)` of an iptables-save file.
fn save_shape(save: &str) -> std::collections::BTreeMap<(String, String), usize> {
    let mut out = std::collections::BTreeMap::new();
    let mut table = String::new();
    for l in save.lines() {
        if let Some(t) = l.strip_prefix('*') {
            table = t.to_string();
        } else if let Some(c) = l.strip_prefix(':') {
            let name = c.split_whitespace().next().unwrap_or_default();
            out.entry((table.clone(), name.to_string())).or_insert(0);
        } else if let Some(rest) = l.strip_prefix("-A ") {
            let name = rest.split_whitespace().next().unwrap_or_default();
            *out.entry((table.clone(), name.to_string())).or_insert(0) += 1;
        }
    }
    out
}
