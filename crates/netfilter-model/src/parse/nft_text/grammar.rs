//! The block structure of `nft list ruleset`: tables, chains, sets/maps, objects, and
//! the simple `add ...` command forms.

use crate::model::LossNote;
use crate::parse::Format;
use std::collections::HashMap;

use crate::error::{Error, ParseError, Result};
use crate::model::{
    Backend, BaseChain, Chain, ChainType, Family, Hook, NamedObject, NamedSet, Origin, Policy,
    Ruleset, Table, Warning,
};
use crate::parse::ParseOptions;

use super::lexer::{join, tokenize, unquote, TokKind, Token};
use super::rule::{handle_of, parse_rule};
use super::stmt::{strip_counter_values, strip_used};
use super::values::parse_priority;

const OBJECT_KINDS: &[&str] = &[
    "flowtable",
    "counter",
    "quota",
    "limit",
    "synproxy",
    "secmark",
    "tunnel",
];

/// Parses `nft list ruleset` text into a normalized ruleset.
pub fn parse_nft_text(text: &str, opts: &ParseOptions) -> Result<Ruleset> {
    super::super::wrong_format::reject_other_format(text, Format::NftText, opts)?;
    let toks = tokenize(text, &opts.source_name)?;
    let mut p = Parser {
        src: text,
        toks,
        pos: 0,
        opts,
        rs: Ruleset::default(),
        managed: Vec::new(),
        chain_ids: HashMap::new(),
        table_ids: HashMap::new(),
    };
    p.run()?;
    let mut rs = p.rs;
    if rs.tables.is_empty() && p.toks.iter().all(|t| t.kind != TokKind::Word) {
        rs.warnings.push(Warning {
            kind: "empty-input".into(),
            source: opts.source_name.to_string(),
            line: None,
            message: "no tables: the input is empty (what `nft list ruleset` prints for an empty ruleset)".into(),
        });
    }
    rs.normalize();
    super::super::set_elements::check_set_elements(&rs, opts)?;
    Ok(rs)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token<'a>>,
    pos: usize,
    opts: &'a ParseOptions,
    rs: Ruleset,
    /// Tables announced as managed by iptables-nft (family, name).
    managed: Vec<(String, String)>,
    /// Chain indexes by table index and name, so that lookups stay O(1) with many chains.
    chain_ids: HashMap<usize, HashMap<String, usize>>,
    /// Table indexes by family and name, likewise (the backend is the same for every table).
    table_ids: HashMap<(Family, String), usize>,
}

type Seg = (usize, usize);

impl<'a> Parser<'a> {
    fn err_at(&self, idx: usize, message: impl Into<String>, context: Option<String>) -> Error {
        let position = self
            .toks
            .get(idx)
            .or(self.toks.last())
            .map(|t| t.pos)
            .unwrap_or_default();
        Error::Parse(ParseError {
            source_name: self.opts.source_name.to_string(),
            position,
            message: message.into(),
            context,
        })
    }

    fn peek(&self) -> Option<&Token<'a>> {
        self.toks.get(self.pos)
    }

    fn word_at(&self, i: usize) -> Option<&'a str> {
        self.toks
            .get(i)
            .filter(|t| matches!(t.kind, TokKind::Word | TokKind::Str))
            .map(|t| t.text)
    }

    fn origin(&self, idx: usize) -> Origin {
        Origin {
            source: self.opts.source_name.clone(),
            line: self.toks.get(idx).map(|t| t.pos.line),
            handle: None,
        }
    }

    fn skip_blank(&mut self) {
        while self
            .peek()
            .is_some_and(|t| matches!(t.kind, TokKind::Newline | TokKind::Semi))
        {
            self.pos += 1;
        }
    }

    /// Tokens up to the end of the line or `;` at depth 0, or up to a closing `}` of the
    /// enclosing block (not consumed). Consumes the terminator.
    fn segment(&mut self) -> Seg {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(t) = self.toks.get(self.pos) {
            match t.kind {
                TokKind::LBrace | TokKind::LParen => depth += 1,
                TokKind::RBrace | TokKind::RParen => {
                    if depth == 0 {
                        return (start, self.pos);
                    }
                    depth -= 1;
                }
                TokKind::Newline | TokKind::Semi if depth == 0 => {
                    self.pos += 1;
                    return (start, self.pos - 1);
                }
                _ => {}
            }
            self.pos += 1;
        }
        (start, self.pos)
    }

    /// A segment was empty: fine after a line break, an error before a stray token.
    fn no_progress(&self, at: usize, ctx: &Option<String>) -> Result<()> {
        match self.toks.get(at) {
            Some(t) if !matches!(t.kind, TokKind::RBrace | TokKind::Newline | TokKind::Semi) => {
                Err(self.err_at(at, format!("unexpected `{}`", t.text), ctx.clone()))
            }
            _ => Ok(()),
        }
    }

    /// After a block's `{`: an optional `# handle N` comment.
    fn block_handle(&mut self) -> Option<u64> {
        if let Some(t) = self.peek() {
            if t.kind == TokKind::Comment {
                let h = handle_of(t.text);
                self.pos += 1;
                return h;
            }
        }
        None
    }

    fn expect_lbrace(&mut self, what: &str, ctx: &Option<String>) -> Result<()> {
        match self.peek() {
            Some(t) if t.kind == TokKind::LBrace => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.err_at(self.pos, format!("expected `{{` after {what}"), ctx.clone())),
        }
    }

    fn name_at(&self, i: usize, what: &str, ctx: &Option<String>) -> Result<String> {
        self.word_at(i)
            .map(unquote)
            .ok_or_else(|| self.err_at(i, format!("expected {what}"), ctx.clone()))
    }

    fn run(&mut self) -> Result<()> {
        loop {
            self.skip_blank();
            let Some(t) = self.peek().copied() else {
                return Ok(());
            };
            match t.kind {
                TokKind::Comment => {
                    self.note_comment(&t);
                    self.pos += 1;
                }
                TokKind::Word => match t.text {
                    "table" => {
                        self.pos += 1;
                        self.table_block()?;
                    }
                    "flush" => {
                        let (a, b) = self.segment();
                        if join(&self.toks[a..b]) != "flush ruleset" {
                            return Err(self.err_at(
                                a,
                                "only `flush ruleset` is accepted here; other `flush` commands are not `nft list ruleset` output",
                                None,
                            ));
                        }
                    }
                    "add" | "create" | "insert" => self.command()?,
                    "define" | "include" => {
                        return Err(self.err_at(
                            self.pos,
                            format!(
                                "`{}` is nft script syntax, not `nft list ruleset` output; load the script with `nft -f` and list the ruleset instead",
                                t.text
                            ),
                            None,
                        ))
                    }
                    other => {
                        return Err(self.err_at(
                            self.pos,
                            format!("expected `table`, found `{other}`"),
                            None,
                        ))
                    }
                },
                _ => {
                    return Err(self.err_at(
                        self.pos,
                        format!("expected `table`, found `{}`", t.text),
                        None,
                    ))
                }
            }
        }
    }

    fn note_comment(&mut self, t: &Token<'a>) {
        let text = t.text.trim_start_matches('#').trim();
        let Some(msg) = text.strip_prefix("Warning:") else {
            return;
        };
        let msg = msg.trim();
        let kind = if msg.contains("managed by iptables-nft") {
            let w: Vec<&str> = msg.split_whitespace().collect();
            if w.len() > 2 && w[0] == "table" {
                self.managed.push((w[1].to_string(), w[2].to_string()));
            }
            "managed-by-iptables-nft"
        } else if msg.contains("legacy tables present") || msg.contains("iptables-legacy tables") {
            "legacy-tables-present"
        } else {
            "nft-warning"
        };
        self.rs.warnings.push(Warning {
            kind: kind.into(),
            source: self.opts.source_name.to_string(),
            line: Some(t.pos.line),
            message: msg.to_string(),
        });
    }

    /// Reads `[FAMILY] NAME` at `self.pos` with `rest` more names required after it.
    fn family_and_name(&mut self, rest: usize, ctx: &Option<String>) -> Result<(Family, String)> {
        let first = self.word_at(self.pos);
        let fam = first.and_then(|f| f.parse::<Family>().ok());
        let has_more = (0..=rest).all(|k| self.word_at(self.pos + 1 + k).is_some());
        let family = match fam {
            Some(f) if has_more => {
                self.pos += 1;
                f
            }
            _ => Family::Ip,
        };
        let name = self.name_at(self.pos, "a table name", ctx)?;
        self.pos += 1;
        Ok((family, name))
    }

    fn table_index(&mut self, family: Family, name: &str, at: usize) -> usize {
        let backend = self.opts.backend.unwrap_or(Backend::Nft);
        if let Some(&i) = self.table_ids.get(&(family, name.to_string())) {
            return i;
        }
        let mut t = Table::new(backend, family, name);
        t.origin = self.origin(at);
        self.rs.tables.push(t);
        let ti = self.rs.tables.len() - 1;
        self.table_ids.insert((family, name.to_string()), ti);
        ti
    }

    fn table_block(&mut self) -> Result<()> {
        let at = self.pos - 1;
        let (family, name) = self.family_and_name(0, &None)?;
        let ti = self.table_index(family, &name, at);
        let ctx = Some(format!("table {family} {name}"));
        self.expect_lbrace("the table name", &ctx)?;
        if let Some(h) = self.block_handle() {
            self.rs.tables[ti].origin.handle = Some(h);
        }
        self.table_body(ti)
    }

    fn table_body(&mut self, ti: usize) -> Result<()> {
        let (family, tname) = (self.rs.tables[ti].family, self.rs.tables[ti].name.clone());
        let ctx = Some(format!("table {family} {tname}"));
        loop {
            self.skip_blank();
            let Some(t) = self.peek().copied() else {
                return Err(self.err_at(self.pos, "expected `}` closing the table", ctx));
            };
            match t.kind {
                TokKind::RBrace => {
                    self.pos += 1;
                    return Ok(());
                }
                TokKind::Comment => {
                    self.note_comment(&t);
                    self.pos += 1;
                }
                TokKind::Word => match t.text {
                    "chain" => {
                        let at = self.pos;
                        let name = self.name_at(self.pos + 1, "a chain name", &ctx)?;
                        self.pos += 2;
                        let cctx = Some(format!("table {family} {tname}, chain {name}"));
                        self.expect_lbrace("the chain name", &cctx)?;
                        let ci = self.chain_index(ti, &name, at);
                        if let Some(h) = self.block_handle() {
                            self.rs.tables[ti].chains[ci].origin.handle = Some(h);
                        }
                        self.chain_body(ti, ci)?;
                    }
                    "set" | "map" => {
                        let at = self.pos;
                        let name = self.name_at(self.pos + 1, "a set name", &ctx)?;
                        self.pos += 2;
                        let sctx = Some(format!("table {family} {tname}, set {name}"));
                        self.expect_lbrace("the set name", &sctx)?;
                        let mut set = NamedSet {
                            name,
                            key_type: String::new(),
                            data_type: None,
                            flags: Vec::new(),
                            elements: Vec::new(),
                            extra: Vec::new(),
                            comment: None,
                            origin: self.origin(at),
                        };
                        set.origin.handle = self.block_handle();
                        self.set_body(&mut set, &sctx)?;
                        self.rs.tables[ti].sets.push(set);
                    }
                    "ct" => {
                        let kind = self.name_at(self.pos + 1, "`helper`, `timeout` or `expectation`", &ctx)?;
                        self.pos += 1;
                        self.object(ti, &format!("ct {kind}"), &ctx)?;
                    }
                    k if OBJECT_KINDS.contains(&k) => self.object(ti, k, &ctx)?,
                    "flags" => {
                        let (a, b) = self.segment();
                        for w in self.toks[a + 1..b].iter().filter(|t| t.kind == TokKind::Word) {
                            self.rs.tables[ti].flags.push(w.text.to_string());
                        }
                    }
                    "comment" => {
                        let (a, b) = self.segment();
                        let c = self.toks[a + 1..b]
                            .iter()
                            .find(|t| t.kind == TokKind::Str)
                            .ok_or_else(|| self.err_at(a + 1, "expected a quoted comment", ctx.clone()))?;
                        self.rs.tables[ti].comment = Some(unquote(c.text));
                    }
                    other => {
                        return Err(self.err_at(
                            self.pos,
                            format!("expected `chain`, `set`, `map`, `flowtable`, a named object or `}}`, found `{other}`"),
                            ctx,
                        ))
                    }
                },
                _ => {
                    return Err(self.err_at(
                        self.pos,
                        format!("expected `chain`, `set`, `map` or `}}`, found `{}`", t.text),
                        ctx,
                    ))
                }
            }
        }
    }

    fn chain_index(&mut self, ti: usize, name: &str, at: usize) -> usize {
        if let Some(&i) = self.chain_ids.get(&ti).and_then(|m| m.get(name)) {
            return i;
        }
        let mut c = Chain::new(name, None);
        c.origin = self.origin(at);
        self.rs.tables[ti].chains.push(c);
        let ci = self.rs.tables[ti].chains.len() - 1;
        self.chain_ids
            .entry(ti)
            .or_default()
            .insert(name.to_string(), ci);
        ci
    }

    fn chain_body(&mut self, ti: usize, ci: usize) -> Result<()> {
        let t = &self.rs.tables[ti];
        let (family, tname, cname) = (t.family, t.name.clone(), t.chains[ci].name.clone());
        let ctx = Some(format!("table {family} {tname}, chain {cname}"));
        // nft prints its `# Warning: table ... managed by iptables-nft` on stderr, so a
        // captured listing often lacks it: iptables' own table names count as well.
        let managed = self
            .managed
            .iter()
            .any(|(f, n)| f == family.as_str() && *n == tname)
            || (matches!(
                family,
                Family::Ip | Family::Ip6 | Family::Arp | Family::Bridge
            ) && matches!(
                tname.as_str(),
                "filter" | "nat" | "mangle" | "raw" | "security" | "broute"
            ));
        loop {
            self.skip_blank();
            let Some(t) = self.peek().copied() else {
                return Err(self.err_at(self.pos, "expected `}` closing the chain", ctx));
            };
            if t.kind == TokKind::RBrace {
                self.pos += 1;
                return Ok(());
            }
            let (a, b) = self.segment();
            if a == b {
                self.no_progress(a, &ctx)?;
                continue;
            }
            let first = self.toks[a];
            match first.text {
                "type" if first.kind == TokKind::Word => {
                    let base = self.base_chain(family, a, b, &ctx)?;
                    self.rs.tables[ti].chains[ci].base = Some(base);
                }
                "policy" if first.kind == TokKind::Word => {
                    let p = match self.word_at(a + 1) {
                        Some("accept") => Policy::Accept,
                        Some("drop") => Policy::Drop,
                        _ => {
                            return Err(self.err_at(
                                a + 1,
                                "expected `accept` or `drop` after `policy`",
                                ctx,
                            ))
                        }
                    };
                    match self.rs.tables[ti].chains[ci].base.as_mut() {
                        Some(base) => base.policy = p,
                        None => {
                            return Err(self.err_at(
                                a,
                                "`policy` on a chain without `type ... hook ...`",
                                ctx,
                            ))
                        }
                    }
                }
                "comment"
                    if b == a + 2 || (b == a + 3 && self.toks[a + 2].kind == TokKind::Comment) =>
                {
                    self.rs.tables[ti].chains[ci].comment = Some(unquote(self.toks[a + 1].text));
                }
                "devices" if first.kind == TokKind::Word => {
                    let devs = self.devices(a + 1, b);
                    if let Some(base) = self.rs.tables[ti].chains[ci].base.as_mut() {
                        base.devices = devs;
                    }
                }
                _ if first.kind == TokKind::Comment && b == a + 1 => {
                    self.note_comment(&first);
                }
                _ => {
                    let n = self.rs.tables[ti].chains[ci].rules.len() + 1;
                    let rctx = Some(format!("table {family} {tname}, chain {cname}, rule {n}"));
                    let mut rule = parse_rule(&self.toks[a..b], family)
                        .map_err(|(k, msg)| self.err_at(a + k, msg, rctx))?;
                    let handle = rule.origin.handle;
                    rule.origin = self.origin(a);
                    rule.origin.handle = handle;
                    if managed && self.dropped_match_gap(a, b) {
                        rule.lossy.push(LossNote::CommentDroppedByNftText);
                    }
                    self.rs.tables[ti].chains[ci].rules.push(rule);
                }
            }
        }
    }

    /// Whether a rule line shows the gap nft 1.0.x leaves where it dropped an
    /// iptables-nft `-m comment` match: a double space, or a space before the first word.
    fn dropped_match_gap(&self, a: usize, b: usize) -> bool {
        let first = &self.toks[a];
        let line_start = self.src[..first.start].rfind('\n').map_or(0, |i| i + 1);
        if self.src[line_start..first.start].contains(' ') {
            return true;
        }
        let last = self.toks[a..b]
            .iter()
            .rev()
            .find(|t| t.kind != TokKind::Comment)
            .unwrap_or(first);
        let mut in_str = false;
        let mut prev_space = false;
        let mut escaped = false;
        for c in self.src[first.start..last.end].chars() {
            if in_str {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_str = false;
                }
                continue;
            }
            if c == '"' {
                in_str = true;
            }
            if c == ' ' && prev_space {
                return true;
            }
            prev_space = c == ' ';
        }
        false
    }

    fn devices(&self, a: usize, b: usize) -> Vec<String> {
        self.toks[a..b]
            .iter()
            .filter(|t| matches!(t.kind, TokKind::Word | TokKind::Str) && t.text != "=")
            .map(|t| unquote(t.text))
            .collect()
    }

    fn base_chain(
        &self,
        family: Family,
        a: usize,
        b: usize,
        ctx: &Option<String>,
    ) -> Result<BaseChain> {
        let ty = self
            .word_at(a + 1)
            .ok_or_else(|| self.err_at(a + 1, "expected a chain type after `type`", ctx.clone()))?;
        if self.word_at(a + 2) != Some("hook") {
            return Err(self.err_at(a + 2, "expected `hook` after the chain type", ctx.clone()));
        }
        let hook = Hook::from_nft(
            self.word_at(a + 3)
                .ok_or_else(|| self.err_at(a + 3, "expected a hook name", ctx.clone()))?,
        );
        let mut i = a + 4;
        let mut devices = Vec::new();
        let mut priority = None;
        while i < b {
            match self.word_at(i) {
                Some("device") => {
                    let d = self.name_at(i + 1, "a device name", ctx)?;
                    devices.push(d);
                    i += 2;
                }
                Some("devices") => {
                    let mut j = i + 1;
                    while j < b
                        && self.toks[j].kind != TokKind::RBrace
                        && !self.toks[j].is_word("priority")
                    {
                        j += 1;
                    }
                    devices = self.devices(i + 1, j.min(b));
                    i = if j < b && self.toks[j].kind == TokKind::RBrace {
                        j + 1
                    } else {
                        j
                    };
                }
                Some("priority") => {
                    let words: Vec<&str> = self.toks[i + 1..b]
                        .iter()
                        .filter(|t| t.kind == TokKind::Word)
                        .map(|t| t.text)
                        .collect();
                    priority = Some(parse_priority(family, &hook, &words).ok_or_else(|| {
                        self.err_at(
                            i + 1,
                            format!(
                                "expected a priority (a number, or a name such as `filter`, `dstnat`, `srcnat + 10`), found `{}`",
                                words.join(" ")
                            ),
                            ctx.clone(),
                        )
                    })?);
                    i = b;
                }
                _ => {
                    return Err(self.err_at(
                        i,
                        "expected `device`, `devices` or `priority`",
                        ctx.clone(),
                    ))
                }
            }
        }
        let priority = priority.ok_or_else(|| {
            self.err_at(
                b.saturating_sub(1),
                "expected `priority` in the base chain declaration",
                ctx.clone(),
            )
        })?;
        Ok(BaseChain {
            chain_type: ChainType::from_nft(ty),
            hook,
            priority,
            policy: Policy::Accept,
            devices,
        })
    }

    fn set_body(&mut self, set: &mut NamedSet, ctx: &Option<String>) -> Result<()> {
        loop {
            self.skip_blank();
            let Some(t) = self.peek().copied() else {
                return Err(self.err_at(self.pos, "expected `}` closing the set", ctx.clone()));
            };
            if t.kind == TokKind::RBrace {
                self.pos += 1;
                return Ok(());
            }
            let (a, b) = self.segment();
            if a == b {
                self.no_progress(a, ctx)?;
                continue;
            }
            if b == a + 1 && self.toks[a].kind == TokKind::Comment {
                continue;
            }
            match self.toks[a].text {
                "type" | "typeof" => {
                    let mut text = join(&self.toks[a + 1..b]);
                    if self.toks[a].text == "typeof" {
                        text = format!("typeof {text}");
                    }
                    match text.split_once(" : ") {
                        Some((k, d)) => {
                            set.key_type = k.to_string();
                            set.data_type = Some(d.to_string());
                        }
                        None => set.key_type = text,
                    }
                }
                "flags" => {
                    set.flags.extend(
                        self.toks[a + 1..b]
                            .iter()
                            .filter(|t| t.kind == TokKind::Word)
                            .map(|t| t.text.to_string()),
                    );
                }
                "elements" => {
                    let open = (a..b).find(|&k| self.toks[k].kind == TokKind::LBrace);
                    let Some(open) = open else {
                        return Err(self.err_at(a, "expected `elements = { ... }`", ctx.clone()));
                    };
                    set.elements.extend(elements_of(
                        &self.toks[open + 1..b.saturating_sub(1).max(open + 1)],
                    ));
                }
                "comment" if self.toks.get(a + 1).is_some_and(|t| t.kind == TokKind::Str) => {
                    set.comment = Some(unquote(self.toks[a + 1].text));
                }
                // Statements attached to every element (`counter quota 500 bytes`): one
                // extra per statement, as nft JSON lists them.
                "counter" | "limit" | "quota" | "last" => {
                    let mut start = a;
                    for k in a + 1..=b {
                        let next = self.toks.get(k).filter(|_| k < b);
                        if !next.is_some_and(|t| {
                            !["counter", "limit", "quota", "last"]
                                .iter()
                                .any(|w| t.is_word(w))
                        }) {
                            set.extra.push(join(&self.toks[start..k]));
                            start = k;
                        }
                    }
                }
                _ => set.extra.push(join(&self.toks[a..b])),
            }
        }
    }

    fn object(&mut self, ti: usize, kind: &str, ctx: &Option<String>) -> Result<()> {
        let at = self.pos;
        let name = self.name_at(self.pos + 1, &format!("a {kind} name"), ctx)?;
        self.pos += 2;
        self.expect_lbrace(&format!("the {kind} name"), ctx)?;
        let handle = self.block_handle();
        let mut parts = Vec::new();
        loop {
            self.skip_blank();
            let Some(t) = self.peek().copied() else {
                return Err(self.err_at(
                    self.pos,
                    format!("expected `}}` closing the {kind}"),
                    ctx.clone(),
                ));
            };
            if t.kind == TokKind::RBrace {
                self.pos += 1;
                break;
            }
            let (a, b) = self.segment();
            if a == b {
                self.no_progress(a, ctx)?;
            }
            let mut seg: Vec<Token<'a>> = self.toks[a..b].to_vec();
            if kind == "counter" {
                seg = strip_object_counter(&seg);
            } else if kind == "quota" {
                seg = strip_used(&seg);
            }
            let text = join(&seg);
            if !text.is_empty() {
                parts.push(text);
            }
        }
        let mut origin = self.origin(at);
        origin.handle = handle;
        self.rs.tables[ti].objects.push(NamedObject {
            kind: kind.to_string(),
            name,
            body: parts.join("; "),
            origin,
        });
        Ok(())
    }

    /// `add|create|insert table|chain|rule|set|map|element ...`.
    fn command(&mut self) -> Result<()> {
        let verb_at = self.pos;
        let verb = self.toks[verb_at].text;
        let what = self.word_at(verb_at + 1).unwrap_or("");
        self.pos += 2;
        let ctx = Some(format!("`{verb} {what}` command"));
        match what {
            "table" => {
                let (family, name) = self.family_and_name(0, &ctx)?;
                let ti = self.table_index(family, &name, verb_at);
                if self.peek().is_some_and(|t| t.kind == TokKind::LBrace) {
                    self.pos += 1;
                    self.block_handle();
                    self.table_body(ti)?;
                }
                Ok(())
            }
            "chain" => {
                let (family, tname) = self.family_and_name(1, &ctx)?;
                let ti = self.table_index(family, &tname, verb_at);
                let cname = self.name_at(self.pos, "a chain name", &ctx)?;
                self.pos += 1;
                let ci = self.chain_index(ti, &cname, verb_at);
                if self.peek().is_some_and(|t| t.kind == TokKind::LBrace) {
                    self.pos += 1;
                    self.block_handle();
                    self.chain_body(ti, ci)?;
                }
                Ok(())
            }
            "rule" => {
                let (family, tname) = self.family_and_name(1, &ctx)?;
                let ti = self.table_index(family, &tname, verb_at);
                let cname = self.name_at(self.pos, "a chain name", &ctx)?;
                self.pos += 1;
                if !self.chain_ids.get(&ti).is_some_and(|m| m.contains_key(cname.as_str())) {
                    let line = self.toks.get(verb_at).map(|t| t.pos.line);
                    self.rs.warnings.push(Warning {
                        kind: "implicit-chain".into(),
                        source: self.opts.source_name.to_string(),
                        line,
                        message: format!(
                            "chain {family} {tname} {cname} is not declared here; read as a chain without a hook"
                        ),
                    });
                }
                let ci = self.chain_index(ti, &cname, verb_at);
                let (a, b) = self.segment();
                let n = self.rs.tables[ti].chains[ci].rules.len() + 1;
                let rctx = Some(format!("table {family} {tname}, chain {cname}, rule {n}"));
                let mut rule = parse_rule(&self.toks[a..b], family)
                    .map_err(|(k, msg)| self.err_at(a + k, msg, rctx))?;
                rule.origin = self.origin(a);
                let rules = &mut self.rs.tables[ti].chains[ci].rules;
                if verb == "insert" {
                    rules.insert(0, rule);
                } else {
                    rules.push(rule);
                }
                Ok(())
            }
            "set" | "map" => {
                let (family, tname) = self.family_and_name(1, &ctx)?;
                let ti = self.table_index(family, &tname, verb_at);
                let name = self.name_at(self.pos, "a set name", &ctx)?;
                self.pos += 1;
                self.expect_lbrace("the set name", &ctx)?;
                let mut set = NamedSet {
                    name,
                    key_type: String::new(),
                    data_type: None,
                    flags: Vec::new(),
                    elements: Vec::new(),
                    extra: Vec::new(),
                    comment: None,
                    origin: self.origin(verb_at),
                };
                self.set_body(&mut set, &ctx)?;
                self.rs.tables[ti].sets.push(set);
                Ok(())
            }
            "element" => {
                let (family, tname) = self.family_and_name(1, &ctx)?;
                let ti = self.table_index(family, &tname, verb_at);
                let name = self.name_at(self.pos, "a set name", &ctx)?;
                self.pos += 1;
                let (a, b) = self.segment();
                if self.toks.get(a).map(|t| t.kind) != Some(TokKind::LBrace) {
                    return Err(self.err_at(a, "expected `{ elements }`", ctx));
                }
                let els = elements_of(&self.toks[a + 1..b.saturating_sub(1).max(a + 1)]);
                let Some(set) = self.rs.tables[ti].sets.iter_mut().find(|s| s.name == name) else {
                    return Err(self.err_at(verb_at, format!("set `{name}` is not declared"), ctx));
                };
                set.elements.extend(els);
                Ok(())
            }
            _ => Err(self.err_at(
                verb_at + 1,
                format!("`{verb} {what}` is not supported: expected `table`, `chain`, `rule`, `set`, `map` or `element` (this reads `nft list ruleset` output)"),
                None,
            )),
        }
    }
}

/// Drops `packets N` and `bytes M` of a named counter's body.
fn strip_object_counter<'a>(toks: &[Token<'a>]) -> Vec<Token<'a>> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < toks.len() {
        if (toks[k].is_word("packets") || toks[k].is_word("bytes")) && k + 1 < toks.len() {
            k += 2;
            continue;
        }
        out.push(toks[k]);
        k += 1;
    }
    out
}

/// Splits the inside of `elements = { ... }` into one normalized string per element,
/// without volatile parts (`expires`, counter values, quota usage).
fn elements_of(inner: &[Token<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur: Vec<Token<'_>> = Vec::new();
    let mut flush = |cur: &mut Vec<Token<'_>>| {
        let mut kept = Vec::new();
        let mut k = 0;
        while k < cur.len() {
            let t = cur[k];
            if t.is_word("expires") {
                k += 2;
                continue;
            }
            kept.push(t);
            k += 1;
        }
        let kept = strip_used(&strip_counter_values(&kept));
        let s = join(&kept);
        if !s.is_empty() {
            out.push(s);
        }
        cur.clear();
    };
    for t in inner {
        match t.kind {
            TokKind::LBrace | TokKind::LParen => depth += 1,
            TokKind::RBrace | TokKind::RParen => depth = depth.saturating_sub(1),
            TokKind::Comma if depth == 0 => {
                flush(&mut cur);
                continue;
            }
            TokKind::Newline | TokKind::Comment => continue,
            _ => {}
        }
        cur.push(*t);
    }
    flush(&mut cur);
    out
}

#[cfg(test)]
mod tests;
