//! Runs a validated mode: library calls, then a renderer.

use std::io::{self, BufWriter, Write};

use anyhow::Result;
use clap::Parser;
use netfilter_model::trace::TraceOptions;

use crate::args::{Args, OutputFormat};
use crate::exit::{self, Status};
use crate::input::load_sources;
use crate::mode::Mode;
use crate::render;

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
        Mode::Trace {
            sources,
            packet,
            format,
        } => {
            let rs = load_sources(&sources)?;
            let rep = netfilter_model::trace::trace(&rs, &packet, &TraceOptions::default())?;
            match format {
                OutputFormat::Text => render::trace_text::write_trace(&mut out, &packet, &rep)?,
                OutputFormat::Json => render::trace_json::write_trace(&mut out, &rep)?,
            }
            exit::SUCCESS
        }
        Mode::Reach {
            sources,
            pattern,
            packet,
            format,
        } => {
            let rs = load_sources(&sources)?;
            let rep =
                netfilter_model::trace::reach(&rs, &pattern, &packet, &TraceOptions::default())?;
            match format {
                OutputFormat::Text => {
                    render::trace_text::write_reach(&mut out, &pattern, &packet, &rep)?
                }
                OutputFormat::Json => render::trace_json::write_reach(&mut out, &rep)?,
            }
            exit::SUCCESS
        }
    };
    out.flush()?;
    Ok(status)
}
