//! Hostile and broken input (`testdata/bad/`, plus huge inputs generated here): every input
//! either parses (a tolerance documented in `testdata/bad/README.md`) or fails with exit 2 and
//! `SOURCE:LINE:COLUMN: message`, quickly, and never crashes or overflows the stack.

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use super::support::{nfdiff, repo_root, stderr};

/// What `nfdiff show FILE` must do with a file of `testdata/bad/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Parses; the tolerance is documented in `testdata/bad/README.md`.
    Parses,
    /// Exit 2 with a positioned error.
    Fails,
}
use Outcome::{Fails, Parses};

/// Every file of `testdata/bad/` and what `show` does with it.
const CASES: &[(&str, Outcome)] = &[
    ("binary-garbage.bin.bad", Fails),
    ("comments-only.rules.bad", Parses),
    ("commit-outside-table.rules.bad", Fails),
    ("crlf.nft.bad", Parses),
    ("crlf.rules.bad", Parses),
    ("deep-nesting-top.json.bad", Fails),
    ("deep-nesting.json.bad", Fails),
    ("deep-nesting.nft.bad", Fails),
    ("deepest-accepted-nesting.json.bad", Parses),
    ("deepest-accepted-nesting.nft.bad", Parses),
    ("duplicate-chain.rules.bad", Fails),
    ("duplicate-table.nft.bad", Parses),
    ("duplicate-table.rules.bad", Fails),
    ("empty.rules.bad", Parses),
    ("goto-cycle.nft.bad", Parses),
    ("goto-to-missing-chain.json.bad", Parses),
    ("goto-to-missing-chain.rules.bad", Fails),
    ("invalid-address.rules.bad", Fails),
    ("invalid-cidr.json.bad", Parses),
    ("invalid-cidr.nft.bad", Parses),
    ("invalid-cidr.rules.bad", Fails),
    ("invalid-counters.rules.bad", Fails),
    ("invalid-port.nft.bad", Parses),
    ("invalid-port.rules.bad", Fails),
    ("invalid-utf8.rules.bad", Parses),
    ("jump-cycle.rules.bad", Parses),
    ("jump-to-missing-chain.nft.bad", Parses),
    ("jump-to-missing-chain.rules.bad", Parses),
    ("missing-commit-before-table.rules.bad", Fails),
    ("missing-commit.rules.bad", Fails),
    ("missing-option-value.rules.bad", Fails),
    ("non-contiguous-mask.rules.bad", Parses),
    ("not-json.json.bad", Fails),
    ("nul-byte.rules.bad", Fails),
    ("port-without-protocol.rules.bad", Fails),
    ("prompt-preamble.nft.bad", Fails),
    ("prompt-preamble.rules.bad", Parses),
    ("reversed-port-range.rules.bad", Parses),
    ("rule-before-table.rules.bad", Fails),
    ("rule-of-undeclared-chain.rules.bad", Fails),
    ("truncated.json.bad", Fails),
    ("truncated.nft.bad", Fails),
    ("truncated.rules.bad", Fails),
    ("unbalanced-close.nft.bad", Fails),
    ("unbalanced-open.nft.bad", Fails),
    ("unbalanced-quote.rules.bad", Fails),
    ("unbalanced-set.nft.bad", Fails),
    ("unknown-table.rules.bad", Fails),
    ("unknown-text.txt.bad", Fails),
    ("wrong-json-shape.json.bad", Fails),
];

/// `PREFIX_NAME` with the `.bad` suffix dropped and `.`/`-` as `_`.
fn snapshot_name(prefix: &str, file: &str) -> String {
    let stem = file.strip_suffix(".bad").unwrap_or(file);
    format!("{prefix}_{}", stem.replace(['.', '-'], "_"))
}

/// Runs `nfdiff ARGS`, returning its output and how long it took.
fn timed(args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = nfdiff(args, None);
    (out, start.elapsed())
}

/// Exit status, standard error and standard output, as one text for a snapshot.
fn transcript(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stderr ---\n{}--- stdout ---\n{}",
        out.status.code(),
        stderr(out),
        String::from_utf8_lossy(&out.stdout)
    )
}

/// Asserts the contract for a failure: exit 2, nothing on stdout, one `nfdiff: SOURCE:L:C: `
/// line naming the source with a 1-based line and column.
fn assert_positioned_failure(source: &str, out: &Output) {
    assert_eq!(out.status.code(), Some(2), "{source}: {}", transcript(out));
    assert!(
        out.stdout.is_empty(),
        "{source}: output on stdout for an error"
    );
    let err = stderr(out);
    let rest = err
        .strip_prefix(&format!("nfdiff: {source}:"))
        .unwrap_or_else(|| panic!("{source}: error does not start with the source: {err}"));
    let mut parts = rest.splitn(3, ':');
    let line: u32 = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    let column: u32 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    assert!(
        line >= 1 && column >= 1,
        "{source}: error has no line and column: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{source}: one line of error: {err}");
}

#[test]
fn every_bad_input_parses_or_fails_with_a_position() {
    let dir = repo_root().join("testdata/bad");
    // Every file in the directory is a case, and every case is a file.
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("testdata/bad exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    let listed: Vec<String> = CASES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "CASES must list every file of testdata/bad"
    );

    let mut slowest = (Duration::ZERO, "");
    for &(name, outcome) in CASES {
        let path = format!("testdata/bad/{name}");
        let (out, took) = timed(&["show", &path]);
        if took > slowest.0 {
            slowest = (took, name);
        }
        match outcome {
            Parses => assert_eq!(out.status.code(), Some(0), "{path}: {}", transcript(&out)),
            Fails => assert_positioned_failure(&path, &out),
        }
        insta::assert_snapshot!(snapshot_name("bad", name), transcript(&out));
    }
    println!(
        "bad inputs: {} files; slowest `nfdiff show` {:?} ({})",
        CASES.len(),
        slowest.0,
        slowest.1
    );
}

/// `trace` arguments for an IPv4 packet on the input path.
const TRACE_INPUT: &[&str] = &[
    "trace",
    "--path",
    "input",
    "--iif",
    "eth0",
    "--src",
    "192.0.2.1",
    "--dst",
    "198.51.100.1",
];

#[test]
fn jump_and_goto_cycles_parse_and_trace_reports_the_cycle() {
    for file in [
        "testdata/bad/jump-cycle.rules.bad",
        "testdata/bad/goto-cycle.nft.bad",
    ] {
        let mut args = TRACE_INPUT.to_vec();
        args.push(file);
        let (out, took) = timed(&args);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", transcript(&out));
        let err = stderr(&out);
        assert!(err.starts_with("nfdiff: jump cycle: "), "{file}: {err}");
        println!("trace {file}: {took:?}");
        insta::assert_snapshot!(
            snapshot_name("trace", file.trim_start_matches("testdata/bad/")),
            err
        );
    }
}

#[test]
fn trace_treats_a_jump_to_a_missing_chain_as_a_return() {
    let mut args = TRACE_INPUT.to_vec();
    args.push("testdata/bad/jump-to-missing-chain.nft.bad");
    let (out, _) = timed(&args);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out));
}

/// A scratch file under the target directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, contents: &[u8]) -> Scratch {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad_input");
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("scratch file");
        Scratch(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 path")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `*filter` with INPUT jumping into C0 -> C1 -> ... -> C(n-1), which drops.
fn jump_chain(n: usize) -> String {
    let mut s = String::from("*filter\n:INPUT ACCEPT [0:0]\n");
    for i in 0..n {
        s.push_str(&format!(":C{i} - [0:0]\n"));
    }
    s.push_str("-A INPUT -j C0\n");
    for i in 0..n - 1 {
        s.push_str(&format!("-A C{i} -j C{}\n", i + 1));
    }
    s.push_str(&format!("-A C{} -j DROP\nCOMMIT\n", n - 1));
    s
}

#[test]
fn a_20000_deep_jump_chain_parses_and_trace_stops_cleanly() {
    let file = Scratch::new("deep-jumps.rules", jump_chain(20_000).as_bytes());
    let (out, took) = timed(&["show", "--format", "json", file.path()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    println!("show of a 20,000-deep jump chain: {took:?}");

    let mut args = TRACE_INPUT.to_vec();
    args.push(file.path());
    let (out, took) = timed(&args);
    println!("trace of a 20,000-deep jump chain: {took:?}");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("nfdiff: jumps nested more than 64 chains deep (at legacy ip filter C63)"),
        "{err}"
    );
}

/// `table ip t` with an input and a forward base chain entering c0 -> c1 -> ... -> c(n-1) by
/// `verb` (`jump` or `goto`); the last chain drops.
fn nft_chain_of(verb: &str, n: usize) -> String {
    let mut s = String::from(
        "table ip t {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tjump c0\n\t}\n",
    );
    for i in 0..n - 1 {
        s.push_str(&format!("\tchain c{i} {{\n\t\t{verb} c{}\n\t}}\n", i + 1));
    }
    s.push_str(&format!("\tchain c{} {{\n\t\tdrop\n\t}}\n}}\n", n - 1));
    s
}

/// The same as `nft -j` JSON.
fn json_chain_of(verb: &str, n: usize) -> String {
    let mut items = vec![
        r#"{"table": {"family": "ip", "name": "t"}}"#.to_string(),
        r#"{"chain": {"family": "ip", "table": "t", "name": "input", "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}"#.to_string(),
    ];
    items.extend(
        (0..n).map(|i| format!(r#"{{"chain": {{"family": "ip", "table": "t", "name": "c{i}"}}}}"#)),
    );
    items.push(
        r#"{"rule": {"family": "ip", "table": "t", "chain": "input", "expr": [{"jump": {"target": "c0"}}]}}"#
            .to_string(),
    );
    items.extend((0..n - 1).map(|i| {
        format!(
            r#"{{"rule": {{"family": "ip", "table": "t", "chain": "c{i}", "expr": [{{"{verb}": {{"target": "c{}"}}}}]}}}}"#,
            i + 1
        )
    }));
    items.push(format!(
        r#"{{"rule": {{"family": "ip", "table": "t", "chain": "c{}", "expr": [{{"drop": null}}]}}}}"#,
        n - 1
    ));
    format!("{{\"nftables\": [{}]}}\n", items.join(", "))
}

/// Not only parsing: `diff`, `doctor`, `reach` and `trace` walk a 20,000-deep chain graph
/// without recursion, in every format (a goto chain that deep is legal and traced to its end;
/// jumps stop at the depth limit with an error). A recursive walk overflows the stack of a
/// debug build long before 20,000 levels.
#[test]
fn a_20000_deep_chain_graph_is_diffed_doctored_and_traced_without_recursion() {
    let n = 20_000;
    let old = Scratch::new("deep-jumps-old.rules", jump_chain(n).as_bytes());
    let changed = jump_chain(n).replace("-j DROP", "-j ACCEPT");
    let new = Scratch::new("deep-jumps-new.rules", changed.as_bytes());
    let (out, took) = timed(&["diff", old.path(), new.path()]);
    println!("diff of two 20,000-deep jump chains: {took:?}");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("chain C{}: changed (1 rule)", n - 1)),
        "{text}"
    );

    let (out, took) = timed(&["doctor", old.path()]);
    println!("doctor of a 20,000-deep jump chain: {took:?}");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));

    let mut args = TRACE_INPUT.to_vec();
    args[0] = "reach";
    args[4] = "eth*";
    args.push(old.path());
    let (out, took) = timed(&args);
    println!("reach of a 20,000-deep jump chain: {took:?}");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).starts_with("nfdiff: jumps nested more than 64 chains deep"),
        "{}",
        stderr(&out)
    );

    for (name, text) in [
        ("deep-jumps.nft", nft_chain_of("jump", n)),
        ("deep-gotos.nft", nft_chain_of("goto", n)),
        ("deep-jumps.json", json_chain_of("jump", n)),
        ("deep-gotos.json", json_chain_of("goto", n)),
    ] {
        let file = Scratch::new(name, text.as_bytes());
        let (out, took) = timed(&["diff", file.path(), file.path()]);
        println!("diff of {name} with itself: {took:?}");
        assert_eq!(out.status.code(), Some(0), "{name}: {}", transcript(&out));
        let (out, took) = timed(&["doctor", file.path()]);
        println!("doctor of {name}: {took:?}");
        assert_eq!(out.status.code(), Some(0), "{name}: {}", transcript(&out));
        let mut args = TRACE_INPUT.to_vec();
        args.push(file.path());
        let (out, took) = timed(&args);
        println!("trace of {name}: {took:?}");
        if name.contains("gotos") {
            assert_eq!(out.status.code(), Some(0), "{name}: {}", transcript(&out));
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains(&format!("DROP by nft ip t c{} rule 1", n - 1)),
                "{name}: {text}"
            );
        } else {
            assert_eq!(out.status.code(), Some(2), "{name}: {}", transcript(&out));
            assert!(
                stderr(&out)
                    .starts_with("nfdiff: jumps nested more than 64 chains deep (at nft ip t c63)"),
                "{name}: {}",
                stderr(&out)
            );
        }
    }
}

/// The deepest nesting each parser accepts (61 nested binary operations in JSON: 128 levels
/// with the document's own; 62 nested anonymous sets in nft text: 64 braces with the table's
/// and the chain's) goes on to `trace`, `diff` and `doctor`: the expression is kept verbatim,
/// so nothing after the parser walks it by recursion.
#[test]
fn the_deepest_accepted_nesting_is_traced_diffed_and_doctored() {
    for file in [
        "testdata/bad/deepest-accepted-nesting.json.bad",
        "testdata/bad/deepest-accepted-nesting.nft.bad",
    ] {
        let mut args = TRACE_INPUT.to_vec();
        args.push(file);
        let (out, took) = timed(&args);
        println!("trace {file}: {took:?}");
        assert_eq!(out.status.code(), Some(0), "{file}: {}", transcript(&out));
        insta::assert_snapshot!(
            snapshot_name("trace", file.trim_start_matches("testdata/bad/")),
            transcript(&out)
        );
        let (out, _) = timed(&["diff", file, file]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", transcript(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("no differences"),
            "{file}: {}",
            transcript(&out)
        );
        let (out, _) = timed(&["doctor", file]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", transcript(&out));
    }
}

#[test]
fn a_multi_megabyte_line_parses_in_every_format() {
    // A 4 MB comment in iptables-save.
    let comment = "x".repeat(4 << 20);
    let rules = format!(
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"{comment}\" -j ACCEPT\nCOMMIT\n"
    );
    // 200,000 set elements (about 2.6 MB) on one nft text line.
    let elements: Vec<String> = (0..200_000u32)
        .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    let nft = format!(
        "table ip filter {{\n\tchain input {{\n\t\tip saddr {{ {} }} accept\n\t}}\n}}\n",
        elements.join(", ")
    );
    // The same elements in one line of JSON.
    let quoted: Vec<String> = elements.iter().map(|e| format!("\"{e}\"")).collect();
    let json = format!(
        r#"{{"nftables": [{{"table": {{"family": "ip", "name": "filter"}}}}, {{"chain": {{"family": "ip", "table": "filter", "name": "input"}}}}, {{"rule": {{"family": "ip", "table": "filter", "chain": "input", "expr": [{{"match": {{"op": "==", "left": {{"payload": {{"protocol": "ip", "field": "saddr"}}}}, "right": {{"set": [{}]}}}}}}, {{"accept": null}}]}}}}]}}"#,
        quoted.join(", ")
    );
    for (name, text) in [
        ("long-line.rules", rules),
        ("long-line.nft", nft),
        ("long-line.json", json),
    ] {
        assert!(text.len() > 2 << 20, "{name} is multi-megabyte");
        let file = Scratch::new(name, text.as_bytes());
        let (out, took) = timed(&["show", file.path()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(
            out.stdout.len() > 2 << 20,
            "{name}: the long value is shown"
        );
        println!("show of {name} ({} bytes): {took:?}", text.len());
    }
}

#[test]
fn generated_deep_nesting_is_refused_with_a_position() {
    let depth = 1_000_000;
    let json = format!(
        r#"{{"nftables": [{{"rule": {{"family": "ip", "table": "t", "chain": "c", "expr": [{{"match": {{"op": "==", "left": {}1{}, "right": 1}}}}]}}}}]}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let nft = format!(
        "table ip t {{\n\tchain c {{\n\t\tip saddr {}10.0.0.1{} accept\n\t}}\n}}\n",
        "{ ".repeat(depth),
        " }".repeat(depth)
    );
    for (name, text) in [("deep.json", json), ("deep.nft", nft)] {
        let file = Scratch::new(name, text.as_bytes());
        let (out, took) = timed(&["show", file.path()]);
        assert_positioned_failure(file.path(), &out);
        println!(
            "show of {name} nested {depth} deep: {took:?}: {}",
            stderr(&out).trim_end()
        );
    }
}

#[test]
fn invalid_utf8_on_stdin_reads_as_from_a_file() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let path = "testdata/bad/invalid-utf8.rules.bad";
    let bytes = std::fs::read(repo_root().join(path)).expect("fixture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nfdiff"))
        .args(["show", "-"])
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nfdiff runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&bytes)
        .expect("write stdin");
    let from_stdin = child.wait_with_output().expect("nfdiff finishes");
    let (from_file, _) = timed(&["show", path]);
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));
    assert_eq!(from_stdin.stdout, from_file.stdout);
    assert!(String::from_utf8_lossy(&from_stdin.stdout).contains("caf\u{fffd}"));
}

#[test]
fn many_chains_parse_in_linear_time_in_every_format() {
    // Chain lookups by name were linear scans in the nft parsers (quadratic in the number of
    // chains: 200,000 chains took minutes); with an index this is a few seconds in a debug build.
    let n = 50_000;
    let mut nft = String::from("table ip t {\n");
    let mut json = String::from(r#"{"nftables": [{"table": {"family": "ip", "name": "t"}}"#);
    let mut rules = String::from("*filter\n");
    for i in 0..n {
        nft.push_str(&format!("\tchain c{i} {{\n\t\ttcp dport 80 accept\n\t}}\n"));
        json.push_str(&format!(
            r#", {{"chain": {{"family": "ip", "table": "t", "name": "c{i}"}}}}"#
        ));
        rules.push_str(&format!(":c{i} - [0:0]\n"));
    }
    nft.push_str("}\n");
    for i in 0..n {
        json.push_str(&format!(
            r#", {{"rule": {{"family": "ip", "table": "t", "chain": "c{i}", "expr": [{{"accept": null}}]}}}}"#
        ));
        rules.push_str(&format!("-A c{i} -p tcp -m tcp --dport 80 -j ACCEPT\n"));
    }
    json.push_str("]}\n");
    rules.push_str("COMMIT\n");
    for (name, text) in [
        ("many-chains.nft", nft),
        ("many-chains.json", json),
        ("many-chains.rules", rules),
    ] {
        let file = Scratch::new(name, text.as_bytes());
        let (out, took) = timed(&["show", file.path()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        println!("show of {name} ({n} chains, {n} rules): {took:?}");
        assert!(
            took < Duration::from_secs(30),
            "{name}: {took:?} for {n} chains: lookups are not indexed"
        );
    }
}

#[test]
fn many_tables_sets_and_objects_parse_in_linear_time() {
    // Like chains, tables, sets and objects were found by linear scans (50,000 tables: 28 s).
    let n = 50_000;
    let nft: String = (0..n).map(|i| format!("table ip t{i} {{\n}}\n")).collect();
    let mut json = String::from(r#"{"nftables": [{"table": {"family": "ip", "name": "t"}}"#);
    for i in 0..n {
        json.push_str(&format!(
            r#", {{"table": {{"family": "ip", "name": "t{i}"}}}}, {{"set": {{"family": "ip", "table": "t", "name": "s{i}", "type": "ipv4_addr"}}}}, {{"counter": {{"family": "ip", "table": "t", "name": "k{i}", "packets": 0, "bytes": 0}}}}"#
        ));
    }
    json.push_str("]}\n");
    for (name, text) in [("many-tables.nft", nft), ("many-tables.json", json)] {
        let file = Scratch::new(name, text.as_bytes());
        let (out, took) = timed(&["show", file.path()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        println!("show of {name} ({n} tables, sets and objects): {took:?}");
        assert!(
            took < Duration::from_secs(30),
            "{name}: {took:?}: lookups are not indexed"
        );
    }
}
