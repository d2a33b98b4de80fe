//! Transport headers beyond tcp/udp: the `sctp`, `dccp`, `tcpmss` and `ecn` matches.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("sctp", match_sctp),
    ("dccp", match_dccp),
    ("tcpmss", match_tcpmss),
    ("ecn", match_ecn),
];

/// Typed source/destination port matches of a `[min, max]` pair (host order).
fn port_match(proto: Protocol, dir: Direction, min: u16, max: u16, inv: bool) -> Match {
    Match::with_negation(
        MatchKind::Port {
            dir,
            proto: Some(proto),
            ports: vec![PortRange {
                first: min,
                last: max,
            }],
        },
        inv,
    )
}

/// SCTP chunk names and the flag letters of each (`libxt_sctp.c`), by chunk type.
const SCTP_CHUNKS: &[(u8, &str, &str)] = &[
    (0, "DATA", "----IUBE"),
    (1, "INIT", "--------"),
    (2, "INIT_ACK", "--------"),
    (3, "SACK", "--------"),
    (4, "HEARTBEAT", "--------"),
    (5, "HEARTBEAT_ACK", "--------"),
    (6, "ABORT", "-------T"),
    (7, "SHUTDOWN", "--------"),
    (8, "SHUTDOWN_ACK", "--------"),
    (9, "ERROR", "--------"),
    (10, "COOKIE_ECHO", "--------"),
    (11, "COOKIE_ACK", "--------"),
    (12, "ECN_ECNE", "--------"),
    (13, "ECN_CWR", "--------"),
    (14, "SHUTDOWN_COMPLETE", "-------T"),
    (64, "I_DATA", "----IUBE"),
    (130, "RE_CONFIG", "--------"),
    (192, "FORWARD_TSN", "--------"),
    (193, "ASCONF", "--------"),
    (128, "ASCONF_ACK", "--------"),
    (194, "I_FORWARD_TSN", "--------"),
];

fn sctp_chunks(b: &[u8], match_type: u32) -> Option<String> {
    let kind = match match_type {
        1 => "any",
        2 => "all",
        4 => "only",
        _ => return None,
    };
    let flag_count = u32_at(b, 280)? as usize;
    let mut names = Vec::new();
    for t in 0..=255u8 {
        let word = u32_at(b, 8 + 4 * usize::from(t / 32))?;
        if word & (1 << (t % 32)) == 0 {
            continue;
        }
        let (name, letters) = SCTP_CHUNKS
            .iter()
            .find(|(n, _, _)| *n == t)
            .map(|(_, n, l)| (n.to_string(), *l))
            .unwrap_or((t.to_string(), "--------"));
        let mut s = name;
        for i in 0..flag_count.min(4) {
            let o = 268 + 3 * i;
            if u8_at(b, o)? != t {
                continue;
            }
            let (flag, mask) = (u8_at(b, o + 1)?, u8_at(b, o + 2)?);
            s.push(':');
            for (bit, c) in (0..8).rev().zip(letters.chars()) {
                if mask & (1 << bit) != 0 {
                    s.push(if flag & (1 << bit) != 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    });
                }
            }
        }
        names.push(s);
    }
    Some(format!("{kind} {}", names.join(",")))
}

fn match_sctp(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_sctp_info`: dpts[2], spts[2] (host order), chunkmap[8], chunk_match_type,
    // flag_info[4] {chunktype, flag, flag_mask}, flag_count, flags, invflags. The header
    // sizes chunkmap as 256 / sizeof(u32) words, so it takes 256 bytes.
    let (flags, inv) = (u32_at(b, 284)?, u32_at(b, 288)?);
    let mut ms = Vec::new();
    if flags & 1 != 0 {
        let (lo, hi) = (u16_at(b, 4)?, u16_at(b, 6)?);
        ms.push(port_match(
            Protocol::SCTP,
            Direction::Src,
            lo,
            hi,
            inv & 1 != 0,
        ));
    }
    if flags & 2 != 0 {
        let (lo, hi) = (u16_at(b, 0)?, u16_at(b, 2)?);
        ms.push(port_match(
            Protocol::SCTP,
            Direction::Dst,
            lo,
            hi,
            inv & 2 != 0,
        ));
    }
    if flags & 4 != 0 {
        let chunks = sctp_chunks(b, u32_at(b, 264)?)?;
        ms.push(Match::new(MatchKind::Other {
            module: name.into(),
            args: format!("{}--chunk-types {chunks}", bang(inv & 4 != 0)),
            lossy: false,
        }));
    }
    Some(XtMatch {
        matches: ms,
        comment: None,
    })
}

/// DCCP packet type names (`libxt_dccp.c`), by type number.
const DCCP_TYPES: &[&str] = &[
    "REQUEST", "RESPONSE", "DATA", "ACK", "DATAACK", "CLOSEREQ", "CLOSE", "RESET", "SYNC",
    "SYNCACK", "INVALID",
];

fn match_dccp(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_dccp_info`: dpts[2], spts[2], flags, invflags, typemask (u16), option (u8).
    let (flags, inv, types, option) =
        (u16_at(b, 8)?, u16_at(b, 10)?, u16_at(b, 12)?, u8_at(b, 14)?);
    let mut ms = Vec::new();
    if flags & 1 != 0 {
        let (lo, hi) = (u16_at(b, 4)?, u16_at(b, 6)?);
        ms.push(port_match(
            Protocol::DCCP,
            Direction::Src,
            lo,
            hi,
            inv & 1 != 0,
        ));
    }
    if flags & 2 != 0 {
        let (lo, hi) = (u16_at(b, 0)?, u16_at(b, 2)?);
        ms.push(port_match(
            Protocol::DCCP,
            Direction::Dst,
            lo,
            hi,
            inv & 2 != 0,
        ));
    }
    let mut extra = Vec::new();
    if flags & 4 != 0 {
        // iptables sets every bit from INVALID up for `INVALID`; it prints the name once.
        let mut names = Vec::new();
        for (i, n) in DCCP_TYPES.iter().enumerate() {
            if types & (1 << i) != 0 {
                names.push(*n);
            }
        }
        extra.push(format!(
            "{}--dccp-types {}",
            bang(inv & 4 != 0),
            names.join(",")
        ));
    }
    if flags & 8 != 0 {
        extra.push(format!("{}--dccp-option {option}", bang(inv & 8 != 0)));
    }
    if !extra.is_empty() {
        ms.push(Match::new(MatchKind::Other {
            module: name.into(),
            args: extra.join(" "),
            lossy: false,
        }));
    }
    Some(XtMatch {
        matches: ms,
        comment: None,
    })
}

fn match_tcpmss(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    let (lo, hi, inv) = (u16_at(b, 0)?, u16_at(b, 2)?, u8_at(b, 4)? != 0);
    let v = if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}:{hi}")
    };
    Some(verbatim(name, vec![format!("{}--mss {v}", bang(inv))]))
}

fn match_ecn(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_ecn_info`: operation, invert, ip_ect, tcp.ect.
    let (op, inv, ect) = (u8_at(b, 0)?, u8_at(b, 1)?, u8_at(b, 2)?);
    let mut a = Vec::new();
    if op & 0x10 != 0 {
        a.push(format!("{}--ecn-tcp-ece", bang(inv & 0x10 != 0)));
    }
    if op & 0x20 != 0 {
        a.push(format!("{}--ecn-tcp-cwr", bang(inv & 0x20 != 0)));
    }
    if op & 0x01 != 0 {
        a.push(format!("{}--ecn-ip-ect {ect}", bang(inv & 0x01 != 0)));
    }
    Some(verbatim(name, a))
}
