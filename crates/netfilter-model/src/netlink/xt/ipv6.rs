//! IPv6 extension headers and prefix translation: `frag`, `hbh`, `dst`, `rt`, `srh`, `ipv6header`, `eui64`
//! and the `DNPT`/`SNPT` targets.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("frag", match_frag),
    ("hbh", match_opts),
    ("dst", match_opts),
    ("rt", match_rt),
    ("srh", match_srh),
    ("ipv6header", match_ipv6header),
    ("eui64", match_eui64),
];

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] = &[("DNPT", target_npt), ("SNPT", target_npt)];

fn match_frag(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct ip6t_frag`: ids[2], hdrlen, flags, invflags.
    let (lo, hi, len) = (u32_at(b, 0)?, u32_at(b, 4)?, u32_at(b, 8)?);
    let (flags, inv) = (u8_at(b, 12)?, u8_at(b, 13)?);
    let mut a = Vec::new();
    if !(lo == 0 && hi == u32::MAX) || inv & 1 != 0 {
        let v = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}:{hi}")
        };
        a.push(format!("{}--fragid {v}", bang(inv & 1 != 0)));
    }
    if flags & 2 != 0 {
        a.push(format!("{}--fraglen {len}", bang(inv & 2 != 0)));
    }
    for (bit, opt) in [
        (4u8, "--fragres"),
        (8, "--fragfirst"),
        (16, "--fragmore"),
        (32, "--fraglast"),
    ] {
        if flags & bit != 0 {
            a.push(opt.into());
        }
    }
    Some(verbatim(name, a))
}

fn match_opts(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct ip6t_opts`: hdrlen, flags, invflags, opts[16] (type << 8 | len), optsnr.
    let (len, flags, inv) = (u32_at(b, 0)?, u8_at(b, 4)?, u8_at(b, 5)?);
    let mut a = Vec::new();
    if flags & 1 != 0 {
        a.push(format!("{}--{name}-len {len}", bang(inv & 1 != 0)));
    }
    if flags & 2 != 0 {
        let n = usize::from(u8_at(b, 38)?).min(16);
        let mut opts = Vec::new();
        for i in 0..n {
            let o = u16_at(b, 6 + 2 * i)?;
            let (ty, l) = (o >> 8, o & 0xff);
            opts.push(if l == 0xff {
                ty.to_string()
            } else {
                format!("{ty}:{l}")
            });
        }
        a.push(format!("--{name}-opts {}", opts.join(",")));
    }
    Some(verbatim(name, a))
}

fn match_ipv6header(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let (flags, inv, soft) = (u8_at(b, 0)?, u8_at(b, 1)?, u8_at(b, 2)?);
    let names: Vec<&str> = [
        (128u8, "hop-by-hop"),
        (64, "ipv6-opts"),
        (32, "ipv6-route"),
        (16, "ipv6-frag"),
        (8, "ah"),
        (4, "esp"),
        (2, "ipv6-nonxt"),
        (1, "protocol"),
    ]
    .into_iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, n)| n)
    .collect();
    let mut a = vec![format!("{}--header {}", bang(inv != 0), names.join(","))];
    if soft != 0 {
        a.push("--soft".into());
    }
    Some(verbatim(name, a))
}

fn match_eui64(name: &str, rev: u32, _b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    (rev == 0).then(|| verbatim(name, Vec::new()))
}

fn target_npt(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    // `struct ip6t_npt_tginfo`: src_pfx, dst_pfx (nf_inet_addr), src_pfx_len, dst_pfx_len.
    let (src, dst) = (addr_v6(b, 0)?, addr_v6(b, 16)?);
    let (sl, dl) = (u8_at(b, 32)?, u8_at(b, 33)?);
    Some(verbatim_target(
        name,
        format!("--src-pfx {src}/{sl} --dst-pfx {dst}/{dl}"),
    ))
}

fn match_rt(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct ip6t_rt`: rt_type, segsleft[2], hdrlen, flags, invflags, addrs[16] (4-aligned,
    // at 20), addrnr.
    let (ty, lo, hi, len) = (u32_at(b, 0)?, u32_at(b, 4)?, u32_at(b, 8)?, u32_at(b, 12)?);
    let (flags, inv) = (u8_at(b, 16)?, u8_at(b, 17)?);
    let mut a = Vec::new();
    if flags & 1 != 0 {
        a.push(format!("{}--rt-type {ty}", bang(inv & 1 != 0)));
    }
    if !(lo == 0 && hi == u32::MAX) || inv & 2 != 0 {
        let v = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}:{hi}")
        };
        a.push(format!("{}--rt-segsleft {v}", bang(inv & 2 != 0)));
    }
    if flags & 4 != 0 {
        a.push(format!("{}--rt-len {len}", bang(inv & 4 != 0)));
    }
    if flags & 8 != 0 {
        a.push("--rt-0-res".into());
    }
    let n = usize::from(u8_at(b, 276)?).min(16);
    if n > 0 {
        let addrs: Vec<String> = (0..n)
            .map(|i| addr_v6(b, 20 + 16 * i).map(|x| x.to_string()))
            .collect::<Option<_>>()?;
        a.push(format!("--rt-0-addrs {}", addrs.join(",")));
    }
    if flags & 0x20 != 0 {
        a.push("--rt-0-not-strict".into());
    }
    Some(verbatim(name, a))
}

fn match_srh(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 1 {
        return None;
    }
    // `struct ip6t_srh1`: next_hdr, hdr_len, segs_left, last_entry, tag, psid/nsid/lsid
    // addresses then masks (at 8), mt_flags, mt_invflags.
    let (flags, inv) = (u16_at(b, 104)?, u16_at(b, 106)?);
    let mut a = Vec::new();
    let mut num = |bit: u16, opt: &str, v: u32| {
        if flags & bit != 0 {
            a.push(format!("{}--srh-{opt} {v}", bang(inv & bit != 0)));
        }
    };
    let (next, len, segs, last) = (u8_at(b, 0)?, u8_at(b, 1)?, u8_at(b, 2)?, u8_at(b, 3)?);
    num(0x0001, "next-hdr", next.into());
    num(0x0002, "hdr-len-eq", len.into());
    num(0x0004, "hdr-len-gt", len.into());
    num(0x0008, "hdr-len-lt", len.into());
    num(0x0010, "segs-left-eq", segs.into());
    num(0x0020, "segs-left-gt", segs.into());
    num(0x0040, "segs-left-lt", segs.into());
    num(0x0080, "last-entry-eq", last.into());
    num(0x0100, "last-entry-gt", last.into());
    num(0x0200, "last-entry-lt", last.into());
    num(0x0400, "tag", u16_at(b, 4)?.into());
    for (i, (bit, opt)) in [(0x0800u16, "psid"), (0x1000, "nsid"), (0x2000, "lsid")]
        .into_iter()
        .enumerate()
    {
        if flags & bit != 0 {
            let addr = addr_v6(b, 8 + 16 * i)?;
            let plen = u128::from(addr_v6(b, 56 + 16 * i)?).leading_ones();
            a.push(format!("{}--srh-{opt} {addr}/{plen}", bang(inv & bit != 0)));
        }
    }
    Some(verbatim(name, a))
}
