//! `strata verify-rollbacks`: on one shadow database that follows the migrations forward, each
//! migration is applied, rolled back, compared with the state from before it, and applied
//! again.
//!
//! The state is kept as a catalog model read once at the start and then patched: after each
//! step, fingerprints computed in SQL (`snapshot`) name the objects that changed, and only those
//! are read in full and compared, so the cost follows what the migrations touch, not
//! migrations × schema size. A run that stops (a migration fails on the shadow) still returns
//! the verdict of every migration checked before it, then the failure.

use super::{Event, Sink, Workspace};
use crate::catalog::{self, Catalog};
use crate::config::ConnInfo;
use crate::db;
use crate::diff::{self, Change};
use crate::engine::{self, EngineError, StatementFailure};
use crate::error::Result;
use crate::project::{Migration, Project};
use crate::shadow::{self, ShadowError};
use crate::snapshot::{self, Boundary, Fingerprints, Reader, Since};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Server for the shadow database (default: the project's local server).
    pub shadow_url: Option<String>,
    /// After every step, also read the whole catalog and check that the incrementally kept
    /// model equals it (slow; for tests of the incremental snapshots).
    pub crosscheck: bool,
}

/// The verdict on one migration's rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::Display, strum::EnumString)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum RollbackResult {
    /// The schema after up + down is exactly the schema before.
    Exact,
    /// Objects differ after up + down.
    NotExact,
    /// The migration has no rollback: applied, not checked.
    NoRollback,
    /// The rollback failed.
    Failed,
}

/// Why a rollback failed, as data (position 1-based).
#[derive(Debug, Clone, Serialize)]
pub struct RollbackFailure {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlstate: Option<String>,
    /// The full failure, for the text renderer's source excerpt.
    #[serde(skip)]
    pub statement: Option<Box<StatementFailure>>,
}

impl RollbackFailure {
    fn from_engine(e: EngineError) -> RollbackFailure {
        match e {
            EngineError::Statement(f) => {
                let (line, column) = match f.offset.map(|o| f.file.line_col(o)) {
                    Some((l, c)) => (Some(l), Some(c)),
                    None => (None, None),
                };
                RollbackFailure {
                    message: f.failure.message.clone(),
                    file: Some(f.file.display.clone()),
                    line,
                    column,
                    sqlstate: Some(f.failure.code.clone()).filter(|c| !c.is_empty()),
                    statement: Some(f),
                }
            }
            other => RollbackFailure::message(other.to_string()),
        }
    }

    fn from_shadow(e: ShadowError) -> RollbackFailure {
        match e {
            ShadowError::Engine(e) => RollbackFailure::from_engine(e),
            other => RollbackFailure::message(other.to_string()),
        }
    }

    fn message(message: String) -> RollbackFailure {
        RollbackFailure {
            message,
            file: None,
            line: None,
            column: None,
            sqlstate: None,
            statement: None,
        }
    }
}

/// What stopped a run before every migration was checked.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyStop {
    pub version: String,
    pub name: String,
    /// What was being done: `up` (the migration itself failed on the shadow), `reapply` (applying
    /// it again after its rollback failed), or `snapshot` (reading the shadow's catalog).
    pub step: StopStep,
    pub error: RollbackFailure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum StopStep {
    Up,
    Reapply,
    Snapshot,
}

/// What one migration's rollback did to the schema.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackCheck {
    pub version: String,
    pub name: String,
    pub result: RollbackResult,
    /// Objects that differ from before the migration (change as seen from the snapshot:
    /// `removed` = left behind by the rollback, `added` = missing after it).
    pub differences: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RollbackFailure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    /// Every migration checked, in order (up to the one that stopped the run, if any).
    pub migrations: Vec<RollbackCheck>,
    /// The failure that stopped the run before the last migration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<VerifyStop>,
}

impl VerifyOutcome {
    pub fn count(&self, r: RollbackResult) -> usize {
        self.migrations.iter().filter(|c| c.result == r).count()
    }

    /// An inexact or failed rollback, or a run that stopped early.
    pub fn failed(&self) -> bool {
        self.stopped.is_some()
            || self.count(RollbackResult::NotExact) + self.count(RollbackResult::Failed) > 0
    }
}

pub async fn verify_rollbacks(
    ws: &Workspace,
    opts: &VerifyOptions,
    sink: &mut dyn Sink,
) -> Result<VerifyOutcome> {
    let project = ws.load_project()?;
    let server = ws.shadow_server(opts.shadow_url.as_deref(), sink)?;
    let mut run = Verifier {
        ws,
        server: &server,
        settings: ws.settings(),
        schemas: ws.cfg.database.schemas.clone(),
        exclude: ws.excluded_schemas(),
        database: None,
        reader: None,
        model: Catalog::default(),
        prints: Fingerprints::new(),
        boundary: None,
        crosscheck: opts.crosscheck,
        times: Times::default(),
    };
    let all: Vec<&Migration> = project.migrations.iter().collect();
    let started = run.fresh(&[], &all).await;
    let result = match started {
        Ok(()) => Ok(run.check_each(&project).await),
        Err(e) => Err(e),
    };
    run.drop_database().await;
    run.times.report(sink);
    let (migrations, stopped) = match result {
        Ok(r) => r,
        Err(Fault::Shadow(e)) => return Err(e.into()),
        Err(Fault::Model(m)) => return Err(crate::error::Error::Internal(m)),
    };
    Ok(VerifyOutcome {
        migrations,
        stopped,
    })
}

/// Where the time went (shown with `-v`).
#[derive(Default)]
struct Times {
    apply: Duration,
    fingerprints: Duration,
    reads: Duration,
    objects_read: usize,
    compare: Duration,
    full_reads: Duration,
    rebuilds: usize,
}

impl Times {
    fn report(&self, sink: &mut dyn Sink) {
        let mut t =
            |phase: String, elapsed: Duration| sink.event(&Event::Timing { phase, elapsed });
        t("applied migrations and rollbacks".into(), self.apply);
        t("catalog fingerprints".into(), self.fingerprints);
        t(
            format!("read {} changed object(s)", self.objects_read),
            self.reads,
        );
        t("compared".into(), self.compare);
        t(
            format!(
                "full catalog reads (start, and {} rebuild(s) after a failed or inexact rollback)",
                self.rebuilds
            ),
            self.full_reads,
        );
    }
}

struct Verifier<'a> {
    ws: &'a Workspace,
    server: &'a ConnInfo,
    settings: engine::Settings,
    schemas: Vec<String>,
    exclude: Vec<String>,
    database: Option<(String, PgConnection)>,
    /// Reads the shadow's catalog (knows its connection's version and role).
    reader: Option<Reader>,
    /// The shadow's schema as of the last step, kept current by [`Verifier::advance`].
    model: Catalog,
    /// The fingerprints the model corresponds to.
    prints: Fingerprints,
    /// Where the reading of `prints` ended: later writes are at or after it.
    boundary: Option<Boundary>,
    crosscheck: bool,
    times: Times,
}

/// Why a step of the run failed. (`ShadowError` carries PostgreSQL's whole report by value,
/// like the rest of the crate; boxing it is a crate-wide decision.)
#[allow(clippy::large_enum_variant)]
enum Fault {
    Shadow(ShadowError),
    /// `crosscheck`: the incrementally kept model differs from a full read.
    Model(String),
}

impl From<ShadowError> for Fault {
    fn from(e: ShadowError) -> Fault {
        Fault::Shadow(e)
    }
}

impl From<crate::db::DbError> for Fault {
    fn from(e: crate::db::DbError) -> Fault {
        Fault::Shadow(e.into())
    }
}

impl Fault {
    fn failure(self) -> RollbackFailure {
        match self {
            Fault::Shadow(e) => RollbackFailure::from_shadow(e),
            Fault::Model(m) => RollbackFailure::message(m),
        }
    }
}

type Step<T> = std::result::Result<T, Fault>;

impl Verifier<'_> {
    async fn drop_database(&mut self) {
        if let Some(reader) = self.reader.take() {
            reader.close().await;
        }
        if let Some((name, conn)) = self.database.take() {
            db::close(conn).await;
            let _ = shadow::drop_database(self.server, &name).await;
        }
    }

    fn conn(&mut self) -> Step<&mut PgConnection> {
        match self.database.as_mut() {
            Some((_, conn)) => Ok(conn),
            None => Err(Fault::Model("the shadow database is gone".into())),
        }
    }

    /// A fresh shadow database with `done` applied (replacing the current one), read in full.
    async fn fresh(&mut self, done: &[&Migration], all: &[&Migration]) -> Step<()> {
        self.drop_database().await;
        let name = shadow::create_database(self.server, "strata_verify", None).await?;
        let mut conn = match shadow::connect(self.server, &name).await {
            Ok(conn) => conn,
            Err(e) => {
                let _ = shadow::drop_database(self.server, &name).await;
                return Err(e.into());
            }
        };
        let texts: Vec<&str> = all.iter().map(|m| m.file.text.as_str()).collect();
        let t = Instant::now();
        let applied =
            shadow::apply_migrations(&mut conn, done, &self.ws.cfg.auth, &self.settings, &texts)
                .await;
        self.times.apply += t.elapsed();
        self.database = Some((name, conn));
        // The shim's search_path, for the migrations this connection applies next.
        if let Ok(Some(path)) = &applied {
            self.settings.search_path = Some(path.clone());
        }
        applied?;
        if !done.is_empty() {
            self.times.rebuilds += 1;
        }
        let t = Instant::now();
        let (schemas, ex) = (self.schemas.clone(), self.exclude.clone());
        // A second connection reads half of every reading alongside (see `snapshot::Reader`);
        // without one, the applying connection reads alone.
        let side = match &self.database {
            Some((name, _)) => shadow::connect(self.server, name).await.ok(),
            None => None,
        };
        let conn = self.conn()?;
        // The first reading reads every object in scope (none was there before it).
        let mut reader = Reader::new(conn, side).await?;
        let first = reader
            .reading(
                conn,
                Since {
                    schemas: &schemas,
                    exclude: &ex,
                    before: &Fingerprints::new(),
                    boundary: None,
                },
            )
            .await?;
        self.reader = Some(reader);
        self.model = first.objects;
        self.prints = first.prints;
        self.boundary = Some(first.boundary);
        self.times.full_reads += t.elapsed();
        self.check_model().await
    }

    /// One reading: the objects that changed since the model's fingerprints, as they are now.
    async fn changes(&mut self) -> Step<snapshot::Reading> {
        let (since, Some(reader)) = (self.boundary, self.reader.as_mut()) else {
            return Err(Fault::Model("the shadow database is gone".into()));
        };
        let Some((_, conn)) = self.database.as_mut() else {
            return Err(Fault::Model("the shadow database is gone".into()));
        };
        let since = Since {
            schemas: &self.schemas,
            exclude: &self.exclude,
            before: &self.prints,
            boundary: since,
        };
        let now = reader.reading(conn, since).await?;
        self.times.fingerprints += now.took.0;
        self.times.reads += now.took.1;
        self.times.objects_read += now.keys.len();
        if self.crosscheck {
            // The reading on the applying connection alone (as without a second connection)
            // must be the same.
            let alone = reader.reading_alone(conn, since).await?;
            // (Not the boundaries: another session, autovacuum's ANALYZE, may take a
            // transaction id between the two.)
            let same = alone.prints == now.prints
                && alone.keys == now.keys
                && diff::compare(&alone.objects, &now.objects).is_empty();
            if !same {
                return Err(Fault::Model(format!(
                    "cross-checking the catalog reading: on one connection it differs from the \
                     reading on two (objects {:?}, then {:?})",
                    alone.keys, now.keys
                )));
            }
        }
        Ok(now)
    }

    /// Takes a reading's objects into the model, and its fingerprints as the model's.
    fn take(&mut self, now: snapshot::Reading) {
        snapshot::patch(&mut self.model, &now.keys, now.objects);
        (self.prints, self.boundary) = (now.prints, Some(now.boundary));
    }

    /// Brings the model up to the shadow's current state.
    async fn advance(&mut self) -> Step<()> {
        let now = self.changes().await?;
        self.take(now);
        self.check_model().await
    }

    /// With `crosscheck`: the patched model must equal a full read.
    async fn check_model(&mut self) -> Step<()> {
        if !self.crosscheck {
            return Ok(());
        }
        let (schemas, ex) = (self.schemas.clone(), self.exclude.clone());
        let full = catalog::introspect(self.conn()?, &schemas, &ex).await?;
        let differences = diff::compare(&full, &self.model);
        if differences.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = differences
            .iter()
            .map(|d| format!("{} {} {}", d.change, d.kind, d.object))
            .collect();
        Err(Fault::Model(format!(
            "cross-checking the incremental catalog model: it differs from a full read: {}",
            names.join(", ")
        )))
    }

    async fn apply(&mut self, m: &Migration, down: bool) -> std::result::Result<(), EngineError> {
        let settings = self.settings.clone();
        let t = Instant::now();
        let one = [m];
        let mut obs = shadow::Silent;
        let r = match self.database.as_mut() {
            Some((_, conn)) if down => engine::apply_down(conn, &one, &settings, &mut obs).await,
            Some((_, conn)) => engine::apply_up(conn, &one, &settings, &mut obs).await,
            None => Ok(Vec::new()),
        };
        self.times.apply += t.elapsed();
        r.map(|_| ())
    }

    /// Checks every migration in order; stops at the first one that cannot be applied (the
    /// checks so far are returned with the failure).
    async fn check_each(&mut self, project: &Project) -> (Vec<RollbackCheck>, Option<VerifyStop>) {
        let all: Vec<&Migration> = project.migrations.iter().collect();
        let mut checks = Vec::new();
        for (i, m) in project.migrations.iter().enumerate() {
            let stop = |step: StopStep, error: RollbackFailure| VerifyStop {
                version: m.version.to_string(),
                name: m.name.clone(),
                step,
                error,
            };
            match self.check_one(m, &all[..=i], &all).await {
                Ok(check) => checks.push(check),
                Err((step, e)) => return (checks, Some(stop(step, e))),
            }
        }
        (checks, None)
    }

    async fn check_one(
        &mut self,
        m: &Migration,
        upto: &[&Migration],
        all: &[&Migration],
    ) -> std::result::Result<RollbackCheck, (StopStep, RollbackFailure)> {
        let snap = |e: Fault| (StopStep::Snapshot, e.failure());
        let mut check = RollbackCheck {
            version: m.version.to_string(),
            name: m.name.clone(),
            result: RollbackResult::Exact,
            differences: Vec::new(),
            error: None,
        };
        self.apply(m, false)
            .await
            .map_err(|e| (StopStep::Up, RollbackFailure::from_engine(e)))?;
        if m.rollback.is_none() {
            self.advance().await.map_err(snap)?;
            check.result = RollbackResult::NoRollback;
            return Ok(check);
        }
        if let Err(e) = self.apply(m, true).await {
            check.result = RollbackResult::Failed;
            check.error = Some(RollbackFailure::from_engine(e));
            let transactional = m
                .rollback
                .as_ref()
                .is_some_and(|r| r.directives.transactional);
            if transactional {
                // The failed rollback's transaction was rolled back: the shadow is as the
                // migration left it, which a reading takes into the model (no rebuild). Where
                // the reading fails (the connection is gone), the shadow is rebuilt.
                match self.advance().await {
                    Ok(()) => return Ok(check),
                    Err(Fault::Model(m)) => return Err(snap(Fault::Model(m))),
                    Err(Fault::Shadow(_)) => {}
                }
            }
            // Statements of a no-transaction rollback may have committed: carry on from a clean
            // state with this migration applied.
            self.fresh(upto, all)
                .await
                .map_err(|e| (StopStep::Reapply, e.failure()))?;
            return Ok(check);
        }
        let now = self.changes().await.map_err(snap)?;
        let t = Instant::now();
        let before = snapshot::restrict(&self.model, &now.keys);
        check.differences = diff::compare(&now.objects, &before);
        self.times.compare += t.elapsed();
        if !check.differences.is_empty() {
            check.result = RollbackResult::NotExact;
            // What the rollback left behind could make the migration fail again.
            self.fresh(upto, all)
                .await
                .map_err(|e| (StopStep::Reapply, e.failure()))?;
            return Ok(check);
        }
        // The same schema, perhaps with new oids: the model takes the fresh reading.
        self.take(now);
        self.apply(m, false)
            .await
            .map_err(|e| (StopStep::Reapply, RollbackFailure::from_engine(e)))?;
        self.advance().await.map_err(snap)?;
        Ok(check)
    }
}
