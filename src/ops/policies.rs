//! `strata policies apply`, and the convergence of `policies/` at the end of `up`.

use super::{EngineEvents, Sink, Workspace};
use crate::config;
use crate::error::{Result, UsageError};
use crate::policy::{self, ConvergeReport};
use sqlx::postgres::PgConnection;

#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Show the plan; change nothing.
    pub dry_run: bool,
    /// Also drop policies and triggers on managed tables that no file declares.
    pub prune: bool,
    /// Confirmation of `--prune` on a protected environment.
    pub yes: bool,
}

/// Converges `policies/` on an open, locked connection. `None` when there is no policies/ file.
pub(crate) async fn converge(
    ws: &Workspace,
    conn: &mut PgConnection,
    prune: bool,
    dry_run: bool,
) -> Result<Option<ConvergeReport>> {
    let files = policy::load(&ws.cfg.root, &ws.policies_dir()?)?;
    if files.is_empty() {
        return Ok(None);
    }
    if !dry_run {
        let texts = files.iter().map(|f| f.text.as_str());
        crate::auth::ensure_shim(conn, &ws.cfg.auth, texts).await?;
    }
    let r = policy::converge(
        conn,
        &files,
        &ws.cfg.database.schemas,
        &ws.excluded_schemas(),
        prune,
        dry_run,
    )
    .await?;
    Ok(Some(r))
}

/// `strata policies apply`: converge in one transaction under the run lock.
pub async fn apply(
    ws: &Workspace,
    opts: &ApplyOptions,
    sink: &mut dyn Sink,
) -> Result<ConvergeReport> {
    let target = ws.target()?;
    if opts.prune && !opts.dry_run {
        config::guard_protected(&target, "policies apply --prune", opts.yes, false)?;
    }
    let mut conn = ws.connect(&target, sink).await?;
    let result = async {
        let key = crate::db::lock_key(&ws.cfg.database.history_schema);
        let mut events = EngineEvents(sink);
        crate::db::lock(&mut conn, key, ws.lock_wait, |h| {
            crate::engine::Observer::event(
                &mut events,
                &crate::engine::Event::LockWaiting(h.cloned()),
            )
        })
        .await?;
        converge(ws, &mut conn, opts.prune, opts.dry_run).await
    }
    .await;
    crate::db::close(conn).await;
    result?.ok_or_else(|| {
        UsageError::NoPolicyFiles {
            dir: ws.cfg.policies_dir().display().to_string(),
        }
        .into()
    })
}
