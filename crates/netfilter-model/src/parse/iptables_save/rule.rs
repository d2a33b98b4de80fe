//! One rule line (`[p:b] -A CHAIN options...`) turned into a [`Rule`].

use crate::model::{Counters, Direction, IfacePattern, Match, MatchKind, Protocol, Rule, Verdict};

use super::group::{collect, is_generic, LineError};
use super::lexer::Token;
use super::matches::{self, implicit_module, Acc};
use super::targets;
use super::values::{is_v6_text, parse_addr, parse_protocol, AddrArg};

/// A rule read from a line, before it is placed into its table.
#[derive(Debug)]
pub(crate) struct ParsedRule<'t, 'a> {
    /// The `-A` chain token.
    pub chain: &'t Token<'a>,
    /// The rule (origin left empty).
    pub rule: Rule,
    /// A jump or goto to a chain not declared when the rule was read: `(name, offset)`.
    pub unresolved: Option<(String, usize)>,
    /// Whether the rule shows IPv6 content.
    pub v6_evidence: bool,
}

/// Parses `[p:b]` into counters.
pub(crate) fn parse_counters(s: &str) -> Option<Counters> {
    use nom::character::complete::{char, u64 as num};
    use nom::sequence::{delimited, separated_pair};
    let r: nom::IResult<&str, (u64, u64)> =
        delimited(char('['), separated_pair(num, char(':'), num), char(']'))(s);
    match r {
        Ok(("", (packets, bytes))) => Some(Counters { packets, bytes }),
        _ => None,
    }
}

/// The value after a generic option at `toks[i]`, accepting the old `-s ! x` spelling.
/// Returns `(old_negation, value, next index)`.
/// How many generic options [`once_key`] knows.
const ONCE_OPTIONS: usize = 6;

/// The generic options iptables accepts at most once per rule (`multiple -p flags not
/// allowed`), each with its slot.
fn once_key(name: &str) -> Option<usize> {
    match name {
        "-s" | "--source" | "--src" => Some(0),
        "-d" | "--destination" | "--dst" => Some(1),
        "-i" | "--in-interface" => Some(2),
        "-o" | "--out-interface" => Some(3),
        "-p" | "--protocol" => Some(4),
        "-f" | "--fragment" => Some(5),
        _ => None,
    }
}

fn generic_value<'t, 'a>(
    toks: &'t [Token<'a>],
    i: usize,
) -> Result<(bool, &'t Token<'a>, usize), LineError> {
    let opt = &toks[i];
    let mut k = i + 1;
    let mut neg = false;
    if toks.get(k).is_some_and(|t| t.is("!")) {
        neg = true;
        k += 1;
    }
    match toks.get(k) {
        Some(v) if !is_generic(v) => Ok((neg, v, k + 1)),
        _ => Err(LineError::at(
            opt,
            format!("option `{}` expects a value", opt.as_str()),
        )),
    }
}

/// `-c PACKETS BYTES` at `toks[i]`.
fn dash_c(toks: &[Token<'_>], i: usize) -> Result<Counters, LineError> {
    let t = &toks[i];
    let (p, b) = match (toks.get(i + 1), toks.get(i + 2)) {
        (Some(p), Some(b)) => (p, b),
        _ => return Err(LineError::at(t, "`-c` expects PACKETS BYTES")),
    };
    let packets = p.as_str().parse().map_err(|_| {
        LineError::at(
            p,
            format!("invalid packet counter `{}`: expected a number", p.as_str()),
        )
    })?;
    let bytes = b.as_str().parse().map_err(|_| {
        LineError::at(
            b,
            format!("invalid byte counter `{}`: expected a number", b.as_str()),
        )
    })?;
    Ok(Counters { packets, bytes })
}

/// Whether a target name looks like an extension target (`TTL`, `CHECKSUM`) rather than
/// a user chain.
fn looks_like_extension(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name.bytes().any(|b| b.is_ascii_uppercase())
}

/// Parses a rule line. `is_chain` tells whether a name is a chain declared so far.
pub(crate) fn parse_rule<'t, 'a>(
    toks: &'t [Token<'a>],
    is_chain: &dyn Fn(&str) -> bool,
) -> Result<ParsedRule<'t, 'a>, LineError> {
    let mut rule = Rule::default();
    let mut i = 0;
    if let Some(t) = toks.first() {
        if t.as_str().starts_with('[') {
            rule.counters =
                Some(parse_counters(t.as_str()).ok_or_else(|| {
                    LineError::at(t, "invalid counters: expected `[PACKETS:BYTES]`")
                })?);
            i = 1;
        } else if t.is("-c") || t.is("--set-counters") {
            rule.counters = Some(dash_c(toks, 0)?);
            i = 3;
        }
    }
    let Some(cmd) = toks.get(i) else {
        return Err(LineError {
            offset: 0,
            message: "expected `-A CHAIN`".into(),
        });
    };
    if !(cmd.is("-A") || cmd.is("--append")) {
        return Err(LineError::at(
            cmd,
            format!("expected `-A CHAIN`, found `{}`", cmd.as_str()),
        ));
    }
    let chain = toks
        .get(i + 1)
        .filter(|t| !is_generic(t))
        .ok_or_else(|| LineError::at(cmd, "`-A` expects a chain name"))?;
    i += 2;

    let mut acc = Acc::default();
    let mut unresolved = None;
    let mut target_seen = false;
    let mut once_seen = [false; ONCE_OPTIONS];
    let mut neg: Option<&Token<'a>> = None;
    while i < toks.len() {
        let t = &toks[i];
        if t.is("!") {
            let next = toks.get(i + 1);
            if next.is_some_and(|n| is_generic(n)) {
                if neg.is_some() {
                    return Err(LineError::at(t, "`!` given twice"));
                }
                neg = Some(t);
                i += 1;
                continue;
            }
        }
        let negated = neg.take().is_some();
        let name = if t.quoted { "" } else { t.as_str() };
        if let Some(k) = once_key(name) {
            if once_seen[k] {
                return Err(LineError::at(
                    t,
                    format!(
                        "`{name}` given twice in one rule: iptables takes it once \
                         (iptables-restore refuses such a rule)"
                    ),
                ));
            }
            once_seen[k] = true;
        }
        match name {
            "-s" | "--source" | "--src" | "-d" | "--destination" | "--dst" => {
                let (old, v, next) = generic_value(toks, i)?;
                let dir = if name.starts_with("-s") || name.starts_with("--s") {
                    Direction::Src
                } else {
                    Direction::Dst
                };
                let mut addrs = Vec::new();
                let mut verbatim = false;
                for part in v.as_str().split(',') {
                    match parse_addr(part).map_err(|m| LineError::at(v, m))? {
                        AddrArg::Spec(a) => addrs.push(a),
                        AddrArg::NonContiguous => verbatim = true,
                    }
                }
                if is_v6_text(v.as_str()) {
                    acc.v6_evidence = true;
                }
                let kind = if verbatim {
                    MatchKind::Other {
                        module: "address".into(),
                        args: format!(
                            "{} {}",
                            if dir == Direction::Src { "-s" } else { "-d" },
                            v.as_str()
                        ),
                        lossy: false,
                    }
                } else {
                    MatchKind::Address { dir, addrs }
                };
                acc.matches.push(Match::with_negation(kind, negated ^ old));
                i = next;
            }
            "-i" | "--in-interface" | "-o" | "--out-interface" => {
                let (old, v, next) = generic_value(toks, i)?;
                let dir = if name == "-i" || name == "--in-interface" {
                    Direction::Src
                } else {
                    Direction::Dst
                };
                acc.matches.push(Match::with_negation(
                    MatchKind::Interface {
                        dir,
                        names: vec![IfacePattern::from_iptables(v.as_str())],
                    },
                    negated ^ old,
                ));
                i = next;
            }
            "-p" | "--protocol" => {
                let (old, v, next) = generic_value(toks, i)?;
                let n = negated ^ old;
                match parse_protocol(v.as_str()).map_err(|m| LineError::at(v, m))? {
                    None if n => return Err(LineError::at(v, "`! -p all` matches nothing")),
                    None => {}
                    Some(p) => {
                        if p == Protocol::ICMPV6 {
                            acc.v6_evidence = true;
                        }
                        if !n {
                            acc.proto = Some(p);
                        }
                        let clash = acc.matches.iter().find_map(|m| {
                            let q = match &m.kind {
                                MatchKind::Port { proto: Some(q), .. } => *q,
                                MatchKind::Icmp { v6: false, .. } => Protocol::ICMP,
                                MatchKind::Icmp { v6: true, .. } => Protocol::ICMPV6,
                                _ => return None,
                            };
                            (!n && q != p).then_some(q)
                        });
                        if let Some(q) = clash {
                            return Err(LineError::at(
                                t,
                                format!(
                                    "`-p {p}` after a `-m {q}` match: expected `-p {q}` (the \
                                     kernel refuses this rule)"
                                ),
                            ));
                        }
                        acc.matches.push(Match::with_negation(
                            MatchKind::Protocol { protos: vec![p] },
                            n,
                        ));
                    }
                }
                i = next;
            }
            "-f" | "--fragment" => {
                acc.matches
                    .push(Match::with_negation(MatchKind::Fragment, negated));
                i += 1;
            }
            "-4" | "--ipv4" | "-6" | "--ipv6" => {
                if name.contains('6') {
                    acc.v6_evidence = true;
                }
                i += 1;
            }
            "-c" | "--set-counters" => {
                rule.counters = Some(dash_c(toks, i)?);
                i += 3;
            }
            "-m" | "--match" => {
                if negated {
                    return Err(LineError::at(t, "`!` cannot negate `-m`"));
                }
                let m = toks
                    .get(i + 1)
                    .filter(|m| !is_generic(m) && !m.is("!"))
                    .ok_or_else(|| LineError::at(t, "`-m` expects a module name"))?;
                if m.is("nft") {
                    // The model keeps nft expressions as matches of module `nft`, which
                    // normalization reads as nft text; iptables has no such match.
                    return Err(LineError::at(
                        m,
                        "no iptables match is named `nft`: expected a match module",
                    ));
                }
                let (opts, next) = collect(toks, i + 2)?;
                matches::build(m.as_str(), &opts, &mut acc)?;
                i = next;
            }
            "-j" | "--jump" | "-g" | "--goto" => {
                if negated {
                    return Err(LineError::at(t, "`!` cannot negate a target"));
                }
                if target_seen {
                    return Err(LineError::at(t, "a rule can have only one target"));
                }
                target_seen = true;
                let goto = name == "-g" || name == "--goto";
                let tn = toks
                    .get(i + 1)
                    .filter(|m| !is_generic(m) && !m.is("!"))
                    .ok_or_else(|| LineError::at(t, format!("`{name}` expects a target")))?;
                let (opts, next) = collect(toks, i + 2)?;
                let target = tn.as_str();
                if goto
                    || is_chain(target)
                    || (!targets::is_known(target) && !looks_like_extension(target))
                {
                    if let Some(o) = opts.first() {
                        return Err(LineError::at(
                            o.name,
                            format!(
                                "a jump to chain `{target}` takes no options, found `{}`",
                                o.name()
                            ),
                        ));
                    }
                    if target.is_empty() {
                        return Err(LineError::at(tn, "expected a chain name"));
                    }
                    if !is_chain(target) {
                        unresolved = Some((target.to_string(), tn.offset));
                    }
                    rule.verdict = Some(if goto {
                        Verdict::Goto(target.to_string())
                    } else {
                        Verdict::Jump(target.to_string())
                    });
                } else {
                    let out = targets::build(target, &opts)?;
                    rule.statements.extend(out.statements);
                    rule.verdict = out.verdict;
                }
                i = next;
            }
            _ if !t.quoted && (name.starts_with("--") || t.is("!")) => {
                // Options of the protocol's match written without `-m` (`-p tcp --dport 22`).
                let start = if negated { i.saturating_sub(1) } else { i };
                let module = acc.proto.and_then(implicit_module).ok_or_else(|| {
                    LineError::at(
                        t,
                        format!(
                            "unknown option `{name}`: a match option needs its module \
                                 first (`-m MODULE`, or `-p tcp`/`-p udp` for ports and flags)"
                        ),
                    )
                })?;
                let (opts, next) = collect(toks, start)?;
                if opts.is_empty() {
                    return Err(LineError::at(t, format!("unknown option `{name}`")));
                }
                matches::build(module, &opts, &mut acc)?;
                i = next;
            }
            _ => {
                return Err(LineError::at(
                    t,
                    format!(
                        "unknown option `{}`: expected an option such as `-s`, `-p`, \
                         `-m MODULE` or `-j TARGET`",
                        t.as_str()
                    ),
                ))
            }
        }
    }
    if let Some(n) = neg {
        return Err(LineError::at(n, "`!` must be followed by an option"));
    }
    rule.matches = acc.matches;
    if !acc.comments.is_empty() {
        rule.comment = Some(acc.comments.join("; "));
    }
    Ok(ParsedRule {
        chain,
        rule,
        unresolved,
        v6_evidence: acc.v6_evidence,
    })
}
