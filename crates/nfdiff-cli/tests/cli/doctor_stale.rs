//! `nfdiff doctor` on live Calico-shaped nodes built in a fresh network namespace (root only):
//! a stale copy of the dispatch chains drops the new pod, whatever the pod's own policy. Each
//! scenario checks the live doctor, the same node through `snapshot` and an offline doctor,
//! the witness through `nfdiff trace` (live and on the snapshot), and the witness sent through
//! the kernel (veth topology, real packets, kernel counters): it is dropped by the stale rule.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::support::{nfdiff, repo_root, stderr, stdout};

const END: &str = "__nfdiff_doctor_stale_end__";

/// IPsets the Calico-shaped rules reference (they must exist before a restore).
const IPSETS: &str = "\
ipset create cali40all-ipam-pools hash:net family inet
ipset create cali40masq-ipam-pools hash:net family inet
ipset create cali40all-hosts-net hash:net family inet
ipset create cali40s:y-uVl4bAoAfdydOS8SL9Rv9 hash:ip family inet
ipset create cali60all-ipam-pools hash:net family inet6
ipset create cali60masq-ipam-pools hash:net family inet6
";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn have(tool: &str) -> bool {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(tool).is_file())
}

/// One shell inside `unshare -n -m` that owns the node: every kernel-touching command runs
/// there, so the host's ruleset is never read or changed.
struct Node {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Node {
    fn start(dir: &Path) -> Option<Node> {
        if !is_root() {
            eprintln!("skipped: the stale-dispatch node needs root (fresh network namespace)");
            return None;
        }
        let missing: Vec<&str> = [
            "unshare",
            "ip",
            "nft",
            "ipset",
            "iptables-legacy-restore",
            "iptables-nft-restore",
            "ip6tables-legacy-restore",
            "ip6tables-nft-restore",
            "python3",
        ]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
        if !missing.is_empty() {
            eprintln!("skipped: {} not installed", missing.join(", "));
            return None;
        }
        if !Command::new("unshare")
            .args(["-n", "-m", "true"])
            .status()
            .is_ok_and(|s| s.success())
        {
            eprintln!("skipped: `unshare -n -m` does not work here");
            return None;
        }
        let mut child = Command::new("timeout")
            .args(["600", "unshare", "-n", "-m", "sh"])
            .current_dir(repo_root())
            .env("NFDIFF", env!("CARGO_BIN_EXE_nfdiff"))
            .env("D", dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let stdout = BufReader::new(child.stdout.take()?);
        let mut node = Node {
            child,
            stdin,
            stdout,
        };
        // refuse to run anywhere but in a fresh namespace
        let (ruleset, rc) = node.run("nft list ruleset");
        if rc != 0 || !ruleset.trim().is_empty() {
            eprintln!("skipped: `unshare -n -m` did not give a fresh namespace: {ruleset}");
            return None;
        }
        Some(node)
    }

    /// Runs `cmd` in the node's shell: its output (stdout and stderr) and exit status.
    fn run(&mut self, cmd: &str) -> (String, i32) {
        writeln!(self.stdin, "{{\n{cmd}\n}} 2>&1; echo \"{END} $?\"").expect("node shell");
        self.stdin.flush().expect("node shell");
        let mut out = String::new();
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("node output");
            assert!(n > 0, "the node shell ended; output so far:\n{out}");
            if let Some(rc) = line.trim_end().strip_prefix(END) {
                return (out, rc.trim().parse().unwrap_or(-1));
            }
            out.push_str(&line);
        }
    }

    /// Runs `cmd` and asserts it succeeded.
    fn ok(&mut self, cmd: &str) -> String {
        let (out, rc) = self.run(cmd);
        assert_eq!(rc, 0, "`{cmd}` failed:\n{out}");
        out
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "exit 0");
        let _ = self.child.wait();
    }
}

/// A stale direction the doctor must report.
#[derive(Debug, Clone)]
struct Expect {
    /// `from` or `to`.
    dir: &'static str,
    /// The witness's flow (`--proto tcp ... --dport 8080`, a `--src` prefix), or `None` when
    /// the pod's policy denies everything: then the finding must say so.
    witness: Option<&'static [&'static str]>,
}

struct Scenario {
    name: &'static str,
    v6: bool,
    /// Shell lines loading the rulesets (after the topology).
    load: String,
    old_if: &'static str,
    new_if: &'static str,
    /// The stale backend (`nft` or `legacy`) and the `*-save` command showing its counters.
    stale: (&'static str, &'static str),
    expect: Vec<Expect>,
}

fn restore(tool: &str, file: &str) -> String {
    format!("{tool} < testdata/{file}\n")
}

/// The witness evidence line of `dir`, and its `nfdiff trace` arguments after the sources.
fn witness_args(evidence: &[String], dir: &str, source: &str) -> Option<(String, Vec<String>)> {
    evidence_args(evidence, "witness", dir, source)
}

/// The `KIND (IPvN DIR the pod…): nfdiff trace SOURCE ARGS` line of `dir` and its arguments.
fn evidence_args(
    evidence: &[String],
    kind: &str,
    dir: &str,
    source: &str,
) -> Option<(String, Vec<String>)> {
    let line = evidence.iter().find(|e| {
        ["IPv4", "IPv6"]
            .iter()
            .any(|v| e.starts_with(&format!("{kind} ({v} {dir} the pod")))
    })?;
    let cmd = line.split(": nfdiff trace ").nth(1)?;
    let rest = cmd.strip_prefix(&format!("{source} "))?;
    Some((
        line.clone(),
        rest.split_whitespace().map(String::from).collect(),
    ))
}

fn arg<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The packet counter of the stale dispatch's "Unknown interface" rule in `chain`.
fn unknown_counter(node: &mut Node, save: &str, chain: &str) -> u64 {
    let out = node.ok(&format!("{save} -c"));
    out.lines()
        .find(|l| l.contains(&format!("-A {chain} ")) && l.contains("Unknown interface"))
        .and_then(|l| l.strip_prefix('['))
        .and_then(|l| l.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no Unknown interface rule in {chain}:\n{out}"))
}

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Sends one packet from namespace `from` as `args` describe and returns how many packets
/// the probe of namespace `to` counted.
fn send(node: &mut Node, from: &str, to: &str, args: &[String]) -> u64 {
    let proto = arg(args, "--proto").unwrap_or("udp");
    let src = arg(args, "--src").expect("--src");
    let dst = arg(args, "--dst").expect("--dst");
    let sport = arg(args, "--sport").unwrap_or("0");
    let dport = arg(args, "--dport").unwrap_or("0");
    node.ok(&format!(
        ". testdata/stale-dispatch/topology.sh; sd_probe {to} {proto}"
    ));
    // the sender owns the source address (a pod has it; the remote host gets it)
    let plen = if src.contains(':') { 128 } else { 32 };
    node.run(&format!(
        "ip -n {from} addr add {src}/{plen} dev eth0 nodad 2>/dev/null || \
         ip -n {from} addr add {src}/{plen} dev eth0"
    ));
    node.ok(&format!(
        "ip netns exec {from} python3 testdata/stale-dispatch/send.py {proto} {src} {dst} {sport} {dport}; sleep 0.2"
    ));
    let out = node.ok(&format!(
        ". testdata/stale-dispatch/topology.sh; sd_delivered {to}"
    ));
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("probe count: {out}"))
}

fn check(s: &Scenario) {
    let dir = tmp(&format!("doctor-stale-{}", s.name));
    let _ = std::fs::create_dir_all(&dir);
    let Some(mut node) = Node::start(&dir) else {
        return;
    };
    let fam = if s.v6 { "6" } else { "4" };
    node.ok(&format!(
        "export SD_IF1={} SD_IF2={}; . testdata/stale-dispatch/topology.sh; sd_topology {fam}",
        s.old_if, s.new_if
    ));
    node.ok(IPSETS);
    node.ok(&s.load);

    // the live doctor
    let (text, rc) = node.run("\"$NFDIFF\" doctor --format json");
    assert_eq!(rc, 1, "{}: {text}", s.name);
    let live = json(&text);
    let stale = &live["findings"][0];
    assert_eq!(stale["id"], "stale-dispatch", "{}: {text}", s.name);
    assert_eq!(stale["severity"], "critical", "{}: {text}", s.name);
    let evidence: Vec<String> = stale["evidence"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let ip = if s.v6 { "ip6" } else { "ip" };
    for d in ["from", "to"] {
        let chain = format!("cali-{d}-wl-dispatch");
        let head = format!(
            "{}: dropped by {} {ip} filter {chain} rule ",
            s.new_if, s.stale.0
        );
        let line = evidence.iter().find(|e| e.starts_with(&head));
        let want = s.expect.iter().find(|e| e.dir == d);
        let Some(want) = want else {
            assert!(
                line.is_none(),
                "{}: {d} is not stale: {evidence:#?}",
                s.name
            );
            continue;
        };
        let line = line.unwrap_or_else(|| panic!("{}: no {head}: {evidence:#?}", s.name));
        assert!(line.contains("(\"Unknown interface\")"), "{line}");
        assert!(!evidence
            .iter()
            .any(|e| e.starts_with(&format!("{}:", s.old_if))));
        match want.witness {
            None => {
                assert!(
                    line.contains("no witness: the pod's current policy"),
                    "{}: {line}",
                    s.name
                );
                assert!(witness_args(&evidence, d, "live").is_none());
                // what was tried: the stale rule drops it under some order, and so does the
                // kernel (the pod's policy or the stale dispatch, whichever runs first)
                let (tline, args) = evidence_args(&evidence, "tried", d, "live")
                    .unwrap_or_else(|| panic!("{}: no {d} example: {evidence:#?}", s.name));
                assert!(tline.contains("order_dependent"), "{tline}");
                check_denied_example(&mut node, s, d, &chain, &args);
            }
            Some(flow) => {
                let (wline, args) = witness_args(&evidence, d, "live")
                    .unwrap_or_else(|| panic!("{}: no {d} witness: {evidence:#?}", s.name));
                let joined = args.join(" ");
                for f in flow {
                    assert!(joined.contains(f), "{}: {f} not in {wline}", s.name);
                }
                check_witness(&mut node, s, d, &chain, &args, &dir);
            }
        }
    }

    // the same node through a snapshot, offline
    node.ok("\"$NFDIFF\" snapshot -o \"$D/node.snapshot.json\"");
    drop(node);
    let snap = dir.join("node.snapshot.json");
    let snap_s = snap.to_string_lossy().into_owned();
    let offline = nfdiff(&["doctor", &snap_s, "--format", "json"], None);
    assert_eq!(offline.status.code(), Some(1), "{}", stderr(&offline));
    assert_eq!(
        stdout(&offline).replace(&format!("nfdiff trace {snap_s} "), "nfdiff trace live "),
        text,
        "{}: the snapshot's doctor differs from the live one",
        s.name
    );
    // every witness also through `nfdiff trace` on the snapshot
    for e in &s.expect {
        if let Some((_, args)) = witness_args(&evidence, e.dir, "live") {
            let mut a = vec!["trace", snap_s.as_str()];
            a.extend(args.iter().map(String::as_str));
            a.extend(["--format", "json"]);
            let t = json(&stdout(&nfdiff(&a, None)));
            assert_eq!(t["verdict"], "drop", "{t}");
            assert_eq!(
                t["decided_by"]["chain"],
                format!("cali-{}-wl-dispatch", e.dir),
                "{t}"
            );
        }
    }
}

/// The witness through `nfdiff trace live`, then through the kernel: the control packet (the
/// old pod's, same flow) arrives; the witness does not, and the stale rule counted it.
fn check_witness(node: &mut Node, s: &Scenario, d: &str, chain: &str, args: &[String], dir: &Path) {
    let (t, rc) = node.run(&format!(
        "\"$NFDIFF\" trace live {} --format json",
        args.join(" ")
    ));
    assert_eq!(rc, 0, "{t}");
    let t = json(&t);
    let order_dependent = t["order_dependent"] == true || t["uncertain"] == true;
    let decided = &t["decided_by"];
    let by_stale = decided["backend"] == s.stale.0
        && decided["chain"] == chain
        && decided["comment"]
            .as_str()
            .is_some_and(|c| c.contains("Unknown interface"));
    let in_alternative = t["alternatives"].as_array().is_some_and(|a| {
        a.iter()
            .any(|x| x["decided_by"]["chain"] == chain && x["decided_by"]["backend"] == s.stale.0)
    });
    assert!(
        t["verdict"] == "drop" && (by_stale || (order_dependent && in_alternative)),
        "{}: the witness does not trace to the stale drop: {t}",
        s.name
    );
    std::fs::write(dir.join(format!("trace-{d}.json")), t.to_string()).expect("write");

    // the kernel: a control packet of the old pod on the same flow is delivered
    let mut control: Vec<String> = args.to_vec();
    let pod_flag = if d == "from" { "--src" } else { "--dst" };
    let old_addr = if s.v6 {
        "fd00:10:244:1::c"
    } else {
        "10.244.1.5"
    };
    if let Some(i) = control.iter().position(|a| a == pod_flag) {
        control[i + 1] = old_addr.to_string();
    }
    for a in control.iter_mut().filter(|a| *a == s.new_if) {
        *a = s.old_if.to_string();
    }
    // control: sent from pod1 (from the pod) or to pod1 (to the pod)
    let (c_from, c_to) = if d == "from" {
        ("pod1", "remote")
    } else {
        ("remote", "pod1")
    };
    let delivered = send(node, c_from, c_to, &control);
    let ctl_ok = delivered > 0;
    let save = s.stale.1;
    let before = unknown_counter(node, save, chain);
    let (w_from, w_to) = if d == "from" {
        ("pod2", "remote")
    } else {
        ("remote", "pod2")
    };
    let got = send(node, w_from, w_to, args);
    let after = unknown_counter(node, save, chain);
    assert!(
        ctl_ok,
        "{}: the control packet {control:?} was not delivered: the topology is broken",
        s.name
    );
    assert_eq!(
        got, 0,
        "{}: the kernel delivered the witness {args:?}",
        s.name
    );
    assert!(
        after > before,
        "{}: the stale rule {chain} did not count the witness ({before} -> {after})",
        s.name
    );
    eprintln!(
        "{} {d}: control delivered {delivered}, witness delivered {got}, {} {chain} \
         \"Unknown interface\" counter {before} -> {after}",
        s.name, s.stale.0
    );
}

/// A packet both copies deny: `nfdiff trace` names the stale drop as the outcome of another
/// order; the kernel delivers nothing.
fn check_denied_example(node: &mut Node, s: &Scenario, d: &str, chain: &str, args: &[String]) {
    let (t, rc) = node.run(&format!(
        "\"$NFDIFF\" trace live {} --format json",
        args.join(" ")
    ));
    assert_eq!(rc, 0, "{t}");
    let t = json(&t);
    assert_eq!(t["verdict"], "drop", "{t}");
    let stale_somewhere = [&t["decided_by"]]
        .into_iter()
        .chain(
            t["alternatives"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| &a["decided_by"]),
        )
        .any(|r| r["backend"] == s.stale.0 && r["chain"] == chain);
    assert!(stale_somewhere, "{}: {t}", s.name);
    let before = unknown_counter(node, s.stale.1, chain);
    let (from, to) = if d == "from" {
        ("pod2", "remote")
    } else {
        ("remote", "pod2")
    };
    let got = send(node, from, to, args);
    let after = unknown_counter(node, s.stale.1, chain);
    assert_eq!(got, 0, "{}: the kernel delivered {args:?}", s.name);
    eprintln!(
        "{} {d} (no witness; tried {}): delivered {got}, {} {chain} \"Unknown interface\" \
         counter {before} -> {after} (the pod's policy drop may run first)",
        s.name,
        args.join(" "),
        s.stale.0
    );
}

const NEW4: &str = "cali9f8e7d6c5b4";
const OLD4: &str = "cali5c4d3e2f1a0";

#[test]
fn stale_dispatch_default_deny_pod() {
    check(&Scenario {
        name: "default-deny",
        v6: false,
        load: restore(
            "iptables-legacy-restore",
            "stale-dispatch/deny-current.rules",
        ) + &restore("iptables-nft-restore", "stale-dispatch/stale.rules"),
        old_if: OLD4,
        new_if: NEW4,
        stale: ("nft", "iptables-nft-save"),
        expect: vec![
            Expect {
                dir: "from",
                witness: None,
            },
            Expect {
                dir: "to",
                witness: None,
            },
        ],
    });
}

#[test]
fn stale_dispatch_tcp_8080_from_one_cidr() {
    check(&Scenario {
        name: "tcp-8080",
        v6: false,
        load: restore(
            "iptables-legacy-restore",
            "stale-dispatch/8080-current.rules",
        ) + &restore("iptables-nft-restore", "stale-dispatch/stale.rules"),
        old_if: OLD4,
        new_if: NEW4,
        stale: ("nft", "iptables-nft-save"),
        expect: vec![
            Expect {
                dir: "from",
                witness: None,
            },
            Expect {
                dir: "to",
                witness: Some(&[
                    "--iif eth1 --oif cali9f8e7d6c5b4 --src 192.168.50.",
                    "--dst 10.244.1.9 --proto tcp",
                    "--dport 8080",
                ]),
            },
        ],
    });
}

/// The pod admits only UDP to unprivileged ports from one network (a negated port range): no
/// candidate packet derived from the rules is allowed; the packet-space engine finds the
/// witness, and the kernel drops it at the stale rule.
#[test]
fn stale_dispatch_udp_unprivileged_ports_found_by_the_packet_space_engine() {
    check(&Scenario {
        name: "udp-unprivileged",
        v6: false,
        load: "sed 's|-s 192.168.50.0/24 -p tcp -m multiport --dports 8080|-s 198.51.100.0/24 \
               -p udp -m udp ! --dport 0:1023|' testdata/stale-dispatch/8080-current.rules \
               | iptables-legacy-restore\n"
            .to_string()
            + &restore("iptables-nft-restore", "stale-dispatch/stale.rules"),
        old_if: OLD4,
        new_if: NEW4,
        stale: ("nft", "iptables-nft-save"),
        expect: vec![
            Expect {
                dir: "from",
                witness: None,
            },
            Expect {
                dir: "to",
                witness: Some(&[
                    "--iif eth1 --oif cali9f8e7d6c5b4 --src 198.51.100.",
                    "--dst 10.244.1.9 --proto udp",
                    "--dport 8080",
                ]),
            },
        ],
    });
}

#[test]
fn stale_dispatch_only_to_the_pod() {
    check(&Scenario {
        name: "to-only",
        v6: false,
        load: restore(
            "iptables-legacy-restore",
            "stale-dispatch/to-only-current.rules",
        ) + &restore("iptables-nft-restore", "stale-dispatch/to-only-stale.rules"),
        old_if: OLD4,
        new_if: NEW4,
        stale: ("nft", "iptables-nft-save"),
        expect: vec![Expect {
            dir: "to",
            witness: Some(&["--iif eth1 --oif cali9f8e7d6c5b4", "--dst 10.244.1.9"]),
        }],
    });
}

#[test]
fn stale_dispatch_native_vmap_beside_stale_legacy() {
    check(&Scenario {
        name: "native-vmap",
        v6: false,
        load: "nft -f testdata/trace-kernel/native-current.nft\n".to_string()
            + &restore("iptables-legacy-restore", "incident/nft-stale.rules"),
        old_if: OLD4,
        new_if: NEW4,
        stale: ("legacy", "iptables-legacy-save"),
        expect: vec![
            Expect {
                dir: "from",
                witness: Some(&["--iif cali9f8e7d6c5b4 --oif eth1 --src 10.244.1.9"]),
            },
            Expect {
                dir: "to",
                witness: Some(&["--iif eth1 --oif cali9f8e7d6c5b4", "--dst 10.244.1.9"]),
            },
        ],
    });
}

#[test]
fn stale_dispatch_ipv6_only_pods() {
    check(&Scenario {
        name: "ipv6",
        v6: true,
        load: restore(
            "ip6tables-legacy-restore",
            "stale-dispatch/ipv6-current.rules",
        ) + &restore("ip6tables-nft-restore", "stale-dispatch/ipv6-stale.rules"),
        old_if: "cali3b4c5d6e7f8",
        new_if: "cali8e7d6c5b4a3",
        stale: ("nft", "ip6tables-nft-save"),
        expect: vec![
            Expect {
                dir: "from",
                witness: Some(&["--iif cali8e7d6c5b4a3 --oif eth1 --src fd00:10:244:1::d"]),
            },
            Expect {
                dir: "to",
                witness: Some(&[
                    "--iif eth1 --oif cali8e7d6c5b4a3 --src fd00:50::",
                    "--dst fd00:10:244:1::d --proto tcp",
                    "--dport 8080",
                ]),
            },
        ],
    });
}

/// No false alarm: the current copy alone, with a default-deny pod, has no stale dispatch.
#[test]
fn healthy_node_with_default_deny_pods_has_no_stale_dispatch() {
    let dir = tmp("doctor-stale-healthy");
    let _ = std::fs::create_dir_all(&dir);
    let Some(mut node) = Node::start(&dir) else {
        return;
    };
    node.ok(&format!(
        "export SD_IF1={OLD4} SD_IF2={NEW4}; . testdata/stale-dispatch/topology.sh; sd_topology 4"
    ));
    node.ok(IPSETS);
    node.ok(&restore(
        "iptables-legacy-restore",
        "stale-dispatch/deny-current.rules",
    ));
    let (text, _) = node.run("\"$NFDIFF\" doctor --format json");
    let v = json(&text);
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(!ids.contains(&"stale-dispatch"), "{text}");
    // and the same from its snapshot
    node.ok("\"$NFDIFF\" snapshot -o \"$D/healthy.snapshot.json\"");
    drop(node);
    let snap = dir.join("healthy.snapshot.json");
    let o = nfdiff(
        &["doctor", &snap.to_string_lossy(), "--format", "json"],
        None,
    );
    assert!(!stdout(&o).contains("stale-dispatch"), "{}", stdout(&o));
}
