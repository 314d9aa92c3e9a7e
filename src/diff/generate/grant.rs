//! Privileges of one object (or one column): `GRANT` / `REVOKE` by difference.
//!
//! Owner entries (`(owner)`) are never scripted: an object's owner has its privileges by
//! owning it.

use super::{authz, Sql};
use crate::catalog::Grant;
use crate::sql::quote_ident;
use std::collections::BTreeMap;

/// The privileges of the object `target`.
#[derive(Debug, Clone)]
pub struct Privileges<'a> {
    /// Its SQL object type: `TABLE`, `SEQUENCE`, `FUNCTION`, `SCHEMA`, …
    pub object_type: &'static str,
    pub target: &'a str,
    /// For column privileges.
    pub column: Option<&'a str>,
    pub acl: &'a [Grant],
    /// What a freshly created object of this type has besides its owner's privileges.
    pub default: &'static [(&'static str, &'static str)],
}

/// Nothing besides the owner (tables, views, sequences, schemas).
pub const NO_DEFAULTS: &[(&str, &str)] = &[];
/// Functions and procedures: everyone may execute them.
pub const FUNCTION_DEFAULTS: &[(&str, &str)] = &[("PUBLIC", "EXECUTE")];
/// Types and domains: everyone may use them.
pub const TYPE_DEFAULTS: &[(&str, &str)] = &[("PUBLIC", "USAGE")];

pub fn grant_sql(
    object_type: &str,
    target: &str,
    column: Option<&str>,
    g: &Grant,
    revoke: bool,
) -> String {
    let privilege = match column {
        Some(c) => format!("{} ({})", g.privilege, quote_ident(c)),
        None => g.privilege.clone(),
    };
    if revoke {
        format!(
            "REVOKE {privilege} ON {object_type} {target} FROM {};",
            g.grantee
        )
    } else {
        format!(
            "GRANT {privilege} ON {object_type} {target} TO {}{};",
            g.grantee,
            if g.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    }
}

/// The canonical DDL: every privilege as a `GRANT`.
pub fn create_sql(p: &Privileges<'_>) -> String {
    p.acl
        .iter()
        .map(|g| grant_sql(p.object_type, p.target, p.column, g, false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `acl` is what a freshly created object has.
pub fn is_default(acl: &[Grant], default: &[(&str, &str)]) -> bool {
    let mut extra: Vec<(&str, &str)> = acl
        .iter()
        .filter(|g| g.grantee != "(owner)")
        .map(|g| (g.grantee.as_str(), g.privilege.as_str()))
        .collect();
    extra.sort();
    let mut d = default.to_vec();
    d.sort();
    extra == d
}

/// The privileges a freshly created object has (owner privileges are never scripted).
pub fn default_acl(default: &[(&str, &str)]) -> Vec<Grant> {
    default
        .iter()
        .map(|(g, p)| Grant {
            grantee: g.to_string(),
            privilege: p.to_string(),
            grantable: false,
        })
        .collect()
}

/// REVOKE/GRANT statements from one privilege list to another.
pub fn changes(
    object_type: &str,
    target: &str,
    column: Option<&str>,
    from: &[Grant],
    to: &[Grant],
) -> Vec<String> {
    let key = |g: &Grant| (g.grantee.clone(), g.privilege.clone());
    let from_map: BTreeMap<_, bool> = from
        .iter()
        .filter(|g| g.grantee != "(owner)")
        .map(|g| (key(g), g.grantable))
        .collect();
    let to_map: BTreeMap<_, bool> = to
        .iter()
        .filter(|g| g.grantee != "(owner)")
        .map(|g| (key(g), g.grantable))
        .collect();
    let mut out = Vec::new();
    for ((grantee, privilege), grantable) in &from_map {
        let g = Grant {
            grantee: grantee.clone(),
            privilege: privilege.clone(),
            grantable: *grantable,
        };
        match to_map.get(&(grantee.clone(), privilege.clone())) {
            None => out.push(grant_sql(object_type, target, column, &g, true)),
            Some(false) if *grantable => {
                let s = grant_sql(object_type, target, column, &g, true);
                out.push(s.replacen("REVOKE ", "REVOKE GRANT OPTION FOR ", 1));
            }
            _ => {}
        }
    }
    for ((grantee, privilege), grantable) in &to_map {
        let before = from_map.get(&(grantee.clone(), privilege.clone()));
        if before.is_none() || (*grantable && before == Some(&false)) {
            let g = Grant {
                grantee: grantee.clone(),
                privilege: privilege.clone(),
                grantable: *grantable,
            };
            out.push(grant_sql(object_type, target, column, &g, false));
        }
    }
    out
}

/// From the privileges a new object has to `p`'s.
pub fn create(p: &Privileges<'_>) -> Sql {
    Sql::new(
        changes(
            p.object_type,
            p.target,
            p.column,
            &default_acl(p.default),
            p.acl,
        ),
        vec![authz("privileges change")],
    )
}

/// Back to the privileges a new object has.
pub fn drop(p: &Privileges<'_>) -> Sql {
    Sql::new(
        changes(
            p.object_type,
            p.target,
            p.column,
            p.acl,
            &default_acl(p.default),
        ),
        vec![authz("privileges are revoked")],
    )
}

pub fn alter(a: &Privileges<'_>, b: &Privileges<'_>) -> Sql {
    Sql::new(
        changes(b.object_type, b.target, b.column, a.acl, b.acl),
        vec![authz("privileges change")],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(who: &str, p: &str) -> Grant {
        Grant {
            grantee: who.into(),
            privilege: p.into(),
            grantable: false,
        }
    }

    #[test]
    fn default_acl_ignores_owner_and_knows_function_defaults() {
        assert!(is_default(&[g("(owner)", "SELECT")], NO_DEFAULTS));
        assert!(!is_default(
            &[g("(owner)", "SELECT"), g("anon", "SELECT")],
            NO_DEFAULTS
        ));
        assert!(is_default(
            &[g("(owner)", "EXECUTE"), g("PUBLIC", "EXECUTE")],
            FUNCTION_DEFAULTS
        ));
        assert!(!is_default(&[g("(owner)", "EXECUTE")], FUNCTION_DEFAULTS));
    }

    #[test]
    fn grant_option_is_revoked_alone() {
        let mut with = g("anon", "SELECT");
        with.grantable = true;
        assert_eq!(
            changes("TABLE", "public.t", None, &[with], &[g("anon", "SELECT")]),
            ["REVOKE GRANT OPTION FOR SELECT ON TABLE public.t FROM anon;"]
        );
    }
}
