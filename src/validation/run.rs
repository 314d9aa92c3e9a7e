//! Running suites against one connection: per file `BEGIN`, the setup, then per test
//! `SAVEPOINT` → `-- as:` → the body statement by statement → judge the last one →
//! `ROLLBACK TO SAVEPOINT`; at the end of the file `ROLLBACK`.
//!
//! Must not: commit, print, or decide pass/fail itself (that is [`super::judge`](mod@super::judge)). Returns `Err`
//! only when the connection is lost; failing tests and setups are part of the result.

use super::judge::{got_error, judge, Outcome};
use super::parse;
use super::result::{Failure, Location, RunReport, SuiteReport, TestReport, Verdict};
use super::select::Selection;
use super::SuiteFile;
use crate::config::Auth;
use crate::db::{DbError, PgFailure};
use crate::sql::{self, LineIndex, Span};
use futures_util::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::{Either, Row, ValueRef};
use std::collections::HashMap;
use std::time::Instant;

/// The savepoint each test runs in; unusual enough not to clash with a suite's own.
const SAVEPOINT: &str = "strata_validation_test";

/// How to run.
pub struct RunOptions<'a> {
    pub auth: &'a Auth,
    pub statement_timeout: Option<&'a str>,
    pub lock_timeout: Option<&'a str>,
    /// The database, as shown in a connection error (password masked).
    pub target: String,
}

/// A connection-level failure (the connection broke, or the server ended the session) ends the
/// run with exit 2; it is reported as a lost connection, not as "cannot connect".
fn connection_lost(target: &str, e: &sqlx::Error) -> Option<DbError> {
    match e {
        sqlx::Error::Database(_) if !crate::db::connection_lost(e) => None,
        other => Some(DbError::ConnectionLost {
            context: format!("running the validation suites on {target}"),
            message: crate::secret::mask(&PgFailure::from_sqlx(other).to_string()),
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
