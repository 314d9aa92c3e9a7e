//! What the authoring commands share (`diff --new-migration`, `pull`, `squash`, and `new` for
//! file names): where the next migration and its rollback go in the project's layout, a
//! migration held in memory before it is written, and the proof of a migration and its
//! rollback on a shadow database.
//!
//! Owns: file placement and the shadow proof. Must not: print, or write a file before its proof
//! converged (the callers write only after [`prove`] says [`Proof::Converged`]).

use crate::catalog::{self, Catalog};
use crate::config::{Auth, ConnInfo};
use crate::db;
use crate::diff::{self, Change};
use crate::engine::{self, EngineError, Settings};
use crate::error::{Error, Result};
use crate::project::{
    self, Checksum, Migration, NameStyle, Project, Rollback, SourceFile, Version,
};
use crate::shadow::{self, ShadowError};
use serde::Serialize;
use std::path::{Path, PathBuf};

use super::Workspace;

/// A migration and its rollback as they will be written.
#[derive(Debug, Clone)]
pub struct Files {
    /// The version as written in the file name (zero-padding kept).
    pub version: String,
    pub migration: PathBuf,
    pub rollback: PathBuf,
}

/// The project's layout, from its newest migration (none: `migrations/` + `rollbacks/`).
pub fn style_of(project: &Project) -> Option<NameStyle> {
    project
        .migrations
        .last()
        .and_then(|m| project::parse_path_name(&m.file.path))
        .map(|p| p.style)
}

/// Where migration `version`/`slug` and its rollback go: a folder per migration,
/// `.up.sql`/`.down.sql` pairs, Flyway's `V1__name.sql`, or `migrations/` + `rollbacks/`.
pub fn files_for(
    ws: &Workspace,
    style: Option<NameStyle>,
    version: &str,
    slug: &str,
) -> Result<Files> {
    let migrations = ws.cfg.migrations_dir();
    let (migration, rollback) = match style {
        Some(NameStyle::Folder) => {
            let dir = migrations.join(format!("{version}_{slug}"));
            (dir.join("up.sql"), dir.join("down.sql"))
        }
        Some(NameStyle::Up) => (
            migrations.join(format!("{version}_{slug}.up.sql")),
            migrations.join(format!("{version}_{slug}.down.sql")),
        ),
        Some(NameStyle::Flyway) => {
            let file_name = format!("V{version}__{slug}.sql");
            (
                migrations.join(&file_name),
                ws.rollbacks_dir()?.join(&file_name),
            )
        }
        _ => {
            let file_name = format!("{version}_{slug}.sql");
            (
                migrations.join(&file_name),
                ws.rollbacks_dir()?.join(&file_name),
            )
        }
    };
    Ok(Files {
        version: version.to_string(),
        migration,
        rollback,
    })
}

/// The files of the next migration after the project's newest, in the project's layout.
pub fn next_files(ws: &Workspace, project: &Project, slug: &str) -> Result<Files> {
    let version = project::next_version(&project.migrations, &super::new::utc_timestamp());
    files_for(ws, style_of(project), &version, slug)
}

/// Writes a file, creating its folder.
pub fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

fn source(ws: &Workspace, path: &Path, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_path_buf(),
        display: ws.display(path),
        text: text.to_string(),
        checksum: Checksum::of(text.as_bytes()),
    }
}

/// The migration as the engine will read it once written.
pub fn in_memory(ws: &Workspace, files: &Files, slug: &str, up: &str, down: &str) -> Migration {
    let up_file = source(ws, &files.migration, up);
    let down_file = source(ws, &files.rollback, down);
    let (directives, _) = project::parse_directives(&up_file.display, up);
    let (down_directives, _) = project::parse_directives(&down_file.display, down);
    Migration {
        version: files.version.parse().unwrap_or(Version(0)),
        name: slug.to_string(),
        file: up_file,
        directives,
        rollback: Some(Rollback {
            file: down_file,
            directives: down_directives,
        }),
    }
}

/// Which of the two files a proof failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Which {
    Migration,
    Rollback,
}

/// Whether a migration and its rollback did what they must, on a shadow database.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Proof {
    /// The migration gave the expected schema, and its rollback the schema before it.
    Converged,
    /// One of them failed, or left differences (listed from the shadow's side).
    Failed {
        file: Which,
        reason: String,
        remaining: Vec<Change>,
    },
}

impl Proof {
    pub fn failed(&self) -> bool {
        matches!(self, Proof::Failed { .. })
    }
}

/// What a proof runs on and expects.
pub struct Trial<'a> {
    pub server: &'a ConnInfo,
    /// Copy this database (a template on the shadow server), or start from an empty one.
    pub base: Option<&'a str>,
    pub auth: &'a Auth,
    pub settings: &'a Settings,
    pub schemas: &'a [String],
    pub exclude: &'a [String],
    /// The schema the migration must give…
    pub after_up: &'a Catalog,
    /// …and the one its rollback must give back.
    pub after_down: &'a Catalog,
}

/// An engine failure in words (file:line:col and PostgreSQL's message).
pub fn engine_reason(e: &EngineError) -> String {
    match e {
        EngineError::Statement(f) => {
            let at = f
                .offset
                .map(|o| {
                    let (l, c) = f.file.line_col(o);
                    format!(":{l}:{c}")
                })
                .unwrap_or_default();
            format!("{}{at}: {}", f.file.display, f.failure.message)
        }
        EngineError::Files(errors) => errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Applies `m` on a shadow database (a copy of `trial.base`, or an empty one) as `up` would,
/// compares with `after_up`, runs its rollback, compares with `after_down`. The database is
/// dropped on every path.
pub async fn prove(trial: &Trial<'_>, m: &Migration) -> std::result::Result<Proof, ShadowError> {
    let name = shadow::create_database(trial.server, "strata_author", trial.base).await?;
    let result = run_trial(trial, &name, m).await;
    let _ = shadow::drop_database(trial.server, &name).await;
    result
}

async fn run_trial(
    trial: &Trial<'_>,
    name: &str,
    m: &Migration,
) -> std::result::Result<Proof, ShadowError> {
    let mut conn = shadow::connect(trial.server, name).await?;
    let r = async {
        let failed = |file, e: &EngineError| Proof::Failed {
            file,
            reason: engine_reason(e),
            remaining: Vec::new(),
        };
        let mut settings = trial.settings.clone();
        match shadow::apply_migrations(&mut conn, &[m], trial.auth, &settings, &[]).await {
            Ok(Some(path)) => settings.search_path = Some(path),
            Ok(None) => {}
            Err(ShadowError::Engine(e)) => return Ok(failed(Which::Migration, &e)),
            Err(e) => return Err(e),
        }
        let remaining = read_and_compare(&mut conn, trial, trial.after_up).await?;
        if !remaining.is_empty() {
            return Ok(differences(Which::Migration, remaining));
        }
        let mut obs = shadow::Silent;
        if let Err(e) = engine::apply_down(&mut conn, &[m], &settings, &mut obs).await {
            return match e {
                EngineError::Db(d) => Err(ShadowError::Db(d)),
                e => Ok(failed(Which::Rollback, &e)),
            };
        }
        let remaining = read_and_compare(&mut conn, trial, trial.after_down).await?;
        if !remaining.is_empty() {
            return Ok(differences(Which::Rollback, remaining));
        }
        Ok(Proof::Converged)
    }
    .await;
    db::close(conn).await;
    r
}

fn differences(file: Which, remaining: Vec<Change>) -> Proof {
    Proof::Failed {
        file,
        reason: format!(
            "it ran, but {} difference(s) remain from the expected schema",
            remaining.len()
        ),
        remaining,
    }
}

async fn read_and_compare(
    conn: &mut sqlx::postgres::PgConnection,
    trial: &Trial<'_>,
    expected: &Catalog,
) -> std::result::Result<Vec<Change>, ShadowError> {
    let mut after = catalog::introspect(conn, trial.schemas, trial.exclude).await?;
    after.current_role = expected.current_role.clone();
    Ok(diff::compare(&after, expected))
}

/// An empty database's schema on the shadow server (what `public` and the rest look like before
/// any migration), read as `role` would see it.
pub async fn empty_catalog(
    server: &ConnInfo,
    schemas: &[String],
    exclude: &[String],
    role: &str,
) -> std::result::Result<Catalog, ShadowError> {
    let name = shadow::create_database(server, "strata_empty", None).await?;
    let r = shadow::introspect_db(server, &name, schemas, exclude).await;
    let _ = shadow::drop_database(server, &name).await;
    let mut cat = r?;
    cat.current_role = role.to_string();
    Ok(cat)
}

/// Why an authoring command will not start (all exit 2: nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum AuthoringError {
    #[error("`strata pull` adopts a database as the project's first migration, but {dir} already holds {count} migration(s); to write what differs from them use `strata diff --new-migration NAME`")]
    PullHasMigrations { count: usize, dir: String },
    #[error("`strata pull` adopts a database strata has not managed, but {table} already records {rows} row(s) of history; use `strata status` and `strata diff --new-migration NAME` there")]
    PullHasHistory { table: String, rows: usize },
    #[error("squash --to {version}: {version} is not a migration file of the project; use a version from `strata status`")]
    SquashUnknownVersion { version: Version },
    #[error("squash --to {version}: only {count} migration(s) up to {version}, nothing to squash (it needs two or more)")]
    SquashTooFew { version: Version, count: usize },
}
