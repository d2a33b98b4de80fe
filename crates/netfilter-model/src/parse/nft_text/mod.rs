//! Parser for `nft list ruleset` text (with or without `-a` handles and `-s`).

mod expr;
mod field;
mod grammar;
mod lexer;
mod rule;
mod stmt;
mod values;

pub use grammar::parse_nft_text;
