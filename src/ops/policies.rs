//! `strata policies apply`, and the convergence of `policies/` at the end of `up`.

use super::{Event, Note, Sink, Workspace};
use crate::config;
use crate::error::{Result, UsageError};
use crate::policy::{self, ConvergeReport};
use crate::project::SourceFile;
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
    files: &[SourceFile],
    prune: bool,
    dry_run: bool,
    sink: &mut dyn Sink,
) -> Result<Option<ConvergeReport>> {
    if files.is_empty() {
        return Ok(None);
    }
    let texts = files.iter().map(|f| f.text.as_str());
    let mut prelude = None;
    if !dry_run {
        crate::auth::ensure_shim(conn, &ws.cfg.auth, texts).await?;
    } else if let Some(sql_text) = shim_prelude(conn, &ws.cfg.auth, texts).await? {
        sink.event(&Event::Note(Note::DryRunWithShim));
        prelude = Some(sql_text);
    }
    let lock = policy::RunLock {
        key: crate::db::lock_key(&ws.cfg.database.history_schema),
        wait: ws.lock_wait,
    };
    let r = policy::converge(
        conn,
        files,
        &ws.cfg.database.schemas,
        &ws.excluded_schemas(),
        policy::ConvergeMode {
            prune,
            dry_run,
            lock: Some(lock),
            prelude: prelude.as_deref(),
        },
    )
    .await?;
    Ok(Some(r))
}

/// The SQL of the shim parts the real run would install first (the decision of
/// `auth::ensure_shim`), for the dry run to run inside its own transaction.
async fn shim_prelude<'a>(
    conn: &mut PgConnection,
    auth: &crate::config::Auth,
    texts: impl Iterator<Item = &'a str>,
) -> Result<Option<String>> {
    use crate::auth::{detect, shim};
    if auth.model != crate::config::AuthModel::Supabase || !auth.shim.any() {
        return Ok(None);
    }
    let usage = detect::usage_of(texts);
    if !usage.any() {
        return Ok(None);
    }
    let present = shim::present(conn).await?;
    let parts = shim::plan(auth.model, &auth.shim, &usage, &present);
    if parts.is_empty() {
        return Ok(None);
    }
    let sql_text: Vec<&str> = parts.iter().map(|p| shim::sql(*p)).collect();
    Ok(Some(sql_text.join("\n;\n")))
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
    let files = ws.load_policies()?;
    let mut conn = ws.connect(&target, sink).await?;
    // The convergence takes the run lock in its own transaction.
    let result = converge(ws, &mut conn, &files, opts.prune, opts.dry_run, sink).await;
    crate::db::close(conn).await;
    result?.ok_or_else(|| {
        UsageError::NoPolicyFiles {
            dir: ws.cfg.policies_dir().display().to_string(),
        }
        .into()
    })
}
