//! Serde structs for the top-level objects of `nft -j list ruleset` (libnftables-json(5)).
//!
//! Open-ended parts (set types, elements, expressions) stay `serde_json::Value`; statement
//! lists stay borrowed raw JSON so each statement keeps its position in the text.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// The whole document: `{"nftables": [OBJECT, ...]}`.
#[derive(Debug, Deserialize)]
pub(super) struct Document<'a> {
    /// Objects in listing order, each still raw so its position is known.
    #[serde(borrow)]
    pub(super) nftables: Vec<&'a RawValue>,
}

/// A string or a list of strings (`"flags"`, `"dev"`, set `"type"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    /// A single string.
    One(String),
    /// Several strings.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, in order.
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// `{"table": {...}}`.
#[derive(Debug, Deserialize)]
pub(super) struct TableObj {
    pub(super) family: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) handle: Option<u64>,
    #[serde(default)]
    pub(super) flags: Option<OneOrMany>,
    #[serde(default)]
    pub(super) comment: Option<String>,
}

/// `{"chain": {...}}`; base chains have `type`, `hook`, `prio` and `policy`.
#[derive(Debug, Deserialize)]
pub(super) struct ChainObj {
    pub(super) family: String,
    pub(super) table: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) handle: Option<u64>,
    #[serde(default, rename = "type")]
    pub(super) chain_type: Option<String>,
    #[serde(default)]
    pub(super) hook: Option<String>,
    #[serde(default)]
    pub(super) prio: Option<Value>,
    #[serde(default)]
    pub(super) policy: Option<String>,
    #[serde(default)]
    pub(super) dev: Option<OneOrMany>,
    #[serde(default)]
    pub(super) comment: Option<String>,
}

/// `{"rule": {...}}`; statements stay raw for their positions.
#[derive(Debug, Deserialize)]
pub(super) struct RuleObj<'a> {
    pub(super) family: String,
    pub(super) table: String,
    pub(super) chain: String,
    #[serde(default)]
    pub(super) handle: Option<u64>,
    #[serde(default)]
    pub(super) comment: Option<String>,
    #[serde(borrow, default)]
    pub(super) expr: Option<Vec<&'a RawValue>>,
}

/// `{"set": {...}}`, `{"map": {...}}` or `{"meter": {...}}`.
#[derive(Debug, Deserialize)]
pub(super) struct SetObj {
    pub(super) family: String,
    pub(super) table: String,
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) key_type: Value,
    #[serde(default)]
    pub(super) map: Option<Value>,
    #[serde(default)]
    pub(super) handle: Option<u64>,
    #[serde(default)]
    pub(super) policy: Option<String>,
    #[serde(default)]
    pub(super) size: Option<u64>,
    #[serde(default)]
    pub(super) flags: Option<OneOrMany>,
    #[serde(default)]
    pub(super) timeout: Option<u64>,
    #[serde(default, rename = "gc-interval")]
    pub(super) gc_interval: Option<u64>,
    #[serde(default, rename = "auto-merge")]
    pub(super) auto_merge: Option<bool>,
    #[serde(default)]
    pub(super) elem: Option<Vec<Value>>,
    #[serde(default)]
    pub(super) stmt: Option<Vec<Value>>,
    #[serde(default)]
    pub(super) comment: Option<String>,
}

/// `{"element": {...}}`: elements added to a named set.
#[derive(Debug, Deserialize)]
pub(super) struct ElementObj {
    pub(super) family: String,
    pub(super) table: String,
    pub(super) name: String,
    pub(super) elem: Value,
}

/// Any named object (`counter`, `quota`, `limit`, `ct helper`, `flowtable`, ...): the
/// identifying fields, the rest kept open.
#[derive(Debug, Deserialize)]
pub(super) struct NamedObj {
    pub(super) family: String,
    pub(super) table: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) handle: Option<u64>,
    #[serde(flatten)]
    pub(super) rest: serde_json::Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chain_and_rule_objects() {
        let c: ChainObj = serde_json::from_str(
            r#"{"family":"ip","table":"filter","name":"INPUT","handle":1,"type":"filter",
                "hook":"input","prio":0,"policy":"accept"}"#,
        )
        .unwrap();
        assert_eq!(c.hook.as_deref(), Some("input"));
        assert_eq!(c.prio, Some(Value::from(0)));
        let r: RuleObj<'_> = serde_json::from_str(
            r#"{"family":"ip","table":"filter","chain":"INPUT","handle":2,
                "expr":[{"accept":null}]}"#,
        )
        .unwrap();
        assert_eq!(r.expr.unwrap()[0].get(), r#"{"accept":null}"#);
        let bad = serde_json::from_str::<RuleObj<'_>>(r#"{"family":"ip","table":"t"}"#);
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("missing field `chain`"));
    }

    #[test]
    fn one_or_many() {
        let one: OneOrMany = serde_json::from_str(r#""eth0""#).unwrap();
        let many: OneOrMany = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert_eq!(one.into_vec(), vec!["eth0"]);
        assert_eq!(many.into_vec(), vec!["a", "b"]);
    }
}
