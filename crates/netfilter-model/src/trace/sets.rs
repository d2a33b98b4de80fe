//! Interpretation of named-set and map elements (nft text such as `10.0.0.0/8`, `"cali*"`,
//! `80-90`, `a . b`, `"cali1" : jump x`) and lookups of packet keys in them.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{IfacePattern, Protocol};

use super::matching::Truth;

/// One component of an element key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Atom {
    /// A prefix (a host is a full-length prefix).
    Net(IpNet),
    /// An inclusive address range.
    Range(IpAddr, IpAddr),
    /// An inclusive number range (ports, marks, protocols).
    Num(u64, u64),
    /// An interface name or prefix (nft quoted string).
    Iface(IfacePattern),
    /// A bare word (`tcp`, an unquoted name).
    Word(String),
}

/// A packet value for one key component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyVal<'a> {
    /// An address.
    Addr(IpAddr),
    /// A number (port, mark, protocol).
    Num(u64),
    /// An interface name.
    Name(&'a str),
    /// Not known from the query, with the reason.
    Unknown(String),
}

impl Atom {
    /// Parses one key component as nft prints it.
    pub(crate) fn parse(s: &str) -> Atom {
        let s = s.trim();
        if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            return Atom::Iface(IfacePattern::from_nft(inner));
        }
        if let Ok(net) = s.parse::<IpNet>() {
            return Atom::Net(net.trunc());
        }
        if let Ok(a) = s.parse::<IpAddr>() {
            return Atom::Net(IpNet::from(a));
        }
        if let Some(n) = parse_num(s) {
            return Atom::Num(n, n);
        }
        if let Some((a, b)) = s.split_once('-') {
            if let (Ok(x), Ok(y)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) {
                return Atom::Range(x, y);
            }
            if let (Some(x), Some(y)) = (parse_num(a.trim()), parse_num(b.trim())) {
                return Atom::Num(x, y);
            }
        }
        Atom::Word(s.to_string())
    }

    /// Whether a packet value falls in this atom.
    pub(crate) fn test(&self, v: &KeyVal<'_>) -> Truth {
        match (self, v) {
            (_, KeyVal::Unknown(r)) => Truth::Maybe(r.clone()),
            (Atom::Net(n), KeyVal::Addr(a)) => Truth::from(n.contains(a)),
            (Atom::Range(x, y), KeyVal::Addr(a)) => Truth::from(x <= a && a <= y),
            (Atom::Num(x, y), KeyVal::Num(n)) => Truth::from(x <= n && n <= y),
            (Atom::Iface(p), KeyVal::Name(n)) => Truth::from(p.matches(n)),
            (Atom::Word(w), KeyVal::Name(n)) => Truth::from(w == n),
            (Atom::Word(w), KeyVal::Num(n)) => match Protocol::parse(w) {
                Some(p) if w.chars().any(|c| c.is_ascii_alphabetic()) => {
                    Truth::from(u64::from(p.0) == *n)
                }
                _ => Truth::Maybe(format!("set element `{w}` is not understood")),
            },
            (Atom::Word(w), _) => Truth::Maybe(format!("set element `{w}` is not understood")),
            _ => Truth::No,
        }
    }
}

fn parse_num(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok();
    }
    s.parse::<u64>().ok()
}

/// One element: its key (one atom per concatenated field) and, for maps, its data text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// Key components.
    pub(crate) key: Vec<Atom>,
    /// Data after ` : `, verbatim (a verdict for verdict maps).
    pub(crate) data: Option<String>,
}

impl Element {
    /// Parses `key` or `key : data`, where `key` may be a concatenation `a . b`.
    pub(crate) fn parse(s: &str) -> Element {
        let s = s.trim();
        let (key, data) = match split_data(s) {
            Some((k, d)) => (k, Some(d.trim().to_string())),
            None => (s, None),
        };
        let key = split_top(strip_options(key), " . ")
            .into_iter()
            .map(Atom::parse)
            .collect();
        Element { key, data }
    }

    /// Whether this single-number element overlaps `lo ..= hi`.
    pub(crate) fn overlaps_num(&self, lo: u64, hi: u64) -> bool {
        matches!(self.key.as_slice(), [Atom::Num(a, b)] if *a <= hi && lo <= *b)
    }

    /// Whether the packet key falls in this element.
    pub(crate) fn test(&self, key: &[KeyVal<'_>]) -> Truth {
        if key.len() != self.key.len() {
            return Truth::Maybe("set key and element have different lengths".into());
        }
        let mut acc = Truth::Yes;
        for (a, v) in self.key.iter().zip(key) {
            acc = acc.and(a.test(v));
            if acc == Truth::No {
                return Truth::No;
            }
        }
        acc
    }
}

/// Element options nft prints after the key (`counter packets 1 bytes 2`, `timeout 1h`,
/// `expires 59m`, `comment "…"`) and per-element statements (`limit rate 1/second`,
/// `quota 10 mbytes`, `last used never`, `ct count over 2`): not part of the value the
/// lookup compares.
const ELEMENT_OPTIONS: [&str; 8] = [
    "counter", "timeout", "expires", "comment", "limit", "quota", "last", "ct",
];

/// The key of an element without its options: cut at the first option word outside quotes.
fn strip_options(key: &str) -> &str {
    let bytes = key.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && quoted {
            i += 2;
            continue;
        }
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted && (i == 0 || bytes[i - 1] == b' ') {
            let rest = &key[i..];
            if ELEMENT_OPTIONS.iter().any(|o| {
                rest.strip_prefix(o)
                    .is_some_and(|r| r.is_empty() || r.starts_with(' '))
            }) {
                return key[..i].trim_end();
            }
        }
        i += 1;
    }
    key
}

/// Splits `key : data` at the first ` : ` outside quotes; a leading `: ` means an empty key.
fn split_data(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix(": ") {
        return Some(("", rest));
    }
    let parts = split_top(s, " : ");
    if parts.len() >= 2 {
        let k = parts[0];
        let d = &s[k.len() + 3..];
        return Some((k, d));
    }
    None
}

/// Splits `s` at `sep` outside double quotes and braces.
pub(crate) fn split_top<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut start = 0;
    let bytes = s.as_bytes();
    let sb = sep.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && quoted {
            i += 2;
            continue;
        }
        match c {
            b'"' => quoted = !quoted,
            b'{' if !quoted => depth += 1,
            b'}' if !quoted => depth -= 1,
            _ => {}
        }
        if !quoted && depth == 0 && bytes[i..].starts_with(sb) {
            out.push(&s[start..i]);
            i += sb.len();
            start = i;
            continue;
        }
        i += 1;
    }
    out.push(&s[start.min(s.len())..]);
    out
}

/// A set's elements, parsed once, with an index of exact interface names.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedSet {
    /// All elements in order.
    pub(crate) elements: Vec<Element>,
    /// The elements' text as written, in the same order.
    pub(crate) raw: Vec<String>,
    /// The first element that is not a value of the set's key type, and why.
    pub(crate) malformed: Option<(String, String)>,
    /// The catch-all element `*`, which holds every key no other element holds.
    catch_all: Option<usize>,
    /// Single-field elements keyed by an exact interface name: name -> element index.
    exact_names: HashMap<String, usize>,
    /// Elements not in `exact_names`, in order.
    others: Vec<usize>,
}

impl ParsedSet {
    /// Parses element strings.
    pub(crate) fn parse<'s>(elements: impl IntoIterator<Item = &'s str>) -> ParsedSet {
        let mut ps = ParsedSet::default();
        for e in elements {
            let el = Element::parse(e);
            let idx = ps.elements.len();
            match el.key.as_slice() {
                [Atom::Word(w)] if w == "*" => {
                    ps.catch_all.get_or_insert(idx);
                }
                [Atom::Iface(IfacePattern::Exact(n))] if !ps.exact_names.contains_key(n) => {
                    ps.exact_names.insert(n.clone(), idx);
                }
                _ => ps.others.push(idx),
            }
            ps.elements.push(el);
            ps.raw.push(e.trim().to_string());
        }
        ps
    }

    /// Parses the elements of a named set or map and checks them against its key type
    /// (`ipv4_addr . inet_service`, `typeof ip daddr`, ...).
    pub(crate) fn parse_typed<'s>(
        key_type: &str,
        elements: impl IntoIterator<Item = &'s str>,
    ) -> ParsedSet {
        let mut ps = ParsedSet::parse(elements);
        let types: Vec<Option<KeyType>> = split_top(
            key_type
                .trim()
                .strip_prefix("typeof ")
                .unwrap_or(key_type.trim()),
            " . ",
        )
        .into_iter()
        .map(KeyType::of)
        .collect();
        for (i, (el, raw)) in ps.elements.iter().zip(&ps.raw).enumerate() {
            if ps.catch_all == Some(i) {
                continue;
            }
            if let Some(why) = malformed(&types, el) {
                ps.malformed = Some((raw.clone(), why));
                break;
            }
        }
        ps
    }

    /// The first element the key falls in (`Yes`), or `Maybe` with the candidates that might.
    pub(crate) fn lookup(&self, key: &[KeyVal<'_>]) -> Lookup {
        let mut maybe = Vec::new();
        let mut reason = None;
        let mut best: Option<usize> = None;
        if let [KeyVal::Name(n)] = key {
            if let Some(&i) = self.exact_names.get(*n) {
                best = Some(i);
            }
        }
        for &i in &self.others {
            if best.is_some_and(|b| b < i) {
                break;
            }
            match self.elements[i].test(key) {
                Truth::Yes => {
                    best = Some(best.map_or(i, |b| b.min(i)));
                    break;
                }
                Truth::Maybe(r) => {
                    maybe.push(i);
                    reason.get_or_insert(r);
                }
                Truth::No => {}
            }
        }
        if let (Some(b), true) = (best, maybe.is_empty()) {
            return Lookup::Found(b);
        }
        match (best, reason) {
            (Some(b), Some(r)) => {
                maybe.retain(|&m| m < b);
                maybe.push(b);
                Lookup::Maybe(maybe, r)
            }
            (Some(b), None) => Lookup::Found(b),
            (None, Some(r)) => {
                // If none of the candidates holds the key, the catch-all does.
                maybe.extend(self.catch_all);
                Lookup::Maybe(maybe, r)
            }
            (None, None) => self.catch_all.map_or(Lookup::NotFound, Lookup::Found),
        }
    }

    /// Whether some single-number element holds `n` and has data `verdict_of` understands.
    pub(crate) fn has_num_element<T>(
        &self,
        n: u64,
        verdict_of: &impl Fn(usize) -> Option<T>,
    ) -> bool {
        self.elements.iter().enumerate().any(|(i, e)| {
            matches!(e.key.as_slice(), [Atom::Num(a, b)] if *a <= n && n <= *b)
                && verdict_of(i).is_some()
        })
    }

    /// Whether the key is in the set, three-valued.
    pub(crate) fn contains(&self, key: &[KeyVal<'_>]) -> Truth {
        match self.lookup(key) {
            Lookup::Found(_) => Truth::Yes,
            Lookup::NotFound => Truth::No,
            Lookup::Maybe(_, r) => Truth::Maybe(r),
        }
    }
}

/// A key component type the tracer checks elements against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    V4,
    V6,
    Port,
    Mark,
    Ifname,
}

impl KeyType {
    /// The type of a key component (`ipv4_addr`, or a `typeof` expression); `None` when the
    /// tracer does not check it.
    fn of(s: &str) -> Option<KeyType> {
        let words: Vec<&str> = s.split_whitespace().collect();
        Some(match words.as_slice() {
            ["ipv4_addr"] | ["ip", "saddr" | "daddr"] => KeyType::V4,
            ["ipv6_addr"] | ["ip6", "saddr" | "daddr"] => KeyType::V6,
            ["inet_service"]
            | ["tcp" | "udp" | "th" | "sctp" | "dccp" | "udplite", "sport" | "dport"] => {
                KeyType::Port
            }
            ["mark"] | ["meta", "mark"] => KeyType::Mark,
            ["ifname"] | ["iifname" | "oifname"] | ["meta", "iifname" | "oifname"] => {
                KeyType::Ifname
            }
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            KeyType::V4 => "an IPv4 address, prefix or range",
            KeyType::V6 => "an IPv6 address, prefix or range",
            KeyType::Port => "a port, port range or service name",
            KeyType::Mark => "a 32-bit mark or range",
            KeyType::Ifname => "an interface name",
        }
    }

    fn admits(self, a: &Atom) -> bool {
        let word = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        };
        match (self, a) {
            (KeyType::V4, Atom::Net(n)) => matches!(n, IpNet::V4(_)),
            (KeyType::V4, Atom::Range(x, y)) => x.is_ipv4() && y.is_ipv4(),
            (KeyType::V6, Atom::Net(n)) => matches!(n, IpNet::V6(_)),
            (KeyType::V6, Atom::Range(x, y)) => x.is_ipv6() && y.is_ipv6(),
            (KeyType::Port, Atom::Num(x, y)) => x <= y && *y <= 65535,
            (KeyType::Port, Atom::Word(w)) => word(w),
            (KeyType::Mark, Atom::Num(x, y)) => x <= y && *y <= u64::from(u32::MAX),
            (KeyType::Ifname, Atom::Iface(_)) => true,
            (KeyType::Ifname, Atom::Word(w)) => word(w),
            _ => false,
        }
    }
}

/// Why an element is not a value of the key `types` (`None` when it is, or when a component
/// type is not checked).
fn malformed(types: &[Option<KeyType>], el: &Element) -> Option<String> {
    if types.iter().any(Option::is_none) {
        return None;
    }
    if el.key.len() != types.len() {
        return Some(format!(
            "it has {} key field(s), the set's type has {}",
            el.key.len(),
            types.len()
        ));
    }
    for (t, a) in types.iter().flatten().zip(&el.key) {
        if !t.admits(a) {
            return Some(format!("expected {}", t.name()));
        }
    }
    None
}

/// The result of looking a key up in a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The element at this index holds the key.
    Found(usize),
    /// No element holds it.
    NotFound,
    /// Undecidable: these elements might hold it (an element found for sure is last); why.
    Maybe(Vec<usize>, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_elements() {
        let e = Element::parse("\"cali123\" : jump cali-fw-cali123");
        assert_eq!(
            e.key,
            vec![Atom::Iface(IfacePattern::Exact("cali123".into()))]
        );
        assert_eq!(e.data.as_deref(), Some("jump cali-fw-cali123"));
        let e = Element::parse("10.0.0.0/8 . 80-90");
        assert_eq!(e.key[1], Atom::Num(80, 90));
        assert!(matches!(e.key[0], Atom::Net(_)));
        let e = Element::parse("fe80::1 : drop");
        assert!(matches!(e.key[0], Atom::Net(_)));
        assert_eq!(e.data.as_deref(), Some("drop"));
        // Options are not part of the value; a quoted ` : ` is not the data separator.
        let e =
            Element::parse(r#"10.0.0.1 counter packets 0 bytes 0 comment "pod : one" : accept"#);
        assert_eq!(e.key, vec![Atom::parse("10.0.0.1")]);
        assert_eq!(e.data.as_deref(), Some("accept"));
        let e = Element::parse(r#"10.0.0.2 timeout 1h expires 59m comment "x""#);
        assert_eq!(e.key, vec![Atom::parse("10.0.0.2")]);
        let e = Element::parse(r#""counter" comment "an interface named counter""#);
        assert_eq!(
            e.key,
            vec![Atom::Iface(IfacePattern::Exact("counter".into()))]
        );
        assert!(matches!(
            Atom::parse("10.0.0.1-10.0.0.9"),
            Atom::Range(_, _)
        ));
        assert_eq!(
            Atom::parse("\"cali*\""),
            Atom::Iface(IfacePattern::Prefix("cali".into()))
        );
    }

    #[test]
    fn looks_up_keys() {
        let s = ParsedSet::parse(["\"cali1\" : accept", "\"cali*\" : drop", "\"eth0\" : drop"]);
        assert_eq!(s.lookup(&[KeyVal::Name("cali1")]), Lookup::Found(0));
        assert_eq!(s.lookup(&[KeyVal::Name("cali9")]), Lookup::Found(1));
        assert_eq!(s.lookup(&[KeyVal::Name("eth0")]), Lookup::Found(2));
        assert_eq!(s.lookup(&[KeyVal::Name("lo")]), Lookup::NotFound);
        // Elements are checked against the set's type.
        let ok = ParsedSet::parse_typed(
            "ipv4_addr . inet_service",
            [r#"10.0.0.1 . 80 counter packets 1 bytes 2 comment "web""#],
        );
        assert_eq!(ok.malformed, None);
        let bad = ParsedSet::parse_typed("ipv4_addr", ["10.0.0.1", "10.0.0.300"]);
        assert_eq!(
            bad.malformed,
            Some((
                "10.0.0.300".to_string(),
                "expected an IPv4 address, prefix or range".to_string()
            ))
        );
        let typeof_bad = ParsedSet::parse_typed("typeof ip daddr . tcp dport", ["10.0.0.1"]);
        assert!(typeof_bad.malformed.is_some());
        assert_eq!(
            ParsedSet::parse_typed("ether_addr", ["whatever"]).malformed,
            None
        );
        let p = ParsedSet::parse(["10.0.0.0/8 . 80", "192.168.1.1 . 443"]);
        let a: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(p.contains(&[KeyVal::Addr(a), KeyVal::Num(80)]), Truth::Yes);
        assert_eq!(p.contains(&[KeyVal::Addr(a), KeyVal::Num(81)]), Truth::No);
        assert!(matches!(
            p.contains(&[KeyVal::Addr(a), KeyVal::Unknown("no port".into())]),
            Truth::Maybe(_)
        ));
    }
}
