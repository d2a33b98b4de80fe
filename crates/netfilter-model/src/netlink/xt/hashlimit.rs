//! Per-flow rates, OS fingerprints and BPF programs: the `hashlimit`, `osf` and `bpf` matches.

use super::*;
use crate::parse::iptables_save_support::quote_word;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("hashlimit", match_hashlimit),
    ("osf", match_osf),
    ("bpf", match_bpf),
];

/// hashlimit's `print_rate` (revisions 2 and 3, `XT_HASHLIMIT_SCALE_v2` per second).
fn hashlimit_rate(period: u64) -> Option<String> {
    const SCALE: u64 = 1_000_000;
    let rates: [(&str, u64); 4] = [
        ("day", SCALE * 86400),
        ("hour", SCALE * 3600),
        ("min", SCALE * 60),
        ("sec", SCALE),
    ];
    if period == 0 {
        return None;
    }
    let mut i = 1;
    while i < rates.len() {
        let mult = rates[i].1;
        if period > mult || mult / period < mult % period {
            break;
        }
        i += 1;
    }
    let (name, mult) = rates[i - 1];
    Some(format!("{}/{name}", mult / period))
}

fn match_hashlimit(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 3 {
        return None;
    }
    // `xt_hashlimit_mtinfo3`: name[NAME_MAX = 255], cfg (8-aligned, at 256) {avg, burst (u64),
    // mode, size, max, gc_interval, expire, interval (u32), srcmask, dstmask (u8)}.
    let u64_at =
        |o: usize| -> Option<u64> { Some(u64::from_ne_bytes(b.get(o..o + 8)?.try_into().ok()?)) };
    let table = cstr_at(b, 0, 255)?;
    let (avg, burst) = (u64_at(256)?, u64_at(264)?);
    let (mode, size, max) = (u32_at(b, 272)?, u32_at(b, 276)?, u32_at(b, 280)?);
    let (gc, expire, interval) = (u32_at(b, 284)?, u32_at(b, 288)?, u32_at(b, 292)?);
    let (srcmask, dstmask) = (u8_at(b, 296)?, u8_at(b, 297)?);
    if mode & 0x20 != 0 {
        return None; // byte rates (`1kb/s`) are kept as bytes
    }
    let rate = hashlimit_rate(avg)?;
    // iptables defaults the expiry to the rate's unit and prints it only when it differs.
    let default_expire = match rate.rsplit('/').next() {
        Some("sec") => 1000,
        Some("min") => 60_000,
        Some("hour") => 3_600_000,
        _ => 86_400_000,
    };
    let mut a = vec![
        format!(
            "--hashlimit-{} {rate}",
            if mode & 0x10 != 0 { "above" } else { "upto" }
        ),
        format!("--hashlimit-burst {burst}"),
    ];
    let keys: Vec<&str> = [
        (4u32, "srcip"),
        (8, "srcport"),
        (1, "dstip"),
        (2, "dstport"),
    ]
    .into_iter()
    .filter(|(bit, _)| mode & bit != 0)
    .map(|(_, n)| n)
    .collect();
    if !keys.is_empty() {
        a.push(format!("--hashlimit-mode {}", keys.join(",")));
    }
    a.push(format!("--hashlimit-name {table}"));
    if size != 0 {
        a.push(format!("--hashlimit-htable-size {size}"));
    }
    if max != 0 {
        a.push(format!("--hashlimit-htable-max {max}"));
    }
    if gc != 1000 {
        a.push(format!("--hashlimit-htable-gcinterval {gc}"));
    }
    if expire != default_expire {
        a.push(format!("--hashlimit-htable-expire {expire}"));
    }
    let full = if cx.family == Family::Ip6 { 128 } else { 32 };
    if srcmask != full {
        a.push(format!("--hashlimit-srcmask {srcmask}"));
    }
    if dstmask != full {
        a.push(format!("--hashlimit-dstmask {dstmask}"));
    }
    if mode & 0x40 != 0 {
        a.push("--hashlimit-rate-match".into());
        if interval != 1 {
            a.push(format!("--hashlimit-rate-interval {interval}"));
        }
    }
    Some(verbatim(name, a))
}

fn match_osf(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_osf_info`: genre[32], len, flags, loglevel, ttl.
    let genre = cstr_at(b, 0, 32)?;
    let (flags, log, ttl) = (u32_at(b, 36)?, u32_at(b, 40)?, u32_at(b, 44)?);
    let mut g = String::new();
    quote_word(&mut g, &genre);
    let mut a = vec![format!("{}--genre {g}", bang(flags & 8 != 0))];
    if flags & 2 != 0 {
        a.push(format!("--ttl {ttl}"));
    }
    if flags & 4 != 0 {
        a.push(format!("--log {log}"));
    }
    Some(verbatim(name, a))
}

fn match_bpf(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    // rev 0: num (u16), program[64] at 8; rev 1: mode, num (u16), fd, program at 8.
    let num = match rev {
        0 => usize::from(u16_at(b, 0)?),
        1 if u16_at(b, 0)? == 0 => usize::from(u16_at(b, 2)?),
        _ => return None,
    };
    let mut ops = vec![num.to_string()];
    for i in 0..num.min(64) {
        let o = 8 + 8 * i;
        ops.push(format!(
            "{} {} {} {}",
            u16_at(b, o)?,
            u8_at(b, o + 2)?,
            u8_at(b, o + 3)?,
            u32_at(b, o + 4)?
        ));
    }
    let mut code = String::new();
    quote_word(&mut code, &ops.join(","));
    Some(verbatim(name, vec![format!("--bytecode {code}")]))
}
