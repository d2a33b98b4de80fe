//! Delinearization of expression lists built by hand: sets, prefixes, marks, maps, number generators.

use super::*;

#[test]
fn anonymous_sets_of_rules() {
    use crate::netlink::raw::RawElem;
    const SET_INTERVAL: u32 = 0x4;
    const SET_MAP: u32 = 0x8;
    const ELEM_INTERVAL_END: u32 = 0x1;
    const ELEM_CATCHALL: u32 = 0x2;
    let elem = |key: &[u8]| RawElem {
        key: key.to_vec(),
        ..RawElem::default()
    };
    let end = |key: &[u8]| RawElem {
        key: key.to_vec(),
        flags: ELEM_INTERVAL_END,
        ..RawElem::default()
    };
    let info = |flags: u32, data_type: Option<u32>, elems: Vec<RawElem>| SetInfo {
        flags,
        key_type: 0,
        key_len: 0,
        data_type,
        elems,
    };
    let iface = [Field::Iface(Direction::Src)];
    let addr = [Field::Addr {
        dir: Direction::Src,
        v6: false,
        full: 32,
    }];
    // `iifname { "eth0", "abcdef*" }` as an interval set.
    let mut start = b"abcdef".to_vec();
    start.resize(16, 0);
    let mut stop = b"abcdef".to_vec();
    stop.resize(16, 0xff);
    let mut eth0 = b"eth0".to_vec();
    eth0.resize(16, 0);
    let mut eth0_end = eth0.clone();
    eth0_end[15] = 1;
    let elems = vec![
        end(&[0; 16]),
        elem(&start),
        end(&be_inc(&stop)),
        elem(&eth0),
        end(&eth0_end),
    ];
    assert_eq!(
        set_text(&info(SET_INTERVAL | 1, None, elems), &iface, &[16], false),
        "{ \"abcdef*\", \"eth0\" }"
    );
    // A catch-all and a prefix in an interval map.
    let mut a = elem(&[10, 141, 0, 0]);
    a.data = Some(vec![192, 168, 0, 2]);
    let mut c = elem(&[]);
    c.flags = ELEM_CATCHALL;
    c.data = Some(vec![192, 168, 0, 3]);
    let elems = vec![end(&[0; 4]), a, end(&[10, 141, 1, 0]), c];
    let text = set_text(
        &info(SET_INTERVAL | SET_MAP | 1, Some(7), elems),
        &addr,
        &[4],
        true,
    );
    assert!(text.contains("10.141.0.0/24 : 192.168.0.2"), "{text}");
    assert!(text.contains("* : 192.168.0.3"), "{text}");
    // Interval data of an anonymous nat map, known by its size.
    let mut n = elem(&[10, 1, 1, 0]);
    n.data = Some(vec![72, 2, 3, 66, 72, 2, 3, 78]);
    let elems = vec![end(&[0; 4]), n, end(&[10, 1, 2, 0])];
    assert_eq!(
        set_text(
            &info(SET_INTERVAL | SET_MAP | 1, Some(7), elems),
            &addr,
            &[4],
            true
        ),
        "{ 10.1.1.0/24 : 72.2.3.66-72.2.3.78 }"
    );
    // Concatenated ranges: per field.
    let e = RawElem {
        key: vec![
            b'e', b't', b'h', b'1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 3, 0,
        ],
        key_end: Some(vec![
            b'e', b't', b'h', b'1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 3, 255,
        ]),
        ..RawElem::default()
    };
    let fields = [iface[0].clone(), addr[0].clone()];
    assert_eq!(
        set_text(
            &info(SET_INTERVAL | 0x80, None, vec![e]),
            &fields,
            &[16, 4],
            false
        ),
        "{ \"eth1\" . 2.2.3.0/24 }"
    );
}

#[test]
fn tcp_dport_with_l4proto_dependency() {
    let e = vec![
        Expr::Meta {
            key: 15,
            dreg: Some(1),
            sreg: None,
        },
        cmp(&[2]),
        Expr::Meta {
            key: 16,
            dreg: Some(1),
            sreg: None,
        },
        cmp(&[6]),
        payload(2, 2, 2),
        cmp(&[0, 80]),
        Expr::Counter {
            packets: 3,
            bytes: 4,
        },
        verdict(1, None),
    ];
    let r = delinearize(Family::Inet, &e, &SetLookupContext::default());
    assert_eq!(r.counters.map(|c| c.packets), Some(3));
    // `meta nfproto ipv4` is no dependency of a port match: nft lists it as the rule's own.
    assert_eq!(
        canon(Family::Inet, &e, &SetLookupContext::default()),
        "tcp dport 80 nft meta nfproto ipv4 accept"
    );
    assert_eq!(
        canon(Family::Inet, &e[2..], &SetLookupContext::default()),
        "tcp dport 80 accept"
    );
}

#[test]
fn prefixes_interfaces_and_marks() {
    let e = vec![
        Expr::Meta {
            key: 6,
            dreg: Some(1),
            sreg: None,
        },
        cmp(b"cali"),
        payload(1, 12, 4),
        Expr::Bitwise {
            sreg: 1,
            dreg: 1,
            len: 4,
            op: 0,
            mask: vec![255, 255, 0, 0],
            xor: vec![0; 4],
            data: vec![],
        },
        cmp(&[10, 1, 0, 0]),
        payload(1, 16, 1),
        cmp(&[192]),
        Expr::Meta {
            key: 3,
            dreg: Some(1),
            sreg: None,
        },
        Expr::Bitwise {
            sreg: 1,
            dreg: 1,
            len: 4,
            op: 0,
            mask: 0x10000u32.to_ne_bytes().to_vec(),
            xor: vec![0; 4],
            data: vec![],
        },
        cmp(&0x10000u32.to_ne_bytes()),
        verdict(-3, Some("cali-x")),
    ];
    assert_eq!(
        canon(Family::Ip, &e, &SetLookupContext::default()),
        "iifname \"cali*\" ip saddr 10.1.0.0/16 ip daddr 192.0.0.0/8 \
         meta mark & 0x00010000 == 0x00010000 jump cali-x"
    );
}

#[test]
fn mark_set_arithmetic_and_ct_state() {
    let e = vec![
        Expr::Ct {
            key: 0,
            dreg: Some(1),
            sreg: None,
            dir: None,
        },
        Expr::Bitwise {
            sreg: 1,
            dreg: 1,
            len: 4,
            op: 0,
            mask: 6u32.to_ne_bytes().to_vec(),
            xor: vec![0; 4],
            data: vec![],
        },
        Expr::Cmp {
            sreg: 1,
            op: 1,
            data: vec![0; 4],
        },
        Expr::Meta {
            key: 3,
            dreg: Some(1),
            sreg: None,
        },
        Expr::Bitwise {
            sreg: 1,
            dreg: 1,
            len: 4,
            op: 0,
            mask: 0xfff0ffffu32.to_ne_bytes().to_vec(),
            xor: 0x40000u32.to_ne_bytes().to_vec(),
            data: vec![],
        },
        Expr::Meta {
            key: 3,
            dreg: None,
            sreg: Some(1),
        },
    ];
    assert_eq!(
        canon(Family::Ip, &e, &SetLookupContext::default()),
        "ct state established,related meta mark set mark and 0xfff0ffff xor 0x00040000"
    );
}

#[test]
fn interface_wildcards_of_interval_sets() {
    let pad = |s: &[u8], b: u8| {
        let mut v = s.to_vec();
        v.resize(16, b);
        v
    };
    assert_eq!(
        iface_range(&pad(b"cali", 0), &pad(b"cali", 0xff)),
        Some(IfacePattern::Prefix("cali".into()))
    );
    assert_eq!(
        iface_range(&pad(b"eth0", 0), &pad(b"eth0", 0)),
        Some(IfacePattern::Exact("eth0".into()))
    );
    // Any other range of names is not an interface pattern.
    assert_eq!(iface_range(&pad(b"a", 0), &pad(b"b", 0)), None);
}

#[test]
fn anonymous_interval_set_and_vmap() {
    let mut sets = SetLookupContext::default();
    sets.sets.insert(
        "__set0".into(),
        SetInfo {
            flags: SET_ANONYMOUS | SET_INTERVAL,
            key_type: 13,
            key_len: 2,
            data_type: None,
            elems: vec![
                RawElem {
                    key: vec![0, 0],
                    flags: ELEM_INTERVAL_END,
                    ..RawElem::default()
                },
                RawElem {
                    key: vec![0, 22],
                    ..RawElem::default()
                },
                RawElem {
                    key: vec![0, 23],
                    flags: ELEM_INTERVAL_END,
                    ..RawElem::default()
                },
                RawElem {
                    key: vec![0x1f, 0x40],
                    ..RawElem::default()
                },
                RawElem {
                    key: vec![0x1f, 0x51],
                    flags: ELEM_INTERVAL_END,
                    ..RawElem::default()
                },
            ],
        },
    );
    sets.sets.insert(
        "__map1".into(),
        SetInfo {
            flags: SET_ANONYMOUS | SET_MAP,
            key_type: 13,
            key_len: 2,
            data_type: Some(DATA_VERDICT),
            elems: vec![
                RawElem {
                    key: vec![0, 80],
                    verdict: Some((-3, Some("web".into()))),
                    ..RawElem::default()
                },
                RawElem {
                    key: vec![0, 22],
                    verdict: Some((1, None)),
                    ..RawElem::default()
                },
            ],
        },
    );
    let e = vec![
        Expr::Meta {
            key: 16,
            dreg: Some(1),
            sreg: None,
        },
        cmp(&[6]),
        payload(2, 2, 2),
        Expr::Lookup {
            set: "__set0".into(),
            sreg: 1,
            dreg: None,
            invert: false,
        },
        payload(2, 2, 2),
        Expr::Lookup {
            set: "__map1".into(),
            sreg: 1,
            dreg: Some(0),
            invert: false,
        },
    ];
    assert_eq!(
        canon(Family::Inet, &e, &sets),
        "tcp dport { 22, 8000-8016 } tcp dport vmap { 22 : accept, 80 : jump web }"
    );
}

#[test]
fn adjacent_map_elements_and_a_vmap_fallback_verdict() {
    // `tcp dport vmap { 80 : accept, 81 : accept, 443 : drop }`: nft stores no end element
    // between 80 and 81, the start of 81 ends 80.
    let start = |k: u16, code: i32| RawElem {
        key: k.to_be_bytes().to_vec(),
        verdict: Some((code, None)),
        ..RawElem::default()
    };
    let end = |k: u16| RawElem {
        key: k.to_be_bytes().to_vec(),
        flags: ELEM_INTERVAL_END,
        ..RawElem::default()
    };
    let mut sets = SetLookupContext::default();
    sets.sets.insert(
        "__map0".into(),
        SetInfo {
            flags: SET_ANONYMOUS | SET_INTERVAL | SET_MAP,
            key_type: 13,
            key_len: 2,
            data_type: Some(DATA_VERDICT),
            elems: vec![
                end(0),
                start(80, 1),
                start(81, 1),
                end(82),
                start(443, 0),
                end(444),
            ],
        },
    );
    let e = vec![
        payload(2, 2, 2),
        Expr::Lookup {
            set: "__map0".into(),
            sreg: 1,
            dreg: Some(0),
            invert: false,
        },
    ];
    assert_eq!(
        canon(Family::Inet, &e, &sets),
        "th dport vmap { 80 : accept, 81 : accept, 443 : drop }"
    );
    // `ip saddr vmap @m accept`: the verdict after the vmap is its fallback, kept with it.
    let e = vec![
        payload(1, 12, 4),
        Expr::Lookup {
            set: "m".into(),
            sreg: 1,
            dreg: Some(0),
            invert: false,
        },
        verdict(1, None),
    ];
    assert_eq!(
        canon(Family::Ip, &e, &SetLookupContext::default()),
        "ip saddr vmap @m accept"
    );
}

#[test]
fn number_generator_keys_are_decimal() {
    // `numgen random mod 2 vmap { 0 : accept, 1 : drop }` (host-order keys) and
    // `ip daddr set numgen inc mod 16 map { 0-7 : 10.0.1.1, 8-15 : 10.0.1.2 }` (an interval
    // map: the key made big-endian by `byteorder`).
    let mut sets = SetLookupContext::default();
    let v = |k: u32, code: i32| RawElem {
        key: k.to_ne_bytes().to_vec(),
        verdict: Some((code, None)),
        ..RawElem::default()
    };
    sets.sets.insert(
        "__map0".into(),
        SetInfo {
            flags: SET_ANONYMOUS | SET_MAP,
            key_type: 4,
            key_len: 4,
            data_type: Some(DATA_VERDICT),
            elems: vec![v(0, 1), v(1, 0)],
        },
    );
    let d = |k: u32, data: Option<[u8; 4]>| RawElem {
        key: k.to_be_bytes().to_vec(),
        data: data.map(|d| d.to_vec()),
        flags: if data.is_none() { ELEM_INTERVAL_END } else { 0 },
        ..RawElem::default()
    };
    sets.sets.insert(
        "__map1".into(),
        SetInfo {
            flags: SET_ANONYMOUS | SET_MAP | SET_INTERVAL,
            key_type: 4,
            key_len: 4,
            data_type: Some(7),
            elems: vec![
                d(0, Some([10, 0, 1, 1])),
                d(8, Some([10, 0, 1, 2])),
                d(16, None),
            ],
        },
    );
    let ng = Expr::Numgen {
        dreg: 1,
        modulus: 2,
        kind: 1,
        offset: 0,
    };
    let e = vec![
        ng.clone(),
        Expr::Lookup {
            set: "__map0".into(),
            sreg: 1,
            dreg: Some(0),
            invert: false,
        },
    ];
    assert_eq!(
        canon(Family::Ip, &e, &sets),
        "numgen random mod 2 vmap { 0 : accept, 1 : drop }"
    );
    let e = vec![
        Expr::Numgen {
            dreg: 1,
            modulus: 16,
            kind: 0,
            offset: 0,
        },
        Expr::Byteorder {
            sreg: 1,
            dreg: 1,
            op: 1,
            len: 4,
            size: 4,
        },
        Expr::Lookup {
            set: "__map1".into(),
            sreg: 1,
            dreg: Some(1),
            invert: false,
        },
        Expr::PayloadSet {
            base: 1,
            offset: 16,
            len: 4,
            sreg: 1,
        },
    ];
    assert_eq!(
        canon(Family::Ip, &e, &sets),
        "ip daddr set numgen inc mod 16 map { 0-7 : 10.0.1.1, 8-15 : 10.0.1.2 }"
    );
}

#[test]
fn merged_port_and_address_compares_are_split() {
    let e = vec![
        payload(1, 9, 1),
        cmp(&[17]),
        payload(1, 12, 8),
        cmp(&[0, 0, 0, 0, 255, 255, 255, 255]),
        payload(2, 0, 4),
        cmp(&[0, 68, 0, 67]),
        verdict(-5, None),
    ];
    assert_eq!(
        canon(Family::Ip, &e, &SetLookupContext::default()),
        "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return"
    );
}
