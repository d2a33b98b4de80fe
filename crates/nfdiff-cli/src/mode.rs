//! The validated mode: what `nfdiff` will do, with every argument checked.

use anyhow::{bail, Result};
use netfilter_model::diff::DiffOptions;
use netfilter_model::model::IfacePattern;
use netfilter_model::parse::SourceSpec;
use netfilter_model::trace::Packet;

use crate::args::{
    Args, ColorChoice, Command, DiffFormat, DoctorFormat, GraphFormat, OutputFormat,
};
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
    /// `nfdiff show --chain NAME --format dot`.
    ShowChainGraph {
        /// Parsed sources, in order.
        sources: Vec<SourceSpec>,
        /// The chain at the top of the graph.
        chain: String,
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
    /// `nfdiff diff --semantic`.
    SemanticDiff(crate::semantic_diff_cmd::SemanticDiffRequest),
    /// `nfdiff trace`.
    Trace {
        /// Parsed sources, in order.
        sources: Vec<SourceSpec>,
        /// The packet.
        packet: Packet,
        /// Output format.
        format: GraphFormat,
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
    /// `nfdiff classes`.
    Classes {
        /// Parsed sources, in order.
        sources: Vec<SourceSpec>,
        /// The packet space.
        query: netfilter_model::space::SpaceQuery,
        /// Output format.
        format: OutputFormat,
    },
    /// `nfdiff reach` without `--src` or `--dst`: the packet-space engine per interface class.
    ReachSpace {
        /// Parsed sources, in order.
        sources: Vec<SourceSpec>,
        /// Input-interface pattern to classify.
        pattern: IfacePattern,
        /// The rest of the space (its `iif` is set per class).
        query: netfilter_model::space::SpaceQuery,
        /// Output format.
        format: OutputFormat,
    },
    /// `nfdiff doctor`.
    Doctor {
        /// Sources; empty means the live node.
        sources: Vec<SourceSpec>,
        /// Output format.
        format: DoctorFormat,
    },
    /// `nfdiff fleet`.
    Fleet {
        /// Inputs as given (files, directories, `-`).
        sources: Vec<String>,
        /// Output format.
        format: crate::args::FleetFormat,
        /// Worker threads; `None` means the available cores.
        jobs: Option<usize>,
        /// Where to write the nodes' fingerprints (JSON Lines).
        save_fingerprints: Option<std::path::PathBuf>,
    },
    /// `nfdiff snapshot`.
    Snapshot {
        /// The file to write.
        output: std::path::PathBuf,
        /// Dumps to build it from; empty means the live node.
        sources: Vec<SourceSpec>,
    },
    /// `nfdiff serve`.
    Serve {
        /// `HOST:PORT` to listen on.
        listen: String,
        /// Interval of the legacy count polls.
        legacy_poll: std::time::Duration,
    },
    /// `nfdiff completions`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// `nfdiff man`.
    Man,
    /// `nfdiff watch`.
    Watch {
        /// Interval of the legacy count polls.
        legacy_poll: std::time::Duration,
        /// Colour request.
        color: ColorChoice,
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
            Command::Show {
                sources,
                format,
                chain,
            } => {
                let sources = parse_sources(&sources)?;
                match (format, chain) {
                    (GraphFormat::Dot, Some(chain)) => Ok(Mode::ShowChainGraph { sources, chain }),
                    (GraphFormat::Dot, None) => {
                        bail!("--format dot draws the jump graph below a chain: name it with --chain NAME")
                    }
                    (_, Some(_)) => bail!(
                        "--chain selects the chain `--format dot` draws; use it with --format dot"
                    ),
                    (GraphFormat::Text, None) => Ok(Mode::Show {
                        sources,
                        format: OutputFormat::Text,
                    }),
                    (GraphFormat::Json, None) => Ok(Mode::Show {
                        sources,
                        format: OutputFormat::Json,
                    }),
                }
            }
            Command::Diff {
                old,
                new,
                format,
                ignore_comments,
                all,
                context,
                color,
                semantic,
                by_rule,
                space,
            } => {
                let old_spec = SourceSpec::parse(&old)?;
                let new_spec = SourceSpec::parse(&new)?;
                if semantic {
                    let format = match format {
                        DiffFormat::Text => OutputFormat::Text,
                        DiffFormat::Json => OutputFormat::Json,
                        other => bail!(
                            "--semantic prints text or json, not {}",
                            format!("{other:?}").to_lowercase()
                        ),
                    };
                    return Ok(Mode::SemanticDiff(
                        crate::semantic_diff_cmd::SemanticDiffRequest {
                            old: old_spec,
                            new: new_spec,
                            old_label: old,
                            new_label: new,
                            query: crate::classes_cmd::query_from_args(&space)?,
                            by_rule,
                            format,
                        },
                    ));
                }
                if space.is_set() {
                    bail!("packet fields (--iif, --src, --dport, ...) select packets for `diff --semantic`; add --semantic");
                }
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
                    options: DiffOptions::default().ignore_comments(ignore_comments),
                    all,
                    context,
                    color,
                })
            }
            Command::Trace {
                sources,
                iif,
                packet,
                format,
            } => {
                let packet = packet_from_args(iif.as_deref(), &packet, false)?;
                packet.validate()?;
                Ok(Mode::Trace {
                    sources: parse_sources(&sources)?,
                    packet,
                    format,
                })
            }
            Command::Reach {
                sources,
                iif,
                packet,
                format,
            } => {
                let pattern = iface_pattern(&iif)?;
                if packet.src.is_none() || packet.dst.is_none() {
                    return Ok(Mode::ReachSpace {
                        sources: parse_sources(&sources)?,
                        query: crate::reach_space::query_from_args(&packet)?,
                        pattern,
                        format,
                    });
                }
                Ok(Mode::Reach {
                    sources: parse_sources(&sources)?,
                    packet: packet_from_args(Some(pattern.literal()), &packet, true)?,
                    pattern,
                    format,
                })
            }
            Command::Classes {
                sources,
                space,
                format,
            } => Ok(Mode::Classes {
                sources: parse_sources(&sources)?,
                query: crate::classes_cmd::query_from_args(&space)?,
                format,
            }),
            Command::Doctor { sources, format } => Ok(Mode::Doctor {
                sources: parse_sources(&sources)?,
                format,
            }),
            Command::Fleet {
                sources,
                format,
                jobs,
                save_fingerprints,
            } => {
                if sources.iter().filter(|s| *s == "-").count() > 1 {
                    bail!("standard input (`-`) can be read only once");
                }
                if jobs == Some(0) {
                    bail!("--jobs must be at least 1");
                }
                Ok(Mode::Fleet {
                    sources,
                    format,
                    jobs,
                    save_fingerprints,
                })
            }
            Command::Snapshot { output, sources } => {
                let sources = parse_sources(&sources)?;
                if sources.iter().any(|s| matches!(s, SourceSpec::Live { .. })) {
                    bail!("snapshot reads the live node when no SOURCE is given; SOURCEs are dump files");
                }
                Ok(Mode::Snapshot { output, sources })
            }
            Command::Serve {
                listen,
                legacy_poll,
            } => {
                if listen.parse::<std::net::SocketAddr>().is_err() {
                    bail!("--listen {listen:?} is not an address and port such as 127.0.0.1:9431");
                }
                if legacy_poll == 0 {
                    bail!("--legacy-poll must be at least 1 second");
                }
                Ok(Mode::Serve {
                    listen,
                    legacy_poll: std::time::Duration::from_secs(legacy_poll),
                })
            }
            Command::Completions { shell } => Ok(Mode::Completions { shell }),
            Command::Man => Ok(Mode::Man),
            Command::Watch { legacy_poll, color } => {
                if legacy_poll == 0 {
                    bail!("--legacy-poll must be at least 1 second");
                }
                Ok(Mode::Watch {
                    legacy_poll: std::time::Duration::from_secs(legacy_poll),
                    color,
                })
            }
        }
    }
}
