//! Tokenizer for one iptables-save line: words, double quotes and backslash escapes.

use std::borrow::Cow;

use nom::branch::alt;
use nom::bytes::complete::take;
use nom::character::complete::char;
use nom::combinator::{map, recognize};
use nom::sequence::preceded;
use nom::IResult;

/// One word of a line, unquoted and unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// The word's text after removing quotes and escapes.
    pub text: Cow<'a, str>,
    /// Byte offset of the word's first character in the line.
    pub offset: usize,
    /// Whether any part of the word was quoted or escaped (so it is never an option name).
    pub quoted: bool,
}

impl Token<'_> {
    /// Whether this unquoted word is exactly `s`.
    pub fn is(&self, s: &str) -> bool {
        !self.quoted && self.text == s
    }

    /// The word's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A tokenizing failure: a quote that is never closed, at this byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnbalancedQuote {
    /// Byte offset of the opening quote.
    pub offset: usize,
}

/// A piece of a word.
enum Piece<'a> {
    Plain(&'a str),
    Escaped(&'a str),
    Quoted(&'a str),
}

fn plain(i: &str) -> IResult<&str, Piece<'_>> {
    // A byte scan (the delimiters are ASCII, so the split is on a char boundary): nom's
    // char-by-char `take_till1` was the largest part of tokenizing.
    let n = i
        .bytes()
        .position(|b| matches!(b, b' ' | b'\t' | b'"' | b'\\'))
        .unwrap_or(i.len());
    if n == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::TakeTill1,
        )));
    }
    Ok((&i[n..], Piece::Plain(&i[..n])))
}

fn escaped(i: &str) -> IResult<&str, Piece<'_>> {
    map(
        preceded(char('\\'), recognize(take(1usize))),
        Piece::Escaped,
    )(i)
}

/// The body of a quoted segment up to (not including) the closing quote; escapes kept raw.
fn quoted_body(i: &str) -> IResult<&str, &str> {
    let bytes = i.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'"' => return Ok((&i[k..], &i[..k])),
            b'\\' => k += 2,
            _ => k += 1,
        }
    }
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::Char,
    )))
}

fn quoted(i: &str) -> IResult<&str, Piece<'_>> {
    let (rest, _) = char('"')(i)?;
    let (rest, body) = quoted_body(rest)?;
    let (rest, _) = char('"')(rest)?;
    Ok((rest, Piece::Quoted(body)))
}

fn piece(i: &str) -> IResult<&str, Piece<'_>> {
    alt((plain, quoted, escaped))(i)
}

fn unescape_into(out: &mut String, body: &str) {
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
}

/// Splits a line into words the way `iptables-restore` does: blanks separate words,
/// `"..."` groups (with `\"` and `\\` inside), and a backslash escapes the next character.
pub(crate) fn tokenize(line: &str) -> Result<Vec<Token<'_>>, UnbalancedQuote> {
    let mut out = Vec::with_capacity(16);
    let mut rest = line;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            return Ok(out);
        }
        let start = line.len() - rest.len();
        let mut owned: Option<String> = None;
        let mut borrowed: &str = "";
        let mut quoted_any = false;
        let mut first = true;
        while !rest.is_empty() && !rest.starts_with([' ', '\t']) {
            let here = line.len() - rest.len();
            let (next, p) = match piece(rest) {
                Ok(v) => v,
                Err(_) => {
                    if rest.starts_with('"') {
                        return Err(UnbalancedQuote { offset: here });
                    }
                    // A lone trailing backslash: keep it literally.
                    ("", Piece::Plain(rest))
                }
            };
            match p {
                Piece::Plain(s) if first => borrowed = s,
                // A quoted word without escapes (`"kube-system/dns"`, most comments) is
                // borrowed too: its text is the body as written.
                Piece::Quoted(s) if first && !s.contains('\\') => {
                    quoted_any = true;
                    borrowed = s;
                }
                Piece::Plain(s) => owned
                    .get_or_insert_with(|| borrowed.to_string())
                    .push_str(s),
                Piece::Escaped(s) | Piece::Quoted(s) => {
                    quoted_any = true;
                    let o = owned.get_or_insert_with(|| borrowed.to_string());
                    if matches!(p, Piece::Quoted(_)) {
                        unescape_into(o, s);
                    } else {
                        o.push_str(s);
                    }
                }
            }
            first = false;
            rest = next;
        }
        out.push(Token {
            text: match owned {
                Some(s) => Cow::Owned(s),
                None => Cow::Borrowed(borrowed),
            },
            offset: start,
            quoted: quoted_any,
        });
    }
}

/// Writes `s` as one iptables-save word, quoting it when it is empty or holds blanks,
/// quotes or backslashes.
pub(crate) fn quote_word(out: &mut String, s: &str) {
    // A bare word starting with `-`, or a bare `!`, would read back as an option or a negation.
    let needs = s.is_empty()
        || s.starts_with('-')
        || s == "!"
        || s.chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\' || c == '\'');
    if !needs {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        tokenize(line)
            .unwrap()
            .into_iter()
            .map(|t| t.text.into_owned())
            .collect()
    }

    #[test]
    fn splits_on_blanks() {
        assert_eq!(
            words("-A INPUT\t-j  ACCEPT "),
            ["-A", "INPUT", "-j", "ACCEPT"]
        );
        let t = tokenize("  -A INPUT").unwrap();
        assert_eq!(t[0].offset, 2);
        assert_eq!(t[1].offset, 5);
        assert!(!t[0].quoted);
        assert!(matches!(t[0].text, Cow::Borrowed(_)));
    }

    #[test]
    fn handles_quotes_and_escapes() {
        assert_eq!(
            words(r#"--comment "hello world" --log-prefix "a \"b\" \\c ""#),
            ["--comment", "hello world", "--log-prefix", r#"a "b" \c "#]
        );
        assert_eq!(words(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(words(r"a\ b"), ["a b"]);
        assert_eq!(words(r#""""#), [""]);
        let t = tokenize(r#"x "--dport""#).unwrap();
        assert!(t[1].quoted);
        assert!(!t[1].is("--dport"));
    }

    #[test]
    fn reports_unbalanced_quote() {
        assert_eq!(
            tokenize(r#"-m comment --comment "oops"#),
            Err(UnbalancedQuote { offset: 21 })
        );
    }

    #[test]
    fn quotes_words_canonically() {
        let mut s = String::new();
        quote_word(&mut s, "plain");
        s.push(' ');
        quote_word(&mut s, "two words");
        s.push(' ');
        quote_word(&mut s, r#"q"b\"#);
        s.push(' ');
        quote_word(&mut s, "");
        assert_eq!(s, r#"plain "two words" "q\"b\\" """#);
        assert_eq!(words(&s), ["plain", "two words", r#"q"b\"#, ""]);
    }
}
