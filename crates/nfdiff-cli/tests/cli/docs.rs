//! `nfdiff completions` and `nfdiff man`, checked with the real consumers: bash loads the
//! completion script and completes a subcommand, `man -l` renders the page.

use std::process::Command;

use super::support::{nfdiff, stdout};

#[test]
fn bash_loads_the_completion_script_and_completes_subcommands() {
    let o = nfdiff(&["completions", "bash"], None);
    assert!(o.status.success(), "{o:?}");
    let script =
        std::env::temp_dir().join(format!("nfdiff-completion-{}.bash", std::process::id()));
    std::fs::write(&script, stdout(&o)).unwrap();
    // Ask the completion function what follows `nfdiff tr`, as bash would on <Tab>.
    let probe = format!(
        "source {}; complete -p nfdiff; COMP_WORDS=(nfdiff tr); COMP_CWORD=1; COMP_LINE='nfdiff tr'; COMP_POINT=9; _nfdiff nfdiff tr nfdiff; echo \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let b = Command::new("bash")
        .args(["-c", &probe])
        .output()
        .expect("bash");
    let _ = std::fs::remove_file(&script);
    let out = String::from_utf8_lossy(&b.stdout);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert!(out.contains("-F _nfdiff nfdiff"), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap_or("")
            .split(' ')
            .any(|w| w == "trace"),
        "{out}"
    );
    for shell in ["zsh", "fish"] {
        let o = nfdiff(&["completions", shell], None);
        assert!(
            o.status.success() && stdout(&o).contains("doctor"),
            "{shell}"
        );
    }
    // An unknown shell is a usage error.
    assert_eq!(
        nfdiff(&["completions", "tcsh"], None).status.code(),
        Some(2)
    );
}

#[test]
fn man_renders_the_page() {
    let o = nfdiff(&["man"], None);
    assert!(o.status.success(), "{o:?}");
    let page = std::env::temp_dir().join(format!("nfdiff-{}.1", std::process::id()));
    std::fs::write(&page, stdout(&o)).unwrap();
    let m = match Command::new("man")
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .args(["-P", "cat", "-l"])
        .arg(&page)
        .output()
    {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&page);
            println!("man page test skipped: `man` not available ({e}); scripts/setup.sh installs man-db");
            return;
        }
    };
    let _ = std::fs::remove_file(&page);
    // Undo overstriking (`N\x08N` for bold, `_\x08x` for underline).
    let mut text = String::new();
    for c in String::from_utf8_lossy(&m.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    for want in [
        "NAME",
        "SYNOPSIS",
        "nfdiff trace",
        "--iif",
        "nfdiff doctor",
        "EXIT STATUS",
    ] {
        assert!(
            text.contains(want),
            "no `{want}` in the rendered page:\n{text}"
        );
    }
    assert!(
        !String::from_utf8_lossy(&m.stderr).contains("warning"),
        "groff warnings: {}",
        String::from_utf8_lossy(&m.stderr)
    );
}

#[test]
fn install_script_puts_binary_completions_and_man_page_under_the_prefix() {
    let prefix = std::env::temp_dir().join(format!("nfdiff-install-{}", std::process::id()));
    let o = Command::new("bash")
        .arg(super::support::repo_root().join("scripts/install.sh"))
        .arg(&prefix)
        .env("NFDIFF_BIN", env!("CARGO_BIN_EXE_nfdiff"))
        .output()
        .expect("bash");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "bin/nfdiff",
        "share/bash-completion/completions/nfdiff",
        "share/zsh/site-functions/_nfdiff",
        "share/fish/vendor_completions.d/nfdiff.fish",
        "share/man/man1/nfdiff.1",
    ] {
        let p = prefix.join(f);
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 100, "{} missing or empty", p.display());
    }
    let _ = std::fs::remove_dir_all(&prefix);
}
