//! `auth-users-exposed`: a view or materialized view of the audited (exposed) schemas reads
//! `auth.users` — e-mail addresses, phone numbers, metadata of every user — and an API role may
//! read it, with the view owner's rights (no `security_invoker`) or as a copy (materialized).
//! Always an error (Supabase's `auth_users_exposed`); the finding names the view.

use super::{Context, Finding, FindingId, Severity};
use crate::audit::privilege;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, v) in &cx.catalog.views {
        let reads_users = cx
            .catalog
            .view_reads
            .get(key)
            .is_some_and(|r| r.iter().any(|t| t == "auth.users"));
        if !reads_users || (!v.materialized && super::security_invoker(&v.options)) {
            continue;
        }
        let owner = cx.catalog.owners.get(key).map(String::as_str);
        let readers: Vec<&str> = cx
            .config
            .api_roles
            .iter()
            .filter(|r| cx.catalog.roles.contains_key(&crate::sql::quote_ident(r)))
            .filter(|r| {
                let roles = privilege::inherited(cx.catalog, r);
                privilege::granted(&v.acl, "SELECT", &roles, owner)
                    && privilege::schema_usage(cx.catalog, &v.schema, &roles)
            })
            .map(String::as_str)
            .collect();
        if readers.is_empty() {
            continue;
        }
        let kind = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        out.push(Finding {
            id: FindingId::AuthUsersExposed,
            severity: Severity::Error,
            object: format!("{kind} {key}"),
            table: Some(key.clone()),
            message: format!(
                "reads auth.users {} and {} may read it: every user's e-mail, phone and metadata",
                if v.materialized { "into a copy without row-level security" } else { "with its owner's rights (no security_invoker)" },
                readers.join(", ")
            ),
            fix: format!(
                "REVOKE SELECT ON {key} FROM {}; expose only the columns needed through a table of your own (a profiles table kept by a trigger) with its own policies",
                readers.join(", ")
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
    fn a_view_over_auth_users_readable_by_the_api_roles() {
        let mut cat = catalog();
        add_view(
            &mut cat,
            "people",
            " SELECT users.id, users.email FROM auth.users;",
            &["auth.users"],
            &[],
            false,
        );
        add_view(
            &mut cat,
            "people_invoker",
            " SELECT users.id FROM auth.users;",
            &["auth.users"],
            &["security_invoker=true"],
            false,
        );
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::AuthUsersExposed);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "view public.people");
        insta::assert_snapshot!(render(&r.findings, FindingId::AuthUsersExposed));
    }
}
