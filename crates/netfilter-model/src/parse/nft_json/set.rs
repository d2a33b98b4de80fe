//! Named sets, maps, meters, set elements, and named objects (counters, quotas, limits,
//! ct helpers/timeouts/expectations, synproxies, secmarks, flowtables, ...).

use serde_json::Value;

use crate::model::{NamedObject, NamedSet, Origin};

use super::schema::SetObj;
use super::text::{self, Ctx, Kind};

/// Text of a set's `type` or `map`: a name, a concatenation of names, or `typeof EXPR`.
pub(super) fn type_text(v: &Value) -> Result<(String, Vec<Kind>), String> {
    match v {
        Value::String(s) => Ok((s.clone(), text::kinds_of_type_text(s))),
        Value::Array(a) => {
            let names: Vec<&str> = a
                .iter()
                .map(Value::as_str)
                .collect::<Option<_>>()
                .ok_or("a concatenated type must be a list of type names")?;
            let joined = names.join(" . ");
            let kinds = text::kinds_of_type_text(&joined);
            Ok((joined, kinds))
        }
        Value::Object(o) => match o.get("typeof") {
            Some(e) => Ok((format!("typeof {}", text::expr(e)), text::kinds_of_expr(e))),
            None => Err("a set type must be a name, a list of names or {\"typeof\": EXPR}".into()),
        },
        _ => Err("a set type must be a name, a list of names or {\"typeof\": EXPR}".into()),
    }
}

/// Elements as nft-like strings, sorted so that equal sets compare equal.
pub(super) fn elements(elems: &[Value], key: &[Kind], data: &[Kind]) -> Vec<String> {
    let ctx = Ctx { key, data };
    let mut out: Vec<String> = elems.iter().map(|e| text::element(e, ctx)).collect();
    out.sort();
    out.dedup();
    out
}

/// Builds a model set from a `set`, `map` or `meter` object.
pub(super) fn named_set(kind: &str, s: SetObj, origin: Origin) -> Result<NamedSet, String> {
    let (key_type, key_kinds) = type_text(&s.key_type)?;
    let (data_type, data_kinds) = match &s.map {
        Some(m) => {
            let (t, k) = type_text(m)?;
            (Some(t), k)
        }
        None => (None, vec![Kind::Plain]),
    };
    let mut flags = s.flags.map(|f| f.into_vec()).unwrap_or_default();
    flags.sort();
    flags.dedup();
    let mut extra = Vec::new();
    if kind == "meter" {
        extra.push("meter".to_string());
    }
    if let Some(p) = s.policy {
        extra.push(format!("policy {p}"));
    }
    if let Some(n) = s.size {
        extra.push(format!("size {n}"));
    }
    if let Some(t) = s.timeout {
        extra.push(format!("timeout {}", text::duration(t)));
    }
    if let Some(g) = s.gc_interval {
        extra.push(format!("gc-interval {}", text::duration(g)));
    }
    if s.auto_merge == Some(true) {
        extra.push("auto-merge".to_string());
    }
    for st in s.stmt.unwrap_or_default() {
        extra.push(text::statement(&st));
    }
    extra.sort();
    Ok(NamedSet {
        name: s.name,
        key_type,
        data_type,
        flags,
        elements: elements(&s.elem.unwrap_or_default(), &key_kinds, &data_kinds),
        extra,
        comment: s.comment,
        origin,
    })
}

/// Print kinds of an existing set's key and data, for elements added later.
pub(super) fn kinds_of_set(set: &NamedSet) -> (Vec<Kind>, Vec<Kind>) {
    let kinds = |t: &str| match t.strip_prefix("typeof ") {
        // A typeof type's text no longer has the expression; fall back to plain.
        Some(_) => vec![Kind::Plain],
        None => text::kinds_of_type_text(t),
    };
    (
        kinds(&set.key_type),
        set.data_type
            .as_deref()
            .map(kinds)
            .unwrap_or_else(|| vec![Kind::Plain]),
    )
}

fn get_str<'a>(rest: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a str> {
    rest.get(k).and_then(Value::as_str)
}

fn get_u64(rest: &serde_json::Map<String, Value>, k: &str) -> Option<u64> {
    rest.get(k).and_then(Value::as_u64)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => text::json(other),
    }
}

/// The canonical body of a named object (volatile values such as counter packets and
/// bytes or quota usage left out), as nft-like text.
pub(super) fn object_body(kind: &str, rest: &serde_json::Map<String, Value>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut used: Vec<&str> = vec!["comment"];
    match kind {
        "counter" => used.extend(["packets", "bytes"]),
        "quota" => {
            used.extend(["bytes", "used", "inv"]);
            let over = if rest.get("inv").and_then(Value::as_bool) == Some(true) {
                "over "
            } else {
                ""
            };
            parts.push(format!(
                "{over}{}",
                text::bytes_with_unit(get_u64(rest, "bytes").unwrap_or(0))
            ));
        }
        "limit" => {
            used.extend(["rate", "per", "inv", "rate_unit", "burst", "burst_unit"]);
            let body = Value::Object(rest.clone());
            if let Some(t) = text::limit(&body) {
                // nft text leaves the default burst out of a limit object.
                let t = t.trim_start_matches("limit ");
                parts.push(t.strip_suffix(" burst 5 packets").unwrap_or(t).to_string());
            }
        }
        "ct helper" => {
            used.extend(["type", "protocol", "l3proto"]);
            if let Some(t) = get_str(rest, "type") {
                let proto = rest.get("protocol").map(scalar).unwrap_or_default();
                parts.push(format!("type {} protocol {proto}", text::quote(t)));
            }
            if let Some(l3) = get_str(rest, "l3proto") {
                parts.push(format!("l3proto {l3}"));
            }
        }
        "ct timeout" => {
            // In the order and spelling of nft text.
            for k in ["protocol", "l3proto"] {
                if let Some(v) = rest.get(k) {
                    parts.push(format!("{k} {}", scalar(v)));
                }
            }
            used.extend(["protocol", "l3proto"]);
            if let Some(Value::Object(p)) = rest.get("policy") {
                used.push("policy");
                let items: Vec<String> = p
                    .iter()
                    .map(|(state, v)| match v.as_u64() {
                        Some(secs) => format!("{state} : {}", text::duration(secs)),
                        None => format!("{state} : {}", scalar(v)),
                    })
                    .collect();
                parts.push(format!("policy = {{ {} }}", items.join(", ")));
            }
        }
        "ct expectation" => {
            // In the order and spelling of nft text; the timeout is in milliseconds.
            for k in ["protocol", "dport", "timeout", "size", "l3proto"] {
                let Some(v) = rest.get(k) else { continue };
                used.push(k);
                match (k, v.as_u64()) {
                    ("timeout", Some(ms)) if ms % 1000 == 0 => {
                        parts.push(format!("timeout {}", text::duration(ms / 1000)))
                    }
                    ("timeout", Some(ms)) => parts.push(format!("timeout {ms}ms")),
                    _ => parts.push(format!("{k} {}", scalar(v))),
                }
            }
        }
        "synproxy" => {
            used.extend(["mss", "wscale", "flags"]);
            let mut s = Vec::new();
            if let Some(m) = get_u64(rest, "mss") {
                s.push(format!("mss {m}"));
            }
            if let Some(w) = get_u64(rest, "wscale") {
                s.push(format!("wscale {w}"));
            }
            let flags: Vec<String> = match rest.get("flags") {
                Some(Value::Array(a)) => a.iter().map(scalar).collect(),
                Some(v) => vec![scalar(v)],
                None => Vec::new(),
            };
            if !flags.is_empty() {
                s.push(flags.join(" "));
            }
            // nft text: `mss 1460; wscale 7; timestamp sack-perm`.
            parts.extend(s);
        }
        "secmark" => {
            used.push("context");
            if let Some(c) = get_str(rest, "context") {
                parts.push(text::quote(c));
            }
        }
        "flowtable" => {
            used.extend(["hook", "prio", "dev"]);
            if let Some(h) = get_str(rest, "hook") {
                // As nft text prints it: `priority filter + 10`, devices quoted.
                let prio = match rest.get("prio").and_then(Value::as_i64) {
                    Some(p) => match i32::try_from(p) {
                        Ok(p) => crate::model::priority_name(p, &crate::model::Hook::from_nft(h)),
                        Err(_) => p.to_string(),
                    },
                    None => rest
                        .get("prio")
                        .map(scalar)
                        .unwrap_or_else(|| "filter".into()),
                };
                parts.push(format!("hook {h} priority {prio}"));
            }
            let dev_text = |v: &Value| match v {
                Value::String(s) => text::quote(s),
                other => scalar(other),
            };
            let mut devs: Vec<String> = match rest.get("dev") {
                Some(Value::Array(a)) => a.iter().map(dev_text).collect(),
                Some(v) => vec![dev_text(v)],
                None => Vec::new(),
            };
            devs.sort();
            if !devs.is_empty() {
                parts.push(format!("devices = {{ {} }}", devs.join(", ")));
            }
        }
        _ => {}
    }
    // Whatever else the object has, in key order, so nothing is dropped.
    for (k, v) in rest {
        if used.contains(&k.as_str()) {
            continue;
        }
        let val = match v {
            Value::Object(o) => {
                let inner: Vec<String> = o
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", scalar(v)))
                    .collect();
                format!("{{ {} }}", inner.join(", "))
            }
            other => scalar(other),
        };
        parts.push(format!("{k} {val}"));
    }
    if let Some(c) = get_str(rest, "comment") {
        parts.push(format!("comment {}", text::quote(c)));
    }
    parts.retain(|p| !p.is_empty());
    parts.join("; ")
}

/// Builds a model object.
pub(super) fn named_object(
    kind: &str,
    name: String,
    rest: &serde_json::Map<String, Value>,
    origin: Origin,
) -> NamedObject {
    NamedObject {
        kind: kind.to_string(),
        name,
        body: object_body(kind, rest),
        origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set_obj(v: Value) -> SetObj {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn interval_set_with_prefixes_and_ranges() {
        let s = set_obj(
            json!({"family": "ip", "table": "t", "name": "s", "type": "ipv4_addr",
            "flags": ["interval", "constant"],
            "elem": [{"prefix": {"addr": "10.0.0.0", "len": 8}}, {"range": ["1.1.1.1", "1.1.1.9"]}, "2.2.2.2"]}),
        );
        let n = named_set("set", s, Origin::default()).unwrap();
        assert_eq!(n.key_type, "ipv4_addr");
        assert_eq!(n.flags, vec!["constant", "interval"]);
        assert_eq!(n.elements, vec!["1.1.1.1-1.1.1.9", "10.0.0.0/8", "2.2.2.2"]);
    }

    #[test]
    fn concatenated_and_ifname_keys() {
        let s = set_obj(json!({"family": "inet", "table": "t", "name": "s",
            "type": ["ifname", "inet_service"],
            "elem": [{"concat": ["eth0", 22]}, {"concat": ["eth1", {"range": [80, 90]}]}]}));
        let n = named_set("set", s, Origin::default()).unwrap();
        assert_eq!(n.key_type, "ifname . inet_service");
        assert_eq!(n.elements, vec![r#""eth0" . 22"#, r#""eth1" . 80-90"#]);
    }

    #[test]
    fn verdict_maps_and_typeof() {
        let m = set_obj(
            json!({"family": "inet", "table": "t", "name": "m", "type": "ifname",
            "map": "verdict", "flags": "interval",
            "elem": [["cali123", {"jump": {"target": "cali-fw-cali123"}}], ["lo", {"accept": null}]]}),
        );
        let n = named_set("map", m, Origin::default()).unwrap();
        assert_eq!(n.data_type.as_deref(), Some("verdict"));
        assert_eq!(
            n.elements,
            vec![r#""cali123" : jump cali-fw-cali123"#, r#""lo" : accept"#]
        );
        let t = set_obj(json!({"family": "inet", "table": "t", "name": "m",
            "type": {"typeof": {"concat": [{"payload": {"protocol": "ip", "field": "daddr"}},
                                            {"payload": {"protocol": "th", "field": "dport"}}]}},
            "map": "verdict", "flags": ["timeout"], "gc-interval": 10, "timeout": 3600, "size": 100,
            "elem": [[{"elem": {"val": {"concat": ["1.2.3.4", 22]}, "timeout": 60, "expires": 33}},
                      {"jump": {"target": "ssh"}}]]}));
        let n = named_set("map", t, Origin::default()).unwrap();
        assert_eq!(n.key_type, "typeof ip daddr . th dport");
        assert_eq!(n.elements, vec!["1.2.3.4 . 22 timeout 1m : jump ssh"]);
        assert_eq!(n.extra, vec!["gc-interval 10s", "size 100", "timeout 1h"]);
    }

    #[test]
    fn mark_and_object_maps() {
        let m = set_obj(
            json!({"family": "ip", "table": "t", "name": "m", "type": "ipv4_addr",
            "map": "mark", "elem": [["1.1.1.1", 16]]}),
        );
        let n = named_set("map", m, Origin::default()).unwrap();
        assert_eq!(n.elements, vec!["1.1.1.1 : 0x00000010"]);
        let q = set_obj(
            json!({"family": "ip", "table": "t", "name": "m", "type": "ipv4_addr",
            "map": "quota", "elem": [["192.168.2.2", "user124"]]}),
        );
        let n = named_set("map", q, Origin::default()).unwrap();
        assert_eq!(n.elements, vec![r#"192.168.2.2 : "user124""#]);
    }

    #[test]
    fn bad_types_are_errors() {
        let s = set_obj(json!({"family": "ip", "table": "t", "name": "s", "type": 5}));
        assert!(named_set("set", s, Origin::default()).is_err());
    }

    #[test]
    fn object_bodies() {
        let m = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            object_body("counter", &m(json!({"packets": 12, "bytes": 1433}))),
            ""
        );
        assert_eq!(
            object_body("quota", &m(json!({"bytes": 2000, "used": 5, "inv": true}))),
            "over 2000 bytes"
        );
        assert_eq!(
            object_body(
                "quota",
                &m(json!({"bytes": 26214400u64, "used": 0, "inv": false}))
            ),
            "25 mbytes"
        );
        assert_eq!(
            object_body(
                "limit",
                &m(json!({"rate": 10, "per": "second", "burst": 5}))
            ),
            "rate 10/second"
        );
        assert_eq!(
            object_body(
                "ct helper",
                &m(json!({"type": "ftp", "protocol": "tcp", "l3proto": "ip"}))
            ),
            "type \"ftp\" protocol tcp; l3proto ip"
        );
        assert_eq!(
            object_body(
                "ct timeout",
                &m(json!({"protocol": "tcp", "l3proto": "ip",
                                                 "policy": {"established": 100, "close": 4}}))
            ),
            "protocol tcp; l3proto ip; policy = { close : 4s, established : 1m40s }"
        );
        assert_eq!(
            object_body(
                "ct expectation",
                &m(json!({"protocol": "tcp", "l3proto": "ip", "dport": 5432,
                                                     "size": 12, "timeout": 3600000}))
            ),
            "protocol tcp; dport 5432; timeout 1h; size 12; l3proto ip"
        );
        assert_eq!(
            object_body(
                "synproxy",
                &m(json!({"mss": 1460, "wscale": 7, "flags": ["timestamp", "sack-perm"]}))
            ),
            "mss 1460; wscale 7; timestamp sack-perm"
        );
        assert_eq!(
            object_body(
                "flowtable",
                &m(json!({"hook": "ingress", "prio": 0, "dev": ["eth1", "eth0"]}))
            ),
            "hook ingress priority filter; devices = { \"eth0\", \"eth1\" }"
        );
        assert_eq!(
            object_body(
                "secmark",
                &m(json!({"context": "system_u:object_r:ssh_server_packet_t:s0", "comment": "c"}))
            ),
            "\"system_u:object_r:ssh_server_packet_t:s0\"; comment \"c\""
        );
    }
}
