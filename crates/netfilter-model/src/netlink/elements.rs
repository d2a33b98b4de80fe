//! Named set and map elements as nft lists them: keys, ranges, catch-all, statements, comments.

use super::datatype::{
    format_value, host_order_type, nft_time, split_concat, type_size, verdict_text,
};
use super::delinearize::addr_text;
use super::expr::Expr;
use super::raw::{udata_string, udata_u32, RawElem, RawSet};
use super::settypeof::{typeof_layout, TypeofField, UDATA_SET_KEY_TYPEOF};

/// `NFT_SET_INTERVAL`.
const SET_INTERVAL: u32 = 0x4;
/// `NFT_SET_MAP`.
const SET_MAP: u32 = 0x8;
/// `NFT_SET_OBJECT`.
const SET_OBJECT: u32 = 0x40;
/// `NFT_SET_ELEM_INTERVAL_END`.
const ELEM_INTERVAL_END: u32 = 0x1;
/// `NFT_SET_ELEM_CATCHALL`.
const ELEM_CATCHALL: u32 = 0x2;
/// `NFTNL_UDATA_SET_KEYBYTEORDER`.
const UDATA_SET_KEYBYTEORDER: u8 = 0;
/// `NFTNL_UDATA_SET_DATA_INTERVAL`.
const UDATA_SET_DATA_INTERVAL: u8 = 6;
/// `BYTEORDER_HOST_ENDIAN` of nft.
const BYTEORDER_HOST: u32 = 1;
/// `NFTNL_UDATA_SET_ELEM_COMMENT`.
const UDATA_ELEM_COMMENT: u8 = 0;

/// One element of a set as an inclusive key range, with the element holding its data.
struct Span<'a> {
    first: Vec<u8>,
    last: Vec<u8>,
    elem: &'a RawElem,
}

/// Big-endian decrement (the inclusive end before an interval end key).
fn be_dec(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    for x in v.iter_mut().rev() {
        let (r, borrow) = x.overflowing_sub(1);
        *x = r;
        if !borrow {
            break;
        }
    }
    v
}

/// Elements as inclusive key ranges: interval start/end pairs decoded, concatenated ranges
/// (`key`..`key_end`) kept, catch-all elements left out.
fn spans(set: &RawSet) -> Vec<Span<'_>> {
    let elems: Vec<&RawElem> = set
        .elems
        .iter()
        .filter(|e| e.flags & ELEM_CATCHALL == 0)
        .collect();
    let paired = set.flags & SET_INTERVAL != 0 && !elems.iter().any(|e| e.key_end.is_some());
    if !paired {
        return elems
            .into_iter()
            .filter(|e| e.flags & ELEM_INTERVAL_END == 0)
            .map(|e| Span {
                first: e.key.clone(),
                last: e.key_end.clone().unwrap_or_else(|| e.key.clone()),
                elem: e,
            })
            .collect();
    }
    let mut sorted = elems;
    sorted.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then((b.flags & ELEM_INTERVAL_END).cmp(&(a.flags & ELEM_INTERVAL_END)))
    });
    // A range ends before the next key: an end element, or the start of the next range
    // (nft leaves out the end of a range that another one follows directly).
    let mut out = Vec::new();
    for (i, e) in sorted.iter().enumerate() {
        if e.flags & ELEM_INTERVAL_END != 0 {
            continue;
        }
        let last = match sorted.get(i + 1) {
            Some(next) => be_dec(&next.key),
            None => vec![0xff; e.key.len()],
        };
        out.push(Span {
            first: e.key.clone(),
            last,
            elem: e,
        });
    }
    out
}

/// How the key of a set is laid out and spelled.
struct KeyShape {
    /// Component datatypes (one unless concatenated).
    types: Vec<u32>,
    /// Whether host-order values are stored big-endian (interval sets) and must be turned back.
    swap_host: bool,
    /// Whether the key's byte order is host order although its datatype is not (typeof).
    host_integer: bool,
    /// Per field of a `typeof` key, its size and spelling (empty without `typeof`).
    layout: Vec<TypeofField>,
}

impl KeyShape {
    fn of(set: &RawSet) -> KeyShape {
        let host = udata_u32(&set.userdata, UDATA_SET_KEYBYTEORDER) == Some(BYTEORDER_HOST);
        let types = split_concat(set.key_type, set.key_len);
        let layout = typeof_layout(&set.userdata, UDATA_SET_KEY_TYPEOF)
            .filter(|l| l.len() == types.len())
            .unwrap_or_default();
        KeyShape {
            swap_host: set.flags & SET_INTERVAL != 0,
            host_integer: host && types.len() == 1 && !host_order_type(set.key_type),
            types,
            layout,
        }
    }

    /// The `typeof` layout of field `i` when it is an integer of known size.
    fn int_layout(&self, i: usize, ty: u32) -> Option<TypeofField> {
        self.layout
            .get(i)
            .copied()
            .filter(|l| ty == 4 && l.bytes.is_some())
    }

    /// Bytes field `i` of datatype `ty` takes in a key.
    fn size(&self, i: usize, ty: u32) -> usize {
        self.int_layout(i, ty)
            .and_then(|l| l.bytes)
            .or_else(|| type_size(ty))
            .unwrap_or(4)
    }

    /// One field's value in nft's spelling.
    fn value(&self, i: usize, ty: u32, b: &[u8]) -> String {
        if let Some(l) = self.int_layout(i, ty) {
            // A `typeof` integer field (`vlan id`, `udp length`) in decimal, a raw payload
            // (`@nh,32,32`) in hex without leading zeros, as nft prints them.
            let b = l.bytes.and_then(|n| b.get(..n)).unwrap_or(b);
            if l.host && !self.swap_host && cfg!(target_endian = "little") {
                let mut v = b.to_vec();
                v.reverse();
                return integer_text(&v);
            }
            return if l.raw { raw_hex(b) } else { integer_text(b) };
        }
        if self.host_integer && ty == 4 {
            let mut v = b.to_vec();
            if !self.swap_host {
                v.reverse();
            }
            return integer_text(&v);
        }
        if self.swap_host && host_order_type(ty) && cfg!(target_endian = "little") {
            let mut v = b.to_vec();
            v.reverse();
            return format_value(ty, &v);
        }
        format_value(ty, b)
    }

    /// One field's range in nft's spelling: a value, an address prefix or range, or `a-b`.
    fn range(&self, i: usize, ty: u32, first: &[u8], last: &[u8]) -> String {
        if first == last {
            self.value(i, ty, first)
        } else if let (true, Some(p)) = (matches!(ty, 5 | 41), wildcard_prefix(first, last)) {
            format!("\"{}*\"", String::from_utf8_lossy(p))
        } else if matches!(ty, 7 | 8) {
            addr_text(first, last, ty == 8)
        } else if let (true, [a], [b]) = (matches!(ty, 12 | 14 | 29 | 31), first, last) {
            // nft prints the bounds of a range numerically (`10-20`, not `10-hmp`).
            format!("{a}-{b}")
        } else {
            format!("{}-{}", self.value(i, ty, first), self.value(i, ty, last))
        }
    }

    /// A key range, field by field for concatenations (each field padded to 4 bytes).
    fn text(&self, first: &[u8], last: &[u8]) -> String {
        if self.types.len() <= 1 {
            let ty = self.types.first().copied().unwrap_or(4);
            return self.range(0, ty, first, last);
        }
        let mut out = Vec::new();
        let mut off = 0usize;
        for (i, &t) in self.types.iter().enumerate() {
            let size = self.size(i, t);
            let slice = |b: &[u8]| {
                let end = (off + size).min(b.len());
                b.get(off..end).unwrap_or_default().to_vec()
            };
            out.push(self.range(i, t, &slice(first), &slice(last)));
            off += size.div_ceil(4) * 4;
        }
        out.join(" . ")
    }
}

/// The common prefix of a string range that covers every string starting with it (`eth*`:
/// `eth\0\0..` to `eth\xff\xff..`), if it is one.
pub(crate) fn wildcard_prefix<'a>(first: &'a [u8], last: &[u8]) -> Option<&'a [u8]> {
    let n = first.iter().zip(last).take_while(|(a, b)| a == b).count();
    let rest_ok =
        first.get(n..)?.iter().all(|b| *b == 0) && last.get(n..)?.iter().all(|b| *b == 0xff);
    (rest_ok && n > 0 && first.len() == last.len()).then(|| &first[..n])
}

/// A big-endian integer in hex without leading zeros (`0x14`), as nft prints raw payloads.
fn raw_hex(b: &[u8]) -> String {
    let digits: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let digits = digits.trim_start_matches('0');
    format!("0x{}", if digits.is_empty() { "0" } else { digits })
}

/// A big-endian integer in decimal (up to 16 bytes), else hex.
fn integer_text(b: &[u8]) -> String {
    if b.len() > 16 {
        return super::datatype::hex(b);
    }
    let mut v: u128 = 0;
    for x in b {
        v = (v << 8) | u128::from(*x);
    }
    v.to_string()
}

/// Byte units as nft prints quotas and byte rates: the largest of bytes, kbytes, mbytes that
/// divides the value.
pub(crate) fn byte_units(n: u64) -> (u64, &'static str) {
    let mut v = n;
    let mut unit = "bytes";
    for u in ["kbytes", "mbytes"] {
        if v != 0 && v.is_multiple_of(1024) {
            v /= 1024;
            unit = u;
        } else {
            break;
        }
    }
    (v, unit)
}

/// nft's name of a rate unit in seconds.
pub(crate) fn time_unit(secs: u64) -> String {
    match secs {
        1 => "second".into(),
        60 => "minute".into(),
        3600 => "hour".into(),
        86400 => "day".into(),
        604800 => "week".into(),
        n => format!("{n}s"),
    }
}

/// A stateful statement attached to a set or element, as nft prints it (values of counters
/// and quota usage left out, as the text parser leaves them out).
pub(crate) fn stateful_text(e: &Expr) -> Option<String> {
    Some(match e {
        Expr::Counter { .. } => "counter".into(),
        Expr::Limit {
            rate,
            unit,
            burst,
            kind,
            flags,
        } => {
            let over = if flags & 1 != 0 { "over " } else { "" };
            if *kind == 1 {
                let (r, u) = byte_units(*rate);
                let mut s = format!("limit rate {over}{r} {u}/{}", time_unit(*unit));
                if *burst > 0 {
                    let (b, bu) = byte_units(u64::from(*burst));
                    s.push_str(&format!(" burst {b} {bu}"));
                }
                s
            } else {
                format!(
                    "limit rate {over}{rate}/{} burst {burst} packets",
                    time_unit(*unit)
                )
            }
        }
        Expr::Quota { bytes, flags } => {
            let (b, u) = byte_units(*bytes);
            let over = if flags & 1 != 0 { "over " } else { "" };
            format!("quota {over}{b} {u}")
        }
        Expr::Unknown { name, raw } if name == "connlimit" => {
            let words: Vec<&str> = raw.split_whitespace().collect();
            let field = |k: &str| {
                words
                    .iter()
                    .position(|w| *w == k)
                    .and_then(|i| words.get(i + 1))
                    .copied()
            };
            let count = field("count")?;
            let inv = field("flags")
                .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
                .is_some_and(|f| f & 1 != 0);
            format!("ct count {}{count}", if inv { "over " } else { "" })
        }
        Expr::Unknown { name, .. } if name == "last" => "last".into(),
        _ => return None,
    })
}

/// The data side of a map element as nft prints it.
fn data_text(set: &RawSet, e: &RawElem) -> String {
    if let Some((code, chain)) = &e.verdict {
        return verdict_text(*code, chain.as_deref());
    }
    if let Some(o) = &e.objref {
        return format!("\"{o}\"");
    }
    let (Some(d), Some(t)) = (&e.data, set.data_type) else {
        return e
            .data
            .as_deref()
            .map(super::datatype::hex)
            .unwrap_or_default();
    };
    let types = split_concat(t, set.data_len);
    let shape = KeyShape {
        types,
        swap_host: false,
        host_integer: false,
        layout: Vec::new(),
    };
    if data_is_interval(set) {
        // The first value of the range, then the last, each laid out like a key.
        let half = d.len() / 2;
        return shape.text(&d[..half], &d[half..]);
    }
    shape.text(d, d)
}

/// Whether the map's data is an interval (`type ... : interval ...`).
pub(crate) fn data_is_interval(set: &RawSet) -> bool {
    udata_u32(&set.userdata, UDATA_SET_DATA_INTERVAL).is_some_and(|v| v != 0)
}

/// Statements, comment of an element, after its key (` counter comment "x"`).
fn elem_suffix(e: &RawElem, set_timeout: Option<u64>) -> String {
    let mut s = String::new();
    for x in &e.exprs {
        if let Some(t) = stateful_text(x) {
            s.push(' ');
            s.push_str(&t);
        }
    }
    if let Some(t) = e.timeout.filter(|t| Some(*t) != set_timeout && *t != 0) {
        s.push_str(&format!(" timeout {}", nft_time(t)));
    }
    if let Some(c) = udata_string(&e.userdata, UDATA_ELEM_COMMENT) {
        s.push_str(&format!(" comment \"{c}\""));
    }
    s
}

/// nft-like element strings of a named set or map.
pub(crate) fn set_elements(set: &RawSet) -> Vec<String> {
    elements_with(set, &KeyShape::of(set))
}

fn elements_with(set: &RawSet, shape: &KeyShape) -> Vec<String> {
    let is_map = set.flags & (SET_MAP | SET_OBJECT) != 0;
    let mut out: Vec<String> = Vec::new();
    let catchall = set.elems.iter().filter(|e| e.flags & ELEM_CATCHALL != 0);
    let spans = spans(set);
    let items = spans
        .iter()
        .map(|s| (shape.text(&s.first, &s.last), s.elem))
        .chain(catchall.map(|e| ("*".to_string(), e)));
    for (key, e) in items {
        let mut t = format!("{key}{}", elem_suffix(e, set.timeout));
        if is_map {
            t = format!("{t} : {}", data_text(set, e));
        }
        out.push(t);
    }
    out
}

/// The data of element `e` of an anonymous map of a rule, whose data is of datatype
/// `data_type` (interval data shown as a range when its size says so).
pub(crate) fn anonymous_data_text(data_type: u32, elems: &[RawElem], e: &RawElem) -> String {
    let mut set = RawSet {
        flags: SET_MAP,
        data_type: Some(data_type),
        ..RawSet::default()
    };
    let one: Option<usize> = split_concat(data_type, 0)
        .iter()
        .map(|x| type_size(*x).map(|s| s.div_ceil(4) * 4))
        .sum();
    let len = elems.iter().find_map(|e| e.data.as_ref().map(Vec::len));
    if one.is_some_and(|one| len == Some(2 * one)) {
        set.userdata = vec![UDATA_SET_DATA_INTERVAL, 4];
        set.userdata.extend_from_slice(&1u32.to_ne_bytes());
    }
    data_text(&set, e)
}

/// Stateful statements every element of the set gets, one string each.
pub(crate) fn set_statements(set: &RawSet) -> Vec<String> {
    set.exprs.iter().filter_map(stateful_text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elem(key: &[u8]) -> RawElem {
        RawElem {
            key: key.to_vec(),
            ..RawElem::default()
        }
    }

    fn end(key: &[u8]) -> RawElem {
        RawElem {
            key: key.to_vec(),
            flags: ELEM_INTERVAL_END,
            ..RawElem::default()
        }
    }

    #[test]
    fn interval_map_keys_are_prefixes_and_ranges() {
        let mut a = elem(&[10, 1, 1, 0]);
        a.data = Some(vec![10, 0, 1, 1]);
        let mut b = elem(&[10, 2, 0, 1]);
        b.data = Some(vec![10, 0, 2, 1]);
        let set = RawSet {
            flags: SET_INTERVAL | SET_MAP,
            key_type: 7,
            key_len: 4,
            data_type: Some(7),
            data_len: 4,
            elems: vec![end(&[0; 4]), a, end(&[10, 1, 2, 0]), b, end(&[10, 2, 0, 9])],
            ..RawSet::default()
        };
        assert_eq!(
            set_elements(&set),
            ["10.1.1.0/24 : 10.0.1.1", "10.2.0.1-10.2.0.8 : 10.0.2.1"]
        );
    }

    #[test]
    fn adjacent_ranges_share_a_boundary() {
        // `0-7 : a, 8-15 : b`: nft stores no end element at 8.
        let mut a = elem(&[0, 0, 0, 0]);
        a.data = Some(vec![10, 0, 1, 1]);
        let mut b = elem(&[0, 0, 0, 8]);
        b.data = Some(vec![10, 0, 1, 2]);
        let set = RawSet {
            flags: SET_INTERVAL | SET_MAP,
            key_type: 4,
            key_len: 4,
            data_type: Some(7),
            data_len: 4,
            elems: vec![a, b, end(&[0, 0, 0, 16])],
            ..RawSet::default()
        };
        assert_eq!(
            set_elements(&set),
            [
                "0x00000000-0x00000007 : 10.0.1.1",
                "0x00000008-0x0000000f : 10.0.1.2"
            ]
        );
    }

    #[test]
    fn typeof_integers_and_protocol_ranges_print_like_nft() {
        // `typeof vlan id`: a 12-bit field in two bytes, in decimal.
        let vlan_id = [
            3, 26, 0, 4, 7, 0, 0, 0, 1, 18, 0, 4, 16, 0, 0, 0, 1, 4, 4, 0, 0, 0, 4, 4, 12, 0, 0, 0,
        ];
        let set = RawSet {
            key_type: 4,
            key_len: 2,
            userdata: vlan_id.to_vec(),
            elems: vec![elem(&[0, 1])],
            ..RawSet::default()
        };
        assert_eq!(set_elements(&set), ["1"]);
        // `typeof udp length . @nh,32,32`: two bytes of length padded to four, then a raw
        // payload in hex without leading zeros.
        let concat = [
            3, 76, 0, 4, 13, 0, 0, 0, 1, 68, 0, 26, 0, 4, 7, 0, 0, 0, 1, 18, 0, 4, 6, 0, 0, 0, 1,
            4, 3, 0, 0, 0, 4, 4, 16, 0, 0, 0, 1, 38, 0, 4, 7, 0, 0, 0, 1, 30, 0, 4, 0, 0, 0, 0, 1,
            4, 0, 0, 0, 0, 2, 4, 2, 0, 0, 0, 3, 4, 32, 0, 0, 0, 4, 4, 32, 0, 0, 0,
        ];
        let set = RawSet {
            key_type: (4 << 6) | 4,
            key_len: 8,
            userdata: concat.to_vec(),
            elems: vec![elem(&[0, 20, 0, 0, 0, 0, 0, 0x24])],
            ..RawSet::default()
        };
        assert_eq!(set_elements(&set), ["20 . 0x24"]);
        // `type inet_proto; flags interval`: range bounds are numbers (`10-20`, not `10-hmp`).
        let set = RawSet {
            flags: SET_INTERVAL,
            key_type: 12,
            key_len: 1,
            elems: vec![end(&[0]), elem(&[10]), end(&[21]), elem(&[6]), end(&[7])],
            ..RawSet::default()
        };
        assert_eq!(set_elements(&set), ["tcp", "10-20"]);
    }

    #[test]
    fn catch_all_comments_and_statements() {
        let mut c = elem(&[]);
        c.flags = ELEM_CATCHALL;
        c.exprs = vec![Expr::Counter {
            packets: 3,
            bytes: 4,
        }];
        let mut x = elem(&[1, 1, 1, 1]);
        x.userdata = vec![0, 5, b't', b'e', b's', b't', 0];
        x.exprs = vec![
            Expr::Limit {
                rate: 1,
                unit: 1,
                burst: 5,
                kind: 0,
                flags: 0,
            },
            Expr::Counter {
                packets: 0,
                bytes: 0,
            },
        ];
        let set = RawSet {
            key_type: 7,
            key_len: 4,
            elems: vec![x, c],
            exprs: vec![
                Expr::Counter {
                    packets: 0,
                    bytes: 0,
                },
                Expr::Unknown {
                    name: "connlimit".into(),
                    raw: "count 20 flags 1 ".into(),
                },
                Expr::Quota {
                    bytes: 25 << 20,
                    flags: 0,
                },
            ],
            ..RawSet::default()
        };
        assert_eq!(
            set_elements(&set),
            [
                "1.1.1.1 limit rate 1/second burst 5 packets counter comment \"test\"",
                "* counter"
            ]
        );
        assert_eq!(
            set_statements(&set),
            ["counter", "ct count over 20", "quota 25 mbytes"]
        );
    }

    #[test]
    fn concatenated_ranges_per_field() {
        let mut key = vec![10, 1, 0, 0, 0, 1, 0, 0];
        let mut key_end = vec![10, 1, 255, 255, 4, 0, 0, 0];
        let e = RawElem {
            key: key.clone(),
            key_end: Some(key_end.clone()),
            ..RawElem::default()
        };
        let mut set = RawSet {
            flags: SET_INTERVAL | 0x80,
            key_type: (7 << 6) | 13,
            key_len: 8,
            elems: vec![e],
            ..RawSet::default()
        };
        assert_eq!(set_elements(&set), ["10.1.0.0/16 . 1-1024"]);
        key[4..6].copy_from_slice(&[0, 80]);
        key_end[..4].copy_from_slice(&[10, 1, 0, 0]);
        key_end[4..6].copy_from_slice(&[0, 80]);
        set.elems[0].key = key;
        set.elems[0].key_end = Some(key_end);
        assert_eq!(set_elements(&set), ["10.1.0.0 . 80"]);
    }

    #[test]
    fn host_order_keys_of_interval_sets_and_typeof_integers() {
        // `type mark; flags interval`: nft stores the keys big-endian.
        let set = RawSet {
            flags: SET_INTERVAL,
            key_type: 19,
            key_len: 4,
            elems: vec![
                end(&[0; 4]),
                elem(&[0, 0, 0x13, 0x37]),
                end(&[0, 0, 0x13, 0x38]),
            ],
            ..RawSet::default()
        };
        assert_eq!(set_elements(&set), ["0x00001337"]);
        // `typeof ct bytes` (host-order integer), interval map with classid data.
        let mut a = elem(&[0, 0, 0, 0, 0, 0x1f, 0x40, 0x01]);
        a.data = Some(0x0001_0002u32.to_ne_bytes().to_vec());
        let set = RawSet {
            flags: SET_INTERVAL | SET_MAP,
            key_type: 4,
            key_len: 8,
            data_type: Some(23),
            data_len: 4,
            userdata: vec![0, 4, 1, 0, 0, 0],
            elems: vec![end(&[0; 8]), a, end(&[0, 0, 0, 0, 0, 0x3d, 0x09, 0x01])],
            ..RawSet::default()
        };
        assert_eq!(set_elements(&set), ["2048001-4000000 : 1:2"]);
    }

    #[test]
    fn interval_data_of_nat_maps() {
        let mut d = vec![10, 141, 10, 1, 0x22, 0xb8, 0, 0];
        d.extend_from_slice(&[10, 141, 10, 3, 0x23, 0x27, 0, 0]);
        let mut a = elem(&[192, 168, 1, 2]);
        a.data = Some(d);
        let set = RawSet {
            flags: SET_MAP,
            key_type: 7,
            key_len: 4,
            data_type: Some((7 << 6) | 13),
            data_len: 16,
            userdata: vec![UDATA_SET_DATA_INTERVAL, 4, 1, 0, 0, 0],
            elems: vec![a],
            ..RawSet::default()
        };
        assert_eq!(
            set_elements(&set),
            ["192.168.1.2 : 10.141.10.1-10.141.10.3 . 8888-8999"]
        );
    }
}
