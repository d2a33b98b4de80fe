//! Corpus conformance of the iptables-save parser and the parse -> export -> parse round trip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use netfilter_model::export::to_iptables_save;
use netfilter_model::model::{MatchKind, Rule, Ruleset, Statement, Verdict};
use netfilter_model::parse::{parse_iptables_save, sniff_format, Format, ParseOptions};
use netfilter_model::Error;

/// The shared corpus: `$NFDIFF_CORPUS` when set (for checkouts not placed next to
/// `shared/`), else `../shared/corpus` from the repository root.
fn corpus() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NFDIFF_CORPUS") {
        let p = PathBuf::from(p);
        return p.is_dir().then_some(p);
    }
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    p.is_dir().then(|| p.to_path_buf())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every corpus file the conformance test looks at.
fn corpus_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(&root.join("net-network"), &mut files);
    let mut cali = Vec::new();
    walk(&root.join("calico-fv"), &mut cali);
    files.extend(cali.into_iter().filter(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("iptables"))
    }));
    files
}

/// Why a file is not an iptables-save dump, or `None` when it is one.
///
/// A dump may start with a few lines of shell prompt or prose; a file with more than
/// three such lines before its first table is a document with dumps embedded in prose
/// (shell history, notes, scripts), not a dump.
fn skip_reason(text: &str) -> Option<String> {
    let mut before = 0usize;
    let mut first_table = None;
    for l in text.lines() {
        let t = l.trim();
        if matches!(t, "*filter" | "*nat" | "*mangle" | "*raw" | "*security") {
            first_table = Some(before);
            break;
        }
        if !t.is_empty() && !t.starts_with('#') {
            before += 1;
        }
    }
    match (sniff_format(text), first_table) {
        (Some(Format::NftText) | Some(Format::NftJson), _) => {
            Some("nft ruleset, not iptables-save".into())
        }
        (_, Some(n)) if n <= 3 => None,
        (_, Some(n)) => Some(format!(
            "document with dumps embedded in prose ({n} lines of text before the first table)"
        )),
        _ if text.contains("Chain INPUT (policy") => Some("`iptables -L` listing".into()),
        _ => Some("no `*table` line: not a dump (docs, licence)".into()),
    }
}

fn is_verbatim(r: &Rule, modules: &mut BTreeMap<String, usize>) -> bool {
    let mut v = false;
    for m in &r.matches {
        if let MatchKind::Other { module, .. } = &m.kind {
            *modules.entry(format!("-m {module}")).or_default() += 1;
            v = true;
        }
    }
    for s in &r.statements {
        if let Statement::Other { target, .. } = s {
            *modules.entry(format!("-j {target}")).or_default() += 1;
            v = true;
        }
    }
    if let Some(Verdict::Other(t)) = &r.verdict {
        *modules.entry(format!("-j {t}")).or_default() += 1;
        v = true;
    }
    v
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

#[test]
fn corpus_conformance_and_round_trip() {
    let Some(root) = corpus() else {
        println!("corpus not found next to the repository; skipping corpus conformance");
        return;
    };
    let files = corpus_files(&root);
    assert!(
        !files.is_empty(),
        "no corpus files under {}",
        root.display()
    );
    let mut skipped = Vec::new();
    let mut parsed: Vec<(String, Ruleset)> = Vec::new();
    let mut errors = Vec::new();
    let mut largest: Option<(usize, String, f64)> = None;
    for f in &files {
        let bytes = std::fs::read(f).expect("read corpus file");
        let text = String::from_utf8_lossy(&bytes);
        let name = rel(&root, f);
        if let Some(why) = skip_reason(&text) {
            // Still parsed: whatever the text, the parser must not panic.
            let outcome = match parse_iptables_save(&text, &ParseOptions::new(name.as_str())) {
                Ok(rs) => format!("parses, {} rules", rs.rule_count()),
                Err(e) => format!("error: {e}"),
            };
            skipped.push((name, format!("{why}; {outcome}")));
            continue;
        }
        let start = Instant::now();
        let res = parse_iptables_save(&text, &ParseOptions::new(name.as_str()));
        let ms = start.elapsed().as_secs_f64() * 1e3;
        if largest.as_ref().is_none_or(|(n, _, _)| bytes.len() > *n) {
            largest = Some((bytes.len(), name.clone(), ms));
        }
        match res {
            Ok(rs) => parsed.push((name, rs)),
            Err(Error::Parse(e)) => {
                assert!(e.position.line >= 1 && e.position.column >= 1, "{e}");
                errors.push(e.to_string());
            }
            Err(other) => panic!("{name}: not a positioned parse error: {other}"),
        }
    }
    let dumps = parsed.len() + errors.len();
    let mut typed = 0usize;
    let mut verbatim = 0usize;
    let mut modules = BTreeMap::new();
    for (_, rs) in &parsed {
        for t in &rs.tables {
            for c in &t.chains {
                for r in &c.rules {
                    if is_verbatim(r, &mut modules) {
                        verbatim += 1;
                    } else {
                        typed += 1;
                    }
                }
            }
        }
    }
    let mut top: Vec<(String, usize)> = modules.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!(
        "iptables-save corpus: {} files, {} dumps, {} parsed, {} errors, {} skipped",
        files.len(),
        dumps,
        parsed.len(),
        errors.len(),
        skipped.len()
    );
    for (n, why) in &skipped {
        println!("  skipped {n}: {why}");
    }
    for e in &errors {
        println!("  error   {e}");
    }
    println!(
        "rules: {} typed, {} with something verbatim",
        typed, verbatim
    );
    println!("top verbatim modules/targets:");
    for (m, n) in top.iter().take(10) {
        println!("  {n:6} {m}");
    }
    if let Some((size, name, ms)) = &largest {
        println!("largest dump: {name} ({size} bytes) parsed in {ms:.1} ms (this build's profile)");
    }

    // Round trip: parse -> export -> parse gives an equal model.
    let mut rt_failures = Vec::new();
    for (name, rs) in &parsed {
        let text = match to_iptables_save(rs) {
            Ok(t) => t,
            Err(e) => {
                rt_failures.push(format!("{name}: export failed: {e}"));
                continue;
            }
        };
        match parse_iptables_save(&text, &ParseOptions::new("export")) {
            Ok(back) if &back == rs => {}
            Ok(back) => rt_failures.push(format!("{name}: {}", first_difference(rs, &back))),
            Err(e) => rt_failures.push(format!("{name}: re-parse failed: {e}")),
        }
    }
    println!(
        "round trip parse -> export -> parse: {} of {} equal",
        parsed.len() - rt_failures.len(),
        parsed.len()
    );
    for f in &rt_failures {
        println!("  round trip {f}");
    }

    assert!(dumps > 0);
    assert!(
        parsed.len() * 10 >= dumps * 9,
        "only {} of {} dumps parse",
        parsed.len(),
        dumps
    );
    assert!(
        rt_failures.is_empty(),
        "{} round-trip failures",
        rt_failures.len()
    );
}

/// Describes where two rulesets first differ.
pub(crate) fn first_difference(a: &Ruleset, b: &Ruleset) -> String {
    if a.tables.len() != b.tables.len() {
        return format!("{} tables vs {}", a.tables.len(), b.tables.len());
    }
    for (ta, tb) in a.tables.iter().zip(&b.tables) {
        if (ta.backend, ta.family, &ta.name) != (tb.backend, tb.family, &tb.name) {
            return format!(
                "table {} {} {} vs {} {} {}",
                ta.backend, ta.family, ta.name, tb.backend, tb.family, tb.name
            );
        }
        let ca: Vec<&str> = ta.chains.iter().map(|c| c.name.as_str()).collect();
        let cb: Vec<&str> = tb.chains.iter().map(|c| c.name.as_str()).collect();
        if ca != cb {
            return format!("table {}: chains {ca:?} vs {cb:?}", ta.name);
        }
        for (x, y) in ta.chains.iter().zip(&tb.chains) {
            if x.base != y.base {
                return format!(
                    "table {}, chain {}: base {:?} vs {:?}",
                    ta.name, x.name, x.base, y.base
                );
            }
            for (i, (r, s)) in x.rules.iter().zip(&y.rules).enumerate() {
                if r != s {
                    return format!(
                        "table {}, chain {}, rule {}: {r:?} vs {s:?}",
                        ta.name,
                        x.name,
                        i + 1
                    );
                }
            }
            if x.rules.len() != y.rules.len() {
                return format!(
                    "table {}, chain {}: {} rules vs {}",
                    ta.name,
                    x.name,
                    x.rules.len(),
                    y.rules.len()
                );
            }
        }
    }
    "tables differ in sets, objects or flags".to_string()
}
