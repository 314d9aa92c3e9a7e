//! The authoring commands as text and annotations: `diff --new-migration`, `dump`, `pull`,
//! `squash`. Files written are named on stdout; a proof that failed is explained on stderr
//! with the differences it left.

use super::diff::summary_table;
use super::{Annotation, AnnotationLevel, Render, Text};
use crate::ops::author::Proof;
use crate::ops::dump::DumpOutcome;
use crate::ops::new_migration::NewMigrationOutcome;
use crate::ops::pull::PullOutcome;
use crate::ops::squash::SquashOutcome;

/// A failed proof: what failed, the differences left, and (with `-v`) the migration tried.
fn proof_failure(
    t: &mut Text,
    command: &str,
    proof: &Proof,
    migration: Option<&str>,
    rollback: Option<&str>,
) {
    let Proof::Failed {
        file,
        reason,
        remaining,
    } = proof
    else {
        return;
    };
    t.err.push_str(&format!(
        "error: {command}: the generated {file} does not converge on a shadow database, so nothing was written.\n{reason}\n"
    ));
    if !remaining.is_empty() {
        t.err.push_str("Differences left after it ran:\n");
        t.err.push_str(&summary_table(remaining));
    }
    let sql = match file {
        crate::ops::author::Which::Migration => migration,
        crate::ops::author::Which::Rollback => rollback,
    };
    match sql {
        Some(sql) if t.verbose > 0 => {
            t.err.push_str(&format!("The {file} that was tried:\n"));
            t.err.push_str(sql);
        }
        _ => t.err.push_str(&format!(
            "Run with -v to see the {file} that was tried; write this change by hand.\n"
        )),
    }
}

fn proof_annotation(title: &str, proof: Option<&Proof>) -> Vec<Annotation> {
    match proof {
        Some(Proof::Failed { file, reason, .. }) => vec![Annotation {
            level: AnnotationLevel::Error,
            file: None,
            line: None,
            column: None,
            title: Some(title.to_string()),
            message: format!(
                "the generated {file} does not converge, nothing was written: {reason}"
            ),
        }],
        _ => Vec::new(),
    }
}

impl Render for NewMigrationOutcome {
    fn summary(&self) -> Option<String> {
        Some(match (&self.migration, self.written) {
            _ if self.differences == 0 => "No differences: no migration written.".to_string(),
            (Some(m), true) => format!("Wrote {m} ({} difference(s)).", self.differences),
            _ => "The migration does not converge; nothing was written.".to_string(),
        })
    }

    fn text(&self, t: &mut Text) {
        if self.differences == 0 {
            t.out
                .push_str("No differences between the declared state and the live database: no migration written.\n");
            return;
        }
        if let Some(proof) = &self.proof {
            if proof.failed() {
                t.err.push_str(&summary_table(&self.changes));
                proof_failure(
                    t,
                    "diff --new-migration",
                    proof,
                    self.migration_sql.as_deref(),
                    self.rollback_sql.as_deref(),
                );
                return;
            }
        }
        t.out.push_str(&summary_table(&self.changes));
        if let (Some(m), Some(r)) = (&self.migration, &self.rollback) {
            t.out.push_str(&format!(
                "Wrote {m} (the declared state → the live database) and its rollback {r}.\nBoth were proven on a shadow database: the migration gives the live schema exactly, the rollback the declared one.\n"
            ));
        }
        if self.unmodelled > 0 {
            t.err.push_str(&format!(
                "warning: {} object(s) of kinds strata does not model are not in the migration (see `strata diff`)\n",
                self.unmodelled
            ));
        }
        if t.verbose > 0 {
            if let Some(sql) = &self.migration_sql {
                t.out.push('\n');
                t.out.push_str(sql);
            }
        }
    }

    fn annotations(&self) -> Vec<Annotation> {
        proof_annotation("strata diff --new-migration", self.proof.as_ref())
    }
}

impl Render for DumpOutcome {
    fn text(&self, t: &mut Text) {
        match &self.output {
            // The dump is data: stdout holds it and nothing else.
            None => t.out.push_str(&self.sql),
            Some(path) => t.out.push_str(&format!(
                "Wrote {path}: {} object(s) of the {} schema ({}).\n",
                self.objects.len(),
                self.source,
                self.schemas.join(", ")
            )),
        }
    }
}

impl Render for PullOutcome {
    fn summary(&self) -> Option<String> {
        Some(match (&self.migration, self.written) {
            _ if self.objects == 0 => "Nothing to adopt.".to_string(),
            (Some(m), true) => format!("Wrote {m} and baselined the database."),
            _ => "The migration does not converge; nothing was written.".to_string(),
        })
    }

    fn text(&self, t: &mut Text) {
        if self.objects == 0 {
            t.out.push_str(&format!(
                "The database has no objects in schema(s) {}: nothing to adopt, nothing written.\n",
                self.schemas.join(", ")
            ));
            return;
        }
        if let Some(proof) = &self.proof {
            if proof.failed() {
                proof_failure(
                    t,
                    "pull",
                    proof,
                    self.migration_sql.as_deref(),
                    self.rollback_sql.as_deref(),
                );
                return;
            }
        }
        if let (Some(m), Some(r), Some(v)) = (&self.migration, &self.rollback, &self.version) {
            t.out.push_str(&format!(
                "Wrote {m} ({} object(s) of schema(s) {}) and its rollback {r}, both proven on an empty shadow database.\n",
                self.objects,
                self.schemas.join(", ")
            ));
            if self.baselined {
                t.out.push_str(&format!(
                    "The database is baselined at {v}: `strata status` shows it applied, and `strata up` will not run it there.\n"
                ));
            }
        }
    }

    fn annotations(&self) -> Vec<Annotation> {
        proof_annotation("strata pull", self.proof.as_ref())
    }
}

impl Render for SquashOutcome {
    fn summary(&self) -> Option<String> {
        Some(if self.written {
            format!(
                "Squashed {} migration(s) into {}.",
                self.replaced.len(),
                self.migration
            )
        } else {
            "The squashed migration does not converge; nothing was changed.".to_string()
        })
    }

    fn text(&self, t: &mut Text) {
        if self.proof.failed() {
            proof_failure(
                t,
                "squash",
                &self.proof,
                Some(&self.migration_sql),
                Some(&self.rollback_sql),
            );
            return;
        }
        let rows = self
            .replaced
            .iter()
            .map(|r| {
                vec![
                    r.version.clone(),
                    r.name.clone(),
                    r.migration.clone(),
                    r.rollback.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        t.out.push_str("Replaced:\n");
        t.out.push_str(&super::table(
            &["version", "name", "migration", "rollback"],
            rows,
        ));
        t.out.push_str(&format!(
            "Wrote {} and its rollback {} (version {}), proven on a shadow database to give the same schema as the files it replaces.\nDatabases that applied those files stay valid: the new file lists them (-- strata:replaces), so `strata status` shows it applied there.\n",
            self.migration, self.rollback, self.version
        ));
        if !self.data_statements.is_empty() {
            t.err.push_str(&format!(
                "warning: these replaced files change rows (INSERT, UPDATE, DELETE, COPY…), which a schema squash does not keep: {}; move that data to seeds/ or add it to {} by hand\n",
                self.data_statements.join(", "),
                self.migration
            ));
        }
    }

    fn annotations(&self) -> Vec<Annotation> {
        let mut out = proof_annotation("strata squash", Some(&self.proof));
        out.extend(self.data_statements.iter().map(|f| Annotation {
            level: AnnotationLevel::Warning,
            file: Some(f.clone()),
            line: None,
            column: None,
            title: Some("strata squash".into()),
            message: "this file changes rows; the squashed migration does not keep them".into(),
        }));
        out
    }
}
