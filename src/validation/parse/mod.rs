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
//!
//! Files: [`annotation`] finds the `-- test:`/`-- as:`/`-- expect:` lines, [`payload`] reads what
//! follows their colon, [`error`] is every problem as data; this file cuts the text into setup
//! and tests and splits each piece. Condition names are the table in `validation::condition`.

pub mod annotation;
pub mod error;
pub mod payload;

use crate::sql::{split, LineIndex, Span};
use annotation::{find_annotations, AnnotationKind};
use payload::{parse_assume, parse_expectation};

pub use super::condition::condition_to_sqlstate;
pub use error::ParseError;

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

#[cfg(test)]
mod test_util {
    //! Helpers shared by the parser's test modules.
    use super::*;

    pub(super) fn parse_ok(text: &str) -> Suite {
        match parse_suite(text) {
            Ok(suite) => suite,
            Err(errors) => panic!("unexpected errors: {errors:#?}"),
        }
    }

    pub(super) fn parse_err(text: &str) -> Vec<ParseError> {
        match parse_suite(text) {
            Ok(suite) => panic!("expected errors, got {suite:#?}"),
            Err(errors) => errors,
        }
    }

    pub(super) fn stmt_texts<'a>(text: &'a str, spans: &[Span]) -> Vec<&'a str> {
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    pub(super) const SPEC_EXAMPLE: &str = "\
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
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;
    use crate::sql::SplitError;

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
