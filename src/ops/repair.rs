//! `strata baseline V` and `strata repair`: history changes that run no migration. Both leave
//! a history entry saying what they changed.

use super::{EngineEvents, Sink, Workspace};
use crate::engine::{self, RepairAction};
use crate::error::Result;
use crate::history;
use crate::project::Version;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct BaselineOutcome {
    pub version: String,
    /// Versions marked as applied without running them.
    pub marked: Vec<String>,
}

pub async fn baseline(
    ws: &Workspace,
    version: Version,
    sink: &mut dyn Sink,
) -> Result<BaselineOutcome> {
    let project = ws.load_project()?;
    let target = ws.target()?;
    ws.announce(&target, "baseline", sink);
    let mut conn = ws.connect(&target, sink).await?;
    let settings = ws.settings();
    let result = async {
        let rows = engine::prepare(&mut conn, &settings, &mut EngineEvents(sink)).await?;
        let marked = engine::baseline(&mut conn, &project, &rows, version, &settings).await??;
        Ok(BaselineOutcome {
            version: version.to_string(),
            marked: marked.iter().map(|v| v.to_string()).collect(),
        })
    }
    .await;
    crate::db::close(conn).await;
    result
}

#[derive(Debug, Clone, Serialize)]
pub struct RepairOutcome {
    pub actions: Vec<RepairAction>,
}

/// What `repair` is asked to do beyond its default (accept checksums, clear old failed entries).
#[derive(Debug, Clone, Default)]
pub struct RepairOptions {
    /// `--forget V`: applied migrations whose files were deleted on purpose.
    pub forget: Vec<Version>,
    /// `--resume-after V:K`: statements 1–K of a stopped no-transaction file are committed.
    pub resume_after: Option<(Version, usize)>,
}

pub async fn repair(
    ws: &Workspace,
    opts: &RepairOptions,
    sink: &mut dyn Sink,
) -> Result<RepairOutcome> {
    let project = ws.load_project()?;
    let target = ws.target()?;
    ws.announce(&target, "repair", sink);
    let mut conn = ws.connect(&target, sink).await?;
    let settings = ws.settings();
    let result = async {
        let mut rows = engine::prepare(&mut conn, &settings, &mut EngineEvents(sink)).await?;
        if opts.forget.is_empty() && opts.resume_after.is_none() {
            let actions = engine::repair(&mut conn, &project, &rows, &settings).await?;
            return Ok(RepairOutcome { actions });
        }
        let mut actions = Vec::new();
        for v in &opts.forget {
            actions.push(engine::forget(&mut conn, &project, &rows, *v, &settings).await??);
            rows = history::read(&mut conn, &settings.history_schema).await?;
        }
        if let Some((v, k)) = opts.resume_after {
            actions.push(engine::resume_after(&mut conn, &project, &rows, v, k, &settings).await??);
        }
        Ok(RepairOutcome { actions })
    }
    .await;
    crate::db::close(conn).await;
    result
}
