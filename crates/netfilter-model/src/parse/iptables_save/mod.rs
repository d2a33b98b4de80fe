//! Parser for `iptables-save` / `ip6tables-save` output (legacy and nft flavours).

mod document;
mod group;
mod icmp;
mod lexer;
mod matches;
mod rule;
mod stream;
mod targets;
mod values;

#[cfg(test)]
mod tests;

pub use document::parse_iptables_save;
pub use stream::IptablesSaveStream;

/// Helpers the exporter shares with the parser.
pub(crate) mod support {
    pub(crate) use super::lexer::quote_word;
}
