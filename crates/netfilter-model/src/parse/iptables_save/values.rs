//! Value syntax of iptables options: addresses with masks, ports and ranges, numbers, marks.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{AddrSpec, PortRange, Protocol};

/// An address argument of `-s`/`-d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AddrArg {
    /// A prefix (host bits cleared).
    Spec(AddrSpec),
    /// A dotted mask that is not a prefix (`/255.0.255.0`): kept verbatim.
    NonContiguous,
}

/// Parses `ADDR`, `ADDR/LEN` or `ADDR/MASK` (IPv4 dotted or IPv6 mask).
pub(crate) fn parse_addr(s: &str) -> Result<AddrArg, String> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    let addr: IpAddr = a
        .parse()
        .map_err(|_| format!("invalid address `{s}`: expected an IPv4 or IPv6 address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match m {
        None => max,
        Some(m) => {
            if let Ok(n) = m.parse::<u8>() {
                if n > max {
                    return Err(format!(
                        "invalid address `{s}`: prefix length {n} is longer than {max}"
                    ));
                }
                n
            } else {
                let mask: IpAddr = m.parse().map_err(|_| {
                    format!("invalid address `{s}`: expected a prefix length or a mask after `/`")
                })?;
                let bits: u128 = match (addr, mask) {
                    (IpAddr::V4(_), IpAddr::V4(mk)) => u128::from(u32::from(mk)) << 96,
                    (IpAddr::V6(_), IpAddr::V6(mk)) => u128::from(mk),
                    _ => {
                        return Err(format!(
                            "invalid address `{s}`: the mask's family differs from the address's"
                        ))
                    }
                };
                let ones = bits.leading_ones();
                if bits.checked_shl(ones).unwrap_or(0) != 0 {
                    return Ok(AddrArg::NonContiguous);
                }
                ones as u8
            }
        }
    };
    let net = IpNet::new(addr, len).map_err(|_| format!("invalid address `{s}`"))?;
    Ok(AddrArg::Spec(AddrSpec::net(net)))
}

/// Parses an `iprange` range `A-B` (or a single address).
pub(crate) fn parse_range(s: &str) -> Result<AddrSpec, String> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let first: IpAddr = a
        .parse()
        .map_err(|_| format!("invalid address range `{s}`: expected ADDR-ADDR"))?;
    let last: IpAddr = b
        .parse()
        .map_err(|_| format!("invalid address range `{s}`: expected ADDR-ADDR"))?;
    if first.is_ipv4() != last.is_ipv4() {
        return Err(format!("invalid address range `{s}`: mixed families"));
    }
    Ok(AddrSpec::Range { first, last })
}

const SERVICES: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("ntp", 123),
    ("netbios-ns", 137),
    ("netbios-dgm", 138),
    ("netbios-ssn", 139),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("isakmp", 500),
    ("syslog", 514),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
    ("openvpn", 1194),
    ("ms-sql-s", 1433),
    ("mysql", 3306),
    ("postgresql", 5432),
];

/// Parses one port: a number, or a well-known service name.
pub(crate) fn parse_port(s: &str) -> Result<u16, String> {
    if let Ok(n) = s.parse::<u16>() {
        return Ok(n);
    }
    SERVICES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, p)| *p)
        .ok_or_else(|| format!("invalid port `{s}`: expected a number 0-65535 or a service name"))
}

/// Parses `P`, `A:B`, `:B`, `A:` (and `A-B`, which some tools write) into an inclusive range.
pub(crate) fn parse_port_range(s: &str) -> Result<PortRange, String> {
    let split = s.split_once(':').or_else(|| {
        // `a-b` only when both sides are numbers (service names may hold dashes).
        s.split_once('-')
            .filter(|(a, b)| a.parse::<u16>().is_ok() && b.parse::<u16>().is_ok())
    });
    match split {
        None => parse_port(s).map(PortRange::single),
        Some((a, b)) => {
            let first = if a.is_empty() { 0 } else { parse_port(a)? };
            let last = if b.is_empty() { 65535 } else { parse_port(b)? };
            // A reversed range (`60000:29`) is kept as written: old iptables stored such
            // ranges and the kernel then matches no port.
            Ok(PortRange { first, last })
        }
    }
}

/// Parses a comma-separated port list (multiport).
pub(crate) fn parse_port_list(s: &str) -> Result<Vec<PortRange>, String> {
    s.split(',').map(parse_port_range).collect()
}

/// Parses a 32-bit number in decimal, `0x` hex or leading-zero octal, as iptables does.
pub(crate) fn parse_u32(s: &str) -> Result<u32, String> {
    let r = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8)
    } else {
        s.parse::<u32>()
    };
    r.map_err(|_| format!("invalid number `{s}`: expected decimal or 0x-hex"))
}

/// Parses `VALUE[/MASK]`; the mask defaults to `0xffffffff`.
pub(crate) fn parse_value_mask(s: &str) -> Result<(u32, u32), String> {
    match s.split_once('/') {
        Some((v, m)) => Ok((parse_u32(v)?, parse_u32(m)?)),
        None => Ok((parse_u32(s)?, u32::MAX)),
    }
}

/// Parses a protocol for `-p`: a name or a number; `all`/`0` give `None`.
pub(crate) fn parse_protocol(s: &str) -> Result<Option<Protocol>, String> {
    if s.eq_ignore_ascii_case("all") || s == "0" {
        return Ok(None);
    }
    Protocol::parse(s)
        .map(Some)
        .ok_or_else(|| format!("invalid protocol `{s}`: expected a name such as tcp or a number"))
}

/// Whether an address is IPv6 (for family detection of headerless dumps).
pub(crate) fn is_v6_text(s: &str) -> bool {
    s.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> AddrArg {
        AddrArg::Spec(AddrSpec::net(s.parse().unwrap()))
    }

    #[test]
    fn parses_addresses_and_masks() {
        assert_eq!(parse_addr("10.1.2.3").unwrap(), net("10.1.2.3/32"));
        assert_eq!(parse_addr("10.1.2.3/8").unwrap(), net("10.0.0.0/8"));
        assert_eq!(
            parse_addr("192.168.1.7/255.255.255.0").unwrap(),
            net("192.168.1.0/24")
        );
        assert_eq!(parse_addr("0.0.0.0/0.0.0.0").unwrap(), net("0.0.0.0/0"));
        assert_eq!(
            parse_addr("10.0.0.0/255.0.255.0").unwrap(),
            AddrArg::NonContiguous
        );
        assert_eq!(parse_addr("2001:db8::1/64").unwrap(), net("2001:db8::/64"));
        assert_eq!(
            parse_addr("2001:db8::/ffff:ffff::").unwrap(),
            net("2001:db8::/32")
        );
        assert!(parse_addr("10.0.0.300").is_err());
        assert!(parse_addr("10.0.0.0/33").is_err());
        assert!(parse_addr("host.example").is_err());
    }

    #[test]
    fn parses_ports() {
        assert_eq!(parse_port_range("80").unwrap(), PortRange::single(80));
        assert_eq!(
            parse_port_range("1000:2000").unwrap(),
            PortRange {
                first: 1000,
                last: 2000
            }
        );
        assert_eq!(
            parse_port_range(":1023").unwrap(),
            PortRange {
                first: 0,
                last: 1023
            }
        );
        assert_eq!(
            parse_port_range("1024:").unwrap(),
            PortRange {
                first: 1024,
                last: 65535
            }
        );
        assert_eq!(parse_port_range("ssh").unwrap(), PortRange::single(22));
        assert!(parse_port_range("70000").is_err());
        assert_eq!(
            parse_port_range("20:10").unwrap(),
            PortRange {
                first: 20,
                last: 10
            }
        );
        assert_eq!(parse_port_list("80,443,8000:8080").unwrap().len(), 3);
    }

    #[test]
    fn parses_numbers_and_marks() {
        assert_eq!(parse_u32("0x10").unwrap(), 16);
        assert_eq!(parse_u32("16").unwrap(), 16);
        assert_eq!(parse_u32("0").unwrap(), 0);
        assert_eq!(parse_value_mask("0x1/0xff").unwrap(), (1, 255));
        assert_eq!(parse_value_mask("7").unwrap(), (7, u32::MAX));
        assert!(parse_u32("zz").is_err());
        assert_eq!(parse_protocol("all").unwrap(), None);
        assert_eq!(parse_protocol("TCP").unwrap(), Some(Protocol::TCP));
        assert_eq!(parse_protocol("47").unwrap(), Some(Protocol::GRE));
    }
}
