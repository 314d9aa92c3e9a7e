//! `view-bypasses-rls`: a view without `security_invoker=true` (PostgreSQL 15+) reads its base
//! tables with its owner's rights, so the base tables' policies are checked against the owner,
//! not against the caller; a materialized view holds a copy of the rows and has no RLS at all.
//! Reported when the view reads (directly or through other views) a table with row-level
//! security and an API role may SELECT from the view (Supabase's `security_definer_view`,
//! supabase/cli#792 where `security_invoker` was lost and anon read every row).

use super::{Context, Finding, FindingId, Severity};
use crate::catalog::{Catalog, ObjectKind};
use crate::sql::quote_ident;
use std::collections::{BTreeMap, BTreeSet};

/// `security_invoker` set to a true value among the view's options.
pub fn security_invoker(options: &[String]) -> bool {
    options.iter().any(|o| {
        o.split_once('=').is_some_and(|(k, v)| {
            k == "security_invoker"
                && matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "1")
        })
    })
}

type Edges<'a> = BTreeMap<&'a str, Vec<(&'a ObjectKind, &'a str)>>;

/// What each view reads, from the catalog's dependency edges.
fn view_edges(cat: &Catalog) -> Edges<'_> {
    let mut edges: Edges<'_> = BTreeMap::new();
    for (from, to) in &cat.dependencies {
        if matches!(from.kind, ObjectKind::View | ObjectKind::MaterializedView) {
            edges
                .entry(from.key.as_str())
                .or_default()
                .push((&to.kind, to.key.as_str()));
        }
    }
    edges
}

/// Tables a relation reads, following views transitively.
fn base_tables(
    edges: &Edges<'_>,
    start: &str,
    column_table: &BTreeMap<&str, &str>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(v) = todo.pop() {
        if !seen.insert(v) {
            continue;
        }
        for (kind, key) in edges.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            match kind {
                ObjectKind::Table => {
                    out.insert(key.to_string());
                }
                ObjectKind::Column => {
                    if let Some(t) = column_table.get(key) {
                        out.insert(t.to_string());
                    }
                }
                ObjectKind::View | ObjectKind::MaterializedView => todo.push(key),
                _ => {}
            }
        }
    }
    out
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let cat = cx.catalog;
    if cat.views.is_empty() {
        return out;
    }
    let column_keys: Vec<(String, &str)> = cat
        .tables
        .iter()
        .flat_map(|(tk, t)| {
            t.columns
                .iter()
                .map(move |c| (format!("{tk}.{}", quote_ident(&c.name)), tk.as_str()))
        })
        .collect();
    let column_table: BTreeMap<&str, &str> =
        column_keys.iter().map(|(c, t)| (c.as_str(), *t)).collect();
    let edges = view_edges(cat);
    for (key, v) in &cat.views {
        if !v.materialized && security_invoker(&v.options) {
            continue;
        }
        let rls_tables: Vec<String> = base_tables(&edges, key, &column_table)
            .into_iter()
            .filter(|t| cat.tables.get(t).is_some_and(|t| t.rls_enabled))
            .collect();
        if rls_tables.is_empty() {
            continue;
        }
        let readers: Vec<&str> = cx
            .config
            .api_roles
            .iter()
            .filter(|role| {
                let roles = crate::audit::privilege::inherited(cat, role);
                cat.roles.contains_key(&quote_ident(role))
                    && crate::audit::privilege::schema_usage(cat, &v.schema, &roles)
                    && crate::audit::privilege::granted(
                        &v.acl,
                        "SELECT",
                        &roles,
                        cat.owners.get(key).map(String::as_str),
                    )
            })
            .map(String::as_str)
            .collect();
        if readers.is_empty() {
            continue;
        }
        let owner = match cat.owners.get(key) {
            None => "its owner".to_string(),
            Some(o) => match cat.roles.get(o) {
                Some(r) if r.superuser => format!("{o} (superuser: no policy applies)"),
                Some(r) if r.bypass_rls => format!("{o} (BYPASSRLS: no policy applies)"),
                _ => o.clone(),
            },
        };
        let (kind, message, fix) = if v.materialized {
            (
                "materialized view",
                format!(
                    "holds a copy of rows of {} (which have row-level security) with no RLS of its own, and {} may read it",
                    rls_tables.join(", "),
                    readers.join(", ")
                ),
                format!(
                    "REVOKE SELECT ON {key} FROM {}; serve it through a function or a security_invoker view that filters rows",
                    readers.join(", ")
                ),
            )
        } else {
            (
                "view",
                format!(
                    "has no security_invoker, so {} {} read as its owner {owner}, not as the caller; {} may read it",
                    rls_tables.join(", "),
                    if rls_tables.len() == 1 { "is" } else { "are" },
                    readers.join(", ")
                ),
                format!("ALTER VIEW {key} SET (security_invoker = true);"),
            )
        };
        out.push(Finding {
            id: FindingId::ViewBypassesRls,
            severity: Severity::Error,
            object: format!("{kind} {key}"),
            // The view is the object at fault, and the finding is listed under it.
            table: Some(key.clone()),
            message,
            fix,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::security_invoker;
    use crate::audit::testkit::*;
    use crate::audit::FindingId;
    use crate::catalog::{ObjectKind, ObjectRef};

    #[test]
    fn a_definer_view_without_a_contract_names_the_view() {
        let mut cat = catalog();
        good_notes(&mut cat);
        add_view(
            &mut cat,
            "note_bodies",
            " SELECT notes.id, notes.body FROM public.notes;",
            &["public.notes"],
            &[],
            false,
        );
        cat.dependencies.push((
            ObjectRef {
                kind: ObjectKind::View,
                key: "public.note_bodies".into(),
            },
            ObjectRef {
                kind: ObjectKind::Table,
                key: "public.notes".into(),
            },
        ));
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::ViewBypassesRls);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].table.as_deref(), Some("public.note_bodies"));
        insta::assert_snapshot!(render(&r.findings, FindingId::ViewBypassesRls));
    }

    #[test]
    fn reads_security_invoker_values() {
        assert!(security_invoker(&["security_invoker=true".into()]));
        assert!(security_invoker(&[
            "check_option=local".into(),
            "security_invoker=on".into()
        ]));
        assert!(!security_invoker(&["security_invoker=false".into()]));
        assert!(!security_invoker(&[]));
    }
}
