//! Tables: a backend, a family and a name, holding chains, sets and objects.

use serde::{Deserialize, Serialize};

use super::backend::Backend;
use super::chain::Chain;
use super::family::Family;
use super::rule::Origin;
use super::set::{NamedObject, NamedSet};

/// A netfilter table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Table {
    /// Which backend holds it.
    pub backend: Backend,
    /// Address family.
    pub family: Family,
    /// Table name.
    pub name: String,
    /// Chains in listing order.
    pub chains: Vec<Chain>,
    /// Named sets and maps (nf_tables only).
    pub sets: Vec<NamedSet>,
    /// Other named objects (nf_tables only).
    pub objects: Vec<NamedObject>,
    /// Table flags (`dormant`, `owner`), sorted.
    pub flags: Vec<String>,
    /// Table comment (nft).
    pub comment: Option<String>,
    /// Where it was declared.
    pub origin: Origin,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.backend == other.backend
            && self.family == other.family
            && self.name == other.name
            && self.chains == other.chains
            && self.sets == other.sets
            && self.objects == other.objects
            && self.flags == other.flags
            && self.comment == other.comment
    }
}

impl Eq for Table {}

impl Table {
    /// The table with these chains.
    pub fn with_chains(mut self, chains: Vec<Chain>) -> Table {
        self.chains = chains;
        self
    }

    /// An empty table.
    pub fn new(backend: Backend, family: Family, name: impl Into<String>) -> Table {
        Table {
            backend,
            family,
            name: name.into(),
            chains: Vec::new(),
            sets: Vec::new(),
            objects: Vec::new(),
            flags: Vec::new(),
            comment: None,
            origin: Origin::default(),
        }
    }

    /// The chain with this name.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// The set with this name.
    pub fn set(&self, name: &str) -> Option<&NamedSet> {
        self.sets.iter().find(|s| s.name == name)
    }
}
