//! A pretty JSON formatter with the same bytes as serde_json's two-space `PrettyFormatter`, writing each line break and its indentation in one call.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

/// `",\n"` followed by enough spaces for [`MAX_DEPTH`] levels of two-space indentation.
const BREAKS: &[u8] = b",\n                                                                ";

/// Depth up to which a break and its indentation go out in one write.
const MAX_DEPTH: usize = (BREAKS.len() - 2) / 2;

/// The same output as `serde_json::ser::PrettyFormatter::new()` (two-space indent). That
/// formatter writes the indentation one level per call, which showed in profiles of
/// multi-megabyte outputs.
#[derive(Debug, Default)]
pub struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// Writes `,\n` (or `\n` when `first`) and the current indentation.
    fn line<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        let start = usize::from(first);
        if self.depth <= MAX_DEPTH {
            return w.write_all(&BREAKS[start..2 + 2 * self.depth]);
        }
        w.write_all(&BREAKS[start..2])?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.line(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Writes `value` as pretty-printed JSON, byte for byte as `serde_json::to_writer_pretty`.
pub fn to_writer_pretty<W: Write, T: ?Sized + Serialize>(w: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, Pretty::default());
    value.serialize(&mut ser).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_as_serde_json() {
        let mut deep = serde_json::json!({"leaf": [1, "two", null, {}, []]});
        for i in 0..40 {
            deep = serde_json::json!({ "level": i, "list": [deep.clone(), [], {"k": "v\n\"q\""}] });
        }
        let values = [
            serde_json::json!(null),
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!({"a": [], "b": {}, "c": [1, [2, [3]]], "d": "x"}),
            deep,
        ];
        for v in values {
            let mut ours = Vec::new();
            to_writer_pretty(&mut ours, &v).expect("write to a Vec");
            let theirs = serde_json::to_vec_pretty(&v).expect("write to a Vec");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
}
