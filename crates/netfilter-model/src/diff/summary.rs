//! The incident-facing summary: interfaces each side knows, and chains per owning tool.

use std::borrow::Cow;

use crate::model::{IfacePattern, MatchKind, Rule, Ruleset, SetKey, Verdict};

use super::fasthash::FastHashSet;
use super::report::OwnerCounts;

/// An interface pattern borrowed from the ruleset where possible: (is a prefix, literal).
pub(crate) type IfaceRef<'a> = (bool, Cow<'a, str>);

fn borrowed(p: &IfacePattern) -> IfaceRef<'_> {
    match p {
        IfacePattern::Exact(s) => (false, Cow::Borrowed(s.as_str())),
        IfacePattern::Prefix(s) => (true, Cow::Borrowed(s.as_str())),
    }
}

/// nft's spelling of a name in a set or map: a trailing `*` makes a prefix
/// (as [`IfacePattern::from_nft`]), a trailing `\*` is a literal star.
fn from_nft(s: &str) -> IfaceRef<'_> {
    if let Some(p) = s.strip_suffix("\\*") {
        return (false, Cow::Owned(format!("{p}*")));
    }
    match s.strip_suffix('*') {
        Some(p) => (true, Cow::Borrowed(p)),
        None => (false, Cow::Borrowed(s)),
    }
}

/// Chain-name prefixes of the tools that own chains on a Kubernetes node, in report order.
pub const OWNERS: &[&str] = &["cali-", "KUBE-", "DOCKER", "CNI-"];

/// Table-name prefixes Calico's nftables dataplane puts before its chain names
/// (`filter-cali-FORWARD`).
const TABLE_PREFIXES: &[&str] = &["filter-", "nat-", "mangle-", "raw-"];

/// Calico chain-name prefixes followed by an interface name (`cali-fw-caliXXXX`).
const DISPATCH_MARKERS: &[&str] = &["cali-fw-", "cali-tw-", "cali-sm-"];

/// The owner prefix of a chain name (one of [`OWNERS`]), or `other`.
pub fn owner_of(chain: &str) -> &'static str {
    let stripped = TABLE_PREFIXES
        .iter()
        .find_map(|p| chain.strip_prefix(p))
        .filter(|rest| OWNERS.iter().any(|o| rest.starts_with(o)))
        .unwrap_or(chain);
    OWNERS
        .iter()
        .find(|o| stripped.starts_with(*o))
        .copied()
        .unwrap_or("other")
}

/// Whether `s` could be a Linux interface name (at most 15 bytes, no blanks or `/`).
fn plausible_iface(s: &str) -> bool {
    let core = s.strip_suffix('*').unwrap_or(s);
    !core.is_empty()
        && s.len() <= 15
        && !s.chars().any(|c| c.is_whitespace() || c == '/' || c == '"')
}

/// The interface a Calico per-endpoint chain name ends in, if any.
fn dispatch_iface(target: &str) -> Option<IfaceRef<'_>> {
    if !target.contains("cali-") {
        return None;
    }
    DISPATCH_MARKERS.iter().find_map(|m| {
        let pos = target.find(m)?;
        let rest = target.get(pos + m.len()..)?;
        plausible_iface(rest).then_some((false, Cow::Borrowed(rest)))
    })
}

/// Quoted strings of `text` and whether each is followed by `:` (a map key).
fn quoted(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        let mut escaped = false;
        let mut closed = false;
        for (_, c) in chars.by_ref() {
            if escaped {
                s.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                closed = true;
                break;
            } else {
                s.push(c);
            }
        }
        if !closed {
            break;
        }
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let is_key = chars.peek().is_some_and(|(_, c)| *c == ':');
        out.push((s, is_key));
    }
    out
}

/// Which rules of one chain to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pick {
    /// Every rule.
    All,
    /// The rules at these 0-based positions.
    Rules(Vec<usize>),
}

impl Default for Pick {
    fn default() -> Self {
        Pick::Rules(Vec::new())
    }
}

impl Pick {
    /// Adds a rule position (no-op for `All`).
    pub(crate) fn push(&mut self, i: usize) {
        if let Pick::Rules(v) = self {
            v.push(i);
        }
    }
}

/// Calls `f` with every interface name and prefix one rule refers to:
/// `iifname`/`oifname` (`-i`/`-o`), physdev ports, verdict-map keys, and Calico
/// dispatch targets such as `cali-fw-caliXXXX`.
fn visit_rule<'a>(r: &'a Rule, f: &mut impl FnMut(IfaceRef<'a>)) {
    for m in &r.matches {
        match &m.kind {
            MatchKind::Interface { names, .. } => {
                names
                    .iter()
                    .filter(|n| !n.literal().is_empty())
                    .for_each(|n| f(borrowed(n)));
            }
            MatchKind::PhysDev {
                physdev_in,
                physdev_out,
                ..
            } => {
                physdev_in
                    .iter()
                    .chain(physdev_out)
                    .for_each(|n| f(borrowed(n)));
            }
            _ => {}
        }
    }
    match &r.verdict {
        Some(Verdict::Jump(t) | Verdict::Goto(t)) => {
            if let Some(i) = dispatch_iface(t) {
                f(i);
            }
        }
        Some(Verdict::Vmap(map)) if map.is_keyed_on_interface() => {
            for e in map.entries() {
                for (value, key) in e.key.iter().zip(&map.key) {
                    if !matches!(key, SetKey::IifName | SetKey::OifName) {
                        continue;
                    }
                    for (s, _) in quoted(value) {
                        if plausible_iface(&s) {
                            let (prefix, lit) = from_nft(&s);
                            f((prefix, Cow::Owned(lit.into_owned())));
                        }
                    }
                }
            }
            for v in map.chain_targets() {
                if let Verdict::Jump(t) | Verdict::Goto(t) = v {
                    if let Some(i) = dispatch_iface(t) {
                        f(i);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Calls `f` with every interface reference of the picked rules (all rules when
/// `pick` is `None`; `pick[i]` is for chain `i` in listing order over all
/// tables) and of every interface-name set and map element.
fn visit_refs<'a>(rs: &'a Ruleset, pick: Option<&[Pick]>, f: &mut impl FnMut(IfaceRef<'a>)) {
    let mut pos = 0;
    for t in &rs.tables {
        for c in &t.chains {
            match pick.map(|p| p.get(pos)) {
                None | Some(Some(Pick::All)) => c.rules.iter().for_each(|r| visit_rule(r, f)),
                Some(Some(Pick::Rules(ix))) => ix
                    .iter()
                    .filter_map(|&i| c.rules.get(i))
                    .for_each(|r| visit_rule(r, f)),
                Some(None) => {}
            }
            pos += 1;
        }
        for s in &t.sets {
            let ifname_set = s.key_type.trim() == "ifname";
            for e in &s.elements {
                let key = e.split(" : ").next().unwrap_or(e);
                for part in key.split(" . ") {
                    let part = part.trim();
                    if let Some(inner) = part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                        if plausible_iface(inner) {
                            f(from_nft(inner));
                        }
                    } else if ifname_set && plausible_iface(part) {
                        f(from_nft(part));
                    }
                }
                if let Some(data) = e.split(" : ").nth(1) {
                    for word in data.split_whitespace() {
                        if let Some(i) = dispatch_iface(word) {
                            f(i);
                        }
                    }
                }
            }
        }
    }
}

/// Interface names and prefixes that only OLD, and only NEW, refer to, sorted.
///
/// `old_pick` / `new_pick` name the rules of each side that have no equal
/// counterpart on the other (deleted, inserted, or in a one-sided chain). Rules
/// that pair up refer to the same names on both sides, so candidates come from the
/// picked rules and the sets only, and are then struck off by one pass over
/// everything the other side refers to. On rulesets that mostly agree this hashes
/// every name once and keeps only small sets.
pub(crate) fn interfaces_only(
    old: &Ruleset,
    new: &Ruleset,
    old_pick: &[Pick],
    new_pick: &[Pick],
) -> (Vec<IfacePattern>, Vec<IfacePattern>) {
    let mut only_old: FastHashSet<IfaceRef<'_>> = FastHashSet::default();
    visit_refs(old, Some(old_pick), &mut |r| {
        only_old.insert(r);
    });
    let mut only_new: FastHashSet<IfaceRef<'_>> = FastHashSet::default();
    visit_refs(new, Some(new_pick), &mut |r| {
        only_new.insert(r);
    });
    if !only_old.is_empty() {
        visit_refs(new, None, &mut |r| {
            only_old.remove(&r);
        });
    }
    if !only_new.is_empty() {
        visit_refs(old, None, &mut |r| {
            only_new.remove(&r);
        });
    }
    (sorted(only_old), sorted(only_new))
}

fn sorted(set: FastHashSet<IfaceRef<'_>>) -> Vec<IfacePattern> {
    let mut v: Vec<IfacePattern> = set
        .into_iter()
        .map(|(prefix, lit)| {
            if prefix {
                IfacePattern::Prefix(lit.into_owned())
            } else {
                IfacePattern::Exact(lit.into_owned())
            }
        })
        .collect();
    v.sort();
    v
}

fn count_owners(rs: &Ruleset, owner: &str) -> (usize, usize) {
    let mut chains = 0;
    let mut rules = 0;
    for c in rs.tables.iter().flat_map(|t| &t.chains) {
        if owner_of(&c.name) == owner {
            chains += 1;
            rules += c.rules.len();
        }
    }
    (chains, rules)
}

/// Chains and rules per owner prefix on each side; owners absent from both are left out.
pub(crate) fn owners(old: &Ruleset, new: &Ruleset) -> Vec<OwnerCounts> {
    OWNERS
        .iter()
        .copied()
        .chain(["other"])
        .filter_map(|owner| {
            let (old_chains, old_rules) = count_owners(old, owner);
            let (new_chains, new_rules) = count_owners(new, owner);
            (old_chains + new_chains > 0).then(|| OwnerCounts {
                owner: owner.to_string(),
                old_chains,
                old_rules,
                new_chains,
                new_rules,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_by_prefix() {
        assert_eq!(owner_of("cali-fw-caliA1"), "cali-");
        assert_eq!(owner_of("filter-cali-FORWARD"), "cali-");
        assert_eq!(owner_of("KUBE-SERVICES"), "KUBE-");
        assert_eq!(owner_of("DOCKER-USER"), "DOCKER");
        assert_eq!(owner_of("CNI-abc"), "CNI-");
        assert_eq!(owner_of("filter-INPUT"), "other");
        assert_eq!(owner_of("INPUT"), "other");
    }

    #[test]
    fn dispatch_targets_name_interfaces() {
        assert_eq!(
            dispatch_iface("cali-fw-caliNEW1234"),
            Some((false, Cow::Borrowed("caliNEW1234")))
        );
        assert_eq!(
            dispatch_iface("filter-cali-tw-cali12345678901"),
            Some((false, Cow::Borrowed("cali12345678901")))
        );
        assert_eq!(dispatch_iface("cali-from-wl-dispatch"), None);
        assert_eq!(dispatch_iface("cali-fw-"), None);
        assert_eq!(dispatch_iface("cali-fw-this-name-is-far-too-long"), None);
    }

    #[test]
    fn vmap_keys_are_found() {
        let q = quoted(r#"iifname vmap { "caliA1" : goto cali-fw-caliA1, "x\"y" : drop } "z""#);
        assert_eq!(
            q,
            vec![
                ("caliA1".to_string(), true),
                ("x\"y".to_string(), true),
                ("z".to_string(), false)
            ]
        );
        assert!(quoted("\"unterminated").is_empty());
    }

    #[test]
    fn nft_names_and_differences() {
        assert_eq!(from_nft("cali*"), (true, Cow::Borrowed("cali")));
        assert_eq!(from_nft("eth0"), (false, Cow::Borrowed("eth0")));
        assert_eq!(from_nft("a\\*"), (false, Cow::Owned("a*".to_string())));
        let set: FastHashSet<IfaceRef<'_>> = [from_nft("b"), from_nft("a*"), from_nft("b")]
            .into_iter()
            .collect();
        assert_eq!(
            sorted(set),
            [
                IfacePattern::Exact("b".into()),
                IfacePattern::Prefix("a".into())
            ]
        );
    }
}
