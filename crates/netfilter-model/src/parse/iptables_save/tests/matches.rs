//! Matches of every family and their negation forms.

use super::*;

#[test]
fn addresses_interfaces_protocols() {
    let r = rule("-s 192.168.1.7/255.255.255.0 ! -d 10.0.0.1 -i cali+ -o eth0 -p tcp -f -j ACCEPT");
    assert_eq!(
        r.matches,
        vec![
            m(
                false,
                MatchKind::Interface {
                    dir: Direction::Src,
                    names: vec![IfacePattern::Prefix("cali".into())]
                }
            ),
            m(
                false,
                MatchKind::Interface {
                    dir: Direction::Dst,
                    names: vec![IfacePattern::Exact("eth0".into())]
                }
            ),
            m(
                false,
                MatchKind::Address {
                    dir: Direction::Src,
                    addrs: vec![net("192.168.1.0/24")]
                }
            ),
            m(
                true,
                MatchKind::Address {
                    dir: Direction::Dst,
                    addrs: vec![net("10.0.0.1/32")]
                }
            ),
            tcp(),
            m(false, MatchKind::Fragment),
        ]
    );
    assert_eq!(rule("-p all -j ACCEPT").matches, vec![]);
    assert_eq!(
        rule("-p 47 -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Protocol {
                protos: vec![Protocol::GRE]
            }
        )]
    );
    let odd = rule("-s 10.0.0.0/255.0.255.0 -j DROP");
    assert_eq!(
        odd.matches,
        vec![m(
            false,
            MatchKind::Other {
                module: "address".into(),
                args: "-s 10.0.0.0/255.0.255.0".into(),
                lossy: false
            }
        )]
    );
}

#[test]
fn negation_in_every_position() {
    let modern = rule("! -s 10.0.0.0/8 -p tcp -m tcp ! --dport 80 -j DROP");
    let old_generic = rule("-s ! 10.0.0.0/8 -p tcp -m tcp --dport ! 80 -j DROP");
    let implicit = rule("! -s 10.0.0.0/8 -p tcp ! --dport 80 -j DROP");
    assert_eq!(modern, old_generic);
    assert_eq!(modern, implicit);
    assert!(modern.matches[0].negated);
    assert!(modern.matches[2].negated);
    assert!(!modern.matches[1].negated);
    let i = rule("! -i lo -j DROP");
    assert!(i.matches[0].negated);
    let f = rule("! -f -j DROP");
    assert_eq!(f.matches, vec![m(true, MatchKind::Fragment)]);
    let p = rule("! -p udp -j DROP");
    assert!(p.matches[0].negated);
}

#[test]
fn ports_flags_and_multiport() {
    let r = rule("-p tcp -m tcp --sport 1024: --dport :1023 --tcp-flags SYN,RST,ACK SYN -j ACCEPT");
    assert_eq!(
        r.matches,
        vec![
            tcp(),
            m(
                false,
                MatchKind::Port {
                    dir: Direction::Src,
                    proto: Some(Protocol::TCP),
                    ports: vec![PortRange {
                        first: 1024,
                        last: 65535
                    }]
                }
            ),
            m(
                false,
                MatchKind::Port {
                    dir: Direction::Dst,
                    proto: Some(Protocol::TCP),
                    ports: vec![PortRange {
                        first: 0,
                        last: 1023
                    }]
                }
            ),
            m(
                false,
                MatchKind::TcpFlags {
                    mask: TcpFlags(0x16),
                    set: TcpFlags(0x02)
                }
            ),
        ]
    );
    assert_eq!(
        rule("-p tcp --syn -j ACCEPT"),
        rule("-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT")
    );
    let mp = rule("-p udp -m multiport --dports 53,67:68 -j ACCEPT");
    assert_eq!(
        mp.matches[1],
        m(
            false,
            MatchKind::Port {
                dir: Direction::Dst,
                proto: Some(Protocol::UDP),
                ports: vec![
                    PortRange::single(53),
                    PortRange {
                        first: 67,
                        last: 68
                    }
                ]
            }
        )
    );
    // A multiport list of one equals the single-port match.
    assert_eq!(
        rule("-p tcp -m multiport --dports 22 -j ACCEPT"),
        rule("-p tcp -m tcp --dport 22 -j ACCEPT")
    );
    let any = rule("-p sctp -m multiport ! --ports 1,2 -j ACCEPT");
    assert_eq!(
        any.matches[1],
        m(
            true,
            MatchKind::AnyPort {
                proto: Some(Protocol::SCTP),
                ports: vec![PortRange::single(1), PortRange::single(2)]
            }
        )
    );
    let sctp = rule("-p sctp -m sctp --dport 9 -j ACCEPT");
    assert_eq!(
        sctp.matches[1],
        m(
            false,
            MatchKind::Port {
                dir: Direction::Dst,
                proto: Some(Protocol::SCTP),
                ports: vec![PortRange::single(9)]
            }
        )
    );
    let dccp = rule("-p dccp -m dccp --sport 5 -j ACCEPT");
    assert_eq!(
        dccp.matches[1],
        m(
            false,
            MatchKind::Port {
                dir: Direction::Src,
                proto: Some(Protocol::DCCP),
                ports: vec![PortRange::single(5)]
            }
        )
    );
    // Options of the protocol's match after another module (iptables accepts this).
    let mixed = rule("-p tcp -m state --state NEW --dport 22 -j ACCEPT");
    assert_eq!(
        mixed,
        rule("-p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT")
    );
}

#[test]
fn icmp_conntrack_state_marks() {
    assert_eq!(
        rule("-p icmp -m icmp --icmp-type echo-request -j ACCEPT"),
        rule("-p icmp -m icmp --icmp-type 8 -j ACCEPT")
    );
    assert_eq!(
        rule("-p icmp -m icmp --icmp-type port-unreachable -j ACCEPT").matches[1],
        m(
            false,
            MatchKind::Icmp {
                v6: false,
                icmp_type: Some(3),
                code: Some(3)
            }
        )
    );
    assert_eq!(
        rule("-p icmp -m icmp --icmp-type any -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Protocol {
                protos: vec![Protocol::ICMP]
            }
        )]
    );
    assert_eq!(
        rule("-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT").matches[1],
        m(
            false,
            MatchKind::Icmp {
                v6: true,
                icmp_type: Some(135),
                code: None
            }
        )
    );
    let est = CtStateSet(CtStateSet::ESTABLISHED | CtStateSet::RELATED);
    assert_eq!(
        rule("-m state --state RELATED,ESTABLISHED -j ACCEPT").matches,
        vec![m(false, MatchKind::CtState { states: est })]
    );
    assert_eq!(
        rule("-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"),
        rule("-m state --state RELATED,ESTABLISHED -j ACCEPT")
    );
    let ct = rule("-m conntrack ! --ctstatus ASSURED --ctdir REPLY --ctorigdst 10.0.0.1 -j ACCEPT");
    assert_eq!(
        ct.matches,
        vec![
            m(
                true,
                MatchKind::CtStatus {
                    statuses: vec!["assured".into()]
                }
            ),
            m(false, MatchKind::CtDirection { original: false }),
            m(
                false,
                MatchKind::Other {
                    module: "conntrack".into(),
                    args: "--ctorigdst 10.0.0.1".into(),
                    lossy: false
                }
            ),
        ]
    );
    assert_eq!(
        rule("-m mark --mark 0x1/0xff -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Mark {
                value: 1,
                mask: 0xff
            }
        )]
    );
    assert_eq!(
        rule("-m mark ! --mark 4 -j ACCEPT").matches,
        vec![m(
            true,
            MatchKind::Mark {
                value: 4,
                mask: u32::MAX
            }
        )]
    );
    assert_eq!(
        rule("-m connmark --mark 0x2 -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::CtMark {
                value: 2,
                mask: u32::MAX
            }
        )]
    );
}

#[test]
fn comment_addrtype_set_physdev_mac_iprange() {
    let c = rule(r#"-m comment --comment "cali:abc \"x\"" -m comment --comment second -j ACCEPT"#);
    assert_eq!(c.comment.as_deref(), Some(r#"cali:abc "x"; second"#));
    assert!(c.matches.is_empty());
    assert_eq!(
        rule("-m addrtype --dst-type LOCAL,BROADCAST --limit-iface-in -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::AddrType {
                dir: Direction::Dst,
                types: vec!["BROADCAST".into(), "LOCAL".into()],
                limit_iface: Some(Direction::Src)
            }
        )]
    );
    assert_eq!(
        rule("-m addrtype --src-type ! LOCAL -j ACCEPT").matches,
        vec![m(
            true,
            MatchKind::AddrType {
                dir: Direction::Src,
                types: vec!["LOCAL".into()],
                limit_iface: None
            }
        )]
    );
    let s = rule("-m set ! --match-set cali40all src,dst --return-nomatch -j ACCEPT");
    assert_eq!(
        s.matches,
        vec![
            m(
                true,
                MatchKind::SetLookup {
                    set: "cali40all".into(),
                    keys: vec![SetKey::IpsetSrc, SetKey::IpsetDst]
                }
            ),
            m(
                false,
                MatchKind::Other {
                    module: "set".into(),
                    args: "--return-nomatch".into(),
                    lossy: false
                }
            ),
        ]
    );
    let pd = rule("-m physdev --physdev-in vnet+ ! --physdev-is-bridged -j ACCEPT");
    assert_eq!(pd.matches.len(), 2);
    assert!(pd.matches[1].negated);
    assert_eq!(
        rule("-m mac --mac-source 00:AA:bb:cc:dd:ee -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Mac {
                addr: "00:aa:bb:cc:dd:ee".into()
            }
        )]
    );
    // getopt abbreviation, as old dumps have.
    assert_eq!(
        rule("-m mac --mac 00:aa:bb:cc:dd:ee -j ACCEPT"),
        rule("-m mac --mac-source 00:aa:bb:cc:dd:ee -j ACCEPT")
    );
    assert_eq!(
        rule("-m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Address {
                dir: Direction::Src,
                addrs: vec![AddrSpec::Range {
                    first: "10.0.0.1".parse().unwrap(),
                    last: "10.0.0.9".parse().unwrap()
                }]
            }
        )]
    );
}

#[test]
fn statistic_limit_owner_length_pkttype_ttl_dscp_tos() {
    assert_eq!(
        rule("-m statistic --mode random --probability 0.25 -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Statistic {
                mode: crate::model::StatisticMode::Random,
                probability: Some("0.25000000000".into()),
                every: None,
                packet: None
            }
        )]
    );
    assert_eq!(
        rule("-m limit --limit 5/min -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Limit {
                rate: "5/minute".into(),
                burst: None
            }
        )]
    );
    assert_eq!(
        rule("-m limit --limit 5/min --limit-burst 5 -j ACCEPT"),
        rule("-m limit --limit 5/minute -j ACCEPT")
    );
    assert_eq!(
        rule("-m limit --limit 10/sec --limit-burst 20 -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Limit {
                rate: "10/second".into(),
                burst: Some(20)
            }
        )]
    );
    assert_eq!(
        rule("-m owner ! --uid-owner 0 -j ACCEPT").matches,
        vec![m(
            true,
            MatchKind::Owner {
                uid: Some("0".into()),
                gid: None,
                socket_exists: false
            }
        )]
    );
    assert_eq!(
        rule("-m length --length 0:64 -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Length {
                range: PortRange { first: 0, last: 64 }
            }
        )]
    );
    assert_eq!(
        rule("-m pkttype --pkt-type BROADCAST -j DROP").matches,
        vec![m(
            false,
            MatchKind::PktType {
                pkt_type: "broadcast".into()
            }
        )]
    );
    assert_eq!(
        rule("-m ttl --ttl-lt 5 -j DROP").matches,
        vec![m(
            false,
            MatchKind::Ttl {
                v6: false,
                op: crate::model::TtlOp::Lt,
                value: 5
            }
        )]
    );
    assert_eq!(
        rule("-m hl --hl-eq 255 -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Ttl {
                v6: true,
                op: crate::model::TtlOp::Eq,
                value: 255
            }
        )]
    );
    assert_eq!(
        rule("-m dscp --dscp-class EF -j ACCEPT"),
        rule("-m dscp --dscp 0x2e -j ACCEPT")
    );
    assert_eq!(
        rule("-m tos --tos Minimize-Delay -j ACCEPT").matches,
        vec![m(
            false,
            MatchKind::Tos {
                value: 0x10,
                mask: 0x3f
            }
        )]
    );
    let other = rule(r#"-m recent --set --name "ssh attack" --rsource -j ACCEPT"#);
    assert_eq!(
        other.matches,
        vec![m(
            false,
            MatchKind::Other {
                module: "recent".into(),
                args: r#"--set --name "ssh attack" --rsource"#.into(),
                lossy: false
            }
        )]
    );
}
