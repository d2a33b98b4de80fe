//! Bounds-checked readers of xt blobs and the value formats several extensions share.

use super::*;

pub(super) fn u8_at(b: &[u8], o: usize) -> Option<u8> {
    b.get(o).copied()
}

pub(super) fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes([*b.get(o)?, *b.get(o + 1)?]))
}

pub(super) fn be16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(o)?, *b.get(o + 1)?]))
}

pub(super) fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes([
        *b.get(o)?,
        *b.get(o + 1)?,
        *b.get(o + 2)?,
        *b.get(o + 3)?,
    ]))
}

pub(super) fn cstr_at(b: &[u8], o: usize, max: usize) -> Option<String> {
    let s = b.get(o..(o + max).min(b.len()))?;
    let end = s.iter().position(|x| *x == 0).unwrap_or(s.len());
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

/// conntrack/state bits (`XT_CONNTRACK_STATE_*`) to the model's `NF_CT_STATE_BIT` layout.
pub(super) fn xt_states(mask: u32) -> CtStateSet {
    let mut s = 0u8;
    for (xt, model) in [
        (1u32 << 0, CtStateSet::INVALID),
        (1 << 1, CtStateSet::ESTABLISHED),
        (1 << 2, CtStateSet::RELATED),
        (1 << 3, CtStateSet::NEW),
        (1 << 6, CtStateSet::SNAT),
        (1 << 7, CtStateSet::DNAT),
        (1 << 8, CtStateSet::UNTRACKED),
    ] {
        if mask & xt != 0 {
            s |= model;
        }
    }
    CtStateSet(s)
}

pub(super) fn port_list(ports: &[u16], pflags: Option<&[u8]>) -> Vec<PortRange> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ports.len() {
        if pflags.is_some_and(|f| f.get(i) == Some(&1)) && i + 1 < ports.len() {
            out.push(PortRange {
                first: ports[i],
                last: ports[i + 1],
            });
            i += 2;
        } else {
            out.push(PortRange::single(ports[i]));
            i += 1;
        }
    }
    out
}

pub(super) fn addr_v4(b: &[u8], o: usize) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::new(
        *b.get(o)?,
        *b.get(o + 1)?,
        *b.get(o + 2)?,
        *b.get(o + 3)?,
    ))
}

pub(super) fn addr_v6(b: &[u8], o: usize) -> Option<Ipv6Addr> {
    let s: [u8; 16] = b.get(o..o + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(s))
}

pub(super) fn iface_with_mask(b: &[u8], name_at: usize, mask_at: usize) -> Option<IfacePattern> {
    let name = cstr_at(b, name_at, 16)?;
    let mask = b.get(mask_at..mask_at + 16)?;
    let covered = mask.iter().take_while(|x| **x == 0xff).count();
    Some(if covered > name.len() {
        IfacePattern::Exact(name)
    } else {
        // iptables keeps the `+` of `veth+` in the name; the mask covers what precedes it.
        let prefix = name.strip_suffix('+').unwrap_or(&name).to_string();
        IfacePattern::Prefix(prefix)
    })
}

/// iptables' `print_rate` of the limit match: picks the unit it would print.
pub(super) fn limit_rate(avg: u32) -> String {
    const SCALE: u32 = 10000;
    let rates: [(&str, u32); 4] = [
        ("day", 86400 * SCALE),
        ("hour", 3600 * SCALE),
        ("minute", 60 * SCALE),
        ("second", SCALE),
    ];
    if avg == 0 {
        return "0/second".into();
    }
    let mut i = 1;
    while i < rates.len() {
        let mult = rates[i].1;
        if avg > mult || mult / avg < mult % avg {
            break;
        }
        i += 1;
    }
    let (name, mult) = rates[i - 1];
    format!("{}/{}", mult / avg, name)
}
