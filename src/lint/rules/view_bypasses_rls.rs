//! `view-bypasses-rls`: a view the migration defines that reads a table with row-level
//! security (at the end of the migration, or enabled by `policies/`) without
//! `security_invoker = true` (PostgreSQL 15+). Such a view reads its tables with its owner's
//! rights, so the policies are checked against the owner (who usually bypasses them), not the
//! caller; a materialized view holds a copy of the rows and has no row-level security at all.
//! An error when an API role or PUBLIC may SELECT from it (Supabase's default privileges grant
//! that), a warning otherwise.

use super::{Context, Finding, RuleId, Severity};
use crate::lint::facts::{acl_privileges, RelKind};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for v in &cx.facts.final_state.views {
        let view = &v.relation;
        if view.kind == RelKind::View && view.security_invoker() {
            continue;
        }
        let guarded: Vec<&str> = v
            .base_tables
            .iter()
            .filter(|t| t.rls || cx.rls_from_policies.contains(&t.name))
            .map(|t| t.name.as_str())
            .collect();
        if guarded.is_empty() {
            continue;
        }
        // Where it was defined: the last statement that defined it or changed its options.
        let Some(s) = cx.facts.statements.iter().rev().find(|s| {
            s.views_defined.contains(&view.oid)
                || s.relations
                    .iter()
                    .any(|c| c.after.as_ref().is_some_and(|a| a.oid == view.oid))
        }) else {
            continue;
        };
        let mut readers: Vec<String> = cx
            .api_roles
            .iter()
            .filter(|r| acl_privileges(&view.acl, r).contains('r'))
            .cloned()
            .collect();
        if acl_privileges(&view.acl, "").contains('r') {
            readers.push("PUBLIC".into());
        }
        let severity = if readers.is_empty() {
            Severity::Warning
        } else {
            Severity::Error
        };
        let name = view.qualified();
        let who = if readers.is_empty() {
            "no API role may read it yet".to_string()
        } else {
            format!("{} can read it", readers.join(", "))
        };
        let (what, fix) = if view.kind == RelKind::MaterializedView {
            (
                format!(
                    "materialized view {name} copies rows of {} (row-level security on) into a relation without it; {who}",
                    guarded.join(", ")
                ),
                format!(
                    "do not expose it: REVOKE SELECT ON {name} FROM {}; and read it through a function or view that applies the same conditions",
                    if readers.is_empty() { "anon, authenticated".to_string() } else { readers.join(", ") }
                ),
            )
        } else if cx.facts.server_version >= 150000 || cx.facts.server_version == 0 {
            (
                format!(
                    "view {name} reads {} (row-level security on) with its owner's rights: the policies are checked against the owner, not the caller; {who}",
                    guarded.join(", ")
                ),
                format!(
                    "CREATE VIEW {name} WITH (security_invoker = true) AS …; (or ALTER VIEW {name} SET (security_invoker = true);) so that the caller's policies apply"
                ),
            )
        } else {
            (
                format!(
                    "view {name} reads {} (row-level security on) with its owner's rights; {who}",
                    guarded.join(", ")
                ),
                format!(
                    "PostgreSQL before 15 has no security_invoker: REVOKE SELECT ON {name} FROM the API roles, or replace it with a SECURITY INVOKER function"
                ),
            )
        };
        out.push(cx.finding(
            RuleId::ViewBypassesRls,
            severity,
            s,
            Some(format!("{} {name}", view.kind.noun())),
            what,
            fix,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::{BaseTable, ViewDetail};

    fn sample(options: &[&str]) -> Sample {
        let mut s = Sample::new(
            "CREATE VIEW order_totals AS SELECT user_id, sum(total) FROM orders GROUP BY 1;",
        );
        let mut v = rel(30, "order_totals", RelKind::View);
        v.options = options.iter().map(|o| o.to_string()).collect();
        v.acl = vec![
            "postgres=arwdDxt/postgres".into(),
            "authenticated=r/postgres".into(),
        ];
        s.created(0, &v);
        s.stmt(0).views_defined.push(30);
        s.facts.final_state.views.push(ViewDetail {
            relation: v,
            base_tables: vec![BaseTable {
                oid: 10,
                name: "public.orders".into(),
                rls: true,
            }],
        });
        s
    }

    #[test]
    fn definer_view_over_rls_table_is_an_error() {
        let s = sample(&[]);
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Error);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn security_invoker_view_is_fine() {
        let s = sample(&["security_invoker=true"]);
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn view_over_tables_without_rls_is_not_this_rule() {
        let mut s = sample(&[]);
        s.facts.final_state.views[0].base_tables[0].rls = false;
        assert!(s.check(check).is_empty());
        s.rls_from_policies.insert("public.orders".into());
        assert_eq!(s.check(check).len(), 1);
    }
}
