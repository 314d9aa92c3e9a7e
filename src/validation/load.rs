//! Loading suites: every `*.sql` of the validation folder, read as UTF-8 and parsed, with every
//! problem of every file collected, and suites holding transaction control refused.
//!
//! Must not: connect or run anything. Any problem fails the whole load, so nothing runs on a
//! malformed suite.

use super::parse::{self, Suite};
use super::ValidationError;
use crate::sql::{self, LineIndex};
use serde::Serialize;
use std::path::Path;

/// One problem in one suite file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Malformed {
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A suite file, read and parsed.
#[derive(Debug, Clone)]
pub struct SuiteFile {
    /// Path as shown to the user (relative to the project root).
    pub display: String,
    /// File name alone, for pattern matching.
    pub name: String,
    pub text: String,
    pub suite: Suite,
}

/// Reads and parses every `*.sql` in `dir` (name order). Every problem in every file is
/// collected; any problem fails the whole load, so nothing runs on a malformed suite.
/// A missing folder is no suites.
pub fn load(root: &Path, dir: &Path) -> Result<Vec<SuiteFile>, ValidationError> {
    let display = |p: &Path| crate::project::display_path(root, p);
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ValidationError::Io {
                path: display(dir),
                source: e,
            })
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ValidationError::Io {
            path: display(dir),
            source: e,
        })?;
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "sql") && !p.is_dir() {
            paths.push(p);
        }
    }
    paths.sort();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        let shown = display(&p);
        // Read as migrations are: regular files only, UTF-8, no NUL, a byte order mark skipped.
        let read = crate::project::regular_file(root, &p)
            .and_then(|()| crate::project::SourceFile::read(root, &p));
        let text = match read {
            Ok(file) => file.text,
            Err(e) => {
                problems.push(Malformed {
                    file: shown,
                    line: e.location().1,
                    message: e.message(),
                });
                continue;
            }
        };
        match parse::parse_suite(&text) {
            Err(errors) => problems.extend(errors.into_iter().map(|e| Malformed {
                file: shown.clone(),
                line: parse_error_line(&e),
                message: parse_error_message(&e),
            })),
            Ok(suite) => {
                problems.extend(transaction_control(&shown, &text, &suite));
                files.push(SuiteFile {
                    name: p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    display: shown,
                    text,
                    suite,
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(ValidationError::Malformed(problems))
    }
}

fn parse_error_line(e: &parse::ParseError) -> Option<usize> {
    Some(e.line())
}

fn parse_error_message(e: &parse::ParseError) -> String {
    match e {
        parse::ParseError::Split { column, .. } => format!("{column}: {}", e.message()),
        _ => e.message(),
    }
}

/// Statements that would end (or nest) the suite's transaction.
fn transaction_control(file: &str, text: &str, suite: &Suite) -> Vec<Malformed> {
    let index = LineIndex::new(text);
    suite
        .setup
        .iter()
        .chain(suite.tests.iter().flat_map(|t| t.statements.iter()))
        .filter(|s| sql::is_transaction_control(s.text(text)))
        .map(|s| {
            let (line, _) = index.line_col(text, s.start);
            let stmt: String = s.text(text).split_whitespace().collect::<Vec<_>>().join(" ");
            Malformed {
                file: file.to_string(),
                line: Some(line),
                message: format!(
                    "`{stmt}`: a suite runs in one transaction that strata rolls back, and this would end it (and keep the suite's changes); remove it"
                ),
            }
        })
        .collect()
}
