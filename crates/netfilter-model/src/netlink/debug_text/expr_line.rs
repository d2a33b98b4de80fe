//! One expression line of nft's debug text (`[ payload load 2b @ ... ]`) -> an [`Expr`].

use super::*;

/// Parses one expression line (`[ NAME ARGS ]`, trimmed) into an [`Expr`]. Errors carry the
/// character offset in the trimmed line.
pub(super) fn parse_expr_body(line: &str) -> Result<Expr, PErr> {
    let Some(inner) = line.strip_prefix('[') else {
        return Err((0, "expected `[` to start an expression".into()));
    };
    let Some(inner) = inner.strip_suffix(']') else {
        return Err((
            line.chars().count(),
            "expected `]` at the end of the expression line".into(),
        ));
    };
    // libnftnl prints `[ NAME ARGS ]` with one space of its own before the `]`; a log
    // prefix may end in spaces, so only that one is dropped.
    let lead = inner.chars().take_while(|c| *c == ' ').count();
    let body = &inner[lead..];
    let body = body.strip_suffix(' ').unwrap_or(body);
    let base = 1 + lead;
    let (name, args, args_base) = match body.split_once(' ') {
        Some((n, a)) => (n, a, base + n.chars().count() + 1),
        None => (body, "", base + body.chars().count()),
    };
    if name.is_empty() {
        return Err((base, "expected an expression name after `[`".into()));
    }
    let mut t = Toks::new(args, args_base);
    let e = match name {
        "payload" => payload(&mut t)?,
        "meta" => {
            let (load, key, reg) = load_or_set(&mut t)?;
            let Some(key) = meta_key(key) else {
                // libnftnl prints keys it does not know as `unknown`.
                return Ok(Expr::Unknown {
                    name: name.to_string(),
                    raw: args.to_string(),
                });
            };
            if load {
                Expr::Meta {
                    key,
                    dreg: Some(reg),
                    sreg: None,
                }
            } else {
                Expr::Meta {
                    key,
                    dreg: None,
                    sreg: Some(reg),
                }
            }
        }
        "ct" => {
            let (load, key_name, reg) = load_or_set(&mut t)?;
            let Some(key) = ct_key(key_name) else {
                return Ok(Expr::Unknown {
                    name: name.to_string(),
                    raw: args.to_string(),
                });
            };
            let dir = if t.eat(",") {
                t.expect("dir")?;
                let at = t.here();
                match t.next("a direction")? {
                    "original" => Some(0),
                    "reply" => Some(1),
                    d => return Err((at, format!("expected original or reply, found `{d}`"))),
                }
            } else {
                None
            };
            Expr::Ct {
                key,
                dreg: load.then_some(reg),
                sreg: (!load).then_some(reg),
                dir,
            }
        }
        "cmp" => {
            let at = t.here();
            let op = match t.next("a compare operation")? {
                "eq" => 0,
                "neq" => 1,
                "lt" => 2,
                "lte" => 3,
                "gt" => 4,
                "gte" => 5,
                o => {
                    return Err((
                        at,
                        format!("expected eq, neq, lt, lte, gt or gte, found `{o}`"),
                    ))
                }
            };
            let sreg = t.reg()?;
            let data = t.words();
            Expr::Cmp { sreg, op, data }
        }
        "range" => {
            let at = t.here();
            let op = match t.next("a range operation")? {
                "eq" => 0,
                "neq" => 1,
                o => return Err((at, format!("expected eq or neq, found `{o}`"))),
            };
            let sreg = t.reg()?;
            let at = t.here();
            let data = t.words();
            if !data.len().is_multiple_of(8) {
                return Err((at, "expected two values of as many words".into()));
            }
            let (from, to) = data.split_at(data.len() / 2);
            Expr::Range {
                sreg,
                op,
                from: from.to_vec(),
                to: to.to_vec(),
            }
        }
        "bitwise" => {
            let dreg = t.reg()?;
            t.expect("=")?;
            t.expect("(")?;
            let sreg = t.reg()?;
            let at = t.here();
            match t.next("`&`, `<<` or `>>`")? {
                "&" => {
                    let mask = t.words();
                    t.expect(")")?;
                    t.expect("^")?;
                    let xor = t.words();
                    Expr::Bitwise {
                        sreg,
                        dreg,
                        len: u32::try_from(mask.len()).unwrap_or(0),
                        op: 0,
                        mask,
                        xor,
                        data: Vec::new(),
                    }
                }
                s @ ("<<" | ">>") => {
                    let data = t.words();
                    t.expect(")")?;
                    Expr::Bitwise {
                        sreg,
                        dreg,
                        len: 4,
                        op: if s == "<<" { 1 } else { 2 },
                        mask: Vec::new(),
                        xor: Vec::new(),
                        data,
                    }
                }
                o => return Err((at, format!("expected `&`, `<<` or `>>`, found `{o}`"))),
            }
        }
        "byteorder" => {
            // `reg D = hton(reg S, SIZE, LEN)`
            let dreg = t.reg()?;
            t.expect("=")?;
            let at = t.here();
            let call = t.rest(args, args_base);
            t.pos = t.toks.len();
            let bad = || {
                (
                    at,
                    format!("expected `hton(reg N, SIZE, LEN)` or `ntoh(...)`, found `{call}`"),
                )
            };
            let (op, inner) = if let Some(r) = call.strip_prefix("hton(") {
                (1, r)
            } else if let Some(r) = call.strip_prefix("ntoh(") {
                (0, r)
            } else {
                return Err(bad());
            };
            let inner = inner.trim_end().strip_suffix(')').ok_or_else(bad)?;
            let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
            let [r, size, len] = parts.as_slice() else {
                return Err(bad());
            };
            let sreg = r
                .strip_prefix("reg ")
                .and_then(|n| n.trim().parse().ok())
                .ok_or_else(bad)?;
            Expr::Byteorder {
                sreg,
                dreg,
                op,
                size: size.parse().map_err(|_| bad())?,
                len: len.parse().map_err(|_| bad())?,
            }
        }
        "lookup" => {
            let sreg = t.reg()?;
            t.expect("set")?;
            let set = t.next("a set name")?.to_string();
            let dreg = if t.eat("dreg") {
                Some(t.num("a register number")?)
            } else {
                None
            };
            let flags = if t.peek().is_some() {
                t.hex_u32("lookup flags")?
            } else {
                0
            };
            Expr::Lookup {
                set,
                sreg,
                dreg,
                invert: flags & 1 != 0,
            }
        }
        "immediate" => {
            let dreg = t.reg()?;
            if t.peek().is_some_and(|w| word(w).is_some()) {
                Expr::Immediate {
                    dreg,
                    data: ImmData::Value(t.words()),
                }
            } else {
                let (code, chain) = verdict(&mut t)?;
                Expr::Immediate {
                    dreg,
                    data: ImmData::Verdict { code, chain },
                }
            }
        }
        "counter" => {
            t.expect("pkts")?;
            let packets = t.num("a packet count")?;
            t.expect("bytes")?;
            let bytes = t.num("a byte count")?;
            Expr::Counter { packets, bytes }
        }
        "nat" => {
            let at = t.here();
            let nat_type = match t.next("snat or dnat")? {
                "snat" => 0,
                "dnat" => 1,
                o => return Err((at, format!("expected snat or dnat, found `{o}`"))),
            };
            let family = nfproto(t.next("a family")?);
            let mut regs = [None; 4];
            let mut flags = 0;
            while let Some(w) = t.peek() {
                let slot = match w {
                    "addr_min" => 0,
                    "addr_max" => 1,
                    "proto_min" => 2,
                    "proto_max" => 3,
                    "flags" => {
                        t.pos += 1;
                        flags = t.hex_u32("nat flags")?;
                        continue;
                    }
                    o => {
                        return Err((
                            t.here(),
                            format!(
                                "expected addr_min, addr_max, proto_min, proto_max or flags, \
                                 found `{o}`"
                            ),
                        ))
                    }
                };
                t.pos += 1;
                regs[slot] = Some(t.reg()?);
            }
            Expr::Nat {
                nat_type,
                family,
                reg_addr_min: regs[0],
                reg_addr_max: regs[1],
                reg_proto_min: regs[2],
                reg_proto_max: regs[3],
                flags,
            }
        }
        "masq" | "redir" => {
            let mut min = None;
            let mut max = None;
            let mut flags = 0;
            while let Some(w) = t.peek() {
                let at = t.here();
                t.pos += 1;
                match w {
                    "proto_min" => min = Some(t.reg()?),
                    "proto_max" => max = Some(t.reg()?),
                    "flags" => flags = t.hex_u32("flags")?,
                    o => {
                        return Err((
                            at,
                            format!("expected proto_min, proto_max or flags, found `{o}`"),
                        ))
                    }
                }
            }
            if name == "masq" {
                Expr::Masq {
                    flags,
                    reg_proto_min: min,
                    reg_proto_max: max,
                }
            } else {
                Expr::Redir {
                    flags,
                    reg_proto_min: min,
                    reg_proto_max: max,
                }
            }
        }
        "reject" => {
            t.expect("type")?;
            let reject_type = t.num("a reject type")?;
            t.expect("code")?;
            let code = t.num("a reject code")?;
            Expr::Reject { reject_type, code }
        }
        "log" => {
            t.pos = t.toks.len();
            log(args, args_base)?
        }
        "limit" => {
            t.expect("rate")?;
            let at = t.here();
            let r = t.next("RATE/UNIT")?;
            let bad = || {
                (
                    at,
                    format!("expected RATE/UNIT (e.g. 400/minute), found `{r}`"),
                )
            };
            let (rate, unit) = r.split_once('/').ok_or_else(bad)?;
            let rate = rate.parse().map_err(|_| bad())?;
            let unit = match unit {
                "second" => 1,
                "minute" => 60,
                "hour" => 3600,
                "day" => 86400,
                "week" => 604_800,
                _ => 0,
            };
            t.expect("burst")?;
            let burst = t.num("a burst")?;
            t.expect("type")?;
            let at = t.here();
            let kind = match t.next("packets or bytes")? {
                "packets" => 0,
                "bytes" => 1,
                o => return Err((at, format!("expected packets or bytes, found `{o}`"))),
            };
            t.expect("flags")?;
            let flags = t.hex_u32("limit flags")?;
            Expr::Limit {
                rate,
                unit,
                burst,
                kind,
                flags,
            }
        }
        "match" | "target" => {
            t.expect("name")?;
            let n = t.next("an extension name")?.to_string();
            t.expect("rev")?;
            let rev = t.num("a revision")?;
            if name == "match" {
                Expr::Match {
                    name: n,
                    rev,
                    info: Vec::new(),
                }
            } else {
                Expr::Target {
                    name: n,
                    rev,
                    info: Vec::new(),
                }
            }
        }
        "fib" => {
            let mut flags = 0u32;
            loop {
                let at = t.here();
                let w = t.next("a fib flag")?;
                flags |= match w {
                    "saddr" => 1,
                    "daddr" => 2,
                    "mark" => 4,
                    "iif" => 8,
                    "oif" => 16,
                    o => {
                        return Err((
                            at,
                            format!("expected saddr, daddr, mark, iif or oif, found `{o}`"),
                        ))
                    }
                };
                if !t.eat(".") {
                    break;
                }
            }
            let at = t.here();
            let result = match t.next("a fib result")? {
                "oif" => 1,
                "oifname" => 2,
                "type" => 3,
                o => return Err((at, format!("expected oif, oifname or type, found `{o}`"))),
            };
            if t.eat("present") {
                flags |= 32;
            }
            t.expect("=>")?;
            let dreg = t.reg()?;
            Expr::Fib {
                flags,
                result,
                dreg,
            }
        }
        "numgen" => {
            let dreg = t.reg()?;
            t.expect("=")?;
            let at = t.here();
            let kind = match t.next("inc or random")? {
                "inc" => 0,
                "random" => 1,
                o => return Err((at, format!("expected inc or random, found `{o}`"))),
            };
            t.expect("mod")?;
            let modulus = t.num("a modulus")?;
            let offset = if t.eat("offset") {
                t.num("an offset")?
            } else {
                0
            };
            Expr::Numgen {
                dreg,
                modulus,
                kind,
                offset,
            }
        }
        "notrack" => Expr::Notrack,
        "objref" => {
            if t.eat("sreg") {
                let sreg = t.num("a register number")?;
                t.expect("set")?;
                let set = t.next("a map name")?.to_string();
                Expr::Objref {
                    obj_type: 0,
                    name: None,
                    set: Some(set),
                    sreg: Some(sreg),
                }
            } else {
                t.expect("type")?;
                let obj_type = t.num("an object type")?;
                t.expect("name")?;
                let n = t.rest(args, args_base).to_string();
                t.pos = t.toks.len();
                Expr::Objref {
                    obj_type,
                    name: Some(n),
                    set: None,
                    sreg: None,
                }
            }
        }
        "queue" if !args.contains("sreg_qnum") => {
            let (mut num, mut total, mut flags) = (0u16, 1u16, 0u16);
            if t.eat("num") {
                let at = t.here();
                let r = t.next("a queue number")?;
                let bad = || (at, format!("expected N or N-M, found `{r}`"));
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                num = a.parse().map_err(|_| bad())?;
                let last: u16 = b.parse().map_err(|_| bad())?;
                total = last.checked_sub(num).ok_or_else(bad)?.saturating_add(1);
            }
            while let Some(w) = t.peek() {
                let at = t.here();
                t.pos += 1;
                flags |= match w {
                    "bypass" => 1,
                    "fanout" => 2,
                    o => return Err((at, format!("expected bypass or fanout, found `{o}`"))),
                };
            }
            Expr::Queue { num, total, flags }
        }
        "quota" => {
            t.expect("bytes")?;
            let bytes = t.num("a byte count")?;
            t.expect("consumed")?;
            let _consumed: u64 = t.num("a byte count")?;
            t.expect("flags")?;
            let flags = t.num("quota flags")?;
            Expr::Quota { bytes, flags }
        }
        "dynset" => {
            let at = t.here();
            let op = match t.next("add, update or delete")? {
                "add" => 0,
                "update" => 1,
                "delete" => 2,
                o => return Err((at, format!("expected add, update or delete, found `{o}`"))),
            };
            t.expect("reg_key")?;
            let sreg_key = t.num("a register number")?;
            t.expect("set")?;
            let set = t.next("a set name")?.to_string();
            let sreg_data = if t.eat("sreg_data") {
                Some(t.num("a register number")?)
            } else {
                None
            };
            let timeout = if t.eat("timeout") {
                let at = t.here();
                let v = t.next("a timeout")?;
                let ms = v
                    .strip_suffix("ms")
                    .and_then(|n| n.parse::<u64>().ok())
                    .ok_or((
                        at,
                        format!("expected a timeout in ms (`30000ms`), found `{v}`"),
                    ))?;
                Some(ms).filter(|ms| *ms != 0)
            } else {
                None
            };
            // Per-element expressions (`expr [ counter ... ]`) have no place in the form.
            t.pos = t.toks.len();
            Expr::Dynset {
                op,
                set,
                sreg_key,
                sreg_data,
                timeout,
            }
        }
        _ => {
            t.pos = t.toks.len();
            Expr::Unknown {
                name: name.to_string(),
                raw: args.to_string(),
            }
        }
    };
    t.done()?;
    Ok(e)
}
