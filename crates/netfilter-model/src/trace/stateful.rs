//! Stateful matches (`recent`, `hashlimit`, `limit`, `connlimit`, `quota`, `statistic`,
//! `numgen`, nft `ct count`/`quota`): which outcomes the kernel can really give. Most depend
//! on history or chance and are *maybe*; some always (or never) match, as the kernel code
//! shows, and must not fork a course that cannot happen.

use std::fmt;

use crate::model::MatchKind;

use super::matching::Truth;

/// Whether `args` (iptables options) hold `!` before an option: the kernel inverts the answer.
fn inverted(args: &str) -> bool {
    args.split_whitespace().any(|w| w == "!")
}

fn option_value<'a>(args: &'a str, name: &str) -> Option<&'a str> {
    let mut it = args.split_whitespace();
    while let Some(w) = it.next() {
        if w == name {
            return it.next();
        }
    }
    None
}

fn has(args: &str, name: &str) -> bool {
    args.split_whitespace().any(|w| w == name)
}

/// `Yes`/`No` as the kernel decides, inverted by `!`.
fn fixed(holds: bool, invert: bool) -> Truth {
    Truth::from(holds != invert)
}

/// `-m recent`: `--set` adds the source (or destination) and always matches (xt_recent
/// `ret = !ret` on both the new-entry and the existing-entry path); `--rcheck`, `--update`
/// and `--remove` match when the address was seen before, which the query does not say.
fn recent(args: &str) -> Truth {
    let invert = inverted(args);
    if has(args, "--set") {
        return fixed(true, invert);
    }
    let what = if has(args, "--update") {
        "--update"
    } else if has(args, "--remove") {
        "--remove"
    } else {
        "--rcheck"
    };
    Truth::Maybe(format!(
        "`recent {what}` matches when the address is on the list `{}` (seen before)",
        option_value(args, "--name").unwrap_or("DEFAULT")
    ))
}

/// `-m connlimit` / nft `ct count`: the count includes the packet's own connection (at least
/// one), so `above 0` always and `upto 0` never matches.
fn connlimit(
    above: Option<u64>,
    upto: Option<u64>,
    invert: bool,
    text: &dyn fmt::Display,
) -> Truth {
    match (above, upto) {
        (Some(0), _) => fixed(true, invert),
        (_, Some(0)) => fixed(false, invert),
        _ => Truth::Maybe(format!("`{text}` depends on the number of connections")),
    }
}

/// `-m quota` / nft `quota`: a quota of 0 bytes never lets a packet through.
fn quota(bytes: Option<u64>, invert: bool, text: &dyn fmt::Display) -> Truth {
    match bytes {
        Some(0) => fixed(false, invert),
        _ => Truth::Maybe(format!("`{text}` depends on the bytes counted so far")),
    }
}

/// The kernel's random sampling: `(random & 0x7fffffff) < round(p * 2^31)`.
fn random(probability: &str, text: &dyn fmt::Display) -> Truth {
    match probability.trim().parse::<f64>() {
        Ok(p) if p >= 1.0 => Truth::Yes,
        Ok(p) if p <= 0.0 || (p * 2_147_483_648.0).round() < 1.0 => Truth::No,
        _ => Truth::Maybe(format!("`{text}` is a random draw")),
    }
}

/// Decides a stateful match from its options, as far as the kernel lets it be decided;
/// `None` for other matches.
pub(crate) fn stateful_truth(kind: &MatchKind, text: &dyn fmt::Display) -> Option<Truth> {
    let t = match kind {
        MatchKind::Statistic {
            mode,
            probability,
            every,
            ..
        } => match (mode.name(), probability, every) {
            ("random", Some(p), _) => random(p, text),
            // Every first packet: the counter wraps at once (xt_statistic stores every - 1).
            ("nth", _, Some(1)) => Truth::Yes,
            _ => Truth::Maybe(format!("`{text}` counts packets")),
        },
        MatchKind::Limit { .. } => Truth::Maybe(format!("`{text}` depends on the traffic rate")),
        MatchKind::Other {
            module,
            args,
            lossy: false,
        } => match module.as_str() {
            "recent" => recent(args),
            "hashlimit" => Truth::Maybe(format!("`{text}` depends on the traffic rate")),
            "connlimit" => connlimit(
                option_value(args, "--connlimit-above").and_then(|v| v.parse().ok()),
                option_value(args, "--connlimit-upto").and_then(|v| v.parse().ok()),
                inverted(args),
                text,
            ),
            "quota" => quota(
                option_value(args, "--quota").and_then(|v| v.parse().ok()),
                inverted(args),
                text,
            ),
            "nft" => {
                let words: Vec<&str> = args.split_whitespace().collect();
                match words.as_slice() {
                    ["ct", "count", "over", n] => connlimit(n.parse().ok(), None, false, text),
                    ["ct", "count", n] => connlimit(None, n.parse().ok(), false, text),
                    ["quota", "over", n, ..] => quota(n.parse().ok(), true, text),
                    ["quota", n, ..] => quota(n.parse().ok(), false, text),
                    ["limit", ..] => Truth::Maybe(format!("`{text}` depends on the traffic rate")),
                    _ => return None,
                }
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(module: &str, args: &str) -> MatchKind {
        MatchKind::Other {
            module: module.into(),
            args: args.into(),
            lossy: false,
        }
    }

    fn decide(k: MatchKind) -> Truth {
        stateful_truth(&k, &"m").unwrap()
    }

    #[test]
    fn recent_set_always_matches() {
        assert_eq!(
            decide(other("recent", "--set --name X --rsource")),
            Truth::Yes
        );
        assert_eq!(decide(other("recent", "! --set --name X")), Truth::No);
        assert!(matches!(
            decide(other("recent", "--rcheck --seconds 10800 --reap --name X")),
            Truth::Maybe(_)
        ));
        assert!(matches!(
            decide(other("recent", "--update --name X")),
            Truth::Maybe(_)
        ));
    }

    #[test]
    fn counters_and_draws() {
        assert_eq!(
            decide(other("connlimit", "--connlimit-above 0")),
            Truth::Yes
        );
        assert_eq!(decide(other("connlimit", "--connlimit-upto 0")), Truth::No);
        assert!(matches!(
            decide(other("connlimit", "--connlimit-upto 3")),
            Truth::Maybe(_)
        ));
        assert_eq!(decide(other("quota", "--quota 0")), Truth::No);
        assert_eq!(decide(other("nft", "ct count over 0")), Truth::Yes);
        assert!(matches!(
            decide(other("nft", "quota 1000 bytes")),
            Truth::Maybe(_)
        ));
        let stat = |p: &str| MatchKind::Statistic {
            mode: crate::model::StatisticMode::Random,
            probability: Some(p.into()),
            every: None,
            packet: None,
        };
        assert_eq!(decide(stat("1.00000000000")), Truth::Yes);
        assert_eq!(decide(stat("0.0")), Truth::No);
        assert!(matches!(decide(stat("0.5")), Truth::Maybe(_)));
        let nth = |every| MatchKind::Statistic {
            mode: crate::model::StatisticMode::Nth,
            probability: None,
            every: Some(every),
            packet: Some(0),
        };
        assert_eq!(decide(nth(1)), Truth::Yes);
        assert!(matches!(decide(nth(3)), Truth::Maybe(_)));
        assert!(stateful_truth(&other("owner", "--uid-owner 0"), &"m").is_none());
    }
}
