//! `diff` and `verify-rollbacks` as text: the summary table, a unified diff of each changed
//! object's DDL, the proven script, and the per-migration rollback verdicts.

use super::{table, Annotation, AnnotationLevel, Render, Text};
use crate::catalog::NotComparedReason;
use crate::diff::{self, Change, ChangeType, NotComparedObject, Side};
use crate::ops::diff::{DiffOutcome, Proof};
use crate::ops::verify_rollbacks::{RollbackResult, StopStep, VerifyOutcome};

impl Render for DiffOutcome {
    fn summary(&self) -> Option<String> {
        if self.sql {
            // The script is the output.
            return None;
        }
        Some(if self.changes.is_empty() {
            "No differences.".to_string()
        } else {
            changes_summary(&self.changes)
        })
    }

    fn text(&self, t: &mut Text) {
        let scope = out_of_scope_note(&self.not_compared);
        t.err.push_str(&scope);
        let unmodelled = unmodelled_list(&self.not_compared, self.allow_unmodelled);
        if self.changes.is_empty() {
            // With --sql, stdout is SQL only: `diff --sql > fix.sql && psql -f fix.sql` works.
            if self.sql {
                t.err.push_str("No differences.\n");
                t.err.push_str(&unmodelled);
            } else {
                t.out.push_str("No differences.\n");
                t.out.push_str(&unmodelled);
            }
            return;
        }
        if !self.sql {
            t.out.push_str(&render_changes(&self.changes));
            t.out.push_str(&unmodelled);
            return;
        }
        t.err.push_str(&unmodelled);
        let (Some(steps), Some(proof)) = (&self.script, &self.proof) else {
            return;
        };
        match proof {
            Proof::Converged => {
                t.err.push_str("the script was applied to a copy of the live database, which then matched the declared state\n");
                t.out.push_str(&diff::render_script(steps));
            }
            Proof::Skipped { reason } => {
                t.err
                    .push_str(&format!("warning: the script was not proven: {reason}\n"));
                t.out.push_str(&diff::render_script(steps));
            }
            Proof::Failed { reason, remaining } => {
                t.err.push_str(&format!(
                    "error: the generated script does not bring the live database to the declared state, so it is not printed as a fix.\nOn a copy of the live database: {reason}\n"
                ));
                if !remaining.is_empty() {
                    t.err.push_str("Differences left after applying it:\n");
                    t.err.push_str(&summary_table(remaining));
                }
                if t.verbose > 0 {
                    t.err.push_str("The script that was tried:\n");
                    t.err.push_str(&diff::render_script(steps));
                } else {
                    t.err.push_str("Run with -v to see the script that was tried. Write this change as a migration by hand.\n");
                }
            }
        }
    }

    fn annotations(&self) -> Vec<Annotation> {
        let level = if self.exit_code {
            AnnotationLevel::Error
        } else {
            AnnotationLevel::Warning
        };
        let mut out: Vec<Annotation> = self
            .changes
            .iter()
            .map(|c| Annotation {
                level,
                file: None,
                line: None,
                column: None,
                title: Some("strata diff".into()),
                message: format!("{} {} {}", c.kind, c.object, c.change),
            })
            .collect();
        out.extend(
            self.not_compared
                .iter()
                .filter(|n| n.reason == NotComparedReason::Unmodelled)
                .map(|n| Annotation {
                    level: if self.allow_unmodelled {
                        AnnotationLevel::Warning
                    } else {
                        level
                    },
                    file: None,
                    line: None,
                    column: None,
                    title: Some("strata diff".into()),
                    message: format!(
                        "{} {} is not compared (strata does not model it) {}",
                        n.kind,
                        n.name,
                        side_words(n.side)
                    ),
                }),
        );
        out
    }
}

fn side_words(side: Side) -> &'static str {
    match side {
        Side::Live => "in the live database only",
        Side::Declared => "in the declared state only",
        Side::Both => "in both",
    }
}

/// Objects of kinds strata does not model: listed as findings (they may differ).
fn unmodelled_list(list: &[NotComparedObject], allowed: bool) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .filter(|n| n.reason == NotComparedReason::Unmodelled)
        .map(|n| {
            vec![
                n.kind.clone(),
                n.name.clone(),
                side_words(n.side).to_string(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{} object(s) of kinds strata does not model are not compared, so they may differ{}:\n",
        rows.len(),
        if allowed {
            " (accepted with --allow-unmodelled)"
        } else {
            "; --exit-code fails on them unless --allow-unmodelled is given"
        }
    );
    out.push_str(&table(&["kind", "object", "found"], rows));
    out
}

/// Objects outside the configured schemas: a note, with the side each is on.
fn out_of_scope_note(list: &[NotComparedObject]) -> String {
    let items: Vec<String> = list
        .iter()
        .filter(|n| n.reason == NotComparedReason::OutOfScope)
        .map(|n| format!("{} {} ({})", n.kind, n.name, n.side))
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!(
        "note: not compared, outside [database] schemas: {}\n",
        items.join(", ")
    )
}

fn summary_table(changes: &[Change]) -> String {
    table(
        &["kind", "object", "change"],
        changes
            .iter()
            .map(|c| {
                let change = match &c.live_object {
                    Some(old) => format!("{} (as {old})", c.change),
                    None => c.change.to_string(),
                };
                vec![c.kind.to_string(), c.object.clone(), change]
            })
            .collect(),
    )
}

/// The summary table, counts, then a unified diff of each changed object's DDL.
pub fn render_changes(changes: &[Change]) -> String {
    let mut out = summary_table(changes);
    out.push_str(&changes_summary(changes));
    out.push('\n');
    for c in changes {
        let from = c.from_ddl.clone().map(|s| s + "\n").unwrap_or_default();
        let to = c.to_ddl.clone().map(|s| s + "\n").unwrap_or_default();
        let text = similar::TextDiff::from_lines(&from, &to);
        out.push('\n');
        out.push_str(
            &text
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("live: {} {}", c.kind, c.object),
                    &format!("declared: {} {}", c.kind, c.object),
                )
                .to_string(),
        );
        for h in &c.hazards {
            out.push_str(&format!("  hazard: {}: {}\n", h.id, h.message));
        }
    }
    out
}

/// `N difference(s): …` in one line.
fn changes_summary(changes: &[Change]) -> String {
    let count = |t: ChangeType| changes.iter().filter(|c| c.change == t).count();
    let renamed = count(ChangeType::RenamedInLive);
    format!(
        "{} difference(s): {} missing in live, {} extra in live, {} changed{} (live database → declared state).",
        changes.len(),
        count(ChangeType::MissingInLive),
        count(ChangeType::ExtraInLive),
        count(ChangeType::Changed),
        if renamed > 0 {
            format!(", {renamed} renamed")
        } else {
            String::new()
        }
    )
}

impl VerifyOutcome {
    fn summary_line(&self) -> String {
        format!(
            "{} migration(s): {} exact, {} not exact, {} failed, {} without rollback (skipped){}.",
            self.migrations.len(),
            self.count(RollbackResult::Exact),
            self.count(RollbackResult::NotExact),
            self.count(RollbackResult::Failed),
            self.count(RollbackResult::NoRollback),
            match &self.stopped {
                Some(s) => format!("; stopped at {}", s.version),
                None => String::new(),
            }
        )
    }
}

impl Render for VerifyOutcome {
    fn summary(&self) -> Option<String> {
        Some(if self.migrations.is_empty() && self.stopped.is_none() {
            "No migrations.".to_string()
        } else {
            self.summary_line()
        })
    }

    fn text(&self, t: &mut Text) {
        let checks = &self.migrations;
        if checks.is_empty() && self.stopped.is_none() {
            t.out.push_str("No migrations.\n");
            return;
        }
        let rows = checks
            .iter()
            .map(|c| {
                let verdict = match c.result {
                    RollbackResult::Exact => "exact".to_string(),
                    RollbackResult::NoRollback => "no rollback (skipped)".to_string(),
                    RollbackResult::Failed => "FAILED: the rollback did not run".to_string(),
                    RollbackResult::NotExact => {
                        format!("NOT EXACT: {} object(s) differ", c.differences.len())
                    }
                };
                vec![c.version.clone(), c.name.clone(), verdict]
            })
            .collect();
        let mut out = table(&["version", "name", "rollback"], rows);
        for c in checks {
            if !c.differences.is_empty() {
                out.push_str(&format!(
                    "\n{} {}: after the migration and its rollback, these objects are not as before:\n",
                    c.version, c.name
                ));
                for d in &c.differences {
                    let what = match d.change {
                        ChangeType::ExtraInLive => "left behind by the rollback",
                        ChangeType::MissingInLive => "missing after the rollback",
                        ChangeType::Changed => "changed by the migration and its rollback",
                        ChangeType::RenamedInLive => "renamed by the migration and its rollback",
                    };
                    out.push_str(&format!("  {}  {}  {what}\n", d.kind, d.object));
                }
            }
            if let Some(e) = &c.error {
                out.push_str(&format!(
                    "\n{} {}: the rollback failed:\n",
                    c.version, c.name
                ));
                match &e.statement {
                    Some(f) => out.push_str(&super::diagnostic::render_statement_failure(f)),
                    None => out.push_str(&format!("{}\n", e.message)),
                }
            }
        }
        if let Some(s) = &self.stopped {
            let what = match s.step {
                StopStep::Up => "the migration failed on the shadow database",
                StopStep::Reapply => {
                    "applying it again on a fresh shadow database (after its rollback) failed"
                }
                StopStep::Snapshot => "reading the shadow database's catalog failed",
            };
            out.push_str(&format!("\nstopped at {} {}: {what}:\n", s.version, s.name));
            match &s.error.statement {
                Some(f) => out.push_str(&super::diagnostic::render_statement_failure(f)),
                None => out.push_str(&format!("{}\n", s.error.message)),
            }
        }
        out.push_str(&format!("\n{}\n", self.summary_line()));
        t.out.push_str(&out);
    }

    fn annotations(&self) -> Vec<Annotation> {
        let stop = self.stopped.iter().map(|s| Annotation {
            level: AnnotationLevel::Error,
            file: s.error.file.clone(),
            line: s.error.line,
            column: s.error.column,
            title: Some("strata verify-rollbacks".into()),
            message: format!(
                "verify-rollbacks stopped at {} ({}): {}",
                s.version, s.name, s.error.message
            ),
        });
        self.migrations
            .iter()
            .filter(|c| matches!(c.result, RollbackResult::NotExact | RollbackResult::Failed))
            .map(|c| Annotation {
                level: AnnotationLevel::Error,
                file: c.error.as_ref().and_then(|e| e.file.clone()),
                line: c.error.as_ref().and_then(|e| e.line),
                column: c.error.as_ref().and_then(|e| e.column),
                title: Some("strata verify-rollbacks".into()),
                message: match &c.error {
                    Some(e) => format!(
                        "rollback of {} ({}) failed: {}",
                        c.version, c.name, e.message
                    ),
                    None => format!(
                        "rollback of {} ({}) is not exact: {} object(s) differ",
                        c.version,
                        c.name,
                        c.differences.len()
                    ),
                },
            })
            .chain(stop)
            .collect()
    }
}
