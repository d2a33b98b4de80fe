//! `nfdiff watch` in a fresh network namespace (root only; skipped otherwise): an nf_tables
//! change is printed as a hunk, and Calico chains appearing in legacy too get the loud line.

use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// Collects lines until one contains `needle` (or 10 s pass); all lines seen.
fn until(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if let Ok(l) = lines.recv_timeout(Duration::from_millis(100)) {
            let hit = l.contains(needle);
            seen.push(l);
            if hit {
                return true;
            }
        }
    }
    false
}

fn run(args: &[&str]) {
    let s = Command::new(args[0])
        .args(&args[1..])
        .status()
        .expect(args[0]);
    assert!(s.success(), "{args:?}");
}

#[test]
fn watch_prints_hunks_and_the_moment_calico_is_in_both_backends() {
    if !can_unshare() {
        eprintln!("skipping: needs root and `unshare -n`");
        return;
    }
    let mut child = Command::new("unshare")
        .args([
            "-n",
            env!("CARGO_BIN_EXE_nfdiff"),
            "watch",
            "--legacy-poll",
            "1",
        ])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nfdiff watch");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let pid = child.id();
    let result = std::thread::spawn(move || {
        let mut seen = Vec::new();
        assert!(until(&rx, &mut seen, "watching this node"), "{seen:#?}");
        // The watcher's namespace (it is running, so `unshare` has made it).
        let ns = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
        // SAFETY: setns on a valid namespace descriptor; affects only this thread.
        assert_eq!(
            unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) },
            0
        );
        run(&["nft", "add table ip filter"]);
        run(&["nft", "add chain ip filter cali-FORWARD"]);
        run(&[
            "nft",
            "add rule ip filter cali-FORWARD iifname \"cali*\" accept",
        ]);
        assert!(
            until(&rx, &mut seen, "+         1  iifname \"cali*\" accept"),
            "{seen:#?}"
        );
        assert!(
            seen.iter()
                .any(|l| l.contains("nft changed (nf_tables notification)")),
            "{seen:#?}"
        );
        run(&["iptables-legacy", "-N", "cali-FORWARD"]);
        run(&[
            "iptables-legacy",
            "-A",
            "cali-FORWARD",
            "-i",
            "cali+",
            "-j",
            "ACCEPT",
        ]);
        assert!(
            until(&rx, &mut seen, "!!! cali- chains now in BOTH backends"),
            "{seen:#?}"
        );
        let loud = seen.last().unwrap().clone();
        assert!(loud.contains("started appearing in legacy"), "{loud}");
        seen
    })
    .join();
    let _ = child.kill();
    let _ = child.wait();
    let seen = result.unwrap_or_else(|p| std::panic::resume_unwind(p));
    eprintln!("{}", seen.join("\n"));
}
