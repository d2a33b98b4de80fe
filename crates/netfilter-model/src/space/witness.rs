//! Witnesses: one concrete packet of a class, with natural values where the class allows
//! (TCP to port 80 from an ephemeral port, a new connection, mark 0, the interface class's
//! example name, the lowest host address of a prefix).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::Protocol;
use crate::trace::{Packet, TracePath};

use super::bdd::{Bdd, BddValuation};
use super::query::SpaceQuery;
use super::universe::{Field, Universe, CT_STATES};

/// Fixes `f` to the first candidate value the region holds under the values fixed so far
/// (nothing when none does), by walks that build no node. A field the region does not
/// test takes the first candidate, and fixing it changes no other field's lowest value:
/// the same packet as narrowing the region by BDD conjunctions field after field.
fn prefer(u: &Universe, r: &Bdd, fixed: &mut [Option<bool>], f: Field, candidates: &[u128]) {
    let vars = u.field_vars(f);
    let w = vars.len();
    for &c in candidates {
        for (i, var) in vars.iter().enumerate() {
            fixed[var.to_index()] = Some((c >> (w - 1 - i)) & 1 == 1);
        }
        if r.intersects_fixed(fixed) {
            return;
        }
    }
    for var in vars {
        fixed[var.to_index()] = None;
    }
}

/// One more than the valuation's value of an address field, when the region holds it (a
/// host rather than the network address of a prefix).
fn host_address(u: &Universe, r: &Bdd, val: &mut BddValuation, f: Field) {
    let mine = u.field_vars(f);
    let v = u.value_of(f, val).wrapping_add(1);
    let w = mine.len();
    let mut next = val.clone();
    for (i, var) in mine.into_iter().enumerate() {
        next.set_value(var, (v >> (w - 1 - i)) & 1 == 1);
    }
    if r.contains(&next) {
        *val = next;
    }
}

/// A packet of the region (which must not be empty).
pub(crate) fn witness(
    u: &Universe,
    region: &Bdd,
    q: &SpaceQuery,
    path: TracePath,
) -> Option<Packet> {
    let r = region;
    let mut fixed = vec![None; usize::from(u.vars.num_vars())];
    prefer(u, r, &mut fixed, Field::Family, &[0, 1]);
    prefer(u, r, &mut fixed, Field::Proto, &[6, 17, 1, 58]);
    prefer(u, r, &mut fixed, Field::Dport, &[80, 443, 53, 8080]);
    prefer(u, r, &mut fixed, Field::Sport, &[40000, 50000, 1024]);
    prefer(u, r, &mut fixed, Field::IcmpType, &[8, 128, 0]);
    prefer(u, r, &mut fixed, Field::IcmpCode, &[0]);
    prefer(u, r, &mut fixed, Field::TcpFlags, &[0x02, 0x10, 0x12]);
    prefer(u, r, &mut fixed, Field::Ct, &[0]);
    prefer(u, r, &mut fixed, Field::Mark, &[0]);
    prefer(u, r, &mut fixed, Field::CtMark, &[0]);
    let mut val = r.lowest_with(&fixed)?;
    let fam = if u.value_of(Field::Family, &val) == 1 {
        [Field::Src6, Field::Dst6]
    } else {
        [Field::Src4, Field::Dst4]
    };
    for f in fam {
        host_address(u, r, &mut val, f);
    }
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
    p.ct_state = crate::model::CtStateSet(
        CT_STATES
            .get(u.value_of(Field::Ct, &val) as usize)
            .copied()
            .unwrap_or(CT_STATES[0]),
    );
    p.mark = u.value_of(Field::Mark, &val) as u32;
    p.ct_mark = u.value_of(Field::CtMark, &val) as u32;
    p.path = path;
    p.local_addrs = q.local_addrs.clone();
    Some(p)
}
