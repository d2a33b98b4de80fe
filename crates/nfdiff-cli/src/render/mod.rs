//! Renderers: turn report structs into text or JSON on any `io::Write`. They format, never compute.

pub mod show_json;
pub mod show_text;
