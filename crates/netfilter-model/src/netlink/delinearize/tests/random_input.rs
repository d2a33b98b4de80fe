//! Random and hostile expression lists never panic the delinearizer.

use super::*;

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
