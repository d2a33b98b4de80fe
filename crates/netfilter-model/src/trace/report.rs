//! Plain-data results of a trace: the verdict, the deciding rule, the steps, the alternatives.

use std::fmt;

use crate::model::{Backend, Family, Hook};

use super::outcome::NatResult;
use super::step_detail::StepDetail;

/// The packet's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FinalVerdict {
    /// Every base chain on the path let it through.
    Accept,
    /// A rule or policy dropped or rejected it.
    Drop,
}

impl FinalVerdict {
    /// `accept` or `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            FinalVerdict::Accept => "accept",
            FinalVerdict::Drop => "drop",
        }
    }
}

impl fmt::Display for FinalVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A chain, named by backend, family, table and chain name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainRef {
    /// Backend of the table.
    pub backend: Backend,
    /// Family of the table.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
}

impl fmt::Display for ChainRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.backend, self.family, self.table, self.chain
        )
    }
}

/// A rule (or a chain's policy) that decided something.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RuleRef {
    /// Backend of the table.
    pub backend: Backend,
    /// Family of the table.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
    /// 1-based position of the rule in its chain; `None` for the policy.
    pub index: Option<usize>,
    /// Whether this is the chain's policy rather than a rule.
    pub policy: bool,
    /// The rule's canonical text (for a policy: `policy accept` / `policy drop`).
    pub rule: String,
    /// The rule's comment.
    pub comment: Option<String>,
}

impl RuleRef {
    /// The chain this rule is in.
    pub fn chain_ref(&self) -> ChainRef {
        ChainRef {
            backend: self.backend,
            family: self.family,
            table: self.table.clone(),
            chain: self.chain.clone(),
        }
    }
}

impl fmt::Display for RuleRef {
    /// `nft ip filter cali-from-wl-dispatch rule 3` or `legacy ip filter FORWARD policy`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} ",
            self.backend, self.family, self.table, self.chain
        )?;
        match self.index {
            Some(i) => write!(f, "rule {i}"),
            None => f.write_str("policy"),
        }
    }
}

/// What happened at one point of the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum StepEvent {
    /// A base chain starts.
    Enter,
    /// A nat base chain is skipped: the packet is not the first of its connection.
    Skip,
    /// A jump to a user chain.
    Jump,
    /// A goto to a user chain.
    Goto,
    /// A return to the calling chain (explicit `return` or the end of a user chain).
    Return,
    /// A verdict-map lookup chose an element.
    Vmap,
    /// An accept, which ends the base chain.
    Accept,
    /// A drop, final for the packet.
    Drop,
    /// A reject, final for the packet.
    Reject,
    /// The base chain's policy applied.
    Policy,
    /// Address translation; it ends the nat chain with an accept.
    Nat,
    /// The packet mark changed.
    Mark,
    /// The connection mark changed.
    CtMark,
    /// A match could not be decided; the trace assumed its outcome.
    Assume,
    /// The packet is queued to user space; the trace assumed what user space does.
    Queue,
    /// A jump or goto to a chain the ruleset does not hold; treated as a return.
    MissingChain,
    /// `notrack`: later chains see ct state untracked; nat chains are skipped.
    Notrack,
}

impl StepEvent {
    /// The lowercase name used in reports (`jump`, `policy`, `missing-chain`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            StepEvent::Enter => "enter",
            StepEvent::Skip => "skip",
            StepEvent::Jump => "jump",
            StepEvent::Goto => "goto",
            StepEvent::Return => "return",
            StepEvent::Vmap => "vmap",
            StepEvent::Accept => "accept",
            StepEvent::Drop => "drop",
            StepEvent::Reject => "reject",
            StepEvent::Policy => "policy",
            StepEvent::Nat => "nat",
            StepEvent::Mark => "mark",
            StepEvent::CtMark => "ctmark",
            StepEvent::Assume => "assume",
            StepEvent::Queue => "queue",
            StepEvent::MissingChain => "missing-chain",
            StepEvent::Notrack => "notrack",
        }
    }
}

impl fmt::Display for StepEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event on the packet's way, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Step {
    /// The hook being run.
    pub hook: Hook,
    /// Backend of the chain.
    pub backend: Backend,
    /// Family of the chain's table.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
    /// 1-based rule position; `None` for chain-level events (enter, policy, implicit return).
    pub index: Option<usize>,
    /// What happened.
    pub event: StepEvent,
    /// What else the step says, typed by kind: the jump target, the mark change, the NAT
    /// rewrite, the assumption made. Which kind a step carries depends on its
    /// [`event`](Step::event); its `Display` gives the words of the reports.
    pub detail: Option<StepDetail>,
}

/// An assumption about a match the trace could not decide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Assumption {
    /// The rule holding the match.
    pub rule: RuleRef,
    /// Whether the trace assumed the undecidable part holds.
    pub holds: bool,
    /// What could not be decided, in words.
    pub reason: String,
    /// The packet facts this assumption fixes for the rest of the course (a later rule
    /// testing the same fact gets the same answer); empty when the undecidable part is not
    /// a fixed property of the packet (a random draw, a rate) or, for "does not match",
    /// when several facts were open.
    pub facts: Vec<PacketFact>,
}

/// A property of the packet a course assumed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketFact {
    /// The fact: the (non-negated) match and the packet fields it reads.
    pub what: String,
    /// Whether it holds.
    pub holds: bool,
}

impl fmt::Display for Assumption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.rule,
            if self.holds {
                "matches"
            } else {
                "does not match"
            },
            self.reason
        )
    }
}

/// Another outcome: under another order of equal-priority base chains, or under other
/// assumptions about undecidable matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Alternative {
    /// The verdict in that case.
    pub verdict: FinalVerdict,
    /// The deciding rule in that case.
    pub decided_by: Option<RuleRef>,
    /// The equal-priority base chains that ran in a non-listing order, in the order they ran,
    /// one list per reordered group; empty when only assumptions differ.
    pub order: Vec<Vec<ChainRef>>,
    /// The assumptions that lead there.
    pub assumptions: Vec<Assumption>,
    /// The address translation in that case.
    pub nat: NatResult,
    /// The hooks the packet went through in that case.
    pub path: Vec<Hook>,
}

/// An accepting backend overruled by a drop in the other backend.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Overruled {
    /// The backend that, on its own, accepts the packet.
    pub accepted_in: Backend,
    /// What accepted it there (see [`TraceReport::decided_by`] for an accept).
    pub accepted_by: Option<RuleRef>,
    /// The backend whose rule dropped the packet.
    pub dropped_in: Backend,
}

/// The result of tracing one packet.
///
/// `decided_by` for a drop is the rule (or policy) that dropped or rejected the packet.
/// For an accept it is the last rule that explicitly accepted the packet in a non-nat base
/// chain; failing that, the last accepting rule of any chain (e.g. a NAT statement); failing
/// that, the policy of the last base chain that ran; `None` when no base chain saw the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceReport {
    /// The packet's fate under the listing order of equal-priority chains and with every
    /// undecidable match assumed to hold.
    pub verdict: FinalVerdict,
    /// What decided it (see the type's documentation for accepts).
    pub decided_by: Option<RuleRef>,
    /// Other outcomes, each with what leads to it.
    pub alternatives: Vec<Alternative>,
    /// Whether another order of equal-priority base chains changes the verdict or the
    /// address translation.
    pub order_dependent: bool,
    /// Whether an undecidable match changes the verdict, the deciding rule or the address
    /// translation (or, when the branch limit cut the exploration short, might).
    pub uncertain: bool,
    /// The address translation of `verdict`'s course.
    pub nat: NatResult,
    /// The hooks `verdict`'s course went through, in order (with [`TracePath::Auto`](super::TracePath),
    /// the path the trace chose).
    pub path: Vec<Hook>,
    /// The assumptions behind `verdict`.
    pub assumptions: Vec<Assumption>,
    /// The packet's way, event by event.
    pub steps: Vec<Step>,
    /// When the packet is dropped by one backend although the other, alone, accepts it.
    pub overruled: Option<Overruled>,
    /// Notes about the trace (ignored chains, limits reached).
    pub notes: Vec<String>,
}

impl TraceReport {
    /// Whether the verdict is the only possible one: no undecidable match (taken to hold on
    /// the primary course, both ways on the alternatives) and no order of equal-priority base
    /// chains changes it. When `false`, `alternatives` lists the other outcomes.
    pub fn is_certain(&self) -> bool {
        !self.uncertain && !self.order_dependent
    }
}

/// The trace of one interface-name class.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClassTrace {
    /// The class in words (`caliA1`, "starts with `cali` and nothing more specific").
    pub description: String,
    /// A witness name of the class, which the trace used.
    pub example: String,
    /// The trace of the packet arriving on `example`.
    pub trace: TraceReport,
}

/// The result of `reach`: one trace per interface-name class.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReachReport {
    /// The classes, exact names first, then prefixes, the remainder last.
    pub classes: Vec<ClassTrace>,
}
