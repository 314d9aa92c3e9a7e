//! `strata policies apply` (and the convergence at the end of `up`) as text.

use super::{table, Render, Text};
use crate::policy::ConvergeReport;

impl Render for ConvergeReport {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&render_plan(self));
    }

    fn summary(&self) -> Option<String> {
        Some(plan_summary(self))
    }
}

/// The plan in one line.
pub fn plan_summary(r: &ConvergeReport) -> String {
    if r.changes.is_empty() {
        format!(
            "policies: 0 changes; the database matches policies/ ({} file(s))",
            r.files
        )
    } else if r.applied {
        format!(
            "policies: {} change(s), applied in one transaction",
            r.changes.len()
        )
    } else {
        format!(
            "policies: {} change(s); dry run, nothing was changed",
            r.changes.len()
        )
    }
}

/// The plan as text.
pub fn render_plan(r: &ConvergeReport) -> String {
    if r.changes.is_empty() {
        return format!("{}\n", plan_summary(r));
    }
    let rows = r
        .changes
        .iter()
        .map(|c| vec![c.kind.to_string(), c.object.clone(), c.change.to_string()])
        .collect();
    let mut out = format!("policies: {} change(s)\n", r.changes.len());
    out.push_str(&table(&["kind", "object", "change"], rows));
    out.push_str(if r.applied {
        "Applied in one transaction.\n"
    } else {
        "Dry run: nothing was changed.\n"
    });
    out
}
