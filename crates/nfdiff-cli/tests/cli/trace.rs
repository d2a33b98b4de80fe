//! `nfdiff trace` on the kernel trace tests' captures (`testdata/trace-kernel/captures/`):
//! the dumps the kernel printed after each scenario's first probe, whose verdicts the
//! library's kernel differential test checks against real packets. Snapshots in text and JSON.

use super::support::{nfdiff, stderr, stdout};

/// A scenario: its capture directory name, the packet, the verdict the kernel gave that
/// packet and the chain of the rule that decided it.
struct Scenario {
    name: &'static str,
    packet: &'static [&'static str],
    kernel_verdict: &'static str,
    decided_chain: &'static str,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "incident",
        packet: &[
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
            "--sport",
            "20001",
            "--dport",
            "5009",
        ],
        kernel_verdict: "drop",
        decided_chain: "cali-from-wl-dispatch",
    },
    Scenario {
        name: "mirror",
        packet: &[
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
            "--sport",
            "20001",
            "--dport",
            "5009",
        ],
        kernel_verdict: "drop",
        decided_chain: "cali-from-wl-dispatch",
    },
    Scenario {
        name: "fixed",
        packet: &[
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
            "--sport",
            "20001",
            "--dport",
            "5009",
        ],
        kernel_verdict: "accept",
        decided_chain: "FORWARD",
    },
    Scenario {
        name: "native-vmap",
        packet: &[
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
            "--sport",
            "20001",
            "--dport",
            "5009",
        ],
        kernel_verdict: "drop",
        decided_chain: "cali-from-wl-dispatch",
    },
    Scenario {
        name: "kube-proxy-dnat",
        packet: &[
            "--iif",
            "eth1",
            "--oif",
            "cali5c4d3e2f1a0",
            "--src",
            "192.168.50.2",
            "--dst",
            "10.96.0.10",
            "--proto",
            "udp",
            "--sport",
            "20001",
            "--dport",
            "53",
        ],
        kernel_verdict: "accept",
        decided_chain: "KUBE-FORWARD",
    },
];

fn args<'a>(sc: &'a Scenario, src: &'a [String], json: bool) -> Vec<&'a str> {
    let mut a = vec!["trace"];
    a.extend(src.iter().map(String::as_str));
    a.extend_from_slice(sc.packet);
    if json {
        a.extend_from_slice(&["--format", "json"]);
    }
    a
}

/// The capture's dumps as sources; an empty dump (a backend without tables) is left out.
fn sources(sc: &Scenario) -> Vec<String> {
    let d = format!("testdata/trace-kernel/captures/{}", sc.name);
    [("legacy", "legacy.save"), ("nft", "nft.txt")]
        .into_iter()
        .filter(|(_, f)| {
            let p = super::support::repo_root().join(&d).join(f);
            std::fs::read_to_string(p).is_ok_and(|t| !t.trim().is_empty())
        })
        .map(|(b, f)| format!("{b}:{d}/{f}"))
        .collect()
}

#[test]
fn trace_text_of_the_kernel_scenarios() {
    for sc in SCENARIOS {
        let src = sources(sc);
        let out = nfdiff(&args(sc, &src, false), None);
        assert!(out.status.success(), "{}: {}", sc.name, stderr(&out));
        let text = stdout(&out);
        assert!(
            text.lines()
                .nth(2)
                .is_some_and(|l| l.starts_with(&sc.kernel_verdict.to_uppercase())),
            "{}: the kernel's verdict {} is not the trace's:\n{text}",
            sc.name,
            sc.kernel_verdict
        );
        insta::assert_snapshot!(
            format!("trace_kernel_{}_text", sc.name.replace('-', "_")),
            text
        );
    }
}

#[test]
fn trace_json_of_the_kernel_scenarios() {
    for sc in SCENARIOS {
        let src = sources(sc);
        let out = nfdiff(&args(sc, &src, true), None);
        assert!(out.status.success(), "{}: {}", sc.name, stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        assert_eq!(json["verdict"], sc.kernel_verdict, "{}", sc.name);
        assert_eq!(json["decided_by"]["chain"], sc.decided_chain, "{}", sc.name);
        insta::assert_json_snapshot!(
            format!("trace_kernel_{}_json", sc.name.replace('-', "_")),
            json
        );
    }
}
