//! The named scenarios: verdicts, deciding rules and the overruled-backend fact.

use netfilter_model::model::Backend;
use netfilter_model::model::IfacePattern;
use netfilter_model::trace::{reach, trace, FinalVerdict, StepEvent, TraceOptions};

use super::scenarios::*;

#[test]
fn incident_new_pod_dropped_by_stale_nft_dispatch() {
    let rep = trace(&incident(), &pod_packet(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    let d = rep.decided_by.as_ref().unwrap();
    assert_eq!(d.backend, Backend::Nft);
    assert_eq!(d.chain, "cali-from-wl-dispatch");
    assert_eq!(d.index, Some(2));
    assert_eq!(d.comment.as_deref(), Some("Unknown interface"));
    assert!(!rep.order_dependent);
    assert!(!rep.uncertain);
    let o = rep.overruled.as_ref().expect("legacy alone accepts");
    assert_eq!(o.accepted_in, Backend::Legacy);
    let acc = o.accepted_by.as_ref().unwrap();
    assert_eq!((acc.chain.as_str(), acc.index), ("cali-FORWARD", Some(4)));
    // The old pod passes both backends.
    let mut old = pod_packet();
    old.iif = Some(OLD_POD.into());
    let rep = trace(&incident(), &old, &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
}

#[test]
fn mirror_image_dropped_by_stale_legacy() {
    let rep = trace(&mirror(), &pod_packet(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    let d = rep.decided_by.as_ref().unwrap();
    assert_eq!(d.backend, Backend::Legacy);
    assert_eq!(d.comment.as_deref(), Some("Unknown interface"));
    assert_eq!(rep.overruled.as_ref().unwrap().accepted_in, Backend::Nft);
}

#[test]
fn fixed_node_accepts() {
    let rep = trace(&fixed(), &pod_packet(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    let d = rep.decided_by.as_ref().unwrap();
    assert_eq!((d.chain.as_str(), d.index), ("cali-FORWARD", Some(4)));
    assert!(rep.overruled.is_none());
    assert!(rep.steps.iter().any(|s| s.event == StepEvent::Nat));
}

#[test]
fn native_vmap_beside_stale_legacy() {
    let rep = trace(&native_vmap(), &pod_packet(), &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Drop);
    let d = rep.decided_by.as_ref().unwrap();
    assert_eq!(d.backend, Backend::Legacy);
    assert_eq!(d.chain, "cali-from-wl-dispatch");
    let o = rep.overruled.as_ref().unwrap();
    let acc = o.accepted_by.as_ref().unwrap();
    assert_eq!(acc.chain, format!("filter-cali-fw-{NEW_POD}"));
    assert_eq!(acc.comment.as_deref(), Some("Allow DNS"));
    // Both filter FORWARD chains can drop, so both orders were tried: same verdict.
    assert!(!rep.order_dependent);
}

#[test]
fn kube_proxy_dnat_is_uncertain_between_endpoints() {
    let rep = trace(&kube_proxy(), &service_packet(), &TraceOptions::default()).unwrap();
    // Primary: statistic assumed to match -> endpoint on this node -> accepted.
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    let d = rep.decided_by.as_ref().unwrap();
    assert_eq!(d.comment.as_deref(), Some("pods on this node"));
    assert!(rep.uncertain);
    assert!(rep.steps.iter().any(|s| s.event == StepEvent::Nat
        && s.detail
            .as_ref()
            .is_some_and(|d| d.to_string().contains("10.244.1.5:53"))));
    let alt = rep
        .alternatives
        .iter()
        .find(|a| a.verdict == FinalVerdict::Drop)
        .expect("the other endpoint is dropped by the FORWARD policy");
    assert!(alt.decided_by.as_ref().unwrap().policy);
    assert!(alt.assumptions.iter().any(|a| !a.holds));
    // An established packet skips the nat chains entirely.
    let mut est = service_packet();
    est.ct_state =
        netfilter_model::model::CtStateSet(netfilter_model::model::CtStateSet::ESTABLISHED);
    let rep = trace(&kube_proxy(), &est, &TraceOptions::default()).unwrap();
    assert_eq!(rep.verdict, FinalVerdict::Accept);
    assert!(rep.steps.iter().any(|s| s.event == StepEvent::Skip));
    assert!(!rep.steps.iter().any(|s| s.event == StepEvent::Nat));
}

#[test]
fn reach_over_cali_classes_in_the_incident() {
    let r = reach(
        &incident(),
        &IfacePattern::Prefix("cali".into()),
        &pod_packet(),
        &TraceOptions::default(),
    )
    .unwrap();
    let names: Vec<&str> = r.classes.iter().map(|c| c.example.as_str()).collect();
    assert_eq!(names, vec![OLD_POD, NEW_POD, "calix"]);
    let verdicts: Vec<FinalVerdict> = r.classes.iter().map(|c| c.trace.verdict).collect();
    assert_eq!(
        verdicts,
        vec![FinalVerdict::Accept, FinalVerdict::Drop, FinalVerdict::Drop]
    );
    assert!(r.classes[2].description.contains("starting with `cali`"));
}
