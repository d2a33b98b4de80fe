//! Source specifications (`[legacy:|nft:]PATH`, `live`, ...) and reading text of any format.

use crate::error::{Error, ParseError, Position, Result};
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

/// What every "cannot tell the format" error says was expected.
const EXPECTED_FORMATS: &str = "expected iptables-save output (`*filter` ... `COMMIT`), \
     `nft list ruleset` text (`table ip filter {`), `nft -j list ruleset` JSON or an nfdiff snapshot";

/// Parses text of any supported format, sniffing which one it is.
///
/// Binary data (a NUL byte, which no listing contains) and text of no known format are
/// positioned [`ParseError`]s like any other bad input. Empty or comment-only text is what
/// `nft list ruleset` prints for an empty ruleset: it reads as one, with an `empty-input`
/// warning (see [`sniff_format`]).
pub fn parse_text(text: &str, opts: &ParseOptions) -> Result<Ruleset> {
    if let Some(at) = text.find('\0') {
        return Err(positioned(
            text,
            at,
            opts,
            "binary data: a NUL byte, which no ruleset listing contains; this is not text \
             (a compressed or binary file?)"
                .to_string(),
        ));
    }
    match sniff_format(text) {
        Some(Format::IptablesSave) => super::parse_iptables_save(text, opts),
        Some(Format::NftText) => super::parse_nft_text(text, opts),
        Some(Format::NftJson) => super::parse_nft_json(text, opts),
        Some(Format::Snapshot) => Ok(crate::snapshot::read_snapshot(text, opts)?.0),
        None => Err(unknown_format(text, opts)),
    }
}

/// Parses bytes of any supported format (see [`parse_text`]): input that is not UTF-8 is a
/// positioned error at its first bad byte, naming the source.
pub fn parse_bytes(bytes: &[u8], opts: &ParseOptions) -> Result<Ruleset> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_text(text, opts),
        Err(e) => {
            let at = e.valid_up_to();
            let good = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
            Err(positioned(
                good,
                at,
                opts,
                format!(
                    "not UTF-8: byte 0x{:02x} cannot start or continue a character (a listing is \
                     UTF-8 text; a file in another encoding or a binary file?)",
                    bytes[at]
                ),
            ))
        }
    }
}

/// The error for text no parser recognises, at its first line that is not blank or a comment.
fn unknown_format(text: &str, opts: &ParseOptions) -> Error {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim();
        if !l.is_empty() && !l.starts_with('#') {
            let start = offset + (line.len() - line.trim_start().len());
            let shown: String = l.chars().take(60).collect();
            let more = if l.chars().count() > 60 { "..." } else { "" };
            if l.starts_with("Chain ") && (l.contains("(policy") || l.contains("references)")) {
                return positioned(
                    text,
                    start,
                    opts,
                    format!(
                        "cannot tell the format from `{shown}{more}`: this looks like \
                         `iptables -L` output, which leaves out details nfdiff needs; \
                         {EXPECTED_FORMATS} (run `iptables-save` instead)"
                    ),
                );
            }
            return positioned(
                text,
                start,
                opts,
                format!("cannot tell the format from `{shown}{more}`: {EXPECTED_FORMATS}"),
            );
        }
        offset += line.len();
    }
    let what = if text.trim().is_empty() {
        "the input is empty"
    } else {
        "the input holds only comments"
    };
    positioned(
        text,
        text.len(),
        opts,
        format!("cannot tell the format: {what}; {EXPECTED_FORMATS}"),
    )
}

/// A parse error at byte offset `at` of `text` (1-based line and column in characters).
pub(super) fn positioned(text: &str, at: usize, opts: &ParseOptions, message: String) -> Error {
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    Error::Parse(ParseError {
        source_name: opts.source_name.to_string(),
        position: Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        },
        message,
        context: None,
    })
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

    fn parse_error(text: &str) -> ParseError {
        match parse_text(text, &ParseOptions::new("in")) {
            Err(Error::Parse(e)) => e,
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_a_positioned_error_naming_the_source() {
        let e = parse_bytes(
            b"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"caf\xe9\"\n",
            &ParseOptions::new("dump.save"),
        )
        .unwrap_err();
        let Error::Parse(p) = &e else { panic!("{e:?}") };
        assert_eq!(p.source_name, "dump.save");
        assert_eq!((p.position.line, p.position.column), (3, 35));
        assert!(p.message.contains("not UTF-8: byte 0xe9"), "{}", p.message);
        assert_eq!(e.position(), Some(p.position));
        assert_eq!(e.source_name(), Some("dump.save"));
        let rs = parse_bytes(
            b"*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n",
            &ParseOptions::new("x"),
        )
        .unwrap();
        assert_eq!(rs.tables.len(), 1);
        let t: Error = crate::trace::TraceError::InvalidPacket("x".into()).into();
        assert_eq!(t.position(), None);
        assert_eq!(t.to_string(), "invalid packet: x");
    }

    #[test]
    fn nul_byte_is_binary_data_at_its_position() {
        let e = parse_error("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo\0 -j ACCEPT\nCOMMIT\n");
        assert_eq!((e.position.line, e.position.column), (3, 15));
        assert!(e.message.starts_with("binary data"), "{e}");
    }

    #[test]
    fn unknown_text_is_positioned_at_its_first_meaningful_line() {
        let e = parse_error("# a comment\n\n  Chain INPUT (policy ACCEPT)\n");
        assert_eq!((e.position.line, e.position.column), (3, 3));
        assert!(
            e.message
                .starts_with("cannot tell the format from `Chain INPUT (policy ACCEPT)`"),
            "{e}"
        );
        assert!(e.message.contains("`iptables -L` output"), "{e}");
        let e = parse_error("hello world\n");
        assert_eq!((e.position.line, e.position.column), (1, 1));
        assert!(
            e.message
                .starts_with("cannot tell the format from `hello world`: expected"),
            "{e}"
        );
    }
}
