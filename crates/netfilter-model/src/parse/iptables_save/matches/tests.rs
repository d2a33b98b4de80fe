//! Unit tests of `matches`.

use super::*;

#[test]
fn normalizes_rates_like_the_kernel() {
    assert_eq!(normalize_rate("5/min").as_deref(), Some("5/minute"));
    assert_eq!(normalize_rate("10/sec").as_deref(), Some("10/second"));
    assert_eq!(normalize_rate("10/s").as_deref(), Some("10/second"));
    assert_eq!(normalize_rate("60/min").as_deref(), Some("1/second"));
    assert_eq!(normalize_rate("3/hour").as_deref(), Some("3/hour"));
    assert_eq!(normalize_rate("1/day").as_deref(), Some("1/day"));
    assert_eq!(normalize_rate("100").as_deref(), Some("100/second"));
    assert_eq!(normalize_rate("5/fortnight"), None);
    assert_eq!(normalize_rate("0/s"), None);
}

#[test]
fn parses_dscp_and_tos() {
    assert_eq!(dscp_class("EF"), Some(46));
    assert_eq!(dscp_class("af41"), Some(34));
    assert_eq!(dscp_class("CS1"), Some(8));
    assert_eq!(dscp_class("AF51"), None);
    assert_eq!(parse_tos("Minimize-Delay"), Some((0x10, 0x3f)));
    assert_eq!(parse_tos("0x10/0x3f"), Some((0x10, 0x3f)));
    assert_eq!(parse_tos("0x08"), Some((0x08, 0xff)));
}
