//! `strata seed`: load `seeds/` (SQL in name order, CSV with COPY) in one transaction.

use super::{Event, Reach, SeedEvent, Sink, Workspace};
use crate::config;
use crate::db::LockHolder;
use crate::error::Result;
use crate::seed::{self, SeedFile, SeedObserver, SeedOptions, SeedReport};
use sqlx::postgres::PgConnection;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Default)]
pub struct SeedOpts {
    /// Load even when every seed is unchanged since the last load.
    pub force: bool,
    /// Confirmation on a protected environment or a server on another machine.
    pub yes: bool,
}

#[derive(Debug, Clone)]
pub enum SeedOutcome {
    /// No seed files.
    NoSeeds {
        dir: String,
    },
    Loaded(SeedReport),
}

/// Hands the seed loader's events to a sink.
struct SeedEvents<'a>(&'a mut dyn Sink);

impl SeedObserver for SeedEvents<'_> {
    fn lock_waiting(&mut self, holder: Option<&LockHolder>) {
        self.0
            .event(&Event::Seed(SeedEvent::LockWaiting(holder.cloned())));
    }
    fn file_started(&mut self, file: &SeedFile) {
        self.0.event(&Event::Seed(SeedEvent::FileStarted {
            display: file.display.clone(),
            bytes: file.size,
            csv: matches!(file.kind, seed::SeedKind::Csv { .. }),
        }));
    }
    fn progress(&mut self, bytes: u64) {
        self.0.event(&Event::Seed(SeedEvent::Progress { bytes }));
    }
    fn file_finished(&mut self, file: &SeedFile, rows: u64, elapsed: Duration) {
        self.0.event(&Event::Seed(SeedEvent::FileFinished {
            display: file.display.clone(),
            rows,
            elapsed,
        }));
    }
}

/// Loads the seeds on an open connection (shared by `seed` and `reset`).
pub(crate) async fn load(
    ws: &Workspace,
    conn: &mut PgConnection,
    files: &[SeedFile],
    force: bool,
    sink: &mut dyn Sink,
) -> Result<SeedReport> {
    let opts = SeedOptions {
        history_schema: &ws.cfg.database.history_schema,
        force,
        lock_wait: ws.lock_wait,
    };
    Ok(seed::run(conn, &ws.cfg.root, files, &opts, &mut SeedEvents(sink)).await?)
}

pub async fn seed(ws: &Workspace, opts: &SeedOpts, sink: &mut dyn Sink) -> Result<SeedOutcome> {
    let target = ws.target()?;
    config::guard_protected(&target, "seed", opts.yes, false)?;
    let dir = ws.seeds_dir()?;
    let files = seed::discover(&ws.cfg.root, &dir)?;
    if files.is_empty() {
        return Ok(SeedOutcome::NoSeeds {
            dir: ws.display(&dir),
        });
    }
    ws.confirm_destructive(
        &target,
        Reach::RemoteHost,
        "seed",
        "replace the rows of the seeded tables with the files in seeds/".to_string(),
        opts.yes,
        sink,
    )?;
    ws.announce(&target, "seed", sink);
    let mut conn = ws.connect(&target, sink).await?;
    let result = load(ws, &mut conn, &files, opts.force, sink).await;
    crate::db::close(conn).await;
    Ok(SeedOutcome::Loaded(result?))
}
