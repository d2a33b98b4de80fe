//! Positions in the JSON text: byte offsets of borrowed sub-slices turned into line and column.

use crate::error::{ParseError, Position};

/// Line starts of the whole input, to turn byte offsets into 1-based line/column.
pub(super) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub(super) fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// Position of a byte offset (clamped to the text); the column counts characters.
    pub(super) fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line_idx).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        Position {
            line: u32::try_from(line_idx + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }

    /// Byte offset of a slice borrowed from the indexed text.
    fn offset_of(&self, slice: &str) -> Option<usize> {
        let base = self.text.as_ptr() as usize;
        let at = slice.as_ptr() as usize;
        (at >= base && at <= base + self.text.len()).then(|| at - base)
    }

    /// 1-based line of a slice borrowed from the indexed text; cheap (no column count), for
    /// origins of every object of a dump that may be one long line.
    pub(super) fn line_of(&self, slice: &str) -> u32 {
        let Some(offset) = self.offset_of(slice) else {
            return 1;
        };
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        u32::try_from(idx + 1).unwrap_or(u32::MAX)
    }

    /// Position of a slice borrowed from the indexed text (line 1, column 1 if it is not one).
    pub(super) fn position_of(&self, slice: &str) -> Position {
        match self.offset_of(slice) {
            Some(o) => self.position(o),
            None => Position { line: 1, column: 1 },
        }
    }

    /// Position of a serde_json error met while reading `slice` (a part of the text).
    pub(super) fn position_in(&self, slice: &str, err: &serde_json::Error) -> Position {
        let start = self.position_of(slice);
        let line = u32::try_from(err.line()).unwrap_or(1).max(1);
        let column = u32::try_from(err.column()).unwrap_or(1).max(1);
        if line == 1 {
            Position {
                line: start.line,
                column: start.column.saturating_add(column - 1),
            }
        } else {
            Position {
                line: start.line.saturating_add(line - 1),
                column,
            }
        }
    }
}

/// Builds a parse error.
pub(super) fn error(
    source_name: &str,
    position: Position,
    message: impl Into<String>,
    context: Option<String>,
) -> ParseError {
    ParseError {
        source_name: source_name.to_string(),
        position,
        message: message.into(),
        context,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_offsets_and_slices() {
        let text = "{\n  \"a\": [1, 2],\n  \"b\": \"é x\"\n}";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(2), Position { line: 2, column: 1 });
        let at = text.find("[1").unwrap();
        assert_eq!(
            idx.position_of(&text[at..]),
            Position { line: 2, column: 8 }
        );
        let x = text.find('x').unwrap();
        // Column counts characters, not bytes.
        assert_eq!(
            idx.position(x),
            Position {
                line: 3,
                column: 11
            }
        );
        assert_eq!(
            idx.position_of("elsewhere"),
            Position { line: 1, column: 1 }
        );
    }
}
