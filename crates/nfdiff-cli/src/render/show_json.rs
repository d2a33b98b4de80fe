//! JSON rendering of a normalized ruleset through dedicated view types (the wire format).
//!
//! The shape is documented in README.md ("`show --format json`") and kept stable: it is built
//! from these structs, not from the library's internal types, so internals can change freely.

use std::io::{self, Write};

use netfilter_model::model::{
    Chain, Match, NamedObject, NamedSet, Rule, Ruleset, Statement, Table, Verdict, Warning,
};
use serde::Serialize;

/// Schema version of `show --format json`.
pub(super) const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct RulesetView<'a> {
    schema_version: u32,
    tables: Vec<TableView<'a>>,
    warnings: Vec<WarningView<'a>>,
}

#[derive(Serialize)]
pub(super) struct WarningView<'a> {
    kind: &'a str,
    source: &'a str,
    line: Option<u32>,
    message: &'a str,
}

#[derive(Serialize)]
struct TableView<'a> {
    backend: &'static str,
    family: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    flags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    chains: Vec<ChainView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sets: Vec<SetView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objects: Vec<ObjectView<'a>>,
}

#[derive(Serialize)]
pub(super) struct ChainView<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    base: Option<BaseView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    rules: RulesView<'a>,
}

/// A chain's rules, each viewed as it is serialized (no list of views built first).
struct RulesView<'a>(&'a [Rule]);

impl Serialize for RulesView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .enumerate()
                .map(|(i, r)| RuleView::new(i + 1, r)),
        )
    }
}

/// A value serialized as the JSON string of its `Display` text. The text is formatted
/// into one reused buffer and escaped in one pass: `collect_str` escapes and writes every
/// small fragment the formatter emits separately, which costs several times more.
struct Text<T>(T);

thread_local! {
    /// The formatting buffer of [`Text`], reused across values.
    static TEXT_BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

impl<T: std::fmt::Display> Serialize for Text<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use std::fmt::Write as _;
        TEXT_BUF.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                if write!(buf, "{}", self.0).is_err() {
                    return Err(serde::ser::Error::custom("formatting failed"));
                }
                s.serialize_str(&buf)
            }
            // Only reachable if a `Display` impl serialized a `Text` itself.
            Err(_) => s.collect_str(&self.0),
        })
    }
}

/// A slice serialized as a JSON list of the `Display` texts of its items.
struct TextList<'a, T>(&'a [T]);

impl<T: std::fmt::Display> Serialize for TextList<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Text))
    }
}

#[derive(Serialize)]
struct BaseView<'a> {
    #[serde(rename = "type")]
    chain_type: &'a str,
    hook: &'a str,
    priority: i32,
    policy: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    devices: &'a [String],
}

#[derive(Serialize)]
struct RuleView<'a> {
    /// 1-based position in the chain, listing order.
    index: usize,
    /// Canonical text.
    rule: Text<&'a Rule>,
    matches: TextList<'a, Match>,
    statements: TextList<'a, Statement>,
    verdict: Option<Text<&'a Verdict>>,
    comment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counters: Option<CountersView>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    lossy: &'a [netfilter_model::model::LossNote],
    /// Number of matches or statements kept verbatim (not modelled).
    verbatim: usize,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handle: Option<u64>,
}

#[derive(Serialize)]
struct CountersView {
    packets: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct SetView<'a> {
    name: &'a str,
    key_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_type: Option<&'a str>,
    flags: &'a [String],
    elements: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    extra: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
}

#[derive(Serialize)]
struct ObjectView<'a> {
    kind: &'a str,
    name: &'a str,
    body: &'a str,
}

impl<'a> RulesetView<'a> {
    fn new(rs: &'a Ruleset) -> Self {
        RulesetView {
            schema_version: SCHEMA_VERSION,
            tables: rs.tables.iter().map(TableView::new).collect(),
            warnings: rs.warnings.iter().map(WarningView::new).collect(),
        }
    }
}

impl<'a> WarningView<'a> {
    pub(super) fn new(w: &'a Warning) -> Self {
        WarningView {
            kind: w.kind.as_str(),
            source: &w.source,
            line: w.line,
            message: &w.message,
        }
    }
}

impl<'a> TableView<'a> {
    fn new(t: &'a Table) -> Self {
        TableView {
            backend: t.backend.as_str(),
            family: t.family.as_str(),
            name: &t.name,
            flags: &t.flags,
            comment: t.comment.as_deref(),
            chains: t.chains.iter().map(ChainView::new).collect(),
            sets: t.sets.iter().map(SetView::new).collect(),
            objects: t.objects.iter().map(ObjectView::new).collect(),
        }
    }
}

impl<'a> ChainView<'a> {
    pub(super) fn new(c: &'a Chain) -> Self {
        ChainView {
            name: &c.name,
            base: c.base.as_ref().map(|b| BaseView {
                chain_type: b.chain_type.as_str(),
                hook: b.hook.as_str(),
                priority: b.priority,
                policy: b.policy.as_str(),
                devices: &b.devices,
            }),
            comment: c.comment.as_deref(),
            rules: RulesView(&c.rules),
        }
    }
}

impl<'a> RuleView<'a> {
    fn new(index: usize, r: &'a Rule) -> Self {
        RuleView {
            index,
            rule: Text(r),
            matches: TextList(&r.matches),
            statements: TextList(&r.statements),
            verdict: r.verdict.as_ref().map(Text),
            comment: r.comment.as_deref(),
            counters: r.counters.map(|c| CountersView {
                packets: c.packets,
                bytes: c.bytes,
            }),
            lossy: &r.lossy,
            verbatim: r.verbatim_parts(),
            source: &r.origin.source,
            line: r.origin.line,
            handle: r.origin.handle,
        }
    }
}

impl<'a> SetView<'a> {
    fn new(s: &'a NamedSet) -> Self {
        SetView {
            name: &s.name,
            key_type: &s.key_type,
            data_type: s.data_type.as_deref(),
            flags: &s.flags,
            elements: &s.elements,
            extra: &s.extra,
            comment: s.comment.as_deref(),
        }
    }
}

impl<'a> ObjectView<'a> {
    fn new(o: &'a NamedObject) -> Self {
        ObjectView {
            kind: &o.kind,
            name: &o.name,
            body: &o.body,
        }
    }
}

/// Writes the ruleset as pretty-printed JSON.
pub fn write(out: &mut impl Write, rs: &Ruleset) -> io::Result<()> {
    super::pretty::to_writer_pretty(&mut *out, &RulesetView::new(rs))?;
    writeln!(out)
}
