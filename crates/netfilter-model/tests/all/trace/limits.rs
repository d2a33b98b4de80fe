//! Bounded work: cycles, deep chain graphs and goto loops end with a clear error; many
//! undecidable matches stay cheap.

use netfilter_model::model::{Backend, ChainType, Family, Hook, Policy, Protocol, Rule, Ruleset};
use netfilter_model::trace::{trace, FinalVerdict, Packet, TraceError, TraceOptions};

use super::builder::*;

fn pkt() -> Packet {
    let mut p = Packet::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
    p.iif = Some("eth0".into());
    p.oif = Some("eth1".into());
    p.proto = Some(Protocol::TCP);
    p
}

#[test]
fn jump_cycle_is_reported() {
    let rs = ruleset(vec![table(
        Backend::Nft,
        Family::Ip,
        "t",
        vec![
            base(
                "fwd",
                ChainType::Filter,
                Hook::Forward,
                0,
                Policy::Accept,
                vec![r().jump("a")],
            ),
            user("a", vec![r().jump("b")]),
            user("b", vec![r().jump("a")]),
        ],
    )]);
    let err = trace(&rs, &pkt(), &TraceOptions::default()).unwrap_err();
    match &err {
        TraceError::JumpCycle { path } => assert_eq!(path.len(), 4, "{path:?}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("nft ip t a -> nft ip t b -> nft ip t a"),
        "{err}"
    );
}

#[test]
fn deep_chain_graph_is_reported_not_overflowed() {
    let n = 100_000;
    let mut chains = vec![base(
        "fwd",
        ChainType::Filter,
        Hook::Forward,
        0,
        Policy::Accept,
        vec![r().jump("c0")],
    )];
    for i in 0..n {
        chains.push(user(
            &format!("c{i}"),
            vec![r().jump(&format!("c{}", i + 1))],
        ));
    }
    chains.push(user(&format!("c{n}"), vec![]));
    let rs = ruleset(vec![table(Backend::Nft, Family::Ip, "t", chains)]);
    let err = trace(&rs, &pkt(), &TraceOptions::default()).unwrap_err();
    assert!(
        matches!(err, TraceError::TooDeep { limit: 64, .. }),
        "{err}"
    );
    // With a deeper limit, a long chain of gotos is fine (gotos do not grow the stack).
    let mut chains = vec![base(
        "fwd",
        ChainType::Filter,
        Hook::Forward,
        0,
        Policy::Accept,
        vec![r().jump("c0")],
    )];
    for i in 0..n {
        chains.push(user(
            &format!("c{i}"),
            vec![r().goto(&format!("c{}", i + 1))],
        ));
    }
    chains.push(user(&format!("c{n}"), vec![r().drop()]));
    let rs = ruleset(vec![table(Backend::Nft, Family::Ip, "t", chains)]);
    let rep = trace(&rs, &pkt(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.decided_by.unwrap().chain, format!("c{n}"));
}

#[test]
fn goto_loop_is_reported() {
    let rs = ruleset(vec![table(
        Backend::Nft,
        Family::Ip,
        "t",
        vec![
            base(
                "fwd",
                ChainType::Filter,
                Hook::Forward,
                0,
                Policy::Accept,
                vec![r().jump("a")],
            ),
            user("a", vec![r().goto("b")]),
            user("b", vec![r().goto("c")]),
            user("c", vec![r().goto("b")]),
        ],
    )]);
    let err = trace(&rs, &pkt(), &TraceOptions::default()).unwrap_err();
    match &err {
        TraceError::JumpCycle { path } => assert_eq!(
            path.join(" -> "),
            "nft ip t fwd -> nft ip t a -> nft ip t b -> nft ip t c -> nft ip t b"
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn step_budget_bounds_the_work() {
    let rules = (0..1000).map(|_| r().mark(0x5, 0xff).drop()).collect();
    let rs = ruleset(vec![table(
        Backend::Nft,
        Family::Ip,
        "t",
        vec![base(
            "fwd",
            ChainType::Filter,
            Hook::Forward,
            0,
            Policy::Accept,
            rules,
        )],
    )]);
    let opts = TraceOptions::default().max_steps(100);
    let err = trace(&rs, &pkt(), &opts).unwrap_err();
    assert!(
        matches!(err, TraceError::BudgetExceeded { budget: 100, .. }),
        "{err}"
    );
    assert!(trace(&rs, &pkt(), &TraceOptions::default()).is_ok());
}

#[test]
fn many_undecidable_matches_stay_bounded() {
    let rules = (0..200).map(|_| r().random("0.5").jump("u")).collect();
    let rs = ruleset(vec![table(
        Backend::Nft,
        Family::Ip,
        "t",
        vec![
            base(
                "fwd",
                ChainType::Filter,
                Hook::Forward,
                0,
                Policy::Accept,
                rules,
            ),
            user("u", vec![r().random("0.5").drop()]),
        ],
    )]);
    let rep = trace(&rs, &pkt(), &TraceOptions::default()).unwrap();
    assert!(rep.uncertain);
    assert!(
        rep.notes.iter().any(|n| n.contains("courses")),
        "{:?}",
        rep.notes
    );
}

/// `groups` forward base chains at distinct priorities (one group each), `rules` rules each
/// that test a random match and do nothing either way; the last chain's last rule, when
/// `drop_last`, drops on a random match.
fn undecided_groups(groups: usize, rules: usize, drop_last: bool) -> Ruleset {
    let chains = (0..groups)
        .map(|g| {
            let mut rs: Vec<Rule> = (0..rules).map(|_| r().random("0.5").done()).collect();
            if drop_last && g + 1 == groups {
                rs.push(r().random("0.5").drop());
            }
            base(
                &format!("c{g}"),
                ChainType::Filter,
                Hook::Forward,
                g as i32,
                Policy::Accept,
                rs,
            )
        })
        .collect();
    ruleset(vec![table(Backend::Nft, Family::Ip, "t", chains)])
}

/// Found by the `trace_and_diff` fuzz target (issue 9): 100 base chains of 5 undecidable
/// rules each took 2.7 s per trace in release (over 10 s under ASan). Every course was cloned
/// at every group, and the 256 courses that differed only in their assumptions each went
/// through every later group. Courses at the same point with the same state and future are
/// now one.
#[test]
fn undecidable_matches_in_many_base_chains() {
    let rs = undecided_groups(100, 5, false);
    let rep = trace(&rs, &pkt(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    let d = rep.decided_by.unwrap();
    assert_eq!((d.chain.as_str(), d.policy), ("c99", true));
    assert!(rep.alternatives.is_empty(), "{:?}", rep.alternatives);
    assert!(!rep.order_dependent);
    // Every rule's match was assumed to hold on the primary course.
    assert_eq!(rep.assumptions.len(), 500);
    assert!(rep.assumptions.iter().all(|a| a.holds));
}

/// The same shape, small enough for the branch limit: merging courses loses no outcome. The
/// drop at the end is the primary verdict, the accept when it does not match the alternative,
/// and no course is cut (the old tracer spent the branch limit on courses that differed only
/// in their assumptions and reported no alternative here).
#[test]
fn undecidable_matches_in_many_base_chains_keep_every_outcome() {
    let rs = undecided_groups(20, 1, true);
    let rep = trace(&rs, &pkt(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    let d = rep.decided_by.unwrap();
    assert_eq!((d.chain.as_str(), d.index), ("c19", Some(2)));
    assert!(rep.uncertain);
    assert_eq!(rep.alternatives.len(), 1, "{:?}", rep.alternatives);
    let alt = &rep.alternatives[0];
    assert_eq!(alt.verdict, FinalVerdict::Accept);
    let d = alt.decided_by.as_ref().unwrap();
    assert_eq!((d.chain.as_str(), d.policy), ("c19", true));
    assert!(alt.assumptions.iter().any(|a| !a.holds));
    assert!(
        !rep.notes.iter().any(|n| n.contains("courses")),
        "{:?}",
        rep.notes
    );
}

/// Found with the fuzz target's slow inputs (issue 9): 100 priorities of three equal-priority
/// chains that write marks (every order of each group is run) with undecidable rules took
/// 7.9 s per trace in release: the course was cloned for the listing order even when no
/// other order could run any more.
#[test]
fn undecidable_matches_in_many_reordered_groups() {
    let chains = (0..100)
        .flat_map(|g| {
            (0..3).map(move |k| {
                base(
                    &format!("c{g}x{k}"),
                    ChainType::Filter,
                    Hook::Forward,
                    g,
                    Policy::Accept,
                    (0..5)
                        .map(|_| r().random("0.5").set_xmark(k + 1, 0xffff_ffff).done())
                        .collect(),
                )
            })
        })
        .collect();
    let rs = ruleset(vec![table(Backend::Nft, Family::Ip, "t", chains)]);
    let rep = trace(&rs, &pkt(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    assert!(!rep.order_dependent);
    assert!(rep.alternatives.is_empty(), "{:?}", rep.alternatives);
    let d = rep.decided_by.unwrap();
    assert_eq!((d.chain.as_str(), d.policy), ("c99x2", true));
    assert_eq!(rep.assumptions.len(), 1500);
}
