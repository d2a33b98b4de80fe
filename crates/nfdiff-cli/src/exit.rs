//! Exit statuses of `nfdiff`, as DESIGN.md's command-line contract fixes them.

/// A process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u8);

impl From<Status> for std::process::ExitCode {
    fn from(s: Status) -> Self {
        std::process::ExitCode::from(s.0)
    }
}

/// Success; for `diff`, no differences; for `doctor`, no findings.
pub const SUCCESS: Status = Status(0);
/// `diff`: differences found; `doctor`: findings.
pub const DIFFERENT: Status = Status(1);
/// Bad input, bad arguments, or a failure to read.
pub const ERROR: Status = Status(2);
