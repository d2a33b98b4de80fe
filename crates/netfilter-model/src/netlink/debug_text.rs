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

mod elements;
mod expr_line;
mod expr_parts;
mod tokens;
mod widths;

use elements::*;
use expr_line::*;
use expr_parts::*;
use std::collections::HashMap;
use tokens::*;
use widths::*;

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

#[cfg(test)]
mod tests;
