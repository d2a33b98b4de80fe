//! Normalization: one form for rules that the kernel treats the same, whatever the source.
//!
//! Every parser calls [`Ruleset::normalize`] (or [`Rule::normalize`]) before handing
//! out a model, so equality and the canonical text are source-independent.

use super::canonical::required_protocol;
use super::matches::{Match, MatchKind};
use super::rule::Rule;
use super::ruleset::Ruleset;
use super::set::NamedSet;
use super::statement::Statement;
use super::value::{IfacePattern, Protocol};
use super::verbatim::{sort_anonymous_sets, sort_elements};
use super::verdict::Verdict;
use super::verdict_map::VerdictMap;

/// The datatype nft names for the value of a `typeof` expression, where known: nft JSON
/// gives a `typeof` map's data only by its datatype, nft text by the expression.
fn typeof_datatype(expr: &str) -> Option<&'static str> {
    Some(match expr {
        "meta mark" | "ct mark" | "mark" => "mark",
        "ip saddr"
        | "ip daddr"
        | "ct original ip saddr"
        | "ct original ip daddr"
        | "ct reply ip saddr"
        | "ct reply ip daddr" => "ipv4_addr",
        "ip6 saddr" | "ip6 daddr" => "ipv6_addr",
        "tcp dport"
        | "tcp sport"
        | "udp dport"
        | "udp sport"
        | "th dport"
        | "th sport"
        | "ct original proto-dst"
        | "ct original proto-src"
        | "ct reply proto-dst"
        | "ct reply proto-src" => "inet_service",
        "meta priority" => "classid",
        "ether saddr" | "ether daddr" => "ether_addr",
        "iifname" | "oifname" | "meta iifname" | "meta oifname" => "ifname",
        "meta l4proto" | "ip protocol" | "ip6 nexthdr" => "inet_proto",
        "ip dscp" | "ip6 dscp" => "dscp",
        "verdict" => "verdict",
        _ => return None,
    })
}

/// One form for a named set: flags and extras sorted, the `timeout` flag that a set
/// timeout implies made explicit (nft text leaves it out, nft JSON lists it), elements in
/// natural order, and a `typeof` map's data named by its datatype.
fn normalize_set(s: &mut NamedSet) {
    if s.extra.iter().any(|e| e.starts_with("timeout ")) {
        s.flags.push("timeout".to_string());
    }
    s.flags.sort();
    s.flags.dedup();
    s.extra.sort();
    for e in &mut s.elements {
        *e = sort_anonymous_sets(e);
    }
    sort_elements(&mut s.elements);
    if s.key_type.starts_with("typeof ") {
        if let Some(d) = &mut s.data_type {
            let parts: Option<Vec<&str>> = d.split(" . ").map(typeof_datatype).collect();
            if let Some(p) = parts {
                *d = p.join(" . ");
            }
        }
    }
}

/// One form for a verbatim nft statement: the JSON parser keeps it whole under the
/// target `nft`, the text parser splits off its first word; `ct ...` statements are
/// [`Statement::Ct`]. Anonymous sets inside are sorted.
fn normalize_statement(s: &mut Statement) {
    if let Statement::Other {
        target,
        args,
        lossy: false,
    } = s
    {
        if target == "nft" {
            let whole = std::mem::take(args);
            let (head, rest) = whole.split_once(' ').unwrap_or((whole.as_str(), ""));
            *target = head.to_string();
            *args = rest.to_string();
        }
        *args = sort_anonymous_sets(args);
        if target == "ct" {
            *s = Statement::Ct {
                args: std::mem::take(args),
            };
        }
    }
    if let Some(typed) = typed_statement(s) {
        *s = typed;
    }
    match s {
        Statement::Log { level, extra, .. } => {
            if let Some(l) = level {
                *level = super::log_options::canonical_log_level(l);
            }
            *extra = super::log_options::canonical_log_extras(extra);
        }
        Statement::Nat { flags, addr, .. } => {
            flags.sort();
            flags.dedup();
            if let Some(a) = addr {
                *a = sort_anonymous_sets(a);
            }
        }
        Statement::Ct { args } => *args = sort_anonymous_sets(args),
        _ => {}
    }
}

fn hex_u32(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

/// The typed form of a statement that nft text prints verbatim: object assignments
/// (`ct timeout set "x"`, `meta secmark set "x"`, which nft JSON names as object
/// references) and the mark copies nft prints as bit arithmetic
/// (`ct mark set ct mark & A | meta mark & B` is a save-mark, the mirror a restore-mark).
fn typed_statement(s: &Statement) -> Option<Statement> {
    let (head, args) = match s {
        Statement::Ct { args } => ("ct", args.as_str()),
        Statement::Other {
            target,
            args,
            lossy: false,
        } if target == "meta" => ("meta", args.as_str()),
        _ => return None,
    };
    let words: Vec<&str> = args.split(' ').collect();
    match (head, words.as_slice()) {
        ("ct", [kind @ ("helper" | "timeout" | "expectation"), "set", name])
        | ("meta", [kind @ "secmark", "set", name])
            if name.len() >= 2 && name.starts_with('"') && name.ends_with('"') =>
        {
            let kind = if head == "ct" {
                format!("ct {kind}")
            } else {
                (*kind).to_string()
            };
            Some(Statement::ObjectRef {
                kind,
                name: name[1..name.len() - 1].to_string(),
            })
        }
        ("ct", ["mark", "set", "ct", "mark", "&", a, "|", "meta", "mark", "&", b]) => {
            let (a, b) = (hex_u32(a)?, hex_u32(b)?);
            Some(Statement::SaveMark {
                nfmask: b,
                ctmask: !a,
            })
        }
        ("meta", ["mark", "set", "ct", "mark", "&", a, "|", "meta", "mark", "&", b]) => {
            let (a, b) = (hex_u32(a)?, hex_u32(b)?);
            Some(Statement::RestoreMark {
                nfmask: !b,
                ctmask: a,
            })
        }
        _ => None,
    }
}

impl Ruleset {
    /// Normalizes every rule of every table.
    pub fn normalize(&mut self) {
        for t in &mut self.tables {
            for c in &mut t.chains {
                for r in &mut c.rules {
                    r.normalize();
                }
            }
            for s in &mut t.sets {
                normalize_set(s);
            }
            for o in &mut t.objects {
                o.body = sort_anonymous_sets(&o.body);
            }
            t.flags.sort();
        }
    }
}

/// Sort rank of a match kind. Matches with side effects or unknown meaning share the
/// last rank so their relative order (which may matter) is kept by the stable sort.
fn rank(kind: &MatchKind) -> u8 {
    use super::value::Direction::*;
    match kind {
        MatchKind::Interface { dir: Src, .. } => 0,
        MatchKind::Interface { dir: Dst, .. } => 1,
        MatchKind::Address { dir: Src, .. } => 2,
        MatchKind::Address { dir: Dst, .. } => 3,
        MatchKind::Protocol { .. } => 4,
        MatchKind::Fragment => 5,
        MatchKind::Port { dir: Src, .. } => 6,
        MatchKind::Port { dir: Dst, .. } => 7,
        MatchKind::AnyPort { .. } => 8,
        MatchKind::TcpFlags { .. } => 9,
        MatchKind::Icmp { .. } => 10,
        MatchKind::CtState { .. } => 11,
        MatchKind::CtStatus { .. } => 12,
        MatchKind::CtDirection { .. } => 13,
        MatchKind::Mark { .. } => 14,
        MatchKind::CtMark { .. } => 15,
        MatchKind::AddrType { .. } => 16,
        MatchKind::SetLookup { .. } => 17,
        MatchKind::PhysDev { .. } => 18,
        MatchKind::Mac { .. } => 19,
        MatchKind::Owner { .. } => 20,
        MatchKind::Length { .. } => 21,
        MatchKind::PktType { .. } => 22,
        MatchKind::Ttl { .. } => 23,
        MatchKind::Dscp { .. } => 24,
        MatchKind::Tos { .. } => 25,
        _ => 255,
    }
}

impl Rule {
    /// Puts the rule into canonical form: value lists sorted and deduplicated,
    /// host bits of prefixes cleared, implicit protocol dependencies merged,
    /// matches in a fixed order, statement flags sorted.
    pub fn normalize(&mut self) {
        for m in &mut self.matches {
            normalize_match(m);
        }
        // `-p icmp -m icmp --icmp-type any` is just `-p icmp`.
        let protos: Vec<Protocol> = self
            .matches
            .iter()
            .filter_map(|m| match &m.kind {
                MatchKind::Protocol { protos } if !m.negated && protos.len() == 1 => {
                    Some(protos[0])
                }
                _ => None,
            })
            .collect();
        self.matches.retain(|m| {
            !matches!(&m.kind, MatchKind::Icmp { v6, icmp_type: None, .. }
                if !m.negated && protos.contains(&if *v6 { Protocol::ICMPV6 } else { Protocol::ICMP }))
        });
        // A port/flags/icmp match implies its protocol: make the dependency explicit
        // exactly once, whether the source wrote it (`-p tcp`) or not (`tcp dport`).
        let mut implied: Vec<Protocol> = self
            .matches
            .iter()
            .filter_map(|m| required_protocol(&m.kind))
            .collect();
        implied.sort();
        implied.dedup();
        for p in implied {
            let present = self.matches.iter().any(|m| {
                !m.negated && matches!(&m.kind, MatchKind::Protocol { protos } if protos == &[p])
            });
            if !present {
                self.matches
                    .push(Match::new(MatchKind::Protocol { protos: vec![p] }));
            }
        }
        // Remove exact duplicate matches (e.g. `meta l4proto tcp` written twice).
        // Compared in place against the matches kept so far (no clone of each match).
        let mut i = 0;
        while i < self.matches.len() {
            let m = &self.matches[i];
            if rank(&m.kind) != 255 && self.matches[..i].contains(m) {
                self.matches.remove(i);
            } else {
                i += 1;
            }
        }
        self.matches.sort_by_key(|m| rank(&m.kind));
        for s in &mut self.statements {
            normalize_statement(s);
        }
        match &mut self.verdict {
            Some(Verdict::Vmap(m)) => *m = VerdictMap::parse(&sort_anonymous_sets(m.text())),
            Some(Verdict::Other(v)) => *v = sort_anonymous_sets(v),
            _ => {}
        }
        // The default reject type is spelled three ways (iptables-save omits nothing, nft omits
        // the default, nft JSON names it); they are one verdict.
        if let Some(Verdict::Reject { with }) = &mut self.verdict {
            if matches!(
                with.as_deref(),
                Some("icmp-port-unreachable" | "icmp6-port-unreachable" | "icmpx-port-unreachable")
            ) {
                *with = None;
            }
        }
        self.lossy.sort_by_cached_key(ToString::to_string);
        self.lossy.dedup();
    }
}

fn normalize_match(m: &mut Match) {
    match &mut m.kind {
        MatchKind::Interface { names, .. } => {
            // iptables-nft stores `! -i +` (no interface at all) as a compare with the
            // name `INVAL/D`, which no interface can have (a `/` is not allowed).
            if matches!(names.as_slice(), [IfacePattern::Exact(n)] if n == "INVAL/D") {
                *names = vec![IfacePattern::Prefix(String::new())];
                m.negated = !m.negated;
            }
            names.sort();
            names.dedup();
        }
        MatchKind::Address { addrs, .. } => {
            for a in addrs.iter_mut() {
                if let super::value::AddrSpec::Net { net } = a {
                    *net = net.trunc();
                }
            }
            addrs.sort();
            addrs.dedup();
        }
        MatchKind::Protocol { protos } => {
            protos.sort();
            protos.dedup();
        }
        MatchKind::Port { ports, .. } | MatchKind::AnyPort { ports, .. } => {
            ports.sort();
            ports.dedup();
        }
        MatchKind::CtStatus { statuses } => {
            for s in statuses.iter_mut() {
                *s = s.to_ascii_lowercase();
            }
            statuses.sort();
            statuses.dedup();
        }
        MatchKind::AddrType { types, .. } => {
            for t in types.iter_mut() {
                *t = t.to_ascii_uppercase();
            }
            types.sort();
            types.dedup();
        }
        // The kernel compares `(mark & mask) == value` with the value as given: bits of the
        // value outside the mask make the match never hold, so they are kept.
        MatchKind::Mark { .. } | MatchKind::CtMark { .. } => {}
        MatchKind::Mac { addr } => *addr = addr.to_ascii_lowercase(),
        MatchKind::Other { module, args, .. } => {
            if module == "nft" {
                if let Some(rp) = rpfilter_args(args) {
                    *module = "rpfilter".to_string();
                    *args = rp;
                    return;
                }
            }
            // `x == { a, b }` and `x { a, b }` are one lookup (nft JSON leaves `==` out).
            // Only nft text has anonymous sets: the arguments of an iptables match are words
            // for iptables, and re-spacing a brace in them (`--{-}` -> `--{ - }`) split one
            // word into three that read back as another match.
            if module == "nft" {
                let mut a = sort_anonymous_sets(args);
                // Until none is left, so that normalizing twice changes nothing (` == == {`).
                while a.contains(" == {") {
                    a = a.replace(" == {", " {");
                }
                *args = a;
            }
        }
        // 5 is the kernel's default burst; iptables-save and nft omit it, nft JSON prints it.
        MatchKind::Limit { burst, .. } if *burst == Some(5) => *burst = None,
        MatchKind::Statistic {
            probability: Some(p),
            ..
        } => {
            if let Some(canon) = kernel_probability(p) {
                *p = canon;
            }
        }
        _ => {}
    }
}

/// iptables-nft translates `-m rpfilter` into nft's `fib saddr [. mark] [. iif] oif 0`
/// (`oif missing` / `check missing` in newer nft): the options iptables-save prints for it
/// (`--loose` without `. iif`, `--validmark` with `. mark`, `--invert` for `0`/`missing`).
fn rpfilter_args(nft: &str) -> Option<String> {
    let w: Vec<&str> = nft.split(' ').collect();
    let rest = w.strip_prefix(&["fib", "saddr"])?;
    let (mark, rest) = match rest.strip_prefix(&[".", "mark"]) {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (iif, rest) = match rest.strip_prefix(&[".", "iif"]) {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let invert = match rest {
        ["oif" | "check", "0" | "missing"] => true,
        ["oif" | "check", "!=", "0"] | ["oif" | "check", "exists"] => false,
        _ => return None,
    };
    let mut args = Vec::new();
    if !iif {
        args.push("--loose");
    }
    if mark {
        args.push("--validmark");
    }
    if invert {
        args.push("--invert");
    }
    Some(args.join(" "))
}

/// The probability as the kernel stores it (`xt_statistic`: `lround(p * 2^31)` out of 2^31,
/// which nft shows as `meta random & 2147483647 < N`), printed the way iptables-save prints it
/// (`%.11f`), so `0.5`, `0.5000000000` and `0.50000000000` are one value. `None` when `p`
/// is not a probability, or is already written that way.
fn kernel_probability(p: &str) -> Option<String> {
    let v: f64 = p.trim().parse().ok()?;
    if !(0.0..=1.0).contains(&v) {
        return None;
    }
    // At most 2^31, so exact in f64 and u64.
    let n = (v * 2_147_483_648.0).round() as u64;
    let text = probability_text(n);
    // Most dumps already print the kernel's value (iptables-save does): keep the string.
    (text.as_str() != p).then_some(text)
}

/// `n / 2^31` with 11 decimals, rounded half to even as `format!("{:.11}")` rounds the exact
/// binary value, without the float formatting (one per kube-proxy endpoint rule showed in
/// profiles).
fn probability_text(n: u64) -> String {
    const SCALE: u128 = 100_000_000_000;
    let scaled = u128::from(n) * SCALE;
    let (mut q, r) = (scaled >> 31, scaled & ((1 << 31) - 1));
    let half = 1u128 << 30;
    if r > half || (r == half && q & 1 == 1) {
        q += 1;
    }
    format!("{}.{:011}", q / SCALE, q % SCALE)
}

#[cfg(test)]
mod tests {
    use super::{kernel_probability, probability_text};

    #[test]
    fn probability_text_matches_float_formatting() {
        let float = |n: u64| format!("{:.11}", n as f64 / 2_147_483_648.0);
        // Every value near the ends, a stride through the middle, and exact ties.
        let mut ns: Vec<u64> = (0..5000)
            .chain((1u64 << 31) - 5000..=(1u64 << 31))
            .collect();
        ns.extend((0..(1u64 << 31)).step_by(104_729));
        ns.extend(
            (0..4096u64)
                .map(|k| (2 * k + 1) << 19)
                .filter(|&n| n <= 1 << 31),
        );
        for n in ns {
            assert_eq!(probability_text(n), float(n), "n = {n}");
        }
    }

    #[test]
    fn nft_fib_reverse_path_checks_are_rpfilter() {
        use super::rpfilter_args;
        assert_eq!(
            rpfilter_args("fib saddr . mark . iif oif 0").as_deref(),
            Some("--validmark --invert")
        );
        assert_eq!(
            rpfilter_args("fib saddr . iif check missing").as_deref(),
            Some("--invert")
        );
        assert_eq!(
            rpfilter_args("fib saddr oif != 0").as_deref(),
            Some("--loose")
        );
        assert_eq!(rpfilter_args("fib daddr . iif oif 0"), None);
        assert_eq!(rpfilter_args("fib saddr . iif oif eth0"), None);
    }

    #[test]
    fn probabilities_compare_as_the_kernel_stores_them() {
        assert_eq!(kernel_probability("0.5").as_deref(), Some("0.50000000000"));
        assert_eq!(
            kernel_probability("0.5000000000").as_deref(),
            Some("0.50000000000")
        );
        assert_eq!(
            kernel_probability("0.3333333333").as_deref(),
            Some("0.33333333349")
        );
        assert_eq!(kernel_probability("2"), None);
        // Already the kernel's value: nothing to change.
        assert_eq!(kernel_probability("0.50000000000"), None);
        assert_eq!(kernel_probability("x"), None);
    }
}
