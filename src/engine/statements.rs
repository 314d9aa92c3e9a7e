//! A `-- strata:no-transaction` file, statement by statement, with its progress recorded.
//!
//! Owns: running such a file (or its rollback) on one session so that, whenever the run stops
//! (a failing statement, kill -9, a lost connection), the history says exactly which statements
//! are committed, and the next run continues after them.
//!
//! How each statement runs:
//! - A statement PostgreSQL allows in a transaction is sent in one message with its progress
//!   row: `BEGIN; <guard>; <statement>; INSERT progress; COMMIT`. Both commit or neither does.
//! - A statement PostgreSQL refuses in a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …)
//!   cannot share one, so a `started` row is committed first, then the statement runs alone,
//!   then its progress row. A run that stops in between leaves `started` without `progress`:
//!   the next run asks the catalog whether the statement took effect ([`inflight`]).
//! - The file's own `BEGIN … COMMIT` block: the progress row goes in before its `COMMIT`.
//!
//! The session keeps what the file sets (`SET ROLE`, `SET search_path`) from one statement to
//! the next, as the file expects; strata's own rows are written as the session's user (a
//! transaction-local `role = none`), so a `SET ROLE` in the file never breaks the history
//! write. A continued file first repeats the committed statements' session settings. When the
//! file is done, the session is reset in the same message as its last row.
//!
//! Each message's guard also checks that it runs on the same server process as the first:
//! through a transaction-pooling proxy a later statement may reach another session, which
//! would lose the file's settings; that stops the run (exit 2) with the progress exact.

use super::guard::{self, Guard, Refused};
use super::inflight::{self, Finding};
use super::plan::{committed_checksum, describe_statement};
use super::{
    refused_to_error, timeouts, Direction, EngineError, Event, Observer, Refusal, Settings,
    StatementFailure, Unit,
};
use crate::db::{self, DbError, PgFailure};
use crate::history::{self, Kind, NewRow};
use crate::project::Version;
use crate::sql::{self, tokens, TokenKind};
use sqlx::postgres::PgConnection;
use std::time::{Duration, Instant};

/// How one statement of the file runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// In a transaction with its progress row.
    Wrapped,
    /// Alone (PostgreSQL refuses it in a transaction), between a `started` and a `progress` row.
    Alone,
    /// The file's own `BEGIN`/`START TRANSACTION`.
    BlockStart,
    /// A statement inside the file's own transaction.
    InBlock,
    /// The file's `COMMIT`/`END`: the progress row goes in before it.
    BlockCommit,
    /// The file's `ROLLBACK`/`ABORT`/`PREPARE TRANSACTION`: the progress row comes after it.
    BlockEnd,
}

fn first_words(stmt: &str) -> (String, String) {
    let mut words = tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| stmt.get(t.start..t.end).unwrap_or("").to_ascii_lowercase());
    (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    )
}

fn how(stmt: &str, in_block: bool) -> How {
    let control = sql::is_transaction_control(stmt);
    let (w1, w2) = first_words(stmt);
    if in_block {
        if !control {
            return How::InBlock;
        }
        return match (w1.as_str(), w2.as_str()) {
            ("commit" | "end", w) if w != "prepared" => How::BlockCommit,
            ("rollback" | "abort", w) if w != "prepared" => How::BlockEnd,
            ("prepare", _) => How::BlockEnd,
            _ => How::InBlock,
        };
    }
    if control {
        return match w1.as_str() {
            "begin" | "start" => How::BlockStart,
            _ => How::Alone,
        };
    }
    if sql::non_transactional_reason(stmt).is_some() {
        How::Alone
    } else {
        How::Wrapped
    }
}

/// Whether a statement sets something for the rest of the session (`SET x`, `SET ROLE`,
/// `RESET`), which a continued run must set again before the statements after it.
fn is_session_setting(stmt: &str) -> bool {
    let (w1, w2) = first_words(stmt);
    match w1.as_str() {
        "reset" => true,
        "set" => !matches!(w2.as_str(), "local" | "transaction" | "constraints"),
        _ => false,
    }
}

/// strata's rows are written as the session's user; the file's role is restored around its
/// statement (both transaction-local, so the session keeps the file's `SET ROLE`).
const ROLE_NONE: &str = "SELECT pg_catalog.set_config('strata.role', pg_catalog.current_setting('role'), true), pg_catalog.set_config('role', 'none', true);\n";
const ROLE_BACK: &str =
    "SELECT pg_catalog.set_config('role', pg_catalog.current_setting('strata.role'), true);\n";
/// Clears what the file set, once it is done.
const RESET_SESSION: &str = "RESET ALL;\nRESET ROLE;\n";

struct Run<'u, 'a> {
    unit: &'u Unit<'a>,
    settings: &'u Settings,
    backend: i32,
    /// The version's newest history row (None: not checked, a throwaway database).
    last_id: Option<i64>,
    committed: usize,
    started: Instant,
}

impl Run<'_, '_> {
    fn guard(&self) -> Guard {
        self.settings.guard(
            self.last_id.map(|id| (self.unit.version, id)),
            Some(self.backend),
        )
    }

    fn kinds(&self) -> (Kind, Kind, Kind) {
        match self.unit.direction {
            Direction::Up => (Kind::Progress, Kind::Started, Kind::Apply),
            Direction::Down => (
                Kind::RollbackProgress,
                Kind::RollbackStarted,
                Kind::Rollback,
            ),
        }
    }

    fn text(&self, i: usize) -> &str {
        self.unit.spans[i].text(&self.unit.file.text)
    }

    /// The INSERT of a progress (`step` committed) or started (`step` sent) row, or of the final
    /// row when the file is done.
    fn row(&self, kind: Kind, step: usize, note: Option<&str>, success: bool) -> String {
        let done = kind == Kind::Apply || kind == Kind::Rollback;
        // A `started` or failed row is about statement `step`, which is not committed.
        let committed = if kind == self.kinds().1 || (done && !success) {
            step - 1
        } else {
            step
        };
        let prefix = committed_checksum(&self.unit.file.text, self.unit.spans, committed);
        let checksum = if done && success {
            Some(&self.unit.file.checksum)
        } else {
            prefix.as_ref()
        };
        history::insert_sql(
            &self.settings.history_schema,
            &NewRow {
                version: self.unit.version,
                name: self.unit.name,
                kind,
                checksum,
                sql: (done && success).then_some(self.unit.file.text.as_str()),
                success,
                note,
                duration_from_txn_start: false,
                duration_ms: Some(self.started.elapsed().as_millis() as i64),
                step: (!(done && success)).then_some(step),
            },
        )
    }

    /// The row that records statement `step` as committed: progress, or the final row.
    fn done_row(&self, step: usize) -> String {
        if step == self.unit.spans.len() {
            self.row(self.kinds().2, step, None, true)
        } else {
            self.row(self.kinds().0, step, None, true)
        }
    }

    fn tail(&self, step: usize) -> &'static str {
        if step == self.unit.spans.len() {
            RESET_SESSION
        } else {
            ""
        }
    }

    async fn send(
        &mut self,
        conn: &mut PgConnection,
        message: &str,
        obs: &mut dyn Observer,
    ) -> Result<(), Refused> {
        let key = db::lock_key(&self.settings.history_schema);
        let mut on_wait = |h: Option<&db::LockHolder>| obs.event(&Event::LockWaiting(h.cloned()));
        let id = guard::send(conn, message, key, self.settings.lock_wait, &mut on_wait).await;
        match id {
            Ok(Some(id)) if self.last_id.is_some() => {
                self.last_id = Some(id);
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A guarded transaction that only records a row.
    async fn record(
        &mut self,
        conn: &mut PgConnection,
        row: &str,
        tail: &str,
        obs: &mut dyn Observer,
    ) -> Result<(), EngineError> {
        let message = format!(
            "BEGIN;\n{ROLE_NONE}{}{row};\nCOMMIT;\n{tail}",
            self.guard().sql()
        );
        let what = format!("recording the progress of {}", self.unit.file.display);
        self.send(conn, &message, obs)
            .await
            .map_err(|r| self.refusal(r, &what))
    }

    fn refusal(&self, r: Refused, what: &str) -> EngineError {
        match r {
            Refused::Stale => EngineError::Stale {
                version: self.unit.version,
            },
            other => refused_to_error(other, what),
        }
    }

    /// Records a failing statement (its number, the committed count, the message) and returns
    /// the error to report.
    async fn fail(
        &mut self,
        conn: &mut PgConnection,
        i: usize,
        failure: PgFailure,
        offset: usize,
        done: &[Version],
        obs: &mut dyn Observer,
    ) -> EngineError {
        let n = self.unit.spans.len();
        let note = format!(
            "{} of {n} failed: {}",
            describe_statement(self.unit.file, self.unit.spans, i + 1),
            failure.message
        );
        // A failure is recorded against the first statement not committed (inside the file's
        // own transaction block that is its BEGIN: the block was rolled back).
        let row = self.row(self.kinds().2, self.committed + 1, Some(&note), false);
        if let Err(e) = self.record(conn, &row, "", obs).await {
            return e;
        }
        EngineError::Statement(Box::new(StatementFailure {
            direction: self.unit.direction,
            version: self.unit.version,
            name: self.unit.name.to_string(),
            file: self.unit.file.clone(),
            offset: Some(offset),
            failure,
            transactional: false,
            committed_statements: self.committed,
            done_before: done.to_vec(),
        }))
    }
}

/// Where a failure in statement `i` points, given the characters sent before it.
fn failure_offset(run: &Run<'_, '_>, i: usize, failure: &PgFailure, before: usize) -> usize {
    let span = &run.unit.spans[i];
    let stmt = span.text(&run.unit.file.text);
    match failure.position {
        Some(p) if p > before && p - before <= stmt.chars().count() => {
            span.start + sql::char_pos_to_byte(stmt, p - before)
        }
        Some(_) => span.start,
        None => {
            let f = PgFailure {
                position: None,
                ..failure.clone()
            };
            super::statement_offset(&run.unit.file.text, span, &f)
        }
    }
}

pub(super) async fn run(
    conn: &mut PgConnection,
    unit: &Unit<'_>,
    settings: &Settings,
    done: &[Version],
    obs: &mut dyn Observer,
) -> Result<(), EngineError> {
    let what = format!("running {}", unit.file.display);
    // The session in a known state, the file's timeouts, and the server process every later
    // statement must reach.
    let setup = format!(
        "RESET ALL;\nRESET ROLE;\n{}{}",
        db::client_check_sql(conn, false),
        timeouts(unit, settings, false)
    );
    db::execute_script(conn, &setup).await.map_err(|e| {
        DbError::query(
            format!("preparing the session for {}", unit.file.display),
            &e,
        )
    })?;
    let backend = db::backend_pid(conn).await?;
    let mut run = Run {
        unit,
        settings,
        backend,
        last_id: unit.expect,
        committed: unit.resume.map_or(0, |r| r.committed),
        started: Instant::now(),
    };
    // A continued file: the session settings its committed statements made, made again.
    for i in 0..run.committed.min(unit.spans.len()) {
        if is_session_setting(run.text(i)) {
            db::execute_script(conn, run.text(i)).await.map_err(|e| {
                DbError::query(format!("repeating a SET of {}", unit.file.display), &e)
            })?;
        }
    }
    if let Some(r) = unit.resume.and_then(|r| r.running) {
        settle_interrupted(conn, &mut run, r, obs).await?;
    }
    let n = unit.spans.len();
    if n == 0 || run.committed >= n {
        // Nothing (more) to run: record the file as done.
        let row = run.done_row(n);
        return run.record(conn, &row, RESET_SESSION, obs).await;
    }
    let mut in_block = false;
    let mut block_start = 0;
    for i in run.committed..n {
        let step = i + 1;
        let stmt = run.text(i).to_string();
        let h = how(&stmt, in_block);
        match h {
            How::Wrapped => {
                let guard = run.guard().sql();
                let before = format!("BEGIN;\n{ROLE_NONE}{guard}{ROLE_BACK}");
                let message = format!(
                    "{before}{stmt}\n;\nSET LOCAL ROLE NONE;\n{};\nCOMMIT;\n{}",
                    run.done_row(step),
                    run.tail(step)
                );
                match run.send(conn, &message, obs).await {
                    Ok(()) => run.committed = step,
                    Err(Refused::Failed(e)) if !db::connection_lost(&e) && code_known(&e) => {
                        let failure = PgFailure::from_sqlx(&e);
                        let offset = failure_offset(&run, i, &failure, before.chars().count());
                        return Err(run.fail(conn, i, failure, offset, done, obs).await);
                    }
                    Err(r) => return Err(run.refusal(r, &what)),
                }
            }
            How::Alone => {
                let claim = run.row(run.kinds().1, step, None, true);
                run.record(conn, &claim, "", obs).await?;
                if let Err(e) = db::execute_script(conn, &stmt).await {
                    if db::connection_lost(&e) || !code_known(&e) {
                        return Err(EngineError::Db(DbError::query(what.clone(), &e)));
                    }
                    let failure = PgFailure::from_sqlx(&e);
                    let offset = failure_offset(&run, i, &failure, 0);
                    return Err(run.fail(conn, i, failure, offset, done, obs).await);
                }
                let row = run.done_row(step);
                run.record(conn, &row, run.tail(step), obs).await?;
                run.committed = step;
            }
            How::BlockStart => {
                let message = format!("{stmt}\n;\n{ROLE_NONE}{}{ROLE_BACK}", run.guard().sql());
                match run.send(conn, &message, obs).await {
                    Ok(()) => {
                        in_block = true;
                        block_start = i;
                    }
                    Err(Refused::Failed(e)) if !db::connection_lost(&e) && code_known(&e) => {
                        let failure = PgFailure::from_sqlx(&e);
                        let offset = failure_offset(&run, i, &failure, 0);
                        return Err(run.fail(conn, i, failure, offset, done, obs).await);
                    }
                    Err(r) => return Err(run.refusal(r, &what)),
                }
            }
            How::InBlock => {
                if let Err(e) = db::execute_script(conn, &stmt).await {
                    let _ = db::execute_script(conn, "ROLLBACK").await;
                    if db::connection_lost(&e) || !code_known(&e) {
                        return Err(EngineError::Db(DbError::query(what.clone(), &e)));
                    }
                    let failure = PgFailure::from_sqlx(&e);
                    let offset = failure_offset(&run, i, &failure, 0);
                    return Err(run.fail(conn, i, failure, offset, done, obs).await);
                }
            }
            How::BlockCommit => {
                let message = format!(
                    "SET LOCAL ROLE NONE;\n{};\n{stmt}\n;\n{}",
                    run.done_row(step),
                    run.tail(step)
                );
                match db::execute_for_id(conn, &message).await {
                    Ok(id) => {
                        if run.last_id.is_some() {
                            run.last_id = id.or(run.last_id);
                        }
                        run.committed = step;
                        in_block = false;
                    }
                    Err(e) => {
                        let _ = db::execute_script(conn, "ROLLBACK").await;
                        if db::connection_lost(&e) || !code_known(&e) {
                            return Err(EngineError::Db(DbError::query(what.clone(), &e)));
                        }
                        let failure = PgFailure::from_sqlx(&e);
                        let offset = failure_offset(&run, i, &failure, 0);
                        return Err(run.fail(conn, i, failure, offset, done, obs).await);
                    }
                }
            }
            How::BlockEnd => {
                if let Err(e) = db::execute_script(conn, &stmt).await {
                    let _ = db::execute_script(conn, "ROLLBACK").await;
                    if db::connection_lost(&e) || !code_known(&e) {
                        return Err(EngineError::Db(DbError::query(what.clone(), &e)));
                    }
                }
                in_block = false;
                let row = run.done_row(step);
                run.record(conn, &row, run.tail(step), obs).await?;
                run.committed = step;
            }
        }
    }
    if in_block {
        // The file left its own transaction open: end it, and say so as a failure.
        let _ = db::execute_script(conn, "ROLLBACK").await;
        let failure = PgFailure {
            message: "the file's own transaction (BEGIN) is never committed; strata rolled it back"
                .into(),
            ..PgFailure::default()
        };
        let offset = unit.spans[block_start].start;
        return Err(run
            .fail(conn, block_start, failure, offset, done, obs)
            .await);
    }
    Ok(())
}

/// A PostgreSQL error with a SQLSTATE (a failing statement, not a broken connection).
fn code_known(e: &sqlx::Error) -> bool {
    guard::code_of(e).is_some_and(|c| !c.is_empty())
}

/// Statement `r` was sent by a run that stopped before recording its outcome. Waits while
/// another session still runs it; then asks the catalog whether it took effect and records the
/// answer, or refuses with the exact commands when strata cannot tell.
async fn settle_interrupted(
    conn: &mut PgConnection,
    run: &mut Run<'_, '_>,
    r: usize,
    obs: &mut dyn Observer,
) -> Result<(), EngineError> {
    let stmt = run.text(r - 1).to_string();
    let waited = Instant::now();
    let mut told = false;
    while inflight::running_elsewhere(conn, &stmt).await? {
        if !told {
            obs.event(&Event::LockWaiting(None));
            told = true;
        }
        if waited.elapsed() >= run.settings.lock_wait {
            return Err(EngineError::Db(DbError::LockTimeout {
                waited_s: waited.elapsed().as_secs(),
                holder: None,
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let finding = inflight::find(conn, &inflight::check_for(&stmt)).await?;
    let version = run.unit.version;
    let say = |obs: &mut dyn Observer, finding: &str| {
        obs.event(&Event::Checked {
            version,
            statement: r,
            finding: finding.to_string(),
        })
    };
    match finding {
        Finding::Done => {
            say(obs, "it had taken effect; recorded as committed");
            let row = run.done_row(r);
            run.record(conn, &row, run.tail(r), obs).await?;
            run.committed = r;
        }
        Finding::NotDone => {
            say(
                obs,
                "it had not taken effect (or is safe to run again); running it",
            );
            run.committed = r - 1;
        }
        Finding::InvalidIndex { drop } => {
            say(
                obs,
                &format!("the interrupted build left the INVALID index {drop}; dropped it, building it again"),
            );
            db::execute_script(conn, &format!("DROP INDEX CONCURRENTLY IF EXISTS {drop}"))
                .await
                .map_err(|e| DbError::query(format!("dropping the invalid index {drop}"), &e))?;
            run.committed = r - 1;
        }
        Finding::Unknown => {
            return Err(EngineError::Refused(Refusal::InterruptedUnknown {
                version,
                name: run.unit.name.to_string(),
                statement: describe_statement(run.unit.file, run.unit.spans, r),
                number: r,
                way: match run.unit.direction {
                    Direction::Up => crate::history::Way::Apply,
                    Direction::Down => crate::history::Way::Rollback,
                },
            }))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_statement_runs_the_way_postgresql_allows() {
        assert_eq!(how("CREATE TABLE t (a int)", false), How::Wrapped);
        assert_eq!(how("SET ROLE app", false), How::Wrapped);
        assert_eq!(
            how("CREATE INDEX CONCURRENTLY i ON t (a)", false),
            How::Alone
        );
        assert_eq!(how("VACUUM t", false), How::Alone);
        assert_eq!(how("COMMIT PREPARED 'x'", false), How::Alone);
        assert_eq!(how("BEGIN", false), How::BlockStart);
        assert_eq!(how("START TRANSACTION", false), How::BlockStart);
        assert_eq!(how("INSERT INTO t VALUES (1)", true), How::InBlock);
        assert_eq!(how("SAVEPOINT s", true), How::InBlock);
        assert_eq!(how("ROLLBACK TO SAVEPOINT s", true), How::InBlock);
        assert_eq!(how("COMMIT", true), How::BlockCommit);
        assert_eq!(how("end", true), How::BlockCommit);
        assert_eq!(how("ROLLBACK", true), How::BlockEnd);
        assert_eq!(how("PREPARE TRANSACTION 'x'", true), How::BlockEnd);
    }

    #[test]
    fn session_settings_are_repeated_when_a_file_continues() {
        for s in [
            "SET search_path = app",
            "set role app",
            "RESET ROLE",
            "SET SESSION statement_timeout = 0",
        ] {
            assert!(is_session_setting(s), "{s}");
        }
        for s in [
            "SET LOCAL role app",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SET CONSTRAINTS ALL DEFERRED",
            "SELECT set_config('a.b', 'c', false)",
            "CREATE TABLE t ()",
        ] {
            assert!(!is_session_setting(s), "{s}");
        }
    }
}
