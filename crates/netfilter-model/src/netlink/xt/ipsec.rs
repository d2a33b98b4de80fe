//! IPsec, IPComp and Mobile IPv6 headers: the `ah`, `esp`, `ipcomp` and `mh` matches.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("ah", match_ah),
    ("esp", match_esp),
    ("ipcomp", match_ipcomp),
    ("mh", match_mh),
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
