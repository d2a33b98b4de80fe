//! `read_live_nft`: one consistent dump of the running kernel's nf_tables, as the model.

use super::assemble::assemble;
use super::dump::dump_ruleset;
use super::ipset::ipset_names;
use crate::error::Result;
use crate::model::Ruleset;

/// Reads every nf_tables table of every family from the running kernel (network namespace
/// of the calling thread) into the normalized model. Needs CAP_NET_ADMIN; without it the
/// error says so. Only GET requests are sent.
pub fn read_live_nft() -> Result<Ruleset> {
    let raw = dump_ruleset()?;
    let names = ipset_names(&raw);
    Ok(assemble(&raw, "live:nft", &names))
}
