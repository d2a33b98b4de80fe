//! Comparing a rule a lossy listing kept only in part with its complete counterpart.
//!
//! nft JSON shows iptables-nft's xt compat matches and targets by name only
//! (`xt:conntrack`, `xt:MARK`); nft 1.0.x text drops `-m comment`. Two rules agree
//! when everything that is not lossy is on both sides, and every lossy part stands
//! where the other side has a part of a kind that xt extension could have produced.

use crate::model::{LossNote, Match, MatchKind, NatKind, Rule, Statement, Verdict};

use super::options::DiffOptions;

/// Whether the rule lost anything that counts: lossy matches or statements, or notes
/// other than a lost comment when comments are ignored.
pub(crate) fn loses_something(rule: &Rule, opts: &DiffOptions) -> bool {
    rule.lossy
        .iter()
        .any(|n| !(opts.ignore_comments && n.is_comment()))
        || !lossy_names(rule).is_empty()
}

/// Names of the lossy (`xt:NAME`) matches and statements of a rule.
fn lossy_names(rule: &Rule) -> Vec<&str> {
    let m = rule.matches.iter().filter_map(|m| match &m.kind {
        MatchKind::Other {
            module,
            lossy: true,
            ..
        } => Some(module.as_str()),
        _ => None,
    });
    let s = rule.statements.iter().filter_map(|s| match s {
        Statement::Other {
            target,
            lossy: true,
            ..
        } => Some(target.as_str()),
        _ => None,
    });
    m.chain(s).collect()
}

/// A complete part of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part<'a> {
    Match(&'a Match),
    Statement(&'a Statement),
    Verdict(&'a Verdict),
}

fn parts(rule: &Rule) -> Vec<Part<'_>> {
    let mut out: Vec<Part<'_>> = rule
        .matches
        .iter()
        .filter(|m| !matches!(m.kind, MatchKind::Other { lossy: true, .. }))
        .map(Part::Match)
        .collect();
    out.extend(
        rule.statements
            .iter()
            .filter(|s| !matches!(s, Statement::Other { lossy: true, .. }))
            .map(Part::Statement),
    );
    out.extend(rule.verdict.iter().map(Part::Verdict));
    out
}

/// Whether the xt extension `name` (as nft shows it, `xt:NAME`) can have produced `part`.
fn covers(name: &str, part: Part<'_>) -> bool {
    let ext = name.trim_start_matches("xt:").to_ascii_lowercase();
    if ext == "xt" {
        // nft < 1.0.1 does not even name the extension.
        return !matches!(part, Part::Verdict(_));
    }
    match part {
        Part::Match(m) => match &m.kind {
            MatchKind::CtState { .. } | MatchKind::CtStatus { .. } => {
                matches!(ext.as_str(), "conntrack" | "state")
            }
            MatchKind::CtDirection { .. } => ext == "conntrack",
            MatchKind::Port { .. } | MatchKind::AnyPort { .. } => {
                matches!(ext.as_str(), "multiport" | "tcp" | "udp" | "sctp" | "dccp")
            }
            MatchKind::TcpFlags { .. } => ext == "tcp",
            MatchKind::SetLookup { .. } => ext == "set",
            MatchKind::Mark { .. } => ext == "mark",
            MatchKind::CtMark { .. } => ext == "connmark",
            MatchKind::AddrType { .. } => ext == "addrtype",
            MatchKind::PhysDev { .. } => ext == "physdev",
            MatchKind::Mac { .. } => ext == "mac",
            MatchKind::Limit { .. } => ext == "limit",
            MatchKind::Statistic { .. } => ext == "statistic",
            MatchKind::Owner { .. } => ext == "owner",
            MatchKind::Length { .. } => ext == "length",
            MatchKind::PktType { .. } => ext == "pkttype",
            MatchKind::Icmp { .. } => matches!(ext.as_str(), "icmp" | "icmp6"),
            MatchKind::Address { .. } => ext == "iprange",
            MatchKind::Ttl { .. } => matches!(ext.as_str(), "ttl" | "hl"),
            MatchKind::Dscp { .. } => ext == "dscp",
            MatchKind::Tos { .. } => ext == "tos",
            MatchKind::Other { module, .. } => module.eq_ignore_ascii_case(&ext),
            _ => false,
        },
        Part::Statement(s) => match s {
            Statement::SetMark { .. } => ext == "mark",
            Statement::SetCtMark { .. }
            | Statement::SaveMark { .. }
            | Statement::RestoreMark { .. } => ext == "connmark",
            Statement::Nat { kind, .. } => {
                let k = match kind {
                    NatKind::Snat => "snat",
                    NatKind::Dnat => "dnat",
                    NatKind::Masquerade => "masquerade",
                    NatKind::Redirect => "redirect",
                };
                ext == k
            }
            Statement::Log { group, .. } => ext == if group.is_some() { "nflog" } else { "log" },
            Statement::Notrack => matches!(ext.as_str(), "notrack" | "ct"),
            Statement::Ct { .. } => ext == "ct",
            Statement::TcpMss { .. } => ext == "tcpmss",
            Statement::Other { target, .. } => target.eq_ignore_ascii_case(&ext),
            _ => false,
        },
        Part::Verdict(v) => match v {
            Verdict::Reject { .. } => ext == "reject",
            Verdict::Queue(_) => ext == "nfqueue",
            Verdict::Other(o) => o.eq_ignore_ascii_case(&ext),
            _ => false,
        },
    }
}

/// Removes from `names` one occurrence of each name in `other`, returning the rest.
fn minus<'a>(names: &[&'a str], other: &[&str]) -> Vec<&'a str> {
    let mut rest: Vec<&str> = other.to_vec();
    names
        .iter()
        .filter(|n| match rest.iter().position(|o| o == *n) {
            Some(i) => {
                rest.swap_remove(i);
                false
            }
            None => true,
        })
        .copied()
        .collect()
}

/// Checks one direction: every complete part of `a` is in `b` or stands where one of
/// `b`'s own lossy names could have produced it.
fn contained(a: &[Part<'_>], b: &[Part<'_>], b_names: &[&str]) -> bool {
    a.iter()
        .all(|p| b.contains(p) || b_names.iter().any(|n| covers(n, *p)))
}

/// Whether every lossy name of one side stands for a part only the other side has (or,
/// for a bare `-m tcp`/`-m udp` without options, for the protocol match both show).
fn names_used(names: &[&str], own: &[Part<'_>], other: &[Part<'_>], other_comment: bool) -> bool {
    names.iter().all(|n| {
        let ext = n.trim_start_matches("xt:");
        let bare_protocol = other.iter().any(|p| {
            matches!(p, Part::Match(m) if !m.negated && matches!(&m.kind,
                MatchKind::Protocol { protos } if protos.len() == 1
                    && protos[0].name().is_some_and(|pn| pn.eq_ignore_ascii_case(ext))))
        });
        (ext.eq_ignore_ascii_case("comment") && other_comment)
            || bare_protocol
            || other.iter().any(|p| !own.contains(p) && covers(n, *p))
    })
}

/// How two rules compare once lossy parts are set aside: `Some(comparable)` when they
/// agree (`comparable` false when a side lost something that counts), `None` when a
/// part that both sides show differs.
pub(crate) fn agree(a: &Rule, b: &Rule, opts: &DiffOptions) -> Option<bool> {
    let (pa, pb) = (parts(a), parts(b));
    let (na, nb) = (lossy_names(a), lossy_names(b));
    // The same extension lost on both sides says nothing either way.
    let (ra, rb) = (minus(&na, &nb), minus(&nb, &na));
    if !contained(&pa, &pb, &rb) || !contained(&pb, &pa, &ra) {
        return None;
    }
    let lost_comment = |r: &Rule| r.lossy.iter().any(LossNote::is_comment);
    if !names_used(&ra, &pa, &pb, b.comment.is_some())
        || !names_used(&rb, &pb, &pa, a.comment.is_some())
    {
        return None;
    }
    let comments_ok = opts.ignore_comments
        || a.comment == b.comment
        || (a.comment.is_none() && lost_comment(a))
        || (b.comment.is_none() && lost_comment(b));
    if !comments_ok {
        return None;
    }
    Some(
        !loses_something(a, opts) && !loses_something(b, opts) && {
            opts.ignore_comments || a.comment == b.comment
        },
    )
}

/// The text Myers aligns lossy chains on: what every listing keeps of a rule. Parts
/// an xt extension may hide (conntrack, ports, sets, marks set, NAT, log, reject, any
/// verbatim match), reject and queue verdicts and the comment are left out; interfaces, addresses, protocols,
/// mark matches and the verdict stay.
pub(crate) fn align_text(rule: &Rule) -> String {
    let mut r = Rule {
        matches: rule
            .matches
            .iter()
            .filter(|m| match &m.kind {
                // An address range may be an `-m iprange` that nft JSON shows by name only.
                MatchKind::Address { addrs, .. } => !addrs
                    .iter()
                    .any(|a| matches!(a, crate::model::AddrSpec::Range { .. })),
                k => matches!(
                    k,
                    MatchKind::Interface { .. }
                        | MatchKind::Protocol { .. }
                        | MatchKind::Fragment
                        | MatchKind::Mark { .. }
                ),
            })
            .cloned()
            .collect(),
        ..Rule::default()
    };
    r.verdict = match &rule.verdict {
        // An xt target may hide a reject or a queue (`xt:REJECT`, `xt:NFQUEUE`).
        Some(Verdict::Reject { .. } | Verdict::Queue(_)) | None => None,
        Some(v) => Some(v.clone()),
    };
    r.canonical()
}

/// The notation a verbatim (unmodelled, not lossy) part of a rule is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notation {
    /// An nft expression or statement the nft text or JSON parser kept as written.
    Nft,
    /// iptables extension options (`-m NAME ...`, `-j TARGET ...`) kept as written.
    Iptables,
}

fn notation(p: Part<'_>) -> Option<Notation> {
    match p {
        Part::Match(m) => match &m.kind {
            MatchKind::Other {
                module,
                lossy: false,
                ..
            } => Some(if module == "nft" {
                Notation::Nft
            } else {
                Notation::Iptables
            }),
            _ => None,
        },
        // iptables targets are upper case (`TOS`, `CLASSIFY`); nft statements are not.
        Part::Statement(Statement::Other {
            target,
            lossy: false,
            ..
        }) => Some(if target.chars().any(|c| c.is_ascii_lowercase()) {
            Notation::Nft
        } else {
            Notation::Iptables
        }),
        _ => None,
    }
}

/// Whether the rule has verbatim parts in `n`.
pub(crate) fn has_verbatim(rule: &Rule, n: Notation) -> bool {
    parts(rule).into_iter().any(|p| notation(p) == Some(n))
}

/// Whether the comments of two rules do not tell them apart: equal, ignored, or lost by
/// one side's listing.
pub(crate) fn comments_compatible(a: &Rule, b: &Rule, opts: &DiffOptions) -> bool {
    let lost = |r: &Rule| r.comment.is_none() && r.lossy.iter().any(LossNote::is_comment);
    opts.ignore_comments || a.comment == b.comment || lost(a) || lost(b)
}

/// Whether two rules can only be told apart by verbatim parts written in different
/// notations: nft 1.0.x lists iptables-nft's xt matches and targets translated (`ah spi
/// 500`, `ct original protocol 6`, `dup to 10.0.0.9`) where iptables-save prints the
/// extension's options (`-m ah --ahspi 500`), and nfdiff models neither. Everything else
/// (the typed matches, statements and the verdict) must be equal; the pair is then not
/// comparable rather than different.
pub(crate) fn differ_only_in_notation(a: &Rule, b: &Rule) -> bool {
    let (pa, pb) = (parts(a), parts(b));
    let verbatim = |ps: &[Part<'_>], n: Notation| ps.iter().any(|p| notation(*p) == Some(n));
    let (ia, ib) = (
        verbatim(&pa, Notation::Iptables),
        verbatim(&pb, Notation::Iptables),
    );
    let (na, nb) = (verbatim(&pa, Notation::Nft), verbatim(&pb, Notation::Nft));
    // A typed part only one side has may be what the other side's verbatim part says in
    // its notation (nft lists `-m ecn --ecn-tcp-cwr` as `tcp flags & cwr == cwr`); a verdict
    // never is.
    let typed = |ps: &[Part<'_>]| -> Vec<String> {
        ps.iter()
            .filter(|p| notation(**p).is_none() && !matches!(p, Part::Verdict(_)))
            .map(|p| format!("{p:?}"))
            .collect()
    };
    let verdicts = |ps: &[Part<'_>]| -> Vec<String> {
        ps.iter()
            .filter(|p| matches!(p, Part::Verdict(_)))
            .map(|p| format!("{p:?}"))
            .collect()
    };
    if verdicts(&pa) != verdicts(&pb) {
        return false;
    }
    // Parts of the standard match (interfaces, addresses, protocol, fragment, mark) are
    // never an extension's translation: they must be on both sides.
    let standard = |ps: &[Part<'_>]| -> Vec<String> {
        let mut v: Vec<String> = ps
            .iter()
            .filter(|p| {
                matches!(p, Part::Match(m) if matches!(m.kind,
                    MatchKind::Interface { .. }
                        | MatchKind::Address { .. }
                        | MatchKind::Protocol { .. }
                        | MatchKind::Fragment
                        | MatchKind::Mark { .. }))
            })
            .map(|p| format!("{p:?}"))
            .collect();
        v.sort();
        v
    };
    if standard(&pa) != standard(&pb) {
        return false;
    }
    let (ta, tb) = (typed(&pa), typed(&pb));
    let only_a = ta.iter().any(|p| !tb.contains(p));
    let only_b = tb.iter().any(|p| !ta.contains(p));
    // Verbatim parts in different notations on the two sides, or an iptables extension on
    // one side where the other (with none) shows typed parts it could be the listing of.
    let crossed = (na && ib) || (ia && nb) || (ia && !ib && only_b) || (ib && !ia && only_a);
    if !crossed {
        return false;
    }
    let has_verbatim = |ps: &[Part<'_>]| ps.iter().any(|p| notation(*p).is_some());
    (!only_a || has_verbatim(&pb)) && (!only_b || has_verbatim(&pa))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CtStateSet, Direction, IfacePattern, Protocol, SetKey};

    fn m(kind: MatchKind) -> Match {
        Match::new(kind)
    }

    fn xt(name: &str) -> Match {
        m(MatchKind::Other {
            module: format!("xt:{name}"),
            args: String::new(),
            lossy: true,
        })
    }

    fn iif(name: &str) -> Match {
        m(MatchKind::Interface {
            dir: Direction::Src,
            names: vec![IfacePattern::Exact(name.into())],
        })
    }

    const IGNORE: DiffOptions = DiffOptions {
        ignore_comments: true,
    };

    #[test]
    fn xt_names_stand_for_their_typed_parts() {
        let full = Rule {
            matches: vec![
                iif("eth0"),
                m(MatchKind::CtState {
                    states: CtStateSet(CtStateSet::ESTABLISHED),
                }),
            ],
            statements: vec![Statement::SetMark { and: 0, xor: 1 }],
            verdict: Some(Verdict::Accept),
            comment: Some("c".into()),
            ..Rule::default()
        };
        let lossy = Rule {
            matches: vec![iif("eth0"), xt("conntrack")],
            statements: vec![Statement::Other {
                target: "xt:MARK".into(),
                args: String::new(),
                lossy: true,
            }],
            verdict: Some(Verdict::Accept),
            lossy: vec!["xt match comment: the comment text is not shown by nft JSON".into()],
            ..Rule::default()
        };
        assert_eq!(agree(&full, &lossy, &IGNORE), Some(false));
        assert_eq!(agree(&lossy, &full, &DiffOptions::default()), Some(false));
        assert_eq!(align_text(&full), align_text(&lossy));

        // What both show must agree.
        let mut other_iface = lossy.clone();
        other_iface.matches[0] = iif("eth1");
        assert_eq!(agree(&full, &other_iface, &IGNORE), None);
        // An xt name must stand for something the other side has.
        let mut wrong = lossy.clone();
        wrong.matches[1] = xt("set");
        assert_eq!(agree(&full, &wrong, &IGNORE), None);
        // A typed part the lossy side cannot have hidden.
        let mut extra = full.clone();
        extra.matches.push(m(MatchKind::SetLookup {
            set: "s".into(),
            keys: vec![SetKey::Saddr],
        }));
        assert_eq!(agree(&extra, &lossy, &IGNORE), None);
    }

    #[test]
    fn a_lost_comment_alone_is_comparable_when_comments_are_ignored() {
        let full = Rule {
            matches: vec![m(MatchKind::Protocol {
                protos: vec![Protocol::TCP],
            })],
            verdict: Some(Verdict::Drop),
            comment: Some("x".into()),
            ..Rule::default()
        };
        let mut text = full.clone();
        text.comment = None;
        text.lossy
            .push("comment dropped by nft text listing".into());
        assert!(!loses_something(&text, &IGNORE));
        assert_eq!(agree(&full, &text, &IGNORE), Some(true));
        assert_eq!(agree(&full, &text, &DiffOptions::default()), Some(false));
        let mut changed = text.clone();
        changed.comment = Some("y".into());
        changed.lossy.clear();
        assert_eq!(agree(&full, &changed, &DiffOptions::default()), None);
    }

    #[test]
    fn same_extension_lost_on_both_sides() {
        let a = Rule {
            matches: vec![xt("set")],
            statements: vec![Statement::Nat {
                kind: NatKind::Masquerade,
                addr: None,
                port: None,
                flags: vec![],
            }],
            ..Rule::default()
        };
        let b = Rule {
            matches: vec![xt("set")],
            statements: vec![Statement::Other {
                target: "xt:MASQUERADE".into(),
                args: String::new(),
                lossy: true,
            }],
            ..Rule::default()
        };
        assert_eq!(agree(&a, &b, &IGNORE), Some(false));
        let reject = Rule {
            verdict: Some(Verdict::Reject { with: None }),
            ..Rule::default()
        };
        let xt_reject = Rule {
            statements: vec![Statement::Other {
                target: "xt:REJECT".into(),
                args: String::new(),
                lossy: true,
            }],
            ..Rule::default()
        };
        assert_eq!(agree(&reject, &xt_reject, &IGNORE), Some(false));
        assert_eq!(align_text(&reject), align_text(&xt_reject));
    }

    fn verbatim(module: &str, args: &str) -> Match {
        m(MatchKind::Other {
            module: module.into(),
            args: args.into(),
            lossy: false,
        })
    }

    fn accept(matches: Vec<Match>) -> Rule {
        Rule {
            matches,
            verdict: Some(Verdict::Accept),
            ..Rule::default()
        }
    }

    #[test]
    fn translated_listings_are_not_comparable_but_real_changes_differ() {
        let save = accept(vec![iif("eth0"), verbatim("ah", "--ahspi 500")]);
        // nft 1.0.x lists `-m ah --ahspi 500` translated.
        let text = accept(vec![iif("eth0"), verbatim("nft", "ah spi 500")]);
        assert!(differ_only_in_notation(&save, &text));
        assert!(differ_only_in_notation(&text, &save));
        // A typed part that differs is a difference.
        let other_iif = accept(vec![iif("eth1"), verbatim("nft", "ah spi 500")]);
        assert!(!differ_only_in_notation(&save, &other_iif));
        // So is another verdict.
        let mut dropped = text.clone();
        dropped.verdict = Some(Verdict::Drop);
        assert!(!differ_only_in_notation(&save, &dropped));
        // Two iptables-save rules: a removed extension is a difference.
        assert!(!differ_only_in_notation(&save, &accept(vec![iif("eth0")])));
        // nft's typed translation of an extension (`-m ecn --ecn-tcp-cwr` listed as
        // `tcp flags & cwr == cwr`) may be what the verbatim extension says.
        let ecn = accept(vec![verbatim("ecn", "--ecn-tcp-cwr")]);
        let flags = accept(vec![m(MatchKind::TcpFlags {
            mask: crate::model::TcpFlags(0x80),
            set: crate::model::TcpFlags(0x80),
        })]);
        assert!(differ_only_in_notation(&ecn, &flags));
    }
}
