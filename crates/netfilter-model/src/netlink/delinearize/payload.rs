//! Payload and extension-header loads: header fields by base, offset and length.

use super::*;

/// The field an SCTP chunk load reads (`sctp chunk init initial-tsn`), or its presence.
pub(super) fn sctp_chunk_field(kind: u32, off: u32, len: u32, present: bool) -> Option<Field> {
    let name = match kind {
        0 => "data",
        1 => "init",
        2 => "init-ack",
        3 => "sack",
        4 => "heartbeat",
        5 => "heartbeat-ack",
        6 => "abort",
        7 => "shutdown",
        8 => "shutdown-ack",
        9 => "error",
        10 => "cookie-echo",
        11 => "cookie-ack",
        12 => "ecne",
        13 => "cwr",
        14 => "shutdown-complete",
        128 => "asconf-ack",
        192 => "forward-tsn",
        193 => "asconf",
        _ => return None,
    };
    if present {
        return Some(Field::ExtPresent(format!("sctp chunk {name}")));
    }
    let field = match (kind, off, len) {
        (_, 0, 1) => "type",
        (_, 1, 1) => "flags",
        (_, 2, 2) => "length",
        (0, 4, 4) => "tsn",
        (0, 8, 2) => "stream",
        (0, 10, 2) => "ssn",
        (0, 12, 4) => "ppid",
        (1 | 2, 4, 4) => "init-tag",
        (1..=3, 8, 4) => "a-rwnd",
        (1 | 2, 12, 2) => "num-outbound-streams",
        (1 | 2, 14, 2) => "num-inbound-streams",
        (1 | 2, 16, 4) => "initial-tsn",
        (3 | 7, 4, 4) => "cum-tsn-ack",
        (3, 12, 2) => "num-gap-ack-blocks",
        (3, 14, 2) => "num-dup-tsns",
        (12 | 13, 4, 4) => "lowest-tsn",
        (128 | 193, 4, 4) => "seqno",
        (192, 4, 4) => "new-cum-tsn",
        _ => return None,
    };
    Some(Field::BeInt {
        name: format!("sctp chunk {name} {field}"),
        hex: false,
    })
}

/// The field a TCP option load reads (`tcp option maxseg size`), or its presence.
/// nft's name of TCP option kind `kind` (the number when it has none).
pub(super) fn tcp_option_name(kind: u32) -> String {
    match kind {
        0 => "eol".to_string(),
        1 => "nop".to_string(),
        2 => "maxseg".to_string(),
        3 => "window".to_string(),
        4 => "sack-perm".to_string(),
        5 => "sack".to_string(),
        8 => "timestamp".to_string(),
        19 => "md5sig".to_string(),
        30 => "mptcp".to_string(),
        34 => "fastopen".to_string(),
        k => k.to_string(),
    }
}

pub(super) fn tcp_option_field(kind: u32, off: u32, len: u32, present: bool) -> Option<Field> {
    let name = tcp_option_name(kind);
    // `tcp option mptcp subtype`: the high nibble of the option's third byte.
    if (kind, off, len, present) == (30, 2, 1, false) {
        return Some(Field::Hdr(HdrField {
            name: "tcp option mptcp subtype",
            kind: hdr_fields::Kind::Int,
            mask: 0xf0,
        }));
    }
    if present {
        return Some(Field::ExtPresent(format!("tcp option {name}")));
    }
    let field = match (kind, off, len) {
        (_, 1, 1) if kind > 1 => format!("{name} length"),
        (2, 2, 2) => "maxseg size".to_string(),
        (3, 2, 1) => "window count".to_string(),
        (5, o @ (2..=30), 4) if (o - 2) % 4 == 0 => {
            let n = (o - 2) / 8;
            let side = if (o - 2) % 8 == 0 { "left" } else { "right" };
            if n == 0 {
                format!("sack {side}")
            } else {
                format!("sack{n} {side}")
            }
        }
        (8, 2, 4) => "timestamp tsval".to_string(),
        (8, 6, 4) => "timestamp tsecr".to_string(),
        _ => format!(
            "{name} @{kind},{},{}",
            u64::from(off) * 8,
            u64::from(len) * 8
        ),
    };
    Some(Field::BeInt {
        name: format!("tcp option {field}"),
        hex: false,
    })
}

/// TCP flags as nft names them (`syn`, `ecn`, ...; several joined with `|`).
pub(super) fn tcp_flags_text(b: &[u8]) -> String {
    const N: &[&str] = &["fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"];
    let Some(v) = b.first() else {
        return hex(b);
    };
    let names: Vec<&str> = N
        .iter()
        .enumerate()
        .filter(|(i, _)| v & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        format!("0x{v:02x}")
    } else {
        names.join(" | ")
    }
}

/// An ethertype as nft names it.
pub(super) fn ether_type_name(t: u16) -> String {
    match t {
        0x0800 => "ip".to_string(),
        0x86dd => "ip6".to_string(),
        0x0806 => "arp".to_string(),
        0x8100 => "8021q".to_string(),
        0x88a8 => "8021ad".to_string(),
        0x8035 => "rarp".to_string(),
        n => format!("0x{n:04x}"),
    }
}

/// nft's implicit network-layer dependencies, which it does not list.
/// The network protocol an l3 dependency fixes: `Some(true)` IPv6, `Some(false)` IPv4,
/// `None` ARP or another.
pub(super) fn l3_dependency_v6(args: &str) -> Option<bool> {
    match args.rsplit(' ').next()? {
        "ip" | "ipv4" => Some(false),
        "ip6" | "ipv6" => Some(true),
        _ => None,
    }
}

pub(super) fn is_l3_dependency(args: &str) -> bool {
    args.starts_with("meta nfproto ")
        || matches!(
            args,
            "ether type ip"
                | "ether type ip6"
                | "ether type arp"
                | "meta protocol ip"
                | "meta protocol ip6"
                | "meta protocol arp"
                | "vlan type ip"
                | "vlan type ip6"
                | "vlan type arp"
        )
}

impl State<'_> {
    /// The fields of a concatenation starting at `sreg` covering `len` bytes.
    pub(super) fn concat_fields(&self, sreg: u32, len: usize) -> Option<Vec<(Field, u32)>> {
        let mut out = Vec::new();
        let mut idx = reg32(sreg)?;
        let mut covered = 0usize;
        let mut guard = 0;
        while covered < len && guard < 16 {
            guard += 1;
            match self.regs.get(&idx) {
                Some(Reg::Load {
                    field,
                    len: l,
                    mask,
                    ..
                }) => {
                    let f = self.load_field(idx, field, mask.as_deref());
                    out.push((f, *l));
                    let padded = (*l as usize).div_ceil(4) * 4;
                    covered += padded.max(4);
                    let step = u32::try_from((padded / 4).max(1)).ok()?;
                    idx = idx.checked_add(step)?;
                }
                _ => return None,
            }
        }
        Some(out)
    }

    pub(super) fn payload(&self, base: u32, offset: u32, len: u32) -> Field {
        let f = self.payload_typed(base, offset, len);
        if let Field::Raw(_) = f {
            if let Some(h) = self
                .hdr(base, offset)
                .and_then(|h| hdr_fields::lookup(h, offset, len, None))
            {
                return Field::Hdr(h);
            }
        }
        f
    }

    /// An IPv6 extension header or TCP option load (`load ipv6 2b @ 44 + 2 [present] =>
    /// reg 1`, `load tcpopt 2b @ 2 + 2 => reg 1`) as the field it reads; `false` for other
    /// `exthdr` forms.
    pub(super) fn exthdr(&mut self, raw: &str) -> bool {
        let mut w: Vec<&str> = raw.split_whitespace().collect();
        // SCTP chunks are printed without a type word (`load 1b @ 0 + 0 present => reg 1`).
        if w.get(1).is_some_and(|x| x.ends_with('b')) {
            w.insert(1, "sctp");
        }
        // `reset tcpopt K`: `reset tcp option maxseg`.
        if let ["reset", "tcpopt", k] = w.as_slice() {
            let Ok(k) = k.parse::<u32>() else {
                return false;
            };
            self.rule.statements.push(Statement::Other {
                target: "reset".into(),
                args: format!("tcp option {}", tcp_option_name(k)),
                lossy: false,
            });
            return true;
        }
        // `write tcpopt reg R => Lb @ K + O`: `tcp option maxseg size set 1360`.
        if let ["write", "tcpopt", "reg", r, "=>", len, "@", k, "+", off] = w.as_slice() {
            let parsed = (
                r.parse::<u32>().ok(),
                len.strip_suffix('b').and_then(|l| l.parse::<u32>().ok()),
                k.parse::<u32>().ok(),
                off.parse::<u32>().ok(),
            );
            let (Some(r), Some(len), Some(k), Some(off)) = parsed else {
                return false;
            };
            let Some(field) = tcp_option_field(k, off, len, false) else {
                return false;
            };
            // `tcp option maxseg size set 1360` / `set rt mtu`: the MSS clamp (iptables'
            // TCPMSS), typed.
            if (k, off, len) == (2, 2, 2) {
                let mss = match self.reg(r) {
                    Some(Reg::Imm(v)) if v.len() >= 2 => {
                        Some(Some(u16::from_be_bytes([v[0], v[1]])))
                    }
                    Some(Reg::Load {
                        field: Field::Raw(f),
                        ..
                    }) if f == "rt mtu" => Some(None),
                    _ => None,
                };
                if let Some(mss) = mss {
                    self.rule.statements.push(Statement::TcpMss { mss });
                    return true;
                }
            }
            let value = match self.reg(r) {
                Some(Reg::Imm(v)) if v.len() >= len as usize => field.render(&v[..len as usize]),
                Some(other) => reg_text(other),
                None => return false,
            };
            let text = field.text();
            let (target, rest) = text.split_once(' ').unwrap_or((text.as_str(), ""));
            self.rule.statements.push(Statement::Other {
                target: target.to_string(),
                args: format!("{rest} set {value}"),
                lossy: false,
            });
            return true;
        }
        let (what, len, t, off, present, reg) = match w.as_slice() {
            ["load", what, len, "@", t, "+", off, "=>", "reg", r] => (what, len, t, off, false, r),
            ["load", what, len, "@", t, "+", off, "present", "=>", "reg", r] => {
                (what, len, t, off, true, r)
            }
            _ => return false,
        };
        let parsed = (
            len.strip_suffix('b').and_then(|l| l.parse::<u32>().ok()),
            t.parse::<u32>().ok(),
            off.parse::<u32>().ok(),
            reg.parse::<u32>().ok(),
        );
        let (Some(len), Some(t), Some(off), Some(reg)) = parsed else {
            return false;
        };
        if *what == "tcpopt" {
            let Some(field) = tcp_option_field(t, off, len, present) else {
                return false;
            };
            self.set_reg(
                reg,
                Reg::Load {
                    field,
                    len,
                    mask: None,
                    xor: None,
                },
            );
            return true;
        }
        if *what == "sctp" {
            let Some(field) = sctp_chunk_field(t, off, len, present) else {
                return false;
            };
            self.set_reg(
                reg,
                Reg::Load {
                    field,
                    len,
                    mask: None,
                    xor: None,
                },
            );
            return true;
        }
        if *what != "ipv6" {
            return false;
        }
        let Some((hdr, name)) = Hdr::ipv6_ext(t) else {
            return false;
        };
        let field = if present {
            Field::ExtPresent(format!("exthdr {name}"))
        } else {
            hdr_fields::lookup(hdr, off, len, None).map_or_else(
                || {
                    Field::Raw(format!(
                        "@exthdr{t},{},{}",
                        u64::from(off) * 8,
                        u64::from(len) * 8
                    ))
                },
                Field::Hdr,
            )
        };
        self.l3_dep_used = true;
        self.set_reg(
            reg,
            Reg::Load {
                field,
                len,
                mask: None,
                xor: None,
            },
        );
        true
    }

    /// The header a payload base points at in the current context.
    pub(super) fn hdr(&self, base: u32, offset: u32) -> Option<Hdr> {
        match base {
            0 if self.ctx.vlan && offset >= 14 => Some(Hdr::Vlan),
            0 => Some(Hdr::Ether),
            1 if self.ctx.arp => Some(Hdr::Arp),
            1 => match self.ctx.l3_v6 {
                Some(false) => Some(Hdr::Ip),
                Some(true) => Some(Hdr::Ip6),
                None => None,
            },
            2 => self.ctx.l4.and_then(Hdr::transport),
            _ => None,
        }
    }

    /// The header field a mask selects from a load (`ip dscp` from the TOS byte under
    /// `0xfc`), for a shift that brings it down to its own bits.
    pub(super) fn shifted_field(&self, field: &Field, mask: &[u8]) -> Option<HdrField> {
        if matches!(field, Field::Tos) && mask == [0xfc] {
            return Some(HdrField {
                name: "ip dscp",
                kind: hdr_fields::Kind::Dscp,
                mask: 0xfc,
            });
        }
        self.masked_hdr(field, mask)
    }

    /// A raw payload field (`@nh,0,8`) with a mask, as the header field it selects.
    pub(super) fn masked_hdr(&self, field: &Field, mask: &[u8]) -> Option<HdrField> {
        let Field::Raw(r) = field else {
            return None;
        };
        let (base, rest) = r.strip_prefix('@')?.split_once(',')?;
        let (off, len) = rest.split_once(',')?;
        let (off, len) = (off.parse::<u64>().ok()? / 8, len.parse::<u64>().ok()? / 8);
        let (off, len) = (u32::try_from(off).ok()?, u32::try_from(len).ok()?);
        let hdr = match base {
            "ll" => self.hdr(0, off)?,
            "nh" => self.hdr(1, off)?,
            "th" => self.hdr(2, off)?,
            x => Hdr::ipv6_ext(x.strip_prefix("exthdr")?.parse().ok()?)?.0,
        };
        hdr_fields::lookup(hdr, off, len, Some(mask)).filter(|h| h.mask != 0)
    }

    pub(super) fn payload_typed(&self, base: u32, offset: u32, len: u32) -> Field {
        let raw = || {
            let b = match base {
                0 => "ll",
                1 => "nh",
                2 => "th",
                _ => "ih",
            };
            // In bits, which a 32-bit byte offset or length may overflow.
            Field::Raw(format!(
                "@{b},{},{}",
                u64::from(offset) * 8,
                u64::from(len) * 8
            ))
        };
        match base {
            0 => match (offset, len) {
                (6, 6) => Field::EtherSaddr,
                (12, 2) => Field::EtherType,
                _ => raw(),
            },
            1 => match (self.ctx.l3_v6, offset, len) {
                (Some(false), 12, 1..=4) => Field::Addr {
                    dir: Direction::Src,
                    v6: false,
                    full: 4,
                },
                (Some(false), 16, 1..=4) => Field::Addr {
                    dir: Direction::Dst,
                    v6: false,
                    full: 4,
                },
                (Some(false), 9, 1) => Field::NhProto { v6: false },
                (Some(false), 8, 1) => Field::Ttl { v6: false },
                (Some(false), 1, 1) => Field::Tos,
                (Some(false), 6, 2) => Field::FragOff,
                (Some(true), 8, 1..=16) => Field::Addr {
                    dir: Direction::Src,
                    v6: true,
                    full: 16,
                },
                (Some(true), 24, 1..=16) => Field::Addr {
                    dir: Direction::Dst,
                    v6: true,
                    full: 16,
                },
                (Some(true), 6, 1) => Field::NhProto { v6: true },
                (Some(true), 7, 1) => Field::Ttl { v6: true },
                _ => raw(),
            },
            2 => {
                let icmp_v6 = match self.ctx.l4 {
                    Some(Protocol::ICMP) => Some(false),
                    Some(Protocol::ICMPV6) => Some(true),
                    _ => None,
                };
                match (icmp_v6, offset, len) {
                    (Some(v6), 0, 1) => Field::IcmpType { v6 },
                    (Some(v6), 0, 2) => Field::IcmpTypeCode { v6 },
                    (Some(v6), 1, 1) => Field::IcmpCode { v6 },
                    (None, 0, 2) if self.ctx.l4.is_none_or(Protocol::has_ports) => Field::Port {
                        dir: Direction::Src,
                        proto: self.ctx.l4,
                    },
                    (None, 2, 2) if self.ctx.l4.is_none_or(Protocol::has_ports) => Field::Port {
                        dir: Direction::Dst,
                        proto: self.ctx.l4,
                    },
                    (None, 13, 1) if self.ctx.l4 == Some(Protocol::TCP) => Field::TcpFlags,
                    _ => raw(),
                }
            }
            _ => raw(),
        }
    }

    /// Splits a raw payload compare that spans several known fields (nft merges adjacent
    /// compares: `ip saddr A ip daddr B`, `udp sport 67 udp dport 68`, `ether saddr X ether
    /// type ip`, `arp htype 1 arp ptype ip`) into per-field compares, longest field first.
    pub(super) fn split_fields(&self, field: &Field, data: &[u8]) -> Option<Vec<(Field, Vec<u8>)>> {
        let Field::Raw(r) = field else {
            return None;
        };
        let (base, rest) = r.strip_prefix('@')?.split_once(',')?;
        let (off, len) = rest.split_once(',')?;
        let off: u32 = off.parse().ok()?;
        let len: u32 = len.parse().ok()?;
        if data.len() as u64 * 8 != u64::from(len) || data.len() > 64 || !off.is_multiple_of(8) {
            return None;
        }
        let b = match base {
            "ll" => 0,
            "nh" => 1,
            "th" => 2,
            _ => return None,
        };
        let mut o = off / 8;
        let mut rest = data;
        let mut parts = Vec::new();
        while !rest.is_empty() {
            let (f, l) = (1..=rest.len().min(16)).rev().find_map(|l| {
                let f = self.payload(b, o, l as u32);
                (!matches!(f, Field::Raw(_))).then_some((f, l))
            })?;
            parts.push((f, rest[..l].to_vec()));
            o = o.checked_add(l as u32)?;
            rest = &rest[l..];
        }
        (parts.len() >= 2).then_some(parts)
    }
}
