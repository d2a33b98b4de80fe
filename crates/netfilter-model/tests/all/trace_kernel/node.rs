//! The node under test: one shell inside `unshare -n -m` that owns the namespace topology.
//!
//! Everything that touches the kernel runs in that shell, so the host ruleset is never
//! read or changed. The topology is built once and reused: each case flushes and reloads
//! the rulesets, which keeps a few hundred cases within seconds.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use netfilter_model::model::{Backend, Ruleset};
use netfilter_model::parse::{parse_iptables_save, parse_nft_json, parse_nft_text, ParseOptions};

const END: &str = "__nfdiff_trace_kernel_end__";

/// The fixtures of these tests: `testdata/trace-kernel`.
pub fn fixtures() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/trace-kernel"
    ))
    .to_path_buf()
}

/// The repository's `testdata` directory.
pub fn testdata() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).to_path_buf()
}

/// A system binary (the node shell runs with `PATH=/usr/sbin:/usr/bin:/sbin:/bin`, so the
/// tests use exactly what is found there, not a user's shims).
fn find_bin(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .map(PathBuf::from)
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A pod or the remote host: its namespace, the node-side interface and its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Namespace name.
    pub ns: &'static str,
    /// The node's interface toward it.
    pub node_if: &'static str,
    /// Its address.
    pub ip: &'static str,
}

/// pod1: an endpoint every Calico copy knows.
pub const POD1: Endpoint = Endpoint {
    ns: "pod1",
    node_if: "cali5c4d3e2f1a0",
    ip: "10.244.1.5",
};
/// pod2: the incident's new pod.
pub const POD2: Endpoint = Endpoint {
    ns: "pod2",
    node_if: "cali9f8e7d6c5b4",
    ip: "10.244.1.9",
};
/// pod3: an endpoint with an allow-dns egress policy.
pub const POD3: Endpoint = Endpoint {
    ns: "pod3",
    node_if: "cali1a2b3c4d5e6",
    ip: "10.244.1.12",
};
/// The remote host behind `eth1`.
pub const REMOTE: Endpoint = Endpoint {
    ns: "remote",
    node_if: "eth1",
    ip: "192.168.50.2",
};
/// All endpoints.
pub const ENDPOINTS: [Endpoint; 4] = [POD1, POD2, POD3, REMOTE];

/// What one case loads into the node.
#[derive(Debug, Clone, Default)]
pub struct Load {
    /// Shell lines run first (ipsets).
    pub prelude: String,
    /// `iptables-legacy-restore` input.
    pub legacy: Option<String>,
    /// `iptables-nft-restore` input.
    pub iptables_nft: Option<String>,
    /// `nft -f` input.
    pub nft: Option<String>,
    /// Load nf_tables before legacy (registration order decides equal priorities).
    pub nft_first: bool,
}

/// A probe packet: from one endpoint to an address (an endpoint's, or a service's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `udp`, `tcp` or `icmp`.
    pub proto: &'static str,
    /// Sender.
    pub from: Endpoint,
    /// Where the packet should arrive (after any DNAT).
    pub to: Endpoint,
    /// Destination address as sent (a service address for DNAT).
    pub dst: String,
    /// Source port (ICMP: echo identifier).
    pub sport: u16,
    /// Destination port as sent (ICMP: echo sequence).
    pub dport: u16,
}

/// What the kernel did with one probe, and the node's dumps afterwards.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Packets the destination's probe counted.
    pub delivered: u64,
    /// `iptables-legacy-save -c`.
    pub legacy_save: String,
    /// `nft list ruleset`.
    pub nft_text: String,
    /// `nft -j list ruleset`, when asked for.
    pub nft_json: Option<String>,
}

impl Capture {
    /// The node's rulesets as the tracer reads them: the legacy save and the nft text.
    pub fn ruleset(&self) -> Ruleset {
        combine(&self.legacy_save, &self.nft_text, false)
    }

    /// The same with the nft JSON dump instead of the text.
    pub fn ruleset_json(&self) -> Option<Ruleset> {
        self.nft_json
            .as_ref()
            .map(|j| combine(&self.legacy_save, j, true))
    }
}

/// Parses a legacy save and an nft dump (text or JSON) into one ruleset; panics with the
/// parse error (these are the kernel's own dumps: failing to read them is a test failure).
pub fn combine(legacy: &str, nft: &str, json: bool) -> Ruleset {
    let lopts =
        ParseOptions::new("kernel:iptables-legacy-save -c").with_backend(Some(Backend::Legacy));
    let mut rs = parse_iptables_save(legacy, &lopts)
        .unwrap_or_else(|e| panic!("cannot read the kernel's legacy save: {e}\n{legacy}"));
    let nopts = ParseOptions::new("kernel:nft list ruleset").with_backend(Some(Backend::Nft));
    let n = if json {
        parse_nft_json(nft, &nopts)
    } else {
        parse_nft_text(nft, &nopts)
    }
    .unwrap_or_else(|e| panic!("cannot read the kernel's nft dump: {e}\n{nft}"));
    rs.extend(n);
    rs
}

/// The shell in the node namespace.
pub struct Node {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    dir: PathBuf,
    python: PathBuf,
    port: u16,
}

impl Node {
    /// Starts the node and builds the topology; `Err` says why kernel tests cannot run here
    /// (not root, tools missing). Panics when the topology cannot be built.
    pub fn start() -> Result<Node, String> {
        let unshare = find_bin("unshare").ok_or("`unshare` not found")?;
        for tool in [
            "ip",
            "nft",
            "iptables-legacy-restore",
            "iptables-legacy-save",
            "iptables-nft-restore",
            "ipset",
            "bash",
        ] {
            find_bin(tool).ok_or(format!("`{tool}` not found (scripts/setup.sh installs it)"))?;
        }
        let python =
            find_bin("python3").ok_or("`python3` not found (scripts/setup.sh installs it)")?;
        let ok = Command::new(&unshare)
            .args(["-n", "-m", "true"])
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run unshare: {e}"))?;
        if !ok.success() {
            return Err("`unshare -n -m` failed (not root, or namespaces unavailable)".into());
        }
        static NODES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NODES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("nfdiff-trace-kernel-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut child = Command::new(&unshare)
            .args(["-n", "-m", "--", "bash", "--noprofile", "--norc", "-s"])
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LC_ALL", "C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run unshare: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut node = Node {
            child,
            stdin,
            stdout,
            dir,
            python,
            port: 20000,
        };
        let topo = fixtures().join("topology.sh");
        node.exchange(
            &format!(". '{}'; echo \"\n{END} $?\"\n", topo.display()),
            "source topology.sh",
        )?;
        // From here on the namespace works: a failure is a test failure, not a reason to skip.
        if let Err(e) = node.run("tk_topology") {
            panic!("building the node topology failed: {e}");
        }
        Ok(node)
    }

    /// Runs shell lines (with `set -e`) in the node; returns stdout and stderr, merged.
    pub fn run(&mut self, script: &str) -> Result<String, String> {
        let wrapped = format!("( set -e\n{script}\n) </dev/null 2>&1; echo \"\n{END} $?\"\n");
        self.exchange(&wrapped, script)
    }

    /// Writes `wrapped` (which must end by echoing the end marker and the status) and reads
    /// up to the marker.
    fn exchange(&mut self, wrapped: &str, script: &str) -> Result<String, String> {
        self.stdin
            .write_all(wrapped.as_bytes())
            .and_then(|_| self.stdin.flush())
            .map_err(|e| format!("the node shell is gone: {e}"))?;
        let mut out = String::new();
        loop {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .map_err(|e| format!("cannot read from the node shell: {e}"))?;
            if n == 0 {
                return Err(format!("the node shell exited; output so far:\n{out}"));
            }
            if let Some(code) = line.strip_prefix(END) {
                let code = code.trim();
                if code == "0" {
                    return Ok(out);
                }
                return Err(format!(
                    "exit status {code} of:\n{script}\n--- output ---\n{out}"
                ));
            }
            out.push_str(&line);
        }
    }

    /// A source port (or echo identifier) not used before in this node, so every probe
    /// starts a new connection.
    pub fn fresh_port(&mut self) -> u16 {
        self.port = if self.port >= 60000 {
            20000
        } else {
            self.port + 1
        };
        self.port
    }

    /// A scratch file in the test's directory.
    fn file(&self, name: &str, content: &str) -> Result<PathBuf, String> {
        let p = self.dir.join(name);
        std::fs::write(&p, content).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        Ok(p)
    }

    /// Flushes both backends and loads `load`.
    pub fn load(&mut self, load: &Load) -> Result<(), String> {
        let mut s = String::from("tk_legacy_reset\nnft flush ruleset\n");
        s.push_str(&load.prelude);
        s.push('\n');
        let mut legacy = String::new();
        if let Some(l) = &load.legacy {
            let p = self.file("legacy.rules", l)?;
            legacy = format!("iptables-legacy-restore -w < '{}'\n", p.display());
        }
        let mut nft = String::new();
        if let Some(n) = &load.iptables_nft {
            let p = self.file("iptables-nft.rules", n)?;
            nft.push_str(&format!("iptables-nft-restore -w < '{}'\n", p.display()));
        }
        if let Some(n) = &load.nft {
            let p = self.file("ruleset.nft", n)?;
            nft.push_str(&format!("nft -f '{}'\n", p.display()));
        }
        if load.nft_first {
            s.push_str(&nft);
            s.push_str(&legacy);
        } else {
            s.push_str(&legacy);
            s.push_str(&nft);
        }
        self.run(&s).map(|_| ())
    }

    /// Sends the probe (after loading) and captures delivery and the node's dumps.
    pub fn send(&mut self, p: &Probe, json: bool) -> Result<Capture, String> {
        let send = fixtures().join("send.py");
        let script = format!(
            "tk_probe {to} {src} {proto}\n\
             ip netns exec {from} timeout 5 '{py}' '{send}' {proto} {src} {dst} {sport} {dport}\n\
             sleep 0.03\n\
             echo delivered=$(tk_delivered {to})\n\
             iptables-legacy-save -c > '{dir}/legacy.save'\n\
             nft list ruleset > '{dir}/nft.txt'\n\
             {json}",
            to = p.to.ns,
            from = p.from.ns,
            src = p.from.ip,
            proto = p.proto,
            py = self.python.display(),
            send = send.display(),
            dst = p.dst,
            sport = p.sport,
            dport = p.dport,
            dir = self.dir.display(),
            json = if json {
                format!("nft -j list ruleset > '{}/nft.json'\n", self.dir.display())
            } else {
                String::new()
            },
        );
        let out = self.run(&script)?;
        let delivered = out
            .lines()
            .find_map(|l| l.strip_prefix("delivered="))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("no delivery count in:\n{out}"))?;
        let read = |n: &str| {
            std::fs::read_to_string(self.dir.join(n)).map_err(|e| format!("cannot read {n}: {e}"))
        };
        Ok(Capture {
            delivered,
            legacy_save: read("legacy.save")?,
            nft_text: read("nft.txt")?,
            nft_json: if json { Some(read("nft.json")?) } else { None },
        })
    }
}

impl Node {
    /// The node's rulesets as a live reader sees them: nf_tables read over netlink from inside
    /// the node's namespace (one thread joins it), with the legacy save of `cap`.
    #[cfg(feature = "netlink")]
    pub fn live_ruleset(&self, cap: &Capture) -> Ruleset {
        let ns = format!("/proc/{}/ns/net", self.child.id());
        let nft = std::thread::spawn(move || {
            let f = std::fs::File::open(&ns).unwrap_or_else(|e| panic!("{ns}: {e}"));
            // SAFETY: setns on a valid namespace fd; it changes only this thread's namespace
            // (and that of the threads it starts), never the test process's other threads.
            let rc =
                unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&f), libc::CLONE_NEWNET) };
            assert_eq!(
                rc,
                0,
                "setns into the node: {}",
                std::io::Error::last_os_error()
            );
            netfilter_model::netlink::read_live_nft()
                .unwrap_or_else(|e| panic!("live read in the node: {e}"))
        })
        .join()
        .unwrap_or_else(|_| panic!("the live reader thread panicked"));
        let lopts =
            ParseOptions::new("kernel:iptables-legacy-save -c").with_backend(Some(Backend::Legacy));
        let mut rs = parse_iptables_save(&cap.legacy_save, &lopts)
            .unwrap_or_else(|e| panic!("cannot read the kernel's legacy save: {e}"));
        rs.extend(nft);
        rs
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.stdin.write_all(b"exit 0\n");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
