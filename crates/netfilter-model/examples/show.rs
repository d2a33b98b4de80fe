//! Parses a ruleset file of any supported format and prints its normalized model.
//!
//! `cargo run -p netfilter-model --example show -- testdata/calico/legacy.save`

use std::process::ExitCode;

use netfilter_model::parse::{parse_text, ParseOptions};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: show FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    match parse_text(&text, &ParseOptions::new(path.as_str())) {
        Ok(rs) => {
            for t in &rs.tables {
                println!("table {} {} ({})", t.family, t.name, t.backend);
                for c in &t.chains {
                    println!("  chain {} ({} rules)", c.name, c.rules.len());
                    for r in &c.rules {
                        println!("    {r}");
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
