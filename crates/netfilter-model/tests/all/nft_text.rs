//! `nft list ruleset` text parser against the public corpus and (as root) the kernel.

use std::path::{Path, PathBuf};

use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_nft_text, ParseOptions};

fn corpus() -> Option<PathBuf> {
    // The repository is cloned next to `shared/`; a git worktree sits one level deeper.
    let base = env!("CARGO_MANIFEST_DIR");
    let mut candidates: Vec<PathBuf> = std::env::var_os("NFDIFF_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(Path::new(base).join("../../../shared/corpus"));
    candidates.push(Path::new(base).join("../../../../shared/corpus"));
    let found = candidates.into_iter().find(|p| p.is_dir());
    if found.is_none() {
        println!("corpus not found next to the repository; skipping");
    }
    found
}

fn parse(text: &str, name: &str) -> netfilter_model::Result<Ruleset> {
    parse_nft_text(text, &ParseOptions::new(name))
}

fn nft_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            nft_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "nft") {
            out.push(p);
        }
    }
}

#[test]
fn corpus_nftables_dumps_parse() {
    let Some(c) = corpus() else { return };
    let mut files = Vec::new();
    nft_files(&c.join("nftables-dumps"), &mut files);
    assert!(!files.is_empty(), "no *.nft files in the corpus");
    let mut failed = Vec::new();
    let mut rules = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read corpus file");
        match parse(&text, &f.display().to_string()) {
            Ok(rs) => rules += rs.rule_count(),
            Err(e) => failed.push(format!("{e}")),
        }
    }
    let passed = files.len() - failed.len();
    println!(
        "nftables-dumps: {passed} passed, {} failed ({rules} rules)",
        failed.len()
    );
    for f in &failed {
        println!("  FAIL {f}");
    }
    assert!(
        passed * 100 >= files.len() * 95,
        "{passed}/{} parsed",
        files.len()
    );
}

#[test]
fn corpus_calico_dumps_parse() {
    let Some(c) = corpus() else { return };
    for name in ["cali-nftables-dump.txt", "foreign-nft-dump.txt"] {
        let path = c.join("calico-fv").join(name);
        let text = std::fs::read_to_string(&path).expect("read");
        let rs = parse(&text, name).unwrap_or_else(|e| panic!("{e}"));
        assert!(rs.rule_count() > 10, "{name}: {} rules", rs.rule_count());
        println!(
            "{name}: {} tables, {} rules",
            rs.tables.len(),
            rs.rule_count()
        );
    }
}
