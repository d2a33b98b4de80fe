//! `nfdiff show`: snapshots of every fixture in both formats, errors and exit statuses.

use super::support::{nfdiff, stderr, stdout};

/// Every fixture file `show` must read: each captured listing of every fixture.
const FIXTURES: &[&str] = &[
    "testdata/basic/basic.rules",
    "testdata/basic/basic6.rules",
    "testdata/calico/legacy.save",
    "testdata/calico/nft.save",
    "testdata/calico/nft.txt",
    "testdata/calico/nft.json",
    "testdata/calico6/legacy.save",
    "testdata/calico6/nft.save",
    "testdata/calico6/nft.txt",
    "testdata/calico6/nft.json",
    "testdata/kube-proxy/legacy.save",
    "testdata/kube-proxy/nft.save",
    "testdata/kube-proxy/nft.txt",
    "testdata/kube-proxy/nft.json",
    "testdata/incident/legacy.save",
    "testdata/incident/nft.save",
    "testdata/incident/nft.txt",
    "testdata/incident/nft.json",
    "testdata/native-nft/ruleset.nft",
    "testdata/native-nft/nft.txt",
    "testdata/native-nft/nft.json",
];

fn snapshot_name(path: &str, format: &str) -> String {
    format!(
        "show_{}_{format}",
        path.trim_start_matches("testdata/")
            .replace(['/', '.'], "_")
    )
}

#[test]
fn show_text_of_every_fixture() {
    for path in FIXTURES {
        let out = nfdiff(&["show", path], None);
        assert!(out.status.success(), "{path}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("table "), "{path}: no table in output");
        insta::assert_snapshot!(snapshot_name(path, "text"), text);
    }
}

#[test]
fn show_json_of_every_fixture() {
    for path in FIXTURES {
        let out = nfdiff(&["show", "--format", "json", path], None);
        assert!(out.status.success(), "{path}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        assert_eq!(json["schema_version"], 1);
        assert!(!json["tables"].as_array().expect("tables").is_empty());
        insta::assert_json_snapshot!(snapshot_name(path, "json"), json);
    }
}

#[test]
fn backend_comes_from_the_header_or_the_prefix() {
    let legacy = nfdiff(
        &["show", "--format", "json", "testdata/calico/legacy.save"],
        None,
    );
    let nft = nfdiff(
        &["show", "--format", "json", "testdata/calico/nft.save"],
        None,
    );
    let forced = nfdiff(
        &[
            "show",
            "--format",
            "json",
            "nft:testdata/calico/legacy.save",
        ],
        None,
    );
    let backend = |o: &std::process::Output| -> String {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        v["tables"][0]["backend"]
            .as_str()
            .expect("backend")
            .to_string()
    };
    assert_eq!(backend(&legacy), "legacy");
    assert_eq!(backend(&nft), "nft");
    assert_eq!(backend(&forced), "nft");
}

#[test]
fn reads_standard_input() {
    let input = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n";
    let out = nfdiff(&["show", "-"], Some(input));
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out), @r#"
    table ip filter {  # legacy
    	chain INPUT {
    		type filter hook input priority filter; policy drop;
    		iifname "lo" accept
    	}
    }
    "#);
}

#[test]
fn bad_input_exits_2_with_source_line_and_column() {
    let input = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.300 -j ACCEPT\nCOMMIT\n";
    let out = nfdiff(&["show", "-"], Some(input));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout for an error");
    let err = stderr(&out);
    assert!(err.starts_with("nfdiff: <stdin>:3:"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn missing_file_and_bad_source_exit_2() {
    let out = nfdiff(&["show", "testdata/does-not-exist"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("testdata/does-not-exist"));
    let out = nfdiff(&["show", "live:bogus"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("live:bogus"), "{}", stderr(&out));
    let out = nfdiff(&["show"], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing SOURCE is a usage error"
    );
}

#[test]
fn unknown_format_is_an_error_not_an_empty_ruleset() {
    let out = nfdiff(&["show", "-"], Some("hello world\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot tell the format"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn broken_pipe_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_nfdiff"))
        .args(["show", "testdata/kube-proxy/legacy.save"])
        .current_dir(super::support::repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Read one byte, then close the pipe as `| head -c1` would.
    let mut one = [0u8; 1];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut one)
        .expect("some output");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}
