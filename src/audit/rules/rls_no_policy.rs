//! `rls-no-policy`: row-level security is enabled but the table has no policy, so every role
//! but the owner and BYPASSRLS roles is denied every row. Only `info`: a deny-all table used by
//! the server alone is a legitimate design (Supabase's `rls_enabled_no_policy`).

use super::{Context, Finding, FindingId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, t) in &cx.catalog.tables {
        if !t.rls_enabled || !cx.policies_of(key).is_empty() {
            continue;
        }
        out.push(Finding {
            id: FindingId::RlsNoPolicy,
            severity: Severity::Info,
            object: format!("table {key}"),
            table: Some(key.clone()),
            message: "row-level security is enabled and no policy exists: every role except the owner and BYPASSRLS roles (service_role) is denied every row; deny-all is sometimes intended (server-only tables)".into(),
            fix: format!(
                "if clients need rows, CREATE POLICY … ON {key} FOR <command> TO <role> USING (…); if only the server uses it, nothing to do"
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
    fn deny_all_is_only_info() {
        let mut cat = catalog();
        add_table(&mut cat, user_table("server_only"));
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::RlsNoPolicy);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        insta::assert_snapshot!(render(&r.findings, FindingId::RlsNoPolicy));
    }
}
