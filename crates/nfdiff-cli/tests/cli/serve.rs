//! `nfdiff serve` in a fresh network namespace (root only; skipped otherwise): metrics follow an
//! nf_tables change within 1 s under rule churn, 10,000 loopback scrapes keep RSS bounded, bad
//! requests get 404/405. Only the namespace's own loopback is used.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADDR: &str = "127.0.0.1:9431";

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

/// `nfdiff serve` in a new network namespace with loopback up; killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    fn start() -> Server {
        let script = format!(
            "ip link set lo up && exec {} serve --listen {ADDR} --legacy-poll 1",
            env!("CARGO_BIN_EXE_nfdiff")
        );
        let child = Command::new("unshare")
            .args(["-n", "sh", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nfdiff serve");
        Server(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Moves the calling thread into the server's network namespace (once `unshare` made it).
    fn enter(&self) {
        let path = format!("/proc/{}/ns/net", self.pid());
        let host = std::fs::read_link("/proc/self/ns/net").expect("own netns");
        let t0 = Instant::now();
        while std::fs::read_link(&path).ok().as_ref() == Some(&host) {
            assert!(t0.elapsed() < Duration::from_secs(10), "no new namespace");
            std::thread::sleep(Duration::from_millis(5));
        }
        let ns = std::fs::File::open(&path).expect("netns");
        // SAFETY: setns on a valid namespace descriptor; affects only this thread.
        let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS")
    }
}

/// Sends raw bytes, returns the status code and body (`None`: no connection yet).
fn raw(request: &[u8]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(ADDR).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(request).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|x| x.1.to_string())?;
    Some((status, body))
}

fn get(path: &str) -> Option<(u16, String)> {
    raw(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
}

fn nft(script: &str) {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("nft");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "nft -f: {script}");
}

/// Waits (up to `limit`) until `/metrics` contains `needle`; the time it took.
fn until_metrics(needle: &str, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some((200, body)) = get("/metrics") {
            if body.contains(needle) {
                return Some(t0.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn serve_follows_changes_scrapes_stay_bounded_bad_requests_refused() {
    if !can_unshare() {
        eprintln!("skipping: needs root and `unshare -n`");
        return;
    }
    let server = Server::start();
    // Everything runs on one thread inside the server's namespace: its loopback, its rules.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                server.enter();
                until_metrics("nfdiff_up 1", Duration::from_secs(20))
                    .expect("first read of the namespace within 20 s");

                // Rule churn in another table, on its own thread in the same namespace.
                let stop = Arc::new(AtomicBool::new(false));
                let churn = {
                    let stop = Arc::clone(&stop);
                    let pid = server.pid();
                    std::thread::spawn(move || {
                        let ns = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
                        // SAFETY: as in `enter`.
                        assert_eq!(unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) }, 0);
                        let mut n = 0u32;
                        while !stop.load(Ordering::Relaxed) {
                            nft(&format!(
                                "add table ip churn\nadd chain ip churn c\nadd rule ip churn c tcp dport {} accept\n",
                                1000 + n % 100
                            ));
                            if n % 10 == 9 {
                                nft("delete table ip churn\n");
                            }
                            n += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        n
                    })
                };

                std::thread::sleep(Duration::from_millis(300));
                // An nf_tables change shows in /metrics within 1 s.
                let mut worst = Duration::ZERO;
                for round in 1..=3u32 {
                    let rules: String = (0..round)
                        .map(|i| format!("add rule ip probe c udp dport {} drop\n", 100 + i))
                        .collect();
                    nft(&format!("add table ip probe\nadd chain ip probe c\n{rules}"));
                    let needle =
                        format!("nfdiff_rules{{backend=\"nft\",family=\"ip\",table=\"probe\"}} {round}");
                    let took = until_metrics(&needle, Duration::from_secs(5))
                        .unwrap_or_else(|| panic!("{needle} not in /metrics within 5 s"));
                    worst = worst.max(took);
                    nft("delete table ip probe\n");
                }
                eprintln!("nf_tables change visible in /metrics after at most {worst:?} (under churn)");
                let (_, metrics) = get("/metrics").expect("metrics");
                assert!(metrics.contains("nfdiff_nftables_subscribed 1"), "{metrics}");
                assert!(metrics.contains("nfdiff_nftables_generation "), "{metrics}");
                assert!(!metrics.contains("nfdiff_rereads_total{cause=\"nftables\"} 0"), "{metrics}");
                assert!(worst < Duration::from_secs(1), "took {worst:?}");
                stop.store(true, Ordering::Relaxed);
                let churned = churn.join().unwrap();
                eprintln!("churn: {churned} nft transactions meanwhile");
                // The churn may have ended on its own `delete table`: leave one table that stays,
                // and wait until serve has read it, so /fingerprint below has chains to show.
                nft("add table ip keep\nadd chain ip keep c\nadd rule ip keep c tcp dport 22 accept\n");
                until_metrics(
                    "nfdiff_rules{backend=\"nft\",family=\"ip\",table=\"keep\"} 1",
                    Duration::from_secs(5),
                )
                .expect("the kept table in /metrics within 5 s");

                // 10,000 scrapes from loopback: RSS stays bounded.
                for _ in 0..500 {
                    assert_eq!(get("/metrics").map(|r| r.0), Some(200));
                }
                let before = server.rss_kib();
                let t0 = Instant::now();
                for i in 0..10_000 {
                    let path = ["/metrics", "/healthz", "/doctor", "/snapshot"][i % 4];
                    assert_eq!(get(path).map(|r| r.0), Some(200), "{path}");
                }
                let after = server.rss_kib();
                eprintln!(
                    "10,000 scrapes in {:?}: RSS {before} KiB -> {after} KiB",
                    t0.elapsed()
                );
                assert!(after <= before + 4096, "RSS grew {before} -> {after} KiB");

                // Bad requests: 404/405, never a crash.
                assert_eq!(get("/").map(|r| r.0), Some(404));
                assert_eq!(get("/metrics/../etc/passwd").map(|r| r.0), Some(404));
                let post = raw(b"POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
                assert_eq!(post.map(|r| r.0), Some(405));
                let del = raw(b"DELETE /doctor HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                assert_eq!(del.map(|r| r.0), Some(405));
                let _ = raw(b"\x00\x01garbage\r\n\r\n");
                let _ = raw(&[b'A'; 100_000]);
                let doctor = get("/doctor").expect("still serving after garbage");
                assert_eq!(doctor.0, 200);
                let v: serde_json::Value = serde_json::from_str(&doctor.1).expect("doctor JSON");
                assert!(v.get("findings").is_some(), "{v}");
                let snap = get("/snapshot").expect("snapshot");
                let v: serde_json::Value = serde_json::from_str(&snap.1).expect("snapshot JSON");
                assert_eq!(v["nfdiff_snapshot"], 1);
                // `/fingerprint` is what `nfdiff fleet` reads for large fleets.
                let fp = get("/fingerprint").expect("fingerprint");
                assert_eq!(fp.0, 200);
                let v: serde_json::Value = serde_json::from_str(&fp.1).expect("fingerprint JSON");
                assert_eq!(v["nfdiff_fingerprint"], 1, "{v}");
                assert!(
                    v["chains"].as_array().is_some_and(|c| !c.is_empty()),
                    "the namespace's chains are fingerprinted: {v}"
                );
                let dir = std::env::temp_dir().join(format!("nfdiff-serve-fp-{}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                let file = dir.join("node.fingerprint.json");
                std::fs::write(&file, &fp.1).unwrap();
                let out = super::support::nfdiff(&["fleet", file.to_str().unwrap()], None);
                let text = super::support::stdout(&out);
                std::fs::remove_dir_all(&dir).ok();
                assert!(text.contains("Fleet: 1 node(s)"), "{text}");
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
    });
}
