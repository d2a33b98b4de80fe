//! Unit tests of delinearization: synthetic expression lists, nft debug text and random input.

use super::*;

mod debug_text_lines;
mod expression_lists;
mod random_input;

/// Big-endian increment (an interval end key after an inclusive last).
pub(super) fn be_inc(b: &[u8]) -> Vec<u8> {
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

pub(super) fn payload(base: u32, offset: u32, len: u32) -> Expr {
    Expr::Payload {
        base,
        offset,
        len,
        dreg: 1,
    }
}

pub(super) fn cmp(data: &[u8]) -> Expr {
    Expr::Cmp {
        sreg: 1,
        op: 0,
        data: data.to_vec(),
    }
}

pub(super) fn verdict(code: i32, chain: Option<&str>) -> Expr {
    Expr::Immediate {
        dreg: 0,
        data: ImmData::Verdict {
            code,
            chain: chain.map(str::to_string),
        },
    }
}

pub(super) fn canon(family: Family, exprs: &[Expr], sets: &SetLookupContext) -> String {
    let mut r = delinearize(family, exprs, sets);
    r.normalize();
    r.canonical()
}

/// Delinearizes debug text (`nft --debug=netlink` expression lines).
pub(super) fn canon_text(family: Family, text: &str) -> String {
    let e = crate::netlink::debug_text::parse_debug_exprs("t", text).unwrap();
    canon(family, &e, &SetLookupContext::default())
}

/// A named set or map of the rule's table, for [`canon_text_with`].
pub(super) fn named(key_type: u32, key_len: u32, data_type: Option<u32>) -> SetInfo {
    SetInfo {
        flags: if data_type.is_some() { SET_MAP } else { 0 },
        key_type,
        key_len,
        data_type,
        elems: Vec::new(),
    }
}

/// Delinearizes debug text with the named sets `sets` in the table.
pub(super) fn canon_text_with(family: Family, text: &str, sets: &[(&str, SetInfo)]) -> String {
    let e = crate::netlink::debug_text::parse_debug_exprs("t", text).unwrap();
    let mut cx = SetLookupContext::default();
    for (n, i) in sets {
        cx.sets.insert((*n).to_string(), i.clone());
    }
    canon(family, &e, &cx)
}
