//! `nfdiff classes`: the packet-space partition of the bundled incident (the new pod's
//! traffic, which the stale nf_tables copy drops) and of a small ip6tables fixture, in text
//! and JSON; bad flags exit 2.

use super::support::{nfdiff, stderr, stdout};

const INCIDENT: &[&str] = &[
    "classes",
    "testdata/incident/legacy.save",
    "testdata/incident/nft.save",
    "--iif",
    "cali9f8e7d6c5b4",
    "--oif",
    "eth0",
    "--proto",
    "tcp",
    "--ct-state",
    "new",
];

#[test]
fn incident_new_pod_text() {
    let o = nfdiff(INCIDENT, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("cali-from-wl-dispatch rule 3"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn incident_new_pod_json() {
    let mut args = INCIDENT.to_vec();
    args.extend(["--format", "json"]);
    let o = nfdiff(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert!(v["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .any(|c| c["verdict"] == "drop" && c["witness"]["iif"] == "cali9f8e7d6c5b4"));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn small_fixture_input_path_text_and_json() {
    let args = ["classes", "testdata/basic/basic6.rules", "--path", "input"];
    let o = nfdiff(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("basic6_input_text", stdout(&o));
    let o = nfdiff(
        &[
            "classes",
            "testdata/basic/basic6.rules",
            "--path",
            "input",
            "--proto",
            "udp",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("basic6_input_udp_json", stdout(&o));
}

#[test]
fn bad_flags_exit_2() {
    for (flag, value, msg) in [
        ("--dport", "90-80", "the range is empty"),
        ("--src", "10.0.0.0/33", "expected an address"),
        ("--path", "auto", "fixed path"),
        ("--ct-state", "sleepy", "--ct-state"),
    ] {
        let o = nfdiff(
            &["classes", "testdata/basic/basic6.rules", flag, value],
            None,
        );
        assert_eq!(o.status.code(), Some(2), "{flag} {value}");
        assert!(stderr(&o).contains(msg), "{flag} {value}: {}", stderr(&o));
    }
}
