//! Who holds a privilege, owns a relation or skips row-level security, following role
//! membership the way PostgreSQL does (`has_privs_of_role`): a member that inherits a role holds
//! its privileges and counts as the owner of what it owns (so it skips the owner's unforced
//! row-level security too); `BYPASSRLS` and `SUPERUSER` are attributes, never inherited.
//!
//! Pure functions of the catalog.

use crate::catalog::{Catalog, Grant};
use crate::sql::quote_ident;
use std::collections::BTreeSet;

/// `role` and every role whose privileges it inherits (transitively), quoted names.
pub fn inherited(cat: &Catalog, role: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::from([quote_ident(role)]);
    let mut todo = vec![quote_ident(role)];
    while let Some(r) = todo.pop() {
        for m in cat
            .memberships
            .iter()
            .filter(|m| m.member == r && m.inherit)
        {
            if out.insert(m.role.clone()) {
                todo.push(m.role.clone());
            }
        }
    }
    out
}

/// Every role `role` is a member of (transitively), inheriting or not: roles it can `SET ROLE`
/// to.
pub fn member_of(cat: &Catalog, role: &str) -> BTreeSet<String> {
    let start = quote_ident(role);
    let mut out = BTreeSet::new();
    let mut todo = vec![start.clone()];
    while let Some(r) = todo.pop() {
        for m in cat.memberships.iter().filter(|m| m.member == r) {
            if m.role != start && out.insert(m.role.clone()) {
                todo.push(m.role.clone());
            }
        }
    }
    out
}

/// The privilege is granted to one of `roles` (quoted names), to PUBLIC, or to the owner when
/// one of `roles` is the owner.
pub fn granted(
    acl: &[Grant],
    privilege: &str,
    roles: &BTreeSet<String>,
    owner: Option<&str>,
) -> bool {
    acl.iter().any(|g| {
        g.privilege == privilege
            && (g.grantee == "PUBLIC"
                || roles.contains(&g.grantee)
                || (g.grantee == "(owner)" && owner.is_some_and(|o| roles.contains(o))))
    })
}

/// How a role holds a privilege, for messages: `granted to authenticated`, `granted to PUBLIC`,
/// `granted to app_owner, which app_user inherits`, `as owner`.
pub fn grant_reason(
    acl: &[Grant],
    privilege: &str,
    role: &str,
    roles: &BTreeSet<String>,
    owner: Option<&str>,
) -> Option<String> {
    let me = quote_ident(role);
    let mut best: Option<String> = None;
    for g in acl.iter().filter(|g| g.privilege == privilege) {
        let why = if g.grantee == me {
            format!("{privilege} granted to {role}")
        } else if g.grantee == "PUBLIC" {
            format!("{privilege} granted to PUBLIC")
        } else if g.grantee == "(owner)" && owner.is_some_and(|o| roles.contains(o)) {
            let o = owner.unwrap_or_default();
            if o == me {
                format!("{role} owns it")
            } else {
                format!("{role} is a member of its owner {o}")
            }
        } else if roles.contains(&g.grantee) {
            format!(
                "{privilege} granted to {}, which {role} inherits",
                g.grantee
            )
        } else {
            continue;
        };
        // Prefer the direct grant in messages.
        if best.is_none() || why.contains(&format!("granted to {role}")) {
            best = Some(why);
        }
    }
    best
}

/// The role may use objects in the schema (USAGE directly, through PUBLIC or membership). A
/// schema the catalog did not read counts as usable.
pub fn schema_usage(cat: &Catalog, schema: &str, roles: &BTreeSet<String>) -> bool {
    match cat.schemas.get(&quote_ident(schema)) {
        None => true,
        Some(s) => granted(&s.acl, "USAGE", roles, None),
    }
}

/// The role is the owner of the relation or inherits its owner's privileges.
pub fn owns(cat: &Catalog, relation_key: &str, roles: &BTreeSet<String>) -> Option<String> {
    cat.owners
        .get(relation_key)
        .filter(|o| roles.contains(*o))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Membership;

    fn cat() -> Catalog {
        let mut c = Catalog::default();
        for (m, r, inherit) in [
            ("app", "owner_role", true),
            ("owner_role", "base", true),
            ("app", "admin", false),
        ] {
            c.memberships.push(Membership {
                member: m.into(),
                role: r.into(),
                inherit,
            });
        }
        c
    }

    fn g(grantee: &str, p: &str) -> Grant {
        Grant {
            grantee: grantee.into(),
            privilege: p.into(),
            grantable: false,
        }
    }

    #[test]
    fn membership_is_followed_transitively_and_inherit_matters() {
        let c = cat();
        assert_eq!(
            inherited(&c, "app"),
            BTreeSet::from(["app".to_string(), "owner_role".into(), "base".into()])
        );
        assert_eq!(
            member_of(&c, "app"),
            BTreeSet::from(["owner_role".to_string(), "base".into(), "admin".into()])
        );
        let roles = inherited(&c, "app");
        assert!(granted(&[g("base", "SELECT")], "SELECT", &roles, None));
        assert!(!granted(&[g("admin", "SELECT")], "SELECT", &roles, None));
        assert!(granted(
            &[g("(owner)", "SELECT")],
            "SELECT",
            &roles,
            Some("owner_role")
        ));
        assert_eq!(
            grant_reason(
                &[g("(owner)", "UPDATE")],
                "UPDATE",
                "app",
                &roles,
                Some("owner_role")
            ),
            Some("app is a member of its owner owner_role".into())
        );
        assert_eq!(
            grant_reason(
                &[g("base", "UPDATE"), g("app", "UPDATE")],
                "UPDATE",
                "app",
                &roles,
                None
            ),
            Some("UPDATE granted to app".into())
        );
    }
}
