//! Parser for `iptables-save` / `ip6tables-save` output (placeholder until the parser lands).

use crate::error::{Error, Result};
use crate::model::Ruleset;

use super::options::ParseOptions;

/// Parses iptables-save text into a normalized ruleset.
pub fn parse_iptables_save(_text: &str, opts: &ParseOptions) -> Result<Ruleset> {
    Err(Error::Unsupported {
        what: opts.source_name.to_string(),
        reason: "the iptables-save parser is not built yet".into(),
    })
}
