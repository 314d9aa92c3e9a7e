//! `table-renamed`: a table, view or materialized view that existed before the migration gets
//! a new name or schema. Every running query that uses the old name fails from the moment the
//! migration commits. Renaming and creating a view under the old name in the same migration
//! keeps old code working, and is fine.

use super::{Context, Finding, RuleId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        for c in &s.relations {
            let (Some(b), Some(a)) = (&c.before, &c.after) else {
                continue;
            };
            if (b.name == a.name && b.schema == a.schema)
                || !(b.kind.is_table() || b.kind.is_view())
                || !cx.facts.existed(b.oid)
            {
                continue;
            }
            // The old name kept working: a relation created under it (a compatibility view).
            let kept = cx.facts.final_state.relations.values().any(|r| {
                r.oid != b.oid
                    && r.schema == b.schema
                    && r.name == b.name
                    && !cx.facts.existed(r.oid)
            });
            if kept {
                continue;
            }
            let (old, new) = (b.qualified(), a.qualified());
            out.push(cx.finding_at_name(
                RuleId::TableRenamed,
                Severity::Error,
                s,
                &b.name,
                Some(format!("{} {old}", b.kind.noun())),
                format!(
                    "renames {} {old} to {new}: running code that uses the old name fails as soon as this migration commits",
                    b.kind.noun()
                ),
                format!(
                    "keep the old name working while code moves: rename, then CREATE VIEW {old} AS SELECT * FROM {new} (simple views are updatable) in the same migration, and drop that view once no code uses {old}"
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
    fn renaming_an_existing_table_is_an_error() {
        let mut s = Sample::new("ALTER TABLE customers RENAME TO clients;");
        let b = rel(10, "customers", RelKind::Table);
        let mut a = b.clone();
        a.name = "clients".into();
        s.existing(&b);
        s.stmt(0).relations.push(changed(Some(b), Some(a)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn renaming_with_a_view_under_the_old_name_is_fine() {
        let mut s = Sample::new(
            "ALTER TABLE customers RENAME TO clients;\nCREATE VIEW customers AS SELECT * FROM clients;",
        );
        let b = rel(10, "customers", RelKind::Table);
        let mut a = b.clone();
        a.name = "clients".into();
        s.existing(&b);
        s.stmt(0).relations.push(changed(Some(b), Some(a.clone())));
        s.facts.final_state.relations.insert(10, a);
        s.created(1, &rel(11, "customers", RelKind::View));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn renaming_an_index_is_not_this_rule() {
        let mut s = Sample::new("ALTER INDEX a RENAME TO b;");
        let b = rel(10, "a", RelKind::Index);
        let mut a = b.clone();
        a.name = "b".into();
        s.existing(&b);
        s.stmt(0).relations.push(changed(Some(b), Some(a)));
        assert!(s.check(check).is_empty());
    }
}
