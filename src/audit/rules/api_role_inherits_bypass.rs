//! `api-role-inherits-bypass`: a role clients reach the database as is a member of a role that
//! skips row-level security: one with BYPASSRLS or SUPERUSER (the client can `SET ROLE` to it),
//! or the owner of tables (a member that inherits the owner counts as the owner, and skips
//! unforced row-level security: PostgreSQL's `has_privs_of_role`). Always an error.

use super::{Context, Finding, FindingId, Severity};
use crate::audit::privilege;
use crate::sql::quote_ident;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for role in &cx.config.api_roles {
        if !cx.catalog.roles.contains_key(&quote_ident(role)) {
            continue;
        }
        let inherits = privilege::inherited(cx.catalog, role);
        for m in privilege::member_of(cx.catalog, role) {
            let mut why = Vec::new();
            if let Some(r) = cx.catalog.roles.get(&m) {
                if r.superuser {
                    why.push("is a superuser (reachable with SET ROLE)".to_string());
                } else if r.bypass_rls {
                    why.push("has BYPASSRLS (reachable with SET ROLE)".to_string());
                }
            }
            let owned: Vec<&String> = cx
                .catalog
                .tables
                .iter()
                .filter(|(k, t)| cx.catalog.owners.get(*k) == Some(&m) && t.rls_enabled)
                .map(|(k, _)| k)
                .collect();
            if !owned.is_empty() {
                let unforced: Vec<&str> = owned
                    .iter()
                    .filter(|k| {
                        cx.catalog
                            .tables
                            .get(k.as_str())
                            .is_some_and(|t| !t.rls_forced)
                    })
                    .map(|k| k.as_str())
                    .collect();
                let how = if inherits.contains(&m) {
                    "and the member inherits it, so it counts as their owner"
                } else {
                    "reachable with SET ROLE"
                };
                why.push(if unforced.is_empty() {
                    format!("owns {} ({how}; the owner can disable row-level security)", owned.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))
                } else {
                    format!("owns {} without FORCE ROW LEVEL SECURITY ({how}: their policies are skipped)", unforced.join(", "))
                });
            }
            if why.is_empty() {
                continue;
            }
            out.push(Finding {
                id: FindingId::ApiRoleInheritsBypass,
                severity: Severity::Error,
                object: format!("role {role}"),
                table: owned.first().map(|k| k.to_string()),
                message: format!(
                    "{role}, a role clients use, is a member of {m}, which {}",
                    why.join("; ")
                ),
                fix: format!(
                    "REVOKE {m} FROM {}; grant {role} the privileges it needs directly",
                    quote_ident(role)
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;
    use crate::catalog::Membership;

    #[test]
    fn members_of_the_owner_and_of_a_bypassrls_role() {
        let mut cat = catalog();
        add_role(&mut cat, "app_user", false);
        add_role(&mut cat, "app_owner", false);
        add_role(&mut cat, "ops", true);
        good_notes(&mut cat);
        cat.owners.insert("public.notes".into(), "app_owner".into());
        for (m, r) in [("app_user", "app_owner"), ("app_user", "ops")] {
            cat.memberships.push(Membership {
                member: m.into(),
                role: r.into(),
                inherit: true,
            });
        }
        let r = audit(&cat, &setting_model(), None);
        let f = of(&r, FindingId::ApiRoleInheritsBypass);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f.iter().any(|x| x
            .message
            .contains("app_owner, which owns public.notes without FORCE")));
        assert!(f
            .iter()
            .any(|x| x.message.contains("ops, which has BYPASSRLS")));
        // The matrix follows the membership too: the member counts as the owner.
        assert!(r.matrix.iter().any(|m| m.table == "public.notes"
            && m.role == "app_user"
            && m.select.label() == "bypass (owner)"));
        insta::assert_snapshot!(render(&r.findings, FindingId::ApiRoleInheritsBypass));
    }
}
