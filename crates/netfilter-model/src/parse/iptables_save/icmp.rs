//! ICMP and ICMPv6 type names as iptables and ip6tables spell them.

/// `(name, type, code)`; `None` code means any code.
const ICMP: &[(&str, u8, Option<u8>)] = &[
    ("echo-reply", 0, None),
    ("pong", 0, None),
    ("destination-unreachable", 3, None),
    ("network-unreachable", 3, Some(0)),
    ("host-unreachable", 3, Some(1)),
    ("protocol-unreachable", 3, Some(2)),
    ("port-unreachable", 3, Some(3)),
    ("fragmentation-needed", 3, Some(4)),
    ("source-route-failed", 3, Some(5)),
    ("network-unknown", 3, Some(6)),
    ("host-unknown", 3, Some(7)),
    ("network-prohibited", 3, Some(9)),
    ("host-prohibited", 3, Some(10)),
    ("tos-network-unreachable", 3, Some(11)),
    ("tos-host-unreachable", 3, Some(12)),
    ("communication-prohibited", 3, Some(13)),
    ("host-precedence-violation", 3, Some(14)),
    ("precedence-cutoff", 3, Some(15)),
    ("source-quench", 4, None),
    ("redirect", 5, None),
    ("network-redirect", 5, Some(0)),
    ("host-redirect", 5, Some(1)),
    ("tos-network-redirect", 5, Some(2)),
    ("tos-host-redirect", 5, Some(3)),
    ("echo-request", 8, None),
    ("ping", 8, None),
    ("router-advertisement", 9, None),
    ("router-solicitation", 10, None),
    ("time-exceeded", 11, None),
    ("ttl-exceeded", 11, None),
    ("ttl-zero-during-transit", 11, Some(0)),
    ("ttl-zero-during-reassembly", 11, Some(1)),
    ("parameter-problem", 12, None),
    ("ip-header-bad", 12, Some(0)),
    ("required-option-missing", 12, Some(1)),
    ("timestamp-request", 13, None),
    ("timestamp-reply", 14, None),
    ("address-mask-request", 17, None),
    ("address-mask-reply", 18, None),
];

const ICMPV6: &[(&str, u8, Option<u8>)] = &[
    ("destination-unreachable", 1, None),
    ("no-route", 1, Some(0)),
    ("communication-prohibited", 1, Some(1)),
    ("beyond-scope", 1, Some(2)),
    ("address-unreachable", 1, Some(3)),
    ("port-unreachable", 1, Some(4)),
    ("failed-policy", 1, Some(5)),
    ("reject-route", 1, Some(6)),
    ("packet-too-big", 2, None),
    ("time-exceeded", 3, None),
    ("ttl-exceeded", 3, None),
    ("ttl-zero-during-transit", 3, Some(0)),
    ("ttl-zero-during-reassembly", 3, Some(1)),
    ("parameter-problem", 4, None),
    ("bad-header", 4, Some(0)),
    ("unknown-header-type", 4, Some(1)),
    ("unknown-option", 4, Some(2)),
    ("echo-request", 128, None),
    ("ping", 128, None),
    ("echo-reply", 129, None),
    ("pong", 129, None),
    ("mld-listener-query", 130, None),
    ("mld-listener-report", 131, None),
    ("mld-listener-done", 132, None),
    ("mld-listener-reduction", 132, None),
    ("router-solicitation", 133, None),
    ("router-advertisement", 134, None),
    ("neighbour-solicitation", 135, None),
    ("neighbor-solicitation", 135, None),
    ("neighbour-advertisement", 136, None),
    ("neighbor-advertisement", 136, None),
    ("redirect", 137, None),
];

/// Parses an `--icmp-type`/`--icmpv6-type` value: `any`, a name, `TYPE` or `TYPE/CODE`.
/// Returns `(type, code)`, `type` `None` for `any`.
pub(crate) fn parse_icmp_type(v6: bool, s: &str) -> Option<(Option<u8>, Option<u8>)> {
    if s.eq_ignore_ascii_case("any") {
        return Some((None, None));
    }
    if let Some((t, c)) = s.split_once('/') {
        return Some((Some(t.parse().ok()?), Some(c.parse().ok()?)));
    }
    if let Ok(t) = s.parse::<u8>() {
        return Some((Some(t), None));
    }
    let table = if v6 { ICMPV6 } else { ICMP };
    table
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, t, c)| (Some(*t), *c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_numbers_and_codes() {
        assert_eq!(parse_icmp_type(false, "any"), Some((None, None)));
        assert_eq!(
            parse_icmp_type(false, "echo-request"),
            Some((Some(8), None))
        );
        assert_eq!(
            parse_icmp_type(false, "port-unreachable"),
            Some((Some(3), Some(3)))
        );
        assert_eq!(parse_icmp_type(false, "3/4"), Some((Some(3), Some(4))));
        assert_eq!(parse_icmp_type(false, "11"), Some((Some(11), None)));
        assert_eq!(
            parse_icmp_type(true, "neighbour-solicitation"),
            Some((Some(135), None))
        );
        assert_eq!(
            parse_icmp_type(true, "echo-request"),
            Some((Some(128), None))
        );
        assert_eq!(parse_icmp_type(false, "bogus"), None);
        assert_eq!(parse_icmp_type(false, "3/x"), None);
    }
}
