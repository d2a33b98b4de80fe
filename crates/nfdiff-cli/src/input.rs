//! Reads command-line sources (files, stdin, live) into one ruleset.

use std::io::Read;

use anyhow::{bail, Context, Result};
use netfilter_model::model::{Backend, Ruleset};
use netfilter_model::parse::{parse_text, ParseOptions, SourceSpec};

/// Reads every source and merges them into one ruleset, in order.
pub fn load_sources(sources: &[SourceSpec]) -> Result<Ruleset> {
    let mut all = Ruleset::default();
    let mut stdin_used = false;
    for spec in sources {
        let rs = match spec {
            SourceSpec::File { path, backend } => {
                let (text, opts) = read_source_text(path, *backend, &mut stdin_used)?;
                parse_text(&text, &opts)?
            }
            SourceSpec::Live { backend } => read_live(*backend)?,
            _ => bail!("unsupported source {spec:?}"),
        };
        all.extend(rs);
    }
    Ok(all)
}

/// Reads a file source (`-` is standard input, readable once) and the options to parse it with.
pub fn read_source_text(
    path: &str,
    backend: Option<Backend>,
    stdin_used: &mut bool,
) -> Result<(String, ParseOptions)> {
    let text = if path == "-" {
        if *stdin_used {
            bail!("standard input (`-`) can be read only once");
        }
        *stdin_used = true;
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        lossy_text(bytes)
    } else {
        read_file(path)?
    };
    Ok((text, file_options(path, backend)))
}

/// How a file source (`-` is standard input) is parsed: its display name and backend.
pub fn file_options(path: &str, backend: Option<Backend>) -> ParseOptions {
    ParseOptions::new(display_name(path, backend)).with_backend(backend)
}

/// Reads the running kernel: nf_tables over netlink (feature `netlink`) and/or legacy x_tables.
fn read_live(backend: Option<Backend>) -> Result<Ruleset> {
    let mut rs = Ruleset::default();
    if backend != Some(Backend::Legacy) {
        rs.extend(read_live_nft()?);
    }
    if backend != Some(Backend::Nft) {
        rs.extend(netfilter_model::legacy::read_live_legacy()?);
    }
    Ok(rs)
}

#[cfg(feature = "netlink")]
fn read_live_nft() -> Result<Ruleset> {
    Ok(netfilter_model::netlink::read_live_nft()?)
}

#[cfg(not(feature = "netlink"))]
fn read_live_nft() -> Result<Ruleset> {
    bail!(
        "live:nft: this nfdiff was built without the `netlink` feature (libnftnl/libmnl); \
         rebuild with default features, or use live:legacy or a saved dump"
    )
}

fn display_name(path: &str, backend: Option<Backend>) -> String {
    let p = if path == "-" { "<stdin>" } else { path };
    match backend {
        Some(b) => format!("{b}:{p}"),
        None => p.to_string(),
    }
}

/// Reads a file as text; invalid UTF-8 is replaced rather than refused, so a dump
/// with one stray byte in a comment still parses (the parser reports what it cannot read).
pub(crate) fn read_file(path: &str) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {path}"))?;
    Ok(lossy_text(bytes))
}

/// Bytes as text, each invalid UTF-8 sequence replaced by U+FFFD (files and stdin alike).
fn lossy_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}
