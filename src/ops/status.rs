//! `strata status`: every migration and its state.

use super::{target_label, Sink, Workspace};
use crate::engine::{self, MigrationState, StatusRow};
use crate::error::{Error, Result};
use crate::{history, project};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StatusOutcome {
    pub database: String,
    pub migrations: Vec<StatusRow>,
    pub pending: usize,
    /// Migrations in any state but `applied` (pending included).
    pub not_as_written: usize,
    /// `--exit-code`: anything not applied as written is a failure.
    #[serde(skip)]
    pub exit_code: bool,
}

impl StatusOutcome {
    pub fn applied(&self) -> usize {
        self.migrations.len() - self.not_as_written
    }

    pub fn failed(&self) -> bool {
        self.exit_code && self.not_as_written > 0
    }
}

pub async fn status(ws: &Workspace, exit_code: bool, sink: &mut dyn Sink) -> Result<StatusOutcome> {
    let target = ws.target()?;
    // Read and hash the files on a blocking thread while connecting and reading the history:
    // the two take about the same time with a thousand migrations.
    ws.require_project()?;
    let (root, mig, rb) = (
        ws.cfg.root.clone(),
        ws.migrations_dir()?,
        ws.rollbacks_dir()?,
    );
    let loading = tokio::task::spawn_blocking(move || project::load(&root, &mig, &rb));
    let rows = async {
        let mut conn = ws.connect(&target, sink).await?;
        let rows = history::read(&mut conn, &ws.cfg.database.history_schema).await?;
        crate::db::close(conn).await;
        Ok::<_, Error>(rows)
    }
    .await;
    let project = loading
        .await
        .map_err(|e| Error::Internal(format!("reading the project's files: {e}")))??;
    let rows = rows?;
    let migrations = engine::status(&project, &history::fold(&rows));
    let pending = migrations
        .iter()
        .filter(|r| r.state == MigrationState::Pending)
        .count();
    let not_as_written = migrations
        .iter()
        .filter(|r| r.state != MigrationState::Applied)
        .count();
    Ok(StatusOutcome {
        database: target_label(&target),
        migrations,
        pending,
        not_as_written,
        exit_code,
    })
}
