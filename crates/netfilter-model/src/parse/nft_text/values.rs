//! Typed values as `nft list` prints them: addresses, ports, protocols, marks, ICMP types, priorities.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{icmp_type_name, AddrSpec, Family, Hook, PortRange, Protocol};

/// Parses a number in decimal or `0x` hexadecimal.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// Parses `10.0.0.0/8`, `10.0.0.1`, `fe80::/64`, `10.0.0.1-10.0.0.9`.
pub(crate) fn parse_addr(s: &str) -> Option<AddrSpec> {
    if let Some((a, b)) = s.split_once('-') {
        let first: IpAddr = a.parse().ok()?;
        let last: IpAddr = b.parse().ok()?;
        if first.is_ipv4() != last.is_ipv4() {
            return None;
        }
        return Some(AddrSpec::Range { first, last });
    }
    if s.contains('/') {
        return s.parse::<IpNet>().ok().map(AddrSpec::net);
    }
    let a: IpAddr = s.parse().ok()?;
    Some(AddrSpec::net(IpNet::from(a)))
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
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("ntp", 123),
    ("imap", 143),
    ("snmp", 161),
    ("bgp", 179),
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
    ("mysql", 3306),
    ("http-alt", 8080),
];

/// Parses one port: a number or a well-known service name.
pub(crate) fn parse_port(s: &str) -> Option<u16> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    SERVICES.iter().find(|(n, _)| *n == s).map(|(_, p)| *p)
}

/// Parses a port or an inclusive range `a-b`.
pub(crate) fn parse_port_range(s: &str) -> Option<PortRange> {
    if let Some((a, b)) = s.split_once('-') {
        let (first, last) = (parse_port(a)?, parse_port(b)?);
        if first > last {
            return None;
        }
        return Some(PortRange { first, last });
    }
    parse_port(s).map(PortRange::single)
}

/// Parses a protocol name or number.
pub(crate) fn parse_proto(s: &str) -> Option<Protocol> {
    Protocol::parse(s)
}

/// ICMP / ICMPv6 type names nft prints that the model's table may not know.
const EXTRA_ICMP: &[(bool, &str, u8)] = &[
    (false, "router-advertisement", 9),
    (false, "router-solicitation", 10),
    (true, "router-renumbering", 138),
    (true, "mld2-listener-report", 143),
];

/// Parses an ICMP type by nft name or number.
pub(crate) fn parse_icmp_type(v6: bool, s: &str) -> Option<u8> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    (0..=255u8)
        .find(|t| icmp_type_name(v6, *t) == Some(s))
        .or_else(|| {
            EXTRA_ICMP
                .iter()
                .find(|(f, n, _)| *f == v6 && *n == s)
                .map(|(_, _, t)| *t)
        })
}

/// Parses a DSCP value: a number or a class name (`cs1`, `af41`, `ef`).
pub(crate) fn parse_dscp(s: &str) -> Option<u8> {
    let v = match s {
        "cs0" | "be" => 0,
        "cs1" => 8,
        "af11" => 10,
        "af12" => 12,
        "af13" => 14,
        "cs2" => 16,
        "af21" => 18,
        "af22" => 20,
        "af23" => 22,
        "cs3" => 24,
        "af31" => 26,
        "af32" => 28,
        "af33" => 30,
        "cs4" => 32,
        "af41" => 34,
        "af42" => 36,
        "af43" => 38,
        "cs5" => 40,
        "va" => 44,
        "ef" => 46,
        "cs6" => 48,
        "cs7" => 56,
        other => {
            return parse_u32(other)
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| *n < 64)
        }
    };
    Some(v)
}

/// The value of a standard priority name for a family and hook, as nft's
/// `std_prios` / `bridge_std_prios` tables in `src/rule.c` define them.
pub(crate) fn priority_by_name(family: Family, hook: &Hook, name: &str) -> Option<i32> {
    if family == Family::Bridge {
        return match name {
            "dstnat" => Some(-300),
            "filter" => Some(-200),
            "out" => Some(100),
            "srcnat" => Some(300),
            _ => None,
        };
    }
    let _ = hook;
    match name {
        "raw" => Some(-300),
        "mangle" => Some(-150),
        "dstnat" => Some(-100),
        "filter" => Some(0),
        "security" => Some(50),
        "srcnat" => Some(100),
        _ => None,
    }
}

/// Evaluates a priority expression: `-150`, `filter`, `filter + 10`, `srcnat - 5`, `mangle-1`.
pub(crate) fn parse_priority(family: Family, hook: &Hook, words: &[&str]) -> Option<i32> {
    let text: String = words.concat();
    if let Ok(n) = text.parse::<i32>() {
        return Some(n);
    }
    let split = text.find(['+', '-']);
    let (name, rest) = match split {
        Some(i) if i > 0 => (&text[..i], &text[i..]),
        _ => (text.as_str(), ""),
    };
    let base = priority_by_name(family, hook, name)?;
    if rest.is_empty() {
        return Some(base);
    }
    let (sign, num) = rest.split_at(1);
    let n: i32 = num.parse().ok()?;
    if sign == "+" {
        base.checked_add(n)
    } else {
        base.checked_sub(n)
    }
}

/// The iptables `--reject-with` spelling of an nft `reject with FAMILY CODE`.
pub(crate) fn reject_with(family: &str, code: &str) -> String {
    match (family, code) {
        ("tcp", "reset") => "tcp-reset".into(),
        ("icmp", "prot-unreachable") => "icmp-proto-unreachable".into(),
        ("icmp", "admin-prohibited") => "icmp-admin-prohibited".into(),
        ("icmp", c) => format!("icmp-{c}"),
        ("icmpv6", "admin-prohibited") => "icmp6-adm-prohibited".into(),
        ("icmpv6", c) => format!("icmp6-{c}"),
        (f, c) => format!("{f}-{c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_addr("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_addr("10.0.0.1").unwrap().to_string(), "10.0.0.1");
        assert_eq!(
            parse_addr("10.0.0.1-10.0.0.9").unwrap().to_string(),
            "10.0.0.1-10.0.0.9"
        );
        assert!(parse_addr("fe80::/64").unwrap().is_ipv6());
        assert!(parse_addr("foo").is_none());
    }

    #[test]
    fn ports_and_protocols() {
        assert_eq!(
            parse_port_range("8080-8090").unwrap().to_string(),
            "8080-8090"
        );
        assert_eq!(parse_port_range("https").unwrap().first, 443);
        assert!(parse_port_range("90-80").is_none());
        assert_eq!(parse_proto("udp"), Some(Protocol::UDP));
        assert_eq!(parse_icmp_type(false, "echo-request"), Some(8));
        assert_eq!(parse_icmp_type(true, "nd-neighbor-solicit"), Some(135));
        assert_eq!(parse_dscp("ef"), Some(46));
        assert_eq!(parse_u32("0x00010000"), Some(0x10000));
    }

    #[test]
    fn priorities() {
        let h = Hook::Input;
        assert_eq!(parse_priority(Family::Ip, &h, &["filter"]), Some(0));
        assert_eq!(
            parse_priority(Family::Ip, &h, &["filter", "+", "10"]),
            Some(10)
        );
        assert_eq!(
            parse_priority(Family::Inet, &h, &["mangle", "-", "5"]),
            Some(-155)
        );
        assert_eq!(parse_priority(Family::Ip, &h, &["-150"]), Some(-150));
        assert_eq!(parse_priority(Family::Bridge, &h, &["out"]), Some(100));
        assert_eq!(parse_priority(Family::Bridge, &h, &["filter"]), Some(-200));
        assert_eq!(parse_priority(Family::Ip, &h, &["nonsense"]), None);
    }

    #[test]
    fn reject_names() {
        assert_eq!(
            reject_with("icmp", "port-unreachable"),
            "icmp-port-unreachable"
        );
        assert_eq!(reject_with("tcp", "reset"), "tcp-reset");
        assert_eq!(
            reject_with("icmpv6", "admin-prohibited"),
            "icmp6-adm-prohibited"
        );
    }
}
