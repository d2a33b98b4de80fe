//! Delinearization of nft debug text (`[ payload load ... ]` lines), as nft lists each rule.

use super::*;

#[test]
fn values_across_registers_constants_and_map_data() {
    // `ipv4_addr . inet_service`.
    let addr_port = (7 << 6) | 13;
    // A constant part of a set statement's key, by the set's key type.
    assert_eq!(
        canon_text_with(
            Family::Ip,
            "[ payload load 4b @ network header + 12 => reg 1 ]
             [ immediate reg 9 0x00001227 ]
             [ dynset add reg_key 1 set s timeout 1000ms ]",
            &[("s", named(addr_port, 8, None))]
        ),
        "add @s { ip saddr . 10002 timeout 1s }"
    );
    // A constant key alone, and concatenated map data of a set statement.
    assert_eq!(
        canon_text_with(
            Family::Ip,
            "[ immediate reg 1 0x0403020a ]
             [ payload load 4b @ network header + 16 => reg 2 ]
             [ payload load 2b @ transport header + 2 => reg 13 ]
             [ dynset update reg_key 1 set m sreg_data 2 ]",
            &[("m", named(7, 4, Some(addr_port)))]
        ),
        "update @m { 10.2.3.4 : ip daddr . th dport }"
    );
    // Map data spanning two registers: the port register holds the map's second part,
    // not the `tcp dport` loaded there for the key.
    assert_eq!(
        canon_text_with(
            Family::Ip,
            "[ payload load 4b @ network header + 12 => reg 1 ]
             [ payload load 2b @ transport header + 2 => reg 9 ]
             [ lookup reg 1 set z dreg 1 ]
             [ nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 9 proto_max reg 9 flags 0x3 ]",
            &[("z", named(addr_port, 8, Some(addr_port)))]
        ),
        "dnat to ip saddr . th dport map @z"
    );
}

#[test]
fn payload_writes_and_masked_compares() {
    // A whole field from a constant, by the field's type.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ immediate reg 1 0x0100007f ]
             [ payload write reg 1 => 4b @ network header + 16 csum_type 1 csum_off 10 csum_flags 0x0 ]"
        ),
        "ip daddr set 127.0.0.1"
    );
    // A field smaller than the bytes written: `ip ttl set 23` rewrites ttl and protocol,
    // `ip dscp set af23` the first two bytes.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 2b @ network header + 8 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x0000ff00 ) ^ 0x00000017 ]
             [ payload write reg 1 => 2b @ network header + 8 csum_type 1 csum_off 10 csum_flags 0x0 ]"
        ),
        "ip ttl set 23"
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 2b @ network header + 0 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x000003ff ) ^ 0x00005800 ]
             [ payload write reg 1 => 2b @ network header + 0 csum_type 1 csum_off 10 csum_flags 0x0 ]"
        ),
        "ip dscp set af23"
    );
    // A mask that is no prefix, and a masked raw payload, with `==` spelled out.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 4b @ network header + 12 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0xff000000 ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x01000000 ]"
        ),
        "nft ip saddr & 0.0.0.255 == 0.0.0.1"
    );
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ payload load 1b @ link header + 0 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x00000080 ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x00000080 ]"
        ),
        "nft @ll,0,8 & 0x80 == 0x80"
    );
}

#[test]
fn meta_keys_by_their_types() {
    // Device groups without `meta`, the default one by name; bridge names as strings.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load iifgroup => reg 1 ]
             [ cmp eq reg 1 0x00000000 ]"
        ),
        "nft iifgroup \"default\""
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load oifgroup => reg 1 ]
             [ cmp neq reg 1 0x0000000b ]"
        ),
        "nft oifgroup != 11"
    );
    assert_eq!(
        canon_text(
            Family::Bridge,
            "[ meta load bri_iifname => reg 1 ]
             [ cmp eq reg 1 0x00307262 0x00000000 0x00000000 0x00000000 ]"
        ),
        "nft meta ibrname \"br0\""
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load secpath => reg 1 ]
             [ cmp eq reg 1 0x00000001 ]"
        ),
        "nft meta ipsec exists"
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load day => reg 1 ]
             [ cmp eq reg 1 0x00000006 ]"
        ),
        "nft meta day \"Saturday\""
    );
}

#[test]
fn routing_socket_fib_and_conntrack_addresses() {
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ rt load nexthop4 => reg 1 ]
             [ cmp eq reg 1 0x0100a8c0 ]"
        ),
        "nft rt ip nexthop 192.168.0.1"
    );
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ socket load transparent => reg 1 ]
             [ cmp eq reg 1 0x00000001 ]"
        ),
        "nft socket transparent 1"
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ fib daddr oif present => reg 1 ]
             [ cmp eq reg 1 0x00000000 ]"
        ),
        "nft fib daddr oif missing"
    );
    // `ct original saddr` after `meta nfproto ipv4` is `ct original ip saddr`, whose
    // dependency the nfproto compare is.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load nfproto => reg 1 ]
             [ cmp eq reg 1 0x00000002 ]
             [ ct load src => reg 1 , dir original ]
             [ cmp eq reg 1 0x04030201 ]"
        ),
        "nft ct original ip saddr 1.2.3.4"
    );
}

#[test]
fn hashes_queues_from_registers_and_undeclared_concatenations() {
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 4b @ network header + 12 => reg 2 ]
             [ payload load 4b @ network header + 16 => reg 13 ]
             [ hash reg 1 = jhash(reg 2, 8, 0xdeadbeef) % mod 2 offset 100 ]
             [ ct set mark with reg 1 ]"
        ),
        "ct mark set jhash ip saddr . ip daddr mod 2 seed 0xdeadbeef offset 100"
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ numgen reg 1 = inc mod 65536 ]
             [ queue sreg_qnum 1 bypass ]"
        ),
        "queue flags bypass to numgen inc mod 65536"
    );
    // A named set the context does not describe: the loads written one after the other
    // are its concatenated key.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 4b @ network header + 12 => reg 1 ]
             [ payload load 4b @ network header + 16 => reg 9 ]
             [ lookup reg 1 set set5 ]"
        ),
        "ip saddr . ip daddr @set5"
    );
}

#[test]
fn map_data_typed_by_its_use_and_dup_fwd() {
    // Debug text gives an anonymous map's data without a type: a NAT address (and port)
    // or a device names it.
    let e = crate::netlink::debug_text::parse_debug_text(
        "t",
        "__map%d t b size 1
__map%d t 0
	element 00005000  : 040a8d0a 0000901f 0 [end]
ip t c
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ lookup reg 1 set __map%d dreg 1 ]
  [ nat dnat ip addr_min reg 1 proto_min reg 9 ]
",
    )
    .unwrap();
    let r = &e[0];
    let mut d = delinearize(r.family, &r.exprs, &r.sets);
    d.normalize();
    assert_eq!(
        d.canonical(),
        "dnat to th dport map { 80 : 10.141.10.4 . 8080 }"
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ immediate reg 1 0x0102a8c0 ]
             [ immediate reg 2 0x00000001 ]
             [ dup sreg_addr 1 sreg_dev 2 ]"
        ),
        "dup to 192.168.2.1 device \"lo\""
    );
}

#[test]
fn segment_routing_code_ranges_and_icmp_families() {
    assert_eq!(
        canon_text(
            Family::Ip6,
            "[ exthdr load ipv6 1b @ 43 + 4 => reg 1 ]
             [ cmp eq reg 1 0x0000007f ]"
        ),
        "nft srh last-entry 127"
    );
    // A bound pair on a code is its range, in numbers.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load l4proto => reg 1 ]
             [ cmp eq reg 1 0x00000001 ]
             [ payload load 1b @ transport header + 1 => reg 1 ]
             [ cmp gte reg 1 0x00000021 ]
             [ cmp lte reg 1 0x00000037 ]"
        ),
        "nft icmp code 33-55"
    );
    // `meta nfproto ipv4` before an ICMPv6 match is no dependency of it.
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ meta load nfproto => reg 1 ]
             [ cmp eq reg 1 0x00000002 ]
             [ meta load l4proto => reg 1 ]
             [ cmp eq reg 1 0x0000003a ]
             [ payload load 1b @ transport header + 0 => reg 1 ]
             [ cmp eq reg 1 0x00000080 ]"
        ),
        "icmpv6 type echo-request nft meta nfproto ipv4"
    );
}

#[test]
fn shifted_marks_connlimit_synproxy_and_expiration_ranges() {
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load mark => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0xffffffef ) ^ 0x00000010 ]
             [ bitwise reg 1 = ( reg 1 << 0x00000008 ) ]
             [ ct set mark with reg 1 ]"
        ),
        "ct mark set (meta mark | 0x00000010) << 8"
    );
    assert_eq!(
        canon_text(Family::Ip, "[ connlimit count 3 flags 1 ]"),
        "nft ct count over 3"
    );
    assert_eq!(
        canon_text(Family::Inet, "[ synproxy mss 0 wscale 0 ]"),
        "synproxy"
    );
    // The live reader's text of `synproxy` carries the flags.
    let e = vec![Expr::Unknown {
        name: "synproxy".into(),
        raw: "mss 1460 wscale 5 flags 15".into(),
    }];
    assert_eq!(
        canon(Family::Inet, &e, &SetLookupContext::default()),
        "synproxy mss 1460 wscale 5 timestamp sack-perm"
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ ct load expiration => reg 1 ]
             [ cmp gte reg 1 0x0000ea60 ]
             [ cmp lte reg 1 0x0036ee80 ]"
        ),
        "nft ct expiration 60s-3600s"
    );
}

#[test]
fn vlan_dependencies_and_shifted_fields() {
    // A `vlan type ip` that is only `ip protocol`'s dependency leaves `ether type 8021q`.
    assert_eq!(
        canon_text(
            Family::Bridge,
            "[ payload load 2b @ link header + 12 => reg 1 ]
             [ cmp eq reg 1 0x00000081 ]
             [ payload load 2b @ link header + 16 => reg 1 ]
             [ cmp eq reg 1 0x00000008 ]
             [ payload load 1b @ network header + 9 => reg 1 ]
             [ cmp eq reg 1 0x00000001 ]"
        ),
        "meta l4proto icmp nft ether type 8021q"
    );
    // An 802.1ad outer tag stays listed, the inner tag's fields are named.
    assert_eq!(
        canon_text(
            Family::Bridge,
            "[ payload load 2b @ link header + 12 => reg 1 ]
             [ cmp eq reg 1 0x0000a888 ]
             [ payload load 2b @ link header + 14 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x0000ff0f ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x00000100 ]
             [ payload load 2b @ link header + 16 => reg 1 ]
             [ cmp eq reg 1 0x00000081 ]
             [ payload load 2b @ link header + 18 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x0000ff0f ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x00000200 ]"
        ),
        "nft ether type 8021ad nft vlan id 1 nft vlan type 8021q nft vlan id 2"
    );
    // `ip dscp @s`: the TOS byte under its mask shifted down.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 1b @ network header + 1 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
             [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
             [ lookup reg 1 set s ]"
        ),
        "ip dscp @s"
    );
}

#[test]
fn tcp_option_writes_resets_subtypes_and_ip6_dscp() {
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ immediate reg 1 0x00005005 ]
             [ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]"
        ),
        "tcp option maxseg size set 1360"
    );
    assert_eq!(
        canon_text(Family::Ip, "[ exthdr reset tcpopt 30 ]"),
        "reset tcp option mptcp"
    );
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ exthdr load tcpopt 1b @ 30 + 2 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x000000f0 ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x00000010 ]"
        ),
        "nft tcp option mptcp subtype 1"
    );
    // `ip6 dscp cs1` is the DSCP match, as `ip dscp cs1` is.
    assert_eq!(
        canon_text(
            Family::Ip6,
            "[ payload load 2b @ network header + 0 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x0000c00f ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x00000002 ]"
        ),
        "ip dscp 0x08"
    );
}

#[test]
fn fib_type_sets_are_address_type_matches() {
    let mut sets = SetLookupContext::default();
    let e = |t: u32| RawElem {
        key: t.to_ne_bytes().to_vec(),
        ..RawElem::default()
    };
    sets.sets.insert(
        "__set0".into(),
        SetInfo {
            flags: SET_ANONYMOUS,
            key_type: 38,
            key_len: 4,
            data_type: None,
            elems: vec![e(3), e(4), e(5)],
        },
    );
    let x = vec![
        Expr::Fib {
            flags: 2,
            result: 3,
            dreg: 1,
        },
        Expr::Lookup {
            set: "__set0".into(),
            sreg: 1,
            dreg: None,
            invert: false,
        },
    ];
    assert_eq!(
        canon(Family::Inet, &x, &sets),
        "fib daddr type { anycast, broadcast, multicast }"
    );
}

#[test]
fn os_fingerprints_and_ipsec_state() {
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ osf dreg 1 ]
             [ cmp eq reg 1 0x756e694c 0x00000078 0x00000000 0x00000000 ]"
        ),
        "nft osf name \"Linux\""
    );
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ xfrm load in 0 reqid => reg 1 ]
             [ cmp eq reg 1 0x00000001 ]"
        ),
        "nft ipsec in reqid 1"
    );
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ xfrm load out 2 daddr4 => reg 1 ]
             [ cmp eq reg 1 0x0201a8c0 ]"
        ),
        "nft ipsec out spnum 2 ip daddr 192.168.1.2"
    );
}

#[test]
fn header_fields_by_position_mask_and_bounds() {
    // `ip length 333-435`: a bound pair on a named header field is its range.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 2b @ network header + 2 => reg 1 ]
             [ cmp gte reg 1 0x00004d01 ]
             [ cmp lte reg 1 0x0000b301 ]"
        ),
        "nft ip length 333-435"
    );
    // `ip hdrlength 5`: a sub-byte field selected by its mask.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ payload load 1b @ network header + 0 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x0000000f ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x00000005 ]"
        ),
        "nft ip hdrlength 5"
    );
    // `frag more-fragments 1`: an IPv6 extension header field.
    assert_eq!(
        canon_text(
            Family::Ip6,
            "[ exthdr load ipv6 1b @ 44 + 3 => reg 1 ]
             [ bitwise reg 1 = ( reg 1 & 0x00000001 ) ^ 0x00000000 ]
             [ cmp eq reg 1 0x00000001 ]"
        ),
        "nft frag more-fragments 1"
    );
    // `tcp option maxseg size 1360`.
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ meta load l4proto => reg 1 ]
             [ cmp eq reg 1 0x00000006 ]
             [ exthdr load tcpopt 2b @ 2 + 2 => reg 1 ]
             [ cmp eq reg 1 0x00005005 ]"
        ),
        "meta l4proto tcp nft tcp option maxseg size 1360"
    );
}

#[test]
fn dependencies_nft_does_not_list_are_dropped() {
    // netdev: `meta protocol ip` before `ip saddr` is the address match's dependency.
    assert_eq!(
        canon_text(
            Family::Netdev,
            "[ meta load protocol => reg 1 ]
             [ cmp eq reg 1 0x00000008 ]
             [ payload load 4b @ network header + 12 => reg 1 ]
             [ cmp eq reg 1 0x0100000a ]"
        ),
        "ip saddr 10.0.0.1"
    );
    // inet: a `meta nfproto ipv4` before a port match alone is the rule's own.
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ meta load nfproto => reg 1 ]
             [ cmp eq reg 1 0x00000002 ]
             [ meta load l4proto => reg 1 ]
             [ cmp eq reg 1 0x00000011 ]
             [ payload load 2b @ transport header + 2 => reg 1 ]
             [ cmp eq reg 1 0x00003500 ]"
        ),
        "udp dport 53 nft meta nfproto ipv4"
    );
    // `icmp mtu 22`: the type compare before is the field's dependency.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load l4proto => reg 1 ]
             [ cmp eq reg 1 0x00000001 ]
             [ payload load 1b @ transport header + 0 => reg 1 ]
             [ cmp eq reg 1 0x00000003 ]
             [ payload load 2b @ transport header + 6 => reg 1 ]
             [ cmp eq reg 1 0x00001600 ]"
        ),
        "nft icmp mtu 22"
    );
    // inet: `meta nfproto ipv6` before an ICMPv6 header read is ICMPv6's dependency.
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ meta load nfproto => reg 1 ]
             [ cmp eq reg 1 0x0000000a ]
             [ meta load l4proto => reg 1 ]
             [ cmp eq reg 1 0x0000003a ]
             [ payload load 1b @ transport header + 0 => reg 1 ]
             [ lookup reg 1 set s 0x0 ]"
        ),
        "icmpv6 type @s"
    );
    // inet: a write to the network header needs it too (`ip daddr set iifname map @m`).
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ meta load nfproto => reg 1 ]
             [ cmp eq reg 1 0x00000002 ]
             [ meta load iifname => reg 1 ]
             [ lookup reg 1 set m dreg 1 0x0 ]
             [ payload write reg 1 => 4b @ network header + 16 csum_type 1 csum_off 10 csum_flags 0x1 ]"
        ),
        "ip daddr set iifname map @m"
    );
    // ip: `meta iiftype ether` is the dependency of every link-layer read, also of a set
    // statement's key.
    assert_eq!(
        canon_text(
            Family::Ip,
            "[ meta load iiftype => reg 1 ]
             [ cmp eq reg 1 0x00000001 ]
             [ payload load 6b @ link header + 0 => reg 1 ]
             [ dynset add reg_key 1 set s2 timeout 0ms ]"
        ),
        "add @s2 { ether daddr }"
    );
    // inet: `meta nfproto ipv4` before `dnat ip to` (no header read) is the rule's own.
    assert_eq!(
        canon_text(
            Family::Inet,
            "[ meta load nfproto => reg 1 ]
             [ cmp eq reg 1 0x00000002 ]
             [ immediate reg 1 0x020100f0 ]
             [ nat dnat ip addr_min reg 1 ]"
        ),
        "nft meta nfproto ipv4 dnat to 240.0.1.2"
    );
}
