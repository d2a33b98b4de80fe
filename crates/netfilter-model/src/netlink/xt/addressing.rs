//! Who sent it and where: `iprange`, `mac`, `addrtype`, `physdev`, `pkttype`, `owner`, `set`, `rpfilter`.

use super::*;

/// The matches this file decodes, by extension name.
/// The targets this file decodes, by extension name.
pub(super) const TARGETS: &[(&str, TargetDecoder)] = &[("SET", target_set)];

pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("iprange", match_iprange),
    ("mac", match_mac),
    ("addrtype", match_addrtype),
    ("physdev", match_physdev),
    ("pkttype", match_pkttype),
    ("owner", match_owner),
    ("set", match_set),
    ("rpfilter", match_rpfilter),
];

fn match_iprange(_name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1 => {
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
        _ => return None,
    })
}

fn match_mac(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
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
        _ => return None,
    })
}

fn match_addrtype(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1 => {
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
        _ => return None,
    })
}

fn match_physdev(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
            let invert = u8_at(b, 64)?;
            let bitmask = u8_at(b, 65)?;
            // Inversion applies per option: consecutive options (in iptables-save's order:
            // is-in, in, is-out, out, is-bridged) with the same inversion make one match.
            let mut ms: Vec<Match> = Vec::new();
            for bit in [8u8, 1, 16, 2, 4] {
                if bitmask & bit == 0 {
                    continue;
                }
                let neg = invert & bit != 0;
                let start = !matches!(ms.last(), Some(m) if m.negated == neg);
                if start {
                    ms.push(Match::with_negation(
                        MatchKind::PhysDev {
                            physdev_in: None,
                            physdev_out: None,
                            is_in: false,
                            is_out: false,
                            is_bridged: false,
                        },
                        neg,
                    ));
                }
                let Some(Match {
                    kind:
                        MatchKind::PhysDev {
                            physdev_in,
                            physdev_out,
                            is_in,
                            is_out,
                            is_bridged,
                        },
                    ..
                }) = ms.last_mut()
                else {
                    return None;
                };
                match bit {
                    1 => *physdev_in = Some(iface_with_mask(b, 0, 16)?),
                    2 => *physdev_out = Some(iface_with_mask(b, 32, 48)?),
                    4 => *is_bridged = true,
                    8 => *is_in = true,
                    _ => *is_out = true,
                }
            }
            XtMatch {
                matches: ms,
                comment: None,
            }
        }
        _ => return None,
    })
}

fn match_pkttype(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
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
        _ => return None,
    })
}

fn match_owner(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1 => {
            let (uid_min, uid_max) = (u32_at(b, 0)?, u32_at(b, 4)?);
            let (gid_min, gid_max) = (u32_at(b, 8)?, u32_at(b, 12)?);
            let (flags, invert) = (u8_at(b, 16)?, u8_at(b, 17)?);
            let owner_flags = flags & !8;
            if invert != 0 && invert != owner_flags {
                return None; // mixed inversion: verbatim
            }
            let id = |a: u32, z: u32| {
                if a == z {
                    a.to_string()
                } else {
                    format!("{a}-{z}")
                }
            };
            let mut m = one(
                invert != 0,
                MatchKind::Owner {
                    uid: (flags & 1 != 0).then(|| id(uid_min, uid_max)),
                    gid: (flags & 2 != 0).then(|| id(gid_min, gid_max)),
                    socket_exists: flags & 4 != 0,
                },
            );
            // `--suppl-groups` (a modifier of `--gid-owner`) is kept verbatim, as the
            // iptables-save parser keeps it.
            if flags & 8 != 0 {
                m.matches.push(Match::new(MatchKind::Other {
                    module: "owner".into(),
                    args: "--suppl-groups".into(),
                    lossy: false,
                }));
            }
            m
        }
        _ => return None,
    })
}

fn match_set(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1..=4 => {
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
        _ => return None,
    })
}

fn match_rpfilter(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
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
        _ => return None,
    })
}

/// ` NAME src,dst` of one `xt_set_info` (index, dim, flags), or `None` for no set.
fn set_ref(b: &[u8], at: usize, cx: &XtContext<'_>) -> Option<Option<String>> {
    let index = u16_at(b, at)?;
    if index == u16::MAX {
        return Some(None);
    }
    let (dim, flags) = (u8_at(b, at + 2)?, u8_at(b, at + 3)?);
    let dirs: Vec<&str> = (1..=dim)
        .map(|i| if flags & (1 << i) != 0 { "src" } else { "dst" })
        .collect();
    let set = (cx.ipset_name)(index).unwrap_or_else(|| format!("#{index}"));
    Some(Some(format!("{set} {}", dirs.join(","))))
}

fn target_set(name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtTarget> {
    if rev != 3 {
        return None;
    }
    // `xt_set_info_target_v3`: add_set, del_set, map_set, flags, timeout.
    let (flags, timeout) = (u32_at(b, 12)?, u32_at(b, 16)?);
    let mut a = Vec::new();
    if let Some(s) = set_ref(b, 0, cx)? {
        a.push(format!("--add-set {s}"));
        if flags & 1 != 0 {
            a.push("--exist".into());
        }
        if timeout != u32::MAX {
            a.push(format!("--timeout {timeout}"));
        }
    }
    if let Some(s) = set_ref(b, 4, cx)? {
        a.push(format!("--del-set {s}"));
    }
    if let Some(s) = set_ref(b, 8, cx)? {
        a.push(format!("--map-set {s}"));
        for (bit, opt) in [
            (1u32 << 8, "--map-mark"),
            (1 << 9, "--map-prio"),
            (1 << 10, "--map-queue"),
        ] {
            if flags & bit != 0 {
                a.push(opt.into());
            }
        }
    }
    Some(verbatim_target(name, a.join(" ")))
}
