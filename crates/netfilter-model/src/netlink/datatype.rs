//! nft datatypes of set keys and map data: names, sizes and nft-like rendering of raw bytes.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::{icmp_type_name, Protocol};

/// Bits per type in a concatenated key type.
const TYPE_BITS: u32 = 6;

/// nft's name of datatype `id`.
pub fn type_name(id: u32) -> String {
    let s = match id {
        1 => "verdict",
        2 => "nf_proto",
        3 => "bitmask",
        4 => "integer",
        5 => "string",
        6 => "ll_addr",
        7 => "ipv4_addr",
        8 => "ipv6_addr",
        9 => "ether_addr",
        10 => "ether_type",
        11 => "arp_op",
        12 => "inet_proto",
        13 => "inet_service",
        14 => "icmp_type",
        15 => "tcp_flag",
        18 => "time",
        19 => "mark",
        20 => "iface_index",
        21 => "iface_type",
        22 => "realm",
        23 => "classid",
        24 => "uid",
        25 => "gid",
        26 => "ct_state",
        27 => "ct_dir",
        28 => "ct_status",
        29 => "icmpv6_type",
        30 => "ct_label",
        31 => "pkt_type",
        32 => "icmp_code",
        33 => "icmpv6_code",
        34 => "icmpx_code",
        35 => "devgroup",
        36 => "dscp",
        37 => "ecn",
        38 => "fib_addrtype",
        39 => "boolean",
        41 => "ifname",
        42 => "igmp_type",
        _ => return format!("type{id}"),
    };
    s.to_string()
}

/// Byte size of datatype `id`, when fixed.
pub fn type_size(id: u32) -> Option<usize> {
    Some(match id {
        7 => 4,
        8 => 16,
        9 => 6,
        10 => 2,
        12 => 1,
        13 => 2,
        14 | 15 | 29 | 32 | 33 | 34 | 31 | 36 | 37 | 39 | 42 => 1,
        19 | 20 | 22 | 23 | 24 | 25 | 26 | 27 | 28 | 35 | 38 | 2 | 11 | 21 => 4,
        41 => 16,
        30 => 16,
        _ => return None,
    })
}

/// Splits a (possibly concatenated) key type into its component type ids, first field first.
/// A single type is one component. `key_len` decides how many components there are.
pub fn split_concat(key_type: u32, key_len: u32) -> Vec<u32> {
    if key_type < (1 << TYPE_BITS) {
        return vec![key_type];
    }
    let mut parts = Vec::new();
    let mut t = key_type;
    let mut guard = 0;
    while t != 0 && guard < 6 {
        parts.push(t & ((1 << TYPE_BITS) - 1));
        t >>= TYPE_BITS;
        guard += 1;
    }
    parts.reverse();
    // A concat of n fields occupies the padded sum of their sizes.
    let total: usize = parts
        .iter()
        .map(|p| type_size(*p).map_or(4, |s| s.div_ceil(4) * 4))
        .sum();
    if total as u32 != key_len && parts.len() == 1 {
        return vec![key_type];
    }
    parts
}

/// The key type of a set, as nft prints it (`ipv4_addr . inet_service`).
pub fn key_type_text(key_type: u32, key_len: u32) -> String {
    split_concat(key_type, key_len)
        .iter()
        .map(|t| type_name(*t))
        .collect::<Vec<_>>()
        .join(" . ")
}

/// Whether nft keeps values of datatype `id` in host byte order (marks, ids, classids, ...).
pub fn host_order_type(id: u32) -> bool {
    matches!(id, 18..=26 | 28 | 35 | 38)
}

/// A duration in milliseconds as nft prints it (`1d2h`, `3h45s`, `1m30s`, `100ms`).
pub fn nft_time(ms: u64) -> String {
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// A TCP flags byte as nft prints it: `fin | ack`.
/// An IPv6 address as nft prints it (glibc's `inet_ntop`): an IPv4-compatible address with
/// its last 32 bits dotted (`::18.52.18.52`), where Rust writes `::1234:1234`.
pub(crate) fn ipv6_text(a: Ipv6Addr) -> String {
    let s = a.segments();
    if s[..6].iter().all(|x| *x == 0) && s[6] != 0 {
        let o = a.octets();
        return format!("::{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
    }
    a.to_string()
}

fn tcp_flags_text(v: u8) -> String {
    const N: [&str; 8] = ["fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"];
    let parts: Vec<&str> = (0..8).filter(|i| v & (1 << i) != 0).map(|i| N[i]).collect();
    if parts.is_empty() {
        format!("0x{v:02x}")
    } else {
        parts.join(" | ")
    }
}

/// The name of network interface `index` in the current network namespace, as nft prints an
/// `iface_index` (quoted); `None` when no interface has that index.
fn iface_name(index: u32) -> Option<String> {
    if index == 0 {
        return None;
    }
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` holds IF_NAMESIZE bytes, as if_indextoname requires; it writes a
    // NUL-terminated name there or returns null.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success `buf` holds a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Some(format!("\"{}\"", name.to_string_lossy()))
}

/// A classid (`major:minor`, hex) as nft prints it.
fn classid_text(v: u32) -> String {
    match v {
        0xffff_ffff => "root".into(),
        0 => "none".into(),
        _ => format!("{:x}:{:x}", v >> 16, v & 0xffff),
    }
}

/// Renders a value of datatype `id` in nft's spelling.
pub fn format_value(id: u32, b: &[u8]) -> String {
    match id {
        15 if !b.is_empty() => tcp_flags_text(b[0]),
        31 if !b.is_empty() => match b[0] {
            0 => "host".into(),
            1 => "broadcast".into(),
            2 => "multicast".into(),
            3 => "other".into(),
            n => n.to_string(),
        },
        23 if b.len() >= 4 => classid_text(u32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        7 if b.len() >= 4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        8 if b.len() >= 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[..16]);
            ipv6_text(Ipv6Addr::from(a))
        }
        // DSCP code points by name (`cs1`, `af41`, `lephb`), others in hex.
        36 if b.len() == 1 => super::hdr_fields::render(
            &super::hdr_fields::HdrField {
                name: "dscp",
                kind: super::hdr_fields::Kind::Dscp,
                mask: 0,
            },
            b,
        ),
        9 | 6 => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        12 if !b.is_empty() => Protocol(b[0]).to_string(),
        13 if b.len() >= 2 => u16::from_be_bytes([b[0], b[1]]).to_string(),
        14 if !b.is_empty() => icmp_type_name(false, b[0])
            .map(str::to_string)
            .unwrap_or_else(|| b[0].to_string()),
        29 if !b.is_empty() => icmp_type_name(true, b[0])
            .map(str::to_string)
            .unwrap_or_else(|| b[0].to_string()),
        19 | 24 | 25 | 20 if b.len() >= 4 => {
            let v = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            if id == 20 {
                iface_name(v).unwrap_or_else(|| v.to_string())
            } else if id == 19 {
                format!("0x{v:08x}")
            } else {
                v.to_string()
            }
        }
        2 if !b.is_empty() => match b[0] {
            2 => "ipv4".into(),
            10 => "ipv6".into(),
            n => n.to_string(),
        },
        26 if b.len() >= 4 => {
            let v = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            let names = crate::model::CtStateSet(v as u8).to_string();
            if names.is_empty() || v > 0xff {
                format!("0x{v:08x}")
            } else {
                names
            }
        }
        38 if b.len() >= 4 => {
            let v = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            const N: &[&str] = &[
                "unspec",
                "unicast",
                "local",
                "broadcast",
                "anycast",
                "multicast",
                "blackhole",
                "unreachable",
                "prohibit",
            ];
            N.get(v as usize)
                .map_or_else(|| v.to_string(), |s| (*s).to_string())
        }
        10 if b.len() >= 2 => match u16::from_be_bytes([b[0], b[1]]) {
            0x0800 => "ip".into(),
            0x86dd => "ip6".into(),
            0x0806 => "arp".into(),
            0x8100 => "8021q".into(),
            n => format!("0x{n:04x}"),
        },
        41 | 5 => {
            let end = b.iter().position(|x| *x == 0);
            let s = String::from_utf8_lossy(&b[..end.unwrap_or(b.len())]).into_owned();
            if end.is_none() {
                format!("\"{s}*\"")
            } else {
                format!("\"{s}\"")
            }
        }
        _ => hex(b),
    }
}

/// `0x`-prefixed hex of raw bytes, in memory order.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::from("0x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Renders a concatenated key: each field padded to 4 bytes.
pub fn format_concat(types: &[u32], b: &[u8]) -> String {
    let mut out = Vec::new();
    let mut off = 0usize;
    for t in types {
        let size = type_size(*t).unwrap_or(4);
        let end = (off + size).min(b.len());
        out.push(format_value(*t, b.get(off..end).unwrap_or_default()));
        off += size.div_ceil(4) * 4;
    }
    out.join(" . ")
}

/// Renders a verdict code and chain as nft does.
pub fn verdict_text(code: i32, chain: Option<&str>) -> String {
    match code {
        1 => "accept".into(),
        0 => "drop".into(),
        -1 => "continue".into(),
        -2 => "break".into(),
        -3 => format!("jump {}", chain.unwrap_or("?")),
        -4 => format!("goto {}", chain.unwrap_or("?")),
        -5 => "return".into(),
        3 => "queue".into(),
        other => format!("verdict {other}"),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn ipv6_addresses_as_inet_ntop_writes_them() {
        use std::net::Ipv6Addr;
        let a = |t: &str| ipv6_text(t.parse::<Ipv6Addr>().unwrap());
        assert_eq!(a("::1234:1234"), "::18.52.18.52");
        assert_eq!(a("::1"), "::1");
        assert_eq!(a("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(a("dead::beef"), "dead::beef");
    }

    use super::*;

    #[test]
    fn renders_values_and_concats() {
        assert_eq!(format_value(7, &[10, 0, 0, 1]), "10.0.0.1");
        assert_eq!(format_value(13, &[0, 80]), "80");
        assert_eq!(format_value(12, &[6]), "tcp");
        assert_eq!(format_value(41, b"eth0\0\0"), "\"eth0\"");
        assert_eq!(format_value(41, b"cali"), "\"cali*\"");
        let ty = (7 << 6) | 13;
        assert_eq!(split_concat(ty, 8), vec![7, 13]);
        assert_eq!(key_type_text(ty, 8), "ipv4_addr . inet_service");
        assert_eq!(
            format_concat(&[7, 13], &[10, 0, 0, 1, 0, 22, 0, 0]),
            "10.0.0.1 . 22"
        );
        assert_eq!(verdict_text(-3, Some("x")), "jump x");
        assert_eq!(format_value(15, &[0x11]), "fin | ack");
        assert_eq!(format_value(31, &[1]), "broadcast");
        // Interface indexes by name where the interface exists (`lo` is 1 in any namespace).
        assert_eq!(format_value(20, &1u32.to_ne_bytes()), "\"lo\"");
        assert_eq!(format_value(20, &0u32.to_ne_bytes()), "0");
        assert_eq!(format_value(23, &0x0001_bbf8u32.to_ne_bytes()), "1:bbf8");
        assert_eq!(nft_time(360_000), "6m");
        assert_eq!(nft_time(10_845_000), "3h45s");
        assert_eq!(nft_time(2_592_000_000), "30d");
        assert_eq!(nft_time(100), "100ms");
    }
}
