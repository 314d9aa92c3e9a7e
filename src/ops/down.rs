//! `strata down`: run rollbacks, newest first.

use super::{EngineEvents, Reach, Sink, Workspace};
use crate::config;
use crate::engine::{self, DownTarget};
use crate::error::{Error, Result};
use crate::history;
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
        let rows = if opts.dry_run {
            history::read(&mut conn, &settings.history_schema).await?
        } else {
            engine::prepare(&mut conn, &settings, &mut EngineEvents(sink)).await?
        };
        let state = history::fold(&rows);
        let plan = engine::plan_down(&project, &state, opts.target)
            .map_err(|r| Error::refused(r, true))?;
        let steps: Vec<DownStep> = plan
            .iter()
            .map(|m| DownStep {
                version: m.version.to_string(),
                name: m.name.clone(),
            })
            .collect();
        if opts.dry_run {
            return Ok(DownOutcome {
                rolled_back: steps.iter().map(|s| s.version.clone()).collect(),
                dry_run: true,
                steps,
            });
        }
        let done = engine::apply_down(&mut conn, &plan, &settings, &mut EngineEvents(sink)).await?;
        Ok(DownOutcome {
            rolled_back: done.iter().map(|v| v.to_string()).collect(),
            dry_run: false,
            steps: steps.into_iter().take(done.len()).collect(),
        })
    }
    .await;
    crate::db::close(conn).await;
    result
}
