//! Source specifications (`[legacy:|nft:]PATH`, `live`, ...) and reading text of any format.

use crate::error::{Error, Result};
use crate::model::{Backend, Ruleset};

use super::options::ParseOptions;
use super::sniff::{sniff_format, Format};

/// Where a ruleset comes from, as the command line spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceSpec {
    /// A file (`-` is standard input), with an optional backend override.
    File {
        /// Path, or `-`.
        path: String,
        /// Backend forced by a `legacy:` or `nft:` prefix.
        backend: Option<Backend>,
    },
    /// The running kernel; `None` reads both backends.
    Live {
        /// Only this backend, when given.
        backend: Option<Backend>,
    },
}

impl SourceSpec {
    /// Parses `legacy:PATH`, `nft:PATH`, `PATH`, `-`, `live`, `live:nft`, `live:legacy`.
    pub fn parse(spec: &str) -> Result<SourceSpec> {
        let invalid = |reason: &str| Error::InvalidSource {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        if spec.is_empty() {
            return Err(invalid("empty source"));
        }
        match spec {
            "live" => return Ok(SourceSpec::Live { backend: None }),
            "live:nft" => {
                return Ok(SourceSpec::Live {
                    backend: Some(Backend::Nft),
                })
            }
            "live:legacy" => {
                return Ok(SourceSpec::Live {
                    backend: Some(Backend::Legacy),
                })
            }
            _ => {}
        }
        if let Some(rest) = spec.strip_prefix("live:") {
            return Err(invalid(&format!(
                "unknown live backend `{rest}`; use live, live:nft or live:legacy"
            )));
        }
        let (backend, path) = if let Some(p) = spec.strip_prefix("legacy:") {
            (Some(Backend::Legacy), p)
        } else if let Some(p) = spec.strip_prefix("nft:") {
            (Some(Backend::Nft), p)
        } else {
            (None, spec)
        };
        if path.is_empty() {
            return Err(invalid("missing path after the backend prefix"));
        }
        Ok(SourceSpec::File {
            path: path.to_string(),
            backend,
        })
    }
}

/// Parses text of any supported format, sniffing which one it is.
pub fn parse_text(text: &str, opts: &ParseOptions) -> Result<Ruleset> {
    match sniff_format(text) {
        Some(Format::IptablesSave) => super::parse_iptables_save(text, opts),
        Some(Format::NftText) => super::parse_nft_text(text, opts),
        Some(Format::NftJson) => super::parse_nft_json(text, opts),
        Some(Format::Snapshot) => Ok(crate::snapshot::read_snapshot(text, opts)?.0),
        None => Err(Error::UnknownFormat {
            source_name: opts.source_name.to_string(),
            reason: "expected iptables-save output (`*filter` ... `COMMIT`), `nft list ruleset` \
                     text (`table ip filter {`), `nft -j list ruleset` JSON or an nfdiff snapshot"
                .to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_source_specs() {
        assert_eq!(
            SourceSpec::parse("legacy:/tmp/x").unwrap(),
            SourceSpec::File {
                path: "/tmp/x".into(),
                backend: Some(Backend::Legacy)
            }
        );
        assert_eq!(
            SourceSpec::parse("-").unwrap(),
            SourceSpec::File {
                path: "-".into(),
                backend: None
            }
        );
        assert_eq!(
            SourceSpec::parse("live:nft").unwrap(),
            SourceSpec::Live {
                backend: Some(Backend::Nft)
            }
        );
        assert!(SourceSpec::parse("live:foo").is_err());
        assert!(SourceSpec::parse("nft:").is_err());
    }

    #[test]
    fn empty_input_is_an_empty_ruleset_with_a_warning() {
        for text in ["", "\n\n", "# nothing here\n"] {
            let rs = parse_text(text, &ParseOptions::new("empty")).unwrap();
            assert!(rs.tables.is_empty());
            assert_eq!(rs.warnings.len(), 1, "{text:?}");
            assert_eq!(rs.warnings[0].kind, "empty-input");
        }
        // Junk is still rejected.
        assert!(parse_text("hello\n", &ParseOptions::new("junk")).is_err());
    }
}
