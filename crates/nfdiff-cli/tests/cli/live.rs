//! `nfdiff show live:*` in fresh network namespaces (root only; skipped otherwise).

use std::process::Command;

fn can_unshare() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    root && Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn live_without_cap_net_admin_exits_2_naming_the_privilege() {
    if !can_unshare() {
        eprintln!("skipping: needs root and `unshare -n`");
        return;
    }
    let out = Command::new("unshare")
        .args([
            "-n",
            "setpriv",
            "--bounding-set=-net_admin",
            "--inh-caps=-net_admin",
            env!("CARGO_BIN_EXE_nfdiff"),
            "show",
            "live:nft",
        ])
        .output()
        .expect("run nfdiff");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if cfg!(feature = "netlink") {
        assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
        assert!(
            stderr.contains("reading nf_tables needs CAP_NET_ADMIN (run as root)"),
            "{stderr}"
        );
    } else {
        assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
        assert!(stderr.contains("without the `netlink` feature"), "{stderr}");
    }
}

#[cfg(feature = "netlink")]
#[test]
fn show_live_nft_json_in_a_fresh_namespace() {
    if !can_unshare() {
        eprintln!("skipping: needs root and `unshare -n`");
        return;
    }
    let script = format!(
        "printf 'table ip t {{\\n chain c {{\\n type filter hook input priority 0; policy drop;\\n \
         tcp dport 22 accept comment \"ssh\"\\n }}\\n}}\\n' | nft -f - && exec {} show live:nft --format json",
        env!("CARGO_BIN_EXE_nfdiff")
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .expect("run nfdiff");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let text = v.to_string();
    assert!(text.contains("tcp dport 22 accept"), "{text}");
    assert!(text.contains("\"ssh\""), "{text}");
}

#[cfg(feature = "netlink")]
#[test]
fn trace_live_reads_the_namespace_addresses() {
    if !can_unshare() {
        eprintln!("skipping: needs root and `unshare -n`");
        return;
    }
    // `fib daddr type local` and the auto path are decided with the namespace's addresses:
    // 10.9.0.1 is local (delivered through input), 10.9.0.2 is not (forwarded).
    let nfdiff = env!("CARGO_BIN_EXE_nfdiff");
    let script = format!(
        "ip link set lo up && ip link add d0 type veth peer name d1 && ip link set d0 up && \
         ip addr add 10.9.0.1/24 dev d0 && \
         printf 'table ip t {{\\n chain i {{\\n type filter hook input priority 0; policy drop;\\n \
         fib daddr type local accept\\n }}\\n}}\\n' | nft -f - && \
         {nfdiff} trace live:nft --iif d0 --oif d0 --src 10.9.0.7 --dst 10.9.0.1 --format json && \
         {nfdiff} trace live:nft --iif d0 --oif d0 --src 10.9.0.7 --dst 10.9.0.2 --format json"
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .expect("run nfdiff");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .map(|v| v.expect("json"))
        .collect();
    assert_eq!(reports.len(), 2, "{stdout}");
    assert_eq!(
        reports[0]["path"],
        serde_json::json!(["prerouting", "input"])
    );
    assert_eq!(reports[0]["verdict"], "accept");
    assert_eq!(reports[0]["uncertain"], false);
    assert_eq!(
        reports[1]["path"],
        serde_json::json!(["prerouting", "forward", "postrouting"])
    );
}
