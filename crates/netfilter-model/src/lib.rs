//! `netfilter_model`: one normalized model of Linux netfilter rulesets, whatever
//! backend holds them (legacy x_tables or nf_tables) and however they were listed
//! (`iptables-save`, `nft list ruleset`, `nft -j list ruleset`, netlink).
//!
//! The pipeline is one-directional: sources are parsed into a [`model::Ruleset`],
//! which the diff, trace and doctor stages read to build plain report structs.
//! Nothing in this crate prints or exits.
//!
//! # Example
//!
//! Read an `iptables-save` dump and an `nft list ruleset` listing of the same rule and
//! see that they mean the same thing:
//!
//! ```
//! use netfilter_model::parse::{parse_text, ParseOptions};
//!
//! let save = "*filter\n:FORWARD ACCEPT [0:0]\n\
//!             -A FORWARD -i cali+ -p tcp -m multiport --dports 80,443 -j ACCEPT\nCOMMIT\n";
//! let nft = "table ip filter {\n\tchain FORWARD {\n\
//!            \t\ttype filter hook forward priority filter; policy accept;\n\
//!            \t\tiifname \"cali*\" tcp dport { 443, 80 } accept\n\t}\n}\n";
//!
//! let a = parse_text(save, &ParseOptions::new("save"))?;
//! let b = parse_text(nft, &ParseOptions::new("nft"))?;
//! let rule_a = &a.tables[0].chains[0].rules[0];
//! let rule_b = &b.tables[0].chains[0].rules[0];
//! assert_eq!(rule_a, rule_b);
//! assert_eq!(rule_a.to_string(), r#"iifname "cali*" tcp dport { 80, 443 } accept"#);
//! # Ok::<(), netfilter_model::Error>(())
//! ```
#![warn(missing_docs)]

pub mod diff;
pub mod doctor;
pub mod error;
pub mod export;
pub mod fleet;
pub mod interface_addrs;
pub mod interfaces;
pub mod legacy;
pub mod model;
pub mod netlink;
pub mod parse;
pub mod snapshot;
pub mod space;
pub mod trace;

pub use error::{Error, ParseError, Position, Result};
