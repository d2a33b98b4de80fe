//! IPsec, IPComp and Mobile IPv6: the `ah`, `esp`, `ipcomp`, `mh` and `policy` matches.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("ah", match_ah),
    ("esp", match_esp),
    ("ipcomp", match_ipcomp),
    ("mh", match_mh),
    ("policy", match_policy),
];

/// `--OPT min[:max]` of an SPI range, as iptables-save prints it (nothing for the full range).
fn spi_range(out: &mut Vec<String>, opt: &str, min: u32, max: u32, inv: bool) {
    if min == 0 && max == u32::MAX && !inv {
        return;
    }
    let v = if min == max {
        min.to_string()
    } else {
        format!("{min}:{max}")
    };
    out.push(format!("{}{opt} {v}", bang(inv)));
}

fn match_ah(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let (min, max) = (u32_at(b, 0)?, u32_at(b, 4)?);
    let mut a = Vec::new();
    if cx.family == Family::Ip6 {
        // `struct ip6t_ah`: spis[2], hdrlen, hdrres, invflags.
        let (len, res, inv) = (u32_at(b, 8)?, u8_at(b, 12)?, u8_at(b, 13)?);
        spi_range(&mut a, "--ahspi", min, max, inv & 1 != 0);
        if len != 0 || inv & 2 != 0 {
            a.push(format!("{}--ahlen {len}", bang(inv & 2 != 0)));
        }
        if res != 0 {
            a.push("--ahres".into());
        }
    } else {
        spi_range(&mut a, "--ahspi", min, max, u8_at(b, 8)? & 1 != 0);
    }
    Some(verbatim(name, a))
}

fn match_esp(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let mut a = Vec::new();
    spi_range(
        &mut a,
        "--espspi",
        u32_at(b, 0)?,
        u32_at(b, 4)?,
        u8_at(b, 8)? & 1 != 0,
    );
    Some(verbatim(name, a))
}

fn match_ipcomp(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_ipcomp`: spis[2], invflags, hdrres.
    let mut a = Vec::new();
    spi_range(
        &mut a,
        "--ipcompspi",
        u32_at(b, 0)?,
        u32_at(b, 4)?,
        u8_at(b, 8)? & 1 != 0,
    );
    if u8_at(b, 9)? != 0 {
        a.push("--compres".into());
    }
    Some(verbatim(name, a))
}

fn match_mh(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct ip6t_mh`: types[2], invflags.
    let (lo, hi, inv) = (u8_at(b, 0)?, u8_at(b, 1)?, u8_at(b, 2)? & 1 != 0);
    if lo == 0 && hi == 0xff && !inv {
        return Some(verbatim(name, Vec::new()));
    }
    let v = if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}:{hi}")
    };
    Some(verbatim(name, vec![format!("{}--mh-type {v}", bang(inv))]))
}

/// `ADDR[/PLEN]` of an address and its mask, as iptables prints a policy tunnel end.
fn addr_mask(b: &[u8], at: usize, v6: bool) -> Option<String> {
    Some(if v6 {
        let (a, m) = (addr_v6(b, at)?, u128::from(addr_v6(b, at + 16)?));
        if m == u128::MAX {
            a.to_string()
        } else {
            format!("{a}/{}", m.leading_ones())
        }
    } else {
        let (a, m) = (addr_v4(b, at)?, u32::from(addr_v4(b, at + 16)?));
        if m == u32::MAX {
            a.to_string()
        } else {
            format!("{a}/{}", m.leading_ones())
        }
    })
}

fn match_policy(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_policy_info`: pol[4] (76 bytes each: saddr, smask, daddr, dmask, spi,
    // reqid, proto, mode, match bits, invert bits), flags, len.
    const ELEM: usize = 76;
    let (flags, len) = (u16_at(b, 4 * ELEM)?, u16_at(b, 4 * ELEM + 2)?);
    let v6 = cx.family == Family::Ip6;
    let mut a = vec![
        format!("--dir {}", if flags & 1 != 0 { "in" } else { "out" }),
        format!("--pol {}", if flags & 4 != 0 { "none" } else { "ipsec" }),
    ];
    if flags & 8 != 0 {
        a.push("--strict".into());
    }
    for i in 0..usize::from(len).min(4) {
        let e = i * ELEM;
        if i > 0 {
            a.push("--next".into());
        }
        let (m, inv) = (u8_at(b, e + 74)?, u8_at(b, e + 75)?);
        let neg = |bit: u8| bang(inv & bit != 0);
        if m & 32 != 0 {
            a.push(format!("{}--reqid {}", neg(32), u32_at(b, e + 68)?));
        }
        if m & 16 != 0 {
            // iptables stores the SPI as it was typed, in host order, despite `__be32`.
            let spi = u32_at(b, e + 64)?;
            a.push(format!("{}--spi 0x{spi:x}", neg(16)));
        }
        if m & 4 != 0 {
            let p = Protocol(u8_at(b, e + 72)?);
            a.push(format!("{}--proto {p}", neg(4)));
        }
        if m & 8 != 0 {
            let mode = if u8_at(b, e + 73)? == 1 {
                "tunnel"
            } else {
                "transport"
            };
            a.push(format!("{}--mode {mode}", neg(8)));
        }
        if m & 2 != 0 {
            a.push(format!(
                "{}--tunnel-dst {}",
                neg(2),
                addr_mask(b, e + 32, v6)?
            ));
        }
        if m & 1 != 0 {
            a.push(format!("{}--tunnel-src {}", neg(1), addr_mask(b, e, v6)?));
        }
    }
    Some(verbatim(name, a))
}
