//! Unit tests of `expr`.

use super::*;
use serde_json::json;

fn m(v: Value) -> Match {
    match match_stmt(&v).unwrap() {
        MatchOut::Match(m) => m,
        other => panic!("not a match: {other:?}"),
    }
}

fn other(args: &str) -> MatchKind {
    MatchKind::Other {
        module: "nft".into(),
        args: args.into(),
        lossy: false,
    }
}

#[test]
fn interfaces_with_wildcards_and_sets() {
    let x = m(json!({"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "cali*"}));
    assert_eq!(
        x.kind,
        MatchKind::Interface {
            dir: Direction::Src,
            names: vec![IfacePattern::Prefix("cali".into())]
        }
    );
    let y = m(
        json!({"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": {"set": ["eth0", "tun*"]}}),
    );
    assert!(y.negated);
    assert_eq!(
        y.kind,
        MatchKind::Interface {
            dir: Direction::Dst,
            names: vec![
                IfacePattern::Exact("eth0".into()),
                IfacePattern::Prefix("tun".into())
            ]
        }
    );
    let w =
        m(json!({"op": "in", "left": {"meta": {"key": "iifname"}}, "right": {"set": ["a", "b"]}}));
    assert!(matches!(w.kind, MatchKind::Interface { .. }));
    let z = m(json!({"op": "==", "left": {"meta": {"key": "iif"}}, "right": "lo"}));
    assert_eq!(z.kind, other("iif \"lo\""));
}

#[test]
fn addresses_prefixes_ranges() {
    let x = m(
        json!({"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                         "right": {"prefix": {"addr": "192.168.0.0", "len": 16}}}),
    );
    assert!(x.negated);
    assert_eq!(
        x.kind,
        MatchKind::Address {
            dir: Direction::Dst,
            addrs: vec![AddrSpec::net("192.168.0.0/16".parse().unwrap())]
        }
    );
    let y = m(
        json!({"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}},
                         "right": {"set": ["::1", {"range": ["fe80::1", "fe80::9"]}]}}),
    );
    assert_eq!(
        y.kind,
        MatchKind::Address {
            dir: Direction::Src,
            addrs: vec![
                AddrSpec::net("::1/128".parse().unwrap()),
                AddrSpec::Range {
                    first: "fe80::1".parse().unwrap(),
                    last: "fe80::9".parse().unwrap()
                }
            ]
        }
    );
    // A v4 address under ip6 is not typed.
    let z = m(
        json!({"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": "1.2.3.4"}),
    );
    assert_eq!(z.kind, other("ip6 saddr 1.2.3.4"));
}

#[test]
fn protocols_and_ports() {
    let p = m(json!({"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}));
    assert_eq!(
        p.kind,
        MatchKind::Protocol {
            protos: vec![Protocol::TCP]
        }
    );
    let q = m(
        json!({"op": "==", "left": {"payload": {"protocol": "ip", "field": "protocol"}},
                         "right": {"set": ["udp", 6]}}),
    );
    assert_eq!(
        q.kind,
        MatchKind::Protocol {
            protos: vec![Protocol::UDP, Protocol::TCP]
        }
    );
    let d = m(
        json!({"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                         "right": {"set": [80, 443, {"range": [8080, 8090]}]}}),
    );
    assert_eq!(
        d.kind,
        MatchKind::Port {
            dir: Direction::Dst,
            proto: Some(Protocol::TCP),
            ports: vec![
                PortRange::single(80),
                PortRange::single(443),
                PortRange {
                    first: 8080,
                    last: 8090
                }
            ]
        }
    );
    let th = m(
        json!({"op": "!=", "left": {"payload": {"protocol": "th", "field": "sport"}}, "right": 53}),
    );
    assert!(th.negated);
    assert_eq!(
        th.kind,
        MatchKind::Port {
            dir: Direction::Src,
            proto: None,
            ports: vec![PortRange::single(53)]
        }
    );
}

#[test]
fn tcp_flags_forms() {
    let syn = m(
        json!({"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}},
                                                        {"|": ["fin", "syn", "rst", "ack"]}]},
                           "right": "syn"}),
    );
    assert_eq!(
        syn.kind,
        MatchKind::TcpFlags {
            mask: TcpFlags(0x17),
            set: TcpFlags(0x02)
        }
    );
    let implicit = m(
        json!({"op": "in", "left": {"payload": {"protocol": "tcp", "field": "flags"}}, "right": "syn"}),
    );
    assert_eq!(
        implicit.kind,
        MatchKind::TcpFlags {
            mask: TcpFlags(0x02),
            set: TcpFlags(0x02)
        }
    );
    let many = m(
        json!({"op": "in", "left": {"payload": {"protocol": "tcp", "field": "flags"}}, "right": ["syn", "ack"]}),
    );
    assert!(matches!(many.kind, MatchKind::Other { .. }));
}

#[test]
fn icmp_types_and_codes() {
    let t = m(
        json!({"op": "==", "left": {"payload": {"protocol": "icmp", "field": "type"}}, "right": "echo-request"}),
    );
    assert_eq!(
        t.kind,
        MatchKind::Icmp {
            v6: false,
            icmp_type: Some(8),
            code: None
        }
    );
    let t6 = m(
        json!({"op": "==", "left": {"payload": {"protocol": "icmpv6", "field": "type"}}, "right": 135}),
    );
    assert_eq!(
        t6.kind,
        MatchKind::Icmp {
            v6: true,
            icmp_type: Some(135),
            code: None
        }
    );
    let c = match_stmt(
        &json!({"op": "==", "left": {"payload": {"protocol": "icmp", "field": "code"}},
                                   "right": "port-unreachable"}),
    )
    .unwrap();
    assert!(matches!(
        c,
        MatchOut::IcmpCode {
            v6: false,
            code: 3,
            negated: false,
            ..
        }
    ));
}

#[test]
fn conntrack() {
    let bin = m(
        json!({"op": "!=", "left": {"ct": {"key": "state"}}, "right": {"|": ["established", "related"]}}),
    );
    assert!(bin.negated);
    assert_eq!(
        bin.kind,
        MatchKind::CtState {
            states: CtStateSet(CtStateSet::ESTABLISHED | CtStateSet::RELATED)
        }
    );
    let s = m(
        json!({"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}),
    );
    assert_eq!(
        s.kind,
        MatchKind::CtState {
            states: CtStateSet(CtStateSet::ESTABLISHED | CtStateSet::RELATED)
        }
    );
    let n = m(json!({"op": "!=", "left": {"ct": {"key": "state"}}, "right": "new"}));
    assert!(n.negated);
    let st = m(json!({"op": "==", "left": {"ct": {"key": "status"}}, "right": "dnat"}));
    assert_eq!(
        st.kind,
        MatchKind::CtStatus {
            statuses: vec!["dnat".into()]
        }
    );
    let d = m(json!({"op": "==", "left": {"ct": {"key": "direction"}}, "right": "reply"}));
    assert_eq!(d.kind, MatchKind::CtDirection { original: false });
    let orig = m(
        json!({"op": "==", "left": {"ct": {"key": "saddr", "dir": "original"}}, "right": "1.2.3.4"}),
    );
    assert_eq!(orig.kind, other("ct original saddr 1.2.3.4"));
}

#[test]
fn marks() {
    let a =
        m(json!({"op": "==", "left": {"&": [{"meta": {"key": "mark"}}, 65536]}, "right": 65536}));
    assert_eq!(
        a.kind,
        MatchKind::Mark {
            value: 0x10000,
            mask: 0x10000
        }
    );
    let b = m(json!({"op": "!=", "left": {"meta": {"key": "mark"}}, "right": 16}));
    assert!(b.negated);
    assert_eq!(
        b.kind,
        MatchKind::Mark {
            value: 16,
            mask: u32::MAX
        }
    );
    let c = m(json!({"op": "==", "left": {"&": [{"ct": {"key": "mark"}}, 255]}, "right": 1}));
    assert_eq!(
        c.kind,
        MatchKind::CtMark {
            value: 1,
            mask: 255
        }
    );
}

#[test]
fn fib_types_and_set_lookups() {
    let f = m(
        json!({"op": "==", "left": {"fib": {"result": "type", "flags": ["daddr"]}}, "right": "local"}),
    );
    assert_eq!(
        f.kind,
        MatchKind::AddrType {
            dir: Direction::Dst,
            types: vec!["LOCAL".into()],
            limit_iface: None
        }
    );
    let g = m(
        json!({"op": "==", "left": {"fib": {"result": "type", "flags": ["saddr", "iif"]}},
                         "right": {"set": ["local", "broadcast"]}}),
    );
    assert_eq!(
        g.kind,
        MatchKind::AddrType {
            dir: Direction::Src,
            types: vec!["LOCAL".into(), "BROADCAST".into()],
            limit_iface: Some(Direction::Src)
        }
    );
    let rpf = m(
        json!({"op": "==", "left": {"fib": {"result": "oif", "flags": ["saddr", "iif"]}}, "right": false}),
    );
    assert_eq!(rpf.kind, other("fib saddr . iif oif missing"));
    let s = m(
        json!({"op": "!=", "left": {"concat": [{"payload": {"protocol": "ip", "field": "saddr"}},
                                                           {"payload": {"protocol": "tcp", "field": "dport"}},
                                                           {"payload": {"protocol": "ether", "field": "saddr"}}]},
                         "right": "@allowed"}),
    );
    assert!(s.negated);
    assert_eq!(
        s.kind,
        MatchKind::SetLookup {
            set: "allowed".into(),
            keys: vec![
                SetKey::Saddr,
                SetKey::TransportPort {
                    proto: Protocol::TCP,
                    dir: Direction::Dst
                },
                SetKey::Other("ether saddr".into())
            ]
        }
    );
}

#[test]
fn misc_typed_matches() {
    let pt = m(json!({"op": "==", "left": {"meta": {"key": "pkttype"}}, "right": "broadcast"}));
    assert_eq!(
        pt.kind,
        MatchKind::PktType {
            pkt_type: "broadcast".into()
        }
    );
    let len =
        m(json!({"op": "==", "left": {"meta": {"key": "length"}}, "right": {"range": [0, 100]}}));
    assert_eq!(
        len.kind,
        MatchKind::Length {
            range: PortRange {
                first: 0,
                last: 100
            }
        }
    );
    let ttl =
        m(json!({"op": "<", "left": {"payload": {"protocol": "ip", "field": "ttl"}}, "right": 5}));
    assert_eq!(
        ttl.kind,
        MatchKind::Ttl {
            v6: false,
            op: crate::model::TtlOp::Lt,
            value: 5
        }
    );
    let hl = m(
        json!({"op": ">=", "left": {"payload": {"protocol": "ip6", "field": "hoplimit"}}, "right": 5}),
    );
    assert!(hl.negated);
    assert_eq!(
        hl.kind,
        MatchKind::Ttl {
            v6: true,
            op: crate::model::TtlOp::Lt,
            value: 5
        }
    );
    let dscp = m(
        json!({"op": "==", "left": {"payload": {"protocol": "ip", "field": "dscp"}}, "right": "cs1"}),
    );
    assert_eq!(dscp.kind, MatchKind::Dscp { value: 8 });
    let mac = m(
        json!({"op": "==", "left": {"payload": {"protocol": "ether", "field": "saddr"}}, "right": "AA:bb:cc:dd:ee:ff"}),
    );
    assert_eq!(
        mac.kind,
        MatchKind::Mac {
            addr: "aa:bb:cc:dd:ee:ff".into()
        }
    );
    let uid = m(json!({"op": "==", "left": {"meta": {"key": "skuid"}}, "right": 1000}));
    assert_eq!(
        uid.kind,
        MatchKind::Owner {
            uid: Some("1000".into()),
            gid: None,
            socket_exists: false
        }
    );
    let nf = m(json!({"op": "==", "left": {"meta": {"key": "nfproto"}}, "right": "ipv4"}));
    assert_eq!(nf.kind, other("meta nfproto ipv4"));
}

#[test]
fn malformed_matches_are_errors() {
    assert!(match_stmt(&json!({"left": 1})).is_err());
    assert!(match_stmt(&json!({"op": "~", "left": 1, "right": 2})).is_err());
    assert!(match_stmt(&json!([1])).is_err());
}
