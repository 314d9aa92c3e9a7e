//! Validation suites: load `tests/validation/*.sql`, select by pattern, run, judge, and the
//! JUnit rendering of the result.
//!
//! Owns: the run protocol. One connection; per file `BEGIN`, the setup statements, then per
//! test `SAVEPOINT` → `-- as:` (through `auth::assume_sql`) → the body, statement by statement
//! → judge the last statement → `ROLLBACK TO SAVEPOINT`; at the end of the file `ROLLBACK`.
//! Must not: commit. Every statement of a suite runs inside a transaction that is rolled back,
//! and a suite that contains transaction control (`COMMIT`, `BEGIN`, …) is refused before
//! anything runs, because such a statement would end that transaction and let the suite's
//! changes persist.
//!
//! Why statement by statement: a failing statement must be named by `file:line:col`, and `rows N`
//! / `value V` judge the last statement alone. Statements go through the simple-query protocol
//! (`raw_sql`), so values arrive in PostgreSQL's own text format, which is what `value V`
//! compares against ("as PostgreSQL prints it"), and each statement's command tag gives the rows
//! it affected. Decisions (selection, judging) are pure functions with unit tests.

pub mod junit;
pub mod parse;

use crate::config::Auth;
use crate::db::{DbError, PgFailure};
use crate::sql::{self, LineIndex, Span};
use futures_util::TryStreamExt;
use parse::{Expectation, Suite};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::{Either, Row, ValueRef};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// The savepoint each test runs in; unusual enough not to clash with a suite's own.
const SAVEPOINT: &str = "strata_validation_test";

/// A problem that stops `strata test` before anything runs (or a connection problem).
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("{} problem(s) in the validation suites; nothing was run", .0.len())]
    Malformed(Vec<Malformed>),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("no validation test matches `{pattern}` ({suites} suite(s) with {tests} test(s) in {dir}); the pattern is a substring of a suite's file name or of a test's name")]
    NoMatch {
        pattern: String,
        suites: usize,
        tests: usize,
        dir: String,
    },
}

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
                message: e.to_string(),
            })
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ValidationError::Io {
            path: display(dir),
            message: e.to_string(),
        })?;
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "sql") && p.is_file() {
            paths.push(p);
        }
    }
    paths.sort();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        let shown = display(&p);
        let text = match std::fs::read(&p) {
            Err(e) => {
                problems.push(Malformed {
                    file: shown,
                    line: None,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(Malformed {
                        file: shown,
                        line: None,
                        message: format!(
                            "not valid UTF-8 (at byte {}); save the file as UTF-8",
                            e.utf8_error().valid_up_to()
                        ),
                    });
                    continue;
                }
            },
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

/// The tests of one file chosen to run.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub file: &'a SuiteFile,
    /// Indexes into `file.suite.tests`.
    pub tests: Vec<usize>,
}

/// Chooses what to run: with no pattern, everything; otherwise every test of a suite whose file
/// name contains `pattern`, and in other suites the tests whose name contains it. Suites left
/// without tests are not run (their setup neither).
pub fn select<'a>(files: &'a [SuiteFile], pattern: Option<&str>) -> Vec<Selection<'a>> {
    files
        .iter()
        .filter_map(|f| {
            let tests: Vec<usize> = match pattern {
                None => (0..f.suite.tests.len()).collect(),
                Some(p) if f.name.contains(p) => (0..f.suite.tests.len()).collect(),
                Some(p) => f
                    .suite
                    .tests
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.name.contains(p))
                    .map(|(i, _)| i)
                    .collect(),
            };
            (!tests.is_empty()).then_some(Selection { file: f, tests })
        })
        .collect()
}

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

/// How to run.
pub struct RunOptions<'a> {
    pub auth: &'a Auth,
    pub statement_timeout: Option<&'a str>,
    pub lock_timeout: Option<&'a str>,
    /// The database, as shown in a connection error (password masked).
    pub target: String,
}

/// What one statement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded {
        /// Rows the statement returned.
        returned: u64,
        /// Rows it affected (its command tag's count).
        affected: u64,
        /// First column of the first row, as text (`None` for NULL); `None` without rows or
        /// columns.
        first: Option<Option<String>>,
        /// The first row has no columns (`SELECT FROM t`).
        no_columns: bool,
    },
    Failed(PgFailure),
}

/// Condition names for the SQLSTATEs suites meet most, for messages (`23514 (check_violation)`).
/// The parser maps names to codes; this is the other direction, for the codes PostgreSQL
/// returns.
const CONDITION_NAMES: &[(&str, &str)] = &[
    ("23000", "integrity_constraint_violation"),
    ("23001", "restrict_violation"),
    ("23502", "not_null_violation"),
    ("23503", "foreign_key_violation"),
    ("23505", "unique_violation"),
    ("23514", "check_violation"),
    ("23P01", "exclusion_violation"),
    ("42501", "insufficient_privilege"),
    ("42601", "syntax_error"),
    ("42703", "undefined_column"),
    ("42883", "undefined_function"),
    ("42P01", "undefined_table"),
    ("42704", "undefined_object"),
    ("42710", "duplicate_object"),
    ("42P07", "duplicate_table"),
    ("42804", "datatype_mismatch"),
    ("428C9", "generated_always"),
    ("22000", "data_exception"),
    ("22001", "string_data_right_truncation"),
    ("22003", "numeric_value_out_of_range"),
    ("22007", "invalid_datetime_format"),
    ("22008", "datetime_field_overflow"),
    ("22012", "division_by_zero"),
    ("22023", "invalid_parameter_value"),
    ("22P02", "invalid_text_representation"),
    ("22004", "null_value_not_allowed"),
    ("21000", "cardinality_violation"),
    ("25006", "read_only_sql_transaction"),
    ("25P02", "in_failed_sql_transaction"),
    ("40001", "serialization_failure"),
    ("40P01", "deadlock_detected"),
    ("55000", "object_not_in_prerequisite_state"),
    ("55P03", "lock_not_available"),
    ("57014", "query_canceled"),
    ("P0001", "raise_exception"),
    ("P0002", "no_data_found"),
    ("P0003", "too_many_rows"),
    ("P0004", "assert_failure"),
    ("0A000", "feature_not_supported"),
    ("2BP01", "dependent_objects_still_exist"),
    ("39P01", "trigger_protocol_violated"),
    ("09000", "triggered_action_exception"),
];

/// The condition name of a SQLSTATE, when strata knows it.
pub fn sqlstate_to_condition(code: &str) -> Option<&'static str> {
    CONDITION_NAMES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, n)| *n)
}

/// A SQLSTATE with its condition name, when strata knows it: `23514 (check_violation)`.
pub fn describe_sqlstate(code: &str) -> String {
    match sqlstate_to_condition(code) {
        Some(name) => format!("{code} ({name})"),
        None => code.to_string(),
    }
}

fn got_error(f: &PgFailure) -> String {
    format!("got error {}: {}", f.code, f.message)
}

fn expected_text(e: &Expectation) -> String {
    match e {
        Expectation::Ok => "ok".into(),
        Expectation::Rows(n) => format!("rows {n}"),
        Expectation::Error { sqlstate, .. } => format!("error {}", describe_sqlstate(sqlstate)),
        Expectation::Value(v) => format!("value {v}"),
    }
}

/// Judges the last statement of a test: `None` is a pass, otherwise the reason it failed.
pub fn judge(expect: &Expectation, outcome: &Outcome) -> Option<String> {
    let want = expected_text(expect);
    match (expect, outcome) {
        (Expectation::Ok, Outcome::Succeeded { .. }) => None,
        (Expectation::Error { sqlstate, .. }, Outcome::Failed(f)) => {
            if f.code.eq_ignore_ascii_case(sqlstate) {
                None
            } else {
                Some(format!(
                    "expected {want}, got error {}: {}",
                    describe_sqlstate(&f.code),
                    f.message
                ))
            }
        }
        (Expectation::Error { .. }, Outcome::Succeeded { .. }) => {
            Some(format!("expected {want}, statement succeeded"))
        }
        (_, Outcome::Failed(f)) => Some(format!("expected {want}, {}", got_error(f))),
        (
            Expectation::Rows(n),
            Outcome::Succeeded {
                returned, affected, ..
            },
        ) => {
            let got = if *returned > 0 { *returned } else { *affected };
            (got != *n).then(|| format!("expected {want}, got {got}"))
        }
        (
            Expectation::Value(v),
            Outcome::Succeeded {
                returned,
                first,
                no_columns,
                ..
            },
        ) => {
            if *returned == 0 {
                return Some(format!("expected {want}, got no rows"));
            }
            if *returned > 1 {
                return Some(format!(
                    "expected {want}, got {returned} rows (value needs exactly one)"
                ));
            }
            if *no_columns {
                return Some(format!("expected {want}, the row has no columns"));
            }
            match first {
                Some(Some(text)) if text == v => None,
                Some(None) if v == "NULL" => None,
                Some(Some(text)) => Some(format!("expected {want}, got {text}")),
                Some(None) | None => Some(format!("expected {want}, got NULL")),
            }
        }
    }
}

/// A connection-level failure (not a PostgreSQL error) ends the run.
fn connection_lost(target: &str, e: &sqlx::Error) -> Option<DbError> {
    match e {
        sqlx::Error::Database(_) => None,
        other => Some(DbError::Connect {
            target: target.to_string(),
            message: crate::config::mask_password(&other.to_string()),
        }),
    }
}

async fn exec(conn: &mut PgConnection, sql_text: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql_text))
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Runs one statement and describes what it did.
async fn observe(conn: &mut PgConnection, stmt: &str) -> Result<Outcome, sqlx::Error> {
    let mut stream = sqlx::raw_sql(sqlx::AssertSqlSafe(stmt)).fetch_many(&mut *conn);
    let mut returned = 0u64;
    let mut affected = 0u64;
    let mut first = None;
    let mut no_columns = false;
    loop {
        match stream.try_next().await {
            Ok(None) => break,
            Ok(Some(Either::Left(done))) => affected += done.rows_affected(),
            Ok(Some(Either::Right(row))) => {
                if returned == 0 {
                    match row.try_get_raw(0) {
                        Ok(v) if v.is_null() => first = Some(None),
                        Ok(v) => first = Some(Some(v.as_str().unwrap_or("").to_string())),
                        Err(_) => no_columns = true,
                    }
                }
                returned += 1;
            }
            Err(sqlx::Error::Database(db)) => {
                return Ok(Outcome::Failed(PgFailure::from_sqlx(
                    &sqlx::Error::Database(db),
                )))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Outcome::Succeeded {
        returned,
        affected,
        first,
        no_columns,
    })
}

fn locate(file: &SuiteFile, index: &LineIndex, span: Span, error: Option<&PgFailure>) -> Location {
    let stmt = span.text(&file.text);
    let offset = match error.and_then(|f| f.position) {
        Some(p) => span.start + sql::char_pos_to_byte(stmt, p),
        None => span.start,
    };
    let (line, col) = index.line_col(&file.text, offset);
    Location {
        file: file.display.clone(),
        line,
        col,
        offset,
    }
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// Caches whether a name is an existing role (to read `-- as: 42` under the `setting` model as a
/// user id for the configured role).
struct Roles(HashMap<String, bool>);

impl Roles {
    async fn exists(&mut self, conn: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
        if let Some(b) = self.0.get(name) {
            return Ok(*b);
        }
        let b: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(name)
                .fetch_one(&mut *conn)
                .await?;
        self.0.insert(name.to_string(), b);
        Ok(b)
    }
}

/// The statements behind `-- as:` for this test.
async fn assume_for(
    conn: &mut PgConnection,
    roles: &mut Roles,
    auth: &Auth,
    a: &parse::Assume,
) -> Result<String, sqlx::Error> {
    let (role, user) = match (&a.user_id, auth.model, &auth.role) {
        // `setting` model: `-- as: 42` names a user of the configured role, unless 42 is a role.
        (None, crate::config::AuthModel::Setting, Some(default_role))
            if !roles.exists(conn, &a.role).await? =>
        {
            (default_role.as_str(), Some(a.role.as_str()))
        }
        _ => (a.role.as_str(), a.user_id.as_deref()),
    };
    Ok(crate::auth::assume_sql(auth, role, user))
}

/// Runs the selected suites. Returns `Err` only when the connection fails; failing tests and
/// failing setups are part of the report.
pub async fn run(
    conn: &mut PgConnection,
    selections: &[Selection<'_>],
    opts: &RunOptions<'_>,
) -> Result<RunReport, DbError> {
    let started = Instant::now();
    let mut roles = Roles(HashMap::new());
    let mut suites = Vec::with_capacity(selections.len());
    for sel in selections {
        suites.push(run_suite(conn, sel, opts, &mut roles).await?);
    }
    let passed = suites.iter().map(|s| s.passed).sum();
    let failed = suites.iter().map(|s| s.failed).sum();
    Ok(RunReport {
        suites,
        passed,
        failed,
        duration_ms: ms(started),
    })
}

async fn run_suite(
    conn: &mut PgConnection,
    sel: &Selection<'_>,
    opts: &RunOptions<'_>,
    roles: &mut Roles,
) -> Result<SuiteReport, DbError> {
    let started = Instant::now();
    let file = sel.file;
    let index = LineIndex::new(&file.text);
    let lost = |e: &sqlx::Error| -> DbError {
        connection_lost(&opts.target, e)
            .unwrap_or_else(|| DbError::query(format!("running {}", file.display), e))
    };
    let mut begin = String::from("BEGIN;\n");
    if let Some(t) = opts.statement_timeout {
        begin.push_str(&format!(
            "SET LOCAL statement_timeout = {};\n",
            sql::quote_literal(t)
        ));
    }
    if let Some(t) = opts.lock_timeout {
        begin.push_str(&format!(
            "SET LOCAL lock_timeout = {};\n",
            sql::quote_literal(t)
        ));
    }
    exec(conn, &begin).await.map_err(|e| lost(&e))?;

    let mut setup_error = None;
    for span in &file.suite.setup {
        if let Err(e) = exec(conn, span.text(&file.text)).await {
            if let Some(d) = connection_lost(&opts.target, &e) {
                return Err(d);
            }
            let f = PgFailure::from_sqlx(&e);
            setup_error = Some(Failure {
                location: locate(file, &index, *span, Some(&f)),
                error: Some(f),
            });
            break;
        }
    }

    let mut tests = Vec::with_capacity(sel.tests.len());
    for &i in &sel.tests {
        let Some(t) = file.suite.tests.get(i) else {
            continue;
        };
        let t_started = Instant::now();
        if let Some(se) = &setup_error {
            let why = se
                .error
                .as_ref()
                .map(got_error)
                .unwrap_or_else(|| "failed".into());
            tests.push(TestReport {
                name: t.name.clone(),
                line: t.line,
                result: Verdict::Fail,
                reason: Some(format!(
                    "not run: the suite's setup failed at {}:{}:{} ({why})",
                    se.location.file, se.location.line, se.location.col
                )),
                failure: None,
                duration_ms: 0.0,
            });
            continue;
        }
        let mut open = format!("SAVEPOINT {SAVEPOINT}");
        if let Some(a) = &t.assume {
            let assume = assume_for(conn, roles, opts.auth, a)
                .await
                .map_err(|e| lost(&e))?;
            open.push_str(";\n");
            open.push_str(&assume);
        }
        let (reason, failure) = match exec(conn, &open).await {
            Err(e) => {
                if let Some(d) = connection_lost(&opts.target, &e) {
                    return Err(d);
                }
                let f = PgFailure::from_sqlx(&e);
                let as_text = t
                    .assume
                    .as_ref()
                    .map(|a| {
                        let mut s = a.role.clone();
                        if let Some(u) = &a.user_id {
                            s.push(' ');
                            s.push_str(u);
                        }
                        s
                    })
                    .unwrap_or_default();
                (
                    Some(format!("`-- as: {as_text}` failed: {}", got_error(&f))),
                    Some(Failure {
                        location: Location {
                            file: file.display.clone(),
                            line: t.line,
                            col: 1,
                            offset: index.line_range(&file.text, t.line).0,
                        },
                        error: Some(f),
                    }),
                )
            }
            Ok(()) => run_body(conn, file, &index, t, opts).await?,
        };
        exec(
            conn,
            &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}; RELEASE SAVEPOINT {SAVEPOINT}"),
        )
        .await
        .map_err(|e| lost(&e))?;
        tests.push(TestReport {
            name: t.name.clone(),
            line: t.line,
            result: if reason.is_none() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            reason,
            failure,
            duration_ms: ms(t_started),
        });
    }
    exec(conn, "ROLLBACK").await.map_err(|e| lost(&e))?;
    let passed = tests.iter().filter(|t| t.result == Verdict::Pass).count();
    Ok(SuiteReport {
        file: file.display.clone(),
        passed,
        failed: tests.len() - passed,
        setup_error,
        tests,
        duration_ms: ms(started),
        text: file.text.clone(),
    })
}

/// Runs a test's statements; all but the last must succeed, the last is judged.
async fn run_body(
    conn: &mut PgConnection,
    file: &SuiteFile,
    index: &LineIndex,
    t: &parse::Test,
    opts: &RunOptions<'_>,
) -> Result<(Option<String>, Option<Failure>), DbError> {
    let n = t.statements.len();
    for (k, span) in t.statements.iter().enumerate() {
        let stmt = span.text(&file.text);
        let outcome = observe(conn, stmt).await.map_err(|e| {
            connection_lost(&opts.target, &e)
                .unwrap_or_else(|| DbError::query(format!("running {}", file.display), &e))
        })?;
        if k + 1 < n {
            if let Outcome::Failed(f) = outcome {
                let reason = format!(
                    "statement {} of {n} failed before the judged one: {}",
                    k + 1,
                    got_error(&f)
                );
                let location = locate(file, index, *span, Some(&f));
                return Ok((
                    Some(reason),
                    Some(Failure {
                        location,
                        error: Some(f),
                    }),
                ));
            }
            continue;
        }
        return Ok(match judge(&t.expect, &outcome) {
            None => (None, None),
            Some(reason) => {
                let error = match outcome {
                    Outcome::Failed(f) => Some(f),
                    Outcome::Succeeded { .. } => None,
                };
                let location = locate(file, index, *span, error.as_ref());
                (Some(reason), Some(Failure { location, error }))
            }
        });
    }
    Ok((None, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(returned: u64, affected: u64, first: Option<Option<&str>>) -> Outcome {
        Outcome::Succeeded {
            returned,
            affected,
            first: first.map(|f| f.map(str::to_string)),
            no_columns: false,
        }
    }

    fn err(code: &str, message: &str) -> Outcome {
        Outcome::Failed(PgFailure {
            code: code.into(),
            message: message.into(),
            ..PgFailure::default()
        })
    }

    fn error(code: &str) -> Expectation {
        Expectation::Error {
            sqlstate: code.into(),
            written: code.into(),
        }
    }

    #[test]
    fn condition_names_agree_with_the_parser() {
        for (code, name) in CONDITION_NAMES {
            assert_eq!(parse::condition_to_sqlstate(name), Some(*code), "{name}");
        }
    }

    #[test]
    fn judges_ok() {
        assert_eq!(judge(&Expectation::Ok, &ok(0, 0, None)), None);
        assert_eq!(
            judge(
                &Expectation::Ok,
                &err("42501", "permission denied for table x")
            )
            .as_deref(),
            Some("expected ok, got error 42501: permission denied for table x")
        );
    }

    #[test]
    fn judges_rows_returned_or_affected() {
        assert_eq!(
            judge(&Expectation::Rows(3), &ok(3, 3, Some(Some("a")))),
            None
        );
        assert_eq!(judge(&Expectation::Rows(2), &ok(0, 2, None)), None);
        assert_eq!(judge(&Expectation::Rows(0), &ok(0, 0, None)), None);
        assert_eq!(
            judge(&Expectation::Rows(1), &ok(3, 3, Some(Some("a")))).as_deref(),
            Some("expected rows 1, got 3")
        );
    }

    #[test]
    fn judges_errors_with_condition_names() {
        assert_eq!(judge(&error("23514"), &err("23514", "x")), None);
        assert_eq!(
            judge(&error("23514"), &ok(1, 1, None)).as_deref(),
            Some("expected error 23514 (check_violation), statement succeeded")
        );
        assert_eq!(
            judge(&error("23514"), &err("23505", "duplicate key")).as_deref(),
            Some("expected error 23514 (check_violation), got error 23505 (unique_violation): duplicate key")
        );
    }

    #[test]
    fn judges_values_as_text() {
        let v = |s: &str| Expectation::Value(s.into());
        assert_eq!(judge(&v("3"), &ok(1, 1, Some(Some("3")))), None);
        assert_eq!(
            judge(&v("3"), &ok(1, 1, Some(Some("3.00")))).as_deref(),
            Some("expected value 3, got 3.00")
        );
        assert_eq!(
            judge(&v("t"), &ok(0, 0, None)).as_deref(),
            Some("expected value t, got no rows")
        );
        assert_eq!(
            judge(&v("t"), &ok(2, 2, Some(Some("t")))).as_deref(),
            Some("expected value t, got 2 rows (value needs exactly one)")
        );
        assert_eq!(judge(&v("NULL"), &ok(1, 1, Some(None))), None);
        assert_eq!(
            judge(&v("1"), &ok(1, 1, Some(None))).as_deref(),
            Some("expected value 1, got NULL")
        );
    }

    fn file(name: &str, tests: &[&str]) -> SuiteFile {
        SuiteFile {
            display: format!("tests/validation/{name}"),
            name: name.into(),
            text: String::new(),
            suite: Suite {
                setup: vec![],
                tests: tests
                    .iter()
                    .enumerate()
                    .map(|(i, t)| parse::Test {
                        name: t.to_string(),
                        line: i + 1,
                        assume: None,
                        expect: Expectation::Ok,
                        expect_line: i + 1,
                        statements: vec![],
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn selects_by_file_name_or_test_name() {
        let files = vec![
            file("01_wallet.sql", &["balance", "ledger"]),
            file("02_rls.sql", &["ledger insert refused", "own rows"]),
        ];
        assert_eq!(select(&files, None).len(), 2);
        let s = select(&files, Some("wallet"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].tests, vec![0, 1]);
        let s = select(&files, Some("ledger"));
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].tests, vec![1]);
        assert_eq!(s[1].tests, vec![0]);
        assert!(select(&files, Some("nothing")).is_empty());
    }
}
