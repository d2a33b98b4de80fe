//! Unit tests of delinearization: synthetic expression lists and random input.

use super::*;

/// Big-endian increment (an interval end key after an inclusive last).
fn be_inc(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    for x in v.iter_mut().rev() {
        let (r, carry) = x.overflowing_add(1);
        *x = r;
        if !carry {
            break;
        }
    }
    v
}

#[test]
fn anonymous_sets_of_rules() {
    use super::super::raw::RawElem;
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

fn payload(base: u32, offset: u32, len: u32) -> Expr {
    Expr::Payload {
        base,
        offset,
        len,
        dreg: 1,
    }
}

fn cmp(data: &[u8]) -> Expr {
    Expr::Cmp {
        sreg: 1,
        op: 0,
        data: data.to_vec(),
    }
}

fn verdict(code: i32, chain: Option<&str>) -> Expr {
    Expr::Immediate {
        dreg: 0,
        data: ImmData::Verdict {
            code,
            chain: chain.map(str::to_string),
        },
    }
}

fn canon(family: Family, exprs: &[Expr], sets: &SetLookupContext) -> String {
    let mut r = delinearize(family, exprs, sets);
    r.normalize();
    r.canonical()
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

/// A tiny deterministic generator, so the random test needs no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn small(&mut self, n: u32) -> u32 {
        self.next() % n
    }
    fn bytes(&mut self) -> Vec<u8> {
        let n = self.small(20) as usize;
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn random_expr(g: &mut Lcg) -> Expr {
    let reg = |g: &mut Lcg| [0, 1, 2, 8, 9, 10, 23, 99][g.small(8) as usize];
    match g.small(16) {
        0 => Expr::Payload {
            base: g.small(4),
            offset: g.small(40),
            len: g.small(20),
            dreg: reg(g),
        },
        1 => Expr::Meta {
            key: g.small(40),
            dreg: Some(reg(g)),
            sreg: None,
        },
        2 => Expr::Meta {
            key: g.small(40),
            dreg: None,
            sreg: Some(reg(g)),
        },
        3 => Expr::Cmp {
            sreg: reg(g),
            op: g.small(7),
            data: g.bytes(),
        },
        4 => Expr::Bitwise {
            sreg: reg(g),
            dreg: reg(g),
            len: g.small(17),
            op: g.small(3),
            mask: g.bytes(),
            xor: g.bytes(),
            data: g.bytes(),
        },
        5 => Expr::Lookup {
            set: ["__set0", "named", "__map1"][g.small(3) as usize].into(),
            sreg: reg(g),
            dreg: [None, Some(0), Some(1)][g.small(3) as usize],
            invert: g.small(2) == 1,
        },
        6 => Expr::Immediate {
            dreg: reg(g),
            data: if g.small(2) == 0 {
                ImmData::Value(g.bytes())
            } else {
                ImmData::Verdict {
                    code: g.small(9) as i32 - 5,
                    chain: Some("c".into()),
                }
            },
        },
        7 => Expr::Ct {
            key: g.small(30),
            dreg: Some(reg(g)),
            sreg: None,
            dir: Some(g.small(3) as u8),
        },
        8 => Expr::Range {
            sreg: reg(g),
            op: g.small(3),
            from: g.bytes(),
            to: g.bytes(),
        },
        9 => Expr::Nat {
            nat_type: g.small(3),
            family: [2, 10, 0][g.small(3) as usize],
            reg_addr_min: Some(reg(g)),
            reg_addr_max: Some(reg(g)),
            reg_proto_min: Some(reg(g)),
            reg_proto_max: None,
            flags: g.next(),
        },
        10 => Expr::Match {
            name: [
                "conntrack",
                "multiport",
                "set",
                "comment",
                "tcp",
                "recent",
                "x",
            ][g.small(7) as usize]
                .into(),
            rev: g.small(4),
            info: g.bytes(),
        },
        11 => Expr::Target {
            name: [
                "MARK", "CONNMARK", "REJECT", "SNAT", "CT", "LOG", "NFLOG", "y",
            ][g.small(8) as usize]
                .into(),
            rev: g.small(3),
            info: g.bytes(),
        },
        12 => Expr::Fib {
            flags: g.small(32),
            result: g.small(4),
            dreg: reg(g),
        },
        13 => Expr::Ct {
            key: g.small(30),
            dreg: None,
            sreg: Some(reg(g)),
            dir: None,
        },
        14 => Expr::Unknown {
            name: "exthdr".into(),
            raw: format!("load x => reg {}", reg(g)),
        },
        _ => Expr::Limit {
            rate: u64::from(g.next()),
            unit: [1, 60, 7][g.small(3) as usize],
            burst: g.next(),
            kind: g.small(2),
            flags: g.small(2),
        },
    }
}

#[test]
fn random_expression_lists_never_panic() {
    let mut sets = SetLookupContext::default();
    let mut g = Lcg(42);
    for name in ["__set0", "named", "__map1"] {
        let elems = (0..g.small(6))
            .map(|_| RawElem {
                key: g.bytes(),
                key_end: (g.small(3) == 0).then(|| g.bytes()),
                data: (g.small(2) == 0).then(|| g.bytes()),
                verdict: (g.small(2) == 0).then_some((-3, None)),
                flags: g.small(2),
                ..RawElem::default()
            })
            .collect();
        sets.sets.insert(
            name.into(),
            SetInfo {
                flags: g.small(16),
                key_type: g.small(50) | (g.small(2) << 6),
                key_len: g.small(20),
                data_type: Some(DATA_VERDICT),
                elems,
            },
        );
    }
    for _ in 0..20_000 {
        let n = g.small(10) as usize;
        let exprs: Vec<Expr> = (0..n).map(|_| random_expr(&mut g)).collect();
        for fam in [Family::Ip, Family::Ip6, Family::Inet] {
            let mut r = delinearize(fam, &exprs, &sets);
            r.normalize();
            let _ = r.canonical();
        }
    }
}

/// Delinearizes debug text (`nft --debug=netlink` expression lines).
fn canon_text(family: Family, text: &str) -> String {
    let e = super::super::debug_text::parse_debug_exprs("t", text).unwrap();
    canon(family, &e, &SetLookupContext::default())
}

/// A named set or map of the rule's table, for [`canon_text_with`].
fn named(key_type: u32, key_len: u32, data_type: Option<u32>) -> SetInfo {
    SetInfo {
        flags: if data_type.is_some() { SET_MAP } else { 0 },
        key_type,
        key_len,
        data_type,
        elems: Vec::new(),
    }
}

/// Delinearizes debug text with the named sets `sets` in the table.
fn canon_text_with(family: Family, text: &str, sets: &[(&str, SetInfo)]) -> String {
    let e = super::super::debug_text::parse_debug_exprs("t", text).unwrap();
    let mut cx = SetLookupContext::default();
    for (n, i) in sets {
        cx.sets.insert((*n).to_string(), i.clone());
    }
    canon(family, &e, &cx)
}

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
    let e = super::super::debug_text::parse_debug_text(
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

/// Found by the `netlink_delinearize` fuzz target: a raw payload load at a byte offset
/// past `u32::MAX / 8` overflowed when shown in bits (`@nh,OFFSET,LEN`).
#[test]
fn fuzz_payload_offset_beyond_u32_bits_does_not_overflow() {
    let e = vec![
        Expr::Payload {
            base: 1,
            offset: u32::MAX,
            len: u32::MAX,
            dreg: 1,
        },
        cmp(&[1, 2, 3, 4]),
    ];
    let r = canon(Family::Inet, &e, &SetLookupContext::default());
    assert!(r.contains("@nh,34359738360,34359738360"), "{r}");
}

#[test]
fn garbage_never_panics() {
    let e = vec![
        Expr::Cmp {
            sreg: 99,
            op: 77,
            data: vec![],
        },
        Expr::Bitwise {
            sreg: 5,
            dreg: 1,
            len: 0,
            op: 9,
            mask: vec![],
            xor: vec![],
            data: vec![],
        },
        Expr::Range {
            sreg: 1,
            op: 0,
            from: vec![],
            to: vec![],
        },
        Expr::Lookup {
            set: "nope".into(),
            sreg: 200,
            dreg: Some(3),
            invert: true,
        },
        Expr::Nat {
            nat_type: 1,
            family: 2,
            reg_addr_min: Some(1),
            reg_addr_max: Some(2),
            reg_proto_min: Some(3),
            reg_proto_max: None,
            flags: 0,
        },
        payload(1, 12, 4),
        cmp(&[]),
        Expr::Meta {
            key: 6,
            dreg: Some(1),
            sreg: None,
        },
        cmp(&[]),
    ];
    for fam in [Family::Ip, Family::Ip6, Family::Inet, Family::Bridge] {
        let _ = delinearize(fam, &e, &SetLookupContext::default()).canonical();
    }
}
