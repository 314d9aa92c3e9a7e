//! The script as SQL text.
//!
//! Owns: the layout of a fix script (header, one `--` explanation and its hazards per step,
//! the statements). Must not: decide anything about the steps.

use super::plan::{Step, StepAction};
use crate::catalog::ObjectKind;

/// The script as SQL text: `-- hazard:` comments before each step's statements. Starts with
/// `-- strata:no-transaction` when a step cannot run in a transaction, so the text can be saved
/// as a migration as it is.
pub fn render_script(steps: &[Step]) -> String {
    let mut out = String::new();
    if steps.iter().any(|s| !s.transactional) {
        out.push_str("-- strata:no-transaction\n");
    }
    out.push_str(&format!(
        "-- strata diff: {} step(s) that turn the live database into the declared state\n",
        steps.len()
    ));
    if steps.iter().any(|s| {
        matches!(s.kind, ObjectKind::Function | ObjectKind::Procedure)
            && s.action != StepAction::Drop
    }) {
        out.push_str("SET check_function_bodies = off;\n");
    }
    for s in steps {
        out.push_str(&format!("\n-- {}\n", s.explanation));
        for h in &s.hazards {
            out.push_str(&format!("-- hazard: {}: {}\n", h.id, h.message));
        }
        for st in &s.statements {
            out.push_str(st);
            out.push('\n');
        }
    }
    out
}
