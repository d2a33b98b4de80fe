//! `nft -j list ruleset` dumps of the nftables test suite (shared corpus) through the JSON parser.

use std::path::{Path, PathBuf};

use netfilter_model::parse::{parse_nft_json, parse_text, ParseOptions};

/// The shared corpus next to the repository (`NFDIFF_CORPUS` overrides, for worktrees
/// that do not sit next to `shared/`).
pub(super) fn corpus_base() -> PathBuf {
    std::env::var_os("NFDIFF_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
            .to_path_buf()
        })
}

fn corpus_dir() -> PathBuf {
    corpus_base().join("nftables-dumps")
}

fn json_dumps(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(groups) = std::fs::read_dir(dir) else {
        return out;
    };
    for g in groups.flatten() {
        let Ok(files) = std::fs::read_dir(g.path()) else {
            continue;
        };
        for f in files.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "json-nft") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn corpus_json_dumps_parse() {
    let dir = corpus_dir();
    let files = json_dumps(&dir);
    if files.is_empty() {
        println!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let (mut ok, mut failed, mut rules, mut lossy, mut other_matches) = (0, 0, 0, 0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable corpus file");
        let name = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
        match parse_nft_json(&text, &ParseOptions::new(name.clone())) {
            Ok(rs) => {
                ok += 1;
                rules += rs.rule_count();
                for t in &rs.tables {
                    for c in &t.chains {
                        for r in &c.rules {
                            lossy += usize::from(!r.lossy.is_empty());
                            other_matches += r
                                .matches
                                .iter()
                                .filter(|m| {
                                    matches!(
                                        m.kind,
                                        netfilter_model::model::MatchKind::Other { .. }
                                    )
                                })
                                .count();
                            // The canonical text renders without panicking.
                            assert!(!r.canonical().contains('\n'), "{name}: {r}");
                        }
                    }
                }
                // The sniffer routes the same text to this parser.
                assert!(parse_text(&text, &ParseOptions::new(name.clone())).is_ok());
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e}");
            }
        }
    }
    let total = ok + failed;
    println!(
        "nft JSON corpus: {ok}/{total} parsed, {failed} failed; {rules} rules, \
         {lossy} lossy rules, {other_matches} untyped (Other) matches"
    );
    assert!(total >= 400, "expected the 414 corpus files, found {total}");
    assert!(ok * 100 >= total * 95, "only {ok}/{total} parsed");
}

#[test]
fn corpus_parse_is_deterministic() {
    let dir = corpus_dir();
    let files = json_dumps(&dir);
    if files.is_empty() {
        println!("corpus not found at {}; skipping", dir.display());
        return;
    }
    for f in files.iter().take(60) {
        let text = std::fs::read_to_string(f).expect("readable corpus file");
        let a = parse_nft_json(&text, &ParseOptions::new("a"));
        let b = parse_nft_json(&text, &ParseOptions::new("b"));
        if let (Ok(a), Ok(b)) = (a, b) {
            assert_eq!(a, b, "{}", f.display());
        }
    }
}

/// The model as text, for snapshots: tables, sets, objects, chains and canonical rules,
/// with lossy notes.
fn render(rs: &netfilter_model::model::Ruleset) -> String {
    use netfilter_model::model::priority_name;
    let mut out = String::new();
    for t in &rs.tables {
        out.push_str(&format!(
            "table {} {} {} flags={:?}\n",
            t.backend, t.family, t.name, t.flags
        ));
        for s in &t.sets {
            out.push_str(&format!(
                "  set {} type {}{} flags={:?} extra={:?}\n",
                s.name,
                s.key_type,
                s.data_type
                    .as_deref()
                    .map(|d| format!(" : {d}"))
                    .unwrap_or_default(),
                s.flags,
                s.extra
            ));
            for e in &s.elements {
                out.push_str(&format!("    element {e}\n"));
            }
        }
        for o in &t.objects {
            out.push_str(&format!("  {} {} {{ {} }}\n", o.kind, o.name, o.body));
        }
        for c in &t.chains {
            out.push_str(&format!("  chain {}\n", c.name));
            if let Some(b) = &c.base {
                out.push_str(&format!(
                    "    type {} hook {} priority {}; policy {};\n",
                    b.chain_type,
                    b.hook,
                    priority_name(b.priority, &b.hook),
                    b.policy.as_str()
                ));
            }
            for r in &c.rules {
                out.push_str(&format!("    {r}\n"));
                for l in &r.lossy {
                    out.push_str(&format!("      lossy: {l}\n"));
                }
            }
        }
    }
    out
}

#[test]
fn snapshot_of_a_vmap_dump() {
    let path = corpus_dir().join("maps/vmap_timeout.json-nft");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("corpus not found at {}; skipping", path.display());
        return;
    };
    let rs = parse_nft_json(&text, &ParseOptions::new("maps/vmap_timeout.json-nft"))
        .expect("the dump parses");
    insta::assert_snapshot!(render(&rs));
}

/// Rewrites every value of one JSON type into another, everywhere in the document
/// except the top-level `nftables` list, to reach the parser's error paths.
fn mutate(v: &mut serde_json::Value, how: usize, depth: usize) {
    use serde_json::Value;
    let replace = match (how, &*v) {
        (0, Value::String(_)) => Some(Value::from(1)),
        (1, Value::Number(_)) => Some(Value::from("x")),
        (2, Value::Object(_)) if depth > 2 => Some(Value::Null),
        (3, Value::Array(_)) if depth > 2 => Some(Value::Object(Default::default())),
        (4, Value::Number(_)) => Some(Value::from(-1)),
        (5, Value::String(s)) => Some(Value::from(format!("@{s}*"))),
        _ => None,
    };
    if let Some(r) = replace {
        *v = r;
        return;
    }
    match v {
        Value::Object(o) => o.values_mut().for_each(|x| mutate(x, how, depth + 1)),
        Value::Array(a) => a.iter_mut().for_each(|x| mutate(x, how, depth + 1)),
        _ => {}
    }
}

#[test]
fn mutated_and_truncated_dumps_never_panic() {
    let dir = corpus_dir();
    let files = json_dumps(&dir);
    if files.is_empty() {
        println!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let (mut ok, mut err) = (0, 0);
    for f in files.iter().step_by(3) {
        let text = std::fs::read_to_string(f).expect("readable corpus file");
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut inputs: Vec<String> = (0..6)
            .map(|how| {
                let mut v = value.clone();
                mutate(&mut v, how, 0);
                v.to_string()
            })
            .collect();
        for cut in [1, 3, 7] {
            let at = text.len() * cut / 8;
            if text.is_char_boundary(at) {
                inputs.push(text[..at].to_string());
            }
        }
        for input in inputs {
            match parse_nft_json(&input, &ParseOptions::new("mutated")) {
                Ok(_) => ok += 1,
                Err(e) => {
                    err += 1;
                    // Errors name the source and a 1-based position.
                    let s = e.to_string();
                    assert!(s.starts_with("mutated:"), "{s}");
                }
            }
        }
    }
    println!("mutated corpus: {ok} parsed, {err} rejected with an error, no panic");
    assert!(err > 0);
}

/// `(family table, chain) -> rule count` of an `nft list ruleset` text.
fn nft_text_rule_counts(text: &str) -> std::collections::BTreeMap<(String, String), usize> {
    let mut out = std::collections::BTreeMap::new();
    let mut table = String::new();
    let mut chain: Option<(String, String)> = None;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["table", family, name, "{"] => table = format!("{family} {name}"),
            ["chain", name, "{"] => {
                let key = (table.clone(), (*name).to_string());
                out.insert(key.clone(), 0);
                chain = Some(key);
            }
            ["}"] => chain = None,
            [first, ..] if !matches!(*first, "type" | "comment" | "devices" | "policy") => {
                if let Some(k) = &chain {
                    *out.entry(k.clone()).or_insert(0) += 1;
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn json_and_text_twins_have_the_same_rules_per_chain() {
    let dir = corpus_dir();
    let files = json_dumps(&dir);
    if files.is_empty() {
        println!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let mut pairs = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f.with_extension("nft")) else {
            continue;
        };
        let json = std::fs::read_to_string(f).expect("readable corpus file");
        let Ok(rs) = parse_nft_json(&json, &ParseOptions::new("twin")) else {
            continue;
        };
        let mut got = std::collections::BTreeMap::new();
        for t in &rs.tables {
            for c in &t.chains {
                got.insert(
                    (format!("{} {}", t.family, t.name), c.name.clone()),
                    c.rules.len(),
                );
            }
        }
        assert_eq!(got, nft_text_rule_counts(&text), "{}", f.display());
        pairs += 1;
    }
    println!("{pairs} JSON/text twins agree on chains and rules per chain");
    assert!(pairs >= 400);
}
