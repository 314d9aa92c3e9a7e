//! The lexer: SQL text → tokens, only as fine as splitting and classification need (words,
//! numbers, quoted names, strings, dollar quotes, comments, `;`, parentheses, psql meta-command
//! lines), with the one error a text can have at this level: a quote or comment that is never
//! closed.
//!
//! What it must not do: look at keywords (that is the splitter's and [`super::classify`]'s job),
//! panic, or produce an offset inside a UTF-8 character.
//!
//! Why it is shaped so: every construct that can hide a `;` is recognised the way PostgreSQL's
//! own lexer (`src/backend/parser/scan.l`) and psql (`src/fe_utils/psqlscan.l`) recognise it:
//! `'…'` strings with `''`, `E'…'` strings with backslash escapes, `"quoted ""names"""`,
//! `-- line comments`, nested `/* /* */ */` comments, `$$…$$` and `$tag$…$tag$` dollar quotes.
//! `standard_conforming_strings` is assumed to be `on` (the default since PostgreSQL 9.1), so a
//! backslash is special only in `E'…'` strings. Every special character is ASCII, so every offset
//! this module produces lies on a `char` boundary.

use std::fmt;

/// Why a text cannot be split into statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// A quote or comment opened at `start` is never closed. `kind` is one of `"string"`,
    /// `"quoted identifier"`, `"dollar-quoted string"`, `"block comment"`; for a dollar quote,
    /// `delimiter` is the opening delimiter as written (`$$`, `$body$`).
    UnterminatedQuote {
        start: usize,
        kind: &'static str,
        delimiter: Option<String>,
    },
    /// A line starting with `\` (`\i`, `\set`, `\echo`, …) outside any quote: a psql
    /// meta-command, which PostgreSQL itself does not understand. `command` is the backslash and
    /// the command word, e.g. `\set`.
    PsqlMetaCommand { start: usize, command: String },
}

impl SplitError {
    /// Byte offset of the problem in the text that was split.
    pub fn start(&self) -> usize {
        match self {
            SplitError::UnterminatedQuote { start, .. } => *start,
            SplitError::PsqlMetaCommand { start, .. } => *start,
        }
    }

    /// The same error with its offset moved by `delta` bytes (for text split in pieces).
    pub fn shifted(self, delta: usize) -> SplitError {
        match self {
            SplitError::UnterminatedQuote {
                start,
                kind,
                delimiter,
            } => SplitError::UnterminatedQuote {
                start: start.saturating_add(delta),
                kind,
                delimiter,
            },
            SplitError::PsqlMetaCommand { start, command } => SplitError::PsqlMetaCommand {
                start: start.saturating_add(delta),
                command,
            },
        }
    }
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::UnterminatedQuote {
                kind, delimiter, ..
            } => match (*kind, delimiter) {
                (KIND_DOLLAR, Some(delimiter)) => write!(
                    f,
                    "unterminated dollar-quoted string {delimiter} (opened here; no closing {delimiter} follows)"
                ),
                (KIND_BLOCK_COMMENT, _) => write!(
                    f,
                    "unterminated block comment (opened here; comments nest, so every /* needs its own */)"
                ),
                (kind, _) => write!(f, "unterminated {kind} (opened here)"),
            },
            SplitError::PsqlMetaCommand { command, .. } => write!(
                f,
                "psql meta-command {command} is not SQL: strata sends statements to PostgreSQL \
                 directly, not through psql; remove the line (write out what it includes or sets)"
            ),
        }
    }
}

impl std::error::Error for SplitError {}

const KIND_STRING: &str = "string";
const KIND_QUOTED_IDENT: &str = "quoted identifier";
const KIND_DOLLAR: &str = "dollar-quoted string";
const KIND_BLOCK_COMMENT: &str = "block comment";

/// The lexical class of a [`Token`]; only as fine as splitting and classification need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Keyword or unquoted identifier (letters, digits, `_`, `$`, any non-ASCII character).
    Word,
    /// A run of ASCII digits.
    Number,
    /// `"…"` with `""` escapes.
    QuotedIdent,
    /// `'…'`, `E'…'` (the `E` included), with their escapes.
    String,
    /// `$$…$$` or `$tag$…$tag$`.
    DollarString,
    /// `-- …` up to, not including, the end of the line.
    LineComment,
    /// `/* … */`, nested.
    BlockComment,
    Semicolon,
    OpenParen,
    CloseParen,
    /// A whole line starting with `\` (psql meta-command), up to, not including, the newline.
    MetaCommand,
    /// Any other single ASCII character (operators, punctuation, `$` of a `$1` parameter).
    Other,
}

/// One token: its kind and its byte span in the lexed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// Iterator over the tokens of a text (whitespace skipped); see [`tokens`].
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    /// Only whitespace since the last newline (or the start of the text).
    line_start: bool,
    done: bool,
}

/// Lex `sql` into tokens. Yields at most one `Err` (an unterminated quote or comment), after
/// which the iterator ends: everything after the opening character belongs to the open construct.
pub fn tokens(sql: &str) -> Tokens<'_> {
    Tokens {
        text: sql,
        pos: 0,
        line_start: true,
        done: false,
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Tag characters of a dollar quote: identifier characters except `$`.
fn is_tag_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

impl<'a> Tokens<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// End of a `'…'` string whose opening quote is at `quote`; `backslash` for `E'…'`.
    fn scan_string(&self, quote: usize, backslash: bool) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut i = quote + 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' if backslash => i += 2,
                b'\'' => {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                    } else {
                        return Some(i + 1);
                    }
                }
                _ => i += 1,
            }
        }
        None
    }

    fn scan_quoted_ident(&self, quote: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut i = quote + 1;
        while let Some(&b) = bytes.get(i) {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            } else {
                i += 1;
            }
        }
        None
    }

    fn scan_block_comment(&self, open: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut depth = 0usize;
        let mut i = open;
        while let Some(&b) = bytes.get(i) {
            let next = bytes.get(i + 1).copied();
            if b == b'/' && next == Some(b'*') {
                depth += 1;
                i += 2;
            } else if b == b'*' && next == Some(b'/') {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            } else {
                i += 1;
            }
        }
        None
    }

    /// If a dollar-quote delimiter (`$$` or `$tag$`) starts at `dollar`, its end.
    fn dollar_delimiter_end(&self, dollar: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut i = dollar + 1;
        match bytes.get(i) {
            Some(b'$') => return Some(i + 1),
            Some(&b) if is_ident_start(b) => i += 1,
            _ => return None,
        }
        while let Some(&b) = bytes.get(i) {
            if b == b'$' {
                return Some(i + 1);
            }
            if !is_tag_cont(b) {
                return None;
            }
            i += 1;
        }
        None
    }

    fn end_of_line(&self, from: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = from;
        while let Some(&b) = bytes.get(i) {
            if b == b'\n' || b == b'\r' {
                break;
            }
            i += 1;
        }
        i
    }

    /// Kind and end of the token starting at `start`, or the error for an open construct.
    fn lex_at(
        &self,
        start: usize,
        b: u8,
        at_line_start: bool,
    ) -> Result<(TokenKind, usize), SplitError> {
        let unterminated = |kind: &'static str| SplitError::UnterminatedQuote {
            start,
            kind,
            delimiter: None,
        };
        let next = self.byte(start + 1);
        match b {
            b'\\' if at_line_start => {
                let bytes = self.text.as_bytes();
                let mut end = start;
                while let Some(&c) = bytes.get(end) {
                    if c == b'\n' {
                        break;
                    }
                    end += 1;
                }
                Ok((TokenKind::MetaCommand, end))
            }
            b'-' if next == Some(b'-') => Ok((TokenKind::LineComment, self.end_of_line(start))),
            b'/' if next == Some(b'*') => self
                .scan_block_comment(start)
                .map(|end| (TokenKind::BlockComment, end))
                .ok_or_else(|| unterminated(KIND_BLOCK_COMMENT)),
            b'\'' => self
                .scan_string(start, false)
                .map(|end| (TokenKind::String, end))
                .ok_or_else(|| unterminated(KIND_STRING)),
            b'"' => self
                .scan_quoted_ident(start)
                .map(|end| (TokenKind::QuotedIdent, end))
                .ok_or_else(|| unterminated(KIND_QUOTED_IDENT)),
            b'$' => match self.dollar_delimiter_end(start) {
                Some(open_end) => {
                    let delimiter = self.text.get(start..open_end).unwrap_or("$$");
                    let body = self.text.get(open_end..).unwrap_or("");
                    match body.find(delimiter) {
                        Some(at) => Ok((TokenKind::DollarString, open_end + at + delimiter.len())),
                        None => Err(SplitError::UnterminatedQuote {
                            start,
                            kind: KIND_DOLLAR,
                            delimiter: Some(delimiter.to_string()),
                        }),
                    }
                }
                None => Ok((TokenKind::Other, start + 1)),
            },
            b';' => Ok((TokenKind::Semicolon, start + 1)),
            b'(' => Ok((TokenKind::OpenParen, start + 1)),
            b')' => Ok((TokenKind::CloseParen, start + 1)),
            b'0'..=b'9' => {
                let bytes = self.text.as_bytes();
                let mut end = start + 1;
                while bytes.get(end).is_some_and(|c| c.is_ascii_digit()) {
                    end += 1;
                }
                Ok((TokenKind::Number, end))
            }
            b if is_ident_start(b) => {
                // `E'…'`: only a lone `e`/`E` directly before the quote starts an escape string;
                // in `some_e'x'` the `e` belongs to the identifier, as in PostgreSQL's lexer.
                if (b == b'e' || b == b'E') && next == Some(b'\'') {
                    return self
                        .scan_string(start + 1, true)
                        .map(|end| (TokenKind::String, end))
                        .ok_or_else(|| unterminated(KIND_STRING));
                }
                let bytes = self.text.as_bytes();
                let mut end = start + 1;
                while bytes.get(end).copied().is_some_and(is_ident_cont) {
                    end += 1;
                }
                Ok((TokenKind::Word, end))
            }
            _ => Ok((TokenKind::Other, start + 1)),
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Result<Token, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        while let Some(b) = self.byte(self.pos) {
            match b {
                b'\n' => self.line_start = true,
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {}
                _ => break,
            }
            self.pos += 1;
        }
        let start = self.pos;
        let Some(b) = self.byte(start) else {
            self.done = true;
            return None;
        };
        let at_line_start = std::mem::replace(&mut self.line_start, false);
        match self.lex_at(start, b, at_line_start) {
            Ok((kind, end)) => {
                // Every token ends on an ASCII byte or at a run of identifier bytes; clamp anyway
                // so that a logic slip can never produce an offset past the text.
                self.pos = end.min(self.text.len()).max(start + 1);
                Some(Ok(Token {
                    kind,
                    start,
                    end: self.pos,
                }))
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_classify() {
        let sql = "x 1 \"q\" 'a' $$b$$ -- c\n/* d */;()+";
        let kinds: Vec<TokenKind> = tokens(sql)
            .map(|t| t.map(|t| t.kind))
            .collect::<Result<_, _>>()
            .unwrap();
        use TokenKind::*;
        assert_eq!(
            kinds,
            [
                Word,
                Number,
                QuotedIdent,
                String,
                DollarString,
                LineComment,
                BlockComment,
                Semicolon,
                OpenParen,
                CloseParen,
                Other
            ]
        );
    }
}
