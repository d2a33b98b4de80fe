//! Runs a validated mode: library calls, then a renderer.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use clap::Parser;
use netfilter_model::diff::{diff_rulesets, RulesetDiff};
use netfilter_model::model::Ruleset;
use netfilter_model::parse::{parse_text, IptablesSaveStream, SourceSpec};
use netfilter_model::trace::TraceOptions;

use crate::args::{Args, DiffFormat, GraphFormat, OutputFormat};
use crate::exit::{self, Status};
use crate::input::{file_options, load_sources, read_source_text};
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
    // 64 KiB: outputs of big rulesets run to tens of megabytes; fewer write calls.
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let status = match mode {
        Mode::Show {
            sources,
            format: OutputFormat::Json,
        } if matches!(sources.as_slice(), [SourceSpec::File { .. }]) => {
            show_one_file_json(&mut out, &sources[0])?;
            exit::SUCCESS
        }
        Mode::Show { sources, format } => {
            let rs = load_sources(&sources)?;
            match format {
                OutputFormat::Text => render::show_text::write(&mut out, &rs)?,
                OutputFormat::Json => render::show_json::write(&mut out, &rs)?,
            }
            exiting_without_drop(rs);
            exit::SUCCESS
        }
        Mode::SemanticDiff(req) => crate::semantic_diff_cmd::semantic_diff(&mut out, req)?,
        Mode::ShowChainGraph { sources, chain } => {
            let rs = load_sources(&sources)?;
            if !render::dot_chain::write(&mut out, &rs, &chain)? {
                anyhow::bail!("no table has a chain named `{chain}`");
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
            // OLD and NEW are read and parsed at the same time, on two threads; standard
            // input (`-`) is read by at most one of them (the other is a file or live).
            let (old_rs, new_rs) = std::thread::scope(|s| {
                let old_job = s.spawn(|| load_sources(std::slice::from_ref(&old)));
                let new_rs = load_sources(std::slice::from_ref(&new));
                let old_rs = old_job
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (old_rs, new_rs)
            });
            let old_rs = old_rs.with_context(|| format!("reading OLD ({old_label})"))?;
            let new_rs = new_rs.with_context(|| format!("reading NEW ({new_label})"))?;
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
                DiffFormat::Html => render::html_diff::write(&mut out, &d, &view)?,
            }
            let status = diff_status(&d);
            exiting_without_drop((old_rs, new_rs, d));
            status
        }
        Mode::Trace {
            sources,
            mut packet,
            format,
        } => {
            let rs = load_sources(&sources)?;
            crate::node_addrs::fill_local_addrs(&mut packet, &sources)?;
            let rep = netfilter_model::trace::trace(&rs, &packet, &TraceOptions::default())?;
            match format {
                GraphFormat::Text => render::trace_text::write_trace(&mut out, &packet, &rep)?,
                GraphFormat::Json => render::trace_json::write_trace(&mut out, &rep)?,
                GraphFormat::Dot => render::dot_trace::write(&mut out, &rs, &packet, &rep)?,
            }
            exiting_without_drop((rs, rep));
            exit::SUCCESS
        }
        Mode::Reach {
            sources,
            pattern,
            mut packet,
            format,
        } => {
            let rs = load_sources(&sources)?;
            crate::node_addrs::fill_local_addrs(&mut packet, &sources)?;
            let rep =
                netfilter_model::trace::reach(&rs, &pattern, &packet, &TraceOptions::default())?;
            match format {
                OutputFormat::Text => {
                    render::trace_text::write_reach(&mut out, &pattern, &packet, &rep)?
                }
                OutputFormat::Json => render::trace_json::write_reach(&mut out, &rep)?,
            }
            exiting_without_drop((rs, rep));
            exit::SUCCESS
        }
        Mode::Classes {
            sources,
            query,
            format,
        } => crate::classes_cmd::classes(&mut out, &sources, &query, format)?,
        Mode::ReachSpace {
            sources,
            pattern,
            query,
            format,
        } => {
            let rs = load_sources(&sources)?;
            crate::reach_space::run(&mut out, &rs, &pattern, &query, format)?;
            exiting_without_drop(rs);
            exit::SUCCESS
        }
        Mode::Doctor { sources, format } => crate::doctor_cmd::doctor(&mut out, &sources, format)?,
        Mode::Snapshot { output, sources } => crate::doctor_cmd::snapshot(&output, &sources)?,
        Mode::Fleet {
            sources,
            format,
            jobs,
            save_fingerprints,
        } => crate::fleet_cmd::fleet(
            &mut out,
            &sources,
            format,
            jobs,
            save_fingerprints.as_deref(),
        )?,
        Mode::Serve {
            listen,
            legacy_poll,
        } => crate::serve::serve(&listen, legacy_poll)?,
        Mode::Completions { shell } => {
            crate::docs_cmd::write_completions(&mut out, shell)?;
            exit::SUCCESS
        }
        Mode::Man => {
            crate::docs_cmd::write_man(&mut out)?;
            exit::SUCCESS
        }
        Mode::Watch { legacy_poll, color } => {
            let no_color = std::env::var_os("NO_COLOR");
            let color = use_color(color, io::stdout().is_terminal(), no_color.as_deref());
            crate::watch::watch(&mut out, legacy_poll, color)?
        }
    };
    out.flush()?;
    Ok(status)
}

/// Leaves a large value to the end of the process instead of freeing it piece by piece:
/// dropping a 10^5-rule ruleset is millions of frees, and the process exits right after.
/// `show --format json` of one file: an iptables-save dump in the usual shape is written
/// chain by chain as it is parsed, holding one chain's rules at a time (a 10^5-rule model is
/// about ten times the size of its text; a file is not even held whole). Anything else is
/// parsed whole first. Both give the same bytes. A parse error part-way leaves what was
/// written before it, and exits 2.
fn show_one_file_json(out: &mut impl Write, spec: &SourceSpec) -> Result<()> {
    let SourceSpec::File { path, backend } = spec else {
        anyhow::bail!("not a file source: {spec:?}");
    };
    if path != "-" {
        let opts = file_options(path, *backend);
        if let Some(stream) = IptablesSaveStream::open(Path::new(path), &opts)? {
            return render::show_stream::write_stream(out, stream);
        }
    }
    let (text, opts) = read_source_text(path, *backend, &mut false)?;
    if let Some(stream) = IptablesSaveStream::new(&text, &opts) {
        return render::show_stream::write_stream(out, stream);
    }
    let mut rs = Ruleset::default();
    rs.extend(parse_text(&text, &opts)?);
    render::show_json::write(out, &rs)?;
    exiting_without_drop(rs);
    Ok(())
}

/// Leaves `value` to the process's exit: freeing a 10^5-10^6-rule model piece by piece takes
/// longer than the kernel's tear-down of the whole address space.
fn exiting_without_drop<T>(value: T) {
    std::mem::forget(value);
}

/// `diff`'s exit status: 0 when nothing comparable differs, 1 otherwise.
fn diff_status(d: &RulesetDiff) -> Status {
    if d.equal {
        exit::SUCCESS
    } else {
        exit::DIFFERENT
    }
}

#[cfg(test)]
mod tests {
    use netfilter_model::diff::DiffOptions;
    use netfilter_model::model::{Backend, Chain, Family, Rule, Ruleset, Table, Verdict};

    use super::*;

    fn rs(backend: Backend, verdict: Verdict, lossy: bool) -> Ruleset {
        let mut t = Table::new(backend, Family::Ip, "filter");
        let mut c = Chain::new("c", None);
        let mut r = Rule::new(Vec::new(), Vec::new(), Some(verdict));
        if lossy {
            r.lossy.push("comment dropped".into());
        } else {
            r.comment = Some("x".into());
        }
        c.rules.push(r);
        t.chains.push(c);
        Ruleset {
            tables: vec![t],
            warnings: Vec::new(),
        }
    }

    #[test]
    fn exit_status_of_diff() {
        let o = DiffOptions::default();
        let a = rs(Backend::Legacy, Verdict::Accept, false);
        let same = rs(Backend::Nft, Verdict::Accept, false);
        let lossy = rs(Backend::Nft, Verdict::Accept, true);
        let other = rs(Backend::Nft, Verdict::Drop, false);
        assert_eq!(diff_status(&diff_rulesets(&a, &same, &o)), exit::SUCCESS);
        assert_eq!(diff_status(&diff_rulesets(&a, &lossy, &o)), exit::SUCCESS);
        assert_eq!(diff_status(&diff_rulesets(&a, &other, &o)), exit::DIFFERENT);
        assert_eq!(exit::ERROR, Status(2));
    }
}
