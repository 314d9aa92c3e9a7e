//! The schema as canonical DDL for review (`strata dump`): every object in scope, one after
//! another, each followed by what belongs to it (constraints, indexes, triggers, policies,
//! grants, owner, comments).
//!
//! Owns: the order and the layout. Must not: read a database (the catalog comes in) or add
//! anything that is not the schema (no date, no server, no source): the same schema gives the
//! same bytes, whether it was read from the declared state or from a live database.
//!
//! The statements are the comparison's own items ([`super::items`]), so `dump` shows exactly
//! what `diff` compares. Objects are sorted by kind (schemas, extensions, types, sequences,
//! functions, tables, views, …) then by quoted qualified name: a stable order for review, not
//! a restore order (use `pg_dump` to restore).

use super::items::{self, Item, Scope};
use crate::catalog::{Catalog, ObjectRef};
use std::collections::BTreeMap;

/// One top-level object and the statements of what belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DumpObject {
    pub kind: crate::catalog::ObjectKind,
    /// The quoted, schema-qualified name.
    pub name: String,
    /// The statements, each ending with `;`.
    pub ddl: Vec<String>,
}

fn statement(ddl: &str) -> String {
    let t = ddl.trim();
    if t.ends_with(';') {
        t.to_string()
    } else {
        format!("{t};")
    }
}

/// The objects of `cat`, sorted; items in their default state (a column inside its table,
/// privileges as `CREATE` leaves them, RLS off) are left out: the statements around them say it.
pub fn objects(cat: &Catalog) -> Vec<DumpObject> {
    let all = items::items(cat, &Scope::of(cat, cat));
    let root = |item: &Item<'_>| -> ObjectRef {
        let mut id = item.id.clone();
        let mut parent = item.parent.clone();
        // Parents are at most a few levels up (a column's comment → column → table).
        for _ in 0..8 {
            let Some(p) = parent else { break };
            parent = all.get(&p).and_then(|i| i.parent.clone());
            id = p;
        }
        id
    };
    let mut groups: BTreeMap<ObjectRef, Vec<(ObjectRef, String)>> = BTreeMap::new();
    for item in all.values() {
        if item.default_state {
            continue;
        }
        groups
            .entry(root(item))
            .or_default()
            .push((item.id.clone(), statement(&item.ddl)));
    }
    groups
        .into_iter()
        .map(|(id, mut stmts)| {
            // The object itself first, then what belongs to it by kind and name.
            stmts.sort_by(|a, b| (a.0 != id, &a.0).cmp(&(b.0 != id, &b.0)));
            DumpObject {
                kind: id.kind,
                name: id.key,
                ddl: stmts.into_iter().map(|(_, s)| s).collect(),
            }
        })
        .collect()
}

/// The dump as text: a header naming the schemas, then each object's statements, a blank line
/// between objects.
pub fn render(schemas: &[String], objects: &[DumpObject]) -> String {
    let mut out = format!(
        "-- strata dump: schema{} {} ({} object(s)), canonical DDL sorted by kind and name\n",
        if schemas.len() == 1 { "" } else { "s" },
        schemas.join(", "),
        objects.len()
    );
    for o in objects {
        out.push_str(&format!("\n-- {} {}\n", o.kind, o.name));
        for s in &o.ddl {
            out.push_str(s);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_with_a_semicolon_once() {
        assert_eq!(statement("CREATE TABLE t ()\n"), "CREATE TABLE t ();");
        assert_eq!(statement("GRANT x;"), "GRANT x;");
    }

    #[test]
    fn an_empty_catalog_dumps_only_the_header_and_renders_the_same_twice() {
        let cat = Catalog::default();
        let a = render(&["public".into()], &objects(&cat));
        let b = render(&["public".into()], &objects(&cat.clone()));
        assert_eq!(a, b);
        assert_eq!(
            a,
            "-- strata dump: schema public (0 object(s)), canonical DDL sorted by kind and name\n"
        );
    }
}
