//! Measures the tracer on the shape that made the `trace_and_diff` fuzz target slow: many
//! base chains on one hook (one equal-priority group each, or groups of equal-priority chains
//! that write marks), each full of undecidable matches, so the branch limit is reached early
//! and every course carries a long list of assumptions through every group's merge.
//!
//! `cargo run --release -p netfilter-model --example trace_branch_merge -- [GROUPS] [RULES]`
//! `cargo run --release -p netfilter-model --example trace_branch_merge -- FILE` (the fuzz
//! target's six traces of a ruleset file, e.g. a slow input from `fuzz/artifacts/`)
//!
//! Prints one line per shape: `shape=... groups=... rules=... bytes=... ms_per_trace=...`
//! (median of three traces of one forward TCP packet).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use netfilter_model::model::Protocol;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::trace::{Packet, TraceIndex, TraceOptions, TracePath};

/// `groups` forward base chains at distinct priorities, `rules` undecidable rules each.
fn undecided_groups(groups: usize, rules: usize) -> String {
    let mut s = String::from("table ip t {\n");
    for g in 0..groups {
        let _ = writeln!(
            s,
            "\tchain c{g} {{\n\t\ttype filter hook forward priority {g}; policy accept;"
        );
        for r in 0..rules {
            let _ = writeln!(s, "\t\tlimit rate {}/second counter", r + 1);
        }
        s.push_str("\t}\n");
    }
    s.push_str("}\n");
    s
}

/// Like [`undecided_groups`], but every priority holds three mark-writing chains, so each
/// group is also evaluated in every order.
fn ordered_groups(groups: usize, rules: usize) -> String {
    let mut s = String::from("table ip t {\n");
    for g in 0..groups {
        for k in 0..3 {
            let _ = writeln!(
                s,
                "\tchain c{g}x{k} {{\n\t\ttype filter hook forward priority {g}; policy accept;"
            );
            for r in 0..rules {
                let _ = writeln!(s, "\t\tlimit rate {}/second meta mark set {}", r + 1, k + 1);
            }
            s.push_str("\t}\n");
        }
    }
    s.push_str("}\n");
    s
}

/// One chain of `groups * rules` undecidable rules without effect.
fn undecided_one_chain(groups: usize, rules: usize) -> String {
    let mut s = String::from(
        "table ip t {\n\tchain c {\n\t\ttype filter hook forward priority 0; policy accept;\n",
    );
    for r in 0..groups * rules {
        let _ = writeln!(s, "\t\tlimit rate {}/second counter", r + 1);
    }
    s.push_str("\t}\n}\n");
    s
}

/// Eight undecidable rules that each flip another mark bit (256 courses in distinct packet
/// states, which nothing may merge), then [`undecided_one_chain`]'s rules: the work is
/// courses x rules, bounded by the branch limit (256) and the step budget.
fn distinct_states(groups: usize, rules: usize) -> String {
    let mut s = String::from(
        "table ip t {\n\tchain c {\n\t\ttype filter hook forward priority 0; policy accept;\n",
    );
    for b in 0..8 {
        let _ = writeln!(
            s,
            "\t\tlimit rate 1/second meta mark set mark xor {}",
            1 << b
        );
    }
    for r in 0..groups * rules {
        let _ = writeln!(s, "\t\tlimit rate {}/second counter", r + 1);
    }
    s.push_str("\t}\n}\n");
    s
}

/// The `trace_and_diff` fuzz target's six traces (forward, input, output; IPv4 and IPv6) of
/// the ruleset in `path`: prints the milliseconds they took together.
fn fuzz_traces(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let text = String::from_utf8_lossy(&std::fs::read(path)?).into_owned();
    let rs = parse_text(&text, &ParseOptions::new(path))?;
    let idx = TraceIndex::new(&rs);
    let t = Instant::now();
    for (src, dst) in [("10.0.0.1", "10.96.0.10"), ("fd00::1", "fd00::a")] {
        for path in [TracePath::Forward, TracePath::Input, TracePath::Output] {
            let mut p = Packet::new(src.parse()?, dst.parse()?);
            p.path = path;
            p.iif = (path != TracePath::Output).then(|| "cali1234".to_string());
            p.oif = (path != TracePath::Input).then(|| "eth0".to_string());
            p.proto = Some(Protocol::TCP);
            p.sport = Some(40000);
            p.dport = Some(80);
            let _ = idx.trace(&p, &TraceOptions::default());
        }
    }
    println!(
        "file={path} bytes={} rules={} ms_for_six_traces={:.1}",
        text.len(),
        rs.rule_count(),
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(path) = std::env::args()
        .nth(1)
        .filter(|a| a.parse::<usize>().is_err())
    {
        return fuzz_traces(&path);
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let groups = args.first().copied().unwrap_or(100);
    let rules = args.get(1).copied().unwrap_or(5);
    let mut pkt = Packet::new(
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        IpAddr::V4(Ipv4Addr::new(10, 96, 0, 10)),
    );
    pkt.iif = Some("cali1234".into());
    pkt.oif = Some("eth0".into());
    pkt.proto = Some(Protocol::TCP);
    pkt.sport = Some(40000);
    pkt.dport = Some(80);
    for (shape, text) in [
        ("undecided_groups", undecided_groups(groups, rules)),
        ("ordered_groups", ordered_groups(groups, rules)),
        ("undecided_one_chain", undecided_one_chain(groups, rules)),
        ("distinct_states", distinct_states(groups, rules)),
    ] {
        let rs = parse_text(&text, &ParseOptions::new(shape))?;
        let idx = TraceIndex::new(&rs);
        let mut times = Vec::new();
        let mut rep = None;
        for _ in 0..3 {
            let t = Instant::now();
            rep = Some(idx.trace(&pkt, &TraceOptions::default())?);
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let rep = rep.ok_or("no trace")?;
        println!(
            "shape={shape} groups={groups} rules={} bytes={} ms_per_trace={:.1} verdict={} \
             alternatives={} assumptions={} steps={}",
            rs.rule_count(),
            text.len(),
            times[1],
            rep.verdict,
            rep.alternatives.len(),
            rep.assumptions.len(),
            rep.steps.len(),
        );
    }
    Ok(())
}
