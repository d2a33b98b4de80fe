//! Runs a validated mode: library calls, then a renderer.

use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::{Context, Result};
use clap::Parser;
use netfilter_model::diff::diff_rulesets;

use crate::args::{Args, DiffFormat, OutputFormat};
use crate::exit::{self, Status};
use crate::input::load_sources;
use crate::mode::Mode;
use crate::render;
use crate::render::diff_view::DiffView;
use crate::render::style::use_color;

/// Parses arguments, runs the mode, returns the exit status.
pub fn run() -> Result<Status> {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::SUCCESS
            };
            e.print()?;
            return Ok(code);
        }
    };
    let mode = Mode::from_args(args)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let status = match mode {
        Mode::Show { sources, format } => {
            let rs = load_sources(&sources)?;
            match format {
                OutputFormat::Text => render::show_text::write(&mut out, &rs)?,
                OutputFormat::Json => render::show_json::write(&mut out, &rs)?,
            }
            exit::SUCCESS
        }
        Mode::Diff {
            old,
            new,
            old_label,
            new_label,
            format,
            options,
            all,
            context,
            color,
        } => {
            let old_rs = load_sources(std::slice::from_ref(&old))
                .with_context(|| format!("reading OLD ({old_label})"))?;
            let new_rs = load_sources(std::slice::from_ref(&new))
                .with_context(|| format!("reading NEW ({new_label})"))?;
            let d = diff_rulesets(&old_rs, &new_rs, &options);
            let no_color = std::env::var_os("NO_COLOR");
            let view = DiffView {
                old_label,
                new_label,
                all,
                context,
                color: use_color(color, io::stdout().is_terminal(), no_color.as_deref()),
            };
            match format {
                DiffFormat::Text => render::diff_text::write(&mut out, &d, &view)?,
                DiffFormat::Json => render::diff_json::write(&mut out, &d, &view)?,
                DiffFormat::Markdown => render::diff_markdown::write(&mut out, &d, &view)?,
            }
            if d.equal {
                exit::SUCCESS
            } else {
                exit::DIFFERENT
            }
        }
    };
    out.flush()?;
    Ok(status)
}
