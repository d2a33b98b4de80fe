//! Matches: the conditions of a rule, typed where comparison and tracing need it.

use super::match_modes::{StatisticMode, TtlOp};
use serde::{Deserialize, Serialize};

use super::value::{AddrSpec, CtStateSet, Direction, IfacePattern, PortRange, Protocol, TcpFlags};

/// One condition of a rule. A rule's matches form a conjunction.
///
/// `negated` is the `!` of iptables or the `!=` of nft, applied to the whole condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Match {
    /// Whether the condition is inverted.
    pub negated: bool,
    /// What is tested.
    pub kind: MatchKind,
}

impl Match {
    /// A positive match.
    pub fn new(kind: MatchKind) -> Match {
        Match {
            negated: false,
            kind,
        }
    }

    /// A match with the given negation.
    pub fn with_negation(kind: MatchKind, negated: bool) -> Match {
        Match { negated, kind }
    }
}

/// What a match tests. Lists mean "any of" (an nft anonymous set, a multiport list);
/// a list of one is the plain single-value match, so both spellings compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MatchKind {
    /// Input (`Src`) or output (`Dst`) interface name: `-i`/`-o`, `iifname`/`oifname`.
    Interface {
        /// `Src` for the input interface, `Dst` for the output interface.
        dir: Direction,
        /// Names or prefixes; the match holds if any matches.
        names: Vec<IfacePattern>,
    },
    /// Source or destination address: `-s`/`-d`, `-m iprange`, `ip saddr`.
    Address {
        /// Which address.
        dir: Direction,
        /// Prefixes or ranges; the match holds if any contains the address.
        addrs: Vec<AddrSpec>,
    },
    /// Layer-4 protocol: `-p`, `meta l4proto`, `ip protocol`, `ip6 nexthdr`.
    Protocol {
        /// Protocols; the match holds if any equals the packet's.
        protos: Vec<Protocol>,
    },
    /// Non-first fragment (`-f`).
    Fragment,
    /// Source or destination port of `proto` (`--dport`, `-m multiport`, `tcp dport`).
    Port {
        /// Which port.
        dir: Direction,
        /// The protocol whose header holds the port, `None` for nft's `th`.
        proto: Option<Protocol>,
        /// Ports or ranges; the match holds if any contains the port.
        ports: Vec<PortRange>,
    },
    /// Either port (`-m multiport --ports`): source or destination in the list.
    AnyPort {
        /// The protocol whose header holds the ports.
        proto: Option<Protocol>,
        /// Ports or ranges.
        ports: Vec<PortRange>,
    },
    /// TCP flags: `(flags & mask) == set` (`--tcp-flags`, `--syn`).
    TcpFlags {
        /// Flags examined.
        mask: TcpFlags,
        /// Flags that must be set among those examined.
        set: TcpFlags,
    },
    /// ICMP or ICMPv6 type (and code).
    Icmp {
        /// ICMPv6 rather than ICMP.
        v6: bool,
        /// Type; `None` is iptables' `any`.
        icmp_type: Option<u8>,
        /// Code, when restricted.
        code: Option<u8>,
    },
    /// Conntrack state: the packet's state is one of these (`--ctstate`, `--state`, `ct state`).
    CtState {
        /// Accepted states.
        states: CtStateSet,
    },
    /// Conntrack status bits, names kept in lowercase (`--ctstatus`, `ct status`).
    CtStatus {
        /// Status names, e.g. `dnat`, `confirmed`.
        statuses: Vec<String>,
    },
    /// Conntrack direction (`--ctdir`, `ct direction`).
    CtDirection {
        /// `original` or `reply`.
        original: bool,
    },
    /// Packet mark: `(mark & mask) == value` (`-m mark --mark V/M`, `meta mark & M == V`).
    Mark {
        /// Value after masking.
        value: u32,
        /// Mask (`0xffffffff` when absent).
        mask: u32,
    },
    /// Connection mark: `(ct mark & mask) == value` (`-m connmark`, `ct mark`).
    CtMark {
        /// Value after masking.
        value: u32,
        /// Mask.
        mask: u32,
    },
    /// Address type (`-m addrtype`, nft `fib saddr/daddr type`). Types are uppercase kernel names.
    AddrType {
        /// Which address.
        dir: Direction,
        /// Types; the match holds if the address has any of them.
        types: Vec<String>,
        /// `--limit-iface-in` / `--limit-iface-out`.
        limit_iface: Option<Direction>,
    },
    /// Lookup in a named set (`-m set --match-set NAME src,dst`, nft `ip saddr @NAME`).
    SetLookup {
        /// The set's name.
        set: String,
        /// The packet fields forming the key, in order.
        keys: Vec<SetKey>,
    },
    /// Bridge port of a bridged packet (`-m physdev`).
    PhysDev {
        /// `--physdev-in`.
        physdev_in: Option<IfacePattern>,
        /// `--physdev-out`.
        physdev_out: Option<IfacePattern>,
        /// `--physdev-is-in`.
        is_in: bool,
        /// `--physdev-is-out`.
        is_out: bool,
        /// `--physdev-is-bridged`.
        is_bridged: bool,
    },
    /// Source MAC address (`--mac-source`, `ether saddr`), lowercase.
    Mac {
        /// The address, as written (lowercased).
        addr: String,
    },
    /// Random or every-nth sampling (`-m statistic`, `numgen`). Undecidable for the tracer.
    Statistic {
        /// `random` or `nth`.
        mode: StatisticMode,
        /// `--probability` as written.
        probability: Option<String>,
        /// `--every`.
        every: Option<u32>,
        /// `--packet`.
        packet: Option<u32>,
    },
    /// Rate limit (`-m limit`, nft `limit rate`). Undecidable for the tracer.
    Limit {
        /// Rate as `N/unit`, unit one of second, minute, hour, day.
        rate: String,
        /// Burst, when given.
        burst: Option<u32>,
    },
    /// Socket owner (`-m owner`, `meta skuid`/`skgid`).
    Owner {
        /// `--uid-owner`.
        uid: Option<String>,
        /// `--gid-owner`.
        gid: Option<String>,
        /// `--socket-exists`.
        socket_exists: bool,
    },
    /// Packet length range (`-m length`, `meta length`).
    Length {
        /// Inclusive range.
        range: PortRange,
    },
    /// Link-layer packet type (`-m pkttype`, `meta pkttype`): `unicast`, `broadcast`, `multicast`.
    PktType {
        /// The type, lowercase.
        pkt_type: String,
    },
    /// IPv4 TTL or IPv6 hop limit compared with `op` (`eq`, `lt`, `gt`).
    Ttl {
        /// IPv6 hop limit rather than IPv4 TTL.
        v6: bool,
        /// `eq`, `lt` or `gt`.
        op: TtlOp,
        /// Compared value.
        value: u8,
    },
    /// DSCP value (`-m dscp`, `ip dscp`).
    Dscp {
        /// DSCP code point.
        value: u8,
    },
    /// TOS byte with mask (`-m tos`).
    Tos {
        /// Value after masking.
        value: u8,
        /// Mask.
        mask: u8,
    },
    /// Anything else, kept verbatim. `module` is the iptables module or the nft expression
    /// head; `args` the rest, exactly as read. Compares by text; the tracer treats it as unknown.
    Other {
        /// Module or expression kind (`recent`, `rpfilter`, `xt:recent`, `nft`).
        module: String,
        /// The original text of the options.
        args: String,
        /// Set when the source dropped part of this match (nft JSON's `xt`), so it cannot be compared.
        lossy: bool,
    },
}

/// One packet field in a set lookup key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SetKey {
    /// IPv4 source address (`ip saddr`).
    Saddr,
    /// IPv4 destination address (`ip daddr`).
    Daddr,
    /// Source port.
    Sport,
    /// Destination port.
    Dport,
    /// Input interface name.
    IifName,
    /// Output interface name.
    OifName,
    /// Layer-4 protocol.
    L4Proto,
    /// Packet mark.
    Mark,
    /// ipset direction flag `src` whose meaning depends on the set's type (unknown from a dump).
    IpsetSrc,
    /// ipset direction flag `dst`.
    IpsetDst,
    /// Any other key expression, verbatim (e.g. `ether saddr`).
    Other(String),
    /// IPv6 source address (`ip6 saddr`), so it differs from `ip saddr`.
    Saddr6,
    /// IPv6 destination address (`ip6 daddr`).
    Daddr6,
    /// A port of one transport protocol (`tcp dport`, `udp sport`): the lookup needs that
    /// protocol, where `Sport`/`Dport` (`th dport`) take any protocol with ports.
    TransportPort {
        /// The protocol (`tcp`, `udp`, ...).
        proto: Protocol,
        /// `Src` for the source port, `Dst` for the destination port.
        dir: Direction,
    },
}

impl SetKey {
    /// The key of an IPv4 or IPv6 source or destination address.
    pub fn address(dir: Direction, v6: bool) -> SetKey {
        match (dir, v6) {
            (Direction::Src, false) => SetKey::Saddr,
            (Direction::Dst, false) => SetKey::Daddr,
            (Direction::Src, true) => SetKey::Saddr6,
            (Direction::Dst, true) => SetKey::Daddr6,
        }
    }

    /// The key of a source or destination port: of one transport protocol (`tcp dport`),
    /// or of any protocol with ports (`th dport`) when `proto` is `None`.
    pub fn port(dir: Direction, proto: Option<Protocol>) -> SetKey {
        match (proto, dir) {
            (Some(proto), dir) => SetKey::TransportPort { proto, dir },
            (None, Direction::Src) => SetKey::Sport,
            (None, Direction::Dst) => SetKey::Dport,
        }
    }

    /// The key of an input (`Src`) or output (`Dst`) interface name.
    pub fn interface(dir: Direction) -> SetKey {
        match dir {
            Direction::Src => SetKey::IifName,
            Direction::Dst => SetKey::OifName,
        }
    }
}
