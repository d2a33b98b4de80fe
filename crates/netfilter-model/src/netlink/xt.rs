//! xt compat payloads (iptables extensions inside nf_tables rules) decoded into model parts.
//!
//! Layouts follow the kernel's `include/uapi/linux/netfilter*/xt_*.h` / `ipt_*.h` structs as
//! laid out on 64-bit Linux; every read is bounds-checked, so a short blob decodes to
//! [`MatchKind::Other`] / [`Statement::Other`] with its bytes instead of panicking.

mod actions;
mod addressing;
mod bytes;
mod conntrack;
mod hashlimit;
mod header;
mod ipsec;
mod ipv6;
mod mangle;
mod marks;
mod nat;
mod rate;
mod socket;
mod system;
#[cfg(test)]
mod tests;
mod transport;
mod u32;

use bytes::*;

use std::net::{Ipv4Addr, Ipv6Addr};

use super::datatype::hex;
use crate::model::{
    CtStateSet, Direction, Family, IfacePattern, Match, MatchKind, NatKind, PortRange, Protocol,
    Statement, Verdict,
};

/// What an xt match contributes to a rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XtMatch {
    /// Matches (none for `comment`, several for `addrtype` with source and destination).
    pub matches: Vec<Match>,
    /// The comment of `-m comment`.
    pub comment: Option<String>,
}

/// What an xt target contributes to a rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XtTarget {
    /// Non-terminal effects.
    pub statements: Vec<Statement>,
    /// The verdict, for terminal targets (REJECT).
    pub verdict: Option<Verdict>,
}

/// Context an xt decode needs from the rule: the protocol of `-p`, and the ipset resolver.
pub struct XtContext<'a> {
    /// Table family.
    pub family: Family,
    /// The rule's layer-4 protocol, when known.
    pub l4: Option<Protocol>,
    /// ipset index to name.
    pub ipset_name: &'a dyn Fn(u16) -> Option<String>,
}

fn other_match(name: &str, rev: u32, info: &[u8]) -> MatchKind {
    MatchKind::Other {
        module: format!("xt:{name}"),
        args: format!("rev {rev} {}", hex(info)),
        lossy: false,
    }
}

fn other_target(name: &str, rev: u32, info: &[u8]) -> Statement {
    Statement::Other {
        target: format!("xt:{name}"),
        args: format!("rev {rev} {}", hex(info)),
        lossy: false,
    }
}

/// Decodes an xt match. Unknown or malformed extensions become `Other` with their bytes.
pub fn decode_xt_match(name: &str, rev: u32, info: &[u8], cx: &XtContext<'_>) -> XtMatch {
    match decode_match(name, rev, info, cx) {
        Some(m) => m,
        None => XtMatch {
            matches: vec![Match::new(other_match(name, rev, info))],
            comment: None,
        },
    }
}

/// Decodes an xt target. Unknown or malformed extensions become `Other` with their bytes.
pub fn decode_xt_target(name: &str, rev: u32, info: &[u8], cx: &XtContext<'_>) -> XtTarget {
    match decode_target(name, rev, info, cx) {
        Some(t) => t,
        None => XtTarget {
            statements: vec![other_target(name, rev, info)],
            verdict: None,
        },
    }
}

/// Decodes one revision of one xt match; `None` for an unknown revision or a malformed blob.
type MatchDecoder = fn(&str, u32, &[u8], &XtContext<'_>) -> Option<XtMatch>;
/// Decodes one revision of one xt target; `None` for an unknown revision or a malformed blob.
type TargetDecoder = fn(&str, u32, &[u8], &XtContext<'_>) -> Option<XtTarget>;

/// Every family's match table.
const MATCH_TABLES: &[&[(&str, MatchDecoder)]] = &[
    conntrack::MATCHES,
    marks::MATCHES,
    addressing::MATCHES,
    header::MATCHES,
    rate::MATCHES,
    ipsec::MATCHES,
    system::MATCHES,
    transport::MATCHES,
    ipv6::MATCHES,
    socket::MATCHES,
    hashlimit::MATCHES,
    u32::MATCHES,
];
/// Every family's target table.
const TARGET_TABLES: &[&[(&str, TargetDecoder)]] = &[
    conntrack::TARGETS,
    marks::TARGETS,
    nat::TARGETS,
    addressing::TARGETS,
    actions::TARGETS,
    mangle::TARGETS,
    rate::TARGETS,
    ipv6::TARGETS,
    socket::TARGETS,
];

/// `! ` before an inverted option, as iptables-save prints it.
fn bang(inverted: bool) -> &'static str {
    if inverted {
        "! "
    } else {
        ""
    }
}

/// An extension kept verbatim in iptables-save syntax, the form the iptables-save parser
/// gives options it does not model: `Other { module, args }` with `! ` inside the args.
fn verbatim(name: &str, args: Vec<String>) -> XtMatch {
    one(
        false,
        MatchKind::Other {
            module: name.into(),
            args: args.join(" "),
            lossy: false,
        },
    )
}

/// A target kept verbatim in iptables-save syntax.
fn verbatim_target(name: &str, args: String) -> XtTarget {
    st(Statement::Other {
        target: name.into(),
        args,
        lossy: false,
    })
}

/// One match as a rule part.
fn one(negated: bool, kind: MatchKind) -> XtMatch {
    XtMatch {
        matches: vec![Match::with_negation(kind, negated)],
        comment: None,
    }
}

/// One statement as a target's effect.
fn st(s: Statement) -> XtTarget {
    XtTarget {
        statements: vec![s],
        verdict: None,
    }
}

/// Whether `name` is an xt match this module decodes (the module of its verbatim parts).
pub(crate) fn is_extension_name(name: &str) -> bool {
    MATCH_TABLES
        .iter()
        .flat_map(|t| t.iter())
        .any(|(n, _)| *n == name)
}

fn decode_match(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    let (_, decode) = MATCH_TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|(n, _)| *n == name)?;
    decode(name, rev, b, cx)
}

fn decode_target(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    let (_, decode) = TARGET_TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|(n, _)| *n == name)?;
    decode(name, rev, b, cx)
}
