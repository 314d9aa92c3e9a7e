//! Default privileges: `ALTER DEFAULT PRIVILEGES [FOR ROLE r] [IN SCHEMA s] GRANT/REVOKE …`.

use super::grant::default_acl;
use super::{authz, Sql};
use crate::catalog::{DefaultObjects, DefaultPrivileges, Grant};
use std::collections::BTreeMap;

/// One entry as compared: its key is `[FOR ROLE r] [IN SCHEMA s] ON TABLES` (no `FOR ROLE`
/// for the role that read the catalog, so the script applies to whoever runs it).
#[derive(Debug, Clone)]
pub struct Defaults<'a> {
    pub key: &'a str,
    pub entry: &'a DefaultPrivileges,
}

/// What objects get when no entry says otherwise: a global entry replaces the built-in
/// defaults (functions and types are usable by everyone), a schema's entry adds to them.
pub fn builtin(d: &DefaultPrivileges) -> &'static [(&'static str, &'static str)] {
    if d.schema.is_some() {
        return &[];
    }
    match d.objects {
        DefaultObjects::Functions => &[("PUBLIC", "EXECUTE")],
        DefaultObjects::Types => &[("PUBLIC", "USAGE")],
        _ => &[],
    }
}

fn statement(prefix: &str, objects: &str, g: &Grant, revoke: bool) -> String {
    if revoke {
        format!(
            "ALTER DEFAULT PRIVILEGES {prefix}REVOKE {} ON {objects} FROM {};",
            g.privilege, g.grantee
        )
    } else {
        format!(
            "ALTER DEFAULT PRIVILEGES {prefix}GRANT {} ON {objects} TO {}{};",
            g.privilege,
            g.grantee,
            if g.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    }
}

/// `FOR ROLE r IN SCHEMA s ` from the key (everything before `ON …`).
fn prefix(d: &Defaults<'_>) -> String {
    match d.key.rfind("ON ") {
        Some(i) => d.key[..i].to_string(),
        None => String::new(),
    }
}

/// From one list to another; the role's own privileges (`(owner)`) are not scripted.
fn changes(d: &Defaults<'_>, from: &[Grant], to: &[Grant]) -> Vec<String> {
    let pre = prefix(d);
    let objects = d.entry.objects.sql();
    let map = |acl: &[Grant]| -> BTreeMap<(String, String), bool> {
        acl.iter()
            .filter(|g| g.grantee != "(owner)")
            .map(|g| ((g.grantee.clone(), g.privilege.clone()), g.grantable))
            .collect()
    };
    let (f, t) = (map(from), map(to));
    let mut out = Vec::new();
    for ((grantee, privilege), grantable) in &f {
        let g = Grant {
            grantee: grantee.clone(),
            privilege: privilege.clone(),
            grantable: *grantable,
        };
        match t.get(&(grantee.clone(), privilege.clone())) {
            None => out.push(statement(&pre, objects, &g, true)),
            Some(false) if *grantable => out.push(statement(&pre, objects, &g, true).replacen(
                "REVOKE ",
                "REVOKE GRANT OPTION FOR ",
                1,
            )),
            _ => {}
        }
    }
    for ((grantee, privilege), grantable) in &t {
        let before = f.get(&(grantee.clone(), privilege.clone()));
        if before.is_none() || (*grantable && before == Some(&false)) {
            let g = Grant {
                grantee: grantee.clone(),
                privilege: privilege.clone(),
                grantable: *grantable,
            };
            out.push(statement(&pre, objects, &g, false));
        }
    }
    out
}

/// The canonical DDL: from the built-in defaults to this entry.
pub fn create_sql(d: &Defaults<'_>) -> String {
    changes(d, &default_acl(builtin(d.entry)), &d.entry.acl).join("\n")
}

/// Whether the entry says what the built-in defaults say (PostgreSQL removes such entries).
pub fn is_builtin(d: &DefaultPrivileges) -> bool {
    super::grant::is_default(&d.acl, builtin(d))
}

const HAZARD: &str = "objects created later get different privileges";

pub fn create(d: &Defaults<'_>) -> Sql {
    Sql::new(
        changes(d, &default_acl(builtin(d.entry)), &d.entry.acl),
        vec![authz(HAZARD)],
    )
}

pub fn drop(d: &Defaults<'_>) -> Sql {
    Sql::new(
        changes(d, &d.entry.acl, &default_acl(builtin(d.entry))),
        vec![authz(HAZARD)],
    )
}

pub fn alter(a: &Defaults<'_>, b: &Defaults<'_>) -> Sql {
    Sql::new(changes(b, &a.entry.acl, &b.entry.acl), vec![authz(HAZARD)])
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
    fn a_schema_entry_grants_and_revokes_by_difference() {
        let entry = DefaultPrivileges {
            role: "app".into(),
            schema: Some("public".into()),
            objects: DefaultObjects::Tables,
            acl: vec![g("anon", "SELECT")],
        };
        let d = Defaults {
            key: "IN SCHEMA public ON TABLES",
            entry: &entry,
        };
        assert_eq!(
            create_sql(&d),
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO anon;"
        );
        assert_eq!(
            drop(&d).statements,
            ["ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM anon;"]
        );
    }

    #[test]
    fn a_global_entry_starts_from_the_builtin_defaults() {
        let entry = DefaultPrivileges {
            role: "bob".into(),
            schema: None,
            objects: DefaultObjects::Functions,
            acl: vec![g("(owner)", "EXECUTE")],
        };
        let d = Defaults {
            key: "FOR ROLE bob ON FUNCTIONS",
            entry: &entry,
        };
        assert!(!is_builtin(&entry));
        assert_eq!(
            create_sql(&d),
            "ALTER DEFAULT PRIVILEGES FOR ROLE bob REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;"
        );
    }
}
