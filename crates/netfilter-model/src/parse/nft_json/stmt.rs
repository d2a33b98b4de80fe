//! Statements of a rule's `expr` list: verdicts, counters, marks, NAT, reject, log, xt, ...

use crate::model::{Listing, LossNote};
use serde_json::Value;

use crate::model::{Counters, Family, Match, MatchKind, NatKind, Statement, Verdict, VerdictMap};

use super::expr::{self, ct_key, meta_key, MatchOut};
use super::text::{self, single};

/// What one statement contributes to a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// A condition.
    Match(MatchOut),
    /// A non-terminal effect.
    Statement(Statement),
    /// How the rule ends.
    Verdict(Verdict),
    /// An anonymous counter's values.
    Counter(Counters),
    /// An xt compat match/target whose options nft JSON does not show; the model gets
    /// `item` (if any) and the rule a lossy note.
    Lossy {
        /// The lossy match or statement; `None` for `xt match comment` (the comment text
        /// is what was lost).
        item: Option<Box<Item>>,
        /// What was lost.
        note: LossNote,
    },
}

fn other(args: String) -> Statement {
    Statement::Other {
        target: "nft".into(),
        args,
        lossy: false,
    }
}

/// Maps one statement object (`{"KIND": BODY}`) of a rule in a table of `family`.
pub(super) fn statement(v: &Value, family: Family) -> Result<Item, String> {
    let (head, body) = single(v).ok_or(
        "a statement must be an object with exactly one key naming it (`match`, `accept`, ...)",
    )?;
    Ok(match head {
        "match" => Item::Match(expr::match_stmt(body)?),
        "accept" => Item::Verdict(Verdict::Accept),
        "drop" => Item::Verdict(Verdict::Drop),
        "continue" => Item::Verdict(Verdict::Continue),
        "return" => Item::Verdict(Verdict::Return),
        "jump" | "goto" => {
            let target = body
                .get("target")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`{head}` needs `{{\"target\": CHAIN}}`"))?
                .to_string();
            Item::Verdict(if head == "jump" {
                Verdict::Jump(target)
            } else {
                Verdict::Goto(target)
            })
        }
        "queue" => Item::Verdict(Verdict::queue(&queue(body))),
        "vmap" => Item::Verdict(Verdict::Vmap(VerdictMap::parse(&text::value(
            v,
            text::PLAIN,
        )))),
        "reject" => Item::Verdict(Verdict::Reject {
            with: Some(reject(body, family)?),
        }),
        "counter" => counter(body, v),
        "limit" if body.get("rate").is_some() => limit(body)?,
        "quota" | "limit" | "ct helper" | "ct timeout" | "ct expectation" | "synproxy"
        | "secmark" | "tunnel"
            if body.is_string() =>
        {
            Item::Statement(Statement::ObjectRef {
                kind: head.to_string(),
                name: body.as_str().unwrap_or_default().to_string(),
            })
        }
        "mangle" => Item::Statement(mangle(body, v)?),
        "snat" | "dnat" | "masquerade" | "redirect" => Item::Statement(nat(head, body)?),
        "log" => Item::Statement(log(body)?),
        "notrack" => Item::Statement(Statement::Notrack),
        "ct count" => Item::Match(MatchOut::Match(Match::new(MatchKind::Other {
            module: "nft".into(),
            args: text::statement(v),
            lossy: false,
        }))),
        "xt" => xt(body)?,
        _ => Item::Statement(other(text::statement(v))),
    })
}

fn counter(body: &Value, whole: &Value) -> Item {
    match body {
        Value::Null => Item::Counter(Counters::default()),
        Value::String(name) => Item::Statement(Statement::ObjectRef {
            kind: "counter".into(),
            name: name.clone(),
        }),
        Value::Object(o) if !o.contains_key("map") => Item::Counter(Counters {
            packets: o.get("packets").and_then(Value::as_u64).unwrap_or(0),
            bytes: o.get("bytes").and_then(Value::as_u64).unwrap_or(0),
        }),
        _ => Item::Statement(other(text::statement(whole))),
    }
}

fn limit(body: &Value) -> Result<Item, String> {
    let rate = body
        .get("rate")
        .and_then(Value::as_u64)
        .ok_or("`limit` needs a numeric `rate`")?;
    let per = body.get("per").and_then(Value::as_str).unwrap_or("second");
    let rate = match body.get("rate_unit").and_then(Value::as_str) {
        Some(u) if u != "packets" => format!("{rate} {u}/{per}"),
        _ => format!("{rate}/{per}"),
    };
    let burst = body
        .get("burst")
        .and_then(Value::as_u64)
        .filter(|b| *b != 0)
        .and_then(|b| u32::try_from(b).ok());
    let inv = body.get("inv").and_then(Value::as_bool) == Some(true);
    Ok(Item::Match(MatchOut::Match(Match::with_negation(
        MatchKind::Limit { rate, burst },
        inv,
    ))))
}

fn queue(body: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(flags) = body.get("flags") {
        let list: Vec<String> = match flags {
            Value::Array(a) => a.iter().map(text::expr).collect(),
            other => vec![text::expr(other)],
        };
        parts.push(format!("flags {}", list.join(",")));
    }
    if let Some(num) = body.get("num") {
        parts.push(format!("to {}", text::expr(num)));
    }
    parts.join(" ")
}

/// Reject types in iptables' `--reject-with` spelling, so `iptables-nft` rules read from
/// JSON compare equal with `iptables-save`'s.
fn reject(body: &Value, family: Family) -> Result<String, String> {
    if body.is_null() {
        return Ok(default_reject(family).to_string());
    }
    let ty = body.get("type").and_then(Value::as_str);
    let code = body.get("expr").map(|e| match e {
        Value::String(s) => s.clone(),
        other => text::expr(other),
    });
    Ok(match (ty, code.as_deref()) {
        (Some("tcp reset" | "tcp rst"), _) => "tcp-reset".into(),
        (None, None) => default_reject(family).into(),
        (Some("icmp"), None) => "icmp-port-unreachable".into(),
        (Some("icmpv6"), None) => "icmp6-port-unreachable".into(),
        (Some("icmpx"), None) => "icmpx-port-unreachable".into(),
        (Some("icmp"), Some(c)) => match c {
            "prot-unreachable" => "icmp-proto-unreachable".into(),
            c => format!("icmp-{c}"),
        },
        (Some("icmpv6"), Some(c)) => match c {
            "admin-prohibited" => "icmp6-adm-prohibited".into(),
            c => format!("icmp6-{c}"),
        },
        (Some("icmpx"), Some(c)) => format!("icmpx-{c}"),
        (None, Some(c)) => match family {
            Family::Ip => format!("icmp-{c}"),
            Family::Ip6 => format!("icmp6-{c}"),
            _ => format!("icmpx-{c}"),
        },
        (Some(other), _) => return Err(format!("unknown reject type `{other}`")),
    })
}

/// What a bare `reject` does in each family (nft's defaults).
fn default_reject(family: Family) -> &'static str {
    match family {
        Family::Ip => "icmp-port-unreachable",
        Family::Ip6 => "icmp6-port-unreachable",
        _ => "icmpx-port-unreachable",
    }
}

/// A 32-bit constant.
fn u32_const(v: &Value) -> Option<u32> {
    expr::number(v).and_then(|n| u32::try_from(n).ok())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MarkKey {
    Meta,
    Ct,
}

fn mark_key(v: &Value) -> Option<MarkKey> {
    if meta_key(v) == Some("mark") {
        Some(MarkKey::Meta)
    } else if ct_key(v) == Some("mark") {
        Some(MarkKey::Ct)
    } else {
        None
    }
}

/// Operands of a binary operator object `{"OP": [a, b, ...]}`.
fn binop<'a>(v: &'a Value, op: &str) -> Option<&'a [Value]> {
    let (head, body) = single(v)?;
    if head != op {
        return None;
    }
    body.as_array().map(Vec::as_slice).filter(|a| a.len() >= 2)
}

/// Folds constant operands with `f`.
fn fold_consts(items: &[Value], f: impl Fn(u32, u32) -> u32, init: u32) -> Option<u32> {
    items
        .iter()
        .try_fold(init, |acc, x| Some(f(acc, u32_const(x)?)))
}

/// `(KEY & A)` with constant `A`, or the bare key (`A = !0`).
fn masked_self(v: &Value, key: MarkKey) -> Option<u32> {
    if mark_key(v) == Some(key) {
        return Some(u32::MAX);
    }
    let items = binop(v, "&")?;
    if mark_key(&items[0]) != Some(key) {
        return None;
    }
    fold_consts(&items[1..], |a, b| a & b, u32::MAX)
}

/// The `(and, xor)` pair of `KEY set VALUE` when VALUE is mark arithmetic on KEY itself.
fn mark_arith(value: &Value, key: MarkKey) -> Option<(u32, u32)> {
    if let Some(c) = u32_const(value) {
        return Some((0, c));
    }
    if let Some(a) = masked_self(value, key) {
        return Some((a, 0));
    }
    if let Some(items) = binop(value, "|") {
        let a = masked_self(&items[0], key)?;
        let x = fold_consts(&items[1..], |a, b| a | b, 0)?;
        return Some((a & !x, x));
    }
    if let Some(items) = binop(value, "^") {
        let a = masked_self(&items[0], key)?;
        let x = fold_consts(&items[1..], |a, b| a ^ b, 0)?;
        return Some((a, x));
    }
    None
}

/// `(KEY & A) | (OTHER & B)` in either order: returns `(A, B)`.
fn save_restore(value: &Value, key: MarkKey, from: MarkKey) -> Option<(u32, u32)> {
    if mark_key(value) == Some(from) {
        return Some((0, u32::MAX));
    }
    let items = binop(value, "|")?;
    let [x, y] = items else {
        return None;
    };
    for (a, b) in [(x, y), (y, x)] {
        if let (Some(keep), Some(take)) = (masked_self(a, key), masked_self(b, from)) {
            return Some((keep, take));
        }
    }
    None
}

fn mangle(body: &Value, whole: &Value) -> Result<Statement, String> {
    let key = body.get("key").ok_or("`mangle` without `key`")?;
    let value = body.get("value").ok_or("`mangle` without `value`")?;
    if let Some(k) = mark_key(key) {
        if let Some((and, xor)) = mark_arith(value, k) {
            return Ok(match k {
                MarkKey::Meta => Statement::SetMark { and, xor },
                MarkKey::Ct => Statement::SetCtMark { and, xor },
            });
        }
        let from = match k {
            MarkKey::Meta => MarkKey::Ct,
            MarkKey::Ct => MarkKey::Meta,
        };
        if let Some((keep, take)) = save_restore(value, k, from) {
            return Ok(match k {
                MarkKey::Ct => Statement::SaveMark {
                    nfmask: take,
                    ctmask: !keep,
                },
                MarkKey::Meta => Statement::RestoreMark {
                    nfmask: !keep,
                    ctmask: take,
                },
            });
        }
    }
    if let Some((head, kb)) = single(key) {
        if head == "tcp option"
            && kb.get("name").and_then(Value::as_str) == Some("maxseg")
            && kb.get("field").and_then(Value::as_str) == Some("size")
        {
            if let Some(("rt", rb)) = single(value) {
                if rb.get("key").and_then(Value::as_str) == Some("mtu") {
                    return Ok(Statement::TcpMss { mss: None });
                }
            }
            if let Some(n) = expr::number(value).and_then(|n| u16::try_from(n).ok()) {
                return Ok(Statement::TcpMss { mss: Some(n) });
            }
        }
    }
    if ct_key(key) == Some("zone") {
        return Ok(Statement::Ct {
            args: format!("zone set {}", text::expr(value)),
        });
    }
    Ok(other(text::statement(whole)))
}

fn nat(head: &str, body: &Value) -> Result<Statement, String> {
    let kind = match head {
        "snat" => NatKind::Snat,
        "dnat" => NatKind::Dnat,
        "masquerade" => NatKind::Masquerade,
        _ => NatKind::Redirect,
    };
    if body.is_null() {
        return Ok(Statement::Nat {
            kind,
            addr: None,
            port: None,
            flags: Vec::new(),
        });
    }
    let o = body
        .as_object()
        .ok_or_else(|| format!("`{head}` must be null or an object"))?;
    let mut flags = Vec::new();
    for key in ["flags", "type_flags"] {
        match o.get(key) {
            None => {}
            Some(Value::String(s)) => flags.push(s.clone()),
            Some(Value::Array(a)) => {
                for f in a {
                    flags.push(
                        f.as_str()
                            .ok_or_else(|| format!("`{head}` {key} must be strings"))?
                            .to_string(),
                    );
                }
            }
            Some(_) => return Err(format!("`{head}` {key} must be a string or a list")),
        }
    }
    Ok(Statement::Nat {
        kind,
        addr: o.get("addr").map(text::expr),
        port: o.get("port").map(text::expr),
        flags,
    })
}

fn log(body: &Value) -> Result<Statement, String> {
    if body.is_null() {
        return Ok(Statement::Log {
            prefix: None,
            level: None,
            group: None,
            extra: Vec::new(),
        });
    }
    let o = body.as_object().ok_or("`log` must be null or an object")?;
    let mut extra = Vec::new();
    let mut group = None;
    for (k, v) in o {
        match k.as_str() {
            "prefix" | "level" => {}
            "group" => {
                group = Some(
                    v.as_u64()
                        .and_then(|g| u16::try_from(g).ok())
                        .ok_or("`log` group must be a number 0-65535")?,
                )
            }
            "flags" => {
                let list: Vec<String> = match v {
                    Value::Array(a) => a.iter().map(text::expr).collect(),
                    other => vec![text::expr(other)],
                };
                for f in list {
                    extra.push(format!("flags {f}"));
                }
            }
            other => extra.push(format!("{other} {}", text::expr(v))),
        }
    }
    Ok(Statement::Log {
        prefix: o.get("prefix").and_then(Value::as_str).map(str::to_string),
        level: o
            .get("level")
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|l| l != "warn"),
        group,
        extra,
    })
}

fn xt(body: &Value) -> Result<Item, String> {
    if body.is_null() {
        // nft before 1.0.1 prints every xt expression as `{"xt": null}`: not even whether
        // it is a match or a target. Kept as an unknown (lossy) match, which the tracer
        // treats as undecidable.
        return Ok(Item::Lossy {
            item: Some(Box::new(Item::Match(MatchOut::Match(Match::new(
                MatchKind::Other {
                    module: "xt".into(),
                    args: String::new(),
                    lossy: true,
                },
            ))))),
            note: LossNote::XtUnidentified,
        });
    }
    let ty = body
        .get("type")
        .and_then(Value::as_str)
        .ok_or("`xt` needs a `type` (match, target or watcher)")?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or("`xt` needs a `name`")?;
    let note = LossNote::XtOptionsHidden {
        kind: ty.to_string(),
        name: name.to_string(),
        listing: Listing::NftJson,
    };
    if ty == "match" && name == "comment" {
        return Ok(Item::Lossy {
            item: None,
            note: LossNote::XtCommentHidden,
        });
    }
    let item = if ty == "match" {
        Item::Match(MatchOut::Match(Match::new(MatchKind::Other {
            module: format!("xt:{name}"),
            args: String::new(),
            lossy: true,
        })))
    } else {
        Item::Statement(Statement::Other {
            target: format!("xt:{name}"),
            args: String::new(),
            lossy: true,
        })
    };
    Ok(Item::Lossy {
        item: Some(Box::new(item)),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn st(v: Value) -> Item {
        statement(&v, Family::Ip).unwrap()
    }

    #[test]
    fn verdicts() {
        assert_eq!(st(json!({"accept": null})), Item::Verdict(Verdict::Accept));
        assert_eq!(st(json!({"drop": null})), Item::Verdict(Verdict::Drop));
        assert_eq!(st(json!({"return": null})), Item::Verdict(Verdict::Return));
        assert_eq!(
            st(json!({"continue": null})),
            Item::Verdict(Verdict::Continue)
        );
        assert_eq!(
            st(json!({"jump": {"target": "cali-fw"}})),
            Item::Verdict(Verdict::Jump("cali-fw".into()))
        );
        assert_eq!(
            st(json!({"goto": {"target": "x"}})),
            Item::Verdict(Verdict::Goto("x".into()))
        );
        assert!(statement(&json!({"jump": {}}), Family::Ip).is_err());
        assert_eq!(
            st(json!({"queue": null})),
            Item::Verdict(Verdict::Queue("to 0".into()))
        );
        assert_eq!(
            st(json!({"queue": {"num": {"range": [1, 10]}, "flags": ["bypass", "fanout"]}})),
            Item::Verdict(Verdict::Queue("flags bypass,fanout to 1-10".into()))
        );
    }

    #[test]
    fn vmaps() {
        let v = st(json!({"vmap": {"key": {"meta": {"key": "iifname"}},
            "data": {"set": [["cali2", {"goto": {"target": "b"}}], ["cali1", {"jump": {"target": "a"}}]]}}}));
        assert_eq!(
            v,
            Item::Verdict(Verdict::Vmap(VerdictMap::parse(
                r#"iifname vmap { "cali1" : jump a, "cali2" : goto b }"#
            )))
        );
        let n = st(
            json!({"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": "@m"}}),
        );
        assert_eq!(
            n,
            Item::Verdict(Verdict::Vmap(VerdictMap::parse("tcp dport vmap @m")))
        );
    }

    #[test]
    fn rejects_in_iptables_spelling() {
        let r = |v: Value, f: Family| match statement(&v, f).unwrap() {
            Item::Verdict(Verdict::Reject { with }) => with.unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            r(json!({"reject": null}), Family::Ip),
            "icmp-port-unreachable"
        );
        assert_eq!(
            r(json!({"reject": null}), Family::Ip6),
            "icmp6-port-unreachable"
        );
        assert_eq!(
            r(json!({"reject": null}), Family::Inet),
            "icmpx-port-unreachable"
        );
        assert_eq!(
            r(
                json!({"reject": {"type": "icmp", "expr": "port-unreachable"}}),
                Family::Ip
            ),
            "icmp-port-unreachable"
        );
        assert_eq!(
            r(json!({"reject": {"type": "tcp reset"}}), Family::Inet),
            "tcp-reset"
        );
        assert_eq!(
            r(
                json!({"reject": {"type": "icmpx", "expr": "admin-prohibited"}}),
                Family::Inet
            ),
            "icmpx-admin-prohibited"
        );
        assert_eq!(
            r(
                json!({"reject": {"type": "icmpv6", "expr": "admin-prohibited"}}),
                Family::Ip6
            ),
            "icmp6-adm-prohibited"
        );
        assert_eq!(
            r(
                json!({"reject": {"type": "icmp", "expr": "prot-unreachable"}}),
                Family::Ip
            ),
            "icmp-proto-unreachable"
        );
        assert!(statement(&json!({"reject": {"type": "bogus"}}), Family::Ip).is_err());
    }

    #[test]
    fn counters_and_object_refs() {
        assert_eq!(
            st(json!({"counter": {"packets": 3, "bytes": 120}})),
            Item::Counter(Counters {
                packets: 3,
                bytes: 120
            })
        );
        assert_eq!(
            st(json!({"counter": null})),
            Item::Counter(Counters::default())
        );
        assert_eq!(
            st(json!({"counter": "cnt1"})),
            Item::Statement(Statement::ObjectRef {
                kind: "counter".into(),
                name: "cnt1".into()
            })
        );
        assert_eq!(
            st(json!({"quota": "q"})),
            Item::Statement(Statement::ObjectRef {
                kind: "quota".into(),
                name: "q".into()
            })
        );
        assert_eq!(
            st(json!({"ct helper": "ftp"})),
            Item::Statement(Statement::ObjectRef {
                kind: "ct helper".into(),
                name: "ftp".into()
            })
        );
        assert_eq!(
            st(json!({"quota": {"val": 25, "val_unit": "mbytes", "used": 5}})),
            Item::Statement(other("quota 25 mbytes".into()))
        );
    }

    #[test]
    fn mark_arithmetic() {
        let mark = |v: Value| match st(
            json!({"mangle": {"key": {"meta": {"key": "mark"}}, "value": v}}),
        ) {
            Item::Statement(s) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(mark(json!(5)), Statement::SetMark { and: 0, xor: 5 });
        // MARK --set-xmark 0x80000/0x80000 as iptables-nft writes it: mark or 0x80000.
        assert_eq!(
            mark(json!({"|": [{"meta": {"key": "mark"}}, 0x80000]})),
            Statement::SetMark {
                and: !0x80000,
                xor: 0x80000
            }
        );
        assert_eq!(
            mark(json!({"^": [{"&": [{"meta": {"key": "mark"}}, 0xffff0000u32]}, 0x10]})),
            Statement::SetMark {
                and: 0xffff0000,
                xor: 0x10
            }
        );
        assert_eq!(
            mark(json!({"&": [{"meta": {"key": "mark"}}, 0xff]})),
            Statement::SetMark { and: 0xff, xor: 0 }
        );
        assert_eq!(
            mark(json!({"^": [{"meta": {"key": "mark"}}, 3]})),
            Statement::SetMark {
                and: u32::MAX,
                xor: 3
            }
        );
        assert_eq!(
            mark(json!({"ct": {"key": "mark"}})),
            Statement::RestoreMark {
                nfmask: u32::MAX,
                ctmask: u32::MAX
            }
        );
        assert_eq!(
            mark(
                json!({"|": [{"&": [{"ct": {"key": "mark"}}, 0xffff0000u32]}, {"&": [{"meta": {"key": "mark"}}, 0xffff]}]})
            ),
            Statement::RestoreMark {
                nfmask: 0xffff0000,
                ctmask: 0xffff0000
            }
        );
        assert_eq!(
            mark(json!({"|": [{"<<": [{"payload": {"protocol": "ip", "field": "dscp"}}, 2]}, 16]})),
            other("meta mark set ip dscp << 2 | 0x10".into())
        );
        assert_eq!(
            mark(json!({">>": [{"ct": {"key": "mark"}}, 8]})),
            other("meta mark set ct mark >> 8".into())
        );
        let ct = st(
            json!({"mangle": {"key": {"ct": {"key": "mark"}}, "value": {"meta": {"key": "mark"}}}}),
        );
        assert_eq!(
            ct,
            Item::Statement(Statement::SaveMark {
                nfmask: u32::MAX,
                ctmask: u32::MAX
            })
        );
        let ct2 = st(json!({"mangle": {"key": {"ct": {"key": "mark"}}, "value": 16}}));
        assert_eq!(
            ct2,
            Item::Statement(Statement::SetCtMark { and: 0, xor: 16 })
        );
    }

    #[test]
    fn other_mangles() {
        assert_eq!(
            st(
                json!({"mangle": {"key": {"tcp option": {"name": "maxseg", "field": "size"}},
                                  "value": {"rt": {"key": "mtu"}}}})
            ),
            Item::Statement(Statement::TcpMss { mss: None })
        );
        assert_eq!(
            st(
                json!({"mangle": {"key": {"tcp option": {"name": "maxseg", "field": "size"}}, "value": 1360}})
            ),
            Item::Statement(Statement::TcpMss { mss: Some(1360) })
        );
        assert_eq!(
            st(json!({"mangle": {"key": {"ct": {"key": "zone"}}, "value": 2}})),
            Item::Statement(Statement::Ct {
                args: "zone set 2".into()
            })
        );
        assert_eq!(
            st(
                json!({"mangle": {"key": {"payload": {"protocol": "ip", "field": "daddr"}},
                                  "value": {"map": {"key": {"meta": {"key": "iifname"}}, "data": "@m1"}}}})
            ),
            Item::Statement(other("ip daddr set iifname map @m1".into()))
        );
    }

    #[test]
    fn nat_statements() {
        assert_eq!(
            st(json!({"dnat": {"addr": "10.0.0.1", "port": 8080}})),
            Item::Statement(Statement::Nat {
                kind: NatKind::Dnat,
                addr: Some("10.0.0.1".into()),
                port: Some("8080".into()),
                flags: vec![]
            })
        );
        assert_eq!(
            st(json!({"masquerade": null})),
            Item::Statement(Statement::Nat {
                kind: NatKind::Masquerade,
                addr: None,
                port: None,
                flags: vec![]
            })
        );
        assert_eq!(
            st(
                json!({"snat": {"family": "ip", "addr": {"range": ["1.1.1.1", "1.1.1.9"]},
                               "port": {"range": [1000, 2000]}, "flags": ["random", "persistent"]}})
            ),
            Item::Statement(Statement::Nat {
                kind: NatKind::Snat,
                addr: Some("1.1.1.1-1.1.1.9".into()),
                port: Some("1000-2000".into()),
                flags: vec!["random".into(), "persistent".into()]
            })
        );
        assert_eq!(
            st(json!({"redirect": {"port": 8080}})),
            Item::Statement(Statement::Nat {
                kind: NatKind::Redirect,
                addr: None,
                port: Some("8080".into()),
                flags: vec![]
            })
        );
    }

    #[test]
    fn log_limit_notrack() {
        assert_eq!(
            st(json!({"log": {"prefix": "x: ", "level": "info", "flags": ["tcp sequence"]}})),
            Item::Statement(Statement::Log {
                prefix: Some("x: ".into()),
                level: Some("info".into()),
                group: None,
                extra: vec!["flags tcp sequence".into()]
            })
        );
        assert_eq!(
            st(json!({"log": {"group": 5}})),
            Item::Statement(Statement::Log {
                prefix: None,
                level: None,
                group: Some(5),
                extra: vec![]
            })
        );
        assert_eq!(
            st(json!({"limit": {"rate": 10, "burst": 5, "per": "second"}})),
            Item::Match(MatchOut::Match(Match::new(MatchKind::Limit {
                rate: "10/second".into(),
                burst: Some(5)
            })))
        );
        assert_eq!(
            st(
                json!({"limit": {"rate": 1, "burst": 0, "per": "minute", "inv": true, "rate_unit": "mbytes"}})
            ),
            Item::Match(MatchOut::Match(Match::with_negation(
                MatchKind::Limit {
                    rate: "1 mbytes/minute".into(),
                    burst: None
                },
                true
            )))
        );
        assert_eq!(
            st(json!({"notrack": null})),
            Item::Statement(Statement::Notrack)
        );
    }

    #[test]
    fn xt_is_lossy() {
        match st(json!({"xt": {"type": "match", "name": "conntrack"}})) {
            Item::Lossy {
                item: Some(i),
                note,
            } => {
                assert!(note.to_string().contains("conntrack"));
                assert_eq!(
                    *i,
                    Item::Match(MatchOut::Match(Match::new(MatchKind::Other {
                        module: "xt:conntrack".into(),
                        args: String::new(),
                        lossy: true
                    })))
                );
            }
            other => panic!("{other:?}"),
        }
        match st(json!({"xt": null})) {
            Item::Lossy {
                item: Some(i),
                note,
            } => {
                assert_eq!(note, LossNote::XtUnidentified);
                assert!(matches!(
                    *i,
                    Item::Match(MatchOut::Match(Match {
                        kind: MatchKind::Other { lossy: true, .. },
                        ..
                    }))
                ));
            }
            other => panic!("{other:?}"),
        }
        assert!(statement(&json!({"xt": {"name": "x"}}), Family::Ip).is_err());
        assert!(matches!(
            st(json!({"xt": {"type": "match", "name": "comment"}})),
            Item::Lossy { item: None, .. }
        ));
        match st(json!({"xt": {"type": "target", "name": "REJECT"}})) {
            Item::Lossy { item: Some(i), .. } => assert_eq!(
                *i,
                Item::Statement(Statement::Other {
                    target: "xt:REJECT".into(),
                    args: String::new(),
                    lossy: true
                })
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_statements_are_kept() {
        assert_eq!(
            st(json!({"flow": {"op": "add", "flowtable": "@f"}})),
            Item::Statement(other("flow add @f".into()))
        );
        assert_eq!(
            st(json!({"frobnicate": {"x": 1}})),
            Item::Statement(other(r#"{"frobnicate":{"x":1}}"#.into()))
        );
        assert!(statement(&json!({"a": 1, "b": 2}), Family::Ip).is_err());
    }
}
