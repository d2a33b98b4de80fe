//! Cubes: a class's packet set as a union of boxes (one value set per field), read off the
//! BDD's paths, merged where boxes differ in one field, printed in nft-like syntax.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use biodivine_lib_bdd::{Bdd, BddPartialValuation};

use crate::model::{CtStateSet, Protocol};

use super::vars::{Field, Universe, CT_STATES};

/// The packet fields a cube constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SpaceField {
    /// IPv4 or IPv6.
    Family,
    /// Input interface.
    Iif,
    /// Output interface.
    Oif,
    /// Source address.
    Src,
    /// Destination address.
    Dst,
    /// Layer-4 protocol.
    Proto,
    /// Source port.
    Sport,
    /// Destination port.
    Dport,
    /// ICMP type.
    IcmpType,
    /// ICMP code.
    IcmpCode,
    /// TCP flags.
    TcpFlags,
    /// Conntrack state on arrival.
    CtState,
    /// Packet mark on arrival.
    Mark,
    /// Connection mark on arrival.
    CtMark,
}

/// One field's constraint in a cube, in nft-like syntax (`ip saddr 10.0.0.0/8`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CubePart {
    /// The field.
    pub field: SpaceField,
    /// The constraint as text.
    pub text: String,
}

/// A box of packets: every packet whose fields meet every part (an empty cube is every
/// packet).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Cube {
    /// The constrained fields, in field order.
    pub parts: Vec<CubePart>,
}

impl fmt::Display for Cube {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parts.is_empty() {
            return f.write_str("any packet");
        }
        let texts: Vec<&str> = self.parts.iter().map(|p| p.text.as_str()).collect();
        f.write_str(&texts.join(" "))
    }
}

/// A field's values as ternary patterns `(value, mask)`: the bits set in `mask` are fixed.
type Ternaries = Vec<(u128, u128)>;

/// The fields in variable order, with their names.
fn fields(u: &Universe) -> [(SpaceField, Field, u8); 16] {
    let l = &u.layout;
    // The third element tells families apart: 4 or 6 for addresses, 0 otherwise.
    [
        (SpaceField::Family, l.v6, 0),
        (SpaceField::Iif, l.iif, 0),
        (SpaceField::Oif, l.oif, 0),
        (SpaceField::Src, l.src4, 4),
        (SpaceField::Dst, l.dst4, 4),
        (SpaceField::Src, l.src6, 6),
        (SpaceField::Dst, l.dst6, 6),
        (SpaceField::Proto, l.proto, 0),
        (SpaceField::Sport, l.sport, 0),
        (SpaceField::Dport, l.dport, 0),
        (SpaceField::IcmpType, l.icmp_type, 0),
        (SpaceField::IcmpCode, l.icmp_code, 0),
        (SpaceField::TcpFlags, l.tcp_flags, 0),
        (SpaceField::CtState, l.ct, 0),
        (SpaceField::Mark, l.mark, 0),
        (SpaceField::CtMark, l.ct_mark, 0),
    ]
}

/// The fixed bits of a field in a path.
pub(crate) fn ternary(p: &BddPartialValuation, f: Field) -> (u128, u128) {
    let (mut value, mut mask) = (0u128, 0u128);
    for i in 0..f.width {
        value <<= 1;
        mask <<= 1;
        if let Some(b) = p.get_value(f.var(i)) {
            mask |= 1;
            value |= u128::from(b);
        }
    }
    (value, mask)
}

fn full(width: u16) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// The interval a prefix-shaped pattern covers (`None` when a free bit is above a fixed one).
fn interval(t: (u128, u128), width: u16) -> Option<(u128, u128)> {
    let (v, m) = t;
    let low = !m & full(width);
    // Prefix-shaped: the free bits are exactly the low ones.
    if low & (low.wrapping_add(1)) != 0 {
        return None;
    }
    Some((v & m, (v & m) | low))
}

/// Merged intervals of prefix-shaped patterns, or `None`.
fn intervals(ts: &Ternaries, width: u16) -> Option<Vec<(u128, u128)>> {
    let mut v: Vec<(u128, u128)> = ts
        .iter()
        .map(|&t| interval(t, width))
        .collect::<Option<_>>()?;
    v.sort();
    let mut out: Vec<(u128, u128)> = Vec::new();
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    Some(out)
}

/// The small fields (interfaces, ct state) as the set of values they allow.
fn values(ts: &Ternaries, width: u16) -> Vec<u128> {
    let mut out: Vec<u128> = (0..=full(width))
        .filter(|x| ts.iter().any(|&(v, m)| x & m == v & m))
        .collect();
    out.dedup();
    out
}

/// Whether the patterns allow every value of the field (within the valid domain).
fn is_full(u: &Universe, sf: SpaceField, f: Field, ts: &Ternaries) -> bool {
    match sf {
        SpaceField::Iif | SpaceField::Oif => values(ts, f.width).len() >= u.ifaces.len(),
        SpaceField::CtState => values(ts, f.width).len() >= CT_STATES.len(),
        _ => intervals(ts, f.width).is_some_and(|iv| iv == [(0, full(f.width))]),
    }
}

/// Reads the cubes of `set` (header variables only), at most `limit` of them; returns the
/// merged cubes and how many paths were left out.
pub(crate) fn cubes_of(u: &Universe, set: &Bdd, limit: usize) -> (Vec<Cube>, usize) {
    let fs = fields(u);
    let mut raw: Vec<Vec<Ternaries>> = Vec::new();
    let mut omitted = 0usize;
    for path in set.sat_clauses() {
        if raw.len() >= limit {
            omitted += 1;
            continue;
        }
        raw.push(
            fs.iter()
                .map(|(_, f, _)| vec![ternary(&path, *f)])
                .collect(),
        );
    }
    let merged = merge(u, raw);
    let cubes = merged.iter().map(|c| render(u, c)).collect();
    (cubes, omitted)
}

/// Merges cubes that differ in one field, until none do.
fn merge(u: &Universe, mut cubes: Vec<Vec<Ternaries>>) -> Vec<Vec<Ternaries>> {
    let fs = fields(u);
    for c in &mut cubes {
        normalize(u, &fs, c);
    }
    for _ in 0..4 {
        let before = cubes.len();
        for fi in 0..fs.len() {
            let mut index: HashMap<Vec<Ternaries>, usize> = HashMap::new();
            let mut out: Vec<Vec<Ternaries>> = Vec::new();
            for c in cubes {
                let mut key = c.clone();
                key[fi] = Vec::new();
                match index.get(&key) {
                    Some(&i) => {
                        let t = &mut out[i];
                        t[fi].extend(c[fi].iter().copied());
                        normalize(u, &fs, t);
                    }
                    None => {
                        index.insert(key, out.len());
                        out.push(c);
                    }
                }
            }
            cubes = out;
        }
        if cubes.len() == before {
            break;
        }
    }
    cubes
}

/// Sorts a cube's patterns, drops duplicates, and widens a field that allows everything.
fn normalize(u: &Universe, fs: &[(SpaceField, Field, u8); 16], c: &mut [Ternaries]) {
    for (i, (sf, f, _)) in fs.iter().enumerate() {
        let t = &mut c[i];
        t.iter_mut().for_each(|(v, m)| *v &= *m);
        t.sort();
        t.dedup();
        if t.iter().any(|&(_, m)| m == 0) || is_full(u, *sf, *f, t) {
            *t = vec![(0, 0)];
        }
    }
}

fn v4(x: u128) -> Ipv4Addr {
    Ipv4Addr::from(x as u32)
}

fn v6(x: u128) -> Ipv6Addr {
    Ipv6Addr::from(x)
}

/// One value set as text: `{ a, b }` for several, `a` for one.
fn braces(items: Vec<String>) -> String {
    if items.len() == 1 {
        items.into_iter().next().unwrap_or_default()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

/// Intervals as text, each with `one` for a single value and `span` for a range.
fn interval_text(
    iv: &[(u128, u128)],
    one: &dyn Fn(u128) -> String,
    span: &dyn Fn(u128, u128) -> String,
) -> String {
    braces(
        iv.iter()
            .map(|&(lo, hi)| if lo == hi { one(lo) } else { span(lo, hi) })
            .collect(),
    )
}

/// Addresses: prefixes where an interval is one, else ranges.
fn addr_text(iv: &[(u128, u128)], bits: u32, fmt: &dyn Fn(u128) -> String) -> String {
    let mut items = Vec::new();
    for &(lo, hi) in iv {
        // Split the interval into maximal prefixes when that takes few of them.
        let mut parts = Vec::new();
        let mut cur = lo;
        while cur <= hi && parts.len() <= 4 {
            let mut len = bits;
            while len > 0 {
                let host = if bits - (len - 1) >= 128 {
                    u128::MAX
                } else {
                    (1u128 << (bits - (len - 1))) - 1
                };
                if cur & host != 0 || cur.saturating_add(host) > hi {
                    break;
                }
                len -= 1;
            }
            let host = if bits - len >= 128 {
                u128::MAX
            } else {
                (1u128 << (bits - len)) - 1
            };
            parts.push(if len == bits {
                fmt(cur)
            } else {
                format!("{}/{len}", fmt(cur))
            });
            match cur.checked_add(host).and_then(|x| x.checked_add(1)) {
                Some(n) => cur = n,
                None => break,
            }
        }
        if parts.len() <= 4 {
            items.extend(parts);
        } else {
            items.push(format!("{}-{}", fmt(lo), fmt(hi)));
        }
    }
    braces(items)
}

fn ternary_text(name: &str, ts: &Ternaries, width: u16, hexa: bool) -> String {
    let num = |x: u128| {
        if hexa {
            format!("0x{x:x}")
        } else {
            x.to_string()
        }
    };
    match intervals(ts, width) {
        Some(iv) => format!(
            "{name} {}",
            interval_text(&iv, &num, &|a, b| format!("{}-{}", num(a), num(b)))
        ),
        None => {
            let items: Vec<String> = ts
                .iter()
                .map(|&(v, m)| format!("{name} & 0x{m:x} == 0x{v:x}"))
                .collect();
            if items.len() == 1 {
                items.into_iter().next().unwrap_or_default()
            } else {
                format!("({})", items.join(" or "))
            }
        }
    }
}

fn proto_name(p: u128) -> String {
    let p = Protocol(p as u8);
    p.name().map_or_else(|| p.0.to_string(), str::to_string)
}

/// The label of an interface class: `"eth0"`, `"cali*"`, `"cali*" (other)`.
pub(crate) fn iface_label(u: &Universe, i: usize) -> String {
    match u.ifaces.get(i) {
        Some(c) => match &c.prefix {
            None => format!("\"{}\"", c.example),
            Some(p) if c.excluded.is_empty() => format!("\"{p}*\""),
            Some(p) => format!("\"{p}*\" (other)"),
        },
        None => format!("(class {i})"),
    }
}

/// A merged cube as parts.
fn render(u: &Universe, c: &[Ternaries]) -> Cube {
    let fs = fields(u);
    let any = |t: &Ternaries| t.len() == 1 && t[0].1 == 0;
    let mut parts = Vec::new();
    let family = &c[0];
    let fam_v6 = match family.as_slice() {
        [(v, 1)] => Some(*v == 1),
        _ => None,
    };
    let mut addr_printed = false;
    let proto = &c[7];
    let single_proto = match proto.as_slice() {
        [(v, m)] if *m == 0xff => Some(*v),
        _ => None,
    };
    let port_proto = single_proto.filter(|p| Protocol(*p as u8).has_ports());
    let has_port = !any(&c[8]) || !any(&c[9]);
    for (i, (sf, f, fam)) in fs.iter().enumerate() {
        let t = &c[i];
        if any(t) {
            continue;
        }
        // Addresses of the other family are never tested: skip them.
        if *fam == 4 && fam_v6 == Some(true) || *fam == 6 && fam_v6 == Some(false) {
            continue;
        }
        let text = match sf {
            SpaceField::Family => continue,
            SpaceField::Iif | SpaceField::Oif => {
                let name = if *sf == SpaceField::Iif {
                    "iifname"
                } else {
                    "oifname"
                };
                let labels: Vec<String> = values(t, f.width)
                    .into_iter()
                    .filter(|&v| (v as usize) < u.ifaces.len())
                    .map(|v| iface_label(u, v as usize))
                    .collect();
                format!("{name} {}", braces(labels))
            }
            SpaceField::Src | SpaceField::Dst => {
                let dir = if *sf == SpaceField::Src {
                    "saddr"
                } else {
                    "daddr"
                };
                addr_printed = true;
                let (kw, bits): (&str, u32) = if *fam == 4 { ("ip", 32) } else { ("ip6", 128) };
                match intervals(t, f.width) {
                    Some(iv) => {
                        let fmt: &dyn Fn(u128) -> String = if *fam == 4 {
                            &|x| v4(x).to_string()
                        } else {
                            &|x| v6(x).to_string()
                        };
                        format!("{kw} {dir} {}", addr_text(&iv, bits, fmt))
                    }
                    None => ternary_text(&format!("{kw} {dir}"), t, f.width, true),
                }
            }
            SpaceField::Proto => {
                if port_proto.is_some() && has_port {
                    continue;
                }
                match intervals(t, f.width) {
                    Some(iv) => format!(
                        "meta l4proto {}",
                        interval_text(&iv, &proto_name, &|a, b| format!("{a}-{b}"))
                    ),
                    None => ternary_text("meta l4proto", t, f.width, false),
                }
            }
            SpaceField::Sport | SpaceField::Dport => {
                let kw = port_proto.map_or_else(|| "th".to_string(), proto_name);
                let dir = if *sf == SpaceField::Sport {
                    "sport"
                } else {
                    "dport"
                };
                ternary_text(&format!("{kw} {dir}"), t, f.width, false)
            }
            SpaceField::IcmpType | SpaceField::IcmpCode => {
                let kw = if fam_v6 == Some(true) {
                    "icmpv6"
                } else {
                    "icmp"
                };
                let what = if *sf == SpaceField::IcmpType {
                    "type"
                } else {
                    "code"
                };
                ternary_text(&format!("{kw} {what}"), t, f.width, false)
            }
            SpaceField::TcpFlags => ternary_text("tcp flags", t, f.width, true),
            SpaceField::CtState => {
                let names: Vec<String> = values(t, f.width)
                    .into_iter()
                    .filter_map(|v| CT_STATES.get(v as usize))
                    .map(|&b| CtStateSet(b).to_string())
                    .collect();
                format!("ct state {}", braces(names))
            }
            SpaceField::Mark => ternary_text("meta mark", t, f.width, true),
            SpaceField::CtMark => ternary_text("ct mark", t, f.width, true),
        };
        parts.push(CubePart { field: *sf, text });
    }
    if !addr_printed {
        if let Some(v6) = fam_v6 {
            parts.insert(
                0,
                CubePart {
                    field: SpaceField::Family,
                    text: format!("meta nfproto {}", if v6 { "ipv6" } else { "ipv4" }),
                },
            );
        }
    }
    Cube { parts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_prefixes() {
        assert_eq!(
            interval((0x0a00_0000, 0xff00_0000), 32),
            Some((0x0a00_0000, 0x0aff_ffff))
        );
        assert_eq!(interval((1, 1), 32), None);
        let iv = intervals(&vec![(0x8000, 0x8000), (0x4000, 0xc000)], 16).unwrap();
        assert_eq!(iv, vec![(0x4000, 0xffff)]);
        let text = addr_text(&[(0x0a00_0000, 0x0aff_ffff)], 32, &|x| v4(x).to_string());
        assert_eq!(text, "10.0.0.0/8");
        let text = addr_text(&[(0x0a00_0000, 0x0b00_0001)], 32, &|x| v4(x).to_string());
        assert_eq!(text, "{ 10.0.0.0/8, 11.0.0.0/31 }");
        assert_eq!(
            ternary_text(
                "tcp dport",
                &vec![(1024, 0xfc00), (2048, 0xf800)],
                16,
                false
            ),
            "tcp dport 1024-4095"
        );
        assert_eq!(
            ternary_text("meta mark", &vec![(0x1, 0xff)], 32, true),
            "meta mark & 0xff == 0x1"
        );
    }
}
