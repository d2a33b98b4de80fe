//! Packet header fields by position, named and typed the way nft lists them (`ip length`).
//!
//! A payload load is only a header base, a byte offset and a length (with a mask for fields
//! smaller than a byte); which field it is depends on the protocol context the rule
//! established before it. This table maps `(header, offset, length, mask)` back to nft's
//! field name and value type, for the fields nfdiff keeps verbatim (ports, addresses, flags
//! and ICMP types are typed elsewhere).

use std::net::Ipv4Addr;

use crate::model::Protocol;

/// The header a payload base points at, as the context decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hdr {
    Ether,
    Vlan,
    Arp,
    Ip,
    Ip6,
    Tcp,
    Udp,
    UdpLite,
    Icmp,
    Icmp6,
    Sctp,
    Dccp,
    Ah,
    Esp,
    Comp,
    Igmp,
    /// IPv6 extension headers (`exthdr` expressions), by their next-header number.
    Hbh,
    Rt,
    Frag,
    Dst,
    Mh,
}

impl Hdr {
    /// The IPv6 extension header of next-header number `t`, and nft's name for it.
    pub(crate) fn ipv6_ext(t: u32) -> Option<(Hdr, &'static str)> {
        Some(match t {
            0 => (Hdr::Hbh, "hbh"),
            43 => (Hdr::Rt, "rt"),
            44 => (Hdr::Frag, "frag"),
            60 => (Hdr::Dst, "dst"),
            135 => (Hdr::Mh, "mh"),
            _ => return None,
        })
    }

    /// The transport header of layer-4 protocol `p`, when the table knows it.
    pub(crate) fn transport(p: Protocol) -> Option<Hdr> {
        Some(match p.0 {
            6 => Hdr::Tcp,
            17 => Hdr::Udp,
            136 => Hdr::UdpLite,
            1 => Hdr::Icmp,
            58 => Hdr::Icmp6,
            132 => Hdr::Sctp,
            33 => Hdr::Dccp,
            51 => Hdr::Ah,
            50 => Hdr::Esp,
            108 => Hdr::Comp,
            2 => Hdr::Igmp,
            _ => return None,
        })
    }
}

/// How a field's value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A decimal integer.
    Int,
    /// An ethertype (`ip`, `ip6`, `arp`, `8021q`, else hex).
    EtherType,
    /// A layer-4 protocol name.
    InetProto,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A link-layer address.
    EtherAddr,
    /// An ARP operation name.
    ArpOp,
    /// An ECN code point name.
    Ecn,
    /// A DSCP code point name (`cs1`, `af41`, `ef`).
    Dscp,
    /// An IGMP message type name.
    IgmpType,
    /// A hexadecimal number (`0x0`).
    Hex,
    /// A mobility header type name.
    MhType,
    /// A DCCP packet type name.
    DccpType,
}

/// One named header field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HdrField {
    /// nft's name (`ip length`).
    pub(crate) name: &'static str,
    /// Value type.
    pub(crate) kind: Kind,
    /// Bits of the loaded bytes the field covers (big-endian), 0 for all of them.
    pub(crate) mask: u64,
}

/// `(header, byte offset, byte length, mask (0: none), name, kind)`.
const TABLE: &[(Hdr, u32, u32, u64, &str, Kind)] = &[
    (Hdr::Ether, 0, 6, 0, "ether daddr", Kind::EtherAddr),
    (Hdr::Ether, 6, 6, 0, "ether saddr", Kind::EtherAddr),
    (Hdr::Ether, 12, 2, 0, "ether type", Kind::EtherType),
    (Hdr::Vlan, 14, 1, 0xe0, "vlan pcp", Kind::Int),
    (Hdr::Vlan, 14, 1, 0x10, "vlan dei", Kind::Int),
    (Hdr::Vlan, 14, 2, 0x0fff, "vlan id", Kind::Int),
    (Hdr::Vlan, 16, 2, 0, "vlan type", Kind::EtherType),
    // The inner tag of stacked VLANs (802.1ad, then 802.1q).
    (Hdr::Vlan, 18, 1, 0xe0, "vlan pcp", Kind::Int),
    (Hdr::Vlan, 18, 1, 0x10, "vlan dei", Kind::Int),
    (Hdr::Vlan, 18, 2, 0x0fff, "vlan id", Kind::Int),
    (Hdr::Vlan, 20, 2, 0, "vlan type", Kind::EtherType),
    (Hdr::Arp, 0, 2, 0, "arp htype", Kind::Int),
    (Hdr::Arp, 2, 2, 0, "arp ptype", Kind::EtherType),
    (Hdr::Arp, 4, 1, 0, "arp hlen", Kind::Int),
    (Hdr::Arp, 5, 1, 0, "arp plen", Kind::Int),
    (Hdr::Arp, 6, 2, 0, "arp operation", Kind::ArpOp),
    (Hdr::Arp, 8, 6, 0, "arp saddr ether", Kind::EtherAddr),
    (Hdr::Arp, 14, 4, 0, "arp saddr ip", Kind::Ipv4),
    (Hdr::Arp, 18, 6, 0, "arp daddr ether", Kind::EtherAddr),
    (Hdr::Arp, 24, 4, 0, "arp daddr ip", Kind::Ipv4),
    (Hdr::Ip, 0, 1, 0xf0, "ip version", Kind::Int),
    (Hdr::Ip, 0, 1, 0x0f, "ip hdrlength", Kind::Int),
    (Hdr::Ip, 1, 1, 0x03, "ip ecn", Kind::Ecn),
    (Hdr::Ip, 1, 1, 0xfc, "ip dscp", Kind::Dscp),
    (Hdr::Ip, 2, 2, 0, "ip length", Kind::Int),
    (Hdr::Ip, 4, 2, 0, "ip id", Kind::Int),
    (Hdr::Ip, 6, 2, 0, "ip frag-off", Kind::Int),
    (Hdr::Ip, 8, 1, 0, "ip ttl", Kind::Int),
    (Hdr::Ip, 9, 1, 0, "ip protocol", Kind::InetProto),
    (Hdr::Ip, 10, 2, 0, "ip checksum", Kind::Int),
    (Hdr::Ip6, 0, 1, 0xf0, "ip6 version", Kind::Int),
    (Hdr::Ip6, 1, 1, 0x30, "ip6 ecn", Kind::Ecn),
    (Hdr::Ip6, 0, 2, 0x0fc0, "ip6 dscp", Kind::Dscp),
    (Hdr::Ip6, 1, 3, 0x0f_ffff, "ip6 flowlabel", Kind::Int),
    (Hdr::Ip6, 4, 2, 0, "ip6 length", Kind::Int),
    (Hdr::Ip6, 6, 1, 0, "ip6 nexthdr", Kind::InetProto),
    (Hdr::Ip6, 7, 1, 0, "ip6 hoplimit", Kind::Int),
    (Hdr::Tcp, 4, 4, 0, "tcp sequence", Kind::Int),
    (Hdr::Tcp, 8, 4, 0, "tcp ackseq", Kind::Int),
    (Hdr::Tcp, 12, 1, 0xf0, "tcp doff", Kind::Int),
    (Hdr::Tcp, 12, 1, 0x0f, "tcp reserved", Kind::Int),
    (Hdr::Tcp, 14, 2, 0, "tcp window", Kind::Int),
    (Hdr::Tcp, 16, 2, 0, "tcp checksum", Kind::Int),
    (Hdr::Tcp, 18, 2, 0, "tcp urgptr", Kind::Int),
    (Hdr::Udp, 4, 2, 0, "udp length", Kind::Int),
    (Hdr::Udp, 6, 2, 0, "udp checksum", Kind::Int),
    (Hdr::UdpLite, 4, 2, 0, "udplite csumcov", Kind::Int),
    (Hdr::UdpLite, 6, 2, 0, "udplite checksum", Kind::Int),
    (Hdr::Icmp, 1, 1, 0, "icmp code", Kind::Int),
    (Hdr::Icmp, 2, 2, 0, "icmp checksum", Kind::Int),
    (Hdr::Icmp, 4, 2, 0, "icmp id", Kind::Int),
    (Hdr::Icmp, 6, 2, 0, "icmp sequence", Kind::Int),
    (Hdr::Icmp6, 1, 1, 0, "icmpv6 code", Kind::Int),
    (Hdr::Icmp6, 2, 2, 0, "icmpv6 checksum", Kind::Int),
    (Hdr::Icmp6, 4, 4, 0, "icmpv6 mtu", Kind::Int),
    (Hdr::Icmp6, 4, 2, 0, "icmpv6 id", Kind::Int),
    (Hdr::Icmp6, 6, 2, 0, "icmpv6 sequence", Kind::Int),
    (Hdr::Sctp, 4, 4, 0, "sctp vtag", Kind::Int),
    (Hdr::Sctp, 8, 4, 0, "sctp checksum", Kind::Int),
    (Hdr::Dccp, 8, 1, 0x1e, "dccp type", Kind::DccpType),
    (Hdr::Ah, 0, 1, 0, "ah nexthdr", Kind::InetProto),
    (Hdr::Ah, 1, 1, 0, "ah hdrlength", Kind::Int),
    (Hdr::Ah, 2, 2, 0, "ah reserved", Kind::Int),
    (Hdr::Ah, 4, 4, 0, "ah spi", Kind::Int),
    (Hdr::Ah, 8, 4, 0, "ah sequence", Kind::Int),
    (Hdr::Esp, 0, 4, 0, "esp spi", Kind::Int),
    (Hdr::Esp, 4, 4, 0, "esp sequence", Kind::Int),
    (Hdr::Comp, 0, 1, 0, "comp nexthdr", Kind::Int),
    (Hdr::Comp, 1, 1, 0, "comp flags", Kind::Hex),
    (Hdr::Comp, 2, 2, 0, "comp cpi", Kind::Int),
    (Hdr::Igmp, 0, 1, 0, "igmp type", Kind::IgmpType),
    (Hdr::Igmp, 1, 1, 0, "igmp mrt", Kind::Int),
    (Hdr::Igmp, 2, 2, 0, "igmp checksum", Kind::Int),
    (Hdr::Igmp, 4, 4, 0, "igmp group", Kind::Ipv4),
    (Hdr::Hbh, 0, 1, 0, "hbh nexthdr", Kind::Int),
    (Hdr::Hbh, 1, 1, 0, "hbh hdrlength", Kind::Int),
    (Hdr::Rt, 0, 1, 0, "rt nexthdr", Kind::Int),
    (Hdr::Rt, 1, 1, 0, "rt hdrlength", Kind::Int),
    (Hdr::Rt, 2, 1, 0, "rt type", Kind::Int),
    (Hdr::Rt, 3, 1, 0, "rt seg-left", Kind::Int),
    // The segment routing header (routing type 4), as nft names its fields.
    (Hdr::Rt, 4, 1, 0, "srh last-entry", Kind::Int),
    (Hdr::Rt, 5, 1, 0, "srh flags", Kind::Int),
    (Hdr::Rt, 6, 2, 0, "srh tag", Kind::Int),
    (Hdr::Rt, 8, 16, 0, "srh sid[1]", Kind::Ipv6),
    (Hdr::Rt, 24, 16, 0, "srh sid[2]", Kind::Ipv6),
    (Hdr::Rt, 40, 16, 0, "srh sid[3]", Kind::Ipv6),
    (Hdr::Rt, 56, 16, 0, "srh sid[4]", Kind::Ipv6),
    (Hdr::Frag, 0, 1, 0, "frag nexthdr", Kind::Int),
    (Hdr::Frag, 1, 1, 0, "frag reserved", Kind::Int),
    (Hdr::Frag, 2, 2, 0xfff8, "frag frag-off", Kind::Int),
    (Hdr::Frag, 2, 2, 0x0006, "frag reserved2", Kind::Int),
    (Hdr::Frag, 2, 2, 0x0001, "frag more-fragments", Kind::Int),
    (Hdr::Frag, 3, 1, 0x06, "frag reserved2", Kind::Int),
    (Hdr::Frag, 3, 1, 0x01, "frag more-fragments", Kind::Int),
    (Hdr::Frag, 4, 4, 0, "frag id", Kind::Int),
    (Hdr::Dst, 0, 1, 0, "dst nexthdr", Kind::Int),
    (Hdr::Dst, 1, 1, 0, "dst hdrlength", Kind::Int),
    (Hdr::Mh, 0, 1, 0, "mh nexthdr", Kind::Int),
    (Hdr::Mh, 1, 1, 0, "mh hdrlength", Kind::Int),
    (Hdr::Mh, 2, 1, 0, "mh type", Kind::MhType),
    (Hdr::Mh, 3, 1, 0, "mh reserved", Kind::Int),
    (Hdr::Mh, 4, 2, 0, "mh checksum", Kind::Int),
];

/// Big-endian value of up to eight bytes.
fn be(b: &[u8]) -> u64 {
    b.iter().take(8).fold(0u64, |v, x| (v << 8) | u64::from(*x))
}

/// The field at `off`/`len` of `hdr` covered by `mask` (`None`: the whole bytes).
pub(crate) fn lookup(hdr: Hdr, off: u32, len: u32, mask: Option<&[u8]>) -> Option<HdrField> {
    let m = mask.map_or(0, be);
    let all = if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (len * 8)) - 1
    };
    // A mask of all the loaded bits is no mask.
    let m = if m == all { 0 } else { m };
    TABLE
        .iter()
        .find(|(h, o, l, fm, _, _)| *h == hdr && *o == off && *l == len && *fm == m)
        .map(|(_, _, _, mask, name, kind)| HdrField {
            name,
            kind: *kind,
            mask: *mask,
        })
}

/// The field a masked write changes: `len` bytes at `off` are loaded, the bits in `bits`
/// (big-endian, within those bytes) replaced and the bytes written back (nft writes `ip ttl`
/// as the 16 bits of ttl and protocol, for the checksum). The result's mask is `bits`, so
/// [`render`] of the written bytes gives the new value.
pub(crate) fn written_field(hdr: Hdr, off: u32, len: u32, bits: u64) -> Option<HdrField> {
    if bits == 0 || len > 8 {
        return None;
    }
    TABLE
        .iter()
        .find(|(h, o, l, fm, _, _)| {
            if *h != hdr || *o < off || o + l > off + len || *l > 8 {
                return false;
            }
            let own = if *fm != 0 {
                *fm
            } else if *l >= 8 {
                u64::MAX
            } else {
                (1u64 << (l * 8)) - 1
            };
            let shift = (off + len - (o + l)) * 8;
            shift < 64 && own.checked_shl(shift) == Some(bits)
        })
        .map(|(_, _, _, _, name, kind)| HdrField {
            name,
            kind: *kind,
            mask: bits,
        })
}

/// A field value as a number: the loaded bytes, masked and shifted down.
pub(crate) fn value(f: &HdrField, b: &[u8]) -> u64 {
    let raw = be(b);
    if f.mask != 0 {
        (raw & f.mask) >> f.mask.trailing_zeros()
    } else {
        raw
    }
}

/// The largest value the field can hold in `len` loaded bytes.
pub(crate) fn max_value(f: &HdrField, len: usize) -> u64 {
    if f.mask != 0 {
        f.mask >> f.mask.trailing_zeros()
    } else if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (len * 8)) - 1
    }
}

/// A field value (the loaded bytes, before masking) as nft prints it.
pub(crate) fn render(f: &HdrField, b: &[u8]) -> String {
    let raw = be(b);
    let v = if f.mask != 0 {
        (raw & f.mask) >> f.mask.trailing_zeros()
    } else {
        raw
    };
    match f.kind {
        Kind::Int => v.to_string(),
        Kind::EtherType => match v {
            0x0800 => "ip".into(),
            0x86dd => "ip6".into(),
            0x0806 => "arp".into(),
            0x8100 => "8021q".into(),
            0x88a8 => "8021ad".into(),
            0x8035 => "rarp".into(),
            n => format!("0x{n:04x}"),
        },
        Kind::InetProto => {
            u8::try_from(v).map_or_else(|_| v.to_string(), |p| Protocol(p).to_string())
        }
        Kind::Ipv4 => match b {
            [a, b2, c, d, ..] => Ipv4Addr::new(*a, *b2, *c, *d).to_string(),
            _ => v.to_string(),
        },
        Kind::Ipv6 => match <[u8; 16]>::try_from(b) {
            Ok(a) => std::net::Ipv6Addr::from(a).to_string(),
            Err(_) => v.to_string(),
        },
        Kind::EtherAddr => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        Kind::ArpOp => match v {
            1 => "request".into(),
            2 => "reply".into(),
            3 => "rrequest".into(),
            4 => "rreply".into(),
            8 => "inrequest".into(),
            9 => "inreply".into(),
            10 => "nak".into(),
            n => n.to_string(),
        },
        Kind::Dscp => {
            const N: &[(u64, &str)] = &[
                (0, "cs0"),
                (8, "cs1"),
                (16, "cs2"),
                (24, "cs3"),
                (32, "cs4"),
                (40, "cs5"),
                (48, "cs6"),
                (56, "cs7"),
                (10, "af11"),
                (12, "af12"),
                (14, "af13"),
                (18, "af21"),
                (20, "af22"),
                (22, "af23"),
                (26, "af31"),
                (28, "af32"),
                (30, "af33"),
                (34, "af41"),
                (36, "af42"),
                (38, "af43"),
                (46, "ef"),
                (1, "lephb"),
                (44, "va"),
            ];
            N.iter()
                .find(|(n, _)| *n == v)
                .map_or_else(|| format!("0x{v:02x}"), |(_, s)| (*s).to_string())
        }
        Kind::IgmpType => match v {
            0x11 => "membership-query".into(),
            0x12 => "membership-report-v1".into(),
            0x16 => "membership-report-v2".into(),
            0x17 => "leave-group".into(),
            0x22 => "membership-report-v3".into(),
            n => n.to_string(),
        },
        Kind::Hex => format!("0x{v:x}"),
        Kind::MhType => {
            const N: &[&str] = &[
                "binding-refresh-request",
                "home-test-init",
                "careof-test-init",
                "home-test",
                "careof-test",
                "binding-update",
                "binding-acknowledgement",
                "binding-error",
                "fast-binding-update",
                "fast-binding-acknowledgement",
                "fast-binding-advertisement",
                "experimental-mobility-header",
                "home-agent-switch-message",
            ];
            usize::try_from(v)
                .ok()
                .and_then(|i| N.get(i))
                .map_or_else(|| v.to_string(), |s| (*s).to_string())
        }
        Kind::DccpType => {
            const N: &[&str] = &[
                "request", "response", "data", "ack", "dataack", "closereq", "close", "reset",
                "sync", "syncack",
            ];
            usize::try_from(v)
                .ok()
                .and_then(|i| N.get(i))
                .map_or_else(|| v.to_string(), |s| (*s).to_string())
        }
        Kind::Ecn => match v {
            0 => "not-ect".into(),
            1 => "ect1".into(),
            2 => "ect0".into(),
            3 => "ce".into(),
            n => n.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_by_position_and_mask() {
        let f = lookup(Hdr::Ip, 2, 2, None).unwrap();
        assert_eq!(f.name, "ip length");
        assert_eq!(render(&f, &[0x01, 0x4d]), "333");
        let f = lookup(Hdr::Ip, 0, 1, Some(&[0x0f])).unwrap();
        assert_eq!((f.name, render(&f, &[0x45])), ("ip hdrlength", "5".into()));
        let f = lookup(Hdr::Vlan, 14, 2, Some(&[0x0f, 0xff])).unwrap();
        assert_eq!(render(&f, &[0x0f, 0xfe]), "4094");
        // A mask over every loaded bit is the plain field.
        assert_eq!(
            lookup(Hdr::Ip, 2, 2, Some(&[0xff, 0xff])).map(|f| f.name),
            Some("ip length")
        );
        assert_eq!(lookup(Hdr::Ip, 3, 1, None), None);
        assert_eq!(lookup(Hdr::Ip, 0, 9, Some(&[0xff; 9])), None);
        let f = lookup(Hdr::Arp, 6, 2, None).unwrap();
        assert_eq!(render(&f, &[0, 1]), "request");
    }
}
