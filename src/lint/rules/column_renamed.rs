//! `column-renamed`: a column of a table that existed before the migration gets a new name.
//! Every running query that uses the old name fails from the moment the migration commits
//! until the new code is deployed everywhere.

use super::{Context, Finding, RuleId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        for c in &s.columns {
            let (Some(b), Some(a)) = (&c.before, &c.after) else {
                continue;
            };
            if b.dropped || a.dropped || b.name == a.name || !cx.facts.existed(a.relation) {
                continue;
            }
            if !cx.is_table(a.relation) {
                continue;
            }
            let table = cx.facts.name(a.relation);
            out.push(cx.finding_at_name(
                RuleId::ColumnRenamed,
                Severity::Error,
                s,
                &b.name,
                Some(format!("column {table}.{}", b.name)),
                format!(
                    "renames column {table}.{} to {}: running code that uses the old name fails as soon as this migration commits",
                    b.name, a.name
                ),
                format!(
                    "add {new} as a new column (kept in sync by a trigger, or a generated column), deploy code that uses {new}, then drop {old} in a later migration; or expand-and-contract through a view",
                    new = a.name,
                    old = b.name
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

    #[test]
    fn renaming_a_column_of_an_existing_table_is_an_error() {
        let mut s = Sample::new("ALTER TABLE users RENAME COLUMN name TO full_name;");
        s.existing(&rel(10, "users", RelKind::Table));
        let b = col(10, 2, "name", "text");
        let mut a = b.clone();
        a.name = "full_name".into();
        s.stmt(0).columns.push(changed(Some(b), Some(a)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn other_column_changes_are_not_renames() {
        let mut s = Sample::new("ALTER TABLE users ALTER COLUMN name SET NOT NULL;");
        s.existing(&rel(10, "users", RelKind::Table));
        let b = col(10, 2, "name", "text");
        let mut a = b.clone();
        a.not_null = true;
        s.stmt(0).columns.push(changed(Some(b), Some(a)));
        assert!(s.check(check).is_empty());
    }
}
