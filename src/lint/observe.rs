//! Running migrations on a shadow database and watching what PostgreSQL does, statement by
//! statement: the facts of [`super::facts`].
//!
//! Owns: the shadow databases of a lint run and the SQL in `queries/` that reads locks, catalog
//! writes and scans. Must not: judge (the rules do), print, or touch any database but the shadow
//! server's throwaway and template databases.
//!
//! Why it is shaped so:
//! - The state before the first migration to lint is a template database built by
//!   [`shadow::ensure_template`] from the migrations before it (cached by their checksums, so a
//!   second run starts at once).
//! - One migration that runs in a transaction is judged on the template itself, inside a
//!   transaction that is rolled back: nothing is copied and nothing changes. Several migrations,
//!   or one that runs without a transaction, walk forward on one throwaway copy of the template.
//! - A statement's catalog writes are the rows its transaction wrote (`age(xmin) <= 0`) with a
//!   command id above every one seen before (`cmin`); their earlier state is read on a second
//!   connection, which sees only committed rows. Scans come from `pg_stat_xact_*` counters,
//!   locks from `pg_locks` of the backend itself.

// `DbError` carries PostgreSQL's whole error report by value (like the rest of the crate).
#![allow(clippy::result_large_err)]

use super::facts::{
    Change, Column, Constraint, Failure, FinalState, Function, Lock, LockMode, MigrationFacts, Oid,
    PolicyDetail, PolicyRow, RelKind, Relation, Scan, Schema, StatementFacts, ViewDetail,
};
use crate::config::{Auth, AuthModel, ConnInfo};
use crate::db::{self, DbError, PgFailure};
use crate::engine::{self, Settings};
use crate::project::{Migration, Project, Version};
use crate::shadow::{self, ShadowError, Silent, Spec};
use crate::sql::{self, Span};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sqlx::postgres::PgConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

const OBSERVE_SQL: &str = include_str!("queries/observe.sql");
const BEFORE_SQL: &str = include_str!("queries/before.sql");
const FINAL_SQL: &str = include_str!("queries/final.sql");
const RELATIONS_SQL: &str = include_str!("queries/relations.sql");
const SCANS_SQL: &str = include_str!("queries/scans.sql");
const RELATIONS_SINCE_SQL: &str = include_str!("queries/relations_since.sql");
const RELATION_OIDS_SQL: &str = include_str!("queries/relation_oids.sql");

/// What to lint.
pub struct Plan<'a> {
    /// Every migration of the project (the ones before the first target build the shadow).
    pub project: &'a Project,
    /// The migrations to judge, by version.
    pub targets: &'a [Version],
    pub auth: &'a Auth,
    pub settings: &'a Settings,
    /// The project root (names the project's shadow templates).
    pub root: &'a Path,
}

/// What happened to one migration to lint.
#[derive(Debug, Clone)]
pub enum Observed {
    /// It ran on the shadow (perhaps up to a failing statement).
    Ran(Box<MigrationFacts>),
    /// It could not run: the migration named failed earlier in the walk.
    NotRun { blocked_by: String },
}

/// How long each phase of a run took (`template`, `copy`, `walk`, `in place`, `drop`).
pub type Timings = Vec<(&'static str, std::time::Duration)>;

/// Runs every target on a shadow built to the version before it; returns the targets' facts in
/// version order, and how long each phase took.
pub async fn observe(
    server: &ConnInfo,
    plan: &Plan<'_>,
    timings: &mut Timings,
) -> Result<Vec<(Version, Observed)>, ShadowError> {
    let mut targets: Vec<&Migration> = plan
        .targets
        .iter()
        .filter_map(|v| plan.project.get(*v))
        .collect();
    targets.sort_by_key(|m| m.version);
    let Some(first) = targets.first() else {
        return Ok(Vec::new());
    };
    let prefix = Project {
        migrations: plan
            .project
            .migrations
            .iter()
            .filter(|m| m.version < first.version)
            .cloned()
            .collect(),
    };
    let spec = Spec {
        project: &prefix,
        policies: &[],
        auth: plan.auth,
        settings: plan.settings,
        root: plan.root,
    };
    let started = Instant::now();
    let template = shadow::ensure_template_for(server, &spec, "lint").await?;
    timings.push(("template", started.elapsed()));

    let needs_shim = plan.auth.shim.any()
        && plan.auth.model == AuthModel::Supabase
        && targets
            .iter()
            .any(|m| crate::auth::refers_to_supabase_auth(&m.file.text));
    let in_place = match targets.as_slice() {
        [only] if only.directives.transactional => {
            !needs_shim || has_auth_schema(server, &template).await?
        }
        _ => false,
    };
    let server_version = server_version(server, &template).await?;
    if in_place {
        let only = targets[0];
        let started = Instant::now();
        let (mut main, mut peek) = open_pair(server, &template).await?;
        let r = async {
            let mut w = Watcher::new(&mut main, &mut peek, only, server_version);
            w.run_transactional(End::Rollback).await?;
            Ok::<_, DbError>(w.finish())
        }
        .await;
        close_pair(main, peek).await;
        timings.push(("in place", started.elapsed()));
        return Ok(vec![(only.version, Observed::Ran(Box::new(r?)))]);
    }

    let started = Instant::now();
    let copy = shadow::create_database(server, "strata_lint", Some(&template)).await?;
    timings.push(("copy", started.elapsed()));
    let started = Instant::now();
    let result = walk(server, &copy, plan, &targets, server_version).await;
    timings.push(("walk", started.elapsed()));
    let started = Instant::now();
    let _ = shadow::drop_database(server, &copy).await;
    timings.push(("drop", started.elapsed()));
    result
}

/// Walks the copy forward from the first target to the last, judging the targets and applying
/// the migrations between them.
async fn walk(
    server: &ConnInfo,
    copy: &str,
    plan: &Plan<'_>,
    targets: &[&Migration],
    server_version: i32,
) -> Result<Vec<(Version, Observed)>, ShadowError> {
    let first = targets.first().map(|m| m.version);
    let last = targets.last().map(|m| m.version);
    let route: Vec<&Migration> = plan
        .project
        .migrations
        .iter()
        .filter(|m| Some(m.version) >= first && Some(m.version) <= last)
        .collect();
    let wanted: BTreeSet<Version> = targets.iter().map(|m| m.version).collect();
    let texts: Vec<&str> = route.iter().map(|m| m.file.text.as_str()).collect();
    let (mut main, mut peek) = open_pair(server, copy).await?;
    let r = async {
        crate::auth::ensure_shim(&mut main, plan.auth, texts.iter().copied()).await?;
        let mut out = Vec::new();
        let mut blocked: Option<String> = None;
        for m in route {
            if let Some(b) = &blocked {
                if wanted.contains(&m.version) {
                    out.push((
                        m.version,
                        Observed::NotRun {
                            blocked_by: b.clone(),
                        },
                    ));
                }
                continue;
            }
            if !wanted.contains(&m.version) {
                let mut silent = Silent;
                if let Err(e) = engine::apply_up(&mut main, &[m], plan.settings, &mut silent).await
                {
                    blocked = Some(match e {
                        engine::EngineError::Statement(_) | engine::EngineError::Files(_) => {
                            m.file.display.clone()
                        }
                        other => return Err(ShadowError::from(other)),
                    });
                }
                continue;
            }
            let mut w = Watcher::new(&mut main, &mut peek, m, server_version);
            if m.directives.transactional {
                w.run_transactional(End::Commit).await?;
            } else {
                w.run_statements().await?;
            }
            let facts = w.finish();
            if facts.failure.is_some() {
                blocked = Some(m.file.display.clone());
            }
            out.push((m.version, Observed::Ran(Box::new(facts))));
        }
        Ok(out)
    }
    .await;
    close_pair(main, peek).await;
    r
}

/// The connection that runs the migration and the one that reads the committed state.
async fn open_pair(
    server: &ConnInfo,
    name: &str,
) -> Result<(PgConnection, PgConnection), ShadowError> {
    let main = shadow::connect(server, name).await?;
    match shadow::connect(server, name).await {
        Ok(peek) => Ok((main, peek)),
        Err(e) => {
            db::close(main).await;
            Err(e)
        }
    }
}

async fn close_pair(main: PgConnection, peek: PgConnection) {
    db::close(peek).await;
    db::close(main).await;
}

async fn has_auth_schema(server: &ConnInfo, name: &str) -> Result<bool, ShadowError> {
    let mut conn = shadow::connect(server, name).await?;
    let r = sqlx::query_scalar::<_, bool>("SELECT to_regnamespace('auth') IS NOT NULL")
        .fetch_one(&mut conn)
        .await;
    db::close(conn).await;
    Ok(r.map_err(|e| DbError::query("looking for schema auth on the shadow", &e))?)
}

async fn server_version(server: &ConnInfo, name: &str) -> Result<i32, ShadowError> {
    let mut conn = shadow::connect(server, name).await?;
    let r = sqlx::query_scalar::<_, String>("SHOW server_version_num")
        .fetch_one(&mut conn)
        .await;
    db::close(conn).await;
    let text = r.map_err(|e| DbError::query("reading the shadow server's version", &e))?;
    Ok(text.trim().parse().unwrap_or(0))
}

// ---------------------------------------------------------------------------------------------
// Rows as the queries return them

#[derive(Debug, Deserialize)]
struct LockRow {
    relation: Oid,
    mode: String,
}

#[derive(Debug, Deserialize)]
struct WithCid<T> {
    #[serde(flatten)]
    row: T,
    cid: i64,
}

#[derive(Debug, Deserialize)]
struct RewriteRow {
    relation: Oid,
    cid: i64,
}

#[derive(Debug, Deserialize)]
struct ScanRow {
    relation: Oid,
    seq: i64,
    idx: i64,
}

/// What [`OBSERVE_SQL`] returns.
#[derive(Debug, Deserialize)]
struct Observation {
    locks: Vec<LockRow>,
    classes: Vec<WithCid<Relation>>,
    columns: Vec<WithCid<Column>>,
    constraints: Vec<WithCid<Constraint>>,
    policies: Vec<WithCid<PolicyRow>>,
    functions: Vec<WithCid<Function>>,
    schemas: Vec<WithCid<Schema>>,
    rewrites: Vec<RewriteRow>,
    scans: Vec<ScanRow>,
    gone: Vec<Oid>,
}

/// What [`BEFORE_SQL`] returns.
#[derive(Debug, Deserialize)]
struct Before {
    classes: Vec<Relation>,
    columns: Vec<Column>,
    constraints: Vec<Constraint>,
    policies: Vec<PolicyRow>,
    functions: Vec<Function>,
    schemas: Vec<Schema>,
}

#[derive(Debug, Deserialize)]
struct Final {
    policies: Vec<PolicyDetail>,
    views: Vec<ViewDetail>,
}

fn lock_mode(name: &str) -> Option<LockMode> {
    Some(match name {
        "AccessShareLock" => LockMode::AccessShareLock,
        "RowShareLock" => LockMode::RowShareLock,
        "RowExclusiveLock" => LockMode::RowExclusiveLock,
        "ShareUpdateExclusiveLock" => LockMode::ShareUpdateExclusiveLock,
        "ShareLock" => LockMode::ShareLock,
        "ShareRowExclusiveLock" => LockMode::ShareRowExclusiveLock,
        "ExclusiveLock" => LockMode::ExclusiveLock,
        "AccessExclusiveLock" => LockMode::AccessExclusiveLock,
        _ => return None,
    })
}

/// Runs a query that returns one JSON text and parses it.
async fn query_json<T: DeserializeOwned>(
    conn: &mut PgConnection,
    query: sqlx::query::QueryScalar<'_, sqlx::Postgres, String, sqlx::postgres::PgArguments>,
    what: &str,
) -> Result<T, DbError> {
    let text = query
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| DbError::query(what, &e))?;
    serde_json::from_str(&text).map_err(|e| DbError::Query {
        context: what.to_string(),
        failure: PgFailure {
            message: format!("unexpected answer from the shadow database: {e}"),
            ..PgFailure::default()
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Watching one migration

/// The last known state of every catalog row the migration touched (`None`: it does not exist).
#[derive(Default)]
struct Model {
    classes: HashMap<Oid, Option<Relation>>,
    columns: HashMap<(Oid, i16), Option<Column>>,
    constraints: HashMap<Oid, Option<Constraint>>,
    policies: HashMap<Oid, Option<PolicyRow>>,
    functions: HashMap<Oid, Option<Function>>,
    schemas: HashMap<Oid, Option<Schema>>,
}

/// Per-transaction state: reset when a transaction starts.
#[derive(Default)]
struct Txn {
    last_cid: i64,
    held: BTreeSet<Lock>,
    /// The backend's unflushed scan counts by table (sequential, through indexes), as last read.
    scans: HashMap<Oid, (i64, i64)>,
}

enum End {
    Rollback,
    Commit,
}

struct Watcher<'c> {
    main: &'c mut PgConnection,
    peek: &'c mut PgConnection,
    migration: &'c Migration,
    model: Model,
    facts: MigrationFacts,
    txn: Txn,
}

impl<'c> Watcher<'c> {
    fn new(
        main: &'c mut PgConnection,
        peek: &'c mut PgConnection,
        migration: &'c Migration,
        server_version: i32,
    ) -> Watcher<'c> {
        Watcher {
            main,
            peek,
            migration,
            model: Model::default(),
            facts: MigrationFacts {
                server_version,
                ..MigrationFacts::default()
            },
            txn: Txn {
                last_cid: -1,
                ..Txn::default()
            },
        }
    }

    fn finish(self) -> MigrationFacts {
        self.facts
    }

    fn text(&self) -> &str {
        &self.migration.file.text
    }

    fn spans(&self) -> Vec<Span> {
        // The file was checked before the run (`project::analyze`); an unsplittable file has
        // no statements to watch.
        sql::split(self.text()).unwrap_or_default()
    }

    async fn exec(&mut self, sql_text: &str, what: &str) -> Result<(), DbError> {
        db::execute_script(self.main, sql_text)
            .await
            .map(|_| ())
            .map_err(|e| DbError::query(what, &e))
    }

    /// Starts a transaction with an xid, so that `age(xmin) <= 0` means "written by it".
    /// `reset`: a new migration starts from a clean session; a statement of a no-transaction
    /// file keeps what the file's earlier statements `SET` (as `up` runs them, in one session).
    async fn begin(&mut self, reset: bool) -> Result<(), DbError> {
        let reset = if reset { "RESET ALL; " } else { "" };
        if self.facts.server_version >= 150000 {
            // Flush the scan counts of earlier transactions to the shared statistics when the
            // session goes idle after this message, so this transaction's counts start at 0.
            self.exec(
                &format!("{reset}SELECT pg_stat_force_next_flush();"),
                "resetting the session",
            )
            .await?;
            self.exec(
                "BEGIN; SELECT pg_current_xact_id();",
                "starting the lint transaction",
            )
            .await?;
        } else {
            self.exec(
                &format!("{reset}BEGIN; SELECT pg_current_xact_id();"),
                "starting the lint transaction",
            )
            .await?;
        }
        self.start_txn().await
    }

    /// Resets the per-transaction state, with the scan counts the backend already holds.
    async fn start_txn(&mut self) -> Result<(), DbError> {
        let baseline: Vec<ScanRow> = if self.facts.server_version >= 150000 {
            Vec::new()
        } else {
            query_json(
                self.main,
                sqlx::query_scalar(SCANS_SQL),
                "reading the scan counts on the shadow",
            )
            .await?
        };
        self.txn = Txn {
            last_cid: -1,
            held: BTreeSet::new(),
            scans: baseline
                .into_iter()
                .map(|s| (s.relation, (s.seq, s.idx)))
                .collect(),
        };
        Ok(())
    }

    /// Runs `stmt`; on failure records it (and ends the transaction when one is open).
    async fn run_one(&mut self, index: usize, span: Span, in_txn: bool) -> Result<bool, DbError> {
        let stmt = self
            .text()
            .get(span.start..span.end)
            .unwrap_or("")
            .to_string();
        match db::execute_script(self.main, &stmt).await {
            Ok(_) => Ok(true),
            Err(e) => {
                let failure = PgFailure::from_sqlx(&e);
                if failure.code.is_empty() {
                    return Err(DbError::Query {
                        context: format!("running {} on the shadow", self.migration.file.display),
                        failure,
                    });
                }
                if in_txn {
                    let _ = db::execute_script(self.main, "ROLLBACK").await;
                }
                let offset = engine::statement_offset(self.text(), &span, &failure);
                self.facts.failure = Some(Failure {
                    statement: index,
                    offset,
                    failure,
                });
                Ok(false)
            }
        }
    }

    /// The whole file in one transaction, observed after each statement; rolled back (judging
    /// in place) or committed (walking forward on a copy).
    async fn run_transactional(&mut self, end: End) -> Result<(), DbError> {
        self.begin(true).await?;
        for (index, span) in self.spans().into_iter().enumerate() {
            if !self.run_one(index, span, true).await? {
                return Ok(());
            }
            let facts = self.observe_in_txn(index, span).await?;
            self.facts.statements.push(facts);
        }
        self.read_final().await?;
        self.read_sizes(true).await;
        match end {
            End::Rollback => {
                self.exec("ROLLBACK; RESET ALL;", "rolling back the lint transaction")
                    .await
            }
            End::Commit => {
                if let Err(e) = db::execute_script(self.main, "COMMIT").await {
                    let failure = PgFailure::from_sqlx(&e);
                    let _ = db::execute_script(self.main, "ROLLBACK").await;
                    let last = self.facts.statements.len().saturating_sub(1);
                    let offset = self.facts.statements.last().map_or(0, |s| s.span.start);
                    self.facts.failure = Some(Failure {
                        statement: last,
                        offset,
                        failure,
                    });
                }
                self.exec("RESET ALL", "resetting the session").await
            }
        }
    }

    /// A `-- strata:no-transaction` file: each statement alone, as `up` runs it. Statements
    /// that may run in a transaction block run in one of their own (what autocommit does
    /// anyway) so that their locks can be seen; the others are compared before and after.
    async fn run_statements(&mut self) -> Result<(), DbError> {
        self.exec("RESET ALL", "resetting the session").await?;
        let mut explicit = false;
        for (index, span) in self.spans().into_iter().enumerate() {
            let stmt = self
                .text()
                .get(span.start..span.end)
                .unwrap_or("")
                .to_string();
            if sql::is_transaction_control(&stmt) {
                if starts_transaction(&stmt) && self.facts.server_version >= 150000 {
                    self.exec(
                        "SELECT pg_stat_force_next_flush()",
                        "resetting the scan counts",
                    )
                    .await?;
                }
                if !self.run_one(index, span, explicit).await? {
                    return Ok(());
                }
                explicit = starts_transaction(&stmt);
                if explicit {
                    self.exec(
                        "SELECT pg_current_xact_id()",
                        "starting the lint transaction",
                    )
                    .await?;
                    self.start_txn().await?;
                }
                let mut facts = StatementFacts::new(index, span);
                facts.in_transaction = explicit;
                self.facts.statements.push(facts);
                continue;
            }
            if explicit {
                if !self.run_one(index, span, true).await? {
                    return Ok(());
                }
                let facts = self.observe_in_txn(index, span).await?;
                self.facts.statements.push(facts);
                continue;
            }
            if sql::non_transactional_reason(&stmt).is_some() {
                let words = super::statement::Words::of(&stmt);
                let facts = if words.starts(&["create", "index", "concurrently"])
                    || words.starts(&["create", "unique", "index", "concurrently"])
                {
                    match self.run_concurrent_index(index, span).await? {
                        Some(facts) => facts,
                        None => return Ok(()),
                    }
                } else {
                    // DROP INDEX CONCURRENTLY, REINDEX, VACUUM FULL, CLUSTER …: relations may be
                    // dropped or given new storage; compare every relation before and after.
                    let before: Vec<Relation> = self.relations().await?;
                    if !self.run_one(index, span, false).await? {
                        return Ok(());
                    }
                    let after: Vec<Relation> = self.relations().await?;
                    self.compare_relations(index, span, before, after)
                };
                self.facts.statements.push(facts);
                continue;
            }
            self.begin(false).await?;
            if !self.run_one(index, span, true).await? {
                return Ok(());
            }
            let facts = self.observe_in_txn(index, span).await?;
            self.facts.statements.push(facts);
            if let Err(e) = db::execute_script(self.main, "COMMIT").await {
                let failure = PgFailure::from_sqlx(&e);
                let _ = db::execute_script(self.main, "ROLLBACK").await;
                self.facts.failure = Some(Failure {
                    statement: index,
                    offset: span.start,
                    failure,
                });
                return Ok(());
            }
        }
        if explicit {
            // The file left its own transaction open; `up` would commit it with the session.
            let _ = db::execute_script(self.main, "COMMIT").await;
        }
        self.read_final().await?;
        self.read_sizes(false).await;
        self.exec("RESET ALL", "resetting the session").await
    }

    /// `CREATE INDEX CONCURRENTLY`: it creates one index and changes no other relation's
    /// storage, so instead of listing every relation twice, the relations' oids are read before
    /// and the pg_class rows written since (by its own transactions) after. A written relation
    /// whose oid existed before is unchanged in everything a rule looks at (the table's
    /// `relhasindex` may flip). `None`: the statement failed (recorded).
    async fn run_concurrent_index(
        &mut self,
        index: usize,
        span: Span,
    ) -> Result<Option<StatementFacts>, DbError> {
        let marker: String =
            sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
                .fetch_one(&mut *self.main)
                .await
                .map_err(|e| DbError::query("reading the next transaction id", &e))?;
        let existing: Vec<i64> = sqlx::query_scalar(RELATION_OIDS_SQL)
            .fetch_one(&mut *self.main)
            .await
            .map_err(|e| DbError::query("listing relations on the shadow", &e))?;
        if !self.run_one(index, span, false).await? {
            return Ok(None);
        }
        let written: Vec<Relation> = query_json(
            self.main,
            sqlx::query_scalar(RELATIONS_SINCE_SQL).bind(&marker),
            "listing the relations the statement wrote",
        )
        .await?;
        let existing: BTreeSet<Oid> = existing.into_iter().map(|o| o as Oid).collect();
        let (before, after) = since_to_before_after(&existing, written, |oid| {
            self.model.classes.get(&oid).cloned()
        });
        Ok(Some(self.compare_relations(index, span, before, after)))
    }

    async fn relations(&mut self) -> Result<Vec<Relation>, DbError> {
        query_json(
            self.main,
            sqlx::query_scalar(RELATIONS_SQL),
            "listing relations on the shadow",
        )
        .await
    }

    /// Facts of a statement that ran outside any transaction: relations created, dropped or
    /// given new storage, from two listings.
    fn compare_relations(
        &mut self,
        index: usize,
        span: Span,
        before: Vec<Relation>,
        after: Vec<Relation>,
    ) -> StatementFacts {
        let mut facts = StatementFacts::new(index, span);
        facts.in_transaction = false;
        let before: BTreeMap<Oid, Relation> = before.into_iter().map(|r| (r.oid, r)).collect();
        let after: BTreeMap<Oid, Relation> = after.into_iter().map(|r| (r.oid, r)).collect();
        let oids: BTreeSet<Oid> = before.keys().chain(after.keys()).copied().collect();
        for oid in oids {
            let (b, a) = (before.get(&oid), after.get(&oid));
            if b == a {
                continue;
            }
            if !self.model.classes.contains_key(&oid) {
                if let Some(b) = b {
                    self.facts.pre_existing.insert(oid);
                    self.facts.first_seen.insert(oid, b.clone());
                }
            }
            let known = self.model.classes.get(&oid).cloned().flatten();
            let before_row = known.or_else(|| b.cloned());
            if let Some(a) = a {
                self.facts
                    .first_seen
                    .entry(oid)
                    .or_insert_with(|| a.clone());
            }
            self.model.classes.insert(oid, a.cloned());
            facts.relations.push(Change {
                before: before_row,
                after: a.cloned(),
            });
        }
        facts
    }

    /// Reads what the statement just run did, inside its transaction.
    async fn observe_in_txn(
        &mut self,
        index: usize,
        span: Span,
    ) -> Result<StatementFacts, DbError> {
        let obs: Observation = query_json(
            self.main,
            sqlx::query_scalar(OBSERVE_SQL).bind(self.txn.last_cid),
            "observing a statement on the shadow",
        )
        .await?;
        self.load_before(&obs).await?;
        let mut facts = StatementFacts::new(index, span);

        // Locks.
        let held: BTreeSet<Lock> = obs
            .locks
            .iter()
            .filter_map(|l| {
                lock_mode(&l.mode).map(|mode| Lock {
                    relation: l.relation,
                    mode,
                })
            })
            .collect();
        facts.locks_taken = held.difference(&self.txn.held).copied().collect();
        facts.locks_held = held.iter().copied().collect();
        self.txn.held = held;

        // Scans: growth of the backend's counters since the last reading.
        for s in &obs.scans {
            let (seq, idx) = self
                .txn
                .scans
                .insert(s.relation, (s.seq, s.idx))
                .unwrap_or((0, 0));
            let scan = Scan {
                relation: s.relation,
                seq: (s.seq - seq).max(0),
                index: (s.idx - idx).max(0),
            };
            if scan.seq > 0 || scan.index > 0 {
                facts.scans.push(scan);
            }
        }

        // Catalog rows.
        let mut max_cid = self.txn.last_cid;
        for c in &obs.classes {
            max_cid = max_cid.max(c.cid);
            let row = c.row.clone();
            self.facts
                .first_seen
                .entry(row.oid)
                .or_insert_with(|| row.clone());
            let before = self
                .model
                .classes
                .insert(row.oid, Some(row.clone()))
                .flatten();
            if before.as_ref() != Some(&row) {
                facts.relations.push(Change {
                    before,
                    after: Some(row),
                });
            }
        }
        for oid in &obs.gone {
            if let Some(Some(before)) = self.model.classes.insert(*oid, None) {
                facts.relations.push(Change {
                    before: Some(before),
                    after: None,
                });
            }
        }
        for c in &obs.columns {
            max_cid = max_cid.max(c.cid);
            let row = c.row.clone();
            let before = self
                .model
                .columns
                .insert((row.relation, row.num), Some(row.clone()))
                .flatten();
            if before.as_ref() != Some(&row) {
                facts.columns.push(Change {
                    before,
                    after: Some(row),
                });
            }
        }
        track(
            &mut self.model.constraints,
            &obs.constraints,
            |r| r.oid,
            &mut facts.constraints,
            &mut max_cid,
        );
        track(
            &mut self.model.policies,
            &obs.policies,
            |r| r.oid,
            &mut facts.policies,
            &mut max_cid,
        );
        track(
            &mut self.model.functions,
            &obs.functions,
            |r| r.oid,
            &mut facts.functions,
            &mut max_cid,
        );
        track(
            &mut self.model.schemas,
            &obs.schemas,
            |r| r.oid,
            &mut facts.schemas,
            &mut max_cid,
        );
        for r in &obs.rewrites {
            max_cid = max_cid.max(r.cid);
            let is_view = self
                .model
                .classes
                .get(&r.relation)
                .and_then(|c| c.as_ref())
                .is_some_and(|c| c.kind.is_view());
            if is_view && !facts.views_defined.contains(&r.relation) {
                facts.views_defined.push(r.relation);
            }
        }
        self.txn.last_cid = max_cid;
        Ok(facts)
    }

    /// Loads, from the second connection, the committed state of every row the observation
    /// names that the model has not seen yet.
    async fn load_before(&mut self, obs: &Observation) -> Result<(), DbError> {
        let mut classes: BTreeSet<Oid> = BTreeSet::new();
        classes.extend(obs.classes.iter().map(|c| c.row.oid));
        classes.extend(obs.locks.iter().map(|l| l.relation));
        classes.extend(obs.gone.iter().copied());
        classes.extend(obs.columns.iter().map(|c| c.row.relation));
        classes.retain(|o| !self.model.classes.contains_key(o));
        let columns: Vec<(Oid, i16)> = obs
            .columns
            .iter()
            .map(|c| (c.row.relation, c.row.num))
            .filter(|k| !self.model.columns.contains_key(k))
            .collect();
        let unknown = |rows: &[Oid], seen: &dyn Fn(&Oid) -> bool| -> Vec<i64> {
            rows.iter()
                .filter(|o| !seen(o))
                .map(|o| i64::from(*o))
                .collect()
        };
        let constraints = unknown(
            &obs.constraints
                .iter()
                .map(|c| c.row.oid)
                .collect::<Vec<_>>(),
            &|o| self.model.constraints.contains_key(o),
        );
        let policies = unknown(
            &obs.policies.iter().map(|c| c.row.oid).collect::<Vec<_>>(),
            &|o| self.model.policies.contains_key(o),
        );
        let functions = unknown(
            &obs.functions.iter().map(|c| c.row.oid).collect::<Vec<_>>(),
            &|o| self.model.functions.contains_key(o),
        );
        let schemas = unknown(
            &obs.schemas.iter().map(|c| c.row.oid).collect::<Vec<_>>(),
            &|o| self.model.schemas.contains_key(o),
        );
        if classes.is_empty()
            && columns.is_empty()
            && constraints.is_empty()
            && policies.is_empty()
            && functions.is_empty()
            && schemas.is_empty()
        {
            return Ok(());
        }
        let class_ids: Vec<i64> = classes.iter().map(|o| i64::from(*o)).collect();
        let column_rels: Vec<i64> = columns.iter().map(|k| i64::from(k.0)).collect();
        let column_nums: Vec<i16> = columns.iter().map(|k| k.1).collect();
        let before: Before = query_json(
            self.peek,
            sqlx::query_scalar(BEFORE_SQL)
                .bind(&class_ids)
                .bind(&column_rels)
                .bind(&column_nums)
                .bind(&constraints)
                .bind(&policies)
                .bind(&functions)
                .bind(&schemas),
            "reading the state before the statement",
        )
        .await?;
        let found: BTreeMap<Oid, Relation> =
            before.classes.into_iter().map(|r| (r.oid, r)).collect();
        for oid in classes {
            match found.get(&oid) {
                Some(r) => {
                    self.facts.pre_existing.insert(oid);
                    self.facts.first_seen.insert(oid, r.clone());
                    self.model.classes.insert(oid, Some(r.clone()));
                }
                None => {
                    self.model.classes.insert(oid, None);
                }
            }
        }
        let found: BTreeMap<(Oid, i16), Column> = before
            .columns
            .into_iter()
            .map(|c| ((c.relation, c.num), c))
            .collect();
        for key in columns {
            self.model.columns.insert(key, found.get(&key).cloned());
        }
        fill(
            &mut self.model.constraints,
            &constraints,
            before.constraints,
            |r| r.oid,
        );
        fill(&mut self.model.policies, &policies, before.policies, |r| {
            r.oid
        });
        fill(
            &mut self.model.functions,
            &functions,
            before.functions,
            |r| r.oid,
        );
        fill(&mut self.model.schemas, &schemas, before.schemas, |r| r.oid);
        Ok(())
    }

    /// The end state of the policies and views the migration created or changed, and of every
    /// relation and function it touched.
    async fn read_final(&mut self) -> Result<(), DbError> {
        let mut policies: BTreeSet<i64> = BTreeSet::new();
        let mut views: BTreeSet<i64> = BTreeSet::new();
        for s in &self.facts.statements {
            policies.extend(
                s.policies
                    .iter()
                    .filter_map(|c| c.after.as_ref())
                    .map(|p| i64::from(p.oid)),
            );
            views.extend(s.views_defined.iter().map(|o| i64::from(*o)));
            views.extend(
                s.relations
                    .iter()
                    .filter_map(|c| c.after.as_ref())
                    .filter(|r| r.kind.is_view())
                    .map(|r| i64::from(r.oid)),
            );
        }
        let mut state = FinalState::default();
        for (oid, r) in &self.model.classes {
            if let Some(r) = r {
                state.relations.insert(*oid, r.clone());
            }
        }
        for (oid, f) in &self.model.functions {
            if let Some(f) = f {
                state.functions.insert(*oid, f.clone());
            }
        }
        if !policies.is_empty() || !views.is_empty() {
            let policies: Vec<i64> = policies.into_iter().collect();
            let views: Vec<i64> = views.into_iter().collect();
            let fin: Final = query_json(
                self.main,
                sqlx::query_scalar(FINAL_SQL).bind(&policies).bind(&views),
                "reading the policies and views the migration defined",
            )
            .await?;
            state.policies = fin.policies;
            state.views = fin.views;
        }
        self.facts.final_state = state;
        Ok(())
    }

    /// Sizes on the shadow of the pre-existing tables the migration locked. Best effort: inside
    /// the transaction the locks are ours; a failure only leaves the sizes out.
    async fn read_sizes(&mut self, in_txn: bool) {
        let tables: Vec<i64> = self
            .facts
            .pre_existing
            .iter()
            .filter(|o| {
                self.facts
                    .first_seen
                    .get(o)
                    .is_some_and(|r| r.kind.has_rows() || r.kind == RelKind::PartitionedTable)
            })
            .filter(|o| self.model.classes.get(o).is_some_and(Option::is_some))
            .map(|o| i64::from(*o))
            .collect();
        if tables.is_empty() {
            return;
        }
        if in_txn
            && db::execute_script(self.main, "SAVEPOINT strata_lint_sizes")
                .await
                .is_err()
        {
            return;
        }
        let rows: Result<Vec<(i64, i64)>, _> = sqlx::query_as(
            "SELECT o::bigint, pg_total_relation_size(o::oid) FROM unnest($1::bigint[]) o",
        )
        .bind(&tables)
        .fetch_all(&mut *self.main)
        .await;
        match rows {
            Ok(rows) => {
                for (oid, size) in rows {
                    if let Ok(oid) = Oid::try_from(oid) {
                        self.facts.sizes.insert(oid, size);
                    }
                }
                if in_txn {
                    let _ =
                        db::execute_script(self.main, "RELEASE SAVEPOINT strata_lint_sizes").await;
                }
            }
            Err(_) if in_txn => {
                let _ =
                    db::execute_script(self.main, "ROLLBACK TO SAVEPOINT strata_lint_sizes").await;
            }
            Err(_) => {}
        }
    }
}

/// `BEGIN` / `START TRANSACTION` (as opposed to the statements that end one).
/// The relation listings [`Watcher::compare_relations`] compares, from the oids of the user
/// relations before a statement and the pg_class rows it wrote: a written relation is new when
/// its oid did not exist; one that existed is as the model last saw it (a relation the
/// migration had not touched yet: as written, which for a table under `CREATE INDEX
/// CONCURRENTLY` differs in nothing the facts hold).
fn since_to_before_after(
    existing: &BTreeSet<Oid>,
    written: Vec<Relation>,
    known: impl Fn(Oid) -> Option<Option<Relation>>,
) -> (Vec<Relation>, Vec<Relation>) {
    let mut before = Vec::new();
    for w in &written {
        if existing.contains(&w.oid) {
            match known(w.oid) {
                Some(Some(b)) => before.push(b),
                Some(None) => {}
                None => before.push(w.clone()),
            }
        }
    }
    (before, written)
}

fn starts_transaction(stmt: &str) -> bool {
    let first = sql::tokens(stmt).filter_map(Result::ok).find(|t| {
        !matches!(
            t.kind,
            sql::TokenKind::LineComment | sql::TokenKind::BlockComment
        )
    });
    first
        .and_then(|t| stmt.get(t.start..t.end))
        .is_some_and(|w| w.eq_ignore_ascii_case("begin") || w.eq_ignore_ascii_case("start"))
}

/// Records rows the statement wrote as changes against the model.
fn track<T: Clone + PartialEq>(
    model: &mut HashMap<Oid, Option<T>>,
    rows: &[WithCid<T>],
    key: impl Fn(&T) -> Oid,
    out: &mut Vec<Change<T>>,
    max_cid: &mut i64,
) {
    for r in rows {
        *max_cid = (*max_cid).max(r.cid);
        let before = model.insert(key(&r.row), Some(r.row.clone())).flatten();
        if before.as_ref() != Some(&r.row) {
            out.push(Change {
                before,
                after: Some(r.row.clone()),
            });
        }
    }
}

/// Enters the committed state of `wanted` keys into the model (`None` for those not found).
fn fill<T>(
    model: &mut HashMap<Oid, Option<T>>,
    wanted: &[i64],
    found: Vec<T>,
    key: impl Fn(&T) -> Oid,
) {
    let mut found: HashMap<Oid, T> = found.into_iter().map(|r| (key(&r), r)).collect();
    for w in wanted {
        if let Ok(oid) = Oid::try_from(*w) {
            let row = found.remove(&oid);
            model.insert(oid, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_modes_parse_and_unknown_ones_are_skipped() {
        assert_eq!(lock_mode("ShareLock"), Some(LockMode::ShareLock));
        assert_eq!(lock_mode("SIReadLock"), None);
    }

    fn relation(oid: Oid, name: &str, kind: RelKind) -> Relation {
        Relation {
            oid,
            schema: "public".into(),
            name: name.into(),
            kind,
            filenode: i64::from(oid),
            rls: false,
            rls_forced: false,
            acl: Vec::new(),
            options: Vec::new(),
            partition: false,
            index_of: None,
        }
    }

    #[test]
    fn a_concurrent_index_is_new_and_its_table_unchanged() {
        let table = relation(10, "orders", RelKind::Table);
        let mut idx = relation(20, "orders_at_idx", RelKind::Index);
        idx.index_of = Some(10);
        let existing: BTreeSet<Oid> = [10, 11].into_iter().collect();
        let (before, after) =
            since_to_before_after(&existing, vec![table.clone(), idx.clone()], |_| None);
        assert_eq!(before, vec![table.clone()]);
        assert_eq!(after, vec![table.clone(), idx]);
        // A table the migration already changed: its last known state is the before.
        let mut renamed = table.clone();
        renamed.name = "old_orders".into();
        let (before, _) = since_to_before_after(&existing, vec![table.clone()], |_| {
            Some(Some(renamed.clone()))
        });
        assert_eq!(before, vec![renamed]);
    }

    #[test]
    fn transaction_starts() {
        assert!(starts_transaction("BEGIN"));
        assert!(starts_transaction("-- x\nstart transaction"));
        assert!(!starts_transaction("COMMIT"));
    }

    #[test]
    fn observation_rows_deserialize() {
        let json = r#"{"locks":[{"relation":16384,"mode":"ShareLock"}],
          "classes":[{"oid":16468,"schema":"public","name":"t_zz_idx","kind":"i","filenode":16468,
            "rls":false,"rls_forced":false,"acl":[],"options":[],"partition":false,
            "index_of":16384,"cid":3}],
          "columns":[],"constraints":[{"oid":9,"name":"c","kind":"f","validated":true,
            "relation":16384,"references":16390,"cid":4}],
          "policies":[],"functions":[],"schemas":[],"rewrites":[],
          "scans":[{"relation":16384,"seq":1,"idx":0}],"gone":[]}"#;
        let o: Observation = serde_json::from_str(json).unwrap();
        assert_eq!(o.classes[0].row.kind, RelKind::Index);
        assert_eq!(o.classes[0].row.index_of, Some(16384));
        assert_eq!(o.classes[0].cid, 3);
        assert_eq!(
            o.constraints[0].row.kind,
            super::super::facts::ConstraintKind::ForeignKey
        );
    }
}
