//! JSON rendering of a ruleset diff through dedicated view types (the wire format).
//!
//! Shape: `{"equal", "old", "new", "chains": [{"family", "table", "chain", "status",
//! "old_backend", "new_backend", "changes", "rules": [{"op", "old_index",
//! "new_index", "rule", "new_rule"?, "comparable"}]}], "sets", "objects", "summary"}`.
//! Indices are 1-based; every rule of a listed chain is included.

use std::io::{self, Write};

use netfilter_model::diff::{Change, DiffStatus, RulesetDiff, StatusCounts};
use serde::Serialize;

use super::diff_view::{iface, listed, DiffView};

#[derive(Serialize)]
struct JsonDiff<'a> {
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

fn view<'a>(d: &'a RulesetDiff, v: &'a DiffView) -> JsonDiff<'a> {
    let s = &d.summary;
    JsonDiff {
        equal: d.equal,
        old: &v.old_label,
        new: &v.new_label,
        chains: d
            .chains
            .iter()
            .filter(|c| listed(v, c))
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
            .filter(|x| v.all || x.status != DiffStatus::Same)
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
            .filter(|x| v.all || x.status != DiffStatus::Same)
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

/// Writes the diff as one JSON object.
pub fn write(out: &mut impl Write, d: &RulesetDiff, v: &DiffView) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &view(d, v))?;
    writeln!(out)
}
