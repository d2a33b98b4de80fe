//! A line of set elements (`element 0100000a  : 0 [end]`) -> raw elements.

use super::*;

/// Parses a line of set elements:
/// `element KEY... [- KEY_END...] : [DATA... | VERDICT [-> CHAIN]] FLAGS [end] [userdata = { ... }]`,
/// several to a line. Keys are printed as bare hex words.
pub(super) fn parse_elements(line: &str) -> Result<Vec<RawElem>, PErr> {
    let t = Toks::new(line, 0);
    let toks = &t.toks;
    let mut out = Vec::new();
    let mut i = 0;
    let bare = |s: &str| -> Option<Vec<u8>> {
        if s.len() != 8 {
            return None;
        }
        u32::from_str_radix(s, 16)
            .ok()
            .map(|w| w.to_le_bytes().to_vec())
    };
    while i < toks.len() {
        let (at, w) = toks[i];
        if w != "element" {
            return Err((at, format!("expected `element`, found `{w}`")));
        }
        i += 1;
        let mut e = RawElem::default();
        let mut key = Vec::new();
        while let Some(b) = toks.get(i).and_then(|(_, w)| bare(w)) {
            key.extend(b);
            i += 1;
        }
        e.key = key;
        if toks.get(i).map(|t| t.1) == Some("-") {
            i += 1;
            let mut end = Vec::new();
            while let Some(b) = toks.get(i).and_then(|(_, w)| bare(w)) {
                end.extend(b);
                i += 1;
            }
            e.key_end = Some(end);
        }
        match toks.get(i) {
            Some((_, ":")) => i += 1,
            Some((at, w)) => return Err((*at, format!("expected a key word or `:`, found `{w}`"))),
            None => return Err((line.len(), "expected `:` after the element key".into())),
        }
        // Data up to the flags number that precedes `[end]`.
        let Some(end_at) = toks[i..].iter().position(|(_, w)| *w == "[end]") else {
            return Err((
                line.len(),
                "expected `FLAGS [end]` to close the element".into(),
            ));
        };
        let end_at = i + end_at;
        if end_at == i {
            return Err((
                toks[i].0,
                "expected the element flags before `[end]`".into(),
            ));
        }
        let (fat, f) = toks[end_at - 1];
        e.flags = f.parse().map_err(|_| {
            (
                fat,
                format!("expected element flags (a number), found `{f}`"),
            )
        })?;
        let data = &toks[i..end_at - 1];
        match data {
            [] => {}
            [(_, v), rest @ ..] if bare(v).is_none() => {
                let code = match *v {
                    "accept" => 1,
                    "drop" => 0,
                    "continue" => -1,
                    "return" => -5,
                    "jump" => -3,
                    "goto" => -4,
                    "queue" => 3,
                    "stolen" => 2,
                    "break" => -2,
                    _ => {
                        return Err((
                            data[0].0,
                            format!("expected data words or a verdict, found `{v}`"),
                        ))
                    }
                };
                let chain = match rest {
                    [] => None,
                    [(_, "->"), (_, c)] => Some((*c).to_string()),
                    [(at, w), ..] => {
                        return Err((
                            *at,
                            format!("expected `-> CHAIN` or the flags, found `{w}`"),
                        ))
                    }
                };
                e.verdict = Some((code, chain));
            }
            words => {
                let mut d = Vec::new();
                for (at, w) in words {
                    d.extend(bare(w).ok_or((*at, format!("expected a data word, found `{w}`")))?);
                }
                e.data = Some(d);
            }
        }
        i = end_at + 1;
        // Element user data: `userdata = { ... }` (a comment TLV, printed char by char).
        if toks.get(i).map(|t| t.1) == Some("userdata") {
            while i < toks.len() && toks[i].1 != "}" {
                i += 1;
            }
            i += 1;
        }
        out.push(e);
    }
    Ok(out)
}
