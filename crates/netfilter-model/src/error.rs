//! Errors of the library: positioned parse errors and source-level failures.

use std::fmt;

/// A position in a text source: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parse error at a position of a named source, with what was being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Source name as the user gave it (`legacy:/tmp/dump`, `-`).
    pub source_name: String,
    /// Where in the source.
    pub position: Position,
    /// What is wrong and what was expected.
    pub message: String,
    /// What was being read, e.g. `table filter, chain INPUT, rule 3`.
    pub context: Option<String>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.source_name, self.position, self.message
        )?;
        if let Some(c) = &self.context {
            write!(f, " ({c})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid for its format.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The input's format could not be recognized.
    #[error("{source_name}: cannot tell the format: {reason}")]
    UnknownFormat {
        /// Source name.
        source_name: String,
        /// Why no format fit.
        reason: String,
    },
    /// The source could not be read.
    #[error("{source_name}: cannot read")]
    Io {
        /// Source name.
        source_name: String,
        /// The underlying error.
        #[source]
        error: std::io::Error,
    },
    /// A source specification (`legacy:PATH`, `live:nft`, ...) is malformed.
    #[error("invalid source `{spec}`: {reason}")]
    InvalidSource {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading requires something this build or process lacks (a feature, a privilege).
    #[error("{what}: {reason}")]
    Unsupported {
        /// What was attempted.
        what: String,
        /// Why it cannot be done, and what to do.
        reason: String,
    },
    /// A packet could not be traced (an invalid query, a jump cycle, a malformed set).
    #[error(transparent)]
    Trace(#[from] crate::trace::TraceError),
    /// A live read over netlink failed (socket, dump, or a ruleset that kept changing).
    #[error("netlink: {what}: {error}")]
    Netlink {
        /// What was being done.
        what: String,
        /// The underlying error (also shown in the message).
        error: std::io::Error,
    },
}

impl Error {
    /// Where in its source text the error is (line and column), for errors about a place in
    /// a text; `None` for the others (a file that cannot be read, a netlink failure).
    pub fn position(&self) -> Option<Position> {
        match self {
            Error::Parse(e) => Some(e.position),
            _ => None,
        }
    }

    /// The source the error is about, as the caller named it, when it names one.
    pub fn source_name(&self) -> Option<&str> {
        match self {
            Error::Parse(e) => Some(&e.source_name),
            Error::UnknownFormat { source_name, .. } | Error::Io { source_name, .. } => {
                Some(source_name)
            }
            _ => None,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
