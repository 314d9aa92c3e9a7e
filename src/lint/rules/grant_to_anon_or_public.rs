//! `grant-to-anon-or-public`: the migration gives the signed-out role (`anon`) or PUBLIC
//! (every role, present and future) a privilege that nothing else guards:
//! - on a table without row-level security at the end of the migration (any privilege), or
//!   with it (the privileges RLS does not filter: TRUNCATE, REFERENCES, TRIGGER);
//! - on a view that runs with its owner's rights (no `security_invoker`), or a materialized
//!   view (no RLS at all);
//! - EXECUTE on a SECURITY DEFINER function (it runs with its owner's rights; PostgreSQL
//!   grants EXECUTE to PUBLIC on every new function unless it is revoked);
//! - CREATE on a schema.
//!
//! Grants on tables that row-level security guards are how Supabase projects work, and are
//! not reported.

use super::{Context, Finding, RuleId, Severity};
use crate::lint::facts::{acl_added, acl_privileges, privilege_name, RelKind};

fn names(letters: &str) -> String {
    letters
        .chars()
        .map(privilege_name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        for c in &s.relations {
            let (Some(b), Some(a)) = (&c.before, &c.after) else {
                continue;
            };
            let end = cx.facts.final_state.relations.get(&a.oid).unwrap_or(a);
            for (role, label) in cx.open_grantees() {
                let added = acl_added(&b.acl, &a.acl, role);
                if added.is_empty() {
                    continue;
                }
                let name = a.qualified();
                let (dangerous, why): (String, String) = match a.kind {
                    RelKind::Table | RelKind::PartitionedTable | RelKind::ForeignTable => {
                        if cx.rls_at_end(a.oid) {
                            (
                                added.chars().filter(|p| "Dxt".contains(*p)).collect(),
                                "row-level security does not filter these".into(),
                            )
                        } else {
                            (added, format!("{name} has no row-level security, so this reaches every row"))
                        }
                    }
                    RelKind::View if end.security_invoker() => (String::new(), String::new()),
                    RelKind::View => (
                        added,
                        format!("{name} runs with its owner's rights (no security_invoker), so the base tables' policies are checked against the owner"),
                    ),
                    RelKind::MaterializedView => (
                        added,
                        format!("{name} is a materialized view: its rows are a copy without row-level security"),
                    ),
                    _ => (String::new(), String::new()),
                };
                if dangerous.is_empty() {
                    continue;
                }
                out.push(cx.finding(
                    RuleId::GrantToAnonOrPublic,
                    Severity::Error,
                    s,
                    Some(format!("{} {name}", a.kind.noun())),
                    format!(
                        "grants {} on {name} to {label}: {why}",
                        names(&dangerous)
                    ),
                    format!(
                        "grant to the roles that need it (e.g. authenticated), and guard the rows: ALTER TABLE … ENABLE ROW LEVEL SECURITY with policies, or a view WITH (security_invoker = true); REVOKE {} ON {name} FROM {label};",
                        names(&dangerous)
                    ),
                ));
            }
        }
        for c in &s.functions {
            let Some(a) = &c.after else { continue };
            let Some(end) = cx.facts.final_state.functions.get(&a.oid) else {
                continue;
            };
            if !a.security_definer || !end.security_definer {
                continue;
            }
            let mut who: Vec<(&str, &str)> = Vec::new();
            for (role, label) in cx.open_grantees() {
                if !acl_privileges(&a.acl, role).contains('X')
                    || !acl_privileges(&end.acl, role).contains('X')
                {
                    continue;
                }
                let how = match &c.before {
                    None if label == "PUBLIC" => {
                        "PostgreSQL grants EXECUTE to PUBLIC on every new function"
                    }
                    None => "default privileges grant it EXECUTE",
                    Some(b) if !b.security_definer => {
                        "it is now SECURITY DEFINER and was executable before"
                    }
                    Some(b) if acl_added(&b.acl, &a.acl, role).contains('X') => "granted here",
                    Some(_) => continue,
                };
                who.push((label, how));
            }
            if who.is_empty() {
                continue;
            }
            let labels: Vec<&str> = who.iter().map(|w| w.0).collect();
            let hows: Vec<&str> = who.iter().map(|w| w.1).collect();
            out.push(cx.finding(
                RuleId::GrantToAnonOrPublic,
                Severity::Error,
                s,
                Some(format!("function {}", a.signature)),
                format!(
                    "{} can execute SECURITY DEFINER function {} ({}): whoever calls it acts with its owner's rights",
                    labels.join(" and "),
                    a.signature,
                    hows.join("; ")
                ),
                format!(
                    "REVOKE EXECUTE ON FUNCTION {} FROM {}; then GRANT EXECUTE … TO the roles that need it",
                    a.signature,
                    if labels.contains(&"anon") { "PUBLIC, anon" } else { "PUBLIC" }
                ),
            ));
        }
        for c in &s.schemas {
            let (Some(b), Some(a)) = (&c.before, &c.after) else {
                continue;
            };
            for (role, label) in cx.open_grantees() {
                if !acl_added(&b.acl, &a.acl, role).contains('C') {
                    continue;
                }
                out.push(cx.finding(
                    RuleId::GrantToAnonOrPublic,
                    Severity::Error,
                    s,
                    Some(format!("schema {}", a.name)),
                    format!(
                        "grants CREATE on schema {} to {label}: it can create objects there, including functions that shadow yours on a search_path",
                        a.name
                    ),
                    format!("REVOKE CREATE ON SCHEMA {} FROM {label}; grant USAGE only", a.name),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn with_acl(mut r: crate::lint::facts::Relation, acl: &[&str]) -> crate::lint::facts::Relation {
        r.acl = acl.iter().map(|a| a.to_string()).collect();
        r
    }

    #[test]
    fn grant_on_a_table_without_rls_is_an_error() {
        let mut s = Sample::new("GRANT SELECT, INSERT ON payments TO anon;");
        let b = rel(10, "payments", RelKind::Table);
        let a = with_acl(
            b.clone(),
            &["postgres=arwdDxt/postgres", "anon=ar/postgres"],
        );
        s.existing(&b);
        s.facts.final_state.relations.insert(10, a.clone());
        s.stmt(0).relations.push(changed(Some(b), Some(a)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn grant_on_a_table_with_rls_is_fine_except_truncate() {
        let mut s =
            Sample::new("GRANT SELECT ON notes TO anon;\nGRANT TRUNCATE ON notes TO PUBLIC;");
        let mut b = rel(10, "notes", RelKind::Table);
        b.rls = true;
        let a = with_acl(b.clone(), &["postgres=arwdDxt/postgres", "anon=r/postgres"]);
        let a2 = with_acl(
            b.clone(),
            &[
                "postgres=arwdDxt/postgres",
                "anon=r/postgres",
                "=D/postgres",
            ],
        );
        s.existing(&b);
        s.facts.final_state.relations.insert(10, a2.clone());
        s.stmt(0).relations.push(changed(Some(b), Some(a.clone())));
        s.stmt(1).relations.push(changed(Some(a), Some(a2)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].statement, 1);
        assert!(found[0]
            .message
            .contains("TRUNCATE on public.notes to PUBLIC"));
    }

    #[test]
    fn security_definer_function_executable_by_public_is_an_error() {
        let mut s = Sample::new("CREATE FUNCTION public.promote(uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$;");
        let mut f = function(20, "promote(uuid)");
        f.security_definer = true;
        s.facts.final_state.functions.insert(20, f.clone());
        s.stmt(0).functions.push(changed(None, Some(f.clone())));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .contains("PUBLIC can execute SECURITY DEFINER function promote(uuid)"),
            "{}",
            found[0].message
        );

        // Revoked later in the migration: fine.
        let mut revoked = f.clone();
        revoked.acl = vec!["postgres=X/postgres".into()];
        s.facts.final_state.functions.insert(20, revoked);
        assert!(s.check(check).is_empty());
    }
}
