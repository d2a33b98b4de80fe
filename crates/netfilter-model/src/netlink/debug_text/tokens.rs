//! The tokens of one expression line and libnftnl's data words.

/// Tokens of an expression body with their character offsets.
pub(super) struct Toks<'a> {
    pub(super) toks: Vec<(usize, &'a str)>,
    pub(super) pos: usize,
    /// Offset just past the body, for errors at its end.
    pub(super) end: usize,
}

pub(super) type PErr = (usize, String);

impl<'a> Toks<'a> {
    pub(super) fn new(body: &'a str, base: usize) -> Toks<'a> {
        let mut toks = Vec::new();
        let mut start = None;
        for (i, (b, c)) in body.char_indices().enumerate() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some((i, b)),
                (true, Some((ci, sb))) => {
                    toks.push((base + ci, &body[sb..b]));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some((ci, sb)) = start {
            toks.push((base + ci, &body[sb..]));
        }
        Toks {
            toks,
            pos: 0,
            end: base + body.chars().count(),
        }
    }

    pub(super) fn here(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }

    pub(super) fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.pos).map(|t| t.1)
    }

    pub(super) fn next(&mut self, what: &str) -> Result<&'a str, PErr> {
        match self.toks.get(self.pos) {
            Some((_, t)) => {
                self.pos += 1;
                Ok(t)
            }
            None => Err((
                self.end,
                format!("expected {what}, found the end of the expression"),
            )),
        }
    }

    pub(super) fn expect(&mut self, word: &str) -> Result<(), PErr> {
        let at = self.here();
        match self.next(&format!("`{word}`"))? {
            t if t == word => Ok(()),
            t => Err((at, format!("expected `{word}`, found `{t}`"))),
        }
    }

    pub(super) fn eat(&mut self, word: &str) -> bool {
        if self.peek() == Some(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn num<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, PErr> {
        let at = self.here();
        let t = self.next(what)?;
        t.parse()
            .map_err(|_| (at, format!("expected {what} (a number), found `{t}`")))
    }

    pub(super) fn hex_u32(&mut self, what: &str) -> Result<u32, PErr> {
        let at = self.here();
        let t = self.next(what)?;
        t.strip_prefix("0x")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or((
                at,
                format!("expected {what} (0x and hex digits), found `{t}`"),
            ))
    }

    /// `reg N`.
    pub(super) fn reg(&mut self) -> Result<u32, PErr> {
        self.expect("reg")?;
        self.num("a register number")
    }

    /// Data words (`0x0000e800 0x...`) as bytes, while the next token is one.
    pub(super) fn words(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(w) = self.peek().and_then(word) {
            out.extend_from_slice(&w.to_le_bytes());
            self.pos += 1;
        }
        out
    }

    pub(super) fn done(&self) -> Result<(), PErr> {
        match self.toks.get(self.pos) {
            None => Ok(()),
            Some((at, t)) => Err((
                *at,
                format!("unexpected `{t}` at the end of the expression"),
            )),
        }
    }

    /// The rest of the body from the current token, as printed.
    pub(super) fn rest(&self, body: &'a str, base: usize) -> &'a str {
        match self.toks.get(self.pos) {
            Some((at, _)) => {
                let skip = at - base;
                let b = body.char_indices().nth(skip).map_or(body.len(), |(b, _)| b);
                &body[b..]
            }
            None => "",
        }
    }
}

/// One data word: `0x` and up to eight hex digits, as libnftnl prints it.
pub(super) fn word(t: &str) -> Option<u32> {
    let h = t.strip_prefix("0x")?;
    if h.is_empty() || h.len() > 8 {
        return None;
    }
    u32::from_str_radix(h, 16).ok()
}
