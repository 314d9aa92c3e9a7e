//! Applying migrations and rollbacks, baseline and repair. Emits [`Event`]s to an observer and
//! never prints.
//!
//! A transactional migration is sent as ONE simple-query message:
//! `RESET ALL; BEGIN; SET LOCAL <timeouts>; <file>; RESET ROLE; INSERT <history row>; COMMIT`.
//! One round trip per migration (this is what makes strata as fast as `psql -1 -f`), and the
//! migration's changes and its history row commit or vanish together. Every migration of a run
//! but the last commits with `synchronous_commit = off`; the last one commits synchronously,
//! which flushes the WAL of all earlier ones, so when strata reports success everything is
//! durable, and a crash before that loses whole migrations together with their history rows
//! (never one without the other), which the next `up` re-applies.
//!
//! A `-- strata:no-transaction` migration runs statement by statement on the same session; a
//! failing statement is recorded as a failed history row naming the statement.

pub mod plan;
pub mod syntax;

use crate::db::{self, DbError, PgFailure};
use crate::history::{self, HistoryRow, Kind, NewRow};
use crate::project::{self, Directives, Migration, ProjectError, SourceFile, Version};
use crate::sql;
use sqlx::postgres::PgConnection;
use std::time::{Duration, Instant};

pub use plan::{plan_down, plan_up, status, DownTarget, MigrationState, Refusal, StatusRow};

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
}

/// Takes the run lock, creates the history if needed, and reads it.
pub async fn prepare(
    conn: &mut PgConnection,
    settings: &Settings,
    obs: &mut dyn Observer,
) -> Result<Vec<HistoryRow>, EngineError> {
    let key = db::lock_key(&settings.history_schema);
    db::lock(conn, key, settings.lock_wait, |h| {
        obs.event(&Event::LockWaiting(h.cloned()))
    })
    .await?;
    history::ensure(conn, &settings.history_schema).await?;
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

/// Applies `steps` in order. Stops at the first failure.
pub async fn apply_up(
    conn: &mut PgConnection,
    steps: &[&Migration],
    settings: &Settings,
    obs: &mut dyn Observer,
) -> Result<Vec<Version>, EngineError> {
    let spans = analyze_all(steps.iter().map(|m| (&m.file, &m.directives)))?;
    obs.event(&Event::Plan {
        direction: Direction::Up,
        total: steps.len(),
    });
    let mut done = Vec::new();
    for (i, (m, spans)) in steps.iter().zip(spans.iter()).enumerate() {
        let last = i + 1 == steps.len();
        let unit = Unit {
            direction: Direction::Up,
            version: m.version,
            name: &m.name,
            file: &m.file,
            directives: &m.directives,
            spans,
            kind: Kind::Apply,
        };
        run_unit(conn, &unit, settings, last, i, &done, obs).await?;
        done.push(m.version);
    }
    Ok(done)
}

/// Runs the rollbacks of `steps` (newest first).
pub async fn apply_down(
    conn: &mut PgConnection,
    steps: &[&Migration],
    settings: &Settings,
    obs: &mut dyn Observer,
) -> Result<Vec<Version>, EngineError> {
    let mut files = Vec::new();
    for m in steps {
        if let Some(r) = &m.rollback {
            files.push((&r.file, &r.directives));
        }
    }
    let spans = analyze_all(files)?;
    obs.event(&Event::Plan {
        direction: Direction::Down,
        total: steps.len(),
    });
    let mut done = Vec::new();
    for (i, (m, spans)) in steps.iter().zip(spans.iter()).enumerate() {
        let Some(r) = &m.rollback else { continue };
        let unit = Unit {
            direction: Direction::Down,
            version: m.version,
            name: &m.name,
            file: &r.file,
            directives: &r.directives,
            spans,
            kind: Kind::Rollback,
        };
        run_unit(conn, &unit, settings, i + 1 == steps.len(), i, &done, obs).await?;
        done.push(m.version);
    }
    Ok(done)
}

struct Unit<'a> {
    direction: Direction,
    version: Version,
    name: &'a str,
    file: &'a SourceFile,
    directives: &'a Directives,
    spans: &'a [sql::Span],
    kind: Kind,
}

fn timeouts(unit: &Unit<'_>, settings: &Settings, local: bool) -> String {
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
        run_transactional(conn, unit, settings, last, done).await?;
    } else {
        run_statements(conn, unit, settings, done).await?;
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
) -> Result<(), EngineError> {
    let mut prefix = String::from("RESET ALL;\nBEGIN;\n");
    prefix.push_str(db::client_check_sql(conn, true));
    prefix.push_str(&timeouts(unit, settings, true));
    if !last {
        prefix.push_str("SET LOCAL synchronous_commit = off;\n");
    }
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
        },
    );
    let message = format!(
        "{prefix}{}\n;\nRESET ROLE;\n{row};\nCOMMIT;",
        unit.file.text
    );
    match db::execute_script(conn, &message).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let failure = PgFailure::from_sqlx(&e);
            // The explicit BEGIN leaves the session in an aborted transaction; end it.
            let _ = db::execute_script(conn, "ROLLBACK").await;
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
                // PostgreSQL gave no position in the file (a runtime error, or one inside a
                // function body): find the failing statement by replaying the file statement by
                // statement in a transaction that is always rolled back.
                if let Some((o, f)) = locate_failure(conn, unit, settings).await {
                    offset = Some(o);
                    if let Some(f) = f {
                        failure = f;
                    }
                }
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
    }
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

async fn run_statements(
    conn: &mut PgConnection,
    unit: &Unit<'_>,
    settings: &Settings,
    done: &[Version],
) -> Result<(), EngineError> {
    let started = Instant::now();
    let setup = format!(
        "RESET ALL;\n{}{}",
        db::client_check_sql(conn, false),
        timeouts(unit, settings, false)
    );
    db::execute_script(conn, &setup)
        .await
        .map_err(|e| DbError::query("setting timeouts", &e))?;
    for (i, span) in unit.spans.iter().enumerate() {
        let stmt = &unit.file.text[span.start..span.end];
        if let Err(e) = db::execute_script(conn, stmt).await {
            if db::connection_lost(&e) {
                return Err(EngineError::Db(DbError::query(
                    format!("running {}", unit.file.display),
                    &e,
                )));
            }
            let failure = PgFailure::from_sqlx(&e);
            // A failed explicit transaction in the file would block the history row.
            let _ = db::execute_script(conn, "ROLLBACK").await;
            let offset = Some(statement_offset(&unit.file.text, span, &failure));
            let index = sql::LineIndex::new(&unit.file.text);
            let (line, _) = index.line_col(&unit.file.text, span.start);
            let note = format!(
                "statement {} of {} (line {line}) failed: {}; the {} before it were committed",
                i + 1,
                unit.spans.len(),
                failure.message,
                i
            );
            if unit.kind == Kind::Apply {
                history::record(
                    conn,
                    &settings.history_schema,
                    &NewRow {
                        version: unit.version,
                        name: unit.name,
                        kind: Kind::Apply,
                        checksum: Some(&unit.file.checksum),
                        sql: Some(&unit.file.text),
                        success: false,
                        note: Some(&note),
                        duration_from_txn_start: false,
                        duration_ms: Some(started.elapsed().as_millis() as i64),
                    },
                )
                .await?;
            }
            let _ = db::execute_script(conn, "RESET ALL").await;
            return Err(EngineError::Statement(Box::new(StatementFailure {
                direction: unit.direction,
                version: unit.version,
                name: unit.name.to_string(),
                file: unit.file.clone(),
                offset,
                failure,
                transactional: false,
                committed_statements: i,
                done_before: done.to_vec(),
            })));
        }
    }
    history::record(
        conn,
        &settings.history_schema,
        &NewRow {
            version: unit.version,
            name: unit.name,
            kind: unit.kind,
            checksum: Some(&unit.file.checksum),
            sql: Some(&unit.file.text),
            success: true,
            note: None,
            duration_from_txn_start: false,
            duration_ms: Some(started.elapsed().as_millis() as i64),
        },
    )
    .await?;
    let _ = db::execute_script(conn, "RESET ALL").await;
    Ok(())
}

/// What `repair` changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RepairAction {
    pub version: String,
    pub name: String,
    pub action: String,
}

/// Accepts changed checksums of applied files and clears failed entries; records each change.
pub async fn repair(
    conn: &mut PgConnection,
    project: &project::Project,
    rows: &[HistoryRow],
    settings: &Settings,
) -> Result<Vec<RepairAction>, EngineError> {
    // (version, name, kind, file whose checksum is accepted, note)
    let mut planned: Vec<(Version, &str, Kind, Option<&SourceFile>, String)> = Vec::new();
    let state = history::fold(rows);
    for (v, r) in &state {
        match r {
            history::Recorded::Applied {
                checksum: Some(old),
                name,
                ..
            } => {
                if let Some(m) = project.get(*v).filter(|m| *old != m.file.checksum) {
                    let note = format!(
                        "accepted checksum {} (was {})",
                        m.file.checksum.short(),
                        old.short()
                    );
                    planned.push((*v, name, Kind::Accept, Some(&m.file), note));
                }
            }
            history::Recorded::Failed { name, .. } => {
                let note = "cleared the failed entry; `strata up` will run it again".to_string();
                planned.push((*v, name, Kind::Clear, None, note));
            }
            _ => {}
        }
    }
    let new_rows: Vec<NewRow<'_>> = planned
        .iter()
        .map(|(version, name, kind, file, note)| NewRow {
            version: *version,
            name,
            kind: *kind,
            checksum: file.map(|f| &f.checksum),
            sql: file.map(|f| f.text.as_str()),
            success: true,
            note: Some(note),
            duration_from_txn_start: false,
            duration_ms: None,
        })
        .collect();
    record_all(
        conn,
        &settings.history_schema,
        &new_rows,
        "recording repair",
    )
    .await?;
    Ok(planned
        .into_iter()
        .map(|(version, name, _, _, note)| RepairAction {
            version: version.to_string(),
            name: name.to_string(),
            action: note,
        })
        .collect())
}

/// Records several history rows in one transaction (nothing when `rows` is empty).
async fn record_all(
    conn: &mut PgConnection,
    schema: &str,
    rows: &[NewRow<'_>],
    what: &str,
) -> Result<(), EngineError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql_text = String::from("BEGIN;\n");
    for r in rows {
        sql_text.push_str(&history::insert_sql(schema, r));
        sql_text.push_str(";\n");
    }
    sql_text.push_str("COMMIT;");
    if let Err(e) = db::execute_script(conn, &sql_text).await {
        let _ = db::execute_script(conn, "ROLLBACK").await;
        return Err(DbError::query(what, &e).into());
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("the database already has applied migrations ({0}); baseline is for a database strata has not managed yet")]
    AlreadyManaged(String),
    #[error(
        "no migration file has a version at or below {0}; baseline marks existing files as applied"
    )]
    NothingToMark(Version),
}

/// Marks every migration file with a version ≤ `to` as applied, without running it.
pub async fn baseline(
    conn: &mut PgConnection,
    project: &project::Project,
    rows: &[HistoryRow],
    to: Version,
    settings: &Settings,
) -> Result<Result<Vec<Version>, BaselineError>, EngineError> {
    let state = history::fold(rows);
    if !state.is_empty() {
        let list: Vec<String> = state.keys().map(|v| v.to_string()).collect();
        return Ok(Err(BaselineError::AlreadyManaged(list.join(", "))));
    }
    let marked: Vec<&Migration> = project
        .migrations
        .iter()
        .filter(|m| m.version <= to)
        .collect();
    if marked.is_empty() {
        return Ok(Err(BaselineError::NothingToMark(to)));
    }
    let note = format!("baseline at version {to}: marked as applied without running");
    let new_rows: Vec<NewRow<'_>> = marked
        .iter()
        .map(|m| NewRow {
            version: m.version,
            name: &m.name,
            kind: Kind::Baseline,
            checksum: Some(&m.file.checksum),
            sql: None,
            success: true,
            note: Some(&note),
            duration_from_txn_start: false,
            duration_ms: None,
        })
        .collect();
    record_all(
        conn,
        &settings.history_schema,
        &new_rows,
        "recording the baseline",
    )
    .await?;
    Ok(Ok(marked.iter().map(|m| m.version).collect()))
}
