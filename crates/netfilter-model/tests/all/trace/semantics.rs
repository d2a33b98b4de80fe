//! Tracing semantics, one rule of DESIGN.md at a time, on tiny rulesets.

use netfilter_model::model::{
    Backend, ChainType, CtStateSet, Family, Hook, IfacePattern, Policy, Protocol, SetKey,
};
use netfilter_model::trace::{
    iface_classes, trace, FinalVerdict, Packet, StepEvent, TraceIndex, TraceOptions, TracePath,
};

use super::builder::*;

fn pkt(src: &str, dst: &str) -> Packet {
    let mut p = Packet::new(src.parse().unwrap(), dst.parse().unwrap());
    p.iif = Some("eth0".into());
    p.oif = Some("eth1".into());
    p.proto = Some(Protocol::TCP);
    p.sport = Some(1234);
    p.dport = Some(80);
    p
}

fn fwd(
    backend: Backend,
    fam: Family,
    name: &str,
    prio: i32,
    policy: Policy,
    rules: Vec<netfilter_model::model::Rule>,
) -> netfilter_model::model::Table {
    table(
        backend,
        fam,
        name,
        vec![base(
            "fwd",
            ChainType::Filter,
            Hook::Forward,
            prio,
            policy,
            rules,
        )],
    )
}

#[test]
fn accept_ends_only_the_base_chain_and_drop_is_final() {
    let rs = ruleset(vec![
        fwd(
            Backend::Legacy,
            Family::Ip,
            "a",
            0,
            Policy::Accept,
            vec![r().accept()],
        ),
        fwd(
            Backend::Nft,
            Family::Ip,
            "b",
            10,
            Policy::Accept,
            vec![r().dports("tcp", &[80]).drop()],
        ),
        fwd(
            Backend::Nft,
            Family::Ip,
            "c",
            20,
            Policy::Accept,
            vec![r().accept()],
        ),
    ]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    assert_eq!(rep.decided_by.as_ref().unwrap().table, "b");
    // Table c never runs.
    assert!(!rep.steps.iter().any(|s| s.table == "c"));
    let o = rep.overruled.unwrap();
    assert_eq!(o.accepted_in, Backend::Legacy);
}

#[test]
fn return_in_base_chain_applies_policy_and_user_chains_return_implicitly() {
    let rs = ruleset(vec![table(
        Backend::Nft,
        Family::Inet,
        "t",
        vec![
            base(
                "fwd",
                ChainType::Filter,
                Hook::Forward,
                0,
                Policy::Drop,
                vec![r().jump("u"), r().ret(), r().accept()],
            ),
            user("u", vec![r().set_xmark(0x5, 0xff).done()]),
        ],
    )]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    let d = rep.decided_by.unwrap();
    assert!(d.policy && d.index.is_none());
    let ev: Vec<StepEvent> = rep.steps.iter().map(|s| s.event).collect();
    assert_eq!(
        ev,
        vec![
            StepEvent::Enter,
            StepEvent::Jump,
            StepEvent::Mark,
            StepEvent::Return,
            StepEvent::Return,
            StepEvent::Policy
        ]
    );
    // inet sees IPv6 too.
    let rep = trace(&rs, &pkt("fd00::1", "fd00::2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
}

#[test]
fn goto_does_not_return_to_its_caller() {
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
                vec![r().jump("a"), r().drop()],
            ),
            user("a", vec![r().goto("b"), r().drop()]),
            user("b", vec![]),
        ],
    )]);
    // a -> goto b; b ends and returns to fwd (not to a), where rule 2 drops.
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    let d = rep.decided_by.unwrap();
    assert_eq!((d.chain.as_str(), d.index), ("fwd", Some(2)));
    // A goto from the base chain: the policy applies when the target ends.
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
                Policy::Drop,
                vec![r().goto("b"), r().accept()],
            ),
            user("b", vec![]),
        ],
    )]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert!(rep.decided_by.unwrap().policy);
}

#[test]
fn families_and_paths() {
    let rs = ruleset(vec![
        fwd(Backend::Nft, Family::Ip6, "v6", 0, Policy::Drop, vec![]),
        table(
            Backend::Nft,
            Family::Inet,
            "ingress",
            vec![base(
                "ing",
                ChainType::Filter,
                Hook::Ingress,
                -500,
                Policy::Drop,
                vec![],
            )],
        ),
        table(
            Backend::Nft,
            Family::Arp,
            "arp",
            vec![base(
                "in",
                ChainType::Filter,
                Hook::Input,
                0,
                Policy::Drop,
                vec![],
            )],
        ),
        table(
            Backend::Nft,
            Family::Ip,
            "in",
            vec![base(
                "in",
                ChainType::Filter,
                Hook::Input,
                0,
                Policy::Accept,
                vec![
                    r().oif("eth1").drop(),
                    r().iif("eth0").comment("in").accept(),
                ],
            )],
        ),
        table(
            Backend::Nft,
            Family::Ip,
            "out",
            vec![base(
                "out",
                ChainType::Filter,
                Hook::Output,
                0,
                Policy::Accept,
                vec![
                    r().iif("eth0").drop(),
                    r().oif("eth1").comment("out").accept(),
                ],
            )],
        ),
    ]);
    let mut p = pkt("10.0.0.1", "10.0.0.2");
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    assert!(rep.decided_by.is_none());
    assert!(rep.notes.iter().any(|n| n.contains("arp")));
    assert!(
        rep.notes.iter().any(|n| n.contains("ingress")),
        "{:?}",
        rep.notes
    );
    p.path = TracePath::Input;
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(rep.decided_by.unwrap().comment.as_deref(), Some("in"));
    p.path = TracePath::Output;
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(rep.decided_by.unwrap().comment.as_deref(), Some("out"));
    let rep = trace(&rs, &pkt("fd00::1", "fd00::2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    assert!(trace(&rs, &pkt("10.0.0.1", "fd00::2"), &TraceOptions::default()).is_err());
}

#[test]
fn marks_flow_across_backends_and_orders_matter() {
    // Two chains at priority 0: one sets a mark, the other drops marked packets.
    let rs = ruleset(vec![
        fwd(
            Backend::Legacy,
            Family::Ip,
            "marker",
            0,
            Policy::Accept,
            vec![r().set_xmark(0x10, 0x10).done()],
        ),
        fwd(
            Backend::Nft,
            Family::Ip,
            "guard",
            0,
            Policy::Accept,
            vec![r().mark(0x10, 0x10).comment("marked").drop()],
        ),
    ]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    assert!(rep.order_dependent);
    let alt = &rep.alternatives[0];
    assert_eq!(alt.verdict, FinalVerdict::Accept);
    assert_eq!(alt.order.len(), 1);
    assert_eq!(alt.order[0][0].table, "guard");
    // Different priorities: no order question.
    let rs = ruleset(vec![
        fwd(
            Backend::Legacy,
            Family::Ip,
            "marker",
            -10,
            Policy::Accept,
            vec![r().set_xmark(0x10, 0x10).done()],
        ),
        fwd(
            Backend::Nft,
            Family::Ip,
            "guard",
            0,
            Policy::Accept,
            vec![r().mark(0x10, 0x10).drop()],
        ),
    ]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    assert!(!rep.order_dependent && rep.alternatives.is_empty());
}

#[test]
fn two_droppers_same_priority_list_the_other_rule() {
    let rs = ruleset(vec![
        fwd(
            Backend::Legacy,
            Family::Ip,
            "a",
            0,
            Policy::Accept,
            vec![r().comment("a").drop()],
        ),
        fwd(
            Backend::Nft,
            Family::Ip,
            "b",
            0,
            Policy::Accept,
            vec![r().comment("b").drop()],
        ),
    ]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.decided_by.unwrap().comment.as_deref(), Some("a"));
    assert!(!rep.order_dependent, "the verdict is drop either way");
    assert_eq!(rep.alternatives.len(), 1);
    assert_eq!(
        rep.alternatives[0]
            .decided_by
            .as_ref()
            .unwrap()
            .comment
            .as_deref(),
        Some("b")
    );
}

#[test]
fn maybe_matches_follow_both_branches() {
    let rs = ruleset(vec![fwd(
        Backend::Legacy,
        Family::Ip,
        "f",
        0,
        Policy::Accept,
        vec![
            r().set("KUBE-BLOCKED", vec![SetKey::IpsetSrc])
                .comment("ipset")
                .drop(),
            r().other("recent", "--rcheck --seconds 60").drop(),
        ],
    )]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    assert_eq!(
        rep.decided_by.as_ref().unwrap().comment.as_deref(),
        Some("ipset")
    );
    assert!(rep.uncertain);
    assert_eq!(rep.assumptions.len(), 1);
    assert!(rep.assumptions[0].holds);
    let verdicts: Vec<FinalVerdict> = rep.alternatives.iter().map(|a| a.verdict).collect();
    assert_eq!(verdicts, vec![FinalVerdict::Drop, FinalVerdict::Accept]);
    let acc = &rep.alternatives[1];
    assert!(acc.assumptions.iter().all(|a| !a.holds));
    // Unknown ports are maybe too; a known protocol mismatch is a plain no.
    let rs = ruleset(vec![fwd(
        Backend::Legacy,
        Family::Ip,
        "f",
        0,
        Policy::Accept,
        vec![r().dports("udp", &[53]).drop()],
    )]);
    let mut p = pkt("10.0.0.1", "10.0.0.2");
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert!(!rep.uncertain && rep.verdict == FinalVerdict::Accept);
    p.proto = Some(Protocol::UDP);
    p.dport = None;
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert!(rep.uncertain);
}

#[test]
fn nat_only_for_new_connections_and_dnat_changes_later_matches() {
    let rs = ruleset(vec![table(
        Backend::Nft,
        Family::Ip,
        "nat",
        vec![
            base(
                "pre",
                ChainType::Nat,
                Hook::Prerouting,
                -100,
                Policy::Accept,
                vec![
                    r().dst("10.96.0.1/32").dnat("10.1.1.1").done(),
                    r().comment("never reached after a dnat").drop(),
                ],
            ),
            base(
                "fwd",
                ChainType::Filter,
                Hook::Forward,
                0,
                Policy::Accept,
                vec![r().dst("10.1.1.1/32").comment("to backend").drop()],
            ),
        ],
    )]);
    let mut p = pkt("10.0.0.1", "10.96.0.1");
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(
        rep.decided_by.unwrap().comment.as_deref(),
        Some("to backend")
    );
    p.ct_state = CtStateSet(CtStateSet::ESTABLISHED);
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    assert_eq!(rep.steps[0].event, StepEvent::Skip);
}

#[test]
fn sets_and_inline_vmaps() {
    let mut t = table(
        Backend::Nft,
        Family::Inet,
        "f",
        vec![
            base(
                "fwd",
                ChainType::Filter,
                Hook::Forward,
                0,
                Policy::Accept,
                vec![
                    r().set("blocked", vec![SetKey::Saddr, SetKey::Dport])
                        .comment("blocked")
                        .drop(),
                    r().vmap("iifname vmap { \"eth0\" : jump from-eth0, \"wg*\" : drop }"),
                ],
            ),
            user("from-eth0", vec![r().comment("from eth0").drop()]),
        ],
    );
    t.sets.push(named_set(
        "blocked",
        "ipv4_addr . inet_service",
        None,
        &["10.9.0.0/16 . 80", "10.8.0.1 . 22-25"],
    ));
    let rs = ruleset(vec![t]);
    let rep = trace(&rs, &pkt("10.9.1.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.decided_by.unwrap().comment.as_deref(), Some("blocked"));
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(
        rep.decided_by.unwrap().comment.as_deref(),
        Some("from eth0")
    );
    assert!(rep.steps.iter().any(|s| s.event == StepEvent::Vmap));
    let mut p = pkt("10.0.0.1", "10.0.0.2");
    p.iif = Some("wg0".into());
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(rep.decided_by.unwrap().index, Some(2));
    p.iif = Some("lo".into());
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    // Interface classes come from vmap keys too.
    let idx = TraceIndex::new(&rs);
    let classes = iface_classes(&idx, &IfacePattern::Prefix(String::new()));
    let ex: Vec<&str> = classes.iter().map(|c| c.example.as_str()).collect();
    assert_eq!(ex, vec!["eth0", "wgx", "x"]);
}

#[test]
fn interface_classes_split_prefixes() {
    let rs = ruleset(vec![fwd(
        Backend::Legacy,
        Family::Ip,
        "f",
        0,
        Policy::Accept,
        vec![
            r().iif("caliA1").accept(),
            r().iif("caliA2").accept(),
            r().iif("caliA+").drop(),
            r().iif("eth0").drop(),
            r().iif("cali+").drop(),
        ],
    )]);
    let idx = TraceIndex::new(&rs);
    let classes = iface_classes(&idx, &IfacePattern::Prefix("cali".into()));
    let got: Vec<(&str, &str)> = classes
        .iter()
        .map(|c| (c.description.as_str(), c.example.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("`caliA1`", "caliA1"),
            ("`caliA2`", "caliA2"),
            (
                "any other name starting with `caliA` (not `caliA1`, `caliA2`)",
                "caliAx"
            ),
            (
                "any other name starting with `cali` (not `caliA1`, `caliA2`, `caliA*`)",
                "calix"
            ),
        ]
    );
    assert!(classes.iter().all(|c| c.example.len() <= 15));
}

#[test]
fn notrack_makes_later_chains_see_untracked_and_skips_nat() {
    let rs = ruleset(vec![
        table(
            Backend::Legacy,
            Family::Ip,
            "raw",
            vec![builtin(
                "raw",
                "PREROUTING",
                Policy::Accept,
                vec![r().dports("tcp", &[80]).notrack().done()],
            )],
        ),
        table(
            Backend::Legacy,
            Family::Ip,
            "nat",
            vec![builtin(
                "nat",
                "PREROUTING",
                Policy::Accept,
                vec![r().dnat("10.9.9.9").done()],
            )],
        ),
        table(
            Backend::Legacy,
            Family::Ip,
            "filter",
            vec![builtin(
                "filter",
                "FORWARD",
                Policy::Drop,
                vec![r().ct("untracked").comment("untracked ok").accept()],
            )],
        ),
    ]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(
        rep.decided_by.unwrap().comment.as_deref(),
        Some("untracked ok")
    );
    let ev: Vec<StepEvent> = rep.steps.iter().map(|s| s.event).collect();
    assert!(
        ev.contains(&StepEvent::Notrack) && ev.contains(&StepEvent::Skip),
        "{ev:?}"
    );
    // Another port is tracked: DNAT happens and the filter policy drops it.
    let mut p = pkt("10.0.0.1", "10.0.0.2");
    p.dport = Some(443);
    let rep = trace(&rs, &p, &TraceOptions::default()).unwrap();
    assert!(rep.decided_by.unwrap().policy);
    assert!(rep.steps.iter().any(|s| s.event == StepEvent::Nat));
}

/// Regression (found by the kernel differential test, seed 1000032): a base chain below
/// priority -200 on prerouting runs before connection tracking, so the kernel sees no
/// conntrack entry there: `ct state new` does not match, `ct state invalid` does.
#[test]
fn ct_state_before_conntrack_is_invalid() {
    let chain = |prio: i32| {
        ruleset(vec![table(
            Backend::Legacy,
            Family::Ip,
            "raw",
            vec![base(
                "PREROUTING",
                ChainType::Filter,
                Hook::Prerouting,
                prio,
                Policy::Accept,
                vec![r().ct("NEW").accept(), r().ct("INVALID").drop()],
            )],
        )])
    };
    let p = pkt("10.0.0.1", "10.0.0.2");
    let before = trace(&chain(-300), &p, &TraceOptions::default()).unwrap();
    assert_eq!(before.verdict, FinalVerdict::Drop);
    assert_eq!(before.decided_by.unwrap().index, Some(2));
    // After conntrack (-150, mangle) the packet is new.
    let after = trace(&chain(-150), &p, &TraceOptions::default()).unwrap();
    assert_eq!(after.verdict, FinalVerdict::Accept);
    assert_eq!(after.decided_by.unwrap().index, Some(1));
    // On the forward hook, conntrack ran at prerouting whatever the priority.
    let mut fwd_rs = chain(-300);
    if let Some(b) = fwd_rs.tables[0].chains[0].base.as_mut() {
        b.hook = Hook::Forward;
    }
    let fwd = trace(&fwd_rs, &p, &TraceOptions::default()).unwrap();
    assert_eq!(fwd.verdict, FinalVerdict::Accept);
}

/// Regression (found by the kernel differential test, seed 3000148): `notrack` in a chain
/// that runs after connection tracking (priority 10 on prerouting) does nothing in the
/// kernel, which already attached an entry: later chains still see ct state new.
#[test]
fn notrack_after_conntrack_has_no_effect() {
    let rs = |prio: i32| {
        ruleset(vec![
            table(
                Backend::Nft,
                Family::Inet,
                "t",
                vec![base(
                    "pre",
                    ChainType::Filter,
                    Hook::Prerouting,
                    prio,
                    Policy::Accept,
                    vec![r().notrack().done()],
                )],
            ),
            fwd(
                Backend::Nft,
                Family::Ip,
                "f",
                0,
                Policy::Accept,
                vec![r().ct("NEW").comment("new").drop()],
            ),
        ])
    };
    let p = pkt("10.0.0.1", "10.0.0.2");
    let after = trace(&rs(10), &p, &TraceOptions::default()).unwrap();
    assert_eq!(after.verdict, FinalVerdict::Drop);
    assert!(!after.steps.iter().any(|s| s.event == StepEvent::Notrack));
    // Before conntrack (raw priority) it makes the packet untracked.
    let before = trace(&rs(-300), &p, &TraceOptions::default()).unwrap();
    assert_eq!(before.verdict, FinalVerdict::Accept);
    assert!(before.steps.iter().any(|s| s.event == StepEvent::Notrack));
}

/// Regression companion: without a conntrack entry (before conntrack, or untracked) a
/// connection-mark match fails whether or not it is negated, and setting it does nothing.
#[test]
fn ct_mark_without_conntrack_entry_never_matches() {
    let rs = ruleset(vec![table(
        Backend::Legacy,
        Family::Ip,
        "raw",
        vec![base(
            "PREROUTING",
            ChainType::Filter,
            Hook::Prerouting,
            -300,
            Policy::Accept,
            vec![
                ctmark(r(), false).comment("ct mark 0").drop(),
                ctmark(r(), true).comment("ct mark not 0").drop(),
            ],
        )],
    )]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    assert!(rep.decided_by.unwrap().policy);
}

/// `-m connmark [!] --mark 0` on a rule under construction.
fn ctmark(mut b: R, negated: bool) -> R {
    b.0.matches
        .push(netfilter_model::model::Match::with_negation(
            netfilter_model::model::MatchKind::CtMark {
                value: 0,
                mask: u32::MAX,
            },
            negated,
        ));
    b
}

/// Regression (kernel differential test, seed 11000652): the accepting rule can depend on
/// the order of equal-priority base chains even when the verdict does not (one chain sets
/// a mark the other accepts on); both accepting rules are reported.
#[test]
fn order_dependent_accepting_rule_is_an_alternative() {
    let rs = ruleset(vec![
        fwd(
            Backend::Legacy,
            Family::Ip,
            "filter",
            0,
            Policy::Accept,
            vec![r().mark(0x1, 0x1).accept(), r().accept()],
        ),
        fwd(
            Backend::Nft,
            Family::Ip,
            "t0",
            0,
            Policy::Accept,
            vec![r().set_xmark(0x1, 0x1).done()],
        ),
    ]);
    let rep = trace(&rs, &pkt("10.0.0.1", "10.0.0.2"), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    let mut deciders: Vec<Option<usize>> = vec![rep.decided_by.as_ref().and_then(|d| d.index)];
    deciders.extend(
        rep.alternatives
            .iter()
            .map(|a| a.decided_by.as_ref().and_then(|d| d.index)),
    );
    deciders.sort();
    assert_eq!(deciders, vec![Some(1), Some(2)], "{rep:#?}");
    assert!(
        !rep.order_dependent,
        "the verdict does not depend on the order"
    );
}
