//! `meta` and `ct` keys: loads, `meta … set` and `ct … set` statements.

use super::*;
use crate::netlink::keys::{nft_name, CT_KEYS, META_KEYS};

pub(super) fn ct_status_names(bits: u32) -> Vec<String> {
    const NAMES: &[(u32, &str)] = &[
        (1 << 0, "expected"),
        (1 << 1, "seen-reply"),
        (1 << 2, "assured"),
        (1 << 3, "confirmed"),
        (1 << 4, "snat"),
        (1 << 5, "dnat"),
        (1 << 9, "dying"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| (*n).to_string())
        .collect()
}

pub(super) fn addrtype_names(bits: u32) -> Vec<String> {
    const NAMES: &[&str] = &[
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
    NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| (*n).to_string())
        .collect()
}

/// An interface type (`ARPHRD_*`, host-order 16 bits) as nft names it.
pub(super) fn iftype_name(b: &[u8]) -> String {
    let v = match b {
        [a, c, ..] => u16::from_ne_bytes([*a, *c]),
        [a] => u16::from(*a),
        [] => 0,
    };
    match v {
        1 => "ether".into(),
        512 => "ppp".into(),
        768 => "ipip".into(),
        769 => "ipip6".into(),
        772 => "loopback".into(),
        776 => "sit".into(),
        778 => "ipgre".into(),
        n => n.to_string(),
    }
}

pub(super) fn meta_key_name(k: u32) -> String {
    nft_name(META_KEYS, k).map_or_else(|| format!("key{k}"), str::to_string)
}

pub(super) fn ct_key_name(k: u32) -> String {
    nft_name(CT_KEYS, k).map_or_else(|| format!("key{k}"), str::to_string)
}

impl State<'_> {
    pub(super) fn meta_field(key: u32) -> Field {
        match key {
            0 => Field::Length,
            3 => Field::Mark,
            // nft names the interface-index keys without `meta`.
            4 => Field::Raw("iif".into()),
            5 => Field::Raw("oif".into()),
            6 => Field::Iface(Direction::Src),
            7 => Field::Iface(Direction::Dst),
            10 => Field::SkUid,
            11 => Field::SkGid,
            15 => Field::Nfproto,
            16 => Field::L4Proto,
            19 => Field::PktType,
            1 => Field::MetaProtocol,
            8 => Field::IifType,
            // nft's `meta random` is a big-endian integer.
            24 => Field::BeInt {
                name: "meta random".into(),
                hex: false,
            },
            // Device groups: nft names them without `meta`.
            21 => Field::Raw("iifgroup".into()),
            22 => Field::Raw("oifgroup".into()),
            // Bridge and VRF device names are strings.
            17 | 18 | 34 => Field::Str(format!("meta {}", meta_key_name(key))),
            // `meta secpath` is listed by its newer name, a boolean.
            25 => Field::Raw("meta ipsec".into()),
            other => Field::Raw(format!("meta {}", meta_key_name(other))),
        }
    }

    pub(super) fn ct_field(key: u32, dir: Option<u8>) -> Field {
        match (key, dir) {
            (0, _) => Field::CtState,
            (1, _) => Field::CtDirection,
            (2, _) => Field::CtStatus,
            (3, _) => Field::CtMark,
            (k, d) => {
                let d = match d {
                    Some(0) => "original ",
                    Some(1) => "reply ",
                    _ => "",
                };
                Field::Raw(format!("ct {d}{}", ct_key_name(k)))
            }
        }
    }

    pub(super) fn meta_set(&mut self, key: u32, sreg: u32) {
        let src = self.reg(sreg).cloned();
        let st = match (key, src) {
            (3, Some(Reg::Imm(v))) => Statement::SetMark {
                and: 0,
                xor: u32_ne(&v),
            },
            (
                3,
                Some(Reg::Load {
                    field: Field::Mark,
                    mask,
                    xor,
                    ..
                }),
            ) => Statement::SetMark {
                and: mask.as_deref().map_or(u32::MAX, u32_ne),
                xor: xor.as_deref().map_or(0, u32_ne),
            },
            (
                3,
                Some(Reg::Load {
                    field: Field::CtMark,
                    mask: None,
                    ..
                }),
            ) => Statement::RestoreMark {
                nfmask: u32::MAX,
                ctmask: u32::MAX,
            },
            (k, src) => Statement::Other {
                target: "meta".into(),
                args: format!(
                    "{} set {}",
                    meta_key_name(k),
                    src.map(|r| set_value_text(SetKind::Meta(k), &r))
                        .unwrap_or_default()
                ),
                lossy: false,
            },
        };
        self.rule.statements.push(st);
    }

    pub(super) fn ct_set(&mut self, key: u32, sreg: u32, dir: Option<u8>) {
        let src = self.reg(sreg).cloned();
        let st = match (key, src) {
            (3, Some(Reg::Imm(v))) => Statement::SetCtMark {
                and: 0,
                xor: u32_ne(&v),
            },
            (
                3,
                Some(Reg::Load {
                    field: Field::CtMark,
                    mask,
                    xor,
                    ..
                }),
            ) => Statement::SetCtMark {
                and: mask.as_deref().map_or(u32::MAX, u32_ne),
                xor: xor.as_deref().map_or(0, u32_ne),
            },
            (
                3,
                Some(Reg::Load {
                    field: Field::Mark,
                    mask: None,
                    ..
                }),
            ) => Statement::SaveMark {
                nfmask: u32::MAX,
                ctmask: u32::MAX,
            },
            (k, src) => Statement::Ct {
                args: format!(
                    "{}{} set {}",
                    match dir {
                        Some(0) => "original ",
                        Some(1) => "reply ",
                        _ => "",
                    },
                    ct_key_name(k),
                    src.map(|r| set_value_text(SetKind::Ct(k), &r))
                        .unwrap_or_default()
                ),
            },
        };
        self.rule.statements.push(st);
    }
}
