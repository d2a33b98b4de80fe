//! Renders libnftables-json expressions, values and simple statements as nft-like text.
//!
//! The text is what `nft list ruleset` would print where that is known (quoted interface
//! names, hexadecimal marks, `a . b` concatenations, `{ a, b }` sets with sorted elements);
//! an expression this module does not know is kept as its compact JSON, never dropped.
//! Recursion follows the JSON nesting, which serde_json caps at 128 levels.

use serde_json::Value;

/// How a constant is printed, decided by the type of what it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// As is (`10.0.0.1`, `tcp`, `80`).
    Plain,
    /// A string type, printed quoted (`"eth0"`).
    Quoted,
    /// A 32-bit mark, printed `0x%08x`.
    Hex,
    /// An integer printed in hexadecimal without padding (`0x10`): raw payloads and
    /// the result of a shift.
    HexShort,
    /// A byte printed `0x%02x` (DSCP values without a name).
    HexByte,
}

/// Context of a value: how keys (per concatenation component) and map data print.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx<'a> {
    /// Kinds of the key, one per concatenation component.
    pub(super) key: &'a [Kind],
    /// Kinds of map data.
    pub(super) data: &'a [Kind],
}

/// Everything printed as is.
pub(super) const PLAIN: Ctx<'static> = Ctx {
    key: &[Kind::Plain],
    data: &[Kind::Plain],
};

impl<'a> Ctx<'a> {
    /// A context with these key kinds and plain data.
    pub(super) fn keys(key: &'a [Kind]) -> Ctx<'a> {
        Ctx {
            key,
            data: &[Kind::Plain],
        }
    }

    fn first(&self) -> Kind {
        self.key.first().copied().unwrap_or(Kind::Plain)
    }

    fn component(&self, i: usize) -> Ctx<'a> {
        let key = match self.key.get(i) {
            Some(_) => &self.key[i..=i],
            None => &[Kind::Plain][..],
        };
        Ctx {
            key,
            data: self.data,
        }
    }
}

/// Meta keys that nft prints without the `meta` keyword.
const UNQUALIFIED_META: &[&str] = &["iif", "oif", "iifname", "oifname", "iifgroup", "oifgroup"];

/// Meta keys whose values are interface names (printed quoted).
const IFNAME_META: &[&str] = &[
    "iif", "oif", "iifname", "oifname", "ibrname", "obrname", "ibriport", "obriport", "iifkind",
    "oifkind", "sdifname",
];

/// The print kind of values compared with expression `e`.
pub(super) fn kind_of_expr(e: &Value) -> Kind {
    let Some((head, body)) = single(e) else {
        return Kind::Plain;
    };
    match head {
        "meta" => match body.get("key").and_then(Value::as_str) {
            Some(k) if IFNAME_META.contains(&k) => Kind::Quoted,
            Some("mark") => Kind::Hex,
            _ => Kind::Plain,
        },
        "ct" => match body.get("key").and_then(Value::as_str) {
            Some("helper") => Kind::Quoted,
            Some("mark") => Kind::Hex,
            _ => Kind::Plain,
        },
        "payload" if body.get("field").and_then(Value::as_str) == Some("dscp") => Kind::HexByte,
        // Raw payloads (`@th,160,32`) print their values in hexadecimal.
        "payload" if body.get("base").is_some() && body.get("protocol").is_none() => Kind::HexShort,
        "&" | "|" | "^" | "<<" | ">>" => body
            .as_array()
            .and_then(|a| a.first())
            .map(kind_of_expr)
            .unwrap_or(Kind::Plain),
        _ => Kind::Plain,
    }
}

/// Print kinds per concatenation component of expression `e`.
pub(super) fn kinds_of_expr(e: &Value) -> Vec<Kind> {
    match e.get("concat").and_then(Value::as_array) {
        Some(parts) => parts.iter().map(kind_of_expr).collect(),
        None => vec![kind_of_expr(e)],
    }
}

/// The print kind of a named datatype (`ifname`, `mark`, `counter`, ...).
pub(super) fn kind_of_type(name: &str) -> Kind {
    match name.trim() {
        "ifname" | "iface_index" | "string" | "counter" | "quota" | "limit" | "ct helper"
        | "ct timeout" | "ct expectation" | "synproxy" | "secmark" | "tunnel" => Kind::Quoted,
        "mark" => Kind::Hex,
        _ => Kind::Plain,
    }
}

/// Print kinds of a datatype text, one per `.`-separated component.
pub(super) fn kinds_of_type_text(text: &str) -> Vec<Kind> {
    text.split(" . ").map(kind_of_type).collect()
}

/// The only key and value of a one-key object.
pub(super) fn single(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    o.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// Writes `s` as an nft double-quoted string.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Compact JSON text of a value (keys sorted, as serde_json's map keeps them).
pub(super) fn json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A duration in seconds the way nft prints it (`1h30m`, `10s`, `0s`).
pub(super) fn duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        let n = rest / len;
        rest %= len;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// A byte count in nft's largest exact unit (`2 mbytes`, `2000 bytes`).
pub(super) fn bytes_with_unit(mut n: u64) -> String {
    let units = ["bytes", "kbytes", "mbytes"];
    let mut i = 0;
    while n != 0 && n.is_multiple_of(1024) && i + 1 < units.len() {
        n /= 1024;
        i += 1;
    }
    format!("{n} {}", units[i])
}

/// An expression (left-hand side, key, statement argument) with plain constants.
pub(super) fn expr(e: &Value) -> String {
    value(e, PLAIN)
}

/// A value or expression in a context.
pub(super) fn value(v: &Value, ctx: Ctx<'_>) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "exists".to_string(),
        Value::Bool(false) => "missing".to_string(),
        Value::Number(n) => match (ctx.first(), n.as_u64()) {
            (Kind::Hex, Some(u)) => format!("0x{u:08x}"),
            (Kind::HexShort, Some(u)) => format!("0x{u:x}"),
            (Kind::HexByte, Some(u)) => format!("0x{u:02x}"),
            _ => n.to_string(),
        },
        Value::String(s) => {
            if ctx.first() == Kind::Quoted && !s.starts_with('@') && s != "*" {
                quote(s)
            } else {
                s.clone()
            }
        }
        Value::Array(items) => items
            .iter()
            .map(|i| value(i, ctx))
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => object(v, ctx),
    }
}

fn object(v: &Value, ctx: Ctx<'_>) -> String {
    let Some((head, body)) = single(v) else {
        return json(v);
    };
    match head {
        "set" => match body.as_array() {
            Some(items) => set(items, ctx),
            None => value(body, ctx),
        },
        "concat" => match body.as_array() {
            Some(parts) => parts
                .iter()
                .enumerate()
                .map(|(i, p)| value(p, ctx.component(i)))
                .collect::<Vec<_>>()
                .join(" . "),
            None => json(v),
        },
        "prefix" => match (body.get("addr"), body.get("len")) {
            (Some(a), Some(l)) => format!("{}/{}", value(a, ctx), value(l, PLAIN)),
            _ => json(v),
        },
        "range" => match body.as_array().map(Vec::as_slice) {
            Some([a, b]) => format!("{}-{}", value(a, ctx), value(b, ctx)),
            _ => json(v),
        },
        "elem" => elem(body, ctx),
        "&" | "|" | "^" | "<<" | ">>" => binop(head, body, v, ctx),
        "map" | "vmap" => match (body.get("key"), body.get("data")) {
            (Some(k), Some(d)) => {
                let kinds = kinds_of_expr(k);
                let inner = Ctx {
                    key: &kinds,
                    data: ctx.data,
                };
                format!("{} {head} {}", expr(k), value(d, inner))
            }
            _ => json(v),
        },
        _ => expression(head, body).unwrap_or_else(|| statement(v)),
    }
}

/// An anonymous set: elements rendered and sorted, `{ a, b }`.
pub(super) fn set(items: &[Value], ctx: Ctx<'_>) -> String {
    let mut parts: Vec<String> = items.iter().map(|i| element(i, ctx)).collect();
    parts.sort();
    parts.dedup();
    if parts.is_empty() {
        return "{ }".to_string();
    }
    format!("{{ {} }}", parts.join(", "))
}

/// One set element; a two-item array is a map element `key : data`.
pub(super) fn element(v: &Value, ctx: Ctx<'_>) -> String {
    match v.as_array().map(Vec::as_slice) {
        Some([k, d]) => {
            let data_ctx = Ctx {
                key: ctx.data,
                data: ctx.data,
            };
            format!("{} : {}", value(k, ctx), value(d, data_ctx))
        }
        _ => value(v, ctx),
    }
}

/// An `elem` object: the value with its timeout, comment and statements; `expires` is
/// volatile and left out, counter values too.
fn elem(body: &Value, ctx: Ctx<'_>) -> String {
    let Some(o) = body.as_object() else {
        return value(body, ctx);
    };
    let mut out = o.get("val").map(|v| value(v, ctx)).unwrap_or_default();
    if let Some(t) = o.get("timeout").and_then(Value::as_u64) {
        out.push_str(&format!(" timeout {}", duration(t)));
    }
    for (k, v) in o {
        match k.as_str() {
            "val" | "timeout" | "expires" | "comment" => {}
            other => {
                let mut m = serde_json::Map::new();
                m.insert(other.to_string(), v.clone());
                out.push(' ');
                out.push_str(&statement(&Value::Object(m)));
            }
        }
    }
    if let Some(c) = o.get("comment").and_then(Value::as_str) {
        out.push_str(&format!(" comment {}", quote(c)));
    }
    out
}

fn binop(op: &str, body: &Value, whole: &Value, outer: Ctx<'_>) -> String {
    let Some(items) = body.as_array() else {
        return json(whole);
    };
    let Some(first) = items.first() else {
        return json(whole);
    };
    // Constants take the kind of the left operand, or of what the result is assigned to;
    // after a shift nft prints them as short hexadecimal.
    let shifted = single(first).is_some_and(|(h, _)| matches!(h, "<<" | ">>"));
    let kind = match kind_of_expr(first) {
        _ if shifted => [Kind::HexShort],
        Kind::Plain => [outer.first()],
        k => [k],
    };
    let ctx = Ctx::keys(&kind);
    // Parentheses only where C precedence needs them, as nft prints them.
    let prec = |h: &str| match h {
        "<<" | ">>" => 4,
        "&" => 3,
        "^" => 2,
        _ => 1,
    };
    let operand = |v: &Value, c: Ctx<'_>| {
        let looser = single(v)
            .is_some_and(|(h, _)| matches!(h, "&" | "|" | "^" | "<<" | ">>") && prec(h) < prec(op));
        let t = value(v, c);
        if looser {
            format!("({t})")
        } else {
            t
        }
    };
    let mut out = operand(first, ctx);
    for it in &items[1..] {
        // Shift amounts are plain numbers whatever the left side is.
        let c = if matches!(op, "<<" | ">>") {
            PLAIN
        } else {
            ctx
        };
        out.push_str(&format!(" {op} {}", operand(it, c)));
    }
    out
}

fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// Expression heads other than sets, values and operators.
fn expression(head: &str, body: &Value) -> Option<String> {
    Some(match head {
        "payload" => {
            if let (Some(p), Some(f)) = (str_field(body, "protocol"), str_field(body, "field")) {
                match str_field(body, "tunnel") {
                    Some(t) => format!("{t} {p} {f}"),
                    None => format!("{p} {f}"),
                }
            } else {
                let base = str_field(body, "base")?;
                let off = body.get("offset")?.as_u64()?;
                let len = body.get("len")?.as_u64()?;
                format!("@{base},{off},{len}")
            }
        }
        "meta" => {
            let key = str_field(body, "key")?;
            if UNQUALIFIED_META.contains(&key) {
                key.to_string()
            } else {
                format!("meta {key}")
            }
        }
        "ct" => {
            let key = str_field(body, "key")?;
            let mut out = "ct".to_string();
            if let Some(d) = str_field(body, "dir") {
                out.push_str(&format!(" {d}"));
            }
            if let Some(f) = str_field(body, "family") {
                out.push_str(&format!(" {f}"));
            }
            out.push_str(&format!(" {key}"));
            out
        }
        "rt" => {
            let key = str_field(body, "key")?;
            match str_field(body, "family") {
                Some(f) => format!("rt {f} {key}"),
                None => format!("rt {key}"),
            }
        }
        "fib" => {
            let result = str_field(body, "result")?;
            let flags: Vec<String> = match body.get("flags") {
                Some(Value::Array(a)) => a.iter().map(expr).collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            format!("fib {} {result}", flags.join(" . "))
        }
        "socket" | "tunnel" => format!("{head} {}", str_field(body, "key")?),
        "osf" => {
            let key = str_field(body, "key")?;
            match str_field(body, "ttl") {
                Some(t) => format!("osf ttl {t} {key}"),
                None => format!("osf {key}"),
            }
        }
        "numgen" => {
            let mode = str_field(body, "mode")?;
            let m = body.get("mod")?.as_u64()?;
            match body.get("offset").and_then(Value::as_u64) {
                Some(o) if o != 0 => format!("numgen {mode} mod {m} offset {o}"),
                _ => format!("numgen {mode} mod {m}"),
            }
        }
        "jhash" | "symhash" => {
            let mut out = head.to_string();
            if let Some(e) = body.get("expr") {
                out.push_str(&format!(" {}", expr(e)));
            }
            out.push_str(&format!(" mod {}", body.get("mod")?.as_u64()?));
            if let Some(s) = body.get("seed").and_then(Value::as_u64) {
                out.push_str(&format!(" seed 0x{s:x}"));
            }
            if let Some(o) = body.get("offset").and_then(Value::as_u64) {
                out.push_str(&format!(" offset {o}"));
            }
            out
        }
        "ipsec" => {
            let key = str_field(body, "key")?;
            let mut out = "ipsec".to_string();
            if let Some(d) = str_field(body, "dir") {
                out.push_str(&format!(" {d}"));
            }
            if let Some(n) = body.get("spnum").and_then(Value::as_u64) {
                if n != 0 {
                    out.push_str(&format!(" spnum {n}"));
                }
            }
            if let Some(f) = str_field(body, "family") {
                out.push_str(&format!(" {f}"));
            }
            out.push_str(&format!(" {key}"));
            out
        }
        "exthdr" | "tcp option" | "ip option" | "sctp chunk" => {
            let lead = if head == "exthdr" { "exthdr" } else { head };
            if let Some(name) = str_field(body, "name") {
                match str_field(body, "field") {
                    Some(f) => format!("{lead} {name} {f}"),
                    None => format!("{lead} {name}"),
                }
            } else {
                let base = body.get("base")?.as_u64()?;
                let off = body.get("offset")?.as_u64()?;
                let len = body.get("len")?.as_u64()?;
                format!("{lead} @{base},{off},{len}")
            }
        }
        "dccp option" => format!("dccp option {}", body.get("type")?.as_u64()?),
        "accept" | "drop" | "continue" | "return" | "break" => head.to_string(),
        "jump" | "goto" => format!("{head} {}", str_field(body, "target")?),
        _ => return None,
    })
}

/// A rate limit statement body: `limit rate [over ]N[ unit]/per[ burst B unit]`.
pub(super) fn limit(body: &Value) -> Option<String> {
    let rate = body.get("rate")?.as_u64()?;
    let per = str_field(body, "per").unwrap_or("second");
    let over = if body.get("inv").and_then(Value::as_bool) == Some(true) {
        "over "
    } else {
        ""
    };
    let mut out = match str_field(body, "rate_unit") {
        Some(u) if u != "packets" => format!("limit rate {over}{rate} {u}/{per}"),
        _ => format!("limit rate {over}{rate}/{per}"),
    };
    if let Some(b) = body.get("burst").and_then(Value::as_u64) {
        if b != 0 {
            let unit =
                str_field(body, "burst_unit").unwrap_or(match str_field(body, "rate_unit") {
                    Some(u) if u != "packets" => "bytes",
                    _ => "packets",
                });
            out.push_str(&format!(" burst {b} {unit}"));
        }
    }
    Some(out)
}

/// A quota statement body: `quota [over ]N unit` (the volatile `used` left out).
pub(super) fn quota(body: &Value) -> Option<String> {
    let val = body.get("val")?.as_u64()?;
    let unit = str_field(body, "val_unit").unwrap_or("bytes");
    let over = if body.get("inv").and_then(Value::as_bool) == Some(true) {
        "over "
    } else {
        ""
    };
    Some(format!("quota {over}{val} {unit}"))
}

/// A statement as nft-like text, for statements the model keeps verbatim and for the
/// statements attached to set elements. Unknown ones are their compact JSON.
pub(super) fn statement(v: &Value) -> String {
    statement_text(v).unwrap_or_else(|| json(v))
}

fn statement_text(v: &Value) -> Option<String> {
    let (head, body) = single(v)?;
    Some(match head {
        "counter" => match body {
            Value::Null => "counter".to_string(),
            Value::String(s) => format!("counter name {}", quote(s)),
            Value::Object(o) if o.contains_key("packets") || o.contains_key("bytes") => {
                "counter".to_string()
            }
            other => format!("counter name {}", objref_arg(other)),
        },
        "limit" => match body {
            Value::String(s) => format!("limit name {}", quote(s)),
            Value::Object(o) if o.contains_key("rate") => limit(body)?,
            other => format!("limit name {}", objref_arg(other)),
        },
        "quota" => match body {
            Value::String(s) => format!("quota name {}", quote(s)),
            Value::Object(o) if o.contains_key("val") => quota(body)?,
            other => format!("quota name {}", objref_arg(other)),
        },
        "ct helper" | "ct timeout" | "ct expectation" => {
            format!("{head} set {}", objref_arg(body))
        }
        "synproxy" | "secmark" | "tunnel" if !body.is_object() || body.get("map").is_some() => {
            format!("{head} name {}", objref_arg(body))
        }
        "last" => "last".to_string(),
        "notrack" => "notrack".to_string(),
        "match" => {
            let left = body.get("left")?;
            let right = body.get("right")?;
            let op = str_field(body, "op").unwrap_or("==");
            match_text(op, left, right)
        }
        "mangle" => {
            let key = body.get("key")?;
            let val = body.get("value")?;
            let kinds = kinds_of_expr(key);
            let ctx = Ctx {
                key: &kinds,
                data: &kinds,
            };
            format!("{} set {}", expr(key), value(val, ctx))
        }
        "set" | "map" => {
            let op = str_field(body, "op")?;
            let name = str_field(body, head)?;
            let key = body.get("elem")?;
            let mut inner = expr(key);
            if let Some(d) = body.get("data") {
                inner.push_str(&format!(" : {}", expr(d)));
            }
            if let Some(Value::Array(stmts)) = body.get("stmt") {
                for s in stmts {
                    inner.push_str(&format!(" {}", statement(s)));
                }
            }
            format!("{op} {name} {{ {inner} }}")
        }
        "flow" => format!(
            "flow {} {}",
            str_field(body, "op")?,
            str_field(body, "flowtable")?
        ),
        "dup" | "fwd" => {
            let mut out = head.to_string();
            if let Some(f) = str_field(body, "family") {
                out.push_str(&format!(" {f}"));
            }
            out.push_str(" to");
            if let Some(a) = body.get("addr") {
                out.push_str(&format!(" {}", expr(a)));
            }
            if let Some(d) = body.get("dev") {
                let kind = [Kind::Quoted];
                let dev = value(d, Ctx::keys(&kind));
                if body.get("addr").is_some() {
                    out.push_str(&format!(" device {dev}"));
                } else {
                    out.push_str(&format!(" {dev}"));
                }
            }
            out
        }
        "tproxy" => {
            let mut out = "tproxy".to_string();
            if let Some(f) = str_field(body, "family") {
                out.push_str(&format!(" {f}"));
            }
            out.push_str(" to ");
            if let Some(a) = body.get("addr") {
                out.push_str(&expr(a));
            }
            if let Some(p) = body.get("port") {
                out.push_str(&format!(":{}", expr(p)));
            }
            out
        }
        "ct count" => {
            let n = body.get("val")?.as_u64()?;
            if body.get("inv").and_then(Value::as_bool) == Some(true) {
                format!("ct count over {n}")
            } else {
                format!("ct count {n}")
            }
        }
        "reset" => format!("reset {}", expr(body)),
        "accept" | "drop" | "continue" | "return" | "jump" | "goto" => {
            expression(head, body).unwrap_or_else(|| json(v))
        }
        _ => return None,
    })
}

/// The argument of a named-object reference: a quoted name or a `KEY map ...` lookup
/// whose data are object names.
fn objref_arg(v: &Value) -> String {
    let kind = [Kind::Quoted];
    let ctx = Ctx {
        key: &kind,
        data: &kind,
    };
    match v {
        Value::String(_) => value(v, ctx),
        Value::Object(_) => match (v.get("map").and_then(|m| m.get("key")), v.get("map")) {
            (Some(k), Some(m)) => {
                let kinds = kinds_of_expr(k);
                let c = Ctx {
                    key: &kinds,
                    data: &kind,
                };
                match m.get("data") {
                    Some(d) => format!("{} map {}", expr(k), value(d, c)),
                    None => json(v),
                }
            }
            _ => json(v),
        },
        _ => json(v),
    }
}

/// A relational expression as nft prints it: `==` and the implicit `in` are left out.
pub(super) fn match_text(op: &str, left: &Value, right: &Value) -> String {
    let kinds = kinds_of_expr(left);
    let r = value(right, Ctx::keys(&kinds));
    match op {
        "==" | "in" => format!("{} {r}", expr(left)),
        other => format!("{} {other} {r}", expr(left)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_expressions() {
        assert_eq!(
            expr(&json!({"payload": {"protocol": "tcp", "field": "dport"}})),
            "tcp dport"
        );
        assert_eq!(expr(&json!({"meta": {"key": "iifname"}})), "iifname");
        assert_eq!(expr(&json!({"meta": {"key": "l4proto"}})), "meta l4proto");
        assert_eq!(
            expr(&json!({"ct": {"key": "saddr", "dir": "original", "family": "ip"}})),
            "ct original ip saddr"
        );
        assert_eq!(
            expr(&json!({"payload": {"base": "th", "offset": 160, "len": 32}})),
            "@th,160,32"
        );
        assert_eq!(
            expr(&json!({"fib": {"result": "oif", "flags": ["saddr", "iif"]}})),
            "fib saddr . iif oif"
        );
        assert_eq!(
            expr(&json!({"&": [{"meta": {"key": "mark"}}, 65280]})),
            "meta mark & 0x0000ff00"
        );
        assert_eq!(
            expr(
                &json!({"|": [{"&": [{"ct": {"key": "mark"}}, 4294901760u64]}, {"&": [{"meta": {"key": "mark"}}, 65535]}]})
            ),
            "ct mark & 0xffff0000 | meta mark & 0x0000ffff"
        );
        assert_eq!(
            expr(&json!({"numgen": {"mode": "inc", "mod": 2, "offset": 0}})),
            "numgen inc mod 2"
        );
        // Raw payloads and DSCP values print in hexadecimal, as nft text does.
        assert_eq!(
            match_text(
                "==",
                &json!({"payload": {"base": "th", "offset": 160, "len": 32}}),
                &json!(41118720)
            ),
            "@th,160,32 0x2736c00"
        );
        assert_eq!(
            match_text(
                "==",
                &json!({"payload": {"protocol": "ip", "field": "dscp"}}),
                &json!(2)
            ),
            "ip dscp 0x02"
        );
        // Parentheses only where precedence needs them; constants after a shift are short hex.
        assert_eq!(
            expr(&json!({"&": [{">>": [{"meta": {"key": "mark"}}, 8]}, 15]})),
            "meta mark >> 8 & 0xf"
        );
        assert_eq!(
            expr(&json!({"<<": [{"|": [{"meta": {"key": "mark"}}, 16]}, 8]})),
            "(meta mark | 0x00000010) << 8"
        );
        // Unknown expressions are kept as JSON.
        assert_eq!(expr(&json!({"frob": {"x": 1}})), r#"{"frob":{"x":1}}"#);
    }

    #[test]
    fn renders_sets_with_kinds() {
        let kinds = [Kind::Quoted, Kind::Plain];
        let v =
            json!({"set": [{"concat": ["eth1", 22]}, {"concat": ["eth0", {"range": [80, 90]}]}]});
        assert_eq!(
            value(&v, Ctx::keys(&kinds)),
            r#"{ "eth0" . 80-90, "eth1" . 22 }"#
        );
        let m = json!({"set": [["cali123", {"jump": {"target": "cali-fw-cali123"}}], ["lo", {"accept": null}]]});
        assert_eq!(
            value(&m, Ctx::keys(&[Kind::Quoted])),
            r#"{ "cali123" : jump cali-fw-cali123, "lo" : accept }"#
        );
        let p = json!({"set": [{"prefix": {"addr": "10.0.0.0", "len": 8}}, "1.2.3.4"]});
        assert_eq!(value(&p, PLAIN), "{ 1.2.3.4, 10.0.0.0/8 }");
    }

    #[test]
    fn renders_elements_without_volatile_parts() {
        let e = json!({"elem": {"val": "10.0.0.1", "timeout": 90, "expires": 12, "comment": "x",
                                "counter": {"packets": 3, "bytes": 9}}});
        assert_eq!(
            value(&e, PLAIN),
            "10.0.0.1 timeout 1m30s counter comment \"x\""
        );
    }

    #[test]
    fn renders_statements() {
        assert_eq!(
            statement(&json!({"limit": {"rate": 10, "burst": 5, "per": "second"}})),
            "limit rate 10/second burst 5 packets"
        );
        assert_eq!(
            statement(
                &json!({"limit": {"rate": 1, "burst": 0, "per": "minute", "inv": true,
                                         "rate_unit": "mbytes"}})
            ),
            "limit rate over 1 mbytes/minute"
        );
        assert_eq!(
            statement(&json!({"quota": {"val": 25, "val_unit": "mbytes", "inv": true, "used": 3}})),
            "quota over 25 mbytes"
        );
        assert_eq!(
            statement(
                &json!({"set": {"op": "update", "elem": {"payload": {"protocol": "ip", "field": "saddr"}},
                                       "set": "@s", "stmt": [{"counter": null}]}})
            ),
            "update @s { ip saddr counter }"
        );
        assert_eq!(
            statement(
                &json!({"counter": {"map": {"key": {"payload": {"protocol": "ip", "field": "saddr"}},
                "data": {"set": [["1.1.1.1", "user123"]]}}}})
            ),
            r#"counter name ip saddr map { 1.1.1.1 : "user123" }"#
        );
        assert_eq!(statement(&json!({"weird": 1})), r#"{"weird":1}"#);
    }

    #[test]
    fn durations_and_units() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(3600), "1h");
        assert_eq!(duration(90061), "1d1h1m1s");
        assert_eq!(bytes_with_unit(2000), "2000 bytes");
        assert_eq!(bytes_with_unit(2 * 1024 * 1024), "2 mbytes");
        assert_eq!(bytes_with_unit(0), "0 bytes");
    }

    #[test]
    fn match_text_omits_implicit_ops() {
        assert_eq!(
            match_text("==", &json!({"meta": {"key": "iif"}}), &json!("lo")),
            r#"iif "lo""#
        );
        assert_eq!(
            match_text("!=", &json!({"meta": {"key": "nfproto"}}), &json!("ipv4")),
            "meta nfproto != ipv4"
        );
    }
}
