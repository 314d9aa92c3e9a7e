//! Byte offset ↔ line:column for one text. Positions everywhere in strata are byte offsets;
//! line and column are computed only when rendering, through [`LineIndex`].
//!
//! What it must not do: panic on an offset past the end or inside a character.

/// Line start offsets of a text, for turning byte offsets into line:column when rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the start of each line; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line and 1-based column (counted in `char`s) of byte offset `byte` in `text`,
    /// the text this index was built from. Offsets past the end are clamped to the end; an
    /// offset inside a character counts that character as already passed.
    pub fn line_col(&self, text: &str, byte: usize) -> (usize, usize) {
        let byte = byte.min(text.len());
        let line = self.starts.partition_point(|&s| s <= byte).max(1);
        let line_start = self.starts.get(line - 1).copied().unwrap_or(0).min(byte);
        let chars = text
            .as_bytes()
            .get(line_start..byte)
            .unwrap_or(&[])
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count();
        (line, chars + 1)
    }

    /// Byte range of 1-based line `line`, without its `\n` or `\r\n`. Line 0 is treated as
    /// line 1; a line past the end gives the empty range at the end of the text.
    pub fn line_range(&self, text: &str, line: usize) -> (usize, usize) {
        let index = line.max(1) - 1;
        let Some(&start) = self.starts.get(index) else {
            return (text.len(), text.len());
        };
        let start = start.min(text.len());
        let mut end = self
            .starts
            .get(index + 1)
            .map_or(text.len(), |&next| next.saturating_sub(1))
            .clamp(start, text.len());
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        (start, end)
    }

    /// Number of lines (a text ending with a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let text = "ab\nçd é\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), (1, 1));
        assert_eq!(index.line_col(text, 2), (1, 3));
        assert_eq!(index.line_col(text, 3), (2, 1));
        assert_eq!(index.line_col(text, 5), (2, 2)); // after the two-byte ç
        assert_eq!(index.line_col(text, 7), (2, 4));
        assert_eq!(index.line_col(text, 100), (3, 1));
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn line_col_inside_a_char_does_not_panic() {
        let text = "é";
        assert_eq!(LineIndex::new(text).line_col(text, 1), (1, 2));
    }

    #[test]
    fn line_range_strips_newlines() {
        let text = "one\r\ntwo\nthree";
        let index = LineIndex::new(text);
        assert_eq!(index.line_range(text, 1), (0, 3));
        assert_eq!(index.line_range(text, 2), (5, 8));
        assert_eq!(index.line_range(text, 3), (9, 14));
        assert_eq!(index.line_range(text, 0), (0, 3));
        assert_eq!(index.line_range(text, 9), (14, 14));
        let empty = "";
        assert_eq!(LineIndex::new(empty).line_range(empty, 1), (0, 0));
    }
}
