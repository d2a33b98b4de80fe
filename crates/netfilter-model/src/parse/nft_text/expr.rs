//! Rule expressions (`ip saddr 10.0.0.0/8`, `tcp dport { 80, 443 }`, `ct state ...`) -> model matches.

use crate::model::{AddrSpec, CtStateSet, IfacePattern, Match, MatchKind, PortRange, TcpFlags};
use crate::model::{StatisticMode, TtlOp};

use super::lexer::{join, unquote, TokKind, Token};
use super::stmt::strip_counter_values;
use super::values::{
    parse_addr, parse_dscp, parse_icmp_type, parse_port_range, parse_proto, parse_u32,
};

pub(crate) use super::field::{parse_field, Field, STMT_HEADS};
use super::field::{set_key, word};

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
                mode: StatisticMode::Random,
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
                "==" => (TtlOp::Eq, false),
                "!=" => (TtlOp::Eq, true),
                "<" => (TtlOp::Lt, false),
                ">" => (TtlOp::Gt, false),
                ">=" => (TtlOp::Lt, true),
                "<=" => (TtlOp::Gt, true),
                _ => return None,
            };
            return Some(Match::with_negation(
                MatchKind::Ttl {
                    v6: *v6,
                    op: o,
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
                    mode: StatisticMode::Nth,
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
                    mode: StatisticMode::Random,
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
mod tests;
