//! `trace`/`reach --format json`: the library's wire documents ([`netfilter_model::wire`]).

use std::io::{self, Write};

use netfilter_model::trace::{ReachReport, TraceReport};
use netfilter_model::wire::{ReachJson, TraceJson};

/// Writes a trace report as one JSON object.
pub fn write_trace(out: &mut impl Write, rep: &TraceReport) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &TraceJson::new(rep))?;
    writeln!(out)
}

/// Writes a reach report as `{"schema_version", "classes": [...]}`.
pub fn write_reach(out: &mut impl Write, rep: &ReachReport) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &ReachJson::new(rep))?;
    writeln!(out)
}
