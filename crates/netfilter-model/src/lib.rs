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
//!
//! # Quick start, by job
//!
//! **Diff** two rulesets chain by chain (rules aligned like a text diff, moves found):
//!
//! ```
//! use netfilter_model::diff::{diff_rulesets, DiffOptions};
//! use netfilter_model::parse::{parse_text, ParseOptions};
//!
//! let old = parse_text("*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -p tcp --dport 22 -j DROP\nCOMMIT\n", &ParseOptions::new("old"))?;
//! let new = parse_text("*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n", &ParseOptions::new("new"))?;
//! let d = diff_rulesets(&old, &new, &DiffOptions::default());
//! assert!(!d.equal);
//! assert_eq!(d.summary.rules.deleted, 1);
//! # Ok::<(), netfilter_model::Error>(())
//! ```
//!
//! **Trace** a packet through every hook of its path, both backends, in kernel order. A match
//! the data cannot decide (an ipset member, `-m statistic`) is taken to hold on the primary
//! course; the other outcomes are `alternatives` and [`TraceReport::is_certain`](trace::TraceReport::is_certain) is false:
//!
//! ```
//! use netfilter_model::parse::{parse_text, ParseOptions};
//! use netfilter_model::trace::{trace, FinalVerdict, Packet, TraceOptions};
//!
//! let rs = parse_text("*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i cali+ -p tcp --dport 22 -j DROP\nCOMMIT\n", &ParseOptions::new("x"))?;
//! let mut p = Packet::new("10.244.1.9".parse().unwrap(), "10.0.0.1".parse().unwrap());
//! p.iif = Some("cali1234".into());
//! p.oif = Some("eth0".into());
//! p.proto = Some(netfilter_model::model::Protocol::TCP);
//! p.dport = Some(22);
//! p.validate()?;
//! let rep = trace(&rs, &p, &TraceOptions::default())?;
//! assert_eq!(rep.verdict, FinalVerdict::Drop);
//! assert_eq!(rep.decided_by.unwrap().index, Some(1));
//! # Ok::<(), netfilter_model::Error>(())
//! ```
//!
//! **Reach**: one trace per class of interface names a pattern covers (`cali*` splits into the
//! names the rules tell apart), with [`trace::reach`] and an
//! [`IfacePattern`](model::IfacePattern).
//!
//! **Doctor**: [`doctor::diagnose`] reads a ruleset and what is known about the node
//! ([`doctor::NodeFacts`], empty for plain dumps) and returns findings by severity with evidence,
//! advice and, for stale Calico dispatch chains, witness packets:
//!
//! ```
//! use netfilter_model::doctor::{diagnose, DoctorOptions, NodeFacts};
//! use netfilter_model::parse::{parse_text, ParseOptions};
//!
//! let rs = parse_text("*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n", &ParseOptions::new("x"))?;
//! let report = diagnose(&rs, &NodeFacts::default(), &DoctorOptions::default());
//! assert!(report.healthy());
//! # Ok::<(), netfilter_model::Error>(())
//! ```
//!
//! **Live read** of this node (feature `netlink` for nf_tables; legacy tables through
//! getsockopt and `iptables-legacy-save`), read-only:
//!
//! ```no_run
//! # #[cfg(feature = "netlink")]
//! # fn main() -> netfilter_model::Result<()> {
//! let nft = netfilter_model::netlink::read_live_nft()?;
//! let legacy = netfilter_model::legacy::read_live_legacy()?;
//! println!("{} nf_tables rules, {} legacy rules", nft.rule_count(), legacy.rule_count());
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "netlink"))]
//! # fn main() {}
//! ```
//!
//! **JSON**: [`wire`] holds the documents `nfdiff ... --format json` prints; serialize them
//! with `serde_json` to get the same bytes. The packet-space results
//! ([`space::Partition`], [`space::SemanticDiff`]) derive `Serialize` too; their JSON follows
//! the Rust types and carries no schema version.
//!
//! # Stability
//!
//! The wire documents, the parse, diff, trace, reach and doctor entry points and [`Error`] are
//! stable from 0.1 on. The model may still grow: [`model::Rule`], [`model::Chain`],
//! [`model::Table`], [`trace::Packet`] and the report and options structs are
//! `#[non_exhaustive]` (build them with their `new` constructors and setters), and so are
//! [`model::Family`], [`model::NatKind`], [`model::AddrSpec`], [`model::IfacePattern`],
//! [`diff::DiffStatus`] and [`model::Verdict`] (match them with a wildcard arm). What the model
//! knows the shape of is typed: a verdict map is a [`model::VerdictMap`] (its key as
//! [`model::SetKey`]s, a named map or its entries, and the listed text), a packet's conntrack
//! state a [`model::CtStateSet`], a rule's losses [`model::LossNote`]s.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `netlink` | off (on in the `nfdiff` binary) | `netlink::read_live_nft` and the rest of the live nf_tables reader, through libnftnl and libmnl (system packages `libnftnl-dev`, `libmnl-dev`, `pkg-config`) |
//! | `test-support` | off | not API: the `nft --debug=netlink` text parser the golden tests and fuzzers use |
//!
//! Without `netlink` everything else works: parsing dumps, diff, trace, reach, doctor,
//! snapshots, fleet.
//!
//! # Where the semantics come from
//!
//! The tracer follows the kernel: hooks in order (prerouting, input or forward, output,
//! postrouting); at each hook every base chain of every table of both backends, lowest
//! priority first; `accept` ends only its base chain, `drop` is final; nat chains run from the
//! nat core (at -100 on prerouting/output, +100 on input/postrouting) and none after one mapped
//! the connection; equal-priority chains run in an order no listing shows (the last registered
//! first: within one nf_tables table the handles tell it), so every order that matters is
//! evaluated. These facts are checked against the kernel in network namespaces by the test
//! suite; DESIGN.md in the repository tells the incident they come from.
#![cfg_attr(docsrs, feature(doc_cfg))]
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
pub mod wire;

pub use error::{Error, ParseError, Position, Result};
