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
