//! The streamed `show --format json` against the whole-ruleset rendering, file by file.

use std::path::{Path, PathBuf};

use netfilter_model::parse::{parse_text, IptablesSaveStream, ParseOptions};

use super::show_json::write;
use super::show_stream::write_stream;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

/// The shared corpus: `$NFDIFF_CORPUS` when set, else `../shared/corpus` beside the checkout.
fn corpus() -> PathBuf {
    match std::env::var_os("NFDIFF_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

/// Every file under `dir` (no recursion: a stack of directories).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The whole-ruleset rendering: output bytes, or the error's text.
fn whole(text: &str, opts: &ParseOptions) -> Result<Vec<u8>, String> {
    let rs = parse_text(text, opts).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    write(&mut out, &rs).map_err(|e| e.to_string())?;
    Ok(out)
}

fn streamed(stream: IptablesSaveStream<'_, '_>) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    write_stream(&mut out, stream).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Compares both streamed paths (text in memory, file read line by line) with the whole
/// rendering; `false` when the file is not in the streamed shape.
fn check(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let opts = ParseOptions::new(path.display().to_string());
    let Some(from_text) = IptablesSaveStream::new(&text, &opts) else {
        assert!(
            IptablesSaveStream::open(path, &opts).unwrap().is_none(),
            "{}: the file is streamed but its text is not",
            path.display()
        );
        return false;
    };
    let expected = whole(&text, &opts);
    let got = streamed(from_text);
    match (&expected, &got) {
        (Ok(a), Ok(b)) => assert!(a == b, "{}: streamed JSON differs", path.display()),
        (Err(a), Err(b)) => assert_eq!(a, b, "{}", path.display()),
        _ => panic!("{}: whole {expected:?} vs streamed {got:?}", path.display()),
    }
    let from_file = IptablesSaveStream::open(path, &opts)
        .unwrap()
        .unwrap_or_else(|| panic!("{}: text streamed, file not", path.display()));
    assert_eq!(streamed(from_file), got, "{}", path.display());
    true
}

#[test]
fn streamed_json_equals_the_whole_ruleset_json_for_every_fixture() {
    let all = files(Path::new(TESTDATA));
    let streamed: Vec<&PathBuf> = all.iter().filter(|p| check(p)).collect();
    let n = streamed.len();
    eprintln!(
        "testdata: {n} of {} files streamed, all equal: {streamed:?}",
        all.len()
    );
    // calico, calico6, kube-proxy, incident, trace-kernel and basic dumps from the real tools.
    assert!(n >= 12, "only {n} fixtures were in the streamed shape");
}

#[test]
fn streamed_json_equals_the_whole_ruleset_json_for_the_corpus() {
    let dir = corpus();
    if !dir.is_dir() {
        eprintln!(
            "skipped: no corpus at {} (set NFDIFF_CORPUS)",
            dir.display()
        );
        return;
    }
    let all = files(&dir);
    let n = all.iter().filter(|p| check(p)).count();
    eprintln!("corpus: {n} of {} files streamed, all equal", all.len());
    assert!(n > 0, "no corpus file was in the streamed shape");
}

#[test]
fn a_bad_rule_in_a_streamed_file_gives_the_whole_parsers_error() {
    let good = std::fs::read_to_string(Path::new(TESTDATA).join("kube-proxy/legacy.save")).unwrap();
    let bad = good.replacen("--dport ", "--dport 99999", 1);
    assert_ne!(good, bad);
    let path = std::env::temp_dir().join(format!("nfdiff-bad-stream-{}.save", std::process::id()));
    std::fs::write(&path, &bad).unwrap();
    let opts = ParseOptions::new("bad.save");
    let stream = IptablesSaveStream::open(&path, &opts).unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = streamed(stream.expect("the shape is still a dump's")).unwrap_err();
    assert_eq!(Err(err.clone()), whole(&bad, &opts));
    assert!(err.starts_with("bad.save:"), "{err}");
}
