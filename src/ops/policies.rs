//! `strata policies apply`, and the convergence of `policies/` at the end of `up`.

use super::{EngineEvents, Event, Note, Sink, Workspace};
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
///
/// The real run installs the auth shim when the files need it; a dry run must plan against the
/// same database, so it installs the shim inside its own transaction, which is rolled back.
pub(crate) async fn converge(
    ws: &Workspace,
    conn: &mut PgConnection,
    prune: bool,
    dry_run: bool,
    sink: &mut dyn Sink,
) -> Result<Option<ConvergeReport>> {
    let files = policy::load(&ws.cfg.root, &ws.cfg.policies_dir())?;
    if files.is_empty() {
        return Ok(None);
    }
    let texts = files.iter().map(|f| f.text.as_str());
    let mut prelude = None;
    if !dry_run {
        crate::auth::ensure_shim(conn, &ws.cfg.auth, texts).await?;
    } else if shim_missing(conn, &ws.cfg.auth, texts).await? {
        sink.event(&Event::Note(Note::DryRunWithShim));
        prelude = Some(crate::auth::SHIM_SQL);
    }
    let r = policy::converge(
        conn,
        &files,
        &ws.cfg.database.schemas,
        &ws.excluded_schemas(),
        prune,
        dry_run,
        prelude,
    )
    .await?;
    Ok(Some(r))
}

/// Whether the real run would install the auth shim (the condition of `auth::ensure_shim`).
async fn shim_missing<'a>(
    conn: &mut PgConnection,
    auth: &crate::config::Auth,
    mut texts: impl Iterator<Item = &'a str>,
) -> Result<bool> {
    if !auth.shim || auth.model != crate::config::AuthModel::Supabase {
        return Ok(false);
    }
    let present: bool = sqlx::query_scalar("SELECT to_regnamespace('auth') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| crate::db::DbError::query("looking for schema auth", &e))?;
    Ok(!present && texts.any(crate::auth::refers_to_supabase_auth))
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
    if !opts.dry_run {
        ws.announce(&target, "policies apply", sink);
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
        converge(ws, &mut conn, opts.prune, opts.dry_run, sink).await
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
