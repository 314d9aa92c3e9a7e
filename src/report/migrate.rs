//! `init`, `new`, `status`, `up`, `down`, `check`, `baseline`, `repair`, `db` as text.

use super::{Annotation, AnnotationLevel, Render, Text};
use crate::engine::{MigrationState, StatusRow};
use crate::ops::check::CheckOutcome;
use crate::ops::down::DownOutcome;
use crate::ops::init::InitOutcome;
use crate::ops::local::DbOutcome;
use crate::ops::new::NewOutcome;
use crate::ops::repair::{BaselineOutcome, RepairOutcome};
use crate::ops::status::StatusOutcome;
use crate::ops::up::UpOutcome;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

impl Render for InitOutcome {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&format!(
            "created strata.toml, migrations/, rollbacks/, policies/, seeds/, tests/validation/ in {}\n",
            self.root
        ));
    }
}

impl Render for NewOutcome {
    fn text(&self, t: &mut Text) {
        t.out
            .push_str(&format!("{}\n{}\n", self.migration, self.rollback));
    }
}

impl Render for StatusOutcome {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&render_status(&self.migrations));
        t.out.push_str(&format!(
            "{} applied, {} pending, {} other\n",
            self.applied(),
            self.pending,
            self.not_as_written - self.pending
        ));
    }

    fn annotations(&self) -> Vec<Annotation> {
        if !self.failed() {
            return Vec::new();
        }
        self.migrations
            .iter()
            .filter(|r| r.state != MigrationState::Applied)
            .map(|r| Annotation {
                level: AnnotationLevel::Error,
                file: None,
                line: None,
                column: None,
                title: Some("strata status".into()),
                message: format!("migration {} ({}): {}", r.version, r.name, r.state.label()),
            })
            .collect()
    }
}

impl Render for UpOutcome {
    fn text(&self, t: &mut Text) {
        if self.dry_run {
            if self.plan.is_empty() {
                t.out
                    .push_str("Nothing to apply: the database is up to date.\n");
            } else {
                t.out
                    .push_str(&format!("Would apply {} migration(s):\n", self.plan.len()));
                for m in &self.plan {
                    let mode = if m.transactional {
                        ""
                    } else {
                        "  (no transaction)"
                    };
                    t.out
                        .push_str(&format!("  {} {} ({}){mode}\n", m.version, m.name, m.file));
                }
            }
            return;
        }
        if self.applied.is_empty() {
            t.out.push_str(&format!(
                "Nothing to apply: the database is up to date ({} migration(s) applied).\n",
                self.total
            ));
        } else {
            t.out.push_str(&format!(
                "Applied {} migration(s) in {} ms; {} applied in all.\n",
                self.applied.len(),
                self.elapsed.as_millis(),
                self.total
            ));
        }
        if let Some(p) = &self.policies {
            p.text(t);
        }
    }
}

impl Render for DownOutcome {
    fn text(&self, t: &mut Text) {
        if self.dry_run {
            if self.steps.is_empty() {
                t.out.push_str("Nothing to roll back.\n");
            } else {
                t.out.push_str(&format!(
                    "Would roll back {} migration(s):\n",
                    self.steps.len()
                ));
                for m in &self.steps {
                    t.out.push_str(&format!("  {} {}\n", m.version, m.name));
                }
            }
        } else if self.rolled_back.is_empty() {
            t.out.push_str("Nothing to roll back.\n");
        } else {
            t.out.push_str(&format!(
                "Rolled back {} migration(s).\n",
                self.rolled_back.len()
            ));
        }
    }
}

impl Render for CheckOutcome {
    fn text(&self, t: &mut Text) {
        for p in &self.problems {
            let at = match (&p.file, p.line, p.column) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                (Some(f), Some(l), None) => format!("{f}:{l}: "),
                (Some(f), None, _) if !p.message.contains(f.as_str()) => format!("{f}: "),
                _ => String::new(),
            };
            t.out.push_str(&format!("error: {at}{}\n", p.message));
        }
        if self.files == 0 && !self.problems.is_empty() {
            t.out.push_str(&format!(
                "{} problem(s) in the project's files\n",
                self.problems.len()
            ));
            return;
        }
        t.out.push_str(&format!(
            "{} file(s) checked, {} problem(s){}\n",
            self.files,
            self.problems.len(),
            if self.database_checked {
                "; syntax parsed by PostgreSQL and checksums compared with the database"
            } else {
                ""
            }
        ));
    }

    fn annotations(&self) -> Vec<Annotation> {
        self.problems
            .iter()
            .map(|p| Annotation {
                level: AnnotationLevel::Error,
                file: p.file.clone(),
                line: p.line,
                column: p.column,
                title: Some("strata check".into()),
                message: p.message.clone(),
            })
            .collect()
    }
}

impl Render for BaselineOutcome {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&format!(
            "Baseline at {}: marked {} migration(s) as applied without running them.\n",
            self.version,
            self.marked.len()
        ));
    }
}

impl Render for RepairOutcome {
    fn text(&self, t: &mut Text) {
        if self.actions.is_empty() {
            t.out.push_str("Nothing to repair.\n");
        }
        for a in &self.actions {
            t.out
                .push_str(&format!("{} {}: {}\n", a.version, a.name, a.action));
        }
    }
}

impl Render for DbOutcome {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&match self {
            DbOutcome::Running { url, .. } => format!("{url}\n"),
            DbOutcome::RunningStatus { url, cluster_dir } => {
                format!("running: {url} (cluster in {cluster_dir})\n")
            }
            DbOutcome::NotRunning { cluster_dir } => format!(
                "not running (cluster location: {cluster_dir}); `strata db start` starts it\n"
            ),
            DbOutcome::Stopped => "stopped the local development database\n".to_string(),
            DbOutcome::WasNotRunning => {
                "the local development database was not running\n".to_string()
            }
        });
    }
}

/// `strata status` as a table.
pub fn render_status(rows: &[StatusRow]) -> String {
    if rows.is_empty() {
        return "No migrations.\n".to_string();
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "version",
            "name",
            "state",
            "rollback",
            "applied at (UTC)",
            "duration",
        ]);
    for r in rows {
        let mut state = r.state.label().to_string();
        if r.baselined {
            state.push_str(" (baseline)");
        }
        t.add_row(vec![
            r.version.clone(),
            r.name.clone(),
            state,
            if r.rollback { "yes" } else { "no" }.to_string(),
            r.applied_at.clone().unwrap_or_default(),
            r.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
        ]);
    }
    let mut out = t.to_string();
    out.push('\n');
    for r in rows.iter().filter(|r| r.note.is_some()) {
        out.push_str(&format!(
            "{} {}: {}\n",
            r.version,
            r.name,
            r.note.as_deref().unwrap_or("")
        ));
    }
    if rows.iter().any(|r| r.state == MigrationState::Failed) {
        out.push_str("Next: make the database and the failed file agree (finish or undo the committed statements, fix the file), then `strata repair` clears the failed entry and `strata up` runs the file again.\n");
    }
    if rows.iter().any(|r| r.state == MigrationState::Changed) {
        out.push_str(
            "Changed files block `strata up`: restore them, or accept them with `strata repair`.\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: &str, name: &str, state: MigrationState) -> StatusRow {
        StatusRow {
            version: v.into(),
            name: name.into(),
            state,
            rollback: v != "3",
            applied_at: (state != MigrationState::Pending)
                .then(|| "2026-11-23 09:00:00".to_string()),
            duration_ms: Some(12).filter(|_| state != MigrationState::Pending),
            baselined: v == "1",
            note: (state == MigrationState::Failed)
                .then(|| "statement 2 of 3 (line 4) failed: boom".to_string()),
        }
    }

    #[test]
    fn status_table_layout() {
        use MigrationState::*;
        let rows = vec![
            row("1", "init", Applied),
            row("2", "users", Changed),
            row("3", "index", Failed),
            row("4", "gone", Missing),
            row("5", "next", Pending),
        ];
        insta::assert_snapshot!("status_table", render_status(&rows));
    }
}
