//! `nfdiff fleet` through the binary on fleets made with `rulegen::fleet`: every output format,
//! a tar stream on standard input, fingerprint files, corrupt inputs skipped by name, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use netfilter_model::fleet::{fingerprint_snapshot, FingerprintOptions};
use netfilter_model::parse::ParseOptions;
use rulegen::fleet::{node_snapshot, plan, NodeKind};

/// A fresh directory `CARGO_TARGET_TMPDIR/fleet-NAME` holding `fleet/` with `n` generated
/// nodes; returns it and the node kinds by name.
fn make_fleet(
    name: &str,
    n: usize,
    endpoints: usize,
    seed: u64,
) -> (PathBuf, Vec<(String, NodeKind)>) {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fleet-{name}"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(base.join("fleet")).expect("mkdir");
    let mut kinds = Vec::new();
    for p in plan(n, endpoints, seed) {
        let out = node_snapshot(&p);
        std::fs::write(
            base.join("fleet").join(format!("{}.json", p.name)),
            out.snapshot,
        )
        .expect("write");
        kinds.push((p.name, p.kind));
    }
    (base, kinds)
}

/// Runs `nfdiff ARGS` in `dir` with `stdin` bytes.
fn run(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nfdiff"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nfdiff runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("piped");
        pipe.write_all(bytes).expect("stdin accepts input");
    }
    child.wait_with_output().expect("nfdiff finishes")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

/// Adds a truncated snapshot and a file that is no snapshot to `base/fleet`.
fn add_bad_inputs(base: &Path) {
    let good = std::fs::read_to_string(base.join("fleet/node-0002.json")).expect("read");
    std::fs::write(base.join("fleet/node-0005b.json"), &good[..good.len() / 3]).expect("write");
    std::fs::write(base.join("fleet/notes.txt"), "collected on Friday\n").expect("write");
}

#[test]
fn small_fleet_in_every_format() {
    let (base, kinds) = make_fleet("formats", 12, 6, 4);
    add_bad_inputs(&base);
    for format in ["text", "json", "markdown"] {
        let o = run(&base, &["fleet", "fleet", "--format", format], None);
        assert_eq!(code(&o), 1, "{format}: {}", text(&o.stderr));
        insta::assert_snapshot!(format!("fleet_{format}"), text(&o.stdout));
        let err = text(&o.stderr);
        assert!(
            err.contains("skipped fleet/node-0005b.json: fleet/node-0005b.json:1:"),
            "{err}"
        );
        assert!(
            err.contains("skipped fleet/notes.txt: not an nfdiff snapshot"),
            "{err}"
        );
    }
    let j = json(&run(&base, &["fleet", "fleet", "--format", "json"], None));
    let mut critical: Vec<String> = j["critical_nodes"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("name").to_string())
        .collect();
    critical.sort();
    let broken: Vec<String> = kinds
        .iter()
        .filter(|(_, k)| matches!(k, NodeKind::StaleBackend | NodeKind::MissingEndpoint))
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(critical, broken);
    assert_eq!(j["nodes"], 12);
    assert_eq!(j["skipped"].as_array().map(Vec::len), Some(2));
}

#[test]
fn tar_stream_on_stdin_and_fingerprint_files_give_the_same_fleet() {
    let (base, _) = make_fleet("tar", 10, 5, 8);
    let by_dir = json(&run(&base, &["fleet", "fleet", "--format", "json"], None));
    // `kubectl exec ... -- tar cf - fleet` as a stream.
    let mut tar = tar::Builder::new(Vec::new());
    tar.append_dir_all("fleet", base.join("fleet"))
        .expect("tar");
    let bytes = tar.into_inner().expect("tar");
    let o = run(&base, &["fleet", "-", "--format", "json"], Some(&bytes));
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    let by_tar = json(&o);
    assert_eq!(by_tar["groups"], by_dir["groups"]);
    assert_eq!(by_tar["critical_nodes"], by_dir["critical_nodes"]);
    assert!(by_tar["outliers"][0]["source"]
        .as_str()
        .expect("source")
        .starts_with("-:fleet/node-"));

    // The same nodes as fingerprints (what `/fingerprint` serves), one file of JSON Lines.
    let mut jsonl = String::new();
    let mut files: Vec<_> = std::fs::read_dir(base.join("fleet"))
        .expect("list")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in &files {
        let snap = std::fs::read_to_string(f).expect("read");
        let fp = fingerprint_snapshot(
            &snap,
            &ParseOptions::new(f.display().to_string()),
            &FingerprintOptions::default(),
        )
        .expect("fingerprint");
        jsonl.push_str(&serde_json::to_string(&fp).expect("JSON"));
        jsonl.push('\n');
    }
    std::fs::write(base.join("fleet.jsonl"), &jsonl).expect("write");
    let o = run(&base, &["fleet", "fleet.jsonl", "--format", "json"], None);
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    let by_fp = json(&o);
    assert_eq!(by_fp["groups"], by_dir["groups"]);
    assert_eq!(
        by_fp["outliers"][0]["findings"],
        by_dir["outliers"][0]["findings"]
    );
    // `--save-fingerprints` writes the same lines while it reads the snapshots.
    let o = run(
        &base,
        &["fleet", "fleet", "--save-fingerprints", "saved.jsonl"],
        None,
    );
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(base.join("saved.jsonl")).expect("saved"),
        jsonl
    );
    // A broken line part-way: the nodes before it count, the file is reported with the line.
    let lines: Vec<&str> = jsonl.lines().collect();
    let broken = format!(
        "{}\n{}\n{{\"nfdiff_fingerprint\": 1, \"node\": \n{}\n",
        lines[0], lines[1], lines[2]
    );
    std::fs::write(base.join("broken.jsonl"), broken).expect("write");
    let o = run(&base, &["fleet", "broken.jsonl", "--format", "json"], None);
    let j = json(&o);
    assert_eq!(j["nodes"], 2, "{}", text(&o.stderr));
    let err = j["skipped"][0]["error"].as_str().expect("error");
    assert!(err.starts_with("broken.jsonl:4:"), "{err}");
    // Kilobytes per node.
    assert!(jsonl.len() / files.len() < 10_000, "{} bytes", jsonl.len());
}

#[test]
fn healthy_nodes_exit_0_and_nothing_readable_exits_2() {
    let (base, kinds) = make_fleet("exit", 10, 4, 2);
    let healthy: Vec<String> = kinds
        .iter()
        .filter(|(_, k)| *k == NodeKind::HealthyNft)
        .take(3)
        .map(|(n, _)| format!("fleet/{n}.json"))
        .collect();
    let mut args = vec!["fleet"];
    args.extend(healthy.iter().map(String::as_str));
    let o = run(&base, &args, None);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(text(&o.stdout)
        .starts_with("Fleet: 3 node(s) in 1 configuration(s).\nNo node has a critical finding."));

    std::fs::write(base.join("garbage.json"), "{\"nfdiff_snapshot\": 1, ").expect("write");
    let o = run(&base, &["fleet", "garbage.json", "missing-dir"], None);
    assert_eq!(code(&o), 2);
    let err = text(&o.stderr);
    assert!(
        err.contains("skipped garbage.json: garbage.json:1:"),
        "{err}"
    );
    assert!(
        err.contains("skipped missing-dir: cannot read missing-dir"),
        "{err}"
    );
    assert!(err.contains("no node could be read"), "{err}");
    assert!(o.stdout.is_empty());

    let o = run(&base, &["fleet", "-"], Some(&[0x1f, 0x8b, 8, 0, 0]));
    assert_eq!(code(&o), 2);
    assert!(text(&o.stderr).contains("gunzip"), "{}", text(&o.stderr));
}

#[test]
fn corrupt_snapshot_among_a_thousand_is_skipped_by_name() {
    let (base, kinds) = make_fleet("thousand", 1000, 3, 5);
    let good = std::fs::read_to_string(base.join("fleet/node-0500.json")).expect("read");
    // Valid JSON, but its legacy ruleset has a bad line.
    let bad = good.replacen("-A FORWARD", "-A FORWARD --no-such-option", 1);
    assert_ne!(bad, good);
    std::fs::write(base.join("fleet/node-0500.json"), bad).expect("write");
    let o = run(&base, &["fleet", "fleet", "--format", "json"], None);
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    let j = json(&o);
    assert_eq!(j["nodes"], 999);
    let skipped = j["skipped"].as_array().expect("array");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["source"], "fleet/node-0500.json");
    let error = skipped[0]["error"].as_str().expect("error");
    assert!(error.starts_with("fleet/node-0500.json#"), "{error}");
    assert!(error.contains("no-such-option"), "{error}");
    let broken = kinds
        .iter()
        .filter(|(n, k)| {
            n != "node-0500" && matches!(k, NodeKind::StaleBackend | NodeKind::MissingEndpoint)
        })
        .count();
    assert_eq!(j["critical_nodes"].as_array().map(Vec::len), Some(broken));
}
