//! The one canonical, nft-like text form of matches, statements, verdicts and rules.
//!
//! Diff and reports key on this text, so it must be stable: the same model always
//! renders the same way, and counters, handles and origins never appear in it.

use std::fmt::{self, Write as _};

use super::matches::{Match, MatchKind, SetKey};
use super::rule::Rule;
use super::statement::Statement;
use super::value::{AddrSpec, Direction, Protocol};
use super::verdict::Verdict;

/// Writes `s` as an nft double-quoted string.
pub(crate) fn quote(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    // Runs between the characters to escape are written whole (not char by char: quoting
    // every rule's comment showed in profiles).
    let mut rest = s;
    while let Some(i) = rest.find(['"', '\\']) {
        f.write_str(&rest[..i])?;
        f.write_str(if rest.as_bytes()[i] == b'"' {
            "\\\""
        } else {
            "\\\\"
        })?;
        rest = &rest[i + 1..];
    }
    f.write_str(rest)?;
    f.write_char('"')
}

/// Writes a list as a single value, or as an anonymous set `{ a, b }`.
fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    if items.len() == 1 {
        return write!(f, "{}", items[0]);
    }
    f.write_str("{ ")?;
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{it}")?;
    }
    f.write_str(" }")
}

fn op(negated: bool) -> &'static str {
    if negated {
        "!= "
    } else {
        ""
    }
}

fn dir_word(dir: Direction) -> &'static str {
    match dir {
        Direction::Src => "s",
        Direction::Dst => "d",
    }
}

fn proto_word(p: Option<Protocol>) -> String {
    match p {
        Some(p) if p.has_ports() => p.to_string(),
        _ => "th".to_string(),
    }
}

/// Names of ICMP types as nft prints them.
pub fn icmp_type_name(v6: bool, t: u8) -> Option<&'static str> {
    let table: &[(u8, &str)] = if v6 {
        &[
            (1, "destination-unreachable"),
            (2, "packet-too-big"),
            (3, "time-exceeded"),
            (4, "parameter-problem"),
            (128, "echo-request"),
            (129, "echo-reply"),
            (130, "mld-listener-query"),
            (131, "mld-listener-report"),
            (132, "mld-listener-done"),
            (133, "nd-router-solicit"),
            (134, "nd-router-advert"),
            (135, "nd-neighbor-solicit"),
            (136, "nd-neighbor-advert"),
            (137, "nd-redirect"),
            (138, "router-renumbering"),
            (141, "ind-neighbor-solicit"),
            (142, "ind-neighbor-advert"),
            (143, "mld2-listener-report"),
        ]
    } else {
        &[
            (0, "echo-reply"),
            (3, "destination-unreachable"),
            (4, "source-quench"),
            (5, "redirect"),
            (8, "echo-request"),
            (9, "router-advertisement"),
            (10, "router-solicitation"),
            (11, "time-exceeded"),
            (12, "parameter-problem"),
            (13, "timestamp-request"),
            (14, "timestamp-reply"),
            (15, "info-request"),
            (16, "info-reply"),
            (17, "address-mask-request"),
            (18, "address-mask-reply"),
        ]
    };
    table.iter().find(|(n, _)| *n == t).map(|(_, s)| *s)
}

impl fmt::Display for SetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let SetKey::TransportPort { proto, dir } = self {
            let d = if *dir == Direction::Src {
                "sport"
            } else {
                "dport"
            };
            return write!(f, "{proto} {d}");
        }
        f.write_str(match self {
            SetKey::Saddr => "ip saddr",
            SetKey::Daddr => "ip daddr",
            SetKey::Saddr6 => "ip6 saddr",
            SetKey::Daddr6 => "ip6 daddr",
            SetKey::Sport => "sport",
            SetKey::Dport => "dport",
            SetKey::IifName => "iifname",
            SetKey::OifName => "oifname",
            SetKey::L4Proto => "l4proto",
            SetKey::Mark => "mark",
            SetKey::IpsetSrc => "src",
            SetKey::IpsetDst => "dst",
            SetKey::Other(s) => s,
            SetKey::TransportPort { .. } => "",
        })
    }
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.negated;
        match &self.kind {
            MatchKind::Interface { dir, names } => {
                let kw = match dir {
                    Direction::Src => "iifname",
                    Direction::Dst => "oifname",
                };
                write!(f, "{kw} {}", op(neg))?;
                list(f, names)
            }
            MatchKind::Address { dir, addrs } => {
                let fam = if addrs.first().is_some_and(AddrSpec::is_ipv6) {
                    "ip6"
                } else {
                    "ip"
                };
                write!(f, "{fam} {}addr {}", dir_word(*dir), op(neg))?;
                list(f, addrs)
            }
            MatchKind::Protocol { protos } => {
                write!(f, "meta l4proto {}", op(neg))?;
                list(f, protos)
            }
            MatchKind::Fragment => {
                if neg {
                    f.write_str("ip frag-off & 0x1fff == 0")
                } else {
                    f.write_str("ip frag-off & 0x1fff != 0")
                }
            }
            MatchKind::Port { dir, proto, ports } => {
                write!(
                    f,
                    "{} {}port {}",
                    proto_word(*proto),
                    dir_word(*dir),
                    op(neg)
                )?;
                list(f, ports)
            }
            MatchKind::AnyPort { proto, ports } => {
                write!(f, "{} port {}", proto_word(*proto), op(neg))?;
                list(f, ports)
            }
            MatchKind::TcpFlags { mask, set } => {
                let o = if neg { "!=" } else { "==" };
                write!(f, "tcp flags & ({mask}) {o} {set}")
            }
            MatchKind::Icmp {
                v6,
                icmp_type,
                code,
            } => {
                let fam = if *v6 { "icmpv6" } else { "icmp" };
                match icmp_type {
                    None => write!(f, "meta l4proto {}{fam}", op(neg)),
                    Some(t) => {
                        write!(f, "{fam} type {}", op(neg))?;
                        match icmp_type_name(*v6, *t) {
                            Some(n) => f.write_str(n)?,
                            None => write!(f, "{t}")?,
                        }
                        if let Some(c) = code {
                            write!(f, " {fam} code {c}")?;
                        }
                        Ok(())
                    }
                }
            }
            MatchKind::CtState { states } => write!(f, "ct state {}{states}", op(neg)),
            MatchKind::CtStatus { statuses } => {
                write!(f, "ct status {}{}", op(neg), statuses.join(","))
            }
            MatchKind::CtDirection { original } => write!(
                f,
                "ct direction {}{}",
                op(neg),
                if *original { "original" } else { "reply" }
            ),
            MatchKind::Mark { value, mask } => write_mark(f, "meta mark", *value, *mask, neg),
            MatchKind::CtMark { value, mask } => write_mark(f, "ct mark", *value, *mask, neg),
            MatchKind::AddrType {
                dir,
                types,
                limit_iface,
            } => {
                write!(f, "fib {}addr ", dir_word(*dir))?;
                match limit_iface {
                    Some(Direction::Src) => f.write_str(". iif ")?,
                    Some(Direction::Dst) => f.write_str(". oif ")?,
                    None => {}
                }
                write!(f, "type {}", op(neg))?;
                let lower: Vec<String> = types.iter().map(|t| t.to_ascii_lowercase()).collect();
                list(f, &lower)
            }
            MatchKind::SetLookup { set, keys } => {
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" . ")?;
                    }
                    write!(f, "{k}")?;
                }
                write!(f, " {}@{set}", op(neg))
            }
            MatchKind::PhysDev {
                physdev_in,
                physdev_out,
                is_in,
                is_out,
                is_bridged,
            } => {
                if neg {
                    f.write_str("! ")?;
                }
                f.write_str("physdev")?;
                if let Some(i) = physdev_in {
                    write!(f, " in {i}")?;
                }
                if let Some(o) = physdev_out {
                    write!(f, " out {o}")?;
                }
                if *is_in {
                    f.write_str(" is-in")?;
                }
                if *is_out {
                    f.write_str(" is-out")?;
                }
                if *is_bridged {
                    f.write_str(" is-bridged")?;
                }
                Ok(())
            }
            MatchKind::Mac { addr } => write!(f, "ether saddr {}{addr}", op(neg)),
            MatchKind::Statistic {
                mode,
                probability,
                every,
                packet,
            } => {
                if neg {
                    f.write_str("! ")?;
                }
                write!(f, "statistic mode {mode}")?;
                if let Some(p) = probability {
                    write!(f, " probability {p}")?;
                }
                if let Some(e) = every {
                    write!(f, " every {e}")?;
                }
                if let Some(p) = packet {
                    write!(f, " packet {p}")?;
                }
                Ok(())
            }
            MatchKind::Limit { rate, burst } => {
                write!(f, "limit rate {}{rate}", if neg { "over " } else { "" })?;
                if let Some(b) = burst {
                    write!(f, " burst {b} packets")?;
                }
                Ok(())
            }
            MatchKind::Owner {
                uid,
                gid,
                socket_exists,
            } => {
                let mut parts = Vec::new();
                if let Some(u) = uid {
                    parts.push(format!("meta skuid {}{u}", op(neg)));
                }
                if let Some(g) = gid {
                    parts.push(format!("meta skgid {}{g}", op(neg)));
                }
                if *socket_exists {
                    parts.push(format!("socket {}exists", if neg { "!" } else { "" }));
                }
                f.write_str(&parts.join(" "))
            }
            MatchKind::Length { range } => write!(f, "meta length {}{range}", op(neg)),
            MatchKind::PktType { pkt_type } => write!(f, "meta pkttype {}{pkt_type}", op(neg)),
            MatchKind::Ttl { v6, op: o, value } => {
                let field = if *v6 { "ip6 hoplimit" } else { "ip ttl" };
                let sym = match (o.name(), neg) {
                    ("lt", false) => "< ",
                    ("lt", true) => ">= ",
                    ("gt", false) => "> ",
                    ("gt", true) => "<= ",
                    (_, true) => "!= ",
                    (_, false) => "",
                };
                write!(f, "{field} {sym}{value}")
            }
            MatchKind::Dscp { value } => write!(f, "ip dscp {}0x{value:02x}", op(neg)),
            MatchKind::Tos { value, mask } => {
                let o = if neg { "!=" } else { "==" };
                write!(f, "ip dscp & 0x{mask:02x} {o} 0x{value:02x}")
            }
            MatchKind::Other {
                module,
                args,
                lossy,
            } => {
                if neg {
                    f.write_str("! ")?;
                }
                f.write_str(module)?;
                if !args.is_empty() {
                    write!(f, " {args}")?;
                }
                if *lossy {
                    f.write_str(" [lossy]")?;
                }
                Ok(())
            }
        }
    }
}

fn write_mark(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    value: u32,
    mask: u32,
    neg: bool,
) -> fmt::Result {
    if mask == u32::MAX {
        write!(f, "{what} {}0x{value:08x}", op(neg))
    } else {
        let o = if neg { "!=" } else { "==" };
        write!(f, "{what} & 0x{mask:08x} {o} 0x{value:08x}")
    }
}

fn write_mark_set(f: &mut fmt::Formatter<'_>, what: &str, and: u32, xor: u32) -> fmt::Result {
    if and == 0 {
        write!(f, "{what} set 0x{xor:08x}")
    } else if xor == 0 {
        write!(
            f,
            "{what} set {} and 0x{and:08x}",
            what.trim_start_matches("meta ")
        )
    } else if and == !xor {
        write!(
            f,
            "{what} set {} or 0x{xor:08x}",
            what.trim_start_matches("meta ")
        )
    } else if and == u32::MAX {
        write!(
            f,
            "{what} set {} xor 0x{xor:08x}",
            what.trim_start_matches("meta ")
        )
    } else {
        write!(
            f,
            "{what} set {} and 0x{and:08x} xor 0x{xor:08x}",
            what.trim_start_matches("meta ")
        )
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Log {
                prefix,
                level,
                group,
                extra,
            } => {
                f.write_str("log")?;
                if let Some(g) = group {
                    write!(f, " group {g}")?;
                }
                if let Some(p) = prefix {
                    f.write_str(" prefix ")?;
                    quote(f, p)?;
                }
                if let Some(l) = level {
                    write!(f, " level {l}")?;
                }
                for e in extra {
                    write!(f, " {e}")?;
                }
                Ok(())
            }
            Statement::SetMark { and, xor } => write_mark_set(f, "meta mark", *and, *xor),
            Statement::SetCtMark { and, xor } => write_mark_set(f, "ct mark", *and, *xor),
            Statement::SaveMark { nfmask, ctmask } => write!(
                f,
                "ct mark set meta mark (nfmask 0x{nfmask:08x} ctmask 0x{ctmask:08x})"
            ),
            Statement::RestoreMark { nfmask, ctmask } => write!(
                f,
                "meta mark set ct mark (nfmask 0x{nfmask:08x} ctmask 0x{ctmask:08x})"
            ),
            Statement::Nat {
                kind,
                addr,
                port,
                flags,
            } => {
                f.write_str(kind.as_str())?;
                if addr.is_some() || port.is_some() {
                    let to = super::nat_target::nat_target_text(addr.as_deref(), port.as_deref());
                    write!(f, " to {to}")?;
                }
                for fl in flags {
                    write!(f, " {fl}")?;
                }
                Ok(())
            }
            Statement::Notrack => f.write_str("notrack"),
            Statement::Ct { args } => write!(f, "ct {args}"),
            Statement::TcpMss { mss } => match mss {
                Some(m) => write!(f, "tcp option maxseg size set {m}"),
                None => f.write_str("tcp option maxseg size set rt mtu"),
            },
            // Object assignments as nft prints them: `ct helper set "ftp"`,
            // `meta secmark set "x"`; references: `counter name "c"`.
            Statement::ObjectRef { kind, name } => {
                match kind.as_str() {
                    "ct helper" | "ct timeout" | "ct expectation" => write!(f, "{kind} set ")?,
                    "secmark" => f.write_str("meta secmark set ")?,
                    _ => write!(f, "{kind} name ")?,
                }
                quote(f, name)
            }
            Statement::Other {
                target,
                args,
                lossy,
            } => {
                f.write_str(target)?;
                if !args.is_empty() {
                    write!(f, " {args}")?;
                }
                if *lossy {
                    f.write_str(" [lossy]")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept => f.write_str("accept"),
            Verdict::Drop => f.write_str("drop"),
            Verdict::Reject { with: None } => f.write_str("reject"),
            Verdict::Reject { with: Some(w) } => write!(f, "reject with {w}"),
            Verdict::Return => f.write_str("return"),
            Verdict::Jump(c) => write!(f, "jump {c}"),
            Verdict::Goto(c) => write!(f, "goto {c}"),
            Verdict::Queue(a) if a.is_empty() => f.write_str("queue"),
            Verdict::Queue(a) => write!(f, "queue {a}"),
            Verdict::Continue => f.write_str("continue"),
            Verdict::Vmap(m) => m.fmt(f),
            Verdict::Other(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Rule {
    /// The canonical text: matches, statements, verdict, then the comment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            if !first {
                f.write_char(' ')?;
            }
            first = false;
            Ok(())
        };
        for m in &self.matches {
            if is_implied_protocol(m, &self.matches) {
                continue;
            }
            sep(f)?;
            write!(f, "{m}")?;
        }
        for s in &self.statements {
            sep(f)?;
            write!(f, "{s}")?;
        }
        if let Some(v) = &self.verdict {
            sep(f)?;
            write!(f, "{v}")?;
        }
        if let Some(c) = &self.comment {
            sep(f)?;
            f.write_str("comment ")?;
            quote(f, c)?;
        }
        Ok(())
    }
}

impl Rule {
    /// The canonical text, also reachable through `Display`.
    pub fn canonical(&self) -> String {
        // Most rules print in under 128 bytes; one allocation instead of a growth series.
        let mut out = String::with_capacity(128);
        // Writing into a String cannot fail.
        let _ = write!(out, "{self}");
        out
    }

    /// The canonical text without the comment, for `--ignore-comments` comparisons.
    pub fn canonical_without_comment(&self) -> String {
        let mut r = self.clone();
        r.comment = None;
        r.to_string()
    }
}

/// The protocol a match can only hold for, if any (`tcp dport` needs tcp).
pub fn required_protocol(kind: &MatchKind) -> Option<Protocol> {
    match kind {
        MatchKind::Port { proto, .. } | MatchKind::AnyPort { proto, .. } => *proto,
        MatchKind::TcpFlags { .. } => Some(Protocol::TCP),
        MatchKind::Icmp {
            v6: false,
            icmp_type: Some(_),
            ..
        } => Some(Protocol::ICMP),
        MatchKind::Icmp {
            v6: true,
            icmp_type: Some(_),
            ..
        } => Some(Protocol::ICMPV6),
        _ => None,
    }
}

/// Whether `m` is a plain `meta l4proto P` that another match already implies, so the
/// canonical text leaves it out (nft prints `tcp dport 80`, not `meta l4proto tcp tcp dport 80`).
fn is_implied_protocol(m: &Match, all: &[Match]) -> bool {
    let MatchKind::Protocol { protos } = &m.kind else {
        return false;
    };
    if m.negated || protos.len() != 1 {
        return false;
    }
    all.iter()
        .any(|o| !std::ptr::eq(o, m) && required_protocol(&o.kind) == Some(protos[0]))
}
