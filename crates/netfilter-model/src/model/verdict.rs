//! Verdicts: how a rule ends evaluation of its chain.

use serde::{Deserialize, Serialize};

/// The verdict of a rule. A rule without one continues to the next rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "arg", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// `NF_ACCEPT`: ends the current base chain only; later base chains still run.
    Accept,
    /// `NF_DROP`: final for the packet.
    Drop,
    /// Drop with an ICMP error or TCP reset; `with` is iptables' `--reject-with` type
    /// (kept as written, e.g. `icmp-port-unreachable`, `tcp-reset`); `None` is the default.
    Reject {
        /// Reject type.
        with: Option<String>,
    },
    /// Return to the calling chain; in a base chain, apply the policy.
    Return,
    /// Call a user chain, returning here afterwards.
    Jump(String),
    /// Continue in a user chain without a return address.
    Goto(String),
    /// Hand the packet to user space (`NFQUEUE`, `queue`); options verbatim.
    Queue(String),
    /// nft `continue`.
    Continue,
    /// A verdict map lookup (`... vmap { ... }` or `vmap @name`), rendered verbatim; the
    /// structured form lives in the rule's matches when the parser decodes it.
    Vmap(String),
    /// A target or verdict nfdiff does not know, verbatim.
    Other(String),
}

impl Verdict {
    /// Whether the verdict ends the packet's traversal (drop or reject).
    pub fn is_final_drop(&self) -> bool {
        matches!(self, Verdict::Drop | Verdict::Reject { .. })
    }
}
