//! Checks the elements of typed named sets and maps where they are read, not when traced.
//!
//! `nft` refuses an element that is not a value of its set's key type, so a listing holding
//! one was edited by hand or mangled; reading on would make a lookup in that set guesswork
//! (the tracer used to report it only once a packet reached the set). Sets whose key type
//! nfdiff does not check are left alone.

use crate::error::{Error, ParseError, Position, Result};
use crate::model::Ruleset;
use crate::trace::sets::ParsedSet;

use super::options::ParseOptions;

/// Fails on the first element of a typed named set or map that is not a value of its key.
pub(crate) fn check_set_elements(rs: &Ruleset, opts: &ParseOptions) -> Result<()> {
    for t in &rs.tables {
        for s in &t.sets {
            let keys = s
                .elements
                .iter()
                .map(|e| key_part(e, s.data_type.is_some()));
            let ps = ParsedSet::parse_typed(&s.key_type, keys);
            if let Some((element, why)) = ps.malformed {
                let what = if s.data_type.is_some() { "map" } else { "set" };
                return Err(Error::Parse(ParseError {
                    source_name: opts.source_name.to_string(),
                    position: Position {
                        line: s.origin.line.unwrap_or(1),
                        column: 1,
                    },
                    message: format!(
                        "element `{element}` of {what} `{}` is not a value of its type `{}`: {why}",
                        s.name, s.key_type
                    ),
                    context: Some(format!(
                        "table {} {}, {what} {}",
                        t.family.as_str(),
                        t.name,
                        s.name
                    )),
                }));
            }
        }
    }
    Ok(())
}

/// The key of an element: a map element is `key : data`.
fn key_part(element: &str, is_map: bool) -> &str {
    if !is_map {
        return element;
    }
    match element.find(" : ") {
        Some(i) => &element[..i],
        None => element,
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::parse::{parse_nft_json, parse_nft_text, ParseOptions};

    #[test]
    fn a_malformed_element_is_a_positioned_error_in_text_and_json() {
        let text = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1, 10.0.0.300 }\n\t}\n}\n";
        match parse_nft_text(text, &ParseOptions::new("t.nft")) {
            Err(Error::Parse(e)) => {
                assert!(e.message.contains("`10.0.0.300`"), "{}", e.message);
                assert!(e.message.contains("ipv4_addr"), "{}", e.message);
                assert_eq!(e.position.line, 2);
                assert_eq!(e.context.as_deref(), Some("table ip t, set s"));
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        let json = r#"{"nftables": [
{"table": {"family": "ip", "name": "t", "handle": 1}},
{"map": {"family": "ip", "name": "m", "table": "t", "type": "ipv4_addr", "map": "ipv4_addr", "handle": 2, "elem": [["10.96.0.1", "nope"], ["bad", "10.0.0.2"]]}}
]}"#;
        match parse_nft_json(json, &ParseOptions::new("t.json")) {
            Err(Error::Parse(e)) => {
                assert!(e.message.contains("map `m`"), "{}", e.message);
                assert!(e.message.contains("`bad`"), "{}", e.message);
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn well_formed_and_unchecked_sets_read() {
        let text = "table inet t {\n\
            \tset a { type ipv4_addr . inet_service; elements = { 10.0.0.1 . 80, 10.0.0.2 . 443 } }\n\
            \tmap m { type ipv4_addr : verdict; elements = { 10.0.0.1 : accept } }\n\
            \tset e { type ether_addr; elements = { 02:00:00:00:00:01 } }\n}\n";
        let rs = parse_nft_text(text, &ParseOptions::new("t.nft")).unwrap();
        assert_eq!(rs.tables[0].sets.len(), 3);
    }
}
