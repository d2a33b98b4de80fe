//! Rules: matches, statements, verdict, comment, and where the rule came from.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::loss_note::LossNote;
use super::matches::Match;
use super::statement::Statement;
use super::verdict::Verdict;

/// Packet and byte counters. Never part of equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Packets seen.
    pub packets: u64,
    /// Bytes seen.
    pub bytes: u64,
}

/// Where a rule, chain or table was read from, for error messages and reports.
/// Never part of equality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Origin {
    /// The source name (`legacy:/tmp/dump`, `live:nft`, `-`).
    pub source: Arc<str>,
    /// 1-based line in a text source.
    pub line: Option<u32>,
    /// nf_tables handle, when the source has it.
    pub handle: Option<u64>,
}

/// One rule of a chain.
///
/// Equality compares matches, statements, verdict and comment. Counters and origin are
/// ignored, as DESIGN.md requires, and so are the `lossy` notes: they describe the source
/// (two listings lose a comment in different words), not the rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Rule {
    /// Conditions, all of which must hold. Kept in canonical order (see `normalize`).
    pub matches: Vec<Match>,
    /// Non-terminal effects, in order.
    pub statements: Vec<Statement>,
    /// How the rule ends evaluation, if it does.
    pub verdict: Option<Verdict>,
    /// The rule's comment (`-m comment`, nft `comment`); several iptables comments are joined with `; `.
    pub comment: Option<String>,
    /// Counters, when the source has them.
    pub counters: Option<Counters>,
    /// Where the rule came from.
    pub origin: Origin,
    /// Parts the source could not express (e.g. nft 1.0.x text drops `-m comment`).
    /// A lossy rule is compared with care by the diff.
    pub lossy: Vec<LossNote>,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.matches == other.matches
            && self.statements == other.statements
            && self.verdict == other.verdict
            && self.comment == other.comment
    }
}

impl Eq for Rule {}

impl std::hash::Hash for Rule {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.matches.hash(state);
        self.statements.hash(state);
        self.verdict.hash(state);
        self.comment.hash(state);
    }
}

impl Rule {
    /// A rule of these matches, statements and verdict, with no comment, counters, origin
    /// or lossy notes (set them with the `with_` methods or the public fields).
    pub fn new(matches: Vec<Match>, statements: Vec<Statement>, verdict: Option<Verdict>) -> Rule {
        Rule {
            matches,
            statements,
            verdict,
            ..Rule::default()
        }
    }

    /// The rule with this comment.
    pub fn with_comment(mut self, comment: impl Into<String>) -> Rule {
        self.comment = Some(comment.into());
        self
    }

    /// The rule with these counters.
    pub fn with_counters(mut self, counters: Counters) -> Rule {
        self.counters = Some(counters);
        self
    }

    /// The rule with this origin.
    pub fn with_origin(mut self, origin: Origin) -> Rule {
        self.origin = origin;
        self
    }

    /// How many matches and statements are kept verbatim (not modelled by nfdiff).
    pub fn verbatim_parts(&self) -> usize {
        use super::matches::MatchKind;
        self.matches
            .iter()
            .filter(|m| matches!(m.kind, MatchKind::Other { .. }))
            .count()
            + self
                .statements
                .iter()
                .filter(|s| matches!(s, Statement::Other { .. }))
                .count()
            + usize::from(matches!(self.verdict, Some(Verdict::Other(_))))
    }

    /// Whether the rule is equal to `other` when comments are ignored.
    pub fn eq_ignoring_comment(&self, other: &Rule) -> bool {
        self.matches == other.matches
            && self.statements == other.statements
            && self.verdict == other.verdict
    }
}
