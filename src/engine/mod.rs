//! Applying migrations and rollbacks, baseline and repair. Emits [`Event`]s to an observer and
//! never prints.
//!
//! A transactional migration is sent as ONE simple-query message:
//! `RESET ALL; BEGIN; SET LOCAL <timeouts>; <guard>; <file>; RESET ROLE; INSERT <history row>;
//! COMMIT; RESET ALL`. One round trip per migration (this is what makes strata as fast as
//! `psql -1 -f`), and the migration's changes and its history row commit or vanish together.
//! Every migration of a run but the last commits with `synchronous_commit = off`; the last one
//! commits synchronously, which flushes the WAL of all earlier ones, so when strata reports
//! success everything is durable, and a crash before that loses whole migrations together with
//! their history rows (never one without the other), which the next `up` re-applies.
//!
//! The guard ([`guard`]) takes the run lock for that transaction and checks that the version's
//! history is still what the run planned from: the lock cannot stay behind on a pooled server
//! connection, and no migration is applied twice, however the connection is pooled.
//!
//! A `-- strata:no-transaction` file runs statement by statement on one session
//! ([`statements`]): each statement that may run in a transaction commits together with a
//! progress row, so a run that stops (an error, kill -9, a lost connection) leaves an exact
//! record of what is committed, and the next run continues after it.
//!
//! Settings for new sessions: after a migration that changes database or role defaults
//! (`ALTER DATABASE … SET`, `ALTER ROLE … SET`), the next migrations must run in a new session,
//! as they would in a later run; [`apply_steps`] stops there and the caller reconnects.

pub mod guard;
pub mod inflight;
pub mod plan;
mod repair;
mod statements;
pub mod syntax;

use crate::db::{self, DbError, PgFailure};
use crate::history::{self, HistoryRow, Kind, NewRow};
use crate::project::{self, Directives, Migration, ProjectError, SourceFile, Version};
use crate::sql;
use guard::{Guard, Refused};
use sqlx::postgres::PgConnection;
use std::time::{Duration, Instant};

pub use plan::{
    committed_checksum, describe_statement, plan_down, plan_down_steps, plan_up, plan_up_steps,
    status, DownTarget, MigrationState, Refusal, Resume, StatusRow, Step,
};
pub use repair::{
    baseline, forget, parse_resume_after, repair, resume_after, BaselineError, RepairAction,
    RepairError,
};

/// What the engine tells its observer.
#[derive(Debug, Clone)]
pub enum Event {
    LockWaiting(Option<db::LockHolder>),
    /// The Supabase shim was installed: what it provides.
    ShimInstalled(crate::auth::ShimReport),
    Plan {
        direction: Direction,
        total: usize,
    },
    Started {
        direction: Direction,
        version: Version,
        name: String,
        index: usize,
    },
    Finished {
        direction: Direction,
        version: Version,
        name: String,
        duration: Duration,
    },
    /// A no-transaction file that stopped midway is continued after statement `after`.
    Resumed {
        direction: Direction,
        version: Version,
        name: String,
        after: usize,
    },
    /// What strata found out about a statement that was running when a run stopped.
    Checked {
        version: Version,
        statement: usize,
        finding: String,
    },
    /// The migration changed settings that only new sessions see; the run continues on a new
    /// connection.
    NewSession {
        after: Version,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

pub trait Observer {
    fn event(&mut self, e: &Event);
}

/// Settings for one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub history_schema: String,
    pub lock_timeout: Option<String>,
    pub statement_timeout: Option<String>,
    pub lock_wait: Duration,
    /// `search_path` for every migration (a list of identifiers as `SET` takes it), when the
    /// database's default changed after this session started: the Supabase shim puts
    /// `extensions` on it, and `RESET ALL` would return to the default of the session's start.
    pub search_path: Option<String>,
}

impl Settings {
    fn guard(&self, expect: Option<(Version, i64)>, backend: Option<i32>) -> Guard {
        Guard {
            key: db::lock_key(&self.history_schema),
            history: history::table(&self.history_schema),
            expect,
            expect_all: None,
            backend,
        }
    }
}

/// A statement that failed while applying a file.
#[derive(Debug, Clone)]
pub struct StatementFailure {
    pub direction: Direction,
    pub version: Version,
    pub name: String,
    pub file: SourceFile,
    /// Byte offset in the file of PostgreSQL's error position, or of the failing statement's
    /// start when PostgreSQL gave no position.
    pub offset: Option<usize>,
    pub failure: PgFailure,
    pub transactional: bool,
    /// For a no-transaction file: statements that had already been committed.
    pub committed_statements: usize,
    /// Migrations completed in this run before the failure.
    pub done_before: Vec<Version>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("migration {} ({}) failed", .0.version, .0.name)]
    Statement(Box<StatementFailure>),
    #[error("{} problem(s) in the files to run", .0.len())]
    Files(Vec<ProjectError>),
    /// Another strata run changed the history of `version` while this one waited for the lock:
    /// the caller reads the history again and plans again.
    #[error("another strata run changed migration {version} while this run waited for it; run the command again")]
    Stale { version: Version },
    /// A decision this run cannot make (e.g. whether an interrupted statement took effect).
    #[error("refused: {0}")]
    Refused(Refusal),
}

fn refused_to_error(r: Refused, what: &str) -> EngineError {
    match r {
        Refused::Lock(d) => EngineError::Db(d),
        Refused::Stale => EngineError::Db(DbError::Query {
            context: what.to_string(),
            failure: PgFailure {
                message: "another strata run changed the history at the same moment; run the command again".into(),
                ..PgFailure::default()
            },
        }),
        Refused::Moved => EngineError::Db(DbError::PoolerDetected {
            what: what.to_string(),
        }),
        Refused::Failed(e) => EngineError::Db(DbError::query(what, &e)),
    }
}

/// Takes the run lock, creates or upgrades the history if needed (in one transaction), and
/// reads it.
pub async fn prepare(
    conn: &mut PgConnection,
    settings: &Settings,
    obs: &mut dyn Observer,
) -> Result<Vec<HistoryRow>, EngineError> {
    let guard = settings.guard(None, None);
    let message = format!(
        "BEGIN;\n{}{}\nCOMMIT;",
        guard.sql(),
        history::ensure_sql(&settings.history_schema)
    );
    let mut on_wait = |h: Option<&db::LockHolder>| obs.event(&Event::LockWaiting(h.cloned()));
    guard::send(conn, &message, guard.key, settings.lock_wait, &mut on_wait)
        .await
        .map_err(|r| {
            refused_to_error(
                r,
                &format!(
                    "creating strata's history in schema {}",
                    settings.history_schema
                ),
            )
        })?;
    Ok(history::read(conn, &settings.history_schema).await?)
}

/// Checks every file a run is about to execute, before running any of them.
pub fn analyze_all<'a>(
    files: impl IntoIterator<Item = (&'a SourceFile, &'a Directives)>,
) -> Result<Vec<Vec<sql::Span>>, EngineError> {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for (f, d) in files {
        match project::analyze(f, d) {
            Ok(spans) => all.push(spans),
            Err(e) => {
                errors.extend(e);
                all.push(Vec::new());
            }
        }
    }
    if errors.is_empty() {
        Ok(all)
    } else {
        Err(EngineError::Files(errors))
    }
}

/// Whether a migration changes settings that only new sessions see (`ALTER DATABASE … SET`,
/// `ALTER ROLE … SET`, and their `RESET`): the migrations after it must run in a new session,
/// as they would in a later run. Errs on the side of a new session (a spare reconnect costs
/// milliseconds).
pub fn changes_session_defaults(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    (lower.contains("alter database")
        || lower.contains("alter role")
        || lower.contains("alter user"))
        && (lower.contains(" set ") || lower.contains(" reset "))
}

/// What [`apply_steps`] did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Versions applied (or rolled back), in order.
    pub done: Vec<Version>,
    /// The run stopped after a migration that changed settings for new sessions: reconnect and
    /// plan the rest again.
    pub new_session: bool,
}

/// How [`apply_steps`] runs.
#[derive(Debug, Clone, Copy)]
pub struct RunMode {
    pub direction: Direction,
    /// Check each version's history against what the run planned from (a live database).
    /// Throwaway databases built by strata alone skip it.
    pub check_history: bool,
    /// Stop after a migration that changes settings for new sessions (see [`Applied`]).
    pub stop_for_new_session: bool,
}

/// Applies `steps` (or their rollbacks, newest first) in order. Stops at the first failure.
pub async fn apply_steps(
    conn: &mut PgConnection,
    steps: &[Step<'_>],
    mode: RunMode,
    settings: &Settings,
    obs: &mut dyn Observer,
) -> Result<Applied, EngineError> {
    let mut units = Vec::with_capacity(steps.len());
    for s in steps {
        let m = s.migration;
        match mode.direction {
            Direction::Up => units.push((s, &m.file, &m.directives, Kind::Apply)),
            Direction::Down => {
                if let Some(r) = &m.rollback {
                    units.push((s, &r.file, &r.directives, Kind::Rollback));
                }
            }
        }
    }
    let spans = analyze_all(units.iter().map(|(_, f, d, _)| (*f, *d)))?;
    obs.event(&Event::Plan {
        direction: mode.direction,
        total: units.len(),
    });
    let mut applied = Applied::default();
    for (i, ((step, file, directives, kind), spans)) in units.iter().zip(spans.iter()).enumerate() {
        let last = i + 1 == units.len();
        let m = step.migration;
        let unit = Unit {
            direction: mode.direction,
            version: m.version,
            name: &m.name,
            file,
            directives,
            spans,
            kind: *kind,
            expect: mode.check_history.then_some(step.last_id),
            resume: step.resume,
        };
        if let Some(r) = step.resume {
            obs.event(&Event::Resumed {
                direction: mode.direction,
                version: m.version,
                name: m.name.clone(),
                after: r.committed,
            });
        }
        run_unit(conn, &unit, settings, last, i, &applied.done, obs).await?;
        applied.done.push(m.version);
        if mode.stop_for_new_session
            && mode.direction == Direction::Up
            && !last
            && changes_session_defaults(&file.text)
        {
            obs.event(&Event::NewSession { after: m.version });
            applied.new_session = true;
            return Ok(applied);
        }
    }
    Ok(applied)
}

fn plain_steps<'p>(steps: &[&'p Migration]) -> Vec<Step<'p>> {
    steps
        .iter()
        .map(|m| Step {
            migration: m,
            last_id: 0,
            resume: None,
        })
        .collect()
}

/// Applies `steps` in order on a database only this run changes (shadow databases): no history
/// check, no new sessions. Stops at the first failure.
pub async fn apply_up(
    conn: &mut PgConnection,
    steps: &[&Migration],
    settings: &Settings,
    obs: &mut dyn Observer,
) -> Result<Vec<Version>, EngineError> {
    let mode = RunMode {
        direction: Direction::Up,
        check_history: false,
        stop_for_new_session: false,
    };
    Ok(apply_steps(conn, &plain_steps(steps), mode, settings, obs)
        .await?
        .done)
}

/// Runs the rollbacks of `steps` (newest first), as [`apply_up`] does.
pub async fn apply_down(
    conn: &mut PgConnection,
    steps: &[&Migration],
    settings: &Settings,
    obs: &mut dyn Observer,
) -> Result<Vec<Version>, EngineError> {
    let mode = RunMode {
        direction: Direction::Down,
        check_history: false,
        stop_for_new_session: false,
    };
    Ok(apply_steps(conn, &plain_steps(steps), mode, settings, obs)
        .await?
        .done)
}

pub(crate) struct Unit<'a> {
    pub direction: Direction,
    pub version: Version,
    pub name: &'a str,
    pub file: &'a SourceFile,
    pub directives: &'a Directives,
    pub spans: &'a [sql::Span],
    pub kind: Kind,
    /// The id of the version's newest history row when the run planned (None: not checked).
    pub expect: Option<i64>,
    pub resume: Option<Resume>,
}

pub(crate) fn timeouts(unit: &Unit<'_>, settings: &Settings, local: bool) -> String {
    let set = if local { "SET LOCAL" } else { "SET" };
    let mut s = String::new();
    let lock = unit
        .directives
        .lock_timeout
        .as_ref()
        .or(settings.lock_timeout.as_ref());
    let stmt = unit
        .directives
        .statement_timeout
        .as_ref()
        .or(settings.statement_timeout.as_ref());
    if let Some(l) = lock {
        s.push_str(&format!(
            "{set} lock_timeout = {};\n",
            sql::quote_literal(l)
        ));
    }
    if let Some(t) = stmt {
        s.push_str(&format!(
            "{set} statement_timeout = {};\n",
            sql::quote_literal(t)
        ));
    }
    if let Some(path) = &settings.search_path {
        s.push_str(&format!("{set} search_path = {path};\n"));
    }
    s
}

async fn run_unit(
    conn: &mut PgConnection,
    unit: &Unit<'_>,
    settings: &Settings,
    last: bool,
    index: usize,
    done: &[Version],
    obs: &mut dyn Observer,
) -> Result<(), EngineError> {
    obs.event(&Event::Started {
        direction: unit.direction,
        version: unit.version,
        name: unit.name.to_string(),
        index,
    });
    let started = Instant::now();
    if unit.directives.transactional {
        run_transactional(conn, unit, settings, last, done, obs).await?;
    } else {
        statements::run(conn, unit, settings, done, obs).await?;
    }
    obs.event(&Event::Finished {
        direction: unit.direction,
        version: unit.version,
        name: unit.name.to_string(),
        duration: started.elapsed(),
    });
    Ok(())
}

async fn run_transactional(
    conn: &mut PgConnection,
    unit: &Unit<'_>,
    settings: &Settings,
    last: bool,
    done: &[Version],
    obs: &mut dyn Observer,
) -> Result<(), EngineError> {
    let guard = settings.guard(unit.expect.map(|id| (unit.version, id)), None);
    let mut prefix = String::from("RESET ALL;\nRESET ROLE;\nBEGIN;\n");
    prefix.push_str(db::client_check_sql(conn, true));
    prefix.push_str(&timeouts(unit, settings, true));
    if !last {
        prefix.push_str("SET LOCAL synchronous_commit = off;\n");
    }
    prefix.push_str(&guard.sql());
    let row = history::insert_sql(
        &settings.history_schema,
        &NewRow {
            version: unit.version,
            name: unit.name,
            kind: unit.kind,
            checksum: Some(&unit.file.checksum),
            sql: Some(&unit.file.text),
            success: true,
            note: None,
            duration_from_txn_start: true,
            duration_ms: None,
            step: None,
        },
    );
    // The trailing RESET ALL / RESET ROLE clear what a SET in the file left on the session,
    // in the same message, so nothing of it stays on a pooled server connection.
    let message = format!(
        "{prefix}{}\n;\nRESET ROLE;\n{row};\nCOMMIT;\nRESET ALL;\nRESET ROLE;",
        unit.file.text
    );
    let mut on_wait = |h: Option<&db::LockHolder>| obs.event(&Event::LockWaiting(h.cloned()));
    let e = match guard::send(conn, &message, guard.key, settings.lock_wait, &mut on_wait).await {
        Ok(_) => return Ok(()),
        Err(Refused::Stale) => {
            return Err(EngineError::Stale {
                version: unit.version,
            })
        }
        Err(Refused::Failed(e)) => e,
        Err(other) => {
            return Err(refused_to_error(
                other,
                &format!("running {}", unit.file.display),
            ))
        }
    };
    let failure = PgFailure::from_sqlx(&e);
    if failure.code.is_empty() || db::connection_lost(&e) {
        // Not a failing statement: the connection itself failed.
        return Err(EngineError::Db(DbError::query(
            format!("running {}", unit.file.display),
            &e,
        )));
    }
    let prefix_chars = prefix.chars().count();
    let file_chars = unit.file.text.chars().count();
    let mut offset = failure.position.and_then(|p| {
        (p > prefix_chars && p <= prefix_chars + file_chars)
            .then(|| sql::char_pos_to_byte(&unit.file.text, p - prefix_chars))
    });
    let mut failure = failure;
    if offset.is_none() {
        // PostgreSQL gave no position in the file (a runtime error, or one inside a function
        // body): find the failing statement by replaying the file statement by statement in a
        // transaction that is always rolled back.
        if let Some((o, f)) = locate_failure(conn, unit, settings).await {
            offset = Some(o);
            if let Some(f) = f {
                failure = f;
            }
        }
    }
    if unit.kind == Kind::Rollback {
        // Nothing changed (the transaction was rolled back), but the attempt is history.
        record_failed_rollback(conn, unit, settings, &failure).await;
    }
    Err(EngineError::Statement(Box::new(StatementFailure {
        direction: unit.direction,
        version: unit.version,
        name: unit.name.to_string(),
        file: unit.file.clone(),
        offset,
        failure,
        transactional: true,
        committed_statements: 0,
        done_before: done.to_vec(),
    })))
}

/// Records that a transactional rollback failed (it changed nothing). Best effort: the
/// failure itself is what the user must see.
async fn record_failed_rollback(
    conn: &mut PgConnection,
    unit: &Unit<'_>,
    settings: &Settings,
    failure: &PgFailure,
) {
    let note =
        format!("rollback failed and changed nothing (it ran in one transaction): {failure}");
    let guard = settings.guard(None, None);
    let message = format!(
        "BEGIN;\n{}{};\nCOMMIT;",
        guard.sql(),
        history::insert_sql(
            &settings.history_schema,
            &NewRow {
                version: unit.version,
                name: unit.name,
                kind: Kind::Rollback,
                checksum: Some(&unit.file.checksum),
                sql: None,
                success: false,
                note: Some(&note),
                duration_from_txn_start: false,
                duration_ms: None,
                step: None,
            }
        )
    );
    let _ = guard::send(conn, &message, guard.key, settings.lock_wait, &mut |_| {}).await;
}

/// Replays a failed transactional file one statement at a time inside a transaction that is
/// rolled back, to name the statement that fails. Returns the byte offset (PostgreSQL's
/// position inside it, or its start) and the failure seen this time.
async fn locate_failure(
    conn: &mut PgConnection,
    unit: &Unit<'_>,
    settings: &Settings,
) -> Option<(usize, Option<PgFailure>)> {
    let begin = format!("RESET ALL;\nBEGIN;\n{}", timeouts(unit, settings, true));
    db::execute_script(conn, &begin).await.ok()?;
    let mut found = None;
    for span in unit.spans {
        let stmt = &unit.file.text[span.start..span.end];
        if let Err(e) = db::execute_script(conn, stmt).await {
            let f = PgFailure::from_sqlx(&e);
            found = Some((statement_offset(&unit.file.text, span, &f), Some(f)));
            break;
        }
    }
    let _ = db::execute_script(conn, "ROLLBACK").await;
    found
}

/// Where in the file a failure of the statement at `span` points: PostgreSQL's position when it
/// gave one; for an error inside a `DO` block, the block's line that PL/pgSQL names in the
/// context ("PL/pgSQL function inline_code_block line N"); else the statement's start.
pub fn statement_offset(text: &str, span: &sql::Span, failure: &PgFailure) -> usize {
    let stmt = &text[span.start..span.end];
    if let Some(p) = failure.position {
        return span.start + sql::char_pos_to_byte(stmt, p);
    }
    do_block_line_offset(text, span, failure.context.as_deref()).unwrap_or(span.start)
}

fn do_block_line_offset(text: &str, span: &sql::Span, context: Option<&str>) -> Option<usize> {
    let ctx = context?;
    let marker = "inline_code_block line ";
    let at = ctx.find(marker)? + marker.len();
    let n: usize = ctx[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let stmt = &text[span.start..span.end];
    let mut toks = sql::tokens(stmt).filter_map(Result::ok).filter(|t| {
        !matches!(
            t.kind,
            sql::TokenKind::LineComment | sql::TokenKind::BlockComment
        )
    });
    let first = toks.next()?;
    if !stmt[first.start..first.end].eq_ignore_ascii_case("DO") {
        return None;
    }
    let body = toks.find(|t| t.kind == sql::TokenKind::DollarString)?;
    // PL/pgSQL counts lines from the start of the body: line 1 is the opening quote's line.
    let index = sql::LineIndex::new(text);
    let (open_line, _) = index.line_col(text, span.start + body.start);
    let target = open_line + n - 1;
    let (line_start, line_end) = index.line_range(text, target);
    let line = text.get(line_start..line_end)?;
    let indent = line.len() - line.trim_start().len();
    Some(line_start + indent)
}
