//! Normalization: one form for rules that the kernel treats the same, whatever the source.
//!
//! Every parser calls [`Ruleset::normalize`] (or [`Rule::normalize`]) before handing
//! out a model, so equality and the canonical text are source-independent.

use super::canonical::required_protocol;
use super::matches::{Match, MatchKind};
use super::rule::Rule;
use super::ruleset::Ruleset;
use super::statement::Statement;
use super::value::Protocol;
use super::verdict::Verdict;

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
                s.flags.sort();
                s.flags.dedup();
                s.extra.sort();
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
            match s {
                Statement::Log { extra, .. } => extra.sort(),
                Statement::Nat { flags, .. } => {
                    flags.sort();
                    flags.dedup();
                }
                _ => {}
            }
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
        self.lossy.sort();
        self.lossy.dedup();
    }
}

fn normalize_match(m: &mut Match) {
    match &mut m.kind {
        MatchKind::Interface { names, .. } => {
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
        MatchKind::Mark { value, mask } | MatchKind::CtMark { value, mask } => {
            *value &= *mask;
        }
        MatchKind::Mac { addr } => *addr = addr.to_ascii_lowercase(),
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

/// The probability as the kernel stores it (`xt_statistic`: `lround(p * 2^31)` out of 2^31,
/// which nft shows as `meta random & 2147483647 < N`), printed the way iptables-save prints it
/// (`%.11f`), so `0.5`, `0.5000000000` and `0.50000000000` are one value.
fn kernel_probability(p: &str) -> Option<String> {
    let v: f64 = p.trim().parse().ok()?;
    if !(0.0..=1.0).contains(&v) {
        return None;
    }
    let n = (v * 2_147_483_648.0).round();
    Some(format!("{:.11}", n / 2_147_483_648.0))
}

#[cfg(test)]
mod tests {
    use super::kernel_probability;

    #[test]
    fn probabilities_compare_as_the_kernel_stores_them() {
        assert_eq!(kernel_probability("0.5").as_deref(), Some("0.50000000000"));
        assert_eq!(
            kernel_probability("0.5000000000"),
            kernel_probability("0.50000000000")
        );
        assert_eq!(
            kernel_probability("0.3333333333").as_deref(),
            Some("0.33333333349")
        );
        assert_eq!(kernel_probability("2"), None);
        assert_eq!(kernel_probability("x"), None);
    }
}
