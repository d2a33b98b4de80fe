//! Connection tracking: `state`, `conntrack`, the `CT` and `NOTRACK` targets.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] =
    &[("state", match_state), ("conntrack", match_conntrack)];

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] =
    &[("NOTRACK", target_notrack), ("CT", target_ct)];

fn match_state(_name: &str, _rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(one(
        false,
        MatchKind::CtState {
            states: xt_states(u32_at(b, 0)?),
        },
    ))
}

fn match_conntrack(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1..=3 => {
            let match_flags = u16_at(b, 146)?;
            let invert = u16_at(b, 148)?;
            let (state, status) = if rev == 1 {
                (u32::from(u8_at(b, 150)?), u32::from(u8_at(b, 151)?))
            } else {
                (u32::from(u16_at(b, 150)?), u32::from(u16_at(b, 152)?))
            };
            let mut ms = Vec::new();
            if match_flags & 1 != 0 {
                ms.push(Match::with_negation(
                    MatchKind::CtState {
                        states: xt_states(state),
                    },
                    invert & 1 != 0,
                ));
            }
            if match_flags & (1 << 6) != 0 {
                let mut names = Vec::new();
                for (bit, n) in [
                    (1u32 << 0, "expected"),
                    (1 << 1, "seen-reply"),
                    (1 << 2, "assured"),
                    (1 << 3, "confirmed"),
                ] {
                    if status & bit != 0 {
                        names.push(n.to_string());
                    }
                }
                if names.is_empty() {
                    names.push("none".to_string());
                }
                ms.push(Match::with_negation(
                    MatchKind::CtStatus { statuses: names },
                    invert & (1 << 6) != 0,
                ));
            }
            if match_flags & (1 << 12) != 0 {
                ms.push(Match::new(MatchKind::CtDirection {
                    original: invert & (1 << 12) == 0,
                }));
            }
            // The options the model does not type, as iptables-save prints them.
            let extra = conntrack_untyped(rev, b, match_flags, invert, cx)?;
            if !extra.is_empty() {
                ms.push(Match::new(MatchKind::Other {
                    module: name.into(),
                    args: extra.join(" "),
                    lossy: false,
                }));
            }
            XtMatch {
                matches: ms,
                comment: None,
            }
        }
        _ => return None,
    })
}

fn target_notrack(_name: &str, _rev: u32, _b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(st(Statement::Notrack))
}

fn target_ct(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    Some(match rev {
        0..=2 => {
            let flags = u16_at(b, 0)?;
            if flags & 1 != 0 {
                st(Statement::Notrack)
            } else {
                st(Statement::Ct {
                    args: ct_target_args(rev, flags, b)?.join(" "),
                })
            }
        }
        _ => return None,
    })
}

/// `ADDR[/PLEN]` of a conntrack address and mask (`nf_inet_addr`), as iptables prints it.
fn ct_addr(b: &[u8], at: usize, v6: bool) -> Option<String> {
    if v6 {
        let (a, m) = (addr_v6(b, at)?, addr_v6(b, at + 16)?);
        let plen = u128::from(m).leading_ones();
        Some(if plen == 128 {
            a.to_string()
        } else if u128::from(m).count_ones() == plen {
            format!("{a}/{plen}")
        } else {
            format!("{a}/{m}")
        })
    } else {
        let (a, m) = (addr_v4(b, at)?, addr_v4(b, at + 16)?);
        let plen = u32::from(m).leading_ones();
        Some(if plen == 32 {
            a.to_string()
        } else if u32::from(m).count_ones() == plen {
            format!("{a}/{plen}")
        } else {
            format!("{a}/{m}")
        })
    }
}

/// conntrack options beyond state, status and direction (`xt_conntrack_mtinfo{1,2,3}`), in
/// the order and spelling of iptables-save: protocol, addresses, ports, expiry.
fn conntrack_untyped(
    rev: u32,
    b: &[u8],
    flags: u16,
    invert: u16,
    cx: &XtContext<'_>,
) -> Option<Vec<String>> {
    let v6 = cx.family == Family::Ip6;
    let mut a = Vec::new();
    let inv = |bit: u16| bang(invert & bit != 0);
    if flags & 2 != 0 {
        a.push(format!("{}--ctproto {}", inv(2), u16_at(b, 136)?));
    }
    for (bit, opt, at) in [
        (4u16, "--ctorigsrc", 0usize),
        (8, "--ctorigdst", 32),
        (16, "--ctreplsrc", 64),
        (32, "--ctrepldst", 96),
    ] {
        if flags & bit != 0 {
            a.push(format!("{}{opt} {}", inv(bit), ct_addr(b, at, v6)?));
        }
    }
    for (i, (bit, opt)) in [
        (256u16, "--ctorigsrcport"),
        (512, "--ctorigdstport"),
        (1024, "--ctreplsrcport"),
        (2048, "--ctrepldstport"),
    ]
    .into_iter()
    .enumerate()
    {
        if flags & bit != 0 {
            // Revision 3 keeps ports and their upper bounds in host order.
            let (lo, hi) = if rev >= 3 {
                (u16_at(b, 138 + 2 * i)?, u16_at(b, 154 + 2 * i)?)
            } else {
                let p = be16_at(b, 138 + 2 * i)?;
                (p, p)
            };
            let v = if hi > lo {
                format!("{lo}:{hi}")
            } else {
                lo.to_string()
            };
            a.push(format!("{}{opt} {v}", inv(bit)));
        }
    }
    if flags & 128 != 0 {
        let (lo, hi) = (u32_at(b, 128)?, u32_at(b, 132)?);
        let v = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}:{hi}")
        };
        a.push(format!("{}--ctexpire {v}", inv(128)));
    }
    Some(a)
}

/// `CT` target options (`xt_ct_target_info{,_v1}`) in iptables-save's order and spelling.
fn ct_target_args(rev: u32, flags: u16, b: &[u8]) -> Option<Vec<String>> {
    const CT_EVENTS: [&str; 10] = [
        "new",
        "related",
        "destroy",
        "reply",
        "assured",
        "protoinfo",
        "helper",
        "mark",
        "natseqinfo",
        "secmark",
    ];
    let events = |mask: u32, names: &[&str]| -> String {
        names
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut args = Vec::new();
    let helper = cstr_at(b, 12, 16)?;
    if !helper.is_empty() {
        args.push(format!("--helper {helper}"));
    }
    if rev >= 1 {
        let timeout = cstr_at(b, 28, 32)?;
        if !timeout.is_empty() {
            args.push(format!("--timeout {timeout}"));
        }
    }
    let (ct_events, exp_events) = (u32_at(b, 4)?, u32_at(b, 8)?);
    if ct_events != 0 {
        args.push(format!("--ctevents {}", events(ct_events, &CT_EVENTS)));
    }
    if exp_events != 0 {
        args.push(format!("--expevents {}", events(exp_events, &["new"])));
    }
    // XT_CT_ZONE_DIR_ORIG / _REPL and XT_CT_ZONE_MARK.
    let dir = match (flags & 4 != 0, flags & 8 != 0) {
        (true, false) => "-orig",
        (false, true) => "-reply",
        _ => "",
    };
    let zone = u16_at(b, 2)?;
    if flags & 16 != 0 {
        args.push(format!("--zone{dir} mark"));
    } else if zone != 0 {
        args.push(format!("--zone{dir} {zone}"));
    }
    Some(args)
}
