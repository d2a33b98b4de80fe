//! Times the packet-space partition of ruleset files (read together) on one path, and the
//! self-check of its witnesses.
//!
//! `cargo run --release -p netfilter-model --example space_timing -- forward FILE...`

use std::process::ExitCode;
use std::time::Instant;

use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::space::{partition, self_check, Certainty, SpaceQuery};
use netfilter_model::trace::TracePath;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().and_then(|p| p.parse::<TracePath>().ok()) else {
        eprintln!("usage: space_timing forward|input|output FILE...");
        return ExitCode::from(2);
    };
    let mut rs = Ruleset::default();
    for f in args {
        let text = match std::fs::read(&f) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                eprintln!("{f}: {e}");
                return ExitCode::from(2);
            }
        };
        match parse_text(&text, &ParseOptions::new(f.as_str())) {
            Ok(r) => rs.extend(r),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    let t = Instant::now();
    let p = match partition(&rs, &SpaceQuery::new(path)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let took = t.elapsed();
    let must = p
        .classes
        .iter()
        .filter(|c| c.certainty == Certainty::Must)
        .count();
    println!(
        "{} rules, {} classes ({must} must), partition {:.3} s",
        rs.rule_count(),
        p.classes.len(),
        took.as_secs_f64()
    );
    let t = Instant::now();
    match self_check(&rs, &p) {
        Ok(f) => println!(
            "self-check: {} disagreements, {:.3} s",
            f.len(),
            t.elapsed().as_secs_f64()
        ),
        Err(e) => println!("self-check failed: {e}"),
    }
    ExitCode::SUCCESS
}
