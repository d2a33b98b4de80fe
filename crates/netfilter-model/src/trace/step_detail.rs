//! What a trace step says beyond its event: the jump target, the mark change, the NAT
//! rewrite, the assumption made, typed, with the words of the reports as its `Display`.

use std::fmt;

use crate::model::{Policy, Statement};

use super::outcome::NatEndpoint;

/// The details of one [`Step`](super::Step): which ones a step carries depends on its
/// [`StepEvent`](super::StepEvent). `Display` gives the words the text report and the
/// wire JSON's `detail` show; `Serialize` writes the same words as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepDetail {
    /// A jump or goto: the chain jumped to (`KUBE-SERVICES`).
    JumpTarget {
        /// The target chain's name.
        chain: String,
    },
    /// A jump or goto to a chain the ruleset does not hold
    /// (``chain `x` is not in the ruleset; treated as a return``).
    MissingChain {
        /// The missing chain's name.
        chain: String,
    },
    /// The base chain's policy that applied (`accept`, `drop`).
    Policy(Policy),
    /// The implicit return at the end of a user chain (`end of chain`).
    EndOfChain,
    /// Why a nat base chain or the rest of a rule was skipped.
    Skip(SkipReason),
    /// An undecidable match: the trace assumed it matches or not
    /// (`assumed to match: {reason}`, `assumed not to match: {reason}`).
    Assumed {
        /// Whether the match was assumed to hold.
        holds: bool,
        /// What could not be decided.
        reason: String,
    },
    /// An undecidable nat map lookup, assumed to find no element
    /// (`assumed the nat map has no element for the packet: {reason}`).
    AssumedNatMapMiss {
        /// Why the lookup could not be decided.
        reason: String,
    },
    /// A verdict-map element that matched, as written in the map (`"cali2" : goto x`).
    VmapElement {
        /// The element's text.
        element: String,
    },
    /// An undecidable verdict-map lookup and the outcome assumed
    /// (``{reason}; assumed element `{element}` ``, `{reason}; assumed no element`).
    AssumedVmapElement {
        /// Why the lookup could not be decided.
        reason: String,
        /// The element assumed to match; `None` when no element was assumed to match.
        element: Option<String>,
    },
    /// An address translation (`dnat to 10.244.1.5:53: destination is now 10.244.1.5:53`).
    Nat(NatRewrite),
    /// A mark or connection mark change, by the step's event (`0x0 -> 0x4000`).
    MarkChange {
        /// The value before the rule.
        old: u32,
        /// The value after the rule.
        new: u32,
    },
    /// `notrack` took effect (`the connection is not tracked from here on`).
    Untracked,
    /// User space or an unknown target decides; the trace assumed what it does
    /// (`the packet is queued to user space; assumed it accepts`).
    AssumedUserSpace {
        /// Who decides.
        decider: UserSpaceDecider,
        /// Whether it was assumed to let the packet go on (otherwise: to drop it).
        accepts: bool,
    },
}

impl StepDetail {
    /// The chain a jump or goto went to; `None` for every other detail.
    pub fn jump_target(&self) -> Option<&str> {
        match self {
            StepDetail::JumpTarget { chain } => Some(chain),
            _ => None,
        }
    }
}

impl fmt::Display for StepDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepDetail::JumpTarget { chain } => f.write_str(chain),
            StepDetail::MissingChain { chain } => {
                write!(
                    f,
                    "chain `{chain}` is not in the ruleset; treated as a return"
                )
            }
            StepDetail::Policy(p) => f.write_str(p.as_str()),
            StepDetail::EndOfChain => f.write_str("end of chain"),
            StepDetail::Skip(r) => fmt::Display::fmt(r, f),
            StepDetail::Assumed {
                holds: true,
                reason,
            } => {
                write!(f, "assumed to match: {reason}")
            }
            StepDetail::Assumed {
                holds: false,
                reason,
            } => write!(f, "assumed not to match: {reason}"),
            StepDetail::AssumedNatMapMiss { reason } => {
                write!(
                    f,
                    "assumed the nat map has no element for the packet: {reason}"
                )
            }
            StepDetail::VmapElement { element } => f.write_str(element),
            StepDetail::AssumedVmapElement {
                reason,
                element: Some(el),
            } => write!(f, "{reason}; assumed element `{el}`"),
            StepDetail::AssumedVmapElement {
                reason,
                element: None,
            } => write!(f, "{reason}; assumed no element"),
            StepDetail::Nat(n) => fmt::Display::fmt(n, f),
            StepDetail::MarkChange { old, new } => write!(f, "0x{old:x} -> 0x{new:x}"),
            StepDetail::Untracked => f.write_str("the connection is not tracked from here on"),
            StepDetail::AssumedUserSpace { decider, accepts } => write!(
                f,
                "{decider}; assumed it {}",
                if *accepts { "accepts" } else { "drops" }
            ),
        }
    }
}

impl serde::Serialize for StepDetail {
    /// The words of [`Display`](fmt::Display), as a string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a step skipped a nat base chain or the rest of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SkipReason {
    /// The packet is not the first of its connection; nat chains see only the first.
    NotFirstPacket,
    /// A locally sent packet looped back over `lo`: nat ran when it left.
    NatRanOnTheWayOut,
    /// An earlier nat chain of the same hook already mapped the connection.
    EarlierNatChainMapped,
    /// The rule's nat map has no element for the packet, which ends the rule.
    NatMapMiss,
    /// A ct expression found no conntrack entry, which ends the rule.
    NoConntrackEntry,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::NotFirstPacket => "nat chains see only the first packet of a connection",
            SkipReason::NatRanOnTheWayOut => {
                "nat ran when the packet left; it does not run again on its way back over lo"
            }
            SkipReason::EarlierNatChainMapped => {
                "an earlier nat chain of this hook mapped the connection"
            }
            SkipReason::NatMapMiss => "the nat map has no element for the packet: the rule ends",
            SkipReason::NoConntrackEntry => {
                "a ct expression without a conntrack entry ends the rule"
            }
        })
    }
}

/// Who decides a packet's fate outside the ruleset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum UserSpaceDecider {
    /// The packet is queued to user space (`queue`, `NFQUEUE`).
    Queue,
    /// A target nfdiff does not know.
    UnknownTarget,
}

impl fmt::Display for UserSpaceDecider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UserSpaceDecider::Queue => "the packet is queued to user space",
            UserSpaceDecider::UnknownTarget => "the target is not known to nfdiff",
        })
    }
}

/// What a NAT statement did to the packet, as a trace step tells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct NatRewrite {
    /// The NAT statement applied (for an xt target whose options nft JSON lost: the
    /// statement without address or port).
    pub statement: Statement,
    /// The address it rewrote.
    pub change: NatChange,
    /// Whether the statement is an xt target whose address the nft JSON dump does not
    /// hold, so the address was assumed unchanged.
    pub xt_address_unknown: bool,
}

impl NatRewrite {
    /// A rewrite by `statement`.
    pub fn new(statement: Statement, change: NatChange) -> NatRewrite {
        NatRewrite {
            statement,
            change,
            xt_address_unknown: false,
        }
    }
}

impl fmt::Display for NatRewrite {
    /// `dnat to 10.244.1.5:53: destination is now 10.244.1.5:53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.statement, self.change)?;
        if self.xt_address_unknown {
            f.write_str(
                " (xt target: the address is not in the nft JSON dump; assumed unchanged)",
            )?;
        }
        Ok(())
    }
}

/// The address a NAT statement rewrote, and to what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NatChange {
    /// DNAT: the destination is now this.
    Destination(NatEndpoint),
    /// Redirect: the destination is the node itself.
    Redirect,
    /// SNAT: the source is now this.
    Source(NatEndpoint),
    /// Masquerade: the source becomes the output interface's address.
    Masquerade,
}

impl fmt::Display for NatChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NatChange::Destination(e) => write!(f, "destination is now {e}"),
            NatChange::Redirect => f.write_str("to the node itself"),
            NatChange::Source(e) => write!(f, "source is now {e}"),
            NatChange::Masquerade => f.write_str("source becomes the output interface's address"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NatKind;

    #[test]
    fn words_are_the_reports() {
        let cases = [
            (
                StepDetail::Assumed {
                    holds: false,
                    reason: "r".into(),
                },
                "assumed not to match: r",
            ),
            (
                StepDetail::Assumed {
                    holds: true,
                    reason: "r".into(),
                },
                "assumed to match: r",
            ),
            (
                StepDetail::MarkChange {
                    old: 0,
                    new: 0x4000,
                },
                "0x0 -> 0x4000",
            ),
            (StepDetail::Policy(Policy::Drop), "drop"),
            (StepDetail::EndOfChain, "end of chain"),
            (
                StepDetail::AssumedVmapElement {
                    reason: "r".into(),
                    element: Some("\"a\" : drop".into()),
                },
                "r; assumed element `\"a\" : drop`",
            ),
            (
                StepDetail::AssumedVmapElement {
                    reason: "r".into(),
                    element: None,
                },
                "r; assumed no element",
            ),
            (
                StepDetail::AssumedUserSpace {
                    decider: UserSpaceDecider::Queue,
                    accepts: false,
                },
                "the packet is queued to user space; assumed it drops",
            ),
            (
                StepDetail::AssumedUserSpace {
                    decider: UserSpaceDecider::UnknownTarget,
                    accepts: true,
                },
                "the target is not known to nfdiff; assumed it accepts",
            ),
            (
                StepDetail::MissingChain { chain: "x".into() },
                "chain `x` is not in the ruleset; treated as a return",
            ),
            (
                StepDetail::AssumedNatMapMiss { reason: "r".into() },
                "assumed the nat map has no element for the packet: r",
            ),
            (
                StepDetail::Untracked,
                "the connection is not tracked from here on",
            ),
            (
                StepDetail::Skip(SkipReason::NotFirstPacket),
                "nat chains see only the first packet of a connection",
            ),
            (
                StepDetail::Skip(SkipReason::NatRanOnTheWayOut),
                "nat ran when the packet left; it does not run again on its way back over lo",
            ),
            (
                StepDetail::Skip(SkipReason::EarlierNatChainMapped),
                "an earlier nat chain of this hook mapped the connection",
            ),
            (
                StepDetail::Skip(SkipReason::NatMapMiss),
                "the nat map has no element for the packet: the rule ends",
            ),
            (
                StepDetail::Skip(SkipReason::NoConntrackEntry),
                "a ct expression without a conntrack entry ends the rule",
            ),
            (
                StepDetail::VmapElement {
                    element: "\"cali2\" : goto x".into(),
                },
                "\"cali2\" : goto x",
            ),
        ];
        for (d, want) in cases {
            assert_eq!(d.to_string(), want);
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                serde_json::to_string(want).unwrap()
            );
        }
        let jump = StepDetail::JumpTarget {
            chain: "KUBE-SERVICES".into(),
        };
        assert_eq!(jump.jump_target(), Some("KUBE-SERVICES"));
        assert_eq!(StepDetail::EndOfChain.jump_target(), None);
    }

    #[test]
    fn nat_rewrite_reads_like_the_statement() {
        let stmt = Statement::Nat {
            kind: NatKind::Masquerade,
            addr: None,
            port: None,
            flags: vec![],
        };
        let mut n = NatRewrite::new(stmt.clone(), NatChange::Masquerade);
        assert_eq!(
            n.to_string(),
            format!("{stmt}: source becomes the output interface's address")
        );
        let dnat =
            NatChange::Destination(NatEndpoint::new(Some("fd00::5".parse().unwrap()), Some(80)));
        assert_eq!(dnat.to_string(), "destination is now [fd00::5]:80");
        let snat = NatChange::Source(NatEndpoint::new(Some("10.0.0.1".parse().unwrap()), None));
        assert_eq!(snat.to_string(), "source is now 10.0.0.1");
        assert_eq!(NatChange::Redirect.to_string(), "to the node itself");
        n.xt_address_unknown = true;
        assert!(n.to_string().ends_with(
            ": source becomes the output interface's address (xt target: the address is not \
             in the nft JSON dump; assumed unchanged)"
        ));
    }
}
