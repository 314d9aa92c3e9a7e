//! `strata up`: apply pending migrations in order, then converge `policies/`.

use super::{EngineEvents, Event, Sink, Workspace};
use crate::engine;
use crate::error::{Error, Result};
use crate::history;
use crate::policy::ConvergeReport;
use crate::project::{Project, Version};
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

pub async fn up(ws: &Workspace, opts: &UpOptions, sink: &mut dyn Sink) -> Result<UpOutcome> {
    let project = ws.load_project()?;
    let target = ws.target()?;
    let mut conn = ws.connect(&target, sink).await?;
    let result = if opts.dry_run {
        plan(ws, &mut conn, &project, opts).await
    } else {
        apply(ws, &mut conn, &project, opts, sink).await
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
    let state = history::fold(&rows);
    let steps =
        engine::plan_up(project, &state, opts.to, opts.out_of_order).map_err(Error::Refused)?;
    engine::analyze_all(steps.iter().map(|m| (&m.file, &m.directives)))?;
    Ok(UpOutcome {
        applied: steps.iter().map(|m| m.version.to_string()).collect(),
        up_to_date: steps.is_empty(),
        dry_run: true,
        policies: None,
        plan: steps
            .iter()
            .map(|m| PlannedStep {
                version: m.version.to_string(),
                name: m.name.clone(),
                file: m.file.display.clone(),
                transactional: m.directives.transactional,
            })
            .collect(),
        total: state.len(),
        elapsed: Duration::ZERO,
    })
}

/// The part of `up` that changes the database, shared with `reset`: take the run lock, read
/// the history, plan, install the auth shim when needed, apply, converge policies.
pub(crate) async fn apply(
    ws: &Workspace,
    conn: &mut PgConnection,
    project: &Project,
    opts: &UpOptions,
    sink: &mut dyn Sink,
) -> Result<UpOutcome> {
    let mut settings = ws.settings();
    let rows = engine::prepare(conn, &settings, &mut EngineEvents(sink)).await?;
    let state = history::fold(&rows);
    let steps =
        engine::plan_up(project, &state, opts.to, opts.out_of_order).map_err(Error::Refused)?;
    if !steps.is_empty() {
        let texts = steps.iter().map(|m| m.file.text.as_str());
        if let Some(report) = crate::auth::ensure_shim(conn, &ws.cfg.auth, texts).await? {
            // The database's new search_path reaches new sessions only; this run's migrations
            // get it per transaction.
            settings.search_path = report.search_path.clone();
            sink.event(&Event::Engine(engine::Event::ShimInstalled(report)));
        }
    }
    let started = std::time::Instant::now();
    let applied = engine::apply_up(conn, &steps, &settings, &mut EngineEvents(sink)).await?;
    let elapsed = started.elapsed();
    let policies = if ws.cfg.policies.apply_on_up {
        super::policies::converge(ws, conn, false, false).await?
    } else {
        None
    };
    Ok(UpOutcome {
        up_to_date: applied.is_empty(),
        total: state.len() + applied.len(),
        applied: applied.iter().map(|v| v.to_string()).collect(),
        dry_run: false,
        policies,
        plan: Vec::new(),
        elapsed,
    })
}
