//! `nfdiff classes` decides what native-nft Calico dispatches through verdict maps, and
//! address types with the node's addresses (`--local-addr`): every class certain.

use super::support::{nfdiff, stderr, stdout};

const NATIVE: &str = "testdata/trace-kernel/native-current.nft";

#[test]
fn verdict_maps_dispatch_the_new_pod_exactly() {
    let args = [
        "classes",
        NATIVE,
        "--iif",
        "cali9f8e7d6c5b4",
        "--proto",
        "tcp",
        "--ct-state",
        "new",
    ];
    let o = nfdiff(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("0 depending on what nfdiff cannot decide"),
        "{text}"
    );
    assert!(text.contains("filter-cali-to-wl-dispatch"), "{text}");
    insta::assert_snapshot!("native_vmap_new_pod_text", text);
}

#[test]
fn address_types_with_the_node_addresses() {
    let base = [
        "classes",
        NATIVE,
        "--path",
        "input",
        "--iif",
        "eth0",
        "--proto",
        "4",
        "--src",
        "192.168.50.11",
    ];
    // Without the node's addresses the IPIP allowance is undecided.
    let o = nfdiff(&base, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("--local-addr"), "{}", stdout(&o));
    let mut args = base.to_vec();
    args.extend(["--local-addr", "192.168.50.10/24", "--format", "json"]);
    let o = nfdiff(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let classes = v["classes"].as_array().expect("classes");
    assert!(
        classes.iter().all(|c| c["certainty"] == "must"),
        "{}",
        stdout(&o)
    );
    insta::assert_snapshot!("native_fib_local_json", stdout(&o));
    let o = nfdiff(&["classes", NATIVE, "--local-addr", "10.0.0.1/33"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--local-addr"), "{}", stderr(&o));
}

#[test]
fn auto_path_routes_by_the_node_addresses() {
    let args = [
        "classes",
        NATIVE,
        "--path",
        "auto",
        "--local-addr",
        "192.168.50.10/24",
        "--iif",
        "eth0",
        "--oif",
        "eth0",
        "--proto",
        "tcp",
        "--dport",
        "22",
        "--ct-state",
        "new",
        "--src",
        "192.168.50.0/24",
        "--dst",
        "192.168.50.0/24",
    ];
    let o = nfdiff(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    // Sent by the node (from 192.168.50.10) and arriving (to it) are told apart.
    assert!(text.contains("filter-cali-OUTPUT rule 1"), "{text}");
    assert!(text.contains("host-firewall input rule 5"), "{text}");
    assert!(!text.contains("forward path was assumed"), "{text}");
    insta::assert_snapshot!("native_auto_path_text", text);
    // Without the node's addresses the path cannot be decided.
    let o = nfdiff(&["classes", NATIVE, "--path", "auto"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--local-addr"), "{}", stderr(&o));
}
