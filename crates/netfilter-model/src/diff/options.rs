//! Options of the ruleset diff.

/// What the diff treats as a difference.
///
/// Counters, handles and origins never count; everything else does unless an
/// option here says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiffOptions {
    /// Ignore rule, chain and set comments (`--ignore-comments`).
    pub ignore_comments: bool,
}
