//! `api-role-bypasses-rls`: a role clients reach the database as has BYPASSRLS or is a
//! superuser: no policy applies to it, on any table. Always an error; the report lists such
//! roles apart (`service_role`), but a client role must never be one.

use super::{Context, Finding, FindingId, Severity};
use crate::sql::quote_ident;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for role in &cx.config.api_roles {
        let Some(r) = cx.catalog.roles.get(&quote_ident(role)) else {
            continue;
        };
        let what = match (r.superuser, r.bypass_rls) {
            (true, _) => "is a superuser",
            (false, true) => "has BYPASSRLS",
            _ => continue,
        };
        out.push(Finding {
            id: FindingId::ApiRoleBypassesRls,
            severity: Severity::Error,
            object: format!("role {role}"),
            table: None,
            message: format!("{role}, a role clients use, {what}: row-level security never applies to it, on any table"),
            fix: format!("ALTER ROLE {} NOSUPERUSER NOBYPASSRLS;", quote_ident(role)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn the_application_role_with_bypassrls() {
        let mut cat = catalog();
        add_role(&mut cat, "app_user", true);
        let r = audit(&cat, &setting_model(), None);
        let f = of(&r, FindingId::ApiRoleBypassesRls);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "role app_user");
        insta::assert_snapshot!(render(&r.findings, FindingId::ApiRoleBypassesRls));
        let mut ok = catalog();
        add_role(&mut ok, "app_user", false);
        assert!(of(
            &audit(&ok, &setting_model(), None),
            FindingId::ApiRoleBypassesRls
        )
        .is_empty());
    }
}
