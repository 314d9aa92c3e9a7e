//! `strata lint [FILE...]`: judges the pending migrations (or the files named) by running each
//! on a shadow database built to the version before it (SPEC section 7). The live database is
//! only read, for its history, and only when no file is named: CI can lint the files of a pull
//! request with no database at all (the shadow goes to the local server or `--shadow-url`).

use super::{Sink, Workspace};
use crate::engine::{self, MigrationState};
use crate::error::{Error, Result, UsageError};
use crate::history;
use crate::lint::{self, LintConfig, LintOutcome, Plan};
use crate::project::{Project, Version};
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Migration files to judge (default: every pending migration of the target database).
    pub files: Vec<PathBuf>,
    /// Server for the shadow databases (default: the project's local server).
    pub shadow_url: Option<String>,
}

pub async fn lint(ws: &Workspace, opts: &LintOptions, sink: &mut dyn Sink) -> Result<LintOutcome> {
    let project = ws.load_project()?;
    let targets = if opts.files.is_empty() {
        pending(ws, &project, sink).await?
    } else {
        named(ws, &project, &opts.files)?
    };
    if targets.is_empty() {
        return Ok(LintOutcome::new(Vec::new()));
    }
    let policies = ws.load_policies()?;
    let server = ws.shadow_server(opts.shadow_url.as_deref(), sink)?;
    let settings = ws.settings();
    let plan = Plan {
        project: &project,
        targets: &targets,
        auth: &ws.cfg.auth,
        settings: &settings,
        root: &ws.cfg.root,
    };
    let cfg = LintConfig::from_config(&ws.cfg, &policies);
    let outcome = lint::lint_migrations(&server, &plan, &cfg).await?;
    for (phase, elapsed) in &outcome.timings {
        sink.event(&super::Event::Timing {
            phase: format!("lint: {phase}"),
            elapsed: *elapsed,
        });
    }
    Ok(outcome)
}

/// The migrations the target database has not applied.
async fn pending(ws: &Workspace, project: &Project, sink: &mut dyn Sink) -> Result<Vec<Version>> {
    let target = ws.target()?;
    let mut conn = ws.connect(&target, sink).await?;
    let rows = history::read(&mut conn, &ws.cfg.database.history_schema).await;
    crate::db::close(conn).await;
    let rows = rows?;
    Ok(
        engine::status(project, &engine::squash::recorded(project, &rows))
            .into_iter()
            .filter(|r| r.state == MigrationState::Pending)
            .filter_map(|r| r.version.parse::<Version>().ok())
            .collect(),
    )
}

/// The migrations of the named files; a file that is not one of the project's migrations is a
/// usage error.
fn named(ws: &Workspace, project: &Project, files: &[PathBuf]) -> Result<Vec<Version>> {
    let mut out = Vec::new();
    for f in files {
        let found = std::fs::canonicalize(f).ok().and_then(|path| {
            project
                .migrations
                .iter()
                .find(|m| std::fs::canonicalize(&m.file.path).is_ok_and(|p| p == path))
        });
        match found {
            Some(m) => out.push(m.version),
            None => {
                return Err(Error::Usage(UsageError::NotAMigration {
                    path: f.display().to_string(),
                    dir: ws.display(&ws.cfg.migrations_dir()),
                }))
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
