//! The library's example tools (crates/netfilter-model/examples/), built by `cargo test` with
//! the workspace: written against the public API only, their JSON equals the command line's
//! byte for byte, because both serialize the same `netfilter_model::wire` types.

use std::path::PathBuf;
use std::process::{Command, Output};

use super::support::{nfdiff, repo_root, stdout};

/// An example binary next to this test binary's directory, or `None` (with the command that
/// builds it) when this run did not build the library's examples.
fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("examples").join(name);
    if p.exists() {
        Some(p)
    } else {
        println!(
            "example `{name}` not built in this run (it is with `cargo test --workspace`; or run \
             `cargo build -p netfilter-model --examples`): skipped"
        );
        None
    }
}

fn run(bin: &PathBuf, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().expect("run example")
}

fn testdata(p: &str) -> String {
    repo_root().join("testdata").join(p).display().to_string()
}

#[test]
fn diff_reporter_prints_the_cli_json() {
    let Some(bin) = example("diff_report") else {
        return;
    };
    let (old, new) = (
        testdata("incident/legacy.save"),
        testdata("incident/nft.save"),
    );
    let ours = run(&bin, &[&old, &new]);
    let cli = nfdiff(&["diff", &old, &new, "--format", "json"], None);
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(cli.status.code(), Some(1));
    assert_eq!(
        stdout(&ours),
        stdout(&cli),
        "diff JSON differs from the CLI's"
    );
    assert!(stdout(&ours).starts_with("{\n  \"schema_version\": 1,"));
}

#[test]
fn json_tracer_prints_the_cli_json() {
    let Some(bin) = example("trace_json") else {
        return;
    };
    let (legacy, nft) = (
        testdata("incident/legacy.save"),
        testdata("incident/nft.save"),
    );
    let packet = [
        "--iif",
        "cali9f8e7d6c5b4",
        "--oif",
        "eth1",
        "--src",
        "10.244.1.9",
        "--dst",
        "192.168.50.2",
        "--proto",
        "udp",
        "--dport",
        "5009",
    ];
    let mut args: Vec<&str> = packet.to_vec();
    args.extend([legacy.as_str(), nft.as_str()]);
    let ours = run(&bin, &args);
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let mut cli_args = vec!["trace", legacy.as_str(), nft.as_str()];
    cli_args.extend(packet);
    cli_args.extend(["--format", "json"]);
    let cli = nfdiff(&cli_args, None);
    assert_eq!(
        stdout(&ours),
        stdout(&cli),
        "trace JSON differs from the CLI's"
    );
    // A bad query is the library's error, not a guess.
    let bad = run(&bin, &["--src", "10.0.0.1", "--dst", "::1", &legacy]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("IPv4 or both IPv6"));
}

#[test]
fn interface_prefix_drop_scan() {
    let Some(bin) = example("iface_drops") else {
        return;
    };
    // As `nft -j list ruleset` (nftables 1.0.6) writes `iifname "cali*" drop` and
    // `iifname "eth0" drop`: only the prefix is reported.
    let dump = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
{"table": {"family": "ip", "name": "filter", "handle": 1}},
{"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
{"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 2, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "cali*"}}, {"drop": null}]}},
{"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 3, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}}, {"drop": null}]}}]}"#;
    let file = std::env::temp_dir().join(format!("nfdiff-iface-drops-{}.json", std::process::id()));
    std::fs::write(&file, dump).unwrap();
    let o = run(&bin, &[&file.display().to_string()]);
    let _ = std::fs::remove_file(&file);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["chain"], "FORWARD");
    assert_eq!(v[0]["index"], 1);
    assert_eq!(v[0]["interfaces"][0], "cali*");
    // iptables-save text is not nft JSON: a positioned error, exit 2.
    let o = run(&bin, &[&testdata("incident/legacy.save")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("looks like iptables-save output"));
}
