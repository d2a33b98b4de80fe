//! Which netfilter backend holds a table: legacy x_tables or nf_tables.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kernel subsystem a table lives in.
///
/// Both backends are consulted for every packet, which is why nfdiff keeps the
/// backend on every table instead of assuming one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// x_tables, written by `iptables-legacy`.
    Legacy,
    /// nf_tables, written by `nft` or `iptables-nft`.
    Nft,
}

impl Backend {
    /// The lowercase name used in source prefixes and reports (`legacy`, `nft`).
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Legacy => "legacy",
            Backend::Nft => "nft",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
