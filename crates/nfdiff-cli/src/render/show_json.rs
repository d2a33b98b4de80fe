//! JSON rendering of a normalized ruleset through dedicated view types (the wire format).

use std::io::{self, Write};

use netfilter_model::model::Ruleset;

/// Writes the ruleset as JSON.
pub fn write(out: &mut impl Write, rs: &Ruleset) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, rs)?;
    writeln!(out)
}
