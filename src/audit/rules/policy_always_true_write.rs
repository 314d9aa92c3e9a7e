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

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn fixes_name_the_owner_column_and_insert_uses_with_check() {
        let mut cat = notes_with("notes_insert", None);
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_insert",
                "INSERT",
                &["authenticated"],
                None,
                Some("true"),
            ),
        );
        cat.policies.remove("public.notes.notes_delete");
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_delete",
                "DELETE",
                &["authenticated"],
                Some("true"),
                None,
            ),
        );
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::PolicyAlwaysTrueWrite);
        assert_eq!(f.len(), 2, "{f:#?}");
        let insert = f
            .iter()
            .find(|x| x.object.contains("notes_insert"))
            .map(|x| x.fix.clone())
            .unwrap_or_default();
        assert!(insert.starts_with("ALTER POLICY notes_insert ON public.notes WITH CHECK (user_id = (select auth.uid()));"), "{insert}");
        let delete = f
            .iter()
            .find(|x| x.object.contains("notes_delete"))
            .map(|x| x.fix.clone())
            .unwrap_or_default();
        assert!(
            delete.starts_with(
                "ALTER POLICY notes_delete ON public.notes USING (user_id = (select auth.uid()));"
            ),
            "{delete}"
        );
        // With a contract the comparison judges it (a feedback table may be insert = signed-in).
        assert!(of(
            &audit(&cat, &supabase(), Some(NOTES_CONTRACT)),
            FindingId::PolicyAlwaysTrueWrite
        )
        .is_empty());
        insta::assert_snapshot!(render(&r.findings, FindingId::PolicyAlwaysTrueWrite));
    }

    #[test]
    fn the_setting_model_fix_uses_the_setting() {
        let mut cat = catalog();
        add_role(&mut cat, "app_user", false);
        let mut t = user_table("notes");
        t.acl.extend(all_grants("app_user"));
        add_table(&mut cat, t);
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_all",
                "ALL",
                &["app_user"],
                Some("true"),
                Some("true"),
            ),
        );
        let r = audit(&cat, &setting_model(), None);
        let f = of(&r, FindingId::PolicyAlwaysTrueWrite);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].fix
                .contains("user_id = (select current_setting('app.current_user_id', true)::uuid)"),
            "{}",
            f[0].fix
        );
    }
}
