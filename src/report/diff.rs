//! `diff` and `verify-rollbacks` as text: the summary table, a unified diff of each changed
//! object's DDL, the proven script, and the per-migration rollback verdicts.

use super::{table, Annotation, AnnotationLevel, Render, Text};
use crate::diff::{self, Change, ChangeType};
use crate::ops::diff::{DiffOutcome, Proof};
use crate::ops::verify_rollbacks::{RollbackResult, VerifyOutcome};

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
        if !self.not_compared.is_empty() {
            let list: Vec<String> = self
                .not_compared
                .iter()
                .map(|n| format!("{} {}", n.kind, n.name))
                .collect();
            t.err.push_str(&format!(
                "note: {} object(s) of kinds strata does not compare: {}\n",
                self.not_compared.len(),
                list.join(", ")
            ));
        }
        if self.changes.is_empty() {
            t.out.push_str("No differences.\n");
            return;
        }
        if !self.sql {
            t.out.push_str(&render_changes(&self.changes));
            return;
        }
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
        self.changes
            .iter()
            .map(|c| Annotation {
                level: if self.exit_code {
                    AnnotationLevel::Error
                } else {
                    AnnotationLevel::Warning
                },
                file: None,
                line: None,
                column: None,
                title: Some("strata diff".into()),
                message: format!("{} {} {}", c.kind, c.object, c.change),
            })
            .collect()
    }
}

fn summary_table(changes: &[Change]) -> String {
    table(
        &["kind", "object", "change"],
        changes
            .iter()
            .map(|c| vec![c.kind.to_string(), c.object.clone(), c.change.to_string()])
            .collect(),
    )
}

/// The summary table, counts, then a unified diff of each changed object's DDL.
pub fn render_changes(changes: &[Change]) -> String {
    let mut out = summary_table(changes);
    out.push_str(&format!("{}\n", changes_summary(changes)));
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
    format!(
        "{} difference(s): {} added, {} removed, {} changed (live database → declared state).",
        changes.len(),
        count(ChangeType::Added),
        count(ChangeType::Removed),
        count(ChangeType::Changed)
    )
}

impl VerifyOutcome {
    fn summary_line(&self) -> String {
        format!(
            "{} migration(s): {} exact, {} not exact, {} failed, {} without rollback (skipped).",
            self.migrations.len(),
            self.count(RollbackResult::Exact),
            self.count(RollbackResult::NotExact),
            self.count(RollbackResult::Failed),
            self.count(RollbackResult::NoRollback)
        )
    }
}

impl Render for VerifyOutcome {
    fn summary(&self) -> Option<String> {
        Some(if self.migrations.is_empty() {
            "No migrations.".to_string()
        } else {
            self.summary_line()
        })
    }

    fn text(&self, t: &mut Text) {
        let checks = &self.migrations;
        if checks.is_empty() {
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
                        ChangeType::Removed => "left behind by the rollback",
                        ChangeType::Added => "missing after the rollback",
                        ChangeType::Changed => "changed by the migration and its rollback",
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
        out.push_str(&format!("\n{}\n", self.summary_line()));
        t.out.push_str(&out);
    }

    fn annotations(&self) -> Vec<Annotation> {
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
            .collect()
    }
}
