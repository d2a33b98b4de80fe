//! Snapshots of the `diff --semantic` renderers on hand-built reports (the command's own
//! output on the fixtures is snapshot by the CLI tests).

use netfilter_model::model::{Backend, Family, Protocol};
use netfilter_model::trace::{FinalVerdict, Packet, RuleRef, TracePath};

use super::{semantic_diff_json, semantic_diff_text};
use crate::semantic_diff_report::{Difference, SemanticDiffReport, SideFate};

fn rule(chain: &str, index: Option<usize>, text: &str, comment: Option<&str>) -> RuleRef {
    RuleRef {
        backend: Backend::Legacy,
        family: Family::Ip,
        table: "filter".into(),
        chain: chain.into(),
        index,
        policy: index.is_none(),
        rule: text.into(),
        comment: comment.map(Into::into),
    }
}

fn witness() -> Packet {
    let mut p = Packet::new("10.244.0.0".parse().unwrap(), "10.244.1.5".parse().unwrap());
    p.path = TracePath::Forward;
    p.iif = Some("eth1".into());
    p.oif = Some("cali5c4d3e2f1a0".into());
    p.proto = Some(Protocol::TCP);
    p.sport = Some(0);
    p.dport = Some(8080);
    p
}

fn report(differences: Vec<Difference>, uncertain: bool) -> SemanticDiffReport {
    SemanticDiffReport {
        old_label: "base.legacy.save".into(),
        new_label: "port changed.save".into(),
        by_rule: false,
        space: "forward path, any packet".into(),
        uncertain,
        differences,
        notes: if uncertain {
            vec!["the nat table's `-m statistic` matches were followed both ways".into()]
        } else {
            Vec::new()
        },
    }
}

fn port_changed(certain: bool, traced_new: Vec<FinalVerdict>) -> Difference {
    Difference {
        packets: vec![
            "iifname != \"cali*\" oifname \"cali5c4d3e2f1a0\" ip saddr 10.244.0.0/16 ip daddr 10.244.1.5 tcp dport 8080 ct state new".into(),
        ],
        more_packets: true,
        witness: witness(),
        old: SideFate {
            verdict: FinalVerdict::Accept,
            certain: true,
            deciding: vec![rule(
                "FORWARD",
                Some(4),
                "meta mark & 0x00010000 == 0x00010000 accept",
                Some("Policy explicitly accepted packet."),
            )],
            reasons: Vec::new(),
            traced: vec![FinalVerdict::Accept],
        },
        new: SideFate {
            verdict: FinalVerdict::Drop,
            certain,
            deciding: vec![
                rule("cali-tw-cali5c4d3e2f1a0", Some(6), "drop", None),
                rule("FORWARD", None, "policy drop", None),
            ],
            reasons: if certain {
                Vec::new()
            } else {
                vec!["legacy ip filter cali-tw-cali5c4d3e2f1a0 rule 3: `-m recent` is not decided".into()]
            },
            traced: traced_new,
        },
    }
}

fn render(rep: &SemanticDiffReport) -> (String, String) {
    let mut text = Vec::new();
    semantic_diff_text::write(&mut text, rep).unwrap();
    let mut json = Vec::new();
    semantic_diff_json::write(&mut json, rep).unwrap();
    let json = String::from_utf8(json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["equivalent"], rep.equivalent());
    (String::from_utf8(text).unwrap(), json)
}

#[test]
fn equivalent() {
    let (text, json) = render(&report(Vec::new(), false));
    insta::assert_snapshot!("semantic_equivalent_text", text);
    insta::assert_snapshot!("semantic_equivalent_json", json);
}

#[test]
fn a_certain_difference() {
    let (text, json) = render(&report(
        vec![port_changed(true, vec![FinalVerdict::Drop])],
        false,
    ));
    insta::assert_snapshot!("semantic_certain_text", text);
    insta::assert_snapshot!("semantic_certain_json", json);
}

#[test]
fn a_possible_difference_and_a_tracer_disagreement() {
    let (text, json) = render(&report(
        vec![port_changed(false, vec![FinalVerdict::Accept])],
        true,
    ));
    insta::assert_snapshot!("semantic_possible_text", text);
    insta::assert_snapshot!("semantic_possible_json", json);
}
