//! `meta time` and `meta hour` values in the local time zone, as nft prints them.

extern "C" {
    /// POSIX `tzset`: (re)reads `TZ` (the `libc` crate does not bind it).
    fn tzset();
}

/// Seconds east of UTC of the local time zone (`TZ`) at `secs` since the epoch.
// `c_long` is `i64` on 64-bit targets only.
#[allow(clippy::useless_conversion)]
fn utc_offset(secs: i64) -> i64 {
    let t = secs as libc::time_t;
    // SAFETY: `tzset` only reads `TZ`; `localtime_r` writes the `tm` it is given and
    // nothing else, and a zeroed `tm` is a valid value of that plain C struct.
    unsafe {
        tzset();
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            0
        } else {
            i64::from(tm.tm_gmtoff)
        }
    }
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `meta time`: nanoseconds since the epoch as a quoted local date and time
/// (`"2019-06-21 17:00:00"`).
pub(super) fn time_text(ns: u64) -> String {
    let secs = i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX / 2);
    let local = secs.saturating_add(utc_offset(secs));
    let (y, m, d) = civil(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!(
        "\"{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}\"",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `meta hour`: seconds since midnight UTC as a quoted local time of day (`"17:00"`,
/// seconds only when not zero), shifted by today's offset as nft does.
pub(super) fn hour_text(secs: u32) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let s = (i64::from(secs) + utc_offset(now)).rem_euclid(86_400);
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("\"{h:02}:{m:02}\"")
    } else {
        format!("\"{h:02}:{m:02}:{sec:02}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::civil;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(142), (1970, 5, 23));
        assert_eq!(civil(18_077), (2019, 6, 30));
        assert_eq!(civil(-1), (1969, 12, 31));
    }
}
