//! xt compat payloads (iptables extensions inside nf_tables rules) decoded into model parts.
//!
//! Layouts follow the kernel's `include/uapi/linux/netfilter*/xt_*.h` / `ipt_*.h` structs as
//! laid out on 64-bit Linux; every read is bounds-checked, so a short blob decodes to
//! [`MatchKind::Other`] / [`Statement::Other`] with its bytes instead of panicking.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::datatype::hex;
use crate::model::{
    CtStateSet, Direction, Family, IfacePattern, Match, MatchKind, NatKind, PortRange, Protocol,
    Statement, Verdict,
};

/// What an xt match contributes to a rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XtMatch {
    /// Matches (none for `comment`, several for `addrtype` with source and destination).
    pub matches: Vec<Match>,
    /// The comment of `-m comment`.
    pub comment: Option<String>,
}

/// What an xt target contributes to a rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XtTarget {
    /// Non-terminal effects.
    pub statements: Vec<Statement>,
    /// The verdict, for terminal targets (REJECT).
    pub verdict: Option<Verdict>,
}

/// Context an xt decode needs from the rule: the protocol of `-p`, and the ipset resolver.
pub struct XtContext<'a> {
    /// Table family.
    pub family: Family,
    /// The rule's layer-4 protocol, when known.
    pub l4: Option<Protocol>,
    /// ipset index to name.
    pub ipset_name: &'a dyn Fn(u16) -> Option<String>,
}

fn u8_at(b: &[u8], o: usize) -> Option<u8> {
    b.get(o).copied()
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes([*b.get(o)?, *b.get(o + 1)?]))
}

fn be16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(o)?, *b.get(o + 1)?]))
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes([
        *b.get(o)?,
        *b.get(o + 1)?,
        *b.get(o + 2)?,
        *b.get(o + 3)?,
    ]))
}

fn cstr_at(b: &[u8], o: usize, max: usize) -> Option<String> {
    let s = b.get(o..(o + max).min(b.len()))?;
    let end = s.iter().position(|x| *x == 0).unwrap_or(s.len());
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

fn other_match(name: &str, rev: u32, info: &[u8]) -> MatchKind {
    MatchKind::Other {
        module: format!("xt:{name}"),
        args: format!("rev {rev} {}", hex(info)),
        lossy: false,
    }
}

fn other_target(name: &str, rev: u32, info: &[u8]) -> Statement {
    Statement::Other {
        target: format!("xt:{name}"),
        args: format!("rev {rev} {}", hex(info)),
        lossy: false,
    }
}

/// Decodes an xt match. Unknown or malformed extensions become `Other` with their bytes.
pub fn decode_xt_match(name: &str, rev: u32, info: &[u8], cx: &XtContext<'_>) -> XtMatch {
    match decode_match(name, rev, info, cx) {
        Some(m) => m,
        None => XtMatch {
            matches: vec![Match::new(other_match(name, rev, info))],
            comment: None,
        },
    }
}

/// Decodes an xt target. Unknown or malformed extensions become `Other` with their bytes.
pub fn decode_xt_target(name: &str, rev: u32, info: &[u8], cx: &XtContext<'_>) -> XtTarget {
    match decode_target(name, rev, info, cx) {
        Some(t) => t,
        None => XtTarget {
            statements: vec![other_target(name, rev, info)],
            verdict: None,
        },
    }
}

/// conntrack/state bits (`XT_CONNTRACK_STATE_*`) to the model's `NF_CT_STATE_BIT` layout.
fn xt_states(mask: u32) -> CtStateSet {
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

fn port_list(ports: &[u16], pflags: Option<&[u8]>) -> Vec<PortRange> {
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

fn addr_v4(b: &[u8], o: usize) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::new(
        *b.get(o)?,
        *b.get(o + 1)?,
        *b.get(o + 2)?,
        *b.get(o + 3)?,
    ))
}

fn addr_v6(b: &[u8], o: usize) -> Option<Ipv6Addr> {
    let s: [u8; 16] = b.get(o..o + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(s))
}

fn iface_with_mask(b: &[u8], name_at: usize, mask_at: usize) -> Option<IfacePattern> {
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
fn limit_rate(avg: u32) -> String {
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

fn decode_match(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    let one = |negated: bool, kind: MatchKind| XtMatch {
        matches: vec![Match::with_negation(kind, negated)],
        comment: None,
    };
    Some(match (name, rev) {
        ("comment", _) => XtMatch {
            matches: Vec::new(),
            comment: Some(cstr_at(b, 0, 256)?),
        },
        ("rpfilter", 0) => {
            let flags = u8_at(b, 0)?;
            let mut opts = Vec::new();
            for (bit, opt) in [
                (1u8, "--loose"),
                (2, "--validmark"),
                (4, "--accept-local"),
                (8, "--invert"),
            ] {
                if flags & bit != 0 {
                    opts.push(opt);
                }
            }
            one(
                false,
                MatchKind::Other {
                    module: "rpfilter".into(),
                    args: opts.join(" "),
                    lossy: false,
                },
            )
        }
        ("recent", 0..=1) => {
            let seconds = u32_at(b, 0)?;
            let hit_count = u32_at(b, 4)?;
            let check_set = u8_at(b, 8)?;
            let invert = u8_at(b, 9)? != 0;
            let name = cstr_at(b, 10, 200)?;
            let side = u8_at(b, 210)?;
            let mut a: Vec<String> = Vec::new();
            for (bit, opt) in [
                (2u8, "--set"),
                (1, "--rcheck"),
                (4, "--update"),
                (8, "--remove"),
            ] {
                if check_set & bit != 0 {
                    a.push(opt.into());
                }
            }
            if seconds != 0 {
                a.push(format!("--seconds {seconds}"));
            }
            if check_set & 32 != 0 {
                a.push("--reap".into());
            }
            if hit_count != 0 {
                a.push(format!("--hitcount {hit_count}"));
            }
            if check_set & 16 != 0 {
                a.push("--rttl".into());
            }
            a.push(format!("--name {name}"));
            if rev == 1 && cx.family == Family::Ip {
                a.push(format!("--mask {}", addr_v4(b, 212)?));
            }
            a.push(if side == 1 { "--rdest" } else { "--rsource" }.into());
            one(
                invert,
                MatchKind::Other {
                    module: "recent".into(),
                    args: a.join(" "),
                    lossy: false,
                },
            )
        }
        ("mac", 0) => {
            let mac = b.get(0..6)?;
            one(
                u32_at(b, 8)? != 0,
                MatchKind::Mac {
                    addr: mac
                        .iter()
                        .map(|x| format!("{x:02x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                },
            )
        }
        ("iprange", 1) => {
            let flags = u8_at(b, 64)?;
            let v6 = cx.family == Family::Ip6;
            let range = |o: usize| -> Option<crate::model::AddrSpec> {
                let (first, last): (std::net::IpAddr, std::net::IpAddr) = if v6 {
                    (addr_v6(b, o)?.into(), addr_v6(b, o + 16)?.into())
                } else {
                    (addr_v4(b, o)?.into(), addr_v4(b, o + 16)?.into())
                };
                Some(crate::model::AddrSpec::Range { first, last })
            };
            let mut ms = Vec::new();
            if flags & 1 != 0 {
                ms.push(Match::with_negation(
                    MatchKind::Address {
                        dir: Direction::Src,
                        addrs: vec![range(0)?],
                    },
                    flags & 0x10 != 0,
                ));
            }
            if flags & 2 != 0 {
                ms.push(Match::with_negation(
                    MatchKind::Address {
                        dir: Direction::Dst,
                        addrs: vec![range(32)?],
                    },
                    flags & 0x20 != 0,
                ));
            }
            XtMatch {
                matches: ms,
                comment: None,
            }
        }
        ("pkttype", 0) => {
            let t = match u32_at(b, 0)? {
                0 => "unicast".to_string(),
                1 => "broadcast".to_string(),
                2 => "multicast".to_string(),
                3 => "otherhost".to_string(),
                4 => "outgoing".to_string(),
                5 => "loopback".to_string(),
                n => n.to_string(),
            };
            one(u32_at(b, 4)? != 0, MatchKind::PktType { pkt_type: t })
        }
        ("length", 0) => one(
            u8_at(b, 4)? != 0,
            MatchKind::Length {
                range: PortRange {
                    first: u16_at(b, 0)?,
                    last: u16_at(b, 2)?,
                },
            },
        ),
        ("ttl", 0) | ("hl", 0) => {
            let (mode, value) = (u8_at(b, 0)?, u8_at(b, 1)?);
            let (op, neg) = match mode {
                0 => ("eq", false),
                1 => ("eq", true),
                2 => ("lt", false),
                3 => ("gt", false),
                _ => return None,
            };
            one(
                neg,
                MatchKind::Ttl {
                    v6: name == "hl",
                    op: op.into(),
                    value,
                },
            )
        }
        ("dscp", 0) => one(
            u8_at(b, 1)? != 0,
            MatchKind::Dscp {
                value: u8_at(b, 0)?,
            },
        ),
        ("tos", 1) => one(
            u8_at(b, 2)? != 0,
            MatchKind::Tos {
                value: u8_at(b, 1)?,
                mask: u8_at(b, 0)?,
            },
        ),
        ("owner", 1) => {
            let (uid_min, uid_max) = (u32_at(b, 0)?, u32_at(b, 4)?);
            let (gid_min, gid_max) = (u32_at(b, 8)?, u32_at(b, 12)?);
            let (flags, invert) = (u8_at(b, 16)?, u8_at(b, 17)?);
            if flags & 8 != 0 || (invert != 0 && invert != flags) {
                return None; // supplementary groups, or mixed inversion: verbatim
            }
            let id = |a: u32, z: u32| {
                if a == z {
                    a.to_string()
                } else {
                    format!("{a}-{z}")
                }
            };
            one(
                invert != 0,
                MatchKind::Owner {
                    uid: (flags & 1 != 0).then(|| id(uid_min, uid_max)),
                    gid: (flags & 2 != 0).then(|| id(gid_min, gid_max)),
                    socket_exists: flags & 4 != 0,
                },
            )
        }
        ("state", _) => one(
            false,
            MatchKind::CtState {
                states: xt_states(u32_at(b, 0)?),
            },
        ),
        ("conntrack", 1..=3) => {
            let match_flags = u16_at(b, 146)?;
            let invert = u16_at(b, 148)?;
            let (state, status) = if rev == 1 {
                (u32::from(u8_at(b, 150)?), u32::from(u8_at(b, 151)?))
            } else {
                (u32::from(u16_at(b, 150)?), u32::from(u16_at(b, 152)?))
            };
            let mut ms = Vec::new();
            if match_flags & 1 != 0 {
                ms.push(Match::with_negation(
                    MatchKind::CtState {
                        states: xt_states(state),
                    },
                    invert & 1 != 0,
                ));
            }
            if match_flags & (1 << 6) != 0 {
                let mut names = Vec::new();
                for (bit, n) in [
                    (1u32 << 0, "expected"),
                    (1 << 1, "seen-reply"),
                    (1 << 2, "assured"),
                    (1 << 3, "confirmed"),
                ] {
                    if status & bit != 0 {
                        names.push(n.to_string());
                    }
                }
                ms.push(Match::with_negation(
                    MatchKind::CtStatus { statuses: names },
                    invert & (1 << 6) != 0,
                ));
            }
            if match_flags & (1 << 12) != 0 {
                ms.push(Match::new(MatchKind::CtDirection {
                    original: invert & (1 << 12) == 0,
                }));
            }
            // Anything else conntrack can test is kept verbatim.
            if match_flags & !(1 | (1 << 6) | (1 << 12) | (1 << 13)) != 0 {
                ms.push(Match::new(other_match(name, rev, b)));
            }
            XtMatch {
                matches: ms,
                comment: None,
            }
        }
        ("multiport", 1) => {
            let flags = u8_at(b, 0)?;
            let count = usize::from(u8_at(b, 1)?).min(15);
            let ports: Vec<u16> = (0..count)
                .map(|i| u16_at(b, 2 + 2 * i))
                .collect::<Option<_>>()?;
            let pflags = b.get(32..47)?;
            let invert = u8_at(b, 47)? != 0;
            let list = port_list(&ports, Some(pflags));
            let kind = match flags {
                0 => MatchKind::Port {
                    dir: Direction::Src,
                    proto: cx.l4,
                    ports: list,
                },
                1 => MatchKind::Port {
                    dir: Direction::Dst,
                    proto: cx.l4,
                    ports: list,
                },
                _ => MatchKind::AnyPort {
                    proto: cx.l4,
                    ports: list,
                },
            };
            one(invert, kind)
        }
        ("mark", 1) => one(
            u8_at(b, 8)? != 0,
            MatchKind::Mark {
                value: u32_at(b, 0)?,
                mask: u32_at(b, 4)?,
            },
        ),
        ("connmark", 1) => one(
            u8_at(b, 8)? != 0,
            MatchKind::CtMark {
                value: u32_at(b, 0)?,
                mask: u32_at(b, 4)?,
            },
        ),
        ("addrtype", 1) => {
            let src = u16_at(b, 0)?;
            let dst = u16_at(b, 2)?;
            let flags = u32_at(b, 4)?;
            let limit = if flags & 4 != 0 {
                Some(Direction::Src)
            } else if flags & 8 != 0 {
                Some(Direction::Dst)
            } else {
                None
            };
            let names = |bits: u16| -> Vec<String> {
                const N: &[&str] = &[
                    "UNSPEC",
                    "UNICAST",
                    "LOCAL",
                    "BROADCAST",
                    "ANYCAST",
                    "MULTICAST",
                    "BLACKHOLE",
                    "UNREACHABLE",
                    "PROHIBIT",
                    "THROW",
                    "NAT",
                    "XRESOLVE",
                ];
                N.iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, n)| (*n).to_string())
                    .collect()
            };
            let mut ms = Vec::new();
            if src != 0 {
                ms.push(Match::with_negation(
                    MatchKind::AddrType {
                        dir: Direction::Src,
                        types: names(src),
                        limit_iface: limit,
                    },
                    flags & 1 != 0,
                ));
            }
            if dst != 0 {
                ms.push(Match::with_negation(
                    MatchKind::AddrType {
                        dir: Direction::Dst,
                        types: names(dst),
                        limit_iface: limit,
                    },
                    flags & 2 != 0,
                ));
            }
            XtMatch {
                matches: ms,
                comment: None,
            }
        }
        ("set", 1..=4) => {
            let index = u16_at(b, 0)?;
            let dim = u8_at(b, 2)?.min(6);
            let flags = u8_at(b, 3)?;
            let set = (cx.ipset_name)(index).unwrap_or_else(|| format!("#{index}"));
            let keys = (1..=dim)
                .map(|i| {
                    if flags & (1 << i) != 0 {
                        crate::model::SetKey::IpsetSrc
                    } else {
                        crate::model::SetKey::IpsetDst
                    }
                })
                .collect();
            let mut m = one(flags & 1 != 0, MatchKind::SetLookup { set, keys });
            // Counter conditions and other options of rev 3/4 are kept verbatim.
            if rev >= 3 && b.get(4..).is_some_and(|rest| rest.iter().any(|x| *x != 0)) {
                m.matches.push(Match::new(other_match(name, rev, b)));
            }
            m
        }
        ("physdev", 0) => {
            let invert = u8_at(b, 64)?;
            let bitmask = u8_at(b, 65)?;
            let field = |bit: u8, name_at: usize| {
                (bitmask & bit != 0)
                    .then(|| iface_with_mask(b, name_at, name_at + 16))
                    .flatten()
            };
            // Inversion applies per option; the model negates the whole match, so mixed
            // inversions are kept verbatim.
            if invert != 0 && invert != bitmask {
                return None;
            }
            one(
                invert != 0,
                MatchKind::PhysDev {
                    physdev_in: field(1, 0),
                    physdev_out: field(2, 32),
                    is_in: bitmask & 8 != 0,
                    is_out: bitmask & 16 != 0,
                    is_bridged: bitmask & 4 != 0,
                },
            )
        }
        ("statistic", 0) => {
            let mode = u16_at(b, 0)?;
            let flags = u16_at(b, 2)?;
            let kind = if mode == 0 {
                let p = u32_at(b, 4)?;
                MatchKind::Statistic {
                    mode: "random".into(),
                    probability: Some(format!("{:.11}", f64::from(p) / 2_147_483_648.0)),
                    every: None,
                    packet: None,
                }
            } else {
                MatchKind::Statistic {
                    mode: "nth".into(),
                    probability: None,
                    every: Some(u32_at(b, 4)?.saturating_add(1)),
                    packet: Some(u32_at(b, 8)?),
                }
            };
            one(flags & 1 != 0, kind)
        }
        ("limit", 0) => {
            let avg = u32_at(b, 0)?;
            let burst = u32_at(b, 4)?;
            one(
                false,
                MatchKind::Limit {
                    rate: limit_rate(avg),
                    burst: (burst != 5).then_some(burst),
                },
            )
        }
        ("icmp", 0) | ("icmp6", 0) => {
            let v6 = name == "icmp6";
            let t = u8_at(b, 0)?;
            let (c0, c1) = (u8_at(b, 1)?, u8_at(b, 2)?);
            let inv = u8_at(b, 3)? & 1 != 0;
            let any = !v6 && t == 0xff;
            one(
                inv,
                MatchKind::Icmp {
                    v6,
                    icmp_type: (!any).then_some(t),
                    code: (!(c0 == 0 && c1 == 0xff)).then_some(c0),
                },
            )
        }
        ("tcp", 0) | ("udp", 0) => {
            let tcp = name == "tcp";
            let l4 = if tcp { Protocol::TCP } else { Protocol::UDP };
            let proto = Some(l4);
            let spts = (u16_at(b, 0)?, u16_at(b, 2)?);
            let dpts = (u16_at(b, 4)?, u16_at(b, 6)?);
            let inv = if tcp { u8_at(b, 11)? } else { u8_at(b, 8)? };
            let mut ms = Vec::new();
            for (dir, (lo, hi), bit) in [(Direction::Src, spts, 1u8), (Direction::Dst, dpts, 2)] {
                if (lo, hi) != (0, 0xffff) || inv & bit != 0 {
                    ms.push(Match::with_negation(
                        MatchKind::Port {
                            dir,
                            proto,
                            ports: vec![PortRange {
                                first: lo,
                                last: hi,
                            }],
                        },
                        inv & bit != 0,
                    ));
                }
            }
            if tcp {
                let option = u8_at(b, 8)?;
                let (fmask, fcmp) = (u8_at(b, 9)?, u8_at(b, 10)?);
                if fmask != 0 || inv & 4 != 0 {
                    ms.push(Match::with_negation(
                        MatchKind::TcpFlags {
                            mask: crate::model::TcpFlags(fmask),
                            set: crate::model::TcpFlags(fcmp),
                        },
                        inv & 4 != 0,
                    ));
                }
                if option != 0 {
                    ms.push(Match::new(other_match(name, rev, b)));
                }
            }
            if ms.is_empty() {
                ms.push(Match::new(MatchKind::Protocol { protos: vec![l4] }));
            }
            XtMatch {
                matches: ms,
                comment: None,
            }
        }
        _ => return None,
    })
}

fn nat_flags(flags: u32) -> Vec<String> {
    let mut v = Vec::new();
    if flags & 0x4 != 0 {
        v.push("random".to_string());
    }
    if flags & 0x8 != 0 {
        v.push("persistent".to_string());
    }
    if flags & 0x10 != 0 {
        v.push("fully-random".to_string());
    }
    v
}

fn range_text(a: String, b: String) -> String {
    if a == b {
        a
    } else {
        format!("{a}-{b}")
    }
}

/// Decodes `nf_nat_ipv4_multi_range_compat` (IPv4 rev 0) or `nf_nat_range{,2}` (rev 1/2, IPv6).
fn nat_range(b: &[u8], compat: bool) -> Option<(Option<String>, Option<String>, Vec<String>)> {
    let (flags, addr, ports) = if compat {
        let flags = u32_at(b, 4)?;
        let addr = range_text(addr_v4(b, 8)?.to_string(), addr_v4(b, 12)?.to_string());
        let ports = range_text(be16_at(b, 16)?.to_string(), be16_at(b, 18)?.to_string());
        (flags, addr, ports)
    } else {
        let flags = u32_at(b, 0)?;
        let v4 = b.get(8..20).is_some_and(|z| z.iter().all(|x| *x == 0))
            && b.get(24..36).is_some_and(|z| z.iter().all(|x| *x == 0));
        let addr = if v4 {
            range_text(addr_v4(b, 4)?.to_string(), addr_v4(b, 20)?.to_string())
        } else {
            range_text(addr_v6(b, 4)?.to_string(), addr_v6(b, 20)?.to_string())
        };
        let ports = range_text(be16_at(b, 36)?.to_string(), be16_at(b, 38)?.to_string());
        (flags, addr, ports)
    };
    Some((
        (flags & 1 != 0).then_some(addr),
        (flags & 2 != 0).then_some(ports),
        nat_flags(flags),
    ))
}

fn decode_target(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    let st = |s: Statement| XtTarget {
        statements: vec![s],
        verdict: None,
    };
    let v6 = cx.family == Family::Ip6;
    Some(match (name, rev) {
        ("MARK", 2) => {
            let (mark, mask) = (u32_at(b, 0)?, u32_at(b, 4)?);
            st(Statement::SetMark {
                and: !mask,
                xor: mark,
            })
        }
        ("CONNMARK", 1..=2) => {
            let (ctmark, ctmask, nfmask) = (u32_at(b, 0)?, u32_at(b, 4)?, u32_at(b, 8)?);
            // rev 2 (`xt_connmark_tginfo2`) has shift_dir and shift_bits before mode.
            let mode = if rev == 2 {
                if u8_at(b, 13)? != 0 {
                    return None; // shifted marks are kept verbatim
                }
                u8_at(b, 14)?
            } else {
                u8_at(b, 12)?
            };
            match mode {
                0 => st(Statement::SetCtMark {
                    and: !ctmask,
                    xor: ctmark,
                }),
                1 => st(Statement::SaveMark { nfmask, ctmask }),
                2 => st(Statement::RestoreMark { nfmask, ctmask }),
                _ => return None,
            }
        }
        ("REJECT", 0) => {
            let with = u32_at(b, 0)?;
            let names: &[&str] = if v6 {
                &[
                    "icmp6-no-route",
                    "icmp6-adm-prohibited",
                    "icmp6-not-neighbour",
                    "icmp6-addr-unreachable",
                    "icmp6-port-unreachable",
                    "icmp6-echo-reply",
                    "tcp-reset",
                    "icmp6-policy-fail",
                    "icmp6-reject-route",
                ]
            } else {
                &[
                    "icmp-net-unreachable",
                    "icmp-host-unreachable",
                    "icmp-proto-unreachable",
                    "icmp-port-unreachable",
                    "icmp-echo-reply",
                    "icmp-net-prohibited",
                    "icmp-host-prohibited",
                    "tcp-reset",
                    "icmp-admin-prohibited",
                ]
            };
            XtTarget {
                statements: Vec::new(),
                verdict: Some(Verdict::Reject {
                    with: Some(names.get(with as usize)?.to_string()),
                }),
            }
        }
        ("LOG", 0) => {
            let level = u8_at(b, 0)?;
            let flags = u8_at(b, 1)?;
            let prefix = cstr_at(b, 2, 30)?;
            let mut extra = Vec::new();
            for (bit, opt) in [
                (0x01u8, "--log-tcp-sequence"),
                (0x02, "--log-tcp-options"),
                (0x04, "--log-ip-options"),
                (0x08, "--log-uid"),
                (0x20, "--log-macdecode"),
            ] {
                if flags & bit != 0 {
                    extra.push(opt.to_string());
                }
            }
            st(Statement::Log {
                prefix: (!prefix.is_empty()).then_some(prefix),
                level: (level != 4).then(|| level.to_string()),
                group: None,
                extra,
            })
        }
        ("NFLOG", 0) => {
            let len = u32_at(b, 0)?;
            let group = u16_at(b, 4)?;
            let threshold = u16_at(b, 6)?;
            let flags = u16_at(b, 8)?;
            let prefix = cstr_at(b, 12, 64)?;
            let mut extra = Vec::new();
            if flags & 1 != 0 {
                extra.push(format!("--nflog-size {len}"));
            }
            if threshold > 1 {
                extra.push(format!("--nflog-threshold {threshold}"));
            }
            st(Statement::Log {
                prefix: (!prefix.is_empty()).then_some(prefix),
                level: None,
                group: Some(group),
                extra,
            })
        }
        ("MASQUERADE", 0) | ("REDIRECT", 0) => {
            let (_, port, flags) = nat_range(b, !v6)?;
            let kind = if name == "MASQUERADE" {
                NatKind::Masquerade
            } else {
                NatKind::Redirect
            };
            st(Statement::Nat {
                kind,
                addr: None,
                port,
                flags,
            })
        }
        ("SNAT", 0..=2) | ("DNAT", 0..=2) => {
            let (addr, port, flags) = nat_range(b, rev == 0 && !v6)?;
            let kind = if name == "SNAT" {
                NatKind::Snat
            } else {
                NatKind::Dnat
            };
            st(Statement::Nat {
                kind,
                addr,
                port,
                flags,
            })
        }
        ("NOTRACK", _) => st(Statement::Notrack),
        ("CT", 0..=2) => {
            let flags = u16_at(b, 0)?;
            if flags & 1 != 0 {
                st(Statement::Notrack)
            } else {
                let mut args = Vec::new();
                let zone = u16_at(b, 2)?;
                if zone != 0 {
                    args.push(format!("--zone {zone}"));
                }
                let helper = cstr_at(b, 12, 16)?;
                if !helper.is_empty() {
                    args.push(format!("--helper {helper}"));
                }
                if rev >= 1 {
                    let timeout = cstr_at(b, 28, 32)?;
                    if !timeout.is_empty() {
                        args.push(format!("--timeout {timeout}"));
                    }
                }
                let (ct_events, exp_events) = (u32_at(b, 4)?, u32_at(b, 8)?);
                if ct_events != 0 || exp_events != 0 {
                    args.push(format!(
                        "--ctevents 0x{ct_events:x} --expevents 0x{exp_events:x}"
                    ));
                }
                st(Statement::Ct {
                    args: args.join(" "),
                })
            }
        }
        ("TCPMSS", 0) => {
            let mss = u16_at(b, 0)?;
            st(Statement::TcpMss {
                mss: (mss != 0xffff).then_some(mss),
            })
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> XtContext<'static> {
        XtContext {
            family: Family::Ip,
            l4: Some(Protocol::TCP),
            ipset_name: &|i| (i == 3).then(|| "cali40all-ipam-pools".to_string()),
        }
    }

    #[test]
    fn comment_and_conntrack() {
        let mut c = vec![0u8; 256];
        c[..5].copy_from_slice(b"hello");
        let m = decode_xt_match("comment", 0, &c, &cx());
        assert_eq!(m.comment.as_deref(), Some("hello"));
        let mut ct = vec![0u8; 160];
        ct[146..148].copy_from_slice(&1u16.to_ne_bytes());
        ct[150..152].copy_from_slice(&6u16.to_ne_bytes());
        let m = decode_xt_match("conntrack", 3, &ct, &cx());
        assert_eq!(m.matches[0].to_string(), "ct state established,related");
    }

    #[test]
    fn multiport_set_and_targets() {
        let mut mp = vec![0u8; 48];
        mp[0] = 1;
        mp[1] = 3;
        for (i, p) in [80u16, 8000, 8080].iter().enumerate() {
            mp[2 + 2 * i..4 + 2 * i].copy_from_slice(&p.to_ne_bytes());
        }
        mp[32 + 1] = 1;
        let m = decode_xt_match("multiport", 1, &mp, &cx());
        assert_eq!(m.matches[0].to_string(), "tcp dport { 80, 8000-8080 }");
        let set = [3u8, 0, 2, 0b010, 0, 0, 0, 0];
        let m = decode_xt_match("set", 1, &set, &cx());
        assert_eq!(m.matches[0].to_string(), "src . dst @cali40all-ipam-pools");
        let mut mark = Vec::new();
        mark.extend_from_slice(&0x40000u32.to_ne_bytes());
        mark.extend_from_slice(&0x40000u32.to_ne_bytes());
        let t = decode_xt_target("MARK", 2, &mark, &cx());
        assert_eq!(
            t.statements[0].to_string(),
            "meta mark set mark or 0x00040000"
        );
        let t = decode_xt_target("REJECT", 0, &3u32.to_ne_bytes(), &cx());
        assert_eq!(
            t.verdict.map(|v| v.to_string()).as_deref(),
            Some("reject with icmp-port-unreachable")
        );
        // Short blobs are kept as bytes, not decoded or panicked on.
        let m = decode_xt_match("conntrack", 3, &[1, 2], &cx());
        assert!(matches!(m.matches[0].kind, MatchKind::Other { .. }));
    }

    #[test]
    fn recent_prints_like_iptables_save() {
        let mut b = vec![0u8; 228];
        b[0..4].copy_from_slice(&10800u32.to_ne_bytes());
        b[8] = 0x21;
        b[10..14].copy_from_slice(b"SEP1");
        b[212..216].copy_from_slice(&[255, 255, 255, 255]);
        let m = decode_xt_match("recent", 1, &b, &cx());
        assert_eq!(
            m.matches[0].to_string(),
            "recent --rcheck --seconds 10800 --reap --name SEP1 --mask 255.255.255.255 --rsource"
        );
    }

    #[test]
    fn limit_rates_print_like_iptables() {
        assert_eq!(limit_rate(10000 / 5), "5/second");
        assert_eq!(limit_rate(60 * 10000 / 3), "3/minute");
        assert_eq!(limit_rate(3600 * 10000), "1/hour");
    }
}
