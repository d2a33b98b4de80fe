//! The `nft -j list ruleset` document: walks the top-level objects and builds the ruleset.

use crate::parse::Format;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{ParseError, Position, Result};
use crate::model::{
    Backend, BaseChain, Chain, ChainType, Family, Hook, Origin, Policy, Rule, Ruleset, Table,
    Warning,
};

use super::super::options::ParseOptions;
use super::position::{error, LineIndex};
use super::rule::add_item;
use super::schema::{ChainObj, Document, ElementObj, NamedObj, RuleObj, SetObj, TableObj};
use super::set::{elements, kinds_of_set, named_object, named_set};
use super::stmt::statement;

/// Parses `nft -j list ruleset` output (libnftables-json) into a normalized ruleset.
///
/// Every table gets backend `nft` unless `opts.backend` says otherwise. xt compat
/// expressions, whose options nft JSON does not show, are kept as lossy matches or
/// statements and noted in the rule's `lossy` list.
pub fn parse_nft_json(text: &str, opts: &ParseOptions) -> Result<Ruleset> {
    super::super::wrong_format::reject_other_format(text, Format::NftJson, opts)?;
    let mut p = Parser {
        opts,
        idx: LineIndex::new(text),
        backend: opts.backend.unwrap_or(Backend::Nft),
        ruleset: Ruleset::default(),
        chain_ids: HashMap::new(),
        table_ids: HashMap::new(),
        set_ids: HashMap::new(),
        object_ids: HashMap::new(),
    };
    let body = text.trim_start_matches('\u{feff}');
    let doc: Document<'_> = serde_json::from_str(body).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            "invalid JSON"
        } else {
            "expected `{\"nftables\": [...]}` as printed by `nft -j list ruleset`"
        };
        p.err(
            p.idx.position_in(body, &e),
            format!("{what}: {}", serde_message(&e)),
            None,
        )
    })?;
    for (i, raw) in doc.nftables.iter().enumerate() {
        p.object(i, raw)?;
    }
    p.ruleset.normalize();
    super::super::set_elements::check_set_elements(&p.ruleset, opts)?;
    Ok(p.ruleset)
}

/// serde_json's message without its trailing ` at line L column C`.
fn serde_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let s = match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    if s == "recursion limit exceeded" {
        // serde_json's own limit (128 levels), which keeps reading bounded; say so plainly.
        return "arrays and objects nested more than 128 levels deep; `nft -j` never nests \
                this deep, so the input is damaged or crafted"
            .to_string();
    }
    s
}

struct Parser<'o, 't> {
    opts: &'o ParseOptions,
    idx: LineIndex<'t>,
    backend: Backend,
    ruleset: Ruleset,
    /// Chain indexes by table index and name, so that lookups stay O(1) with many chains.
    chain_ids: HashMap<usize, HashMap<String, usize>>,
    /// Table indexes by family and name, likewise.
    table_ids: HashMap<(Family, String), usize>,
    /// Named set indexes by table index and name, likewise.
    set_ids: HashMap<usize, HashMap<String, usize>>,
    /// Named object indexes by table index, kind and name, likewise.
    object_ids: HashMap<usize, HashMap<(String, String), usize>>,
}

/// Top-level keys that are commands (JSON input to nft), not listed objects.
const COMMANDS: &[&str] = &[
    "add", "replace", "create", "insert", "delete", "list", "reset", "flush", "rename", "destroy",
];

/// Named object kinds of libnftables-json.
const OBJECTS: &[&str] = &[
    "flowtable",
    "counter",
    "quota",
    "limit",
    "ct helper",
    "ct timeout",
    "ct expectation",
    "synproxy",
    "secmark",
    "tunnel",
];

impl<'t> Parser<'_, 't> {
    fn err(&self, position: Position, message: String, context: Option<String>) -> ParseError {
        error(&self.opts.source_name, position, message, context)
    }

    fn origin(&self, at: &str, handle: Option<u64>) -> Origin {
        Origin {
            source: self.opts.source_name.clone(),
            line: Some(self.idx.line_of(at)),
            handle,
        }
    }

    fn pos(&self, at: &str) -> Position {
        self.idx.position_of(at)
    }

    /// Deserializes a raw value, with errors positioned in the whole text.
    fn de<'a, T: Deserialize<'a>>(&self, raw: &'a RawValue, context: &str) -> Result<T> {
        serde_json::from_str(raw.get()).map_err(|e| {
            self.err(
                self.idx.position_in(raw.get(), &e),
                serde_message(&e),
                Some(context.to_string()),
            )
            .into()
        })
    }

    fn family(&self, s: &str, at: &str, context: &str) -> Result<Family> {
        Family::from_str(s).map_err(|m| {
            self.err(
                self.pos(at),
                format!("{m}; expected ip, ip6, inet, arp, bridge or netdev"),
                Some(context.to_string()),
            )
            .into()
        })
    }

    fn warn(&mut self, kind: &str, at: &str, message: String) {
        self.ruleset.warnings.push(Warning {
            kind: kind.into(),
            source: self.opts.source_name.to_string(),
            line: Some(self.idx.line_of(at)),
            message,
        });
    }

    /// Index of chain `name` of table `ti`, if it exists.
    fn chain_id(&self, ti: usize, name: &str) -> Option<usize> {
        self.chain_ids.get(&ti).and_then(|m| m.get(name)).copied()
    }

    /// Adds an empty chain `name` to table `ti`; returns its index.
    fn add_chain(&mut self, ti: usize, name: &str) -> usize {
        let chains = &mut self.ruleset.tables[ti].chains;
        chains.push(Chain::new(name, None));
        let ci = chains.len() - 1;
        self.chain_ids
            .entry(ti)
            .or_default()
            .insert(name.to_string(), ci);
        ci
    }

    /// Index of the table, created (with a warning) when not declared before.
    fn table_index(&mut self, family: Family, name: &str, at: &str) -> usize {
        if let Some(&i) = self.table_ids.get(&(family, name.to_string())) {
            return i;
        }
        self.warn(
            "implicit-table",
            at,
            format!("table {family} {name} is used before it is listed"),
        );
        let mut t = Table::new(self.backend, family, name);
        t.origin = self.origin(at, None);
        self.add_table(t)
    }

    /// Adds a table; returns its index.
    fn add_table(&mut self, t: Table) -> usize {
        let key = (t.family, t.name.clone());
        self.ruleset.tables.push(t);
        let ti = self.ruleset.tables.len() - 1;
        self.table_ids.insert(key, ti);
        ti
    }

    fn object(&mut self, i: usize, raw: &'t RawValue) -> Result<()> {
        let at = raw.get();
        let here = format!("nftables[{i}]");
        let map: BTreeMap<String, &'t RawValue> =
            serde_json::from_str(raw.get()).map_err(|_| {
                self.err(
                    self.pos(at),
                    "expected an object with one key naming it, such as {\"table\": {...}}".into(),
                    Some(here.clone()),
                )
            })?;
        let mut entries = map.into_iter();
        let (kind, body) = match (entries.next(), entries.next()) {
            (Some(e), None) => e,
            _ => {
                return Err(self
                    .err(
                        self.pos(at),
                        "expected an object with exactly one key naming it, such as \
                         {\"table\": {...}}"
                            .into(),
                        Some(here),
                    )
                    .into())
            }
        };
        let context = format!("{here}.{kind}");
        let bat = body.get();
        match kind.as_str() {
            "metainfo" => {
                if !body.get().trim_start().starts_with('{') {
                    return Err(self
                        .err(
                            self.pos(bat),
                            "`metainfo` must be an object".into(),
                            Some(context),
                        )
                        .into());
                }
            }
            "table" => self.table(self.de(body, &context)?, bat, &context)?,
            "chain" => self.chain(self.de(body, &context)?, bat, &context)?,
            "rule" => self.rule(self.de(body, &context)?, bat, &context)?,
            "set" | "map" | "meter" => {
                let s: SetObj = self.de(body, &context)?;
                self.set(&kind, s, bat, &context)?;
            }
            "element" => self.element(self.de(body, &context)?, bat, &context)?,
            k if OBJECTS.contains(&k) => self.named(k, self.de(body, &context)?, bat, &context)?,
            k if COMMANDS.contains(&k) => {
                return Err(self
                    .err(
                        self.pos(at),
                        format!(
                            "`{k}` is a command of nft's JSON input; expected the output of \
                             `nft -j list ruleset`"
                        ),
                        Some(here),
                    )
                    .into())
            }
            k => {
                // An object kind newer than this parser: keep it if it names its table.
                let named: std::result::Result<NamedObj, _> = serde_json::from_str(body.get());
                match named {
                    Ok(n) => self.named(k, n, bat, &context)?,
                    Err(_) => {
                        return Err(self
                            .err(self.pos(at), format!("unknown object `{k}`"), Some(here))
                            .into())
                    }
                }
            }
        }
        Ok(())
    }

    fn table(&mut self, t: TableObj, at: &'t str, context: &str) -> Result<()> {
        let family = self.family(&t.family, at, context)?;
        let exists = self.table_ids.get(&(family, t.name.clone())).copied();
        let i = match exists {
            Some(i) => i,
            None => self.add_table(Table::new(self.backend, family, t.name.clone())),
        };
        let origin = self.origin(at, t.handle);
        let table = &mut self.ruleset.tables[i];
        let mut flags = t.flags.map(|f| f.into_vec()).unwrap_or_default();
        flags.sort();
        flags.dedup();
        table.flags = flags;
        table.comment = t.comment;
        table.origin = origin;
        Ok(())
    }

    fn chain(&mut self, c: ChainObj, at: &'t str, context: &str) -> Result<()> {
        let family = self.family(&c.family, at, context)?;
        let ctx = || format!("{context} (table {family} {}, chain {})", c.table, c.name);
        let base = match &c.hook {
            None => None,
            Some(hook) => {
                let priority = match &c.prio {
                    None => 0,
                    Some(v) => priority(v, family).ok_or_else(|| {
                        self.err(
                            self.pos(at),
                            format!("chain priority must be a 32-bit number, found {v}"),
                            Some(ctx()),
                        )
                    })?,
                };
                let policy = match c.policy.as_deref() {
                    None | Some("accept") => Policy::Accept,
                    Some("drop") => Policy::Drop,
                    Some(other) => {
                        return Err(self
                            .err(
                                self.pos(at),
                                format!("chain policy `{other}`; expected accept or drop"),
                                Some(ctx()),
                            )
                            .into())
                    }
                };
                let mut devices = c.dev.map(|d| d.into_vec()).unwrap_or_default();
                devices.sort();
                Some(BaseChain {
                    chain_type: ChainType::from_nft(c.chain_type.as_deref().unwrap_or("filter")),
                    hook: Hook::from_nft(hook),
                    priority,
                    policy,
                    devices,
                })
            }
        };
        let origin = self.origin(at, c.handle);
        let ti = self.table_index(family, &c.table, at);
        let ci = match self.chain_id(ti, &c.name) {
            Some(i) => i,
            None => self.add_chain(ti, &c.name),
        };
        let chain = &mut self.ruleset.tables[ti].chains[ci];
        chain.base = base;
        chain.comment = c.comment;
        chain.origin = origin;
        Ok(())
    }

    fn rule(&mut self, r: RuleObj<'t>, at: &'t str, context: &str) -> Result<()> {
        let family = self.family(&r.family, at, context)?;
        let mut where_ = format!("table {family} {}, chain {}", r.table, r.chain);
        if let Some(h) = r.handle {
            where_.push_str(&format!(", handle {h}"));
        }
        let mut rule = Rule {
            comment: r.comment,
            origin: self.origin(at, r.handle),
            ..Rule::default()
        };
        for (j, sraw) in r.expr.unwrap_or_default().iter().enumerate() {
            let sat = sraw.get();
            let sctx = || format!("{context}.expr[{j}] ({where_})");
            let v: Value = serde_json::from_str(sraw.get()).map_err(|e| {
                self.err(
                    self.idx.position_in(sraw.get(), &e),
                    serde_message(&e),
                    Some(sctx()),
                )
            })?;
            let item =
                statement(&v, family).map_err(|m| self.err(self.pos(sat), m, Some(sctx())))?;
            add_item(&mut rule, item);
        }
        let ti = self.table_index(family, &r.table, at);
        let ci = match self.chain_id(ti, &r.chain) {
            Some(i) => i,
            None => {
                self.warn(
                    "implicit-chain",
                    at,
                    format!(
                        "chain {} of table {family} {} is used before it is listed",
                        r.chain, r.table
                    ),
                );
                self.add_chain(ti, &r.chain)
            }
        };
        self.ruleset.tables[ti].chains[ci].rules.push(rule);
        Ok(())
    }

    fn set(&mut self, kind: &str, s: SetObj, at: &'t str, context: &str) -> Result<()> {
        let family = self.family(&s.family, at, context)?;
        let ctx = format!("{context} (table {family} {}, {kind} {})", s.table, s.name);
        let table = s.table.clone();
        let origin = self.origin(at, s.handle);
        let set = named_set(kind, s, origin).map_err(|m| self.err(self.pos(at), m, Some(ctx)))?;
        let ti = self.table_index(family, &table, at);
        let sets = &mut self.ruleset.tables[ti].sets;
        let ids = self.set_ids.entry(ti).or_default();
        match ids.get(&set.name) {
            Some(&i) => sets[i] = set,
            None => {
                ids.insert(set.name.clone(), sets.len());
                sets.push(set);
            }
        }
        Ok(())
    }

    fn element(&mut self, e: ElementObj, at: &'t str, context: &str) -> Result<()> {
        let family = self.family(&e.family, at, context)?;
        let ti = self.table_index(family, &e.table, at);
        let Some(si) = self.set_ids.get(&ti).and_then(|m| m.get(&e.name)).copied() else {
            return Err(self
                .err(
                    self.pos(at),
                    format!("elements for set `{}`, which is not listed before", e.name),
                    Some(format!("{context} (table {family} {})", e.table)),
                )
                .into());
        };
        let set = &mut self.ruleset.tables[ti].sets[si];
        let (key, data) = kinds_of_set(set);
        let items: Vec<Value> = match e.elem {
            Value::Array(a) => a,
            Value::Object(ref o) if o.contains_key("set") => match o.get("set") {
                Some(Value::Array(a)) => a.clone(),
                _ => vec![e.elem.clone()],
            },
            other => vec![other],
        };
        set.elements.extend(elements(&items, &key, &data));
        set.elements.sort();
        set.elements.dedup();
        Ok(())
    }

    fn named(&mut self, kind: &str, o: NamedObj, at: &'t str, context: &str) -> Result<()> {
        let family = self.family(&o.family, at, context)?;
        let origin = self.origin(at, o.handle);
        let obj = named_object(kind, o.name, &o.rest, origin);
        let ti = self.table_index(family, &o.table, at);
        let objects = &mut self.ruleset.tables[ti].objects;
        let ids = self.object_ids.entry(ti).or_default();
        let key = (obj.kind.clone(), obj.name.clone());
        match ids.get(&key) {
            Some(&i) => objects[i] = obj,
            None => {
                ids.insert(key, objects.len());
                objects.push(obj);
            }
        }
        Ok(())
    }
}

/// A chain priority: a number (what `nft -j` prints) or, as nft's JSON input allows, a
/// standard priority name with an optional `+ N` / `- N`.
fn priority(v: &Value, family: Family) -> Option<i32> {
    if let Some(n) = v.as_i64() {
        return i32::try_from(n).ok();
    }
    let s = v.as_str()?.trim();
    if let Ok(n) = s.parse::<i32>() {
        return Some(n);
    }
    let (name, delta) = match s.find(['+', '-']) {
        Some(i) => {
            let d: i32 = s[i + 1..].trim().parse().ok()?;
            let d = if s.as_bytes()[i] == b'-' { -d } else { d };
            (s[..i].trim(), d)
        }
        None => (s, 0),
    };
    let base: i32 = match (family, name) {
        (Family::Bridge, "dstnat") => -300,
        (Family::Bridge, "filter") => -200,
        (Family::Bridge, "out") => 100,
        (Family::Bridge, "srcnat") => 300,
        (_, "raw") => -300,
        (_, "mangle") => -150,
        (_, "dstnat") => -100,
        (_, "filter") => 0,
        (_, "security") => 50,
        (_, "srcnat") => 100,
        _ => return None,
    };
    base.checked_add(delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::model::{Direction, IfacePattern, MatchKind, Statement, Verdict};

    fn parse(text: &str) -> Result<Ruleset> {
        parse_nft_json(text, &ParseOptions::new("test.json"))
    }

    fn parse_err(text: &str) -> ParseError {
        match parse(text) {
            Err(Error::Parse(e)) => e,
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    const SMALL: &str = r#"{"nftables": [
  {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
  {"table": {"family": "ip", "name": "filter", "handle": 1}},
  {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter",
             "hook": "input", "prio": 0, "policy": "drop"}},
  {"chain": {"family": "ip", "table": "filter", "name": "user", "handle": 2}},
  {"rule": {"family": "ip", "table": "filter", "chain": "INPUT", "handle": 3, "comment": "hi",
            "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "cali*"}},
                     {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}},
                     {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}},
                     {"counter": {"packets": 5, "bytes": 300}},
                     {"jump": {"target": "user"}}]}}
]}"#;

    #[test]
    fn parses_tables_chains_rules() {
        let rs = parse(SMALL).unwrap();
        assert_eq!(rs.tables.len(), 1);
        let t = &rs.tables[0];
        assert_eq!(
            (t.backend, t.family, t.name.as_str()),
            (Backend::Nft, Family::Ip, "filter")
        );
        let input = t.chain("INPUT").unwrap();
        let base = input.base.as_ref().unwrap();
        assert_eq!(base.hook, Hook::Input);
        assert_eq!(base.policy, Policy::Drop);
        assert_eq!(base.chain_type, ChainType::Filter);
        assert!(t.chain("user").unwrap().base.is_none());
        let r = &input.rules[0];
        assert_eq!(r.comment.as_deref(), Some("hi"));
        assert_eq!(r.origin.handle, Some(3));
        assert_eq!(r.origin.line, Some(7));
        assert_eq!(r.counters.unwrap().packets, 5);
        assert_eq!(r.verdict, Some(Verdict::Jump("user".into())));
        assert_eq!(
            r.matches[0].kind,
            MatchKind::Interface {
                dir: Direction::Src,
                names: vec![IfacePattern::Prefix("cali".into())]
            }
        );
        // The explicit l4proto dependency and the implied one are merged.
        assert_eq!(
            r.to_string(),
            "iifname \"cali*\" tcp dport 22 jump user comment \"hi\""
        );
        assert_eq!(r.matches.len(), 3);
    }

    #[test]
    fn implicit_dependency_is_merged() {
        let rule = |deps: &str| {
            let text = format!(
                r#"{{"nftables": [{{"rule": {{"family": "ip", "table": "t", "chain": "c", "expr": [{deps}
                   {{"match": {{"op": "==", "left": {{"payload": {{"protocol": "tcp", "field": "dport"}}}}, "right": 80}}}},
                   {{"accept": null}}]}}}}]}}"#
            );
            let rs = parse(&text).unwrap();
            rs.tables[0].chains[0].rules[0].clone()
        };
        let explicit = rule(
            r#"{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}},"#,
        );
        let via_ip = rule(
            r#"{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "protocol"}}, "right": "tcp"}},"#,
        );
        let implicit = rule("");
        assert_eq!(explicit, implicit);
        assert_eq!(via_ip, implicit);
        assert_eq!(implicit.to_string(), "tcp dport 80 accept");
    }

    #[test]
    fn sniffed_json_is_routed_here() {
        let rs = crate::parse::parse_text(SMALL, &ParseOptions::new("x")).unwrap();
        assert_eq!(rs.rule_count(), 1);
    }

    #[test]
    fn backend_override() {
        let opts = ParseOptions::new("x").with_backend(Some(Backend::Legacy));
        let rs = parse_nft_json(SMALL, &opts).unwrap();
        assert_eq!(rs.tables[0].backend, Backend::Legacy);
    }

    #[test]
    fn reports_json_syntax_errors_with_position() {
        let e = parse_err("{\"nftables\": [\n  {\"table\": {\"family\": \"ip\",, }}\n]}");
        assert_eq!(e.position.line, 2);
        assert!(e.message.starts_with("invalid JSON"), "{}", e.message);
        assert_eq!(e.source_name, "test.json");
        let e = parse_err("[1, 2]");
        assert!(e.message.contains("nftables"), "{}", e.message);
    }

    #[test]
    fn reports_schema_errors_with_context() {
        let e = parse_err(
            "{\"nftables\": [\n {\"metainfo\": {}},\n {\"chain\": {\"family\": \"ip\", \"name\": \"x\"}}\n]}",
        );
        assert_eq!(e.position.line, 3);
        assert!(e.message.contains("missing field `table`"), "{}", e.message);
        assert_eq!(e.context.as_deref(), Some("nftables[1].chain"));
        let e = parse_err(
            "{\"nftables\": [{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 7,\n \"expr\": [{\"accept\": null},\n   {\"jump\": 5}]}}]}",
        );
        assert_eq!((e.position.line, e.position.column), (3, 4));
        assert_eq!(
            e.context.as_deref(),
            Some("nftables[0].rule.expr[1] (table ip t, chain c, handle 7)")
        );
        let e = parse_err("{\"nftables\": [{\"table\": {\"family\": \"ipx\", \"name\": \"t\"}}]}");
        assert!(e.message.contains("unknown family"));
        let e = parse_err("{\"nftables\": [{\"add\": {\"table\": {}}}]}");
        assert!(e.message.contains("command"));
        let e = parse_err("{\"nftables\": [{\"metainfo\": 3}]}");
        assert!(e.message.contains("metainfo"));
        let e = parse_err("{\"nftables\": [{\"a\": {}, \"b\": {}}]}");
        assert!(e.message.contains("exactly one key"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            "{{\"nftables\": [{{\"rule\": {{\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"expr\": [{}1{}]}}}}]}}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn implicit_tables_and_chains_are_warned() {
        let rs = parse(
            r#"{"nftables": [{"rule": {"family": "inet", "table": "t", "chain": "c", "expr": [{"drop": null}]}}]}"#,
        )
        .unwrap();
        assert_eq!(rs.tables[0].chains[0].rules.len(), 1);
        let kinds: Vec<&str> = rs.warnings.iter().map(|w| w.kind.as_str()).collect();
        assert_eq!(kinds, vec!["implicit-table", "implicit-chain"]);
    }

    #[test]
    fn sets_objects_elements_flowtables() {
        let rs = parse(
            r#"{"nftables": [
 {"table": {"family": "inet", "name": "t", "flags": ["owner", "dormant"], "comment": "c"}},
 {"set": {"family": "inet", "table": "t", "name": "s", "type": "ipv4_addr", "flags": ["interval"],
          "elem": [{"prefix": {"addr": "10.0.0.0", "len": 8}}]}},
 {"element": {"family": "inet", "table": "t", "name": "s", "elem": {"set": ["1.2.3.4"]}}},
 {"counter": {"family": "inet", "table": "t", "name": "cnt", "handle": 3, "packets": 9, "bytes": 99}},
 {"flowtable": {"family": "inet", "table": "t", "name": "f", "hook": "ingress", "prio": 0, "dev": "eth0"}},
 {"tunnel": {"family": "inet", "table": "t", "name": "tun", "id": 5}}
]}"#,
        )
        .unwrap();
        let t = &rs.tables[0];
        assert_eq!(t.flags, vec!["dormant", "owner"]);
        assert_eq!(t.comment.as_deref(), Some("c"));
        assert_eq!(t.sets[0].elements, vec!["1.2.3.4", "10.0.0.0/8"]);
        assert_eq!(t.objects.len(), 3);
        assert_eq!(t.objects[0].kind, "counter");
        assert_eq!(t.objects[0].body, "");
        assert_eq!(
            t.objects[1].body,
            "hook ingress priority filter; devices = { \"eth0\" }"
        );
        assert_eq!(t.objects[2].body, "id 5");
    }

    #[test]
    fn xt_rules_are_lossy_and_comments_reported() {
        let rs = parse(
            r#"{"nftables": [{"rule": {"family": "ip", "table": "filter", "chain": "INPUT",
              "expr": [{"xt": {"type": "match", "name": "comment"}}, {"xt": {"type": "match", "name": "multiport"}},
                       {"counter": {"packets": 0, "bytes": 0}}, {"xt": {"type": "target", "name": "MARK"}}]}}]}"#,
        )
        .unwrap();
        let r = &rs.tables[0].chains[0].rules[0];
        assert_eq!(r.lossy.len(), 3);
        assert_eq!(r.to_string(), "xt:multiport [lossy] xt:MARK [lossy]");
        assert!(matches!(
            &r.statements[0],
            Statement::Other { lossy: true, .. }
        ));
    }

    #[test]
    fn priorities() {
        assert_eq!(priority(&Value::from(-300), Family::Ip), Some(-300));
        assert_eq!(priority(&Value::from("filter"), Family::Ip), Some(0));
        assert_eq!(
            priority(&Value::from("srcnat + 10"), Family::Inet),
            Some(110)
        );
        assert_eq!(priority(&Value::from("mangle - 5"), Family::Ip), Some(-155));
        assert_eq!(priority(&Value::from("filter"), Family::Bridge), Some(-200));
        assert_eq!(priority(&Value::from(1u64 << 40), Family::Ip), None);
        assert_eq!(priority(&Value::from("nope"), Family::Ip), None);
    }

    #[test]
    fn nesting_past_serde_json_limit_is_a_positioned_error() {
        let depth = 100_000;
        let text = format!(
            r#"{{"nftables": [{{"table": {{"family": "ip", "name": "t"}}}},
{{"chain": {{"family": "ip", "table": "t", "name": "c"}}}},
{{"rule": {{"family": "ip", "table": "t", "chain": "c", "expr": [{{"match": {{"op": "==", "left": {}1{}, "right": 1}}}}]}}}}]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let e = parse_err(&text);
        assert_eq!(e.position.line, 3);
        assert!(e.message.contains("nested more than 128 levels"), "{e}");
        assert_eq!(
            e.context.as_deref(),
            Some("nftables[2].rule.expr[0] (table ip t, chain c)")
        );
    }
}
