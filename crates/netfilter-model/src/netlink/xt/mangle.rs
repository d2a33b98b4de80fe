//! Header-rewriting, copying and audit targets: `TOS`, `DSCP`, `TTL`, `HL`, `TEE`, `HMARK`, `AUDIT`, and
//! `NFQUEUE`.

use super::*;

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] = &[
    ("TOS", target_tos),
    ("DSCP", target_dscp),
    ("TTL", target_ttl),
    ("HL", target_ttl),
    ("TEE", target_tee),
    ("HMARK", target_hmark),
    ("AUDIT", target_audit),
    ("NFQUEUE", target_nfqueue),
];

fn target_tos(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 1 {
        return None;
    }
    let (v, m) = (u8_at(b, 0)?, u8_at(b, 1)?);
    Some(verbatim_target(
        name,
        format!("--set-tos 0x{v:02x}/0x{m:02x}"),
    ))
}

fn target_dscp(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    Some(verbatim_target(
        name,
        format!("--set-dscp 0x{:02x}", u8_at(b, 0)?),
    ))
}

fn target_ttl(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    let (mode, v) = (u8_at(b, 0)?, u8_at(b, 1)?);
    let op = match mode {
        0 => "set",
        1 => "inc",
        2 => "dec",
        _ => return None,
    };
    let opt = name.to_ascii_lowercase();
    Some(verbatim_target(name, format!("--{opt}-{op} {v}")))
}

fn target_audit(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    let ty = match u8_at(b, 0)? {
        0 => "accept",
        1 => "drop",
        2 => "reject",
        _ => return None,
    };
    Some(verbatim_target(name, format!("--type {ty}")))
}

fn target_nfqueue(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    // `xt_NFQ_info{,_v1,_v2,_v3}`: queuenum, queues_total, bypass/flags, flags (v3).
    let num = u16_at(b, 0)?;
    let total = if rev >= 1 { u16_at(b, 2)? } else { 1 };
    let flags = match rev {
        0 | 1 => 0,
        2 => u16_at(b, 4)?,
        3 => u16_at(b, 4)? | u16_at(b, 6)?,
        _ => return None,
    };
    let mut a = if total > 1 {
        format!(
            "--queue-balance {num}:{}",
            u32::from(num) + u32::from(total) - 1
        )
    } else {
        format!("--queue-num {num}")
    };
    if flags & 1 != 0 {
        a.push_str(" --queue-bypass");
    }
    if flags & 2 != 0 {
        a.push_str(" --queue-cpu-fanout");
    }
    Some(XtTarget {
        statements: Vec::new(),
        verdict: Some(Verdict::queue(&a)),
    })
}

fn target_tee(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 1 {
        return None;
    }
    // `struct xt_tee_tginfo`: gw (nf_inet_addr), oif[16].
    let gw = if cx.family == Family::Ip6 {
        addr_v6(b, 0)?.to_string()
    } else {
        addr_v4(b, 0)?.to_string()
    };
    let mut a = format!("--gateway {gw}");
    let oif = cstr_at(b, 16, 16)?;
    if !oif.is_empty() {
        a.push_str(&format!(" --oif {oif}"));
    }
    Some(verbatim_target(name, a))
}

fn target_hmark(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    // `struct xt_hmark_info`: src_mask, dst_mask (nf_inet_addr), port_mask, port_set (ports
    // in network order, or an SPI), flags, proto_mask, hashrnd, hmodulus, hoffset.
    let flags = u32_at(b, 40)?;
    if flags & (0b111 << 12) != 0 {
        return None; // `--hmark-method` is kept as bytes
    }
    let v6 = cx.family == Family::Ip6;
    let plen = |at: usize| -> Option<u32> {
        Some(if v6 {
            u128::from(addr_v6(b, at)?).leading_ones()
        } else {
            u32::from(addr_v4(b, at)?).leading_ones()
        })
    };
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    let on = |bit: u32| flags & (1 << bit) != 0;
    let mut a = Vec::new();
    if on(0) {
        a.push(format!("--hmark-src-prefix {}", plen(0)?));
    }
    if on(1) {
        a.push(format!("--hmark-dst-prefix {}", plen(16)?));
    }
    if on(6) {
        a.push(format!("--hmark-sport-mask 0x{:04x}", be16_at(b, 32)?));
    }
    if on(7) {
        a.push(format!("--hmark-dport-mask 0x{:04x}", be16_at(b, 34)?));
    }
    if on(3) {
        a.push(format!("--hmark-spi-mask 0x{:08x}", be32(32)?));
    }
    if on(4) {
        a.push(format!("--hmark-sport 0x{:04x}", be16_at(b, 36)?));
    }
    if on(5) {
        a.push(format!("--hmark-dport 0x{:04x}", be16_at(b, 38)?));
    }
    if on(2) {
        a.push(format!("--hmark-spi 0x{:08x}", be32(36)?));
    }
    if on(8) {
        a.push(format!("--hmark-proto-mask 0x{:02x}", u16_at(b, 44)?));
    }
    if on(9) {
        a.push(format!("--hmark-rnd 0x{:08x}", u32_at(b, 48)?));
    }
    if on(10) {
        a.push(format!("--hmark-mod {}", u32_at(b, 52)?));
    }
    if on(11) {
        a.push(format!("--hmark-offset {}", u32_at(b, 56)?));
    }
    Some(verbatim_target(name, a.join(" ")))
}
