//! Witness packets with claimed verdicts, sent through the kernel of the tracer's test node.
//!
//! A witness is a concrete packet (a `trace::Packet` plus the TCP flag byte) and the verdicts
//! someone claims for it (the packet-space engine for a class, or the concrete tracer). The
//! harness loads the ruleset into the node of `trace_kernel::node` (a fresh `unshare -n -m`
//! namespace with pods behind `cali…` veths and a remote host behind `eth1`), turns each
//! witness into a wire packet sent from the endpoint behind its input interface (with its own
//! IP header, so any source address works), counts where it arrives, and compares.
//!
//! Only witnesses the topology can produce are sent: forward path, IPv4, an input interface and
//! output interface of the node that the destination's route agrees with, a source the node
//! does not treat as martian, ct state new with no marks, a concrete protocol (TCP only as a
//! bare SYN, ICMP only as a request type that starts a connection). Every other witness is
//! counted as *not realizable* with the reason, never as agreeing.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use netfilter_model::model::{CtStateSet, Protocol, Ruleset};
use netfilter_model::trace::{FinalVerdict, Packet, TracePath};

use crate::all::trace_kernel::node::{combine, Endpoint, Load, Node, ENDPOINTS};

/// The IP id every witness carries; the arrival counters match on it, so ICMP errors and TCP
/// resets the node sends back (with ids of its own) are never counted as the witness.
const WITNESS_IP_ID: u16 = 0x6e66;

/// TCP flag byte of a bare SYN.
pub const TCP_SYN: u8 = 0x02;

/// A witness packet and what is claimed for it.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The packet as the engine or tracer describes it.
    pub packet: Packet,
    /// The TCP flag byte (for TCP packets).
    pub tcp_flags: u8,
    /// Every verdict the claimant holds possible (one, unless it is uncertain or depends on
    /// the order of equal-priority base chains).
    pub claimed: Vec<FinalVerdict>,
    /// What the witness stands for (a class description, a case seed).
    pub label: String,
}

/// What happened to one witness.
#[derive(Debug, Clone)]
pub enum WitnessResult {
    /// Sent; the kernel delivered it (`Accept`) or not (`Drop`).
    Sent(FinalVerdict),
    /// The topology cannot produce this packet; the reason.
    NotRealizable(String),
}

/// One witness and its result.
#[derive(Debug, Clone)]
pub struct WitnessOutcome {
    /// The witness.
    pub witness: Witness,
    /// The kernel's answer.
    pub result: WitnessResult,
}

impl WitnessOutcome {
    /// Whether the kernel's verdict is one of the claimed ones (`None`: not sent).
    pub fn agrees(&self) -> Option<bool> {
        match &self.result {
            WitnessResult::Sent(v) => Some(self.witness.claimed.contains(v)),
            WitnessResult::NotRealizable(_) => None,
        }
    }
}

impl fmt::Display for WitnessOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.witness.packet;
        write!(
            f,
            "{}: {} -> {} proto {} sport {} dport {} icmp {}/{} flags {:#04x} in {} out {}: claimed {:?}, ",
            self.witness.label,
            p.src,
            p.dst,
            p.proto.map_or("?".into(), |x| x.0.to_string()),
            p.sport.map_or("?".into(), |x| x.to_string()),
            p.dport.map_or("?".into(), |x| x.to_string()),
            p.icmp_type.map_or("?".into(), |x| x.to_string()),
            p.icmp_code.map_or("?".into(), |x| x.to_string()),
            self.witness.tcp_flags,
            p.iif.as_deref().unwrap_or("-"),
            p.oif.as_deref().unwrap_or("-"),
            self.witness.claimed,
        )?;
        match &self.result {
            WitnessResult::Sent(v) => write!(f, "kernel {v}"),
            WitnessResult::NotRealizable(why) => write!(f, "not sent ({why})"),
        }
    }
}

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Sent and the kernel agreed.
    pub agreed: usize,
    /// Sent and the kernel disagreed.
    pub disagreed: usize,
    /// Not sent.
    pub not_realizable: usize,
    /// Sent, agreed, and the claim was a single verdict (a sharp check).
    pub sharp: usize,
    /// Sent and delivered by the kernel.
    pub delivered: usize,
}

impl Tally {
    /// Adds one outcome.
    pub fn add(&mut self, o: &WitnessOutcome) {
        if matches!(o.result, WitnessResult::Sent(FinalVerdict::Accept)) {
            self.delivered += 1;
        }
        match o.agrees() {
            Some(true) => {
                self.agreed += 1;
                if o.witness.claimed.len() == 1 {
                    self.sharp += 1;
                }
            }
            Some(false) => self.disagreed += 1,
            None => self.not_realizable += 1,
        }
    }
}

/// The wire packet of a realizable witness.
#[derive(Debug, Clone)]
struct Wire {
    from: Endpoint,
    proto: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: u16,
    dport: u16,
    flags: u8,
    icmp_type: u8,
    icmp_code: u8,
}

/// The endpoint the node routes `dst` to, or why the packet would not be forwarded.
pub fn route(dst: Ipv4Addr) -> Result<Endpoint, String> {
    if let Some(e) = ENDPOINTS.iter().find(|e| e.ip.parse() == Ok(dst)) {
        return Ok(*e);
    }
    if martian(dst) || dst.is_broadcast() {
        return Err(format!("destination {dst} is not routable unicast"));
    }
    let o = dst.octets();
    if o[0..3] == [192, 168, 50] {
        // The node's own subnet on eth1: only the remote host answers ARP there.
        return Err(format!(
            "destination {dst} is on eth1's subnet but not the remote host"
        ));
    }
    // Everything else follows the node's default route, via the remote host.
    Ok(ENDPOINTS[3])
}

fn martian(a: Ipv4Addr) -> bool {
    let o = a.octets();
    o[0] == 0 || o[0] == 127 || o[0] >= 224
}

/// Turns a witness into a wire packet, or says why the topology cannot produce it.
fn realize(w: &Witness) -> Result<Wire, String> {
    let p = &w.packet;
    if p.path != TracePath::Forward {
        return Err(format!("path {:?} (only forward is sent)", p.path));
    }
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (p.src, p.dst) else {
        return Err("IPv6 (the test node has IPv6 off)".into());
    };
    if p.ct_state != CtStateSet::NEW {
        return Err("ct state other than new".into());
    }
    if p.mark != 0 || p.ct_mark != 0 {
        return Err("a mark on entry".into());
    }
    if !p.rpf_valid {
        return Err("a source failing the reverse-path check".into());
    }
    let iif = p.iif.as_deref().ok_or("no input interface")?;
    let from = *ENDPOINTS
        .iter()
        .find(|e| e.node_if == iif)
        .ok_or_else(|| format!("input interface {iif} is not one of the node's"))?;
    let to = route(dst)?;
    if p.oif.as_deref() != Some(to.node_if) {
        return Err(format!(
            "output interface {:?} but the node routes {dst} out {}",
            p.oif, to.node_if
        ));
    }
    if to == from {
        return Err(format!("{dst} is routed back out {iif}"));
    }
    if martian(src) || src.is_broadcast() || src == dst {
        return Err(format!("source {src} is martian"));
    }
    if src == Ipv4Addr::new(192, 168, 50, 1) || src == Ipv4Addr::new(192, 168, 50, 255) {
        return Err(format!("source {src} is the node's own or broadcast"));
    }
    let proto = p.proto.ok_or("no protocol")?;
    let (mut sport, mut dport, mut flags, mut itype, mut icode) = (0, 0, 0, 0, 0);
    match proto {
        Protocol::TCP | Protocol::UDP => {
            sport = p.sport.ok_or("no source port")?;
            dport = p.dport.ok_or("no destination port")?;
            if proto == Protocol::TCP {
                if w.tcp_flags != TCP_SYN {
                    return Err(format!(
                        "TCP flags {:#04x} (only a bare SYN starts a connection)",
                        w.tcp_flags
                    ));
                }
                flags = w.tcp_flags;
            }
        }
        Protocol::ICMP => {
            itype = p.icmp_type.ok_or("no ICMP type")?;
            icode = p.icmp_code.ok_or("no ICMP code")?;
            if ![8, 13, 15, 17].contains(&itype) {
                return Err(format!(
                    "ICMP type {itype} (conntrack calls it invalid without a connection)"
                ));
            }
            // Echo identifier and sequence: the ports, when given.
            sport = p.sport.unwrap_or(1);
            dport = p.dport.unwrap_or(1);
        }
        _ => {
            if p.sport.is_some() || p.dport.is_some() {
                return Err(format!("ports on protocol {}", proto.0));
            }
        }
    }
    Ok(Wire {
        from,
        proto: proto.0,
        src,
        dst,
        sport,
        dport,
        flags,
        icmp_type: itype,
        icmp_code: icode,
    })
}

/// A system binary.
fn find_bin(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .map(PathBuf::from)
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn sender() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/space-kernel/send_packet.py"
    ))
    .to_path_buf()
}

/// Makes the node fit for witnesses (idempotent): the remote host routes everything via the
/// node, the node sends no ICMP redirects (they would look like arrivals), and every
/// endpoint counts (and drops) arriving witnesses in an nft table `witness`.
pub fn prepare(node: &mut Node) -> Result<(), String> {
    let mut s = String::from(
        "ip -n remote route replace default via 192.168.50.1\n\
         for f in all default eth1 cali5c4d3e2f1a0 cali9f8e7d6c5b4 cali1a2b3c4d5e6; do echo 0 > /proc/sys/net/ipv4/conf/$f/send_redirects; done\n",
    );
    for e in ENDPOINTS {
        s.push_str(&format!(
            "ip netns exec {ns} nft -f - <<'NFT'\n\
             table ip witness\n\
             delete table ip witness\n\
             table ip witness {{\n\
             \tchain pre {{\n\
             \t\ttype filter hook prerouting priority -450; policy drop;\n\
             \t\tip id {WITNESS_IP_ID} counter\n\
             \t}}\n\
             }}\n\
             NFT\n",
            ns = e.ns
        ));
    }
    node.run(&s).map(|_| ())
}

/// Arrivals counted so far per endpoint namespace.
fn arrivals(node: &mut Node) -> Result<BTreeMap<&'static str, u64>, String> {
    let mut s = String::new();
    for e in ENDPOINTS {
        s.push_str(&format!(
            "echo {ns}=$(ip netns exec {ns} nft list table ip witness | sed -n 's/.*counter packets \\([0-9]*\\).*/\\1/p')\n",
            ns = e.ns
        ));
    }
    let out = node.run(&s)?;
    let mut m = BTreeMap::new();
    for e in ENDPOINTS {
        let v = out
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{}=", e.ns)))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("no witness counter of {} in:\n{out}", e.ns))?;
        m.insert(e.ns, v);
    }
    Ok(m)
}

/// The ruleset the node holds now, as its listings read (`iptables-legacy-save`, `nft list
/// ruleset`): what the claims should be computed on.
pub fn dump(node: &mut Node) -> Result<Ruleset, String> {
    let legacy = node.run("iptables-legacy-save 2>/dev/null")?;
    let nft = node.run("nft list ruleset 2>/dev/null")?;
    // The witness counting tables of the endpoints live in other namespaces; the node's own
    // listing has only what the case loaded.
    Ok(combine(&legacy, &nft, false))
}

/// Loads `load` into the node (after `prepare`), forgets old conntrack entries (so a NAT
/// binding of an earlier load cannot decide a witness), and returns the node's listing.
pub fn load(node: &mut Node, load: &Load) -> Result<Ruleset, String> {
    node.load(load)?;
    if find_bin("conntrack").is_some() {
        node.run("conntrack -F >/dev/null 2>&1 || true")?;
    }
    dump(node)
}

/// Sends every witness through the node as loaded now and compares.
pub fn send_all(node: &mut Node, witnesses: &[Witness]) -> Result<Vec<WitnessOutcome>, String> {
    let python = find_bin("python3").ok_or("`python3` not found")?;
    let send = sender();
    let mut out = Vec::with_capacity(witnesses.len());
    for w in witnesses {
        let wire = match realize(w) {
            Ok(x) => x,
            Err(why) => {
                out.push(WitnessOutcome {
                    witness: w.clone(),
                    result: WitnessResult::NotRealizable(why),
                });
                continue;
            }
        };
        let before = arrivals(node)?;
        node.run(&format!(
            "ip netns exec {from} timeout 5 '{py}' '{send}' {proto} {src} {dst} {sport} {dport} {flags} {it} {ic} {id}\nsleep 0.03",
            from = wire.from.ns,
            py = python.display(),
            send = send.display(),
            proto = wire.proto,
            src = wire.src,
            dst = wire.dst,
            sport = wire.sport,
            dport = wire.dport,
            flags = wire.flags,
            it = wire.icmp_type,
            ic = wire.icmp_code,
            id = WITNESS_IP_ID,
        ))?;
        let after = arrivals(node)?;
        let delivered: u64 = ENDPOINTS
            .iter()
            .filter(|e| e.ns != wire.from.ns)
            .map(|e| after[e.ns].saturating_sub(before[e.ns]))
            .sum();
        let v = if delivered > 0 {
            FinalVerdict::Accept
        } else {
            FinalVerdict::Drop
        };
        out.push(WitnessOutcome {
            witness: w.clone(),
            result: WitnessResult::Sent(v),
        });
    }
    Ok(out)
}
