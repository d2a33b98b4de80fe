//! Snapshot tests of the diff renderers: the Calico incident in every format, and each op.

#[path = "../../../netfilter-model/tests/all/diff_fixtures.rs"]
mod diff_fixtures;

use diff_fixtures::*;
use netfilter_model::diff::{diff_rulesets, DiffOptions, RulesetDiff};
use netfilter_model::model::{Backend, Family};

use super::diff_view::DiffView;
use super::{diff_json, diff_markdown, diff_text};

fn view(all: bool, context: usize, color: bool) -> DiffView {
    DiffView {
        old_label: "legacy:node-7.iptables-legacy-save".into(),
        new_label: "nft:node-7.iptables-nft-save".into(),
        all,
        context,
        color,
    }
}

fn incident() -> RulesetDiff {
    let (legacy, nft) = calico_incident();
    diff_rulesets(&legacy, &nft, &DiffOptions::default())
}

fn text(d: &RulesetDiff, v: &DiffView) -> String {
    let mut out = Vec::new();
    diff_text::write(&mut out, d, v).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn incident_text() {
    let out = text(&incident(), &view(false, 3, false));
    assert!(!out.contains('\x1b'));
    assert!(out.contains("interfaces known only to OLD: caliNEW1234"));
    insta::assert_snapshot!(out);
}

#[test]
fn incident_text_context_one() {
    insta::assert_snapshot!(text(&incident(), &view(false, 1, false)));
}

#[test]
fn incident_json() {
    let mut out = Vec::new();
    diff_json::write(&mut out, &incident(), &view(false, 3, false)).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["equal"], false);
    assert_eq!(v["chains"][0]["chain"], "cali-from-wl-dispatch");
    assert_eq!(v["chains"][0]["status"], "changed");
    assert_eq!(v["chains"][0]["rules"][3]["op"], "delete");
    assert_eq!(v["chains"][2]["status"], "only_old");
    assert_eq!(v["summary"]["interfaces_only_old"][0], "caliNEW1234");
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn incident_markdown() {
    let mut out = Vec::new();
    diff_markdown::write(&mut out, &incident(), &view(false, 3, false)).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn colour_only_when_asked() {
    let d = incident();
    let out = text(&d, &view(false, 3, true));
    assert!(out.contains("\x1b[31m-    4       iifname \"caliNEW1234\""));
    assert!(out.contains("\x1b[1mchain cali-from-wl-dispatch:\x1b[0m"));
    assert!(out.contains("\x1b[36m@@ -1,5 +1,4 @@\x1b[0m"));
}

#[test]
fn every_op_in_every_format() {
    let old = one_table(
        Backend::Legacy,
        Family::Ip,
        "filter",
        vec![
            base(
                "INPUT",
                netfilter_model::model::Hook::Input,
                netfilter_model::model::Policy::Accept,
                vec![r().iif("lo").accept()],
            ),
            user(
                "c",
                vec![
                    r().iif("a").accept(),
                    r().iif("b").accept(),
                    r().iif("c").accept(),
                    r().iif("d").accept().comment("old"),
                    r().drop().comment("Unknown interface"),
                ],
            ),
            user("unchanged", vec![r().ret()]),
        ],
    );
    let new = one_table(
        Backend::Nft,
        Family::Ip,
        "filter",
        vec![
            base(
                "INPUT",
                netfilter_model::model::Hook::Input,
                netfilter_model::model::Policy::Drop,
                vec![r().iif("lo").accept()],
            ),
            user(
                "c",
                vec![
                    r().iif("b").accept(),
                    r().iif("c").accept(),
                    r().iif("e").accept(),
                    r().iif("a").accept(),
                    r().drop().lossy("comment not shown"),
                ],
            ),
            user("unchanged", vec![r().ret()]),
            user("fresh", vec![r().oif("e").accept()]),
        ],
    );
    let d = diff_rulesets(&old, &new, &DiffOptions::default());
    let v = view(true, 3, false);
    let mut md = Vec::new();
    diff_markdown::write(&mut md, &d, &v).unwrap();
    let mut js = Vec::new();
    diff_json::write(&mut js, &d, &v).unwrap();
    insta::assert_snapshot!("every_op_text", text(&d, &v));
    insta::assert_snapshot!("every_op_markdown", String::from_utf8(md).unwrap());
    insta::assert_snapshot!("every_op_json", String::from_utf8(js).unwrap());
}

#[test]
fn sets_and_objects() {
    let old = nft_sets(&["10.0.0.1", "10.0.0.2"], "25 mbytes", Some("caliZ9"));
    let new = nft_sets(&["10.0.0.2", "10.0.0.3"], "50 mbytes", None);
    let d = diff_rulesets(&old, &new, &DiffOptions::default());
    let v = view(false, 3, false);
    let mut md = Vec::new();
    diff_markdown::write(&mut md, &d, &v).unwrap();
    let mut js = Vec::new();
    diff_json::write(&mut js, &d, &v).unwrap();
    insta::assert_snapshot!("sets_text", text(&d, &v));
    insta::assert_snapshot!("sets_markdown", String::from_utf8(md).unwrap());
    insta::assert_snapshot!("sets_json", String::from_utf8(js).unwrap());
}

#[test]
fn equal_rulesets() {
    let a = calico_node(Backend::Legacy, &["caliA1"], false);
    let b = calico_node(Backend::Nft, &["caliA1"], false);
    let d = diff_rulesets(&a, &b, &DiffOptions::default());
    assert!(d.equal);
    let out = text(&d, &view(false, 3, false));
    assert!(!out.contains("chain "));
    insta::assert_snapshot!(out);
}
