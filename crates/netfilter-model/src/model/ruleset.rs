//! The whole ruleset read from one or more sources, with the warnings met on the way.

use serde::{Deserialize, Serialize};

use super::backend::Backend;
use super::chain::Chain;
use super::family::Family;
use super::rule::Rule;
use super::table::Table;
use super::warning_kind::WarningKind;

/// Everything read from one or more sources. Equality compares tables only.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ruleset {
    /// Tables in listing order.
    pub tables: Vec<Table>,
    /// Notes that do not stop reading: skipped preambles, tool warnings, tolerated quirks.
    pub warnings: Vec<Warning>,
}

impl PartialEq for Ruleset {
    fn eq(&self, other: &Self) -> bool {
        self.tables == other.tables
    }
}

impl Eq for Ruleset {}

impl Ruleset {
    /// The table with this backend, family and name.
    pub fn table(&self, backend: Backend, family: Family, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.backend == backend && t.family == family && t.name == name)
    }

    /// Appends the tables and warnings of another ruleset (reading several sources).
    pub fn extend(&mut self, other: Ruleset) {
        self.tables.extend(other.tables);
        self.warnings.extend(other.warnings);
    }

    /// Every rule with where it is, in listing order: (table, chain, 0-based index, rule).
    pub fn rules(&self) -> impl Iterator<Item = (&Table, &Chain, usize, &Rule)> + '_ {
        self.tables.iter().flat_map(|t| {
            t.chains
                .iter()
                .flat_map(move |c| c.rules.iter().enumerate().map(move |(i, r)| (t, c, i, r)))
        })
    }

    /// Number of rules in all tables.
    pub fn rule_count(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|t| &t.chains)
            .map(|c| c.rules.len())
            .sum()
    }
}

/// A note about the input that did not stop reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// What it is about, with a stable name (`legacy-tables-present`, `skipped-preamble`, ...).
    pub kind: WarningKind,
    /// Source name.
    pub source: String,
    /// 1-based line, when the note is about one.
    pub line: Option<u32>,
    /// What was seen, in words.
    pub message: String,
}
