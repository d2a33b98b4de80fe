//! Witnesses: one concrete packet of a class, with natural values where the class allows
//! (TCP to port 80 from an ephemeral port, a new connection, mark 0, the interface class's
//! example name, the lowest host address of a prefix).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::bdd::{Bdd, BddValuation, BddVariable};

use crate::model::Protocol;
use crate::trace::{Packet, TracePath};

use super::query::SpaceQuery;
use super::universe::{Field, Universe, CT_STATES};

/// Narrows `r` to the first candidate value of `f` it holds (`r` unchanged when none does,
/// or when `r` does not test `f` at all: then the first candidate is taken as is).
fn prefer(
    u: &Universe,
    r: Bdd,
    f: Field,
    candidates: &[u128],
    free: &mut Vec<(Field, u128)>,
) -> Bdd {
    let vars = u.field_vars(f);
    let (first, end) = (
        vars[0],
        super::bdd::BddVariable::from_index(vars[vars.len() - 1].to_index() + 1),
    );
    if !r.depends_on_any(first, end) {
        if let Some(&c) = candidates.first() {
            free.push((f, c));
        }
        return r;
    }
    let bits = u.entry_bits(f);
    for &c in candidates {
        if let Some(e) = u.eq(&bits, c) {
            let n = r.and(&e);
            if !n.is_false() {
                return n;
            }
        }
    }
    r
}

/// The valuation of `r` smallest in variable order (each field its lowest value, fields
/// earlier in the order first), by one walk down the BDD.
fn lowest(u: &Universe, r: &Bdd) -> Option<BddValuation> {
    if r.is_false() {
        return None;
    }
    let mut val = BddValuation::all_false(u.vars.num_vars());
    for var in r.lowest_true_vars()? {
        val.set(var);
    }
    Some(val)
}

/// One more than the valuation's value of an address field, when the region holds it (a
/// host rather than the network address of a prefix).
fn host_address(u: &Universe, r: &Bdd, val: &mut BddValuation, f: Field) {
    let mine = u.field_vars(f);
    let others: Vec<(BddVariable, bool)> = u
        .vars
        .variables()
        .into_iter()
        .filter(|v| !mine.contains(v))
        .map(|v| (v, val.value(v)))
        .collect();
    let Some(next) = u.eq(&u.entry_bits(f), u.value_of(f, val).wrapping_add(1)) else {
        return;
    };
    if !r.restrict(&others).and(&next).is_false() {
        let v = u.value_of(f, val).wrapping_add(1);
        let w = mine.len();
        for (i, var) in mine.into_iter().enumerate() {
            val.set_value(var, (v >> (w - 1 - i)) & 1 == 1);
        }
    }
}

/// A packet of the region (which must not be empty).
pub(crate) fn witness(
    u: &Universe,
    region: &Bdd,
    q: &SpaceQuery,
    path: TracePath,
) -> Option<Packet> {
    let mut r = region.clone();
    let mut free = Vec::new();
    r = prefer(u, r, Field::Family, &[0, 1], &mut free);
    r = prefer(u, r, Field::Proto, &[6, 17, 1, 58], &mut free);
    r = prefer(u, r, Field::Dport, &[80, 443, 53, 8080], &mut free);
    r = prefer(u, r, Field::Sport, &[40000, 50000, 1024], &mut free);
    r = prefer(u, r, Field::IcmpType, &[8, 128, 0], &mut free);
    r = prefer(u, r, Field::IcmpCode, &[0], &mut free);
    r = prefer(u, r, Field::TcpFlags, &[0x02, 0x10, 0x12], &mut free);
    r = prefer(u, r, Field::Ct, &[0], &mut free);
    r = prefer(u, r, Field::Mark, &[0], &mut free);
    r = prefer(u, r, Field::CtMark, &[0], &mut free);
    let mut val = lowest(u, &r)?;
    for (f, c) in free {
        let w = u.field_vars(f).len();
        for (i, var) in u.field_vars(f).into_iter().enumerate() {
            val.set_value(var, (c >> (w - 1 - i)) & 1 == 1);
        }
    }
    let fam = if u.value_of(Field::Family, &val) == 1 {
        [Field::Src6, Field::Dst6]
    } else {
        [Field::Src4, Field::Dst4]
    };
    for f in fam {
        host_address(u, &r, &mut val, f);
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
