//! `strata reset`: drop what strata manages, then `up` and `seed` (development only).

use super::up::{UpOptions, UpOutcome};
use super::{Event, Reach, SeedEvent, Sink, Workspace};
use crate::config;
use crate::error::Result;
use crate::seed::{self, reset::Dropped, SeedReport};
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default)]
pub struct ResetOptions {
    /// Confirmation on any database but the local development one (reset still never runs on a
    /// protected environment).
    pub yes: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResetOutcome {
    pub dropped: Dropped,
    pub up: UpOutcome,
    pub seed: Option<SeedReport>,
}

pub async fn reset(
    ws: &Workspace,
    opts: &ResetOptions,
    sink: &mut dyn Sink,
) -> Result<ResetOutcome> {
    let target = ws.target()?;
    config::guard_protected(&target, "reset", opts.yes, true)?;
    // Read and check every file before dropping anything.
    let project = ws.load_project()?;
    let seeds = seed::discover(&ws.cfg.root, &ws.seeds_dir()?)?;
    // Before anything is dropped: a broken policies/ file stops the reset here.
    let policies = super::up::policies_for_up(ws)?;
    ws.confirm_destructive(
        &target,
        Reach::AnyUrl,
        "reset",
        format!(
            "drop everything strata manages in schemas {} (tables, data, functions, policies) and its history, then run up and seed",
            ws.cfg.database.schemas.join(", ")
        ),
        opts.yes,
        sink,
    )?;
    ws.announce(&target, "reset", sink);
    let mut conn = ws.connect(&target, sink).await?;
    let result = async {
        let dropped = seed::reset::drop_managed(
            &mut conn,
            &ws.cfg.database.schemas,
            &ws.cfg.database.history_schema,
            ws.lock_wait,
            |h| sink.event(&Event::Seed(SeedEvent::LockWaiting(h.cloned()))),
        )
        .await?;
        let up = super::up::apply(
            ws,
            &target,
            &mut conn,
            &project,
            policies.as_deref(),
            &UpOptions::default(),
            sink,
        )
        .await?;
        let seed = if seeds.is_empty() {
            None
        } else {
            Some(super::seed::load(ws, &mut conn, &seeds, true, sink).await?)
        };
        Ok(ResetOutcome { dropped, up, seed })
    }
    .await;
    crate::db::close(conn).await;
    result
}
