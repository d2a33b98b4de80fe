//! Delinearization: register-level expression lists back into model matches, statements and
//! verdicts, following what nft's `netlink_delinearize.c` does.

mod clock;
mod consumers;
mod dispatch;
mod field;
mod meta_ct;
mod payload;
mod relational;
mod sets;
mod spans;
mod statements;
#[cfg(test)]
mod tests;
mod values;

use field::*;
use meta_ct::*;
use payload::*;
use relational::own_mask;
pub(crate) use sets::addr_text;
use sets::*;
use statements::*;
use values::*;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::datatype::{format_concat, format_value, hex, split_concat, type_size, verdict_text};
use super::expr::{reg32, Expr, ImmData};
use super::hdr_fields::{self, Hdr, HdrField};
use super::raw::RawElem;
use super::xt::{decode_xt_match, decode_xt_target, XtContext};
use crate::model::{
    AddrSpec, Counters, CtStateSet, Direction, Family, IfacePattern, Match, MatchKind, NatKind,
    PortRange, Protocol, Rule, SetKey, Statement, StatisticMode, TcpFlags, TtlOp, Verdict,
    VerdictMap,
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
    /// The network header's protocol field (`ip protocol`, `ip6 nexthdr`): the same value as
    /// `meta l4proto` (and the same model match), spelled as nft spells the payload load.
    NhProto {
        v6: bool,
    },
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
    /// A NUL-padded string named by its nft text (`osf name`, `osf version`).
    Str(String),
    /// An IPsec state field (`ipsec in reqid`): its nft text and `NFT_XFRM_KEY_*` key.
    Xfrm {
        name: String,
        key: u32,
    },
    Raw(String),
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
    /// A later register of a map's data that spans several (`ipv4_addr . inet_service`):
    /// the map's text is in the first.
    MapPart,
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
    /// Whether any expression read or wrote the network header (or read an ICMP header).
    l3_dep_used: bool,
    /// Whether any expression read the link-layer header (`meta iiftype ether`'s use).
    ll_dep_used: bool,
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
    /// When each 32-bit register was last written (a count of writes), so the loads of a
    /// concatenation into a set that no context describes can be told apart.
    written: HashMap<u32, usize>,
    /// Register writes so far.
    writes: usize,
    /// Data types of maps the context gives none for, from what the rule does with the
    /// data ([`consumers::implied_data_types`]).
    implied_data: HashMap<String, u32>,
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
        ll_dep_used: false,
        last_was_bound: false,
        last_bound: None,
        vlan_dep_used: false,
        reject_icmp: false,
        icmp_dep: None,
        icmp_dep_used: false,
        hton: std::collections::HashSet::new(),
        written: HashMap::new(),
        writes: 0,
        implied_data: consumers::implied_data_types(exprs, sets),
    };
    for e in exprs {
        st.expr(e);
    }
    st.finish()
}

impl State<'_> {
    fn reg(&self, r: u32) -> Option<&Reg> {
        reg32(r).and_then(|i| self.regs.get(&i))
    }

    fn set_reg(&mut self, r: u32, v: Reg) {
        if let Some(i) = reg32(r) {
            self.regs.insert(i, v);
            self.hton.remove(&i);
            self.writes += 1;
            self.written.insert(i, self.writes);
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
                    | MatchKind::Ttl { .. }
                    | MatchKind::Dscp { .. }
                    | MatchKind::Fragment
            )
        }) || self.l3_dep_used;
        // An ICMP match needs its own family only (`meta nfproto ipv4 icmpv6 type ..` keeps
        // the nfproto compare, as nft lists it).
        let icmp_v6: Vec<bool> = self
            .rule
            .matches
            .iter()
            .filter_map(|m| match m.kind {
                MatchKind::Icmp { v6, .. } => Some(v6),
                _ => None,
            })
            .collect();
        let needs_l3_for =
            |args: &str| needs_l3 || l3_dependency_v6(args).is_some_and(|v6| icmp_v6.contains(&v6));
        if needs_l3 || !icmp_v6.is_empty() {
            // The first of each: a second `meta nfproto ipv4` is the rule's own.
            let mut seen: Vec<String> = Vec::new();
            self.rule.matches.retain(|m| match &m.kind {
                MatchKind::Other { module, args, .. }
                    if module == "nft"
                        && is_l3_dependency(args)
                        && needs_l3_for(args)
                        && !seen.contains(args) =>
                {
                    seen.push(args.clone());
                    false
                }
                _ => true,
            });
        }
        // `ether type 8021q` is the dependency of the VLAN tag's fields; a `vlan type ip`
        // that was itself only a dependency (of `ip protocol`) leaves it listed. An 802.1ad
        // outer tag stays: nft lists `ether type 8021ad`.
        let vlan_used = self.vlan_dep_used
            || self.rule.matches.iter().any(|m| {
                matches!(&m.kind, MatchKind::Other { module, args, .. }
                    if module == "nft" && args.starts_with("vlan type "))
            });
        if vlan_used {
            if let Some(i) = self.rule.matches.iter().position(|m| {
                !m.negated
                    && matches!(&m.kind, MatchKind::Other { module, args, .. }
                        if module == "nft" && args == "ether type 8021q")
            }) {
                self.rule.matches.remove(i);
            }
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
        if has_ether || self.ll_dep_used {
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
