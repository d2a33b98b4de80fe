//! A diff reporter built on the public API: `diff_report OLD NEW` prints the same JSON as
//! `nfdiff diff OLD NEW --format json` and exits 1 when they differ, 2 on bad input.

use std::process::ExitCode;

use netfilter_model::diff::{diff_rulesets, DiffOptions};
use netfilter_model::parse::{parse_bytes, ParseOptions};
use netfilter_model::wire::DiffJson;

fn read(path: &str) -> Result<netfilter_model::model::Ruleset, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    parse_bytes(&bytes, &ParseOptions::new(path)).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [old, new] = args.as_slice() else {
        eprintln!("usage: diff_report OLD NEW");
        return ExitCode::from(2);
    };
    let (a, b) = match (read(old), read(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("diff_report: {e}");
            return ExitCode::from(2);
        }
    };
    let d = diff_rulesets(&a, &b, &DiffOptions::default());
    let doc = DiffJson::new(&d, old, new, false);
    match serde_json::to_string_pretty(&doc) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("diff_report: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::from(if d.equal { 0 } else { 1 })
}
