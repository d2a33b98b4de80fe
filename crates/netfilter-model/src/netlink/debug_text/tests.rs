//! Unit tests of `debug_text`.

use super::*;

#[test]
fn expressions_of_every_kind_parse() {
    let text = "\
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ cmp eq reg 1 0x00000020 ]
  [ meta load iifname => reg 1 ]
  [ cmp eq reg 1 0x00687465 ]
  [ meta load oifname => reg 2 ]
  [ cmp neq reg 2 0x30687465 0x00000000 0x00000000 0x00000000 ]
  [ ct load state => reg 1 , dir original ]
  [ lookup reg 1 set __set%d 0x1 ]
  [ lookup reg 1 set m dreg 0 ]
  [ immediate reg 0 jump -> other ]
  [ immediate reg 1 0x0100000a ]
  [ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]
  [ masq flags 0x1c ]
  [ redir proto_min reg 1 ]
  [ reject type 0 code 3 ]
  [ log prefix nft-test:  group 2 snaplen 0 qthreshold 0 ]
  [ log level 7 ipopt uid ]
  [ limit rate 400/minute burst 5 type packets flags 0x1 ]
  [ counter pkts 1 bytes 2 ]
  [ quota bytes 100 consumed 0 flags 1 ]
  [ queue num 1-3 bypass fanout ]
  [ fib saddr . iif oif present => reg 1 ]
  [ numgen reg 1 = inc mod 2 offset 5 ]
  [ byteorder reg 1 = hton(reg 1, 2, 2) ]
  [ range neq reg 1 0x00004d01 0x0000c501 ]
  [ payload write reg 1 => 2b @ transport header + 2 csum_type 1 csum_off 16 csum_flags 0x0 ]
  [ dynset update reg_key 1 set xyz timeout 30000ms expr [ counter pkts 0 bytes 0 ] ]
  [ objref type 1 name cnt1 ]
  [ objref sreg 1 set __objmap%d ]
  [ match name conntrack rev 3 ]
  [ notrack ]
  [ exthdr load 2b @ 6 + 2 => reg 1 ]
";
    let e = parse_debug_exprs("t", text).unwrap();
    assert_eq!(e.len(), 33);
    assert_eq!(
        e[2],
        Expr::Cmp {
            sreg: 1,
            op: 0,
            data: vec![0x20]
        }
    );
    // A shorter interface compare is a prefix: its padding is dropped.
    assert_eq!(
        e[4],
        Expr::Cmp {
            sreg: 1,
            op: 0,
            data: b"eth".to_vec()
        }
    );
    let mut exact = b"eth0".to_vec();
    exact.resize(16, 0);
    assert_eq!(
        e[6],
        Expr::Cmp {
            sreg: 2,
            op: 1,
            data: exact
        }
    );
    assert_eq!(
        e[7],
        Expr::Ct {
            key: 0,
            dreg: Some(1),
            sreg: None,
            dir: Some(0)
        }
    );
    assert!(matches!(&e[8], Expr::Lookup { invert: true, .. }));
    assert_eq!(
        e[10],
        Expr::Immediate {
            dreg: 0,
            data: ImmData::Verdict {
                code: -3,
                chain: Some("other".into())
            }
        }
    );
    assert_eq!(
        e[11],
        Expr::Immediate {
            dreg: 1,
            data: ImmData::Value(vec![10, 0, 0, 1])
        }
    );
    assert!(matches!(
        &e[16],
        Expr::Log { prefix: Some(p), group: Some(2), .. } if p == "nft-test: "
    ));
    assert!(matches!(
        &e[17],
        Expr::Log {
            prefix: None,
            level: Some(7),
            flags: 0x0c,
            ..
        }
    ));
    assert_eq!(
        e[21],
        Expr::Queue {
            num: 1,
            total: 3,
            flags: 3
        }
    );
    assert_eq!(
        e[22],
        Expr::Fib {
            flags: 1 | 8 | 32,
            result: 1,
            dreg: 1
        }
    );
    assert!(matches!(
        &e[24],
        Expr::Byteorder {
            op: 1,
            size: 2,
            len: 2,
            ..
        }
    ));
    // A range on a 2-byte register (the byteorder above) keeps two bytes per bound.
    assert_eq!(
        e[25],
        Expr::Range {
            sreg: 1,
            op: 1,
            from: vec![0x01, 0x4d],
            to: vec![0x01, 0xc5]
        }
    );
    assert!(matches!(
        &e[27],
        Expr::Dynset {
            op: 1,
            timeout: Some(30000),
            ..
        }
    ));
    assert!(matches!(&e[32], Expr::Unknown { name, .. } if name == "exthdr"));
}

#[test]
fn sets_before_a_rule_are_bound_in_order_and_sized() {
    let text = "\
# tcp dport { 22, 80-90 } udp sport { 53 }
__set%d t 7 size 5
__set%d t 0
\telement 00000000  : 1 [end]\telement 00001600  : 0 [end]\telement 00001700  : 1 [end]
__set%d t 3 size 1
__set%d t 0
\telement 00003500  : 0 [end]
inet t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ lookup reg 1 set __set%d ]
  [ payload load 2b @ transport header + 0 => reg 1 ]
  [ lookup reg 1 set __set%d ]

inet t c
  [ immediate reg 0 accept ]
";
    let rules = parse_debug_text("t", text).unwrap();
    assert_eq!(rules.len(), 2);
    let r = &rules[0];
    assert_eq!(r.family, Family::Inet);
    assert_eq!(r.chain.as_deref(), Some("c"));
    assert_eq!(
        r.title.as_deref(),
        Some("tcp dport { 22, 80-90 } udp sport { 53 }")
    );
    assert!(matches!(&r.exprs[3], Expr::Lookup { set, .. } if set == "__set0"));
    assert!(matches!(&r.exprs[5], Expr::Lookup { set, .. } if set == "__set1"));
    let s0 = &r.sets.sets["__set0"];
    assert_eq!(s0.flags, 7);
    assert_eq!(s0.key_len, 2);
    assert_eq!(s0.elems.len(), 3);
    assert_eq!(s0.elems[1].key, vec![0, 22]);
    assert_eq!(s0.elems[2].flags, 1);
    assert_eq!(r.sets.sets["__set1"].elems[0].key, vec![0, 53]);
    assert_eq!(r.line, 8);
    // Anonymous sets belong to one rule only.
    assert!(rules[1].sets.sets.is_empty());
}

#[test]
fn maps_concatenations_and_named_sets() {
    let text = "\
inet (null) (null) use 0
s t 0
s t 0
\telement 0100000a  : 0 [end]\telement 0200000a  : 0 [end]
__map%d t b size 2
__map%d t 0
\telement 00001600  : jump -> ssh 0 [end]\telement 00005000  : accept 0 [end]
inet t c
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ lookup reg 1 set __map%d dreg 0 ]
__set%d t 3 size 1
__set%d t 0
\telement 0100000a 00001600  : 0 [end]
inet t c
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ payload load 2b @ transport header + 2 => reg 9 ]
  [ lookup reg 1 set __set%d ]
  [ lookup reg 1 set s ]
";
    let rules = parse_debug_text("t", text).unwrap();
    let m = &rules[0].sets.sets["__map0"];
    assert_eq!(m.flags, 0xb);
    assert_eq!(m.data_type, Some(DATA_VERDICT));
    assert_eq!(m.elems[0].verdict, Some((-3, Some("ssh".into()))));
    assert_eq!(m.elems[1].key, vec![0, 80]);
    let c = &rules[1].sets.sets["__set0"];
    assert_eq!(c.key_len, 8);
    assert_eq!(c.elems[0].key, vec![10, 0, 0, 1, 0, 22, 0, 0]);
    let s = &rules[1].sets.sets["s"];
    assert_eq!(s.key_len, 4);
    assert_eq!(s.elems.len(), 2);
}

#[test]
fn bad_input_is_a_positioned_error() {
    let e = parse_debug_text("p", "ip t c\n  [ cmp foo reg 1 0x1 ]\n").unwrap_err();
    assert_eq!(e.source_name, "p");
    assert_eq!((e.position.line, e.position.column), (2, 9));
    assert!(e.message.contains("expected eq, neq"), "{}", e.message);
    assert!(e.context.as_deref().unwrap_or_default().contains("ip t c"));

    let e = parse_debug_text("p", "  [ notrack ]\n").unwrap_err();
    assert_eq!((e.position.line, e.position.column), (1, 3));

    let e = parse_debug_text("p", "hello world\n").unwrap_err();
    assert!(e.message.contains("found `hello world`"), "{}", e.message);

    let e = parse_debug_text("p", "\telement 00000001 : 0\n").unwrap_err();
    assert!(e.message.contains("[end]"), "{}", e.message);

    let e =
        parse_debug_exprs("p", "[ payload load 4b @ somewhere header + 1 => reg 1 ]").unwrap_err();
    assert_eq!(e.position.column, 21);
    let e = parse_debug_exprs("p", "[ immediate reg 0 jump -> ").unwrap_err();
    assert!(e.message.contains("`]`"), "{}", e.message);
    let e = parse_debug_exprs("p", "[ immediate reg 0 jump -> ]").unwrap_err();
    assert!(e.message.contains("chain name"), "{}", e.message);
}

#[test]
fn odd_input_never_panics() {
    for s in [
        "",
        "[",
        "[]",
        "[ ]",
        "[ cmp ]",
        "[ range eq reg 1 0x1 ]",
        "[ bitwise reg 1 = ( reg 1 & ) ^ ]",
        "[ byteorder reg 1 = hton(reg 1, 2) ]",
        "[ log prefix ]",
        "[ log prefix  level ]",
        "[ queue num 5-1 ]",
        "[ limit rate /x burst 1 type packets flags 0x0 ]",
        "[ ct load state => reg 1 , dir ]",
        "[ é ]",
        "[ payload load 99999999999b @ link header + 1 => reg 1 ]",
    ] {
        let _ = parse_debug_exprs("x", s);
        let _ = parse_debug_text("x", &format!("ip\n{s}\n"));
    }
    let _ = parse_debug_text("x", "__set%d t 3\n\telement : 0 [end] element");
    let _ = parse_debug_text("x", "__set%d t 3\n\telement 00000001 - : jump -> 0 [end]");
}
