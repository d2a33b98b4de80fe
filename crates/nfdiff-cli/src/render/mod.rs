//! Renderers: turn report structs into text or JSON on any `io::Write`. They format, never compute.

pub mod show_json;
pub mod show_text;
pub mod trace_json;
#[cfg(test)]
mod trace_snapshots;
pub mod trace_text;
