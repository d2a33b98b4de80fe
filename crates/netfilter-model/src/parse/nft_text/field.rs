//! The packet fields an nft rule expression reads (`ip saddr`, `ct original ip daddr`, `meta l4proto`) and the set-lookup
//! key each stands for.

use crate::model::{Direction, Protocol, SetKey};

use super::lexer::{TokKind, Token};
use super::values::parse_u32;

/// A packet field an expression reads, typed where the model has a match for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// `iifname` / `oifname`.
    IfName(Direction),
    /// `ip saddr`, `ip6 daddr`.
    Addr { dir: Direction, v6: bool },
    /// `meta l4proto`, `ip protocol`, `ip6 nexthdr`.
    Proto,
    /// `tcp dport`, `th sport`.
    Port {
        proto: Option<Protocol>,
        dir: Direction,
    },
    /// `tcp flags`.
    TcpFlags,
    /// `icmp type`, `icmpv6 type`.
    IcmpType { v6: bool },
    /// `icmp code`, `icmpv6 code`.
    IcmpCode { v6: bool },
    /// `ct state`.
    CtState,
    /// `ct status`.
    CtStatus,
    /// `ct direction`.
    CtDirection,
    /// `meta mark` / `mark`.
    Mark,
    /// `ct mark`.
    CtMark,
    /// `meta pkttype`.
    PktType,
    /// `meta length`.
    Length,
    /// `ip ttl` / `ip6 hoplimit`.
    Ttl { v6: bool },
    /// `ip dscp`.
    Dscp,
    /// `ether saddr`.
    EtherSaddr,
    /// `meta skuid`.
    Skuid,
    /// `ip frag-off`.
    FragOff,
    /// `meta random`.
    Random,
    /// `meta skgid`.
    Skgid,
    /// `fib saddr|daddr [. iif|oif] type`.
    FibType {
        dir: Direction,
        limit: Option<Direction>,
    },
    /// `numgen random|inc mod N [offset M]`.
    Numgen {
        mode: String,
        modulus: u32,
        offset: bool,
    },
    /// A field the model does not type (`ip id`, `meta nfproto`, `vlan id`).
    Generic,
}

/// Words after which a rule continues with a statement or verdict rather than a match.
pub(crate) const STMT_HEADS: &[&str] = &[
    "counter",
    "log",
    "notrack",
    "dnat",
    "snat",
    "masquerade",
    "redirect",
    "reject",
    "queue",
    "accept",
    "drop",
    "return",
    "jump",
    "goto",
    "continue",
    "comment",
    "limit",
    "quota",
    "xt",
    "add",
    "update",
    "delete",
    "tproxy",
    "dup",
    "fwd",
    "synproxy",
    "flow",
    "meter",
    "last",
    "nat",
    "reset",
];

const PAYLOAD_HEADS: &[&str] = &[
    "ip", "ip6", "tcp", "udp", "udplite", "sctp", "dccp", "th", "ether", "vlan", "arp", "icmp",
    "icmpv6", "igmp", "ah", "esp", "comp", "gre", "geneve", "vxlan", "gretap", "hbh", "frag", "rt",
    "rt0", "rt2", "srh", "mh", "dst", "socket", "osf", "ipsec", "cgroupv2", "tunnel",
];

const BARE_META: &[&str] = &[
    "iif",
    "oif",
    "iifname",
    "oifname",
    "iifgroup",
    "oifgroup",
    "mark",
    "pkttype",
    "skuid",
    "skgid",
    "iiftype",
    "oiftype",
    "nftrace",
    "rtclassid",
    "cgroup",
    "ibrname",
    "obrname",
];

pub(super) fn word<'a>(toks: &[Token<'a>], i: usize) -> Option<&'a str> {
    toks.get(i)
        .filter(|t| t.kind == TokKind::Word)
        .map(|t| t.text)
}

fn meta_field(key: &str) -> Field {
    match key {
        "iifname" => Field::IfName(Direction::Src),
        "oifname" => Field::IfName(Direction::Dst),
        "l4proto" => Field::Proto,
        "mark" => Field::Mark,
        "pkttype" => Field::PktType,
        "length" => Field::Length,
        "skuid" => Field::Skuid,
        "skgid" => Field::Skgid,
        "random" => Field::Random,
        _ => Field::Generic,
    }
}

fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads one field at `i`: what it is and how many tokens it takes.
pub(crate) fn parse_field(toks: &[Token<'_>], i: usize) -> Option<(Field, usize)> {
    let head = word(toks, i)?;
    let next = word(toks, i + 1);
    if BARE_META.contains(&head) {
        return Some((meta_field(head), 1));
    }
    match head {
        "meta" => {
            let k = next.filter(|k| is_ident(k))?;
            Some((meta_field(k), 2))
        }
        "ct" => {
            let k = next.filter(|k| is_ident(k))?;
            if k == "original" || k == "reply" {
                let what = word(toks, i + 2).filter(|k| is_ident(k))?;
                // `ct original ip saddr`: the address of one family.
                if matches!(what, "ip" | "ip6")
                    && matches!(word(toks, i + 3), Some("saddr" | "daddr"))
                {
                    return Some((Field::Generic, 4));
                }
                return Some((Field::Generic, 3));
            }
            if k == "count" {
                return None;
            }
            let f = match k {
                "state" => Field::CtState,
                "status" => Field::CtStatus,
                "direction" => Field::CtDirection,
                "mark" => Field::CtMark,
                _ => Field::Generic,
            };
            Some((f, 2))
        }
        "fib" => {
            let mut j = i + 1;
            let mut keys = Vec::new();
            loop {
                let k = word(toks, j)?;
                if !matches!(k, "saddr" | "daddr" | "mark" | "iif" | "oif") {
                    return None;
                }
                keys.push(k);
                j += 1;
                if word(toks, j) == Some(".") {
                    j += 1;
                } else {
                    break;
                }
            }
            let result = word(toks, j)?;
            if !matches!(result, "type" | "oif" | "oifname" | "check") {
                return None;
            }
            let dir = match keys[0] {
                "saddr" => Some(Direction::Src),
                "daddr" => Some(Direction::Dst),
                _ => None,
            };
            let limit = match keys.get(1).copied() {
                None => Some(None),
                Some("iif") => Some(Some(Direction::Src)),
                Some("oif") => Some(Some(Direction::Dst)),
                Some(_) => None,
            };
            let f = match (dir, limit, result, keys.len() <= 2) {
                (Some(dir), Some(limit), "type", true) => Field::FibType { dir, limit },
                _ => Field::Generic,
            };
            Some((f, j + 1 - i))
        }
        "numgen" => {
            let mode = next?;
            if word(toks, i + 2) != Some("mod") {
                return None;
            }
            let modulus = parse_u32(word(toks, i + 3)?)?;
            if word(toks, i + 4) == Some("offset") {
                word(toks, i + 5)?;
                return Some((
                    Field::Numgen {
                        mode: mode.to_string(),
                        modulus,
                        offset: true,
                    },
                    6,
                ));
            }
            Some((
                Field::Numgen {
                    mode: mode.to_string(),
                    modulus,
                    offset: false,
                },
                4,
            ))
        }
        h if h.starts_with('@') && h.len() > 1 => {
            // Raw payload `@nh,32,8`.
            let ok = toks.get(i + 1).is_some_and(|t| t.kind == TokKind::Comma)
                && word(toks, i + 2).is_some()
                && toks.get(i + 3).is_some_and(|t| t.kind == TokKind::Comma)
                && word(toks, i + 4).is_some();
            ok.then_some((Field::Generic, 5))
        }
        "ipsec" => {
            next.filter(|d| *d == "in" || *d == "out")?;
            let mut j = i + 2;
            if word(toks, j) == Some("spnum") {
                word(toks, j + 1)?;
                j += 2;
            }
            let k = word(toks, j).filter(|k| is_ident(k))?;
            // `ipsec in ip6 daddr`: the address of one family.
            if matches!(k, "ip" | "ip6") && matches!(word(toks, j + 1), Some("saddr" | "daddr")) {
                j += 1;
            }
            Some((Field::Generic, j + 1 - i))
        }
        // `exthdr hbh exists`: whether an IPv6 extension header is there.
        "exthdr" => {
            next.filter(|h| {
                matches!(
                    *h,
                    "hbh" | "rt" | "rt0" | "rt2" | "srh" | "frag" | "dst" | "mh"
                )
            })?;
            Some((Field::Generic, 2))
        }
        // `rt ip nexthop`, `rt ip6 nexthop`: the route's next hop of one family.
        "rt" if matches!(next, Some("ip" | "ip6")) && word(toks, i + 2) == Some("nexthop") => {
            Some((Field::Generic, 3))
        }
        // `osf ttl loose name`: the TTL mode before what is matched.
        "osf" if next == Some("ttl") => {
            word(toks, i + 2).filter(|m| matches!(*m, "loose" | "skip"))?;
            word(toks, i + 3).filter(|w| matches!(*w, "name" | "version"))?;
            Some((Field::Generic, 4))
        }
        // `arp saddr ip`, `arp daddr ether`: one of ARP's two address pairs.
        "arp"
            if matches!(next, Some("saddr" | "daddr"))
                && matches!(word(toks, i + 2), Some("ip" | "ether")) =>
        {
            Some((Field::Generic, 3))
        }
        "vxlan" | "geneve" | "gretap" | "gre"
            if next.is_some_and(|n| PAYLOAD_HEADS.contains(&n)) =>
        {
            let (_, n) = parse_field(toks, i + 1)?;
            Some((Field::Generic, n + 1))
        }
        h if PAYLOAD_HEADS.contains(&h) => {
            let k = next.filter(|k| is_ident(k))?;
            if STMT_HEADS.contains(&k) || PAYLOAD_HEADS.contains(&k) || k == "to" {
                return None;
            }
            if k == "option" || (h == "sctp" && k == "chunk") {
                let name = word(toks, i + 2).filter(|k| is_ident(k))?;
                let _ = name;
                let extra = word(toks, i + 3).is_some_and(|f| {
                    is_ident(f)
                        && !STMT_HEADS.contains(&f)
                        && !PAYLOAD_HEADS.contains(&f)
                        && !BARE_META.contains(&f)
                        && !matches!(
                            f,
                            "set" | "map" | "vmap" | "meta" | "ct" | "exists" | "missing"
                        )
                });
                return Some((Field::Generic, if extra { 4 } else { 3 }));
            }
            let proto = match h {
                "tcp" => Some(Protocol::TCP),
                "udp" => Some(Protocol::UDP),
                "udplite" => Some(Protocol::UDPLITE),
                "sctp" => Some(Protocol::SCTP),
                "dccp" => Some(Protocol::DCCP),
                _ => None,
            };
            let f = match (h, k) {
                ("ip", "saddr") => Field::Addr {
                    dir: Direction::Src,
                    v6: false,
                },
                ("ip", "daddr") => Field::Addr {
                    dir: Direction::Dst,
                    v6: false,
                },
                ("ip6", "saddr") => Field::Addr {
                    dir: Direction::Src,
                    v6: true,
                },
                ("ip6", "daddr") => Field::Addr {
                    dir: Direction::Dst,
                    v6: true,
                },
                ("ip", "protocol") | ("ip6", "nexthdr") => Field::Proto,
                ("ip", "ttl") => Field::Ttl { v6: false },
                ("ip6", "hoplimit") => Field::Ttl { v6: true },
                ("ip" | "ip6", "dscp") => Field::Dscp,
                ("ip", "frag-off") => Field::FragOff,
                ("tcp" | "udp" | "udplite" | "sctp" | "dccp" | "th", "sport") => Field::Port {
                    proto,
                    dir: Direction::Src,
                },
                ("tcp" | "udp" | "udplite" | "sctp" | "dccp" | "th", "dport") => Field::Port {
                    proto,
                    dir: Direction::Dst,
                },
                ("tcp", "flags") => Field::TcpFlags,
                ("icmp", "type") => Field::IcmpType { v6: false },
                ("icmpv6", "type") => Field::IcmpType { v6: true },
                ("icmp", "code") => Field::IcmpCode { v6: false },
                ("icmpv6", "code") => Field::IcmpCode { v6: true },
                ("ether", "saddr") => Field::EtherSaddr,
                _ => Field::Generic,
            };
            Some((f, 2))
        }
        _ => None,
    }
}

/// The set-lookup key a field stands for.
pub(super) fn set_key(field: &Field, text: &str) -> SetKey {
    match field {
        Field::Addr { dir, v6 } => SetKey::address(*dir, *v6),
        Field::Port { dir, proto } => SetKey::port(*dir, *proto),
        Field::IfName(dir) => SetKey::interface(*dir),
        Field::Proto => SetKey::L4Proto,
        Field::Mark => SetKey::Mark,
        _ => SetKey::Other(text.to_string()),
    }
}
