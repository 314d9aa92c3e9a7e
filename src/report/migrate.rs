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
use std::borrow::Cow;

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

impl StatusOutcome {
    fn summary_line(&self) -> String {
        format!(
            "{} applied, {} pending, {} other",
            self.applied(),
            self.pending,
            self.not_as_written - self.pending
        )
    }
}

impl Render for StatusOutcome {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&render_status(&self.migrations));
        t.out.push_str(&format!("{}\n", self.summary_line()));
    }

    fn summary(&self) -> Option<String> {
        Some(self.summary_line())
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
    fn summary(&self) -> Option<String> {
        let mut line = up_line(self);
        if let Some(p) = &self.policies {
            line.push_str(&format!("; {}", super::policies::plan_summary(p)));
        }
        Some(line)
    }

    fn text(&self, t: &mut Text) {
        if self.dry_run {
            if self.plan.is_empty() {
                t.out.push_str(&format!("{}\n", up_line(self)));
            } else {
                t.out
                    .push_str(&format!("{}:\n", up_line(self).trim_end_matches('.')));
                for m in &self.plan {
                    let mode = if m.transactional {
                        ""
                    } else {
                        "  (no transaction)"
                    };
                    let resume = m
                        .continues_after
                        .map(|k| format!("  (continues after statement {k})"))
                        .unwrap_or_default();
                    t.out.push_str(&format!(
                        "  {} {} ({}){mode}{resume}\n",
                        m.version, m.name, m.file
                    ));
                }
            }
            return;
        }
        t.out.push_str(&format!("{}\n", up_line(self)));
        if let Some(p) = &self.policies {
            p.text(t);
        }
    }
}

/// What `up` did, in one sentence.
fn up_line(o: &UpOutcome) -> String {
    match (o.dry_run, o.applied.is_empty()) {
        (true, true) => "Nothing to apply: the database is up to date.".to_string(),
        (true, false) => format!("Would apply {} migration(s).", o.plan.len()),
        (false, true) => format!(
            "Nothing to apply: the database is up to date ({} migration(s) applied).",
            o.total
        ),
        (false, false) => format!(
            "Applied {} migration(s) in {} ms; {} applied in all.",
            o.applied.len(),
            o.elapsed.as_millis(),
            o.total
        ),
    }
}

impl Render for DownOutcome {
    fn summary(&self) -> Option<String> {
        Some(if self.rolled_back.is_empty() {
            "Nothing to roll back.".to_string()
        } else if self.dry_run {
            format!("Would roll back {} migration(s).", self.steps.len())
        } else {
            format!("Rolled back {} migration(s).", self.rolled_back.len())
        })
    }

    fn text(&self, t: &mut Text) {
        let line = self.summary().unwrap_or_default();
        if self.dry_run && !self.steps.is_empty() {
            t.out
                .push_str(&format!("{}:\n", line.trim_end_matches('.')));
            for m in &self.steps {
                t.out.push_str(&format!("  {} {}\n", m.version, m.name));
            }
        } else {
            t.out.push_str(&format!("{line}\n"));
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
        t.out
            .push_str(&format!("{}\n", self.summary().unwrap_or_default()));
    }

    fn summary(&self) -> Option<String> {
        if self.files == 0 && !self.problems.is_empty() {
            return Some(format!(
                "{} problem(s) in the project's files",
                self.problems.len()
            ));
        }
        Some(format!(
            "{} file(s) checked, {} problem(s){}",
            self.files,
            self.problems.len(),
            if self.database_checked {
                "; syntax parsed by PostgreSQL and checksums compared with the database"
            } else {
                ""
            }
        ))
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
        t.out
            .push_str(&format!("{}\n", self.summary().unwrap_or_default()));
    }

    fn summary(&self) -> Option<String> {
        Some(format!(
            "Baseline at {}: marked {} migration(s) as applied without running them.",
            self.version,
            self.marked.len()
        ))
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

    fn summary(&self) -> Option<String> {
        Some(if self.actions.is_empty() {
            "Nothing to repair.".to_string()
        } else {
            format!(
                "Repaired {} history entr{}.",
                self.actions.len(),
                if self.actions.len() == 1 { "y" } else { "ies" }
            )
        })
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
    // Cells borrow from the rows where they can: one small string per row at most (issue 14).
    let cells: Vec<[Cow<str>; 6]> = rows
        .iter()
        .map(|r| {
            let state = if r.baselined {
                Cow::Owned(format!("{} (baseline)", r.state.label()))
            } else {
                Cow::Borrowed(r.state.label())
            };
            [
                Cow::Borrowed(r.version.as_str()),
                Cow::Borrowed(r.name.as_str()),
                state,
                Cow::Borrowed(if r.rollback { "yes" } else { "no" }),
                Cow::Borrowed(r.applied_at.as_deref().unwrap_or_default()),
                r.duration_ms
                    .map_or(Cow::Borrowed(""), |d| Cow::Owned(format!("{d} ms"))),
            ]
        })
        .collect();
    let mut out = super::grid::render(
        &[
            "version",
            "name",
            "state",
            "rollback",
            "applied at (UTC)",
            "duration",
        ],
        &cells,
    );
    out.push('\n');
    for r in rows
        .iter()
        .filter(|r| r.note.is_some() || r.recovery.is_some())
    {
        match (&r.note, &r.recovery) {
            (Some(note), Some(next)) => out.push_str(&format!(
                "{} {}: {note}\n  next: {next}\n",
                r.version, r.name
            )),
            (Some(note), None) => out.push_str(&format!("{} {}: {note}\n", r.version, r.name)),
            (None, Some(next)) => {
                out.push_str(&format!("{} {}: next: {next}\n", r.version, r.name))
            }
            (None, None) => {}
        }
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
                .then(|| "statement 2 (line 4: CREATE INDEX x) of 3 failed: boom; 1 of 3 statement(s) of migrations/003_index.sql committed".to_string()),
            committed_statements: (state == MigrationState::Failed).then_some(1),
            statements: (state == MigrationState::Failed).then_some(3),
            stopped_in: (state == MigrationState::Failed).then_some(crate::history::Way::Apply),
            recovery: match state {
                MigrationState::Failed => Some("fix statement 2 in the file (statement 1 must stay as it is) or the database, then `strata up` continues at statement 2".into()),
                MigrationState::Missing => Some("restore its file, or if it was deleted on purpose, `strata repair --forget 4`".into()),
                _ => None,
            },
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
