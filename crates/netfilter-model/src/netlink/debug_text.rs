//! Parser for nft's register-level debug text (`nft --debug=netlink`, nftables' `*.t.payload`).
//!
//! The text is what libnftnl's `snprintf` functions print for the netlink messages nft sends:
//! one header line per rule (`ip filter input`), its expressions one per line
//! (`  [ payload load 4b @ network header + 12 => reg 1 ]`), and, before a rule, the sets it
//! creates (`__set%d filter 3 size 2`) with their elements
//! (`\telement 0100000a  : 0 [end]\telement ...`). [`parse_debug_text`] turns such a text
//! into [`DebugRule`]s: each rule's [`Expr`] list plus a [`SetLookupContext`] holding the
//! anonymous sets it uses and the named sets declared so far, ready for
//! [`delinearize`](super::delinearize). [`parse_debug_exprs`] reads bare expression lines.
//!
//! What the text does not say is reconstructed:
//!
//! - **Byte order.** Data (`cmp`, `bitwise`, `immediate`, `range`, set elements) is printed
//!   as 32-bit words in the *printing host's* byte order (libnftnl prints each `uint32_t`
//!   of the data register with `%.8x`). This parser assumes a little-endian host, as every
//!   upstream payload file and our captures were made on one: `0x0000e800` is the bytes
//!   `00 e8 00 00`.
//! - **Lengths.** Only whole words are printed. The length of compared data is the width
//!   of the register's last load (`payload load 2b` is 2 bytes, `meta load iifname` 16,
//!   ...): data of as many words as that width is cut to it; longer data is a
//!   concatenation over several registers and kept whole. A compare of an interface-name
//!   register shorter than the name (nft's `iifname "eth*"`) is a prefix: its trailing
//!   zero bytes are padding and dropped. A set's key length is learned the same way from
//!   the register a rule looks it up with.
//! - **Anonymous set names.** nft prints every anonymous set as `__set%d` (`__map%d`,
//!   `__objmap%d`); the n-th such set before a rule is named `__set<n>` (the kernel's
//!   spelling), and the rule's n-th reference to the template name refers to it.

use std::collections::HashMap;

use super::delinearize::{SetInfo, SetLookupContext, DATA_VERDICT};
use super::expr::{reg32, Expr, ImmData};
use super::raw::RawElem;
use crate::error::{ParseError, Position};
use crate::model::Family;

/// `NFT_SET_ANONYMOUS`.
const SET_ANONYMOUS: u32 = 0x1;

/// One rule of a debug text: where it goes, its expressions and the sets it can look up.
#[derive(Debug, Clone)]
pub struct DebugRule {
    /// The rule's family (the first word of its header line).
    pub family: Family,
    /// Table name, when the header gives it.
    pub table: Option<String>,
    /// Chain name, when the header gives it.
    pub chain: Option<String>,
    /// The text of the `# ...` line that precedes the rule's block (a payload file's rule),
    /// without the `#`.
    pub title: Option<String>,
    /// 1-based line of the rule's header.
    pub line: u32,
    /// The expressions, in order.
    pub exprs: Vec<Expr>,
    /// The anonymous sets the rule created and the named sets of its table declared so far.
    pub sets: SetLookupContext,
}

/// A set being read: its header facts and elements.
#[derive(Debug, Clone, Default)]
struct PendingSet {
    /// Name as printed (`__set%d` for anonymous sets).
    printed: String,
    /// Name given to the set (`__set0`, ... for anonymous sets).
    name: String,
    table: String,
    info: SetInfo,
    /// Whether the key length has been learned (from a lookup's register width).
    sized: bool,
}

/// Parses a whole debug text (`nft --debug=netlink` output, an nftables `*.t.payload` file).
///
/// Table, chain and object lines (`inet (null) (null) use 0 ...`, `table (null) name ...`) and
/// blank lines are skipped; `#` lines title the next rule. Anything else that is not a rule header, an expression, a
/// set header or an element line is an error at its line and column.
pub fn parse_debug_text(source_name: &str, text: &str) -> Result<Vec<DebugRule>, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut named: Vec<PendingSet> = Vec::new();
    let mut anon: Vec<PendingSet> = Vec::new();
    // The set the last set header named: (anonymous?, index).
    let mut current_set: Option<(bool, usize)> = None;
    let mut title: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        let lineno = line_no(i);
        let t = raw.trim();
        if t.is_empty() {
            i += 1;
            continue;
        }
        if let Some(rest) = t.strip_prefix('#') {
            title = Some(rest.trim().to_string());
            anon.clear();
            current_set = None;
            i += 1;
            continue;
        }
        if t.starts_with("element") {
            let col = indent(raw);
            let elems = parse_elements(t).map_err(|(off, msg)| {
                err(source_name, lineno, col + off, msg, Some("set elements"))
            })?;
            let set = match current_set {
                Some((true, k)) => anon.get_mut(k),
                Some((false, k)) => named.get_mut(k),
                None => None,
            };
            let Some(set) = set else {
                return Err(err(
                    source_name,
                    lineno,
                    col,
                    "element line outside a set: expected a set header line \
                     (`NAME TABLE FLAGS`) before it"
                        .into(),
                    None,
                ));
            };
            set.info.elems.extend(elems);
            i += 1;
            continue;
        }
        if t.starts_with('[') {
            return Err(err(
                source_name,
                lineno,
                indent(raw),
                "expression outside a rule: expected a rule header line \
                 (`FAMILY TABLE CHAIN`) before it"
                    .into(),
                None,
            ));
        }
        // A header line: a rule's when expressions follow, else a set's or another object's.
        let next_is_expr = lines
            .get(i + 1)
            .is_some_and(|l| l.trim_start().starts_with('['));
        let words: Vec<&str> = t.split_whitespace().collect();
        if next_is_expr {
            let family: Family = words.first().and_then(|w| w.parse().ok()).ok_or_else(|| {
                err(
                    source_name,
                    lineno,
                    indent(raw),
                    format!(
                        "expected a rule header `FAMILY [TABLE [CHAIN]]` with family ip, \
                             ip6, inet, arp, bridge or netdev, found `{}`",
                        words.first().copied().unwrap_or_default()
                    ),
                    None,
                )
            })?;
            let table = words.get(1).map(|s| (*s).to_string());
            let chain = words.get(2).map(|s| (*s).to_string());
            let context = format!("rule `{t}`");
            let mut regs = Widths::default();
            let mut exprs = Vec::new();
            // References to each anonymous template name so far, to bind them in order.
            let mut refs: HashMap<String, usize> = HashMap::new();
            let mut j = i + 1;
            while let Some(l) = lines.get(j) {
                if !l.trim_start().starts_with('[') {
                    break;
                }
                let col = indent(l);
                let mut e = parse_expr_body(l.trim()).map_err(|(off, msg)| {
                    err(source_name, line_no(j), col + off, msg, Some(&context))
                })?;
                // Bind set references and learn key lengths.
                if let Some((set_name, sreg)) = set_ref_mut(&mut e) {
                    let width = regs.get(sreg);
                    if let Some(k) = bind_anon(&anon, set_name, &mut refs) {
                        set_name.clone_from(&anon[k].name);
                        size_set(&mut anon[k], width);
                    } else if let Some(s) = named.iter_mut().find(|s| {
                        &s.name == set_name && table.as_deref().is_none_or(|t| t == s.table)
                    }) {
                        size_set(s, width);
                    }
                }
                regs.apply(&mut e);
                exprs.push(e);
                j += 1;
            }
            let mut sets = SetLookupContext::default();
            for s in named
                .iter()
                .filter(|s| table.as_deref().is_none_or(|t| t == s.table))
                .chain(anon.iter())
            {
                sets.sets.insert(s.name.clone(), s.info.clone());
            }
            out.push(DebugRule {
                family,
                table,
                chain,
                title: title.take(),
                line: lineno,
                exprs,
                sets,
            });
            anon.clear();
            current_set = None;
            i = j;
            continue;
        }
        if let Some((name, table, flags)) = set_header(&words) {
            let anonymous = flags & SET_ANONYMOUS != 0 || name.contains("%d");
            if anonymous {
                // The second header of a set (its element message, flags 0) names the set
                // the previous header declared, as long as that one has no elements yet.
                let same = matches!(current_set, Some((true, k))
                    if anon.get(k).is_some_and(|s| s.printed == name && s.info.elems.is_empty()));
                if same {
                    if let Some((_, k)) = current_set {
                        if let Some(s) = anon.get_mut(k) {
                            s.info.flags |= flags;
                        }
                    }
                } else {
                    let stem = name.split('%').next().unwrap_or(name);
                    let n = anon.iter().filter(|s| s.printed == name).count();
                    let renamed = if name.contains("%d") {
                        format!("{stem}{n}")
                    } else {
                        name.to_string()
                    };
                    anon.push(PendingSet {
                        printed: name.to_string(),
                        name: renamed,
                        table: table.to_string(),
                        info: SetInfo {
                            flags: flags | SET_ANONYMOUS,
                            ..SetInfo::default()
                        },
                        sized: false,
                    });
                    current_set = Some((true, anon.len() - 1));
                }
            } else {
                let k = match named
                    .iter()
                    .position(|s| s.name == name && s.table == table)
                {
                    Some(k) => {
                        named[k].info.flags |= flags;
                        k
                    }
                    None => {
                        named.push(PendingSet {
                            printed: name.to_string(),
                            name: name.to_string(),
                            table: table.to_string(),
                            info: SetInfo {
                                flags,
                                ..SetInfo::default()
                            },
                            sized: false,
                        });
                        named.len() - 1
                    }
                };
                current_set = Some((false, k));
            }
            i += 1;
            continue;
        }
        if words
            .first()
            .is_some_and(|w| *w == "table" || w.parse::<Family>().is_ok())
        {
            // A table, chain or flowtable line (`inet (null) (null) use 0 ...`) or a named
            // object's (`table (null) name (null) use 0 [ counter ... ]`): nothing a rule needs.
            current_set = None;
            i += 1;
            continue;
        }
        return Err(err(
            source_name,
            lineno,
            indent(raw),
            format!(
                "expected a rule header (`FAMILY TABLE CHAIN` followed by `[ ... ]` lines), \
                 a set header (`NAME TABLE FLAGS`), an `element` line or a `#` title, \
                 found `{}`",
                shorten(t)
            ),
            None,
        ));
    }
    // Element data of maps: verdicts make a verdict map.
    for r in &mut out {
        for info in r.sets.sets.values_mut() {
            if info.data_type.is_none() && info.elems.iter().any(|e| e.verdict.is_some()) {
                info.data_type = Some(DATA_VERDICT);
            }
        }
    }
    Ok(out)
}

/// Parses bare expression lines (`[ cmp eq reg 1 0x00000006 ]`, one a line; blank lines
/// skipped) into an expression list, with the same length reconstruction as
/// [`parse_debug_text`]. Handy for writing tests.
pub fn parse_debug_exprs(source_name: &str, text: &str) -> Result<Vec<Expr>, ParseError> {
    let mut regs = Widths::default();
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let mut e = parse_expr_body(l.trim())
            .map_err(|(off, msg)| err(source_name, line_no(i), indent(l) + off, msg, None))?;
        regs.apply(&mut e);
        out.push(e);
    }
    Ok(out)
}

fn line_no(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// Characters of leading whitespace.
fn indent(l: &str) -> usize {
    l.chars().take_while(|c| c.is_whitespace()).count()
}

fn shorten(s: &str) -> String {
    let short: String = s.chars().take(60).collect();
    if short.len() < s.len() {
        format!("{short}...")
    } else {
        short
    }
}

fn err(source: &str, line: u32, col0: usize, message: String, ctx: Option<&str>) -> ParseError {
    ParseError {
        source_name: source.to_string(),
        position: Position {
            line,
            column: u32::try_from(col0 + 1).unwrap_or(u32::MAX),
        },
        message,
        context: ctx.map(str::to_string),
    }
}

/// `NAME TABLE FLAGS [timeout Nms] [gc_interval Nms] [policy N] [size N]`.
fn set_header<'a>(words: &[&'a str]) -> Option<(&'a str, &'a str, u32)> {
    let [name, table, flags, rest @ ..] = words else {
        return None;
    };
    let flags = u32::from_str_radix(flags, 16).ok()?;
    if rest.len() % 2 != 0 {
        return None;
    }
    for pair in rest.chunks(2) {
        let ok = matches!(pair[0], "timeout" | "gc_interval" | "policy" | "size")
            && pair[1]
                .trim_end_matches("ms")
                .chars()
                .all(|c| c.is_ascii_digit());
        if !ok {
            return None;
        }
    }
    Some((name, table, flags))
}

/// The index of the anonymous set a reference to `name` binds to: the n-th set printed with
/// that name for the rule's n-th reference. `None` for names no anonymous set has.
fn bind_anon(anon: &[PendingSet], name: &str, refs: &mut HashMap<String, usize>) -> Option<usize> {
    if !anon.iter().any(|s| s.printed == name) {
        return None;
    }
    let n = refs.entry(name.to_string()).or_insert(0);
    let k = anon
        .iter()
        .enumerate()
        .filter(|(_, s)| s.printed == name)
        .nth(*n)
        .map(|(k, _)| k);
    *n += 1;
    // A rule that refers to the set more often than there are sets keeps using the last.
    k.or_else(|| anon.iter().rposition(|s| s.printed == name))
}

/// The set name and key register of a set-referencing expression.
fn set_ref_mut(e: &mut Expr) -> Option<(&mut String, u32)> {
    match e {
        Expr::Lookup { set, sreg, .. } => Some((set, *sreg)),
        Expr::Dynset { set, sreg_key, .. } => Some((set, *sreg_key)),
        Expr::Objref {
            set: Some(set),
            sreg: Some(sreg),
            ..
        } => Some((set, *sreg)),
        _ => None,
    }
}

/// Learns a set's key length from the width of the register it is looked up with, cutting
/// its printed (word-padded) keys to it. Keys longer than the padded width are a
/// concatenation and keep their words.
fn size_set(s: &mut PendingSet, width: Option<Width>) {
    if s.sized {
        return;
    }
    s.sized = true;
    let words_len = s.info.elems.iter().map(|e| e.key.len()).max().unwrap_or(0);
    // A set without elements does not tell: the first register's width may be one field
    // of a concatenation (`ip saddr . ip daddr @set5`); the delinearizer then reads the
    // key from the loads before the lookup.
    if words_len == 0 {
        return;
    }
    let Some(w) = width else {
        s.info.key_len = u32::try_from(words_len).unwrap_or(0);
        return;
    };
    let padded = w.bytes.div_ceil(4) * 4;
    if words_len > padded {
        s.info.key_len = u32::try_from(words_len).unwrap_or(0);
        return;
    }
    s.info.key_len = u32::try_from(w.bytes).unwrap_or(0);
    for e in &mut s.info.elems {
        e.key.truncate(w.bytes);
        if let Some(k) = &mut e.key_end {
            k.truncate(w.bytes);
        }
    }
}

/// What the parser knows of a register's content: its width, and whether it holds a
/// NUL-padded name (an interface name, whose shorter compares are prefixes).
#[derive(Debug, Clone, Copy)]
struct Width {
    bytes: usize,
    name: bool,
}

/// Register widths as the expressions so far loaded them, by 32-bit register index.
#[derive(Default)]
struct Widths(HashMap<u32, Width>);

impl Widths {
    fn get(&self, reg: u32) -> Option<Width> {
        reg32(reg).and_then(|r| self.0.get(&r).copied())
    }

    fn set(&mut self, reg: u32, w: Option<Width>) {
        if let Some(r) = reg32(reg) {
            match w {
                Some(w) => {
                    self.0.insert(r, w);
                }
                None => {
                    self.0.remove(&r);
                }
            }
        }
    }

    /// Cuts the data of `e` to the widths its registers hold, then records what `e` loads.
    fn apply(&mut self, e: &mut Expr) {
        let plain = |bytes: u32| {
            Some(Width {
                bytes: bytes as usize,
                name: false,
            })
        };
        match e {
            Expr::Payload { len, dreg, .. } => self.set(*dreg, plain(*len)),
            Expr::Meta {
                key, dreg: Some(d), ..
            } => self.set(*d, meta_width(*key)),
            Expr::Ct {
                key, dreg: Some(d), ..
            } => self.set(*d, ct_width(*key)),
            Expr::Fib { result, dreg, .. } => self.set(
                *dreg,
                Some(Width {
                    bytes: if *result == 2 { 16 } else { 4 },
                    name: *result == 2,
                }),
            ),
            Expr::Numgen { dreg, .. } => self.set(*dreg, plain(4)),
            Expr::Cmp { sreg, data, .. } => {
                if let Some(w) = self.get(*sreg) {
                    cut(data, w);
                }
            }
            Expr::Range { sreg, from, to, .. } => {
                if let Some(w) = self.get(*sreg) {
                    cut(from, w);
                    cut(to, w);
                }
            }
            Expr::Bitwise {
                sreg,
                dreg,
                len,
                mask,
                xor,
                ..
            } => {
                let w = self.get(*sreg);
                if let Some(w) = w.filter(|w| w.bytes.div_ceil(4) * 4 == *len as usize) {
                    *len = u32::try_from(w.bytes).unwrap_or(*len);
                    mask.truncate(w.bytes);
                    xor.truncate(w.bytes);
                }
                let out = w.map(|w| Width {
                    bytes: *len as usize,
                    name: w.name,
                });
                self.set(*dreg, out.or(plain(*len)));
            }
            Expr::Byteorder { dreg, len, .. } => self.set(*dreg, plain(*len)),
            Expr::Immediate {
                dreg,
                data: ImmData::Value(v),
            } => self.set(*dreg, plain(u32::try_from(v.len()).unwrap_or(0))),
            Expr::Lookup { dreg: Some(d), .. } => self.set(*d, None),
            Expr::Unknown { raw, .. } => {
                if let Some((w, r)) = unknown_load(raw) {
                    self.set(
                        r,
                        w.map(|b| Width {
                            bytes: b,
                            name: false,
                        }),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Cuts printed (word-padded) data to a register's width; a shorter compare of a name
/// register is a prefix, whose zero padding is dropped.
fn cut(data: &mut Vec<u8>, w: Width) {
    let padded = w.bytes.div_ceil(4) * 4;
    if data.len() == padded {
        data.truncate(w.bytes);
    }
    if w.name && data.len() < w.bytes {
        while data.last() == Some(&0) {
            data.pop();
        }
    }
}

/// Width and destination register of an expression the parser keeps as `Unknown` but that
/// loads a register (`exthdr load 2b @ 6 + 2 => reg 1`, `rt load nexthop4 => reg 1`).
fn unknown_load(raw: &str) -> Option<(Option<usize>, u32)> {
    let reg = raw
        .rsplit("=> reg ")
        .next()
        .filter(|_| raw.contains("=> reg "))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|r| r.parse().ok())
        .or_else(|| {
            // `hash`, `jhash`, `symhash`: `reg D = ...`.
            let rest = raw.trim_start().strip_prefix("reg ")?;
            let (r, tail) = rest.split_once(' ')?;
            tail.starts_with('=').then(|| r.parse().ok()).flatten()
        })?;
    let width = raw
        .split_whitespace()
        .find_map(|w| w.strip_suffix('b').and_then(|n| n.parse().ok()));
    Some((width.or(Some(4)), reg))
}

fn meta_width(key: u32) -> Option<Width> {
    let (bytes, name) = match key {
        6 | 7 | 17 | 18 | 26 | 27 | 34 => (16, true),
        1 | 8 | 9 | 28 | 29 => (2, false),
        12 | 15 | 16 | 19 | 25 | 31 => (1, false),
        30 => (8, false),
        0 | 2..=5 | 10 | 11 | 13 | 14 | 20..=24 | 32 | 33 => (4, false),
        _ => return None,
    };
    Some(Width { bytes, name })
}

fn ct_width(key: u32) -> Option<Width> {
    let (bytes, name) = match key {
        6 => (16, true),
        1 | 7 | 10 => (1, false),
        11 | 12 | 17 => (2, false),
        13 | 21 | 22 => (16, false),
        14..=16 => (8, false),
        0 | 2..=5 | 18..=20 | 23 => (4, false),
        // `src`/`dst` are 4 or 16 bytes by the connection's family: unknown here.
        _ => return None,
    };
    Some(Width { bytes, name })
}

/// Tokens of an expression body with their character offsets.
struct Toks<'a> {
    toks: Vec<(usize, &'a str)>,
    pos: usize,
    /// Offset just past the body, for errors at its end.
    end: usize,
}

type PErr = (usize, String);

impl<'a> Toks<'a> {
    fn new(body: &'a str, base: usize) -> Toks<'a> {
        let mut toks = Vec::new();
        let mut start = None;
        for (i, (b, c)) in body.char_indices().enumerate() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some((i, b)),
                (true, Some((ci, sb))) => {
                    toks.push((base + ci, &body[sb..b]));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some((ci, sb)) = start {
            toks.push((base + ci, &body[sb..]));
        }
        Toks {
            toks,
            pos: 0,
            end: base + body.chars().count(),
        }
    }

    fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }

    fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.pos).map(|t| t.1)
    }

    fn next(&mut self, what: &str) -> Result<&'a str, PErr> {
        match self.toks.get(self.pos) {
            Some((_, t)) => {
                self.pos += 1;
                Ok(t)
            }
            None => Err((
                self.end,
                format!("expected {what}, found the end of the expression"),
            )),
        }
    }

    fn expect(&mut self, word: &str) -> Result<(), PErr> {
        let at = self.here();
        match self.next(&format!("`{word}`"))? {
            t if t == word => Ok(()),
            t => Err((at, format!("expected `{word}`, found `{t}`"))),
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.peek() == Some(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn num<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, PErr> {
        let at = self.here();
        let t = self.next(what)?;
        t.parse()
            .map_err(|_| (at, format!("expected {what} (a number), found `{t}`")))
    }

    fn hex_u32(&mut self, what: &str) -> Result<u32, PErr> {
        let at = self.here();
        let t = self.next(what)?;
        t.strip_prefix("0x")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or((
                at,
                format!("expected {what} (0x and hex digits), found `{t}`"),
            ))
    }

    /// `reg N`.
    fn reg(&mut self) -> Result<u32, PErr> {
        self.expect("reg")?;
        self.num("a register number")
    }

    /// Data words (`0x0000e800 0x...`) as bytes, while the next token is one.
    fn words(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(w) = self.peek().and_then(word) {
            out.extend_from_slice(&w.to_le_bytes());
            self.pos += 1;
        }
        out
    }

    fn done(&self) -> Result<(), PErr> {
        match self.toks.get(self.pos) {
            None => Ok(()),
            Some((at, t)) => Err((
                *at,
                format!("unexpected `{t}` at the end of the expression"),
            )),
        }
    }

    /// The rest of the body from the current token, as printed.
    fn rest(&self, body: &'a str, base: usize) -> &'a str {
        match self.toks.get(self.pos) {
            Some((at, _)) => {
                let skip = at - base;
                let b = body.char_indices().nth(skip).map_or(body.len(), |(b, _)| b);
                &body[b..]
            }
            None => "",
        }
    }
}

/// One data word: `0x` and up to eight hex digits, as libnftnl prints it.
fn word(t: &str) -> Option<u32> {
    let h = t.strip_prefix("0x")?;
    if h.is_empty() || h.len() > 8 {
        return None;
    }
    u32::from_str_radix(h, 16).ok()
}

/// Parses one expression line (`[ NAME ARGS ]`, trimmed) into an [`Expr`]. Errors carry the
/// character offset in the trimmed line.
fn parse_expr_body(line: &str) -> Result<Expr, PErr> {
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

/// `load KEY => reg N` or `set KEY with reg N`: (load?, key, register).
fn load_or_set<'a>(t: &mut Toks<'a>) -> Result<(bool, &'a str, u32), PErr> {
    let at = t.here();
    match t.next("load or set")? {
        "load" => {
            let key = t.next("a key")?;
            t.expect("=>")?;
            Ok((true, key, t.reg()?))
        }
        "set" => {
            let key = t.next("a key")?;
            t.expect("with")?;
            Ok((false, key, t.reg()?))
        }
        o => Err((at, format!("expected load or set, found `{o}`"))),
    }
}

/// `load Nb @ BASE header + OFF => reg R` or
/// `write reg R => Nb @ BASE header + OFF csum_type N csum_off N csum_flags 0xN`.
fn payload(t: &mut Toks) -> Result<Expr, PErr> {
    let at = t.here();
    let write = match t.next("load or write")? {
        "load" => false,
        "write" => true,
        o => return Err((at, format!("expected load or write, found `{o}`"))),
    };
    let sreg = if write {
        let r = t.reg()?;
        t.expect("=>")?;
        Some(r)
    } else {
        None
    };
    let at = t.here();
    let l = t.next("a length (`4b`)")?;
    let len = l.strip_suffix('b').and_then(|n| n.parse().ok()).ok_or((
        at,
        format!("expected a length in bytes (`4b`), found `{l}`"),
    ))?;
    t.expect("@")?;
    let at = t.here();
    let base = match t.next("a header base")? {
        "link" => 0,
        "network" => 1,
        "transport" => 2,
        "inner" => 3,
        o => {
            return Err((
                at,
                format!("expected link, network, transport or inner, found `{o}`"),
            ))
        }
    };
    t.expect("header")?;
    t.expect("+")?;
    let offset = t.num("an offset")?;
    match sreg {
        Some(sreg) => {
            // The checksum fields say how to fix the checksum: nothing the model keeps.
            while t.peek().is_some() {
                t.pos += 1;
            }
            Ok(Expr::PayloadSet {
                base,
                offset,
                len,
                sreg,
            })
        }
        None => {
            t.expect("=>")?;
            let dreg = t.reg()?;
            Ok(Expr::Payload {
                base,
                offset,
                len,
                dreg,
            })
        }
    }
}

/// A verdict (`accept`, `jump -> CHAIN`) as code and chain.
fn verdict(t: &mut Toks) -> Result<(i32, Option<String>), PErr> {
    let at = t.here();
    let code = match t.next("a value or a verdict")? {
        "accept" => 1,
        "drop" => 0,
        "stolen" => 2,
        "queue" => 3,
        "repeat" => 4,
        "stop" => 5,
        "return" => -5,
        "jump" => -3,
        "goto" => -4,
        "continue" => -1,
        "break" => -2,
        o => {
            return Err((
                at,
                format!("expected data words (0x...) or a verdict, found `{o}`"),
            ))
        }
    };
    let chain = if t.eat("->") {
        Some(t.next("a chain name")?.to_string())
    } else {
        None
    };
    Ok((code, chain))
}

/// `NFPROTO_*` of a family name as libnftnl prints it.
fn nfproto(s: &str) -> u32 {
    match s {
        "inet" => 1,
        "ip" => 2,
        "arp" => 3,
        "netdev" => 5,
        "bridge" => 7,
        "ip6" => 10,
        _ => 0,
    }
}

/// The `log` expression: `[prefix P] (group G snaplen S qthreshold Q | [level L] [FLAG...])`.
/// The prefix is printed bare and may hold spaces: it runs up to the tail that parses.
fn log(args: &str, base: usize) -> Result<Expr, PErr> {
    let (prefix, tail, tail_base) = match args.strip_prefix("prefix ") {
        Some(rest) => {
            let rest_base = base + "prefix ".len();
            // The first split point whose tail is a valid log tail; the whole rest otherwise.
            let cut = rest
                .char_indices()
                .filter(|(_, c)| *c == ' ')
                .map(|(i, _)| i)
                .find(|i| {
                    let tail = &rest[i + 1..];
                    !tail.starts_with(char::is_whitespace) && log_tail(tail).is_some()
                });
            match cut {
                Some(i) => (
                    Some(rest[..i].to_string()),
                    &rest[i + 1..],
                    rest_base + rest[..=i].chars().count(),
                ),
                None => (Some(rest.to_string()), "", rest_base),
            }
        }
        None => (None, args, base),
    };
    let (group, snaplen, qthreshold, level, flags) =
        log_tail(tail).ok_or((tail_base, format!("unexpected log arguments `{tail}`")))?;
    Ok(Expr::Log {
        prefix,
        group,
        level,
        flags,
        snaplen,
        qthreshold,
    })
}

type LogTail = (Option<u16>, Option<u32>, Option<u16>, Option<u32>, u32);

/// Parses what follows a log prefix; `None` if it is not a log tail.
fn log_tail(s: &str) -> Option<LogTail> {
    let w: Vec<&str> = s.split_whitespace().collect();
    if let ["group", g, "snaplen", sl, "qthreshold", q] = w.as_slice() {
        let sl: u32 = sl.parse().ok()?;
        let q: u16 = q.parse().ok()?;
        return Some((
            Some(g.parse().ok()?),
            Some(sl).filter(|v| *v != 0),
            Some(q).filter(|v| *v != 0),
            None,
            0,
        ));
    }
    let mut rest = w.as_slice();
    let mut level = None;
    if let ["level", l, r @ ..] = rest {
        level = Some(l.parse().ok()?);
        rest = r;
    }
    let mut flags = 0;
    for f in rest {
        flags |= match *f {
            "tcpseq" => 0x01,
            "tcpopt" => 0x02,
            "ipopt" => 0x04,
            "uid" => 0x08,
            "macdecode" => 0x20,
            _ => return None,
        };
    }
    Some((None, None, None, level, flags))
}

/// `NFT_META_*` of a key as libnftnl names it.
fn meta_key(s: &str) -> Option<u32> {
    const N: &[&str] = &[
        "len",
        "protocol",
        "priority",
        "mark",
        "iif",
        "oif",
        "iifname",
        "oifname",
        "iiftype",
        "oiftype",
        "skuid",
        "skgid",
        "nftrace",
        "rtclassid",
        "secmark",
        "nfproto",
        "l4proto",
        "bri_iifname",
        "bri_oifname",
        "pkttype",
        "cpu",
        "iifgroup",
        "oifgroup",
        "cgroup",
        "prandom",
        "secpath",
        "iifkind",
        "oifkind",
        "bri_iifpvid",
        "bri_iifvproto",
        "time",
        "day",
        "hour",
        "sdif",
        "sdifname",
    ];
    N.iter()
        .position(|n| *n == s)
        .and_then(|i| u32::try_from(i).ok())
}

/// `NFT_CT_*` of a key as libnftnl names it.
fn ct_key(s: &str) -> Option<u32> {
    const N: &[&str] = &[
        "state",
        "direction",
        "status",
        "mark",
        "secmark",
        "expiration",
        "helper",
        "l3protocol",
        "src",
        "dst",
        "protocol",
        "proto_src",
        "proto_dst",
        "label",
        "packets",
        "bytes",
        "avgpkt",
        "zone",
        "event",
        "src_ip",
        "dst_ip",
        "src_ip6",
        "dst_ip6",
        "id",
    ];
    N.iter()
        .position(|n| *n == s)
        .and_then(|i| u32::try_from(i).ok())
}

/// Parses a line of set elements:
/// `element KEY... [- KEY_END...] : [DATA... | VERDICT [-> CHAIN]] FLAGS [end] [userdata = { ... }]`,
/// several to a line. Keys are printed as bare hex words.
fn parse_elements(line: &str) -> Result<Vec<RawElem>, PErr> {
    let t = Toks::new(line, 0);
    let toks = &t.toks;
    let mut out = Vec::new();
    let mut i = 0;
    let bare = |s: &str| -> Option<Vec<u8>> {
        if s.len() != 8 {
            return None;
        }
        u32::from_str_radix(s, 16)
            .ok()
            .map(|w| w.to_le_bytes().to_vec())
    };
    while i < toks.len() {
        let (at, w) = toks[i];
        if w != "element" {
            return Err((at, format!("expected `element`, found `{w}`")));
        }
        i += 1;
        let mut e = RawElem::default();
        let mut key = Vec::new();
        while let Some(b) = toks.get(i).and_then(|(_, w)| bare(w)) {
            key.extend(b);
            i += 1;
        }
        e.key = key;
        if toks.get(i).map(|t| t.1) == Some("-") {
            i += 1;
            let mut end = Vec::new();
            while let Some(b) = toks.get(i).and_then(|(_, w)| bare(w)) {
                end.extend(b);
                i += 1;
            }
            e.key_end = Some(end);
        }
        match toks.get(i) {
            Some((_, ":")) => i += 1,
            Some((at, w)) => return Err((*at, format!("expected a key word or `:`, found `{w}`"))),
            None => return Err((line.len(), "expected `:` after the element key".into())),
        }
        // Data up to the flags number that precedes `[end]`.
        let Some(end_at) = toks[i..].iter().position(|(_, w)| *w == "[end]") else {
            return Err((
                line.len(),
                "expected `FLAGS [end]` to close the element".into(),
            ));
        };
        let end_at = i + end_at;
        if end_at == i {
            return Err((
                toks[i].0,
                "expected the element flags before `[end]`".into(),
            ));
        }
        let (fat, f) = toks[end_at - 1];
        e.flags = f.parse().map_err(|_| {
            (
                fat,
                format!("expected element flags (a number), found `{f}`"),
            )
        })?;
        let data = &toks[i..end_at - 1];
        match data {
            [] => {}
            [(_, v), rest @ ..] if bare(v).is_none() => {
                let code = match *v {
                    "accept" => 1,
                    "drop" => 0,
                    "continue" => -1,
                    "return" => -5,
                    "jump" => -3,
                    "goto" => -4,
                    "queue" => 3,
                    "stolen" => 2,
                    "break" => -2,
                    _ => {
                        return Err((
                            data[0].0,
                            format!("expected data words or a verdict, found `{v}`"),
                        ))
                    }
                };
                let chain = match rest {
                    [] => None,
                    [(_, "->"), (_, c)] => Some((*c).to_string()),
                    [(at, w), ..] => {
                        return Err((
                            *at,
                            format!("expected `-> CHAIN` or the flags, found `{w}`"),
                        ))
                    }
                };
                e.verdict = Some((code, chain));
            }
            words => {
                let mut d = Vec::new();
                for (at, w) in words {
                    d.extend(bare(w).ok_or((*at, format!("expected a data word, found `{w}`")))?);
                }
                e.data = Some(d);
            }
        }
        i = end_at + 1;
        // Element user data: `userdata = { ... }` (a comment TLV, printed char by char).
        if toks.get(i).map(|t| t.1) == Some("userdata") {
            while i < toks.len() && toks[i].1 != "}" {
                i += 1;
            }
            i += 1;
        }
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_of_every_kind_parse() {
        let text = "\
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ cmp eq reg 1 0x00000020 ]
  [ meta load iifname => reg 1 ]
  [ cmp eq reg 1 0x00687465 ]
  [ meta load oifname => reg 2 ]
  [ cmp neq reg 2 0x30687465 0x00000000 0x00000000 0x00000000 ]
  [ ct load state => reg 1 , dir original ]
  [ lookup reg 1 set __set%d 0x1 ]
  [ lookup reg 1 set m dreg 0 ]
  [ immediate reg 0 jump -> other ]
  [ immediate reg 1 0x0100000a ]
  [ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]
  [ masq flags 0x1c ]
  [ redir proto_min reg 1 ]
  [ reject type 0 code 3 ]
  [ log prefix nft-test:  group 2 snaplen 0 qthreshold 0 ]
  [ log level 7 ipopt uid ]
  [ limit rate 400/minute burst 5 type packets flags 0x1 ]
  [ counter pkts 1 bytes 2 ]
  [ quota bytes 100 consumed 0 flags 1 ]
  [ queue num 1-3 bypass fanout ]
  [ fib saddr . iif oif present => reg 1 ]
  [ numgen reg 1 = inc mod 2 offset 5 ]
  [ byteorder reg 1 = hton(reg 1, 2, 2) ]
  [ range neq reg 1 0x00004d01 0x0000c501 ]
  [ payload write reg 1 => 2b @ transport header + 2 csum_type 1 csum_off 16 csum_flags 0x0 ]
  [ dynset update reg_key 1 set xyz timeout 30000ms expr [ counter pkts 0 bytes 0 ] ]
  [ objref type 1 name cnt1 ]
  [ objref sreg 1 set __objmap%d ]
  [ match name conntrack rev 3 ]
  [ notrack ]
  [ exthdr load 2b @ 6 + 2 => reg 1 ]
";
        let e = parse_debug_exprs("t", text).unwrap();
        assert_eq!(e.len(), 33);
        assert_eq!(
            e[2],
            Expr::Cmp {
                sreg: 1,
                op: 0,
                data: vec![0x20]
            }
        );
        // A shorter interface compare is a prefix: its padding is dropped.
        assert_eq!(
            e[4],
            Expr::Cmp {
                sreg: 1,
                op: 0,
                data: b"eth".to_vec()
            }
        );
        let mut exact = b"eth0".to_vec();
        exact.resize(16, 0);
        assert_eq!(
            e[6],
            Expr::Cmp {
                sreg: 2,
                op: 1,
                data: exact
            }
        );
        assert_eq!(
            e[7],
            Expr::Ct {
                key: 0,
                dreg: Some(1),
                sreg: None,
                dir: Some(0)
            }
        );
        assert!(matches!(&e[8], Expr::Lookup { invert: true, .. }));
        assert_eq!(
            e[10],
            Expr::Immediate {
                dreg: 0,
                data: ImmData::Verdict {
                    code: -3,
                    chain: Some("other".into())
                }
            }
        );
        assert_eq!(
            e[11],
            Expr::Immediate {
                dreg: 1,
                data: ImmData::Value(vec![10, 0, 0, 1])
            }
        );
        assert!(matches!(
            &e[16],
            Expr::Log { prefix: Some(p), group: Some(2), .. } if p == "nft-test: "
        ));
        assert!(matches!(
            &e[17],
            Expr::Log {
                prefix: None,
                level: Some(7),
                flags: 0x0c,
                ..
            }
        ));
        assert_eq!(
            e[21],
            Expr::Queue {
                num: 1,
                total: 3,
                flags: 3
            }
        );
        assert_eq!(
            e[22],
            Expr::Fib {
                flags: 1 | 8 | 32,
                result: 1,
                dreg: 1
            }
        );
        assert!(matches!(
            &e[24],
            Expr::Byteorder {
                op: 1,
                size: 2,
                len: 2,
                ..
            }
        ));
        // A range on a 2-byte register (the byteorder above) keeps two bytes per bound.
        assert_eq!(
            e[25],
            Expr::Range {
                sreg: 1,
                op: 1,
                from: vec![0x01, 0x4d],
                to: vec![0x01, 0xc5]
            }
        );
        assert!(matches!(
            &e[27],
            Expr::Dynset {
                op: 1,
                timeout: Some(30000),
                ..
            }
        ));
        assert!(matches!(&e[32], Expr::Unknown { name, .. } if name == "exthdr"));
    }

    #[test]
    fn sets_before_a_rule_are_bound_in_order_and_sized() {
        let text = "\
# tcp dport { 22, 80-90 } udp sport { 53 }
__set%d t 7 size 5
__set%d t 0
\telement 00000000  : 1 [end]\telement 00001600  : 0 [end]\telement 00001700  : 1 [end]
__set%d t 3 size 1
__set%d t 0
\telement 00003500  : 0 [end]
inet t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ lookup reg 1 set __set%d ]
  [ payload load 2b @ transport header + 0 => reg 1 ]
  [ lookup reg 1 set __set%d ]

inet t c
  [ immediate reg 0 accept ]
";
        let rules = parse_debug_text("t", text).unwrap();
        assert_eq!(rules.len(), 2);
        let r = &rules[0];
        assert_eq!(r.family, Family::Inet);
        assert_eq!(r.chain.as_deref(), Some("c"));
        assert_eq!(
            r.title.as_deref(),
            Some("tcp dport { 22, 80-90 } udp sport { 53 }")
        );
        assert!(matches!(&r.exprs[3], Expr::Lookup { set, .. } if set == "__set0"));
        assert!(matches!(&r.exprs[5], Expr::Lookup { set, .. } if set == "__set1"));
        let s0 = &r.sets.sets["__set0"];
        assert_eq!(s0.flags, 7);
        assert_eq!(s0.key_len, 2);
        assert_eq!(s0.elems.len(), 3);
        assert_eq!(s0.elems[1].key, vec![0, 22]);
        assert_eq!(s0.elems[2].flags, 1);
        assert_eq!(r.sets.sets["__set1"].elems[0].key, vec![0, 53]);
        assert_eq!(r.line, 8);
        // Anonymous sets belong to one rule only.
        assert!(rules[1].sets.sets.is_empty());
    }

    #[test]
    fn maps_concatenations_and_named_sets() {
        let text = "\
inet (null) (null) use 0
s t 0
s t 0
\telement 0100000a  : 0 [end]\telement 0200000a  : 0 [end]
__map%d t b size 2
__map%d t 0
\telement 00001600  : jump -> ssh 0 [end]\telement 00005000  : accept 0 [end]
inet t c
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ lookup reg 1 set __map%d dreg 0 ]
__set%d t 3 size 1
__set%d t 0
\telement 0100000a 00001600  : 0 [end]
inet t c
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ payload load 2b @ transport header + 2 => reg 9 ]
  [ lookup reg 1 set __set%d ]
  [ lookup reg 1 set s ]
";
        let rules = parse_debug_text("t", text).unwrap();
        let m = &rules[0].sets.sets["__map0"];
        assert_eq!(m.flags, 0xb);
        assert_eq!(m.data_type, Some(DATA_VERDICT));
        assert_eq!(m.elems[0].verdict, Some((-3, Some("ssh".into()))));
        assert_eq!(m.elems[1].key, vec![0, 80]);
        let c = &rules[1].sets.sets["__set0"];
        assert_eq!(c.key_len, 8);
        assert_eq!(c.elems[0].key, vec![10, 0, 0, 1, 0, 22, 0, 0]);
        let s = &rules[1].sets.sets["s"];
        assert_eq!(s.key_len, 4);
        assert_eq!(s.elems.len(), 2);
    }

    #[test]
    fn bad_input_is_a_positioned_error() {
        let e = parse_debug_text("p", "ip t c\n  [ cmp foo reg 1 0x1 ]\n").unwrap_err();
        assert_eq!(e.source_name, "p");
        assert_eq!((e.position.line, e.position.column), (2, 9));
        assert!(e.message.contains("expected eq, neq"), "{}", e.message);
        assert!(e.context.as_deref().unwrap_or_default().contains("ip t c"));

        let e = parse_debug_text("p", "  [ notrack ]\n").unwrap_err();
        assert_eq!((e.position.line, e.position.column), (1, 3));

        let e = parse_debug_text("p", "hello world\n").unwrap_err();
        assert!(e.message.contains("found `hello world`"), "{}", e.message);

        let e = parse_debug_text("p", "\telement 00000001 : 0\n").unwrap_err();
        assert!(e.message.contains("[end]"), "{}", e.message);

        let e = parse_debug_exprs("p", "[ payload load 4b @ somewhere header + 1 => reg 1 ]")
            .unwrap_err();
        assert_eq!(e.position.column, 21);
        let e = parse_debug_exprs("p", "[ immediate reg 0 jump -> ").unwrap_err();
        assert!(e.message.contains("`]`"), "{}", e.message);
        let e = parse_debug_exprs("p", "[ immediate reg 0 jump -> ]").unwrap_err();
        assert!(e.message.contains("chain name"), "{}", e.message);
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "",
            "[",
            "[]",
            "[ ]",
            "[ cmp ]",
            "[ range eq reg 1 0x1 ]",
            "[ bitwise reg 1 = ( reg 1 & ) ^ ]",
            "[ byteorder reg 1 = hton(reg 1, 2) ]",
            "[ log prefix ]",
            "[ log prefix  level ]",
            "[ queue num 5-1 ]",
            "[ limit rate /x burst 1 type packets flags 0x0 ]",
            "[ ct load state => reg 1 , dir ]",
            "[ é ]",
            "[ payload load 99999999999b @ link header + 1 => reg 1 ]",
        ] {
            let _ = parse_debug_exprs("x", s);
            let _ = parse_debug_text("x", &format!("ip\n{s}\n"));
        }
        let _ = parse_debug_text("x", "__set%d t 3\n\telement : 0 [end] element");
        let _ = parse_debug_text("x", "__set%d t 3\n\telement 00000001 - : jump -> 0 [end]");
    }
}
