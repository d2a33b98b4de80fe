//! Chains: base chains attached to a hook, and user chains reached by jumps.

use serde::{Deserialize, Serialize};

use super::hook::{ChainType, Hook};
use super::rule::{Counters, Origin, Rule};

/// What happens to a packet that reaches the end of a base chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// `ACCEPT`.
    Accept,
    /// `DROP`.
    Drop,
}

impl Policy {
    /// nft's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Accept => "accept",
            Policy::Drop => "drop",
        }
    }
}

/// The hook attachment of a base chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BaseChain {
    /// Chain type.
    pub chain_type: ChainType,
    /// Hook.
    pub hook: Hook,
    /// Priority: lower runs first.
    pub priority: i32,
    /// Policy at the end of the chain.
    pub policy: Policy,
    /// Devices, for netdev/ingress chains.
    pub devices: Vec<String>,
}

/// A chain: its rules in listing order, and its hook when it is a base chain.
///
/// Equality ignores counters and origin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Chain {
    /// Chain name.
    pub name: String,
    /// Hook attachment; `None` for a user chain.
    pub base: Option<BaseChain>,
    /// Rules in listing order.
    pub rules: Vec<Rule>,
    /// Policy counters (iptables-save `[p:b]` on the chain line).
    pub counters: Option<Counters>,
    /// Chain comment (nft).
    pub comment: Option<String>,
    /// Where the chain was declared.
    pub origin: Origin,
}

impl PartialEq for Chain {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.base == other.base
            && self.rules == other.rules
            && self.comment == other.comment
    }
}

impl Eq for Chain {}

impl Chain {
    /// A chain without rules.
    pub fn new(name: impl Into<String>, base: Option<BaseChain>) -> Chain {
        Chain {
            name: name.into(),
            base,
            rules: Vec::new(),
            counters: None,
            comment: None,
            origin: Origin::default(),
        }
    }

    /// The chain with these rules.
    pub fn with_rules(mut self, rules: Vec<Rule>) -> Chain {
        self.rules = rules;
        self
    }
}
