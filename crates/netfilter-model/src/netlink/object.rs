//! Named stateful object bodies (quota, limit, ct helper, ...) in nft's listing text.

use super::datatype::nft_time;
use super::elements::{byte_units, time_unit};
use super::raw::{udata_string, RawObject};
use crate::model::Protocol;

/// `NFTNL_UDATA_OBJ_COMMENT`.
const UDATA_OBJ_COMMENT: u8 = 0;

/// nft's name of an `NFPROTO_*` family (`l3proto`).
fn l3proto(n: u64) -> String {
    match n {
        1 => "inet".into(),
        2 => "ip".into(),
        3 => "arp".into(),
        7 => "bridge".into(),
        10 => "ip6".into(),
        n => n.to_string(),
    }
}

/// The object's body as the nft text parser keeps it: nft's listing lines joined by `; `
/// (comment first; counter values and quota usage left out). `None` when the type is not
/// decoded here (the caller keeps libnftnl's text).
pub(crate) fn object_body(o: &RawObject) -> Option<String> {
    let v = |a: u32| o.values.iter().find(|(k, _)| *k == a).map(|(_, x)| *x);
    let s = |a: u32| {
        o.strings
            .iter()
            .find(|(k, _)| *k == a)
            .map(|(_, x)| x.as_str())
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = udata_string(&o.userdata, UDATA_OBJ_COMMENT) {
        parts.push(format!("comment \"{c}\""));
    }
    match o.obj_type {
        // counter: values are volatile.
        1 => {}
        // quota: bytes, flags (1 = over).
        2 => {
            let (n, u) = byte_units(v(16).unwrap_or(0));
            let over = if v(18).unwrap_or(0) & 1 != 0 {
                "over "
            } else {
                ""
            };
            parts.push(format!("{over}{n} {u}"));
        }
        // ct helper: name, l3proto, l4proto.
        3 => {
            let l4 = u8::try_from(v(18).unwrap_or(0)).unwrap_or(0);
            parts.push(format!(
                "type \"{}\" protocol {}",
                s(16).unwrap_or_default(),
                Protocol(l4)
            ));
            parts.push(format!("l3proto {}", l3proto(v(17).unwrap_or(0))));
        }
        // limit: rate, unit, burst, type (1 = bytes), flags (1 = over).
        4 => {
            let (rate, unit, burst) = (v(16).unwrap_or(0), v(17).unwrap_or(1), v(18).unwrap_or(0));
            let over = if v(20).unwrap_or(0) & 1 != 0 {
                "over "
            } else {
                ""
            };
            let mut t = if v(19) == Some(1) {
                let (r, u) = byte_units(rate);
                let mut t = format!("rate {over}{r} {u}/{}", time_unit(unit));
                if burst > 0 {
                    let (b, bu) = byte_units(burst);
                    t.push_str(&format!(" burst {b} {bu}"));
                }
                t
            } else {
                format!("rate {over}{rate}/{}", time_unit(unit))
            };
            if v(19) != Some(1) && burst > 0 && burst != 5 {
                t.push_str(&format!(" burst {burst} packets"));
            }
            parts.push(t);
        }
        // secmark: context.
        8 => parts.push(format!("\"{}\"", s(16).unwrap_or_default())),
        // ct expectation: l3proto, l4proto, dport, timeout (ms), size.
        9 => {
            let l4 = u8::try_from(v(17).unwrap_or(0)).unwrap_or(0);
            parts.push(format!("protocol {}", Protocol(l4)));
            parts.push(format!("dport {}", v(18).unwrap_or(0)));
            parts.push(format!("timeout {}", nft_time(v(19).unwrap_or(0))));
            parts.push(format!("size {}", v(20).unwrap_or(0)));
            parts.push(format!("l3proto {}", l3proto(v(16).unwrap_or(0))));
        }
        // synproxy: mss, wscale, flags (1 mss, 2 wscale, 4 sack-perm, 8 timestamp).
        10 => {
            let flags = v(18).unwrap_or(0);
            if flags & 1 != 0 {
                parts.push(format!("mss {}", v(16).unwrap_or(0)));
            }
            if flags & 2 != 0 {
                parts.push(format!("wscale {}", v(17).unwrap_or(0)));
            }
            let opts: Vec<&str> = [(8, "timestamp"), (4, "sack-perm")]
                .iter()
                .filter(|(b, _)| flags & b != 0)
                .map(|(_, n)| *n)
                .collect();
            if !opts.is_empty() {
                parts.push(opts.join(" "));
            }
        }
        _ => return None,
    }
    Some(parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(obj_type: u32, values: &[(u32, u64)], strings: &[(u32, &str)]) -> RawObject {
        RawObject {
            obj_type,
            values: values.to_vec(),
            strings: strings.iter().map(|(k, s)| (*k, s.to_string())).collect(),
            ..RawObject::default()
        }
    }

    #[test]
    fn bodies_as_nft_lists_them() {
        assert_eq!(
            object_body(&obj(2, &[(16, 25 << 20), (18, 0)], &[])).as_deref(),
            Some("25 mbytes")
        );
        let mut q = obj(2, &[(16, 1200), (18, 1)], &[]);
        q.userdata = vec![0, 2, b'c', 0];
        assert_eq!(
            object_body(&q).as_deref(),
            Some("comment \"c\"; over 1200 bytes")
        );
        assert_eq!(
            object_body(&obj(3, &[(17, 2), (18, 6)], &[(16, "sip")])).as_deref(),
            Some("type \"sip\" protocol tcp; l3proto ip")
        );
        assert_eq!(
            object_body(&obj(4, &[(16, 400), (17, 3600), (18, 0), (19, 0)], &[])).as_deref(),
            Some("rate 400/hour")
        );
        assert_eq!(
            object_body(&obj(4, &[(16, 1024), (17, 1), (18, 0), (19, 1)], &[])).as_deref(),
            Some("rate 1 kbytes/second")
        );
        assert_eq!(
            object_body(&obj(
                9,
                &[(16, 2), (17, 6), (18, 9876), (19, 60_000), (20, 12)],
                &[]
            ))
            .as_deref(),
            Some("protocol tcp; dport 9876; timeout 1m; size 12; l3proto ip")
        );
        assert_eq!(
            object_body(&obj(10, &[(16, 1460), (17, 2), (18, 3)], &[])).as_deref(),
            Some("mss 1460; wscale 2")
        );
        assert_eq!(object_body(&obj(1, &[], &[])).as_deref(), Some(""));
        assert_eq!(object_body(&obj(7, &[], &[])), None);
    }
}
