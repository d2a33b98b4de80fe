//! Typed operators and modes of matches: the TTL comparison and the statistic mode.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a TTL / hop-limit match compares (`-m ttl --ttl-eq|lt|gt`, nft `ip ttl < 5`); a
/// negated match (`!=`, `>=`, `<=`) is the negation of one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TtlOp {
    /// Equal to the value.
    Eq,
    /// Less than the value.
    Lt,
    /// Greater than the value.
    Gt,
}

impl TtlOp {
    /// iptables' name: `eq`, `lt`, `gt`.
    pub fn name(self) -> &'static str {
        match self {
            TtlOp::Eq => "eq",
            TtlOp::Lt => "lt",
            TtlOp::Gt => "gt",
        }
    }
}

impl fmt::Display for TtlOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The mode of a statistic match (`-m statistic --mode`, nft `numgen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatisticMode {
    /// Matches with a probability (`--mode random --probability P`, `numgen random`).
    Random,
    /// Matches every n-th packet (`--mode nth --every N --packet P`, `numgen inc`).
    Nth,
}

impl StatisticMode {
    /// iptables' name: `random`, `nth`.
    pub fn name(self) -> &'static str {
        match self {
            StatisticMode::Random => "random",
            StatisticMode::Nth => "nth",
        }
    }

    /// Reads iptables' name.
    pub fn parse(s: &str) -> Option<StatisticMode> {
        match s {
            "random" => Some(StatisticMode::Random),
            "nth" => Some(StatisticMode::Nth),
            _ => None,
        }
    }
}

impl fmt::Display for StatisticMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
