//! Match modules (`-m MODULE --options`) mapped onto typed [`MatchKind`]s, or kept verbatim.

use crate::model::{
    AddrSpec, CtStateSet, Direction, IfacePattern, Match, MatchKind, PortRange, Protocol, SetKey,
    TcpFlags,
};
use crate::model::{StatisticMode, TtlOp};

use super::group::{render, LineError, Opt};
use super::icmp::parse_icmp_type;
use super::values::{parse_port_list, parse_port_range, parse_range, parse_u32, parse_value_mask};

/// What the options of a rule add up to so far.
#[derive(Debug, Default)]
pub(crate) struct Acc {
    /// Matches in the order read.
    pub matches: Vec<Match>,
    /// `-m comment` texts.
    pub comments: Vec<String>,
    /// The rule's `-p` protocol, when given without `!`.
    pub proto: Option<Protocol>,
    /// Whether the rule shows IPv6 content (addresses, icmpv6, hl).
    pub v6_evidence: bool,
}

impl Acc {
    fn push(&mut self, negated: bool, kind: MatchKind) {
        self.matches.push(Match::with_negation(kind, negated));
    }
}

/// Options of a typed module that are valid but not typed; they go into an `Other`.
fn untyped_options(module: &str) -> &'static [&'static str] {
    match module {
        "tcp" => &["--tcp-option"],
        "sctp" => &["--chunk-types"],
        "dccp" => &["--dccp-types", "--dccp-option"],
        "conntrack" => &[
            "--ctproto",
            "--ctorigsrc",
            "--ctorigdst",
            "--ctreplsrc",
            "--ctrepldst",
            "--ctorigsrcport",
            "--ctorigdstport",
            "--ctreplsrcport",
            "--ctrepldstport",
            "--ctexpire",
        ],
        "set" => &[
            "--return-nomatch",
            "--update-counters",
            "--update-subcounters",
            "--packets-eq",
            "--packets-lt",
            "--packets-gt",
            "--bytes-eq",
            "--bytes-lt",
            "--bytes-gt",
        ],
        "owner" => &[
            "--pid-owner",
            "--sid-owner",
            "--cmd-owner",
            "--suppl-groups",
        ],
        _ => &[],
    }
}

/// Whether `module` is typed by [`build`].
pub(crate) fn is_typed(module: &str) -> bool {
    matches!(
        module,
        "tcp"
            | "udp"
            | "sctp"
            | "udplite"
            | "dccp"
            | "multiport"
            | "icmp"
            | "icmp6"
            | "icmpv6"
            | "ipv6-icmp"
            | "conntrack"
            | "state"
            | "mark"
            | "connmark"
            | "comment"
            | "addrtype"
            | "set"
            | "physdev"
            | "mac"
            | "iprange"
            | "statistic"
            | "limit"
            | "owner"
            | "length"
            | "pkttype"
            | "ttl"
            | "hl"
            | "dscp"
            | "tos"
    )
}

/// The protocol whose header a port module reads.
fn port_proto(module: &str) -> Option<Protocol> {
    Some(match module {
        "tcp" => Protocol::TCP,
        "udp" => Protocol::UDP,
        "sctp" => Protocol::SCTP,
        "udplite" => Protocol::UDPLITE,
        "dccp" => Protocol::DCCP,
        _ => return None,
    })
}

fn port(o: &Opt<'_, '_>) -> Result<PortRange, LineError> {
    parse_port_range(o.one()?.as_str()).map_err(|m| o.err(m))
}

fn num<T: TryFrom<u32>>(o: &Opt<'_, '_>) -> Result<T, LineError> {
    let v = parse_u32(o.one()?.as_str()).map_err(|m| o.err(m))?;
    T::try_from(v).map_err(|_| o.err(format!("value `{v}` is out of range for `{}`", o.name())))
}

/// Every option of a typed module (typed or not), for abbreviation lookup.
fn known_options(module: &str) -> &'static [&'static str] {
    match module {
        "tcp" => &[
            "--sport",
            "--source-port",
            "--dport",
            "--destination-port",
            "--tcp-flags",
            "--syn",
            "--tcp-option",
        ],
        "udp" | "udplite" => &["--sport", "--source-port", "--dport", "--destination-port"],
        "sctp" => &[
            "--sport",
            "--source-port",
            "--dport",
            "--destination-port",
            "--chunk-types",
        ],
        "dccp" => &[
            "--sport",
            "--source-port",
            "--dport",
            "--destination-port",
            "--dccp-types",
            "--dccp-option",
        ],
        "multiport" => &[
            "--dports",
            "--destination-ports",
            "--sports",
            "--source-ports",
            "--ports",
        ],
        "icmp" => &["--icmp-type"],
        "icmp6" | "icmpv6" | "ipv6-icmp" => &["--icmpv6-type"],
        "conntrack" => &[
            "--ctstate",
            "--ctstatus",
            "--ctdir",
            "--ctproto",
            "--ctorigsrc",
            "--ctorigdst",
            "--ctreplsrc",
            "--ctrepldst",
            "--ctorigsrcport",
            "--ctorigdstport",
            "--ctreplsrcport",
            "--ctrepldstport",
            "--ctexpire",
        ],
        "state" => &["--state"],
        "mark" | "connmark" => &["--mark"],
        "comment" => &["--comment"],
        "addrtype" => &[
            "--src-type",
            "--dst-type",
            "--limit-iface-in",
            "--limit-iface-out",
        ],
        "set" => &[
            "--match-set",
            "--set",
            "--return-nomatch",
            "--update-counters",
            "--update-subcounters",
            "--packets-eq",
            "--packets-lt",
            "--packets-gt",
            "--bytes-eq",
            "--bytes-lt",
            "--bytes-gt",
        ],
        "physdev" => &[
            "--physdev-in",
            "--physdev-out",
            "--physdev-is-in",
            "--physdev-is-out",
            "--physdev-is-bridged",
        ],
        "mac" => &["--mac-source"],
        "iprange" => &["--src-range", "--dst-range"],
        "statistic" => &["--mode", "--probability", "--every", "--packet"],
        "limit" => &["--limit", "--limit-burst"],
        "owner" => &[
            "--uid-owner",
            "--gid-owner",
            "--socket-exists",
            "--pid-owner",
            "--sid-owner",
            "--cmd-owner",
            "--suppl-groups",
        ],
        "length" => &["--length"],
        "pkttype" => &["--pkt-type"],
        "ttl" => &["--ttl-eq", "--ttl-lt", "--ttl-gt", "--ttl-ne", "--ttl"],
        "hl" => &["--hl-eq", "--hl-lt", "--hl-gt", "--hl-ne"],
        "dscp" => &["--dscp", "--dscp-class"],
        "tos" => &["--tos"],
        _ => &[],
    }
}

/// Resolves an option name, accepting unambiguous abbreviations as getopt does (`--mac`).
fn resolve(known: &[&'static str], name: &str) -> Option<&'static str> {
    if let Some(k) = known.iter().find(|k| **k == name) {
        return Some(k);
    }
    let mut found = known
        .iter()
        .filter(|k| k.starts_with(name) && name.len() > 2);
    match (found.next(), found.next()) {
        (Some(k), None) => Some(k),
        _ => None,
    }
}

/// The match module implied by `-p PROTO` for options written without `-m`.
pub(crate) fn implicit_module(p: Protocol) -> Option<&'static str> {
    Some(match p.0 {
        6 => "tcp",
        17 => "udp",
        132 => "sctp",
        136 => "udplite",
        33 => "dccp",
        1 => "icmp",
        58 => "icmp6",
        _ => return None,
    })
}

/// Builds the matches of one module's options into `acc`. Options the module does not
/// know but the rule's protocol match does (`-p tcp -m state --state NEW --dport 22`,
/// which iptables accepts) go to the protocol's match.
pub(crate) fn build(module: &str, opts: &[Opt<'_, '_>], acc: &mut Acc) -> Result<(), LineError> {
    let header_proto = match module {
        "icmp" => Some(Protocol::ICMP),
        "icmp6" | "icmpv6" | "ipv6-icmp" => Some(Protocol::ICMPV6),
        _ => port_proto(module),
    };
    if let (Some(want), Some(have), Some(first)) = (header_proto, acc.proto, opts.first()) {
        if want != have {
            return Err(first.err(format!(
                "`-m {module}` reads {module} headers, but the rule has `-p {have}`: expected \
                 `-p {want}` (the kernel refuses this rule)"
            )));
        }
    }
    if !is_typed(module) {
        acc.push(
            false,
            MatchKind::Other {
                module: module.to_string(),
                args: render(opts),
                lossy: false,
            },
        );
        return Ok(());
    }
    let known = known_options(module);
    let untyped = untyped_options(module);
    let implicit = acc.proto.and_then(implicit_module).filter(|m| *m != module);
    let mut mine: Vec<(&'static str, Opt<'_, '_>)> = Vec::new();
    let mut extra: Vec<Opt<'_, '_>> = Vec::new();
    let mut borrowed: Vec<(&'static str, Opt<'_, '_>)> = Vec::new();
    for o in opts {
        match resolve(known, o.name()) {
            Some(c) if untyped.contains(&c) => extra.push(*o),
            Some(c) => mine.push((c, *o)),
            None => match implicit.and_then(|m| resolve(known_options(m), o.name())) {
                Some(c) => borrowed.push((c, *o)),
                None => return Err(unknown(module, o)),
            },
        }
    }
    build_module(module, &mine, acc)?;
    if let Some(m) = implicit {
        if !borrowed.is_empty() {
            build_module(m, &borrowed, acc)?;
        }
    }
    if !extra.is_empty() {
        acc.push(
            false,
            MatchKind::Other {
                module: module.to_string(),
                args: render(&extra),
                lossy: false,
            },
        );
    }
    Ok(())
}

fn build_module(
    module: &str,
    opts: &[(&'static str, Opt<'_, '_>)],
    acc: &mut Acc,
) -> Result<(), LineError> {
    match module {
        "statistic" => return build_statistic(opts, acc),
        "limit" => return build_limit(opts, acc),
        _ => {}
    }
    let untyped = untyped_options(module);
    let mut extra = Vec::new();
    for (name, o) in opts {
        if untyped.contains(name) {
            extra.push(*o);
        } else {
            build_one(module, name, o, opts, acc)?;
        }
    }
    if !extra.is_empty() {
        acc.push(
            false,
            MatchKind::Other {
                module: module.to_string(),
                args: render(&extra),
                lossy: false,
            },
        );
    }
    Ok(())
}

fn build_statistic(all: &[(&'static str, Opt<'_, '_>)], acc: &mut Acc) -> Result<(), LineError> {
    let mut mode = String::new();
    let mut probability = None;
    let mut every = None;
    let mut packet = None;
    let mut negated = false;
    for (name, x) in all {
        negated |= x.negated;
        match *name {
            "--mode" => mode = x.one()?.as_str().to_string(),
            "--probability" => probability = Some(x.one()?.as_str().to_string()),
            "--every" => every = Some(num(x)?),
            "--packet" => packet = Some(num(x)?),
            _ => return Err(unknown("statistic", x)),
        }
    }
    let Some(mode) = StatisticMode::parse(&mode) else {
        let at = all.first().map(|(_, o)| o.name);
        return Err(LineError {
            offset: at.map_or(0, |t| t.offset),
            message: "`-m statistic` expects `--mode random` or `--mode nth`".into(),
        });
    };
    acc.push(
        negated,
        MatchKind::Statistic {
            mode,
            probability,
            every,
            packet,
        },
    );
    Ok(())
}

fn build_limit(all: &[(&'static str, Opt<'_, '_>)], acc: &mut Acc) -> Result<(), LineError> {
    let mut rate = normalize_rate("3/hour").unwrap_or_default();
    let mut burst = None;
    for (name, x) in all {
        if x.negated {
            return Err(LineError::at(
                x.name,
                "`-m limit` options cannot be negated",
            ));
        }
        match *name {
            "--limit" => {
                let v = x.one()?;
                rate = normalize_rate(v.as_str()).ok_or_else(|| {
                    x.err(format!(
                        "invalid rate `{}`: expected N/second, N/minute, N/hour or N/day",
                        v.as_str()
                    ))
                })?;
            }
            "--limit-burst" => burst = Some(num::<u32>(x)?),
            _ => return Err(unknown("limit", x)),
        }
    }
    acc.push(
        false,
        MatchKind::Limit {
            rate,
            burst: burst.filter(|b| *b != 5),
        },
    );
    Ok(())
}

fn unknown(module: &str, o: &Opt<'_, '_>) -> LineError {
    LineError::at(
        o.name,
        format!("unknown option `{}` of match `{module}`", o.name()),
    )
}

fn build_one(
    module: &str,
    name: &str,
    o: &Opt<'_, '_>,
    all: &[(&'static str, Opt<'_, '_>)],
    acc: &mut Acc,
) -> Result<(), LineError> {
    let neg = o.negated;
    match module {
        "tcp" | "udp" | "sctp" | "udplite" | "dccp" => {
            let proto = port_proto(module);
            match name {
                "--sport" | "--source-port" => {
                    let p = port(o)?;
                    acc.push(
                        neg,
                        MatchKind::Port {
                            dir: Direction::Src,
                            proto,
                            ports: vec![p],
                        },
                    );
                }
                "--dport" | "--destination-port" => {
                    let p = port(o)?;
                    acc.push(
                        neg,
                        MatchKind::Port {
                            dir: Direction::Dst,
                            proto,
                            ports: vec![p],
                        },
                    );
                }
                "--tcp-flags" if module == "tcp" => {
                    let [m, s] = o.values else {
                        return Err(
                            o.err("`--tcp-flags` expects a mask and a set, e.g. `SYN,RST SYN`")
                        );
                    };
                    let mask = TcpFlags::parse_list(m.as_str()).ok_or_else(|| {
                        LineError::at(m, format!("invalid TCP flags `{}`", m.as_str()))
                    })?;
                    let set = TcpFlags::parse_list(s.as_str()).ok_or_else(|| {
                        LineError::at(s, format!("invalid TCP flags `{}`", s.as_str()))
                    })?;
                    acc.push(neg, MatchKind::TcpFlags { mask, set });
                }
                "--syn" if module == "tcp" => {
                    o.flag()?;
                    acc.push(
                        neg,
                        MatchKind::TcpFlags {
                            mask: TcpFlags(0x17),
                            set: TcpFlags(0x02),
                        },
                    );
                }
                _ => return Err(unknown(module, o)),
            }
        }
        "multiport" => {
            let ports = parse_port_list(o.one()?.as_str()).map_err(|m| o.err(m))?;
            let Some(proto) = acc.proto.filter(|p| p.has_ports()) else {
                return Err(LineError::at(
                    o.name,
                    "`-m multiport` needs `-p tcp`, `udp`, `udplite`, `dccp` or `sctp` before it",
                ));
            };
            let proto = Some(proto);
            let kind = match name {
                "--dports" | "--destination-ports" => MatchKind::Port {
                    dir: Direction::Dst,
                    proto,
                    ports,
                },
                "--sports" | "--source-ports" => MatchKind::Port {
                    dir: Direction::Src,
                    proto,
                    ports,
                },
                "--ports" => MatchKind::AnyPort { proto, ports },
                _ => return Err(unknown(module, o)),
            };
            acc.push(neg, kind);
        }
        "icmp" | "icmp6" | "icmpv6" | "ipv6-icmp" => {
            let v6 = module != "icmp";
            let expected = if v6 { "--icmpv6-type" } else { "--icmp-type" };
            if name != expected {
                return Err(unknown(module, o));
            }
            let v = o.one()?;
            let (t, c) = parse_icmp_type(v6, v.as_str()).ok_or_else(|| {
                o.err(format!(
                    "invalid ICMP type `{}`: expected a name, a number or TYPE/CODE",
                    v.as_str()
                ))
            })?;
            if v6 {
                acc.v6_evidence = true;
            }
            acc.push(
                neg,
                MatchKind::Icmp {
                    v6,
                    icmp_type: t,
                    code: c,
                },
            );
        }
        "conntrack" | "state" => match (module, name) {
            ("conntrack", "--ctstate") | ("state", "--state") => {
                let v = o.one()?;
                let states = CtStateSet::parse_list(v.as_str()).ok_or_else(|| {
                    o.err(format!("invalid conntrack state list `{}`", v.as_str()))
                })?;
                acc.push(neg, MatchKind::CtState { states });
            }
            ("conntrack", "--ctstatus") => {
                let v = o.one()?;
                let statuses = v
                    .as_str()
                    .split(',')
                    // nft's spelling: `SEEN_REPLY` is `seen-reply`.
                    .map(|s| s.to_ascii_lowercase().replace('_', "-"))
                    .collect();
                acc.push(neg, MatchKind::CtStatus { statuses });
            }
            ("conntrack", "--ctdir") => {
                let v = o.one()?;
                let original = match v.as_str().to_ascii_uppercase().as_str() {
                    "ORIGINAL" => true,
                    "REPLY" => false,
                    _ => return Err(o.err("`--ctdir` expects ORIGINAL or REPLY")),
                };
                acc.push(neg, MatchKind::CtDirection { original });
            }
            _ => return Err(unknown(module, o)),
        },
        "mark" | "connmark" => {
            if name != "--mark" {
                return Err(unknown(module, o));
            }
            let (value, mask) = parse_value_mask(o.one()?.as_str()).map_err(|m| o.err(m))?;
            let kind = if module == "mark" {
                MatchKind::Mark { value, mask }
            } else {
                MatchKind::CtMark { value, mask }
            };
            acc.push(neg, kind);
        }
        "comment" => {
            if name != "--comment" || neg {
                return Err(unknown(module, o));
            }
            acc.comments.push(o.one()?.as_str().to_string());
        }
        "addrtype" => match name {
            "--src-type" | "--dst-type" => {
                let dir = if name == "--src-type" {
                    Direction::Src
                } else {
                    Direction::Dst
                };
                let types = o
                    .one()?
                    .as_str()
                    .split(',')
                    .map(|t| t.to_ascii_uppercase())
                    .collect();
                let limit_iface = all.iter().find_map(|(n, _)| match *n {
                    "--limit-iface-in" => Some(Direction::Src),
                    "--limit-iface-out" => Some(Direction::Dst),
                    _ => None,
                });
                acc.push(
                    neg,
                    MatchKind::AddrType {
                        dir,
                        types,
                        limit_iface,
                    },
                );
            }
            "--limit-iface-in" | "--limit-iface-out" => o.flag()?,
            _ => return Err(unknown(module, o)),
        },
        "set" => match name {
            "--match-set" | "--set" => {
                let [set, flags] = o.values else {
                    return Err(o.err(
                        "`--match-set` expects a set name and flags such as `src` or `src,dst`",
                    ));
                };
                let mut keys = Vec::new();
                for f in flags.as_str().split(',') {
                    keys.push(match f {
                        "src" => SetKey::IpsetSrc,
                        "dst" => SetKey::IpsetDst,
                        _ => {
                            return Err(LineError::at(
                                flags,
                                format!("invalid set flag `{f}`: expected `src` or `dst`"),
                            ))
                        }
                    });
                }
                acc.push(
                    neg,
                    MatchKind::SetLookup {
                        set: set.as_str().to_string(),
                        keys,
                    },
                );
            }
            _ => return Err(unknown(module, o)),
        },
        "physdev" => {
            let mut pd = MatchKind::PhysDev {
                physdev_in: None,
                physdev_out: None,
                is_in: false,
                is_out: false,
                is_bridged: false,
            };
            if let MatchKind::PhysDev {
                physdev_in,
                physdev_out,
                is_in,
                is_out,
                is_bridged,
            } = &mut pd
            {
                match name {
                    "--physdev-in" => {
                        *physdev_in = Some(IfacePattern::from_iptables(o.one()?.as_str()))
                    }
                    "--physdev-out" => {
                        *physdev_out = Some(IfacePattern::from_iptables(o.one()?.as_str()))
                    }
                    "--physdev-is-in" => {
                        o.flag()?;
                        *is_in = true
                    }
                    "--physdev-is-out" => {
                        o.flag()?;
                        *is_out = true
                    }
                    "--physdev-is-bridged" => {
                        o.flag()?;
                        *is_bridged = true
                    }
                    _ => return Err(unknown(module, o)),
                }
            }
            // Consecutive options with the same negation are one match, as the live
            // reader groups the bits of one xt_physdev payload.
            if let (
                Some(Match {
                    kind:
                        MatchKind::PhysDev {
                            physdev_in,
                            physdev_out,
                            is_in,
                            is_out,
                            is_bridged,
                        },
                    negated,
                    ..
                }),
                MatchKind::PhysDev {
                    physdev_in: new_in,
                    physdev_out: new_out,
                    is_in: new_is_in,
                    is_out: new_is_out,
                    is_bridged: new_is_bridged,
                },
            ) = (acc.matches.last_mut(), &pd)
            {
                if *negated == neg
                    && !(physdev_in.is_some() && new_in.is_some())
                    && !(physdev_out.is_some() && new_out.is_some())
                {
                    if new_in.is_some() {
                        physdev_in.clone_from(new_in);
                    }
                    if new_out.is_some() {
                        physdev_out.clone_from(new_out);
                    }
                    *is_in |= new_is_in;
                    *is_out |= new_is_out;
                    *is_bridged |= new_is_bridged;
                    return Ok(());
                }
            }
            acc.push(neg, pd);
        }
        "mac" => {
            if name != "--mac-source" {
                return Err(unknown(module, o));
            }
            acc.push(
                neg,
                MatchKind::Mac {
                    addr: o.one()?.as_str().to_ascii_lowercase(),
                },
            );
        }
        "iprange" => {
            let dir = match name {
                "--src-range" => Direction::Src,
                "--dst-range" => Direction::Dst,
                _ => return Err(unknown(module, o)),
            };
            let r: AddrSpec = parse_range(o.one()?.as_str()).map_err(|m| o.err(m))?;
            if r.is_ipv6() {
                acc.v6_evidence = true;
            }
            acc.push(
                neg,
                MatchKind::Address {
                    dir,
                    addrs: vec![r],
                },
            );
        }
        "owner" => {
            let kind = match name {
                "--uid-owner" => MatchKind::Owner {
                    uid: Some(o.one()?.as_str().to_string()),
                    gid: None,
                    socket_exists: false,
                },
                "--gid-owner" => MatchKind::Owner {
                    uid: None,
                    gid: Some(o.one()?.as_str().to_string()),
                    socket_exists: false,
                },
                "--socket-exists" => {
                    o.flag()?;
                    MatchKind::Owner {
                        uid: None,
                        gid: None,
                        socket_exists: true,
                    }
                }
                _ => return Err(unknown(module, o)),
            };
            acc.push(neg, kind);
        }
        "length" => {
            if name != "--length" {
                return Err(unknown(module, o));
            }
            acc.push(neg, MatchKind::Length { range: port(o)? });
        }
        "pkttype" => {
            if name != "--pkt-type" {
                return Err(unknown(module, o));
            }
            acc.push(
                neg,
                MatchKind::PktType {
                    pkt_type: o.one()?.as_str().to_ascii_lowercase(),
                },
            );
        }
        "ttl" | "hl" => {
            let v6 = module == "hl";
            let op = match name.strip_prefix(if v6 { "--hl-" } else { "--ttl-" }) {
                Some("eq") => TtlOp::Eq,
                Some("lt") => TtlOp::Lt,
                Some("gt") => TtlOp::Gt,
                Some("ne") => {
                    let value: u8 = num(o)?;
                    acc.push(
                        !neg,
                        MatchKind::Ttl {
                            v6,
                            op: TtlOp::Eq,
                            value,
                        },
                    );
                    return Ok(());
                }
                _ if name == "--ttl" && !v6 => TtlOp::Eq,
                _ => return Err(unknown(module, o)),
            };
            if v6 {
                acc.v6_evidence = true;
            }
            let value: u8 = num(o)?;
            acc.push(neg, MatchKind::Ttl { v6, op, value });
        }
        "dscp" => {
            let value: u8 = match name {
                "--dscp" => num(o)?,
                "--dscp-class" => dscp_class(o.one()?.as_str()).ok_or_else(|| {
                    o.err("invalid DSCP class: expected CS0-CS7, AF11-AF43, EF or BE")
                })?,
                _ => return Err(unknown(module, o)),
            };
            if value > 63 {
                return Err(o.err("DSCP value must be 0-63"));
            }
            acc.push(neg, MatchKind::Dscp { value });
        }
        "tos" => {
            if name != "--tos" {
                return Err(unknown(module, o));
            }
            let (value, mask) = parse_tos(o.one()?.as_str()).ok_or_else(|| {
                o.err("invalid TOS: expected VALUE[/MASK] or a name such as Minimize-Delay")
            })?;
            acc.push(neg, MatchKind::Tos { value, mask });
        }
        _ => return Err(unknown(module, o)),
    }
    Ok(())
}

/// DSCP class names of `--dscp-class`.
pub(crate) fn dscp_class(s: &str) -> Option<u8> {
    let u = s.to_ascii_uppercase();
    if u == "EF" {
        return Some(46);
    }
    if u == "BE" {
        return Some(0);
    }
    if let Some(n) = u.strip_prefix("CS") {
        let n: u8 = n.parse().ok()?;
        return (n <= 7).then_some(n * 8);
    }
    if let Some(n) = u.strip_prefix("AF") {
        let b = n.as_bytes();
        if b.len() == 2 && (b'1'..=b'4').contains(&b[0]) && (b'1'..=b'3').contains(&b[1]) {
            return Some((b[0] - b'0') * 8 + (b[1] - b'0') * 2);
        }
    }
    None
}

/// Parses `--tos`: `VALUE[/MASK]` (mask defaults to 0xff) or a symbolic name (mask 0x3f).
pub(crate) fn parse_tos(s: &str) -> Option<(u8, u8)> {
    const NAMES: &[(&str, u8)] = &[
        ("minimize-delay", 0x10),
        ("maximize-throughput", 0x08),
        ("maximize-reliability", 0x04),
        ("minimize-cost", 0x02),
        ("normal-service", 0x00),
    ];
    if let Some((_, v)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
        return Some((*v, 0x3f));
    }
    let (v, m) = parse_value_mask(s).ok()?;
    let m = if s.contains('/') { m } else { 0xff };
    Some((u8::try_from(v).ok()?, u8::try_from(m).ok()?))
}

/// Normalizes a `--limit` rate the way the kernel stores and `iptables-save` prints it
/// (`60/min` is `1/second`), spelled with full unit names: `5/minute`.
pub(crate) fn normalize_rate(s: &str) -> Option<String> {
    const SCALE: u64 = 10_000;
    let (n, unit) = match s.split_once('/') {
        Some((n, u)) => (n, u),
        None => (s, "second"),
    };
    let mult: u64 = if unit.is_empty() {
        return None;
    } else if "second".starts_with(unit) {
        1
    } else if "minute".starts_with(unit) {
        60
    } else if "hour".starts_with(unit) {
        3600
    } else if "day".starts_with(unit) {
        86_400
    } else {
        return None;
    };
    let r: u64 = n.parse().ok().filter(|r| *r > 0)?;
    let period = SCALE * mult / r;
    if period == 0 || period > u64::from(u32::MAX) {
        return None;
    }
    let rates: [(&str, u64); 4] = [
        ("day", SCALE * 86_400),
        ("hour", SCALE * 3600),
        ("minute", SCALE * 60),
        ("second", SCALE),
    ];
    let mut i = 1;
    while i < rates.len() {
        let m = rates[i].1;
        if period > m || m / period < m % period {
            break;
        }
        i += 1;
    }
    Some(format!("{}/{}", rates[i - 1].1 / period, rates[i - 1].0))
}

#[cfg(test)]
mod tests;
