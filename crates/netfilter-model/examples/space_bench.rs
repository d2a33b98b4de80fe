//! Measures the packet-space engine on ruleset files (issue 15): the partition of a path's
//! whole space, or the semantic diff of two rulesets, parse time apart from analysis time.
//!
//! `cargo run --release -p netfilter-model --example space_bench -- partition FILE [PATH]`
//! `cargo run --release -p netfilter-model --example space_bench -- diff OLD NEW [PATH]`
//!
//! PATH is forward (default), input or output. Prints one line `key=value ...` that
//! `scripts/bench-space.sh` reads; exits 2 with the error on a parse or analysis failure.

use std::time::Instant;

use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::space::{partition, semantic_diff, Certainty, SpaceQuery};
use netfilter_model::trace::TracePath;

fn load(path: &str) -> Result<(Ruleset, f64), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let t0 = Instant::now();
    let rs = parse_text(&text, &ParseOptions::new(path))?;
    Ok((rs, t0.elapsed().as_secs_f64() * 1e3))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: space_bench partition FILE [PATH] | diff OLD NEW [PATH]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path_arg = |i: usize| -> Result<TracePath, Box<dyn std::error::Error>> {
        Ok(args.get(i).map_or("forward", String::as_str).parse()?)
    };
    match args.first().map(String::as_str) {
        Some("partition") => {
            let file = args.get(1).ok_or(usage)?;
            let (rs, parse_ms) = load(file)?;
            let q = SpaceQuery::new(path_arg(2)?);
            let t = Instant::now();
            let p = partition(&rs, &q)?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let must = p
                .classes
                .iter()
                .filter(|c| c.certainty == Certainty::Must)
                .count();
            let cubes: usize = p.classes.iter().map(|c| c.cubes.len()).sum();
            println!(
                "parse_ms={parse_ms:.1} partition_ms={ms:.1} classes={} must={must} cubes={cubes}",
                p.classes.len()
            );
        }
        Some("diff") => {
            let (old, new) = (args.get(1).ok_or(usage)?, args.get(2).ok_or(usage)?);
            let (a, pa) = load(old)?;
            let (b, pb) = load(new)?;
            let q = SpaceQuery::new(path_arg(3)?);
            let t = Instant::now();
            let d = semantic_diff(&a, &b, &q, false)?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            println!(
                "parse_ms={:.1} diff_ms={ms:.1} equivalent={} differing_classes={} proven={}",
                pa + pb,
                d.is_equivalent(),
                d.differences.len(),
                // A difference is proven when both sides' fates of the class are certain.
                d.differences.iter().any(|c| {
                    c.old.certainty == netfilter_model::space::Certainty::Must
                        && c.new.certainty == netfilter_model::space::Certainty::Must
                })
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("space_bench: {e}");
        std::process::exit(2);
    }
}
