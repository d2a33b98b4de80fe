//! Interface-name classes: the literal names and prefixes the rules test split the name space
//! into classes that every rule treats alike; each class gets a witness name.

use std::collections::{BTreeSet, HashSet};

use crate::model::{IfacePattern, MatchKind};

use super::schedule::TraceIndex;
use super::sets::{Atom, ParsedSet};

/// Linux interface names are at most 15 bytes (`IFNAMSIZ - 1`).
pub const IFNAME_MAX: usize = 15;

/// A set of interface names that every rule treats alike, with a witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceClass {
    /// The class in words.
    pub description: String,
    /// A name in the class.
    pub example: String,
    /// `None` for the class of one exact name; else the prefix every member starts with.
    pub prefix: Option<String>,
    /// For a prefix class: the more specific names and prefixes that are not members.
    pub excluded: Vec<IfacePattern>,
}

fn collect_set(set: &ParsedSet, out: &mut BTreeSet<IfacePattern>) {
    for e in &set.elements {
        for a in &e.key {
            if let Atom::Iface(p) = a {
                out.insert(p.clone());
            }
        }
    }
}

/// Every interface literal the ruleset tests: interface matches, physdev, set and map elements.
pub(crate) fn literals(idx: &TraceIndex<'_>) -> BTreeSet<IfacePattern> {
    let mut out = BTreeSet::new();
    for t in &idx.tables {
        for c in &t.table.chains {
            for r in &c.rules {
                for m in &r.matches {
                    match &m.kind {
                        MatchKind::Interface { names, .. } => out.extend(names.iter().cloned()),
                        MatchKind::PhysDev {
                            physdev_in,
                            physdev_out,
                            ..
                        } => {
                            out.extend(physdev_in.iter().cloned());
                            out.extend(physdev_out.iter().cloned());
                        }
                        _ => {}
                    }
                }
            }
        }
        for s in t.sets.values() {
            collect_set(s, &mut out);
        }
        for v in t.vmaps.values() {
            if let Some(s) = v.inline_set() {
                collect_set(s, &mut out);
            }
        }
    }
    out
}

fn quoted_list(items: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut parts: Vec<String> = items.iter().take(SHOWN).map(|s| format!("`{s}`")).collect();
    if items.len() > SHOWN {
        parts.push(format!("{} more", items.len() - SHOWN));
    }
    parts.join(", ")
}

/// Splits the names matching `pattern` into classes: each exact name the rules test, each
/// more specific prefix (minus what is more specific still), and the remainder.
pub fn iface_classes(idx: &TraceIndex<'_>, pattern: &IfacePattern) -> Vec<IfaceClass> {
    classes_of(&literals(idx), pattern)
}

/// [`iface_classes`] over a given set of literals (those of several rulesets and a query).
pub(crate) fn classes_of(lits: &BTreeSet<IfacePattern>, pattern: &IfacePattern) -> Vec<IfaceClass> {
    let p = match pattern {
        IfacePattern::Exact(n) => {
            return vec![IfaceClass {
                description: format!("`{n}`"),
                example: n.clone(),
                prefix: None,
                excluded: Vec::new(),
            }]
        }
        IfacePattern::Prefix(p) => p.as_str(),
    };
    let mut exact: Vec<&str> = Vec::new();
    let mut prefixes: Vec<&str> = Vec::new();
    for l in lits {
        match l {
            IfacePattern::Exact(e) if e.starts_with(p) => exact.push(e),
            IfacePattern::Prefix(q) if q.starts_with(p) && q.len() > p.len() => prefixes.push(q),
            _ => {}
        }
    }
    let exact_set: HashSet<&str> = exact.iter().copied().collect();
    let prefix_set: HashSet<&str> = prefixes.iter().copied().collect();
    let mut classes: Vec<IfaceClass> = exact
        .iter()
        .map(|e| IfaceClass {
            description: format!("`{e}`"),
            example: (*e).to_string(),
            prefix: None,
            excluded: Vec::new(),
        })
        .collect();
    let mut all_prefixes = prefixes.clone();
    all_prefixes.push(p);
    for q in all_prefixes {
        let mut excluded_pats: Vec<IfacePattern> = exact
            .iter()
            .filter(|e| e.starts_with(q))
            .map(|e| IfacePattern::Exact((*e).to_string()))
            .collect();
        excluded_pats.extend(
            prefixes
                .iter()
                .filter(|o| o.len() > q.len() && o.starts_with(q))
                .map(|o| IfacePattern::Prefix((*o).to_string())),
        );
        let excluded: Vec<String> = excluded_pats
            .iter()
            .map(|p| match p {
                IfacePattern::Exact(e) => e.clone(),
                IfacePattern::Prefix(o) => format!("{o}*"),
            })
            .collect();
        let Some(example) = witness(q, &exact_set, &prefix_set) else {
            continue;
        };
        let description = match (q.is_empty(), excluded.is_empty()) {
            (true, true) => "any name".to_string(),
            (true, false) => format!("any other name (not {})", quoted_list(&excluded)),
            (false, true) => format!("any name starting with `{q}`"),
            (false, false) => format!(
                "any other name starting with `{q}` (not {})",
                quoted_list(&excluded)
            ),
        };
        classes.push(IfaceClass {
            description,
            example,
            prefix: Some(q.to_string()),
            excluded: excluded_pats,
        });
    }
    classes
}

/// A name starting with `q` that is none of `exact` and starts with no prefix of `prefixes`
/// longer than `q`; at most [`IFNAME_MAX`] bytes.
fn witness(q: &str, exact: &HashSet<&str>, prefixes: &HashSet<&str>) -> Option<String> {
    const ALPHABET: &[u8] = b"x0123456789yz";
    const MAX_CANDIDATES: usize = 50_000;
    let ok = |c: &str| {
        !exact.contains(c)
            && !(q.len() + 1..=c.len()).any(|l| c.is_char_boundary(l) && prefixes.contains(&c[..l]))
    };
    let room = IFNAME_MAX.saturating_sub(q.len());
    let mut tried = 0usize;
    for len in 1..=room {
        let mut digits = vec![0usize; len];
        loop {
            let mut c = String::with_capacity(q.len() + len);
            c.push_str(q);
            c.extend(digits.iter().map(|&d| ALPHABET[d] as char));
            if ok(&c) {
                return Some(c);
            }
            tried += 1;
            if tried >= MAX_CANDIDATES {
                break;
            }
            // Next combination (odometer).
            let mut i = len;
            loop {
                if i == 0 {
                    break;
                }
                i -= 1;
                digits[i] += 1;
                if digits[i] < ALPHABET.len() {
                    break;
                }
                digits[i] = 0;
                if i == 0 {
                    i = usize::MAX;
                    break;
                }
            }
            if i == usize::MAX {
                break;
            }
        }
        if tried >= MAX_CANDIDATES {
            break;
        }
    }
    if q.len() <= IFNAME_MAX && ok(q) && !q.is_empty() {
        return Some(q.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn witness_avoids_names_and_prefixes() {
        let exact: HashSet<&str> = ["calix", "cali0"].into_iter().collect();
        let prefixes: HashSet<&str> = ["cali1"].into_iter().collect();
        assert_eq!(witness("cali", &exact, &prefixes).as_deref(), Some("cali2"));
        let none = HashSet::new();
        assert_eq!(
            witness("abcdefghijklmno", &none, &none).as_deref(),
            Some("abcdefghijklmno")
        );
        assert_eq!(witness("", &none, &none).as_deref(), Some("x"));
    }
}
