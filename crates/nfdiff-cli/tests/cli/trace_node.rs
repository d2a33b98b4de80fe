//! `nfdiff trace` with the node's local addresses (`--local-addr`, snapshots), `--path auto`,
//! and every NAT outcome, on the kube-proxy flows fixture (`testdata/kube-proxy-flows`).

use super::support::{nfdiff, stderr, stdout};

const NODEPORT: &[&str] = &[
    "trace",
    "testdata/kube-proxy-flows/legacy.save",
    "--iif",
    "eth1",
    "--oif",
    "cali1a2b3c4d5e6",
    "--src",
    "192.168.50.2",
    "--dst",
    "192.168.50.1",
    "--proto",
    "tcp",
    "--sport",
    "40000",
    "--dport",
    "30080",
];

fn with(extra: &[&'static str]) -> Vec<&'static str> {
    NODEPORT
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

#[test]
fn local_addresses_decide_the_nodeport_and_list_every_endpoint() {
    let out = nfdiff(&with(&["--local-addr", "192.168.50.1/24"]), None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Possible NAT results (2):"), "{text}");
    assert!(
        text.contains("Path: prerouting -> forward -> postrouting"),
        "{text}"
    );
    insta::assert_snapshot!("trace_node_nodeport_text", text);
    let out = nfdiff(
        &with(&["--local-addr", "192.168.50.1/24", "--format", "json"]),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json["nat"]["masquerade"], true);
    assert_eq!(json["path"][1], "forward");
    assert_eq!(json["uncertain"], true);
    insta::assert_json_snapshot!("trace_node_nodeport_json", json);
}

#[test]
fn without_local_addresses_the_nodeport_is_in_doubt() {
    let out = nfdiff(&with(&["--format", "json"]), None);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let alts = json["alternatives"].as_array().unwrap();
    assert!(
        alts.iter().any(|a| a["nat"]["dnat"].is_null()),
        "a course without the NodePort DNAT: {json:#}"
    );
}

#[test]
fn a_snapshot_gives_its_local_addresses() {
    let dir = std::env::temp_dir().join(format!("nfdiff-trace-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("snap.json");
    let out = nfdiff(
        &[
            "snapshot",
            "-o",
            snap.to_str().unwrap(),
            "testdata/kube-proxy-flows/legacy.save",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // An offline snapshot has no addresses; record the node's as a live capture would.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    v["local_addrs"] = serde_json::json!([
        {"addr": "127.0.0.1", "prefix": 8, "loopback": true},
        {"addr": "192.168.50.1", "prefix": 24}
    ]);
    std::fs::write(&snap, v.to_string()).unwrap();
    let mut args = NODEPORT.to_vec();
    args[1] = snap.to_str().unwrap();
    let args: Vec<&str> = args.into_iter().chain(["--format", "json"]).collect();
    let out = nfdiff(&args, None);
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let alts = json["alternatives"].as_array().unwrap();
    assert!(alts.iter().all(|a| !a["nat"]["dnat"].is_null()), "{json:#}");
    assert!(!json["nat"]["dnat"].is_null());
}

#[test]
fn the_node_own_traffic_takes_the_output_path() {
    let out = nfdiff(
        &[
            "trace",
            "testdata/kube-proxy-flows/nft.json",
            "--local-addr",
            "192.168.50.1/24",
            "--oif",
            "cali1a2b3c4d5e6",
            "--src",
            "192.168.50.1",
            "--dst",
            "10.96.0.20",
            "--proto",
            "tcp",
            "--dport",
            "80",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Path: output -> postrouting"), "{text}");
    insta::assert_snapshot!("trace_node_output_text", text);
}

#[test]
fn bad_local_addresses_are_errors() {
    let out = nfdiff(&with(&["--local-addr", "eth0"]), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--local-addr"), "{}", stderr(&out));
    // An arriving packet without its input interface, once the node's addresses say so.
    let out = nfdiff(
        &[
            "trace",
            "testdata/kube-proxy-flows/legacy.save",
            "--local-addr",
            "192.168.50.1",
            "--src",
            "192.168.50.2",
            "--dst",
            "192.168.50.1",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("input interface"), "{}", stderr(&out));
}

#[test]
fn an_endpoint_on_the_node_itself_is_delivered_through_input() {
    // One endpoint is the node's own address: that course goes to input, the other forward.
    let rules = "table ip lb {\n\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\t\
        ip daddr 10.96.0.20 tcp dport 80 numgen random mod 2 vmap { 0 : jump local, 1 : jump pod }\n\t}\n\t\
        chain local {\n\t\tdnat to 192.168.50.1:8080\n\t}\n\tchain pod {\n\t\tdnat to 10.244.1.5:8080\n\t}\n}\n";
    let out = nfdiff(
        &[
            "trace",
            "-",
            "--local-addr",
            "192.168.50.1/24",
            "--iif",
            "eth1",
            "--oif",
            "cali5c4d3e2f1a0",
            "--src",
            "192.168.50.2",
            "--dst",
            "10.96.0.20",
            "--proto",
            "tcp",
            "--dport",
            "80",
        ],
        Some(rules),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("on the path prerouting -> "), "{text}");
    insta::assert_snapshot!("trace_node_local_endpoint_text", text);
}
