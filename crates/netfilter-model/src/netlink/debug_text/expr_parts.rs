//! Parts several expression lines share: load/set forms, payload, verdicts, log options, meta and ct key names.

use super::*;
use crate::netlink::keys::{key_by_libnftnl, CT_KEYS, META_KEYS};

/// `load KEY => reg N` or `set KEY with reg N`: (load?, key, register).
pub(super) fn load_or_set<'a>(t: &mut Toks<'a>) -> Result<(bool, &'a str, u32), PErr> {
    let at = t.here();
    match t.next("load or set")? {
        "load" => {
            let key = t.next("a key")?;
            t.expect("=>")?;
            Ok((true, key, t.reg()?))
        }
        "set" => {
            let key = t.next("a key")?;
            t.expect("with")?;
            Ok((false, key, t.reg()?))
        }
        o => Err((at, format!("expected load or set, found `{o}`"))),
    }
}

/// `load Nb @ BASE header + OFF => reg R` or
/// `write reg R => Nb @ BASE header + OFF csum_type N csum_off N csum_flags 0xN`.
pub(super) fn payload(t: &mut Toks) -> Result<Expr, PErr> {
    let at = t.here();
    let write = match t.next("load or write")? {
        "load" => false,
        "write" => true,
        o => return Err((at, format!("expected load or write, found `{o}`"))),
    };
    let sreg = if write {
        let r = t.reg()?;
        t.expect("=>")?;
        Some(r)
    } else {
        None
    };
    let at = t.here();
    let l = t.next("a length (`4b`)")?;
    let len = l.strip_suffix('b').and_then(|n| n.parse().ok()).ok_or((
        at,
        format!("expected a length in bytes (`4b`), found `{l}`"),
    ))?;
    t.expect("@")?;
    let at = t.here();
    let base = match t.next("a header base")? {
        "link" => 0,
        "network" => 1,
        "transport" => 2,
        "inner" => 3,
        o => {
            return Err((
                at,
                format!("expected link, network, transport or inner, found `{o}`"),
            ))
        }
    };
    t.expect("header")?;
    t.expect("+")?;
    let offset = t.num("an offset")?;
    match sreg {
        Some(sreg) => {
            // The checksum fields say how to fix the checksum: nothing the model keeps.
            while t.peek().is_some() {
                t.pos += 1;
            }
            Ok(Expr::PayloadSet {
                base,
                offset,
                len,
                sreg,
            })
        }
        None => {
            t.expect("=>")?;
            let dreg = t.reg()?;
            Ok(Expr::Payload {
                base,
                offset,
                len,
                dreg,
            })
        }
    }
}

/// A verdict (`accept`, `jump -> CHAIN`) as code and chain.
pub(super) fn verdict(t: &mut Toks) -> Result<(i32, Option<String>), PErr> {
    let at = t.here();
    let code = match t.next("a value or a verdict")? {
        "accept" => 1,
        "drop" => 0,
        "stolen" => 2,
        "queue" => 3,
        "repeat" => 4,
        "stop" => 5,
        "return" => -5,
        "jump" => -3,
        "goto" => -4,
        "continue" => -1,
        "break" => -2,
        o => {
            return Err((
                at,
                format!("expected data words (0x...) or a verdict, found `{o}`"),
            ))
        }
    };
    let chain = if t.eat("->") {
        Some(t.next("a chain name")?.to_string())
    } else {
        None
    };
    Ok((code, chain))
}

/// `NFPROTO_*` of a family name as libnftnl prints it.
pub(super) fn nfproto(s: &str) -> u32 {
    match s {
        "inet" => 1,
        "ip" => 2,
        "arp" => 3,
        "netdev" => 5,
        "bridge" => 7,
        "ip6" => 10,
        _ => 0,
    }
}

/// The `log` expression: `[prefix P] (group G snaplen S qthreshold Q | [level L] [FLAG...])`.
/// The prefix is printed bare and may hold spaces: it runs up to the tail that parses.
pub(super) fn log(args: &str, base: usize) -> Result<Expr, PErr> {
    let (prefix, tail, tail_base) = match args.strip_prefix("prefix ") {
        Some(rest) => {
            let rest_base = base + "prefix ".len();
            // The first split point whose tail is a valid log tail; the whole rest otherwise.
            let cut = rest
                .char_indices()
                .filter(|(_, c)| *c == ' ')
                .map(|(i, _)| i)
                .find(|i| {
                    let tail = &rest[i + 1..];
                    !tail.starts_with(char::is_whitespace) && log_tail(tail).is_some()
                });
            match cut {
                Some(i) => (
                    Some(rest[..i].to_string()),
                    &rest[i + 1..],
                    rest_base + rest[..=i].chars().count(),
                ),
                None => (Some(rest.to_string()), "", rest_base),
            }
        }
        None => (None, args, base),
    };
    let (group, snaplen, qthreshold, level, flags) =
        log_tail(tail).ok_or((tail_base, format!("unexpected log arguments `{tail}`")))?;
    Ok(Expr::Log {
        prefix,
        group,
        level,
        flags,
        snaplen,
        qthreshold,
    })
}

pub(super) type LogTail = (Option<u16>, Option<u32>, Option<u16>, Option<u32>, u32);

/// Parses what follows a log prefix; `None` if it is not a log tail.
pub(super) fn log_tail(s: &str) -> Option<LogTail> {
    let w: Vec<&str> = s.split_whitespace().collect();
    if let ["group", g, "snaplen", sl, "qthreshold", q] = w.as_slice() {
        let sl: u32 = sl.parse().ok()?;
        let q: u16 = q.parse().ok()?;
        return Some((
            Some(g.parse().ok()?),
            Some(sl).filter(|v| *v != 0),
            Some(q).filter(|v| *v != 0),
            None,
            0,
        ));
    }
    let mut rest = w.as_slice();
    let mut level = None;
    if let ["level", l, r @ ..] = rest {
        level = Some(l.parse().ok()?);
        rest = r;
    }
    let mut flags = 0;
    for f in rest {
        flags |= match *f {
            "tcpseq" => 0x01,
            "tcpopt" => 0x02,
            "ipopt" => 0x04,
            "uid" => 0x08,
            "macdecode" => 0x20,
            _ => return None,
        };
    }
    Some((None, None, None, level, flags))
}

/// `NFT_META_*` of a key as libnftnl names it.
pub(super) fn meta_key(s: &str) -> Option<u32> {
    key_by_libnftnl(META_KEYS, s)
}

/// `NFT_CT_*` of a key as libnftnl names it.
pub(super) fn ct_key(s: &str) -> Option<u32> {
    key_by_libnftnl(CT_KEYS, s)
}
