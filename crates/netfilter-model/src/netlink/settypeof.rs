//! The `typeof` expressions nft stores in a set's user data, back as nft text (`ip saddr . meta mark`).

use super::keys::{nft_name, CT_KEYS, META_KEYS};

/// `NFTNL_UDATA_SET_KEY_TYPEOF`.
pub(crate) const UDATA_SET_KEY_TYPEOF: u8 = 3;
/// `NFTNL_UDATA_SET_DATA_TYPEOF`.
pub(crate) const UDATA_SET_DATA_TYPEOF: u8 = 4;

/// nft's `EXPR_PAYLOAD`, `EXPR_META`, `EXPR_CT`, `EXPR_CONCAT` (as nft 1.0 numbers them).
const EXPR_PAYLOAD: u32 = 7;
const EXPR_META: u32 = 9;
const EXPR_CT: u32 = 12;
const EXPR_CONCAT: u32 = 13;
/// nft's `EXPR_OSF` and `EXPR_NUMGEN`.
const EXPR_OSF: u32 = 11;
const EXPR_NUMGEN: u32 = 23;
/// nft's `EXPR_XFRM`.
const EXPR_XFRM: u32 = 27;

/// The user-data TLVs of `b` as `(type, value)`; `None` when malformed.
fn tlvs(b: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < b.len() {
        let t = *b.get(i)?;
        let len = usize::from(*b.get(i + 1)?);
        let v = b.get(i + 2..i + 2 + len)?;
        out.push((t, v));
        i += 2 + len;
    }
    Some(out)
}

fn get<'a>(attrs: &[(u8, &'a [u8])], ty: u8) -> Option<&'a [u8]> {
    attrs.iter().find(|(t, _)| *t == ty).map(|(_, v)| *v)
}

fn get_u32(attrs: &[(u8, &[u8])], ty: u8) -> Option<u32> {
    let v = get(attrs, ty)?;
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

/// nft's protocol header name and field name of payload template `field` of `desc`.
fn payload_name(desc: u32, field: u32) -> Option<(&'static str, &'static str)> {
    let (proto, fields): (&str, &[&str]) = match desc {
        1 => (
            "ah",
            &["nexthdr", "hdrlength", "reserved", "spi", "sequence"],
        ),
        2 => ("esp", &["spi", "sequence"]),
        3 => ("comp", &["nexthdr", "flags", "cpi"]),
        4 => (
            "icmp",
            &[
                "type", "code", "checksum", "id", "sequence", "gateway", "mtu",
            ],
        ),
        5 => ("igmp", &["type", "mrt", "checksum", "group"]),
        6 => ("udp", &["sport", "dport", "length", "checksum"]),
        7 => ("udplite", &["sport", "dport", "csumcov", "checksum"]),
        8 => (
            "tcp",
            &[
                "sport", "dport", "sequence", "ackseq", "doff", "reserved", "flags", "window",
                "checksum", "urgptr",
            ],
        ),
        9 => ("dccp", &["sport", "dport", "type"]),
        10 => ("sctp", &["sport", "dport", "vtag", "checksum"]),
        11 => ("th", &["sport", "dport"]),
        12 => (
            "ip",
            &[
                "version",
                "hdrlength",
                "dscp",
                "ecn",
                "length",
                "id",
                "frag-off",
                "ttl",
                "protocol",
                "checksum",
                "saddr",
                "daddr",
            ],
        ),
        13 => (
            "ip6",
            &[
                "version",
                "dscp",
                "ecn",
                "flowlabel",
                "length",
                "nexthdr",
                "hoplimit",
                "saddr",
                "daddr",
            ],
        ),
        14 => (
            "icmpv6",
            &[
                "type",
                "code",
                "checksum",
                "param-problem",
                "mtu",
                "id",
                "sequence",
                "max-delay",
            ],
        ),
        15 => (
            "arp",
            &[
                "htype",
                "ptype",
                "hlen",
                "plen",
                "operation",
                "saddr ether",
                "saddr ip",
                "daddr ether",
                "daddr ip",
            ],
        ),
        16 => ("vlan", &["pcp", "dei", "cfi", "id", "type"]),
        17 => ("ether", &["daddr", "saddr", "type"]),
        _ => return None,
    };
    let i = usize::try_from(field.checked_sub(1)?).ok()?;
    Some((proto, fields.get(i)?))
}

/// nft's name of `NFT_META_*` key `key`, with the `meta ` prefix unless nft leaves it out.
fn meta_name(key: u32) -> Option<String> {
    let name = nft_name(META_KEYS, key)?;
    Some(match name {
        "iif" | "oif" | "iifname" | "oifname" | "iifgroup" | "oifgroup" => name.to_string(),
        _ => format!("meta {name}"),
    })
}

/// nft's name of `NFT_CT_*` key `key` in direction `dir` (0 original, 1 reply).
fn ct_name(key: u32, dir: Option<u32>) -> Option<String> {
    let name = nft_name(CT_KEYS, key)?;
    Some(match dir {
        Some(0) => format!("ct original {name}"),
        Some(1) => format!("ct reply {name}"),
        _ => format!("ct {name}"),
    })
}

/// One expression of type `etype` from its data TLVs.
fn expr_text(etype: u32, data: &[u8]) -> Option<String> {
    let attrs = tlvs(data)?;
    match etype {
        EXPR_PAYLOAD => {
            let desc = get_u32(&attrs, 0).unwrap_or(0);
            let field = get_u32(&attrs, 1).unwrap_or(0);
            if desc != 0 {
                let (p, f) = payload_name(desc, field)?;
                return Some(format!("{p} {f}"));
            }
            let base = match get_u32(&attrs, 2)? {
                1 => "ll",
                2 => "nh",
                3 => "th",
                4 => "ih",
                _ => return None,
            };
            let offset = get_u32(&attrs, 3)?;
            let len = get_u32(&attrs, 4)?;
            Some(format!("@{base},{offset},{len}"))
        }
        EXPR_META => meta_name(get_u32(&attrs, 0)?),
        // nft stores nothing for `osf name` (and reads any `osf` back as it).
        EXPR_OSF => Some("osf name".into()),
        EXPR_XFRM => {
            let key = get_u32(&attrs, 0)?;
            let spnum = get_u32(&attrs, 1)?;
            let dir = match get_u32(&attrs, 2)? {
                0 => "in",
                1 => "out",
                _ => return None,
            };
            let token = match key {
                1 => "ip daddr",
                2 => "ip6 daddr",
                3 => "ip saddr",
                4 => "ip6 saddr",
                5 => "reqid",
                6 => "spi",
                _ => return None,
            };
            let sp = if spnum != 0 {
                format!(" spnum {spnum}")
            } else {
                String::new()
            };
            Some(format!("ipsec {dir}{sp} {token}"))
        }
        EXPR_NUMGEN => {
            let kind = match get_u32(&attrs, 0)? {
                0 => "inc",
                1 => "random",
                _ => return None,
            };
            let modulus = get_u32(&attrs, 1)?;
            let offset = get_u32(&attrs, 2).unwrap_or(0);
            let off = if offset != 0 {
                format!(" offset {offset}")
            } else {
                String::new()
            };
            Some(format!("numgen {kind} mod {modulus}{off}"))
        }
        EXPR_CT => {
            let dir = get_u32(&attrs, 1).filter(|d| *d <= 1);
            ct_name(get_u32(&attrs, 0)?, dir)
        }
        EXPR_CONCAT => {
            let mut parts = Vec::new();
            for (_, sub) in &attrs {
                let sub = tlvs(sub)?;
                let et = get_u32(&sub, 0)?;
                if et == EXPR_CONCAT {
                    return None;
                }
                parts.push(expr_text(et, get(&sub, 1)?)?);
            }
            (!parts.is_empty()).then(|| parts.join(" . "))
        }
        _ => None,
    }
}

/// Bit width of payload template `field` of `desc` (the order of [`payload_name`]).
fn payload_bits(desc: u32, field: u32) -> Option<u32> {
    let widths: &[u32] = match desc {
        1 => &[8, 8, 16, 32, 32],
        2 => &[32, 32],
        3 => &[8, 8, 16],
        4 => &[8, 8, 16, 16, 16, 32, 16],
        5 => &[8, 8, 16, 32],
        6 | 7 => &[16, 16, 16, 16],
        8 => &[16, 16, 32, 32, 4, 4, 8, 16, 16, 16],
        9 => &[16, 16, 4],
        10 => &[16, 16, 32, 32],
        11 => &[16, 16],
        12 => &[4, 4, 6, 2, 16, 16, 16, 8, 8, 16, 32, 32],
        13 => &[4, 6, 2, 20, 16, 8, 8, 128, 128],
        14 => &[8, 8, 16, 32, 32, 16, 16, 16],
        15 => &[16, 16, 8, 8, 16, 48, 32, 48, 32],
        16 => &[3, 1, 1, 12, 16],
        17 => &[48, 48, 16],
        _ => return None,
    };
    widths
        .get(usize::try_from(field.checked_sub(1)?).ok()?)
        .copied()
}

/// How one field of a `typeof` key or data is stored and spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TypeofField {
    /// Bytes the value takes (before padding to 32 bits in a concatenation), when known.
    pub(crate) bytes: Option<usize>,
    /// A raw payload (`@nh,32,32`): nft prints its integer value in hex.
    pub(crate) raw: bool,
    /// A host-order integer (`ipsec in reqid`).
    pub(crate) host: bool,
}

/// One field's layout from its expression TLVs.
fn field_layout(etype: u32, data: &[u8]) -> Option<TypeofField> {
    let attrs = tlvs(data)?;
    Some(match etype {
        EXPR_PAYLOAD => {
            let desc = get_u32(&attrs, 0).unwrap_or(0);
            let field = get_u32(&attrs, 1).unwrap_or(0);
            if desc != 0 {
                let bits = payload_bits(desc, field)?;
                TypeofField {
                    bytes: Some(bits.div_ceil(8) as usize),
                    raw: false,
                    host: false,
                }
            } else {
                let len = get_u32(&attrs, 4)?;
                TypeofField {
                    bytes: Some(len.div_ceil(8) as usize),
                    raw: true,
                    host: false,
                }
            }
        }
        // `ipsec in reqid`: a host-order integer.
        EXPR_XFRM if get_u32(&attrs, 0) == Some(5) => TypeofField {
            bytes: Some(4),
            raw: false,
            host: true,
        },
        _ => TypeofField {
            bytes: None,
            raw: false,
            host: false,
        },
    })
}

/// The layout of each field of the `typeof` expression of TLV `ty` (one unless it is a
/// concatenation); `None` when absent or not decodable.
pub(crate) fn typeof_layout(udata: &[u8], ty: u8) -> Option<Vec<TypeofField>> {
    let top = tlvs(udata)?;
    let nest = tlvs(get(&top, ty)?)?;
    let etype = get_u32(&nest, 0)?;
    let data = get(&nest, 1)?;
    if etype != EXPR_CONCAT {
        return Some(vec![field_layout(etype, data)?]);
    }
    let mut out = Vec::new();
    for (_, sub) in &tlvs(data)? {
        let sub = tlvs(sub)?;
        out.push(field_layout(get_u32(&sub, 0)?, get(&sub, 1)?)?);
    }
    Some(out)
}

/// The `typeof` expression of TLV `ty` of a set's user data (key or data), as nft prints it;
/// `None` when absent or not decodable (the caller then names the datatype).
pub(crate) fn typeof_text(udata: &[u8], ty: u8) -> Option<String> {
    let top = tlvs(udata)?;
    let nest = tlvs(get(&top, ty)?)?;
    expr_text(get_u32(&nest, 0)?, get(&nest, 1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typeof_expressions_as_nft_stores_them() {
        // Dumped from `typeof ip saddr . meta mark` (nft 1.0.6).
        let b = [
            0, 4, 0, 0, 0, 0, 3, 46, 0, 4, 13, 0, 0, 0, 1, 38, 0, 20, 0, 4, 7, 0, 0, 0, 1, 12, 0,
            4, 12, 0, 0, 0, 1, 4, 11, 0, 0, 0, 1, 14, 0, 4, 9, 0, 0, 0, 1, 6, 0, 4, 3, 0, 0, 0,
        ];
        assert_eq!(
            typeof_text(&b, UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("ip saddr . meta mark")
        );
        // `typeof ct bytes`, `typeof ct original proto-dst`, `typeof vlan id`.
        let c = [
            0, 4, 1, 0, 0, 0, 3, 20, 0, 4, 12, 0, 0, 0, 1, 12, 0, 4, 15, 0, 0, 0, 1, 4, 255, 255,
            255, 255,
        ];
        assert_eq!(
            typeof_text(&c, UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("ct bytes")
        );
        let g = [
            3, 20, 0, 4, 12, 0, 0, 0, 1, 12, 0, 4, 12, 0, 0, 0, 1, 4, 0, 0, 0, 0,
        ];
        assert_eq!(
            typeof_text(&g, UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("ct original proto-dst")
        );
        let h = [
            3, 26, 0, 4, 7, 0, 0, 0, 1, 18, 0, 4, 16, 0, 0, 0, 1, 4, 4, 0, 0, 0, 4, 4, 12, 0, 0, 0,
        ];
        assert_eq!(
            typeof_text(&h, UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("vlan id")
        );
        // `typeof udp length . @nh,32,32` (a raw payload).
        let i = [
            3, 76, 0, 4, 13, 0, 0, 0, 1, 68, 0, 26, 0, 4, 7, 0, 0, 0, 1, 18, 0, 4, 6, 0, 0, 0, 1,
            4, 3, 0, 0, 0, 4, 4, 16, 0, 0, 0, 1, 38, 0, 4, 7, 0, 0, 0, 1, 30, 0, 4, 0, 0, 0, 0, 1,
            4, 0, 0, 0, 0, 2, 4, 2, 0, 0, 0, 3, 4, 32, 0, 0, 0, 4, 4, 32, 0, 0, 0,
        ];
        assert_eq!(
            typeof_text(&i, UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("udp length . @nh,32,32")
        );
        // Map data: `typeof ... : meta mark`; iifname unqualified.
        let k = [4, 14, 0, 4, 9, 0, 0, 0, 1, 6, 0, 4, 6, 0, 0, 0];
        assert_eq!(
            typeof_text(&k, UDATA_SET_DATA_TYPEOF).as_deref(),
            Some("iifname")
        );
        // `typeof numgen inc mod 2`, `typeof ipsec in reqid`, `typeof osf name` (nft 1.0.6's
        // layout: expression type, then its attributes).
        let nested = |etype: u8, data: &[u8]| {
            let mut n = vec![0, 4, etype, 0, 0, 0, 1, data.len() as u8];
            n.extend_from_slice(data);
            let mut top = vec![UDATA_SET_KEY_TYPEOF, n.len() as u8];
            top.extend(n);
            top
        };
        let numgen = nested(23, &[0, 4, 0, 0, 0, 0, 1, 4, 2, 0, 0, 0, 2, 4, 0, 0, 0, 0]);
        assert_eq!(
            typeof_text(&numgen, UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("numgen inc mod 2")
        );
        let reqid = nested(27, &[0, 4, 5, 0, 0, 0, 1, 4, 0, 0, 0, 0, 2, 4, 0, 0, 0, 0]);
        assert_eq!(
            typeof_text(&reqid, UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("ipsec in reqid")
        );
        assert_eq!(
            typeof_layout(&reqid, UDATA_SET_KEY_TYPEOF),
            Some(vec![TypeofField {
                bytes: Some(4),
                raw: false,
                host: true
            }])
        );
        assert_eq!(
            typeof_text(&nested(11, &[]), UDATA_SET_KEY_TYPEOF).as_deref(),
            Some("osf name")
        );
        // Absent, truncated or unknown: no text.
        assert_eq!(typeof_text(&k, UDATA_SET_KEY_TYPEOF), None);
        assert_eq!(typeof_text(&[3, 40, 0, 4], UDATA_SET_KEY_TYPEOF), None);
        assert_eq!(
            typeof_text(
                &[3, 12, 0, 4, 99, 0, 0, 0, 1, 4, 0, 0, 0, 0],
                UDATA_SET_KEY_TYPEOF
            ),
            None
        );
    }
}
