//! The validated mode: what `nfdiff` will do, with every argument checked.

use anyhow::Result;
use netfilter_model::model::IfacePattern;
use netfilter_model::parse::SourceSpec;
use netfilter_model::trace::Packet;

use crate::args::{Args, Command, OutputFormat};
use crate::trace_args::{iface_pattern, packet_from_args};

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
    /// `nfdiff trace`.
    Trace {
        /// Parsed sources, in order.
        sources: Vec<SourceSpec>,
        /// The packet.
        packet: Packet,
        /// Output format.
        format: OutputFormat,
    },
    /// `nfdiff reach`.
    Reach {
        /// Parsed sources, in order.
        sources: Vec<SourceSpec>,
        /// Input-interface pattern to classify.
        pattern: IfacePattern,
        /// The packet (its `iif` is set per class).
        packet: Packet,
        /// Output format.
        format: OutputFormat,
    },
}

fn parse_sources(sources: &[String]) -> Result<Vec<SourceSpec>> {
    Ok(sources
        .iter()
        .map(|s| SourceSpec::parse(s))
        .collect::<Result<_, _>>()?)
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
            Command::Trace {
                sources,
                iif,
                packet,
                format,
            } => Ok(Mode::Trace {
                sources: parse_sources(&sources)?,
                packet: packet_from_args(iif.as_deref(), &packet, false)?,
                format,
            }),
            Command::Reach {
                sources,
                iif,
                packet,
                format,
            } => {
                let pattern = iface_pattern(&iif)?;
                Ok(Mode::Reach {
                    sources: parse_sources(&sources)?,
                    packet: packet_from_args(Some(pattern.literal()), &packet, true)?,
                    pattern,
                    format,
                })
            }
        }
    }
}
