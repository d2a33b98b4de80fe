//! A rule or policy as every wire document names it (`decided_by`, `deciding`, `rule`).

use serde::Serialize;

use crate::trace::RuleRef;

/// A [`RuleRef`] on the wire: `{"backend", "family", "table", "chain", "index", "policy",
/// "rule", "comment"}`, `index` 1-based and `null` for a policy.
#[derive(Debug, Serialize)]
pub struct RuleJson<'a> {
    backend: &'static str,
    family: &'static str,
    table: &'a str,
    chain: &'a str,
    index: Option<usize>,
    policy: bool,
    rule: &'a str,
    comment: Option<&'a str>,
}

impl<'a> From<&'a RuleRef> for RuleJson<'a> {
    fn from(r: &'a RuleRef) -> Self {
        RuleJson {
            backend: r.backend.as_str(),
            family: r.family.as_str(),
            table: &r.table,
            chain: &r.chain,
            index: r.index,
            policy: r.policy,
            rule: &r.rule,
            comment: r.comment.as_deref(),
        }
    }
}
