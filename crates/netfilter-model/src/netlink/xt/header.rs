//! Header fields: `tcp`, `udp`, `icmp`, `multiport`, `length`, `ttl`/`hl`, `dscp`, `tos`.

use super::*;
use crate::model::TtlOp;

/// The matches this file decodes, by extension name.
pub(super) const MATCHES: &[(&str, MatchDecoder)] = &[
    ("tcp", match_tcp),
    ("udp", match_tcp),
    ("icmp", match_icmp),
    ("icmp6", match_icmp),
    ("multiport", match_multiport),
    ("length", match_length),
    ("ttl", match_ttl),
    ("hl", match_ttl),
    ("dscp", match_dscp),
    ("tos", match_tos),
];

fn match_tcp(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
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
                    ms.push(Match::new(MatchKind::Other {
                        module: name.into(),
                        args: format!("{}--tcp-option {option}", bang(inv & 8 != 0)),
                        lossy: false,
                    }));
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

fn match_icmp(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
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
        _ => return None,
    })
}

fn match_multiport(_name: &str, rev: u32, b: &[u8], cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1 => {
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
        _ => return None,
    })
}

fn match_length(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => one(
            u8_at(b, 4)? != 0,
            MatchKind::Length {
                range: PortRange {
                    first: u16_at(b, 0)?,
                    last: u16_at(b, 2)?,
                },
            },
        ),
        _ => return None,
    })
}

fn match_ttl(name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => {
            let (mode, value) = (u8_at(b, 0)?, u8_at(b, 1)?);
            let (op, neg) = match mode {
                0 => (TtlOp::Eq, false),
                1 => (TtlOp::Eq, true),
                2 => (TtlOp::Lt, false),
                3 => (TtlOp::Gt, false),
                _ => return None,
            };
            one(
                neg,
                MatchKind::Ttl {
                    v6: name == "hl",
                    op,
                    value,
                },
            )
        }
        _ => return None,
    })
}

fn match_dscp(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        0 => one(
            u8_at(b, 1)? != 0,
            MatchKind::Dscp {
                value: u8_at(b, 0)?,
            },
        ),
        _ => return None,
    })
}

fn match_tos(_name: &str, rev: u32, b: &[u8], _cx: &XtContext<'_>) -> Option<XtMatch> {
    Some(match rev {
        1 => one(
            u8_at(b, 2)? != 0,
            MatchKind::Tos {
                value: u8_at(b, 1)?,
                mask: u8_at(b, 0)?,
            },
        ),
        _ => return None,
    })
}
