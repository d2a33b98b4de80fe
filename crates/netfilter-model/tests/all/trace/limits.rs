//! Bounded work: cycles, deep chain graphs and goto loops end with a clear error.

use netfilter_model::model::{Backend, ChainType, Family, Hook, Policy, Protocol};
use netfilter_model::trace::{trace, Packet, TraceError, TraceOptions};

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
    let opts = TraceOptions {
        max_steps: 100,
        ..TraceOptions::default()
    };
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
