//! `strata squash --to V`: the migrations up to V replaced by one migration (and its rollback)
//! that gives the same schema.
//!
//! The old files are applied to an empty shadow database and the schema read (and the empty
//! database's schema before them); the squashed migration is the script from the empty schema to
//! that one, its rollback the script back. Both are proven on another empty shadow database
//! (migration → the old files' schema exactly; rollback → empty exactly) before any file is
//! touched. Then the old files go and the new pair is written under version V.
//!
//! Databases that applied the old files stay valid: the squashed migration keeps version V and
//! lists each file it replaces in its header (`-- strata:replaces VERSION SHA256`), and history
//! counts those files' entries as its own (`engine::squash`): `status` says up to date and `up`
//! does nothing on a database at the old head.
//!
//! Rows that the old files inserted (reference data) are not schema and are not in the squashed
//! migration: the files that had such statements are listed in the outcome.

use super::author::{self, AuthoringError, Proof, Trial};
use super::{Sink, Workspace};
use crate::catalog;
use crate::db;
use crate::diff;
use crate::engine;
use crate::error::{Error, Result};
use crate::project::{self, Migration, NameStyle, Version};
use crate::shadow::{self, ShadowError};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct SquashOptions {
    pub to: Version,
    /// The squashed migration's name (default `squashed`).
    pub name: Option<String>,
    /// Server for shadow databases (default: the project's local server).
    pub shadow_url: Option<String>,
}

/// A file pair the squash replaced.
#[derive(Debug, Clone, Serialize)]
pub struct Replaced {
    pub version: String,
    pub name: String,
    pub migration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    pub checksum: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SquashOutcome {
    pub to: String,
    pub replaced: Vec<Replaced>,
    pub version: String,
    pub migration: String,
    pub rollback: String,
    pub proof: Proof,
    /// The old files were removed and the new pair written.
    pub written: bool,
    /// Replaced files that change rows (INSERT, UPDATE, DELETE, COPY, MERGE): those rows are
    /// not in the squashed migration.
    pub data_statements: Vec<String>,
    #[serde(skip)]
    pub migration_sql: String,
    #[serde(skip)]
    pub rollback_sql: String,
}

impl SquashOutcome {
    pub fn failed(&self) -> bool {
        self.proof.failed()
    }
}

/// Whether a file has a statement that changes rows rather than the schema.
fn changes_rows(text: &str) -> bool {
    let Ok(spans) = crate::sql::split(text) else {
        return false;
    };
    spans.iter().any(|s| {
        let stmt = s.text(text);
        let first = crate::sql::tokens(stmt)
            .map_while(std::result::Result::ok)
            .find(|t| {
                !matches!(
                    t.kind,
                    crate::sql::TokenKind::LineComment | crate::sql::TokenKind::BlockComment
                )
            })
            .and_then(|t| stmt.get(t.start..t.end))
            .unwrap_or("")
            .to_ascii_uppercase();
        matches!(
            first.as_str(),
            "INSERT" | "UPDATE" | "DELETE" | "COPY" | "MERGE" | "TRUNCATE"
        )
    })
}

pub async fn squash(
    ws: &Workspace,
    opts: &SquashOptions,
    sink: &mut dyn Sink,
) -> Result<SquashOutcome> {
    let slug = match &opts.name {
        Some(n) => super::new::slug(n).ok_or_else(|| {
            Error::from(crate::error::UsageError::BadMigrationName { name: n.clone() })
        })?,
        None => "squashed".to_string(),
    };
    let project = ws.load_project()?;
    let Some(last) = project.get(opts.to) else {
        return Err(AuthoringError::SquashUnknownVersion { version: opts.to }.into());
    };
    let replaced: Vec<&Migration> = project
        .migrations
        .iter()
        .filter(|m| m.version <= opts.to)
        .collect();
    if replaced.len() < 2 {
        return Err(AuthoringError::SquashTooFew {
            version: opts.to,
            count: replaced.len(),
        }
        .into());
    }
    let server = ws.shadow_server(opts.shadow_url.as_deref(), sink)?;
    let settings = ws.settings();
    let schemas = ws.cfg.database.schemas.clone();
    let ex = ws.excluded_schemas();

    // The old files' schema, and an empty database's, on one shadow database.
    let (empty, before) = {
        let name = shadow::create_database(&server, "strata_squash", None).await?;
        let r = old_schema(ws, &server, &name, &replaced, &settings, &schemas, &ex).await;
        let _ = shadow::drop_database(&server, &name).await;
        r?
    };

    let parsed = project::parse_path_name(&last.file.path);
    let version_text = parsed
        .as_ref()
        .map(|p| p.version_text.clone())
        .unwrap_or_else(|| opts.to.to_string());
    // A project of Flyway files keeps them; the squashed file replaces the old layout.
    let style = author::style_of(&project).filter(|s| *s != NameStyle::Down);
    let files = author::files_for(ws, style, &version_text, &slug)?;
    let mut header = String::new();
    for m in &replaced {
        header.push_str(&format!(
            "-- strata:replaces {} {}\n",
            m.version, m.file.checksum
        ));
        // A file that was itself a squash: databases that applied what it replaced stay valid.
        for (v, sum) in &m.directives.replaces {
            if *v != m.version {
                header.push_str(&format!("-- strata:replaces {v} {sum}\n"));
            }
        }
    }
    let up = format!(
        "{header}{}",
        diff::render_migration(
            &diff::script(&empty, &before),
            &format!(
                "{slug}: written by `strata squash --to {}` from {} migration(s), {} to {}",
                opts.to,
                replaced.len(),
                replaced[0].version,
                opts.to
            ),
        )
    );
    let down = diff::render_migration(
        &diff::script(&before, &empty),
        &format!(
            "rollback of {version_text}_{slug}: written by `strata squash` (undoes every migration it replaces)"
        ),
    );
    let migration = author::in_memory(ws, &files, &slug, &up, &down);
    let trial = Trial {
        server: &server,
        base: None,
        auth: &ws.cfg.auth,
        settings: &settings,
        schemas: &schemas,
        exclude: &ex,
        after_up: &before,
        after_down: &empty,
    };
    let proof = author::prove(&trial, &migration).await?;
    let mut outcome = SquashOutcome {
        to: opts.to.to_string(),
        replaced: replaced
            .iter()
            .map(|m| Replaced {
                version: m.version.to_string(),
                name: m.name.clone(),
                migration: m.file.display.clone(),
                rollback: m.rollback.as_ref().map(|r| r.file.display.clone()),
                checksum: m.file.checksum.to_string(),
            })
            .collect(),
        version: files.version.clone(),
        migration: ws.display(&files.migration),
        rollback: ws.display(&files.rollback),
        written: false,
        data_statements: replaced
            .iter()
            .filter(|m| changes_rows(&m.file.text))
            .map(|m| m.file.display.clone())
            .collect(),
        proof,
        migration_sql: up.clone(),
        rollback_sql: down.clone(),
    };
    if outcome.proof.failed() {
        return Ok(outcome);
    }
    for m in &replaced {
        remove(&m.file.path)?;
        if let Some(r) = &m.rollback {
            remove(&r.file.path)?;
        }
        // A folder per migration: the folder goes when it is empty.
        if project::parse_path_name(&m.file.path).is_some_and(|p| p.style == NameStyle::Folder) {
            if let Some(dir) = m.file.path.parent() {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
    author::write(&files.migration, &up)?;
    author::write(&files.rollback, &down)?;
    outcome.written = true;
    Ok(outcome)
}

fn remove(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// On the empty database `name`: its schema (after the auth shim the files need), then the
/// schema after the old files.
async fn old_schema(
    ws: &Workspace,
    server: &crate::config::ConnInfo,
    name: &str,
    replaced: &[&Migration],
    settings: &engine::Settings,
    schemas: &[String],
    ex: &[String],
) -> Result<(catalog::Catalog, catalog::Catalog)> {
    let mut conn = shadow::connect(server, name).await?;
    let r = async {
        let texts: Vec<&str> = replaced.iter().map(|m| m.file.text.as_str()).collect();
        let path = shadow::apply_migrations(&mut conn, &[], &ws.cfg.auth, settings, &texts).await?;
        let empty = catalog::introspect(&mut conn, schemas, ex).await?;
        let mut settings = settings.clone();
        if path.is_some() {
            settings.search_path = path;
        }
        engine::apply_up(&mut conn, replaced, &settings, &mut shadow::Silent)
            .await
            .map_err(ShadowError::Engine)?;
        let before = catalog::introspect(&mut conn, schemas, ex).await?;
        Ok::<_, ShadowError>((empty, before))
    }
    .await;
    db::close(conn).await;
    Ok(r?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_that_change_rows_are_told_apart() {
        assert!(super::changes_rows(
            "CREATE TABLE t (a int);\n-- seed\nINSERT INTO t VALUES (1);"
        ));
        assert!(!super::changes_rows(
            "CREATE TABLE t (a int);\nCREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ INSERT INTO t VALUES (1) $$;"
        ));
    }
}
