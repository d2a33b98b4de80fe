//! Command-line arguments as clap sees them; `mode` turns them into a validated mode.

use clap::{Parser, Subcommand, ValueEnum};

/// Diff and trace Linux netfilter rulesets across iptables-legacy and nf_tables.
#[derive(Debug, Parser)]
#[command(
    name = "nfdiff",
    version,
    about = "Diff and trace Linux netfilter rulesets across iptables-legacy and nf_tables",
    long_about = None
)]
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

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A unified-diff-like view for people.
    Text,
    /// A stable interface for tools.
    Json,
    /// For pasting into a ticket.
    Markdown,
    /// One self-contained HTML page: the summary and each changed chain side by side.
    Html,
}

/// Output formats of `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    /// For people: the worst finding explained first, then every finding.
    Text,
    /// `{"findings": [{"id", "severity", "summary", "evidence", "advice"}]}`.
    Json,
    /// Prometheus textfile-collector metrics.
    Prometheus,
    /// One self-contained HTML page: the summary, findings by severity, the drop path drawn.
    Html,
}

/// Output formats of `fleet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FleetFormat {
    /// For people: configurations, differences from the majority, nodes with problems.
    Text,
    /// A stable interface for tools.
    Json,
    /// For pasting into a ticket.
    Markdown,
}

/// Output formats of `show` and `trace`: also a Graphviz graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// For people.
    Text,
    /// A stable interface for tools.
    Json,
    /// Graphviz DOT (`| dot -Tsvg > graph.svg`): for `trace` the hooks, base chains and the
    /// packet's path; for `show` the jump graph below `--chain`.
    Dot,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always, even into a pipe or with `NO_COLOR` set.
    Always,
    /// Never.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the normalized ruleset of one or more sources.
    Show {
        /// Sources: `[legacy:|nft:]PATH` (`-` is stdin), `live`, `live:nft`, `live:legacy`.
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<String>,
        /// Output format (`dot` needs `--chain`).
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
        /// With `--format dot`: draw the chains reachable from this one by jumps, gotos and
        /// verdict maps, with their rule counts.
        #[arg(long, value_name = "NAME")]
        chain: Option<String>,
    },
    /// Compare two rulesets chain by chain: chains on one side only, changed chains
    /// rule by rule, and which interfaces each side knows.
    ///
    /// Exit status: 0 no differences, 1 differences, 2 error.
    Diff {
        /// The OLD ruleset: `[legacy:|nft:]PATH` (`-` is stdin), `live`, `live:nft`, `live:legacy`.
        #[arg(value_name = "OLD")]
        old: String,
        /// The NEW ruleset, same forms as OLD.
        #[arg(value_name = "NEW")]
        new: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Ignore rule, chain and set comments.
        #[arg(long)]
        ignore_comments: bool,
        /// Also list unchanged chains, sets and objects.
        #[arg(long)]
        all: bool,
        /// Unchanged rules shown around each change (text and markdown; JSON lists every rule).
        #[arg(long, value_name = "N", default_value_t = 3)]
        context: usize,
        /// Colour the text output.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// Compare what the rulesets do to packets instead of their text: exit 0 when no
        /// packet's fate differs, else list the classes whose verdict differs, each with a
        /// witness and the deciding rule on each side (text or JSON).
        #[arg(long)]
        semantic: bool,
        /// With `--semantic`: a different deciding rule counts as a difference too.
        #[arg(long, requires = "semantic")]
        by_rule: bool,
        /// With `--semantic`: the packets to compare (every field optional, as for `classes`).
        #[command(flatten)]
        space: crate::classes_cmd::SpaceArgs,
    },
    /// Trace one packet through both backends: which rule decides its fate.
    Trace {
        /// Sources: `[legacy:|nft:]PATH` (`-` is stdin), `live`, `live:nft`, `live:legacy`.
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<String>,
        /// Input interface (forward and input paths).
        #[arg(long, value_name = "NAME")]
        iif: Option<String>,
        /// Packet fields.
        #[command(flatten)]
        packet: PacketArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },
    /// Trace a packet once per class of input-interface names (`--iif 'cali*'`); without
    /// `--src` or `--dst`, partition the rest of the packet space per class instead (every
    /// class of packets with its verdict, deciding rule and a witness).
    Reach {
        /// Sources: `[legacy:|nft:]PATH` (`-` is stdin), `live`, `live:nft`, `live:legacy`.
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<String>,
        /// Input-interface pattern: a name, or a prefix written `cali*` or `cali+`.
        #[arg(long, value_name = "PATTERN")]
        iif: String,
        /// Packet fields.
        #[command(flatten)]
        packet: PacketArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Partition a packet space into classes by fate: each class's verdict, deciding rules,
    /// packets (nft-like) and a witness. Every field is optional; absent means any.
    Classes {
        /// Sources: `[legacy:|nft:]PATH` (`-` is stdin), `live`, `live:nft`, `live:legacy`.
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<String>,
        /// The packet space.
        #[command(flatten)]
        space: crate::classes_cmd::SpaceArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Find what is wrong with a node's netfilter state and say what to do (live node by default).
    ///
    /// Exit status: 0 healthy (no finding, or notes only), 1 findings, 2 error.
    Doctor {
        /// Sources: none or `live` for this node, a snapshot file, or dumps
        /// (`[legacy:|nft:]PATH`, `-` is stdin).
        #[arg(value_name = "SOURCE")]
        sources: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
        format: DoctorFormat,
    },
    /// Capture this node (both backends, save outputs, interfaces, versions) into one JSON file
    /// for later, offline analysis; with SOURCE files, build the snapshot offline from dumps.
    Snapshot {
        /// The file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: std::path::PathBuf,
        /// Dumps to build the snapshot from instead of the live node (`[legacy:|nft:]PATH`).
        #[arg(value_name = "SOURCE")]
        sources: Vec<String>,
    },
    /// Which nodes of a cluster are broken, and how they differ from the rest: nodes grouped
    /// by configuration (per-chain fingerprints of both backends), each other configuration
    /// against the majority, and every node's doctor findings.
    ///
    /// Exit status: 0 no node has a critical finding, 1 some node has, 2 error (no node read).
    Fleet {
        /// Snapshot files, fingerprint files, directories of them, or `-` (a tar stream of
        /// them on standard input).
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FleetFormat::Text)]
        format: FleetFormat,
        /// Worker threads (default: the available cores).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Also write every node's fingerprint to FILE, one JSON object per line (what
        /// `nfdiff fleet FILE` reads back in a fraction of the time).
        #[arg(long, value_name = "FILE")]
        save_fingerprints: Option<std::path::PathBuf>,
    },
    /// Serve this node's state over HTTP for Prometheus (read-only): `/metrics`, `/healthz`,
    /// `/snapshot`, `/doctor`. Re-reads when nf_tables changes and when legacy counts move.
    Serve {
        /// Address to listen on, `HOST:PORT` (e.g. `127.0.0.1:9431`, or `0.0.0.0:9431` in a pod).
        #[arg(long, value_name = "ADDR")]
        listen: String,
        /// Seconds between polls of the legacy rule counts (getsockopt, cheap).
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        legacy_poll: u64,
    },
    /// Print every change of this node's netfilter state as it happens: chain-level diff hunks
    /// with a timestamp, and a loud line when one owner's chains appear in both backends.
    Watch {
        /// Seconds between polls of the legacy rule counts (getsockopt, cheap).
        #[arg(long, value_name = "SECONDS", default_value_t = 2)]
        legacy_poll: u64,
        /// Colour the text output.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print a shell completion script: `nfdiff completions bash > /etc/bash_completion.d/nfdiff`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page nfdiff(1) in roff: `nfdiff man > /usr/local/share/man/man1/nfdiff.1`.
    Man,
}

/// The packet fields of `trace` and `reach`.
#[derive(Debug, Clone, clap::Args)]
pub struct PacketArgs {
    /// Output interface (forward and output paths).
    #[arg(long, value_name = "NAME")]
    pub oif: Option<String>,
    /// Source address (trace: required; reach: optional, a prefix, and without it or
    /// `--dst` reach partitions the packet space with the engine).
    #[arg(long, value_name = "ADDR")]
    pub src: Option<String>,
    /// Destination address (trace: required; reach: optional, a prefix).
    #[arg(long, value_name = "ADDR")]
    pub dst: Option<String>,
    /// Layer-4 protocol (`tcp`, `udp`, `icmp`, a number); unknown when absent.
    #[arg(long, value_name = "PROTO")]
    pub proto: Option<String>,
    /// Source port.
    #[arg(long, value_name = "PORT")]
    pub sport: Option<String>,
    /// Destination port.
    #[arg(long, value_name = "PORT")]
    pub dport: Option<String>,
    /// ICMP type (number or name such as `echo-request`).
    #[arg(long, value_name = "TYPE")]
    pub icmp_type: Option<String>,
    /// Conntrack state: new, established, related, invalid, untracked.
    #[arg(long, value_name = "STATE", default_value = "new")]
    pub ct_state: String,
    /// Packet mark on entry (`0x4000` or decimal).
    #[arg(long, value_name = "MARK")]
    pub mark: Option<String>,
    /// Connection mark on entry.
    #[arg(long, value_name = "MARK")]
    pub ct_mark: Option<String>,
    /// Way through the host: auto, forward, input or output. `auto` decides it from the
    /// node's local addresses (traffic from a local address is sent by the node, traffic to
    /// one after DNAT is delivered, the rest forwarded); without them it is `forward`.
    #[arg(long, value_name = "PATH", default_value = "auto")]
    pub path: String,
    /// An address of the node (`10.0.0.1` or `10.0.0.1/24`; repeatable, IPv4 and IPv6): with
    /// them address types (`-m addrtype`, `fib … type`) and the path are decided. Live sources
    /// and snapshots give them unless this is used.
    #[arg(long = "local-addr", value_name = "ADDR[/LEN]")]
    pub local_addr: Vec<String>,
}
