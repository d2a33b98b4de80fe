//! Unit tests of `assemble`.

use super::*;
use crate::netlink::expr::{Expr, ImmData};
use crate::netlink::raw::{RawElem, RawObject, RawRule, RawTable};

fn table() -> RawTable {
    RawTable {
        family: 2,
        name: "t".into(),
        ..RawTable::default()
    }
}

fn saddr() -> Expr {
    Expr::Payload {
        base: 1,
        offset: 12,
        len: 4,
        dreg: 1,
    }
}

#[test]
fn rules_sets_and_objects_read_as_nft_lists_them() {
    let elem = |key: &[u8], flags: u32, verdict: Option<i32>| RawElem {
        key: key.to_vec(),
        flags,
        verdict: verdict.map(|c| (c, None)),
        ..RawElem::default()
    };
    let rules = vec![
        // A raw payload compare: kept verbatim, spelled as the parsers spell it.
        vec![
            Expr::Payload {
                base: 2,
                offset: 20,
                len: 4,
                dreg: 1,
            },
            Expr::Cmp {
                sreg: 1,
                op: 0,
                data: vec![2, 0x73, 0x6c, 0],
            },
            Expr::Immediate {
                dreg: 0,
                data: ImmData::Verdict {
                    code: 0,
                    chain: None,
                },
            },
        ],
        // A dynset timeout in nft's units.
        vec![
            saddr(),
            Expr::Dynset {
                op: 1,
                set: "s".into(),
                sreg_key: 1,
                sreg_data: None,
                timeout: Some(30_000),
            },
        ],
        // An anonymous interval verdict map with a catch-all.
        vec![
            saddr(),
            Expr::Lookup {
                set: "__map0".into(),
                sreg: 1,
                dreg: Some(0),
                invert: false,
            },
        ],
        vec![Expr::Reject {
            reject_type: 1,
            code: 0,
        }],
    ];
    let raw = RawRuleset {
        tables: vec![table()],
        chains: vec![RawChain {
            family: 2,
            table: "t".into(),
            name: "c".into(),
            ..RawChain::default()
        }],
        rules: rules
            .into_iter()
            .enumerate()
            .map(|(i, exprs)| RawRule {
                family: 2,
                table: "t".into(),
                chain: "c".into(),
                exprs,
                // The dynset of rule 2 carries a limit and a counter.
                dynset_exprs: if i == 1 {
                    vec![(
                        1,
                        vec![
                            Expr::Limit {
                                rate: 10,
                                unit: 1,
                                burst: 5,
                                kind: 0,
                                flags: 0,
                            },
                            Expr::Counter {
                                packets: 0,
                                bytes: 0,
                            },
                        ],
                    )]
                } else {
                    Vec::new()
                },
                ..RawRule::default()
            })
            .collect(),
        sets: vec![
            RawSet {
                family: 2,
                table: "t".into(),
                name: "__map0".into(),
                flags: 0x1 | 0x4 | 0x8,
                key_type: 7,
                key_len: 4,
                data_type: Some(DATA_VERDICT),
                elems: vec![
                    elem(&[0; 4], 1, None),
                    elem(&[10, 0, 0, 0], 0, Some(1)),
                    elem(&[10, 1, 0, 0], 1, None),
                    elem(&[], 2, Some(0)),
                ],
                ..RawSet::default()
            },
            // `typeof ip saddr : meta mark`, with an element counter and a timeout.
            RawSet {
                family: 2,
                table: "t".into(),
                name: "m".into(),
                flags: 0x8 | 0x10,
                key_type: 7,
                key_len: 4,
                data_type: Some(19),
                data_len: 4,
                timeout: Some(360_000),
                userdata: vec![
                    3, 20, 0, 4, 7, 0, 0, 0, 1, 12, 0, 4, 12, 0, 0, 0, 1, 4, 11, 0, 0, 0, 4, 14, 0,
                    4, 9, 0, 0, 0, 1, 6, 0, 4, 3, 0, 0, 0,
                ],
                elems: vec![RawElem {
                    key: vec![1, 1, 1, 1],
                    data: Some(2u32.to_ne_bytes().to_vec()),
                    exprs: vec![Expr::Counter {
                        packets: 1,
                        bytes: 2,
                    }],
                    ..RawElem::default()
                }],
                ..RawSet::default()
            },
            // An object map of counters.
            RawSet {
                family: 2,
                table: "t".into(),
                name: "om".into(),
                flags: 0x40,
                key_type: 13,
                key_len: 2,
                obj_type: Some(1),
                ..RawSet::default()
            },
        ],
        objects: vec![RawObject {
            family: 2,
            table: "t".into(),
            name: "q".into(),
            obj_type: 2,
            text: "libnftnl text".into(),
            values: vec![(16, 25 << 20), (18, 1)],
            ..RawObject::default()
        }],
        ..RawRuleset::default()
    };
    let rs = assemble(raw, "live:nft", &HashMap::new());
    let t = rs.table(Backend::Nft, Family::Ip, "t").expect("table");
    let rules: Vec<String> = t.chains[0].rules.iter().map(|r| r.canonical()).collect();
    assert_eq!(
        rules,
        [
            "nft @th,160,32 0x2736c00 drop",
            "update @s { ip saddr timeout 30s limit rate 10/second burst 5 packets counter }",
            "ip saddr vmap { * : drop, 10.0.0.0/16 : accept }",
            "reject with tcp-reset",
        ]
    );
    let m = t.set("m").expect("map m");
    assert_eq!(
        (
            m.key_type.as_str(),
            m.data_type.as_deref(),
            m.flags.clone(),
            m.extra.clone(),
            m.elements.clone()
        ),
        (
            "typeof ip saddr",
            Some("mark"),
            vec!["timeout".to_string()],
            vec!["timeout 6m".to_string()],
            vec!["1.1.1.1 counter : 0x00000002".to_string()]
        )
    );
    assert_eq!(
        t.set("om").and_then(|s| s.data_type.as_deref()),
        Some("counter")
    );
    assert_eq!(t.objects[0].body, "over 25 mbytes");
}

#[test]
fn anonymous_object_maps_are_inlined() {
    let objmap = |name: &str, obj_type: u32, objref: &str| RawSet {
        family: 2,
        table: "t".into(),
        name: name.into(),
        flags: 0x1 | 0x2 | 0x40,
        key_type: 7,
        key_len: 4,
        obj_type: Some(obj_type),
        elems: vec![RawElem {
            key: vec![1, 1, 1, 1],
            objref: Some(objref.into()),
            ..RawElem::default()
        }],
        ..RawSet::default()
    };
    let rule = |set: &str| RawRule {
        family: 2,
        table: "t".into(),
        chain: "c".into(),
        exprs: vec![
            saddr(),
            Expr::Objref {
                obj_type: 0,
                name: None,
                set: Some(set.into()),
                sreg: Some(1),
            },
        ],
        ..RawRule::default()
    };
    let raw = RawRuleset {
        tables: vec![table()],
        chains: vec![RawChain {
            family: 2,
            table: "t".into(),
            name: "c".into(),
            ..RawChain::default()
        }],
        rules: vec![rule("__objmap0"), rule("__objmap1"), rule("named")],
        sets: vec![
            objmap("__objmap0", 1, "user123"),
            objmap("__objmap1", 3, "ftp"),
            RawSet {
                flags: 0x40,
                ..objmap("named", 2, "q")
            },
        ],
        ..RawRuleset::default()
    };
    let rs = assemble(raw, "live:nft", &HashMap::new());
    let t = rs.table(Backend::Nft, Family::Ip, "t").expect("table");
    let rules: Vec<String> = t.chains[0].rules.iter().map(|r| r.canonical()).collect();
    assert_eq!(
        rules,
        [
            "counter name ip saddr map { 1.1.1.1 : \"user123\" }",
            "ct helper set ip saddr map { 1.1.1.1 : \"ftp\" }",
            "quota name ip saddr map @named",
        ]
    );
}

#[test]
fn interface_indexes_read_by_name() {
    let meta = |key: u32| Expr::Meta {
        key,
        dreg: Some(1),
        sreg: None,
    };
    let raw = RawRuleset {
        tables: vec![table()],
        chains: vec![RawChain {
            family: 2,
            table: "t".into(),
            name: "c".into(),
            ..RawChain::default()
        }],
        rules: [
            vec![
                meta(5),
                Expr::Cmp {
                    sreg: 1,
                    op: 0,
                    data: 1u32.to_ne_bytes().to_vec(),
                },
            ],
            vec![
                meta(4),
                Expr::Lookup {
                    set: "__set0".into(),
                    sreg: 1,
                    dreg: None,
                    invert: false,
                },
            ],
        ]
        .into_iter()
        .map(|exprs| RawRule {
            family: 2,
            table: "t".into(),
            chain: "c".into(),
            exprs,
            ..RawRule::default()
        })
        .collect(),
        sets: vec![RawSet {
            family: 2,
            table: "t".into(),
            name: "__set0".into(),
            flags: 0x3,
            key_type: 20,
            key_len: 4,
            elems: vec![RawElem {
                key: 1u32.to_ne_bytes().to_vec(),
                ..RawElem::default()
            }],
            ..RawSet::default()
        }],
        ..RawRuleset::default()
    };
    let rs = assemble(raw, "live:nft", &HashMap::new());
    let t = rs.table(Backend::Nft, Family::Ip, "t").expect("table");
    let rules: Vec<String> = t.chains[0].rules.iter().map(|r| r.canonical()).collect();
    // `lo` is interface 1 in every network namespace.
    assert_eq!(rules, ["nft oif \"lo\"", "nft iif { \"lo\" }"]);
}

#[test]
fn chain_bindings_show_their_counters() {
    let chain = |name: &str, flags: u32| RawChain {
        family: 2,
        table: "t".into(),
        name: name.into(),
        flags,
        ..RawChain::default()
    };
    let rule = |chain: &str, exprs: Vec<Expr>| RawRule {
        family: 2,
        table: "t".into(),
        chain: chain.into(),
        exprs,
        ..RawRule::default()
    };
    let verdict = |code: i32, chain: Option<&str>| Expr::Immediate {
        dreg: 0,
        data: ImmData::Verdict {
            code,
            chain: chain.map(str::to_string),
        },
    };
    let raw = RawRuleset {
        tables: vec![table()],
        chains: vec![chain("c", 0), chain("__chain0", CHAIN_BINDING)],
        rules: vec![
            rule("c", vec![verdict(-3, Some("__chain0"))]),
            rule(
                "__chain0",
                vec![
                    Expr::Counter {
                        packets: 7,
                        bytes: 9,
                    },
                    verdict(1, None),
                ],
            ),
            rule("__chain0", vec![verdict(0, None)]),
        ],
        ..RawRuleset::default()
    };
    let rs = assemble(raw, "live:nft", &HashMap::new());
    let t = rs.table(Backend::Nft, Family::Ip, "t").expect("table");
    assert_eq!(t.chains.len(), 1);
    assert_eq!(
        t.chains[0].rules[0].canonical(),
        "jump { counter accept; drop }"
    );
}

#[test]
fn netmap_nat_keeps_its_prefix_flag() {
    let imm = |dreg: u32, v: &[u8]| Expr::Immediate {
        dreg,
        data: ImmData::Value(v.to_vec()),
    };
    let raw = RawRuleset {
        tables: vec![table()],
        chains: vec![RawChain {
            family: 2,
            table: "t".into(),
            name: "c".into(),
            ..RawChain::default()
        }],
        rules: vec![RawRule {
            family: 2,
            table: "t".into(),
            chain: "c".into(),
            exprs: vec![
                imm(1, &[10, 0, 0, 0]),
                imm(2, &[10, 0, 0, 255]),
                Expr::Nat {
                    nat_type: 0,
                    family: 2,
                    reg_addr_min: Some(1),
                    reg_addr_max: Some(2),
                    reg_proto_min: None,
                    reg_proto_max: None,
                    flags: 0x1 | 0x40,
                },
            ],
            ..RawRule::default()
        }],
        ..RawRuleset::default()
    };
    let rs = assemble(raw, "live:nft", &HashMap::new());
    let t = rs.table(Backend::Nft, Family::Ip, "t").expect("table");
    assert_eq!(
        t.chains[0].rules[0].canonical(),
        "snat to 10.0.0.0-10.0.0.255 prefix"
    );
}
