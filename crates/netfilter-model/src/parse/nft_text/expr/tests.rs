//! Unit tests of `expr`.

use super::super::lexer::tokenize;
use super::*;
use crate::model::Direction;

fn one(s: &str) -> (Parsed, usize, usize) {
    let t = tokenize(s, "t").unwrap();
    let (p, end) = parse_expr(&t, 0).expect("parses");
    (p, end, t.len())
}

fn m(s: &str) -> Match {
    match one(s).0 {
        Parsed::Match(m) => m,
        other => panic!("not a match: {other:?}"),
    }
}

#[test]
fn interfaces() {
    let x = m(r#"iifname { "cali*", "eth0" }"#);
    assert_eq!(x.to_string(), r#"iifname { "cali*", "eth0" }"#);
    let x = m(r#"iifname "eth\*""#);
    assert_eq!(
        x.kind,
        MatchKind::Interface {
            dir: Direction::Src,
            names: vec![IfacePattern::Exact("eth*".into())]
        }
    );
    let x = m(r#"meta oifname != "lo""#);
    assert!(x.negated);
    assert_eq!(x.to_string(), r#"oifname != "lo""#);
}

#[test]
fn addresses_and_ports() {
    assert_eq!(m("ip saddr 10.0.0.0/8").to_string(), "ip saddr 10.0.0.0/8");
    assert_eq!(
        m("ip daddr != 192.168.0.0/16").to_string(),
        "ip daddr != 192.168.0.0/16"
    );
    assert_eq!(
        m("ip6 saddr { ::1, fe80::/64 }").to_string(),
        "ip6 saddr { ::1, fe80::/64 }"
    );
    assert_eq!(
        m("tcp dport { 443, 80 }").to_string(),
        "tcp dport { 443, 80 }"
    );
    assert_eq!(m("udp sport 1000-2000").to_string(), "udp sport 1000-2000");
    assert_eq!(m("th dport != 53").to_string(), "th dport != 53");
    assert_eq!(m("ip protocol tcp").to_string(), "meta l4proto tcp");
    assert_eq!(m("ip6 nexthdr udp").to_string(), "meta l4proto udp");
}

#[test]
fn flags_icmp_ct_mark() {
    assert_eq!(
        m("tcp flags & (fin | syn | rst | ack) == syn").to_string(),
        "tcp flags & (fin|syn|rst|ack) == syn"
    );
    assert_eq!(
        m("tcp flags syn / syn,rst").to_string(),
        "tcp flags & (syn|rst) == syn"
    );
    assert_eq!(m("tcp flags syn").to_string(), "tcp flags & (syn) == syn");
    assert_eq!(
        m("icmp type echo-request").to_string(),
        "icmp type echo-request"
    );
    assert_eq!(
        m("icmpv6 type 135").to_string(),
        "icmpv6 type nd-neighbor-solicit"
    );
    assert_eq!(
        m("ct state established,related").to_string(),
        "ct state established,related"
    );
    assert_eq!(
        m("ct state { related, established }").to_string(),
        "ct state established,related"
    );
    assert_eq!(m("ct direction reply").to_string(), "ct direction reply");
    assert_eq!(
        m("ct state != established | related").to_string(),
        "ct state != established,related"
    );
    assert_eq!(m("ct status dnat").to_string(), "ct status dnat");
    assert_eq!(m("meta mark 0x1").to_string(), "meta mark 0x00000001");
    assert_eq!(
        m("meta mark & 0x00010000 == 0x00010000").to_string(),
        "meta mark & 0x00010000 == 0x00010000"
    );
    assert_eq!(m("ct mark != 0x5").to_string(), "ct mark != 0x00000005");
    assert_eq!(
        m("ct mark and 0xff == 0x1").to_string(),
        "ct mark & 0x000000ff == 0x00000001"
    );
    assert_eq!(
        m("tcp flags ! fin,syn,rst,psh,ack,urg").to_string(),
        "tcp flags & (fin|syn|rst|psh|ack|urg) == 0x0"
    );
    let not_syn = m("tcp flags != syn / fin,syn,rst,ack");
    assert!(not_syn.negated);
    assert_eq!(
        not_syn.kind,
        MatchKind::TcpFlags {
            mask: TcpFlags(0x17),
            set: TcpFlags(0x02)
        }
    );
    assert_eq!(m("tcp dport <= 4").to_string(), "tcp dport 0-4");
    assert_eq!(m("ct state ! invalid").to_string(), "ct state != invalid");
    assert_eq!(m("ip frag-off & 8191 != 0").kind, MatchKind::Fragment);
    assert!(m("ip frag-off & 0x1fff == 0").negated);
    assert_eq!(
        m("meta random & 2147483647 < 1073741824").to_string(),
        "statistic mode random probability 0.50000000000"
    );
}

#[test]
fn misc_typed() {
    assert_eq!(
        m("fib daddr type local").to_string(),
        "fib daddr type local"
    );
    assert_eq!(
        m("fib saddr . oif type != local").to_string(),
        "fib saddr . oif type != local"
    );
    assert_eq!(
        m("meta pkttype broadcast").to_string(),
        "meta pkttype broadcast"
    );
    assert_eq!(m("meta length 100-200").to_string(), "meta length 100-200");
    assert_eq!(m("ip ttl < 5").to_string(), "ip ttl < 5");
    assert_eq!(m("ip6 hoplimit 1").to_string(), "ip6 hoplimit 1");
    assert_eq!(m("ip dscp ef").to_string(), "ip dscp 0x2e");
    assert_eq!(
        m("ether saddr 00:0F:54:0c:11:04").to_string(),
        "ether saddr 00:0f:54:0c:11:04"
    );
    assert_eq!(m("meta skuid 1000").to_string(), "meta skuid 1000");
    assert_eq!(
        m("numgen inc mod 2 0").to_string(),
        "statistic mode nth every 2 packet 0"
    );
    assert!(matches!(
        m("numgen random mod 4 { 0, 1 }").kind,
        MatchKind::Statistic { .. }
    ));
}

#[test]
fn lookups_vmaps_and_others() {
    let x = m("ip saddr . tcp dport @allowed");
    // The port keeps its protocol: `tcp dport @s` does not match UDP.
    assert_eq!(x.to_string(), "ip saddr . tcp dport @allowed");
    assert_eq!(m("th dport @p").to_string(), "dport @p");
    // The address family of a key counts.
    assert_ne!(m("ip6 saddr @s"), m("ip saddr @s"));
    assert_eq!(m("ip6 saddr @s").to_string(), "ip6 saddr @s");
    assert!(m("ip saddr != @s").negated);
    assert!(matches!(
        one(r#"iifname vmap { "eth0" : jump a, "eth1" : drop }"#).0,
        Parsed::Vmap(ref s) if s == r#"iifname vmap { "eth0" : jump a, "eth1" : drop }"#
    ));
    assert_eq!(m("vlan id 10").to_string(), "nft vlan id 10");
    assert_eq!(
        m("ip saddr & 255.255.0.0 == 10.1.0.0").to_string(),
        "nft ip saddr & 255.255.0.0 == 10.1.0.0"
    );
    assert!(matches!(one("meta mark set 0x1").0, Parsed::Set { .. }));
    assert!(matches!(
        one("meta mark >> 8 & 0xf vmap @m").0,
        Parsed::Vmap(ref s) if s == "meta mark >> 8 & 0xf vmap @m"
    ));
    assert_eq!(
        m("vxlan ip saddr 1.1.1.1").to_string(),
        "nft vxlan ip saddr 1.1.1.1"
    );
    assert_eq!(
        m("sctp chunk init num-inbound-streams 3").to_string(),
        "nft sctp chunk init num-inbound-streams 3"
    );
    let (_, end, _) = one("ct state new accept");
    assert_eq!(end, 3);
}
