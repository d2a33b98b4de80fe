//! Cubes: a class's packets as nft-like conjunctions of field constraints
//! (`iifname "cali*" ip saddr 10.0.0.0/8 tcp dport 1024-65535`), neighbouring ranges merged.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::{CtStateSet, IfacePattern, Protocol};

use super::bdd::{Bdd, BddPartialValuation, BddVariable};
use super::universe::{Field, Universe, CT_STATES, FIELDS};

/// One conjunction of field constraints. Fields not listed are unconstrained.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct Cube {
    /// Constraints in header order, each as `keyword value-set` (`tcp dport 1024-65535`).
    pub constraints: Vec<Constraint>,
}

/// A constraint on one field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct Constraint {
    /// The nft keyword of the field (`iifname`, `ip saddr`, `th dport`, `ct state`).
    pub field: String,
    /// The values, nft-like (`"cali*"`, `10.0.0.0/8`, `{ 80, 443 }`, `!= { "caliA" }`).
    pub values: String,
}

impl fmt::Display for Cube {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.constraints.is_empty() {
            return f.write_str("any packet");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{} {}", c.field, c.values)?;
        }
        Ok(())
    }
}

/// A field's values in one cube: inclusive intervals, or one value under a mask that is
/// not a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Values {
    Ranges(Vec<(u128, u128)>),
    Masked(u128, u128),
}

type RawCube = BTreeMap<Field, Values>;

fn ternary(u: &Universe, f: Field, c: &BddPartialValuation) -> Option<(u128, u128, usize)> {
    let (at, w) = u.span(f);
    let (at, w) = (usize::from(at), usize::from(w));
    let (mut value, mut mask) = (0u128, 0u128);
    for i in 0..w {
        if let Some(b) = c.get_value(BddVariable::from_index(at + i)) {
            let sh = w - 1 - i;
            mask |= 1 << sh;
            value |= u128::from(b) << sh;
        }
    }
    (mask != 0).then_some((value, mask, w))
}

fn full(w: usize) -> u128 {
    if w >= 128 {
        u128::MAX
    } else {
        (1u128 << w) - 1
    }
}

fn values_of(value: u128, mask: u128, w: usize) -> Values {
    let free = full(w) & !mask;
    // A prefix: the fixed bits are the top ones.
    if free & (free.wrapping_add(1)) == 0 {
        Values::Ranges(vec![(value, value | free)])
    } else {
        Values::Masked(value, mask)
    }
}

fn decode(u: &Universe, c: &BddPartialValuation) -> RawCube {
    let mut out = RawCube::new();
    for f in FIELDS {
        if let Some((v, m, w)) = ternary(u, f, c) {
            out.insert(f, values_of(v, m, w));
        }
    }
    out
}

fn coalesce(mut r: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    r.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(r.len());
    for (lo, hi) in r {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The field in which two cubes differ, when they constrain the same fields, differ in
/// that one only, and hold ranges there.
fn merge_field(a: &RawCube, b: &RawCube) -> Option<Field> {
    if a.len() != b.len() || !a.keys().eq(b.keys()) {
        return None;
    }
    let mut diff = None;
    for ((k, x), y) in a.iter().zip(b.values()) {
        if x != y {
            if diff.is_some() {
                return None;
            }
            diff = Some((*k, x, y));
        }
    }
    match diff {
        Some((k, Values::Ranges(_), Values::Ranges(_))) => Some(k),
        _ => None,
    }
}

/// Merges cubes that differ in one field only, where that field holds ranges: always the
/// first such pair in (earlier, later) order, into the earlier cube.
fn merge(mut cubes: Vec<RawCube>) -> Vec<RawCube> {
    // After a merge into cube `i`, the pairs of earlier cubes cannot merge except with
    // cube `i`: the next pair is one of those, or is at or after `i`.
    let mut changed: Option<usize> = None;
    loop {
        let mut found = None;
        if let Some(c) = changed {
            found = (0..c).find_map(|a| merge_field(&cubes[a], &cubes[c]).map(|k| (a, c, k)));
        }
        if found.is_none() {
            let from = changed.unwrap_or(0);
            found = (from..cubes.len()).find_map(|a| {
                (a + 1..cubes.len())
                    .find_map(|b| merge_field(&cubes[a], &cubes[b]).map(|k| (a, b, k)))
            });
        }
        let Some((i, j, k)) = found else {
            return cubes;
        };
        merge_pair(&mut cubes, i, j, k);
        changed = Some(i);
    }
}

/// Merges cube `j` into cube `i` (`i < j`), which differ only in field `k`'s ranges.
fn merge_pair(cubes: &mut Vec<RawCube>, i: usize, j: usize, k: Field) {
    if let (Some(Values::Ranges(x)), Some(Values::Ranges(y))) = (cubes[i].get(&k), cubes[j].get(&k))
    {
        let mut all = x.clone();
        all.extend(y.iter().copied());
        cubes[i].insert(k, Values::Ranges(coalesce(all)));
    }
    cubes.remove(j);
}

/// Most cubes decoded from one class.
pub(crate) const MAX_CUBES: usize = 64;

/// The class's cubes (at most [`MAX_CUBES`] of the BDD's paths before merging) and whether
/// some were left out.
pub(crate) fn cubes(
    u: &Universe,
    region: &Bdd,
    path_has_iif: bool,
    path_has_oif: bool,
) -> (Vec<Cube>, bool) {
    let mut r = region.clone();
    if !path_has_iif {
        r = r.exists(&u.field_vars(Field::Iif));
    }
    if !path_has_oif {
        r = r.exists(&u.field_vars(Field::Oif));
    }
    let mut raw = Vec::new();
    let mut truncated = false;
    for c in r.sat_clauses(MAX_CUBES + 1) {
        if raw.len() >= MAX_CUBES {
            truncated = true;
            break;
        }
        raw.push(decode(u, &c));
    }
    let merged = merge(raw);
    let mut out = Vec::new();
    for c in merged {
        for c in split_unprintable(u, c) {
            out.push(render(u, &c));
        }
    }
    (out, truncated)
}

fn set_text(items: Vec<String>) -> String {
    if items.len() == 1 {
        items.into_iter().next().unwrap_or_default()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

fn addr_text(v: u128, v6: bool) -> String {
    if v6 {
        Ipv6Addr::from(v).to_string()
    } else {
        Ipv4Addr::from(v as u32).to_string()
    }
}

/// Intervals of addresses as prefixes where they are exactly one, else ranges.
fn addr_ranges(r: &[(u128, u128)], w: usize, v6: bool) -> Vec<String> {
    r.iter()
        .map(|&(lo, hi)| {
            let size = hi.wrapping_sub(lo).wrapping_add(1);
            if lo == hi {
                addr_text(lo, v6)
            } else if (size == 0 && lo == 0) || (size.is_power_of_two() && lo & (size - 1) == 0) {
                let len = if size == 0 {
                    0
                } else {
                    w - size.trailing_zeros() as usize
                };
                format!("{}/{}", addr_text(lo, v6), len)
            } else {
                format!("{}-{}", addr_text(lo, v6), addr_text(hi, v6))
            }
        })
        .collect()
}

fn num_ranges(r: &[(u128, u128)], name: &dyn Fn(u128) -> String) -> Vec<String> {
    r.iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                name(lo)
            } else {
                format!("{lo}-{hi}")
            }
        })
        .collect()
}

fn members(v: &Values, n: u128) -> Vec<u128> {
    match v {
        Values::Ranges(r) => r
            .iter()
            .flat_map(|&(lo, hi)| lo..=hi.min(n.saturating_sub(1)))
            .collect(),
        Values::Masked(val, mask) => (0..n).filter(|x| x & mask == *val).collect(),
    }
}

/// Whether an interface value set prints wrongly as `"p*" != { ... }`: an excluded pattern of
/// one member class would also exclude another member.
fn iface_conflict(u: &Universe, v: &Values) -> bool {
    let inside: Vec<usize> = members(v, u.ifaces.len() as u128)
        .into_iter()
        .map(|x| x as usize)
        .collect();
    inside.iter().any(|&i| {
        u.ifaces[i].excluded.iter().any(|e| {
            inside
                .iter()
                .any(|&j| j != i && e.matches(&u.ifaces[j].example))
        })
    })
}

/// Splits a cube whose interface set cannot be printed as one constraint into one cube per
/// interface class.
fn split_unprintable(u: &Universe, c: RawCube) -> Vec<RawCube> {
    let mut out = vec![c];
    for f in [Field::Iif, Field::Oif] {
        let mut next = Vec::new();
        for c in out {
            match c.get(&f) {
                Some(v) if iface_conflict(u, v) => {
                    for i in members(v, u.ifaces.len() as u128) {
                        let mut d = c.clone();
                        d.insert(f, Values::Ranges(vec![(i, i)]));
                        next.push(d);
                    }
                }
                _ => next.push(c),
            }
        }
        out = next;
    }
    out
}

fn iface_text(u: &Universe, v: &Values) -> Option<String> {
    let n = u.ifaces.len() as u128;
    let inside: Vec<usize> = members(v, n).into_iter().map(|x| x as usize).collect();
    if inside.len() == u.ifaces.len() {
        return None;
    }
    let pat = |i: usize| -> IfacePattern {
        let c = &u.ifaces[i];
        match &c.prefix {
            Some(p) => IfacePattern::Prefix(p.clone()),
            None => IfacePattern::Exact(c.example.clone()),
        }
    };
    let pos: Vec<IfacePattern> = inside.iter().map(|&i| pat(i)).collect();
    // Drop patterns another included prefix covers.
    let kept: Vec<&IfacePattern> = pos
        .iter()
        .filter(|p| {
            !pos.iter().any(|q| {
                q != *p
                    && matches!(q, IfacePattern::Prefix(qp) if p.literal().starts_with(qp.as_str()))
            })
        })
        .collect();
    let mut neg: Vec<IfacePattern> = Vec::new();
    for &i in &inside {
        for e in &u.ifaces[i].excluded {
            if !pos.contains(e) && !neg.contains(e) {
                neg.push(e.clone());
            }
        }
    }
    let any = kept.len() == 1 && kept[0] == &IfacePattern::Prefix(String::new());
    let mut s = if any {
        String::new()
    } else {
        set_text(kept.iter().map(|p| p.to_string()).collect())
    };
    if !neg.is_empty() {
        if !s.is_empty() {
            s.push(' ');
        }
        const SHOWN: usize = 6;
        let mut items: Vec<String> = neg.iter().take(SHOWN).map(|p| p.to_string()).collect();
        if neg.len() > SHOWN {
            items.push(format!("... {} more", neg.len() - SHOWN));
        }
        s.push_str(&format!("!= {{ {} }}", items.join(", ")));
    }
    Some(s)
}

fn render(u: &Universe, c: &RawCube) -> Cube {
    let mut out = Vec::new();
    let v6 = match c.get(&Field::Family) {
        Some(Values::Ranges(r)) if r == &[(1, 1)] => Some(true),
        Some(Values::Ranges(r)) if r == &[(0, 0)] => Some(false),
        _ => None,
    };
    let proto = match c.get(&Field::Proto) {
        Some(Values::Ranges(r)) if r.len() == 1 && r[0].0 == r[0].1 => Some(r[0].0 as u8),
        _ => None,
    };
    let push = |out: &mut Vec<Constraint>, field: &str, values: String| {
        out.push(Constraint {
            field: field.to_string(),
            values,
        })
    };
    let has_addr = [Field::Src4, Field::Dst4, Field::Src6, Field::Dst6]
        .iter()
        .any(|f| c.contains_key(f));
    for (f, v) in c {
        match (f, v) {
            (Field::Family, _) => {
                if !has_addr {
                    if let Some(v6) = v6 {
                        push(
                            &mut out,
                            "meta nfproto",
                            if v6 { "ipv6" } else { "ipv4" }.into(),
                        );
                    }
                }
            }
            (Field::Iif | Field::Oif, v) => {
                if let Some(t) = iface_text(u, v) {
                    push(
                        &mut out,
                        if *f == Field::Iif {
                            "iifname"
                        } else {
                            "oifname"
                        },
                        t,
                    );
                }
            }
            (Field::Src4 | Field::Dst4 | Field::Src6 | Field::Dst6, v) => {
                let is6 = matches!(f, Field::Src6 | Field::Dst6);
                let w = if is6 { 128 } else { 32 };
                let kw = match f {
                    Field::Src4 => "ip saddr",
                    Field::Dst4 => "ip daddr",
                    Field::Src6 => "ip6 saddr",
                    _ => "ip6 daddr",
                };
                match v {
                    Values::Ranges(r) => push(&mut out, kw, set_text(addr_ranges(r, w, is6))),
                    Values::Masked(val, m) => push(
                        &mut out,
                        &format!("{kw} & {}", addr_text(*m, is6)),
                        format!("== {}", addr_text(*val, is6)),
                    ),
                }
            }
            (Field::Ct, v) => {
                let states = members(v, CT_STATES.len() as u128);
                if states.len() < CT_STATES.len() {
                    let bits = states
                        .into_iter()
                        .fold(0u8, |acc, i| acc | CT_STATES[i as usize]);
                    push(&mut out, "ct state", CtStateSet(bits).to_string());
                }
            }
            (f, Values::Ranges(r)) => {
                let (kw, name): (String, Box<dyn Fn(u128) -> String>) = match f {
                    Field::Proto => (
                        "meta l4proto".into(),
                        Box::new(|x| Protocol(x as u8).to_string()),
                    ),
                    Field::Sport | Field::Dport => {
                        let p = match proto {
                            Some(6) => "tcp",
                            Some(17) => "udp",
                            Some(132) => "sctp",
                            _ => "th",
                        };
                        let d = if *f == Field::Sport { "sport" } else { "dport" };
                        (format!("{p} {d}"), Box::new(|x: u128| x.to_string()))
                    }
                    Field::IcmpType => (
                        if v6 == Some(true) {
                            "icmpv6 type"
                        } else {
                            "icmp type"
                        }
                        .into(),
                        Box::new(|x: u128| x.to_string()),
                    ),
                    Field::IcmpCode => (
                        if v6 == Some(true) {
                            "icmpv6 code"
                        } else {
                            "icmp code"
                        }
                        .into(),
                        Box::new(|x: u128| x.to_string()),
                    ),
                    Field::TcpFlags => ("tcp flags".into(), Box::new(|x| format!("0x{x:02x}"))),
                    Field::Mark => ("meta mark".into(), Box::new(|x| format!("0x{x:08x}"))),
                    _ => ("ct mark".into(), Box::new(|x| format!("0x{x:08x}"))),
                };
                let items = match f {
                    Field::TcpFlags | Field::Mark | Field::CtMark => r
                        .iter()
                        .map(|&(lo, hi)| {
                            if lo == hi {
                                name(lo)
                            } else {
                                format!("{}-{}", name(lo), name(hi))
                            }
                        })
                        .collect(),
                    _ => num_ranges(r, &*name),
                };
                push(&mut out, &kw, set_text(items));
            }
            (f, Values::Masked(val, m)) => {
                let kw = match f {
                    Field::Proto => "meta l4proto",
                    Field::Sport => "th sport",
                    Field::Dport => "th dport",
                    Field::IcmpType => "icmp type",
                    Field::IcmpCode => "icmp code",
                    Field::TcpFlags => "tcp flags",
                    Field::Mark => "meta mark",
                    _ => "ct mark",
                };
                push(
                    &mut out,
                    &format!("{kw} & 0x{m:x}"),
                    format!("== 0x{val:x}"),
                );
            }
        }
    }
    Cube { constraints: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The merge as first written: restart from the first pair after every merge.
    fn merge_by_restart(mut cubes: Vec<RawCube>) -> Vec<RawCube> {
        'again: loop {
            for i in 0..cubes.len() {
                for j in i + 1..cubes.len() {
                    if let Some(k) = merge_field(&cubes[i], &cubes[j]) {
                        merge_pair(&mut cubes, i, j, k);
                        continue 'again;
                    }
                }
            }
            return cubes;
        }
    }

    #[test]
    fn merge_takes_pairs_in_the_order_of_a_full_rescan() {
        // Cubes over three fields with small values, some masked, from a fixed LCG: many
        // chains of merges where the order decides the result.
        let mut x: u64 = 12345;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for _ in 0..200 {
            let n = 2 + next(20) as usize;
            let cubes: Vec<RawCube> = (0..n)
                .map(|_| {
                    let mut c = RawCube::new();
                    for f in [Field::Proto, Field::Dport, Field::Mark] {
                        match next(4) {
                            0 => {}
                            1 => {
                                c.insert(f, Values::Masked(u128::from(next(4) as u8), 5));
                            }
                            _ => {
                                let lo = u128::from(next(6) as u8);
                                c.insert(f, Values::Ranges(vec![(lo, lo + next(2) as u128)]));
                            }
                        }
                    }
                    c
                })
                .collect();
            assert_eq!(merge(cubes.clone()), merge_by_restart(cubes));
        }
    }
}
