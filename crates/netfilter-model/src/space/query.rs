//! The question: which part of the packet space to partition (every field optional).

use crate::model::{AddrSpec, CtStateSet, IfacePattern, PortRange, Protocol};
use crate::trace::{LocalAddrs, TracePath};

/// The packet space to analyse. Every field left empty means "any value".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpaceQuery {
    /// Input interface names (a name or a `prefix*`).
    pub iif: Option<IfacePattern>,
    /// Output interface names.
    pub oif: Option<IfacePattern>,
    /// Source addresses: the packet's source is in one of these (IPv4 or IPv6; with only
    /// IPv4 specs, the space holds only IPv4 packets).
    pub src: Vec<AddrSpec>,
    /// Destination addresses.
    pub dst: Vec<AddrSpec>,
    /// Layer-4 protocols.
    pub proto: Vec<Protocol>,
    /// Source ports (restricts the space to protocols with ports).
    pub sport: Vec<PortRange>,
    /// Destination ports (restricts the space to protocols with ports).
    pub dport: Vec<PortRange>,
    /// ICMP / ICMPv6 type (restricts the space to those protocols).
    pub icmp_type: Option<u8>,
    /// Conntrack states the packet may arrive with (any of them); `None` is any.
    pub ct_state: Option<CtStateSet>,
    /// Packet mark on entry.
    pub mark: Option<u32>,
    /// The way through the host.
    pub path: TracePath,
    /// The node's local addresses (decide [`TracePath::Auto`]).
    pub local_addrs: Option<LocalAddrs>,
}

impl Default for SpaceQuery {
    fn default() -> SpaceQuery {
        SpaceQuery::new(TracePath::Forward)
    }
}

impl SpaceQuery {
    /// The whole packet space on a path.
    pub fn new(path: TracePath) -> SpaceQuery {
        SpaceQuery {
            iif: None,
            oif: None,
            src: Vec::new(),
            dst: Vec::new(),
            proto: Vec::new(),
            sport: Vec::new(),
            dport: Vec::new(),
            icmp_type: None,
            ct_state: None,
            mark: None,
            path,
            local_addrs: None,
        }
    }

    /// The interface patterns the query names (they join the interface alphabet).
    pub(crate) fn iface_literals(&self) -> impl Iterator<Item = &IfacePattern> {
        self.iif.iter().chain(self.oif.iter())
    }
}
