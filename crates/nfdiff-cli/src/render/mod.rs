//! Renderers: turn report structs into text, JSON or Markdown on any `io::Write`. They format, never compute.

pub mod classes_json;
pub mod classes_text;
pub mod diff_json;
pub mod diff_markdown;
pub mod diff_text;
pub mod diff_view;
pub mod doctor_json;
pub mod doctor_prometheus;
pub mod doctor_text;
pub mod dot;
pub mod dot_chain;
pub mod dot_trace;
pub mod fleet_json;
pub mod fleet_markdown;
pub mod fleet_text;
pub mod html;
pub mod html_diff;
pub mod html_doctor;
pub mod pretty;
pub mod reach_space_json;
pub mod reach_space_text;
pub mod semantic_diff_json;
#[cfg(test)]
mod semantic_diff_tests;
pub mod semantic_diff_text;
pub mod show_json;
pub mod show_stream;
#[cfg(test)]
mod show_stream_tests;
pub mod show_text;
pub mod style;
pub mod svg_path;

#[cfg(test)]
mod diff_tests;
pub mod trace_json;
#[cfg(test)]
mod trace_snapshots;
pub mod trace_text;
