//! Matches on the system and the connection's accounting: `cpu`, `devgroup`, `realm`,
//! `helper`, `quota`, `connbytes`.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("cpu", match_cpu),
    ("devgroup", match_devgroup),
    ("realm", match_realm),
    ("helper", match_helper),
    ("quota", match_quota),
    ("connbytes", match_connbytes),
];

fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

fn match_cpu(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let (cpu, inv) = (u32_at(b, 0)?, u32_at(b, 4)? != 0);
    Some(verbatim(name, vec![format!("{}--cpu {cpu}", bang(inv))]))
}

/// `0xV` or `0xV/0xM` as iptables prints a value with an optional mask (all-ones omitted).
fn value_mask(v: u32, m: u32) -> String {
    if m == u32::MAX {
        format!("0x{v:x}")
    } else {
        format!("0x{v:x}/0x{m:x}")
    }
}

fn match_devgroup(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_devgroup_info`: flags, src_group, src_mask, dst_group, dst_mask.
    let flags = u32_at(b, 0)?;
    let mut a = Vec::new();
    if flags & 1 != 0 {
        let v = value_mask(u32_at(b, 4)?, u32_at(b, 8)?);
        a.push(format!("{}--src-group {v}", bang(flags & 2 != 0)));
    }
    if flags & 4 != 0 {
        let v = value_mask(u32_at(b, 12)?, u32_at(b, 16)?);
        a.push(format!("{}--dst-group {v}", bang(flags & 8 != 0)));
    }
    Some(verbatim(name, a))
}

fn match_realm(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let (id, mask, inv) = (u32_at(b, 0)?, u32_at(b, 4)?, u8_at(b, 8)? != 0);
    Some(verbatim(
        name,
        vec![format!("{}--realm {}", bang(inv), value_mask(id, mask))],
    ))
}

fn match_helper(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let inv = u32_at(b, 0)? != 0;
    let helper = cstr_at(b, 4, 30)?;
    Some(verbatim(
        name,
        vec![format!("{}--helper {helper}", bang(inv))],
    ))
}

fn match_quota(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_quota_info`: flags, pad, quota (u64).
    let inv = u32_at(b, 0)? & 1 != 0;
    let quota = u64_at(b, 8)?;
    Some(verbatim(
        name,
        vec![format!("{}--quota {quota}", bang(inv))],
    ))
}

fn match_connbytes(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_connbytes_info`: count {from, to} (u64), what, direction.
    let (from, to) = (u64_at(b, 0)?, u64_at(b, 8)?);
    let (what, dir) = (u8_at(b, 16)?, u8_at(b, 17)?);
    // iptables stores `! --connbytes A:B` as from B to A.
    let (inv, lo, hi) = if from > to {
        (true, to, from)
    } else {
        (false, from, to)
    };
    let range = if hi == u64::MAX {
        lo.to_string()
    } else {
        format!("{lo}:{hi}")
    };
    let mode = match what {
        0 => "packets",
        1 => "bytes",
        2 => "avgpkt",
        _ => return None,
    };
    let dir = match dir {
        0 => "original",
        1 => "reply",
        2 => "both",
        _ => return None,
    };
    Some(verbatim(
        name,
        vec![
            format!("{}--connbytes {range}", bang(inv)),
            format!("--connbytes-mode {mode}"),
            format!("--connbytes-dir {dir}"),
        ],
    ))
}
