//! What the trace knows about the node itself: its local and broadcast addresses, and the
//! address types (`-m addrtype`, nft `fib … type`) the kernel derives from them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;

use crate::model::Direction;

use super::matching::Truth;

/// The node's addresses, as its local routing table holds them.
///
/// The kernel decides an IPv4 address type with a lookup in the `local` table only: its
/// `local` routes (one per address, the whole prefix for addresses on the loopback device),
/// its `broadcast` routes (the subnet broadcast of each address with a prefix shorter than
/// /31), and otherwise `UNICAST`. So with these lists `LOCAL`, `BROADCAST` and `UNICAST` are
/// decided; without them they stay *maybe*.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[non_exhaustive]
pub struct LocalAddrs {
    /// Local prefixes (`/32` or `/128` for an address; `127.0.0.0/8` for the loopback one).
    pub local: Vec<IpNet>,
    /// IPv4 broadcast addresses of the node; `None` when not known (then an IPv4 address that
    /// is not local may be `UNICAST` or `BROADCAST`).
    pub broadcast: Option<Vec<IpAddr>>,
}

/// One `--local-addr` value: an address, optionally with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalAddrSpec {
    /// The address.
    pub addr: IpAddr,
    /// The prefix length of the interface address, when given.
    pub prefix: Option<u8>,
}

impl FromStr for LocalAddrSpec {
    type Err = String;

    /// `10.0.0.1`, `10.0.0.1/24`, `fd00::1`, `fd00::1/64`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("`{s}`: expected an IPv4 or IPv6 address, optionally with a prefix length (10.0.0.1/24)")
        };
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| bad())?;
        let prefix = match p {
            None => None,
            Some(p) => {
                let n: u8 = p.trim().parse().map_err(|_| bad())?;
                let max = if addr.is_ipv6() { 128 } else { 32 };
                if n > max {
                    return Err(format!("`{s}`: prefix length {n} is longer than {max}"));
                }
                Some(n)
            }
        };
        Ok(LocalAddrSpec { addr, prefix })
    }
}

impl fmt::Display for LocalAddrSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(p) => write!(f, "{}/{p}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

fn host(a: IpAddr) -> IpNet {
    IpNet::from(a)
}

/// The subnet broadcast the kernel adds for an IPv4 interface address (prefix below /31).
fn subnet_broadcast(a: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    if prefix >= 31 {
        return None;
    }
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    Some(Ipv4Addr::from(u32::from(a) | !mask))
}

impl LocalAddrs {
    /// Builds the node facts from `--local-addr` values. The loopback addresses
    /// (`127.0.0.0/8`, `::1`) are local on every running node and are added; subnet
    /// broadcasts are known when every IPv4 address came with its prefix length.
    pub fn from_specs(specs: &[LocalAddrSpec]) -> LocalAddrs {
        let mut local = vec![
            IpNet::from_str("127.0.0.0/8").unwrap_or_else(|_| host(Ipv4Addr::LOCALHOST.into())),
            host(Ipv6Addr::LOCALHOST.into()),
        ];
        let mut broadcast = vec![IpAddr::V4(Ipv4Addr::new(127, 255, 255, 255))];
        let mut all_prefixed = true;
        for s in specs {
            local.push(host(s.addr));
            if let IpAddr::V4(a) = s.addr {
                match s.prefix {
                    Some(p) => broadcast.extend(subnet_broadcast(a, p).map(IpAddr::V4)),
                    None => all_prefixed = false,
                }
            }
        }
        LocalAddrs::new(local, all_prefixed.then_some(broadcast))
    }

    /// Node facts from the local prefixes and (when known) the IPv4 broadcast addresses.
    pub fn new(mut local: Vec<IpNet>, broadcast: Option<Vec<IpAddr>>) -> LocalAddrs {
        local.sort();
        local.dedup();
        let broadcast = broadcast.map(|mut b| {
            b.sort();
            b.dedup();
            b
        });
        LocalAddrs { local, broadcast }
    }

    /// Facts from interface addresses as `getifaddrs(3)` lists them: `(address, prefix
    /// length, on the loopback device)` of interfaces that are up. An address on the loopback
    /// device makes its whole prefix local, as the kernel's `local 127.0.0.0/8` route does.
    pub fn from_interface_addrs(addrs: &[(IpAddr, u8, bool)]) -> LocalAddrs {
        let mut local = Vec::new();
        let mut broadcast = Vec::new();
        for &(a, prefix, loopback) in addrs {
            local.push(host(a));
            if loopback {
                if let Ok(n) = IpNet::new(a, prefix) {
                    local.push(n.trunc());
                }
            }
            if let IpAddr::V4(v4) = a {
                broadcast.extend(subnet_broadcast(v4, prefix).map(IpAddr::V4));
            }
        }
        LocalAddrs::new(local, Some(broadcast))
    }

    /// Whether `a` is an address of this node.
    pub fn is_local(&self, a: IpAddr) -> bool {
        self.local.iter().any(|n| n.contains(&a))
    }

    /// The prefixes, for reports (`10.0.0.1/32`, `127.0.0.0/8`).
    pub fn describe(&self) -> String {
        let v: Vec<String> = self.local.iter().map(ToString::to_string).collect();
        v.join(", ")
    }
}

/// The IPv4 address types the kernel's `inet_dev_addr_type` may answer for `a`: one when
/// the facts decide it, two (`UNICAST` or `BROADCAST`) without the broadcast list, with why.
fn v4_types(
    a: Ipv4Addr,
    node: Option<&LocalAddrs>,
) -> Result<&'static str, (&'static [&'static str], &'static str)> {
    if a.octets()[0] == 0 || a.is_broadcast() {
        return Ok("BROADCAST");
    }
    if a.is_multicast() {
        return Ok("MULTICAST");
    }
    let Some(node) = node else {
        return Err((
            &["LOCAL", "BROADCAST", "UNICAST"],
            "the node's local addresses are not known (--local-addr)",
        ));
    };
    if node.is_local(IpAddr::V4(a)) {
        return Ok("LOCAL");
    }
    match &node.broadcast {
        Some(b) if b.contains(&IpAddr::V4(a)) => Ok("BROADCAST"),
        Some(_) => Ok("UNICAST"),
        None => Err((
            &["BROADCAST", "UNICAST"],
            "the node's broadcast addresses are not known (give --local-addr with a prefix length)",
        )),
    }
}

/// Decides an address-type match (`-m addrtype`, nft `fib … type`): `types` are uppercase
/// kernel names, the match holds when the address has any of them. `limit_iface` ties the
/// lookup to the packet's interface: a local or broadcast address held by another interface
/// is `UNICAST` then, and which interface holds it is not known, so that case stays *maybe*.
pub(crate) fn addr_type_truth(
    dir: Direction,
    types: &[String],
    limit_iface: bool,
    addr: IpAddr,
    node: Option<&LocalAddrs>,
) -> Truth {
    let which = match dir {
        Direction::Src => "source",
        Direction::Dst => "destination",
    };
    let has = |t: &str| types.iter().any(|x| x == t);
    match addr {
        IpAddr::V4(a) => match v4_types(a, node) {
            Ok(t) if limit_iface && matches!(t, "LOCAL" | "BROADCAST") => {
                // Either the interface holds it (type `t`) or another does (UNICAST).
                match (has(t), has("UNICAST")) {
                    (true, true) => Truth::Yes,
                    (false, false) => Truth::No,
                    _ => Truth::Maybe(format!(
                        "the {which} {a} is {t} on the node, but which interface holds it is not known"
                    )),
                }
            }
            Ok(t) => Truth::from(has(t)),
            Err((possible, why)) => {
                let hits = possible.iter().filter(|t| has(t)).count();
                if hits == 0 {
                    Truth::No
                } else if hits == possible.len() {
                    Truth::Yes
                } else {
                    Truth::Maybe(format!("the type of the {which} {a} is not known: {why}"))
                }
            }
        },
        IpAddr::V6(a) => {
            // xt_addrtype's IPv6 test: every named type must hold.
            let multicast = a.is_multicast();
            let unspecified = a.is_unspecified();
            let mut truth = Truth::Yes;
            for t in types {
                let this = match t.as_str() {
                    "MULTICAST" => Truth::from(multicast),
                    "UNICAST" => Truth::from(!multicast && !unspecified),
                    "UNSPEC" => Truth::from(unspecified),
                    "LOCAL" => match node {
                        Some(n) => Truth::from(n.is_local(IpAddr::V6(a))),
                        None => Truth::Maybe(format!(
                            "whether the {which} {a} is local is not known: the node's local addresses are not known (--local-addr)"
                        )),
                    },
                    other => Truth::Maybe(format!(
                        "whether the {which} {a} is {other} depends on the node's routes"
                    )),
                };
                truth = truth.and(this);
            }
            if types.len() > 1 && !matches!(truth, Truth::No) {
                // Several IPv6 types: the kernel's combination depends on routes.
                return Truth::Maybe(format!(
                    "the IPv6 address types {} of the {which} {a} depend on the node's routes",
                    types.join(",")
                ));
            }
            truth
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> LocalAddrs {
        LocalAddrs::from_specs(&["10.1.0.1/24".parse().unwrap(), "fd00::1".parse().unwrap()])
    }

    fn t(types: &[&str]) -> Vec<String> {
        types.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn decides_v4_types_with_facts() {
        let n = node();
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let d = Direction::Dst;
        assert_eq!(
            addr_type_truth(d, &t(&["LOCAL"]), false, a("10.1.0.1"), Some(&n)),
            Truth::Yes
        );
        assert_eq!(
            addr_type_truth(d, &t(&["LOCAL"]), false, a("127.3.0.1"), Some(&n)),
            Truth::Yes
        );
        assert_eq!(
            addr_type_truth(d, &t(&["LOCAL"]), false, a("10.1.0.2"), Some(&n)),
            Truth::No
        );
        assert_eq!(
            addr_type_truth(d, &t(&["UNICAST"]), false, a("10.1.0.2"), Some(&n)),
            Truth::Yes
        );
        assert_eq!(
            addr_type_truth(d, &t(&["BROADCAST"]), false, a("10.1.0.255"), Some(&n)),
            Truth::Yes
        );
        assert_eq!(
            addr_type_truth(d, &t(&["BROADCAST"]), false, a("255.255.255.255"), None),
            Truth::Yes
        );
        assert!(matches!(
            addr_type_truth(d, &t(&["LOCAL"]), false, a("10.1.0.1"), None),
            Truth::Maybe(_)
        ));
        assert!(matches!(
            addr_type_truth(d, &t(&["LOCAL"]), true, a("10.1.0.1"), Some(&n)),
            Truth::Maybe(_)
        ));
        assert_eq!(
            addr_type_truth(d, &t(&["LOCAL", "UNICAST"]), true, a("10.1.0.1"), Some(&n)),
            Truth::Yes
        );
        // Without prefix lengths the broadcast addresses are not known.
        let bare = LocalAddrs::from_specs(&["10.1.0.1".parse().unwrap()]);
        assert!(matches!(
            addr_type_truth(d, &t(&["UNICAST"]), false, a("10.1.0.2"), Some(&bare)),
            Truth::Maybe(_)
        ));
        assert_eq!(
            addr_type_truth(d, &t(&["LOCAL"]), false, a("10.1.0.2"), Some(&bare)),
            Truth::No
        );
    }

    #[test]
    fn decides_v6_local() {
        let n = node();
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let s = Direction::Src;
        assert_eq!(
            addr_type_truth(s, &t(&["LOCAL"]), false, a("fd00::1"), Some(&n)),
            Truth::Yes
        );
        assert_eq!(
            addr_type_truth(s, &t(&["LOCAL"]), false, a("::1"), Some(&n)),
            Truth::Yes
        );
        assert_eq!(
            addr_type_truth(s, &t(&["LOCAL"]), false, a("fd00::2"), Some(&n)),
            Truth::No
        );
        assert_eq!(
            addr_type_truth(s, &t(&["MULTICAST"]), false, a("ff02::1"), None),
            Truth::Yes
        );
    }

    #[test]
    fn parses_specs() {
        assert_eq!(
            "10.0.0.1/24".parse::<LocalAddrSpec>().unwrap().prefix,
            Some(24)
        );
        assert!("10.0.0.1/33".parse::<LocalAddrSpec>().is_err());
        assert!("eth0".parse::<LocalAddrSpec>().is_err());
        let l = LocalAddrs::from_interface_addrs(&[
            ("127.0.0.1".parse().unwrap(), 8, true),
            ("192.168.1.5".parse().unwrap(), 24, false),
        ]);
        assert!(l.is_local("127.9.9.9".parse().unwrap()));
        assert!(!l.is_local("192.168.1.6".parse().unwrap()));
        assert_eq!(
            l.broadcast.as_deref().unwrap(),
            &[
                "127.255.255.255".parse::<IpAddr>().unwrap(),
                "192.168.1.255".parse().unwrap()
            ]
        );
    }
}
