//! Command-line arguments as clap sees them; `mode` turns them into a validated mode.

use clap::{Parser, Subcommand, ValueEnum};

/// Diff and trace Linux netfilter rulesets across iptables-legacy and nf_tables.
#[derive(Debug, Parser)]
#[command(name = "nfdiff", version, about, long_about = None)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// A stable interface for tools.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the normalized ruleset of one or more sources.
    Show {
        /// Sources: `[legacy:|nft:]PATH` (`-` is stdin), `live`, `live:nft`, `live:legacy`.
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}
