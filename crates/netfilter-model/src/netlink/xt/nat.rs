//! Address translation targets: `SNAT`, `DNAT`, `MASQUERADE`, `REDIRECT`, `NETMAP`, `TPROXY`.

use super::*;

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] = &[
    ("SNAT", target_snat),
    ("DNAT", target_snat),
    ("MASQUERADE", target_masquerade),
    ("REDIRECT", target_masquerade),
    ("NETMAP", target_netmap),
    ("TPROXY", target_tproxy),
];

fn target_snat(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    let v6 = cx.family == Family::Ip6;
    Some(match rev {
        0..=2 => {
            let (addr, port, flags) = nat_range(b, rev == 0 && !v6)?;
            let kind = if name == "SNAT" {
                NatKind::Snat
            } else {
                NatKind::Dnat
            };
            st(Statement::Nat {
                kind,
                addr,
                port,
                flags,
            })
        }
        _ => return None,
    })
}

fn target_masquerade(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    let v6 = cx.family == Family::Ip6;
    Some(match rev {
        0 => {
            let (_, port, flags) = nat_range(b, !v6)?;
            let kind = if name == "MASQUERADE" {
                NatKind::Masquerade
            } else {
                NatKind::Redirect
            };
            st(Statement::Nat {
                kind,
                addr: None,
                port,
                flags,
            })
        }
        _ => return None,
    })
}

pub(super) fn nat_flags(flags: u32) -> Vec<String> {
    let mut v = Vec::new();
    if flags & 0x4 != 0 {
        v.push("random".to_string());
    }
    if flags & 0x8 != 0 {
        v.push("persistent".to_string());
    }
    if flags & 0x10 != 0 {
        v.push("fully-random".to_string());
    }
    v
}

pub(super) fn range_text(a: String, b: String) -> String {
    if a == b {
        a
    } else {
        format!("{a}-{b}")
    }
}

/// Decodes `nf_nat_ipv4_multi_range_compat` (IPv4 rev 0) or `nf_nat_range{,2}` (rev 1/2, IPv6).
pub(super) fn nat_range(
    b: &[u8],
    compat: bool,
) -> Option<(Option<String>, Option<String>, Vec<String>)> {
    let (flags, addr, ports) = if compat {
        let flags = u32_at(b, 4)?;
        let addr = range_text(addr_v4(b, 8)?.to_string(), addr_v4(b, 12)?.to_string());
        let ports = range_text(be16_at(b, 16)?.to_string(), be16_at(b, 18)?.to_string());
        (flags, addr, ports)
    } else {
        let flags = u32_at(b, 0)?;
        let v4 = b.get(8..20).is_some_and(|z| z.iter().all(|x| *x == 0))
            && b.get(24..36).is_some_and(|z| z.iter().all(|x| *x == 0));
        let addr = if v4 {
            range_text(addr_v4(b, 4)?.to_string(), addr_v4(b, 20)?.to_string())
        } else {
            range_text(addr_v6(b, 4)?.to_string(), addr_v6(b, 20)?.to_string())
        };
        let mut ports = range_text(be16_at(b, 36)?.to_string(), be16_at(b, 38)?.to_string());
        // `nf_nat_range2` (revision 2): NF_NAT_RANGE_PROTO_OFFSET and its base port.
        if flags & 0x20 != 0 {
            ports.push_str(&format!("/{}", be16_at(b, 40)?));
        }
        (flags, addr, ports)
    };
    Some((
        (flags & 1 != 0).then_some(addr),
        (flags & 2 != 0).then_some(ports),
        nat_flags(flags),
    ))
}

fn target_netmap(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    // IPv4: `nf_nat_ipv4_multi_range_compat` (min_ip at 8, max_ip at 12); IPv6:
    // `nf_nat_range` (min_addr at 4, max_addr at 20). The range is one prefix.
    let to = if cx.family == Family::Ip6 {
        let (lo, hi) = (addr_v6(b, 4)?, addr_v6(b, 20)?);
        let plen = (!(u128::from(lo) ^ u128::from(hi))).leading_ones();
        format!("{lo}/{plen}")
    } else {
        let (lo, hi) = (addr_v4(b, 8)?, addr_v4(b, 12)?);
        let plen = (!(u32::from(lo) ^ u32::from(hi))).leading_ones();
        format!("{lo}/{plen}")
    };
    Some(verbatim_target(name, format!("--to {to}")))
}

fn target_tproxy(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    // rev 0 (IPv4 only): mark_mask, mark_value, laddr (be32), lport; rev 1: laddr is an
    // nf_inet_addr.
    let (mask, value) = (u32_at(b, 0)?, u32_at(b, 4)?);
    let (ip, port) = match rev {
        0 => (addr_v4(b, 8)?.to_string(), be16_at(b, 12)?),
        1 if cx.family == Family::Ip6 => (addr_v6(b, 8)?.to_string(), be16_at(b, 24)?),
        1 => (addr_v4(b, 8)?.to_string(), be16_at(b, 24)?),
        _ => return None,
    };
    Some(verbatim_target(
        name,
        format!("--on-port {port} --on-ip {ip} --tproxy-mark 0x{value:x}/0x{mask:x}"),
    ))
}
