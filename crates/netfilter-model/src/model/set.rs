//! Named sets, maps and verdict maps of nf_tables, and other named objects.

use serde::{Deserialize, Serialize};

use super::rule::Origin;

/// A named set or map of an nf_tables table.
///
/// Elements are kept as nft writes them (one string per element, `key : data` for maps),
/// normalized by the parser so that equal sets compare equal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedSet {
    /// Set name.
    pub name: String,
    /// Key type, e.g. `ipv4_addr` or `ipv4_addr . inet_service`.
    pub key_type: String,
    /// Data type for maps (`verdict` for verdict maps), `None` for plain sets.
    pub data_type: Option<String>,
    /// Flags (`interval`, `constant`, `timeout`, ...), sorted.
    pub flags: Vec<String>,
    /// Elements, in the source's order.
    pub elements: Vec<String>,
    /// Other properties verbatim (`timeout 1h`, `size 65535`, `policy memory`), sorted.
    pub extra: Vec<String>,
    /// Comment.
    pub comment: Option<String>,
    /// Where it was declared.
    pub origin: Origin,
}

impl PartialEq for NamedSet {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.key_type == other.key_type
            && self.data_type == other.data_type
            && self.flags == other.flags
            && self.elements == other.elements
            && self.extra == other.extra
            && self.comment == other.comment
    }
}

impl Eq for NamedSet {}

/// Any other named object of a table (counter, quota, limit, ct helper, flowtable, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedObject {
    /// Object kind as nft names it (`counter`, `quota`, `flowtable`, `ct helper`).
    pub kind: String,
    /// Object name.
    pub name: String,
    /// Its definition in canonical nft-like text (counter values excluded).
    pub body: String,
    /// Where it was declared.
    pub origin: Origin,
}

impl PartialEq for NamedObject {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name && self.body == other.body
    }
}

impl Eq for NamedObject {}
