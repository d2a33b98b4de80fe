//! Parser for `nft -j list ruleset` output (the libnftables-json schema), via serde_json.

mod document;
mod expr;
mod position;
mod rule;
mod schema;
mod set;
mod stmt;
mod text;

pub use document::parse_nft_json;
