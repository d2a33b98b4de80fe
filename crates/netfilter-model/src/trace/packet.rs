//! The packet a trace follows: interfaces, addresses, ports, conntrack state and marks.

use std::net::IpAddr;

use crate::model::{CtStateSet, Protocol};

use super::node_facts::LocalAddrs;
use super::path::TracePath;

/// A packet query. Protocol fields left `None` are unknown: rules testing them match *maybe*,
/// which the trace takes to hold on its primary course and follows both ways (see
/// [`trace`](super::trace)). [`Packet::validate`] checks a query the way the command line does.
/// Interfaces are different: `None` (or a hook where the kernel knows no such interface,
/// such as the output interface at prerouting) is the empty name, which only an empty
/// prefix matches, as iptables compares it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct Packet {
    /// Input interface name (ignored on the output path, which has none).
    pub iif: Option<String>,
    /// Output interface name (ignored on the input path, which has none).
    pub oif: Option<String>,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Layer-4 protocol; `None` means unknown.
    pub proto: Option<Protocol>,
    /// Source port; `None` means unknown.
    pub sport: Option<u16>,
    /// Destination port; `None` means unknown.
    pub dport: Option<u16>,
    /// ICMP type; `None` means unknown.
    pub icmp_type: Option<u8>,
    /// ICMP code; `None` means unknown.
    pub icmp_code: Option<u8>,
    /// Conntrack state: exactly one of `NEW` (the default), `ESTABLISHED`, `RELATED`,
    /// `INVALID`, `UNTRACKED` ([`Packet::validate`] checks it).
    pub ct_state: CtStateSet,
    /// Packet mark on entry.
    pub mark: u32,
    /// Connection mark on entry.
    pub ct_mark: u32,
    /// The way through the host.
    pub path: TracePath,
    /// Whether the source address passes the reverse-path check on the input interface
    /// (`-m rpfilter`, nft `fib saddr . iif oif`). Default `true`: the query describes
    /// legitimate traffic whose source is routed back through the interface it came in on.
    pub rpf_valid: bool,
    /// The node's local addresses, when known: they decide address-type matches
    /// (`-m addrtype`, nft `fib … type`) and, with [`TracePath::Auto`], the path.
    pub local_addrs: Option<LocalAddrs>,
}

impl Packet {
    /// A new-connection packet on the forward path with no protocol details.
    pub fn new(src: IpAddr, dst: IpAddr) -> Packet {
        Packet {
            iif: None,
            oif: None,
            src,
            dst,
            proto: None,
            sport: None,
            dport: None,
            icmp_type: None,
            icmp_code: None,
            ct_state: CtStateSet(CtStateSet::NEW),
            mark: 0,
            ct_mark: 0,
            path: TracePath::Forward,
            rpf_valid: true,
            local_addrs: None,
        }
    }

    /// Whether the packet is IPv6 (from its source address).
    pub fn is_ipv6(&self) -> bool {
        self.src.is_ipv6()
    }

    /// Whether source and destination are of the same IP version.
    pub fn families_agree(&self) -> bool {
        self.src.is_ipv6() == self.dst.is_ipv6()
    }
}
