//! `nfdiff completions SHELL` and `nfdiff man`: generated from the clap definitions, so they
//! never drift from the arguments the binary accepts.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Args;

/// Writes the completion script for `shell`.
pub fn write_completions(out: &mut impl Write, shell: Shell) -> Result<()> {
    let mut cmd = Args::command();
    clap_complete::generate(shell, &mut cmd, "nfdiff", out);
    Ok(())
}

/// Writes the man page `nfdiff(1)` in roff, one section per subcommand.
pub fn write_man(out: &mut impl Write) -> Result<()> {
    let cmd = Args::command();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    // Each subcommand with its own synopsis and options, as `man git-…` readers expect to
    // find them, but in one page.
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        writeln!(out, ".SS \"nfdiff {name}\"")?;
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            writeln!(out, "{}", roff_escape(&about.to_string()))?;
        }
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(format!("nfdiff {name}")));
        let mut buf = Vec::new();
        sub_man.render_synopsis_section(&mut buf)?;
        sub_man.render_options_section(&mut buf)?;
        // Demote the subcommand's own section headings to plain paragraphs.
        let text = String::from_utf8_lossy(&buf).replace(".SH ", ".TP\n.B ");
        out.write_all(text.as_bytes())?;
    }
    man.render_extra_section(out)?;
    man.render_version_section(out)?;
    writeln!(out, ".SH EXIT STATUS")?;
    writeln!(
        out,
        "0: success (for diff, no differences; for doctor, no findings).\n.br\n\
         1: diff found differences, doctor found findings.\n.br\n\
         2: bad input, bad arguments or a failure to read."
    )?;
    Ok(())
}

/// Escapes text for roff: a leading `.` or `'` would start a request, `\\` an escape.
fn roff_escape(s: &str) -> String {
    s.lines()
        .map(|l| {
            let l = l.replace('\\', "\\e");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_name_every_subcommand() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut out = Vec::new();
            write_completions(&mut out, shell).unwrap();
            let text = String::from_utf8(out).unwrap();
            for sub in [
                "show", "diff", "trace", "reach", "doctor", "snapshot", "fleet",
            ] {
                assert!(text.contains(sub), "{shell}: no `{sub}`");
            }
        }
    }

    #[test]
    fn man_page_has_every_subcommand_and_the_exit_statuses() {
        let mut out = Vec::new();
        write_man(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH nfdiff"),
            "{}",
            &text[..200]
        );
        for sub in ["show", "diff", "trace", "reach", "doctor"] {
            assert!(text.contains(&format!(".SS \"nfdiff {sub}\"")), "no {sub}");
        }
        assert!(text.contains(".SH EXIT STATUS"));
        assert_eq!(roff_escape(".x\n'y\\z"), "\\&.x\n\\&'y\\ez");
    }
}
