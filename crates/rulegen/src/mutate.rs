//! "The same ruleset with N% of its rules changed": semantic edits for semantic-diff benchmarks.
//!
//! A changed rule keeps its chain and position and changes what it does to packets, the same
//! way in both syntaxes: a destination port (`--dport P` / `dport P`) or a DNAT target port
//! (`--to-destination A:P` / `dnat to A:P`) becomes another port, or a /32 source address
//! (`-s A/32` / `ip saddr A`) becomes another address. Rules with none of these are left alone.

use crate::out::GenTable;
use crate::rng::Rng;

/// Replaces the number that follows the first `key` in `text` with `f(number)`; `None` when
/// `key` is not followed by a number.
fn bump_number_after(text: &str, key: &str, f: impl Fn(u32) -> u32) -> Option<String> {
    let at = text.find(key)? + key.len();
    let digits = text[at..].bytes().take_while(u8::is_ascii_digit).count();
    let n: u32 = text[at..at + digits].parse().ok()?;
    Some(format!("{}{}{}", &text[..at], f(n), &text[at + digits..]))
}

/// Another port: the next one (65535 wraps to 1).
fn other_port(p: u32) -> u32 {
    if p >= 65535 {
        1
    } else {
        p + 1
    }
}

/// The last octet of an IPv4 address that follows `key` in `text`, changed; `None` when
/// `key` is not followed by an address.
fn bump_address_after(text: &str, key: &str) -> Option<String> {
    let at = text.find(key)? + key.len();
    let len = text[at..]
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let addr = &text[at..at + len];
    let (head, last) = addr.rsplit_once('.')?;
    if head.split('.').count() != 3 {
        return None;
    }
    let last: u8 = last.parse().ok()?;
    let new = if last >= 250 { 1 } else { last + 1 };
    Some(format!("{}{head}.{new}{}", &text[..at], &text[at + len..]))
}

/// The changed `(ipt, nft)` texts of a rule, or `None` when it has nothing to change.
fn change(ipt: &str, nft: &str) -> Option<(String, String)> {
    if let Some(k) = ipt.find("--to-destination ") {
        let colon = k + ipt[k..].find(':')?;
        let new_ipt = bump_number_after(ipt, &ipt[k..=colon], other_port)?;
        let j = nft.find("dnat to ")?;
        let colon = j + nft[j..].find(':')?;
        let new_nft = bump_number_after(nft, &nft[j..=colon], other_port)?;
        return Some((new_ipt, new_nft));
    }
    if ipt.contains("--dport ") {
        return Some((
            bump_number_after(ipt, "--dport ", other_port)?,
            bump_number_after(nft, "dport ", other_port)?,
        ));
    }
    if ipt.starts_with("-s ") && ipt.contains("/32 ") {
        return Some((
            bump_address_after(ipt, "-s ")?,
            bump_address_after(nft, "ip saddr ")?,
        ));
    }
    None
}

/// Changes `percent`% of all rules (rounded, at least one when `percent > 0`), chosen at
/// random with `seed` among the rules that have something to change. Returns how many rules
/// were changed (fewer than asked only when too few rules are changeable).
pub fn change_percent(tables: &mut [GenTable], percent: f64, seed: u64) -> usize {
    let total: usize = tables.iter().map(|t| t.rules.len()).sum();
    if total == 0 || percent <= 0.0 {
        return 0;
    }
    let want = ((total as f64 * percent / 100.0).round() as usize).clamp(1, total);
    // Every changeable rule, by (table, index), in a seeded random order.
    let mut candidates: Vec<(usize, usize)> = tables
        .iter()
        .enumerate()
        .flat_map(|(ti, t)| {
            t.rules
                .iter()
                .enumerate()
                .filter(|(_, r)| change(&r.ipt, &r.nft).is_some())
                .map(move |(ri, _)| (ti, ri))
        })
        .collect();
    let mut rng = Rng::new(seed ^ 0x00c4_a119_e5ee_d001);
    for i in (1..candidates.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        candidates.swap(i, j);
    }
    let mut changed = 0;
    for (ti, ri) in candidates.into_iter().take(want) {
        let r = &mut tables[ti].rules[ri];
        if let Some((ipt, nft)) = change(&r.ipt, &r.nft) {
            r.ipt = ipt;
            r.nft = nft;
            changed += 1;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{kube_proxy, out};

    #[test]
    fn each_kind_of_change_edits_both_syntaxes_alike() {
        let (i, n) = change(
            "-d 10.96.0.1/32 -p tcp -m comment --comment \"x\" -m tcp --dport 443 -j KUBE-SVC-A",
            "ip daddr 10.96.0.1 tcp dport 443 jump KUBE-SVC-A comment \"x\"",
        )
        .expect("a port rule changes");
        assert!(
            i.contains("--dport 444 ") && n.contains("dport 444 "),
            "{i} | {n}"
        );
        let (i, n) = change(
            "-p tcp -m comment --comment \"x\" -m tcp -j DNAT --to-destination 10.244.3.4:8080",
            "meta l4proto tcp dnat to 10.244.3.4:8080 comment \"x\"",
        )
        .expect("a DNAT rule changes");
        assert!(
            i.ends_with("--to-destination 10.244.3.4:8081")
                && n.contains("dnat to 10.244.3.4:8081 "),
            "{i} | {n}"
        );
        let (i, n) = change(
            "-s 10.244.3.4/32 -m comment --comment \"x\" -j KUBE-MARK-MASQ",
            "ip saddr 10.244.3.4 jump KUBE-MARK-MASQ comment \"x\"",
        )
        .expect("a source rule changes");
        assert!(
            i.starts_with("-s 10.244.3.5/32 ") && n.starts_with("ip saddr 10.244.3.5 "),
            "{i} | {n}"
        );
        assert!(change("-j KUBE-FORWARD", "jump KUBE-FORWARD").is_none());
    }

    #[test]
    fn one_percent_of_a_kube_proxy_ruleset_changes() {
        let base = kube_proxy::generate(&mut Rng::new(3), 5000);
        let mut changed = kube_proxy::generate(&mut Rng::new(3), 5000);
        let n = change_percent(&mut changed, 1.0, 3);
        let total: usize = base.iter().map(|t| t.rules.len()).sum();
        assert_eq!(n, (total as f64 / 100.0).round() as usize);
        let (a, b) = (out::iptables_save(&base), out::iptables_save(&changed));
        let differing = a.lines().zip(b.lines()).filter(|(x, y)| x != y).count();
        assert_eq!(differing, n, "exactly the changed rules differ");
        let (a, b) = (out::nft_text(&base), out::nft_text(&changed));
        let differing = a.lines().zip(b.lines()).filter(|(x, y)| x != y).count();
        assert_eq!(differing, n, "in nft syntax too");
    }
}
