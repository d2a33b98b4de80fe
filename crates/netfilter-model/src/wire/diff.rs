//! The JSON wire format of a ruleset diff, the one `nfdiff diff --format json` prints.
//!
//! Shape: `{"equal", "old", "new", "chains": [{"family", "table", "chain", "status",
//! "old_backend", "new_backend", "changes", "rules": [{"op", "old_index",
//! "new_index", "rule", "new_rule"?, "comparable"}]}], "sets", "objects", "summary"}`.
//! Indices are 1-based; every rule of a listed chain is included.

use serde::Serialize;

use crate::diff::{Change, DiffStatus, RulesetDiff, StatusCounts};
use crate::model::IfacePattern;

use super::SCHEMA_VERSION;

/// `nfdiff diff --format json`: a [`RulesetDiff`] as its wire document, with the names the
/// caller gave OLD and NEW. Unchanged chains, sets and objects are left out unless `all`.
#[derive(Serialize)]
pub struct DiffJson<'a> {
    /// The wire format's version ([`SCHEMA_VERSION`]).
    schema_version: u32,
    equal: bool,
    old: &'a str,
    new: &'a str,
    chains: Vec<JsonChain<'a>>,
    sets: Vec<JsonSet<'a>>,
    objects: Vec<JsonObject<'a>>,
    summary: JsonSummary<'a>,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    field: &'static str,
    old: Option<&'a str>,
    new: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonChain<'a> {
    family: &'static str,
    table: &'a str,
    chain: &'a str,
    status: &'static str,
    old_backend: Option<&'static str>,
    new_backend: Option<&'static str>,
    changes: Vec<JsonChange<'a>>,
    rules: Vec<JsonRule<'a>>,
}

#[derive(Serialize)]
struct JsonRule<'a> {
    op: &'static str,
    old_index: Option<usize>,
    new_index: Option<usize>,
    rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_rule: Option<&'a str>,
    comparable: bool,
}

#[derive(Serialize)]
struct JsonSet<'a> {
    family: &'static str,
    table: &'a str,
    set: &'a str,
    status: &'static str,
    changes: Vec<JsonChange<'a>>,
    removed: &'a [String],
    added: &'a [String],
}

#[derive(Serialize)]
struct JsonObject<'a> {
    family: &'static str,
    table: &'a str,
    kind: &'a str,
    name: &'a str,
    status: &'static str,
    old: Option<&'a str>,
    new: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonCounts {
    only_old: usize,
    only_new: usize,
    changed: usize,
    same: usize,
}

impl From<&StatusCounts> for JsonCounts {
    fn from(c: &StatusCounts) -> Self {
        JsonCounts {
            only_old: c.only_old,
            only_new: c.only_new,
            changed: c.changed,
            same: c.same,
        }
    }
}

#[derive(Serialize)]
struct JsonRuleCounts {
    equal: usize,
    deleted: usize,
    inserted: usize,
    moved: usize,
    not_comparable: usize,
}

#[derive(Serialize)]
struct JsonOwner<'a> {
    owner: &'a str,
    old_chains: usize,
    old_rules: usize,
    new_chains: usize,
    new_rules: usize,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    chains: JsonCounts,
    sets: JsonCounts,
    objects: JsonCounts,
    rules: JsonRuleCounts,
    interfaces_only_old: Vec<String>,
    interfaces_only_new: Vec<String>,
    owners: Vec<JsonOwner<'a>>,
}

fn changes<F: Copy>(v: &[Change<F>], name: impl Fn(F) -> &'static str) -> Vec<JsonChange<'_>> {
    v.iter()
        .map(|c| JsonChange {
            field: name(c.field),
            old: c.old.as_deref(),
            new: c.new.as_deref(),
        })
        .collect()
}

fn view<'a>(d: &'a RulesetDiff, old: &'a str, new: &'a str, all: bool) -> DiffJson<'a> {
    let s = &d.summary;
    DiffJson {
        schema_version: SCHEMA_VERSION,
        equal: d.equal,
        old,
        new,
        chains: d
            .chains
            .iter()
            .filter(|c| all || c.status != DiffStatus::Same)
            .map(|c| JsonChain {
                family: c.family.as_str(),
                table: &c.table,
                chain: &c.chain,
                status: c.status.as_str(),
                old_backend: c.old_backend.map(|b| b.as_str()),
                new_backend: c.new_backend.map(|b| b.as_str()),
                changes: changes(&c.changes, |f| f.as_str()),
                rules: c
                    .rules
                    .iter()
                    .map(|r| JsonRule {
                        op: r.op.as_str(),
                        old_index: r.old_index,
                        new_index: r.new_index,
                        rule: &r.rule,
                        new_rule: r.new_rule.as_deref(),
                        comparable: r.comparable,
                    })
                    .collect(),
            })
            .collect(),
        sets: d
            .sets
            .iter()
            .filter(|x| all || x.status != DiffStatus::Same)
            .map(|x| JsonSet {
                family: x.family.as_str(),
                table: &x.table,
                set: &x.set,
                status: x.status.as_str(),
                changes: changes(&x.changes, |f| f.as_str()),
                removed: &x.removed,
                added: &x.added,
            })
            .collect(),
        objects: d
            .objects
            .iter()
            .filter(|x| all || x.status != DiffStatus::Same)
            .map(|x| JsonObject {
                family: x.family.as_str(),
                table: &x.table,
                kind: &x.kind,
                name: &x.name,
                status: x.status.as_str(),
                old: x.old_body.as_deref(),
                new: x.new_body.as_deref(),
            })
            .collect(),
        summary: JsonSummary {
            chains: (&s.chains).into(),
            sets: (&s.sets).into(),
            objects: (&s.objects).into(),
            rules: JsonRuleCounts {
                equal: s.rules.equal,
                deleted: s.rules.deleted,
                inserted: s.rules.inserted,
                moved: s.rules.moved,
                not_comparable: s.rules.not_comparable,
            },
            interfaces_only_old: s.interfaces_only_old.iter().map(iface).collect(),
            interfaces_only_new: s.interfaces_only_new.iter().map(iface).collect(),
            owners: s
                .owners
                .iter()
                .map(|o| JsonOwner {
                    owner: &o.owner,
                    old_chains: o.old_chains,
                    old_rules: o.old_rules,
                    new_chains: o.new_chains,
                    new_rules: o.new_rules,
                })
                .collect(),
        },
    }
}

impl<'a> DiffJson<'a> {
    /// The wire document of a diff; `old` and `new` name the two sides as the caller gave them.
    pub fn new(d: &'a RulesetDiff, old: &'a str, new: &'a str, all: bool) -> DiffJson<'a> {
        view(d, old, new, all)
    }
}

/// An interface pattern as the wire format writes it: the name, or the prefix and `*`.
fn iface(p: &IfacePattern) -> String {
    match p {
        IfacePattern::Exact(s) => s.clone(),
        IfacePattern::Prefix(s) => format!("{s}*"),
    }
}
