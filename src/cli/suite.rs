//! `test`, `seed`, `reset`: validation suites and development data.

use super::Ctx;
use crate::config;
use crate::error::{Error, Result};
use crate::report::{self, Format};
use crate::seed::{self, SeedOptions};
use crate::validation::{self, RunOptions, ValidationError};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use std::path::Path;

fn target_label(target: &config::Target) -> String {
    match target {
        config::Target::Url { info, .. } => info.to_string(),
        config::Target::Local { .. } => "the local development database".to_string(),
    }
}

pub async fn test(ctx: &Ctx, pattern: Option<&str>, junit: Option<&Path>) -> Result<()> {
    let dir = ctx.cfg.validation_dir();
    // Every suite is parsed before anything runs: a malformed one stops the run.
    let files = validation::load(&ctx.cfg.root, &dir)?;
    let shown_dir = crate::project::display_path(&ctx.cfg.root, &dir);
    if files.is_empty() {
        ctx.note(&format!("No validation suites in {shown_dir}/."));
        return Ok(());
    }
    let selected = validation::select(&files, pattern);
    if selected.is_empty() {
        return Err(ValidationError::NoMatch {
            pattern: pattern.unwrap_or("").to_string(),
            suites: files.len(),
            tests: files.iter().map(|f| f.suite.tests.len()).sum(),
            dir: shown_dir,
        }
        .into());
    }
    let target = ctx.target()?;
    let mut conn = ctx.connect(&target).await?;
    let opts = RunOptions {
        auth: &ctx.cfg.auth,
        statement_timeout: ctx.cfg.database.statement_timeout.as_deref(),
        lock_timeout: ctx.cfg.database.lock_timeout.as_deref(),
        target: target_label(&target),
    };
    let result = validation::run(&mut conn, &selected, &opts).await?;
    crate::db::close(conn).await;
    if let Some(path) = junit {
        let xml = validation::junit::render(&result);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, &e))?;
        }
        std::fs::write(path, xml).map_err(|e| Error::io(path, &e))?;
    }
    match ctx.format {
        Format::Json => ctx.json(&result),
        Format::Text => ctx.out(&report::render_test_run(&result)),
    }
    if result.failed > 0 {
        Err(Error::Failed(String::new()))
    } else {
        Ok(())
    }
}

/// Loads the seeds on an open connection (shared by `seed` and `reset`).
async fn load_seeds(
    ctx: &Ctx,
    conn: &mut PgConnection,
    files: &[seed::SeedFile],
    force: bool,
) -> Result<seed::SeedReport> {
    let mut obs = report::SeedProgress::new(ctx.quiet);
    let opts = SeedOptions {
        history_schema: &ctx.cfg.database.history_schema,
        force,
        lock_wait: ctx.lock_wait,
    };
    Ok(seed::run(conn, &ctx.cfg.root, files, &opts, &mut obs).await?)
}

pub async fn seed(ctx: &Ctx, force: bool, yes: bool) -> Result<()> {
    let target = ctx.target()?;
    config::guard_protected(&target, "seed", yes, false)?;
    let dir = ctx.cfg.seeds_dir();
    let files = seed::discover(&ctx.cfg.root, &dir)?;
    if files.is_empty() {
        let shown = crate::project::display_path(&ctx.cfg.root, &dir);
        match ctx.format {
            Format::Json => ctx.json(&serde_json::json!({"loaded": false, "files": []})),
            Format::Text => ctx.out(&format!("No seed files in {shown}/.\n")),
        }
        return Ok(());
    }
    let mut conn = ctx.connect(&target).await?;
    let result = load_seeds(ctx, &mut conn, &files, force).await;
    crate::db::close(conn).await;
    let result = result?;
    match ctx.format {
        Format::Json => ctx.json(&result),
        Format::Text => ctx.out(&report::render_seed(&result)),
    }
    Ok(())
}

#[derive(Serialize)]
struct ResetReport {
    dropped: seed::reset::Dropped,
    up: serde_json::Value,
    seed: Option<seed::SeedReport>,
}

pub async fn reset(ctx: &Ctx, yes: bool) -> Result<()> {
    let target = ctx.target()?;
    config::guard_protected(&target, "reset", yes, true)?;
    // Read and check every file before dropping anything.
    let project = super::migrate::load_project(ctx)?;
    let seeds = seed::discover(&ctx.cfg.root, &ctx.cfg.seeds_dir())?;
    let mut conn = ctx.connect(&target).await?;
    let mut waiting = report::SeedProgress::new(ctx.quiet);
    let dropped = seed::reset::drop_managed(
        &mut conn,
        &ctx.cfg.database.schemas,
        &ctx.cfg.database.history_schema,
        ctx.lock_wait,
        |h| seed::SeedObserver::lock_waiting(&mut waiting, h),
    )
    .await;
    let dropped = match dropped {
        Ok(d) => d,
        Err(e) => {
            crate::db::close(conn).await;
            return Err(e.into());
        }
    };
    if ctx.format == Format::Text {
        ctx.out(&report::render_dropped(&dropped));
    }
    let up = super::migrate::run_up(ctx, &mut conn, &project, None, false).await;
    let up = match up {
        Ok(u) => u,
        Err(e) => {
            crate::db::close(conn).await;
            return Err(e);
        }
    };
    if ctx.format == Format::Text {
        ctx.out(&up.text());
    }
    let seeded = if seeds.is_empty() {
        None
    } else {
        Some(load_seeds(ctx, &mut conn, &seeds, true).await)
    };
    crate::db::close(conn).await;
    let seeded = seeded.transpose()?;
    match ctx.format {
        Format::Json => ctx.json(&ResetReport {
            dropped,
            up: up.json(),
            seed: seeded,
        }),
        Format::Text => match &seeded {
            Some(s) => ctx.out(&report::render_seed(s)),
            None => ctx.out("No seed files.\n"),
        },
    }
    Ok(())
}
