//! `strata diff --new-migration NAME`: the difference between the declared state and the live
//! database written as the project's next migration (declared → live) and its rollback
//! (live → declared), in the project's layout and numbering.
//!
//! Both files are proven before either is written: on a copy of the declared state's shadow
//! template, the migration must give exactly the live schema, and its rollback exactly the
//! declared one again. With no difference nothing is written; with a proof that fails nothing
//! is written and the outcome says why (exit 1).

use super::author::{self, Proof, Trial};
use super::{Sink, Workspace};
use crate::catalog::{self, NotComparedReason};
use crate::diff::{self, Change};
use crate::error::{Result, UsageError};
use crate::shadow::{self, Spec};
use serde::Serialize;

#[derive(Debug, Clone, Default)]
pub struct NewMigrationOptions {
    /// `NAME`: becomes the file name's slug.
    pub name: String,
    /// Server for shadow databases (default: the project's local server).
    pub shadow_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewMigrationOutcome {
    /// What differs, as `diff` reports it (from the live database's side).
    pub differences: usize,
    pub changes: Vec<Change>,
    /// Objects of kinds strata does not model, on either side: not in the migration.
    pub unmodelled: usize,
    /// The version of the files (written or not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The migration file, relative to the project root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    /// The proof on a shadow database (absent when there was nothing to write).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
    /// Whether the files were written (only after the proof converged).
    pub written: bool,
    /// The migration's text (shown with `-v`, and when the proof failed).
    #[serde(skip)]
    pub migration_sql: Option<String>,
    #[serde(skip)]
    pub rollback_sql: Option<String>,
}

impl NewMigrationOutcome {
    /// The proof failed: nothing was written.
    pub fn failed(&self) -> bool {
        self.proof.as_ref().is_some_and(Proof::failed)
    }
}

pub async fn new_migration(
    ws: &Workspace,
    opts: &NewMigrationOptions,
    sink: &mut dyn Sink,
) -> Result<NewMigrationOutcome> {
    let slug = super::new::slug(&opts.name).ok_or_else(|| UsageError::BadMigrationName {
        name: opts.name.clone(),
    })?;
    let project = ws.load_project()?;
    let policies = ws.load_policies()?;
    let target = ws.target()?;
    let source = ws.conn_info(&target, sink)?;
    let server = ws.shadow_server(opts.shadow_url.as_deref(), sink)?;
    let settings = ws.settings();
    let schemas = ws.cfg.database.schemas.clone();
    let ex = ws.excluded_schemas();
    let spec = Spec {
        project: &project,
        policies: &policies,
        auth: &ws.cfg.auth,
        settings: &settings,
        root: &ws.cfg.root,
    };
    let template = shadow::ensure_template(&server, &spec).await?;
    let declared = shadow::introspect_db(&server, &template, &schemas, &ex).await?;
    let live = {
        let mut conn = crate::db::connect(&source).await?;
        let r = catalog::introspect(&mut conn, &schemas, &ex).await;
        crate::db::close(conn).await;
        r?
    };
    let changes = diff::compare(&live, &declared);
    let unmodelled = diff::not_compared(&live, &declared)
        .iter()
        .filter(|n| n.reason == NotComparedReason::Unmodelled)
        .count();
    let mut outcome = NewMigrationOutcome {
        differences: changes.len(),
        changes,
        unmodelled,
        version: None,
        migration: None,
        rollback: None,
        proof: None,
        written: false,
        migration_sql: None,
        rollback_sql: None,
    };
    if outcome.changes.is_empty() {
        return Ok(outcome);
    }
    let files = author::next_files(ws, &project, &slug)?;
    // The migration turns the declared state into live; its rollback turns live back.
    let up = diff::render_migration(
        &diff::script(&declared, &live),
        &format!(
            "{slug}: written by `strata diff --new-migration` (the declared state → the live database)"
        ),
    );
    let down = diff::render_migration(
        &diff::script(&live, &declared),
        &format!(
            "rollback of {}_{slug}: written by `strata diff --new-migration` (the live database → the declared state)",
            files.version
        ),
    );
    let migration = author::in_memory(ws, &files, &slug, &up, &down);
    let trial = Trial {
        server: &server,
        base: Some(&template),
        auth: &ws.cfg.auth,
        settings: &settings,
        schemas: &schemas,
        exclude: &ex,
        after_up: &live,
        after_down: &declared,
    };
    let proof = author::prove(&trial, &migration).await?;
    outcome.version = Some(files.version.clone());
    outcome.migration = Some(ws.display(&files.migration));
    outcome.rollback = Some(ws.display(&files.rollback));
    if !proof.failed() {
        author::write(&files.migration, &up)?;
        author::write(&files.rollback, &down)?;
        outcome.written = true;
    }
    outcome.proof = Some(proof);
    outcome.migration_sql = Some(up);
    outcome.rollback_sql = Some(down);
    Ok(outcome)
}
