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

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::{FindingId, Severity};

    #[test]
    fn an_error_when_api_roles_hold_privileges_a_warning_otherwise() {
        let mut cat = catalog();
        let mut open = user_table("open");
        open.rls_enabled = false;
        add_table(&mut cat, open);
        let mut closed = user_table("closed");
        closed.rls_enabled = false;
        closed
            .acl
            .retain(|g| g.grantee != "anon" && g.grantee != "authenticated");
        add_table(&mut cat, closed);
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::RlsDisabled);
        assert_eq!(
            f.iter()
                .map(|x| (x.object.as_str(), x.severity))
                .collect::<Vec<_>>(),
            vec![
                ("table public.open", Severity::Error),
                ("table public.closed", Severity::Warning)
            ]
        );
        insta::assert_snapshot!(render(&r.findings, FindingId::RlsDisabled));
    }
}
