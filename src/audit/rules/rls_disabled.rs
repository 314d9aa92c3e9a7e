//! `rls-disabled`: a table in an audited (exposed) schema whose row-level security is off.
//! An error when an API role (`anon`/`authenticated`, or the `setting` model's role) holds a
//! privilege on it, because every row is then reachable through the API (Supabase's
//! `rls_disabled_in_public`); a warning otherwise, because one later GRANT would do it.

use super::{Context, Finding, FindingId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, t) in &cx.catalog.tables {
        if t.rls_enabled {
            continue;
        }
        let roles = cx.api_roles_with_privilege(key);
        let (severity, message) = if roles.is_empty() {
            (
                Severity::Warning,
                "row-level security is disabled; no API role holds a privilege on it today, but any later GRANT exposes every row".to_string(),
            )
        } else {
            (
                Severity::Error,
                format!(
                    "row-level security is disabled and {} can reach every row",
                    roles.join(", ")
                ),
            )
        };
        out.push(Finding {
            id: FindingId::RlsDisabled,
            severity,
            object: format!("table {key}"),
            table: Some(key.clone()),
            message,
            fix: format!(
                "ALTER TABLE {key} ENABLE ROW LEVEL SECURITY; then add policies for the roles that need access"
            ),
        });
    }
    out
}
