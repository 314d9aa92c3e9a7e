//! The result of `strata test`: one struct per suite and per test, which the text report, JSON
//! and JUnit all render.
//!
//! Must not: render (that is `report/` and [`super::junit`]) or decide anything.

use crate::db::PgFailure;
use serde::Serialize;

/// Where something happened in a suite file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// Byte offset into the file's text, for rendering a snippet.
    #[serde(skip)]
    pub offset: usize,
}

/// Why a test (or a suite's setup) failed, beyond the one-line reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The statement that failed, or the judged statement.
    pub location: Location,
    /// PostgreSQL's error, when there was one.
    pub error: Option<PgFailure>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub name: String,
    /// Line of `-- test:`.
    pub line: usize,
    pub result: Verdict,
    /// One line: why it failed.
    pub reason: Option<String>,
    pub failure: Option<Failure>,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    pub file: String,
    pub passed: usize,
    pub failed: usize,
    /// Set when a setup statement failed; every test of the suite then fails unrun.
    pub setup_error: Option<Failure>,
    pub tests: Vec<TestReport>,
    pub duration_ms: f64,
    /// The file's text, for snippets in the text report.
    #[serde(skip)]
    pub text: String,
}

/// The result of `strata test`; text, JSON and JUnit all render this.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub suites: Vec<SuiteReport>,
    pub passed: usize,
    pub failed: usize,
    pub duration_ms: f64,
}
