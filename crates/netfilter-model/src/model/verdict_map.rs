//! Verdict maps (`KEY vmap { ELEMENT : VERDICT, ... }`, `KEY vmap @name`), typed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Direction, Protocol, SetKey, Verdict};
use crate::trace::sets::split_top;

/// A verdict-map lookup: the packet's key picks an element, whose verdict the rule applies;
/// a key in no element ends the rule without a verdict.
///
/// Every reader (nft text, nft JSON, live netlink) builds it from the same nft spelling, so
/// the typed parts agree across sources; the text is kept for [`Display`](fmt::Display) and
/// round-trips. Serialized as that text (the wire form of [`Verdict::Vmap`] is unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct VerdictMap {
    /// The fields the map is keyed on, one per part of a concatenation
    /// (`ip saddr . tcp dport` is `[Saddr, TransportPort { tcp, Dst }]`). A key the model
    /// does not type is [`SetKey::Other`] with its text (`ct state`, `ip protocol`,
    /// `numgen random mod 3`).
    pub key: Vec<SetKey>,
    /// Where the elements are: a named map of the table, or written in the rule.
    pub elements: VmapElements,
    /// The whole expression as nft lists it.
    text: String,
}

/// The elements of a verdict map.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VmapElements {
    /// `vmap @name`: a named map of the rule's table.
    Named(String),
    /// `vmap { ... }`: the elements written in the rule, in listing order.
    Anonymous(Vec<VmapEntry>),
}

/// One element of an anonymous verdict map: key value(s) and verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct VmapEntry {
    /// The key values as written, one per part of the map's key (`"eth0"`, `10.0.0.0/8`,
    /// `22-25`, `established, related`, `*`). Free text by nature: each part's syntax
    /// (prefixes, ranges, wildcards, state lists) depends on the key's type.
    pub key: Vec<String>,
    /// The element's verdict; one nfdiff does not read is [`Verdict::Other`] with its text.
    pub verdict: Verdict,
    /// The element as listed (`"eth0" : jump in`).
    text: String,
}

impl VmapEntry {
    /// The element as listed, e.g. `"eth0" : jump in`.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn parse(text: &str) -> VmapEntry {
        let text = text.trim();
        let parts = split_top(text, " : ");
        let (key, verdict) = match parts.split_last() {
            Some((v, k)) if !k.is_empty() => {
                let verdict = v.trim();
                (
                    k.join(" : "),
                    parse_verdict(verdict).unwrap_or_else(|| Verdict::Other(verdict.to_string())),
                )
            }
            _ => (text.to_string(), Verdict::Other(String::new())),
        };
        VmapEntry {
            key: split_top(&key, " . ")
                .into_iter()
                .map(|k| k.trim().to_string())
                .collect(),
            verdict,
            text: text.to_string(),
        }
    }
}

impl VerdictMap {
    /// Reads nft's spelling of a verdict map, e.g. `iifname vmap { "a" : jump b }` or
    /// `ip saddr . tcp dport vmap @m`. Text that is not a verdict map is kept, with the
    /// whole text as an untyped key and no elements.
    pub fn parse(text: &str) -> VerdictMap {
        let Some((key_text, rest)) = text.split_once(" vmap ") else {
            return VerdictMap {
                key: vec![SetKey::Other(text.trim().to_string())],
                elements: VmapElements::Anonymous(Vec::new()),
                text: text.to_string(),
            };
        };
        let key = split_top(key_text.trim(), " . ")
            .into_iter()
            .map(key_part)
            .collect();
        let rest = rest.trim();
        let elements = if let Some(name) = rest.strip_prefix('@') {
            // `vmap @m accept`: the name is the first word.
            VmapElements::Named(name.split_whitespace().next().unwrap_or("").to_string())
        } else {
            let inner = braced(rest);
            VmapElements::Anonymous(
                split_top(inner, ",")
                    .into_iter()
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(VmapEntry::parse)
                    .collect(),
            )
        };
        VerdictMap {
            key,
            elements,
            text: text.to_string(),
        }
    }

    /// The expression as nft lists it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The key as written (the text before ` vmap `), e.g. `ip saddr . tcp dport`.
    pub fn key_text(&self) -> &str {
        self.text
            .split_once(" vmap ")
            .map_or(self.text.as_str(), |(k, _)| k.trim())
    }

    /// Whether the text is a verdict map at all (has a ` vmap ` keyword).
    pub(crate) fn is_well_formed(&self) -> bool {
        self.text.contains(" vmap ")
    }

    /// The anonymous entries (empty for a named map).
    pub fn entries(&self) -> &[VmapEntry] {
        match &self.elements {
            VmapElements::Anonymous(e) => e,
            VmapElements::Named(_) => &[],
        }
    }

    /// The chains the anonymous entries jump or go to, in listing order, each once.
    pub fn chain_targets(&self) -> Vec<&Verdict> {
        let mut out: Vec<&Verdict> = Vec::new();
        for e in self.entries() {
            if matches!(e.verdict, Verdict::Jump(_) | Verdict::Goto(_))
                && !out.contains(&&e.verdict)
            {
                out.push(&e.verdict);
            }
        }
        out
    }

    /// Whether the map is keyed on an interface name (`iifname`, `oifname`) in any part.
    pub fn is_keyed_on_interface(&self) -> bool {
        self.key
            .iter()
            .any(|k| matches!(k, SetKey::IifName | SetKey::OifName))
    }
}

impl fmt::Display for VerdictMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for VerdictMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for VerdictMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<VerdictMap, D::Error> {
        let text = String::deserialize(d)?;
        Ok(VerdictMap::parse(&text))
    }
}

/// The text inside the leading `{ ... }` of `s` (up to its matching brace, so a verdict
/// written after the map is not read as an element).
fn braced(s: &str) -> &str {
    let Some(body) = s.strip_prefix('{') else {
        return s.trim();
    };
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '{' if !quoted => depth += 1,
            '}' if !quoted && depth == 0 => return body[..i].trim(),
            '}' if !quoted => depth -= 1,
            _ => {}
        }
    }
    body.trim_end_matches('}').trim()
}

/// One part of a verdict-map key, typed where the model has a [`SetKey`] for it.
fn key_part(text: &str) -> SetKey {
    let words: Vec<&str> = text.split_whitespace().collect();
    let port_dir = |d: &str| {
        if d == "sport" {
            Direction::Src
        } else {
            Direction::Dst
        }
    };
    match words.as_slice() {
        ["iifname"] | ["meta", "iifname"] => SetKey::IifName,
        ["oifname"] | ["meta", "oifname"] => SetKey::OifName,
        ["ip", "saddr"] => SetKey::Saddr,
        ["ip", "daddr"] => SetKey::Daddr,
        ["ip6", "saddr"] => SetKey::Saddr6,
        ["ip6", "daddr"] => SetKey::Daddr6,
        ["th", "sport"] => SetKey::Sport,
        ["th", "dport"] => SetKey::Dport,
        [p @ ("tcp" | "udp" | "sctp" | "dccp" | "udplite"), d @ ("sport" | "dport")] => {
            match Protocol::parse(p) {
                Some(proto) => SetKey::TransportPort {
                    proto,
                    dir: port_dir(d),
                },
                None => SetKey::Other(words.join(" ")),
            }
        }
        ["meta", "mark"] | ["mark"] => SetKey::Mark,
        ["meta", "l4proto"] => SetKey::L4Proto,
        _ => SetKey::Other(words.join(" ")),
    }
}

/// Parses nft's verdict text: `accept`, `drop`, `jump x`, `goto x`, `return`, ...
pub(crate) fn parse_verdict(s: &str) -> Option<Verdict> {
    let s = s.trim();
    let mut it = s.splitn(2, ' ');
    let head = it.next()?;
    let arg = it.next().map(|a| a.trim().trim_matches('"').to_string());
    Some(match (head, arg) {
        ("accept", None) => Verdict::Accept,
        ("drop", None) => Verdict::Drop,
        ("reject", w) => Verdict::Reject { with: w },
        ("return", None) => Verdict::Return,
        ("continue", None) => Verdict::Continue,
        ("jump", Some(c)) => Verdict::Jump(c),
        ("goto", Some(c)) => Verdict::Goto(c),
        ("queue", a) => Verdict::Queue(a.unwrap_or_default()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_map_is_typed_and_keeps_its_text() {
        let text = r#"iifname vmap { "eth0" : jump in, "lo" : accept, "x*" : frob }"#;
        let m = VerdictMap::parse(text);
        assert_eq!(m.key, vec![SetKey::IifName]);
        assert_eq!(m.to_string(), text);
        assert_eq!(m.key_text(), "iifname");
        let e = m.entries();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].key, vec!["\"eth0\"".to_string()]);
        assert_eq!(e[0].verdict, Verdict::Jump("in".into()));
        assert_eq!(e[0].text(), "\"eth0\" : jump in");
        assert_eq!(e[1].verdict, Verdict::Accept);
        assert_eq!(e[2].verdict, Verdict::Other("frob".into()));
        assert!(m.is_keyed_on_interface());
    }

    #[test]
    fn concatenated_and_named_keys() {
        let m = VerdictMap::parse("ip saddr . tcp dport vmap @m");
        assert_eq!(
            m.key,
            vec![
                SetKey::Saddr,
                SetKey::TransportPort {
                    proto: Protocol::TCP,
                    dir: Direction::Dst
                }
            ]
        );
        assert_eq!(m.elements, VmapElements::Named("m".into()));
        assert!(m.entries().is_empty());
        let m = VerdictMap::parse("ip6 daddr . th sport vmap { ::1 . 53 : drop }");
        assert_eq!(m.key, vec![SetKey::Daddr6, SetKey::Sport]);
        assert_eq!(
            m.entries()[0].key,
            vec!["::1".to_string(), "53".to_string()]
        );
        let m = VerdictMap::parse("ct state vmap { established : accept, invalid : drop }");
        assert_eq!(m.key, vec![SetKey::Other("ct state".into())]);
        let m = VerdictMap::parse("numgen random mod 2 vmap { 0 : jump a, 1 : jump b }");
        assert_eq!(m.key, vec![SetKey::Other("numgen random mod 2".into())]);
        assert_eq!(m.entries()[1].verdict, Verdict::Jump("b".into()));
        let m = VerdictMap::parse(r#"iifname vmap { "a}" : drop, "b" : accept } accept"#);
        assert_eq!(m.entries().len(), 2);
        assert_eq!(m.entries()[1].text(), "\"b\" : accept");
    }

    #[test]
    fn serializes_as_its_text() {
        let v = Verdict::Vmap(VerdictMap::parse("meta mark vmap @m"));
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"{"kind":"vmap","arg":"meta mark vmap @m"}"#);
        let back: Verdict = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
        let odd = VerdictMap::parse("not a map");
        assert!(!odd.is_well_formed());
        assert_eq!(odd.to_string(), "not a map");
    }
}
