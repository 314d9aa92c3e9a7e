//! Validation suite parser (SPEC section 5): one `tests/validation/*.sql` file → its setup
//! statements and its tests, each with a name, an optional `-- as:`, an expectation and the byte
//! spans of its statements.
//!
//! What it must not do: run anything, read files, or print. It returns every problem in the file
//! at once (like `project::load`), as data with line numbers; the caller adds the file name and
//! renders. It never panics, whatever the text.
//!
//! Why it is shaped so: annotations are found with the same lexer that splits statements
//! (`crate::sql`), so an annotation-like line inside a string, a dollar-quoted body or a
//! `/* … */` comment is not an annotation (a test commented out with `/* … */` is skipped). The
//! file is then cut at its `-- test:` lines and each piece is split on its own, so a broken quote
//! in one test is reported there and does not swallow the tests after it.
//!
//! The format:
//! ```sql
//! INSERT INTO users VALUES (1);           -- setup: statements before the first `-- test:`
//!
//! -- test: a user sees only their own rows
//! -- as: authenticated 00000000-0000-0000-0000-0000000000a1
//! -- expect: rows 1
//! SELECT * FROM portfolios;
//! ```
//! - `-- test: NAME` starts a test; its body is the SQL after it up to the next `-- test:` line or
//!   the end of the file, and must hold at least one statement. Names are unique in a file.
//! - `-- as: ROLE [USER_ID]` and `-- expect: …` belong to the nearest `-- test:` above them, at
//!   most one of each per test; they may also sit between the test's statements.
//! - `-- expect:` is `ok`, `rows N`, `error CODE` (a 5-character SQLSTATE such as `23514`, or a
//!   condition name such as `check_violation`) or `value V`. **A test without `-- expect:`
//!   expects `ok`**: every statement must succeed.
//! - `value V`: V is the rest of the line, trimmed; written in single quotes (`value 'a b '`) it is
//!   unquoted, with `''` standing for `'`, so `value ''` is the empty string. `value` with nothing
//!   after it is an error.
//! - Keywords (`test`, `as`, `expect`, `ok`, `rows`, `error`, `value`, condition names) are
//!   case-insensitive and whitespace-tolerant (`--Expect : ROWS 2`). Annotations must stand on a
//!   line of their own. Any other `--` comment is an ordinary comment.

use std::fmt;

use crate::sql::{split, tokens, LineIndex, Span, SplitError, TokenKind};

/// One parsed validation file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// Statement spans before the first `-- test:`, run once before the tests.
    pub setup: Vec<Span>,
    pub tests: Vec<Test>,
}

/// One `-- test:` and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    pub name: String,
    /// 1-based line of the `-- test:` annotation.
    pub line: usize,
    pub assume: Option<Assume>,
    /// `Expectation::Ok` when the test has no `-- expect:`.
    pub expect: Expectation,
    /// 1-based line of the `-- expect:` annotation, or of `-- test:` when there is none.
    pub expect_line: usize,
    /// Byte spans into the whole file text; `expect` judges the last one.
    pub statements: Vec<Span>,
}

/// `-- as: ROLE [USER_ID]`: who the test runs as, applied through the configured auth model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assume {
    /// The role, unquoted if written as `"Role"`.
    pub role: String,
    /// The user id, unquoted if written as `'…'`.
    pub user_id: Option<String>,
}

/// What the last statement of a test must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Succeed.
    Ok,
    /// Return, or affect, exactly this many rows.
    Rows(u64),
    /// Fail with this SQLSTATE; `written` is the code or condition name as the user wrote it.
    Error { sqlstate: String, written: String },
    /// Return exactly one row whose first column, as PostgreSQL prints it, is this text.
    Value(String),
}

/// One problem in a suite file. `Display` gives a one-line message starting with the line
/// (`line 12: …`); the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// `-- expect:` followed by something that is not `ok`, `rows N`, `error CODE`, `value V`.
    UnknownExpect { line: usize, text: String },
    /// `-- expect: rows` without a non-negative whole number.
    BadRows { line: usize, text: String },
    /// `-- expect: error NAME` with a name that is neither a SQLSTATE nor a known condition.
    UnknownCondition { line: usize, name: String },
    /// `-- as:` without a role, or with more than a role and a user id.
    BadAs { line: usize, text: String },
    /// `-- as:` before the first `-- test:`.
    AsWithoutTest { line: usize },
    /// `-- expect:` before the first `-- test:`.
    ExpectWithoutTest { line: usize },
    /// `-- test:` with no name.
    MissingTestName { line: usize },
    /// A second test with the same name in the file.
    DuplicateTest {
        line: usize,
        name: String,
        first_line: usize,
    },
    /// A test whose body holds no statement.
    EmptyTest { line: usize, name: String },
    /// A second `-- as:` or `-- expect:` (`what`) for the same test.
    DuplicateAnnotation {
        line: usize,
        what: &'static str,
        first_line: usize,
    },
    /// An annotation written after SQL on the same line.
    MisplacedAnnotation { line: usize, what: &'static str },
    /// The SQL cannot be split (unterminated quote, psql meta-command); `error`'s offset is a byte
    /// offset into the whole file.
    Split {
        line: usize,
        column: usize,
        error: SplitError,
    },
}

impl ParseError {
    /// 1-based line the problem is on.
    pub fn line(&self) -> usize {
        match self {
            ParseError::UnknownExpect { line, .. }
            | ParseError::BadRows { line, .. }
            | ParseError::UnknownCondition { line, .. }
            | ParseError::BadAs { line, .. }
            | ParseError::AsWithoutTest { line }
            | ParseError::ExpectWithoutTest { line }
            | ParseError::MissingTestName { line }
            | ParseError::DuplicateTest { line, .. }
            | ParseError::EmptyTest { line, .. }
            | ParseError::DuplicateAnnotation { line, .. }
            | ParseError::MisplacedAnnotation { line, .. }
            | ParseError::Split { line, .. } => *line,
        }
    }

    /// 1-based column: where the SQL problem is for `Split`, 1 for annotation problems.
    pub fn column(&self) -> usize {
        match self {
            ParseError::Split { column, .. } => *column,
            _ => 1,
        }
    }

    /// The message without the location.
    pub fn message(&self) -> String {
        match self {
            ParseError::UnknownExpect { text, .. } => format!(
                "unknown expectation `{text}`: write `-- expect: ok`, `rows N`, \
                 `error SQLSTATE_OR_CONDITION` or `value V`"
            ),
            ParseError::BadRows { text, .. } => format!(
                "`-- expect: rows` needs a non-negative whole number, found `{text}`"
            ),
            ParseError::UnknownCondition { name, .. } => {
                let hint = match closest_condition(name) {
                    Some(known) => format!("did you mean `{known}`?"),
                    None => "use a 5-character SQLSTATE such as 23514 or a PostgreSQL condition \
                             name such as check_violation"
                        .to_string(),
                };
                format!("unknown error condition `{name}`: {hint}")
            }
            ParseError::BadAs { text, .. } => format!(
                "`-- as:` takes a role and optionally a user id \
                 (`-- as: authenticated 00000000-0000-0000-0000-000000000001`), found `{text}`"
            ),
            ParseError::AsWithoutTest { .. } => {
                "`-- as:` before any `-- test:`: put it under the test it applies to".to_string()
            }
            ParseError::ExpectWithoutTest { .. } => {
                "`-- expect:` before any `-- test:`: put it under the test it applies to"
                    .to_string()
            }
            ParseError::MissingTestName { .. } => {
                "`-- test:` needs a name (`-- test: negative quantity is rejected`)".to_string()
            }
            ParseError::DuplicateTest {
                name, first_line, ..
            } => format!(
                "a test named `{name}` is already on line {first_line}; give each test in a file its own name"
            ),
            ParseError::EmptyTest { name, .. } => format!(
                "test `{name}` has no statements: write the SQL it runs below its annotations"
            ),
            ParseError::DuplicateAnnotation {
                what, first_line, ..
            } => format!(
                "second `-- {what}:` for the same test (the first is on line {first_line}); keep one"
            ),
            ParseError::MisplacedAnnotation { what, .. } => {
                format!("`-- {what}:` must be on a line of its own, not after SQL")
            }
            ParseError::Split { error, .. } => error.to_string(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Split { line, column, .. } => {
                write!(f, "line {line}, column {column}: {}", self.message())
            }
            _ => write!(f, "line {}: {}", self.line(), self.message()),
        }
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnnotationKind {
    Test,
    As,
    Expect,
}

impl AnnotationKind {
    fn word(self) -> &'static str {
        match self {
            AnnotationKind::Test => "test",
            AnnotationKind::As => "as",
            AnnotationKind::Expect => "expect",
        }
    }
}

/// One annotation comment: where it is and what follows its colon.
#[derive(Debug, Clone, Copy)]
struct Annotation<'a> {
    kind: AnnotationKind,
    line: usize,
    /// Byte offsets of the comment (`--` up to the end of the line).
    start: usize,
    end: usize,
    payload: &'a str,
}

/// `-- test: x` → (Test, "x"); `None` for an ordinary comment.
fn annotation_of(comment: &str) -> Option<(AnnotationKind, &str)> {
    let rest = comment.strip_prefix("--")?.trim_start();
    let word_len = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let (word, after) = rest.split_at(word_len);
    let kind = [
        AnnotationKind::Test,
        AnnotationKind::As,
        AnnotationKind::Expect,
    ]
    .into_iter()
    .find(|kind| word.eq_ignore_ascii_case(kind.word()))?;
    let payload = after.trim_start().strip_prefix(':')?;
    Some((kind, payload.trim()))
}

/// Whether only blanks precede byte `at` on its line.
fn first_on_line(text: &str, at: usize) -> bool {
    text.as_bytes()
        .get(..at)
        .unwrap_or(&[])
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n')
        .all(|&b| matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c))
}

/// Start of the first line after byte `from` that reads as a `-- test:` annotation.
fn next_test_line(text: &str, from: usize) -> Option<usize> {
    let mut line_start = text.get(from..)?.find('\n')? + from + 1;
    while let Some(rest) = text.get(line_start..) {
        let line = rest.split('\n').next().unwrap_or("");
        if matches!(annotation_of(line.trim()), Some((AnnotationKind::Test, _))) {
            return Some(line_start);
        }
        line_start += line.len() + 1;
    }
    None
}

/// Every annotation in `text`, in order. After an unterminated quote or comment, the lexer
/// resumes at the next line that reads as `-- test:` (the broken piece is reported when split).
fn find_annotations<'a>(
    text: &'a str,
    index: &LineIndex,
    errors: &mut Vec<ParseError>,
) -> Vec<Annotation<'a>> {
    let mut found = Vec::new();
    let mut offset = 0;
    loop {
        let piece = text.get(offset..).unwrap_or("");
        let mut failed_at = None;
        for token in tokens(piece) {
            let token = match token {
                Ok(token) => token,
                Err(error) => {
                    failed_at = Some(offset + error.start());
                    break;
                }
            };
            if token.kind != TokenKind::LineComment {
                continue;
            }
            let (start, end) = (offset + token.start, offset + token.end);
            let comment = text.get(start..end).unwrap_or("");
            let Some((kind, payload)) = annotation_of(comment) else {
                continue;
            };
            let (line, _) = index.line_col(text, start);
            if !first_on_line(text, start) {
                errors.push(ParseError::MisplacedAnnotation {
                    line,
                    what: kind.word(),
                });
                continue;
            }
            found.push(Annotation {
                kind,
                line,
                start,
                end,
                payload,
            });
        }
        match failed_at.and_then(|at| next_test_line(text, at)) {
            Some(resume) => offset = resume,
            None => return found,
        }
    }
}

/// Split `text[start..end]`, with spans and errors as offsets into the whole text.
fn split_piece(
    text: &str,
    start: usize,
    end: usize,
    index: &LineIndex,
    errors: &mut Vec<ParseError>,
) -> Option<Vec<Span>> {
    let piece = text.get(start..end).unwrap_or("");
    match split(piece) {
        Ok(spans) => Some(
            spans
                .into_iter()
                .map(|span| Span {
                    start: span.start + start,
                    end: span.end + start,
                })
                .collect(),
        ),
        Err(error) => {
            let error = error.shifted(start);
            let (line, column) = index.line_col(text, error.start());
            errors.push(ParseError::Split {
                line,
                column,
                error,
            });
            None
        }
    }
}

/// A test being assembled.
struct Draft<'a> {
    name: &'a str,
    line: usize,
    annotation_start: usize,
    body_start: usize,
    body_end: usize,
    assume: Option<(usize, Option<Assume>)>,
    expect: Option<(usize, Option<Expectation>)>,
}

/// Parse a validation suite. Returns every problem in the file, sorted by line, if there is any.
/// A file without any `-- test:` is a valid suite with no tests.
pub fn parse_suite(text: &str) -> Result<Suite, Vec<ParseError>> {
    let index = LineIndex::new(text);
    let mut errors = Vec::new();
    let annotations = find_annotations(text, &index, &mut errors);

    let mut drafts: Vec<Draft> = Vec::new();
    for annotation in annotations {
        let line = annotation.line;
        match annotation.kind {
            AnnotationKind::Test => {
                if let Some(previous) = drafts.last_mut() {
                    previous.body_end = annotation.start;
                }
                let name = annotation.payload;
                if name.is_empty() {
                    errors.push(ParseError::MissingTestName { line });
                } else if let Some(first) = drafts.iter().find(|d| d.name == name) {
                    errors.push(ParseError::DuplicateTest {
                        line,
                        name: name.to_string(),
                        first_line: first.line,
                    });
                }
                drafts.push(Draft {
                    name,
                    line,
                    annotation_start: annotation.start,
                    body_start: annotation.end,
                    body_end: text.len(),
                    assume: None,
                    expect: None,
                });
            }
            AnnotationKind::As => {
                let Some(draft) = drafts.last_mut() else {
                    errors.push(ParseError::AsWithoutTest { line });
                    continue;
                };
                if let Some((first_line, _)) = draft.assume {
                    errors.push(ParseError::DuplicateAnnotation {
                        line,
                        what: "as",
                        first_line,
                    });
                    continue;
                }
                let assume = match parse_assume(annotation.payload, line) {
                    Ok(parsed) => Some(parsed),
                    Err(error) => {
                        errors.push(error);
                        None
                    }
                };
                draft.assume = Some((line, assume));
            }
            AnnotationKind::Expect => {
                let Some(draft) = drafts.last_mut() else {
                    errors.push(ParseError::ExpectWithoutTest { line });
                    continue;
                };
                if let Some((first_line, _)) = draft.expect {
                    errors.push(ParseError::DuplicateAnnotation {
                        line,
                        what: "expect",
                        first_line,
                    });
                    continue;
                }
                let expect = match parse_expectation(annotation.payload, line) {
                    Ok(parsed) => Some(parsed),
                    Err(error) => {
                        errors.push(error);
                        None
                    }
                };
                draft.expect = Some((line, expect));
            }
        }
    }

    // Setup ends where the first `-- test:` line begins (its indentation included).
    let setup_end = drafts.first().map_or(text.len(), |first| {
        line_start_of(text, first.annotation_start)
    });
    let setup = split_piece(text, 0, setup_end, &index, &mut errors).unwrap_or_default();

    let mut tests = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let statements = split_piece(text, draft.body_start, draft.body_end, &index, &mut errors);
        // An unnamed test is already reported; "has no statements" would only add noise.
        if statements.as_ref().is_some_and(Vec::is_empty) && !draft.name.is_empty() {
            errors.push(ParseError::EmptyTest {
                line: draft.line,
                name: draft.name.to_string(),
            });
        }
        let (expect_line, expect) = match draft.expect {
            Some((line, expect)) => (line, expect.unwrap_or(Expectation::Ok)),
            None => (draft.line, Expectation::Ok),
        };
        tests.push(Test {
            name: draft.name.to_string(),
            line: draft.line,
            assume: draft.assume.and_then(|(_, assume)| assume),
            expect,
            expect_line,
            statements: statements.unwrap_or_default(),
        });
    }

    if errors.is_empty() {
        Ok(Suite { setup, tests })
    } else {
        errors.sort_by_key(|e| (e.line(), e.column()));
        Err(errors)
    }
}

/// Start of the line holding byte `at`.
fn line_start_of(text: &str, at: usize) -> usize {
    text.as_bytes()
        .get(..at)
        .and_then(|before| before.iter().rposition(|&b| b == b'\n'))
        .map_or(0, |newline| newline + 1)
}

/// Split an annotation payload into words; `"…"` and `'…'` words may hold blanks and doubled
/// quotes, and come back unquoted. `None` for an unclosed quote.
fn payload_words(payload: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = payload.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Some(words);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    Some(c) if c == first => {
                        if chars.next_if_eq(&first).is_some() {
                            word.push(first);
                        } else {
                            break;
                        }
                    }
                    Some(c) => word.push(c),
                    None => return None,
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
}

fn parse_assume(payload: &str, line: usize) -> Result<Assume, ParseError> {
    let bad = || ParseError::BadAs {
        line,
        text: payload.to_string(),
    };
    let words = payload_words(payload).ok_or_else(bad)?;
    match words.as_slice() {
        [role] if !role.is_empty() => Ok(Assume {
            role: role.clone(),
            user_id: None,
        }),
        [role, user_id] if !role.is_empty() => Ok(Assume {
            role: role.clone(),
            user_id: Some(user_id.clone()),
        }),
        _ => Err(bad()),
    }
}

fn parse_expectation(payload: &str, line: usize) -> Result<Expectation, ParseError> {
    let unknown = || ParseError::UnknownExpect {
        line,
        text: payload.to_string(),
    };
    let keyword_len = payload.find(char::is_whitespace).unwrap_or(payload.len());
    let (keyword, rest) = payload.split_at(keyword_len);
    let rest = rest.trim();
    match keyword.to_ascii_lowercase().as_str() {
        "ok" if rest.is_empty() => Ok(Expectation::Ok),
        "rows" => rest
            .parse::<u64>()
            .map(Expectation::Rows)
            .map_err(|_| ParseError::BadRows {
                line,
                text: rest.to_string(),
            }),
        "error" if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
            let sqlstate = condition_to_sqlstate(rest)
                .map(str::to_string)
                .or_else(|| is_sqlstate(rest).then(|| rest.to_ascii_uppercase()))
                .ok_or_else(|| ParseError::UnknownCondition {
                    line,
                    name: rest.to_string(),
                })?;
            Ok(Expectation::Error {
                sqlstate,
                written: rest.to_string(),
            })
        }
        "value" if !rest.is_empty() => Ok(Expectation::Value(unquote_value(rest))),
        _ => Err(unknown()),
    }
}

/// Five ASCII letters or digits, at least one a digit: the shape of every SQLSTATE.
fn is_sqlstate(code: &str) -> bool {
    code.len() == 5
        && code.bytes().all(|b| b.is_ascii_alphanumeric())
        && code.bytes().any(|b| b.is_ascii_digit())
}

/// `'a ''b'''` → `a 'b'`; anything not wholly in single quotes is returned as written.
fn unquote_value(value: &str) -> String {
    let inner = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .filter(|_| value.len() >= 2);
    match inner {
        // Only a well-formed literal: every quote inside must be doubled.
        Some(inner) if inner.replace("''", "").find('\'').is_none() => inner.replace("''", "'"),
        _ => value.to_string(),
    }
}

/// The known condition name closest to `name` (at most 3 edits away), for a "did you mean".
fn closest_condition(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    CONDITIONS
        .iter()
        .map(|&(known, _)| (edit_distance(&name, known), known))
        .filter(|&(distance, _)| distance <= 3)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, known)| known)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The SQLSTATE of a PostgreSQL condition name (case-insensitive), from the PostgreSQL 15
/// error codes appendix (<https://www.postgresql.org/docs/15/errcodes-appendix.html>).
/// Warning and no-data classes (00, 01, 02) are left out: a statement never fails with them.
/// Four names appear in two classes; the first error class wins (`null_value_not_allowed` is
/// 22004, the `*_sql_data_not_permitted` names are 2F00x).
pub fn condition_to_sqlstate(name: &str) -> Option<&'static str> {
    CONDITIONS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|&(_, code)| code)
}

/// (condition name, SQLSTATE), in appendix order.
const CONDITIONS: &[(&str, &str)] = &[
    // Class 03 — SQL Statement Not Yet Complete
    ("sql_statement_not_yet_complete", "03000"),
    // Class 08 — Connection Exception
    ("connection_exception", "08000"),
    ("connection_does_not_exist", "08003"),
    ("connection_failure", "08006"),
    ("sqlclient_unable_to_establish_sqlconnection", "08001"),
    ("sqlserver_rejected_establishment_of_sqlconnection", "08004"),
    ("transaction_resolution_unknown", "08007"),
    ("protocol_violation", "08P01"),
    // Class 09 — Triggered Action Exception
    ("triggered_action_exception", "09000"),
    // Class 0A — Feature Not Supported
    ("feature_not_supported", "0A000"),
    // Class 0B — Invalid Transaction Initiation
    ("invalid_transaction_initiation", "0B000"),
    // Class 0F — Locator Exception
    ("locator_exception", "0F000"),
    ("invalid_locator_specification", "0F001"),
    // Class 0L — Invalid Grantor
    ("invalid_grantor", "0L000"),
    ("invalid_grant_operation", "0LP01"),
    // Class 0P — Invalid Role Specification
    ("invalid_role_specification", "0P000"),
    // Class 0Z — Diagnostics Exception
    ("diagnostics_exception", "0Z000"),
    (
        "stacked_diagnostics_accessed_without_active_handler",
        "0Z002",
    ),
    // Class 20 — Case Not Found
    ("case_not_found", "20000"),
    // Class 21 — Cardinality Violation
    ("cardinality_violation", "21000"),
    // Class 22 — Data Exception
    ("data_exception", "22000"),
    ("array_subscript_error", "2202E"),
    ("character_not_in_repertoire", "22021"),
    ("datetime_field_overflow", "22008"),
    ("division_by_zero", "22012"),
    ("error_in_assignment", "22005"),
    ("escape_character_conflict", "2200B"),
    ("indicator_overflow", "22022"),
    ("interval_field_overflow", "22015"),
    ("invalid_argument_for_logarithm", "2201E"),
    ("invalid_argument_for_ntile_function", "22014"),
    ("invalid_argument_for_nth_value_function", "22016"),
    ("invalid_argument_for_power_function", "2201F"),
    ("invalid_argument_for_width_bucket_function", "2201G"),
    ("invalid_character_value_for_cast", "22018"),
    ("invalid_datetime_format", "22007"),
    ("invalid_escape_character", "22019"),
    ("invalid_escape_octet", "2200D"),
    ("invalid_escape_sequence", "22025"),
    ("nonstandard_use_of_escape_character", "22P06"),
    ("invalid_indicator_parameter_value", "22010"),
    ("invalid_parameter_value", "22023"),
    ("invalid_preceding_or_following_size", "22013"),
    ("invalid_regular_expression", "2201B"),
    ("invalid_row_count_in_limit_clause", "2201W"),
    ("invalid_row_count_in_result_offset_clause", "2201X"),
    ("invalid_tablesample_argument", "2202H"),
    ("invalid_tablesample_repeat", "2202G"),
    ("invalid_time_zone_displacement_value", "22009"),
    ("invalid_use_of_escape_character", "2200C"),
    ("most_specific_type_mismatch", "2200G"),
    ("null_value_not_allowed", "22004"),
    ("null_value_no_indicator_parameter", "22002"),
    ("numeric_value_out_of_range", "22003"),
    ("sequence_generator_limit_exceeded", "2200H"),
    ("string_data_length_mismatch", "22026"),
    ("string_data_right_truncation", "22001"),
    ("substring_error", "22011"),
    ("trim_error", "22027"),
    ("unterminated_c_string", "22024"),
    ("zero_length_character_string", "2200F"),
    ("floating_point_exception", "22P01"),
    ("invalid_text_representation", "22P02"),
    ("invalid_binary_representation", "22P03"),
    ("bad_copy_file_format", "22P04"),
    ("untranslatable_character", "22P05"),
    ("not_an_xml_document", "2200L"),
    ("invalid_xml_document", "2200M"),
    ("invalid_xml_content", "2200N"),
    ("invalid_xml_comment", "2200S"),
    ("invalid_xml_processing_instruction", "2200T"),
    ("duplicate_json_object_key_value", "22030"),
    ("invalid_argument_for_sql_json_datetime_function", "22031"),
    ("invalid_json_text", "22032"),
    ("invalid_sql_json_subscript", "22033"),
    ("more_than_one_sql_json_item", "22034"),
    ("no_sql_json_item", "22035"),
    ("non_numeric_sql_json_item", "22036"),
    ("non_unique_keys_in_a_json_object", "22037"),
    ("singleton_sql_json_item_required", "22038"),
    ("sql_json_array_not_found", "22039"),
    ("sql_json_member_not_found", "2203A"),
    ("sql_json_number_not_found", "2203B"),
    ("sql_json_object_not_found", "2203C"),
    ("too_many_json_array_elements", "2203D"),
    ("too_many_json_object_members", "2203E"),
    ("sql_json_scalar_required", "2203F"),
    ("sql_json_item_cannot_be_cast_to_target_type", "2203G"),
    // Class 23 — Integrity Constraint Violation
    ("integrity_constraint_violation", "23000"),
    ("restrict_violation", "23001"),
    ("not_null_violation", "23502"),
    ("foreign_key_violation", "23503"),
    ("unique_violation", "23505"),
    ("check_violation", "23514"),
    ("exclusion_violation", "23P01"),
    // Class 24 — Invalid Cursor State
    ("invalid_cursor_state", "24000"),
    // Class 25 — Invalid Transaction State
    ("invalid_transaction_state", "25000"),
    ("active_sql_transaction", "25001"),
    ("branch_transaction_already_active", "25002"),
    ("held_cursor_requires_same_isolation_level", "25008"),
    ("inappropriate_access_mode_for_branch_transaction", "25003"),
    (
        "inappropriate_isolation_level_for_branch_transaction",
        "25004",
    ),
    ("no_active_sql_transaction_for_branch_transaction", "25005"),
    ("read_only_sql_transaction", "25006"),
    ("schema_and_data_statement_mixing_not_supported", "25007"),
    ("no_active_sql_transaction", "25P01"),
    ("in_failed_sql_transaction", "25P02"),
    ("idle_in_transaction_session_timeout", "25P03"),
    // Class 26 — Invalid SQL Statement Name
    ("invalid_sql_statement_name", "26000"),
    // Class 27 — Triggered Data Change Violation
    ("triggered_data_change_violation", "27000"),
    // Class 28 — Invalid Authorization Specification
    ("invalid_authorization_specification", "28000"),
    ("invalid_password", "28P01"),
    // Class 2B — Dependent Privilege Descriptors Still Exist
    ("dependent_privilege_descriptors_still_exist", "2B000"),
    ("dependent_objects_still_exist", "2BP01"),
    // Class 2D — Invalid Transaction Termination
    ("invalid_transaction_termination", "2D000"),
    // Class 2F — SQL Routine Exception
    ("sql_routine_exception", "2F000"),
    ("function_executed_no_return_statement", "2F005"),
    ("modifying_sql_data_not_permitted", "2F002"),
    ("prohibited_sql_statement_attempted", "2F003"),
    ("reading_sql_data_not_permitted", "2F004"),
    // Class 34 — Invalid Cursor Name
    ("invalid_cursor_name", "34000"),
    // Class 38 — External Routine Exception
    ("external_routine_exception", "38000"),
    ("containing_sql_not_permitted", "38001"),
    // Class 39 — External Routine Invocation Exception
    ("external_routine_invocation_exception", "39000"),
    ("invalid_sqlstate_returned", "39001"),
    ("trigger_protocol_violated", "39P01"),
    ("srf_protocol_violated", "39P02"),
    ("event_trigger_protocol_violated", "39P03"),
    // Class 3B — Savepoint Exception
    ("savepoint_exception", "3B000"),
    ("invalid_savepoint_specification", "3B001"),
    // Class 3D — Invalid Catalog Name
    ("invalid_catalog_name", "3D000"),
    // Class 3F — Invalid Schema Name
    ("invalid_schema_name", "3F000"),
    // Class 40 — Transaction Rollback
    ("transaction_rollback", "40000"),
    ("transaction_integrity_constraint_violation", "40002"),
    ("serialization_failure", "40001"),
    ("statement_completion_unknown", "40003"),
    ("deadlock_detected", "40P01"),
    // Class 42 — Syntax Error or Access Rule Violation
    ("syntax_error_or_access_rule_violation", "42000"),
    ("syntax_error", "42601"),
    ("insufficient_privilege", "42501"),
    ("cannot_coerce", "42846"),
    ("grouping_error", "42803"),
    ("windowing_error", "42P20"),
    ("invalid_recursion", "42P19"),
    ("invalid_foreign_key", "42830"),
    ("invalid_name", "42602"),
    ("name_too_long", "42622"),
    ("reserved_name", "42939"),
    ("datatype_mismatch", "42804"),
    ("indeterminate_datatype", "42P18"),
    ("collation_mismatch", "42P21"),
    ("indeterminate_collation", "42P22"),
    ("wrong_object_type", "42809"),
    ("generated_always", "428C9"),
    ("undefined_column", "42703"),
    ("undefined_function", "42883"),
    ("undefined_table", "42P01"),
    ("undefined_parameter", "42P02"),
    ("undefined_object", "42704"),
    ("duplicate_column", "42701"),
    ("duplicate_cursor", "42P03"),
    ("duplicate_database", "42P04"),
    ("duplicate_function", "42723"),
    ("duplicate_prepared_statement", "42P05"),
    ("duplicate_schema", "42P06"),
    ("duplicate_table", "42P07"),
    ("duplicate_alias", "42712"),
    ("duplicate_object", "42710"),
    ("ambiguous_column", "42702"),
    ("ambiguous_function", "42725"),
    ("ambiguous_parameter", "42P08"),
    ("ambiguous_alias", "42P09"),
    ("invalid_column_reference", "42P10"),
    ("invalid_column_definition", "42611"),
    ("invalid_cursor_definition", "42P11"),
    ("invalid_database_definition", "42P12"),
    ("invalid_function_definition", "42P13"),
    ("invalid_prepared_statement_definition", "42P14"),
    ("invalid_schema_definition", "42P15"),
    ("invalid_table_definition", "42P16"),
    ("invalid_object_definition", "42P17"),
    // Class 44 — WITH CHECK OPTION Violation
    ("with_check_option_violation", "44000"),
    // Class 53 — Insufficient Resources
    ("insufficient_resources", "53000"),
    ("disk_full", "53100"),
    ("out_of_memory", "53200"),
    ("too_many_connections", "53300"),
    ("configuration_limit_exceeded", "53400"),
    // Class 54 — Program Limit Exceeded
    ("program_limit_exceeded", "54000"),
    ("statement_too_complex", "54001"),
    ("too_many_columns", "54011"),
    ("too_many_arguments", "54023"),
    // Class 55 — Object Not In Prerequisite State
    ("object_not_in_prerequisite_state", "55000"),
    ("object_in_use", "55006"),
    ("cant_change_runtime_param", "55P02"),
    ("lock_not_available", "55P03"),
    ("unsafe_new_enum_value_usage", "55P04"),
    // Class 57 — Operator Intervention
    ("operator_intervention", "57000"),
    ("query_canceled", "57014"),
    ("admin_shutdown", "57P01"),
    ("crash_shutdown", "57P02"),
    ("cannot_connect_now", "57P03"),
    ("database_dropped", "57P04"),
    ("idle_session_timeout", "57P05"),
    // Class 58 — System Error (errors external to PostgreSQL itself)
    ("system_error", "58000"),
    ("io_error", "58030"),
    ("undefined_file", "58P01"),
    ("duplicate_file", "58P02"),
    // Class 72 — Snapshot Failure
    ("snapshot_too_old", "72000"),
    // Class F0 — Configuration File Error
    ("config_file_error", "F0000"),
    ("lock_file_exists", "F0001"),
    // Class HV — Foreign Data Wrapper Error (SQL/MED)
    ("fdw_error", "HV000"),
    ("fdw_column_name_not_found", "HV005"),
    ("fdw_dynamic_parameter_value_needed", "HV002"),
    ("fdw_function_sequence_error", "HV010"),
    ("fdw_inconsistent_descriptor_information", "HV021"),
    ("fdw_invalid_attribute_value", "HV024"),
    ("fdw_invalid_column_name", "HV007"),
    ("fdw_invalid_column_number", "HV008"),
    ("fdw_invalid_data_type", "HV004"),
    ("fdw_invalid_data_type_descriptors", "HV006"),
    ("fdw_invalid_descriptor_field_identifier", "HV091"),
    ("fdw_invalid_handle", "HV00B"),
    ("fdw_invalid_option_index", "HV00C"),
    ("fdw_invalid_option_name", "HV00D"),
    ("fdw_invalid_string_length_or_buffer_length", "HV090"),
    ("fdw_invalid_string_format", "HV00A"),
    ("fdw_invalid_use_of_null_pointer", "HV009"),
    ("fdw_too_many_handles", "HV014"),
    ("fdw_out_of_memory", "HV001"),
    ("fdw_no_schemas", "HV00P"),
    ("fdw_option_name_not_found", "HV00J"),
    ("fdw_reply_handle", "HV00K"),
    ("fdw_schema_not_found", "HV00Q"),
    ("fdw_table_not_found", "HV00R"),
    ("fdw_unable_to_create_execution", "HV00L"),
    ("fdw_unable_to_create_reply", "HV00M"),
    ("fdw_unable_to_establish_connection", "HV00N"),
    // Class P0 — PL/pgSQL Error
    ("plpgsql_error", "P0000"),
    ("raise_exception", "P0001"),
    ("no_data_found", "P0002"),
    ("too_many_rows", "P0003"),
    ("assert_failure", "P0004"),
    // Class XX — Internal Error
    ("internal_error", "XX000"),
    ("data_corrupted", "XX001"),
    ("index_corrupted", "XX002"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Suite {
        match parse_suite(text) {
            Ok(suite) => suite,
            Err(errors) => panic!("unexpected errors: {errors:#?}"),
        }
    }

    fn parse_err(text: &str) -> Vec<ParseError> {
        match parse_suite(text) {
            Ok(suite) => panic!("expected errors, got {suite:#?}"),
            Err(errors) => errors,
        }
    }

    fn stmt_texts<'a>(text: &'a str, spans: &[Span]) -> Vec<&'a str> {
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    const SPEC_EXAMPLE: &str = "\
INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-0000000000a1', 'a@example.com');

-- test: a user sees only their own portfolios
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
SELECT * FROM paper_portfolios;

-- test: negative quantity is rejected
-- expect: error 23514
INSERT INTO paper_positions (portfolio_id, symbol, quantity) VALUES (1, 'AAPL', -1);

-- test: level from XP
-- expect: value 3
SELECT calculate_level(500);
";

    #[test]
    fn parses_the_spec_example() {
        let suite = parse_ok(SPEC_EXAMPLE);
        assert_eq!(stmt_texts(SPEC_EXAMPLE, &suite.setup).len(), 1);
        assert_eq!(suite.tests.len(), 3);
        let t = &suite.tests[0];
        assert_eq!(t.name, "a user sees only their own portfolios");
        assert_eq!(t.line, 3);
        assert_eq!(
            t.assume,
            Some(Assume {
                role: "authenticated".into(),
                user_id: Some("00000000-0000-0000-0000-0000000000a1".into())
            })
        );
        assert_eq!(t.expect, Expectation::Rows(1));
        assert_eq!(t.expect_line, 5);
        assert_eq!(
            stmt_texts(SPEC_EXAMPLE, &t.statements),
            ["SELECT * FROM paper_portfolios"]
        );
        assert_eq!(
            suite.tests[1].expect,
            Expectation::Error {
                sqlstate: "23514".into(),
                written: "23514".into()
            }
        );
        assert_eq!(suite.tests[1].assume, None);
        assert_eq!(suite.tests[2].expect, Expectation::Value("3".into()));
    }

    #[test]
    fn file_without_tests_is_all_setup() {
        let suite = parse_ok("SELECT 1; -- a comment\nSELECT 2;");
        assert_eq!(suite.setup.len(), 2);
        assert!(suite.tests.is_empty());
    }

    #[test]
    fn empty_file_is_an_empty_suite() {
        assert_eq!(
            parse_ok(""),
            Suite {
                setup: vec![],
                tests: vec![]
            }
        );
    }

    #[test]
    fn missing_expect_means_ok_on_the_test_line() {
        let suite = parse_ok("\n-- test: t\nSELECT 1;");
        assert_eq!(suite.tests[0].expect, Expectation::Ok);
        assert_eq!(suite.tests[0].expect_line, 2);
    }

    #[test]
    fn expect_ok() {
        assert_eq!(
            parse_ok("-- test: t\n-- expect: OK\nSELECT 1").tests[0].expect,
            Expectation::Ok
        );
    }

    #[test]
    fn expect_ok_with_extra_text_is_unknown() {
        assert_eq!(
            parse_err("-- test: t\n-- expect: ok then\nSELECT 1"),
            [ParseError::UnknownExpect {
                line: 2,
                text: "ok then".into()
            }]
        );
    }

    #[test]
    fn keywords_are_case_insensitive_and_whitespace_tolerant() {
        let suite = parse_ok("--TEST :  t  \n  --Expect :   ROWS   2  \nSELECT 1");
        assert_eq!(suite.tests[0].name, "t");
        assert_eq!(suite.tests[0].expect, Expectation::Rows(2));
    }

    #[test]
    fn bad_rows() {
        for (text, found) in [
            ("rows", ""),
            ("rows -1", "-1"),
            ("rows two", "two"),
            ("rows 1 2", "1 2"),
        ] {
            let sql = format!("-- test: t\n-- expect: {text}\nSELECT 1");
            assert_eq!(
                parse_err(&sql),
                [ParseError::BadRows {
                    line: 2,
                    text: found.into()
                }],
                "{text}"
            );
        }
    }

    #[test]
    fn expect_error_by_condition_name() {
        let suite = parse_ok("-- test: t\n-- expect: error Check_Violation\nSELECT 1");
        assert_eq!(
            suite.tests[0].expect,
            Expectation::Error {
                sqlstate: "23514".into(),
                written: "Check_Violation".into()
            }
        );
    }

    #[test]
    fn expect_error_by_sqlstate() {
        let suite = parse_ok("-- test: t\n-- expect: error p0001\nSELECT 1");
        assert_eq!(
            suite.tests[0].expect,
            Expectation::Error {
                sqlstate: "P0001".into(),
                written: "p0001".into()
            }
        );
    }

    #[test]
    fn unknown_condition_suggests_the_closest_name() {
        let errors = parse_err("-- test: t\n-- expect: error check_violaton\nSELECT 1");
        assert_eq!(
            errors,
            [ParseError::UnknownCondition {
                line: 2,
                name: "check_violaton".into()
            }]
        );
        assert!(
            errors[0]
                .to_string()
                .contains("did you mean `check_violation`?"),
            "{}",
            errors[0]
        );
        let far = parse_err("-- test: t\n-- expect: error 2351\nSELECT 1");
        assert!(
            far[0].to_string().contains("5-character SQLSTATE"),
            "{}",
            far[0]
        );
    }

    #[test]
    fn expect_error_without_code_or_with_two_is_unknown() {
        for text in ["error", "error 23514 check_violation"] {
            let sql = format!("-- test: t\n-- expect: {text}\nSELECT 1");
            assert!(
                matches!(
                    parse_err(&sql)[..],
                    [ParseError::UnknownExpect { line: 2, .. }]
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn expect_value_forms() {
        let cases = [
            ("value 3", "3"),
            ("value  hello world  ", "hello world"),
            ("value ''", ""),
            ("value 'a ''b'' '", "a 'b' "),
            ("value 'a'b'", "'a'b'"),
            ("value '", "'"),
            ("VALUE {1,2}", "{1,2}"),
        ];
        for (text, value) in cases {
            let sql = format!("-- test: t\n-- expect: {text}\nSELECT 1");
            assert_eq!(
                parse_ok(&sql).tests[0].expect,
                Expectation::Value(value.into()),
                "{text}"
            );
        }
    }

    #[test]
    fn expect_value_alone_is_unknown() {
        assert_eq!(
            parse_err("-- test: t\n-- expect: value  \nSELECT 1"),
            [ParseError::UnknownExpect {
                line: 2,
                text: "value".into()
            }]
        );
    }

    #[test]
    fn unknown_expect_keyword() {
        let errors = parse_err("-- test: t\n-- expect: fails\nSELECT 1");
        assert_eq!(
            errors,
            [ParseError::UnknownExpect {
                line: 2,
                text: "fails".into()
            }]
        );
        assert!(errors[0]
            .to_string()
            .starts_with("line 2: unknown expectation `fails`"));
    }

    #[test]
    fn as_with_role_only_and_quoted_parts() {
        let suite = parse_ok(
            "-- test: t\n-- as: anon\nSELECT 1\n-- test: u\n-- as: \"My Role\" 'user 1'\nSELECT 1",
        );
        assert_eq!(
            suite.tests[0].assume,
            Some(Assume {
                role: "anon".into(),
                user_id: None
            })
        );
        assert_eq!(
            suite.tests[1].assume,
            Some(Assume {
                role: "My Role".into(),
                user_id: Some("user 1".into())
            })
        );
    }

    #[test]
    fn bad_as() {
        for text in ["", "a b c", "\"open"] {
            let sql = format!("-- test: t\n-- as: {text}\nSELECT 1");
            assert_eq!(
                parse_err(&sql),
                [ParseError::BadAs {
                    line: 2,
                    text: text.into()
                }],
                "{text:?}"
            );
        }
    }

    #[test]
    fn as_and_expect_before_any_test() {
        let errors = parse_err("-- as: anon\n-- expect: ok\nSELECT 1;\n-- test: t\nSELECT 1");
        assert_eq!(
            errors,
            [
                ParseError::AsWithoutTest { line: 1 },
                ParseError::ExpectWithoutTest { line: 2 }
            ]
        );
    }

    #[test]
    fn empty_test() {
        let errors =
            parse_err("-- test: a\n-- expect: ok\n-- just a comment\n;\n-- test: b\nSELECT 1");
        assert_eq!(
            errors,
            [ParseError::EmptyTest {
                line: 1,
                name: "a".into()
            }]
        );
    }

    #[test]
    fn test_without_name() {
        assert_eq!(
            parse_err("-- test:\nSELECT 1"),
            [ParseError::MissingTestName { line: 1 }]
        );
    }

    #[test]
    fn duplicate_test_names() {
        let errors = parse_err("-- test: a\nSELECT 1;\n-- test: a\nSELECT 2;");
        assert_eq!(
            errors,
            [ParseError::DuplicateTest {
                line: 3,
                name: "a".into(),
                first_line: 1
            }]
        );
    }

    #[test]
    fn duplicate_annotations() {
        let errors = parse_err(
            "-- test: a\n-- as: anon\n-- expect: ok\n-- as: x\n-- expect: rows 1\nSELECT 1;",
        );
        assert_eq!(
            errors,
            [
                ParseError::DuplicateAnnotation {
                    line: 4,
                    what: "as",
                    first_line: 2
                },
                ParseError::DuplicateAnnotation {
                    line: 5,
                    what: "expect",
                    first_line: 3
                },
            ]
        );
    }

    #[test]
    fn annotation_after_sql_on_the_same_line() {
        assert_eq!(
            parse_err("-- test: a\nSELECT 1; -- expect: rows 1\n"),
            [ParseError::MisplacedAnnotation {
                line: 2,
                what: "expect"
            }]
        );
    }

    #[test]
    fn expect_may_follow_earlier_statements_of_the_test() {
        let text = "-- test: a\nINSERT INTO t VALUES (1);\n-- expect: rows 1\nSELECT * FROM t;";
        let suite = parse_ok(text);
        assert_eq!(suite.tests[0].expect_line, 3);
        assert_eq!(
            stmt_texts(text, &suite.tests[0].statements),
            ["INSERT INTO t VALUES (1)", "SELECT * FROM t"]
        );
    }

    #[test]
    fn ordinary_comments_are_not_annotations() {
        let suite = parse_ok("-- testing: nothing\n-- as we said\n-- expected: x\nSELECT 1;");
        assert_eq!(suite.setup.len(), 1);
        assert!(suite.tests.is_empty());
    }

    #[test]
    fn annotations_inside_quotes_and_block_comments_are_ignored() {
        let text = "-- test: a\nDO $$\n-- test: not a test\n$$;\n/*\n-- test: commented out\nSELECT 1;\n*/\nSELECT '\n-- expect: rows 9\n';";
        let suite = parse_ok(text);
        assert_eq!(suite.tests.len(), 1);
        assert_eq!(suite.tests[0].expect, Expectation::Ok);
        assert_eq!(suite.tests[0].statements.len(), 2);
    }

    #[test]
    fn test_line_ends_an_unterminated_statement() {
        let text = "SELECT 1\n-- test: a\nSELECT 2";
        let suite = parse_ok(text);
        assert_eq!(stmt_texts(text, &suite.setup), ["SELECT 1"]);
        assert_eq!(stmt_texts(text, &suite.tests[0].statements), ["SELECT 2"]);
    }

    #[test]
    fn split_error_is_reported_and_later_tests_still_parse() {
        let text = "-- test: a\nSELECT 'oops;\n-- test: b\n-- expect: bogus\nSELECT 1;\n-- test: c\n\\set x 1\n";
        let errors = parse_err(text);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(matches!(
            &errors[0],
            ParseError::Split {
                line: 2,
                column: 8,
                error: SplitError::UnterminatedQuote { start: 18, .. }
            }
        ));
        assert_eq!(
            errors[0].to_string(),
            "line 2, column 8: unterminated string (opened here)"
        );
        assert!(matches!(
            &errors[1],
            ParseError::UnknownExpect { line: 4, .. }
        ));
        assert!(matches!(
            &errors[2],
            ParseError::Split {
                line: 7,
                column: 1,
                error: SplitError::PsqlMetaCommand { .. }
            }
        ));
    }

    #[test]
    fn split_error_in_setup() {
        let errors = parse_err("SELECT $x$ 1;\n-- test: a\nSELECT 1");
        assert!(
            matches!(
                &errors[..],
                [ParseError::Split {
                    line: 1,
                    column: 8,
                    ..
                }]
            ),
            "{errors:#?}"
        );
    }

    #[test]
    fn all_problems_are_reported_in_line_order() {
        let text = "-- expect: ok\n-- test: a\n-- expect: rows x\n-- test:\n-- test: a\nSELECT 1";
        let lines: Vec<usize> = parse_err(text).iter().map(ParseError::line).collect();
        // 1: expect before any test; 2: `a` is empty; 3: bad rows; 4: no name; 5: `a` again.
        assert_eq!(lines, [1, 2, 3, 4, 5], "{:#?}", parse_err(text));
    }

    #[test]
    fn statements_are_spans_into_the_whole_file_with_crlf() {
        let text =
            "SET x = 1;\r\n-- test: a\r\n-- expect: value 'x'\r\nSELECT 'x';\r\nSELECT 2\r\n";
        let suite = parse_ok(text);
        assert_eq!(stmt_texts(text, &suite.setup), ["SET x = 1"]);
        assert_eq!(suite.tests[0].expect, Expectation::Value("x".into()));
        assert_eq!(
            stmt_texts(text, &suite.tests[0].statements),
            ["SELECT 'x'", "SELECT 2"]
        );
    }

    #[test]
    fn indented_test_annotation_is_not_setup() {
        let text = "SELECT 1;\n   -- test: a\nSELECT 2";
        let suite = parse_ok(text);
        assert_eq!(stmt_texts(text, &suite.setup), ["SELECT 1"]);
    }

    #[test]
    fn conditions_required_by_the_spec() {
        let expected = [
            ("check_violation", "23514"),
            ("unique_violation", "23505"),
            ("foreign_key_violation", "23503"),
            ("not_null_violation", "23502"),
            ("exclusion_violation", "23P01"),
            ("restrict_violation", "23001"),
            ("insufficient_privilege", "42501"),
            ("undefined_table", "42P01"),
            ("undefined_function", "42883"),
            ("undefined_column", "42703"),
            ("syntax_error", "42601"),
            ("division_by_zero", "22012"),
            ("invalid_text_representation", "22P02"),
            ("numeric_value_out_of_range", "22003"),
            ("string_data_right_truncation", "22001"),
            ("raise_exception", "P0001"),
            ("no_data_found", "P0002"),
            ("too_many_rows", "P0003"),
            ("assert_failure", "P0004"),
            ("lock_not_available", "55P03"),
            ("query_canceled", "57014"),
            ("serialization_failure", "40001"),
            ("deadlock_detected", "40P01"),
            ("read_only_sql_transaction", "25006"),
            ("invalid_parameter_value", "22023"),
            ("datetime_field_overflow", "22008"),
            ("invalid_datetime_format", "22007"),
            ("with_check_option_violation", "44000"),
            ("invalid_password", "28P01"),
            ("dependent_objects_still_exist", "2BP01"),
            ("out_of_memory", "53200"),
            ("null_value_not_allowed", "22004"),
        ];
        for (name, code) in expected {
            assert_eq!(condition_to_sqlstate(name), Some(code), "{name}");
        }
        assert_eq!(condition_to_sqlstate("UNIQUE_VIOLATION"), Some("23505"));
        assert_eq!(condition_to_sqlstate("no_such_thing"), None);
        assert_eq!(condition_to_sqlstate("successful_completion"), None);
    }

    #[test]
    fn condition_table_is_well_formed() {
        for (i, (name, code)) in CONDITIONS.iter().enumerate() {
            assert!(is_sqlstate(code), "{code}");
            assert!(!is_sqlstate(name), "{name} would read as a SQLSTATE");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            assert!(
                CONDITIONS[..i].iter().all(|(n, c)| n != name && c != code),
                "{name} {code}"
            );
        }
    }

    #[test]
    fn every_error_has_a_one_line_message_with_its_line() {
        let errors = [
            ParseError::UnknownExpect {
                line: 1,
                text: "x".into(),
            },
            ParseError::BadRows {
                line: 2,
                text: "x".into(),
            },
            ParseError::UnknownCondition {
                line: 3,
                name: "x".into(),
            },
            ParseError::BadAs {
                line: 4,
                text: "x".into(),
            },
            ParseError::AsWithoutTest { line: 5 },
            ParseError::ExpectWithoutTest { line: 6 },
            ParseError::MissingTestName { line: 7 },
            ParseError::DuplicateTest {
                line: 8,
                name: "x".into(),
                first_line: 1,
            },
            ParseError::EmptyTest {
                line: 9,
                name: "x".into(),
            },
            ParseError::DuplicateAnnotation {
                line: 10,
                what: "as",
                first_line: 1,
            },
            ParseError::MisplacedAnnotation {
                line: 11,
                what: "test",
            },
            ParseError::Split {
                line: 12,
                column: 3,
                error: SplitError::PsqlMetaCommand {
                    start: 0,
                    command: "\\i".into(),
                },
            },
        ];
        for error in errors {
            let shown = error.to_string();
            assert!(
                shown.starts_with(&format!("line {}", error.line())),
                "{shown}"
            );
            assert!(!shown.contains('\n'), "{shown}");
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        // Deterministic pseudo-random mixes of annotation pieces and SQL specials.
        const PIECES: &[&str] = &[
            "-- test: a\n",
            "-- test:\n",
            "-- as: r u\n",
            "-- expect: rows 1\n",
            "-- expect: error x\n",
            "-- expect: value 'v'\n",
            "SELECT 1;",
            "'",
            "$$",
            "/*",
            "*/",
            "\n",
            "\r\n",
            "\\i x\n",
            "é",
            " -- test: b",
            "-- expect: ok\n",
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..5_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 16) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            if let Ok(suite) = parse_suite(&text) {
                for span in suite
                    .setup
                    .iter()
                    .chain(suite.tests.iter().flat_map(|t| &t.statements))
                {
                    assert!(text.get(span.start..span.end).is_some(), "{text:?}");
                }
            }
        }
    }
}
