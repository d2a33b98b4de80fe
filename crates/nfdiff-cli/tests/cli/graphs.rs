//! `--format dot` of `trace` and `show --chain`: snapshotted, and rendered by Graphviz's own
//! `dot -Tsvg` (Debian's graphviz, installed by scripts/setup.sh), which must accept it.

use std::io::Write;
use std::process::{Command, Stdio};

use super::support::{nfdiff, repo_root, stdout};

/// Renders DOT with Graphviz and returns the SVG, or `None` (with a message) without `dot`.
fn render_svg(dot: &str) -> Option<String> {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("graphviz check skipped: `dot` not available ({e}); scripts/setup.sh installs graphviz");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && err.trim().is_empty(),
        "dot -Tsvg: {err}"
    );
    // Graphviz writes `-` as `&#45;` in SVG text.
    Some(String::from_utf8_lossy(&o.stdout).replace("&#45;", "-"))
}

fn incident(f: &str) -> String {
    repo_root()
        .join("testdata/incident")
        .join(f)
        .display()
        .to_string()
}

#[test]
fn trace_dot_shows_both_backends_the_path_and_the_deciding_rule() {
    let (legacy, nft) = (incident("legacy.save"), incident("nft.save"));
    let o = nfdiff(
        &[
            "trace",
            &legacy,
            &nft,
            "--iif",
            "cali9f8e7d6c5b4",
            "--oif",
            "eth1",
            "--src",
            "10.244.1.9",
            "--dst",
            "192.168.50.2",
            "--proto",
            "udp",
            "--dport",
            "5009",
            "--format",
            "dot",
        ],
        None,
    );
    assert!(o.status.success(), "{o:?}");
    let dot = stdout(&o);
    insta::assert_snapshot!("trace_incident_dot", dot);
    if let Some(svg) = render_svg(&dot) {
        for want in [
            "cali-from-wl-dispatch",
            "DROP (deciding rule)",
            "legacy ip filter",
            "nft ip filter",
            "1 prerouting",
            "2 forward",
        ] {
            assert!(svg.contains(want), "no `{want}` in the SVG");
        }
    }
}

#[test]
fn trace_dot_draws_alternatives_dashed() {
    // Two nft base chains at one priority: one marks, one drops what is marked; which runs
    // first is not in the listing, so the other order is an alternative.
    let rules = "table ip t {\n\
        chain m { type filter hook forward priority 0; policy accept; meta mark set 0x7; }\n\
        chain d { type filter hook forward priority 0; policy accept; meta mark 0x7 drop comment \"<b>marked</b> \\\"x\\\"\"; }\n}\n";
    let o = nfdiff(
        &[
            "trace", "-", "--iif", "eth0", "--oif", "eth1", "--src", "10.0.0.1", "--dst",
            "10.0.0.2", "--format", "dot",
        ],
        Some(rules),
    );
    assert!(o.status.success(), "{o:?}");
    let dot = stdout(&o);
    assert!(dot.contains("style=dashed"), "{dot}");
    insta::assert_snapshot!("trace_alternatives_dot", dot);
    if let Some(svg) = render_svg(&dot) {
        assert!(svg.contains("alternative: "), "{svg}");
        // The comment is text in the picture, escaped, not markup.
        assert!(svg.contains("&lt;b&gt;marked&lt;/b&gt;"), "{svg}");
    }
}

#[test]
fn show_chain_dot_is_the_jump_graph_with_rule_counts() {
    let o = nfdiff(
        &[
            "show",
            &incident("legacy.save"),
            "--chain",
            "cali-FORWARD",
            "--format",
            "dot",
        ],
        None,
    );
    assert!(o.status.success(), "{o:?}");
    let dot = stdout(&o);
    insta::assert_snapshot!("show_chain_dot", dot);
    if let Some(svg) = render_svg(&dot) {
        assert!(svg.contains("cali-from-wl-dispatch"), "{svg}");
        assert!(svg.contains(" rules"), "{svg}");
    }
    // A chain no table has, and the flags' misuse, are errors.
    let missing = nfdiff(
        &[
            "show",
            &incident("legacy.save"),
            "--chain",
            "nope",
            "--format",
            "dot",
        ],
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no table has a chain named `nope`"));
    let no_chain = nfdiff(&["show", &incident("legacy.save"), "--format", "dot"], None);
    assert_eq!(no_chain.status.code(), Some(2));
    let no_dot = nfdiff(&["show", &incident("legacy.save"), "--chain", "x"], None);
    assert_eq!(no_dot.status.code(), Some(2));
}
