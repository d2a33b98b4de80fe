//! `match` statements (relational expressions) mapped onto typed model matches.
//!
//! A relation the model types (interfaces, addresses, ports, ct state, marks, ...) becomes
//! its `MatchKind`; anything else is kept as `MatchKind::Other { module: "nft" }` with the
//! nft-like text of the whole relation.

use crate::model::TtlOp;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use crate::model::{
    icmp_type_name, AddrSpec, CtStateSet, Direction, IfacePattern, Match, MatchKind, PortRange,
    Protocol, SetKey, TcpFlags,
};

use super::text::{self, single};

/// A relational operator of libnftables-json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `in`: the implicit operator (flag tests, `ct state established`).
    In,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "==" | "eq" => Op::Eq,
            "!=" | "ne" => Op::Ne,
            "<" | "lt" => Op::Lt,
            ">" | "gt" => Op::Gt,
            "<=" | "le" => Op::Le,
            ">=" | "ge" => Op::Ge,
            "in" | "" => Op::In,
            _ => return None,
        })
    }

    /// Equality-like: `==`, `!=` or the implicit operator.
    fn is_equality(self) -> bool {
        matches!(self, Op::Eq | Op::Ne | Op::In)
    }
}

/// What a `match` statement turned into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum MatchOut {
    /// A model match.
    Match(Match),
    /// `icmp code` / `icmpv6 code`, to be merged into the rule's `icmp type` match.
    IcmpCode {
        /// ICMPv6.
        v6: bool,
        /// The code.
        code: u8,
        /// `!=`.
        negated: bool,
        /// The relation's text, used when there is nothing to merge into.
        text: String,
    },
}

/// Maps the body of a `{"match": {...}}` statement.
pub(super) fn match_stmt(body: &Value) -> Result<MatchOut, String> {
    let obj = body
        .as_object()
        .ok_or("`match` must be an object with `op`, `left` and `right`")?;
    let left = obj.get("left").ok_or("`match` without `left`")?;
    let right = obj.get("right").ok_or("`match` without `right`")?;
    let op_text = match obj.get("op") {
        None => "==",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err("`op` of `match` must be a string".into()),
    };
    let text = text::match_text(op_text, left, right);
    // nft's `!` (none of these flags: `tcp flags ! fin,syn`) is valid but not typed here:
    // the relation is kept verbatim. Any other unknown operator is an error.
    if op_text == "!" {
        return Ok(MatchOut::Match(Match::new(MatchKind::Other {
            module: "nft".into(),
            args: text,
            lossy: false,
        })));
    }
    let op = Op::parse(op_text).ok_or_else(|| format!("unknown match operator `{op_text}`"))?;
    if let Some(out) = icmp_code(op, left, right, &text) {
        return Ok(out);
    }
    let m = match typed(op, left, right) {
        Some((kind, neg)) => Match::with_negation(kind, neg),
        None => Match::with_negation(
            MatchKind::Other {
                module: "nft".into(),
                args: text,
                lossy: false,
            },
            false,
        ),
    };
    Ok(MatchOut::Match(m))
}

/// A typed match kind and its negation, when the relation has one.
fn typed(op: Op, left: &Value, right: &Value) -> Option<(MatchKind, bool)> {
    let neg = op == Op::Ne;
    // A lookup in an anonymous set is "any of" whether printed with `==` or `in`.
    let op = if op == Op::In && right.get("set").is_some() {
        Op::Eq
    } else {
        op
    };
    if let Some(set) = set_ref(right) {
        if !op.is_equality() {
            return None;
        }
        return Some((
            MatchKind::SetLookup {
                set: set.to_string(),
                keys: set_keys(left),
            },
            neg,
        ));
    }
    if let Some(kind) = comparison(op, left, right) {
        return Some(kind);
    }
    if !op.is_equality() {
        return None;
    }
    let kind = if let Some(key) = meta_key(left) {
        meta(key, op, right)?
    } else if let Some((proto, field)) = payload(left) {
        payload_match(proto, field, op, right)?
    } else if let Some(key) = ct_key(left) {
        ct(key, right)?
    } else if let Some((inner, mask)) = masked(left) {
        masked_match(inner, mask, op, right)?
    } else if let Some(body) = left.get("fib") {
        fib(body, right)?
    } else {
        return None;
    };
    Some((kind, neg))
}

/// `@name` on the right-hand side.
fn set_ref(right: &Value) -> Option<&str> {
    right.as_str().and_then(|s| s.strip_prefix('@'))
}

/// `{"meta": {"key": K}}`.
pub(super) fn meta_key(v: &Value) -> Option<&str> {
    let (head, body) = single(v)?;
    if head != "meta" {
        return None;
    }
    body.get("key")?.as_str()
}

/// `{"payload": {"protocol": P, "field": F}}` without a tunnel.
pub(super) fn payload(v: &Value) -> Option<(&str, &str)> {
    let (head, body) = single(v)?;
    if head != "payload" || body.get("tunnel").is_some() {
        return None;
    }
    Some((
        body.get("protocol")?.as_str()?,
        body.get("field")?.as_str()?,
    ))
}

/// `{"ct": {"key": K}}` without direction or family.
pub(super) fn ct_key(v: &Value) -> Option<&str> {
    let (head, body) = single(v)?;
    if head != "ct" || body.get("dir").is_some() || body.get("family").is_some() {
        return None;
    }
    body.get("key")?.as_str()
}

/// `{"&": [X, MASK]}` with a numeric mask.
fn masked(v: &Value) -> Option<(&Value, &Value)> {
    let (head, body) = single(v)?;
    if head != "&" {
        return None;
    }
    match body.as_array()?.as_slice() {
        [inner, mask] => Some((inner, mask)),
        _ => None,
    }
}

/// The packet fields of a set lookup key.
fn set_keys(left: &Value) -> Vec<SetKey> {
    let parts: Vec<&Value> = match left.get("concat").and_then(Value::as_array) {
        Some(p) => p.iter().collect(),
        None => vec![left],
    };
    parts.into_iter().map(set_key).collect()
}

fn set_key(e: &Value) -> SetKey {
    if let Some(k) = meta_key(e) {
        match k {
            "iifname" => return SetKey::IifName,
            "oifname" => return SetKey::OifName,
            "l4proto" => return SetKey::L4Proto,
            "mark" => return SetKey::Mark,
            _ => {}
        }
    }
    if let Some((p, f)) = payload(e) {
        match (p, f) {
            ("ip", "saddr") => return SetKey::Saddr,
            ("ip", "daddr") => return SetKey::Daddr,
            ("ip6", "saddr") => return SetKey::Saddr6,
            ("ip6", "daddr") => return SetKey::Daddr6,
            ("ip", "protocol") | ("ip6", "nexthdr") => return SetKey::L4Proto,
            (p @ ("tcp" | "udp" | "sctp" | "dccp" | "udplite"), f @ ("sport" | "dport")) => {
                if let Some(proto) = Protocol::parse(p) {
                    let dir = if f == "sport" {
                        Direction::Src
                    } else {
                        Direction::Dst
                    };
                    return SetKey::TransportPort { proto, dir };
                }
            }
            ("th", "sport") => return SetKey::Sport,
            ("th", "dport") => return SetKey::Dport,
            _ => {}
        }
    }
    SetKey::Other(text::expr(e))
}

/// The items of a right-hand side: a single value or the elements of an anonymous set.
fn items(right: &Value) -> Vec<&Value> {
    match right.get("set").and_then(Value::as_array) {
        Some(a) if right.as_object().is_some_and(|o| o.len() == 1) => a.iter().collect(),
        _ => vec![right],
    }
}

/// All items mapped by `f`, or `None` if any does not map (or there are none).
fn all<T>(right: &Value, f: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let v: Option<Vec<T>> = items(right).into_iter().map(f).collect();
    v.filter(|v| !v.is_empty())
}

/// An unsigned number from a JSON number or a decimal/`0x` string.
pub(super) fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            }
        }
        _ => None,
    }
}

fn u32_of(v: &Value) -> Option<u32> {
    number(v).and_then(|n| u32::try_from(n).ok())
}

fn u16_of(v: &Value) -> Option<u16> {
    number(v).and_then(|n| u16::try_from(n).ok())
}

fn u8_of(v: &Value) -> Option<u8> {
    number(v).and_then(|n| u8::try_from(n).ok())
}

fn strings(right: &Value) -> Option<Vec<String>> {
    all(right, |v| v.as_str().map(str::to_string))
}

fn meta(key: &str, op: Op, right: &Value) -> Option<MatchKind> {
    if op == Op::In && !matches!(key, "pkttype") {
        // The implicit operator on meta keys is only printed for flag types.
        return None;
    }
    Some(match key {
        "iifname" | "oifname" => MatchKind::Interface {
            dir: if key == "iifname" {
                Direction::Src
            } else {
                Direction::Dst
            },
            names: all(right, |v| v.as_str().map(IfacePattern::from_nft))?,
        },
        "l4proto" => MatchKind::Protocol {
            protos: all(right, protocol)?,
        },
        "mark" => MatchKind::Mark {
            value: single_item(right).and_then(u32_of)?,
            mask: u32::MAX,
        },
        "pkttype" => MatchKind::PktType {
            pkt_type: single_item(right)?.as_str()?.to_ascii_lowercase(),
        },
        "length" => MatchKind::Length {
            range: port_range(single_item(right)?)?,
        },
        "skuid" | "skgid" => {
            let id = match single_item(right)? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            let (uid, gid) = if key == "skuid" {
                (Some(id), None)
            } else {
                (None, Some(id))
            };
            MatchKind::Owner {
                uid,
                gid,
                socket_exists: false,
            }
        }
        _ => return None,
    })
}

/// The right-hand side when it is a single value (not an anonymous set of several).
fn single_item(right: &Value) -> Option<&Value> {
    match items(right).as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

fn protocol(v: &Value) -> Option<Protocol> {
    match v {
        Value::String(s) => Protocol::parse(s),
        Value::Number(_) => u8_of(v).map(Protocol),
        _ => None,
    }
}

fn port_range(v: &Value) -> Option<PortRange> {
    if let Some(r) = v.get("range").and_then(Value::as_array) {
        return match r.as_slice() {
            [a, b] => Some(PortRange {
                first: u16_of(a)?,
                last: u16_of(b)?,
            }),
            _ => None,
        };
    }
    u16_of(v).map(PortRange::single)
}

fn addr_spec(v: &Value, v6: bool) -> Option<AddrSpec> {
    let ip = |v: &Value| -> Option<IpAddr> {
        let a: IpAddr = v.as_str()?.parse().ok()?;
        (a.is_ipv6() == v6).then_some(a)
    };
    if let Some(p) = v.get("prefix") {
        let addr = ip(p.get("addr")?)?;
        let len = u8_of(p.get("len")?)?;
        return IpNet::new(addr, len).ok().map(AddrSpec::net);
    }
    if let Some(r) = v.get("range").and_then(Value::as_array) {
        return match r.as_slice() {
            [a, b] => Some(AddrSpec::Range {
                first: ip(a)?,
                last: ip(b)?,
            }),
            _ => None,
        };
    }
    let a = ip(v)?;
    let len = if v6 { 128 } else { 32 };
    IpNet::new(a, len).ok().map(AddrSpec::net)
}

fn payload_match(proto: &str, field: &str, op: Op, right: &Value) -> Option<MatchKind> {
    if op == Op::In && !(proto == "tcp" && field == "flags") {
        return None;
    }
    let dir = |f: &str| match f {
        "saddr" | "sport" => Some(Direction::Src),
        "daddr" | "dport" => Some(Direction::Dst),
        _ => None,
    };
    Some(match (proto, field) {
        ("ip" | "ip6", "saddr" | "daddr") => MatchKind::Address {
            dir: dir(field)?,
            addrs: all(right, |v| addr_spec(v, proto == "ip6"))?,
        },
        ("ip", "protocol") | ("ip6", "nexthdr") => MatchKind::Protocol {
            protos: all(right, protocol)?,
        },
        ("tcp" | "udp" | "sctp" | "dccp" | "udplite" | "th", "sport" | "dport") => {
            MatchKind::Port {
                dir: dir(field)?,
                proto: if proto == "th" {
                    None
                } else {
                    Protocol::parse(proto)
                },
                ports: all(right, port_range)?,
            }
        }
        ("tcp", "flags") => {
            let set = tcp_flags(single_item(right)?)?;
            if op == Op::In {
                // `tcp flags syn`: some of the flags set; typed only for a single flag.
                if set.count_ones() != 1 {
                    return None;
                }
                MatchKind::TcpFlags {
                    mask: TcpFlags(set),
                    set: TcpFlags(set),
                }
            } else {
                MatchKind::TcpFlags {
                    mask: TcpFlags(0xff),
                    set: TcpFlags(set),
                }
            }
        }
        ("icmp" | "icmpv6", "type") => {
            let v6 = proto == "icmpv6";
            MatchKind::Icmp {
                v6,
                icmp_type: Some(icmp_type(single_item(right)?, v6)?),
                code: None,
            }
        }
        ("ip", "ttl") | ("ip6", "hoplimit") => MatchKind::Ttl {
            v6: proto == "ip6",
            op: TtlOp::Eq,
            value: u8_of(single_item(right)?)?,
        },
        ("ip" | "ip6", "dscp") => MatchKind::Dscp {
            value: dscp(single_item(right)?)?,
        },
        ("ether", "saddr") => MatchKind::Mac {
            addr: single_item(right)?.as_str()?.to_ascii_lowercase(),
        },
        _ => return None,
    })
}

/// `<`, `>`, `<=`, `>=` on TTL / hop limit (the only ordered comparisons the model types).
fn comparison(op: Op, left: &Value, right: &Value) -> Option<(MatchKind, bool)> {
    // `tcp dport <= 4`: a one-sided port bound is the port range it allows.
    if let (Some((proto, dir @ ("sport" | "dport"))), Some(v)) = (payload(left), right.as_u64()) {
        let p = match proto {
            "tcp" => Some(Protocol::TCP),
            "udp" => Some(Protocol::UDP),
            "udplite" => Some(Protocol::UDPLITE),
            "sctp" => Some(Protocol::SCTP),
            "dccp" => Some(Protocol::DCCP),
            "th" => None,
            _ => return None,
        };
        let v = u16::try_from(v).ok()?;
        let (first, last) = match op {
            Op::Lt => (0, v.checked_sub(1)?),
            Op::Le => (0, v),
            Op::Gt => (v.checked_add(1)?, u16::MAX),
            Op::Ge => (v, u16::MAX),
            _ => return None,
        };
        let dir = if dir == "sport" {
            Direction::Src
        } else {
            Direction::Dst
        };
        return Some((
            MatchKind::Port {
                dir,
                proto: p,
                ports: vec![PortRange { first, last }],
            },
            false,
        ));
    }
    let (o, neg) = match op {
        Op::Lt => (TtlOp::Lt, false),
        Op::Gt => (TtlOp::Gt, false),
        Op::Le => (TtlOp::Gt, true),
        Op::Ge => (TtlOp::Lt, true),
        _ => return None,
    };
    let (proto, field) = payload(left)?;
    let v6 = match (proto, field) {
        ("ip", "ttl") => false,
        ("ip6", "hoplimit") => true,
        _ => return None,
    };
    Some((
        MatchKind::Ttl {
            v6,
            op: o,
            value: u8_of(right)?,
        },
        neg,
    ))
}

/// TCP flag bits from a name, a number, a list or an `|` of names.
fn tcp_flags(v: &Value) -> Option<u8> {
    match v {
        Value::String(s) => TcpFlags::parse_list(s).map(|f| f.0),
        Value::Number(_) => u8_of(v),
        Value::Array(a) => a.iter().try_fold(0u8, |acc, x| Some(acc | tcp_flags(x)?)),
        Value::Object(_) => {
            let items = v.get("|")?.as_array()?;
            items
                .iter()
                .try_fold(0u8, |acc, x| Some(acc | tcp_flags(x)?))
        }
        _ => None,
    }
}

fn icmp_type(v: &Value, v6: bool) -> Option<u8> {
    match v {
        Value::Number(_) => u8_of(v),
        Value::String(s) => (0..=255u8).find(|t| icmp_type_name(v6, *t) == Some(s.as_str())),
        _ => None,
    }
}

/// ICMP / ICMPv6 code names as nft prints them.
fn icmp_code_value(v: &Value, v6: bool) -> Option<u8> {
    if let Value::Number(_) = v {
        return u8_of(v);
    }
    let s = v.as_str()?;
    let table: &[(&str, u8)] = if v6 {
        &[
            ("no-route", 0),
            ("admin-prohibited", 1),
            ("addr-unreachable", 3),
            ("port-unreachable", 4),
            ("policy-fail", 5),
            ("reject-route", 6),
        ]
    } else {
        &[
            ("net-unreachable", 0),
            ("host-unreachable", 1),
            ("prot-unreachable", 2),
            ("port-unreachable", 3),
            ("frag-needed", 4),
            ("net-prohibited", 9),
            ("host-prohibited", 10),
            ("admin-prohibited", 13),
        ]
    };
    table.iter().find(|(n, _)| *n == s).map(|(_, c)| *c)
}

fn icmp_code(op: Op, left: &Value, right: &Value, text: &str) -> Option<MatchOut> {
    if !matches!(op, Op::Eq | Op::Ne) {
        return None;
    }
    let (proto, field) = payload(left)?;
    let v6 = match (proto, field) {
        ("icmp", "code") => false,
        ("icmpv6", "code") => true,
        _ => return None,
    };
    Some(MatchOut::IcmpCode {
        v6,
        code: icmp_code_value(right, v6)?,
        negated: op == Op::Ne,
        text: text.to_string(),
    })
}

fn dscp(v: &Value) -> Option<u8> {
    if let Value::Number(_) = v {
        return u8_of(v).filter(|d| *d < 64);
    }
    let s = v.as_str()?;
    let named: &[(&str, u8)] = &[
        ("cs0", 0),
        ("cs1", 8),
        ("cs2", 16),
        ("cs3", 24),
        ("cs4", 32),
        ("cs5", 40),
        ("cs6", 48),
        ("cs7", 56),
        ("af11", 10),
        ("af12", 12),
        ("af13", 14),
        ("af21", 18),
        ("af22", 20),
        ("af23", 22),
        ("af31", 26),
        ("af32", 28),
        ("af33", 30),
        ("af41", 34),
        ("af42", 36),
        ("af43", 38),
        ("va", 44),
        ("ef", 46),
        ("le", 1),
    ];
    named
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, d)| *d)
        .or_else(|| u8_of(v).filter(|d| *d < 64))
}

fn ct(key: &str, right: &Value) -> Option<MatchKind> {
    Some(match key {
        "state" => {
            let mut bits = 0u8;
            for v in items(right) {
                let names: Vec<&str> = match v {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().map(Value::as_str).collect::<Option<_>>()?,
                    // `established | related` as a binary operation.
                    Value::Object(_) => v
                        .get("|")?
                        .as_array()?
                        .iter()
                        .map(Value::as_str)
                        .collect::<Option<_>>()?,
                    _ => return None,
                };
                for n in names {
                    bits |= CtStateSet::bit(n)?;
                }
            }
            MatchKind::CtState {
                states: CtStateSet(bits),
            }
        }
        "status" => {
            let mut statuses = Vec::new();
            for v in items(right) {
                match v {
                    Value::String(s) => statuses.push(s.to_ascii_lowercase()),
                    Value::Array(a) => {
                        for x in a {
                            statuses.push(x.as_str()?.to_ascii_lowercase());
                        }
                    }
                    _ => return None,
                }
            }
            MatchKind::CtStatus { statuses }
        }
        "direction" => MatchKind::CtDirection {
            original: match single_item(right)?.as_str()? {
                "original" => true,
                "reply" => false,
                _ => return None,
            },
        },
        "mark" => MatchKind::CtMark {
            value: single_item(right).and_then(u32_of)?,
            mask: u32::MAX,
        },
        _ => return None,
    })
}

/// `meta mark & M == V`, `ct mark & M == V`, `tcp flags & (a|b) == c`.
fn masked_match(inner: &Value, mask: &Value, op: Op, right: &Value) -> Option<MatchKind> {
    if op == Op::In {
        return None;
    }
    if let Some((proto, field)) = payload(inner) {
        if (proto, field) == ("tcp", "flags") {
            return Some(MatchKind::TcpFlags {
                mask: TcpFlags(tcp_flags(mask)?),
                set: TcpFlags(tcp_flags(single_item(right)?)?),
            });
        }
        return None;
    }
    let value = single_item(right).and_then(u32_of)?;
    let mask = u32_of(mask)?;
    if meta_key(inner) == Some("mark") {
        return Some(MatchKind::Mark { value, mask });
    }
    if ct_key(inner) == Some("mark") {
        return Some(MatchKind::CtMark { value, mask });
    }
    None
}

/// `fib saddr|daddr [. iif|oif] type TYPES` -> address type.
fn fib(body: &Value, right: &Value) -> Option<MatchKind> {
    if body.get("result")?.as_str()? != "type" {
        return None;
    }
    let flags: Vec<&str> = match body.get("flags")? {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().map(Value::as_str).collect::<Option<_>>()?,
        _ => return None,
    };
    let mut dir = None;
    let mut limit_iface = None;
    for f in flags {
        match f {
            "saddr" if dir.is_none() => dir = Some(Direction::Src),
            "daddr" if dir.is_none() => dir = Some(Direction::Dst),
            "iif" if limit_iface.is_none() => limit_iface = Some(Direction::Src),
            "oif" if limit_iface.is_none() => limit_iface = Some(Direction::Dst),
            _ => return None,
        }
    }
    Some(MatchKind::AddrType {
        dir: dir?,
        types: strings(right)?
            .into_iter()
            .map(|t| t.to_ascii_uppercase())
            .collect(),
        limit_iface,
    })
}

#[cfg(test)]
mod tests;
