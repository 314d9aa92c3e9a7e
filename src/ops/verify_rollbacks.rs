//! `strata verify-rollbacks`: on one shadow database that follows the migrations forward, each
//! migration is applied, rolled back, compared with the snapshot from before it, and applied
//! again.

use super::{Sink, Workspace};
use crate::catalog;
use crate::config::ConnInfo;
use crate::db;
use crate::diff::{self, Change};
use crate::engine::{self, EngineError, StatementFailure};
use crate::error::Result;
use crate::project::{Migration, Project};
use crate::shadow::{self, ShadowError};
use serde::Serialize;
use sqlx::postgres::PgConnection;

#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Server for the shadow database (default: the project's local server).
    pub shadow_url: Option<String>,
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
            other => RollbackFailure {
                message: other.to_string(),
                file: None,
                line: None,
                column: None,
                sqlstate: None,
                statement: None,
            },
        }
    }
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
    pub migrations: Vec<RollbackCheck>,
}

impl VerifyOutcome {
    pub fn count(&self, r: RollbackResult) -> usize {
        self.migrations.iter().filter(|c| c.result == r).count()
    }

    /// An inexact or failed rollback.
    pub fn failed(&self) -> bool {
        self.count(RollbackResult::NotExact) + self.count(RollbackResult::Failed) > 0
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
    };
    let result = run.check_each(&project).await;
    run.drop_database().await;
    Ok(VerifyOutcome {
        migrations: result?,
    })
}

struct Verifier<'a> {
    ws: &'a Workspace,
    server: &'a ConnInfo,
    settings: engine::Settings,
    schemas: Vec<String>,
    exclude: Vec<String>,
    database: Option<(String, PgConnection)>,
}

impl Verifier<'_> {
    async fn drop_database(&mut self) {
        if let Some((name, conn)) = self.database.take() {
            db::close(conn).await;
            let _ = shadow::drop_database(self.server, &name).await;
        }
    }

    /// A fresh shadow database with `done` applied (replacing the current one); its connection.
    async fn fresh(
        &mut self,
        done: &[&Migration],
        all: &[&Migration],
    ) -> std::result::Result<(), ShadowError> {
        self.drop_database().await;
        let name = shadow::create_database(self.server, "strata_verify", None).await?;
        let mut conn = match shadow::connect(self.server, &name).await {
            Ok(conn) => conn,
            Err(e) => {
                let _ = shadow::drop_database(self.server, &name).await;
                return Err(e);
            }
        };
        let texts: Vec<&str> = all.iter().map(|m| m.file.text.as_str()).collect();
        let applied =
            shadow::apply_migrations(&mut conn, done, &self.ws.cfg.auth, &self.settings, &texts)
                .await;
        self.database = Some((name, conn));
        // The shim's search_path, for the migrations this connection applies next.
        if let Ok(Some(path)) = &applied {
            self.settings.search_path = Some(path.clone());
        }
        applied.map(|_| ())
    }

    async fn check_each(
        &mut self,
        project: &Project,
    ) -> std::result::Result<Vec<RollbackCheck>, ShadowError> {
        let all: Vec<&Migration> = project.migrations.iter().collect();
        self.fresh(&[], &all).await?;
        let mut obs = shadow::Silent;
        let mut checks = Vec::new();
        for (i, m) in project.migrations.iter().enumerate() {
            let one = [m];
            let mut check = RollbackCheck {
                version: m.version.to_string(),
                name: m.name.clone(),
                result: RollbackResult::Exact,
                differences: Vec::new(),
                error: None,
            };
            let settings = self.settings.clone();
            let (schemas, ex) = (self.schemas.clone(), self.exclude.clone());
            let Some((_, conn)) = self.database.as_mut() else {
                break;
            };
            if m.rollback.is_none() {
                engine::apply_up(conn, &one, &settings, &mut obs).await?;
                check.result = RollbackResult::NoRollback;
                checks.push(check);
                continue;
            }
            let before = catalog::introspect(conn, &schemas, &ex).await?;
            engine::apply_up(conn, &one, &settings, &mut obs).await?;
            if let Err(e) = engine::apply_down(conn, &one, &settings, &mut obs).await {
                check.result = RollbackResult::Failed;
                check.error = Some(RollbackFailure::from_engine(e));
                checks.push(check);
                // Carry on from a clean state with this migration applied.
                self.fresh(&all[..=i], &all).await?;
                continue;
            }
            let after = catalog::introspect(conn, &schemas, &ex).await?;
            check.differences = diff::compare(&after, &before);
            let exact = check.differences.is_empty();
            if !exact {
                check.result = RollbackResult::NotExact;
            }
            checks.push(check);
            if exact {
                engine::apply_up(conn, &one, &settings, &mut obs).await?;
            } else {
                // What the rollback left behind could make the migration fail again.
                self.fresh(&all[..=i], &all).await?;
            }
        }
        Ok(checks)
    }
}
