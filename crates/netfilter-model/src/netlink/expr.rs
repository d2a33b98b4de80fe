//! Register-level form of nf_tables expressions, decoded from libnftnl or built by hand.
//!
//! The form is plain data so tests and fuzz targets can build expression lists without a
//! kernel. Registers are kept as the kernel numbers them (`NFT_REG_VERDICT` = 0,
//! `NFT_REG_1..4` = 1..4 for 16-byte registers, `NFT_REG32_00..15` = 8..23); use
//! [`reg32`] to compare them.

use serde::{Deserialize, Serialize};

/// Data of an immediate expression: a value, or a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImmData {
    /// Raw bytes loaded into a data register.
    Value(Vec<u8>),
    /// A verdict code (`NF_ACCEPT` = 1, `NF_DROP` = 0, `NFT_JUMP` = -3, ...) and its chain.
    Verdict {
        /// The verdict code.
        code: i32,
        /// Target chain of a jump or goto.
        chain: Option<String>,
    },
}

/// One nf_tables expression of a rule, at register level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Expr {
    /// Load `len` bytes at `offset` of header `base` (0 link, 1 network, 2 transport, 3 inner).
    Payload {
        /// Header base.
        base: u32,
        /// Byte offset.
        offset: u32,
        /// Byte length.
        len: u32,
        /// Destination register.
        dreg: u32,
    },
    /// Write a register into the packet (payload mangling).
    PayloadSet {
        /// Header base.
        base: u32,
        /// Byte offset.
        offset: u32,
        /// Byte length.
        len: u32,
        /// Source register.
        sreg: u32,
    },
    /// Load (`dreg`) or set (`sreg`) packet metadata `key` (`NFT_META_*`).
    Meta {
        /// `NFT_META_*` key.
        key: u32,
        /// Destination register, for a load.
        dreg: Option<u32>,
        /// Source register, for a set.
        sreg: Option<u32>,
    },
    /// Compare a register with data (`NFT_CMP_EQ` = 0, NEQ, LT, LTE, GT, GTE).
    Cmp {
        /// Compared register.
        sreg: u32,
        /// `NFT_CMP_*` operation.
        op: u32,
        /// Data compared with (its length is the compared length).
        data: Vec<u8>,
    },
    /// `dreg = (sreg & mask) ^ xor` (op 0), or a shift by `data` (op 1 left, 2 right).
    Bitwise {
        /// Source register.
        sreg: u32,
        /// Destination register.
        dreg: u32,
        /// Length in bytes.
        len: u32,
        /// `NFT_BITWISE_*` operation.
        op: u32,
        /// Mask (boolean operation).
        mask: Vec<u8>,
        /// Xor (boolean operation).
        xor: Vec<u8>,
        /// Shift amount (shift operations).
        data: Vec<u8>,
    },
    /// Byte order conversion.
    Byteorder {
        /// Source register.
        sreg: u32,
        /// Destination register.
        dreg: u32,
        /// 0 ntoh, 1 hton.
        op: u32,
        /// Length in bytes.
        len: u32,
        /// Element size.
        size: u32,
    },
    /// Look a register up in a set; with `dreg`, a map lookup (register 0: a verdict map).
    Lookup {
        /// Set name (`__set%d` for anonymous sets).
        set: String,
        /// Key register.
        sreg: u32,
        /// Destination register of a map.
        dreg: Option<u32>,
        /// `NFT_LOOKUP_F_INV`: match when absent.
        invert: bool,
    },
    /// Load an immediate value or verdict.
    Immediate {
        /// Destination register (0 for a verdict).
        dreg: u32,
        /// The data.
        data: ImmData,
    },
    /// Count packets and bytes.
    Counter {
        /// Packets.
        packets: u64,
        /// Bytes.
        bytes: u64,
    },
    /// Load (`dreg`) or set (`sreg`) a conntrack key (`NFT_CT_*`), in a direction.
    Ct {
        /// `NFT_CT_*` key.
        key: u32,
        /// Destination register, for a load.
        dreg: Option<u32>,
        /// Source register, for a set.
        sreg: Option<u32>,
        /// Direction (0 original, 1 reply), when given.
        dir: Option<u8>,
    },
    /// SNAT/DNAT with address and port registers.
    Nat {
        /// 0 snat, 1 dnat.
        nat_type: u32,
        /// `NFPROTO_*` of the addresses.
        family: u32,
        /// Register of the first address.
        reg_addr_min: Option<u32>,
        /// Register of the last address.
        reg_addr_max: Option<u32>,
        /// Register of the first port.
        reg_proto_min: Option<u32>,
        /// Register of the last port.
        reg_proto_max: Option<u32>,
        /// `NF_NAT_RANGE_*` flags.
        flags: u32,
    },
    /// Masquerade.
    Masq {
        /// `NF_NAT_RANGE_*` flags.
        flags: u32,
        /// Register of the first port.
        reg_proto_min: Option<u32>,
        /// Register of the last port.
        reg_proto_max: Option<u32>,
    },
    /// Redirect to the local machine.
    Redir {
        /// `NF_NAT_RANGE_*` flags.
        flags: u32,
        /// Register of the first port.
        reg_proto_min: Option<u32>,
        /// Register of the last port.
        reg_proto_max: Option<u32>,
    },
    /// Reject (`NFT_REJECT_ICMP_UNREACH` = 0, `TCP_RST` = 1, `ICMPX_UNREACH` = 2) with a code.
    Reject {
        /// Reject type.
        reject_type: u32,
        /// ICMP code.
        code: u8,
    },
    /// Log to syslog or an nflog group.
    Log {
        /// Prefix.
        prefix: Option<String>,
        /// nflog group.
        group: Option<u16>,
        /// Syslog level.
        level: Option<u32>,
        /// `NF_LOG_*` flags.
        flags: u32,
        /// nflog snaplen.
        snaplen: Option<u32>,
        /// nflog queue threshold.
        qthreshold: Option<u16>,
    },
    /// Rate limit.
    Limit {
        /// Rate per unit.
        rate: u64,
        /// Unit in seconds.
        unit: u64,
        /// Burst.
        burst: u32,
        /// 0 packets, 1 bytes.
        kind: u32,
        /// `NFT_LIMIT_F_INV`: match over the rate.
        flags: u32,
    },
    /// An xt compat match: name, revision and the extension's info blob.
    Match {
        /// Extension name.
        name: String,
        /// Revision.
        rev: u32,
        /// The info struct as the kernel holds it.
        info: Vec<u8>,
    },
    /// An xt compat target.
    Target {
        /// Extension name.
        name: String,
        /// Revision.
        rev: u32,
        /// The info struct.
        info: Vec<u8>,
    },
    /// Compare a register with an inclusive range (op 0 eq, 1 neq).
    Range {
        /// Compared register.
        sreg: u32,
        /// `NFT_RANGE_*` operation.
        op: u32,
        /// First value.
        from: Vec<u8>,
        /// Last value.
        to: Vec<u8>,
    },
    /// FIB lookup.
    Fib {
        /// `NFTA_FIB_F_*` flags.
        flags: u32,
        /// `NFT_FIB_RESULT_*`.
        result: u32,
        /// Destination register.
        dreg: u32,
    },
    /// Number generator.
    Numgen {
        /// Destination register.
        dreg: u32,
        /// Modulus.
        modulus: u32,
        /// 0 incremental, 1 random.
        kind: u32,
        /// Offset.
        offset: u32,
    },
    /// Do not track.
    Notrack,
    /// Reference to a named object (or an object map).
    Objref {
        /// `NFT_OBJECT_*` type.
        obj_type: u32,
        /// Object name.
        name: Option<String>,
        /// Object map name.
        set: Option<String>,
        /// Key register of an object map.
        sreg: Option<u32>,
    },
    /// Queue to user space.
    Queue {
        /// First queue number.
        num: u16,
        /// Number of queues.
        total: u16,
        /// `NFT_QUEUE_FLAG_*`.
        flags: u16,
    },
    /// Quota.
    Quota {
        /// Bytes.
        bytes: u64,
        /// `NFT_QUOTA_F_INV` etc.
        flags: u32,
    },
    /// Add, update or delete the packet's key in a set from the rule (`add @s { ip saddr }`).
    Dynset {
        /// 0 add, 1 update, 2 delete.
        op: u32,
        /// Set name.
        set: String,
        /// Key register.
        sreg_key: u32,
        /// Data register of a map.
        sreg_data: Option<u32>,
        /// Timeout in milliseconds.
        timeout: Option<u64>,
    },
    /// Any other expression, with libnftnl's own text rendering of its attributes.
    Unknown {
        /// Expression name.
        name: String,
        /// Attributes as libnftnl prints them.
        raw: String,
    },
}

/// Normalizes a register number to its 32-bit register index: `NFT_REG_1..4` (1..4) map to
/// the first 32-bit word of their 16-byte register, `NFT_REG32_00..15` (8..23) to 0..15.
/// The verdict register (0) maps to `None`.
pub fn reg32(reg: u32) -> Option<u32> {
    match reg {
        1..=4 => Some((reg - 1) * 4),
        8..=23 => Some(reg - 8),
        _ => None,
    }
}

#[cfg(feature = "netlink")]
pub(crate) mod ffi {
    //! Reading a libnftnl expression into [`Expr`].

    use std::ffi::CStr;
    use std::os::raw::c_char;

    use nftnl_sys as sys;

    use super::{Expr, ImmData};

    fn is_set(e: *const sys::nftnl_expr, attr: u32) -> bool {
        // SAFETY: `e` is a live expression owned by the rule being read.
        unsafe { sys::nftnl_expr_is_set(e, attr as u16) }
    }

    fn u8_(e: *const sys::nftnl_expr, attr: u32) -> u8 {
        // SAFETY: as above; libnftnl returns 0 for an unset attribute.
        unsafe { sys::nftnl_expr_get_u8(e, attr as u16) }
    }

    fn u16_(e: *const sys::nftnl_expr, attr: u32) -> u16 {
        // SAFETY: as above.
        unsafe { sys::nftnl_expr_get_u16(e, attr as u16) }
    }

    fn u32_(e: *const sys::nftnl_expr, attr: u32) -> u32 {
        // SAFETY: as above.
        unsafe { sys::nftnl_expr_get_u32(e, attr as u16) }
    }

    fn u64_(e: *const sys::nftnl_expr, attr: u32) -> u64 {
        // SAFETY: as above.
        unsafe { sys::nftnl_expr_get_u64(e, attr as u16) }
    }

    fn opt_u32(e: *const sys::nftnl_expr, attr: u32) -> Option<u32> {
        is_set(e, attr).then(|| u32_(e, attr))
    }

    fn bytes(e: *const sys::nftnl_expr, attr: u32) -> Vec<u8> {
        if !is_set(e, attr) {
            return Vec::new();
        }
        let mut len: u32 = 0;
        // SAFETY: libnftnl returns a pointer to `len` bytes owned by the expression.
        unsafe {
            let p = sys::nftnl_expr_get(e, attr as u16, &mut len);
            if p.is_null() {
                return Vec::new();
            }
            std::slice::from_raw_parts(p.cast::<u8>(), len as usize).to_vec()
        }
    }

    fn string(e: *const sys::nftnl_expr, attr: u32) -> Option<String> {
        if !is_set(e, attr) {
            return None;
        }
        // SAFETY: libnftnl returns a NUL-terminated string owned by the expression.
        unsafe {
            let p = sys::nftnl_expr_get_str(e, attr as u16);
            if p.is_null() {
                return None;
            }
            Some(CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    }

    fn text(e: *const sys::nftnl_expr) -> String {
        let mut buf = vec![0 as c_char; 1024];
        // SAFETY: the buffer is writable for its length; libnftnl NUL-terminates.
        unsafe {
            let n = sys::nftnl_expr_snprintf(buf.as_mut_ptr(), buf.len(), e, 0, 0);
            if n < 0 {
                return String::new();
            }
            CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
        }
    }

    /// Decodes one libnftnl expression.
    pub(crate) fn decode(e: *const sys::nftnl_expr) -> Expr {
        use sys::*;
        let name = string(e, NFTNL_EXPR_NAME).unwrap_or_default();
        match name.as_str() {
            "payload" => {
                if is_set(e, NFTNL_EXPR_PAYLOAD_SREG) {
                    Expr::PayloadSet {
                        base: u32_(e, NFTNL_EXPR_PAYLOAD_BASE),
                        offset: u32_(e, NFTNL_EXPR_PAYLOAD_OFFSET),
                        len: u32_(e, NFTNL_EXPR_PAYLOAD_LEN),
                        sreg: u32_(e, NFTNL_EXPR_PAYLOAD_SREG),
                    }
                } else {
                    Expr::Payload {
                        base: u32_(e, NFTNL_EXPR_PAYLOAD_BASE),
                        offset: u32_(e, NFTNL_EXPR_PAYLOAD_OFFSET),
                        len: u32_(e, NFTNL_EXPR_PAYLOAD_LEN),
                        dreg: u32_(e, NFTNL_EXPR_PAYLOAD_DREG),
                    }
                }
            }
            "meta" => Expr::Meta {
                key: u32_(e, NFTNL_EXPR_META_KEY),
                dreg: opt_u32(e, NFTNL_EXPR_META_DREG),
                sreg: opt_u32(e, NFTNL_EXPR_META_SREG),
            },
            "cmp" => Expr::Cmp {
                sreg: u32_(e, NFTNL_EXPR_CMP_SREG),
                op: u32_(e, NFTNL_EXPR_CMP_OP),
                data: bytes(e, NFTNL_EXPR_CMP_DATA),
            },
            "bitwise" => Expr::Bitwise {
                sreg: u32_(e, NFTNL_EXPR_BITWISE_SREG),
                dreg: u32_(e, NFTNL_EXPR_BITWISE_DREG),
                len: u32_(e, NFTNL_EXPR_BITWISE_LEN),
                op: u32_(e, NFTNL_EXPR_BITWISE_OP),
                mask: bytes(e, NFTNL_EXPR_BITWISE_MASK),
                xor: bytes(e, NFTNL_EXPR_BITWISE_XOR),
                data: bytes(e, NFTNL_EXPR_BITWISE_DATA),
            },
            "byteorder" => Expr::Byteorder {
                sreg: u32_(e, NFTNL_EXPR_BYTEORDER_SREG),
                dreg: u32_(e, NFTNL_EXPR_BYTEORDER_DREG),
                op: u32_(e, NFTNL_EXPR_BYTEORDER_OP),
                len: u32_(e, NFTNL_EXPR_BYTEORDER_LEN),
                size: u32_(e, NFTNL_EXPR_BYTEORDER_SIZE),
            },
            "lookup" => Expr::Lookup {
                set: string(e, NFTNL_EXPR_LOOKUP_SET).unwrap_or_default(),
                sreg: u32_(e, NFTNL_EXPR_LOOKUP_SREG),
                dreg: opt_u32(e, NFTNL_EXPR_LOOKUP_DREG),
                invert: u32_(e, NFTNL_EXPR_LOOKUP_FLAGS) & 1 != 0,
            },
            "immediate" => {
                let dreg = u32_(e, NFTNL_EXPR_IMM_DREG);
                let data = if is_set(e, NFTNL_EXPR_IMM_VERDICT) {
                    ImmData::Verdict {
                        code: u32_(e, NFTNL_EXPR_IMM_VERDICT) as i32,
                        chain: string(e, NFTNL_EXPR_IMM_CHAIN),
                    }
                } else {
                    ImmData::Value(bytes(e, NFTNL_EXPR_IMM_DATA))
                };
                Expr::Immediate { dreg, data }
            }
            "counter" => Expr::Counter {
                packets: u64_(e, NFTNL_EXPR_CTR_PACKETS),
                bytes: u64_(e, NFTNL_EXPR_CTR_BYTES),
            },
            "ct" => Expr::Ct {
                key: u32_(e, NFTNL_EXPR_CT_KEY),
                dreg: opt_u32(e, NFTNL_EXPR_CT_DREG),
                sreg: opt_u32(e, NFTNL_EXPR_CT_SREG),
                dir: is_set(e, NFTNL_EXPR_CT_DIR).then(|| u8_(e, NFTNL_EXPR_CT_DIR)),
            },
            "nat" => Expr::Nat {
                nat_type: u32_(e, NFTNL_EXPR_NAT_TYPE),
                family: u32_(e, NFTNL_EXPR_NAT_FAMILY),
                reg_addr_min: opt_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN),
                reg_addr_max: opt_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX),
                reg_proto_min: opt_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN),
                reg_proto_max: opt_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX),
                flags: u32_(e, NFTNL_EXPR_NAT_FLAGS),
            },
            "masq" => Expr::Masq {
                flags: u32_(e, NFTNL_EXPR_MASQ_FLAGS),
                reg_proto_min: opt_u32(e, NFTNL_EXPR_MASQ_REG_PROTO_MIN),
                reg_proto_max: opt_u32(e, NFTNL_EXPR_MASQ_REG_PROTO_MAX),
            },
            "redir" => Expr::Redir {
                flags: u32_(e, NFTNL_EXPR_REDIR_FLAGS),
                reg_proto_min: opt_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN),
                reg_proto_max: opt_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX),
            },
            "reject" => Expr::Reject {
                reject_type: u32_(e, NFTNL_EXPR_REJECT_TYPE),
                code: u8_(e, NFTNL_EXPR_REJECT_CODE),
            },
            "log" => Expr::Log {
                prefix: string(e, NFTNL_EXPR_LOG_PREFIX),
                group: is_set(e, NFTNL_EXPR_LOG_GROUP).then(|| u16_(e, NFTNL_EXPR_LOG_GROUP)),
                level: opt_u32(e, NFTNL_EXPR_LOG_LEVEL),
                flags: u32_(e, NFTNL_EXPR_LOG_FLAGS),
                snaplen: opt_u32(e, NFTNL_EXPR_LOG_SNAPLEN),
                qthreshold: is_set(e, NFTNL_EXPR_LOG_QTHRESHOLD)
                    .then(|| u16_(e, NFTNL_EXPR_LOG_QTHRESHOLD)),
            },
            "limit" => Expr::Limit {
                rate: u64_(e, NFTNL_EXPR_LIMIT_RATE),
                unit: u64_(e, NFTNL_EXPR_LIMIT_UNIT),
                burst: u32_(e, NFTNL_EXPR_LIMIT_BURST),
                kind: u32_(e, NFTNL_EXPR_LIMIT_TYPE),
                flags: u32_(e, NFTNL_EXPR_LIMIT_FLAGS),
            },
            "match" => Expr::Match {
                name: string(e, NFTNL_EXPR_MT_NAME).unwrap_or_default(),
                rev: u32_(e, NFTNL_EXPR_MT_REV),
                info: bytes(e, NFTNL_EXPR_MT_INFO),
            },
            "target" => Expr::Target {
                name: string(e, NFTNL_EXPR_TG_NAME).unwrap_or_default(),
                rev: u32_(e, NFTNL_EXPR_TG_REV),
                info: bytes(e, NFTNL_EXPR_TG_INFO),
            },
            "range" => Expr::Range {
                sreg: u32_(e, NFTNL_EXPR_RANGE_SREG),
                op: u32_(e, NFTNL_EXPR_RANGE_OP),
                from: bytes(e, NFTNL_EXPR_RANGE_FROM_DATA),
                to: bytes(e, NFTNL_EXPR_RANGE_TO_DATA),
            },
            "fib" => Expr::Fib {
                flags: u32_(e, NFTNL_EXPR_FIB_FLAGS),
                result: u32_(e, NFTNL_EXPR_FIB_RESULT),
                dreg: u32_(e, NFTNL_EXPR_FIB_DREG),
            },
            "numgen" => Expr::Numgen {
                dreg: u32_(e, NFTNL_EXPR_NG_DREG),
                modulus: u32_(e, NFTNL_EXPR_NG_MODULUS),
                kind: u32_(e, NFTNL_EXPR_NG_TYPE),
                offset: u32_(e, NFTNL_EXPR_NG_OFFSET),
            },
            "notrack" => Expr::Notrack,
            "dynset" => Expr::Dynset {
                op: u32_(e, NFTNL_EXPR_DYNSET_OP),
                set: string(e, NFTNL_EXPR_DYNSET_SET_NAME).unwrap_or_default(),
                sreg_key: u32_(e, NFTNL_EXPR_DYNSET_SREG_KEY),
                sreg_data: opt_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA),
                timeout: is_set(e, NFTNL_EXPR_DYNSET_TIMEOUT)
                    .then(|| u64_(e, NFTNL_EXPR_DYNSET_TIMEOUT))
                    .filter(|t| *t != 0),
            },
            "objref" => Expr::Objref {
                obj_type: u32_(e, NFTNL_EXPR_OBJREF_IMM_TYPE),
                name: string(e, NFTNL_EXPR_OBJREF_IMM_NAME),
                set: string(e, NFTNL_EXPR_OBJREF_SET_NAME),
                sreg: opt_u32(e, NFTNL_EXPR_OBJREF_SET_SREG),
            },
            // libnftnl's text of `synproxy` leaves its flags (timestamp, sack-perm) out.
            "synproxy" => Expr::Unknown {
                raw: format!(
                    "mss {} wscale {} flags {}",
                    u16_(e, NFTNL_EXPR_SYNPROXY_MSS),
                    u8_(e, NFTNL_EXPR_SYNPROXY_WSCALE),
                    u32_(e, NFTNL_EXPR_SYNPROXY_FLAGS)
                ),
                name,
            },
            // `queue to EXPR`: the queue number from a register, as libnftnl prints it.
            "queue" if is_set(e, NFTNL_EXPR_QUEUE_SREG_QNUM) => {
                let flags = u16_(e, NFTNL_EXPR_QUEUE_FLAGS);
                let mut raw = format!("sreg_qnum {}", u32_(e, NFTNL_EXPR_QUEUE_SREG_QNUM));
                if flags & 1 != 0 {
                    raw.push_str(" bypass");
                }
                if flags & 2 != 0 {
                    raw.push_str(" fanout");
                }
                Expr::Unknown { raw, name }
            }
            "queue" => Expr::Queue {
                num: u16_(e, NFTNL_EXPR_QUEUE_NUM),
                total: u16_(e, NFTNL_EXPR_QUEUE_TOTAL),
                flags: u16_(e, NFTNL_EXPR_QUEUE_FLAGS),
            },
            "quota" => Expr::Quota {
                bytes: u64_(e, NFTNL_EXPR_QUOTA_BYTES),
                flags: u32_(e, NFTNL_EXPR_QUOTA_FLAGS),
            },
            // libnftnl's text of `osf` shows only its register; the TTL mode and the
            // version flag decide what nft lists.
            "osf" => Expr::Unknown {
                raw: format!(
                    "dreg {} ttl {} flags {}",
                    u32_(e, NFTNL_EXPR_OSF_DREG),
                    u8_(e, NFTNL_EXPR_OSF_TTL),
                    u32_(e, NFTNL_EXPR_OSF_FLAGS)
                ),
                name,
            },
            _ => Expr::Unknown { raw: text(e), name },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_normalize_to_32bit_indices() {
        assert_eq!(reg32(0), None);
        assert_eq!(reg32(1), Some(0));
        assert_eq!(reg32(2), Some(4));
        assert_eq!(reg32(8), Some(0));
        assert_eq!(reg32(9), Some(1));
        assert_eq!(reg32(23), Some(15));
        assert_eq!(reg32(5), None);
    }
}
