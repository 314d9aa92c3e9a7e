//! `policy-always-true-write`: a permissive policy for INSERT, UPDATE, DELETE or ALL whose
//! USING or WITH CHECK is the constant `true`, so its roles may write any row (Supabase's
//! `rls_policy_always_true`; SELECT is left out on purpose: public reads are a design choice,
//! and `anon-reads-user-rows` covers the dangerous ones). Policies only for roles that skip RLS
//! anyway (service_role) are not reported.

use super::{policy_object, Context, Finding, FindingId, Severity};
use crate::audit::expr::is_constant_true;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in cx.catalog.policies.values() {
        if !p.permissive || !matches!(p.command.as_str(), "INSERT" | "UPDATE" | "DELETE" | "ALL") {
            continue;
        }
        if !p.roles.is_empty()
            && p.roles.iter().all(|r| {
                r != "public"
                    && cx
                        .catalog
                        .roles
                        .get(r)
                        .is_some_and(|x| x.superuser || x.bypass_rls)
            })
        {
            continue;
        }
        let mut clauses = Vec::new();
        if p.using.as_deref().is_some_and(is_constant_true) {
            clauses.push("USING (true)");
        }
        if p.check.as_deref().is_some_and(is_constant_true) {
            clauses.push("WITH CHECK (true)");
        }
        if clauses.is_empty() {
            continue;
        }
        out.push(Finding {
            id: FindingId::PolicyAlwaysTrueWrite,
            severity: Severity::Error,
            object: policy_object(p),
            table: Some(p.table.clone()),
            message: format!(
                "FOR {} TO {} has {}: those roles may {} any row of {}",
                p.command,
                p.roles.join(", "),
                clauses.join(" and "),
                match p.command.as_str() {
                    "INSERT" => "insert",
                    "UPDATE" => "change",
                    "DELETE" => "delete",
                    _ => "read and write",
                },
                p.table
            ),
            fix: {
                let owner = crate::sql::quote_ident(&cx.owner_column(&p.table));
                let cond = format!("{owner} = {}", cx.user_expr());
                let clause = match p.command.as_str() {
                    "INSERT" => format!("WITH CHECK ({cond})"),
                    "DELETE" => format!("USING ({cond})"),
                    _ => format!("USING ({cond}) WITH CHECK ({cond})"),
                };
                format!(
                    "ALTER POLICY {} ON {} {clause}; (or, if this access is intended, say so in policies/access.toml)",
                    crate::sql::quote_ident(&p.name),
                    p.table
                )
            },
        });
    }
    out
}
