//! `shadowed-rules`: rules after an unconditional final verdict in the same chain.

use crate::model::{Rule, Ruleset, Verdict};

use super::finding::{Finding, Severity};

/// Evidence lines listed at most.
const MAX_LISTED: usize = 20;

/// Whether a rule ends every packet's walk of its chain: no matches, a final verdict, and
/// nothing lost in parsing that could have been a match.
fn unconditional(r: &Rule) -> bool {
    r.matches.is_empty()
        && r.lossy.is_empty()
        && matches!(
            r.verdict,
            Some(
                Verdict::Accept
                    | Verdict::Drop
                    | Verdict::Reject { .. }
                    | Verdict::Return
                    | Verdict::Goto(_)
            )
        )
}

/// The finding, when some chain has rules no packet can reach.
pub fn finding(rs: &Ruleset) -> Option<Finding> {
    let mut listed = Vec::new();
    let mut total = 0;
    for t in &rs.tables {
        for c in &t.chains {
            let Some(pos) = c.rules.iter().position(unconditional) else {
                continue;
            };
            let after = c.rules.len() - pos - 1;
            if after == 0 {
                continue;
            }
            total += after;
            listed.push(format!(
                "{} {} {} {}: rules {}-{} follow the unconditional rule {}",
                t.backend,
                t.family,
                t.name,
                c.name,
                pos + 2,
                c.rules.len(),
                pos + 1
            ));
        }
    }
    if listed.is_empty() {
        return None;
    }
    let n = listed.len();
    let mut evidence: Vec<String> = listed.into_iter().take(MAX_LISTED).collect();
    if n > MAX_LISTED {
        evidence.push(format!("... and {} more chains", n - MAX_LISTED));
    }
    Some(Finding {
        id: super::finding::FindingId::ShadowedRules,
        severity: Severity::Info,
        summary: format!("{total} rule(s) in {n} chain(s) come after an unconditional verdict"),
        evidence,
        advice: "Rules after an unconditional accept, drop, reject, return or goto never run; \
                 move them before it or remove them."
            .into(),
        explanation: "Some rules can never match because an earlier rule in the same chain \
                      ends every packet's walk of the chain."
            .into(),
        dispatch_drops: Vec::new(),
    })
}
