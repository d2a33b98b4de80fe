//! Lookups into sets and maps: inlined anonymous sets, named sets, vmaps.

use super::*;

/// One value or range of a set, in key bytes.
pub(super) struct Interval {
    first: Vec<u8>,
    last: Vec<u8>,
    /// The element the interval starts with (its map data).
    elem: RawElem,
}

pub(super) fn be_add(b: &[u8], delta: i8) -> Vec<u8> {
    let mut v = b.to_vec();
    if delta < 0 {
        for x in v.iter_mut().rev() {
            let (r, borrow) = x.overflowing_sub(1);
            *x = r;
            if !borrow {
                break;
            }
        }
    }
    v
}

/// Turns raw elements into values or inclusive ranges, decoding interval start/end pairs.
pub(super) fn intervals(info: &SetInfo) -> Vec<Interval> {
    let mut out = Vec::new();
    if info.flags & SET_INTERVAL == 0 {
        for e in &info.elems {
            let last = e.key_end.clone().unwrap_or_else(|| e.key.clone());
            out.push(Interval {
                first: e.key.clone(),
                last,
                elem: e.clone(),
            });
        }
        return out;
    }
    if info.elems.iter().any(|e| e.key_end.is_some()) {
        for e in info
            .elems
            .iter()
            .filter(|e| e.flags & ELEM_INTERVAL_END == 0)
        {
            out.push(Interval {
                first: e.key.clone(),
                last: e.key_end.clone().unwrap_or_else(|| e.key.clone()),
                elem: e.clone(),
            });
        }
        return out;
    }
    let mut elems: Vec<&RawElem> = info.elems.iter().collect();
    elems.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then((b.flags & ELEM_INTERVAL_END).cmp(&(a.flags & ELEM_INTERVAL_END)))
    });
    // A range ends before the next key: an end element, or the start of the next range
    // (nft leaves out the end of a range that another one follows directly, as in
    // `{ 80 : accept, 81 : accept }`: two elements, not `80-81`).
    for (i, e) in elems.iter().enumerate() {
        if e.flags & ELEM_INTERVAL_END != 0 {
            continue;
        }
        let last = match elems.get(i + 1) {
            Some(next) => be_add(&next.key, -1),
            None => vec![0xff; e.key.len()],
        };
        out.push(Interval {
            first: e.key.clone(),
            last,
            elem: (*e).clone(),
        });
    }
    out
}

/// An address range as nft prints it: a prefix when it is one, else `a-b`.
pub(crate) fn addr_text(first: &[u8], last: &[u8], v6: bool) -> String {
    addr_range(first, last, v6).map_or_else(|| hex(first), |a| a.to_string())
}

pub(super) fn elem_data_text(info: &SetInfo, e: &RawElem) -> String {
    if let Some((code, chain)) = &e.verdict {
        return verdict_text(*code, chain.as_deref());
    }
    if let Some(o) = &e.objref {
        return format!("\"{o}\"");
    }
    match (&e.data, info.data_type) {
        (Some(d), Some(t)) => split_concat_text(t, d),
        // No data type (debug text): a 32-bit value is most likely a mark, in host order.
        (Some(d), None) if d.len() == 4 => format!("0x{:08x}", u32_ne(d)),
        (Some(d), None) => hex(d),
        _ => String::new(),
    }
}

pub(super) fn split_concat_text(t: u32, d: &[u8]) -> String {
    let types = split_concat(t, d.len() as u32);
    if types.len() > 1 {
        format_concat(&types, d)
    } else {
        format_value(t, d)
    }
}

/// A key of `fields` (a concatenation if several, each of the given byte length and padded
/// to 32 bits) as nft prints it.
pub(super) fn key_value_text(fields: &[Field], lens: &[u32], b: &[u8]) -> String {
    if b.is_empty() {
        // The catch-all element.
        return "*".into();
    }
    match fields {
        [f] => f.render(b),
        _ if lens.len() == fields.len() => {
            let mut out = Vec::new();
            let mut at = 0usize;
            for (f, l) in fields.iter().zip(lens) {
                let l = *l as usize;
                let Some(chunk) = b.get(at..at.saturating_add(l)) else {
                    let types: Vec<u32> = fields.iter().map(Field::type_id).collect();
                    return format_concat(&types, b);
                };
                out.push(f.render(chunk));
                at = at.saturating_add(l.div_ceil(4).max(1) * 4);
            }
            out.join(" . ")
        }
        _ => {
            let types: Vec<u32> = fields.iter().map(Field::type_id).collect();
            format_concat(&types, b)
        }
    }
}

/// An inclusive key range as nft prints it: one value, an address prefix, `a-b`, or a
/// range per field of a concatenation (`a . b-c`).
pub(super) fn range_text(fields: &[Field], lens: &[u32], first: &[u8], last: &[u8]) -> String {
    if first == last {
        return key_value_text(fields, lens, first);
    }
    if let [Field::Addr { v6, .. }] = fields {
        if let Some(a) = addr_range(first, last, *v6) {
            return a.to_string();
        }
    }
    // `ipsec in ip saddr { 10.6.0.0/16 }`.
    if let [Field::Xfrm { key: k @ 1..=4, .. }] = fields {
        if let Some(a) = addr_range(first, last, matches!(k, 2 | 4)) {
            return a.to_string();
        }
    }
    // `iifname { "eth*" }`: every name that starts with the prefix.
    if let [Field::Iface(_)] = fields {
        if let Some(p) = super::super::elements::wildcard_prefix(first, last) {
            return format!("\"{}*\"", String::from_utf8_lossy(p));
        }
    }
    if let ([Field::L4Proto | Field::NhProto { .. }], [a, ..], [b, ..]) = (fields, first, last) {
        return format!("{a}-{b}");
    }
    // `ct expiration { 33s-55s }`: range bounds are numbers (seconds); the key was made
    // big-endian for the interval set.
    if let [Field::BeInt { name, .. }] = fields {
        if name.starts_with("ct ") && name.ends_with(" expiration") {
            let be = |b: &[u8]| b.iter().take(8).fold(0u64, |v, x| (v << 8) | u64::from(*x));
            return format!(
                "{}-{}",
                range_bound_text(name, be(first)),
                range_bound_text(name, be(last))
            );
        }
    }
    if fields.len() > 1 && lens.len() == fields.len() {
        let mut out = Vec::new();
        let mut at = 0usize;
        for (f, l) in fields.iter().zip(lens) {
            let l = *l as usize;
            let end = at.saturating_add(l);
            let (Some(x), Some(y)) = (first.get(at..end), last.get(at..end)) else {
                out.clear();
                break;
            };
            out.push(range_text(std::slice::from_ref(f), &[], x, y));
            at = at.saturating_add(l.div_ceil(4).max(1) * 4);
        }
        if !out.is_empty() {
            return out.join(" . ");
        }
    }
    let (a, b) = (
        key_value_text(fields, lens, first),
        key_value_text(fields, lens, last),
    );
    if fields.len() > 1 {
        return a
            .split(" . ")
            .zip(b.split(" . "))
            .map(|(x, y)| {
                if x == y {
                    x.to_string()
                } else {
                    format!("{x}-{y}")
                }
            })
            .collect::<Vec<_>>()
            .join(" . ");
    }
    format!("{a}-{b}")
}

/// nft-like text of an anonymous set's elements for `fields` (a concatenation if several,
/// with each field's byte length in `lens`).
pub(super) fn set_text(info: &SetInfo, fields: &[Field], lens: &[u32], with_data: bool) -> String {
    // Map data of a datatype (addresses, marks, intervals of them), laid out as nft does.
    let data_text = |e: &RawElem| match info.data_type {
        Some(t) if t != DATA_VERDICT && e.verdict.is_none() && e.objref.is_none() => {
            super::super::elements::anonymous_data_text(t, &info.elems, e)
        }
        _ => elem_data_text(info, e),
    };
    let mut items: Vec<(Vec<u8>, String)> = Vec::new();
    // The catch-all element `*` (listed first, as nft does) stays out of the intervals.
    let (catchall, elems): (Vec<RawElem>, Vec<RawElem>) = info
        .elems
        .iter()
        .cloned()
        .partition(|e| e.flags & ELEM_CATCHALL != 0);
    for e in &catchall {
        let t = if with_data {
            format!("* : {}", data_text(e))
        } else {
            "*".to_string()
        };
        items.push((Vec::new(), t));
    }
    let rest = SetInfo {
        elems,
        ..info.clone()
    };
    let info = &rest;
    if with_data && info.flags & SET_INTERVAL == 0 {
        let mut elems: Vec<&RawElem> = info
            .elems
            .iter()
            .filter(|e| e.flags & ELEM_INTERVAL_END == 0)
            .collect();
        elems.sort_by(|a, b| a.key.cmp(&b.key));
        for e in elems {
            let key = match &e.key_end {
                Some(end) => range_text(fields, lens, &e.key, end),
                None => key_value_text(fields, lens, &e.key),
            };
            items.push((e.key.clone(), format!("{key} : {}", data_text(e))));
        }
    } else {
        for iv in intervals(info) {
            let mut t = range_text(fields, lens, &iv.first, &iv.last);
            if with_data {
                t = format!("{t} : {}", data_text(&iv.elem));
            }
            items.push((iv.first, t));
        }
    }
    items.sort();
    let parts: Vec<String> = items.into_iter().map(|(_, t)| t).collect();
    format!("{{ {} }}", parts.join(", "))
}

/// Whose key a `set` statement writes.
#[derive(Clone, Copy)]
pub(super) enum SetKind {
    Meta(u32),
    Ct(u32),
}

/// The value of a `meta KEY set` / `ct KEY set` statement as nft prints it: immediates by
/// the key's type (integers in decimal, conntrack events by name), anything else as a
/// register's text.
pub(super) fn set_value_text(kind: SetKind, r: &Reg) -> String {
    let Reg::Imm(v) = r else {
        return reg_text(r);
    };
    let n = u32_ne(v);
    match kind {
        SetKind::Meta(19) => match v.first() {
            Some(0) => "host".into(),
            Some(1) => "broadcast".into(),
            Some(2) => "multicast".into(),
            Some(3) => "other".into(),
            _ => n.to_string(),
        },
        SetKind::Meta(2) => format!("{:x}:{:x}", n >> 16, n & 0xffff),
        SetKind::Meta(3 | 14) | SetKind::Ct(3 | 4) => reg_text(r),
        SetKind::Ct(18) => {
            const EVENTS: &[&str] = &[
                "new",
                "related",
                "destroy",
                "reply",
                "assured",
                "protoinfo",
                "helper",
                "mark",
                "seqadj",
                "secmark",
                "label",
            ];
            let names: Vec<&str> = EVENTS
                .iter()
                .enumerate()
                .filter(|(i, _)| n & (1 << i) != 0)
                .map(|(_, e)| *e)
                .collect();
            if names.is_empty() || n >> EVENTS.len() != 0 {
                format!("0x{n:x}")
            } else {
                names.join(",")
            }
        }
        SetKind::Ct(13) => {
            // A label is a 128-bit bitmap; nft names the (first) bit set.
            let bit = v
                .iter()
                .enumerate()
                .find(|(_, b)| **b != 0)
                .map(|(i, b)| i * 8 + b.trailing_zeros() as usize);
            bit.map_or_else(|| reg_text(r), |b| b.to_string())
        }
        _ if v.len() <= 4 => n.to_string(),
        _ => reg_text(r),
    }
}

impl State<'_> {
    pub(super) fn lookup(&mut self, set: &str, sreg: u32, dreg: Option<u32>, invert: bool) {
        // A map without a data type (debug text) typed by what the rule does with its data.
        let typed: Option<SetInfo> = self.implied_data.get(set).map(|t| {
            let mut i = self.sets.sets.get(set).cloned().unwrap_or_default();
            i.data_type = Some(*t);
            if self.family == Family::Ip6 && i.data_type == Some(7) {
                i.data_type = Some(8);
            }
            i
        });
        let info = typed.as_ref().or_else(|| self.sets.sets.get(set));
        let anonymous = info.is_some_and(|i| i.flags & SET_ANONYMOUS != 0) || set.starts_with("__");
        // Key fields (a concatenation when the key spans several registers).
        let key_len = info
            .map(|i| i.key_len as usize)
            .filter(|l| *l > 0)
            .unwrap_or_else(|| self.implied_key_len(sreg));
        let mut lens: Vec<u32> = Vec::new();
        let fields: Vec<Field> = match self.reg(sreg) {
            Some(Reg::Load {
                field, len, mask, ..
            }) => {
                if key_len > (*len as usize).div_ceil(4) * 4 {
                    match self.concat_fields(sreg, key_len) {
                        Some(v) => {
                            lens = v.iter().map(|(_, l)| *l).collect();
                            v.into_iter().map(|(f, _)| f).collect()
                        }
                        None => vec![field.clone()],
                    }
                } else if let Some(h) = mask.as_deref().and_then(|m| self.masked_hdr(field, m)) {
                    vec![Field::Hdr(h)]
                } else if own_mask(field, mask.as_deref()) {
                    vec![field.clone()]
                } else if reg32(sreg).is_some_and(|i| self.hton.contains(&i))
                    && matches!(
                        field,
                        Field::Length
                            | Field::SkUid
                            | Field::SkGid
                            | Field::Mark
                            | Field::CtMark
                            | Field::Numgen { .. }
                            | Field::Raw(_)
                    )
                {
                    vec![Field::BeInt {
                        name: field.text(),
                        hex: matches!(field, Field::Mark | Field::CtMark),
                    }]
                } else if let (Field::TcpFlags, Some([m])) = (field, mask.as_deref()) {
                    vec![Field::FlagsMasked(format!(
                        "tcp flags & ({})",
                        tcp_flags_text(&[*m])
                    ))]
                } else if matches!(field, Field::Tos) && mask.as_deref() == Some(&[0xfc]) {
                    vec![Field::Hdr(HdrField {
                        name: "ip dscp",
                        kind: hdr_fields::Kind::Dscp,
                        mask: 0xfc,
                    })]
                } else if mask.is_some() {
                    vec![Field::Raw(reg_text(
                        self.reg(sreg).unwrap_or(&Reg::Text(String::new())),
                    ))]
                } else {
                    vec![field.clone()]
                }
            }
            Some(r) => vec![Field::Raw(reg_text(r))],
            None => vec![Field::Raw("?".into())],
        };
        let key_text = fields
            .iter()
            .map(Field::text)
            .collect::<Vec<_>>()
            .join(" . ");
        let is_map = dreg.is_some();
        let body = match info {
            Some(i) if anonymous => set_text(i, &fields, &lens, is_map || i.flags & SET_MAP != 0),
            _ => format!("@{set}"),
        };
        if let Some(d) = dreg {
            if d == 0 {
                self.rule.verdict = Some(Verdict::Vmap(VerdictMap::parse(&format!(
                    "{key_text} vmap {body}"
                ))));
            } else {
                self.set_reg(d, Reg::Text(format!("{key_text} map {body}")));
                self.map_data_regs(d, info.and_then(|i| i.data_type));
            }
            return;
        }
        if !anonymous {
            self.push(
                invert,
                MatchKind::SetLookup {
                    set: set.to_string(),
                    keys: fields.iter().map(Field::set_key).collect(),
                },
            );
            return;
        }
        let Some(info) = info else {
            self.push_other(format!(
                "{key_text} {}{body}",
                if invert { "!= " } else { "" }
            ));
            return;
        };
        if fields.len() == 1 {
            if let Some(kind) = self.inline_set(&fields[0], info) {
                if let MatchKind::Protocol { protos } = &kind {
                    if protos.len() == 1 && !invert {
                        self.ctx.l4 = Some(protos[0]);
                    }
                }
                self.push(invert, kind);
                return;
            }
        }
        self.push_other(format!(
            "{key_text} {}{body}",
            if invert { "!= " } else { "" }
        ));
    }

    /// nft text of the key a set operation uses (a concatenation when the set's key spans
    /// several registers).
    pub(super) fn key_text(&self, sreg: u32, set: &str) -> String {
        let info = self.sets.sets.get(set);
        let key_len = info
            .map(|i| i.key_len as usize)
            .filter(|l| *l > 0)
            .unwrap_or_else(|| self.implied_key_len(sreg));
        // Constants and masked fields, alone or in a concatenation, by the set's key type
        // (`add @s { ip saddr . 22 }`, `update @s { vlan id }`, `add @m { 10.2.3.4 : .. }`).
        let types = info.map(|i| split_concat(i.key_type, i.key_len));
        let spanned = types.as_ref().is_some_and(|t| t.len() > 1)
            || matches!(
                self.reg(sreg),
                Some(Reg::Imm(_) | Reg::Load { mask: Some(_), .. })
            );
        if let (true, Some(parts)) = (
            spanned && types.is_some(),
            types.as_deref().and_then(|t| self.span_parts(sreg, t)),
        ) {
            return parts.join(" . ");
        }
        match self.reg(sreg) {
            Some(Reg::Load {
                len, mask: None, ..
            }) if key_len > (*len as usize).div_ceil(4) * 4 => {
                match self.concat_fields(sreg, key_len) {
                    Some(fields) => fields
                        .iter()
                        .map(|(f, _)| f.text())
                        .collect::<Vec<_>>()
                        .join(" . "),
                    None => "?".into(),
                }
            }
            Some(r) => reg_text(r),
            None => "?".into(),
        }
    }

    /// An anonymous set of one field as a typed "any of" match, when the model has one.
    pub(super) fn inline_set(&self, field: &Field, info: &SetInfo) -> Option<MatchKind> {
        let ivs = intervals(info);
        Some(match field {
            Field::Port { dir, proto } => MatchKind::Port {
                dir: *dir,
                proto: *proto,
                ports: ivs
                    .iter()
                    .map(|iv| PortRange {
                        first: u16_be(&iv.first),
                        last: u16_be(&iv.last),
                    })
                    .collect(),
            },
            Field::Addr { dir, v6, .. } => MatchKind::Address {
                dir: *dir,
                addrs: ivs
                    .iter()
                    .map(|iv| addr_range(&iv.first, &iv.last, *v6))
                    .collect::<Option<Vec<_>>>()?,
            },
            Field::L4Proto | Field::NhProto { .. } if ivs.iter().any(|iv| iv.first != iv.last) => {
                return None
            }
            Field::L4Proto | Field::NhProto { .. } => MatchKind::Protocol {
                protos: ivs
                    .iter()
                    .filter(|iv| iv.first == iv.last)
                    .filter_map(|iv| iv.first.first().map(|p| Protocol(*p)))
                    .collect(),
            },
            Field::Iface(dir) => MatchKind::Interface {
                dir: *dir,
                names: ivs
                    .iter()
                    .map(|iv| iface_range(&iv.first, &iv.last))
                    .collect::<Option<Vec<_>>>()?,
            },
            // Bit sets: a set of single states is the list of them.
            Field::CtState if ivs.iter().all(|iv| iv.first == iv.last) => MatchKind::CtState {
                states: CtStateSet(ivs.iter().fold(0u32, |a, iv| a | u32_ne(&iv.first)) as u8),
            },
            // `fib daddr type { anycast, broadcast, multicast }`: any of these types.
            Field::Fib { flags, result: 3 }
                if flags & 3 != 0 && ivs.iter().all(|iv| iv.first == iv.last) =>
            {
                let bits = ivs.iter().fold(0u32, |a, iv| {
                    let t = u32_ne(&iv.first);
                    a | if t < 32 { 1 << t } else { 0 }
                });
                MatchKind::AddrType {
                    dir: if flags & 1 != 0 {
                        Direction::Src
                    } else {
                        Direction::Dst
                    },
                    types: addrtype_names(bits),
                    limit_iface: if flags & 8 != 0 {
                        Some(Direction::Src)
                    } else if flags & 16 != 0 {
                        Some(Direction::Dst)
                    } else {
                        None
                    },
                }
            }
            Field::CtStatus if ivs.iter().all(|iv| iv.first == iv.last) => MatchKind::CtStatus {
                statuses: ct_status_names(ivs.iter().fold(0u32, |a, iv| a | u32_ne(&iv.first))),
            },
            _ => return None,
        })
    }
}
