//! `nfdiff diff --semantic` on the fixtures of `testdata/space-equivalence`: equivalent pairs
//! exit 0, the others exit 1 with witnesses that `nfdiff trace` confirms on both sides.

use serde_json::Value;

use super::support::{nfdiff, stderr, stdout};

const D: &str = "testdata/space-equivalence";

fn fixture(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("../") {
        format!("testdata/{rest}")
    } else {
        format!("{D}/{name}")
    }
}

/// Runs `nfdiff diff --semantic OLD NEW EXTRA...`.
fn semantic(old: &str, new: &str, extra: &[&str]) -> std::process::Output {
    let (old, new) = (fixture(old), fixture(new));
    let mut args = vec!["diff", "--semantic", old.as_str(), new.as_str()];
    args.extend_from_slice(extra);
    nfdiff(&args, None)
}

fn json(old: &str, new: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let o = semantic(old, new, &args);
    let v = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| {
        panic!(
            "{old} vs {new}: not JSON ({e}); stderr:\n{}\nstdout:\n{}",
            stderr(&o),
            stdout(&o)
        )
    });
    (o.status.code().expect("exit code"), v)
}

/// The same firewall, listed or written differently.
const EQUIVALENT: &[(&str, &str)] = &[
    ("base.legacy.save", "base.nft.save"),
    ("base.legacy.save", "base.nft.txt"),
    ("base.legacy.save", "base-native.txt"),
    ("base.nft.save", "base-native.json"),
    ("reorder-a.legacy.save", "reorder-b.legacy.save"),
    ("reorder-a.nft.txt", "reorder-b.nft.txt"),
    ("inline-a.legacy.save", "inline-b.legacy.save"),
    ("inline-a.nft.save", "inline-b.nft.txt"),
    ("multiport-a.legacy.save", "multiport-b.legacy.save"),
    ("multiport-a.legacy.save", "multiport-b-native.json"),
    ("multiport-a.nft.txt", "multiport-b-native.txt"),
];

#[test]
fn equivalent_fixtures_exit_0() {
    for (old, new) in EQUIVALENT {
        let (code, v) = json(old, new, &[]);
        assert_eq!(
            (code, &v["equivalent"]),
            (0, &Value::Bool(true)),
            "{old} vs {new}:\n{v:#}"
        );
        assert_eq!(v["differences"].as_array().map(Vec::len), Some(0));
    }
}

/// Pairs that differ (the fixture README documents a witness of each).
const REFUTED: &[(&str, &str)] = &[
    ("base.legacy.save", "port-changed.legacy.save"),
    ("base.nft.txt", "port-changed.nft.save"),
    ("base-native.json", "port-changed.legacy.save"),
    ("reorder-a.legacy.save", "reorder-overlap.legacy.save"),
    ("reorder-a.nft.save", "reorder-overlap.nft.txt"),
    ("../incident/legacy.save", "../incident/nft.save"),
];

/// The verdicts `nfdiff trace SOURCE ARGS --format json` holds possible.
fn traced(source: &str, args: &str) -> Vec<String> {
    let mut a: Vec<&str> = vec!["trace", source];
    a.extend(args.split(' '));
    a.extend(["--format", "json"]);
    let o = nfdiff(&a, None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "nfdiff {}: {}",
        a.join(" "),
        stderr(&o)
    );
    let v: Value = serde_json::from_str(&stdout(&o)).expect("trace JSON");
    let mut out = vec![v["verdict"].as_str().expect("verdict").to_string()];
    for alt in v["alternatives"].as_array().expect("alternatives") {
        out.push(alt["verdict"].as_str().expect("verdict").to_string());
    }
    out
}

#[test]
fn refuted_fixtures_exit_1_with_witnesses_the_tracer_confirms() {
    for (old, new) in REFUTED {
        let (code, v) = json(old, new, &[]);
        assert_eq!(
            (code, &v["equivalent"]),
            (1, &Value::Bool(false)),
            "{old} vs {new}:\n{v:#}"
        );
        let diffs = v["differences"].as_array().expect("differences");
        assert!(!diffs.is_empty());
        assert!(
            diffs.iter().any(|d| d["certain"] == Value::Bool(true)),
            "{old} vs {new}: no certain difference:\n{v:#}"
        );
        for d in diffs {
            let args = d["trace_args"].as_str().expect("trace_args");
            for (side, src) in [("old", fixture(old)), ("new", fixture(new))] {
                let claimed = d[side]["verdict"].as_str().expect("verdict");
                let got = traced(&src, args);
                assert!(
                    d[side]["confirmed"] == Value::Bool(true) && got.iter().any(|g| g == claimed),
                    "{old} vs {new}: the {side} side claims {claimed} for `{args}` but the tracer gives {got:?}"
                );
                if d[side]["certainty"] == "must" {
                    assert!(
                        got.iter().all(|g| g == claimed),
                        "{old} vs {new}: must {claimed} on the {side} side, tracer {got:?} for `{args}`"
                    );
                }
            }
        }
    }
}

/// Whether some certain difference has a witness with these interfaces and verdicts.
fn has_difference(v: &Value, iif: Option<&str>, oif: Option<&str>, old: &str, new: &str) -> bool {
    v["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .any(|d| {
            d["certain"] == Value::Bool(true)
                && iif.is_none_or(|i| d["witness"]["iif"] == i)
                && oif.is_none_or(|o| d["witness"]["oif"] == o)
                && d["old"]["verdict"] == old
                && d["new"]["verdict"] == new
        })
}

#[test]
fn the_incident_differs_for_the_new_pods_interface() {
    let (code, v) = json("../incident/legacy.save", "../incident/nft.save", &[]);
    assert_eq!(code, 1);
    assert!(
        has_difference(&v, Some("cali9f8e7d6c5b4"), None, "accept", "drop"),
        "no certain accept -> drop class from cali9f8e7d6c5b4:\n{v:#}"
    );
    // Every certain accept -> drop class from a pod interface has the stale dispatch chain's
    // "Unknown interface" drop on the nft side.
    for d in v["differences"].as_array().expect("differences") {
        if d["certain"] == true
            && d["old"]["verdict"] == "accept"
            && d["witness"]["iif"] == "cali9f8e7d6c5b4"
        {
            let chains: Vec<&str> = d["new"]["decided_by"]
                .as_array()
                .expect("decided_by")
                .iter()
                .filter_map(|r| r["chain"].as_str())
                .collect();
            assert!(
                chains.iter().any(|c| c.starts_with("cali-from-wl-dispatch")
                    || c.starts_with("cali-to-wl-dispatch")),
                "{d:#}"
            );
        }
    }
}

#[test]
fn the_port_change_differs_towards_the_pod() {
    let (_, v) = json("base.legacy.save", "port-changed.legacy.save", &[]);
    assert!(
        has_difference(&v, None, Some("cali5c4d3e2f1a0"), "accept", "drop"),
        "{v:#}"
    );
    assert!(
        has_difference(&v, None, Some("cali5c4d3e2f1a0"), "drop", "accept"),
        "{v:#}"
    );
}

#[test]
fn the_semantic_diff_text_of_the_port_change() {
    let o = semantic("base.legacy.save", "port-changed.legacy.save", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn the_semantic_diff_text_of_an_equivalent_pair() {
    let o = semantic("multiport-a.legacy.save", "multiport-b-native.json", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn by_rule_tells_rewritten_rules_apart() {
    // Same verdicts, other deciding rules: equal without --by-rule, different with it.
    let (code, v) = json(
        "multiport-a.legacy.save",
        "multiport-b.legacy.save",
        &["--by-rule"],
    );
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["by_rule"], true);
    for d in v["differences"].as_array().expect("differences") {
        assert_eq!(d["old"]["verdict"], d["new"]["verdict"], "{d:#}");
    }
    // A reordering of disjoint rules keeps every packet's deciding rule.
    let (code, v) = json(
        "reorder-a.legacy.save",
        "reorder-b.legacy.save",
        &["--by-rule"],
    );
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn a_lossy_listing_is_not_proven_different() {
    // nft -j shows iptables-nft's xt matches by name only: nothing certain differs.
    let (_, v) = json("base.legacy.save", "base.nft.json", &[]);
    assert_eq!(v["summary"]["certain"], 0, "{v:#}");
    assert_eq!(v["uncertain"], true, "{v:#}");
}

#[test]
fn semantic_flags_are_checked() {
    let o = nfdiff(
        &[
            "diff",
            "--by-rule",
            &fixture("base.legacy.save"),
            &fixture("base.nft.txt"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--semantic"), "{}", stderr(&o));
    let o = semantic(
        "base.legacy.save",
        "base.nft.txt",
        &["--format", "markdown"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("markdown"), "{}", stderr(&o));
    let o = semantic("base.legacy.save", "/nonexistent/new.save", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/new.save"),
        "{}",
        stderr(&o)
    );
}

/// `diff --semantic` of a legacy dump against the live nf_tables of a fresh namespace.
#[cfg(feature = "netlink")]
#[test]
fn a_legacy_dump_against_live_nft() {
    use std::process::Command;
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root
        || !Command::new("unshare")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success())
    {
        eprintln!("skipping: needs root and `unshare -n`");
        return;
    }
    let root_dir = super::support::repo_root();
    let bin = env!("CARGO_BIN_EXE_nfdiff");
    let script = format!(
        "iptables-nft-restore < {D}/base.rules && \
         {bin} diff --semantic {D}/base.legacy.save live:nft >/dev/null; echo same=$?; \
         {bin} diff --semantic {D}/port-changed.legacy.save live:nft --format json"
    );
    let o = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .current_dir(root_dir)
        .output()
        .expect("run unshare");
    let out = String::from_utf8_lossy(&o.stdout);
    let (first, rest) = out.split_once('\n').expect("two outputs");
    assert_eq!(first, "same=0", "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_str(rest).expect("JSON");
    assert!(
        has_difference(&v, None, Some("cali5c4d3e2f1a0"), "drop", "accept"),
        "{v:#}"
    );
}

/// nft 1.0.6's JSON listing of iptables-nft rules loses the options of xt matches
/// (`xt:conntrack`): against such a listing equivalence cannot be proven, and the engine says
/// so with *may* differences only, never a certain one.
#[test]
fn a_lossy_json_listing_gives_possible_differences_not_certain_ones() {
    let (code, v) = json("reorder-a.nft.txt", "reorder-b.nft.json", &[]);
    assert_eq!(code, 1, "{v:#}");
    let diffs = v["differences"].as_array().expect("differences");
    assert!(!diffs.is_empty(), "{v:#}");
    assert!(
        diffs.iter().all(|d| d["certain"] == Value::Bool(false)),
        "a certain difference against a lossy listing:\n{v:#}"
    );
}
