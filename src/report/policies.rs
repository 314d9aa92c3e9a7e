//! `strata policies apply` (and the convergence at the end of `up`) as text.

use super::{table, Render, Text};
use crate::policy::ConvergeReport;

impl Render for ConvergeReport {
    fn text(&self, t: &mut Text) {
        t.out.push_str(&render_plan(self));
    }
}

/// The plan as text.
pub fn render_plan(r: &ConvergeReport) -> String {
    if r.changes.is_empty() {
        return format!(
            "policies: 0 changes; the database matches policies/ ({} file(s))\n",
            r.files
        );
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
