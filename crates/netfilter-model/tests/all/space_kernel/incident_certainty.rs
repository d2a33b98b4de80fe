//! The engine against the concrete tracer on the incident's node (current Calico rules in
//! legacy, the stale copy in nf_tables): the new pod's traffic and a known pod's traffic.

use std::path::Path;

use netfilter_model::model::{Backend, CtStateSet, IfacePattern, PortRange, Protocol, Ruleset};
use netfilter_model::parse::{parse_iptables_save, ParseOptions};
use netfilter_model::space::{partition, Certainty, SpaceQuery};
use netfilter_model::trace::{trace, TraceOptions, TracePath};

fn incident() -> Ruleset {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/incident"
    ));
    let read = |name: &str, backend: Backend| {
        let text = std::fs::read_to_string(dir.join(name)).expect("incident fixture");
        parse_iptables_save(&text, &ParseOptions::new(name).with_backend(Some(backend)))
            .expect("incident fixture parses")
    };
    let mut rs = read("legacy.save", Backend::Legacy);
    rs.extend(read("nft.save", Backend::Nft));
    rs
}

/// udp to 192.168.50.2:5009 from `iif` out eth1, new connections, forward path.
fn query(iif: &str) -> SpaceQuery {
    let mut q = SpaceQuery::new(TracePath::Forward);
    q.iif = Some(IfacePattern::Exact(iif.into()));
    q.oif = Some(IfacePattern::Exact("eth1".into()));
    q.dst = vec![netfilter_model::model::AddrSpec::net(
        "192.168.50.2/32".parse().expect("prefix"),
    )];
    q.proto = vec![Protocol::UDP];
    q.dport = vec![PortRange {
        first: 5009,
        last: 5009,
    }];
    q.ct_state = Some(CtStateSet(CtStateSet::NEW));
    q.mark = Some(0);
    q
}

/// Each class's verdict and deciding rule are the tracer's for its witness.
#[test]
fn incident_classes_have_the_tracers_fate() {
    let rs = incident();
    for iif in ["cali9f8e7d6c5b4", "cali5c4d3e2f1a0", "cali1a2b3c4d5e6"] {
        let p = partition(&rs, &query(iif)).expect("partition");
        assert!(!p.classes.is_empty(), "{iif}: no class");
        for c in &p.classes {
            let t = trace(&rs, &c.witness, &TraceOptions::default()).expect("trace");
            assert_eq!(c.verdict, t.verdict, "{iif}: {:?}", c.cubes);
            // The engine lists every rule that decides the class under some order of the
            // equal-priority base chains; the tracer's deciding rule is one of them.
            if let Some(d) = &t.decided_by {
                assert!(
                    c.deciding.contains(d),
                    "{iif}: the tracer's deciding rule {d} is not among the class's {:?} ({:?})",
                    c.deciding,
                    c.cubes
                );
            }
        }
    }
    let p = partition(&rs, &query("cali9f8e7d6c5b4")).expect("partition");
    assert!(
        p.classes.iter().all(|c| c.verdict.as_str() == "drop"),
        "the new pod's udp to the remote host is dropped: {:?}",
        p.classes
    );
}

/// For the new pod's interface the tracer says DROP by nft `cali-from-wl-dispatch` rule 3 with
/// `order_dependent: false` and `uncertain: false`: no order of the equal-priority raw and nat
/// PREROUTING chains changes this packet's outcome, so the engine's class must be *must* too
/// (the first engine tried called it *may*).
#[test]
fn incident_new_pod_drop_is_certain_as_the_tracer_says() {
    let rs = incident();
    let p = partition(&rs, &query("cali9f8e7d6c5b4")).expect("partition");
    for c in &p.classes {
        let t = trace(&rs, &c.witness, &TraceOptions::default()).expect("trace");
        assert!(!t.order_dependent && !t.uncertain, "tracer: {t:?}");
        assert_eq!(
            c.certainty,
            Certainty::Must,
            "the tracer is certain of {} by {:?}; the engine says may because {:?}",
            t.verdict,
            t.decided_by.as_ref().map(ToString::to_string),
            c.reasons
        );
    }
}
