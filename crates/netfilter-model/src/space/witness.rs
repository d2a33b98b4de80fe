//! Witnesses: one concrete packet of a class, with natural values where the class leaves a
//! field free (the interface class's own example name, 10.0.0.1 -> 10.0.0.2, tcp 40000 -> 80).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use biodivine_lib_bdd::{Bdd, BddPartialValuation};

use crate::model::Protocol;
use crate::trace::{Packet, TracePath};

use super::cube::ternary;
use super::query::SpaceQuery;
use super::vars::{Field, Universe, CT_STATES};

/// The field's value in the path, free bits taken from `default`.
fn value(p: &BddPartialValuation, f: Field, default: u128) -> u128 {
    let (v, m) = ternary(p, f);
    (default & !m) | (v & m)
}

/// A packet of `set` (over header variables; `None` when empty).
pub(crate) fn witness(u: &Universe, set: &Bdd, q: &SpaceQuery) -> Option<Packet> {
    let path = set.first_clause()?;
    Some(decode(u, &path, q))
}

/// The packet a path describes.
pub(crate) fn decode(u: &Universe, p: &BddPartialValuation, q: &SpaceQuery) -> Packet {
    let l = &u.layout;
    let is_v6 = value(p, l.v6, 0) == 1;
    let (src, dst) = if is_v6 {
        (
            IpAddr::V6(Ipv6Addr::from(value(p, l.src6, 0xfd00 << 112 | 1))),
            IpAddr::V6(Ipv6Addr::from(value(p, l.dst6, 0xfd00 << 112 | 2))),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::from(value(p, l.src4, 0x0a00_0001) as u32)),
            IpAddr::V4(Ipv4Addr::from(value(p, l.dst4, 0x0a00_0002) as u32)),
        )
    };
    let mut pkt = Packet::new(src, dst);
    pkt.path = q.path;
    pkt.local_addrs = q.local_addrs.clone();
    let proto = Protocol(value(p, l.proto, 6) as u8);
    pkt.proto = Some(proto);
    if proto.has_ports() {
        pkt.sport = Some(value(p, l.sport, 40000) as u16);
        pkt.dport = Some(value(p, l.dport, 80) as u16);
    }
    if proto == Protocol::ICMP || proto == Protocol::ICMPV6 {
        let echo = if proto == Protocol::ICMP { 8 } else { 128 };
        pkt.icmp_type = Some(value(p, l.icmp_type, echo) as u8);
        pkt.icmp_code = Some(value(p, l.icmp_code, 0) as u8);
    }
    let iface = |f: Field| {
        let i = value(p, f, 0) as usize;
        u.ifaces.get(i).map(|c| c.example.clone())
    };
    if q.path != TracePath::Output {
        pkt.iif = iface(l.iif);
    }
    if q.path != TracePath::Input {
        pkt.oif = iface(l.oif);
    }
    let ct = value(p, l.ct, 0) as usize;
    pkt.ct_state = CT_STATES.get(ct).copied().unwrap_or(CT_STATES[0]);
    pkt.mark = value(p, l.mark, 0) as u32;
    pkt.ct_mark = value(p, l.ct_mark, 0) as u32;
    pkt
}
