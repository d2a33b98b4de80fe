//! Delinearization: register-level expression lists back into model matches, statements and
//! verdicts, following what nft's `netlink_delinearize.c` does.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::datatype::{format_concat, format_value, hex, split_concat, verdict_text};
use super::expr::{reg32, Expr, ImmData};
use super::hdr_fields::{self, Hdr, HdrField};
use super::raw::RawElem;
use super::xt::{decode_xt_match, decode_xt_target, XtContext};
use crate::model::{
    AddrSpec, Counters, CtStateSet, Direction, Family, IfacePattern, Match, MatchKind, NatKind,
    PortRange, Protocol, Rule, SetKey, Statement, TcpFlags, Verdict,
};

/// `NFT_SET_ANONYMOUS`.
const SET_ANONYMOUS: u32 = 0x1;
/// `NFT_SET_INTERVAL`.
const SET_INTERVAL: u32 = 0x4;
/// `NFT_SET_MAP`.
const SET_MAP: u32 = 0x8;
/// `NFT_SET_ELEM_INTERVAL_END`.
const ELEM_INTERVAL_END: u32 = 0x1;
/// `NFT_SET_ELEM_CATCHALL`: the `*` element.
const ELEM_CATCHALL: u32 = 0x2;
/// `NFT_DATA_VERDICT`.
pub(crate) const DATA_VERDICT: u32 = 0xffff_ff00;

/// What a rule may look up: one set or map of the rule's table.
#[derive(Debug, Clone, Default)]
pub struct SetInfo {
    /// `NFT_SET_*` flags.
    pub flags: u32,
    /// nft datatype id of the key.
    pub key_type: u32,
    /// Key length.
    pub key_len: u32,
    /// Data type of a map.
    pub data_type: Option<u32>,
    /// Elements.
    pub elems: Vec<RawElem>,
}

/// The sets and maps of one table, by name, so lookups into anonymous sets can be inlined.
#[derive(Debug, Clone, Default)]
pub struct SetLookupContext {
    /// Sets by name.
    pub sets: HashMap<String, SetInfo>,
    /// ipset names by kernel index, for xt `set` matches (whose blob holds only the index).
    pub ipset_names: HashMap<u16, String>,
}

/// A packet field a register was loaded from.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Addr {
        dir: Direction,
        v6: bool,
        full: u32,
    },
    L4Proto,
    Nfproto,
    EtherType,
    Port {
        dir: Direction,
        proto: Option<Protocol>,
    },
    IcmpType {
        v6: bool,
    },
    IcmpTypeCode {
        v6: bool,
    },
    IcmpCode {
        v6: bool,
    },
    TcpFlags,
    Iface(Direction),
    Mark,
    CtMark,
    CtState,
    CtStatus,
    CtDirection,
    EtherSaddr,
    Length,
    PktType,
    Ttl {
        v6: bool,
    },
    Tos,
    FragOff,
    SkUid,
    SkGid,
    Fib {
        flags: u32,
        result: u32,
    },
    /// A header field named by the table in `hdr_fields` (`ip length`).
    Hdr(HdrField),
    /// Whether an IPv6 extension header is present (`exthdr frag exists`).
    ExtPresent(String),
    /// TCP flags under a mask, as a set key (`tcp flags & (fin | syn)`).
    FlagsMasked(String),
    /// A host-order integer key made big-endian by `byteorder hton` (set lookups and
    /// ranges of `meta length`, `meta skuid`, `ct mark`, ...): its nft name, and whether nft
    /// prints it in hex (marks).
    BeInt {
        name: String,
        hex: bool,
    },
    /// `meta protocol` (the link layer's ethertype, network byte order).
    MetaProtocol,
    /// `meta iiftype` (`ARPHRD_*`, host byte order).
    IifType,
    Numgen {
        random: bool,
        modulus: u32,
        offset: u32,
    },
    Raw(String),
}

impl Field {
    /// nft's spelling of the field, for verbatim renderings.
    fn text(&self) -> String {
        match self {
            Field::Addr { dir, v6, .. } => format!(
                "{} {}addr",
                if *v6 { "ip6" } else { "ip" },
                if *dir == Direction::Src { "s" } else { "d" }
            ),
            Field::L4Proto => "meta l4proto".into(),
            Field::Nfproto => "meta nfproto".into(),
            Field::EtherType => "ether type".into(),
            Field::Port { dir, proto } => format!(
                "{} {}port",
                match proto {
                    Some(p) if p.has_ports() => p.to_string(),
                    _ => "th".into(),
                },
                if *dir == Direction::Src { "s" } else { "d" }
            ),
            Field::IcmpType { v6 } | Field::IcmpTypeCode { v6 } => {
                format!("{} type", if *v6 { "icmpv6" } else { "icmp" })
            }
            Field::IcmpCode { v6 } => format!("{} code", if *v6 { "icmpv6" } else { "icmp" }),
            Field::TcpFlags => "tcp flags".into(),
            Field::Iface(Direction::Src) => "iifname".into(),
            Field::Iface(Direction::Dst) => "oifname".into(),
            Field::Mark => "meta mark".into(),
            Field::CtMark => "ct mark".into(),
            Field::CtState => "ct state".into(),
            Field::CtStatus => "ct status".into(),
            Field::CtDirection => "ct direction".into(),
            Field::EtherSaddr => "ether saddr".into(),
            Field::Length => "meta length".into(),
            Field::PktType => "meta pkttype".into(),
            Field::Ttl { v6 } => if *v6 { "ip6 hoplimit" } else { "ip ttl" }.into(),
            Field::Tos => "ip dscp".into(),
            Field::FragOff => "ip frag-off".into(),
            Field::SkUid => "meta skuid".into(),
            Field::SkGid => "meta skgid".into(),
            Field::Fib { flags, result } => fib_text(*flags, *result),
            Field::Hdr(h) => h.name.into(),
            Field::ExtPresent(n) | Field::FlagsMasked(n) => n.clone(),
            Field::BeInt { name, .. } => name.clone(),
            Field::MetaProtocol => "meta protocol".into(),
            Field::IifType => "meta iiftype".into(),
            Field::Numgen {
                random,
                modulus,
                offset,
            } => {
                let k = if *random { "random" } else { "inc" };
                let off = if *offset != 0 {
                    format!(" offset {offset}")
                } else {
                    String::new()
                };
                format!("numgen {k} mod {modulus}{off}")
            }
            Field::Raw(s) => s.clone(),
        }
    }

    /// A value of the field as nft prints it.
    fn render(&self, b: &[u8]) -> String {
        match self {
            Field::Hdr(h) => hdr_fields::render(h, b),
            Field::IcmpCode { v6: false } => match b.first() {
                Some(0) => "net-unreachable".into(),
                Some(1) => "host-unreachable".into(),
                Some(2) => "prot-unreachable".into(),
                Some(3) => "port-unreachable".into(),
                Some(4) => "frag-needed".into(),
                Some(9) => "net-prohibited".into(),
                Some(10) => "host-prohibited".into(),
                Some(13) => "admin-prohibited".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::IcmpCode { v6: true } => match b.first() {
                Some(0) => "no-route".into(),
                Some(1) => "admin-prohibited".into(),
                Some(3) => "addr-unreachable".into(),
                Some(4) => "port-unreachable".into(),
                Some(5) => "policy-fail".into(),
                Some(6) => "reject-route".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::BeInt { hex: true, .. } => {
                let v = b.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x));
                format!("0x{v:08x}")
            }
            Field::BeInt { name, .. } => {
                raw_int_text(name, b.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x)))
            }
            Field::MetaProtocol => ether_type_name(u16_be(b)),
            Field::PktType => match b.first() {
                Some(0) => "host".into(),
                Some(1) => "broadcast".into(),
                Some(2) => "multicast".into(),
                Some(3) => "other".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::CtDirection => match b.first() {
                Some(0) => "original".into(),
                Some(1) => "reply".into(),
                Some(n) => n.to_string(),
                None => hex(b),
            },
            Field::IifType => iftype_name(b),
            Field::Fib { result: 3, .. } => format_value(38, b),
            Field::ExtPresent(_) => match b.first() {
                Some(0) => "missing".into(),
                Some(1) => "exists".into(),
                _ => hex(b),
            },
            Field::Ttl { .. } | Field::FragOff => b
                .iter()
                .fold(0u64, |v, x| (v << 8) | u64::from(*x))
                .to_string(),
            Field::Fib { .. } => u32_ne(b).to_string(),
            // Interface indexes by name, as nft prints them (`iif "lo"`).
            Field::Raw(r) if r == "iif" || r == "oif" => format_value(20, b),
            Field::Raw(r) => raw_value_text(r, b),
            Field::TcpFlags | Field::FlagsMasked(_) => tcp_flags_text(b),
            _ => format_value(self.type_id(), b),
        }
    }

    /// The nft datatype id of the field, for rendering values.
    fn type_id(&self) -> u32 {
        match self {
            Field::Addr { v6: false, .. } => 7,
            Field::Addr { v6: true, .. } => 8,
            Field::L4Proto => 12,
            Field::Port { .. } => 13,
            Field::IcmpType { v6: false } => 14,
            Field::IcmpType { v6: true } => 29,
            Field::Iface(_) => 41,
            Field::Mark | Field::CtMark => 19,
            Field::EtherSaddr => 9,
            Field::SkUid => 24,
            Field::SkGid => 25,
            Field::Nfproto => 2,
            Field::CtState => 26,
            Field::CtStatus => 28,
            Field::Fib { result: 3, .. } => 38,
            Field::EtherType => 10,
            Field::PktType => 31,
            Field::Raw(r) if r == "iif" || r == "oif" => 20,
            _ => 4,
        }
    }

    fn set_key(&self) -> SetKey {
        match self {
            Field::Addr {
                dir: Direction::Src,
                v6: false,
                ..
            } => SetKey::Saddr,
            Field::Addr {
                dir: Direction::Dst,
                v6: false,
                ..
            } => SetKey::Daddr,
            Field::Addr {
                dir: Direction::Src,
                v6: true,
                ..
            } => SetKey::Saddr6,
            Field::Addr {
                dir: Direction::Dst,
                v6: true,
                ..
            } => SetKey::Daddr6,
            Field::Port {
                dir,
                proto: Some(proto),
            } => SetKey::TransportPort {
                proto: *proto,
                dir: *dir,
            },
            Field::Port {
                dir: Direction::Src,
                ..
            } => SetKey::Sport,
            Field::Port {
                dir: Direction::Dst,
                ..
            } => SetKey::Dport,
            Field::Iface(Direction::Src) => SetKey::IifName,
            Field::Iface(Direction::Dst) => SetKey::OifName,
            Field::L4Proto => SetKey::L4Proto,
            Field::Mark => SetKey::Mark,
            other => SetKey::Other(other.text()),
        }
    }
}

fn fib_text(flags: u32, result: u32) -> String {
    let mut parts = Vec::new();
    if flags & 1 != 0 {
        parts.push("saddr");
    }
    if flags & 2 != 0 {
        parts.push("daddr");
    }
    if flags & 4 != 0 {
        parts.push("mark");
    }
    if flags & 8 != 0 {
        parts.push("iif");
    }
    if flags & 16 != 0 {
        parts.push("oif");
    }
    let res = match result {
        1 => "oif",
        2 => "oifname",
        3 => "type",
        _ => "?",
    };
    format!("fib {} {res}", parts.join(" . "))
}

/// What a register holds.
#[derive(Debug, Clone)]
enum Reg {
    Load {
        field: Field,
        len: u32,
        mask: Option<Vec<u8>>,
        xor: Option<Vec<u8>>,
    },
    Imm(Vec<u8>),
    Text(String),
}

/// Layer-3 and layer-4 protocol context, as learned from the family and earlier matches.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    /// `Some(true)` IPv6, `Some(false)` IPv4.
    l3_v6: Option<bool>,
    l4: Option<Protocol>,
    /// The network header is ARP's (family arp, or `ether type arp`).
    arp: bool,
    /// A VLAN tag follows the link-layer header (`ether type 8021q`).
    vlan: bool,
    /// The ICMP(v6) type a compare fixed.
    icmp_type: Option<u8>,
}

struct State<'a> {
    family: Family,
    sets: &'a SetLookupContext,
    regs: HashMap<u32, Reg>,
    ctx: Ctx,
    rule: Rule,
    comments: Vec<String>,
    /// Index of the `meta l4proto`/`ip protocol` match that set the layer-4 context.
    l4_dep: Option<usize>,
    /// Whether a later expression read the transport header under that context.
    l4_dep_used: bool,
    /// Whether any expression read the network or transport header.
    l3_dep_used: bool,
    /// Whether the last match came from a one-sided port bound (`>=`, `<`, ...).
    last_was_bound: bool,
    /// The last one-sided bound: its field, the range it allows, and its match's index.
    last_bound: Option<(Field, u128, u128, usize)>,
    /// Whether a VLAN header field was read (under `ether type 8021q`).
    vlan_dep_used: bool,
    /// Whether the rule rejects with an ICMP or ICMPv6 error (which needs the family).
    reject_icmp: bool,
    /// Index of the `icmp type X` match a type-specific field may depend on.
    icmp_dep: Option<usize>,
    /// Whether such a field was read.
    icmp_dep_used: bool,
    /// 32-bit registers whose value a `byteorder hton` made big-endian.
    hton: std::collections::HashSet<u32>,
}

/// Turns a rule's expressions into a model rule (matches, statements, verdict, counters,
/// xt comments). The rule's userdata comment is the caller's business. Never fails: what
/// cannot be modelled is kept verbatim as `Other`.
pub fn delinearize(family: Family, exprs: &[Expr], sets: &SetLookupContext) -> Rule {
    let mut st = State {
        family,
        sets,
        regs: HashMap::new(),
        ctx: Ctx {
            l3_v6: match family {
                Family::Ip => Some(false),
                Family::Ip6 => Some(true),
                _ => None,
            },
            l4: None,
            arp: family == Family::Arp,
            vlan: false,
            icmp_type: None,
        },
        rule: Rule::default(),
        comments: Vec::new(),
        l4_dep: None,
        l4_dep_used: false,
        l3_dep_used: false,
        last_was_bound: false,
        last_bound: None,
        vlan_dep_used: false,
        reject_icmp: false,
        icmp_dep: None,
        icmp_dep_used: false,
        hton: std::collections::HashSet::new(),
    };
    for e in exprs {
        st.expr(e);
    }
    st.finish()
}

fn u32_ne(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    for (i, x) in b.iter().take(4).enumerate() {
        a[i] = *x;
    }
    u32::from_ne_bytes(a)
}

fn u16_be(b: &[u8]) -> u16 {
    match b {
        [a, c, ..] => u16::from_be_bytes([*a, *c]),
        [a] => u16::from(*a) << 8,
        [] => 0,
    }
}

fn ip_from(b: &[u8], v6: bool) -> Option<IpAddr> {
    if v6 {
        let mut a = [0u8; 16];
        let n = b.len().min(16);
        a[..n].copy_from_slice(&b[..n]);
        Some(IpAddr::V6(Ipv6Addr::from(a)))
    } else {
        let mut a = [0u8; 4];
        let n = b.len().min(4);
        a[..n].copy_from_slice(&b[..n]);
        Some(IpAddr::V4(Ipv4Addr::from(a)))
    }
}

/// Number of leading one bits if `mask` is a prefix mask.
fn prefix_len(mask: &[u8]) -> Option<u8> {
    let mut n = 0u32;
    let mut seen_zero = false;
    for b in mask {
        for i in (0..8).rev() {
            if b & (1 << i) != 0 {
                if seen_zero {
                    return None;
                }
                n += 1;
            } else {
                seen_zero = true;
            }
        }
    }
    u8::try_from(n).ok()
}

fn addr_spec(b: &[u8], v6: bool, plen: u8) -> Option<AddrSpec> {
    let ip = ip_from(b, v6)?;
    IpNet::new(ip, plen).ok().map(AddrSpec::net)
}

/// An inclusive range of addresses as a prefix when it is one, else a range.
fn addr_range(first: &[u8], last: &[u8], v6: bool) -> Option<AddrSpec> {
    let f = ip_from(first, v6)?;
    let l = ip_from(last, v6)?;
    let (fv, lv, bits) = match (f, l) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return None,
    };
    let span = lv.wrapping_sub(fv).wrapping_add(1);
    if lv >= fv && (span == 0 || span.is_power_of_two()) {
        let host_bits = if span == 0 {
            bits
        } else {
            span.trailing_zeros()
        };
        if host_bits <= bits && (host_bits == 128 || fv & ((1u128 << host_bits) - 1) == 0) {
            let plen = u8::try_from(bits - host_bits).ok()?;
            return IpNet::new(f, plen).ok().map(AddrSpec::net);
        }
    }
    Some(AddrSpec::Range { first: f, last: l })
}

/// The owner match of a `meta skuid`/`meta skgid` value or range.
fn owner(field: &Field, v: String) -> MatchKind {
    let uid = matches!(field, Field::SkUid);
    MatchKind::Owner {
        uid: uid.then(|| v.clone()),
        gid: (!uid).then_some(v),
        socket_exists: false,
    }
}

/// The field an SCTP chunk load reads (`sctp chunk init initial-tsn`), or its presence.
fn sctp_chunk_field(kind: u32, off: u32, len: u32, present: bool) -> Option<Field> {
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
fn tcp_option_field(kind: u32, off: u32, len: u32, present: bool) -> Option<Field> {
    let name = match kind {
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
    };
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

/// An inclusive range of addresses as written: one address, or the range (never a prefix).
fn addr_range_exact(first: &[u8], last: &[u8], v6: bool) -> Option<AddrSpec> {
    let f = ip_from(first, v6)?;
    let l = ip_from(last, v6)?;
    if f == l {
        let bits = if v6 { 128 } else { 32 };
        return IpNet::new(f, bits).ok().map(AddrSpec::net);
    }
    Some(AddrSpec::Range { first: f, last: l })
}

fn iface_pattern(b: &[u8]) -> IfacePattern {
    match b.iter().position(|x| *x == 0) {
        Some(end) => IfacePattern::Exact(String::from_utf8_lossy(&b[..end]).into_owned()),
        None => IfacePattern::Prefix(String::from_utf8_lossy(b).into_owned()),
    }
}

/// An interface-name element of an interval set: one name, or a wildcard `"cali*"`, which
/// nft stores as the range from `cali` padded with zeros to `cali` padded with 0xff.
fn iface_range(first: &[u8], last: &[u8]) -> Option<IfacePattern> {
    if first == last {
        return Some(iface_pattern(first));
    }
    let n = first.iter().position(|x| *x == 0)?;
    let wildcard = first[n..].iter().all(|x| *x == 0)
        && last.len() == first.len()
        && last[..n] == first[..n]
        && last[n..].iter().all(|x| *x == 0xff);
    wildcard.then(|| IfacePattern::Prefix(String::from_utf8_lossy(&first[..n]).into_owned()))
}

fn ct_status_names(bits: u32) -> Vec<String> {
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

fn addrtype_names(bits: u32) -> Vec<String> {
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

/// A match kept verbatim, as the nft text and JSON parsers keep one: module `nft`, the
/// whole nft text as arguments.
fn other(text: String) -> MatchKind {
    MatchKind::Other {
        module: "nft".to_string(),
        args: text,
        lossy: false,
    }
}

fn cmp_op_text(op: u32) -> &'static str {
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

/// One value or range of a set, in key bytes.
struct Interval {
    first: Vec<u8>,
    last: Vec<u8>,
    /// The element the interval starts with (its map data).
    elem: RawElem,
}

fn be_add(b: &[u8], delta: i8) -> Vec<u8> {
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
fn intervals(info: &SetInfo) -> Vec<Interval> {
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
    let mut i = 0;
    while i < elems.len() {
        let e = elems[i];
        if e.flags & ELEM_INTERVAL_END != 0 {
            i += 1;
            continue;
        }
        let end = elems[i + 1..]
            .iter()
            .position(|x| x.flags & ELEM_INTERVAL_END != 0)
            .map(|p| i + 1 + p);
        let last = match end {
            Some(j) => be_add(&elems[j].key, -1),
            None => vec![0xff; e.key.len()],
        };
        out.push(Interval {
            first: e.key.clone(),
            last,
            elem: e.clone(),
        });
        i = end.map_or(elems.len(), |j| j + 1);
    }
    out
}

/// An address range as nft prints it: a prefix when it is one, else `a-b`.
pub(crate) fn addr_text(first: &[u8], last: &[u8], v6: bool) -> String {
    addr_range(first, last, v6).map_or_else(|| hex(first), |a| a.to_string())
}

fn elem_data_text(info: &SetInfo, e: &RawElem) -> String {
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

fn split_concat_text(t: u32, d: &[u8]) -> String {
    let types = split_concat(t, d.len() as u32);
    if types.len() > 1 {
        format_concat(&types, d)
    } else {
        format_value(t, d)
    }
}

/// A key of `fields` (a concatenation if several, each of the given byte length and padded
/// to 32 bits) as nft prints it.
fn key_value_text(fields: &[Field], lens: &[u32], b: &[u8]) -> String {
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
fn range_text(fields: &[Field], lens: &[u32], first: &[u8], last: &[u8]) -> String {
    if first == last {
        return key_value_text(fields, lens, first);
    }
    if let [Field::Addr { v6, .. }] = fields {
        if let Some(a) = addr_range(first, last, *v6) {
            return a.to_string();
        }
    }
    // `iifname { "eth*" }`: every name that starts with the prefix.
    if let [Field::Iface(_)] = fields {
        if let Some(p) = super::elements::wildcard_prefix(first, last) {
            return format!("\"{}*\"", String::from_utf8_lossy(p));
        }
    }
    if let ([Field::L4Proto], [a, ..], [b, ..]) = (fields, first, last) {
        return format!("{a}-{b}");
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
fn set_text(info: &SetInfo, fields: &[Field], lens: &[u32], with_data: bool) -> String {
    if with_data && info.data_type.is_some_and(|t| t != DATA_VERDICT) {
        let types: Vec<u32> = fields.iter().map(Field::type_id).collect();
        return super::elements::anonymous_set_text(
            &types,
            info.flags,
            info.data_type,
            &info.elems,
            with_data,
        );
    }
    let mut items: Vec<(Vec<u8>, String)> = Vec::new();
    // The catch-all element `*` (listed first, as nft does) stays out of the intervals.
    let (catchall, elems): (Vec<RawElem>, Vec<RawElem>) = info
        .elems
        .iter()
        .cloned()
        .partition(|e| e.flags & ELEM_CATCHALL != 0);
    for e in &catchall {
        let t = if with_data {
            format!("* : {}", elem_data_text(info, e))
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
            items.push((
                e.key.clone(),
                format!("{key} : {}", elem_data_text(info, e)),
            ));
        }
    } else {
        for iv in intervals(info) {
            let mut t = range_text(fields, lens, &iv.first, &iv.last);
            if with_data {
                t = format!("{t} : {}", elem_data_text(info, &iv.elem));
            }
            items.push((iv.first, t));
        }
    }
    items.sort();
    let parts: Vec<String> = items.into_iter().map(|(_, t)| t).collect();
    format!("{{ {} }}", parts.join(", "))
}

impl State<'_> {
    fn reg(&self, r: u32) -> Option<&Reg> {
        reg32(r).and_then(|i| self.regs.get(&i))
    }

    fn set_reg(&mut self, r: u32, v: Reg) {
        if let Some(i) = reg32(r) {
            self.regs.insert(i, v);
            self.hton.remove(&i);
        }
    }

    fn push(&mut self, negated: bool, kind: MatchKind) {
        self.last_was_bound = false;
        self.last_bound = None;
        self.rule.matches.push(Match::with_negation(kind, negated));
    }

    /// Keeps an expression nfdiff does not model verbatim, in nft's text.
    fn push_other(&mut self, text: String) {
        self.push(false, other(text));
    }

    /// The fields of a concatenation starting at `sreg` covering `len` bytes.
    fn concat_fields(&self, sreg: u32, len: usize) -> Option<Vec<(Field, u32)>> {
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
                    // A masked field (`vlan id`) by its mask; a byte-swapped integer (`meta
                    // mark` in an interval set) as the big-endian number it now is.
                    let f = match mask.as_deref().and_then(|m| self.masked_hdr(field, m)) {
                        Some(h) => Field::Hdr(h),
                        None if self.hton.contains(&idx)
                            && matches!(
                                field,
                                Field::Length
                                    | Field::SkUid
                                    | Field::SkGid
                                    | Field::Mark
                                    | Field::CtMark
                                    | Field::Raw(_)
                            ) =>
                        {
                            Field::BeInt {
                                name: field.text(),
                                hex: matches!(field, Field::Mark | Field::CtMark),
                            }
                        }
                        None => field.clone(),
                    };
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

    fn payload(&self, base: u32, offset: u32, len: u32) -> Field {
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

    /// `dup sreg_addr N` (without a device: the device is an interface index only the
    /// host can name) as nft lists it, `dup to 192.168.2.1`; `false` otherwise.
    fn dup(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let ["sreg_addr", r] = w.as_slice() else {
            return false;
        };
        let Some(Reg::Imm(b)) = r.parse::<u32>().ok().and_then(|r| self.reg(r).cloned()) else {
            return false;
        };
        let v6 = match b.len() {
            4 => false,
            16 => true,
            _ => return false,
        };
        let Some(ip) = ip_from(&b, v6) else {
            return false;
        };
        self.rule.statements.push(Statement::Other {
            target: "dup".into(),
            args: format!("to {ip}"),
            lossy: false,
        });
        true
    }

    /// `tproxy [ip|ip6] [addr reg N] [port reg M]` as nft lists it (`tproxy ip to 1.2.3.4:80`,
    /// the family only in tables of several families); `false` if it does not read so.
    fn tproxy(&mut self, raw: &str) -> bool {
        let w: Vec<&str> = raw.split_whitespace().collect();
        let (fam, rest) = match w.as_slice() {
            [f @ ("ip" | "ip6"), rest @ ..] => (Some(*f), rest),
            rest => (None, rest),
        };
        let (mut addr, mut port) = (None, None);
        let mut i = 0;
        while i < rest.len() {
            match (rest.get(i), rest.get(i + 1), rest.get(i + 2)) {
                (Some(&"addr"), Some(&"reg"), Some(r)) => addr = r.parse::<u32>().ok(),
                (Some(&"port"), Some(&"reg"), Some(r)) => port = r.parse::<u32>().ok(),
                _ => return false,
            }
            i += 3;
        }
        let v6 = fam == Some("ip6");
        let a = match addr.map(|r| self.reg(r).cloned()) {
            Some(Some(Reg::Imm(b))) => {
                let Some(ip) = ip_from(&b, v6) else {
                    return false;
                };
                if v6 {
                    format!("[{ip}]")
                } else {
                    ip.to_string()
                }
            }
            Some(_) => return false,
            None => String::new(),
        };
        let p = match port.map(|r| self.reg(r).cloned()) {
            Some(Some(Reg::Imm(b))) => format!(":{}", u16_be(&b)),
            Some(_) => return false,
            None => String::new(),
        };
        let f = match fam {
            Some(f) if !matches!(self.family, Family::Ip | Family::Ip6) => format!("{f} "),
            _ => String::new(),
        };
        self.rule.statements.push(Statement::Other {
            target: "tproxy".into(),
            args: format!("{f}to {a}{p}"),
            lossy: false,
        });
        true
    }

    /// An IPv6 extension header or TCP option load (`load ipv6 2b @ 44 + 2 [present] =>
    /// reg 1`, `load tcpopt 2b @ 2 + 2 => reg 1`) as the field it reads; `false` for other
    /// `exthdr` forms.
    fn exthdr(&mut self, raw: &str) -> bool {
        let mut w: Vec<&str> = raw.split_whitespace().collect();
        // SCTP chunks are printed without a type word (`load 1b @ 0 + 0 present => reg 1`).
        if w.get(1).is_some_and(|x| x.ends_with('b')) {
            w.insert(1, "sctp");
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
    fn hdr(&self, base: u32, offset: u32) -> Option<Hdr> {
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

    /// A raw payload field (`@nh,0,8`) with a mask, as the header field it selects.
    fn masked_hdr(&self, field: &Field, mask: &[u8]) -> Option<HdrField> {
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

    fn payload_typed(&self, base: u32, offset: u32, len: u32) -> Field {
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
                (Some(false), 9, 1) => Field::L4Proto,
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
                (Some(true), 6, 1) => Field::L4Proto,
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
                    (None, 0, 2) if self.ctx.l4.map_or(true, Protocol::has_ports) => Field::Port {
                        dir: Direction::Src,
                        proto: self.ctx.l4,
                    },
                    (None, 2, 2) if self.ctx.l4.map_or(true, Protocol::has_ports) => Field::Port {
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
    fn split_fields(&self, field: &Field, data: &[u8]) -> Option<Vec<(Field, Vec<u8>)>> {
        let Field::Raw(r) = field else {
            return None;
        };
        let (base, rest) = r.strip_prefix('@')?.split_once(',')?;
        let (off, len) = rest.split_once(',')?;
        let off: u32 = off.parse().ok()?;
        let len: u32 = len.parse().ok()?;
        if data.len() as u64 * 8 != u64::from(len) || data.len() > 64 || off % 8 != 0 {
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

    fn meta_field(key: u32) -> Field {
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
            other => Field::Raw(format!("meta {}", meta_key_name(other))),
        }
    }

    fn ct_field(key: u32, dir: Option<u8>) -> Field {
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

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                let mut field = self.payload(*base, *offset, *len);
                // ICMP fields that exist for one type only (`icmp mtu` of destination
                // unreachable, `icmp gateway` of redirect): the type compare before is their
                // dependency.
                if let (2, Some(t)) = (*base, self.ctx.icmp_type) {
                    let named = match (self.ctx.l4.map(|p| p.0), t, *offset, *len) {
                        (Some(1), 3, 6, 2) => Some("icmp mtu"),
                        (Some(1), 5, 4, 4) => Some("icmp gateway"),
                        (Some(58), 2, 4, 4) => Some("icmpv6 mtu"),
                        (Some(58), 130..=132, 4, 2) => Some("icmpv6 max-delay"),
                        _ => None,
                    };
                    if let Some(name) = named {
                        field = Field::Hdr(HdrField {
                            name,
                            kind: hdr_fields::Kind::Int,
                            mask: 0,
                        });
                        self.icmp_dep_used = true;
                    }
                }
                if *base == 2 && self.ctx.l4.is_some() {
                    self.l4_dep_used = true;
                }
                if *base == 0 && self.ctx.vlan && *offset >= 14 {
                    self.vlan_dep_used = true;
                }
                if *base == 1 {
                    self.l3_dep_used = true;
                }
                self.set_reg(
                    *dreg,
                    Reg::Load {
                        field,
                        len: *len,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Meta {
                key, dreg: Some(d), ..
            } => {
                let len = match key {
                    6 | 7 => 16,
                    15 | 16 | 19 => 1,
                    _ => 4,
                };
                self.set_reg(
                    *d,
                    Reg::Load {
                        field: Self::meta_field(*key),
                        len,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Ct {
                key,
                dreg: Some(d),
                dir,
                ..
            } => {
                let len = match key {
                    1 => 1,
                    _ => 4,
                };
                self.set_reg(
                    *d,
                    Reg::Load {
                        field: Self::ct_field(*key, *dir),
                        len,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Fib {
                flags,
                result,
                dreg,
            } => self.set_reg(
                *dreg,
                Reg::Load {
                    field: Field::Fib {
                        flags: *flags,
                        result: *result,
                    },
                    len: 4,
                    mask: None,
                    xor: None,
                },
            ),
            Expr::Numgen {
                dreg,
                modulus,
                kind,
                offset,
            } => {
                self.set_reg(
                    *dreg,
                    Reg::Load {
                        field: Field::Numgen {
                            random: *kind == 1,
                            modulus: *modulus,
                            offset: *offset,
                        },
                        len: 4,
                        mask: None,
                        xor: None,
                    },
                );
            }
            Expr::Bitwise {
                sreg,
                dreg,
                op,
                mask,
                xor,
                data,
                ..
            } => {
                let v = match (self.reg(*sreg).cloned(), op) {
                    (
                        Some(Reg::Load {
                            field,
                            len,
                            mask: None,
                            xor: None,
                        }),
                        0,
                    ) => Reg::Load {
                        field,
                        len,
                        mask: Some(mask.clone()),
                        xor: Some(xor.clone()),
                    },
                    (Some(Reg::Load { field, .. }), op) => {
                        let o = if *op == 1 { "<<" } else { ">>" };
                        Reg::Text(format!("{} {o} {}", field.text(), u32_ne(data)))
                    }
                    (Some(Reg::Imm(v)), 0) => {
                        let r: Vec<u8> = v
                            .iter()
                            .zip(mask.iter().chain(std::iter::repeat(&0xff)))
                            .zip(xor.iter().chain(std::iter::repeat(&0)))
                            .map(|((a, m), x)| (a & m) ^ x)
                            .collect();
                        Reg::Imm(r)
                    }
                    _ => Reg::Text("bitwise".into()),
                };
                self.set_reg(*dreg, v);
            }
            Expr::Byteorder { sreg, dreg, op, .. } => {
                if let Some(v) = self.reg(*sreg).cloned() {
                    self.set_reg(*dreg, v);
                    // A host-order value turned big-endian, for `<`/`>` compares.
                    if *op == 1 {
                        if let Some(i) = reg32(*dreg) {
                            self.hton.insert(i);
                        }
                    }
                }
            }
            Expr::Immediate { dreg, data } => match data {
                ImmData::Verdict { code, chain } => self.verdict(*code, chain.clone()),
                ImmData::Value(v) => self.set_reg(*dreg, Reg::Imm(v.clone())),
            },
            Expr::Cmp { sreg, op, data } => self.cmp(*sreg, *op, data),
            Expr::Range { sreg, op, from, to } => self.range(*sreg, *op, from, to),
            Expr::Lookup {
                set,
                sreg,
                dreg,
                invert,
            } => self.lookup(set, *sreg, *dreg, *invert),
            Expr::Counter { packets, bytes } => {
                self.rule.counters = Some(Counters {
                    packets: *packets,
                    bytes: *bytes,
                })
            }
            Expr::Meta {
                key, sreg: Some(s), ..
            } => self.meta_set(*key, *s),
            Expr::Ct {
                key,
                sreg: Some(s),
                dir,
                ..
            } => self.ct_set(*key, *s, *dir),
            Expr::Nat {
                nat_type,
                family,
                reg_addr_min,
                reg_addr_max,
                reg_proto_min,
                reg_proto_max,
                flags,
            } => {
                let v6 = *family == 10;
                let addr = self.addr_regs(*reg_addr_min, *reg_addr_max, v6);
                let port = self.port_regs(*reg_proto_min, *reg_proto_max);
                let kind = if *nat_type == 0 {
                    NatKind::Snat
                } else {
                    NatKind::Dnat
                };
                self.rule.statements.push(Statement::Nat {
                    kind,
                    addr,
                    port,
                    flags: nat_flags(*flags),
                });
            }
            Expr::Masq {
                flags,
                reg_proto_min,
                reg_proto_max,
            } => {
                let port = self.port_regs(*reg_proto_min, *reg_proto_max);
                self.rule.statements.push(Statement::Nat {
                    kind: NatKind::Masquerade,
                    addr: None,
                    port,
                    flags: nat_flags(*flags),
                });
            }
            Expr::Redir {
                flags,
                reg_proto_min,
                reg_proto_max,
            } => {
                let port = self.port_regs(*reg_proto_min, *reg_proto_max);
                self.rule.statements.push(Statement::Nat {
                    kind: NatKind::Redirect,
                    addr: None,
                    port,
                    flags: nat_flags(*flags),
                });
            }
            Expr::Reject { reject_type, code } => {
                let v6 = self.family == Family::Ip6 || self.ctx.l3_v6 == Some(true);
                self.reject_icmp = *reject_type == 0;
                let with = reject_text(v6, *reject_type, *code);
                self.rule.verdict = Some(Verdict::Reject { with });
            }
            Expr::Log {
                prefix,
                group,
                level,
                flags,
                snaplen,
                qthreshold,
            } => {
                let mut extra = Vec::new();
                if let Some(s) = snaplen {
                    extra.push(format!("snaplen {s}"));
                }
                if let Some(q) = qthreshold {
                    extra.push(format!("queue-threshold {q}"));
                }
                if *flags != 0 {
                    extra.extend(log_flags(*flags));
                }
                self.rule.statements.push(Statement::Log {
                    prefix: prefix.clone(),
                    level: level.filter(|l| *l != 4).map(log_level_name),
                    group: *group,
                    extra,
                });
            }
            Expr::Limit {
                rate,
                unit,
                burst,
                kind,
                flags,
            } => {
                let u = match unit {
                    1 => "second",
                    60 => "minute",
                    3600 => "hour",
                    86400 => "day",
                    604800 => "week",
                    _ => "second",
                };
                if *kind == 0 {
                    self.push(
                        flags & 1 != 0,
                        MatchKind::Limit {
                            rate: format!("{rate}/{u}"),
                            burst: (*burst != 0 && *burst != 5).then_some(*burst),
                        },
                    );
                } else {
                    let over = if flags & 1 != 0 { "over " } else { "" };
                    let burst = if *burst != 0 {
                        format!(" burst {}", byte_units(u64::from(*burst)))
                    } else {
                        String::new()
                    };
                    self.push_other(format!("limit rate {over}{}/{u}{burst}", byte_units(*rate)));
                }
            }
            Expr::Match { name, rev, info } => {
                let names = &self.sets.ipset_names;
                let resolve = |i: u16| names.get(&i).cloned();
                let cx = XtContext {
                    family: self.family,
                    l4: self.ctx.l4,
                    ipset_name: &resolve,
                };
                let m = decode_xt_match(name, *rev, info, &cx);
                if let Some(c) = m.comment {
                    self.comments.push(c);
                }
                self.rule.matches.extend(m.matches);
            }
            Expr::Target { name, rev, info } => {
                let names = &self.sets.ipset_names;
                let resolve = |i: u16| names.get(&i).cloned();
                let cx = XtContext {
                    family: self.family,
                    l4: self.ctx.l4,
                    ipset_name: &resolve,
                };
                let t = decode_xt_target(name, *rev, info, &cx);
                self.rule.statements.extend(t.statements);
                if t.verdict.is_some() {
                    self.rule.verdict = t.verdict;
                }
            }
            Expr::Notrack => self.rule.statements.push(Statement::Notrack),
            Expr::Dynset {
                op,
                set,
                sreg_key,
                sreg_data,
                timeout,
            } => {
                let key = self.key_text(*sreg_key, set);
                let data = sreg_data
                    .and_then(|r| self.reg(r).cloned())
                    .map(|r| format!(" : {}", reg_text(&r)))
                    .unwrap_or_default();
                let t = timeout
                    .map(|t| format!(" timeout {}", time_text(t)))
                    .unwrap_or_default();
                let verb = match op {
                    0 => "add",
                    1 => "update",
                    _ => "delete",
                };
                self.rule.statements.push(Statement::Other {
                    target: verb.into(),
                    args: format!("@{set} {{ {key}{t}{data} }}"),
                    lossy: false,
                });
            }
            Expr::Objref {
                obj_type,
                name,
                set,
                sreg,
            } => match (name, set) {
                (Some(n), _) => self.rule.statements.push(Statement::ObjectRef {
                    kind: obj_type_name(*obj_type).to_string(),
                    name: n.clone(),
                }),
                (None, Some(s)) => {
                    let key = sreg
                        .and_then(|r| self.reg(r).cloned())
                        .map(|r| reg_text(&r))
                        .unwrap_or_default();
                    self.rule.statements.push(Statement::Other {
                        target: obj_type_name(*obj_type).to_string(),
                        args: format!("name {key} map @{s}"),
                        lossy: false,
                    });
                }
                _ => {}
            },
            Expr::Queue { num, total, flags } => {
                // As nft lists it: `queue flags bypass,fanout to 4-5`.
                let mut a = Vec::new();
                if *flags & 0x1 != 0 {
                    a.push("bypass".to_string());
                }
                if *flags & 0x2 != 0 {
                    a.push("fanout".to_string());
                }
                let mut s = if *total > 1 {
                    format!("to {}-{}", num, u32::from(*num) + u32::from(*total) - 1)
                } else {
                    format!("to {num}")
                };
                if !a.is_empty() {
                    s = format!("flags {} {s}", a.join(","));
                }
                self.rule.verdict = Some(Verdict::Queue(s));
            }
            Expr::Quota { bytes, flags } => {
                // A quota is a condition (it stops matching once used up); nft text keeps it
                // among the matches.
                let over = if flags & 1 != 0 { "over " } else { "" };
                self.push_other(format!("quota {over}{}", byte_units(*bytes)));
            }
            Expr::PayloadSet {
                base,
                offset,
                len,
                sreg,
            } => {
                let v = self
                    .reg(*sreg)
                    .cloned()
                    .map(|r| reg_text(&r))
                    .unwrap_or_default();
                let f = self.payload(*base, *offset, *len).text();
                self.rule.statements.push(Statement::Other {
                    target: f,
                    args: format!("set {v}"),
                    lossy: false,
                });
            }
            Expr::Meta { key, .. } => self.push_other(format!("meta {}", meta_key_name(*key))),
            Expr::Ct { key, .. } => self.push_other(format!("ct {}", ct_key_name(*key))),
            Expr::Unknown { name, raw } if name == "exthdr" && self.exthdr(raw) => {}
            Expr::Unknown { name, raw } if name == "tproxy" && self.tproxy(raw) => {}
            Expr::Unknown { name, raw } if name == "dup" && self.dup(raw) => {}
            Expr::Unknown { name, raw } if raw.contains("=> reg ") => {
                // A load nfdiff does not model (exthdr, osf, socket, rt, ...): the register
                // holds it verbatim, so the compare that follows stays readable.
                let text = raw.trim().to_string();
                let reg = text
                    .rsplit("=> reg ")
                    .next()
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|r| r.parse::<u32>().ok());
                if let Some(r) = reg {
                    let shown = text.split(" => reg ").next().unwrap_or_default().trim();
                    self.set_reg(r, Reg::Text(format!("{name} {shown}")));
                }
            }
            Expr::Unknown { name, raw } => {
                self.rule.statements.push(Statement::Other {
                    target: name.clone(),
                    args: raw.trim().to_string(),
                    lossy: false,
                });
            }
        }
    }

    fn verdict(&mut self, code: i32, chain: Option<String>) {
        let v = match code {
            1 => Verdict::Accept,
            0 => Verdict::Drop,
            -1 => Verdict::Continue,
            -3 => Verdict::Jump(chain.unwrap_or_default()),
            -4 => Verdict::Goto(chain.unwrap_or_default()),
            -5 => Verdict::Return,
            3 => Verdict::Queue(String::new()),
            other => Verdict::Other(verdict_text(other, chain.as_deref())),
        };
        self.rule.verdict = Some(v);
    }

    fn addr_regs(&self, min: Option<u32>, max: Option<u32>, v6: bool) -> Option<String> {
        let first = self.reg(min?)?;
        let text = |r: &Reg| match r {
            Reg::Imm(b) => ip_from(b, v6).map_or_else(|| hex(b), |a| a.to_string()),
            other => reg_text(other),
        };
        let a = text(first);
        match max.and_then(|m| self.reg(m)) {
            Some(last) if Some(m_same(min, max)) != Some(true) => {
                let b = text(last);
                if b == a {
                    Some(a)
                } else {
                    Some(format!("{a}-{b}"))
                }
            }
            _ => Some(a),
        }
    }

    fn port_regs(&self, min: Option<u32>, max: Option<u32>) -> Option<String> {
        let text = |r: &Reg| match r {
            Reg::Imm(b) => u16_be(b).to_string(),
            other => reg_text(other),
        };
        let a = text(self.reg(min?)?);
        match max.and_then(|m| self.reg(m)) {
            Some(last) if !m_same(min, max) => {
                let b = text(last);
                if b == a {
                    Some(a)
                } else {
                    Some(format!("{a}-{b}"))
                }
            }
            _ => Some(a),
        }
    }

    fn meta_set(&mut self, key: u32, sreg: u32) {
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

    fn ct_set(&mut self, key: u32, sreg: u32, dir: Option<u8>) {
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

    fn cmp(&mut self, sreg: u32, op: u32, data: &[u8]) {
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
                    None => self.push_other(format!(
                        "{} & {} {}{}",
                        field.text(),
                        hex(m.unwrap_or_default()),
                        cmp_op_text(op),
                        format_value(field.type_id(), data)
                    )),
                }
            }
            (Field::L4Proto, None) if eq_or_neq && !data.is_empty() => {
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
                        mode: "random".into(),
                        probability: Some(format!("{:.11}", 1.0 / f64::from(*modulus))),
                        every: None,
                        packet: None,
                    }
                } else {
                    MatchKind::Statistic {
                        mode: "nth".into(),
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
                | Field::BeInt { .. }
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
                    2 => "lt",
                    4 => "gt",
                    _ => "eq",
                };
                self.push(
                    neg,
                    MatchKind::Ttl {
                        v6: *v6,
                        op: o.into(),
                        value: data[0],
                    },
                );
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
                let masked = match m {
                    Some(m) => {
                        let x = xor
                            .as_deref()
                            .filter(|x| x.iter().any(|b| *b != 0))
                            .map(|x| format!(" ^ {}", hex(x)))
                            .unwrap_or_default();
                        format!("{} & {}{x}", f.text(), hex(m))
                    }
                    None => f.text(),
                };
                let swapped = reg32(sreg).is_some_and(|i| self.hton.contains(&i));
                let value = match f {
                    Field::Raw(r) if r == "iif" || r == "oif" => format_value(20, data),
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
                self.push_other(format!("{masked} {}{value}", cmp_op_text(op)));
            }
        }
    }

    /// A one-sided compare (`<`, `<=`, `>`, `>=`) of a port, length or address: the range
    /// it allows, intersected with the bound just read on the same field (nft writes
    /// `1024-2048` as `>= 1024` and `<= 2048`). `false` when the field has no such form.
    fn bound(&mut self, field: &Field, sreg: u32, op: u32, data: &[u8]) -> bool {
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
                        hdr_fields::Kind::Int | hdr_fields::Kind::ArpOp | hdr_fields::Kind::EtherType,
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
            Field::L4Proto if data.len() == 1 => (u128::from(data[0]), 8),
            Field::Ttl { .. } | Field::FragOff if (1..=8).contains(&data.len()) => {
                let v = data.iter().fold(0u128, |v, x| (v << 8) | u128::from(*x));
                (v, data.len() as u32 * 8)
            }
            // Host-order 32-bit keys (compared after a `byteorder hton`).
            Field::SkUid | Field::SkGid | Field::Mark | Field::CtMark if data.len() == 4 => {
                (u128::from(self.host_u32(sreg, data)), 32)
            }
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
            Field::SkUid | Field::SkGid | Field::Raw(_) | Field::L4Proto | Field::BeInt { .. } => {
                let name = field.text();
                let t = |x: u128| raw_int_text(&name, u64::try_from(x).unwrap_or(u64::MAX));
                if merge.is_some() {
                    other(format!("{name} {}-{}", t(lo), t(hi)))
                } else {
                    other(format!("{name} {}{}", cmp_op_text(op), t(v)))
                }
            }
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
    fn host_u32(&self, sreg: u32, data: &[u8]) -> u32 {
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

    fn range(&mut self, sreg: u32, op: u32, from: &[u8], to: &[u8]) {
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
                    raw_int_text(&r, u64::from(a)),
                    raw_int_text(&r, u64::from(b))
                ));
            }
            Some(Reg::Load {
                field: Field::L4Proto,
                mask: None,
                ..
            }) if !from.is_empty() && !to.is_empty() => {
                let o = if neg { "!= " } else { "" };
                self.push_other(format!("meta l4proto {o}{}-{}", from[0], to[0]));
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

    fn lookup(&mut self, set: &str, sreg: u32, dreg: Option<u32>, invert: bool) {
        let info = self.sets.sets.get(set);
        let anonymous = info.is_some_and(|i| i.flags & SET_ANONYMOUS != 0) || set.starts_with("__");
        // Key fields (a concatenation when the key spans several registers).
        let key_len = info.map_or(0, |i| i.key_len as usize);
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
                } else if reg32(sreg).is_some_and(|i| self.hton.contains(&i))
                    && matches!(
                        field,
                        Field::Length
                            | Field::SkUid
                            | Field::SkGid
                            | Field::Mark
                            | Field::CtMark
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
                self.rule.verdict = Some(Verdict::Vmap(format!("{key_text} vmap {body}")));
            } else {
                self.set_reg(d, Reg::Text(format!("{key_text} map {body}")));
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
    fn key_text(&self, sreg: u32, set: &str) -> String {
        let key_len = self.sets.sets.get(set).map_or(0, |i| i.key_len as usize);
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
    fn inline_set(&self, field: &Field, info: &SetInfo) -> Option<MatchKind> {
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
            Field::L4Proto if ivs.iter().any(|iv| iv.first != iv.last) => return None,
            Field::L4Proto => MatchKind::Protocol {
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
            Field::CtStatus if ivs.iter().all(|iv| iv.first == iv.last) => MatchKind::CtStatus {
                statuses: ct_status_names(ivs.iter().fold(0u32, |a, iv| a | u32_ne(&iv.first))),
            },
            _ => return None,
        })
    }

    fn finish(mut self) -> Rule {
        if let (Some(i), true) = (self.icmp_dep, self.icmp_dep_used) {
            if matches!(self.rule.matches.get(i), Some(m) if matches!(m.kind, MatchKind::Icmp { .. }))
            {
                self.rule.matches.remove(i);
                // The l4 dependency index shifts with it.
                if let Some(j) = self.l4_dep.as_mut() {
                    if *j > i {
                        *j -= 1;
                    }
                }
            }
        }
        // `meta l4proto tcp` before a transport-header test is nft's implicit dependency: not
        // a match of its own (typed port/icmp matches get it back from `normalize`).
        if let (Some(i), true) = (self.l4_dep, self.l4_dep_used) {
            if matches!(self.rule.matches.get(i), Some(m) if !m.negated
                && matches!(&m.kind, MatchKind::Protocol { protos } if protos.len() == 1))
            {
                self.rule.matches.remove(i);
            }
        }
        // Implicit dependencies (`meta nfproto ipv4`, `ether type ip`) that a later match of
        // the network header (or ICMP) needs are not separate matches (nft does not print
        // them); before a transport-header match alone they are the rule's own.
        let needs_l3 = self.rule.matches.iter().any(|m| {
            matches!(
                m.kind,
                MatchKind::Address { .. }
                    | MatchKind::Icmp { .. }
                    | MatchKind::Ttl { .. }
                    | MatchKind::Dscp { .. }
                    | MatchKind::Fragment
            )
        }) || self.l3_dep_used
            || self
                .rule
                .statements
                .iter()
                .any(|s| matches!(s, Statement::Nat { addr: Some(_), .. }));
        if self.vlan_dep_used {
            if let Some(i) = self.rule.matches.iter().position(|m| {
                !m.negated
                    && matches!(&m.kind, MatchKind::Other { module, args, .. }
                        if module == "nft" && (args == "ether type 8021q" || args == "ether type 8021ad"))
            }) {
                self.rule.matches.remove(i);
            }
        }
        if needs_l3 {
            // The first of each: a second `meta nfproto ipv4` is the rule's own.
            let mut seen: Vec<String> = Vec::new();
            self.rule.matches.retain(|m| match &m.kind {
                MatchKind::Other { module, args, .. }
                    if module == "nft" && is_l3_dependency(args) && !seen.contains(args) =>
                {
                    seen.push(args.clone());
                    false
                }
                _ => true,
            });
        }
        // Dependencies nft adds for a statement and does not list: `meta nfproto` of an ICMP
        // reject in inet/bridge/netdev, `meta iiftype ether` of an `ether` match in a family
        // without a link layer. (The `meta l4proto tcp` of a TCP reset stays: iptables'
        // `-p tcp -j REJECT --reject-with tcp-reset` has it too.)
        if let Some(Verdict::Reject { with }) = &self.rule.verdict {
            let icmp = (self.reject_icmp
                || with
                    .as_deref()
                    .is_some_and(|w| w.starts_with("icmp-") || w.starts_with("icmp6-")))
                && self.family != Family::Ip
                && self.family != Family::Ip6;
            if let Some(i) = self.rule.matches.iter().position(|m| {
                !m.negated
                    && matches!(&m.kind, MatchKind::Other { module, args, .. }
                        if icmp && module == "nft" && (args.starts_with("meta nfproto ")
                            || args.starts_with("meta protocol ")
                            || args.starts_with("ether type ")))
            }) {
                self.rule.matches.remove(i);
            }
        }
        let has_ether = self.rule.matches.iter().any(|m| match &m.kind {
            MatchKind::Mac { .. } => true,
            MatchKind::Other { args, .. } => {
                args.starts_with("ether ") || args.starts_with("vlan ") || args.contains(" ether ")
            }
            _ => false,
        });
        if has_ether {
            self.rule.matches.retain(|m| {
                !matches!(&m.kind, MatchKind::Other { module, args, .. }
                    if module == "nft" && args == "meta iiftype ether")
            });
        }
        if !self.comments.is_empty() {
            self.rule.comment = Some(self.comments.join("; "));
        }
        self.rule
    }
}

/// TCP flags as nft names them (`syn`, `ecn`, ...; several joined with `|`).
fn tcp_flags_text(b: &[u8]) -> String {
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

/// An integer value of a `meta`/`ct` key as nft prints it: times as durations, class ids
/// as `major:minor`, others in decimal.
fn raw_int_text(name: &str, v: u64) -> String {
    match name.rsplit(' ').next().unwrap_or_default() {
        "expiration" if name.starts_with("ct ") => time_text(v),
        "priority" if name.starts_with("meta ") => match v {
            0 => "none".into(),
            0xffff_ffff => "root".into(),
            v => format!("{:x}:{:x}", v >> 16, v & 0xffff),
        },
        _ => v.to_string(),
    }
}

/// A value of a `meta`/`ct` key nfdiff keeps verbatim (`ct original bytes`, `meta
/// priority`), as nft prints it: by the key's type, host order.
fn raw_value_text(name: &str, b: &[u8]) -> String {
    let key = name.rsplit(' ').next().unwrap_or_default();
    let host = |b: &[u8]| -> u64 {
        let mut a = [0u8; 8];
        for (i, x) in b.iter().take(8).enumerate() {
            a[i] = *x;
        }
        u64::from_ne_bytes(a)
    };
    let is_meta = name.starts_with("meta ");
    let is_ct = name.starts_with("ct ");
    match key {
        "iiftype" | "oiftype" if is_meta => iftype_name(b),
        "iif" | "oif" | "cpu" | "nftrace" | "rtclassid" | "skuid" | "skgid" | "cgroup"
            if is_meta && b.len() <= 4 =>
        {
            host(b).to_string()
        }
        "priority" if is_meta && b.len() == 4 => match u32_ne(b) {
            0 => "none".into(),
            u32::MAX => "root".into(),
            v => format!("{:x}:{:x}", v >> 16, v & 0xffff),
        },
        "expiration" if is_ct && b.len() == 4 => time_text(u64::from(u32_ne(b))),
        "packets" | "bytes" | "avgpkt" | "zone" | "id" if is_ct && b.len() <= 8 => {
            host(b).to_string()
        }
        "proto-src" | "proto-dst" if is_ct && b.len() == 2 => u16_be(b).to_string(),
        "helper" if is_ct => {
            let end = b.iter().position(|x| *x == 0).unwrap_or(b.len());
            format!("\"{}\"", String::from_utf8_lossy(&b[..end]))
        }
        "l3proto" if is_ct && b.len() == 1 => match b[0] {
            2 => "ipv4".into(),
            10 => "ipv6".into(),
            n => n.to_string(),
        },
        "protocol" if is_ct && b.len() == 1 => Protocol(b[0]).to_string(),
        _ => hex(b),
    }
}

/// An interface type (`ARPHRD_*`, host-order 16 bits) as nft names it.
fn iftype_name(b: &[u8]) -> String {
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

/// An ethertype as nft names it.
fn ether_type_name(t: u16) -> String {
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
fn is_l3_dependency(args: &str) -> bool {
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

/// A byte count as nft prints it: in the largest of bytes, kbytes and mbytes that divides it.
fn byte_units(mut n: u64) -> String {
    let mut unit = 0;
    while unit < 2 && n != 0 && n % 1024 == 0 {
        n /= 1024;
        unit += 1;
    }
    format!("{n} {}", ["bytes", "kbytes", "mbytes"][unit])
}

/// A time in milliseconds as nft prints it (`1d2h3m4s5ms`).
fn time_text(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        let n = rest / size;
        rest %= size;
        if n != 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// Whose key a `set` statement writes.
#[derive(Clone, Copy)]
enum SetKind {
    Meta(u32),
    Ct(u32),
}

/// The value of a `meta KEY set` / `ct KEY set` statement as nft prints it: immediates by
/// the key's type (integers in decimal, conntrack events by name), anything else as a
/// register's text.
fn set_value_text(kind: SetKind, r: &Reg) -> String {
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

/// Log flags (`NF_LOG_*`) as nft lists them, one `flags ...` group each.
fn log_flags(f: u32) -> Vec<String> {
    const ALL: u32 = 0x2f;
    if f & ALL == ALL {
        let mut v = vec!["flags all".to_string()];
        if f & !ALL != 0 {
            v.push(format!("flags 0x{:x}", f & !ALL));
        }
        return v;
    }
    let mut v = Vec::new();
    match f & 0x3 {
        0x1 => v.push("flags tcp sequence".to_string()),
        0x2 => v.push("flags tcp options".to_string()),
        0x3 => v.push("flags tcp sequence,options".to_string()),
        _ => {}
    }
    if f & 0x4 != 0 {
        v.push("flags ip options".into());
    }
    if f & 0x8 != 0 {
        v.push("flags skuid".into());
    }
    if f & 0x20 != 0 {
        v.push("flags ether".into());
    }
    if f & !ALL != 0 {
        v.push(format!("flags 0x{:x}", f & !ALL));
    }
    v
}

fn m_same(a: Option<u32>, b: Option<u32>) -> bool {
    a.is_some() && a == b
}

fn reg_text(r: &Reg) -> String {
    match r {
        Reg::Load {
            field, mask, xor, ..
        } => {
            let mut s = field.text();
            if let Some(m) = mask {
                s.push_str(&format!(" & {}", hex(m)));
            }
            if let Some(x) = xor.as_ref().filter(|x| x.iter().any(|b| *b != 0)) {
                s.push_str(&format!(" ^ {}", hex(x)));
            }
            s
        }
        // nft prints 32-bit immediates (marks, integers) as host-order numbers.
        Reg::Imm(v) if v.len() == 4 => format!("0x{:08x}", u32_ne(v)),
        Reg::Imm(v) => hex(v),
        Reg::Text(t) => t.clone(),
    }
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
    // NF_NAT_RANGE_NETMAP: `snat ip prefix to ...`.
    if flags & 0x40 != 0 {
        v.push("prefix".to_string());
    }
    v
}

/// The reject type as iptables' `--reject-with` names it (how every parser keeps it), `None`
/// for the default (port unreachable). `v6`: the packet is IPv6 (family or dependency).
fn reject_text(v6: bool, ty: u32, code: u8) -> Option<String> {
    let name = match (ty, v6, code) {
        (1, _, _) => "tcp-reset",
        (0, false, 0) => "icmp-net-unreachable",
        (0, false, 1) => "icmp-host-unreachable",
        (0, false, 2) => "icmp-proto-unreachable",
        (0, false, 3) | (0, true, 4) | (2, _, 1) => return None,
        (0, false, 9) => "icmp-net-prohibited",
        (0, false, 10) => "icmp-host-prohibited",
        (0, false, 13) => "icmp-admin-prohibited",
        (0, true, 0) => "icmp6-no-route",
        (0, true, 1) => "icmp6-adm-prohibited",
        (0, true, 3) => "icmp6-addr-unreachable",
        (0, true, 5) => "icmp6-policy-fail",
        (0, true, 6) => "icmp6-reject-route",
        (2, _, 0) => "icmpx-no-route",
        (2, _, 2) => "icmpx-host-unreachable",
        (2, _, 3) => "icmpx-admin-prohibited",
        _ => return Some(format!("type {ty} code {code}")),
    };
    Some(name.to_string())
}

fn log_level_name(l: u32) -> String {
    match l {
        0 => "emerg",
        1 => "alert",
        2 => "crit",
        3 => "err",
        4 => "warn",
        5 => "notice",
        6 => "info",
        7 => "debug",
        8 => "audit",
        _ => return l.to_string(),
    }
    .to_string()
}

fn obj_type_name(t: u32) -> &'static str {
    match t {
        1 => "counter",
        2 => "quota",
        3 => "ct helper",
        4 => "limit",
        5 => "connlimit",
        6 => "tunnel",
        7 => "ct timeout",
        8 => "secmark",
        9 => "ct expectation",
        10 => "synproxy",
        _ => "object",
    }
}

fn meta_key_name(k: u32) -> String {
    const N: &[&str] = &[
        "length",
        "protocol",
        "priority",
        "mark",
        "iif",
        "oif",
        "iifname",
        "oifname",
        "iiftype",
        "oiftype",
        "skuid",
        "skgid",
        "nftrace",
        "rtclassid",
        "secmark",
        "nfproto",
        "l4proto",
        "ibrname",
        "obrname",
        "pkttype",
        "cpu",
        "iifgroup",
        "oifgroup",
        "cgroup",
        "random",
        "secpath",
        "iifkind",
        "oifkind",
        "ibrpvid",
        "ibrvproto",
        "time",
        "day",
        "hour",
        "sdif",
        "sdifname",
    ];
    N.get(k as usize)
        .map_or_else(|| format!("key{k}"), |s| (*s).to_string())
}

fn ct_key_name(k: u32) -> String {
    const N: &[&str] = &[
        "state",
        "direction",
        "status",
        "mark",
        "secmark",
        "expiration",
        "helper",
        "l3proto",
        "saddr",
        "daddr",
        "protocol",
        "proto-src",
        "proto-dst",
        "label",
        "packets",
        "bytes",
        "avgpkt",
        "zone",
        "event",
        "ip saddr",
        "ip daddr",
        "ip6 saddr",
        "ip6 daddr",
        "id",
    ];
    N.get(k as usize)
        .map_or_else(|| format!("key{k}"), |s| (*s).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Big-endian increment (an interval end key after an inclusive last).
    fn be_inc(b: &[u8]) -> Vec<u8> {
        let mut v = b.to_vec();
        for x in v.iter_mut().rev() {
            let (r, carry) = x.overflowing_add(1);
            *x = r;
            if !carry {
                break;
            }
        }
        v
    }

    #[test]
    fn anonymous_sets_of_rules() {
        use super::super::raw::RawElem;
        const SET_INTERVAL: u32 = 0x4;
        const SET_MAP: u32 = 0x8;
        const ELEM_INTERVAL_END: u32 = 0x1;
        const ELEM_CATCHALL: u32 = 0x2;
        let elem = |key: &[u8]| RawElem {
            key: key.to_vec(),
            ..RawElem::default()
        };
        let end = |key: &[u8]| RawElem {
            key: key.to_vec(),
            flags: ELEM_INTERVAL_END,
            ..RawElem::default()
        };
        let info = |flags: u32, data_type: Option<u32>, elems: Vec<RawElem>| SetInfo {
            flags,
            key_type: 0,
            key_len: 0,
            data_type,
            elems,
        };
        let iface = [Field::Iface(Direction::Src)];
        let addr = [Field::Addr {
            dir: Direction::Src,
            v6: false,
            full: 32,
        }];
        // `iifname { "eth0", "abcdef*" }` as an interval set.
        let mut start = b"abcdef".to_vec();
        start.resize(16, 0);
        let mut stop = b"abcdef".to_vec();
        stop.resize(16, 0xff);
        let mut eth0 = b"eth0".to_vec();
        eth0.resize(16, 0);
        let mut eth0_end = eth0.clone();
        eth0_end[15] = 1;
        let elems = vec![
            end(&[0; 16]),
            elem(&start),
            end(&be_inc(&stop)),
            elem(&eth0),
            end(&eth0_end),
        ];
        assert_eq!(
            set_text(&info(SET_INTERVAL | 1, None, elems), &iface, &[16], false),
            "{ \"abcdef*\", \"eth0\" }"
        );
        // A catch-all and a prefix in an interval map.
        let mut a = elem(&[10, 141, 0, 0]);
        a.data = Some(vec![192, 168, 0, 2]);
        let mut c = elem(&[]);
        c.flags = ELEM_CATCHALL;
        c.data = Some(vec![192, 168, 0, 3]);
        let elems = vec![end(&[0; 4]), a, end(&[10, 141, 1, 0]), c];
        let text = set_text(
            &info(SET_INTERVAL | SET_MAP | 1, Some(7), elems),
            &addr,
            &[4],
            true,
        );
        assert!(text.contains("10.141.0.0/24 : 192.168.0.2"), "{text}");
        assert!(text.contains("* : 192.168.0.3"), "{text}");
        // Interval data of an anonymous nat map, known by its size.
        let mut n = elem(&[10, 1, 1, 0]);
        n.data = Some(vec![72, 2, 3, 66, 72, 2, 3, 78]);
        let elems = vec![end(&[0; 4]), n, end(&[10, 1, 2, 0])];
        assert_eq!(
            set_text(
                &info(SET_INTERVAL | SET_MAP | 1, Some(7), elems),
                &addr,
                &[4],
                true
            ),
            "{ 10.1.1.0/24 : 72.2.3.66-72.2.3.78 }"
        );
        // Concatenated ranges: per field.
        let e = RawElem {
            key: vec![
                b'e', b't', b'h', b'1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 3, 0,
            ],
            key_end: Some(vec![
                b'e', b't', b'h', b'1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 3, 255,
            ]),
            ..RawElem::default()
        };
        let fields = [iface[0].clone(), addr[0].clone()];
        assert_eq!(
            set_text(
                &info(SET_INTERVAL | 0x80, None, vec![e]),
                &fields,
                &[16, 4],
                false
            ),
            "{ \"eth1\" . 2.2.3.0/24 }"
        );
    }

    fn payload(base: u32, offset: u32, len: u32) -> Expr {
        Expr::Payload {
            base,
            offset,
            len,
            dreg: 1,
        }
    }

    fn cmp(data: &[u8]) -> Expr {
        Expr::Cmp {
            sreg: 1,
            op: 0,
            data: data.to_vec(),
        }
    }

    fn verdict(code: i32, chain: Option<&str>) -> Expr {
        Expr::Immediate {
            dreg: 0,
            data: ImmData::Verdict {
                code,
                chain: chain.map(str::to_string),
            },
        }
    }

    fn canon(family: Family, exprs: &[Expr], sets: &SetLookupContext) -> String {
        let mut r = delinearize(family, exprs, sets);
        r.normalize();
        r.canonical()
    }

    #[test]
    fn tcp_dport_with_l4proto_dependency() {
        let e = vec![
            Expr::Meta {
                key: 15,
                dreg: Some(1),
                sreg: None,
            },
            cmp(&[2]),
            Expr::Meta {
                key: 16,
                dreg: Some(1),
                sreg: None,
            },
            cmp(&[6]),
            payload(2, 2, 2),
            cmp(&[0, 80]),
            Expr::Counter {
                packets: 3,
                bytes: 4,
            },
            verdict(1, None),
        ];
        let r = delinearize(Family::Inet, &e, &SetLookupContext::default());
        assert_eq!(r.counters.map(|c| c.packets), Some(3));
        // `meta nfproto ipv4` is no dependency of a port match: nft lists it as the rule's own.
        assert_eq!(
            canon(Family::Inet, &e, &SetLookupContext::default()),
            "tcp dport 80 nft meta nfproto ipv4 accept"
        );
        assert_eq!(
            canon(Family::Inet, &e[2..], &SetLookupContext::default()),
            "tcp dport 80 accept"
        );
    }

    #[test]
    fn prefixes_interfaces_and_marks() {
        let e = vec![
            Expr::Meta {
                key: 6,
                dreg: Some(1),
                sreg: None,
            },
            cmp(b"cali"),
            payload(1, 12, 4),
            Expr::Bitwise {
                sreg: 1,
                dreg: 1,
                len: 4,
                op: 0,
                mask: vec![255, 255, 0, 0],
                xor: vec![0; 4],
                data: vec![],
            },
            cmp(&[10, 1, 0, 0]),
            payload(1, 16, 1),
            cmp(&[192]),
            Expr::Meta {
                key: 3,
                dreg: Some(1),
                sreg: None,
            },
            Expr::Bitwise {
                sreg: 1,
                dreg: 1,
                len: 4,
                op: 0,
                mask: 0x10000u32.to_ne_bytes().to_vec(),
                xor: vec![0; 4],
                data: vec![],
            },
            cmp(&0x10000u32.to_ne_bytes()),
            verdict(-3, Some("cali-x")),
        ];
        assert_eq!(
            canon(Family::Ip, &e, &SetLookupContext::default()),
            "iifname \"cali*\" ip saddr 10.1.0.0/16 ip daddr 192.0.0.0/8 \
             meta mark & 0x00010000 == 0x00010000 jump cali-x"
        );
    }

    #[test]
    fn mark_set_arithmetic_and_ct_state() {
        let e = vec![
            Expr::Ct {
                key: 0,
                dreg: Some(1),
                sreg: None,
                dir: None,
            },
            Expr::Bitwise {
                sreg: 1,
                dreg: 1,
                len: 4,
                op: 0,
                mask: 6u32.to_ne_bytes().to_vec(),
                xor: vec![0; 4],
                data: vec![],
            },
            Expr::Cmp {
                sreg: 1,
                op: 1,
                data: vec![0; 4],
            },
            Expr::Meta {
                key: 3,
                dreg: Some(1),
                sreg: None,
            },
            Expr::Bitwise {
                sreg: 1,
                dreg: 1,
                len: 4,
                op: 0,
                mask: 0xfff0ffffu32.to_ne_bytes().to_vec(),
                xor: 0x40000u32.to_ne_bytes().to_vec(),
                data: vec![],
            },
            Expr::Meta {
                key: 3,
                dreg: None,
                sreg: Some(1),
            },
        ];
        assert_eq!(
            canon(Family::Ip, &e, &SetLookupContext::default()),
            "ct state established,related meta mark set mark and 0xfff0ffff xor 0x00040000"
        );
    }

    #[test]
    fn interface_wildcards_of_interval_sets() {
        let pad = |s: &[u8], b: u8| {
            let mut v = s.to_vec();
            v.resize(16, b);
            v
        };
        assert_eq!(
            iface_range(&pad(b"cali", 0), &pad(b"cali", 0xff)),
            Some(IfacePattern::Prefix("cali".into()))
        );
        assert_eq!(
            iface_range(&pad(b"eth0", 0), &pad(b"eth0", 0)),
            Some(IfacePattern::Exact("eth0".into()))
        );
        // Any other range of names is not an interface pattern.
        assert_eq!(iface_range(&pad(b"a", 0), &pad(b"b", 0)), None);
    }

    #[test]
    fn anonymous_interval_set_and_vmap() {
        let mut sets = SetLookupContext::default();
        sets.sets.insert(
            "__set0".into(),
            SetInfo {
                flags: SET_ANONYMOUS | SET_INTERVAL,
                key_type: 13,
                key_len: 2,
                data_type: None,
                elems: vec![
                    RawElem {
                        key: vec![0, 0],
                        flags: ELEM_INTERVAL_END,
                        ..RawElem::default()
                    },
                    RawElem {
                        key: vec![0, 22],
                        ..RawElem::default()
                    },
                    RawElem {
                        key: vec![0, 23],
                        flags: ELEM_INTERVAL_END,
                        ..RawElem::default()
                    },
                    RawElem {
                        key: vec![0x1f, 0x40],
                        ..RawElem::default()
                    },
                    RawElem {
                        key: vec![0x1f, 0x51],
                        flags: ELEM_INTERVAL_END,
                        ..RawElem::default()
                    },
                ],
            },
        );
        sets.sets.insert(
            "__map1".into(),
            SetInfo {
                flags: SET_ANONYMOUS | SET_MAP,
                key_type: 13,
                key_len: 2,
                data_type: Some(DATA_VERDICT),
                elems: vec![
                    RawElem {
                        key: vec![0, 80],
                        verdict: Some((-3, Some("web".into()))),
                        ..RawElem::default()
                    },
                    RawElem {
                        key: vec![0, 22],
                        verdict: Some((1, None)),
                        ..RawElem::default()
                    },
                ],
            },
        );
        let e = vec![
            Expr::Meta {
                key: 16,
                dreg: Some(1),
                sreg: None,
            },
            cmp(&[6]),
            payload(2, 2, 2),
            Expr::Lookup {
                set: "__set0".into(),
                sreg: 1,
                dreg: None,
                invert: false,
            },
            payload(2, 2, 2),
            Expr::Lookup {
                set: "__map1".into(),
                sreg: 1,
                dreg: Some(0),
                invert: false,
            },
        ];
        assert_eq!(
            canon(Family::Inet, &e, &sets),
            "tcp dport { 22, 8000-8016 } tcp dport vmap { 22 : accept, 80 : jump web }"
        );
    }

    #[test]
    fn merged_port_and_address_compares_are_split() {
        let e = vec![
            payload(1, 9, 1),
            cmp(&[17]),
            payload(1, 12, 8),
            cmp(&[0, 0, 0, 0, 255, 255, 255, 255]),
            payload(2, 0, 4),
            cmp(&[0, 68, 0, 67]),
            verdict(-5, None),
        ];
        assert_eq!(
            canon(Family::Ip, &e, &SetLookupContext::default()),
            "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return"
        );
    }

    /// A tiny deterministic generator, so the random test needs no dependency.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
        fn small(&mut self, n: u32) -> u32 {
            self.next() % n
        }
        fn bytes(&mut self) -> Vec<u8> {
            let n = self.small(20) as usize;
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    fn random_expr(g: &mut Lcg) -> Expr {
        let reg = |g: &mut Lcg| [0, 1, 2, 8, 9, 10, 23, 99][g.small(8) as usize];
        match g.small(16) {
            0 => Expr::Payload {
                base: g.small(4),
                offset: g.small(40),
                len: g.small(20),
                dreg: reg(g),
            },
            1 => Expr::Meta {
                key: g.small(40),
                dreg: Some(reg(g)),
                sreg: None,
            },
            2 => Expr::Meta {
                key: g.small(40),
                dreg: None,
                sreg: Some(reg(g)),
            },
            3 => Expr::Cmp {
                sreg: reg(g),
                op: g.small(7),
                data: g.bytes(),
            },
            4 => Expr::Bitwise {
                sreg: reg(g),
                dreg: reg(g),
                len: g.small(17),
                op: g.small(3),
                mask: g.bytes(),
                xor: g.bytes(),
                data: g.bytes(),
            },
            5 => Expr::Lookup {
                set: ["__set0", "named", "__map1"][g.small(3) as usize].into(),
                sreg: reg(g),
                dreg: [None, Some(0), Some(1)][g.small(3) as usize],
                invert: g.small(2) == 1,
            },
            6 => Expr::Immediate {
                dreg: reg(g),
                data: if g.small(2) == 0 {
                    ImmData::Value(g.bytes())
                } else {
                    ImmData::Verdict {
                        code: g.small(9) as i32 - 5,
                        chain: Some("c".into()),
                    }
                },
            },
            7 => Expr::Ct {
                key: g.small(30),
                dreg: Some(reg(g)),
                sreg: None,
                dir: Some(g.small(3) as u8),
            },
            8 => Expr::Range {
                sreg: reg(g),
                op: g.small(3),
                from: g.bytes(),
                to: g.bytes(),
            },
            9 => Expr::Nat {
                nat_type: g.small(3),
                family: [2, 10, 0][g.small(3) as usize],
                reg_addr_min: Some(reg(g)),
                reg_addr_max: Some(reg(g)),
                reg_proto_min: Some(reg(g)),
                reg_proto_max: None,
                flags: g.next(),
            },
            10 => Expr::Match {
                name: [
                    "conntrack",
                    "multiport",
                    "set",
                    "comment",
                    "tcp",
                    "recent",
                    "x",
                ][g.small(7) as usize]
                    .into(),
                rev: g.small(4),
                info: g.bytes(),
            },
            11 => Expr::Target {
                name: [
                    "MARK", "CONNMARK", "REJECT", "SNAT", "CT", "LOG", "NFLOG", "y",
                ][g.small(8) as usize]
                    .into(),
                rev: g.small(3),
                info: g.bytes(),
            },
            12 => Expr::Fib {
                flags: g.small(32),
                result: g.small(4),
                dreg: reg(g),
            },
            13 => Expr::Ct {
                key: g.small(30),
                dreg: None,
                sreg: Some(reg(g)),
                dir: None,
            },
            14 => Expr::Unknown {
                name: "exthdr".into(),
                raw: format!("load x => reg {}", reg(g)),
            },
            _ => Expr::Limit {
                rate: u64::from(g.next()),
                unit: [1, 60, 7][g.small(3) as usize],
                burst: g.next(),
                kind: g.small(2),
                flags: g.small(2),
            },
        }
    }

    #[test]
    fn random_expression_lists_never_panic() {
        let mut sets = SetLookupContext::default();
        let mut g = Lcg(42);
        for name in ["__set0", "named", "__map1"] {
            let elems = (0..g.small(6))
                .map(|_| RawElem {
                    key: g.bytes(),
                    key_end: (g.small(3) == 0).then(|| g.bytes()),
                    data: (g.small(2) == 0).then(|| g.bytes()),
                    verdict: (g.small(2) == 0).then_some((-3, None)),
                    flags: g.small(2),
                    ..RawElem::default()
                })
                .collect();
            sets.sets.insert(
                name.into(),
                SetInfo {
                    flags: g.small(16),
                    key_type: g.small(50) | (g.small(2) << 6),
                    key_len: g.small(20),
                    data_type: Some(DATA_VERDICT),
                    elems,
                },
            );
        }
        for _ in 0..20_000 {
            let n = g.small(10) as usize;
            let exprs: Vec<Expr> = (0..n).map(|_| random_expr(&mut g)).collect();
            for fam in [Family::Ip, Family::Ip6, Family::Inet] {
                let mut r = delinearize(fam, &exprs, &sets);
                r.normalize();
                let _ = r.canonical();
            }
        }
    }

    /// Delinearizes debug text (`nft --debug=netlink` expression lines).
    fn canon_text(family: Family, text: &str) -> String {
        let e = super::super::debug_text::parse_debug_exprs("t", text).unwrap();
        canon(family, &e, &SetLookupContext::default())
    }

    #[test]
    fn header_fields_by_position_mask_and_bounds() {
        // `ip length 333-435`: a bound pair on a named header field is its range.
        assert_eq!(
            canon_text(
                Family::Ip,
                "[ payload load 2b @ network header + 2 => reg 1 ]
                 [ cmp gte reg 1 0x00004d01 ]
                 [ cmp lte reg 1 0x0000b301 ]"
            ),
            "nft ip length 333-435"
        );
        // `ip hdrlength 5`: a sub-byte field selected by its mask.
        assert_eq!(
            canon_text(
                Family::Ip,
                "[ payload load 1b @ network header + 0 => reg 1 ]
                 [ bitwise reg 1 = ( reg 1 & 0x0000000f ) ^ 0x00000000 ]
                 [ cmp eq reg 1 0x00000005 ]"
            ),
            "nft ip hdrlength 5"
        );
        // `frag more-fragments 1`: an IPv6 extension header field.
        assert_eq!(
            canon_text(
                Family::Ip6,
                "[ exthdr load ipv6 1b @ 44 + 3 => reg 1 ]
                 [ bitwise reg 1 = ( reg 1 & 0x00000001 ) ^ 0x00000000 ]
                 [ cmp eq reg 1 0x00000001 ]"
            ),
            "nft frag more-fragments 1"
        );
        // `tcp option maxseg size 1360`.
        assert_eq!(
            canon_text(
                Family::Inet,
                "[ meta load l4proto => reg 1 ]
                 [ cmp eq reg 1 0x00000006 ]
                 [ exthdr load tcpopt 2b @ 2 + 2 => reg 1 ]
                 [ cmp eq reg 1 0x00005005 ]"
            ),
            "meta l4proto tcp nft tcp option maxseg size 1360"
        );
    }

    #[test]
    fn dependencies_nft_does_not_list_are_dropped() {
        // netdev: `meta protocol ip` before `ip saddr` is the address match's dependency.
        assert_eq!(
            canon_text(
                Family::Netdev,
                "[ meta load protocol => reg 1 ]
                 [ cmp eq reg 1 0x00000008 ]
                 [ payload load 4b @ network header + 12 => reg 1 ]
                 [ cmp eq reg 1 0x0100000a ]"
            ),
            "ip saddr 10.0.0.1"
        );
        // inet: a `meta nfproto ipv4` before a port match alone is the rule's own.
        assert_eq!(
            canon_text(
                Family::Inet,
                "[ meta load nfproto => reg 1 ]
                 [ cmp eq reg 1 0x00000002 ]
                 [ meta load l4proto => reg 1 ]
                 [ cmp eq reg 1 0x00000011 ]
                 [ payload load 2b @ transport header + 2 => reg 1 ]
                 [ cmp eq reg 1 0x00003500 ]"
            ),
            "udp dport 53 nft meta nfproto ipv4"
        );
        // `icmp mtu 22`: the type compare before is the field's dependency.
        assert_eq!(
            canon_text(
                Family::Ip,
                "[ meta load l4proto => reg 1 ]
                 [ cmp eq reg 1 0x00000001 ]
                 [ payload load 1b @ transport header + 0 => reg 1 ]
                 [ cmp eq reg 1 0x00000003 ]
                 [ payload load 2b @ transport header + 6 => reg 1 ]
                 [ cmp eq reg 1 0x00001600 ]"
            ),
            "nft icmp mtu 22"
        );
    }

    /// Found by the `netlink_delinearize` fuzz target: a raw payload load at a byte offset
    /// past `u32::MAX / 8` overflowed when shown in bits (`@nh,OFFSET,LEN`).
    #[test]
    fn fuzz_payload_offset_beyond_u32_bits_does_not_overflow() {
        let e = vec![
            Expr::Payload {
                base: 1,
                offset: u32::MAX,
                len: u32::MAX,
                dreg: 1,
            },
            cmp(&[1, 2, 3, 4]),
        ];
        let r = canon(Family::Inet, &e, &SetLookupContext::default());
        assert!(r.contains("@nh,34359738360,34359738360"), "{r}");
    }

    #[test]
    fn garbage_never_panics() {
        let e = vec![
            Expr::Cmp {
                sreg: 99,
                op: 77,
                data: vec![],
            },
            Expr::Bitwise {
                sreg: 5,
                dreg: 1,
                len: 0,
                op: 9,
                mask: vec![],
                xor: vec![],
                data: vec![],
            },
            Expr::Range {
                sreg: 1,
                op: 0,
                from: vec![],
                to: vec![],
            },
            Expr::Lookup {
                set: "nope".into(),
                sreg: 200,
                dreg: Some(3),
                invert: true,
            },
            Expr::Nat {
                nat_type: 1,
                family: 2,
                reg_addr_min: Some(1),
                reg_addr_max: Some(2),
                reg_proto_min: Some(3),
                reg_proto_max: None,
                flags: 0,
            },
            payload(1, 12, 4),
            cmp(&[]),
            Expr::Meta {
                key: 6,
                dreg: Some(1),
                sreg: None,
            },
            cmp(&[]),
        ];
        for fam in [Family::Ip, Family::Ip6, Family::Inet, Family::Bridge] {
            let _ = delinearize(fam, &e, &SetLookupContext::default()).canonical();
        }
    }
}
