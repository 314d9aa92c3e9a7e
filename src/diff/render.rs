//! The script as SQL text: for psql (`diff --sql`) and as a migration file
//! (`diff --new-migration`).
//!
//! Owns: the layout (a header, one `--` explanation and its hazards per step, the statements,
//! transaction blocks). Must not: decide anything about the steps. Everything that is not SQL
//! is a `--` comment, so `strata diff --sql > fix.sql && psql -f fix.sql` runs it as it is.

use super::plan::{Step, StepAction};
use crate::catalog::ObjectKind;

/// Whether any step creates or replaces a function body (checked later, at run time).
fn writes_functions(steps: &[Step]) -> bool {
    steps.iter().any(|s| {
        matches!(s.kind, ObjectKind::Function | ObjectKind::Procedure)
            && s.action != StepAction::Drop
    })
}

fn step_text(out: &mut String, s: &Step) {
    out.push_str(&format!("\n-- {}\n", s.explanation));
    for h in &s.hazards {
        out.push_str(&format!("-- hazard: {}: {}\n", h.id, h.message));
    }
    for st in &s.statements {
        out.push_str(st);
        out.push('\n');
    }
}

/// The script for psql: consecutive transactional steps in one `BEGIN … COMMIT` block (all of
/// them, when every step can run in a transaction: the change is then atomic), and each step
/// that cannot (its effect must be committed before a later step uses it) outside, marked.
pub fn render_script(steps: &[Step]) -> String {
    let mut out = format!(
        "-- strata diff: {} step(s) that turn the live database into the declared state\n",
        steps.len()
    );
    let outside = steps.iter().filter(|s| !s.transactional).count();
    if outside > 0 {
        out.push_str(&format!(
            "-- {outside} step(s) run outside a transaction block (marked below): if the script stops after one, what it did stays\n"
        ));
    }
    if writes_functions(steps) {
        out.push_str("SET check_function_bodies = off;\n");
    }
    let mut open = false;
    for s in steps {
        if s.transactional && !open {
            out.push_str("\nBEGIN;\n");
            open = true;
        }
        if !s.transactional {
            if open {
                out.push_str("\nCOMMIT;\n");
                open = false;
            }
            out.push_str("\n-- not transactional: this step runs on its own and commits");
        }
        step_text(&mut out, s);
    }
    if open {
        out.push_str("\nCOMMIT;\n");
    }
    out
}

/// The steps as a migration file: strata runs it in one transaction, or, when a step cannot
/// run in one, statement by statement (`-- strata:no-transaction`).
pub fn render_migration(steps: &[Step], title: &str) -> String {
    let mut out = String::new();
    if steps.iter().any(|s| !s.transactional) {
        out.push_str("-- strata:no-transaction\n");
    }
    out.push_str(&format!("-- {title}\n"));
    if writes_functions(steps) {
        out.push_str("SET check_function_bodies = off;\n");
    }
    for s in steps {
        step_text(&mut out, s);
    }
    out
}
