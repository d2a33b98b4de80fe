//! `equal-priority-hooks`: base chains of both backends on the same hook and priority.

use std::collections::BTreeMap;

use crate::model::{Backend, Ruleset};

use super::finding::{Finding, Severity};

/// The finding, when some hook and priority has base chains of both backends.
pub fn finding(rs: &Ruleset) -> Option<Finding> {
    // (ip version, hook, priority) -> chains
    let mut groups: BTreeMap<(u8, String, i32), Vec<(Backend, String)>> = BTreeMap::new();
    for t in &rs.tables {
        for c in &t.chains {
            let Some(b) = &c.base else { continue };
            for (v, sees) in [(4u8, t.family.sees_ipv4()), (6, t.family.sees_ipv6())] {
                if sees {
                    groups
                        .entry((v, b.hook.as_str().to_string(), b.priority))
                        .or_default()
                        .push((
                            t.backend,
                            format!("{} {} {} {}", t.backend, t.family, t.name, c.name),
                        ));
                }
            }
        }
    }
    let mut evidence = Vec::new();
    for ((v, hook, prio), chains) in &groups {
        let both = chains.iter().any(|c| c.0 == Backend::Legacy)
            && chains.iter().any(|c| c.0 == Backend::Nft);
        if both {
            let names: Vec<&str> = chains.iter().map(|c| c.1.as_str()).collect();
            evidence.push(format!(
                "IPv{v} {hook} priority {prio}: {}",
                names.join(", ")
            ));
        }
    }
    if evidence.is_empty() {
        return None;
    }
    Some(Finding {
        id: super::finding::FindingId::EqualPriorityHooks,
        severity: Severity::Info,
        summary: format!(
            "{} hook/priority pair(s) have base chains of both backends; their order is not visible",
            evidence.len()
        ),
        evidence,
        advice: "Use `nfdiff trace` or `nfdiff reach`, which evaluate every order; once one \
                 backend is cleaned up this goes away."
            .into(),
        explanation: "Base chains of the same priority on the same hook run in reverse order \
                      of registration, which no dump shows. A drop in either is final, but \
                      counters, marks and which backend sees a packet first depend on it."
            .into(),
        dispatch_drops: Vec::new(),
    })
}
