//! The validated mode: what `nfdiff` will do, with every argument checked.

use anyhow::{bail, Result};
use netfilter_model::diff::DiffOptions;
use netfilter_model::parse::SourceSpec;

use crate::args::{Args, ColorChoice, Command, DiffFormat, OutputFormat};

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
    /// `nfdiff diff`.
    Diff {
        /// The OLD source.
        old: SourceSpec,
        /// The NEW source.
        new: SourceSpec,
        /// OLD as the user wrote it, for headers.
        old_label: String,
        /// NEW as the user wrote it, for headers.
        new_label: String,
        /// Output format.
        format: DiffFormat,
        /// What counts as a difference.
        options: DiffOptions,
        /// Whether to list unchanged items too.
        all: bool,
        /// Unchanged rules around each change.
        context: usize,
        /// Colour request, resolved against the terminal and `NO_COLOR` when run.
        color: ColorChoice,
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
            Command::Diff {
                old,
                new,
                format,
                ignore_comments,
                all,
                context,
                color,
            } => {
                let old_spec = SourceSpec::parse(&old)?;
                let new_spec = SourceSpec::parse(&new)?;
                let is_stdin =
                    |s: &SourceSpec| matches!(s, SourceSpec::File { path, .. } if path == "-");
                if is_stdin(&old_spec) && is_stdin(&new_spec) {
                    bail!("OLD and NEW cannot both be standard input (`-`)");
                }
                Ok(Mode::Diff {
                    old: old_spec,
                    new: new_spec,
                    old_label: old,
                    new_label: new,
                    format,
                    options: DiffOptions { ignore_comments },
                    all,
                    context,
                    color,
                })
            }
        }
    }
}
