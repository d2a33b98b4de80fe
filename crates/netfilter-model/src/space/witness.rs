//! Witnesses: one concrete packet of a class, with natural values where the class allows
//! (TCP to port 80 from an ephemeral port, a new connection, mark 0, the interface class's
//! example name, the lowest host address of a prefix).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use biodivine_lib_bdd::Bdd;

use crate::model::Protocol;
use crate::trace::{Packet, TracePath};

use super::query::SpaceQuery;
use super::universe::{Field, Universe, CT_STATES};

/// Narrows `r` to the first candidate value of `f` it holds, else to its lowest value.
fn fix(u: &Universe, r: Bdd, f: Field, candidates: &[u128], plus_one: bool) -> Bdd {
    let bits = u.entry_bits(f);
    for &c in candidates {
        if let Some(e) = u.eq(&bits, c) {
            let n = r.and(&e);
            if !n.is_false() {
                return n;
            }
        }
    }
    // Lowest value, bit by bit from the top.
    let mut cur = r.clone();
    let mut value = 0u128;
    for (i, v) in u.field_vars(f).iter().enumerate() {
        let zero = cur.and(&u.vars.mk_literal(*v, false));
        let sh = bits.len() - 1 - i;
        if zero.is_false() {
            cur = cur.and(&u.vars.mk_literal(*v, true));
            value |= 1 << sh;
        } else {
            cur = zero;
        }
    }
    if plus_one {
        if let Some(e) = u.eq(&bits, value.wrapping_add(1)) {
            let n = r.and(&e);
            if !n.is_false() {
                return n;
            }
        }
    }
    cur
}

/// A packet of the region (which must not be empty).
pub(crate) fn witness(
    u: &Universe,
    region: &Bdd,
    q: &SpaceQuery,
    path: TracePath,
) -> Option<Packet> {
    let mut r = region.clone();
    r = fix(u, r, Field::Family, &[0, 1], false);
    r = fix(u, r, Field::Proto, &[6, 17, 1, 58], false);
    r = fix(u, r, Field::Dport, &[80, 443, 53, 8080], false);
    r = fix(u, r, Field::Sport, &[40000, 50000, 1024], false);
    r = fix(u, r, Field::IcmpType, &[8, 128, 0], false);
    r = fix(u, r, Field::IcmpCode, &[0], false);
    r = fix(u, r, Field::TcpFlags, &[0x02, 0x10, 0x12], false);
    r = fix(u, r, Field::Ct, &[0, 1, 2, 3, 4], false);
    r = fix(u, r, Field::Mark, &[0], false);
    r = fix(u, r, Field::CtMark, &[0], false);
    r = fix(u, r, Field::Iif, &[], false);
    r = fix(u, r, Field::Oif, &[], false);
    for f in [Field::Src4, Field::Dst4, Field::Src6, Field::Dst6] {
        r = fix(u, r, f, &[], true);
    }
    let val = r.sat_witness()?;
    let v6 = u.value_of(Field::Family, &val) == 1;
    let (src, dst) = if v6 {
        (
            IpAddr::V6(Ipv6Addr::from(u.value_of(Field::Src6, &val))),
            IpAddr::V6(Ipv6Addr::from(u.value_of(Field::Dst6, &val))),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::from(u.value_of(Field::Src4, &val) as u32)),
            IpAddr::V4(Ipv4Addr::from(u.value_of(Field::Dst4, &val) as u32)),
        )
    };
    let proto = Protocol(u.value_of(Field::Proto, &val) as u8);
    let mut p = Packet::new(src, dst);
    p.proto = Some(proto);
    if proto.has_ports() {
        p.sport = Some(u.value_of(Field::Sport, &val) as u16);
        p.dport = Some(u.value_of(Field::Dport, &val) as u16);
    }
    if proto.0 == 1 || proto.0 == 58 {
        p.icmp_type = Some(u.value_of(Field::IcmpType, &val) as u8);
        p.icmp_code = Some(u.value_of(Field::IcmpCode, &val) as u8);
    }
    let name = |f: Field| {
        u.ifaces
            .get(u.value_of(f, &val) as usize)
            .map(|c| c.example.clone())
    };
    if path.has_iif() {
        p.iif = name(Field::Iif);
    }
    if path.has_oif() {
        p.oif = name(Field::Oif);
    }
    p.ct_state = CT_STATES
        .get(u.value_of(Field::Ct, &val) as usize)
        .copied()
        .unwrap_or(CT_STATES[0]);
    p.mark = u.value_of(Field::Mark, &val) as u32;
    p.ct_mark = u.value_of(Field::CtMark, &val) as u32;
    p.path = path;
    p.local_addrs = q.local_addrs.clone();
    Some(p)
}
