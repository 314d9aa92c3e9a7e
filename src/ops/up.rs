//! `strata up`: apply pending migrations in order, then converge `policies/`.

use super::{EngineEvents, Event, Sink, Workspace};
use crate::config::Target;
use crate::engine::{self, Direction, EngineError, RunMode};
use crate::error::{Error, Result};
use crate::history::{self, Recorded};
use crate::policy::ConvergeReport;
use crate::project::{Project, SourceFile, Version};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// Stop after this version.
    pub to: Option<Version>,
    /// Plan only; change nothing.
    pub dry_run: bool,
    /// Apply pending migrations older than the newest applied one.
    pub out_of_order: bool,
}

/// One migration a dry run would apply.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub version: String,
    pub name: String,
    pub file: String,
    pub transactional: bool,
    /// A no-transaction migration that stopped midway: continues after this statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continues_after: Option<usize>,
}

/// What `up` did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct UpOutcome {
    /// Versions applied (or that would be, on a dry run).
    pub applied: Vec<String>,
    pub up_to_date: bool,
    pub dry_run: bool,
    /// The convergence of `policies/` that followed, when configured and present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<ConvergeReport>,
    /// Dry run: the steps in order.
    #[serde(skip)]
    pub plan: Vec<PlannedStep>,
    /// Migrations applied in all after this run.
    #[serde(skip)]
    pub total: usize,
    #[serde(skip)]
    pub elapsed: Duration,
}

/// `policies/` when `up` converges it (`apply_on_up`), read and checked before any migration
/// runs: a broken file is reported before migrations commit, and the files checked are the ones
/// applied after them (read once).
pub(crate) fn policies_for_up(ws: &Workspace) -> Result<Option<Vec<SourceFile>>> {
    if !ws.cfg.policies.apply_on_up {
        return Ok(None);
    }
    let files = ws.load_policies()?;
    crate::policy::check(&files)?;
    Ok(Some(files))
}

pub async fn up(ws: &Workspace, opts: &UpOptions, sink: &mut dyn Sink) -> Result<UpOutcome> {
    let project = ws.load_project()?;
    let policies = policies_for_up(ws)?;
    let target = ws.target()?;
    if !opts.dry_run {
        ws.announce(&target, "up", sink);
    }
    let mut conn = ws.connect(&target, sink).await?;
    let result = if opts.dry_run {
        plan(ws, &mut conn, &project, opts).await
    } else {
        let policies = policies.as_deref();
        apply(ws, &target, &mut conn, &project, policies, opts, sink).await
    };
    crate::db::close(conn).await;
    result
}

/// A dry run: reads the history (no lock, nothing created) and checks the files to run, so it
/// finds what a real run would refuse.
async fn plan(
    ws: &Workspace,
    conn: &mut PgConnection,
    project: &Project,
    opts: &UpOptions,
) -> Result<UpOutcome> {
    let rows = history::read(conn, &ws.cfg.database.history_schema).await?;
    let state = engine::squash::recorded(project, &rows);
    let steps = engine::plan_up_steps(
        project,
        &state,
        &history::last_ids(&rows),
        opts.to,
        opts.out_of_order,
    )
    .map_err(|r| Error::refused(r, false))?;
    engine::analyze_all(
        steps
            .iter()
            .map(|s| (&s.migration.file, &s.migration.directives)),
    )?;
    Ok(UpOutcome {
        applied: steps
            .iter()
            .map(|s| s.migration.version.to_string())
            .collect(),
        up_to_date: steps.is_empty(),
        dry_run: true,
        policies: None,
        plan: steps
            .iter()
            .map(|s| PlannedStep {
                version: s.migration.version.to_string(),
                name: s.migration.name.clone(),
                file: s.migration.file.display.clone(),
                transactional: s.migration.directives.transactional,
                continues_after: s.resume.map(|r| r.committed),
            })
            .collect(),
        total: applied_count(&state),
        elapsed: Duration::ZERO,
    })
}

fn applied_count(state: &std::collections::BTreeMap<Version, Recorded>) -> usize {
    state
        .values()
        .filter(|r| matches!(r, Recorded::Applied { .. }))
        .count()
}

/// How many times a run plans again because another run changed the history meanwhile (each
/// time, that run made progress, so this bounds nothing a real project reaches).
const MAX_REPLANS: usize = 10_000;

/// The part of `up` that changes the database, shared with `reset`: read the history, plan,
/// install the auth shim when needed, apply, converge `policies` (read by [`policies_for_up`]). Every migration takes the run
/// lock in its own transaction and checks that its history is what this run planned from; when
/// another run got there first, this one reads the history again and plans the rest. After a
/// migration that changes settings for new sessions, it continues on a new connection.
pub(crate) async fn apply(
    ws: &Workspace,
    target: &Target,
    conn: &mut PgConnection,
    project: &Project,
    policies: Option<&[SourceFile]>,
    opts: &UpOptions,
    sink: &mut dyn Sink,
) -> Result<UpOutcome> {
    let mut settings = ws.settings();
    let started = std::time::Instant::now();
    let mut applied = Vec::new();
    let mut shim_checked = false;
    let mut replans = 0;
    let total = loop {
        let rows = engine::prepare(conn, &settings, &mut EngineEvents(sink)).await?;
        let state = engine::squash::recorded(project, &rows);
        let steps = engine::plan_up_steps(
            project,
            &state,
            &history::last_ids(&rows),
            opts.to,
            opts.out_of_order,
        )
        .map_err(|r| Error::refused(r, false))?;
        if !steps.is_empty() && !shim_checked {
            shim_checked = true;
            let texts = steps.iter().map(|s| s.migration.file.text.as_str());
            if let Some(report) = crate::auth::ensure_shim(conn, &ws.cfg.auth, texts).await? {
                // The database's new search_path reaches new sessions only; this run's
                // migrations get it per transaction.
                settings.search_path = report.search_path.clone();
                sink.event(&Event::Engine(engine::Event::ShimInstalled(report)));
            }
        }
        let mode = RunMode {
            direction: Direction::Up,
            check_history: true,
            stop_for_new_session: true,
        };
        match engine::apply_steps(conn, &steps, mode, &settings, &mut EngineEvents(sink)).await {
            Ok(a) => {
                let in_all = applied_count(&state) + a.done.len();
                applied.extend(a.done);
                if a.new_session {
                    // ALTER DATABASE/ROLE … SET: the next migrations see it only in a new session,
                    // which also has the shim's search_path (a database setting too): from here
                    // on the database's own settings rule, not a path strata sets per transaction.
                    settings.search_path = None;
                    let fresh = ws.connect(target, sink).await?;
                    let old = std::mem::replace(conn, fresh);
                    crate::db::close(old).await;
                    continue;
                }
                break in_all;
            }
            Err(EngineError::Stale { .. }) if replans < MAX_REPLANS => {
                replans += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let elapsed = started.elapsed();
    let policies = match policies {
        Some(files) => super::policies::converge(ws, conn, files, false, false, sink).await?,
        None => None,
    };
    Ok(UpOutcome {
        up_to_date: applied.is_empty(),
        total,
        applied: applied.iter().map(|v| v.to_string()).collect(),
        dry_run: false,
        policies,
        plan: Vec::new(),
        elapsed,
    })
}
