//! `strata pull NAME`: adopt a database strata has not managed. Its schema becomes the
//! project's first migration (empty database → the database) with a rollback (the database →
//! empty), both proven on an empty shadow database, then the database is baselined at that
//! version so that `status` shows it applied and `up` does not run it there.
//!
//! Refuses (exit 2, nothing written) when the project already has migrations or the database
//! already has strata history: adopting is for the first migration of both.

use super::author::{self, AuthoringError, Proof, Trial};
use super::{Sink, Workspace};
use crate::catalog;
use crate::diff;
use crate::error::{Result, UsageError};
use crate::history;
use serde::Serialize;

#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `NAME`: the migration's name.
    pub name: String,
    /// Server for the shadow database (default: the project's local server).
    pub shadow_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PullOutcome {
    /// Objects in the database (in the configured schemas) that the migration creates.
    pub objects: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
    /// The files were written.
    pub written: bool,
    /// The database was baselined at `version`.
    pub baselined: bool,
    /// The schemas read (objects elsewhere are not adopted).
    pub schemas: Vec<String>,
    #[serde(skip)]
    pub migration_sql: Option<String>,
    #[serde(skip)]
    pub rollback_sql: Option<String>,
}

impl PullOutcome {
    pub fn failed(&self) -> bool {
        self.proof.as_ref().is_some_and(Proof::failed)
    }
}

pub async fn pull(ws: &Workspace, opts: &PullOptions, sink: &mut dyn Sink) -> Result<PullOutcome> {
    let slug = super::new::slug(&opts.name).ok_or_else(|| UsageError::BadMigrationName {
        name: opts.name.clone(),
    })?;
    let project = ws.load_project()?;
    if !project.migrations.is_empty() {
        return Err(AuthoringError::PullHasMigrations {
            count: project.migrations.len(),
            dir: ws.display(&ws.migrations_dir()?),
        }
        .into());
    }
    let schemas = ws.cfg.database.schemas.clone();
    let ex = ws.excluded_schemas();
    let target = ws.target()?;
    let mut conn = ws.connect(&target, sink).await?;
    let read = async {
        let rows = history::read(&mut conn, &ws.cfg.database.history_schema).await?;
        if !rows.is_empty() {
            return Err(AuthoringError::PullHasHistory {
                table: history::table(&ws.cfg.database.history_schema),
                rows: rows.len(),
            }
            .into());
        }
        Ok::<_, crate::Error>(catalog::introspect(&mut conn, &schemas, &ex).await?)
    }
    .await;
    crate::db::close(conn).await;
    let live = read?;
    let server = ws.shadow_server(opts.shadow_url.as_deref(), sink)?;
    let empty = author::empty_catalog(&server, &schemas, &ex, &live.current_role).await?;
    let objects = diff::compare(&live, &empty).len();
    let mut outcome = PullOutcome {
        objects,
        version: None,
        migration: None,
        rollback: None,
        proof: None,
        written: false,
        baselined: false,
        schemas: schemas.clone(),
        migration_sql: None,
        rollback_sql: None,
    };
    if objects == 0 {
        return Ok(outcome);
    }
    let files = author::next_files(ws, &project, &slug)?;
    let up = diff::render_migration(
        &diff::script(&empty, &live),
        &format!("{slug}: written by `strata pull` (an empty database → the adopted database)"),
    );
    let down = diff::render_migration(
        &diff::script(&live, &empty),
        &format!(
            "rollback of {}_{slug}: written by `strata pull` (the adopted database → an empty database)",
            files.version
        ),
    );
    let migration = author::in_memory(ws, &files, &slug, &up, &down);
    let settings = ws.settings();
    let trial = Trial {
        server: &server,
        base: None,
        auth: &ws.cfg.auth,
        settings: &settings,
        schemas: &schemas,
        exclude: &ex,
        after_up: &live,
        after_down: &empty,
    };
    let proof = author::prove(&trial, &migration).await?;
    outcome.version = Some(files.version.clone());
    outcome.migration = Some(ws.display(&files.migration));
    outcome.rollback = Some(ws.display(&files.rollback));
    outcome.migration_sql = Some(up.clone());
    outcome.rollback_sql = Some(down.clone());
    let failed = proof.failed();
    outcome.proof = Some(proof);
    if failed {
        return Ok(outcome);
    }
    author::write(&files.migration, &up)?;
    author::write(&files.rollback, &down)?;
    outcome.written = true;
    super::repair::baseline(ws, migration.version, sink).await?;
    outcome.baselined = true;
    Ok(outcome)
}
