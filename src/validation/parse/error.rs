//! Every problem a suite file can have, as data: the line (and column for SQL that cannot be
//! split), and what to do about it.
//!
//! Must not: know the file name (the caller adds it) or decide anything about the text.

use std::fmt;

use crate::sql::SplitError;
use crate::validation::condition::closest_condition;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
