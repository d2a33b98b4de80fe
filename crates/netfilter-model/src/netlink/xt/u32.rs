//! Raw packet words: the `u32` match (locations, shifts and value ranges).

use super::*;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[("u32", match_u32)];

fn match_u32(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    if rev != 0 {
        return None;
    }
    // `struct xt_u32`: tests[11] (180 bytes each: location[11] {number, nextop}, value[11]
    // {min, max}, nnums, nvalues), ntests, invert.
    const TEST: usize = 180;
    let (ntests, invert) = (u8_at(b, 11 * TEST)?, u8_at(b, 11 * TEST + 1)?);
    let mut s = String::new();
    for t in 0..usize::from(ntests).min(11) {
        let base = t * TEST;
        if t > 0 {
            s.push_str("&&");
        }
        let (nnums, nvalues) = (u8_at(b, base + 176)?, u8_at(b, base + 177)?);
        for i in 0..usize::from(nnums).min(11) {
            let o = base + 8 * i;
            if i > 0 {
                s.push_str(match u8_at(b, o + 4)? {
                    0 => "&",
                    1 => "<<",
                    2 => ">>",
                    3 => "@",
                    _ => return None,
                });
            }
            s.push_str(&format!("0x{:x}", u32_at(b, o)?));
        }
        s.push('=');
        for i in 0..usize::from(nvalues).min(11) {
            let o = base + 88 + 8 * i;
            if i > 0 {
                s.push(',');
            }
            let (lo, hi) = (u32_at(b, o)?, u32_at(b, o + 4)?);
            if lo == hi {
                s.push_str(&format!("0x{lo:x}"));
            } else {
                s.push_str(&format!("0x{lo:x}:0x{hi:x}"));
            }
        }
    }
    Some(verbatim(
        name,
        vec![format!("{}--u32 {s}", bang(invert != 0))],
    ))
}
