//! `diff --format json`: the library's wire document ([`netfilter_model::wire::DiffJson`]).

use std::io::{self, Write};

use netfilter_model::diff::RulesetDiff;
use netfilter_model::wire::DiffJson;

use super::diff_view::DiffView;

/// Writes the diff as one JSON object.
pub fn write(out: &mut impl Write, d: &RulesetDiff, v: &DiffView) -> io::Result<()> {
    let doc = DiffJson::new(d, &v.old_label, &v.new_label, v.all);
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
