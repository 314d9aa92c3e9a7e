//! SQL as text: the statement splitter, byte spans ↔ line:column, PostgreSQL's error positions,
//! identifier and literal quoting, and the few statement classifications strata needs before it
//! runs anything (transaction control, statements PostgreSQL refuses inside a transaction block,
//! `ALTER TYPE … ADD VALUE`).
//!
//! What it must not do: any I/O, any parsing beyond the lexical level, any panic on any input,
//! and any slicing inside a UTF-8 character. PostgreSQL is the parser: strata only needs to know
//! where one statement ends and the next begins, so that it can send statements one at a time
//! (`-- strata:no-transaction` files, `CREATE INDEX CONCURRENTLY`) and map PostgreSQL's error
//! positions back to `file:line:col`.
//!
//! Why it is shaped so: every construct that can hide a `;` is recognised the way PostgreSQL's
//! own lexer (`src/backend/parser/scan.l`) and psql (`src/fe_utils/psqlscan.l`) recognise it:
//! `'…'` strings with `''`, `E'…'` strings with backslash escapes, `"quoted ""names"""`,
//! `-- line comments`, nested `/* /* */ */` comments, `$$…$$` and `$tag$…$tag$` dollar quotes,
//! semicolons inside parentheses (`CREATE RULE … DO ALSO (…; …)`) and SQL-standard routine bodies
//! (`CREATE FUNCTION … BEGIN ATOMIC …; … END`). Splitting on `;` alone is the bug that makes other
//! migration tools run `CREATE INDEX CONCURRENTLY` inside an implicit transaction.
//! `standard_conforming_strings` is assumed to be `on` (the default since PostgreSQL 9.1), so a
//! backslash is special only in `E'…'` strings.
//!
//! All positions are byte offsets into the text given; every special character is ASCII, so every
//! offset this module produces lies on a `char` boundary. Line and column are computed only when
//! rendering, through [`LineIndex`].

use std::fmt;

/// Byte span `[start, end)` of one statement inside the input text: starts at the statement's
/// first token (leading whitespace and comments excluded), ends after its last token, *excluding*
/// the terminating `;`. The text `&input[start..end]` is what strata sends to PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The spanned text, or `""` if the span does not fit `text` (never panics).
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

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

// ---------------------------------------------------------------------------------------------
// Lexer

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

// ---------------------------------------------------------------------------------------------
// Splitter

/// How far the start of the current statement matches `CREATE [OR REPLACE] FUNCTION|PROCEDURE`,
/// the only statements whose body may be `BEGIN ATOMIC … END` with `;` inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Head {
    #[default]
    Start,
    Create,
    CreateOr,
    CreateOrReplace,
    Routine,
    Other,
}

#[derive(Debug, Default)]
struct Statement {
    start: Option<usize>,
    end: usize,
    paren_depth: usize,
    head: Head,
    /// The previous significant token was `BEGIN` in a routine definition.
    after_begin: bool,
    /// Open `BEGIN ATOMIC` blocks plus the `CASE` expressions inside them (both close with END).
    atomic_depth: usize,
}

impl Statement {
    fn at_top_level(&self) -> bool {
        self.paren_depth == 0 && self.atomic_depth == 0
    }

    fn push(&mut self, sql: &str, token: Token) {
        if self.start.is_none() {
            self.start = Some(token.start);
        }
        self.end = token.end;
        let word = match token.kind {
            TokenKind::Word => sql.get(token.start..token.end),
            _ => None,
        };
        let is = |keyword: &str| word.is_some_and(|w| w.eq_ignore_ascii_case(keyword));
        let after_begin = std::mem::take(&mut self.after_begin);
        let was_routine = self.head == Head::Routine;
        self.head = match self.head {
            Head::Start if is("create") => Head::Create,
            Head::Create if is("or") => Head::CreateOr,
            Head::CreateOr if is("replace") => Head::CreateOrReplace,
            Head::Create | Head::CreateOrReplace if is("function") || is("procedure") => {
                Head::Routine
            }
            Head::Routine => Head::Routine,
            _ => Head::Other,
        };
        match token.kind {
            TokenKind::OpenParen => self.paren_depth += 1,
            TokenKind::CloseParen => self.paren_depth = self.paren_depth.saturating_sub(1),
            _ => {}
        }
        // Same heuristic as psql: only keywords outside parentheses count, and CASE … END is
        // tracked only inside a body, where its END would otherwise close the body.
        if !was_routine || self.paren_depth != 0 || word.is_none() {
            return;
        }
        if after_begin && is("atomic") {
            self.atomic_depth += 1;
        } else if is("begin") {
            self.after_begin = true;
        } else if is("case") && self.atomic_depth > 0 {
            self.atomic_depth += 1;
        } else if is("end") && self.atomic_depth > 0 {
            self.atomic_depth -= 1;
        }
    }

    fn finish(&mut self) -> Option<Span> {
        let span = self.start.map(|start| Span {
            start,
            end: self.end,
        });
        *self = Statement::default();
        span
    }
}

/// Split `sql` into statement spans.
///
/// Statements consisting only of comments, whitespace or `;` produce no span; a final statement
/// without `;` is returned. A `;` inside parentheses or inside a `BEGIN ATOMIC … END` routine
/// body does not end the statement (as in psql). The first unterminated quote or comment, or the
/// first psql meta-command line, is an error.
pub fn split(sql: &str) -> Result<Vec<Span>, SplitError> {
    let mut spans = Vec::new();
    let mut statement = Statement::default();
    for token in tokens(sql) {
        let token = token?;
        match token.kind {
            TokenKind::LineComment | TokenKind::BlockComment => {}
            TokenKind::MetaCommand => {
                let line = sql.get(token.start..token.end).unwrap_or("\\");
                let command = line.split_whitespace().next().unwrap_or("\\");
                return Err(SplitError::PsqlMetaCommand {
                    start: token.start,
                    command: command.to_string(),
                });
            }
            TokenKind::Semicolon if statement.at_top_level() => {
                spans.extend(statement.finish());
            }
            _ => statement.push(sql, token),
        }
    }
    spans.extend(statement.finish());
    Ok(spans)
}

// ---------------------------------------------------------------------------------------------
// Positions

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

/// PostgreSQL reports error positions as 1-based *character* offsets into the statement sent;
/// convert to a byte offset into `stmt` (clamped to `stmt.len()`; position 0, "no position",
/// gives 0).
pub fn char_pos_to_byte(stmt: &str, pos_1based: usize) -> usize {
    if pos_1based == 0 {
        return 0;
    }
    stmt.char_indices()
        .nth(pos_1based - 1)
        .map_or(stmt.len(), |(i, _)| i)
}

// ---------------------------------------------------------------------------------------------
// Quoting

/// PostgreSQL 15 keywords that cannot be used as a bare column or table name everywhere:
/// reserved, "type or function name" and "column name" keywords (`SELECT * FROM
/// pg_get_keywords() WHERE catcode <> 'U'`). `quote_ident` quotes all of them, as PostgreSQL's
/// own `quote_ident()` does. Sorted, for binary search.
const NON_UNRESERVED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Quote an identifier for SQL: left bare only when it is a plain lowercase identifier
/// (`[a-z_][a-z0-9_]*`) that is not a keyword PostgreSQL reserves in some position; otherwise
/// double-quoted with `"` doubled. This is the one quoting function for names strata builds
/// into SQL.
pub fn quote_ident(name: &str) -> String {
    let bytes = name.as_bytes();
    let plain = bytes
        .first()
        .is_some_and(|&b| b.is_ascii_lowercase() || b == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && NON_UNRESERVED_KEYWORDS.binary_search(&name).is_err();
    if plain {
        return name.to_string();
    }
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        if c == '"' {
            quoted.push('"');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Quote a string literal: `'…'` with `'` doubled; if the value contains a backslash, `E'…'`
/// with backslashes doubled too, so the result means the same whatever
/// `standard_conforming_strings` is.
pub fn quote_literal(value: &str) -> String {
    let backslash = value.contains('\\');
    let mut quoted = String::with_capacity(value.len() + 3);
    if backslash {
        quoted.push('E');
    }
    quoted.push('\'');
    for c in value.chars() {
        if c == '\'' || (backslash && c == '\\') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

// ---------------------------------------------------------------------------------------------
// Classification

/// The significant tokens of a statement (comments dropped), stopping at a lexing error.
fn significant(stmt: &str) -> Vec<(TokenKind, &str)> {
    tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| (t.kind, stmt.get(t.start..t.end).unwrap_or("")))
        .collect()
}

fn is_word(token: Option<&(TokenKind, &str)>, keyword: &str) -> bool {
    token.is_some_and(|(kind, text)| *kind == TokenKind::Word && text.eq_ignore_ascii_case(keyword))
}

/// Whether the words of `toks` start with `keywords` (case-insensitive).
fn starts_with_words(toks: &[(TokenKind, &str)], keywords: &[&str]) -> bool {
    toks.len() >= keywords.len()
        && keywords
            .iter()
            .zip(toks)
            .all(|(keyword, token)| is_word(Some(token), keyword))
}

/// Whether the option list following `WITH (` sets `option` to false (`false`, `off`, `0`,
/// `'false'` …). Options absent or true keep PostgreSQL's default.
fn option_is_false(toks: &[(TokenKind, &str)], option: &str) -> bool {
    toks.iter().enumerate().any(|(i, token)| {
        if !is_word(Some(token), option) {
            return false;
        }
        let mut value = toks.get(i + 1);
        if value.is_some_and(|(_, text)| *text == "=") {
            value = toks.get(i + 2);
        }
        value.is_some_and(|(_, text)| {
            let text = text.trim_matches('\'').to_ascii_lowercase();
            matches!(text.as_str(), "false" | "off" | "0" | "no" | "f" | "n")
        })
    })
}

/// Why a statement cannot run inside a transaction block, if PostgreSQL 15 refuses to run it
/// there: the command name PostgreSQL puts in "… cannot run inside a transaction block" (or
/// "… cannot be executed from a function"), e.g. `Some("CREATE INDEX CONCURRENTLY")`.
///
/// Covers `CREATE [UNIQUE] INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX …
/// CONCURRENTLY` / `REINDEX SCHEMA|DATABASE|SYSTEM`, `VACUUM`, `CLUSTER` without a table,
/// `CREATE|DROP DATABASE`, `ALTER DATABASE … SET TABLESPACE`, `CREATE|DROP TABLESPACE`,
/// `ALTER SYSTEM`, `DISCARD ALL`, `ALTER TABLE … DETACH PARTITION … CONCURRENTLY`,
/// `COMMIT|ROLLBACK PREPARED`, and the subscription commands that create, refresh or drop a
/// replication slot. `ALTER TYPE … ADD VALUE` is not here: since PostgreSQL 12 it runs in a
/// transaction (the new value is only usable after commit; see [`added_enum_type`]). Leading
/// comments are ignored; keywords are case-insensitive.
pub fn non_transactional_reason(stmt: &str) -> Option<&'static str> {
    let toks = significant(stmt);
    let w = |keywords: &[&str]| starts_with_words(&toks, keywords);
    if w(&["create", "index", "concurrently"]) || w(&["create", "unique", "index", "concurrently"])
    {
        return Some("CREATE INDEX CONCURRENTLY");
    }
    if w(&["drop", "index", "concurrently"]) {
        return Some("DROP INDEX CONCURRENTLY");
    }
    if w(&["reindex"]) {
        return reindex_reason(toks.get(1..).unwrap_or(&[]));
    }
    if w(&["vacuum"]) {
        return Some("VACUUM");
    }
    if w(&["cluster"]) {
        // Only the database-wide form (no table named) is refused.
        let mut rest = toks.get(1..).unwrap_or(&[]);
        if rest.first().is_some_and(|t| t.0 == TokenKind::OpenParen) {
            let close = rest.iter().position(|t| t.0 == TokenKind::CloseParen);
            rest = close.and_then(|c| rest.get(c + 1..)).unwrap_or(&[]);
        }
        if is_word(rest.first(), "verbose") {
            rest = rest.get(1..).unwrap_or(&[]);
        }
        return rest.is_empty().then_some("CLUSTER");
    }
    for (keywords, reason) in [
        (&["create", "database"][..], "CREATE DATABASE"),
        (&["drop", "database"][..], "DROP DATABASE"),
        (&["create", "tablespace"][..], "CREATE TABLESPACE"),
        (&["drop", "tablespace"][..], "DROP TABLESPACE"),
        (&["alter", "system"][..], "ALTER SYSTEM"),
        (&["discard", "all"][..], "DISCARD ALL"),
        (&["commit", "prepared"][..], "COMMIT PREPARED"),
        (&["rollback", "prepared"][..], "ROLLBACK PREPARED"),
        (&["drop", "subscription"][..], "DROP SUBSCRIPTION"),
    ] {
        if w(keywords) {
            return Some(reason);
        }
    }
    if w(&["alter", "database"]) {
        let set_tablespace = toks
            .windows(2)
            .any(|pair| is_word(pair.first(), "set") && is_word(pair.get(1), "tablespace"));
        return set_tablespace.then_some("ALTER DATABASE SET TABLESPACE");
    }
    if w(&["create", "subscription"]) {
        // The slot is created unless `connect = false` or `create_slot = false`.
        let no_slot = option_is_false(&toks, "connect") || option_is_false(&toks, "create_slot");
        return (!no_slot).then_some("CREATE SUBSCRIPTION ... WITH (create_slot = true)");
    }
    if w(&["alter", "subscription"]) {
        let action = toks.get(3);
        if is_word(action, "refresh") {
            return Some("ALTER SUBSCRIPTION ... REFRESH");
        }
        let publication_change = ["set", "add", "drop"].iter().any(|a| is_word(action, a))
            && is_word(toks.get(4), "publication");
        if publication_change && !option_is_false(&toks, "refresh") {
            return Some("ALTER SUBSCRIPTION with refresh");
        }
        return None;
    }
    if w(&["alter", "table"]) {
        let detach = toks.iter().position(|t| is_word(Some(t), "detach"));
        let concurrently = detach.is_some_and(|d| {
            toks.iter()
                .skip(d)
                .take_while(|t| !(t.0 == TokenKind::Other && t.1 == ","))
                .any(|t| is_word(Some(t), "concurrently"))
        });
        return concurrently.then_some("ALTER TABLE ... DETACH CONCURRENTLY");
    }
    None
}

fn reindex_reason(rest: &[(TokenKind, &str)]) -> Option<&'static str> {
    let mut rest = rest;
    let mut concurrently = false;
    if rest.first().is_some_and(|t| t.0 == TokenKind::OpenParen) {
        let close = rest
            .iter()
            .position(|t| t.0 == TokenKind::CloseParen)
            .unwrap_or(rest.len());
        let options = rest.get(1..close).unwrap_or(&[]);
        concurrently = options.iter().enumerate().any(|(i, t)| {
            is_word(Some(t), "concurrently")
                && !option_is_false(options.get(i..).unwrap_or(&[]), "concurrently")
        });
        rest = rest.get(close + 1..).unwrap_or(&[]);
    }
    let kind = rest.first();
    if is_word(rest.get(1), "concurrently") || concurrently {
        return Some("REINDEX CONCURRENTLY");
    }
    if is_word(kind, "schema") {
        Some("REINDEX SCHEMA")
    } else if is_word(kind, "database") {
        Some("REINDEX DATABASE")
    } else if is_word(kind, "system") {
        Some("REINDEX SYSTEM")
    } else {
        None
    }
}

/// True for top-level transaction control, which would end or nest strata's own transaction:
/// `BEGIN` (not `BEGIN ATOMIC`), `START TRANSACTION`, `COMMIT` (also `COMMIT PREPARED`), `END`,
/// `ROLLBACK` (also `ROLLBACK PREPARED`, but not `ROLLBACK TO SAVEPOINT`), `ABORT`,
/// `PREPARE TRANSACTION`. `SAVEPOINT`, `RELEASE` and `ROLLBACK TO` are not: they work inside
/// the surrounding transaction and cannot end it. A `BEGIN` inside a `DO` block or function body
/// is inside a string, not at the start of the statement, so it never counts.
pub fn is_transaction_control(stmt: &str) -> bool {
    let toks = significant(stmt);
    let first = toks.first();
    if is_word(first, "begin") {
        return !is_word(toks.get(1), "atomic");
    }
    if is_word(first, "rollback") {
        let mut next = 1;
        if is_word(toks.get(1), "work") || is_word(toks.get(1), "transaction") {
            next = 2;
        }
        return !is_word(toks.get(next), "to");
    }
    ["commit", "end", "abort"]
        .iter()
        .any(|keyword| is_word(first, keyword))
        || starts_with_words(&toks, &["start", "transaction"])
        || starts_with_words(&toks, &["prepare", "transaction"])
}

/// `ALTER TYPE name ADD VALUE …`: the type name as written (`mood`, `public.mood`,
/// `"Mood"`), if this is one.
pub fn added_enum_type(stmt: &str) -> Option<String> {
    let mut toks = tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment));
    let word = |t: Option<Token>, keyword: &str| {
        t.is_some_and(|t| {
            t.kind == TokenKind::Word
                && stmt
                    .get(t.start..t.end)
                    .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
        })
    };
    if !word(toks.next(), "alter") || !word(toks.next(), "type") {
        return None;
    }
    // The name: identifiers separated by dots.
    let first = toks.next()?;
    if !matches!(first.kind, TokenKind::Word | TokenKind::QuotedIdent) {
        return None;
    }
    let mut end = first.end;
    let mut next = toks.next();
    while let Some(dot) =
        next.filter(|t| t.kind == TokenKind::Other && stmt.get(t.start..t.end) == Some("."))
    {
        let part = toks.next()?;
        if !matches!(part.kind, TokenKind::Word | TokenKind::QuotedIdent) || part.start < dot.end {
            return None;
        }
        end = part.end;
        next = toks.next();
    }
    if word(next, "add") && word(toks.next(), "value") {
        stmt.get(first.start..end).map(str::to_string)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql)
            .unwrap_or_else(|e| panic!("split failed: {e}"))
            .iter()
            .map(|s| &sql[s.start..s.end])
            .collect()
    }

    fn split_err(sql: &str) -> SplitError {
        match split(sql) {
            Ok(spans) => panic!("expected an error, got {spans:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn splits_simple_statements() {
        assert_eq!(texts("SELECT 1; SELECT 2;"), ["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn final_statement_without_semicolon_is_returned() {
        assert_eq!(texts("SELECT 1;\nSELECT 2\n"), ["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn empty_statements_produce_no_span() {
        assert!(texts("").is_empty());
        assert!(texts(" ;;\n ; -- c\n/* x */;").is_empty());
        assert_eq!(texts(";;SELECT 1;;"), ["SELECT 1"]);
    }

    #[test]
    fn leading_and_trailing_comments_are_excluded() {
        let sql = "-- head\n/* block */ SELECT 1 -- tail\n/* more */ ;";
        assert_eq!(texts(sql), ["SELECT 1"]);
    }

    #[test]
    fn comments_inside_a_statement_are_kept() {
        assert_eq!(
            texts("SELECT /* ; */ 1 -- ;\n + 2;"),
            ["SELECT /* ; */ 1 -- ;\n + 2"]
        );
    }

    #[test]
    fn strings_with_doubled_quotes() {
        assert_eq!(
            texts("SELECT 'a;''b'; SELECT 2"),
            ["SELECT 'a;''b'", "SELECT 2"]
        );
    }

    #[test]
    fn escape_strings_with_backslash_quote() {
        assert_eq!(
            texts(r"SELECT E'a\';b'; SELECT 2"),
            [r"SELECT E'a\';b'", "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT e'\\'; SELECT 2"),
            [r"SELECT e'\\'", "SELECT 2"]
        );
    }

    #[test]
    fn backslash_is_plain_in_standard_strings() {
        assert_eq!(
            texts(r"SELECT 'a\'; SELECT 2"),
            [r"SELECT 'a\'", "SELECT 2"]
        );
    }

    #[test]
    fn e_at_the_end_of_an_identifier_is_not_an_escape_string() {
        // `some_e` is one identifier; the string after it is a standard one.
        assert_eq!(
            texts(r"SELECT some_e'a\'; SELECT 2"),
            [r"SELECT some_e'a\'", "SELECT 2"]
        );
    }

    #[test]
    fn quoted_identifiers_with_semicolons_and_doubled_quotes() {
        assert_eq!(
            texts(r#"CREATE TABLE "a;""b" (x int); SELECT 1"#),
            [r#"CREATE TABLE "a;""b" (x int)"#, "SELECT 1"]
        );
    }

    #[test]
    fn nested_block_comments() {
        assert_eq!(
            texts("/* a /* ; */ ; */ SELECT 1; SELECT 2"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn dollar_quotes_plain_and_tagged() {
        assert_eq!(
            texts("DO $$ BEGIN PERFORM 1; END $$; SELECT 2"),
            ["DO $$ BEGIN PERFORM 1; END $$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $fn$ a $$ ; $$ b $fn$; SELECT 2"),
            ["SELECT $fn$ a $$ ; $$ b $fn$", "SELECT 2"]
        );
    }

    #[test]
    fn dollar_tag_is_case_sensitive() {
        assert_eq!(
            texts("SELECT $a$ $A$ ; $a$; SELECT 2"),
            ["SELECT $a$ $A$ ; $a$", "SELECT 2"]
        );
    }

    #[test]
    fn positional_parameter_is_not_a_dollar_quote() {
        assert_eq!(texts("SELECT $1; SELECT $2"), ["SELECT $1", "SELECT $2"]);
        // `$1$` is not a delimiter either: tags cannot start with a digit.
        assert_eq!(texts("SELECT $1$; SELECT 2"), ["SELECT $1$", "SELECT 2"]);
    }

    #[test]
    fn dollar_inside_identifier_is_not_a_dollar_quote() {
        assert_eq!(texts("SELECT a$$b; SELECT 2"), ["SELECT a$$b", "SELECT 2"]);
    }

    #[test]
    fn semicolons_inside_parentheses_do_not_split() {
        let sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); DELETE FROM b); SELECT 1";
        assert_eq!(texts(sql).len(), 2);
    }

    #[test]
    fn begin_atomic_body_with_case() {
        let sql = "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\nSELECT 3;";
        let t = texts(sql);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].ends_with("END"));
        assert_eq!(t[1], "SELECT 3");
    }

    #[test]
    fn begin_atomic_in_create_or_replace_procedure() {
        let sql = "create or replace procedure p() language sql begin atomic insert into t values (1); end; select 1";
        assert_eq!(texts(sql).len(), 2);
    }

    #[test]
    fn begin_without_atomic_does_not_open_a_body() {
        // A routine literally named `begin` must not swallow the next statement.
        assert_eq!(
            texts("CREATE FUNCTION begin() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql; SELECT 2"),
            [
                "CREATE FUNCTION begin() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn transaction_begin_and_end_split_normally() {
        assert_eq!(texts("BEGIN; SELECT 1; END;"), ["BEGIN", "SELECT 1", "END"]);
    }

    #[test]
    fn case_outside_routine_is_ignored() {
        assert_eq!(
            texts("SELECT CASE WHEN true THEN 1 END; SELECT 2"),
            ["SELECT CASE WHEN true THEN 1 END", "SELECT 2"]
        );
    }

    #[test]
    fn unterminated_string() {
        assert_eq!(
            split_err("SELECT 1;\nSELECT 'abc"),
            SplitError::UnterminatedQuote {
                start: 17,
                kind: "string",
                delimiter: None
            }
        );
    }

    #[test]
    fn unterminated_escape_string_ending_in_backslash() {
        let e = split_err(r"SELECT E'abc\'");
        assert_eq!(e.start(), 7);
        assert_eq!(e.to_string(), "unterminated string (opened here)");
    }

    #[test]
    fn unterminated_quoted_identifier() {
        let e = split_err("SELECT \"abc");
        assert_eq!(
            e.to_string(),
            "unterminated quoted identifier (opened here)"
        );
    }

    #[test]
    fn unterminated_dollar_quote_names_its_tag() {
        let e = split_err("SELECT 1;\nDO $body$ BEGIN END $bod$;");
        assert_eq!(e.start(), 13);
        assert_eq!(
            e.to_string(),
            "unterminated dollar-quoted string $body$ (opened here; no closing $body$ follows)"
        );
    }

    #[test]
    fn unterminated_nested_block_comment() {
        let e = split_err("/* a /* b */ SELECT 1;");
        assert_eq!(e.start(), 0);
        assert!(e.to_string().starts_with("unterminated block comment"));
    }

    #[test]
    fn psql_meta_command_is_an_error() {
        let e = split_err("SELECT 1;\n  \\set ON_ERROR_STOP 1\nSELECT 2;");
        assert_eq!(
            e,
            SplitError::PsqlMetaCommand {
                start: 12,
                command: "\\set".into()
            }
        );
        assert!(e.to_string().contains("\\set"));
    }

    #[test]
    fn backslash_inside_a_line_or_string_is_not_a_meta_command() {
        assert_eq!(texts("SELECT 1 \\x"), ["SELECT 1 \\x"]);
        assert_eq!(texts("SELECT '\n\\i x\n'"), ["SELECT '\n\\i x\n'"]);
        assert_eq!(texts("/*\n\\i x\n*/ SELECT 1"), ["SELECT 1"]);
    }

    #[test]
    fn shifted_moves_offset() {
        let e = split_err("'").shifted(10);
        assert_eq!(e.start(), 10);
    }

    #[test]
    fn line_comment_ends_at_carriage_return() {
        assert_eq!(
            texts("SELECT 1 -- c\r\n;\r\nSELECT 2\r\n"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn utf8_text_keeps_char_boundaries() {
        let sql = "SELECT 'héllo; wörld' AS ñ; SELECT 日本;";
        assert_eq!(texts(sql), ["SELECT 'héllo; wörld' AS ñ", "SELECT 日本"]);
        assert_eq!(texts("SELECT $é$ ; $é$"), ["SELECT $é$ ; $é$"]);
    }

    #[test]
    fn span_text_never_panics() {
        assert_eq!(Span { start: 0, end: 3 }.text("abc"), "abc");
        assert_eq!(Span { start: 0, end: 9 }.text("abc"), "");
        assert_eq!(Span { start: 1, end: 2 }.text("é"), "");
    }

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

    // -- positions -------------------------------------------------------------------------

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

    #[test]
    fn char_pos_to_byte_handles_multibyte_and_clamps() {
        let stmt = "SELECT 'é' + x";
        assert_eq!(char_pos_to_byte(stmt, 1), 0);
        assert_eq!(char_pos_to_byte(stmt, 9), 8); // é
        assert_eq!(char_pos_to_byte(stmt, 10), 10); // the quote after é
        assert_eq!(char_pos_to_byte(stmt, 0), 0);
        assert_eq!(char_pos_to_byte(stmt, 1000), stmt.len());
    }

    // -- quoting ----------------------------------------------------------------------------

    #[test]
    fn quote_ident_leaves_plain_names_bare() {
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("_t1"), "_t1");
    }

    #[test]
    fn quote_ident_quotes_keywords_case_and_specials() {
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("int"), "\"int\"");
        assert_eq!(quote_ident("Users"), "\"Users\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
        assert_eq!(quote_ident("a$"), "\"a$\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("über"), "\"über\"");
    }

    #[test]
    fn keyword_list_is_sorted_lowercase_and_unique() {
        assert!(NON_UNRESERVED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(NON_UNRESERVED_KEYWORDS
            .iter()
            .all(|k| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }

    #[test]
    fn quote_literal_doubles_quotes_and_escapes_backslashes() {
        assert_eq!(quote_literal("abc"), "'abc'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b'c"), r"E'a\\b''c'");
        assert_eq!(quote_literal(""), "''");
    }

    #[test]
    fn quoted_literal_round_trips_through_the_lexer() {
        for value in ["", "x", "'", "\\", "\\'", "a;b", "é'\\"] {
            let sql = format!("SELECT {}; SELECT 2", quote_literal(value));
            assert_eq!(split(&sql).map(|s| s.len()), Ok(2), "{sql}");
        }
    }

    // -- classification --------------------------------------------------------------------

    #[test]
    fn non_transactional_statements() {
        let cases = [
            (
                "CREATE INDEX CONCURRENTLY i ON t (a)",
                Some("CREATE INDEX CONCURRENTLY"),
            ),
            (
                "-- why\n/* c */ create unique index concurrently if not exists i on t (a)",
                Some("CREATE INDEX CONCURRENTLY"),
            ),
            ("CREATE INDEX i ON t (a)", None),
            (
                "DROP INDEX CONCURRENTLY IF EXISTS i",
                Some("DROP INDEX CONCURRENTLY"),
            ),
            ("DROP INDEX i", None),
            ("REINDEX INDEX CONCURRENTLY i", Some("REINDEX CONCURRENTLY")),
            (
                "REINDEX (CONCURRENTLY) TABLE t",
                Some("REINDEX CONCURRENTLY"),
            ),
            ("REINDEX (CONCURRENTLY false) TABLE t", None),
            ("REINDEX (VERBOSE) SCHEMA s", Some("REINDEX SCHEMA")),
            ("REINDEX DATABASE d", Some("REINDEX DATABASE")),
            ("REINDEX SYSTEM postgres", Some("REINDEX SYSTEM")),
            ("REINDEX TABLE t", None),
            ("VACUUM", Some("VACUUM")),
            ("vacuum (analyze) t", Some("VACUUM")),
            ("ANALYZE t", None),
            ("CLUSTER", Some("CLUSTER")),
            ("CLUSTER VERBOSE", Some("CLUSTER")),
            ("CLUSTER t USING i", None),
            ("CREATE DATABASE d", Some("CREATE DATABASE")),
            ("DROP DATABASE IF EXISTS d", Some("DROP DATABASE")),
            (
                "ALTER DATABASE d SET TABLESPACE x",
                Some("ALTER DATABASE SET TABLESPACE"),
            ),
            ("ALTER DATABASE d SET search_path = a", None),
            (
                "CREATE TABLESPACE x LOCATION '/x'",
                Some("CREATE TABLESPACE"),
            ),
            ("DROP TABLESPACE x", Some("DROP TABLESPACE")),
            ("ALTER SYSTEM SET work_mem = '1MB'", Some("ALTER SYSTEM")),
            ("DISCARD ALL", Some("DISCARD ALL")),
            ("DISCARD PLANS", None),
            ("COMMIT PREPARED 'x'", Some("COMMIT PREPARED")),
            ("ROLLBACK PREPARED 'x'", Some("ROLLBACK PREPARED")),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'c' PUBLICATION p",
                Some("CREATE SUBSCRIPTION ... WITH (create_slot = true)"),
            ),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'c' PUBLICATION p WITH (connect = false)",
                None,
            ),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'c' PUBLICATION p WITH (create_slot = false)",
                None,
            ),
            (
                "ALTER SUBSCRIPTION s REFRESH PUBLICATION",
                Some("ALTER SUBSCRIPTION ... REFRESH"),
            ),
            (
                "ALTER SUBSCRIPTION s SET PUBLICATION p",
                Some("ALTER SUBSCRIPTION with refresh"),
            ),
            (
                "ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)",
                None,
            ),
            ("ALTER SUBSCRIPTION s DISABLE", None),
            ("DROP SUBSCRIPTION s", Some("DROP SUBSCRIPTION")),
            (
                "ALTER TABLE p DETACH PARTITION c CONCURRENTLY",
                Some("ALTER TABLE ... DETACH CONCURRENTLY"),
            ),
            ("ALTER TABLE p DETACH PARTITION c", None),
            ("ALTER TABLE t ADD COLUMN a int", None),
            ("ALTER TYPE mood ADD VALUE 'x'", None),
            ("REFRESH MATERIALIZED VIEW CONCURRENTLY m", None),
            ("SELECT 'CREATE INDEX CONCURRENTLY'", None),
            ("", None),
        ];
        for (stmt, expected) in cases {
            assert_eq!(non_transactional_reason(stmt), expected, "{stmt}");
        }
    }

    #[test]
    fn transaction_control_statements() {
        let yes = [
            "BEGIN",
            "begin isolation level serializable",
            "BEGIN WORK",
            "START TRANSACTION",
            "COMMIT",
            "commit and chain",
            "END",
            "END TRANSACTION",
            "ROLLBACK",
            "ROLLBACK WORK",
            "ABORT",
            "COMMIT PREPARED 'x'",
            "ROLLBACK PREPARED 'x'",
            "PREPARE TRANSACTION 'x'",
            "-- c\nCOMMIT",
        ];
        let no = [
            "BEGIN ATOMIC SELECT 1; END",
            "ROLLBACK TO SAVEPOINT s",
            "ROLLBACK TO s",
            "ROLLBACK TRANSACTION TO SAVEPOINT s",
            "SAVEPOINT s",
            "RELEASE SAVEPOINT s",
            "PREPARE q AS SELECT 1",
            "DO $$ BEGIN COMMIT; END $$",
            "SELECT 1",
            "START",
            "",
        ];
        for stmt in yes {
            assert!(is_transaction_control(stmt), "{stmt}");
        }
        for stmt in no {
            assert!(!is_transaction_control(stmt), "{stmt}");
        }
    }

    #[test]
    fn added_enum_type_returns_name_as_written() {
        assert_eq!(
            added_enum_type("ALTER TYPE mood ADD VALUE 'x'"),
            Some("mood".into())
        );
        assert_eq!(
            added_enum_type(
                "/* c */ alter type public.\"Mood\" add value if not exists 'x' before 'y'"
            ),
            Some("public.\"Mood\"".into())
        );
        assert_eq!(
            added_enum_type("ALTER TYPE mood RENAME VALUE 'a' TO 'b'"),
            None
        );
        assert_eq!(added_enum_type("ALTER TYPE t ADD ATTRIBUTE a int"), None);
        assert_eq!(added_enum_type("ALTER TABLE t ADD VALUE"), None);
        assert_eq!(added_enum_type("ALTER TYPE"), None);
        assert_eq!(added_enum_type("ALTER TYPE a. ADD VALUE 'x'"), None);
    }

    // -- robustness ------------------------------------------------------------------------

    /// xorshift64*: a tiny deterministic generator, so fuzz failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_invariants(sql: &str) {
        let result = split(sql);
        if let Ok(spans) = &result {
            let mut previous_end = 0;
            for span in spans {
                assert!(span.start < span.end, "{sql:?} {span:?}");
                assert!(span.start >= previous_end, "{sql:?} {spans:?}");
                assert!(sql.is_char_boundary(span.start) && sql.is_char_boundary(span.end));
                let text = &sql[span.start..span.end];
                assert_eq!(text.trim(), text, "{sql:?} {span:?}");
                assert!(
                    !text.starts_with("--") && !text.starts_with("/*"),
                    "{sql:?}"
                );
                previous_end = span.end;
            }
        }
        if let Err(e) = &result {
            assert!(e.start() <= sql.len() && sql.is_char_boundary(e.start()));
            let _ = e.to_string();
        }
        let index = LineIndex::new(sql);
        for byte in [0, sql.len() / 3, sql.len() / 2, sql.len(), sql.len() + 5] {
            let (line, col) = index.line_col(sql, byte);
            assert!(line >= 1 && col >= 1);
            let (a, b) = index.line_range(sql, line);
            assert!(a <= b && b <= sql.len());
        }
        let _ = char_pos_to_byte(sql, sql.len() / 2);
        let _ = non_transactional_reason(sql);
        let _ = is_transaction_control(sql);
        let _ = added_enum_type(sql);
        let _ = quote_ident(sql);
        let _ = quote_literal(sql);
    }

    #[test]
    fn fuzz_special_character_mixes() {
        const PIECES: &[&str] = &[
            "'",
            "''",
            "\"",
            "$",
            "$$",
            "$a$",
            "$A$",
            "$1",
            "$é$",
            "E'",
            "e'",
            "\\",
            "\\'",
            "--",
            "/*",
            "*/",
            "\n",
            "\r\n",
            "\r",
            ";",
            "(",
            ")",
            " ",
            "x",
            "é",
            "日本",
            "🦀",
            "begin",
            "atomic",
            "end",
            "case",
            "create ",
            "function ",
            "procedure ",
            "or replace ",
            "BEGIN ATOMIC ",
            "\n\\i f\n",
            "alter type ",
            "add value ",
            ".",
            "create index concurrently ",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = rng.below(24);
            let sql: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            check_invariants(&sql);
        }
    }

    #[test]
    fn fuzz_random_bytes() {
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let len = rng.below(64);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    // Bias towards the bytes the lexer cares about.
                    const SPECIAL: &[u8] = b"'\"$;()-/*\\\nEe_a1 ";
                    if rng.below(2) == 0 {
                        SPECIAL[rng.below(SPECIAL.len())]
                    } else {
                        (rng.next() & 0xFF) as u8
                    }
                })
                .collect();
            check_invariants(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn large_pathological_inputs_finish_quickly() {
        let started = std::time::Instant::now();
        let n = 200_000;
        for input in [
            "$a".repeat(n),
            "$a$".repeat(n),
            "/*".repeat(n),
            "'".repeat(n),
            "e'\\".repeat(n),
            "(".repeat(n) + &";".repeat(n),
            "create function f() begin atomic case ".repeat(n / 8),
            "\"\"".repeat(n),
            "$$$".repeat(n),
            "-".repeat(n),
        ] {
            check_invariants(&input);
        }
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
