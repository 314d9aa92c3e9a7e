//! `strata status`: every migration and its state.

use super::{target_label, Event, Sink, Workspace};
use crate::engine::{self, MigrationState, StatusRow};
use crate::error::{Error, Result};
use crate::{history, project};
use serde::Serialize;
use std::time::{Duration, Instant};

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
    // The rollbacks are named, not read: status reports whether each migration has one (a
    // rollback's contents are read by the commands that run or check it), and reads one only
    // when a partial state is about it, below.
    let (root2, mig2, rb2) = (root.clone(), mig.clone(), rb.clone());
    let loading = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let project = project::load_with(&root, &mig, &rb, project::Rollbacks::Named);
        (project, started.elapsed())
    });
    let mut phases: Vec<(String, Duration)> = Vec::new();
    let rows = async {
        let started = Instant::now();
        let mut conn = ws.connect(&target, sink).await?;
        phases.push(("connected".into(), started.elapsed()));
        let started = Instant::now();
        let rows = history::read(&mut conn, &ws.cfg.database.history_schema).await?;
        phases.push((
            format!("read the history ({} rows)", rows.len()),
            started.elapsed(),
        ));
        crate::db::close(conn).await;
        Ok::<_, Error>(rows)
    }
    .await;
    let (project, loaded) = loading
        .await
        .map_err(|e| Error::Internal(format!("reading the project's files: {e}")))?;
    let project = project?;
    phases.push((
        format!(
            "read and hashed the project's files ({} migrations, alongside the above)",
            project.migrations.len()
        ),
        loaded,
    ));
    let rows = rows?;
    let started = Instant::now();
    let mut recorded = engine::squash::recorded(&project, &rows);
    let mut project = project;
    let rollback_stopped = recorded
        .values()
        .any(|r| matches!(r, history::Recorded::Partial(p) if p.way == history::Way::Rollback));
    if rollback_stopped {
        // A rollback stopped midway: its row names the statement it stopped at, from the file.
        project = project::load(&root2, &mig2, &rb2)?;
        recorded = engine::squash::recorded(&project, &rows);
    }
    let migrations = engine::status(&project, &recorded);
    phases.push(("compared files and history".into(), started.elapsed()));
    for (phase, elapsed) in phases {
        sink.event(&Event::Timing { phase, elapsed });
    }
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
