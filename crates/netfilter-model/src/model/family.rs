//! Address families of netfilter tables (nft's `ip`, `ip6`, `inet`, ...).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The family of a table, as nft names it.
///
/// `iptables-save` output is family `ip`, `ip6tables-save` output is `ip6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Family {
    /// IPv4 (`NFPROTO_IPV4`).
    Ip,
    /// IPv6 (`NFPROTO_IPV6`).
    Ip6,
    /// IPv4 and IPv6 (`NFPROTO_INET`).
    Inet,
    /// ARP (`NFPROTO_ARP`).
    Arp,
    /// Bridge (`NFPROTO_BRIDGE`).
    Bridge,
    /// Per-device ingress/egress (`NFPROTO_NETDEV`).
    Netdev,
}

impl Family {
    /// The nft keyword for the family.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ip => "ip",
            Family::Ip6 => "ip6",
            Family::Inet => "inet",
            Family::Arp => "arp",
            Family::Bridge => "bridge",
            Family::Netdev => "netdev",
        }
    }

    /// Whether IPv4 packets traverse chains of this family.
    pub fn sees_ipv4(self) -> bool {
        matches!(self, Family::Ip | Family::Inet)
    }

    /// Whether IPv6 packets traverse chains of this family.
    pub fn sees_ipv6(self) -> bool {
        matches!(self, Family::Ip6 | Family::Inet)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Family {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "ip" => Family::Ip,
            "ip6" => Family::Ip6,
            "inet" => Family::Inet,
            "arp" => Family::Arp,
            "bridge" => Family::Bridge,
            "netdev" => Family::Netdev,
            other => return Err(format!("unknown family `{other}`")),
        })
    }
}
