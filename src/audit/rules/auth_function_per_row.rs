//! `auth-function-per-row`: a policy calls `auth.uid()`, `auth.jwt()`, `auth.role()`,
//! `auth.email()` or `current_setting()` outside a sub-SELECT, so PostgreSQL calls it once per
//! row; wrapped as `(select auth.uid())` it becomes an InitPlan evaluated once per statement
//! (Supabase's `auth_rls_initplan`). Detected on the deparsed expression, not by a text match.

use super::{policy_object, Context, Finding, FindingId, Severity};
use crate::audit::expr::per_row_auth_calls;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in cx.catalog.policies.values() {
        let mut calls = Vec::new();
        let mut clauses = Vec::new();
        for (clause, e) in [("USING", &p.using), ("WITH CHECK", &p.check)] {
            let Some(e) = e else { continue };
            let found = per_row_auth_calls(e);
            if !found.is_empty() {
                clauses.push(clause);
            }
            for c in found {
                if !calls.contains(&c) {
                    calls.push(c);
                }
            }
        }
        if calls.is_empty() {
            continue;
        }
        let example = calls.first().cloned().unwrap_or_default();
        out.push(Finding {
            id: FindingId::AuthFunctionPerRow,
            severity: Severity::Warning,
            object: policy_object(p),
            table: Some(p.table.clone()),
            message: format!(
                "{} in {} {} evaluated once per row",
                calls.join(", "),
                clauses.join(" and "),
                if calls.len() == 1 { "is" } else { "are" }
            ),
            fix: format!(
                "wrap each call in a sub-select, e.g. (select {example}), so it runs once per statement"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn bare_auth_calls_are_per_row() {
        let cat = notes_with(
            "notes_select",
            Some(policy(
                "notes",
                "notes_select",
                "SELECT",
                &["authenticated"],
                Some("(user_id = auth.uid())"),
                None,
            )),
        );
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::AuthFunctionPerRow);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].object, "policy notes_select on public.notes");
        insta::assert_snapshot!(render(&r.findings, FindingId::AuthFunctionPerRow));
    }
}
