//! Register widths: how many bytes a register holds after the loads so far, and the data cut to it.

use super::*;

/// What the parser knows of a register's content: its width, and whether it holds a
/// NUL-padded name (an interface name, whose shorter compares are prefixes).
#[derive(Debug, Clone, Copy)]
pub(super) struct Width {
    pub(super) bytes: usize,
    pub(super) name: bool,
}

/// Register widths as the expressions so far loaded them, by 32-bit register index.
#[derive(Default)]
pub(super) struct Widths(pub(super) HashMap<u32, Width>);

impl Widths {
    pub(super) fn get(&self, reg: u32) -> Option<Width> {
        reg32(reg).and_then(|r| self.0.get(&r).copied())
    }

    pub(super) fn set(&mut self, reg: u32, w: Option<Width>) {
        if let Some(r) = reg32(reg) {
            match w {
                Some(w) => {
                    self.0.insert(r, w);
                }
                None => {
                    self.0.remove(&r);
                }
            }
        }
    }

    /// Cuts the data of `e` to the widths its registers hold, then records what `e` loads.
    pub(super) fn apply(&mut self, e: &mut Expr) {
        let plain = |bytes: u32| {
            Some(Width {
                bytes: bytes as usize,
                name: false,
            })
        };
        match e {
            Expr::Payload { len, dreg, .. } => self.set(*dreg, plain(*len)),
            Expr::Meta {
                key, dreg: Some(d), ..
            } => self.set(*d, meta_width(*key)),
            Expr::Ct {
                key, dreg: Some(d), ..
            } => self.set(*d, ct_width(*key)),
            Expr::Fib { result, dreg, .. } => self.set(
                *dreg,
                Some(Width {
                    bytes: if *result == 2 { 16 } else { 4 },
                    name: *result == 2,
                }),
            ),
            Expr::Numgen { dreg, .. } => self.set(*dreg, plain(4)),
            Expr::Cmp { sreg, data, .. } => {
                if let Some(w) = self.get(*sreg) {
                    cut(data, w);
                }
            }
            Expr::Range { sreg, from, to, .. } => {
                if let Some(w) = self.get(*sreg) {
                    cut(from, w);
                    cut(to, w);
                }
            }
            Expr::Bitwise {
                sreg,
                dreg,
                len,
                mask,
                xor,
                ..
            } => {
                let w = self.get(*sreg);
                if let Some(w) = w.filter(|w| w.bytes.div_ceil(4) * 4 == *len as usize) {
                    *len = u32::try_from(w.bytes).unwrap_or(*len);
                    mask.truncate(w.bytes);
                    xor.truncate(w.bytes);
                }
                let out = w.map(|w| Width {
                    bytes: *len as usize,
                    name: w.name,
                });
                self.set(*dreg, out.or(plain(*len)));
            }
            Expr::Byteorder { dreg, len, .. } => self.set(*dreg, plain(*len)),
            Expr::Immediate {
                dreg,
                data: ImmData::Value(v),
            } => self.set(*dreg, plain(u32::try_from(v.len()).unwrap_or(0))),
            Expr::Lookup { dreg: Some(d), .. } => self.set(*d, None),
            Expr::Unknown { raw, .. } => {
                if let Some((w, r)) = unknown_load(raw) {
                    self.set(
                        r,
                        w.map(|b| Width {
                            bytes: b,
                            name: false,
                        }),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Cuts printed (word-padded) data to a register's width; a shorter compare of a name
/// register is a prefix, whose zero padding is dropped.
pub(super) fn cut(data: &mut Vec<u8>, w: Width) {
    let padded = w.bytes.div_ceil(4) * 4;
    if data.len() == padded {
        data.truncate(w.bytes);
    }
    if w.name && data.len() < w.bytes {
        while data.last() == Some(&0) {
            data.pop();
        }
    }
}

/// Width and destination register of an expression the parser keeps as `Unknown` but that
/// loads a register (`exthdr load 2b @ 6 + 2 => reg 1`, `rt load nexthop4 => reg 1`).
pub(super) fn unknown_load(raw: &str) -> Option<(Option<usize>, u32)> {
    let reg = raw
        .rsplit("=> reg ")
        .next()
        .filter(|_| raw.contains("=> reg "))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|r| r.parse().ok())
        .or_else(|| {
            // `hash`, `jhash`, `symhash`: `reg D = ...`.
            let rest = raw.trim_start().strip_prefix("reg ")?;
            let (r, tail) = rest.split_once(' ')?;
            tail.starts_with('=').then(|| r.parse().ok()).flatten()
        })?;
    let width = raw
        .split_whitespace()
        .find_map(|w| w.strip_suffix('b').and_then(|n| n.parse().ok()));
    Some((width.or(Some(4)), reg))
}

pub(super) fn meta_width(key: u32) -> Option<Width> {
    let (bytes, name) = match key {
        6 | 7 | 17 | 18 | 26 | 27 | 34 => (16, true),
        1 | 8 | 9 | 28 | 29 => (2, false),
        12 | 15 | 16 | 19 | 25 | 31 => (1, false),
        30 => (8, false),
        0 | 2..=5 | 10 | 11 | 13 | 14 | 20..=24 | 32 | 33 => (4, false),
        _ => return None,
    };
    Some(Width { bytes, name })
}

pub(super) fn ct_width(key: u32) -> Option<Width> {
    let (bytes, name) = match key {
        6 => (16, true),
        1 | 7 | 10 => (1, false),
        11 | 12 | 17 => (2, false),
        13 | 21 | 22 => (16, false),
        14..=16 => (8, false),
        0 | 2..=5 | 18..=20 | 23 => (4, false),
        // `src`/`dst` are 4 or 16 bytes by the connection's family: unknown here.
        _ => return None,
    };
    Some(Width { bytes, name })
}
