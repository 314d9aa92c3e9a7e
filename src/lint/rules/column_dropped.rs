//! `column-dropped`: a column of a table that existed before the migration is dropped. Code
//! that is still running (the application version deployed before this migration, reports,
//! other services) fails on its next query that names the column, and the data is gone.

use super::{Context, Finding, RuleId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        for c in &s.columns {
            let (Some(b), Some(a)) = (&c.before, &c.after) else {
                continue;
            };
            if b.dropped || !a.dropped || !cx.facts.existed(a.relation) || !cx.is_table(a.relation)
            {
                continue;
            }
            let table = cx.facts.name(a.relation);
            out.push(cx.finding_at_name(
                RuleId::ColumnDropped,
                Severity::Error,
                s,
                &b.name,
                Some(format!("column {table}.{}", b.name)),
                format!(
                    "drops column {table}.{}: running code that still reads or writes it fails as soon as this migration commits, and its data is gone",
                    b.name
                ),
                format!(
                    "first deploy code that no longer uses {} (nor `SELECT *` into a fixed shape), then drop it in a later migration; when nothing uses it, say so: -- strata:allow column-dropped <reason>",
                    b.name
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
    fn dropping_a_column_of_an_existing_table_is_an_error() {
        let mut s = Sample::new("ALTER TABLE users DROP COLUMN legacy_name;");
        s.existing(&rel(10, "users", RelKind::Table));
        let b = col(10, 3, "legacy_name", "text");
        let mut a = b.clone();
        a.dropped = true;
        a.name = "........pg.dropped.3........".into();
        s.stmt(0).columns.push(changed(Some(b), Some(a)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn dropping_a_column_added_by_the_same_migration_is_fine() {
        let mut s = Sample::new("ALTER TABLE fresh DROP COLUMN x;");
        s.facts
            .first_seen
            .insert(10, rel(10, "fresh", RelKind::Table));
        let b = col(10, 2, "x", "int");
        let mut a = b.clone();
        a.dropped = true;
        s.stmt(0).columns.push(changed(Some(b), Some(a)));
        assert!(s.check(check).is_empty());
    }
}
