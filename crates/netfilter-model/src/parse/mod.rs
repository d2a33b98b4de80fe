//! Parsers for every way of listing a ruleset, and the sniffer that tells them apart.

mod iptables_save;
pub(crate) use iptables_save::support as iptables_save_support;
mod nft_json;
mod nft_text;
mod options;
mod set_elements;
mod sniff;
mod source;
mod wrong_format;

pub use iptables_save::{parse_iptables_save, IptablesSaveStream};
pub use nft_json::parse_nft_json;
pub use nft_text::parse_nft_text;
pub use options::ParseOptions;
pub use sniff::{sniff_format, Format};
pub use source::{parse_bytes, parse_text, SourceSpec};
