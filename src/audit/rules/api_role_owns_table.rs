//! `api-role-owns-table`: a role clients reach the database as (`anon`, `authenticated`, or the
//! `setting` model's application role) owns a table. Without FORCE ROW LEVEL SECURITY the owner
//! skips every policy (an error); with it, the owner can still `ALTER TABLE … DISABLE ROW
//! LEVEL SECURITY` or drop the policies (a warning). Tables should belong to the role that runs
//! migrations.

use super::{Context, Finding, FindingId, Severity};
use crate::sql::quote_ident;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for role in &cx.config.api_roles {
        let rk = quote_ident(role);
        for (key, t) in &cx.catalog.tables {
            if cx.catalog.owners.get(key) != Some(&rk) {
                continue;
            }
            let (severity, message) = if t.rls_forced {
                (
                    Severity::Warning,
                    format!("{role}, a role clients use, owns it: row-level security is forced, but the owner can disable it or drop the policies"),
                )
            } else {
                (
                    Severity::Error,
                    format!("{role}, a role clients use, owns it and row-level security is not forced: every policy is skipped for {role}, so every row is reachable"),
                )
            };
            out.push(Finding {
                id: FindingId::ApiRoleOwnsTable,
                severity,
                object: format!("table {key}"),
                table: Some(key.clone()),
                message,
                fix: format!(
                    "ALTER TABLE {key} OWNER TO <the role that runs migrations>; (at least ALTER TABLE {key} FORCE ROW LEVEL SECURITY;) and GRANT {role} only the privileges it needs"
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::{FindingId, Severity};

    #[test]
    fn the_application_role_owning_a_table() {
        let mut cat = catalog();
        add_role(&mut cat, "app_user", false);
        good_notes(&mut cat);
        cat.owners.insert("public.notes".into(), "app_user".into());
        let mut forced = user_table("forced");
        forced.rls_forced = true;
        add_table(&mut cat, forced);
        cat.owners.insert("public.forced".into(), "app_user".into());
        let r = audit(&cat, &setting_model(), None);
        let f = of(&r, FindingId::ApiRoleOwnsTable);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(
            f.iter()
                .find(|x| x.object == "table public.notes")
                .map(|x| x.severity),
            Some(Severity::Error)
        );
        assert_eq!(
            f.iter()
                .find(|x| x.object == "table public.forced")
                .map(|x| x.severity),
            Some(Severity::Warning)
        );
        insta::assert_snapshot!(render(&r.findings, FindingId::ApiRoleOwnsTable));
    }
}
