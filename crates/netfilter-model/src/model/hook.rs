//! Netfilter hooks, base-chain types and the fixed priorities of legacy tables.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A netfilter hook a base chain is attached to. Kernel names (`NF_INET_*`) in lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Hook {
    /// `NF_INET_PRE_ROUTING`.
    Prerouting,
    /// `NF_INET_LOCAL_IN`.
    Input,
    /// `NF_INET_FORWARD`.
    Forward,
    /// `NF_INET_LOCAL_OUT`.
    Output,
    /// `NF_INET_POST_ROUTING`.
    Postrouting,
    /// `NF_NETDEV_INGRESS` (also inet ingress).
    Ingress,
    /// `NF_NETDEV_EGRESS`.
    Egress,
    /// A hook name nfdiff does not know, kept verbatim.
    Other(String),
}

impl Hook {
    /// The hook that an iptables built-in chain name (`PREROUTING`, `INPUT`, ...) stands for.
    pub fn from_builtin_chain(name: &str) -> Option<Hook> {
        Some(match name {
            "PREROUTING" => Hook::Prerouting,
            "INPUT" => Hook::Input,
            "FORWARD" => Hook::Forward,
            "OUTPUT" => Hook::Output,
            "POSTROUTING" => Hook::Postrouting,
            _ => return None,
        })
    }

    /// Parses nft's hook keyword.
    pub fn from_nft(name: &str) -> Hook {
        match name {
            "prerouting" => Hook::Prerouting,
            "input" => Hook::Input,
            "forward" => Hook::Forward,
            "output" => Hook::Output,
            "postrouting" => Hook::Postrouting,
            "ingress" => Hook::Ingress,
            "egress" => Hook::Egress,
            other => Hook::Other(other.to_string()),
        }
    }

    /// nft's keyword for the hook.
    pub fn as_str(&self) -> &str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
            Hook::Ingress => "ingress",
            Hook::Egress => "egress",
            Hook::Other(s) => s,
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of a base chain (`type filter|nat|route`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ChainType {
    /// `filter`.
    Filter,
    /// `nat`: only the first packet of a connection traverses it.
    Nat,
    /// `route`: re-routes when mark or addresses change (iptables mangle OUTPUT).
    Route,
    /// A type nfdiff does not know, kept verbatim.
    Other(String),
}

impl ChainType {
    /// Parses nft's chain type keyword.
    pub fn from_nft(name: &str) -> ChainType {
        match name {
            "filter" => ChainType::Filter,
            "nat" => ChainType::Nat,
            "route" => ChainType::Route,
            other => ChainType::Other(other.to_string()),
        }
    }

    /// nft's keyword for the type.
    pub fn as_str(&self) -> &str {
        match self {
            ChainType::Filter => "filter",
            ChainType::Nat => "nat",
            ChainType::Route => "route",
            ChainType::Other(s) => s,
        }
    }
}

impl fmt::Display for ChainType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Priorities of the x_tables tables, fixed by the kernel (`NF_IP_PRI_*` in
/// `include/uapi/linux/netfilter_ipv4.h`). iptables-nft registers its tables
/// with the same values, so they serve for both backends of iptables-save text.
pub mod legacy_priority {
    /// `NF_IP_PRI_RAW`.
    pub const RAW: i32 = -300;
    /// `NF_IP_PRI_MANGLE`.
    pub const MANGLE: i32 = -150;
    /// `NF_IP_PRI_NAT_DST` (nat PREROUTING and OUTPUT).
    pub const NAT_DST: i32 = -100;
    /// `NF_IP_PRI_FILTER`.
    pub const FILTER: i32 = 0;
    /// `NF_IP_PRI_SECURITY`.
    pub const SECURITY: i32 = 50;
    /// `NF_IP_PRI_NAT_SRC` (nat POSTROUTING and INPUT).
    pub const NAT_SRC: i32 = 100;
}

/// Which built-in chains each iptables table has, with their hook priority and type.
///
/// Returns `None` for a table or chain that is not built in.
pub fn iptables_builtin(table: &str, chain: &str) -> Option<(Hook, i32, ChainType)> {
    use legacy_priority::*;
    let hook = Hook::from_builtin_chain(chain)?;
    let (prio, ty) = match (table, &hook) {
        ("filter", Hook::Input | Hook::Forward | Hook::Output) => (FILTER, ChainType::Filter),
        ("raw", Hook::Prerouting | Hook::Output) => (RAW, ChainType::Filter),
        ("mangle", Hook::Output) => (MANGLE, ChainType::Route),
        ("mangle", _) => (MANGLE, ChainType::Filter),
        ("nat", Hook::Prerouting | Hook::Output) => (NAT_DST, ChainType::Nat),
        ("nat", Hook::Postrouting | Hook::Input) => (NAT_SRC, ChainType::Nat),
        ("security", Hook::Input | Hook::Forward | Hook::Output) => (SECURITY, ChainType::Filter),
        _ => return None,
    };
    Some((hook, prio, ty))
}

/// Renders a priority the way `nft list` does for well-known values of a family
/// (`filter`, `dstnat`, `srcnat + 10`, ...), else as a number.
pub fn priority_name(prio: i32, hook: &Hook) -> String {
    let names: &[(&str, i32)] = &[
        ("raw", -300),
        ("mangle", -150),
        ("dstnat", -100),
        ("filter", 0),
        ("security", 50),
        ("srcnat", 100),
    ];
    for (name, base) in names {
        // nft only uses dstnat/srcnat names on the hooks where they make sense.
        if *name == "dstnat" && !matches!(hook, Hook::Prerouting | Hook::Output) {
            continue;
        }
        if *name == "srcnat" && !matches!(hook, Hook::Postrouting | Hook::Input) {
            continue;
        }
        let d = prio - base;
        if d == 0 {
            return (*name).to_string();
        }
        if d.abs() <= 10 {
            return if d > 0 {
                format!("{name} + {d}")
            } else {
                format!("{name} - {}", -d)
            };
        }
    }
    prio.to_string()
}
