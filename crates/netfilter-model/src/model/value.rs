//! Typed values that matches compare against: interface patterns, addresses, ports, protocols.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// An interface name test: an exact name, or a prefix (iptables `cali+`, nft `"cali*"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
#[non_exhaustive]
pub enum IfacePattern {
    /// The name must be exactly this.
    Exact(String),
    /// The name must start with this (an empty prefix matches every name).
    Prefix(String),
}

impl IfacePattern {
    /// Parses iptables' spelling: a trailing `+` makes a prefix.
    pub fn from_iptables(s: &str) -> IfacePattern {
        match s.strip_suffix('+') {
            Some(p) => IfacePattern::Prefix(p.to_string()),
            None => IfacePattern::Exact(s.to_string()),
        }
    }

    /// Parses nft's spelling: a trailing unescaped `*` makes a prefix.
    pub fn from_nft(s: &str) -> IfacePattern {
        if let Some(p) = s.strip_suffix("\\*") {
            return IfacePattern::Exact(format!("{p}*"));
        }
        match s.strip_suffix('*') {
            Some(p) => IfacePattern::Prefix(p.to_string()),
            None => IfacePattern::Exact(s.to_string()),
        }
    }

    /// Whether an interface name matches this pattern.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            IfacePattern::Exact(e) => e == name,
            IfacePattern::Prefix(p) => name.starts_with(p.as_str()),
        }
    }

    /// The literal part of the pattern (the name or the prefix).
    pub fn literal(&self) -> &str {
        match self {
            IfacePattern::Exact(s) | IfacePattern::Prefix(s) => s,
        }
    }
}

impl fmt::Display for IfacePattern {
    /// nft's spelling, quoted: `"eth0"`, `"cali*"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IfacePattern::Exact(s) => write!(f, "\"{s}\""),
            IfacePattern::Prefix(s) => write!(f, "\"{s}*\""),
        }
    }
}

/// An address test: a prefix (a single host is a full-length prefix) or an inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum AddrSpec {
    /// A network prefix, normalized so host bits are zero.
    Net {
        /// The prefix.
        net: IpNet,
    },
    /// An inclusive range, `-m iprange` or nft `a-b`.
    Range {
        /// First address.
        first: IpAddr,
        /// Last address.
        last: IpAddr,
    },
}

impl AddrSpec {
    /// A prefix with host bits cleared, so `10.1.2.3/8` equals `10.0.0.0/8` as the kernel treats them.
    pub fn net(net: IpNet) -> AddrSpec {
        AddrSpec::Net { net: net.trunc() }
    }

    /// Whether this spec is IPv6.
    pub fn is_ipv6(&self) -> bool {
        match self {
            AddrSpec::Net { net } => matches!(net, IpNet::V6(_)),
            AddrSpec::Range { first, .. } => first.is_ipv6(),
        }
    }

    /// Whether an address falls inside.
    pub fn contains(&self, addr: &IpAddr) -> bool {
        match self {
            AddrSpec::Net { net } => net.contains(addr),
            AddrSpec::Range { first, last } => first <= addr && addr <= last,
        }
    }
}

/// Writes an address as `Display` does; IPv4 (most addresses of big rulesets) is
/// formatted into a stack buffer and written once instead of through seven
/// formatter calls.
fn write_addr(f: &mut fmt::Formatter<'_>, addr: IpAddr) -> fmt::Result {
    let IpAddr::V4(v4) = addr else {
        return write!(f, "{addr}");
    };
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if octet >= 100 {
            buf[n] = b'0' + octet / 100;
            n += 1;
        }
        if octet >= 10 {
            buf[n] = b'0' + octet / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + octet % 10;
        n += 1;
    }
    // Only ASCII digits and dots were written.
    match std::str::from_utf8(&buf[..n]) {
        Ok(s) => f.write_str(s),
        Err(_) => write!(f, "{addr}"),
    }
}

impl fmt::Display for AddrSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrSpec::Net { net } if net.prefix_len() == net.max_prefix_len() => {
                write_addr(f, net.addr())
            }
            AddrSpec::Net { net } => {
                write_addr(f, net.addr())?;
                write!(f, "/{}", net.prefix_len())
            }
            AddrSpec::Range { first, last } => {
                write_addr(f, *first)?;
                f.write_str("-")?;
                write_addr(f, *last)
            }
        }
    }
}

/// An inclusive port range; a single port has `first == last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub first: u16,
    /// Last port.
    pub last: u16,
}

impl PortRange {
    /// A single port.
    pub fn single(p: u16) -> PortRange {
        PortRange { first: p, last: p }
    }

    /// Whether a port falls inside.
    pub fn contains(&self, p: u16) -> bool {
        self.first <= p && p <= self.last
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// An IP protocol number (`IPPROTO_*`), rendered by name where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Protocol(pub u8);

impl Protocol {
    /// `IPPROTO_ICMP`.
    pub const ICMP: Protocol = Protocol(1);
    /// `IPPROTO_IGMP`.
    pub const IGMP: Protocol = Protocol(2);
    /// `IPPROTO_TCP`.
    pub const TCP: Protocol = Protocol(6);
    /// `IPPROTO_UDP`.
    pub const UDP: Protocol = Protocol(17);
    /// `IPPROTO_GRE`.
    pub const GRE: Protocol = Protocol(47);
    /// `IPPROTO_ESP`.
    pub const ESP: Protocol = Protocol(50);
    /// `IPPROTO_AH`.
    pub const AH: Protocol = Protocol(51);
    /// `IPPROTO_ICMPV6`.
    pub const ICMPV6: Protocol = Protocol(58);
    /// `IPPROTO_SCTP`.
    pub const SCTP: Protocol = Protocol(132);
    /// `IPPROTO_UDPLITE`.
    pub const UDPLITE: Protocol = Protocol(136);
    /// `IPPROTO_DCCP`.
    pub const DCCP: Protocol = Protocol(33);

    const NAMES: &'static [(&'static str, u8)] = &[
        ("icmp", 1),
        ("igmp", 2),
        ("ipip", 4),
        ("ipencap", 4),
        ("tcp", 6),
        ("egp", 8),
        ("pup", 12),
        ("udp", 17),
        ("idp", 22),
        ("dccp", 33),
        ("ipv6", 41),
        ("ipv6-route", 43),
        ("ipv6-frag", 44),
        ("rsvp", 46),
        ("gre", 47),
        ("esp", 50),
        ("ah", 51),
        ("icmpv6", 58),
        ("ipv6-icmp", 58),
        ("ipv6-nonxt", 59),
        ("ipv6-opts", 60),
        ("ospf", 89),
        ("eigrp", 88),
        ("ospfigp", 89),
        ("pim", 103),
        ("comp", 108),
        ("vrrp", 112),
        ("l2tp", 115),
        ("sctp", 132),
        ("mh", 135),
        ("udplite", 136),
        ("mpls-in-ip", 137),
        // Aliases: every other name of /etc/protocols (netbase) and of iptables' own list, so
        // whatever name iptables-save prints is accepted; the names above stay canonical.
        ("ggp", 3),
        ("ip-encap", 4),
        ("st", 5),
        ("igp", 9),
        ("hmp", 20),
        ("xns-idp", 22),
        ("rdp", 27),
        ("iso-tp4", 29),
        ("xtp", 36),
        ("ddp", 37),
        ("idpr-cmtp", 38),
        ("idrp", 45),
        ("ipsec-esp", 50),
        ("ipsec-ah", 51),
        ("skip", 57),
        ("rspf", 73),
        ("cphb", 73),
        ("vmtp", 81),
        ("ax.25", 93),
        ("etherip", 97),
        ("encap", 98),
        ("ipcomp", 108),
        ("isis", 124),
        ("fc", 133),
        ("mobility-header", 135),
        ("manet", 138),
        ("hip", 139),
        ("shim6", 140),
        ("wesp", 141),
        ("rohc", 142),
        ("ethernet", 143),
        ("ipv6-mh", 135),
    ];

    /// Looks up a protocol by name (case-insensitive, as iptables accepts `TCP`) or number.
    pub fn parse(s: &str) -> Option<Protocol> {
        if let Ok(n) = s.parse::<u8>() {
            return Some(Protocol(n));
        }
        let lower = s.to_ascii_lowercase();
        Protocol::NAMES
            .iter()
            .find(|(n, _)| *n == lower)
            .map(|(_, v)| Protocol(*v))
    }

    /// The canonical name, if the protocol has one.
    pub fn name(self) -> Option<&'static str> {
        Protocol::NAMES
            .iter()
            .find(|(_, v)| *v == self.0)
            .map(|(n, _)| *n)
    }

    /// Whether the protocol has 16-bit source and destination ports at the start of its header.
    pub fn has_ports(self) -> bool {
        matches!(self.0, 6 | 17 | 33 | 132 | 136)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A set of conntrack states (`NEW`, `ESTABLISHED`, ...), as a bitmask in the kernel's
/// `NF_CT_STATE_BIT` layout order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct CtStateSet(pub u8);

impl CtStateSet {
    /// `INVALID`.
    pub const INVALID: u8 = 1 << 0;
    /// `ESTABLISHED`.
    pub const ESTABLISHED: u8 = 1 << 1;
    /// `RELATED`.
    pub const RELATED: u8 = 1 << 2;
    /// `NEW`.
    pub const NEW: u8 = 1 << 3;
    /// `UNTRACKED`.
    pub const UNTRACKED: u8 = 1 << 6;
    /// `SNAT` (conntrack `--ctstate SNAT`: the connection is source-NATed).
    pub const SNAT: u8 = 1 << 4;
    /// `DNAT` (conntrack `--ctstate DNAT`: the connection is destination-NATed).
    pub const DNAT: u8 = 1 << 5;

    const NAMES: &'static [(&'static str, u8)] = &[
        ("invalid", Self::INVALID),
        ("established", Self::ESTABLISHED),
        ("related", Self::RELATED),
        ("new", Self::NEW),
        ("untracked", Self::UNTRACKED),
        ("snat", Self::SNAT),
        ("dnat", Self::DNAT),
    ];

    /// Parses one state name (case-insensitive).
    pub fn bit(name: &str) -> Option<u8> {
        let lower = name.to_ascii_lowercase();
        CtStateSet::NAMES
            .iter()
            .find(|(n, _)| *n == lower)
            .map(|(_, b)| *b)
    }

    /// Parses a comma-separated list such as `RELATED,ESTABLISHED`.
    pub fn parse_list(s: &str) -> Option<CtStateSet> {
        let mut bits = 0;
        for part in s.split(',') {
            bits |= CtStateSet::bit(part.trim())?;
        }
        Some(CtStateSet(bits))
    }

    /// Whether the set contains every bit of `state`.
    pub fn contains(self, state: u8) -> bool {
        self.0 & state == state
    }
}

/// A set equals a bit constant when it holds exactly those bits:
/// `packet.ct_state == CtStateSet::NEW`.
impl PartialEq<u8> for CtStateSet {
    fn eq(&self, bits: &u8) -> bool {
        self.0 == *bits
    }
}

impl fmt::Display for CtStateSet {
    /// nft's spelling in a fixed order: `established,related`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, bit) in CtStateSet::NAMES {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// TCP flag bits as in the header (`FIN` = 0x01 ... `CWR` = 0x80).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    const NAMES: &'static [(&'static str, u8)] = &[
        ("fin", 0x01),
        ("syn", 0x02),
        ("rst", 0x04),
        ("psh", 0x08),
        ("ack", 0x10),
        ("urg", 0x20),
        ("ecn", 0x40),
        ("cwr", 0x80),
    ];

    /// Parses a comma-separated flag list (`SYN,ACK`, `ALL`, `NONE`), case-insensitive.
    pub fn parse_list(s: &str) -> Option<TcpFlags> {
        let mut bits = 0u8;
        for part in s.split(',') {
            let lower = part.trim().to_ascii_lowercase();
            match lower.as_str() {
                // iptables' ALL is the six classic flags (libxt_tcp), not ECN and CWR.
                "all" => bits = 0x3f,
                "none" => {}
                _ => {
                    bits |= TcpFlags::NAMES
                        .iter()
                        .find(|(n, _)| *n == lower)
                        .map(|(_, b)| *b)?
                }
            }
        }
        Some(TcpFlags(bits))
    }
}

impl fmt::Display for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0x0");
        }
        let mut first = true;
        for (name, bit) in TcpFlags::NAMES {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Which end of a packet a match or set key looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Source address/port, or input interface.
    Src,
    /// Destination address/port, or output interface.
    Dst,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_std_does() {
        for a in [
            "0.0.0.0",
            "1.2.3.4",
            "10.96.0.10",
            "99.100.101.255",
            "255.255.255.255",
            "fe80::1",
            "::ffff:1.2.3.4",
        ] {
            let ip: IpAddr = a.parse().expect("valid address");
            let host = AddrSpec::Net {
                net: IpNet::from(ip),
            };
            assert_eq!(host.to_string(), a);
            for len in [0u8, 8, 24] {
                let net = IpNet::new(ip, len).expect("valid prefix").trunc();
                let spec = AddrSpec::Net { net };
                assert_eq!(spec.to_string(), format!("{}/{}", net.addr(), len));
                assert_eq!(spec.to_string(), net.to_string());
            }
            let range = AddrSpec::Range {
                first: ip,
                last: ip,
            };
            assert_eq!(range.to_string(), format!("{ip}-{ip}"));
        }
    }
}
