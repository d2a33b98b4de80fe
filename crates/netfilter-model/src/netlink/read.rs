//! `read_live_nft`: one consistent dump of the running kernel's nf_tables, as the model.

use super::assemble::assemble;
use super::dump::dump_ruleset;
use super::ipset::ipset_names;
use crate::error::{Error, Result};
use crate::model::{Ruleset, Warning};

/// Reads every nf_tables table of every family from the running kernel (network namespace
/// of the calling thread) into the normalized model. Needs CAP_NET_ADMIN; without it the
/// error says so. Only GET requests are sent. A kernel without nf_tables gives an empty
/// ruleset with a warning.
pub fn read_live_nft() -> Result<Ruleset> {
    let raw = match dump_ruleset() {
        Ok(raw) => raw,
        Err(Error::Netlink { error, .. })
            if matches!(
                error.raw_os_error(),
                Some(libc::EPROTONOSUPPORT | libc::EOPNOTSUPP | libc::EAFNOSUPPORT)
            ) =>
        {
            return Ok(Ruleset {
                tables: Vec::new(),
                warnings: vec![Warning {
                    kind: "nft-unavailable".into(),
                    source: "live:nft".into(),
                    line: None,
                    message: format!("this kernel does not offer nf_tables ({error})"),
                }],
            });
        }
        Err(e) => return Err(e),
    };
    let names = ipset_names(&raw);
    Ok(assemble(raw, "live:nft", &names))
}
