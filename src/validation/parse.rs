//! Validation-suite parser (PLACEHOLDER written by the runner's author until the real parser
//! lands; same API): `-- test:`, `-- as:`, `-- expect:` annotations → [`Suite`].
//!
//! Owns: turning a suite file's text into setup statements and tests, with every problem found
//! (all of them, with line numbers). Must not: run anything.

use crate::sql::{self, LineIndex, Span};
use std::fmt;

/// A parsed suite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// Statements before the first `-- test:`.
    pub setup: Vec<Span>,
    pub tests: Vec<Test>,
}

/// `-- as: ROLE [USER_ID]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assume {
    pub role: String,
    pub user_id: Option<String>,
}

/// What the last statement of a test must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    Ok,
    Rows(u64),
    /// `sqlstate` is the five-character code; `written` is what the file said (a code or a
    /// condition name).
    Error {
        sqlstate: String,
        written: String,
    },
    Value(String),
}

/// One `-- test:` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    pub name: String,
    /// 1-based line of `-- test:`.
    pub line: usize,
    pub assume: Option<Assume>,
    pub expect: Expectation,
    pub expect_line: usize,
    pub statements: Vec<Span>,
}

/// A problem in a suite file; `Display` is one line without the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

enum Annotation {
    Test(String),
    As(String),
    Expect(String),
}

fn annotation(line: &str) -> Option<Annotation> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start();
    for (key, make) in [
        ("test:", Annotation::Test as fn(String) -> Annotation),
        ("as:", Annotation::As),
        ("expect:", Annotation::Expect),
    ] {
        if let Some(v) = rest.strip_prefix(key) {
            return Some(make(v.trim().to_string()));
        }
    }
    None
}

/// Parses `error X`, `rows N`, `value V`, `ok`.
fn parse_expectation(text: &str) -> Result<Expectation, String> {
    let (word, rest) = match text.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (text, ""),
    };
    match word {
        "ok" if rest.is_empty() => Ok(Expectation::Ok),
        "rows" => rest
            .parse::<u64>()
            .map(Expectation::Rows)
            .map_err(|_| format!("`rows` needs a row count, got `{rest}`")),
        "error" => {
            if rest.len() == 5 && rest.chars().all(|c| c.is_ascii_alphanumeric()) {
                Ok(Expectation::Error {
                    sqlstate: rest.to_ascii_uppercase(),
                    written: rest.to_string(),
                })
            } else {
                match condition_to_sqlstate(rest) {
                    Some(code) => Ok(Expectation::Error {
                        sqlstate: code.to_string(),
                        written: rest.to_string(),
                    }),
                    None => Err(format!(
                        "`error {rest}`: not a SQLSTATE or a known condition name"
                    )),
                }
            }
        }
        "value" => Ok(Expectation::Value(rest.to_string())),
        _ => Err(format!(
            "unknown expectation `{text}`: use ok, rows N, error SQLSTATE or value V"
        )),
    }
}

/// Parses a suite file.
pub fn parse_suite(text: &str) -> Result<Suite, Vec<ParseError>> {
    let index = LineIndex::new(text);
    let spans = match sql::split(text) {
        Ok(s) => s,
        Err(e) => {
            let (line, _) = index.line_col(text, e.start());
            return Err(vec![ParseError {
                line,
                message: format!("cannot split into statements: {e:?}"),
            }]);
        }
    };
    let mut errors = Vec::new();
    let mut setup = Vec::new();
    let mut tests: Vec<Test> = Vec::new();
    // (byte offset, line, annotation)
    let mut notes = Vec::new();
    for line_no in 1..=index.line_count() {
        let (s, e) = index.line_range(text, line_no);
        let inside = spans.iter().any(|sp| sp.start < s && s < sp.end);
        if inside {
            continue;
        }
        if let Some(a) = annotation(&text[s..e]) {
            notes.push((s, line_no, a));
        }
    }
    let mut pending: Option<(Test, bool)> = None;
    let mut ni = 0;
    let mut si = 0;
    let finish = |t: Option<(Test, bool)>, tests: &mut Vec<Test>, errors: &mut Vec<ParseError>| {
        if let Some((t, has_expect)) = t {
            if !has_expect {
                errors.push(ParseError {
                    line: t.line,
                    message: format!("test `{}` has no `-- expect:`", t.name),
                });
            } else if t.statements.is_empty() {
                errors.push(ParseError {
                    line: t.line,
                    message: format!("test `{}` has no statement", t.name),
                });
            } else {
                tests.push(t);
            }
        }
    };
    while ni < notes.len() || si < spans.len() {
        let take_note = match (notes.get(ni), spans.get(si)) {
            (Some(n), Some(sp)) => n.0 < sp.start,
            (Some(_), None) => true,
            _ => false,
        };
        if take_note {
            let (_, line, a) = &notes[ni];
            ni += 1;
            match a {
                Annotation::Test(name) => {
                    finish(pending.take(), &mut tests, &mut errors);
                    if name.is_empty() {
                        errors.push(ParseError {
                            line: *line,
                            message: "`-- test:` needs a name".into(),
                        });
                    }
                    pending = Some((
                        Test {
                            name: name.clone(),
                            line: *line,
                            assume: None,
                            expect: Expectation::Ok,
                            expect_line: *line,
                            statements: Vec::new(),
                        },
                        false,
                    ));
                }
                Annotation::As(v) => match &mut pending {
                    None => errors.push(ParseError {
                        line: *line,
                        message: "`-- as:` outside a test: put it after a `-- test:` line".into(),
                    }),
                    Some((t, _)) => {
                        let mut words = v.split_whitespace();
                        match words.next() {
                            None => errors.push(ParseError {
                                line: *line,
                                message: "`-- as:` needs a role".into(),
                            }),
                            Some(role) => {
                                t.assume = Some(Assume {
                                    role: role.to_string(),
                                    user_id: words.next().map(str::to_string),
                                })
                            }
                        }
                    }
                },
                Annotation::Expect(v) => match &mut pending {
                    None => errors.push(ParseError {
                        line: *line,
                        message: "`-- expect:` outside a test: put it after a `-- test:` line"
                            .into(),
                    }),
                    Some((t, has)) => match parse_expectation(v) {
                        Ok(e) => {
                            t.expect = e;
                            t.expect_line = *line;
                            *has = true;
                        }
                        Err(m) => {
                            *has = true;
                            errors.push(ParseError {
                                line: *line,
                                message: m,
                            })
                        }
                    },
                },
            }
        } else {
            let sp = spans[si];
            si += 1;
            match &mut pending {
                None => setup.push(sp),
                Some((t, _)) => t.statements.push(sp),
            }
        }
    }
    finish(pending.take(), &mut tests, &mut errors);
    if errors.is_empty() {
        Ok(Suite { setup, tests })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

const CONDITIONS: &[(&str, &str)] = &[
    ("unique_violation", "23505"),
    ("check_violation", "23514"),
    ("foreign_key_violation", "23503"),
    ("not_null_violation", "23502"),
    ("insufficient_privilege", "42501"),
    ("undefined_table", "42P01"),
    ("undefined_column", "42703"),
    ("undefined_function", "42883"),
    ("raise_exception", "P0001"),
    ("division_by_zero", "22012"),
    ("invalid_text_representation", "22P02"),
    ("syntax_error", "42601"),
    ("restrict_violation", "23001"),
    ("exclusion_violation", "23P01"),
    ("numeric_value_out_of_range", "22003"),
    ("string_data_right_truncation", "22001"),
    ("generated_always", "428C9"),
    ("object_not_in_prerequisite_state", "55000"),
    ("read_only_sql_transaction", "25006"),
];

/// A PL/pgSQL condition name → its SQLSTATE.
pub fn condition_to_sqlstate(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    CONDITIONS
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, c)| *c)
}

/// A SQLSTATE → its condition name.
pub fn sqlstate_to_condition(code: &str) -> Option<&'static str> {
    CONDITIONS
        .iter()
        .find(|(_, c)| c.eq_ignore_ascii_case(code))
        .map(|(n, _)| *n)
}
