//! `table-without-rls`: a table created by the migration in an exposed schema (`[database]
//! schemas`) that ends the migration without row-level security, and that `policies/` does not
//! enable it for. An error when an API role (`anon`, `authenticated`; or the `setting` role) or
//! PUBLIC holds a privilege on it at the end of the migration (Supabase's default privileges
//! grant them everything), because every row is then reachable through the API from the moment
//! the migration commits; a warning otherwise, because one GRANT would do it.

use super::{Context, Finding, RuleId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        for c in s.relations.iter().filter(|c| c.created()) {
            let Some(t) = &c.after else { continue };
            if !t.kind.is_table()
                || t.partition
                || !cx.exposed_schemas.contains(&t.schema)
                || cx.rls_at_end(t.oid)
            {
                continue;
            }
            let Some(end) = cx.facts.final_state.relations.get(&t.oid) else {
                continue;
            };
            let name = t.qualified();
            let roles = cx.api_roles_in(&end.acl);
            let (severity, reach) = if roles.is_empty() {
                (
                    Severity::Warning,
                    "no API role holds a privilege on it yet, but the first GRANT exposes every row".to_string(),
                )
            } else {
                (
                    Severity::Error,
                    format!(
                        "{} can read and change every row through the API as soon as this migration commits",
                        roles.join(", ")
                    ),
                )
            };
            out.push(cx.finding(
                RuleId::TableWithoutRls,
                severity,
                s,
                Some(format!("table {name}")),
                format!(
                    "creates {name} in exposed schema {} without row-level security: {reach}",
                    t.schema
                ),
                format!(
                    "ALTER TABLE {name} ENABLE ROW LEVEL SECURITY; in this migration, then CREATE POLICY … for the roles that need its rows (here or in policies/)"
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::RelKind;

    fn granted() -> crate::lint::facts::Relation {
        let mut t = rel(10, "profiles", RelKind::Table);
        t.acl = vec![
            "postgres=arwdDxt/postgres".into(),
            "anon=arwdDxt/postgres".into(),
            "authenticated=arwdDxt/postgres".into(),
        ];
        t
    }

    #[test]
    fn new_exposed_table_without_rls_is_an_error_when_api_roles_reach_it() {
        let mut s = Sample::new("CREATE TABLE profiles (id uuid PRIMARY KEY, bio text);");
        s.created(0, &granted());
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Error);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn rls_enabled_later_in_the_migration_or_by_policies_is_fine() {
        let mut s = Sample::new(
            "CREATE TABLE profiles (id uuid);\nALTER TABLE profiles ENABLE ROW LEVEL SECURITY;",
        );
        s.created(0, &granted());
        let mut end = granted();
        end.rls = true;
        s.facts.final_state.relations.insert(10, end);
        assert!(s.check(check).is_empty());

        let mut s = Sample::new("CREATE TABLE profiles (id uuid);");
        s.created(0, &granted());
        s.rls_from_policies.insert("public.profiles".into());
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn unexposed_schema_is_fine_and_ungranted_table_is_a_warning() {
        let mut s = Sample::new("CREATE TABLE private.jobs (id int);");
        let mut t = granted();
        t.schema = "private".into();
        s.created(0, &t);
        assert!(s.check(check).is_empty());

        let mut s = Sample::new("CREATE TABLE jobs (id int);");
        s.created(0, &rel(10, "jobs", RelKind::Table));
        let found = s.check(check);
        assert_eq!(found[0].severity, Severity::Warning);
    }
}
