//! Tokenizer for `nft list ruleset` text: words, strings, punctuation and comments with positions.

use crate::error::{ParseError, Position};

/// Deepest brace/parenthesis nesting accepted; deeper input is rejected, not recursed into.
pub(crate) const MAX_DEPTH: usize = 64;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// A run of characters up to whitespace or punctuation (`ip`, `10.0.0.0/8`, `!=`).
    Word,
    /// A double-quoted string, quotes included in the text.
    Str,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `;`
    Semi,
    /// End of a line.
    Newline,
    /// `#` up to the end of the line (text includes the `#`).
    Comment,
}

/// One token with its place in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// Kind.
    pub kind: TokKind,
    /// Exact source text.
    pub text: &'a str,
    /// 1-based position.
    pub pos: Position,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
}

impl<'a> Token<'a> {
    /// Whether this is the word `w`.
    pub fn is_word(&self, w: &str) -> bool {
        self.kind == TokKind::Word && self.text == w
    }
}

/// Unquotes an nft string token (`"a\"b"` -> `a"b`); words come back unchanged.
pub(crate) fn unquote(text: &str) -> String {
    let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) => out.push(n),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn is_punct(c: char) -> bool {
    matches!(c, '{' | '}' | '(' | ')' | ',' | ';' | '"')
}

/// Splits `src` into tokens, checking that braces and parentheses balance and nest
/// at most [`MAX_DEPTH`] deep.
pub(crate) fn tokenize<'a>(src: &'a str, source_name: &str) -> Result<Vec<Token<'a>>, ParseError> {
    let err = |pos: Position, message: String| ParseError {
        source_name: source_name.to_string(),
        position: pos,
        message,
        context: None,
    };
    let mut toks = Vec::new();
    let mut stack: Vec<(char, Position)> = Vec::new();
    let mut line: u32 = 1;
    let mut col: u32 = 1;
    let mut it = src.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        let pos = Position { line, column: col };
        let single = |kind| Token {
            kind,
            text: &src[i..i + c.len_utf8()],
            pos,
            start: i,
            end: i + c.len_utf8(),
        };
        match c {
            '\n' => {
                toks.push(single(TokKind::Newline));
                it.next();
                line += 1;
                col = 1;
            }
            c if c.is_whitespace() => {
                it.next();
                col += 1;
            }
            '{' | '(' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        pos,
                        format!(
                            "`{c}` nesting deeper than {MAX_DEPTH} levels: expected at most \
                             {MAX_DEPTH} (`nft list ruleset` never nests this deep)"
                        ),
                    ));
                }
                stack.push((c, pos));
                toks.push(single(if c == '{' {
                    TokKind::LBrace
                } else {
                    TokKind::LParen
                }));
                it.next();
                col += 1;
            }
            '}' | ')' => {
                let want = if c == '}' { '{' } else { '(' };
                match stack.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, opos)) => {
                        return Err(err(
                            opos,
                            format!("`{open}` opened here is closed by `{c}` at {pos}"),
                        ))
                    }
                    None => return Err(err(pos, format!("`{c}` without a matching `{want}`"))),
                }
                toks.push(single(if c == '}' {
                    TokKind::RBrace
                } else {
                    TokKind::RParen
                }));
                it.next();
                col += 1;
            }
            ',' => {
                toks.push(single(TokKind::Comma));
                it.next();
                col += 1;
            }
            ';' => {
                toks.push(single(TokKind::Semi));
                it.next();
                col += 1;
            }
            '#' => {
                let mut end = i;
                while let Some(&(j, d)) = it.peek() {
                    if d == '\n' {
                        break;
                    }
                    end = j + d.len_utf8();
                    col += 1;
                    it.next();
                }
                toks.push(Token {
                    kind: TokKind::Comment,
                    text: src[i..end].trim_end_matches('\r'),
                    pos,
                    start: i,
                    end,
                });
            }
            '"' => {
                it.next();
                col += 1;
                let mut end = None;
                let mut escaped = false;
                while let Some(&(j, d)) = it.peek() {
                    it.next();
                    if d == '\n' {
                        break;
                    }
                    col += 1;
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        end = Some(j + 1);
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err(err(
                        pos,
                        "unterminated string: expected a closing `\"` on the same line".into(),
                    ));
                };
                toks.push(Token {
                    kind: TokKind::Str,
                    text: &src[i..end],
                    pos,
                    start: i,
                    end,
                });
            }
            _ => {
                let mut end = i;
                while let Some(&(j, d)) = it.peek() {
                    if d.is_whitespace() || is_punct(d) {
                        break;
                    }
                    end = j + d.len_utf8();
                    col += 1;
                    it.next();
                }
                toks.push(Token {
                    kind: TokKind::Word,
                    text: &src[i..end],
                    pos,
                    start: i,
                    end,
                });
            }
        }
    }
    if let Some((open, opos)) = stack.pop() {
        let close = if open == '{' { '}' } else { ')' };
        return Err(err(
            opos,
            format!("`{open}` is never closed: expected `{close}` before the end of the input"),
        ));
    }
    Ok(toks)
}

/// Joins tokens into one normalized line: single spaces, none before `,` or `)`, none after `(`.
pub(crate) fn join(toks: &[Token<'_>]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Token<'_>> = None;
    let shown: Vec<&Token<'_>> = toks
        .iter()
        .filter(|t| t.kind != TokKind::Newline && t.kind != TokKind::Comment)
        .collect();
    let numeric = |t: Option<&&Token<'_>>| {
        t.is_some_and(|t| {
            t.kind == TokKind::Word && t.text.starts_with(|c: char| c.is_ascii_digit())
        })
    };
    for (k, t) in shown.iter().enumerate() {
        // A range spelled with blanks (`8888 - 8999`) is the same range as `8888-8999`.
        let dash = |j: usize| {
            shown.get(j).is_some_and(|d| d.is_word("-"))
                && numeric(shown.get(j.wrapping_sub(1)))
                && numeric(shown.get(j + 1))
        };
        let space = match prev.map(|p| p.kind) {
            _ if dash(k) || (k > 0 && dash(k - 1)) => false,
            None => false,
            Some(TokKind::LParen) => false,
            // nft writes `@th,160,32` and `flags bypass,fanout` without a space.
            Some(TokKind::Comma) if prev.is_some_and(|p| p.end == t.start) => false,
            Some(_) => !matches!(t.kind, TokKind::Comma | TokKind::RParen | TokKind::Semi),
        };
        if space {
            out.push(' ');
        }
        out.push_str(t.text);
        prev = Some(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_positions() {
        let t = tokenize("table ip f {\n\tchain c { # handle 3\n}}\n", "s").unwrap();
        assert_eq!(t[0].text, "table");
        assert_eq!(t[3].kind, TokKind::LBrace);
        let chain = t.iter().find(|x| x.text == "chain").unwrap();
        assert_eq!((chain.pos.line, chain.pos.column), (2, 2));
        assert!(t
            .iter()
            .any(|x| x.kind == TokKind::Comment && x.text == "# handle 3"));
    }

    #[test]
    fn strings_and_unquote() {
        let t = tokenize(r#"comment "a \"b\" {c}""#, "s").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(unquote(t[1].text), r#"a "b" {c}"#);
    }

    #[test]
    fn unbalanced_reports_opening_brace() {
        let e = tokenize("table ip f {\n chain c {\n}\n", "src").unwrap_err();
        assert_eq!((e.position.line, e.position.column), (1, 12));
        assert!(e.message.contains("never closed"));
        let e = tokenize("a )", "src").unwrap_err();
        assert_eq!(e.position.column, 3);
    }

    #[test]
    fn depth_is_capped() {
        let deep = "{".repeat(100_000);
        let e = tokenize(&deep, "s").unwrap_err();
        assert!(e.message.contains("nesting"));
    }

    #[test]
    fn join_normalizes_spaces() {
        let t = tokenize("tcp  flags & ( fin | syn ) == syn {1 , 2}", "s").unwrap();
        assert_eq!(join(&t), "tcp flags & (fin | syn) == syn { 1, 2 }");
        // A comma written without a space stays so (`@th,160,32`, `bypass,fanout`).
        let t = tokenize("@th,160,32 queue flags bypass,fanout", "s").unwrap();
        assert_eq!(join(&t), "@th,160,32 queue flags bypass,fanout");
    }
}
