//! The kinds of warnings met while reading, with their stable names.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a [`Warning`](super::Warning) is about. Serialized (and displayed) as its stable
/// kebab-case name; a name this version does not know survives as [`WarningKind::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WarningKind {
    /// `empty-input`: no tables, the input was empty or only comments.
    EmptyInput,
    /// `skipped-preamble`: text before the first table of an iptables-save dump was skipped.
    SkippedPreamble,
    /// `implicit-table`: a rule or chain named a table never declared (nft JSON).
    ImplicitTable,
    /// `implicit-chain`: a rule named a chain never declared.
    ImplicitChain,
    /// `legacy-tables-present`: the iptables-nft tools said legacy tables exist too.
    LegacyTablesPresent,
    /// `managed-by-iptables-nft`: nft said a table is managed by iptables-nft.
    ManagedByIptablesNft,
    /// `nft-incompatible-table`: iptables-nft-save could not show a table nft changed.
    NftIncompatibleTable,
    /// `nft-warning`: another warning comment nft wrote into its listing.
    NftWarning,
    /// `nft-unavailable`: nf_tables could not be read on this node.
    NftUnavailable,
    /// `legacy-counts-only`: legacy tables were counted but their rules not shown.
    LegacyCountsOnly,
    /// A name this version does not know, kept as written.
    Other(String),
}

impl WarningKind {
    /// The stable name.
    pub fn as_str(&self) -> &str {
        match self {
            WarningKind::EmptyInput => "empty-input",
            WarningKind::SkippedPreamble => "skipped-preamble",
            WarningKind::ImplicitTable => "implicit-table",
            WarningKind::ImplicitChain => "implicit-chain",
            WarningKind::LegacyTablesPresent => "legacy-tables-present",
            WarningKind::ManagedByIptablesNft => "managed-by-iptables-nft",
            WarningKind::NftIncompatibleTable => "nft-incompatible-table",
            WarningKind::NftWarning => "nft-warning",
            WarningKind::NftUnavailable => "nft-unavailable",
            WarningKind::LegacyCountsOnly => "legacy-counts-only",
            WarningKind::Other(s) => s,
        }
    }
}

impl From<&str> for WarningKind {
    fn from(s: &str) -> WarningKind {
        match s {
            "empty-input" => WarningKind::EmptyInput,
            "skipped-preamble" => WarningKind::SkippedPreamble,
            "implicit-table" => WarningKind::ImplicitTable,
            "implicit-chain" => WarningKind::ImplicitChain,
            "legacy-tables-present" => WarningKind::LegacyTablesPresent,
            "managed-by-iptables-nft" => WarningKind::ManagedByIptablesNft,
            "nft-incompatible-table" => WarningKind::NftIncompatibleTable,
            "nft-warning" => WarningKind::NftWarning,
            "nft-unavailable" => WarningKind::NftUnavailable,
            "legacy-counts-only" => WarningKind::LegacyCountsOnly,
            other => WarningKind::Other(other.to_string()),
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for WarningKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for WarningKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WarningKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WarningKind, D::Error> {
        let s = String::deserialize(d)?;
        Ok(WarningKind::from(s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_survive() {
        for k in [
            WarningKind::EmptyInput,
            WarningKind::SkippedPreamble,
            WarningKind::ImplicitTable,
            WarningKind::ImplicitChain,
            WarningKind::LegacyTablesPresent,
            WarningKind::ManagedByIptablesNft,
            WarningKind::NftIncompatibleTable,
            WarningKind::NftWarning,
            WarningKind::NftUnavailable,
            WarningKind::LegacyCountsOnly,
        ] {
            assert_eq!(WarningKind::from(k.as_str()), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<WarningKind>(&json).unwrap(), k);
        }
        let other = WarningKind::from("from-the-future");
        assert_eq!(other, WarningKind::Other("from-the-future".into()));
        assert_eq!(
            serde_json::to_string(&other).unwrap(),
            "\"from-the-future\""
        );
    }
}
