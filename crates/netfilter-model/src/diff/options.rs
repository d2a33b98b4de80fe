//! Options of the ruleset diff.

/// What the diff treats as a difference.
///
/// Counters, handles and origins never count; everything else does unless an
/// option here says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Ignore rule, chain and set comments (`--ignore-comments`).
    pub ignore_comments: bool,
}

impl DiffOptions {
    /// Whether comments count (`false`: they are ignored, as `--ignore-comments`).
    pub fn ignore_comments(mut self, yes: bool) -> DiffOptions {
        self.ignore_comments = yes;
        self
    }
}
