//! `policy-rls-disabled`: policies exist on a table whose row-level security is disabled, so
//! PostgreSQL ignores them and whoever holds a privilege sees every row. Almost always a
//! forgotten `ENABLE ROW LEVEL SECURITY` (Supabase's `policy_exists_rls_disabled`).

use super::{Context, Finding, FindingId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, t) in &cx.catalog.tables {
        let policies = cx.policies_of(key);
        if t.rls_enabled || policies.is_empty() {
            continue;
        }
        let names: Vec<String> = policies
            .iter()
            .map(|p| crate::sql::quote_ident(&p.name))
            .collect();
        out.push(Finding {
            id: FindingId::PolicyRlsDisabled,
            severity: Severity::Error,
            object: format!("table {key}"),
            table: Some(key.clone()),
            message: format!(
                "{} polic{} ({}) exist but row-level security is disabled, so they are ignored and every privileged role sees every row",
                names.len(),
                if names.len() == 1 { "y" } else { "ies" },
                names.join(", ")
            ),
            fix: format!("ALTER TABLE {key} ENABLE ROW LEVEL SECURITY;"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn policies_on_a_table_without_rls() {
        let mut cat = catalog();
        good_notes(&mut cat);
        if let Some(t) = cat.tables.get_mut("public.notes") {
            t.rls_enabled = false;
        }
        let r = audit(&cat, &supabase(), Some(NOTES_CONTRACT));
        let f = of(&r, FindingId::PolicyRlsDisabled);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.starts_with("4 policies"), "{}", f[0].message);
        assert_eq!(
            f[0].fix,
            "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;"
        );
        insta::assert_snapshot!(render(&r.findings, FindingId::PolicyRlsDisabled));
    }
}
