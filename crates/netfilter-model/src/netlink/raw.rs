//! The nf_tables objects of one consistent dump, as plain data (before delinearization).

use serde::{Deserialize, Serialize};

use super::expr::Expr;

/// A table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawTable {
    /// `NFPROTO_*` family.
    pub family: u32,
    /// Name.
    pub name: String,
    /// `NFT_TABLE_F_*` flags.
    pub flags: u32,
    /// Handle.
    pub handle: u64,
    /// User data (comment TLV).
    pub userdata: Vec<u8>,
}

/// A chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawChain {
    /// `NFPROTO_*` family.
    pub family: u32,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub name: String,
    /// Hook number, for a base chain.
    pub hooknum: Option<u32>,
    /// Priority.
    pub prio: i32,
    /// Type (`filter`, `nat`, `route`).
    pub chain_type: Option<String>,
    /// Policy verdict (1 accept, 0 drop).
    pub policy: Option<u32>,
    /// Devices of a netdev chain.
    pub devices: Vec<String>,
    /// Handle.
    pub handle: u64,
    /// Chain counters.
    pub packets: u64,
    /// Chain counters.
    pub bytes: u64,
    /// `NFT_CHAIN_*` flags (`NFT_CHAIN_BINDING` = 4: an anonymous `jump { ... }` chain).
    pub flags: u32,
    /// User data (comment TLV).
    pub userdata: Vec<u8>,
}

/// A rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRule {
    /// `NFPROTO_*` family.
    pub family: u32,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
    /// Handle.
    pub handle: u64,
    /// Expressions, in order.
    pub exprs: Vec<Expr>,
    /// Stateful expressions (counter, limit, ...) nested in a dynset expression
    /// (`add @s { ip saddr limit rate 10/second }`), by the dynset's index in `exprs`.
    pub dynset_exprs: Vec<(usize, Vec<Expr>)>,
    /// User data (comment TLV).
    pub userdata: Vec<u8>,
}

/// One set element.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawElem {
    /// Key bytes.
    pub key: Vec<u8>,
    /// End of the key range (concatenated interval sets).
    pub key_end: Option<Vec<u8>>,
    /// Map data bytes.
    pub data: Option<Vec<u8>>,
    /// Verdict of a verdict map (code and chain).
    pub verdict: Option<(i32, Option<String>)>,
    /// Object name of an object map.
    pub objref: Option<String>,
    /// `NFT_SET_ELEM_INTERVAL_END` and other flags.
    pub flags: u32,
    /// Timeout in milliseconds, when set.
    pub timeout: Option<u64>,
    /// User data (`NFTNL_UDATA_SET_ELEM_COMMENT` = 0, `..._FLAGS` = 1).
    pub userdata: Vec<u8>,
    /// Stateful expressions attached to the element (counter, limit, quota, ...).
    pub exprs: Vec<Expr>,
}

/// A set or map with its elements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawSet {
    /// `NFPROTO_*` family.
    pub family: u32,
    /// Table name.
    pub table: String,
    /// Name (`__set%d` when anonymous).
    pub name: String,
    /// `NFT_SET_*` flags.
    pub flags: u32,
    /// nft datatype id of the key (concatenations packed 6 bits per type).
    pub key_type: u32,
    /// Key length in bytes.
    pub key_len: u32,
    /// Data type of a map (`NFT_DATA_VERDICT` = 0xffffff00 for a verdict map).
    pub data_type: Option<u32>,
    /// Data length.
    pub data_len: u32,
    /// Object type of an object map.
    pub obj_type: Option<u32>,
    /// Timeout in milliseconds.
    pub timeout: Option<u64>,
    /// Size limit.
    pub size: Option<u32>,
    /// Per-field lengths of a concatenated key.
    pub field_len: Vec<u8>,
    /// User data (key byte order, comment, typeof).
    pub userdata: Vec<u8>,
    /// Elements, in dump order.
    pub elems: Vec<RawElem>,
    /// Stateful expressions every element gets (`counter`, `limit rate ...`).
    pub exprs: Vec<Expr>,
}

/// A named stateful object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawObject {
    /// `NFPROTO_*` family.
    pub family: u32,
    /// Table name.
    pub table: String,
    /// Name.
    pub name: String,
    /// `NFT_OBJECT_*` type.
    pub obj_type: u32,
    /// The object's attributes as libnftnl prints them.
    pub text: String,
    /// Numeric attributes nft prints (`NFTNL_OBJ_*` number and value; counter values excluded).
    pub values: Vec<(u32, u64)>,
    /// String attributes nft prints (`NFTNL_OBJ_*` number and value).
    pub strings: Vec<(u32, String)>,
    /// User data (`NFTNL_UDATA_OBJ_COMMENT` = 0).
    pub userdata: Vec<u8>,
}

/// A flowtable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawFlowtable {
    /// `NFPROTO_*` family.
    pub family: u32,
    /// Table name.
    pub table: String,
    /// Name.
    pub name: String,
    /// Hook number.
    pub hooknum: u32,
    /// Priority.
    pub prio: i32,
    /// Devices.
    pub devices: Vec<String>,
    /// Flags.
    pub flags: u32,
}

/// Everything one consistent dump returned, at one generation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRuleset {
    /// The ruleset generation the dump was taken at.
    pub generation: u32,
    /// Tables.
    pub tables: Vec<RawTable>,
    /// Chains.
    pub chains: Vec<RawChain>,
    /// Rules, chain by chain.
    pub rules: Vec<RawRule>,
    /// Sets with their elements.
    pub sets: Vec<RawSet>,
    /// Named objects.
    pub objects: Vec<RawObject>,
    /// Flowtables.
    pub flowtables: Vec<RawFlowtable>,
}

/// Reads the string of a user-data TLV of `ty` (a NUL-terminated string), e.g. the rule comment
/// (`NFTNL_UDATA_RULE_COMMENT` = 0). TLVs are `type: u8, len: u8, value`.
pub fn udata_string(udata: &[u8], ty: u8) -> Option<String> {
    let mut i = 0usize;
    while i + 2 <= udata.len() {
        let t = udata[i];
        let len = udata[i + 1] as usize;
        let start = i + 2;
        let end = start.checked_add(len)?;
        let value = udata.get(start..end)?;
        if t == ty {
            let s = value.split(|b| *b == 0).next().unwrap_or_default();
            return Some(String::from_utf8_lossy(s).into_owned());
        }
        i = end;
    }
    None
}

/// Reads a u32 user-data TLV of `ty` (host byte order).
pub fn udata_u32(udata: &[u8], ty: u8) -> Option<u32> {
    let mut i = 0usize;
    while i + 2 <= udata.len() {
        let t = udata[i];
        let len = udata[i + 1] as usize;
        let start = i + 2;
        let value = udata.get(start..start.checked_add(len)?)?;
        if t == ty && value.len() == 4 {
            return Some(u32::from_ne_bytes([value[0], value[1], value[2], value[3]]));
        }
        i = start + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_comment_tlv() {
        let mut u = vec![1, 1, 9];
        u.extend_from_slice(&[0, 6]);
        u.extend_from_slice(b"hello\0");
        assert_eq!(udata_string(&u, 0).as_deref(), Some("hello"));
        assert_eq!(udata_string(&u, 2), None);
        // Truncated TLVs never panic.
        assert_eq!(udata_string(&[0, 200, b'x'], 0), None);
        assert_eq!(udata_string(&[0], 0), None);
    }
}
