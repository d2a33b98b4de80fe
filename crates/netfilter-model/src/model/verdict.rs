//! Verdicts: how a rule ends evaluation of its chain.

use serde::{Deserialize, Serialize};

use super::VerdictMap;

/// The verdict of a rule. A rule without one continues to the next rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "arg", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// `NF_ACCEPT`: ends the current base chain only; later base chains still run.
    Accept,
    /// `NF_DROP`: final for the packet.
    Drop,
    /// Drop with an ICMP error or TCP reset; `with` is iptables' `--reject-with` type
    /// (kept as written, e.g. `icmp-port-unreachable`, `tcp-reset`); `None` is the default.
    Reject {
        /// Reject type.
        with: Option<String>,
    },
    /// Return to the calling chain; in a base chain, apply the policy.
    Return,
    /// Call a user chain, returning here afterwards.
    Jump(String),
    /// Continue in a user chain without a return address.
    Goto(String),
    /// Hand the packet to user space (`NFQUEUE`, `queue`); options verbatim.
    Queue(String),
    /// nft `continue`.
    Continue,
    /// A verdict map lookup (`KEY vmap { ... }` or `KEY vmap @name`): its key, its elements
    /// and the text it is listed as (serialized as that text).
    Vmap(VerdictMap),
    /// A target or verdict nfdiff does not know, verbatim.
    Other(String),
}

impl Verdict {
    /// A queue verdict with its options in one spelling, whichever listing they came from:
    /// nft's current `flags bypass,fanout to 0-6`, nft 1.0.x's `num 0-6 bypass,fanout`,
    /// iptables' `--queue-balance 0:6 --queue-bypass --queue-cpu-fanout`; a queue number
    /// that is not said is 0. Options that are not plain numbers and flags (`to numgen ...`)
    /// are kept as written.
    pub fn queue(args: &str) -> Verdict {
        Verdict::Queue(queue_args(args).unwrap_or_else(|| args.to_string()))
    }

    /// Whether the verdict ends the packet's traversal (drop or reject).
    pub fn is_final_drop(&self) -> bool {
        matches!(self, Verdict::Drop | Verdict::Reject { .. })
    }
}

/// The canonical queue options (`[flags F,...] to N[-M]`), or `None` when `args` holds
/// something other than numbers and flags.
fn queue_args(args: &str) -> Option<String> {
    let (mut lo, mut hi) = (0u32, 0u32);
    let (mut bypass, mut fanout) = (false, false);
    let range = |v: &str, sep: char| -> Option<(u32, u32)> {
        match v.split_once(sep) {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => {
                let n = v.parse().ok()?;
                Some((n, n))
            }
        }
    };
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        match w {
            "num" | "to" => (lo, hi) = range(words.next()?, '-')?,
            "--queue-num" => (lo, hi) = range(words.next()?, '-')?,
            "--queue-balance" => (lo, hi) = range(words.next()?, ':')?,
            "--queue-bypass" => bypass = true,
            "--queue-cpu-fanout" => fanout = true,
            "flags" => {
                for f in words.next()?.split(',') {
                    match f {
                        "bypass" => bypass = true,
                        "fanout" => fanout = true,
                        _ => return None,
                    }
                }
            }
            w => {
                for f in w.split(',') {
                    match f {
                        "bypass" => bypass = true,
                        "fanout" => fanout = true,
                        _ => return None,
                    }
                }
            }
        }
    }
    let flags: Vec<&str> = [(bypass, "bypass"), (fanout, "fanout")]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
        .collect();
    let to = if hi > lo {
        format!("to {lo}-{hi}")
    } else {
        format!("to {lo}")
    };
    Some(if flags.is_empty() {
        to
    } else {
        format!("flags {} {to}", flags.join(","))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_options_read_alike_from_every_listing() {
        let canon = "flags bypass,fanout to 0-6";
        for text in [
            "flags bypass,fanout to 0-6",
            "num 0-6 bypass,fanout",
            "--queue-balance 0:6 --queue-bypass --queue-cpu-fanout",
        ] {
            assert_eq!(Verdict::queue(text), Verdict::Queue(canon.into()), "{text}");
        }
        for text in ["", "num 0", "--queue-num 0", "to 0"] {
            assert_eq!(
                Verdict::queue(text),
                Verdict::Queue("to 0".into()),
                "{text}"
            );
        }
        assert_eq!(
            Verdict::queue("--queue-num 2 --queue-bypass"),
            Verdict::Queue("flags bypass to 2".into())
        );
        assert_eq!(
            Verdict::queue("to numgen inc mod 2"),
            Verdict::Queue("to numgen inc mod 2".into())
        );
    }
}
