//! `unreferenced-chains`: user chains no rule, map or base chain refers to.

use std::collections::HashSet;

use crate::model::{Ruleset, Statement, Verdict};

use super::finding::{Finding, Severity};

/// Evidence lines listed at most.
const MAX_LISTED: usize = 20;

/// Words of `s` (chain names may appear in vmap elements and verbatim text).
fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}' | ':' | '"' | ';'))
        .filter(|w| !w.is_empty())
}

/// The finding, when some table has user chains nothing refers to.
pub fn finding(rs: &Ruleset) -> Option<Finding> {
    let mut listed = Vec::new();
    for t in &rs.tables {
        let mut used: HashSet<String> = HashSet::new();
        for c in &t.chains {
            for r in &c.rules {
                match &r.verdict {
                    Some(Verdict::Jump(n) | Verdict::Goto(n)) => {
                        used.insert(n.clone());
                    }
                    Some(Verdict::Vmap(m)) => {
                        for e in m.entries() {
                            match &e.verdict {
                                Verdict::Jump(n) | Verdict::Goto(n) => {
                                    used.insert(n.clone());
                                }
                                Verdict::Other(s) => used.extend(words(s).map(str::to_string)),
                                _ => {}
                            }
                        }
                    }
                    Some(Verdict::Other(s)) => used.extend(words(s).map(str::to_string)),
                    _ => {}
                }
                for s in &r.statements {
                    if let Statement::Other { .. } = s {
                        // verbatim statements may name chains; be conservative
                        used.extend(words(&format!("{s:?}")).map(str::to_string));
                    }
                }
            }
        }
        for s in &t.sets {
            for e in &s.elements {
                used.extend(words(e).map(str::to_string));
            }
        }
        for c in t.chains.iter().filter(|c| c.base.is_none()) {
            if !used.contains(&c.name) {
                listed.push(format!("{} {} {} {}", t.backend, t.family, t.name, c.name));
            }
        }
    }
    if listed.is_empty() {
        return None;
    }
    let n = listed.len();
    let mut evidence: Vec<String> = listed.into_iter().take(MAX_LISTED).collect();
    if n > MAX_LISTED {
        evidence.push(format!("... and {} more", n - MAX_LISTED));
    }
    Some(Finding {
        id: super::finding::FindingId::UnreferencedChains,
        severity: Severity::Info,
        summary: format!("{n} user chain(s) are not referenced by any rule or map"),
        evidence,
        advice: "Unreferenced chains never see packets. They are often left over from an \
                 older configuration; check whether the tool that owns them still needs them."
            .into(),
        explanation: "Some user chains are not the target of any jump, goto or verdict map, \
                      so no packet reaches them."
            .into(),
        dispatch_drops: Vec::new(),
    })
}
