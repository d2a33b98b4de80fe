//! `nfdiff reach` without `--src`/`--dst`: the packet-space engine per interface class.

use std::process::Output;

use super::support::{nfdiff, stderr, stdout};

const INCIDENT: [&str; 2] = [
    "testdata/incident/legacy.save",
    "testdata/incident/nft.save",
];

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn reach(extra: &[&str]) -> Output {
    let mut args = vec![
        "reach",
        INCIDENT[0],
        INCIDENT[1],
        "--iif",
        "cali*",
        "--oif",
        "eth1",
    ];
    args.extend_from_slice(extra);
    nfdiff(&args, None)
}

#[test]
fn the_new_pods_interface_class_is_dropped_by_the_stale_dispatch() {
    // IPv4 only (a destination, no source): the incident's rules are all `ip` family.
    let o = reach(&[
        "--dst",
        "192.168.50.2",
        "--proto",
        "udp",
        "--dport",
        "5009",
        "--path",
        "forward",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    insta::assert_snapshot!("reach_space_incident_text", text);
    // The new pod's interface is its own class, and every packet of it is dropped by the
    // stale nf_tables dispatch chain; a pod the stale copy knows is accepted.
    let section = text
        .split("\n\n")
        .find(|s| s.contains("analysed as cali9f8e7d6c5b4"))
        .unwrap_or_else(|| panic!("no class for cali9f8e7d6c5b4:\n{text}"));
    assert!(
        section.contains("DROP by nft ip filter cali-from-wl-dispatch rule 3"),
        "{section}"
    );
    assert!(!section.contains("ACCEPT"), "{section}");
    let known = text
        .split("\n\n")
        .find(|s| s.contains("analysed as cali5c4d3e2f1a0"))
        .unwrap_or_else(|| panic!("no class for cali5c4d3e2f1a0:\n{text}"));
    assert!(
        known.contains("ACCEPT by") && !known.contains("DROP"),
        "{known}"
    );
}

#[test]
fn json_lists_each_interface_class_with_its_packet_classes() {
    let o = reach(&[
        "--proto", "udp", "--dport", "5009", "--path", "forward", "--format", "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("reach prints JSON");
    insta::assert_json_snapshot!("reach_space_incident_json", v);
    let classes = v["classes"].as_array().expect("classes");
    assert!(classes.len() >= 2, "{v}");
    for c in classes {
        let space = c["space"].as_array().expect("space");
        assert!(
            !space.is_empty(),
            "an interface class without packet classes: {c}"
        );
        for k in space {
            assert_eq!(k["witness"]["iif"], c["example"], "{k}");
            assert_eq!(k["witness"]["proto"], 17, "{k}");
            assert_eq!(k["witness"]["dport"], 5009, "{k}");
        }
    }
}

#[test]
fn a_destination_prefix_narrows_the_space_and_bad_flags_are_errors() {
    let o = reach(&["--dst", "10.0.0.0/8", "--path", "forward"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("witness: "), "{}", stdout(&o));
    for w in stdout(&o)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("witness: "))
    {
        let dst = w
            .split(" -> ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or("");
        assert!(
            dst.starts_with("10."),
            "witness outside --dst 10.0.0.0/8: {w}"
        );
    }
    let bad = reach(&["--dst", "10.0.0.0/99"]);
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("--dst `10.0.0.0/99`"),
        "{}",
        stderr(&bad)
    );
    let bad = reach(&["--dport", "80"]);
    assert_eq!(
        code(&bad),
        0,
        "a port without a protocol means tcp/udp/...: {}",
        stderr(&bad)
    );
    let bad = reach(&["--proto", "icmp", "--dport", "80"]);
    assert_eq!(code(&bad), 2);
    // trace still needs both addresses
    let t = nfdiff(
        &[
            "trace",
            INCIDENT[0],
            "--iif",
            "eth0",
            "--oif",
            "eth1",
            "--dst",
            "10.0.0.1",
        ],
        None,
    );
    assert_eq!(code(&t), 2);
    assert!(stderr(&t).contains("--src is required"), "{}", stderr(&t));
}
