//! A tracer that emits JSON, built on the public API:
//! `trace_json --iif I --oif O --src A --dst B [--proto P] [--dport N] FILE...` prints the
//! same JSON as `nfdiff trace FILE... --iif I --oif O --src A --dst B ... --format json`.

use std::process::ExitCode;

use netfilter_model::model::{Protocol, Ruleset};
use netfilter_model::parse::{parse_bytes, ParseOptions};
use netfilter_model::trace::{trace, Packet, TraceOptions, TracePath};
use netfilter_model::wire::TraceJson;

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let (mut iif, mut oif, mut src, mut dst, mut proto, mut dport) =
        (None, None, None, None, None, None);
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--iif" => iif = Some(value()?),
            "--oif" => oif = Some(value()?),
            "--src" => src = Some(value()?),
            "--dst" => dst = Some(value()?),
            "--proto" => proto = Some(value()?),
            "--dport" => dport = Some(value()?),
            _ => files.push(a),
        }
    }
    let addr = |s: Option<String>, what: &str| -> Result<std::net::IpAddr, String> {
        s.ok_or(format!("{what} is required"))?
            .parse()
            .map_err(|e| format!("{what}: {e}"))
    };
    let mut p = Packet::new(addr(src, "--src")?, addr(dst, "--dst")?);
    p.path = TracePath::Auto;
    p.iif = iif;
    p.oif = oif;
    p.proto = match proto {
        Some(s) => Some(Protocol::parse(&s).ok_or(format!("--proto {s}: unknown"))?),
        None => None,
    };
    p.dport = match dport {
        Some(s) => Some(s.parse().map_err(|e| format!("--dport: {e}"))?),
        None => None,
    };
    p.validate().map_err(|e| e.to_string())?;
    let mut rs = Ruleset::default();
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
        rs.extend(parse_bytes(&bytes, &ParseOptions::new(f.as_str())).map_err(|e| e.to_string())?);
    }
    let rep = trace(&rs, &p, &TraceOptions::default()).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&TraceJson::new(&rep)).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trace_json: {e}");
            ExitCode::from(2)
        }
    }
}
