//! Rule expressions (`ip saddr 10.0.0.0/8`, `tcp dport { 80, 443 }`, `ct state ...`) -> model matches.

use crate::model::{
    AddrSpec, CtStateSet, Direction, IfacePattern, Match, MatchKind, PortRange, Protocol, SetKey,
    TcpFlags,
};

use super::lexer::{join, unquote, TokKind, Token};
use super::stmt::strip_counter_values;
use super::values::{
    parse_addr, parse_dscp, parse_icmp_type, parse_port_range, parse_proto, parse_u32,
};

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

fn word<'a>(toks: &[Token<'a>], i: usize) -> Option<&'a str> {
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
fn set_key(field: &Field, text: &str) -> SetKey {
    match field {
        Field::Addr {
            dir: Direction::Src,
            v6: false,
        } => SetKey::Saddr,
        Field::Addr {
            dir: Direction::Dst,
            v6: false,
        } => SetKey::Daddr,
        Field::Addr {
            dir: Direction::Src,
            v6: true,
        } => SetKey::Saddr6,
        Field::Addr {
            dir: Direction::Dst,
            v6: true,
        } => SetKey::Daddr6,
        Field::Port {
            proto: Some(proto),
            dir,
        } => SetKey::TransportPort {
            proto: *proto,
            dir: *dir,
        },
        Field::Port {
            dir: Direction::Src,
            ..
        } => SetKey::Sport,
        Field::Port {
            dir: Direction::Dst,
            ..
        } => SetKey::Dport,
        Field::IfName(Direction::Src) => SetKey::IifName,
        Field::IfName(Direction::Dst) => SetKey::OifName,
        Field::Proto => SetKey::L4Proto,
        Field::Mark => SetKey::Mark,
        _ => SetKey::Other(text.to_string()),
    }
}

/// Whether a rule element (statement, verdict or match) starts at `i`.
pub(crate) fn is_boundary(toks: &[Token<'_>], i: usize) -> bool {
    match toks.get(i) {
        None => true,
        Some(t) if t.kind == TokKind::Comment => true,
        Some(t) if t.kind != TokKind::Word => false,
        Some(t) => STMT_HEADS.contains(&t.text) || parse_field(toks, i).is_some(),
    }
}

/// Index after the balanced group opening at `i` (a `{` or `(`).
pub(crate) fn skip_group(toks: &[Token<'_>], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < toks.len() {
        match toks[j].kind {
            TokKind::LBrace | TokKind::LParen => depth += 1,
            TokKind::RBrace | TokKind::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    j
}

/// Index after one value at `i`: an atom (`word`, `"str"`, `{ set }`, `( group )`), joined
/// by `|` to more atoms, or a comma list of words (`established,related`). `None` when
/// nothing value-like is at `i`.
pub(crate) fn skip_value(toks: &[Token<'_>], i: usize) -> Option<usize> {
    let atom = |j: usize| -> Option<usize> {
        let t = toks.get(j)?;
        match t.kind {
            TokKind::Word | TokKind::Str => Some(j + 1),
            TokKind::LBrace | TokKind::LParen => Some(skip_group(toks, j)),
            _ => None,
        }
    };
    let mut j = atom(i)?;
    while let Some(t) = toks.get(j) {
        if t.kind == TokKind::Comma && toks[j - 1].kind != TokKind::RBrace {
            match toks.get(j + 1) {
                Some(n) if matches!(n.kind, TokKind::Word | TokKind::Str) => j += 2,
                _ => break,
            }
        } else if t.is_word("|") && parse_field(toks, j + 1).is_none() {
            j = atom(j + 1).unwrap_or(j + 1);
        } else {
            break;
        }
    }
    Some(j)
}

/// Index after an expression used as a value: a field or a constant, combined with
/// binary operators, concatenations and `map` lookups (`meta mark >> 8 & 0xf map @m`).
pub(crate) fn skip_expr(toks: &[Token<'_>], i: usize) -> Option<usize> {
    let operand = |j: usize| {
        if let Some((_, n)) = parse_field(toks, j) {
            return Some(j + n);
        }
        // `jhash EXPR mod N [seed S] [offset O]`, `symhash mod N [offset O]`.
        if matches!(word(toks, j), Some("jhash" | "symhash")) {
            let mut k = j + 1;
            while word(toks, k) != Some("mod") {
                match parse_field(toks, k) {
                    Some((_, n)) => k += n,
                    None if word(toks, k) == Some(".") => k += 1,
                    None => return None,
                }
            }
            k += 2;
            while matches!(word(toks, k), Some("seed" | "offset")) {
                k += 2;
            }
            return Some(k.min(toks.len()));
        }
        skip_value(toks, j)
    };
    let mut j = operand(i)?;
    while let Some(op) = word(toks, j) {
        match op {
            "&" | "|" | "^" | ">>" | "<<" | "and" | "or" | "xor" | "." => j = operand(j + 1)?,
            "map" => j = skip_value(toks, j + 1)?,
            _ => break,
        }
    }
    Some(j)
}

/// The single-token elements of a value: `{ a, b }`, `a,b` or `a`; `None` when an
/// element is more than one token (a concatenation, a nested expression).
pub(crate) fn elements<'a>(val: &[Token<'a>]) -> Option<Vec<&'a str>> {
    let inner = if val.first().is_some_and(|t| t.kind == TokKind::LBrace)
        && val.last().is_some_and(|t| t.kind == TokKind::RBrace)
    {
        &val[1..val.len() - 1]
    } else {
        val
    };
    let mut out = Vec::new();
    for chunk in inner.split(|t| t.kind == TokKind::Comma) {
        let chunk: Vec<&Token<'a>> = chunk
            .iter()
            .filter(|t| t.kind != TokKind::Newline)
            .collect();
        match chunk.as_slice() {
            [t] if matches!(t.kind, TokKind::Word | TokKind::Str) => out.push(t.text),
            [] => {}
            _ => return None,
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

/// What an expression at a rule position turned out to be.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A match.
    Match(Match),
    /// A verdict map lookup, verbatim.
    Vmap(String),
    /// `FIELD set VALUE`: the field's tokens are `lhs`, the value starts at `value`.
    Set {
        field: Field,
        lhs: (usize, usize),
        value: usize,
    },
}

/// Parses the expression starting at `i` (which `parse_field` accepted). Returns what it
/// is and the index after it. Shapes the model does not type come back as `Other`.
pub(crate) fn parse_expr(toks: &[Token<'_>], i: usize) -> Option<(Parsed, usize)> {
    let (first, n) = parse_field(toks, i)?;
    let mut fields = vec![(first, i, i + n)];
    let mut j = i + n;
    while word(toks, j) == Some(".") {
        let (f, m) = parse_field(toks, j + 1)?;
        fields.push((f, j + 1, j + 1 + m));
        j += 1 + m;
    }
    if fields.len() == 1 && word(toks, j) == Some("set") {
        let (f, a, b) = fields.remove(0);
        return Some((
            Parsed::Set {
                field: f,
                lhs: (a, b),
                value: j + 1,
            },
            j + 1,
        ));
    }
    // Binary operation on the field: `meta mark & 0xff`, `tcp flags & (syn | ack)`.
    let mut mask: Option<(usize, usize)> = None;
    let mut binops = 0;
    while let Some(op) = word(toks, j) {
        if !matches!(op, "&" | "|" | "^" | ">>" | "<<" | "and" | "or" | "xor") {
            break;
        }
        let end = skip_value(toks, j + 1)?;
        mask = if (op == "&" || op == "and") && binops == 0 {
            Some((j + 1, end))
        } else {
            Some((j, j)) // not a plain mask: left untyped
        };
        binops += 1;
        j = end;
    }
    if word(toks, j) == Some("vmap") {
        let end = skip_value(toks, j + 1)?;
        let kept = strip_counter_values(&toks[i..end]);
        return Some((Parsed::Vmap(spaced_verdict_colons(&join(&kept))), end));
    }
    if word(toks, j) == Some("map") {
        return None;
    }
    let mut op = "==";
    let mut explicit = false;
    if let Some(w) = word(toks, j) {
        if matches!(
            w,
            "==" | "!=" | "<" | ">" | "<=" | ">=" | "eq" | "ne" | "lt" | "gt" | "le" | "ge" | "!"
        ) {
            op = match w {
                "eq" => "==",
                "ne" => "!=",
                "lt" => "<",
                "gt" => ">",
                "le" => "<=",
                "ge" => ">=",
                o => o,
            };
            explicit = true;
            j += 1;
        }
    }
    let neg = op == "!=";
    // Set lookup: `ip saddr @s`, `ip saddr . tcp dport @s`.
    if let Some(w) = word(toks, j) {
        if let Some(name) = w.strip_prefix('@') {
            if !name.is_empty() && mask.is_none() && (op == "==" || op == "!=") {
                let keys = fields
                    .iter()
                    .map(|(f, a, b)| set_key(f, &join(&toks[*a..*b])))
                    .collect();
                let m = Match::with_negation(
                    MatchKind::SetLookup {
                        set: name.to_string(),
                        keys,
                    },
                    neg,
                );
                return Some((Parsed::Match(m), j + 1));
            }
        }
    }
    let vstart = j;
    let vend = skip_value(toks, j)?;
    let mut end = vend;
    // `tcp flags syn / syn,rst`
    let mut slash: Option<(usize, usize)> = None;
    if word(toks, end) == Some("/") {
        let e2 = skip_value(toks, end + 1)?;
        slash = Some((end + 1, e2));
        end = e2;
    }
    let other = || {
        Match::new(MatchKind::Other {
            module: "nft".into(),
            args: join(&strip_counter_values(&toks[i..end])),
            lossy: false,
        })
    };
    if fields.len() != 1 {
        return Some((Parsed::Match(other()), end));
    }
    let field = &fields[0].0;
    let value = &toks[vstart..vend];
    // `tcp flags == syn` compares every flag; `tcp flags syn` only tests syn.
    if explicit && mask.is_none() && slash.is_none() && *field == Field::TcpFlags {
        if let (true, Some(set)) = (
            op == "==" || op == "!=",
            elements(value).filter(|e| e.len() == 1).and_then(|e| {
                TcpFlags::parse_list(&e[0].replace('|', ",")).or_else(|| {
                    parse_u32(e[0])
                        .and_then(|n| u8::try_from(n).ok())
                        .map(TcpFlags)
                })
            }),
        ) {
            let m = Match::with_negation(
                MatchKind::TcpFlags {
                    mask: TcpFlags(0xff),
                    set,
                },
                op == "!=",
            );
            return Some((Parsed::Match(m), end));
        }
    }
    let typed = typed_match(
        field,
        op,
        value,
        mask.map(|(a, b)| &toks[a..b]),
        slash.map(|(a, b)| &toks[a..b]),
    );
    Some((Parsed::Match(typed.unwrap_or_else(other)), end))
}

/// A verdict map's elements with the key and verdict apart as nft lists them:
/// `{ 25:accept, ::dddd: drop }` reads `{ 25 : accept, ::dddd : drop }`.
fn spaced_verdict_colons(text: &str) -> String {
    let Some((head, rest)) = text.split_once('{') else {
        return text.to_string();
    };
    let Some((body, tail)) = rest.rsplit_once('}') else {
        return text.to_string();
    };
    let elems: Vec<String> = body
        .split(',')
        .map(|e| {
            let e = e.trim();
            if e.contains(" : ") {
                return e.to_string();
            }
            match e.rsplit_once(':') {
                Some((k, v))
                    if !k.is_empty()
                        && matches!(v.trim(), "accept" | "drop" | "continue" | "return") =>
                {
                    format!("{} : {}", k.trim_end(), v.trim())
                }
                _ => e.to_string(),
            }
        })
        .collect();
    format!("{head}{{ {} }}{tail}", elems.join(", "))
}

fn single_u32(t: &[Token<'_>]) -> Option<u32> {
    match t {
        [t] if t.kind == TokKind::Word => parse_u32(t.text),
        _ => None,
    }
}

fn typed_match(
    field: &Field,
    op: &str,
    value: &[Token<'_>],
    mask: Option<&[Token<'_>]>,
    slash: Option<&[Token<'_>]>,
) -> Option<Match> {
    // `!` before a flag list (`ct state ! invalid`, as nft 1.0.x lists a negated xt state
    // match): none of the flags is set, which for these fields is `!=`.
    let flag_neg = op == "!" && matches!(field, Field::CtState | Field::CtStatus);
    let eqne = op == "==" || op == "!=" || flag_neg;
    let neg = op == "!=" || flag_neg;
    if let Some(m) = mask {
        if m.is_empty() {
            return None;
        }
    }
    if slash.is_some() && *field != Field::TcpFlags {
        return None;
    }
    let els = || elements(value);
    let kind = match field {
        Field::TcpFlags => {
            let flags = |t: &[Token<'_>]| -> Option<TcpFlags> {
                let s: String = t
                    .iter()
                    .filter(|x| !matches!(x.kind, TokKind::LParen | TokKind::RParen))
                    .map(|x| if x.text == "|" { "," } else { x.text })
                    .collect::<Vec<_>>()
                    .concat();
                TcpFlags::parse_list(&s)
            };
            match (mask, slash) {
                (Some(m), None) if eqne => MatchKind::TcpFlags {
                    mask: flags(m)?,
                    set: flags(value)?,
                },
                // `tcp flags syn / fin,syn,rst,ack`; with `!=`, its negation (`! --syn`).
                (None, Some(m)) if op == "==" || op == "!=" => MatchKind::TcpFlags {
                    mask: flags(m)?,
                    set: flags(value)?,
                },
                // `tcp flags ! fin,syn`: none of these flags is set.
                (None, None) if op == "!" => MatchKind::TcpFlags {
                    mask: flags(value)?,
                    set: TcpFlags(0),
                },
                (None, None) if op == "==" && value.len() == 1 => {
                    // `tcp flags syn`: syn among the flags set... nft treats a lone flag
                    // as `flags & syn == syn`.
                    let f = flags(value)?;
                    MatchKind::TcpFlags { mask: f, set: f }
                }
                _ => return None,
            }
        }
        // `ip frag-off & 0x1fff != 0`: a non-first fragment (iptables `-f`).
        Field::FragOff if eqne => {
            let m = single_u32(mask?)?;
            if m != 0x1fff || els()? != ["0"] {
                return None;
            }
            return Some(Match::with_negation(MatchKind::Fragment, !neg));
        }
        // `meta random & 2147483647 < N`: iptables-nft's `-m statistic --mode random`.
        Field::Random if op == "<" => {
            if single_u32(mask?)? != 0x7fff_ffff {
                return None;
            }
            let e = els()?;
            let n = parse_u32(e.first()?)?;
            if e.len() != 1 {
                return None;
            }
            MatchKind::Statistic {
                mode: "random".into(),
                probability: Some(format!("{:.11}", f64::from(n) / 2_147_483_648.0)),
                every: None,
                packet: None,
            }
        }
        _ if mask.is_some() && !matches!(field, Field::Mark | Field::CtMark) => return None,
        Field::IfName(dir) if eqne => MatchKind::Interface {
            dir: *dir,
            names: els()?
                .into_iter()
                .map(|s| {
                    // Keep `\*` escaped: it is a literal star, not a wildcard.
                    let inner = s
                        .strip_prefix('"')
                        .and_then(|x| x.strip_suffix('"'))
                        .unwrap_or(s);
                    if inner.ends_with("\\*") {
                        IfacePattern::from_nft(inner)
                    } else {
                        IfacePattern::from_nft(&unquote(s))
                    }
                })
                .collect(),
        },
        Field::Addr { dir, v6 } if eqne => {
            let addrs: Option<Vec<AddrSpec>> = els()?.into_iter().map(parse_addr).collect();
            let addrs = addrs?;
            if addrs.iter().any(|a| a.is_ipv6() != *v6) {
                return None;
            }
            MatchKind::Address { dir: *dir, addrs }
        }
        Field::Proto if eqne => MatchKind::Protocol {
            protos: els()?.into_iter().map(parse_proto).collect::<Option<_>>()?,
        },
        // `tcp dport <= 4`: a one-sided bound is the port range it allows.
        Field::Port { proto, dir } if matches!(op, "<" | "<=" | ">" | ">=") => {
            let e = els()?;
            let [v] = e.as_slice() else {
                return None;
            };
            let v: u16 = v.parse().ok()?;
            let (first, last) = match op {
                "<" => (0, v.checked_sub(1)?),
                "<=" => (0, v),
                ">" => (v.checked_add(1)?, u16::MAX),
                _ => (v, u16::MAX),
            };
            MatchKind::Port {
                dir: *dir,
                proto: *proto,
                ports: vec![PortRange { first, last }],
            }
        }
        Field::Port { proto, dir } if eqne => MatchKind::Port {
            dir: *dir,
            proto: *proto,
            ports: els()?
                .into_iter()
                .map(parse_port_range)
                .collect::<Option<Vec<PortRange>>>()?,
        },
        Field::IcmpType { v6 } if eqne => {
            let e = els()?;
            if e.len() != 1 {
                return None;
            }
            MatchKind::Icmp {
                v6: *v6,
                icmp_type: Some(parse_icmp_type(*v6, e[0])?),
                code: None,
            }
        }
        Field::CtState if eqne => {
            let mut bits = 0u8;
            let words: Vec<&str> = if value.iter().any(|t| t.is_word("|")) {
                value
                    .iter()
                    .filter(|t| !t.is_word("|"))
                    .map(|t| t.text)
                    .collect()
            } else {
                els()?
            };
            for s in words {
                bits |= CtStateSet::bit(s)?;
            }
            MatchKind::CtState {
                states: CtStateSet(bits),
            }
        }
        Field::CtStatus if eqne => MatchKind::CtStatus {
            statuses: els()?.into_iter().map(str::to_string).collect(),
        },
        Field::CtDirection if eqne => {
            let e = els()?;
            match e.as_slice() {
                ["original"] => MatchKind::CtDirection { original: true },
                ["reply"] => MatchKind::CtDirection { original: false },
                _ => return None,
            }
        }
        Field::Mark | Field::CtMark if eqne => {
            let e = els()?;
            if e.len() != 1 {
                return None;
            }
            let value = parse_u32(e[0])?;
            let mask = match mask {
                None => u32::MAX,
                Some(m) => match m {
                    [t] if t.kind == TokKind::Word => parse_u32(t.text)?,
                    _ => return None,
                },
            };
            if *field == Field::Mark {
                MatchKind::Mark { value, mask }
            } else {
                MatchKind::CtMark { value, mask }
            }
        }
        Field::PktType if eqne => {
            let e = els()?;
            if e.len() != 1 {
                return None;
            }
            MatchKind::PktType {
                pkt_type: e[0].to_ascii_lowercase(),
            }
        }
        Field::Length if eqne => {
            let e = els()?;
            if e.len() != 1 {
                return None;
            }
            MatchKind::Length {
                range: parse_port_range(e[0])?,
            }
        }
        Field::Ttl { v6 } => {
            let e = els()?;
            if e.len() != 1 {
                return None;
            }
            let value: u8 = e[0].parse().ok()?;
            let (o, n) = match op {
                "==" => ("eq", false),
                "!=" => ("eq", true),
                "<" => ("lt", false),
                ">" => ("gt", false),
                ">=" => ("lt", true),
                "<=" => ("gt", true),
                _ => return None,
            };
            return Some(Match::with_negation(
                MatchKind::Ttl {
                    v6: *v6,
                    op: o.into(),
                    value,
                },
                n,
            ));
        }
        Field::Dscp if eqne => {
            let e = els()?;
            if e.len() != 1 {
                return None;
            }
            MatchKind::Dscp {
                value: parse_dscp(e[0])?,
            }
        }
        Field::EtherSaddr if eqne => {
            let e = els()?;
            if e.len() != 1 || !e[0].contains(':') {
                return None;
            }
            MatchKind::Mac {
                addr: e[0].to_ascii_lowercase(),
            }
        }
        Field::Skuid | Field::Skgid if eqne => {
            let e = els()?;
            if e.len() != 1 {
                return None;
            }
            let v = Some(unquote(e[0]));
            if *field == Field::Skuid {
                MatchKind::Owner {
                    uid: v,
                    gid: None,
                    socket_exists: false,
                }
            } else {
                MatchKind::Owner {
                    uid: None,
                    gid: v,
                    socket_exists: false,
                }
            }
        }
        Field::FibType { dir, limit } if eqne => MatchKind::AddrType {
            dir: *dir,
            types: els()?.into_iter().map(|s| s.to_ascii_uppercase()).collect(),
            limit_iface: *limit,
        },
        Field::Numgen {
            mode,
            modulus,
            offset: false,
        } if op == "==" && *modulus > 0 => {
            let e = els()?;
            if mode == "inc" && e.len() == 1 {
                MatchKind::Statistic {
                    mode: "nth".into(),
                    probability: None,
                    every: Some(*modulus),
                    packet: Some(e[0].parse().ok()?),
                }
            } else if mode == "random" {
                let mut count: u64 = 0;
                for v in &e {
                    let r = parse_port_range(v)?;
                    count += u64::from(r.last - r.first) + 1;
                }
                let p = count as f64 / f64::from(*modulus);
                MatchKind::Statistic {
                    mode: "random".into(),
                    probability: Some(format!("{p:.11}")),
                    every: None,
                    packet: None,
                }
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(Match::with_negation(kind, neg))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn one(s: &str) -> (Parsed, usize, usize) {
        let t = tokenize(s, "t").unwrap();
        let (p, end) = parse_expr(&t, 0).expect("parses");
        (p, end, t.len())
    }

    fn m(s: &str) -> Match {
        match one(s).0 {
            Parsed::Match(m) => m,
            other => panic!("not a match: {other:?}"),
        }
    }

    #[test]
    fn interfaces() {
        let x = m(r#"iifname { "cali*", "eth0" }"#);
        assert_eq!(x.to_string(), r#"iifname { "cali*", "eth0" }"#);
        let x = m(r#"iifname "eth\*""#);
        assert_eq!(
            x.kind,
            MatchKind::Interface {
                dir: Direction::Src,
                names: vec![IfacePattern::Exact("eth*".into())]
            }
        );
        let x = m(r#"meta oifname != "lo""#);
        assert!(x.negated);
        assert_eq!(x.to_string(), r#"oifname != "lo""#);
    }

    #[test]
    fn addresses_and_ports() {
        assert_eq!(m("ip saddr 10.0.0.0/8").to_string(), "ip saddr 10.0.0.0/8");
        assert_eq!(
            m("ip daddr != 192.168.0.0/16").to_string(),
            "ip daddr != 192.168.0.0/16"
        );
        assert_eq!(
            m("ip6 saddr { ::1, fe80::/64 }").to_string(),
            "ip6 saddr { ::1, fe80::/64 }"
        );
        assert_eq!(
            m("tcp dport { 443, 80 }").to_string(),
            "tcp dport { 443, 80 }"
        );
        assert_eq!(m("udp sport 1000-2000").to_string(), "udp sport 1000-2000");
        assert_eq!(m("th dport != 53").to_string(), "th dport != 53");
        assert_eq!(m("ip protocol tcp").to_string(), "meta l4proto tcp");
        assert_eq!(m("ip6 nexthdr udp").to_string(), "meta l4proto udp");
    }

    #[test]
    fn flags_icmp_ct_mark() {
        assert_eq!(
            m("tcp flags & (fin | syn | rst | ack) == syn").to_string(),
            "tcp flags & (fin|syn|rst|ack) == syn"
        );
        assert_eq!(
            m("tcp flags syn / syn,rst").to_string(),
            "tcp flags & (syn|rst) == syn"
        );
        assert_eq!(m("tcp flags syn").to_string(), "tcp flags & (syn) == syn");
        assert_eq!(
            m("icmp type echo-request").to_string(),
            "icmp type echo-request"
        );
        assert_eq!(
            m("icmpv6 type 135").to_string(),
            "icmpv6 type nd-neighbor-solicit"
        );
        assert_eq!(
            m("ct state established,related").to_string(),
            "ct state established,related"
        );
        assert_eq!(
            m("ct state { related, established }").to_string(),
            "ct state established,related"
        );
        assert_eq!(m("ct direction reply").to_string(), "ct direction reply");
        assert_eq!(
            m("ct state != established | related").to_string(),
            "ct state != established,related"
        );
        assert_eq!(m("ct status dnat").to_string(), "ct status dnat");
        assert_eq!(m("meta mark 0x1").to_string(), "meta mark 0x00000001");
        assert_eq!(
            m("meta mark & 0x00010000 == 0x00010000").to_string(),
            "meta mark & 0x00010000 == 0x00010000"
        );
        assert_eq!(m("ct mark != 0x5").to_string(), "ct mark != 0x00000005");
        assert_eq!(
            m("ct mark and 0xff == 0x1").to_string(),
            "ct mark & 0x000000ff == 0x00000001"
        );
        assert_eq!(
            m("tcp flags ! fin,syn,rst,psh,ack,urg").to_string(),
            "tcp flags & (fin|syn|rst|psh|ack|urg) == 0x0"
        );
        let not_syn = m("tcp flags != syn / fin,syn,rst,ack");
        assert!(not_syn.negated);
        assert_eq!(
            not_syn.kind,
            MatchKind::TcpFlags {
                mask: TcpFlags(0x17),
                set: TcpFlags(0x02)
            }
        );
        assert_eq!(m("tcp dport <= 4").to_string(), "tcp dport 0-4");
        assert_eq!(m("ct state ! invalid").to_string(), "ct state != invalid");
        assert_eq!(m("ip frag-off & 8191 != 0").kind, MatchKind::Fragment);
        assert!(m("ip frag-off & 0x1fff == 0").negated);
        assert_eq!(
            m("meta random & 2147483647 < 1073741824").to_string(),
            "statistic mode random probability 0.50000000000"
        );
    }

    #[test]
    fn misc_typed() {
        assert_eq!(
            m("fib daddr type local").to_string(),
            "fib daddr type local"
        );
        assert_eq!(
            m("fib saddr . oif type != local").to_string(),
            "fib saddr . oif type != local"
        );
        assert_eq!(
            m("meta pkttype broadcast").to_string(),
            "meta pkttype broadcast"
        );
        assert_eq!(m("meta length 100-200").to_string(), "meta length 100-200");
        assert_eq!(m("ip ttl < 5").to_string(), "ip ttl < 5");
        assert_eq!(m("ip6 hoplimit 1").to_string(), "ip6 hoplimit 1");
        assert_eq!(m("ip dscp ef").to_string(), "ip dscp 0x2e");
        assert_eq!(
            m("ether saddr 00:0F:54:0c:11:04").to_string(),
            "ether saddr 00:0f:54:0c:11:04"
        );
        assert_eq!(m("meta skuid 1000").to_string(), "meta skuid 1000");
        assert_eq!(
            m("numgen inc mod 2 0").to_string(),
            "statistic mode nth every 2 packet 0"
        );
        assert!(matches!(
            m("numgen random mod 4 { 0, 1 }").kind,
            MatchKind::Statistic { .. }
        ));
    }

    #[test]
    fn lookups_vmaps_and_others() {
        let x = m("ip saddr . tcp dport @allowed");
        // The port keeps its protocol: `tcp dport @s` does not match UDP.
        assert_eq!(x.to_string(), "ip saddr . tcp dport @allowed");
        assert_eq!(m("th dport @p").to_string(), "dport @p");
        // The address family of a key counts.
        assert_ne!(m("ip6 saddr @s"), m("ip saddr @s"));
        assert_eq!(m("ip6 saddr @s").to_string(), "ip6 saddr @s");
        assert!(m("ip saddr != @s").negated);
        assert!(matches!(
            one(r#"iifname vmap { "eth0" : jump a, "eth1" : drop }"#).0,
            Parsed::Vmap(ref s) if s == r#"iifname vmap { "eth0" : jump a, "eth1" : drop }"#
        ));
        assert_eq!(m("vlan id 10").to_string(), "nft vlan id 10");
        assert_eq!(
            m("ip saddr & 255.255.0.0 == 10.1.0.0").to_string(),
            "nft ip saddr & 255.255.0.0 == 10.1.0.0"
        );
        assert!(matches!(one("meta mark set 0x1").0, Parsed::Set { .. }));
        assert!(matches!(
            one("meta mark >> 8 & 0xf vmap @m").0,
            Parsed::Vmap(ref s) if s == "meta mark >> 8 & 0xf vmap @m"
        ));
        assert_eq!(
            m("vxlan ip saddr 1.1.1.1").to_string(),
            "nft vxlan ip saddr 1.1.1.1"
        );
        assert_eq!(
            m("sctp chunk init num-inbound-streams 3").to_string(),
            "nft sctp chunk init num-inbound-streams 3"
        );
        let (_, end, _) = one("ct state new accept");
        assert_eq!(end, 3);
    }
}
