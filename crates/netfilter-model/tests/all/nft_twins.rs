//! The `.nft` and `.json-nft` twins of the nftables test suite read into equal models.

use std::path::{Path, PathBuf};

use netfilter_model::model::{Chain, NamedObject, NamedSet, Ruleset, Table};
use netfilter_model::parse::{parse_nft_json, parse_nft_text, ParseOptions};

use super::nft_json_corpus::corpus_base;

/// Every `<group>/<test>.json-nft` that has a `<group>/<test>.nft` next to it.
fn twins(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let Ok(groups) = std::fs::read_dir(dir) else {
        return out;
    };
    for g in groups.flatten() {
        let Ok(files) = std::fs::read_dir(g.path()) else {
            continue;
        };
        for f in files.flatten() {
            let json = f.path();
            if json.extension().is_some_and(|e| e == "json-nft") {
                let text = json.with_extension("nft");
                if text.is_file() {
                    out.push((text, json));
                }
            }
        }
    }
    out.sort();
    out
}

fn set_text(s: &NamedSet) -> String {
    format!(
        "set {} type {}{} flags {:?} elements {:?} extra {:?} comment {:?}",
        s.name,
        s.key_type,
        s.data_type
            .as_deref()
            .map(|d| format!(" : {d}"))
            .unwrap_or_default(),
        s.flags,
        s.elements,
        s.extra,
        s.comment
    )
}

fn object_text(o: &NamedObject) -> String {
    format!("{} {} {{ {} }}", o.kind, o.name, o.body)
}

fn chain_head(c: &Chain) -> String {
    format!("chain {} base {:?} comment {:?}", c.name, c.base, c.comment)
}

/// At most `n` characters of `s`, marking the cut.
fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_string(),
    }
}

/// Lists `a` and `b` one above the other (clipped) when they differ.
fn side_by_side(what: &str, a: Option<String>, b: Option<String>) -> String {
    format!(
        "{what}\n      text: {}\n      json: {}",
        clip(a.as_deref().unwrap_or("(none)"), 300),
        clip(b.as_deref().unwrap_or("(none)"), 300)
    )
}

/// The first difference of two tables, in canonical text.
fn table_difference(a: &Table, b: &Table) -> Option<String> {
    let at = format!("table {} {}", a.family, a.name);
    if a.flags != b.flags || a.comment != b.comment {
        return Some(side_by_side(
            &format!("{at}: flags/comment"),
            Some(format!("{:?} {:?}", a.flags, a.comment)),
            Some(format!("{:?} {:?}", b.flags, b.comment)),
        ));
    }
    for i in 0..a.sets.len().max(b.sets.len()) {
        let (x, y) = (a.sets.get(i), b.sets.get(i));
        if x != y {
            return Some(side_by_side(
                &format!("{at}: set #{}", i + 1),
                x.map(set_text),
                y.map(set_text),
            ));
        }
    }
    for i in 0..a.objects.len().max(b.objects.len()) {
        let (x, y) = (a.objects.get(i), b.objects.get(i));
        if x != y {
            return Some(side_by_side(
                &format!("{at}: object #{}", i + 1),
                x.map(object_text),
                y.map(object_text),
            ));
        }
    }
    for i in 0..a.chains.len().max(b.chains.len()) {
        let (x, y) = (a.chains.get(i), b.chains.get(i));
        let (Some(x), Some(y)) = (x, y) else {
            return Some(side_by_side(
                &format!("{at}: chain #{}", i + 1),
                x.map(chain_head),
                y.map(chain_head),
            ));
        };
        if x.name != y.name || x.base != y.base || x.comment != y.comment {
            return Some(side_by_side(
                &format!("{at}: chain #{}", i + 1),
                Some(chain_head(x)),
                Some(chain_head(y)),
            ));
        }
        for k in 0..x.rules.len().max(y.rules.len()) {
            let (p, q) = (x.rules.get(k), y.rules.get(k));
            if p != q {
                return Some(side_by_side(
                    &format!("{at}, chain {}, rule {}", x.name, k + 1),
                    p.map(|r| r.canonical()),
                    q.map(|r| r.canonical()),
                ));
            }
        }
    }
    None
}

/// The first difference of two rulesets, in canonical text; `None` when equal.
pub(super) fn first_difference(a: &Ruleset, b: &Ruleset) -> Option<String> {
    for i in 0..a.tables.len().max(b.tables.len()) {
        match (a.tables.get(i), b.tables.get(i)) {
            (Some(x), Some(y))
                if x.backend == y.backend && x.family == y.family && x.name == y.name =>
            {
                if let Some(d) = table_difference(x, y) {
                    return Some(d);
                }
            }
            (x, y) => {
                let head = |t: &Table| format!("table {} {} {}", t.backend, t.family, t.name);
                return Some(side_by_side(
                    &format!("table #{}", i + 1),
                    x.map(head),
                    y.map(head),
                ));
            }
        }
    }
    (a != b).then(|| "the rulesets differ outside tables, chains, sets and objects".into())
}

#[test]
fn text_and_json_twins_read_equal() {
    let dir = corpus_base().join("nftables-dumps");
    let pairs = twins(&dir);
    if pairs.is_empty() {
        println!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let (mut equal, mut unequal, mut unreadable) = (0usize, Vec::new(), Vec::new());
    for (tp, jp) in &pairs {
        let name = tp
            .strip_prefix(&dir)
            .unwrap_or(tp)
            .with_extension("")
            .display()
            .to_string();
        let text = std::fs::read_to_string(tp).expect("readable corpus file");
        let json = std::fs::read_to_string(jp).expect("readable corpus file");
        let t = parse_nft_text(&text, &ParseOptions::new(format!("{name}.nft")));
        let j = parse_nft_json(&json, &ParseOptions::new(format!("{name}.json-nft")));
        match (t, j) {
            (Ok(t), Ok(j)) => match first_difference(&t, &j) {
                None => {
                    assert_eq!(t, j, "{name}: first_difference missed a difference");
                    equal += 1;
                }
                Some(d) => unequal.push(format!("{name}: {d}")),
            },
            (t, j) => unreadable.push(format!(
                "{name}: text {}, json {}",
                t.err().map_or("ok".to_string(), |e| e.to_string()),
                j.err().map_or("ok".to_string(), |e| e.to_string())
            )),
        }
    }
    let total = pairs.len();
    println!(
        "nft text/JSON twins: {equal} equal, {} not equal, {} unreadable, of {total}",
        unequal.len(),
        unreadable.len()
    );
    for u in &unequal {
        println!("  NOT EQUAL {u}");
    }
    for u in &unreadable {
        println!("  UNREADABLE {u}");
    }
    assert!(total >= 400, "expected about 414 twins, found {total}");
    // The issue asks for 90%; 400 of 413 (96.9%) were equal when this was written, so
    // anything under 95% is a regression.
    assert!(
        equal * 100 >= total * 95,
        "only {equal}/{total} twins read equal"
    );
}
