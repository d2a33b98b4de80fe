//! Option groups of a rule line: `-m MODULE` or `-j TARGET` followed by its `--options`.

use super::lexer::{quote_word, Token};

/// An error inside one line, before the line number and context are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineError {
    /// Byte offset in the line.
    pub offset: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl LineError {
    /// An error at the start of a token.
    pub fn at(tok: &Token<'_>, message: impl Into<String>) -> LineError {
        LineError {
            offset: tok.offset,
            message: message.into(),
        }
    }
}

/// One `--option value...` of a module or target, with its negation (both `! --opt v`
/// and the old `--opt ! v` spellings set `negated`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opt<'t, 'a> {
    /// `!` was given.
    pub negated: bool,
    /// The option token (`--dport`).
    pub name: &'t Token<'a>,
    /// Its value tokens.
    pub values: &'t [Token<'a>],
}

impl<'t, 'a> Opt<'t, 'a> {
    /// The option name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The single value of the option, or an error saying one was expected.
    pub fn one(&self) -> Result<&'t Token<'a>, LineError> {
        match self.values {
            [v] => Ok(v),
            [] => Err(LineError::at(
                self.name,
                format!("option `{}` expects a value", self.name()),
            )),
            [_, extra, ..] => Err(LineError::at(
                extra,
                format!(
                    "option `{}` takes one value, found extra `{}`",
                    self.name(),
                    extra.as_str()
                ),
            )),
        }
    }

    /// Checks that the option has no value.
    pub fn flag(&self) -> Result<(), LineError> {
        match self.values.first() {
            None => Ok(()),
            Some(v) => Err(LineError::at(
                v,
                format!(
                    "option `{}` takes no value, found `{}`",
                    self.name(),
                    v.as_str()
                ),
            )),
        }
    }

    /// The token where an error about the value belongs (the value, else the name).
    pub fn value_tok(&self) -> &'t Token<'a> {
        self.values.first().unwrap_or(self.name)
    }

    /// An error about the option's value.
    pub fn err(&self, message: impl Into<String>) -> LineError {
        LineError::at(self.value_tok(), message)
    }
}

/// Whether an unquoted token ends a module's or target's options: a generic option,
/// `-m`, `-j`, `-g`.
pub(crate) fn is_generic(tok: &Token<'_>) -> bool {
    if tok.quoted {
        return false;
    }
    matches!(
        tok.as_str(),
        "-s" | "--source"
            | "--src"
            | "-d"
            | "--destination"
            | "--dst"
            | "-i"
            | "--in-interface"
            | "-o"
            | "--out-interface"
            | "-p"
            | "--protocol"
            | "-f"
            | "--fragment"
            | "-m"
            | "--match"
            | "-j"
            | "--jump"
            | "-g"
            | "--goto"
            | "-c"
            | "--set-counters"
            | "-4"
            | "--ipv4"
            | "-6"
            | "--ipv6"
            | "-A"
            | "--append"
    )
}

/// Whether a token names an option of a module (`--dport`), not a value.
fn is_long_option(tok: &Token<'_>) -> bool {
    !tok.quoted && tok.as_str().starts_with("--") && tok.as_str().len() > 2
}

/// Collects the options of a module or target starting at `toks[start]`, up to the next
/// generic option. A pending `!` before the next generic option is left unconsumed.
/// Returns the options and the index of the first token not consumed.
pub(crate) fn collect<'t, 'a>(
    toks: &'t [Token<'a>],
    start: usize,
) -> Result<(Vec<Opt<'t, 'a>>, usize), LineError> {
    let mut opts: Vec<Opt<'t, 'a>> = Vec::new();
    let mut i = start;
    while i < toks.len() {
        let t = &toks[i];
        let mut negated = false;
        let mut j = i;
        if t.is("!") {
            // `! --opt`, or `! -s` which belongs to the generic option after us.
            match toks.get(i + 1) {
                Some(n) if is_generic(n) => return Ok((opts, i)),
                Some(n) if is_long_option(n) => {
                    negated = true;
                    j = i + 1;
                }
                Some(n) => {
                    return Err(LineError::at(
                        n,
                        format!("expected an option after `!`, found `{}`", n.as_str()),
                    ))
                }
                None => return Err(LineError::at(t, "expected an option after `!`")),
            }
        }
        let name = &toks[j];
        if is_generic(name) {
            return Ok((opts, i));
        }
        if !is_long_option(name) {
            return Err(LineError::at(
                name,
                format!(
                    "expected an option such as `--name`, found `{}`",
                    name.as_str()
                ),
            ));
        }
        let mut k = j + 1;
        // Old spelling: `--dport ! 80`.
        if toks.get(k).is_some_and(|v| v.is("!"))
            && toks
                .get(k + 1)
                .is_some_and(|v| !is_long_option(v) && !is_generic(v))
        {
            negated = !negated;
            k += 1;
        }
        let vstart = k;
        while k < toks.len() {
            let v = &toks[k];
            if is_long_option(v) || is_generic(v) || v.is("!") {
                break;
            }
            k += 1;
        }
        opts.push(Opt {
            negated,
            name,
            values: &toks[vstart..k],
        });
        i = k;
    }
    Ok((opts, i))
}

/// Renders options canonically: `! --name value ...`, values re-quoted where needed.
pub(crate) fn render(opts: &[Opt<'_, '_>]) -> String {
    let mut s = String::new();
    for o in opts {
        if !s.is_empty() {
            s.push(' ');
        }
        if o.negated {
            s.push_str("! ");
        }
        s.push_str(o.name());
        for v in o.values {
            s.push(' ');
            quote_word(&mut s, v.as_str());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    #[test]
    fn collects_options_with_negations() {
        let toks = tokenize("--dport ! 80 ! --sport 1:2 --syn --tcp-flags A B ! -s x").unwrap();
        let (opts, next) = collect(&toks, 0).unwrap();
        assert_eq!(opts.len(), 4);
        assert!(opts[0].negated);
        assert_eq!(opts[0].one().unwrap().as_str(), "80");
        assert!(opts[1].negated);
        assert!(!opts[2].negated);
        assert_eq!(opts[3].values.len(), 2);
        assert!(toks[next].is("!"));
        assert_eq!(
            render(&opts),
            "! --dport 80 ! --sport 1:2 --syn --tcp-flags A B"
        );
    }

    #[test]
    fn rejects_stray_values() {
        let toks = tokenize("value --x").unwrap();
        let e = collect(&toks, 0).unwrap_err();
        assert_eq!(e.offset, 0);
    }
}
