//! Compares and ranges: a loaded field against a value becomes a typed match.

use super::*;

pub(super) fn cmp_op_text(op: u32) -> &'static str {
    match op {
        0 => "",
        1 => "!= ",
        2 => "< ",
        3 => "<= ",
        4 => "> ",
        5 => ">= ",
        _ => "? ",
    }
}

/// Whether `mask` is the mask of sub-byte header field `field` itself.
pub(super) fn own_mask(field: &Field, mask: Option<&[u8]>) -> bool {
    match (field, mask) {
        (Field::Hdr(h), Some(m)) if h.mask != 0 && m.len() <= 8 => {
            m.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x)) == h.mask
        }
        _ => false,
    }
}

impl State<'_> {
    pub(super) fn cmp(&mut self, sreg: u32, op: u32, data: &[u8]) {
        let Some(reg) = self.reg(sreg).cloned() else {
            self.push_other(format!("cmp reg {sreg} {}{}", cmp_op_text(op), hex(data)));
            return;
        };
        let Reg::Load {
            field,
            len,
            mask,
            xor,
        } = reg
        else {
            self.push_other(format!(
                "{} {}{}",
                reg_text(&reg),
                cmp_op_text(op),
                hex(data)
            ));
            return;
        };
        // A sub-byte header field (`ip hdrlength`): the mask selects it.
        let xor_none = !xor.as_ref().is_some_and(|x| x.iter().any(|b| *b != 0));
        let (field, mask) = match mask.as_deref().and_then(|m| self.masked_hdr(&field, m)) {
            Some(h) if xor_none => (Field::Hdr(h), None),
            // A field that is a part of its bytes under its own mask (`tcp option mptcp
            // subtype`): the mask is the field's.
            _ if xor_none && own_mask(&field, mask.as_deref()) => (field, None),
            _ => (field, mask),
        };
        // One load covering two adjacent fields (nft merges `udp sport 67 udp dport 68` and
        // `ip saddr A ip daddr B` into one wider compare): split it back.
        if op == 0 && mask.is_none() {
            if let Field::Raw(_) = &field {
                if let Some(parts) = self.split_fields(&field, data) {
                    for (f, d) in parts {
                        self.set_reg(
                            sreg,
                            Reg::Load {
                                field: f,
                                len: d.len() as u32,
                                mask: None,
                                xor: None,
                            },
                        );
                        self.cmp(sreg, 0, &d);
                    }
                    return;
                }
            }
        }
        // A compare longer than the load: a concatenation over consecutive registers.
        if data.len() > (len as usize).div_ceil(4) * 4 && mask.is_none() {
            if let Some(fields) = self.concat_fields(sreg, data.len()) {
                let names: Vec<String> = fields.iter().map(|(f, _)| f.text()).collect();
                let types: Vec<u32> = fields.iter().map(|(f, _)| f.type_id()).collect();
                self.push_other(format!(
                    "{} {}{}",
                    names.join(" . "),
                    cmp_op_text(op),
                    format_concat(&types, data)
                ));
                return;
            }
        }
        let neg = op == 1;
        let eq_or_neq = op <= 1;
        let xor_zero = !xor.as_ref().is_some_and(|x| x.iter().any(|b| *b != 0));
        match (&field, mask.as_deref()) {
            (Field::Addr { dir, v6, full }, m) if eq_or_neq && xor_zero => {
                let plen = match m {
                    Some(m) => prefix_len(m),
                    None => u8::try_from(len.min(*full) * 8).ok(),
                };
                match plen.and_then(|p| addr_spec(data, *v6, p)) {
                    Some(a) => self.push(
                        neg,
                        MatchKind::Address {
                            dir: *dir,
                            addrs: vec![a],
                        },
                    ),
                    // A mask that is no prefix, as nft lists it: `ip saddr & 0.0.0.255 ==
                    // 0.0.0.1` (the mask as an address, `==` spelled out after the binop).
                    None => self.push_other(format!(
                        "{} & {} {}{}",
                        field.text(),
                        format_value(field.type_id(), m.unwrap_or_default()),
                        if op == 0 { "== " } else { cmp_op_text(op) },
                        format_value(field.type_id(), data)
                    )),
                }
            }
            (Field::L4Proto | Field::NhProto { .. }, None) if eq_or_neq && !data.is_empty() => {
                if !neg {
                    self.ctx.l4 = Some(Protocol(data[0]));
                    self.l4_dep = Some(self.rule.matches.len());
                    self.l4_dep_used = false;
                }
                self.push(
                    neg,
                    MatchKind::Protocol {
                        protos: vec![Protocol(data[0])],
                    },
                );
            }
            (Field::Nfproto, None) if op == 0 && !data.is_empty() => {
                match data[0] {
                    2 => self.ctx.l3_v6 = Some(false),
                    10 => self.ctx.l3_v6 = Some(true),
                    _ => {}
                }
                let name = match data[0] {
                    2 => "ipv4".to_string(),
                    10 => "ipv6".to_string(),
                    n => n.to_string(),
                };
                self.push(false, other(format!("meta nfproto {name}")));
            }
            (Field::MetaProtocol, None) if eq_or_neq && data.len() == 2 => {
                let t = u16_be(data);
                if op == 0 {
                    match t {
                        0x0800 => self.ctx.l3_v6 = Some(false),
                        0x86dd => self.ctx.l3_v6 = Some(true),
                        0x0806 => self.ctx.arp = true,
                        _ => {}
                    }
                }
                let name = ether_type_name(t);
                let o = if neg { "!= " } else { "" };
                self.push_other(format!("meta protocol {o}{name}"));
            }
            (Field::IifType, None) if op == 0 && data == 1u16.to_ne_bytes() => {
                // `meta iiftype ether`: nft's implicit dependency of an `ether` match in a
                // family without a link layer of its own; kept only until `finish`.
                self.push_other("meta iiftype ether".into());
            }
            (
                Field::Numgen {
                    random,
                    modulus,
                    offset: 0,
                },
                None,
            ) if op == 0 && *modulus > 0 => {
                let v = u32_ne(data);
                let kind = if *random {
                    MatchKind::Statistic {
                        mode: StatisticMode::Random,
                        probability: Some(format!("{:.11}", 1.0 / f64::from(*modulus))),
                        every: None,
                        packet: None,
                    }
                } else {
                    MatchKind::Statistic {
                        mode: StatisticMode::Nth,
                        probability: None,
                        every: Some(*modulus),
                        packet: Some(v),
                    }
                };
                self.push(false, kind);
            }
            (Field::EtherType, None) if op == 0 && data.len() == 2 => {
                let t = u16_be(data);
                match t {
                    0x0800 => self.ctx.l3_v6 = Some(false),
                    0x86dd => self.ctx.l3_v6 = Some(true),
                    0x0806 => self.ctx.arp = true,
                    0x8100 | 0x88a8 => self.ctx.vlan = true,
                    _ => {}
                }
                let name = ether_type_name(t);
                self.push(false, other(format!("ether type {name}")));
            }
            (Field::Port { dir, proto }, None) if eq_or_neq => self.push(
                neg,
                MatchKind::Port {
                    dir: *dir,
                    proto: *proto,
                    ports: vec![PortRange::single(u16_be(data))],
                },
            ),
            (
                Field::Port { .. }
                | Field::Length
                | Field::Addr { .. }
                | Field::Hdr(_)
                | Field::FragOff
                | Field::SkUid
                | Field::SkGid
                | Field::Mark
                | Field::CtMark
                | Field::L4Proto
                | Field::NhProto { .. }
                | Field::BeInt { .. }
                | Field::IcmpCode { .. }
                | Field::Xfrm { key: 5 | 6, .. }
                | Field::Raw(_),
                None,
            ) if op >= 2 && self.bound(&field, sreg, op, data) => {}
            (Field::Ttl { .. }, None)
                if matches!(op, 3 | 5) && self.bound(&field, sreg, op, data) => {}
            (Field::IcmpType { v6 }, None) if eq_or_neq && !data.is_empty() => {
                if !neg {
                    self.ctx.icmp_type = Some(data[0]);
                    self.icmp_dep = Some(self.rule.matches.len());
                }
                self.push(
                    neg,
                    MatchKind::Icmp {
                        v6: *v6,
                        icmp_type: Some(data[0]),
                        code: None,
                    },
                )
            }
            (Field::IcmpTypeCode { v6 }, None) if eq_or_neq && data.len() >= 2 => self.push(
                neg,
                MatchKind::Icmp {
                    v6: *v6,
                    icmp_type: Some(data[0]),
                    code: Some(data[1]),
                },
            ),
            (Field::TcpFlags, Some(m)) if eq_or_neq && !m.is_empty() && !data.is_empty() => {
                if data[0] == 0 && op == 1 && m[0].count_ones() == 1 {
                    // `tcp flags syn`: one flag set, `(flags & syn) == syn`.
                    self.push(
                        false,
                        MatchKind::TcpFlags {
                            mask: TcpFlags(m[0]),
                            set: TcpFlags(m[0]),
                        },
                    );
                } else if data[0] == 0 && op == 1 {
                    // `tcp flags syn,ack`: any of the masked flags set.
                    let names = tcp_flags_text(&m[..1]).replace(" | ", ",");
                    self.push_other(format!("tcp flags {names}"));
                } else {
                    self.push(
                        neg,
                        MatchKind::TcpFlags {
                            mask: TcpFlags(m[0]),
                            set: TcpFlags(data[0]),
                        },
                    );
                }
            }
            (Field::TcpFlags, None) if eq_or_neq && !data.is_empty() => self.push(
                neg,
                MatchKind::TcpFlags {
                    mask: TcpFlags(0xff),
                    set: TcpFlags(data[0]),
                },
            ),
            (Field::Iface(dir), None) if eq_or_neq => self.push(
                neg,
                MatchKind::Interface {
                    dir: *dir,
                    names: vec![iface_pattern(data)],
                },
            ),
            // `ct mark | 0x23 == 0x11`: nft's `|` and `^` are a mask and xor.
            (Field::Mark | Field::CtMark, Some(m))
                if eq_or_neq && !xor_zero && m.len() == 4 && data.len() == 4 =>
            {
                let (mv, xv) = (u32_ne(m), xor.as_deref().map_or(0, u32_ne));
                let o = if neg { "!=" } else { "==" };
                let name = field.text();
                let d = u32_ne(data);
                if mv == !xv {
                    self.push_other(format!("{name} | 0x{xv:08x} {o} 0x{d:08x}"));
                } else if mv == u32::MAX {
                    self.push_other(format!("{name} ^ 0x{xv:08x} {o} 0x{d:08x}"));
                } else {
                    self.push_other(format!("{name} & 0x{mv:08x} ^ 0x{xv:08x} {o} 0x{d:08x}"));
                }
            }
            (Field::Mark, m) if eq_or_neq && xor_zero => self.push(
                neg,
                MatchKind::Mark {
                    value: u32_ne(data),
                    mask: m.map_or(u32::MAX, u32_ne),
                },
            ),
            (Field::CtMark, m) if eq_or_neq && xor_zero => self.push(
                neg,
                MatchKind::CtMark {
                    value: u32_ne(data),
                    mask: m.map_or(u32::MAX, u32_ne),
                },
            ),
            (Field::CtState, Some(m)) if eq_or_neq && u32_ne(data) == 0 => {
                // `(state & S) != 0` is "state in S"; `== 0` is its negation.
                self.push(
                    op == 0,
                    MatchKind::CtState {
                        states: CtStateSet(u32_ne(m) as u8),
                    },
                );
            }
            (Field::CtState, None) if eq_or_neq => self.push(
                neg,
                MatchKind::CtState {
                    states: CtStateSet(u32_ne(data) as u8),
                },
            ),
            (Field::CtStatus, Some(m)) if eq_or_neq && u32_ne(data) == 0 => self.push(
                op == 0,
                MatchKind::CtStatus {
                    statuses: ct_status_names(u32_ne(m)),
                },
            ),
            (Field::CtStatus, _) if eq_or_neq => self.push(
                neg,
                MatchKind::CtStatus {
                    statuses: ct_status_names(u32_ne(data)),
                },
            ),
            (Field::CtDirection, None) if eq_or_neq && !data.is_empty() => self.push(
                neg,
                MatchKind::CtDirection {
                    original: data[0] == 0,
                },
            ),
            (Field::EtherSaddr, None) if eq_or_neq => self.push(
                neg,
                MatchKind::Mac {
                    addr: format_value(9, data),
                },
            ),
            (Field::Length, None) if eq_or_neq => {
                let v = u32_ne(data).min(u32::from(u16::MAX)) as u16;
                self.push(
                    neg,
                    MatchKind::Length {
                        range: PortRange::single(v),
                    },
                )
            }
            (Field::PktType, None) if eq_or_neq && !data.is_empty() => {
                let t = match data[0] {
                    0 => "host".to_string(),
                    1 => "broadcast".to_string(),
                    2 => "multicast".to_string(),
                    n => n.to_string(),
                };
                self.push(neg, MatchKind::PktType { pkt_type: t });
            }
            (Field::Ttl { v6 }, None) if !data.is_empty() && matches!(op, 0 | 1 | 2 | 4) => {
                let o = match op {
                    2 => TtlOp::Lt,
                    4 => TtlOp::Gt,
                    _ => TtlOp::Eq,
                };
                self.push(
                    neg,
                    MatchKind::Ttl {
                        v6: *v6,
                        op: o,
                        value: data[0],
                    },
                );
            }
            // `ip6 dscp cs1`: the DSCP match of either family.
            (Field::Hdr(h), None) if eq_or_neq && h.name == "ip6 dscp" && data.len() == 2 => {
                let value = u8::try_from(hdr_fields::value(h, data)).unwrap_or(0);
                self.push(neg, MatchKind::Dscp { value });
            }
            (Field::Tos, Some([0xfc])) if eq_or_neq && !data.is_empty() => self.push(
                neg,
                MatchKind::Dscp {
                    value: data[0] >> 2,
                },
            ),
            (Field::Tos, m) if eq_or_neq && !data.is_empty() => self.push(
                neg,
                MatchKind::Tos {
                    value: data[0],
                    mask: m.and_then(|m| m.first().copied()).unwrap_or(0xff),
                },
            ),
            (Field::FragOff, Some(m)) if eq_or_neq && u16_be(m) == 0x1fff && u16_be(data) == 0 => {
                self.push(op == 0, MatchKind::Fragment)
            }
            (Field::SkUid, None) if eq_or_neq => self.push(
                neg,
                MatchKind::Owner {
                    uid: Some(u32_ne(data).to_string()),
                    gid: None,
                    socket_exists: false,
                },
            ),
            (Field::SkGid, None) if eq_or_neq => self.push(
                neg,
                MatchKind::Owner {
                    uid: None,
                    gid: Some(u32_ne(data).to_string()),
                    socket_exists: false,
                },
            ),
            (Field::Fib { flags, result: 3 }, None) if eq_or_neq && flags & 3 != 0 => {
                let dir = if flags & 1 != 0 {
                    Direction::Src
                } else {
                    Direction::Dst
                };
                let limit_iface = if flags & 8 != 0 {
                    Some(Direction::Src)
                } else if flags & 16 != 0 {
                    Some(Direction::Dst)
                } else {
                    None
                };
                let t = u32_ne(data);
                self.push(
                    neg,
                    MatchKind::AddrType {
                        dir,
                        types: addrtype_names(if t < 32 { 1 << t } else { 0 }),
                        limit_iface,
                    },
                );
            }
            (f, m) => {
                if let (Field::Hdr(h), None, 0) = (f, m, op) {
                    if h.kind == hdr_fields::Kind::EtherType && data.len() == 2 {
                        match u16_be(data) {
                            0x0800 => self.ctx.l3_v6 = Some(false),
                            0x86dd => self.ctx.l3_v6 = Some(true),
                            0x0806 => self.ctx.arp = true,
                            _ => {}
                        }
                    }
                }
                // `ct original ip saddr 192.168.1.0/24`: a prefix mask on a conntrack address.
                if let (Field::Raw(r), Some(m), true) = (f, m, eq_or_neq) {
                    let addr =
                        r.starts_with("ct ") && (r.ends_with("saddr") || r.ends_with("daddr"));
                    if let (true, Some(p)) = (addr, prefix_len(m)) {
                        let o = if neg { "!= " } else { "" };
                        self.push_other(format!("{r} {o}{}/{p}", f.render(data)));
                        return;
                    }
                    // `ct label 127`: one bit of the label bitmap set.
                    let bits: u32 = m.iter().map(|b| b.count_ones()).sum();
                    if r == "ct label" && bits == 1 && data.iter().all(|b| *b == 0) && op == 1 {
                        if let Some((i, b)) = m.iter().enumerate().find(|(_, b)| **b != 0) {
                            self.push_other(format!(
                                "ct label {}",
                                i * 8 + b.trailing_zeros() as usize
                            ));
                            return;
                        }
                    }
                }
                let masked = match m {
                    Some(m) => {
                        let x = xor
                            .as_deref()
                            .filter(|x| x.iter().any(|b| *b != 0))
                            .map(|x| format!(" ^ {}", hex(x)))
                            .unwrap_or_default();
                        let mask = match f {
                            Field::Addr { .. } => format_value(f.type_id(), m),
                            _ => hex(m),
                        };
                        format!("{} & {mask}{x}", f.text())
                    }
                    None => f.text(),
                };
                // After a binop nft spells equality out: `@ll,0,8 & 0x80 == 0x80`.
                let op_text = if m.is_some() && op == 0 {
                    "== "
                } else {
                    cmp_op_text(op)
                };
                let swapped = reg32(sreg).is_some_and(|i| self.hton.contains(&i));
                let value = match f {
                    Field::Raw(r) if r == "iif" || r == "oif" => format_value(20, data),
                    // A time compared after `byteorder hton` (`meta time < "2022-07-01 ..."`).
                    Field::Raw(r) if swapped && r == "meta time" && data.len() == 8 => {
                        super::clock::time_text(
                            data.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x)),
                        )
                    }
                    Field::Raw(r)
                        if swapped && (r.starts_with("meta ") || r.starts_with("ct ")) =>
                    {
                        data.iter()
                            .take(8)
                            .fold(0u64, |v, x| (v << 8) | u64::from(*x))
                            .to_string()
                    }
                    _ => f.render(data),
                };
                self.push_other(format!("{masked} {op_text}{value}"));
            }
        }
    }

    /// A one-sided compare (`<`, `<=`, `>`, `>=`) of a port, length or address: the range
    /// it allows, intersected with the bound just read on the same field (nft writes
    /// `1024-2048` as `>= 1024` and `<= 2048`). `false` when the field has no such form.
    pub(super) fn bound(&mut self, field: &Field, sreg: u32, op: u32, data: &[u8]) -> bool {
        let swapped = reg32(sreg).is_some_and(|i| self.hton.contains(&i));
        let (v, bits): (u128, u32) = match field {
            Field::Port { .. } => (u128::from(u16_be(data)), 16),
            Field::Length => {
                let v = if swapped {
                    let mut a = [0u8; 4];
                    for (i, b) in data.iter().take(4).enumerate() {
                        a[i] = *b;
                    }
                    u32::from_be_bytes(a)
                } else {
                    u32_ne(data)
                };
                (u128::from(v), 32)
            }
            Field::Addr { v6, .. } => {
                let n = if *v6 { 16 } else { 4 };
                let mut v = 0u128;
                for i in 0..n {
                    v = (v << 8) | u128::from(data.get(i).copied().unwrap_or(0));
                }
                (v, if *v6 { 128 } else { 32 })
            }
            Field::Hdr(
                h @ HdrField {
                    kind:
                        hdr_fields::Kind::Int
                        | hdr_fields::Kind::Hex
                        | hdr_fields::Kind::ArpOp
                        | hdr_fields::Kind::EtherType,
                    ..
                },
            ) if (1..=8).contains(&data.len()) => (
                u128::from(hdr_fields::value(h, data)),
                128 - u128::from(hdr_fields::max_value(h, data.len())).leading_zeros(),
            ),
            Field::BeInt { .. } if (1..=8).contains(&data.len()) => {
                let v = data.iter().fold(0u128, |v, x| (v << 8) | u128::from(*x));
                (v, data.len() as u32 * 8)
            }
            Field::L4Proto | Field::NhProto { .. } if data.len() == 1 => (u128::from(data[0]), 8),
            Field::Ttl { .. } | Field::FragOff if (1..=8).contains(&data.len()) => {
                let v = data.iter().fold(0u128, |v, x| (v << 8) | u128::from(*x));
                (v, data.len() as u32 * 8)
            }
            // Host-order 32-bit keys (compared after a `byteorder hton`).
            Field::SkUid | Field::SkGid | Field::Mark | Field::CtMark if data.len() == 4 => {
                (u128::from(self.host_u32(sreg, data)), 32)
            }
            Field::IcmpCode { .. } if data.len() == 1 => (u128::from(data[0]), 8),
            // `ipsec in reqid` is a host-order integer, `spi` a big-endian one.
            Field::Xfrm { key: 5, .. } if data.len() == 4 => (u128::from(u32_ne(data)), 32),
            Field::Xfrm { key: 6, .. } if data.len() == 4 => (
                u128::from(u32::from_be_bytes([data[0], data[1], data[2], data[3]])),
                32,
            ),
            Field::Raw(r)
                if (r.starts_with("meta ") || r.starts_with("ct ")) && data.len() == 4 =>
            {
                (u128::from(self.host_u32(sreg, data)), 32)
            }
            _ => return false,
        };
        let max = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let (mut lo, mut hi) = match op {
            2 if v > 0 => (0, v - 1),
            3 => (0, v),
            4 if v < max => (v + 1, max),
            5 => (v, max),
            _ => return false,
        };
        let merge = match &self.last_bound {
            Some((f, l, h, idx)) if f == field && *idx + 1 == self.rule.matches.len() => {
                Some((*l, *h, *idx))
            }
            _ => None,
        };
        if let Some((l, h, _)) = merge {
            lo = lo.max(l);
            hi = hi.min(h);
            if lo > hi {
                return false;
            }
        }
        let kind = match field {
            Field::Port { dir, proto } => MatchKind::Port {
                dir: *dir,
                proto: *proto,
                ports: vec![PortRange {
                    first: u16::try_from(lo).unwrap_or(u16::MAX),
                    last: u16::try_from(hi).unwrap_or(u16::MAX),
                }],
            },
            Field::Length => MatchKind::Length {
                range: PortRange {
                    first: u16::try_from(lo).unwrap_or(u16::MAX),
                    last: u16::try_from(hi).unwrap_or(u16::MAX),
                },
            },
            Field::Addr { dir, v6, .. } => {
                let n = if *v6 { 16 } else { 4 };
                let first = lo.to_be_bytes()[16 - n..].to_vec();
                let last = hi.to_be_bytes()[16 - n..].to_vec();
                let Some(a) = addr_range_exact(&first, &last, *v6) else {
                    return false;
                };
                MatchKind::Address {
                    dir: *dir,
                    addrs: vec![a],
                }
            }
            // nft lists a merged pair as a range, a lone bound as written.
            Field::Mark | Field::CtMark if merge.is_some() => {
                other(format!("{} 0x{lo:08x}-0x{hi:08x}", field.text()))
            }
            Field::Mark | Field::CtMark => {
                other(format!("{} {}0x{v:08x}", field.text(), cmp_op_text(op)))
            }
            // `meta skuid 1000-1005`: the owner match of a uid range.
            Field::SkUid | Field::SkGid if merge.is_some() => owner(field, format!("{lo}-{hi}")),
            Field::SkUid
            | Field::SkGid
            | Field::Raw(_)
            | Field::L4Proto
            | Field::NhProto { .. }
            | Field::BeInt { .. } => {
                let name = field.text();
                let t = |x: u128| raw_int_text(&name, u64::try_from(x).unwrap_or(u64::MAX));
                let rb = |x: u128| range_bound_text(&name, u64::try_from(x).unwrap_or(u64::MAX));
                if merge.is_some() {
                    other(format!("{name} {}-{}", rb(lo), rb(hi)))
                } else {
                    other(format!("{name} {}{}", cmp_op_text(op), t(v)))
                }
            }
            Field::Hdr(HdrField {
                kind: hdr_fields::Kind::Hex,
                ..
            }) if merge.is_some() => other(format!("{} 0x{lo:x}-0x{hi:x}", field.text())),
            _ if merge.is_some() => other(format!("{} {lo}-{hi}", field.text())),
            _ => other(format!(
                "{} {}{}",
                field.text(),
                cmp_op_text(op),
                field.render(data)
            )),
        };
        match merge {
            Some((_, _, idx)) => {
                if let Some(m) = self.rule.matches.get_mut(idx) {
                    *m = Match::new(kind);
                }
                self.last_bound = None;
            }
            None => {
                self.push(false, kind);
                self.last_bound = Some((field.clone(), lo, hi, self.rule.matches.len() - 1));
            }
        }
        true
    }

    /// A 32-bit value of register `sreg` in host order (undoing a `byteorder hton`).
    pub(super) fn host_u32(&self, sreg: u32, data: &[u8]) -> u32 {
        if reg32(sreg).is_some_and(|i| self.hton.contains(&i)) {
            let mut a = [0u8; 4];
            for (i, b) in data.iter().take(4).enumerate() {
                a[i] = *b;
            }
            u32::from_be_bytes(a)
        } else {
            u32_ne(data)
        }
    }

    pub(super) fn range(&mut self, sreg: u32, op: u32, from: &[u8], to: &[u8]) {
        let neg = op == 1;
        match self.reg(sreg).cloned() {
            Some(Reg::Load {
                field: Field::Port { dir, proto },
                mask: None,
                ..
            }) => self.push(
                neg,
                MatchKind::Port {
                    dir,
                    proto,
                    ports: vec![PortRange {
                        first: u16_be(from),
                        last: u16_be(to),
                    }],
                },
            ),
            Some(Reg::Load {
                field: Field::Addr { dir, v6, .. },
                mask: None,
                ..
            }) => {
                // nft lists a range expression as a range, even one a prefix could spell.
                if let Some(a) = addr_range_exact(from, to, v6) {
                    self.push(
                        neg,
                        MatchKind::Address {
                            dir,
                            addrs: vec![a],
                        },
                    );
                }
            }
            Some(Reg::Load {
                field: Field::Length,
                mask: None,
                ..
            }) => self.push(
                neg,
                MatchKind::Length {
                    range: PortRange {
                        first: self.host_u32(sreg, from).min(65535) as u16,
                        last: self.host_u32(sreg, to).min(65535) as u16,
                    },
                },
            ),
            Some(Reg::Load {
                field: f @ (Field::SkUid | Field::SkGid | Field::Mark | Field::CtMark),
                mask: None,
                ..
            }) if from.len() == 4 && to.len() == 4 => {
                let o = if neg { "!= " } else { "" };
                let (a, b) = (self.host_u32(sreg, from), self.host_u32(sreg, to));
                if matches!(f, Field::Mark | Field::CtMark) {
                    self.push_other(format!("{} {o}0x{a:08x}-0x{b:08x}", f.text()));
                } else {
                    self.push(neg, owner(&f, format!("{a}-{b}")));
                }
            }
            Some(Reg::Load {
                field,
                mask: Some(m),
                ..
            }) if self.masked_hdr(&field, &m).is_some() => {
                if let Some(h) = self.masked_hdr(&field, &m) {
                    let o = if neg { "!= " } else { "" };
                    self.push_other(format!(
                        "{} {o}{}-{}",
                        h.name,
                        hdr_fields::value(&h, from),
                        hdr_fields::value(&h, to)
                    ));
                }
            }
            Some(Reg::Load {
                field: Field::Raw(r),
                mask: None,
                ..
            }) if (r.starts_with("meta ") || r.starts_with("ct ")) && from.len() == 4 => {
                let o = if neg { "!= " } else { "" };
                let (a, b) = (self.host_u32(sreg, from), self.host_u32(sreg, to));
                self.push_other(format!(
                    "{r} {o}{}-{}",
                    range_bound_text(&r, u64::from(a)),
                    range_bound_text(&r, u64::from(b))
                ));
            }
            Some(Reg::Load {
                field: f @ (Field::L4Proto | Field::NhProto { .. }),
                mask: None,
                ..
            }) if !from.is_empty() && !to.is_empty() => {
                let o = if neg { "!= " } else { "" };
                self.push_other(format!("{} {o}{}-{}", f.text(), from[0], to[0]));
            }
            // Codes in a range are numbers, as nft prints every range (`icmp code 33-55`).
            Some(Reg::Load {
                field: f @ Field::IcmpCode { .. },
                mask: None,
                ..
            }) if !from.is_empty() && !to.is_empty() => {
                let o = if neg { "!= " } else { "" };
                self.push_other(format!("{} {o}{}-{}", f.text(), from[0], to[0]));
            }
            Some(Reg::Load {
                field: f @ (Field::Hdr(_) | Field::Ttl { .. } | Field::FragOff),
                mask: None,
                ..
            }) => {
                let o = if neg { "!= " } else { "" };
                self.push_other(format!(
                    "{} {o}{}-{}",
                    f.text(),
                    f.render(from),
                    f.render(to)
                ));
            }
            Some(r) => {
                let o = if neg { "!= " } else { "" };
                self.push_other(format!("{} {o}{}-{}", reg_text(&r), hex(from), hex(to)));
            }
            None => self.push_other(format!("range {}-{}", hex(from), hex(to))),
        }
    }
}
