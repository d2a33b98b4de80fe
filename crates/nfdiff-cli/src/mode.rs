//! The validated mode: what `nfdiff` will do, with every argument checked.

use anyhow::Result;
use netfilter_model::parse::SourceSpec;

use crate::args::{Args, Command, OutputFormat};

/// A fully validated request.
#[derive(Debug)]
pub enum Mode {
    /// `nfdiff show`.
    Show {
        /// Parsed sources, in order.
        sources: Vec<SourceSpec>,
        /// Output format.
        format: OutputFormat,
    },
}

impl Mode {
    /// Turns raw arguments into a mode, rejecting what clap cannot check.
    pub fn from_args(args: Args) -> Result<Mode> {
        match args.command {
            Command::Show { sources, format } => Ok(Mode::Show {
                sources: sources
                    .iter()
                    .map(|s| SourceSpec::parse(s))
                    .collect::<Result<_, _>>()?,
                format,
            }),
        }
    }
}
