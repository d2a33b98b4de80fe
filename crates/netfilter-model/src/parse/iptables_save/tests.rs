//! Unit tests of the iptables-save parser over whole dumps: tables, families, backends,
//! every match and target family, negation forms and positioned errors.

use crate::error::Error;
use crate::model::{
    AddrSpec, Backend, CtStateSet, Direction, Family, Hook, IfacePattern, Match, MatchKind,
    NatKind, Policy, PortRange, Protocol, Rule, Ruleset, SetKey, Statement, TcpFlags, Verdict,
};
use crate::parse::ParseOptions;

use super::parse_iptables_save;

mod dumps;
mod matches;
mod targets_and_errors;

pub(super) fn parse(text: &str) -> Ruleset {
    match parse_iptables_save(text, &ParseOptions::new("t")) {
        Ok(rs) => rs,
        Err(e) => panic!("{e}"),
    }
}

/// The rules of chain INPUT of a filter table holding `rules`.
pub(super) fn rules(rules: &str) -> Vec<Rule> {
    let text = format!(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:user - [0:0]\n{rules}\nCOMMIT\n"
    );
    let rs = parse(&text);
    rs.tables[0].chain("INPUT").unwrap().rules.clone()
}

pub(super) fn rule(r: &str) -> Rule {
    let mut v = rules(&format!("-A INPUT {r}"));
    assert_eq!(v.len(), 1);
    v.remove(0)
}

pub(super) fn err(text: &str) -> (u32, u32, String, Option<String>) {
    match parse_iptables_save(text, &ParseOptions::new("src")) {
        Err(Error::Parse(e)) => {
            assert_eq!(e.source_name, "src");
            (e.position.line, e.position.column, e.message, e.context)
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

pub(super) fn rule_err(r: &str) -> (u32, u32, String) {
    let (l, c, m, _) = err(&format!(
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT {r}\nCOMMIT\n"
    ));
    assert_eq!(l, 3);
    (l, c, m)
}

pub(super) fn m(negated: bool, kind: MatchKind) -> Match {
    Match::with_negation(kind, negated)
}

pub(super) fn net(s: &str) -> AddrSpec {
    AddrSpec::net(s.parse().unwrap())
}

pub(super) fn tcp() -> Match {
    m(
        false,
        MatchKind::Protocol {
            protos: vec![Protocol::TCP],
        },
    )
}
