//! Rates and state over time: `limit`, `statistic`, `recent`, and `comment`.

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("limit", match_limit),
    ("statistic", match_statistic),
    ("recent", match_recent),
    ("comment", match_comment),
];

fn match_limit(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
            let avg = u32_at(b, 0)?;
            let burst = u32_at(b, 4)?;
            one(
                false,
                MatchKind::Limit {
                    rate: limit_rate(avg),
                    burst: (burst != 5).then_some(burst),
                },
            )
        }
        _ => return None,
    })
}

fn match_statistic(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
            let mode = u16_at(b, 0)?;
            let flags = u16_at(b, 2)?;
            let kind = if mode == 0 {
                let p = u32_at(b, 4)?;
                MatchKind::Statistic {
                    mode: "random".into(),
                    probability: Some(format!("{:.11}", f64::from(p) / 2_147_483_648.0)),
                    every: None,
                    packet: None,
                }
            } else {
                MatchKind::Statistic {
                    mode: "nth".into(),
                    probability: None,
                    every: Some(u32_at(b, 4)?.saturating_add(1)),
                    packet: Some(u32_at(b, 8)?),
                }
            };
            one(flags & 1 != 0, kind)
        }
        _ => return None,
    })
}

fn match_recent(_name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0..=1 => {
            let seconds = u32_at(b, 0)?;
            let hit_count = u32_at(b, 4)?;
            let check_set = u8_at(b, 8)?;
            let invert = u8_at(b, 9)? != 0;
            let name = cstr_at(b, 10, 200)?;
            let side = u8_at(b, 210)?;
            let mut a: Vec<String> = Vec::new();
            for (bit, opt) in [
                (2u8, "--set"),
                (1, "--rcheck"),
                (4, "--update"),
                (8, "--remove"),
            ] {
                if check_set & bit != 0 {
                    // iptables-save puts the `!` of the match before its command.
                    a.push(format!("{}{opt}", bang(invert)));
                }
            }
            if seconds != 0 {
                a.push(format!("--seconds {seconds}"));
            }
            if check_set & 32 != 0 {
                a.push("--reap".into());
            }
            if hit_count != 0 {
                a.push(format!("--hitcount {hit_count}"));
            }
            if check_set & 16 != 0 {
                a.push("--rttl".into());
            }
            a.push(format!("--name {name}"));
            if rev == 1 {
                let mask = if cx.family == Family::Ip6 {
                    addr_v6(b, 212)?.to_string()
                } else {
                    addr_v4(b, 212)?.to_string()
                };
                a.push(format!("--mask {mask}"));
            }
            a.push(if side == 1 { "--rdest" } else { "--rsource" }.into());
            one(
                false,
                MatchKind::Other {
                    module: "recent".into(),
                    args: a.join(" "),
                    lossy: false,
                },
            )
        }
        _ => return None,
    })
}

fn match_comment(_name: &str, _rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(XtMatch {
        matches: Vec::new(),
        comment: Some(cstr_at(b, 0, 256)?),
    })
}
