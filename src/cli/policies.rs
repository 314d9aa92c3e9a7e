//! `strata policies apply`, and the convergence step at the end of `up`.

use super::Ctx;
use crate::config;
use crate::error::{Error, Result};
use crate::policy::{self, ConvergeReport};
use crate::report::{self, Format};
use sqlx::postgres::PgConnection;

/// Converges `policies/` on an open, locked connection. `None` when there is no policies/ file.
pub async fn converge(
    ctx: &Ctx,
    conn: &mut PgConnection,
    prune: bool,
    dry_run: bool,
) -> Result<Option<ConvergeReport>> {
    let files = policy::load(&ctx.cfg.root, &ctx.cfg.policies_dir())?;
    if files.is_empty() {
        return Ok(None);
    }
    if !dry_run {
        let texts = files.iter().map(|f| f.text.as_str());
        crate::auth::ensure_shim(conn, &ctx.cfg.auth, texts).await?;
    }
    let exclude = vec![ctx.cfg.database.history_schema.clone()];
    let r = policy::converge(
        conn,
        &files,
        &ctx.cfg.database.schemas,
        &exclude,
        prune,
        dry_run,
    )
    .await?;
    Ok(Some(r))
}

/// The plan as text.
pub fn render_plan(r: &ConvergeReport) -> String {
    if r.changes.is_empty() {
        return format!(
            "policies: 0 changes; the database matches policies/ ({} file(s))\n",
            r.files
        );
    }
    let rows = r
        .changes
        .iter()
        .map(|c| vec![c.kind.clone(), c.object.clone(), c.change.clone()])
        .collect();
    let mut out = format!("policies: {} change(s)\n", r.changes.len());
    out.push_str(&report::table(&["kind", "object", "change"], rows));
    out.push_str(if r.applied {
        "Applied in one transaction.\n"
    } else {
        "Dry run: nothing was changed.\n"
    });
    out
}

pub async fn apply(ctx: &Ctx, dry_run: bool, prune: bool, yes: bool) -> Result<()> {
    let target = ctx.target()?;
    if prune && !dry_run {
        config::guard_protected(&target, "policies apply --prune", yes, false)?;
    }
    let mut conn = ctx.connect(&target).await?;
    let key = crate::db::lock_key(&ctx.cfg.database.history_schema);
    let mut obs = report::ProgressObserver::new(ctx.quiet);
    crate::db::lock(&mut conn, key, ctx.lock_wait, |h| {
        crate::engine::Observer::event(&mut obs, &crate::engine::Event::LockWaiting(h.cloned()))
    })
    .await?;
    let r = converge(ctx, &mut conn, prune, dry_run).await?;
    crate::db::close(conn).await;
    let r = match r {
        Some(r) => r,
        None => {
            return Err(Error::Usage(format!(
                "no .sql files in {}: nothing declares policies",
                ctx.cfg.policies_dir().display()
            )))
        }
    };
    match ctx.format {
        Format::Json => ctx.json(&r),
        Format::Text => ctx.out(&render_plan(&r)),
    }
    Ok(())
}
