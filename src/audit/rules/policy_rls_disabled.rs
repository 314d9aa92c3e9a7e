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
