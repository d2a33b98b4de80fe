//! Fuzz target: delinearizing any register-level expression list against any set context,
//! then normalizing and rendering the rule, never panics.
//!
//! The input is read two ways. As text, it is nft debug text (`nft --debug=netlink`): every
//! rule the debug text parser accepts is delinearized with the sets parsed before it (the
//! corpus is seeded with our captured payload, so mutations start from real rules). As raw
//! bytes, it drives `arbitrary::Unstructured` to build an expression list and a set context
//! directly, including what no text produces (odd registers, empty or huge data).
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use netfilter_model::model::Family;
use netfilter_model::netlink::{
    delinearize, parse_debug_text, Expr, ImmData, RawElem, SetInfo, SetLookupContext,
};

fn check(family: Family, exprs: &[Expr], sets: &SetLookupContext) {
    let mut r = delinearize(family, exprs, sets);
    r.normalize();
    let _ = r.canonical();
}

const FAMILIES: [Family; 6] = [
    Family::Ip,
    Family::Ip6,
    Family::Inet,
    Family::Arp,
    Family::Bridge,
    Family::Netdev,
];

fn family(u: &mut Unstructured) -> Result<Family> {
    Ok(*u.choose(&FAMILIES)?)
}

/// Mostly registers nft uses, sometimes any number.
fn reg(u: &mut Unstructured) -> Result<u32> {
    if u.ratio(7, 8)? {
        Ok(*u.choose(&[0u32, 1, 2, 3, 4, 8, 9, 10, 11, 12, 16, 23])?)
    } else {
        u.arbitrary()
    }
}

fn opt_reg(u: &mut Unstructured) -> Result<Option<u32>> {
    Ok(if u.arbitrary()? { Some(reg(u)?) } else { None })
}

/// Small numbers mostly, so keys and offsets hit the tables.
fn small(u: &mut Unstructured, max: u32) -> Result<u32> {
    if u.ratio(15, 16)? {
        u.int_in_range(0..=max)
    } else {
        u.arbitrary()
    }
}

fn bytes(u: &mut Unstructured) -> Result<Vec<u8>> {
    let n = if u.ratio(15, 16)? {
        *u.choose(&[0usize, 1, 2, 4, 6, 8, 16, 32])?
    } else {
        u.int_in_range(0..=80)?
    };
    (0..n).map(|_| u.arbitrary()).collect()
}

fn name(u: &mut Unstructured) -> Result<String> {
    Ok(if u.ratio(3, 4)? {
        (*u.choose(&["__set0", "__set1", "__map0", "s", "m", "__objmap0"])?).to_string()
    } else {
        u.arbitrary()?
    })
}

fn expr(u: &mut Unstructured) -> Result<Expr> {
    Ok(match u.int_in_range(0..=27u8)? {
        0 => Expr::Payload {
            base: small(u, 4)?,
            offset: small(u, 48)?,
            len: small(u, 20)?,
            dreg: reg(u)?,
        },
        1 => Expr::PayloadSet {
            base: small(u, 4)?,
            offset: small(u, 48)?,
            len: small(u, 20)?,
            sreg: reg(u)?,
        },
        2 => Expr::Meta {
            key: small(u, 36)?,
            dreg: Some(reg(u)?),
            sreg: None,
        },
        3 => Expr::Meta {
            key: small(u, 36)?,
            dreg: None,
            sreg: Some(reg(u)?),
        },
        4 | 5 => Expr::Cmp {
            sreg: reg(u)?,
            op: small(u, 6)?,
            data: bytes(u)?,
        },
        6 => Expr::Bitwise {
            sreg: reg(u)?,
            dreg: reg(u)?,
            len: small(u, 17)?,
            op: small(u, 3)?,
            mask: bytes(u)?,
            xor: bytes(u)?,
            data: bytes(u)?,
        },
        7 => Expr::Byteorder {
            sreg: reg(u)?,
            dreg: reg(u)?,
            op: small(u, 2)?,
            len: small(u, 17)?,
            size: small(u, 9)?,
        },
        8 => Expr::Lookup {
            set: name(u)?,
            sreg: reg(u)?,
            dreg: opt_reg(u)?,
            invert: u.arbitrary()?,
        },
        9 => Expr::Immediate {
            dreg: reg(u)?,
            data: if u.arbitrary()? {
                ImmData::Value(bytes(u)?)
            } else {
                ImmData::Verdict {
                    code: u.int_in_range(-6..=6)?,
                    chain: u.arbitrary()?,
                }
            },
        },
        10 => Expr::Counter {
            packets: u.arbitrary()?,
            bytes: u.arbitrary()?,
        },
        11 => Expr::Ct {
            key: small(u, 24)?,
            dreg: Some(reg(u)?),
            sreg: None,
            dir: u.arbitrary()?,
        },
        12 => Expr::Ct {
            key: small(u, 24)?,
            dreg: None,
            sreg: Some(reg(u)?),
            dir: u.arbitrary()?,
        },
        13 => Expr::Nat {
            nat_type: small(u, 2)?,
            family: *u.choose(&[0u32, 1, 2, 10, 7])?,
            reg_addr_min: opt_reg(u)?,
            reg_addr_max: opt_reg(u)?,
            reg_proto_min: opt_reg(u)?,
            reg_proto_max: opt_reg(u)?,
            flags: u.arbitrary()?,
        },
        14 => Expr::Masq {
            flags: u.arbitrary()?,
            reg_proto_min: opt_reg(u)?,
            reg_proto_max: opt_reg(u)?,
        },
        15 => Expr::Redir {
            flags: u.arbitrary()?,
            reg_proto_min: opt_reg(u)?,
            reg_proto_max: opt_reg(u)?,
        },
        16 => Expr::Reject {
            reject_type: small(u, 3)?,
            code: u.arbitrary()?,
        },
        17 => Expr::Log {
            prefix: u.arbitrary()?,
            group: u.arbitrary()?,
            level: u.arbitrary()?,
            flags: u.arbitrary()?,
            snaplen: u.arbitrary()?,
            qthreshold: u.arbitrary()?,
        },
        18 => Expr::Limit {
            rate: u.arbitrary()?,
            unit: *u.choose(&[1u64, 60, 3600, 86400, 604800, 0, 7])?,
            burst: u.arbitrary()?,
            kind: small(u, 2)?,
            flags: small(u, 2)?,
        },
        19 => Expr::Range {
            sreg: reg(u)?,
            op: small(u, 2)?,
            from: bytes(u)?,
            to: bytes(u)?,
        },
        20 => Expr::Fib {
            flags: small(u, 63)?,
            result: small(u, 4)?,
            dreg: reg(u)?,
        },
        21 => Expr::Numgen {
            dreg: reg(u)?,
            modulus: u.arbitrary()?,
            kind: small(u, 2)?,
            offset: u.arbitrary()?,
        },
        22 => Expr::Notrack,
        23 => Expr::Objref {
            obj_type: small(u, 11)?,
            name: u.arbitrary()?,
            set: if u.arbitrary()? { Some(name(u)?) } else { None },
            sreg: opt_reg(u)?,
        },
        24 => Expr::Queue {
            num: u.arbitrary()?,
            total: u.arbitrary()?,
            flags: u.arbitrary()?,
        },
        25 => Expr::Quota {
            bytes: u.arbitrary()?,
            flags: u.arbitrary()?,
        },
        26 => Expr::Dynset {
            op: small(u, 3)?,
            set: name(u)?,
            sreg_key: reg(u)?,
            sreg_data: opt_reg(u)?,
            timeout: u.arbitrary()?,
        },
        _ => {
            let n: String = u.arbitrary()?;
            let mut raw: String = u.arbitrary()?;
            if u.arbitrary()? {
                raw.push_str(&format!(" => reg {}", reg(u)?));
            }
            Expr::Unknown { name: n, raw }
        }
    })
}

fn elem(u: &mut Unstructured) -> Result<RawElem> {
    Ok(RawElem {
        key: bytes(u)?,
        key_end: if u.ratio(1, 4)? {
            Some(bytes(u)?)
        } else {
            None
        },
        data: if u.arbitrary()? {
            Some(bytes(u)?)
        } else {
            None
        },
        verdict: if u.arbitrary()? {
            Some((u.int_in_range(-6..=6)?, u.arbitrary()?))
        } else {
            None
        },
        objref: u.arbitrary()?,
        flags: small(u, 3)?,
        timeout: u.arbitrary()?,
        // Element comments and statements do not reach delinearization.
        ..RawElem::default()
    })
}

fn set_context(u: &mut Unstructured) -> Result<SetLookupContext> {
    let mut ctx = SetLookupContext::default();
    for _ in 0..u.int_in_range(0..=4u8)? {
        let n = name(u)?;
        let mut info = SetInfo {
            flags: small(u, 0x3f)?,
            key_type: u.arbitrary()?,
            key_len: small(u, 64)?,
            data_type: u.arbitrary()?,
            elems: Vec::new(),
        };
        for _ in 0..u.int_in_range(0..=12u8)? {
            info.elems.push(elem(u)?);
        }
        ctx.sets.insert(n, info);
    }
    for _ in 0..u.int_in_range(0..=2u8)? {
        ctx.ipset_names.insert(u.arbitrary()?, u.arbitrary()?);
    }
    Ok(ctx)
}

fn structured(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let fam = family(&mut u)?;
    let sets = set_context(&mut u)?;
    let mut exprs = Vec::new();
    while !u.is_empty() && exprs.len() < 64 {
        exprs.push(expr(&mut u)?);
    }
    check(fam, &exprs, &sets);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(rules) = parse_debug_text("fuzz", text) {
            for r in &rules {
                check(r.family, &r.exprs, &r.sets);
            }
        }
    }
    let _ = structured(data);
});
