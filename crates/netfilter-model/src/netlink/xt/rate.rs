//! Rates and state over time: `limit`, `statistic`, `recent`, `time`, `rateest`, `comment`, and
//! the `RATEEST` target.

use super::*;
use crate::model::StatisticMode;

/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] = &[("RATEEST", target_rateest)];

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("rateest", match_rateest),
    ("time", match_time),
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
                    mode: StatisticMode::Random,
                    probability: Some(format!("{:.11}", f64::from(p) / 2_147_483_648.0)),
                    every: None,
                    packet: None,
                }
            } else {
                MatchKind::Statistic {
                    mode: StatisticMode::Nth,
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

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of seconds since the epoch, as iptables prints a date.
fn date_text(secs: u32) -> String {
    let days = i64::from(secs / 86400);
    let rem = secs % 86400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn match_time(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_time_info`: date_start, date_stop, daytime_start, daytime_stop,
    // monthdays_match, weekdays_match, flags.
    let (date_start, date_stop) = (u32_at(b, 0)?, u32_at(b, 4)?);
    let (day_start, day_stop) = (u32_at(b, 8)?, u32_at(b, 12)?);
    let (monthdays, weekdays, flags) = (u32_at(b, 16)?, u8_at(b, 20)?, u8_at(b, 21)?);
    let hms = |s: u32| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    let mut a = Vec::new();
    if day_start != 0 || day_stop != 86399 {
        a.push(format!("--timestart {}", hms(day_start)));
        a.push(format!("--timestop {}", hms(day_stop)));
    }
    if weekdays != 0xfe {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let names: Vec<&str> = (1..=7)
            .filter(|i| weekdays & (1 << i) != 0)
            .map(|i| DAYS[i - 1])
            .collect();
        a.push(format!("--weekdays {}", names.join(",")));
    }
    if monthdays != 0xffff_fffe {
        let days: Vec<String> = (1..=31)
            .filter(|i| monthdays & (1u32 << i) != 0)
            .map(|i: u32| i.to_string())
            .collect();
        a.push(format!("--monthdays {}", days.join(",")));
    }
    if date_start != 0 {
        a.push(format!("--datestart {}", date_text(date_start)));
    }
    if date_stop != u32::MAX {
        a.push(format!("--datestop {}", date_text(date_stop)));
    }
    if flags & 1 != 0 {
        a.push("--kerneltz".into());
    }
    if flags & 2 != 0 {
        a.push("--contiguous".into());
    }
    Some(verbatim(name, a))
}

/// `RATEEST_print_time`: microseconds as `N.Ns`, `N.Nms` or `Nus`.
fn rateest_time(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.1}s", us as f64 / 1e6)
    } else if us >= 1000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else {
        format!("{us}us")
    }
}

fn target_rateest(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 0 {
        return None;
    }
    // `struct xt_rateest_target_info`: name[16], interval (s8), ewma_log.
    let est = cstr_at(b, 0, 16)?;
    let interval = i8::from_ne_bytes([u8_at(b, 16)?]);
    let ewma_log = u8_at(b, 17)?;
    let shift = u32::try_from(i32::from(interval) + 2).ok()?;
    let us = 1_000_000u64.checked_shl(shift)? / 4;
    let ewma = us.checked_shl(u32::from(ewma_log))?;
    Some(verbatim_target(
        name,
        format!(
            "--rateest-name {est} --rateest-interval {} --rateest-ewmalog {}",
            rateest_time(us),
            rateest_time(ewma)
        ),
    ))
}

/// `rateest_print_rate`: bytes per second as tc prints bits per second.
fn rateest_rate(rate: u32) -> String {
    let bits = f64::from(rate) * 8.0;
    if bits >= 1e9 {
        format!("{:.0}Mbit", bits / 1e6)
    } else if bits >= 1e6 {
        format!("{:.0}Kbit", bits / 1e3)
    } else {
        format!("{bits:.0}bit")
    }
}

fn match_rateest(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_rateest_match_info`: name1[16], name2[16], flags, mode (u16), bps1, pps1,
    // bps2, pps2. Flags: invert 1, abs 2, rel 4, delta 8, bps 16, pps 32.
    let (flags, mode) = (u16_at(b, 32)?, u16_at(b, 34)?);
    if flags & 4 != 0 {
        return None; // relative comparisons of two estimators are kept as bytes
    }
    let mut a = vec![format!("--rateest {}", cstr_at(b, 0, 16)?)];
    if flags & 8 != 0 {
        a.push("--rateest-delta".into());
    }
    let op = match mode {
        1 => "eq",
        2 => "lt",
        3 => "gt",
        _ => return None,
    };
    a.push(format!("{}--rateest-{op}", bang(flags & 1 != 0)));
    // iptables-save prints the second pair of values for an absolute comparison.
    if flags & 16 != 0 {
        a.push(format!("--rateest-bps {}", rateest_rate(u32_at(b, 44)?)));
    }
    if flags & 32 != 0 {
        a.push(format!("--rateest-pps {}", u32_at(b, 48)?));
    }
    Some(verbatim(name, a))
}
