//! `netfilter_model`: one normalized model of Linux netfilter rulesets, whatever
//! backend holds them (legacy x_tables or nf_tables) and however they were listed
//! (`iptables-save`, `nft list ruleset`, `nft -j list ruleset`, netlink).
//!
//! The pipeline is one-directional: sources are parsed into a [`model::Ruleset`],
//! which the diff, trace and doctor stages read to build plain report structs.
//! Nothing in this crate prints or exits.
#![warn(missing_docs)]

pub mod error;
pub mod legacy;
pub mod model;
pub mod netlink;
pub mod parse;

pub use error::{Error, ParseError, Position, Result};
