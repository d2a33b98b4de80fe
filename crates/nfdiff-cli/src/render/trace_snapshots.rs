//! Snapshots of the trace and reach renderers on the named scenarios (built with the model
//! crate's test builder, shared through `#[path]`).

#[path = "../../../netfilter-model/tests/all/trace/builder.rs"]
mod builder;
#[path = "../../../netfilter-model/tests/all/trace/scenarios.rs"]
mod scenarios;

use netfilter_model::model::{IfacePattern, Ruleset};
use netfilter_model::trace::{reach, trace, Packet, TraceOptions};

use super::{trace_json, trace_text};

fn render(rs: &Ruleset, pkt: &Packet) -> (String, String) {
    let rep = trace(rs, pkt, &TraceOptions::default()).unwrap();
    let mut text = Vec::new();
    trace_text::write_trace(&mut text, pkt, &rep).unwrap();
    let mut json = Vec::new();
    trace_json::write_trace(&mut json, &rep).unwrap();
    (
        String::from_utf8(text).unwrap(),
        String::from_utf8(json).unwrap(),
    )
}

fn check(name: &str, rs: &Ruleset, pkt: &Packet) {
    let (text, json) = render(rs, pkt);
    // The JSON is valid and has exactly DESIGN.md's top-level keys (plus `nat`, `path` and
    // the wire format's `schema_version`).
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "alternatives",
            "decided_by",
            "nat",
            "order_dependent",
            "path",
            "schema_version",
            "steps",
            "uncertain",
            "verdict"
        ]
    );
    insta::assert_snapshot!(format!("{name}_text"), text);
    insta::assert_snapshot!(format!("{name}_json"), json);
}

#[test]
fn incident() {
    check("incident", &scenarios::incident(), &scenarios::pod_packet());
}

#[test]
fn mirror() {
    check("mirror", &scenarios::mirror(), &scenarios::pod_packet());
}

#[test]
fn fixed() {
    check("fixed", &scenarios::fixed(), &scenarios::pod_packet());
}

#[test]
fn native_vmap() {
    check(
        "native_vmap",
        &scenarios::native_vmap(),
        &scenarios::pod_packet(),
    );
}

#[test]
fn kube_proxy() {
    check(
        "kube_proxy",
        &scenarios::kube_proxy(),
        &scenarios::service_packet(),
    );
}

#[test]
fn order_dependent() {
    check(
        "order_dependent",
        &scenarios::order_dependent(),
        &scenarios::pod_packet(),
    );
}

#[test]
fn reach_incident() {
    let pattern = IfacePattern::Prefix("cali".into());
    let pkt = scenarios::pod_packet();
    let rep = reach(
        &scenarios::incident(),
        &pattern,
        &pkt,
        &TraceOptions::default(),
    )
    .unwrap();
    let mut text = Vec::new();
    trace_text::write_reach(&mut text, &pattern, &pkt, &rep).unwrap();
    let mut json = Vec::new();
    trace_json::write_reach(&mut json, &rep).unwrap();
    let json = String::from_utf8(json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["classes"].as_array().unwrap().len(), 3);
    assert_eq!(v["classes"][1]["example"], scenarios::NEW_POD);
    insta::assert_snapshot!("reach_incident_text", String::from_utf8(text).unwrap());
    insta::assert_snapshot!("reach_incident_json", json);
}

#[test]
fn reach_groups_classes_with_one_outcome() {
    use netfilter_model::model::Backend;
    let eps: Vec<String> = (0..12).map(|i| format!("cali{i:011x}")).collect();
    let refs: Vec<&str> = eps.iter().map(String::as_str).collect();
    let rs = builder::ruleset(vec![scenarios::calico_filter(Backend::Nft, &refs)]);
    let pattern = IfacePattern::Prefix("cali".into());
    let pkt = scenarios::pod_packet();
    let rep = reach(&rs, &pattern, &pkt, &TraceOptions::default()).unwrap();
    assert_eq!(rep.classes.len(), 13);
    let mut text = Vec::new();
    trace_text::write_reach(&mut text, &pattern, &pkt, &rep).unwrap();
    insta::assert_snapshot!("reach_grouped_text", String::from_utf8(text).unwrap());
}
