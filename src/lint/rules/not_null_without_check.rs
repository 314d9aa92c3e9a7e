//! `not-null-without-check`: `SET NOT NULL` on a column of a table that existed before the
//! migration, seen scanning the table: PostgreSQL reads every row under ACCESS EXCLUSIVE to
//! prove there is no NULL. Since PostgreSQL 12 it skips the scan when a validated
//! `CHECK (column IS NOT NULL)` already proves it, which is the safe way (the shadow shows no
//! scan then, and this rule stays quiet). Also: a NOT NULL column without a default added to an
//! existing table, which fails as soon as the table has a row.

use super::{Context, Finding, RuleId, Severity};
use crate::lint::facts::LockMode;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        let rewritten: Vec<u32> = s.rewritten().map(|(b, _)| b.oid).collect();
        for c in &s.columns {
            let Some(a) = &c.after else { continue };
            if !cx.facts.existed(a.relation) || !cx.is_table(a.relation) || a.dropped {
                continue;
            }
            let table = cx.facts.name(a.relation);
            match &c.before {
                Some(b) if !b.not_null && a.not_null && !b.dropped => {
                    if s.seq_scans(a.relation) == 0 || rewritten.contains(&a.relation) {
                        continue;
                    }
                    let mode = s.held(a.relation).unwrap_or(LockMode::AccessExclusiveLock);
                    let check_name = crate::sql::quote_ident(&format!(
                        "{}_{}_not_null",
                        cx.facts
                            .first_seen
                            .get(&a.relation)
                            .map_or("t", |r| r.name.as_str()),
                        a.name
                    ));
                    out.push(cx.finding_at_name(
                        RuleId::NotNullWithoutCheck,
                        Severity::Error,
                        s,
                        &a.name,
                        Some(format!("column {table}.{}", a.name)),
                        format!(
                            "sets NOT NULL on {table}.{} and scans every row to prove it while holding {}: {} waits for the scan",
                            a.name,
                            mode.as_sql(),
                            mode.blocks()
                        ),
                        format!(
                            "ALTER TABLE {table} ADD CONSTRAINT {check_name} CHECK ({col} IS NOT NULL) NOT VALID; ALTER TABLE {table} VALIDATE CONSTRAINT {check_name}; then ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL; (PostgreSQL 12+ uses the valid CHECK and skips the scan) and ALTER TABLE {table} DROP CONSTRAINT {check_name};",
                            col = crate::sql::quote_ident(&a.name)
                        ),
                    ));
                }
                None if a.not_null && !a.has_default && !a.identity && !a.generated => {
                    out.push(cx.finding_at_name(
                        RuleId::NotNullWithoutCheck,
                        Severity::Error,
                        s,
                        &a.name,
                        Some(format!("column {table}.{}", a.name)),
                        format!(
                            "adds NOT NULL column {} without a default to {table}, which existed before this migration: the statement fails as soon as {table} has a row",
                            a.name
                        ),
                        format!(
                            "give it a default (ADD COLUMN {} … NOT NULL DEFAULT …; a constant default costs no rewrite since PostgreSQL 11), or add it nullable, fill it, and set NOT NULL with a validated CHECK first",
                            a.name
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::RelKind;

    #[test]
    fn set_not_null_that_scans_is_an_error() {
        let mut s = Sample::new("ALTER TABLE users ALTER COLUMN email SET NOT NULL;");
        s.existing(&rel(10, "users", RelKind::Table))
            .takes(0, 10, LockMode::AccessExclusiveLock);
        let b = col(10, 2, "email", "text");
        let mut a = b.clone();
        a.not_null = true;
        s.stmt(0).columns.push(changed(Some(b), Some(a)));
        s.stmt(0).scans.push(seq_scan(10));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn set_not_null_proven_by_a_check_does_not_scan() {
        let mut s = Sample::new("ALTER TABLE users ALTER COLUMN email SET NOT NULL;");
        s.existing(&rel(10, "users", RelKind::Table));
        let b = col(10, 2, "email", "text");
        let mut a = b.clone();
        a.not_null = true;
        s.stmt(0).columns.push(changed(Some(b), Some(a)));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn required_column_without_default_fails_on_rows() {
        let mut s = Sample::new("ALTER TABLE users ADD COLUMN tenant_id uuid NOT NULL;");
        s.existing(&rel(10, "users", RelKind::Table));
        let mut c = col(10, 5, "tenant_id", "uuid");
        c.not_null = true;
        s.stmt(0).columns.push(changed(None, Some(c.clone())));
        let found = s.check(check);
        assert!(found[0]
            .message
            .contains("fails as soon as public.users has a row"));

        // With a default it is fine.
        let mut s = Sample::new("ALTER TABLE users ADD COLUMN tenant_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';");
        s.existing(&rel(10, "users", RelKind::Table));
        c.has_default = true;
        s.stmt(0).columns.push(changed(None, Some(c)));
        assert!(s.check(check).is_empty());
    }
}
