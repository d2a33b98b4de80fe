//! Statements and verdicts of a rule: counter, log, nat, reject, mark arithmetic, `xt`, ...

use crate::model::{
    Counters, Family, Match, MatchKind, NatKind, Rule, Statement, Verdict, VerdictMap,
};
use crate::model::{Listing, LossNote};

use super::expr::{is_boundary, parse_field, skip_expr, skip_group, skip_value, Field};
use super::lexer::{join, unquote, TokKind, Token};
use super::values::{parse_u32, reject_with};

fn word<'a>(toks: &[Token<'a>], i: usize) -> Option<&'a str> {
    toks.get(i)
        .filter(|t| matches!(t.kind, TokKind::Word | TokKind::Str))
        .map(|t| t.text)
}

/// Index after tokens that do not start another rule element, beginning at `i`.
fn until_boundary(toks: &[Token<'_>], mut i: usize) -> usize {
    while i < toks.len() && !is_boundary(toks, i) {
        i = match toks[i].kind {
            TokKind::LBrace | TokKind::LParen => skip_group(toks, i),
            _ => i + 1,
        };
    }
    i
}

/// Parses the statement or verdict at `i` into `rule`. Returns the index after it, or
/// `Ok(None)` when no statement starts at `i`. `Err` says what was expected.
pub(crate) fn parse_statement(
    toks: &[Token<'_>],
    i: usize,
    family: Family,
    rule: &mut Rule,
) -> Result<Option<usize>, String> {
    let Some(head) = toks
        .get(i)
        .filter(|t| t.kind == TokKind::Word)
        .map(|t| t.text)
    else {
        return Ok(None);
    };
    let set_verdict = |rule: &mut Rule, v: Verdict| -> Result<(), String> {
        match &rule.verdict {
            None => rule.verdict = Some(v),
            // `ip saddr vmap @m accept`: the verdict applies when the map has no match.
            Some(Verdict::Vmap(m)) => {
                rule.verdict = Some(Verdict::Vmap(VerdictMap::parse(&format!("{m} {v}"))))
            }
            Some(old) => return Err(format!("a second verdict `{v}` after `{old}`")),
        }
        Ok(())
    };
    let end = match head {
        "accept" | "drop" | "return" | "continue" => {
            let v = match head {
                "accept" => Verdict::Accept,
                "drop" => Verdict::Drop,
                "return" => Verdict::Return,
                _ => Verdict::Continue,
            };
            set_verdict(rule, v)?;
            i + 1
        }
        "jump" | "goto" if toks.get(i + 1).is_some_and(|t| t.kind == TokKind::LBrace) => {
            // Chain binding: an anonymous chain, kept verbatim one rule per `;`.
            let end = skip_group(toks, i + 1);
            let inner = &toks[(i + 2).min(end)..end.saturating_sub(1).max(i + 2)];
            let lines: Vec<String> = inner
                .split(|t| t.kind == TokKind::Newline)
                .map(|l| join(&strip_counter_values(l)))
                .filter(|l| !l.is_empty())
                .collect();
            set_verdict(
                rule,
                Verdict::Other(format!("{head} {{ {} }}", lines.join("; "))),
            )?;
            end
        }
        "jump" | "goto" => {
            let target =
                word(toks, i + 1).ok_or_else(|| format!("expected a chain name after `{head}`"))?;
            let name = unquote(target);
            let v = if head == "jump" {
                Verdict::Jump(name)
            } else {
                Verdict::Goto(name)
            };
            set_verdict(rule, v)?;
            i + 2
        }
        "counter" | "limit" | "quota" | "tunnel" | "synproxy"
            if word(toks, i + 1) == Some("name") && parse_field(toks, i + 2).is_some() =>
        {
            // `counter name ip saddr map { ... }`: the object is chosen per packet.
            let end = skip_expr(toks, i + 2).ok_or("expected an expression after `name`")?;
            rule.statements.push(Statement::Other {
                target: head.to_string(),
                args: join(&toks[i + 1..end]),
                lossy: false,
            });
            end
        }
        "counter" => match word(toks, i + 1) {
            Some("name") => {
                let n = word(toks, i + 2).ok_or("expected a counter name after `counter name`")?;
                rule.statements.push(Statement::ObjectRef {
                    kind: "counter".into(),
                    name: unquote(n),
                });
                i + 3
            }
            Some("packets") => {
                let p = word(toks, i + 2).and_then(|w| w.parse().ok());
                let b = (word(toks, i + 3) == Some("bytes"))
                    .then(|| word(toks, i + 4).and_then(|w| w.parse().ok()))
                    .flatten();
                match (p, b) {
                    (Some(packets), Some(bytes)) => {
                        rule.counters = Some(Counters { packets, bytes });
                        i + 5
                    }
                    _ => return Err("expected `counter packets N bytes M`".into()),
                }
            }
            _ => i + 1,
        },
        "comment" => {
            let c = toks
                .get(i + 1)
                .filter(|t| t.kind == TokKind::Str || t.kind == TokKind::Word)
                .ok_or("expected a quoted string after `comment`")?;
            rule.comment = Some(unquote(c.text));
            i + 2
        }
        "log" => parse_log(toks, i, rule),
        "notrack" => {
            rule.statements.push(Statement::Notrack);
            i + 1
        }
        "dnat" | "snat" | "masquerade" | "redirect" => parse_nat(toks, i, rule),
        "reject" => {
            let mut j = i + 1;
            let with = if word(toks, j) == Some("with") {
                let fam = word(toks, j + 1)
                    .ok_or("expected `icmp`, `icmpv6`, `icmpx` or `tcp` after `reject with`")?;
                j += 2;
                if word(toks, j) == Some("type") {
                    j += 1;
                }
                let code = word(toks, j).ok_or("expected a reject type")?;
                j += 1;
                match (fam, code) {
                    ("icmpx", "port-unreachable") => None,
                    _ => Some(reject_with(fam, code)),
                }
            } else {
                match family {
                    Family::Ip => Some("icmp-port-unreachable".to_string()),
                    Family::Ip6 => Some("icmp6-port-unreachable".to_string()),
                    _ => None,
                }
            };
            set_verdict(rule, Verdict::Reject { with })?;
            j
        }
        "queue" => {
            let mut j = i + 1;
            loop {
                match word(toks, j) {
                    Some("flags" | "num" | "to") => {
                        j = skip_expr(toks, j + 1).ok_or("expected a value after a queue option")?
                    }
                    Some("bypass" | "fanout") => j += 1,
                    // nft 1.0.x lists `queue num 0-6 bypass,fanout`.
                    _ if toks.get(j).is_some_and(|t| t.text == ",")
                        && matches!(word(toks, j + 1), Some("bypass" | "fanout")) =>
                    {
                        j += 1
                    }
                    _ => break,
                }
            }
            set_verdict(rule, Verdict::queue(&join(&toks[i + 1..j])))?;
            j
        }
        "limit" => {
            if word(toks, i + 1) == Some("name") {
                let n = word(toks, i + 2).ok_or("expected a limit name")?;
                rule.statements.push(Statement::ObjectRef {
                    kind: "limit".into(),
                    name: unquote(n),
                });
                i + 3
            } else {
                parse_limit(toks, i, rule)
            }
        }
        "quota" => {
            if word(toks, i + 1) == Some("name") {
                let n = word(toks, i + 2).ok_or("expected a quota name")?;
                rule.statements.push(Statement::ObjectRef {
                    kind: "quota".into(),
                    name: unquote(n),
                });
                i + 3
            } else {
                let end = until_boundary(toks, i + 1);
                let kept: Vec<Token<'_>> = strip_used(&toks[i..end]);
                rule.matches.push(Match::new(MatchKind::Other {
                    module: "nft".into(),
                    args: join(&kept),
                    lossy: false,
                }));
                end
            }
        }
        "xt" => {
            let what = word(toks, i + 1).ok_or("expected `match` or `target` after `xt`")?;
            let name = unquote(word(toks, i + 2).ok_or("expected an extension name")?);
            rule.lossy.push(LossNote::XtOptionsHidden {
                kind: what.to_string(),
                name: name.to_string(),
                listing: Listing::NftText,
            });
            if what == "match" {
                rule.matches.push(Match::new(MatchKind::Other {
                    module: format!("xt:{name}"),
                    args: String::new(),
                    lossy: true,
                }));
            } else {
                rule.statements.push(Statement::Other {
                    target: format!("xt:{name}"),
                    args: String::new(),
                    lossy: true,
                });
            }
            i + 3
        }
        "ct" if word(toks, i + 1) == Some("count") => {
            let end = until_boundary(toks, i + 2);
            rule.matches.push(Match::new(MatchKind::Other {
                module: "nft".into(),
                args: join(&toks[i..end]),
                lossy: false,
            }));
            end
        }
        "tunnel" | "synproxy" if word(toks, i + 1) == Some("name") => {
            let n = word(toks, i + 2).ok_or("expected an object name after `name`")?;
            rule.statements.push(Statement::ObjectRef {
                kind: head.to_string(),
                name: unquote(n),
            });
            i + 3
        }
        // `dup to ip saddr map { .. } device "lo"`, `fwd ip to 1.2.3.4 device "lo"`: the
        // target and the device are expressions (a field would otherwise end the statement).
        "dup" | "fwd" => {
            let mut j = i + 1;
            if head == "fwd" && matches!(word(toks, j), Some("ip" | "ip6")) {
                j += 1;
            }
            let end = if word(toks, j) == Some("to") {
                let mut e = skip_expr(toks, j + 1).unwrap_or(j + 1);
                if word(toks, e) == Some("device") {
                    e = skip_expr(toks, e + 1).unwrap_or(e + 1);
                }
                e
            } else {
                until_boundary(toks, i + 1)
            };
            rule.statements.push(Statement::Other {
                target: head.to_string(),
                args: join(&toks[i + 1..end]),
                lossy: false,
            });
            end
        }
        "add" | "update" | "delete" | "flow" | "tproxy" | "synproxy" | "meter" | "last" | "nat"
        | "reset" => {
            // `flow add @ft`: `add` would otherwise start a statement of its own.
            let end = if head == "flow" && word(toks, i + 1).is_some() {
                until_boundary(toks, i + 2)
            } else if head == "reset"
                && word(toks, i + 1) == Some("tcp")
                && word(toks, i + 2) == Some("option")
                && word(toks, i + 3).is_some()
            {
                // `reset tcp option mptcp`: the option is the statement's, not a match.
                i + 4
            } else {
                until_boundary(toks, i + 1)
            };
            rule.statements.push(Statement::Other {
                target: head.to_string(),
                args: join(&toks[i + 1..end]),
                lossy: false,
            });
            end
        }
        _ => return Ok(None),
    };
    Ok(Some(end))
}

/// Drops the volatile `packets N bytes M` after a `counter`.
pub(crate) fn strip_counter_values<'a>(toks: &[Token<'a>]) -> Vec<Token<'a>> {
    let mut out = Vec::new();
    let mut k = 0;
    let mut after_counter = false;
    while k < toks.len() {
        let t = toks[k];
        if after_counter && (t.is_word("packets") || t.is_word("bytes")) && k + 1 < toks.len() {
            k += 2;
            continue;
        }
        // Only the values right after `counter` are its own (`quota 500 bytes` is not).
        after_counter = t.is_word("counter");
        out.push(t);
        k += 1;
    }
    out
}

/// Drops the volatile `used N unit` of a quota.
pub(crate) fn strip_used<'a>(toks: &[Token<'a>]) -> Vec<Token<'a>> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < toks.len() {
        if toks[k].is_word("used") {
            k += 3;
            continue;
        }
        out.push(toks[k]);
        k += 1;
    }
    out
}

fn parse_log(toks: &[Token<'_>], i: usize, rule: &mut Rule) -> usize {
    let (mut prefix, mut level, mut group, mut extra) = (None, None, None, Vec::new());
    let mut j = i + 1;
    loop {
        match word(toks, j) {
            Some("prefix") if word(toks, j + 1).is_some() => {
                prefix = word(toks, j + 1).map(unquote);
                j += 2;
            }
            Some("level") if word(toks, j + 1).is_some() => {
                level = word(toks, j + 1).map(str::to_string);
                j += 2;
            }
            Some("group")
                if word(toks, j + 1)
                    .and_then(|g| g.parse::<u16>().ok())
                    .is_some() =>
            {
                group = word(toks, j + 1).and_then(|g| g.parse().ok());
                j += 2;
            }
            Some("flags") => {
                let mut end = j + 1;
                while let Some(t) = toks.get(end) {
                    let flag = t.kind == TokKind::Comma
                        || (t.kind == TokKind::Word
                            && matches!(
                                t.text,
                                "ip" | "options" | "tcp" | "sequence" | "skuid" | "ether" | "all"
                            ));
                    if !flag {
                        break;
                    }
                    end += 1;
                }
                extra.push(
                    format!("flags {}", join(&toks[j + 1..end]))
                        .trim()
                        .to_string(),
                );
                j = end;
            }
            Some(k @ ("snaplen" | "queue-threshold")) => {
                let end = skip_value(toks, j + 1).unwrap_or(j + 1);
                extra.push(
                    format!("{k} {}", join(&toks[j + 1..end]))
                        .trim()
                        .to_string(),
                );
                j = end;
            }
            _ => break,
        }
    }
    rule.statements.push(Statement::Log {
        prefix,
        level,
        group,
        extra,
    });
    j
}

fn parse_limit(toks: &[Token<'_>], i: usize, rule: &mut Rule) -> usize {
    let end = until_boundary(toks, i + 1);
    let words: Vec<&str> = toks[i + 1..end].iter().map(|t| t.text).collect();
    let typed = (|| {
        let mut w = words.as_slice();
        if w.first() != Some(&"rate") {
            return None;
        }
        w = &w[1..];
        let over = w.first() == Some(&"over");
        if over {
            w = &w[1..];
        }
        let rate = *w.first()?;
        let (n, unit) = rate.split_once('/')?;
        n.parse::<u64>().ok()?;
        if !matches!(unit, "second" | "minute" | "hour" | "day" | "week") {
            return None;
        }
        w = &w[1..];
        let burst = match w {
            [] => None,
            // 5 is the default of both nft and iptables, which then leave it out.
            ["burst", "5", "packets"] => None,
            ["burst", b, "packets"] => Some(b.parse::<u32>().ok()?),
            _ => return None,
        };
        Some(Match::with_negation(
            MatchKind::Limit {
                rate: rate.to_string(),
                burst,
            },
            over,
        ))
    })();
    rule.matches.push(typed.unwrap_or_else(|| {
        Match::new(MatchKind::Other {
            module: "nft".into(),
            args: join(&toks[i..end]),
            lossy: false,
        })
    }));
    end
}

/// Splits `10.0.0.1:80`, `[fe80::1]:80`, `[fd00::1]-[fd00::9]:80`, `:8080`,
/// `10.0.0.1-10.0.0.9:1000-2000` (see [`crate::model::split_nat_target`]).
pub(crate) fn split_addr_port(s: &str) -> (Option<String>, Option<String>) {
    crate::model::split_nat_target(s)
}

fn parse_nat(toks: &[Token<'_>], i: usize, rule: &mut Rule) -> usize {
    let kind = match toks[i].text {
        "dnat" => NatKind::Dnat,
        "snat" => NatKind::Snat,
        "masquerade" => NatKind::Masquerade,
        _ => NatKind::Redirect,
    };
    let mut j = i + 1;
    if matches!(word(toks, j), Some("ip" | "ip6"))
        && matches!(word(toks, j + 1), Some("to" | "prefix"))
    {
        j += 1;
    }
    let mut flags = Vec::new();
    if word(toks, j) == Some("prefix") && word(toks, j + 1) == Some("to") {
        flags.push("prefix".to_string());
        j += 1;
    }
    let (mut addr, mut port) = (None, None);
    let mut ok = true;
    if word(toks, j) == Some("to") {
        j += 1;
        match toks.get(j) {
            // `redirect to :tcp dport map { 83 : 8083 }`: the port comes from a map.
            Some(t)
                if t.kind == TokKind::Word
                    && t.text.len() > 1
                    && t.text.starts_with(':')
                    && t.text[1..].starts_with(|c: char| c.is_ascii_alphabetic())
                    && word(toks, j + 1).is_some() =>
            {
                let mut end = j + 2;
                if word(toks, end) == Some("map") {
                    end = skip_value(toks, end + 1).unwrap_or(end + 1);
                }
                port = Some(format!("{} {}", &t.text[1..], join(&toks[j + 1..end])));
                j = end;
            }
            Some(t) if t.kind == TokKind::Word && parse_field(toks, j).is_none() => {
                let (a, p) = split_addr_port(t.text);
                addr = a;
                port = p;
                j += 1;
            }
            Some(_) => match skip_expr(toks, j) {
                Some(end) => {
                    addr = Some(join(&toks[j..end]));
                    j = end;
                }
                None => ok = false,
            },
            None => ok = false,
        }
    }
    loop {
        match word(toks, j) {
            Some(f @ ("random" | "fully-random" | "random-fully" | "persistent")) => {
                flags.push(
                    if f == "random-fully" {
                        "fully-random"
                    } else {
                        f
                    }
                    .to_string(),
                );
                j += 1;
            }
            _ if toks.get(j).is_some_and(|t| t.kind == TokKind::Comma) => j += 1,
            _ => break,
        }
    }
    if ok {
        rule.statements.push(Statement::Nat {
            kind,
            addr,
            port,
            flags,
        });
        j
    } else {
        let end = until_boundary(toks, i + 1);
        rule.statements.push(Statement::Other {
            target: toks[i].text.to_string(),
            args: join(&toks[i + 1..end]),
            lossy: false,
        });
        end
    }
}

/// Turns `FIELD set VALUE` into a statement. `lhs` is the field's token range and
/// `v` where the value starts. Returns the statement and the index after it.
pub(crate) fn set_statement(
    toks: &[Token<'_>],
    field: &Field,
    lhs: (usize, usize),
    v: usize,
) -> Result<(Statement, usize), String> {
    let lhs_text = join(&toks[lhs.0..lhs.1]);
    if matches!(field, Field::Mark | Field::CtMark) {
        if let Some((st, end)) = mark_set(toks, *field == Field::CtMark, v) {
            return Ok((st, end));
        }
    }
    if lhs_text == "tcp option maxseg size" {
        if word(toks, v) == Some("rt") && word(toks, v + 1) == Some("mtu") {
            return Ok((Statement::TcpMss { mss: None }, v + 2));
        }
        if let Some(n) = word(toks, v).and_then(|w| w.parse().ok()) {
            return Ok((Statement::TcpMss { mss: Some(n) }, v + 1));
        }
    }
    // The value: an expression (`ip dscp map { ... }`) or a constant, up to the next element.
    let end =
        skip_expr(toks, v).ok_or_else(|| format!("expected a value after `{lhs_text} set`"))?;
    let value = join(&toks[v..end]);
    let head = toks[lhs.0].text;
    let rest = join(&toks[lhs.0 + 1..lhs.1]);
    let st = if head == "ct" {
        Statement::Ct {
            args: format!("{rest} set {value}"),
        }
    } else {
        Statement::Other {
            target: head.to_string(),
            args: format!("{rest} set {value}").trim_start().to_string(),
            lossy: false,
        }
    };
    Ok((st, end))
}

/// `meta mark set mark and A xor X`, `... or X`, `... 0x1`, `ct mark set mark`.
fn mark_set(toks: &[Token<'_>], ct: bool, v: usize) -> Option<(Statement, usize)> {
    let w0 = word(toks, v)?;
    if let Some(c) = parse_u32(w0) {
        let st = if ct {
            Statement::SetCtMark { and: 0, xor: c }
        } else {
            Statement::SetMark { and: 0, xor: c }
        };
        return Some((st, v + 1));
    }
    let (src_ct, mut j) = match (w0, word(toks, v + 1)) {
        ("mark", _) => (false, v + 1),
        ("meta", Some("mark")) => (false, v + 2),
        ("ct", Some("mark")) => (true, v + 2),
        _ => return None,
    };
    let mut ops: Vec<(&str, u32)> = Vec::new();
    while let Some(op) = word(toks, j) {
        let op = match op {
            "and" | "&" => "and",
            "or" | "|" => "or",
            "xor" | "^" => "xor",
            _ => break,
        };
        let val = parse_u32(word(toks, j + 1)?)?;
        ops.push((op, val));
        j += 2;
    }
    // A longer expression (`meta mark . tcp dport map @m`, `>> 8`) is not mark arithmetic.
    if matches!(
        word(toks, j),
        Some("." | "map" | ">>" | "<<" | "&" | "|" | "^")
    ) {
        return None;
    }
    if src_ct != ct {
        if !ops.is_empty() {
            return None;
        }
        let st = if ct {
            Statement::SaveMark {
                nfmask: u32::MAX,
                ctmask: u32::MAX,
            }
        } else {
            Statement::RestoreMark {
                nfmask: u32::MAX,
                ctmask: u32::MAX,
            }
        };
        return Some((st, j));
    }
    let (and, xor) = match ops.as_slice() {
        // libxtables' CONNMARK/MARK translation prints `xor V and ~M` for (x & ~M) ^ V.
        [("xor", x), ("and", a)] => (*a, *x),
        _ => {
            let (mut and, mut xor) = (u32::MAX, 0u32);
            for (op, val) in &ops {
                match *op {
                    "and" => {
                        and &= val;
                        xor &= val;
                    }
                    "or" => {
                        and &= !val;
                        xor |= val;
                    }
                    _ => xor ^= val,
                }
            }
            (and, xor)
        }
    };
    let st = if ct {
        Statement::SetCtMark { and, xor }
    } else {
        Statement::SetMark { and, xor }
    };
    Some((st, j))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn run(s: &str, fam: Family) -> Rule {
        let t = tokenize(s, "t").unwrap();
        let mut r = Rule::default();
        let mut i = 0;
        while i < t.len() {
            i = parse_statement(&t, i, fam, &mut r)
                .unwrap()
                .expect("statement");
        }
        r
    }

    #[test]
    fn verdicts_and_counters() {
        let r = run("counter packets 3 bytes 180 jump foo", Family::Ip);
        assert_eq!(
            r.counters,
            Some(Counters {
                packets: 3,
                bytes: 180
            })
        );
        assert_eq!(r.verdict, Some(Verdict::Jump("foo".into())));
        let r = run("counter name \"c1\" goto bar", Family::Ip);
        assert_eq!(r.to_string(), "counter name \"c1\" goto bar");
        let t = tokenize("accept drop", "t").unwrap();
        let mut r = Rule::default();
        parse_statement(&t, 0, Family::Ip, &mut r).unwrap();
        assert!(parse_statement(&t, 1, Family::Ip, &mut r).is_err());
        let t = tokenize(
            "jump {\n\t\ttcp dport 1 counter packets 1 bytes 2 drop\n\t\taccept\n\t}",
            "t",
        )
        .unwrap();
        let mut r = Rule::default();
        parse_statement(&t, 0, Family::Ip, &mut r).unwrap();
        assert_eq!(
            r.verdict,
            Some(Verdict::Other(
                "jump { tcp dport 1 counter drop; accept }".into()
            ))
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(
            run("reject", Family::Ip).verdict,
            Some(Verdict::Reject {
                with: Some("icmp-port-unreachable".into())
            })
        );
        assert_eq!(
            run("reject with icmp port-unreachable", Family::Ip).verdict,
            Some(Verdict::Reject {
                with: Some("icmp-port-unreachable".into())
            })
        );
        assert_eq!(
            run("reject with tcp reset", Family::Inet).verdict,
            Some(Verdict::Reject {
                with: Some("tcp-reset".into())
            })
        );
        assert_eq!(
            run("reject with icmp type host-prohibited", Family::Ip).verdict,
            Some(Verdict::Reject {
                with: Some("icmp-host-prohibited".into())
            })
        );
        assert_eq!(
            run("reject", Family::Inet).verdict,
            Some(Verdict::Reject { with: None })
        );
    }

    #[test]
    fn nat() {
        assert_eq!(
            run("dnat to 10.0.0.1:80", Family::Ip).to_string(),
            "dnat to 10.0.0.1:80"
        );
        assert_eq!(
            run("dnat ip to 10.0.0.1", Family::Inet).to_string(),
            "dnat to 10.0.0.1"
        );
        assert_eq!(
            run("masquerade random-fully", Family::Ip).to_string(),
            "masquerade fully-random"
        );
        assert_eq!(
            run("redirect to :8080", Family::Ip).to_string(),
            "redirect to :8080"
        );
        assert_eq!(
            run(
                "snat to 1.1.1.1-1.1.1.9:1000-2000 random,persistent",
                Family::Ip
            )
            .to_string(),
            "snat to 1.1.1.1-1.1.1.9:1000-2000 random persistent"
        );
        assert_eq!(
            run("dnat ip6 to [fe80::1]:80", Family::Inet).to_string(),
            "dnat to [fe80::1]:80"
        );
        assert_eq!(
            run("dnat ip6 to [fd00::2]-[fd00::5]:6443-6450", Family::Ip6).to_string(),
            "dnat to [fd00::2]-[fd00::5]:6443-6450"
        );
        assert_eq!(
            run("dnat to ip daddr map { 1.1.1.1 : 2.2.2.2 }", Family::Ip).to_string(),
            "dnat to ip daddr map { 1.1.1.1 : 2.2.2.2 }"
        );
    }

    #[test]
    fn log_limit_queue_xt() {
        let r = run("log prefix \"drop: \" level warn group 2", Family::Ip);
        assert_eq!(r.to_string(), "log group 2 prefix \"drop: \" level warn");
        let r = run("limit rate 5/minute burst 10 packets", Family::Ip);
        assert_eq!(
            r.matches[0].kind,
            MatchKind::Limit {
                rate: "5/minute".into(),
                burst: Some(10)
            }
        );
        let r = run(
            "log prefix \"x\" flags ip options flags ether limit rate 5/second",
            Family::Ip,
        );
        assert_eq!(
            r.to_string(),
            "limit rate 5/second log prefix \"x\" flags ip options flags ether"
        );
        let r = run(
            "counter name ip saddr map { 1.1.1.1 : \"a\" } accept",
            Family::Ip,
        );
        assert_eq!(
            r.to_string(),
            "counter name ip saddr map { 1.1.1.1 : \"a\" } accept"
        );
        let r = run("dnat ip to numgen inc mod 2 map @t1 accept", Family::Ip);
        assert_eq!(r.to_string(), "dnat to numgen inc mod 2 map @t1 accept");
        let r = run("redirect to :tcp dport map { 83 : 8083 }", Family::Ip);
        assert_eq!(r.to_string(), "redirect to :tcp dport map { 83 : 8083 }");
        let r = run(
            "snat ip prefix to ip saddr map { 10.0.0.0/24 : 192.168.2.0/24 }",
            Family::Inet,
        );
        assert_eq!(
            r.to_string(),
            "snat to ip saddr map { 10.0.0.0/24 : 192.168.2.0/24 } prefix"
        );
        let r = run("tunnel name \"t\" quota name ip saddr map @q", Family::Ip);
        assert_eq!(
            r.to_string(),
            "tunnel name \"t\" quota name ip saddr map @q"
        );
        let r = run(
            "queue flags bypass to jhash tcp dport . tcp sport mod 4",
            Family::Ip,
        );
        assert_eq!(
            r.verdict,
            Some(Verdict::Queue(
                "flags bypass to jhash tcp dport . tcp sport mod 4".into()
            ))
        );
        let r = run("limit rate over 1 mbytes/second", Family::Ip);
        assert!(matches!(r.matches[0].kind, MatchKind::Other { .. }));
        let r = run("queue flags bypass num 3", Family::Ip);
        assert_eq!(r.verdict, Some(Verdict::Queue("flags bypass to 3".into())));
        let r = run("xt match \"recent\" xt target TTL", Family::Ip);
        assert_eq!(r.to_string(), "xt:recent [lossy] xt:TTL [lossy]");
        assert_eq!(r.lossy.len(), 2);
        let r = run(
            "add @s { ip saddr } quota over 10 mbytes used 3 mbytes",
            Family::Ip,
        );
        assert_eq!(
            r.to_string(),
            "nft quota over 10 mbytes add @s { ip saddr }"
        );
    }

    #[test]
    fn marks() {
        let t = tokenize("meta mark set mark and 0xffe4ffff xor 0x80000", "t").unwrap();
        let (s, e) = set_statement(&t, &Field::Mark, (0, 2), 3).unwrap();
        assert_eq!(
            s,
            Statement::SetMark {
                and: 0xffe4ffff,
                xor: 0x80000
            }
        );
        assert_eq!(e, t.len());
        let t = tokenize("meta mark set mark or 0x80000", "t").unwrap();
        let (s, _) = set_statement(&t, &Field::Mark, (0, 2), 3).unwrap();
        assert_eq!(
            s,
            Statement::SetMark {
                and: !0x80000,
                xor: 0x80000
            }
        );
        let t = tokenize("ct mark set ct mark xor 0x1 and 0xffffff00", "t").unwrap();
        let (s, _) = set_statement(&t, &Field::CtMark, (0, 2), 3).unwrap();
        assert_eq!(
            s,
            Statement::SetCtMark {
                and: 0xffffff00,
                xor: 1
            }
        );
        let t = tokenize("tcp option maxseg size set rt mtu", "t").unwrap();
        let (s, _) = set_statement(&t, &Field::Generic, (0, 4), 5).unwrap();
        assert_eq!(s, Statement::TcpMss { mss: None });
        let t = tokenize("ct mark set ct mark & 0xffff0000 | meta mark & 0xffff", "t").unwrap();
        let (s, e) = set_statement(&t, &Field::CtMark, (0, 2), 3).unwrap();
        assert_eq!(
            s.to_string(),
            "ct mark set ct mark & 0xffff0000 | meta mark & 0xffff"
        );
        assert_eq!(e, t.len());
        let t = tokenize("meta mark set meta mark . tcp dport map @m", "t").unwrap();
        let (s, e) = set_statement(&t, &Field::Mark, (0, 2), 3).unwrap();
        assert_eq!(s.to_string(), "meta mark set meta mark . tcp dport map @m");
        assert_eq!(e, t.len());
        let t = tokenize("ct zone set 3 accept", "t").unwrap();
        let (s, e) = set_statement(&t, &Field::Generic, (0, 2), 3).unwrap();
        assert_eq!(s.to_string(), "ct zone set 3");
        assert_eq!(e, 4);
    }
}
