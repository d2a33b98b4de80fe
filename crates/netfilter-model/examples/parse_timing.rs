//! Prints how long parsing (with normalization) and exporting an iptables-save file takes.
//!
//! `cargo run --release -p netfilter-model --example parse_timing -- FILE [REPEAT]`

use std::time::Instant;

use netfilter_model::export::to_iptables_save;
use netfilter_model::parse::{parse_iptables_save, ParseOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: parse_timing FILE [REPEAT]")?;
    let repeat: u32 = args.next().map_or(Ok(5), |r| r.parse())?;
    let bytes = std::fs::read(&path)?;
    let text = String::from_utf8_lossy(&bytes);
    let opts = ParseOptions::new(path.as_str());
    let mut best = f64::MAX;
    let mut rules = 0;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let rs = parse_iptables_save(&text, &opts)?;
        best = best.min(start.elapsed().as_secs_f64() * 1e3);
        rules = rs.rule_count();
        last = Some(rs);
    }
    println!(
        "{path}: {} bytes, {rules} rules, parse+normalize best of {repeat}: {best:.2} ms",
        bytes.len()
    );
    if let Some(rs) = last {
        let start = Instant::now();
        let out = to_iptables_save(&rs)?;
        println!(
            "export: {} bytes in {:.2} ms",
            out.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
