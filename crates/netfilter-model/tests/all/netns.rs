//! Running test code inside a fresh network namespace: the outer test re-executes this test
//! binary under `unshare -n` to run one `#[ignore]`d inner test there.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Set in the environment of the re-executed test binary; inner tests do nothing without it.
pub const CHILD_ENV: &str = "NFDIFF_NETNS_CHILD";

/// Whether this process is the re-executed child inside the scratch namespace.
pub fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs the inner test `name` (full path, e.g. `live::inner_native_nft`) in a fresh network
/// namespace: `unshare -n [wrapper...] <this test binary> --exact NAME --ignored`.
/// `unshare_flags` adds flags such as `-m`; `wrapper` runs between unshare and the binary
/// (e.g. `setpriv ...` or `sh -c '...; exec "$0" "$@"'`). Returns `None` (after saying why)
/// when not root or when `unshare` fails.
pub fn run_inner(name: &str, unshare_flags: &[&str], wrapper: &[&str]) -> Option<Output> {
    if !is_root() {
        eprintln!(
            "skipping {name}: kernel tests need root (they run in a fresh network namespace)"
        );
        return None;
    }
    if !Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipping {name}: `unshare -n` does not work here");
        return None;
    }
    let exe = std::env::current_exe().expect("test binary path");
    // A hung kernel read must fail the test, not hang it: at most 5 minutes per inner test.
    let started = std::time::Instant::now();
    let out = Command::new("timeout")
        .args(["300", "unshare", "-n"])
        .args(unshare_flags)
        .args(wrapper)
        .arg(&exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run unshare");
    eprintln!(
        "{name}: {:.2} s in its namespace",
        started.elapsed().as_secs_f64()
    );
    Some(out)
}

/// Runs an inner test and asserts that it passed (and really ran).
pub fn assert_inner_passes(name: &str, unshare_flags: &[&str], wrapper: &[&str]) {
    let Some(out) = run_inner(name, unshare_flags, wrapper) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "inner test {name} failed in its namespace\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // The inner test's own notes (figures, skips), visible with `--nocapture`.
    eprint!("{stderr}");
}

/// Refuses to go on unless the namespace's nf_tables ruleset is empty (a fresh namespace),
/// so an inner test run by hand can never touch a real ruleset.
pub fn assert_fresh_namespace() {
    let out = Command::new("nft")
        .args(["list", "ruleset"])
        .output()
        .expect("run nft");
    assert!(
        out.stdout.iter().all(u8::is_ascii_whitespace),
        "refusing to run: this network namespace already has an nf_tables ruleset"
    );
}

/// Runs a shell command in the (scratch) namespace and asserts success.
pub fn sh(cmd: &str) {
    let out = Command::new("sh")
        .args(["-c", cmd])
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "`{cmd}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
