//! `nfdiff doctor` and `nfdiff snapshot` through the binary: the incident and a healthy node in
//! every output format, offline snapshots, and (as root) live namespace scenarios.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::support::{nfdiff, repo_root, stderr, stdout};

const INCIDENT: [&str; 2] = [
    "testdata/incident/legacy.save",
    "testdata/incident/nft.save",
];
const HEALTHY: &str = "testdata/calico/legacy.save";

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn doctor(sources: &[&str], format: &str) -> std::process::Output {
    let mut args = vec!["doctor"];
    args.extend_from_slice(sources);
    args.extend_from_slice(&["--format", format]);
    nfdiff(&args, None)
}

#[test]
fn incident_in_every_format() {
    for format in ["text", "json", "prometheus"] {
        let o = doctor(&INCIDENT, format);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        insta::assert_snapshot!(format!("incident_{format}"), stdout(&o));
    }
}

#[test]
fn healthy_node_in_every_format() {
    for format in ["text", "json", "prometheus"] {
        let o = doctor(&[HEALTHY], format);
        assert_eq!(code(&o), 0, "{format}: {}", stderr(&o));
        insta::assert_snapshot!(format!("healthy_{format}"), stdout(&o));
    }
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&doctor(&[HEALTHY], "json"))).expect("JSON");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn incident_text_says_what_happened_and_what_to_do() {
    let text = stdout(&doctor(&INCIDENT, "text"));
    let first_paragraph: String = text
        .split("\n\n")
        .nth(1)
        .expect("an explanation paragraph")
        .replace('\n', " ");
    for needle in [
        "cali9f8e7d6c5b4",
        "dropped by the nft backend",
        "table ip filter",
        "chain cali-from-wl-dispatch, rule 3",
        "\"Unknown interface\"",
        "would choose legacy",
        "FELIX_IPTABLESBACKEND=NFT",
        "clean up the stale legacy rules (or reboot the node)",
    ] {
        assert!(
            first_paragraph.contains(needle),
            "missing {needle:?} in {first_paragraph}"
        );
    }
    assert!(text.contains("if iptables-legacy-save failed, Felix v3.12-v3.25 would choose nft"));
}

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn offline_snapshot_round_trip() {
    let file = tmp("incident-offline.snapshot.json");
    let path = file.to_string_lossy().into_owned();
    let o = nfdiff(&["snapshot", "-o", &path, INCIDENT[0], INCIDENT[1]], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("JSON");
    assert_eq!(snap["nfdiff_snapshot"], 1);
    assert!(snap["origin"]
        .as_str()
        .is_some_and(|s| s.starts_with("offline from dumps")));
    assert_eq!(snap["saves"][0]["derived"], true);
    for format in ["text", "json", "prometheus"] {
        let direct = doctor(&INCIDENT, format);
        let via = doctor(&[&path], format);
        assert_eq!(code(&via), 1, "{}", stderr(&via));
        // the same, but for the sources the witness's `nfdiff trace` command names
        let direct = stdout(&direct).replace(&INCIDENT.join(" "), "SOURCES");
        let via_text = stdout(&via).replace(&path, "SOURCES");
        assert_eq!(direct, via_text, "{format}");
    }
    // every command accepts a snapshot as a source
    let show_direct = nfdiff(&["show", INCIDENT[0], INCIDENT[1]], None);
    let show_via = nfdiff(&["show", &path], None);
    assert_eq!(code(&show_via), 0, "{}", stderr(&show_via));
    assert_eq!(
        stdout(&show_direct).lines().count(),
        stdout(&show_via).lines().count()
    );
    let reach = nfdiff(
        &[
            "reach",
            &path,
            "--iif",
            "cali*",
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
        ],
        None,
    );
    assert!(stdout(&reach).contains("DROP by nft ip filter cali-from-wl-dispatch rule 3"));
}

#[test]
fn bad_snapshot_version_is_an_error() {
    let file = tmp("v99.snapshot.json");
    std::fs::write(
        &file,
        "{\"nfdiff_snapshot\": 99, \"created\": \"x\", \"origin\": \"x\"}",
    )
    .expect("write");
    let o = doctor(&[&file.to_string_lossy()], "text");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("snapshot version 99"), "{}", stderr(&o));
}

fn find_bin(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Runs `script` in `sh` inside fresh network and mount namespaces (with /sys remounted so
/// `/sys/class/net` shows the namespace's interfaces); `None` when that is impossible.
fn in_namespace(script: &str, dir: &Path) -> Option<std::process::Output> {
    let unshare = find_bin("unshare")?;
    let probe = Command::new(&unshare)
        .args(["-n", "-m", "true"])
        .output()
        .ok()?;
    if !probe.status.success() {
        return None;
    }
    let o = Command::new(unshare)
        .args(["-n", "-m", "sh", "-euc", script])
        .current_dir(repo_root())
        .env("NFDIFF", env!("CARGO_BIN_EXE_nfdiff"))
        .env("D", dir)
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    Some(o)
}

/// The incident restored with the stock tools into a namespace where the new pod's interface
/// exists: the live doctor names it, and its live snapshot analysed offline gives the same
/// findings; a healthy namespace gives none.
#[test]
fn namespace_scenarios_live_and_snapshot() {
    let tools: Option<Vec<PathBuf>> = [
        "iptables-legacy-restore",
        "iptables-nft-restore",
        "iptables-legacy-save",
        "iptables-nft-save",
        "ip",
        "ipset",
    ]
    .iter()
    .map(|t| find_bin(t))
    .collect();
    let Some(tools) = tools else {
        eprintln!("skipped: iptables-legacy/nft tools, ip or ipset not installed");
        return;
    };
    let dir = tmp("doctor-ns");
    let _ = std::fs::create_dir_all(&dir);
    let sets = format!(
        "{ipset} create cali40all-ipam-pools hash:net family inet\n\
         {ipset} create cali40masq-ipam-pools hash:net family inet\n\
         {ipset} create cali40all-hosts-net hash:net family inet\n\
         {ipset} create cali40s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet\n",
        ipset = tools[5].display()
    );
    let script = format!(
        "mount -t sysfs sysfs /sys\n\
         {sets}\
         {ip} link add cali5c4d3e2f1a0 type veth peer name pod1\n\
         {ip} link add cali9f8e7d6c5b4 type veth peer name pod0\n\
         {ip} link add eth1 type veth peer name remote0\n\
         {lr} < testdata/incident/legacy.save\n\
         {nr} < testdata/incident/nft.save\n\
         set +e\n\
         \"$NFDIFF\" doctor --format json > \"$D/live.json\"; echo $? > \"$D/live.rc\"\n\
         \"$NFDIFF\" doctor > \"$D/live.txt\"\n\
         \"$NFDIFF\" snapshot -o \"$D/live.snapshot.json\"; echo $? > \"$D/snap.rc\"\n",
        ip = tools[4].display(),
        lr = tools[0].display(),
        nr = tools[1].display(),
    );
    let Some(o) = in_namespace(&script, &dir) else {
        eprintln!("skipped: `unshare -n -m` failed (not root, or namespaces unavailable)");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
    assert_eq!(read("live.rc").trim(), "1", "{}", read("live.txt"));
    assert_eq!(read("snap.rc").trim(), "0");
    let live: serde_json::Value = serde_json::from_str(&read("live.json")).expect("live JSON");
    let stale = &live["findings"][0];
    assert_eq!(stale["id"], "stale-dispatch");
    assert_eq!(stale["severity"], "critical");
    let evidence = stale["evidence"].to_string();
    assert!(
        evidence.contains("cali9f8e7d6c5b4: dropped by nft ip filter cali-from-wl-dispatch rule 3"),
        "{evidence}"
    );
    let ids: Vec<&str> = live["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(!evidence.contains("cali5c4d3e2f1a0"), "{evidence}");
    assert!(ids.contains(&"felix-backend-detection") && ids.contains(&"mixed-backends"));
    // measured, not derived: the real save output of the namespace
    assert!(read("live.json").contains("iptables-legacy-save: 158 rule lines"));
    // the live snapshot, read back offline, gives the same findings
    let snap = dir.join("live.snapshot.json");
    let offline = doctor(&[&snap.to_string_lossy()], "json");
    assert_eq!(code(&offline), 1);
    assert_eq!(
        stdout(&offline).replace(
            &format!("nfdiff trace {} ", snap.to_string_lossy()),
            "nfdiff trace live "
        ),
        read("live.json")
    );
    let snap_json: serde_json::Value =
        serde_json::from_str(&read("live.snapshot.json")).expect("snapshot JSON");
    assert_eq!(snap_json["origin"], "live");
    assert!(snap_json["interfaces"]
        .to_string()
        .contains("cali9f8e7d6c5b4"));
    // the node's addresses, for trace (none is up in this namespace: an empty list, not absent)
    assert!(snap_json["local_addrs"].is_array(), "{snap_json}");

    // healthy: Calico in legacy only
    let script = format!(
        "mount -t sysfs sysfs /sys\n\
         {sets}\
         {lr} < {HEALTHY}\n\
         set +e\n\
         \"$NFDIFF\" doctor --format json > \"$D/healthy.json\"; echo $? > \"$D/healthy.rc\"\n",
        lr = tools[0].display(),
    );
    let Some(o) = in_namespace(&script, &dir) else {
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read("healthy.rc").trim(), "0", "{}", read("healthy.json"));
    let healthy: serde_json::Value = serde_json::from_str(&read("healthy.json")).expect("JSON");
    assert_eq!(healthy["findings"].as_array().map(Vec::len), Some(0));

    // structural findings, live: an orphan chain and a shadowed rule (legacy), and the same
    // KUBE- chain in both backends on the same hook and priority
    let rules = dir.join("structural.rules");
    std::fs::write(
        &rules,
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         :orphan - [0:0]\n:used - [0:0]\n-A INPUT -j used\n-A used -j ACCEPT\n\
         -A used -p tcp --dport 22 -j DROP\n-A orphan -j DROP\nCOMMIT\n\
         *nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         :POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n\
         -A PREROUTING -j KUBE-SERVICES\nCOMMIT\n",
    )
    .expect("write rules");
    let script = format!(
        "mount -t sysfs sysfs /sys\n\
         {lr} < \"$D/structural.rules\"\n\
         {nr} < \"$D/structural.rules\"\n\
         set +e\n\
         \"$NFDIFF\" doctor --format json > \"$D/structural.json\"; echo $? > \"$D/structural.rc\"\n",
        lr = tools[0].display(),
        nr = tools[1].display(),
    );
    let Some(o) = in_namespace(&script, &dir) else {
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read("structural.rc").trim(), "1");
    let v: serde_json::Value = serde_json::from_str(&read("structural.json")).expect("JSON");
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| (f["id"].to_string(), f["severity"].to_string()))
                .collect()
        })
        .unwrap_or_default();
    let want: Vec<(String, String)> = [
        ("mixed-backends", "warning"),
        ("equal-priority-hooks", "info"),
        ("unreferenced-chains", "info"),
        ("shadowed-rules", "info"),
    ]
    .iter()
    .map(|(i, s)| (format!("{i:?}"), format!("{s:?}")))
    .collect();
    assert_eq!(found, want, "{}", read("structural.json"));

    // pids headroom, live: the kubepods cgroup files as the kernel lays them out (cgroup v2
    // `kubepods.slice`), on a tmpfs in this mount namespace only, so the host's cgroups are
    // never touched; the doctor's live reader must find them and warn at >= 90% of pids.max.
    let script = "mount -t sysfs sysfs /sys\n\
         mount -t tmpfs tmpfs /sys/fs/cgroup\n\
         mkdir -p /sys/fs/cgroup/kubepods.slice\n\
         echo 950 > /sys/fs/cgroup/kubepods.slice/pids.current\n\
         echo 1000 > /sys/fs/cgroup/kubepods.slice/pids.max\n\
         set +e\n\
         \"$NFDIFF\" doctor --format json > \"$D/pids.json\"; echo $? > \"$D/pids.rc\"\n";
    let Some(o) = in_namespace(script, &dir) else {
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read("pids.rc").trim(), "1", "{}", read("pids.json"));
    let v: serde_json::Value = serde_json::from_str(&read("pids.json")).expect("JSON");
    let pids = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == "pids-headroom"))
        .unwrap_or_else(|| panic!("no pids-headroom finding: {}", read("pids.json")));
    assert_eq!(pids["severity"], "warning");
    assert!(pids["evidence"].to_string().contains("950"), "{pids}");
}
