//! Property over every ruleset we have (testdata and the shared corpus): no course of any
//! report holds contradictory assumptions about a packet fact (issue 14, item 3).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use netfilter_model::model::Protocol;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::trace::{
    Assumption, LocalAddrs, Packet, TraceIndex, TraceOptions, TracePath, TraceReport,
};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.metadata().is_ok_and(|m| m.len() < 4 << 20) {
            out.push(p);
        }
    }
}

/// The packets each ruleset is traced with: TCP, UDP and an unknown protocol; forward,
/// input, output and auto paths; with and without the node's addresses.
fn packets(v6: bool) -> Vec<Packet> {
    let (a, b, c) = if v6 {
        ("fd00::1", "fd00::a", "fd00::2")
    } else {
        ("10.0.0.1", "10.96.0.10", "192.168.1.2")
    };
    let node = LocalAddrs::from_specs(&[c.parse().unwrap()]);
    let mut out = Vec::new();
    for (i, path) in [
        TracePath::Forward,
        TracePath::Input,
        TracePath::Output,
        TracePath::Auto,
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = Packet::new(a.parse().unwrap(), b.parse().unwrap());
        p.path = path;
        p.iif = (path != TracePath::Output).then(|| "cali1234".to_string());
        p.oif = (path != TracePath::Input).then(|| "eth0".to_string());
        match i % 3 {
            0 => {
                p.proto = Some(Protocol::TCP);
                p.sport = Some(40000);
                p.dport = Some(80);
            }
            1 => {
                p.proto = Some(Protocol::UDP);
                p.sport = Some(40000);
                p.dport = Some(53);
            }
            _ => {}
        }
        out.push(p.clone());
        p.local_addrs = Some(node.clone());
        out.push(p);
    }
    out
}

/// The contradiction in one course's assumptions, if any.
fn contradiction(assumptions: &[Assumption]) -> Option<String> {
    let mut seen: HashMap<&str, bool> = HashMap::new();
    for f in assumptions.iter().flat_map(|a| &a.facts) {
        if let Some(prev) = seen.insert(&f.what, f.holds) {
            if prev != f.holds {
                return Some(f.what.clone());
            }
        }
    }
    None
}

/// Checks a report; returns how many facts its courses hold.
fn check(rep: &TraceReport, what: &str) -> usize {
    let courses =
        std::iter::once(&rep.assumptions).chain(rep.alternatives.iter().map(|a| &a.assumptions));
    let mut facts = 0;
    for a in courses {
        if let Some(f) = contradiction(a) {
            panic!("{what}: a course assumes `{f}` both ways:\n{a:#?}");
        }
        facts += a.iter().map(|x| x.facts.len()).sum::<usize>();
    }
    facts
}

#[test]
fn no_course_holds_contradictory_assumptions() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut files = Vec::new();
    files_under(&root.join("testdata"), &mut files);
    let corpus = crate::all::nft_json_corpus::corpus_base();
    let before = files.len();
    files_under(&corpus, &mut files);
    if files.len() == before {
        println!(
            "corpus not found at {}; checking testdata only",
            corpus.display()
        );
    }
    files.sort();
    let opts = TraceOptions::default().max_steps(200_000);
    let (mut rulesets, mut traces, mut facts) = (0, 0, 0);
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(rs) = parse_text(&text, &ParseOptions::new(f.display().to_string())) else {
            continue;
        };
        if rs.tables.is_empty() {
            continue;
        }
        rulesets += 1;
        let idx = TraceIndex::new(&rs);
        for v6 in [false, true] {
            for p in packets(v6) {
                // Errors (malformed elements, cycles, budgets) are other tests' business.
                if let Ok(rep) = idx.trace(&p, &opts) {
                    traces += 1;
                    facts += check(&rep, &format!("{} {p:?}", f.display()));
                }
            }
        }
    }
    println!(
        "{rulesets} rulesets, {traces} traces, {facts} assumed packet facts, no contradiction"
    );
    assert!(rulesets >= 20 && traces > 0);
    assert!(
        facts > 0,
        "no course assumed a packet fact: the property says nothing"
    );
}
