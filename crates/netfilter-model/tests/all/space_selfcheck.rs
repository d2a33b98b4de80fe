//! The packet-space engine checks itself: over every ruleset of testdata/ and the public
//! corpus, each *must* class's witness traced by the concrete tracer gets the class's verdict.
//!
//! The corpus's small files (up to `SMALL` rules) always run; all of it with
//! `NFDIFF_SPACE_CORPUS=1` (minutes in a debug build).

use std::path::{Path, PathBuf};

use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_text, ParseOptions};
use netfilter_model::space::{partition, self_check, Certainty, SpaceQuery};
use netfilter_model::trace::TracePath;

/// Corpus files with at most this many rules run in every test run.
const SMALL: usize = 300;

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n != "README.md" && n != "LICENSE" && !n.ends_with(".md") && !n.ends_with(".sh")
            }) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn parse(p: &Path) -> Option<Ruleset> {
    let bytes = std::fs::read(p).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let name = p.display().to_string();
    parse_text(&text, &ParseOptions::new(name.as_str()))
        .ok()
        .filter(|r| r.rule_count() > 0)
}

/// What a run over many rulesets saw.
#[derive(Default)]
struct Summary {
    checked: usize,
    classes: usize,
    /// Classes whose fate is certain.
    must: usize,
    /// Rulesets with at least one *may* class.
    open: usize,
    errors: Vec<String>,
}

/// Partitions each ruleset's forward space and self-checks it. Panics on a disagreement
/// with the tracer.
fn check_all(files: &[PathBuf], max_rules: Option<usize>) -> Summary {
    let mut s = Summary::default();
    for p in files {
        let Some(rs) = parse(p) else { continue };
        if max_rules.is_some_and(|m| rs.rule_count() > m) {
            continue;
        }
        let part = match partition(&rs, &SpaceQuery::new(TracePath::Forward)) {
            Ok(x) => x,
            Err(e) => {
                s.errors.push(format!("{}: {e}", p.display()));
                continue;
            }
        };
        let fails = match self_check(&rs, &part) {
            Ok(f) => f,
            Err(e) => {
                s.errors.push(format!("{}: self-check: {e}", p.display()));
                continue;
            }
        };
        assert!(
            fails.is_empty(),
            "{}: the tracer disagrees with {} class(es), first: {:?}",
            p.display(),
            fails.len(),
            fails[0]
        );
        s.checked += 1;
        s.classes += part.classes.len();
        let must = part
            .classes
            .iter()
            .filter(|c| c.certainty == Certainty::Must)
            .count();
        if must < part.classes.len() && std::env::var_os("NFDIFF_SPACE_CORPUS_DETAIL").is_some() {
            // Which rulesets keep may classes, and the first reason of each.
            let mut why: Vec<&str> = part
                .classes
                .iter()
                .filter(|c| c.certainty == Certainty::May)
                .filter_map(|c| c.reasons.first().map(String::as_str))
                .collect();
            why.sort_unstable();
            why.dedup();
            eprintln!(
                "may: {} {must} must {} may; {}",
                p.display(),
                part.classes.len() - must,
                why.iter().take(3).copied().collect::<Vec<_>>().join(" | ")
            );
        }
        s.must += must;
        s.open += usize::from(must < part.classes.len());
    }
    s
}

#[test]
fn every_testdata_ruleset_agrees_with_the_tracer() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"));
    let files = files_under(root);
    let s = check_all(&files, None);
    eprintln!(
        "testdata: {} rulesets, {} classes ({} must, {} may; {} rulesets with a may class) self-checked; {} not analysed: {:?}",
        s.checked,
        s.classes,
        s.must,
        s.classes - s.must,
        s.open,
        s.errors.len(),
        s.errors
    );
    assert!(
        s.checked >= 20,
        "only {} testdata rulesets were analysed",
        s.checked
    );
}

#[test]
fn corpus_rulesets_agree_with_the_tracer() {
    // Next to the repository (`/work/main` -> `/work/shared`), or to a worktree of it.
    let candidates = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared/corpus"),
    ];
    let Some(root) = candidates.iter().map(Path::new).find(|p| p.is_dir()) else {
        eprintln!("corpus not found next to the repository; skipping");
        return;
    };
    let all = std::env::var_os("NFDIFF_SPACE_CORPUS").is_some();
    let files = files_under(root);
    let s = check_all(&files, (!all).then_some(SMALL));
    eprintln!(
        "corpus ({}): {} rulesets, {} classes ({} must, {} may; {} rulesets with a may class) self-checked; {} not analysed: {:?}",
        if all { "all" } else { "small files; NFDIFF_SPACE_CORPUS=1 for all" },
        s.checked,
        s.classes,
        s.must,
        s.classes - s.must,
        s.open,
        s.errors.len(),
        s.errors
    );
    assert!(s.checked > 0, "no corpus ruleset was analysed");
}
