//! `strata down`: run rollbacks, newest first.

use super::{EngineEvents, Reach, Sink, Workspace};
use crate::config;
use crate::engine::{self, Direction, DownTarget, EngineError, RunMode};
use crate::error::{Error, Result};
use crate::history;
use crate::project::Migration;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct DownOptions {
    pub target: DownTarget,
    /// Plan only; change nothing (no lock, no history schema created).
    pub dry_run: bool,
    /// Confirmation on a protected environment or a server on another machine.
    pub yes: bool,
}

/// One migration rolled back (or that would be).
#[derive(Debug, Clone, Serialize)]
pub struct DownStep {
    pub version: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownOutcome {
    /// Versions rolled back, newest first (or that would be, on a dry run).
    pub rolled_back: Vec<String>,
    pub dry_run: bool,
    #[serde(skip)]
    pub steps: Vec<DownStep>,
}

pub async fn down(ws: &Workspace, opts: &DownOptions, sink: &mut dyn Sink) -> Result<DownOutcome> {
    let project = ws.load_project()?;
    let target = ws.target()?;
    if !opts.dry_run {
        config::guard_protected(&target, "down", opts.yes, false)?;
        let what = match opts.target {
            DownTarget::To(v) if v.0 == 0 => "roll back every applied migration".to_string(),
            DownTarget::To(v) => format!("roll back every migration above {v}"),
            DownTarget::Steps(n) => format!("roll back the last {n} migration(s)"),
        };
        ws.confirm_destructive(&target, Reach::RemoteHost, "down", what, opts.yes, sink)?;
        ws.announce(&target, "down", sink);
    }
    let mut conn = ws.connect(&target, sink).await?;
    let settings = ws.settings();
    let result = async {
        if opts.dry_run {
            let rows = history::read(&mut conn, &settings.history_schema).await?;
            let state = history::fold(&rows);
            let plan =
                engine::plan_down_steps(&project, &state, &history::last_ids(&rows), opts.target)
                    .map_err(|r| Error::refused(r, true))?;
            let steps: Vec<DownStep> = plan.iter().map(|s| step_of(s.migration)).collect();
            return Ok(DownOutcome {
                rolled_back: steps.iter().map(|s| s.version.clone()).collect(),
                dry_run: true,
                steps,
            });
        }
        // As in `up`: every rollback takes the lock in its own transaction and checks that its
        // history is still what this run planned from; when another run got there first, plan
        // again. A `--steps N` run counts what it rolled back.
        let mut done = Vec::new();
        let mut replans = 0;
        loop {
            let rows = engine::prepare(&mut conn, &settings, &mut EngineEvents(sink)).await?;
            let state = history::fold(&rows);
            let target = match opts.target {
                DownTarget::Steps(n) => DownTarget::Steps(n.saturating_sub(done.len())),
                t => t,
            };
            let plan = engine::plan_down_steps(&project, &state, &history::last_ids(&rows), target)
                .map_err(|r| Error::refused(r, true))?;
            let mode = RunMode {
                direction: Direction::Down,
                check_history: true,
                stop_for_new_session: false,
            };
            match engine::apply_steps(&mut conn, &plan, mode, &settings, &mut EngineEvents(sink))
                .await
            {
                Ok(a) => {
                    done.extend(a.done);
                    break;
                }
                Err(EngineError::Stale { .. }) if replans < 10_000 => replans += 1,
                Err(e) => return Err(e.into()),
            }
        }
        let steps: Vec<DownStep> = done
            .iter()
            .filter_map(|v| project.get(*v))
            .map(step_of)
            .collect();
        Ok(DownOutcome {
            rolled_back: done.iter().map(|v| v.to_string()).collect(),
            dry_run: false,
            steps,
        })
    }
    .await;
    crate::db::close(conn).await;
    result
}

fn step_of(m: &Migration) -> DownStep {
    DownStep {
        version: m.version.to_string(),
        name: m.name.clone(),
    }
}
