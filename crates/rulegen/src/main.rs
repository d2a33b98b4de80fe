//! `nfdiff-gen`: deterministic, seeded generator of realistic rulesets for benchmarks and tests.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use rulegen::{calico, fleet, kube_proxy, mutate, native, out, rng};

/// Generates kube-proxy-, Calico- or native-nft-shaped rulesets.
#[derive(Debug, Parser)]
#[command(name = "nfdiff-gen", version)]
struct Args {
    /// Shape of the ruleset.
    #[arg(long, value_enum)]
    shape: Shape,
    /// Approximate number of rules (kube-proxy), or of endpoints with `--endpoints`.
    #[arg(long, default_value_t = 1000)]
    rules: usize,
    /// Number of workload endpoints (calico, native); overrides `--rules`.
    #[arg(long)]
    endpoints: Option<usize>,
    /// Output syntax.
    #[arg(long, value_enum, default_value_t = Syntax::IptablesSave)]
    format: Syntax,
    /// Seed; the same seed gives the same output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file (default: standard output); with `--fleet`, the directory to write the
    /// node snapshots into.
    #[arg(short, long)]
    output: Option<std::path::PathBuf>,
    /// Write a fleet of N Calico node snapshots (`--rules` per node) into the `-o` directory,
    /// with drift: stale backends as in the incident, legacy nodes, a missing endpoint.
    #[arg(long, value_name = "N")]
    fleet: Option<usize>,
    /// The same ruleset (same seed) with this percentage of its rules changed so that they
    /// treat packets differently (ports, DNAT targets, source addresses): the second input of
    /// a semantic-diff benchmark. kube-proxy and calico shapes.
    #[arg(long, value_name = "PERCENT")]
    change_percent: Option<f64>,
    /// With `--fleet`: also write what each node is (`name kind dropped-interfaces`) here.
    #[arg(long, value_name = "FILE", requires = "fleet")]
    manifest: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Shape {
    KubeProxy,
    Calico,
    Native,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Syntax {
    IptablesSave,
    Nft,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nfdiff-gen: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let args = Args::parse();
    if let Some(n) = args.fleet {
        return write_fleet(&args, n);
    }
    let mut rng = rng::Rng::new(args.seed);
    let text = match args.shape {
        Shape::KubeProxy => {
            let mut tables = kube_proxy::generate(&mut rng, args.rules);
            changed(&mut tables, &args)?;
            render(&tables, args.format)
        }
        Shape::Calico => {
            // About 40 rules per endpoint (fw and tw chains, dispatch entries).
            let n = args.endpoints.unwrap_or((args.rules / 40).max(1));
            let mut tables = calico::generate(&mut rng, n);
            changed(&mut tables, &args)?;
            render(&tables, args.format)
        }
        Shape::Native => {
            if args.change_percent.is_some() {
                bail!("--change-percent works on the kube-proxy and calico shapes");
            }
            if args.format != Syntax::Nft {
                bail!("the native shape exists only in nft syntax (--format nft)");
            }
            native::generate(&mut rng, args.endpoints.unwrap_or((args.rules / 5).max(1)))
        }
    };
    match &args.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

/// `--fleet N`: one snapshot file per node in the output directory, and the manifest.
fn write_fleet(args: &Args, n: usize) -> Result<()> {
    if !matches!(args.shape, Shape::Calico) {
        bail!("--fleet generates Calico nodes: use --shape calico");
    }
    let Some(dir) = &args.output else {
        bail!("--fleet needs -o DIR");
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // About 20.7 rules per endpoint (fw and tw chains, two dispatch entries); nodes have up
    // to 5% fewer endpoints than asked.
    let endpoints = args.endpoints.unwrap_or((args.rules * 10 / 196).max(3));
    let mut manifest = String::new();
    for node in fleet::plan(n, endpoints, args.seed) {
        let out = fleet::node_snapshot(&node);
        let path = dir.join(format!("{}.json", node.name));
        std::fs::write(&path, &out.snapshot)
            .with_context(|| format!("cannot write {}", path.display()))?;
        manifest.push_str(&format!(
            "{} {} {}\n",
            node.name,
            node.kind.as_str(),
            out.dropped.join(",")
        ));
    }
    if let Some(m) = &args.manifest {
        std::fs::write(m, manifest).with_context(|| format!("cannot write {}", m.display()))?;
    }
    Ok(())
}

/// `--change-percent`: changes that share of the rules (on standard error: how many).
fn changed(tables: &mut [out::GenTable], args: &Args) -> Result<()> {
    let Some(p) = args.change_percent else {
        return Ok(());
    };
    if !(0.0..=100.0).contains(&p) {
        bail!("--change-percent must be between 0 and 100, not {p}");
    }
    let n = mutate::change_percent(tables, p, args.seed);
    let total: usize = tables.iter().map(|t| t.rules.len()).sum();
    eprintln!("nfdiff-gen: changed {n} of {total} rules");
    Ok(())
}

fn render(tables: &[out::GenTable], syntax: Syntax) -> String {
    match syntax {
        Syntax::IptablesSave => out::iptables_save(tables),
        Syntax::Nft => out::nft_text(tables),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_output_and_sizes_are_close() {
        let a = out::iptables_save(&kube_proxy::generate(&mut rng::Rng::new(7), 5000));
        let b = out::iptables_save(&kube_proxy::generate(&mut rng::Rng::new(7), 5000));
        assert_eq!(a, b);
        let rules = a.lines().filter(|l| l.starts_with("-A ")).count();
        assert!((5000..5020).contains(&rules), "{rules} rules");
        let c = out::iptables_save(&kube_proxy::generate(&mut rng::Rng::new(8), 5000));
        assert_ne!(a, c);
    }

    #[test]
    fn calico_has_dispatch_and_unknown_interface_drops() {
        let t = calico::generate(&mut rng::Rng::new(1), 50);
        let text = out::iptables_save(&t);
        assert!(text.contains("-A cali-from-wl-dispatch -m comment"));
        let unknown = text.matches("\"Unknown interface\" -j DROP").count();
        // One per root dispatch chain and per sub-dispatch chain, in both directions.
        assert!(unknown >= 4, "{unknown}");
        let nft = out::nft_text(&t);
        assert_eq!(
            nft.matches("Unknown interface").count(),
            unknown,
            "both syntaxes carry the same rules"
        );
    }
}
