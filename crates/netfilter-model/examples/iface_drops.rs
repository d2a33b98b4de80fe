//! A scan built on the public API: every rule of an nft JSON dump (`nft -j list ruleset`)
//! that tests an input-interface prefix (`iifname "cali*"`) and drops or rejects, as JSON:
//! `[{"table", "chain", "index", "interfaces", "rule"}]`. `iface_drops DUMP.json`.

use std::process::ExitCode;

use netfilter_model::model::{Direction, IfacePattern, MatchKind};
use netfilter_model::parse::{parse_nft_json, ParseOptions};
use serde_json::json;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: iface_drops DUMP.json");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("iface_drops: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let rs = match parse_nft_json(&text, &ParseOptions::new(path.as_str())) {
        Ok(rs) => rs,
        Err(e) => {
            eprintln!("iface_drops: {e}");
            return ExitCode::from(2);
        }
    };
    let mut found = Vec::new();
    for (t, c, i, r) in rs.rules() {
        let drops = r.verdict.as_ref().is_some_and(|v| v.is_final_drop());
        let prefixes: Vec<String> = r
            .matches
            .iter()
            .filter(|m| !m.negated)
            .filter_map(|m| match &m.kind {
                MatchKind::Interface {
                    dir: Direction::Src,
                    names,
                } => Some(names),
                _ => None,
            })
            .flatten()
            .filter_map(|n| match n {
                IfacePattern::Prefix(p) => Some(format!("{p}*")),
                _ => None,
            })
            .collect();
        if drops && !prefixes.is_empty() {
            found.push(json!({
                "table": format!("{} {}", t.family, t.name),
                "chain": c.name,
                "index": i + 1,
                "interfaces": prefixes,
                "rule": r.to_string(),
            }));
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&found).unwrap_or_default()
    );
    ExitCode::SUCCESS
}
