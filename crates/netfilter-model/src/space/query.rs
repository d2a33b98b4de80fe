//! The question: which part of the packet space to partition (every field optional).

use crate::model::{AddrSpec, CtStateSet, IfacePattern, PortRange, Protocol};
use crate::trace::{LocalAddrs, TracePath};

/// The packet space to analyse. Every field left empty means "any".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpaceQuery {
    /// Input-interface pattern (`cali*`, `eth0`).
    pub iif: Option<IfacePattern>,
    /// Output-interface pattern.
    pub oif: Option<IfacePattern>,
    /// Source prefixes or ranges (any of them); IPv4 and IPv6 may be mixed.
    pub src: Vec<AddrSpec>,
    /// Destination prefixes or ranges (any of them).
    pub dst: Vec<AddrSpec>,
    /// Layer-4 protocols (any of them).
    pub proto: Vec<Protocol>,
    /// Source port ranges (any of them); asking for ports restricts to protocols with ports.
    pub sport: Vec<PortRange>,
    /// Destination port ranges (any of them).
    pub dport: Vec<PortRange>,
    /// ICMP / ICMPv6 type; restricts to ICMP packets.
    pub icmp_type: Option<u8>,
    /// Conntrack states (any of them); `None` is every state.
    pub ct_state: Option<CtStateSet>,
    /// Packet mark on entry.
    pub mark: Option<u32>,
    /// The way through the host.
    pub path: TracePath,
    /// The node's local addresses: they decide address-type matches and, with
    /// [`TracePath::Auto`], the path (sent by the node, delivered or forwarded).
    pub local_addrs: Option<LocalAddrs>,
    /// Whether sources pass the reverse-path check (`-m rpfilter`, `fib saddr . iif oif`),
    /// as the tracer assumes by default; `false` leaves such matches undecided (*may*).
    pub rpf_valid: bool,
}

impl Default for SpaceQuery {
    fn default() -> Self {
        SpaceQuery::new(TracePath::Forward)
    }
}

impl SpaceQuery {
    /// The whole packet space on one path.
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
            rpf_valid: true,
        }
    }

    /// Restricts the input interface.
    pub fn with_iif(mut self, p: IfacePattern) -> SpaceQuery {
        self.iif = Some(p);
        self
    }

    /// Restricts the output interface.
    pub fn with_oif(mut self, p: IfacePattern) -> SpaceQuery {
        self.oif = Some(p);
        self
    }

    /// Restricts the source address.
    pub fn with_src(mut self, a: Vec<AddrSpec>) -> SpaceQuery {
        self.src = a;
        self
    }

    /// Restricts the destination address.
    pub fn with_dst(mut self, a: Vec<AddrSpec>) -> SpaceQuery {
        self.dst = a;
        self
    }

    /// Restricts the protocol.
    pub fn with_proto(mut self, p: Vec<Protocol>) -> SpaceQuery {
        self.proto = p;
        self
    }

    /// Restricts the source port.
    pub fn with_sport(mut self, r: Vec<PortRange>) -> SpaceQuery {
        self.sport = r;
        self
    }

    /// Restricts the destination port.
    pub fn with_dport(mut self, r: Vec<PortRange>) -> SpaceQuery {
        self.dport = r;
        self
    }

    /// Restricts the ICMP type.
    pub fn with_icmp_type(mut self, t: u8) -> SpaceQuery {
        self.icmp_type = Some(t);
        self
    }

    /// Restricts the conntrack state.
    pub fn with_ct_state(mut self, s: CtStateSet) -> SpaceQuery {
        self.ct_state = Some(s);
        self
    }

    /// Fixes the entry mark.
    pub fn with_mark(mut self, m: u32) -> SpaceQuery {
        self.mark = Some(m);
        self
    }

    /// Gives the node's local addresses.
    pub fn with_local_addrs(mut self, l: LocalAddrs) -> SpaceQuery {
        self.local_addrs = Some(l);
        self
    }
}
