//! `table-dropped`: a table, view or materialized view that existed before the migration is
//! dropped (directly or by CASCADE). Running code that uses it fails, and a table's rows are
//! gone. Dropping what the same migration created is fine.

use super::{Context, Finding, RuleId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        for c in s.relations.iter().filter(|c| c.dropped()) {
            let Some(b) = &c.before else { continue };
            if !(b.kind.is_table() || b.kind.is_view()) || !cx.facts.existed(b.oid) || b.partition {
                continue;
            }
            let name = b.qualified();
            let data =
                if b.kind.is_table() || b.kind == crate::lint::facts::RelKind::MaterializedView {
                    " and its rows are gone"
                } else {
                    ""
                };
            out.push(cx.finding_at_name(
                RuleId::TableDropped,
                Severity::Error,
                s,
                &b.name,
                Some(format!("{} {name}", b.kind.noun())),
                format!(
                    "drops {} {name}: running code that still uses it fails as soon as this migration commits{data}",
                    b.kind.noun()
                ),
                format!(
                    "first deploy code that no longer uses {name}, then drop it in a later migration (keep a backup of its rows if they matter); when nothing uses it, say so: -- strata:allow table-dropped <reason>"
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
    fn dropping_an_existing_table_is_an_error() {
        let mut s = Sample::new("DROP TABLE audit_log;");
        let t = rel(10, "audit_log", RelKind::Table);
        s.existing(&t);
        s.stmt(0).relations.push(changed(Some(t), None));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn dropping_what_the_migration_created_is_fine() {
        let mut s = Sample::new("CREATE TABLE tmp (a int);\nDROP TABLE tmp;");
        let t = rel(10, "tmp", RelKind::Table);
        s.created(0, &t);
        s.stmt(1).relations.push(changed(Some(t), None));
        assert!(s.check(check).is_empty());
    }
}
