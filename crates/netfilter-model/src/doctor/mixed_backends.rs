//! `mixed-backends`: chains of the same owner (cali-, KUBE-, DOCKER, CNI-) in both backends.

use crate::diff::{owner_of, OWNERS};
use crate::model::{Backend, Ruleset};

use super::finding::{Finding, Severity};

/// Chains and rules per backend for one owner prefix.
fn counts(rs: &Ruleset, owner: &str, backend: Backend) -> (usize, usize) {
    let mut chains = 0;
    let mut rules = 0;
    for t in rs.tables.iter().filter(|t| t.backend == backend) {
        for c in t.chains.iter().filter(|c| owner_of(&c.name) == owner) {
            chains += 1;
            rules += c.rules.len();
        }
    }
    (chains, rules)
}

/// The finding, when some owner has chains in both backends.
pub fn finding(rs: &Ruleset) -> Option<Finding> {
    let mut evidence = Vec::new();
    let mut owners = Vec::new();
    for owner in OWNERS {
        let (lc, lr) = counts(rs, owner, Backend::Legacy);
        let (nc, nr) = counts(rs, owner, Backend::Nft);
        if lc > 0 && nc > 0 {
            owners.push(*owner);
            evidence.push(format!(
                "{owner}: legacy {lc} chains ({lr} rules), nft {nc} chains ({nr} rules)"
            ));
        }
    }
    if owners.is_empty() {
        return None;
    }
    Some(Finding {
        id: super::finding::FindingId::MixedBackends,
        severity: Severity::Warning,
        summary: format!(
            "chains of {} are in both legacy and nf_tables",
            owners.join(", ")
        ),
        evidence,
        advice: "Each tool should write one backend. Find which backend the tool writes now \
                 (its configuration, or the copy whose rules match the current pods) and remove \
                 the other copy: reboot the node, or flush the tool's chains with the other \
                 backend's iptables binaries."
            .into(),
        explanation: format!(
            "The same tool's chains ({}) exist in both the legacy x_tables and nf_tables. The \
             kernel runs both for every packet, so a stale copy keeps filtering traffic even \
             though the tool no longer updates it, and `iptables -L` shows only one of them.",
            owners.join(", ")
        ),
        dispatch_drops: Vec::new(),
    })
}
