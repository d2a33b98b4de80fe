//! `doctor --format json`: the library's wire document ([`netfilter_model::wire::DoctorJson`]).

use std::io::Write;

use netfilter_model::doctor::DoctorReport;
use netfilter_model::wire::DoctorJson;

/// Writes the report as JSON.
pub fn write(out: &mut impl Write, r: &DoctorReport) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &DoctorJson::new(r))?;
    writeln!(out)?;
    Ok(())
}
