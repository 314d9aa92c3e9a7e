//! `strata baseline V` and `strata repair`: history changes that run no migration. Both leave
//! a history entry saying what they changed.

use super::{EngineEvents, Sink, Workspace};
use crate::engine::{self, RepairAction};
use crate::error::Result;
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

pub async fn repair(ws: &Workspace, sink: &mut dyn Sink) -> Result<RepairOutcome> {
    let project = ws.load_project()?;
    let target = ws.target()?;
    ws.announce(&target, "repair", sink);
    let mut conn = ws.connect(&target, sink).await?;
    let settings = ws.settings();
    let result = async {
        let rows = engine::prepare(&mut conn, &settings, &mut EngineEvents(sink)).await?;
        let actions = engine::repair(&mut conn, &project, &rows, &settings).await?;
        Ok(RepairOutcome { actions })
    }
    .await;
    crate::db::close(conn).await;
    result
}
