//! The packet fields a register can be loaded from, and how their values are printed.

use super::*;

impl Field {
    /// nft's spelling of the field, for verbatim renderings.
    pub(super) fn text(&self) -> String {
        match self {
            Field::Addr { dir, v6, .. } => format!(
                "{} {}addr",
                if *v6 { "ip6" } else { "ip" },
                if *dir == Direction::Src { "s" } else { "d" }
            ),
            Field::L4Proto => "meta l4proto".into(),
            Field::NhProto { v6: false } => "ip protocol".into(),
            Field::NhProto { v6: true } => "ip6 nexthdr".into(),
            Field::Nfproto => "meta nfproto".into(),
            Field::EtherType => "ether type".into(),
            Field::Port { dir, proto } => format!(
                "{} {}port",
                match proto {
                    Some(p) if p.has_ports() => p.to_string(),
                    _ => "th".into(),
                },
                if *dir == Direction::Src { "s" } else { "d" }
            ),
            Field::IcmpType { v6 } | Field::IcmpTypeCode { v6 } => {
                format!("{} type", if *v6 { "icmpv6" } else { "icmp" })
            }
            Field::IcmpCode { v6 } => format!("{} code", if *v6 { "icmpv6" } else { "icmp" }),
            Field::TcpFlags => "tcp flags".into(),
            Field::Iface(Direction::Src) => "iifname".into(),
            Field::Iface(Direction::Dst) => "oifname".into(),
            Field::Mark => "meta mark".into(),
            Field::CtMark => "ct mark".into(),
            Field::CtState => "ct state".into(),
            Field::CtStatus => "ct status".into(),
            Field::CtDirection => "ct direction".into(),
            Field::EtherSaddr => "ether saddr".into(),
            Field::Length => "meta length".into(),
            Field::PktType => "meta pkttype".into(),
            Field::Ttl { v6 } => if *v6 { "ip6 hoplimit" } else { "ip ttl" }.into(),
            Field::Tos => "ip dscp".into(),
            Field::FragOff => "ip frag-off".into(),
            Field::SkUid => "meta skuid".into(),
            Field::SkGid => "meta skgid".into(),
            Field::Fib { flags, result } => fib_text(*flags, *result),
            Field::Hdr(h) => h.name.into(),
            Field::ExtPresent(n) | Field::FlagsMasked(n) => n.clone(),
            Field::BeInt { name, .. } => name.clone(),
            Field::MetaProtocol => "meta protocol".into(),
            Field::IifType => "meta iiftype".into(),
            Field::Numgen {
                random,
                modulus,
                offset,
            } => {
                let k = if *random { "random" } else { "inc" };
                let off = if *offset != 0 {
                    format!(" offset {offset}")
                } else {
                    String::new()
                };
                format!("numgen {k} mod {modulus}{off}")
            }
            Field::Raw(s) | Field::Str(s) | Field::Xfrm { name: s, .. } => s.clone(),
        }
    }

    /// A value of the field as nft prints it.
    pub(super) fn render(&self, b: &[u8]) -> String {
        match self {
            Field::Hdr(h) => hdr_fields::render(h, b),
            Field::IcmpCode { v6: false } => match b.first() {
                Some(0) => "net-unreachable".into(),
                Some(1) => "host-unreachable".into(),
                Some(2) => "prot-unreachable".into(),
                Some(3) => "port-unreachable".into(),
                Some(4) => "frag-needed".into(),
                Some(9) => "net-prohibited".into(),
                Some(10) => "host-prohibited".into(),
                Some(13) => "admin-prohibited".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::IcmpCode { v6: true } => match b.first() {
                Some(0) => "no-route".into(),
                Some(1) => "admin-prohibited".into(),
                Some(3) => "addr-unreachable".into(),
                Some(4) => "port-unreachable".into(),
                Some(5) => "policy-fail".into(),
                Some(6) => "reject-route".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::BeInt { hex: true, .. } => {
                let v = b.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x));
                format!("0x{v:08x}")
            }
            Field::BeInt { name, .. } => {
                raw_int_text(name, b.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x)))
            }
            Field::MetaProtocol => ether_type_name(u16_be(b)),
            Field::PktType => match b.first() {
                Some(0) => "host".into(),
                Some(1) => "broadcast".into(),
                Some(2) => "multicast".into(),
                Some(3) => "other".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::CtDirection => match b.first() {
                Some(0) => "original".into(),
                Some(1) => "reply".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::IifType => iftype_name(b),
            Field::Fib { result: 3, .. } => format_value(38, b),
            // `fib daddr oif exists`: with NFTA_FIB_F_PRESENT the result is a boolean.
            Field::Fib { flags, .. } if flags & 0x20 != 0 => match b.first() {
                Some(0) => "missing".into(),
                Some(_) => "exists".into(),
                None => hex(b),
            },
            Field::Fib { result: 1, .. } => format_value(20, b),
            Field::Fib { result: 2, .. } => format!(
                "\"{}\"",
                String::from_utf8_lossy(b.split(|c| *c == 0).next().unwrap_or_default())
            ),
            Field::ExtPresent(_) => match b.first() {
                Some(0) => "missing".into(),
                Some(1) => "exists".into(),
                _ => hex(b),
            },
            Field::Ttl { .. } | Field::FragOff => b
                .iter()
                .fold(0u64, |v, x| (v << 8) | u64::from(*x))
                .to_string(),
            Field::Fib { .. } => u32_ne(b).to_string(),
            // `meta length` in a set or map key: a host-order integer.
            Field::Length if b.len() == 4 => u32_ne(b).to_string(),
            // A number generator's value is a host-order integer, printed in decimal.
            Field::Numgen { .. } if b.len() == 4 => u32_ne(b).to_string(),
            // Interface indexes by name, as nft prints them (`iif "lo"`).
            Field::Raw(r) if r == "iif" || r == "oif" => format_value(20, b),
            Field::Raw(r) => raw_value_text(r, b),
            // `reqid` is a host-order integer, `spi` a big-endian one.
            Field::Xfrm { key: 5, .. } if b.len() == 4 => u32_ne(b).to_string(),
            Field::Xfrm { key: 6, .. } if b.len() == 4 => {
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_string()
            }
            Field::Str(_) => format!(
                "\"{}\"",
                String::from_utf8_lossy(b.split(|c| *c == 0).next().unwrap_or_default())
            ),
            Field::TcpFlags | Field::FlagsMasked(_) => tcp_flags_text(b),
            _ => format_value(self.type_id(), b),
        }
    }

    /// The nft datatype id of the field, for rendering values.
    pub(super) fn type_id(&self) -> u32 {
        match self {
            Field::Addr { v6: false, .. } => 7,
            Field::Addr { v6: true, .. } => 8,
            Field::L4Proto | Field::NhProto { .. } => 12,
            Field::Port { .. } => 13,
            Field::IcmpType { v6: false } => 14,
            Field::IcmpType { v6: true } => 29,
            Field::Iface(_) => 41,
            Field::Mark | Field::CtMark => 19,
            Field::EtherSaddr => 9,
            Field::SkUid => 24,
            Field::SkGid => 25,
            Field::Nfproto => 2,
            Field::CtState => 26,
            Field::CtStatus => 28,
            Field::Fib { result: 3, .. } => 38,
            Field::EtherType => 10,
            Field::PktType => 31,
            Field::Raw(r) if r == "iif" || r == "oif" => 20,
            Field::Xfrm { key: 1 | 3, .. } => 7,
            Field::Xfrm { key: 2 | 4, .. } => 8,
            _ => 4,
        }
    }

    pub(super) fn set_key(&self) -> SetKey {
        match self {
            Field::Addr { dir, v6, .. } => SetKey::address(*dir, *v6),
            Field::Port { dir, proto } => SetKey::port(*dir, *proto),
            Field::Iface(dir) => SetKey::interface(*dir),
            Field::L4Proto | Field::NhProto { .. } => SetKey::L4Proto,
            Field::Mark => SetKey::Mark,
            other => SetKey::Other(other.text()),
        }
    }
}

pub(super) fn fib_text(flags: u32, result: u32) -> String {
    let mut parts = Vec::new();
    if flags & 1 != 0 {
        parts.push("saddr");
    }
    if flags & 2 != 0 {
        parts.push("daddr");
    }
    if flags & 4 != 0 {
        parts.push("mark");
    }
    if flags & 8 != 0 {
        parts.push("iif");
    }
    if flags & 16 != 0 {
        parts.push("oif");
    }
    let res = match result {
        1 => "oif",
        2 => "oifname",
        3 => "type",
        _ => "?",
    };
    format!("fib {} {res}", parts.join(" . "))
}

/// The owner match of a `meta skuid`/`meta skgid` value or range.
pub(super) fn owner(field: &Field, v: String) -> MatchKind {
    let uid = matches!(field, Field::SkUid);
    MatchKind::Owner {
        uid: uid.then(|| v.clone()),
        gid: (!uid).then_some(v),
        socket_exists: false,
    }
}
