//! Byte-level helpers: addresses, prefixes, interface patterns, raw value text.

use super::*;

pub(super) fn u32_ne(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    for (i, x) in b.iter().take(4).enumerate() {
        a[i] = *x;
    }
    u32::from_ne_bytes(a)
}

pub(super) fn u16_be(b: &[u8]) -> u16 {
    match b {
        [a, c, ..] => u16::from_be_bytes([*a, *c]),
        [a] => u16::from(*a) << 8,
        [] => 0,
    }
}

pub(super) fn ip_from(b: &[u8], v6: bool) -> Option<IpAddr> {
    if v6 {
        let mut a = [0u8; 16];
        let n = b.len().min(16);
        a[..n].copy_from_slice(&b[..n]);
        Some(IpAddr::V6(Ipv6Addr::from(a)))
    } else {
        let mut a = [0u8; 4];
        let n = b.len().min(4);
        a[..n].copy_from_slice(&b[..n]);
        Some(IpAddr::V4(Ipv4Addr::from(a)))
    }
}

/// Number of leading one bits if `mask` is a prefix mask.
pub(super) fn prefix_len(mask: &[u8]) -> Option<u8> {
    let mut n = 0u32;
    let mut seen_zero = false;
    for b in mask {
        for i in (0..8).rev() {
            if b & (1 << i) != 0 {
                if seen_zero {
                    return None;
                }
                n += 1;
            } else {
                seen_zero = true;
            }
        }
    }
    u8::try_from(n).ok()
}

pub(super) fn addr_spec(b: &[u8], v6: bool, plen: u8) -> Option<AddrSpec> {
    let ip = ip_from(b, v6)?;
    IpNet::new(ip, plen).ok().map(AddrSpec::net)
}

/// An inclusive range of addresses as a prefix when it is one, else a range.
pub(super) fn addr_range(first: &[u8], last: &[u8], v6: bool) -> Option<AddrSpec> {
    let f = ip_from(first, v6)?;
    let l = ip_from(last, v6)?;
    let (fv, lv, bits) = match (f, l) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return None,
    };
    let span = lv.wrapping_sub(fv).wrapping_add(1);
    if lv >= fv && (span == 0 || span.is_power_of_two()) {
        let host_bits = if span == 0 {
            bits
        } else {
            span.trailing_zeros()
        };
        if host_bits <= bits && (host_bits == 128 || fv & ((1u128 << host_bits) - 1) == 0) {
            let plen = u8::try_from(bits - host_bits).ok()?;
            return IpNet::new(f, plen).ok().map(AddrSpec::net);
        }
    }
    Some(AddrSpec::Range { first: f, last: l })
}

/// An inclusive range of addresses as written: one address, or the range (never a prefix).
pub(super) fn addr_range_exact(first: &[u8], last: &[u8], v6: bool) -> Option<AddrSpec> {
    let f = ip_from(first, v6)?;
    let l = ip_from(last, v6)?;
    if f == l {
        let bits = if v6 { 128 } else { 32 };
        return IpNet::new(f, bits).ok().map(AddrSpec::net);
    }
    Some(AddrSpec::Range { first: f, last: l })
}

pub(super) fn iface_pattern(b: &[u8]) -> IfacePattern {
    match b.iter().position(|x| *x == 0) {
        Some(end) => IfacePattern::Exact(String::from_utf8_lossy(&b[..end]).into_owned()),
        None => IfacePattern::Prefix(String::from_utf8_lossy(b).into_owned()),
    }
}

/// An interface-name element of an interval set: one name, or a wildcard `"cali*"`, which
/// nft stores as the range from `cali` padded with zeros to `cali` padded with 0xff.
pub(super) fn iface_range(first: &[u8], last: &[u8]) -> Option<IfacePattern> {
    if first == last {
        return Some(iface_pattern(first));
    }
    let n = first.iter().position(|x| *x == 0)?;
    let wildcard = first[n..].iter().all(|x| *x == 0)
        && last.len() == first.len()
        && last[..n] == first[..n]
        && last[n..].iter().all(|x| *x == 0xff);
    wildcard.then(|| IfacePattern::Prefix(String::from_utf8_lossy(&first[..n]).into_owned()))
}

/// A match kept verbatim, as the nft text and JSON parsers keep one: module `nft`, the
/// whole nft text as arguments.
pub(super) fn other(text: String) -> MatchKind {
    MatchKind::Other {
        module: "nft".to_string(),
        args: text,
        lossy: false,
    }
}

/// An integer value of a `meta`/`ct` key as nft prints it: times as durations, class ids
/// as `major:minor`, others in decimal.
/// A bound of a range of a `meta`/`ct` key: as [`raw_int_text`], except that nft prints
/// the bounds of a range numerically, a conntrack expiration in whole seconds (`60s-3600s`).
pub(super) fn range_bound_text(name: &str, v: u64) -> String {
    if name.starts_with("ct ") && name.ends_with(" expiration") {
        return format!("{}s", v / 1000);
    }
    raw_int_text(name, v)
}

pub(super) fn raw_int_text(name: &str, v: u64) -> String {
    match name.rsplit(' ').next().unwrap_or_default() {
        "expiration" if name.starts_with("ct ") => time_text(v),
        "priority" if name.starts_with("meta ") => match v {
            0 => "none".into(),
            0xffff_ffff => "root".into(),
            v => format!("{:x}:{:x}", v >> 16, v & 0xffff),
        },
        _ => v.to_string(),
    }
}

/// A value of a `meta`/`ct` key nfdiff keeps verbatim (`ct original bytes`, `meta
/// priority`), as nft prints it: by the key's type, host order.
pub(super) fn raw_value_text(name: &str, b: &[u8]) -> String {
    let key = name.rsplit(' ').next().unwrap_or_default();
    let host = |b: &[u8]| -> u64 {
        let mut a = [0u8; 8];
        for (i, x) in b.iter().take(8).enumerate() {
            a[i] = *x;
        }
        u64::from_ne_bytes(a)
    };
    let is_meta = name.starts_with("meta ");
    let is_ct = name.starts_with("ct ");
    match name {
        "rt ip nexthop" => return super::super::datatype::format_value(7, b),
        "rt ip6 nexthop" => return super::super::datatype::format_value(8, b),
        "rt classid" if b.len() == 4 && u32_ne(b) == 0 => return "\"cosmos\"".into(),
        "rt classid" | "rt mtu" | "socket transparent" | "socket wildcard" => {
            return host(b).to_string()
        }
        "rt ipsec" => {
            return if b.iter().any(|x| *x != 0) {
                "exists"
            } else {
                "missing"
            }
            .into()
        }
        "socket mark" if b.len() == 4 => return format!("0x{:08x}", u32_ne(b)),
        _ => {}
    }
    match key {
        "iiftype" | "oiftype" if is_meta => iftype_name(b),
        // Realms by the name `/etc/iproute2/rt_realms` gives the default one.
        "rtclassid" if is_meta && b.len() == 4 && u32_ne(b) == 0 => "\"cosmos\"".into(),
        // Device groups by the name `/etc/iproute2/group` gives the default one, else numbers.
        "iifgroup" | "oifgroup" if b.len() == 4 => match u32_ne(b) {
            0 => "\"default\"".into(),
            n => n.to_string(),
        },
        "sdif" if is_meta => super::super::datatype::format_value(20, b),
        "time" if is_meta && b.len() == 8 => super::clock::time_text(host(b)),
        "hour" if is_meta && b.len() == 4 => super::clock::hour_text(u32_ne(b)),
        "day" if is_meta && b.len() == 1 => match b[0] {
            0 => "\"Sunday\"".into(),
            1 => "\"Monday\"".into(),
            2 => "\"Tuesday\"".into(),
            3 => "\"Wednesday\"".into(),
            4 => "\"Thursday\"".into(),
            5 => "\"Friday\"".into(),
            6 => "\"Saturday\"".into(),
            n => n.to_string(),
        },
        "ipsec" if is_meta && b.len() == 1 => match b[0] {
            0 => "missing".into(),
            _ => "exists".into(),
        },
        "ibrpvid" if is_meta && b.len() == 2 => u16::from_ne_bytes([b[0], b[1]]).to_string(),
        "ibrvproto" if is_meta && b.len() == 2 => ether_type_name(u16::from_be_bytes([b[0], b[1]])),
        "iif" | "oif" | "cpu" | "nftrace" | "rtclassid" | "skuid" | "skgid" | "cgroup"
            if is_meta && b.len() <= 4 =>
        {
            host(b).to_string()
        }
        "priority" if is_meta && b.len() == 4 => match u32_ne(b) {
            0 => "none".into(),
            u32::MAX => "root".into(),
            v => format!("{:x}:{:x}", v >> 16, v & 0xffff),
        },
        "expiration" if is_ct && b.len() == 4 => time_text(u64::from(u32_ne(b))),
        "packets" | "bytes" | "avgpkt" | "zone" | "id" if is_ct && b.len() <= 8 => {
            host(b).to_string()
        }
        "proto-src" | "proto-dst" if is_ct && b.len() == 2 => u16_be(b).to_string(),
        // Conntrack addresses: by the name's family, else by their size.
        "saddr" | "daddr" if is_ct && (b.len() == 4 || b.len() == 16) => {
            let v6 = name.contains(" ip6 ") || (!name.contains(" ip ") && b.len() == 16);
            super::super::datatype::format_value(if v6 { 8 } else { 7 }, b)
        }
        "helper" if is_ct => {
            let end = b.iter().position(|x| *x == 0).unwrap_or(b.len());
            format!("\"{}\"", String::from_utf8_lossy(&b[..end]))
        }
        "l3proto" if is_ct && b.len() == 1 => match b[0] {
            2 => "ipv4".into(),
            10 => "ipv6".into(),
            n => n.to_string(),
        },
        "protocol" if is_ct && b.len() == 1 => Protocol(b[0]).to_string(),
        // A raw payload field (`@th,160,32`) is an integer: nft prints it in hex without
        // leading zeros.
        k if k.starts_with('@') => {
            let h = hex(b);
            let digits = h.trim_start_matches("0x").trim_start_matches('0');
            format!("0x{}", if digits.is_empty() { "0" } else { digits })
        }
        _ => hex(b),
    }
}

/// A 32-bit value under `& mask ^ xor` as nft writes the operation: `x & 0x..`, `x | 0x..`
/// (mask and xor complementary), `x ^ 0x..`, else both; `None` when neither changes it.
pub(super) fn mask_xor_text(x: &str, mask: Option<&[u8]>, xor: Option<&[u8]>) -> Option<String> {
    let m = mask.filter(|m| m.len() == 4).map_or(u32::MAX, u32_ne);
    let v = xor.filter(|x| x.len() == 4).map_or(0, u32_ne);
    Some(match (m, v) {
        (u32::MAX, 0) => return None,
        (m, 0) => format!("{x} & 0x{m:08x}"),
        (u32::MAX, v) => format!("{x} ^ 0x{v:08x}"),
        (m, v) if m == !v => format!("{x} | 0x{v:08x}"),
        (m, v) => format!("({x} & 0x{m:08x}) ^ 0x{v:08x}"),
    })
}
