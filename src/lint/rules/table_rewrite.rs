//! `table-rewrite`: a table (or materialized view) that existed before the migration got new
//! storage, seen as a new relfilenode: PostgreSQL copied every row (and rebuilt every index)
//! while holding ACCESS EXCLUSIVE, so nothing can read or write it until the copy is done.
//! A column type change that needs no conversion (varchar(n) → text), a constant DEFAULT on
//! ADD COLUMN (PostgreSQL 11+) and `TRUNCATE` (new, empty storage) are not rewrites.

use super::{Context, Finding, RuleId, Severity};
use crate::lint::facts::LockMode;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        let words = cx.words(s);
        if words.is_truncate() {
            continue;
        }
        for (before, _) in s.rewritten() {
            if !before.kind.has_rows() || !cx.facts.existed(before.oid) {
                continue;
            }
            let table = before.qualified();
            let retyped = s.columns.iter().find_map(|c| match (&c.before, &c.after) {
                (Some(b), Some(a))
                    if a.relation == before.oid && !a.dropped && a.type_name != b.type_name =>
                {
                    Some((a.name.clone(), b.type_name.clone(), a.type_name.clone()))
                }
                _ => None,
            });
            let added = s.columns.iter().find_map(|c| match (&c.before, &c.after) {
                (None, Some(a))
                    if a.relation == before.oid && (a.has_default || a.identity || a.generated) =>
                {
                    Some(a.clone())
                }
                _ => None,
            });
            let caret = retyped
                .as_ref()
                .map(|r| r.0.clone())
                .or_else(|| added.as_ref().map(|c| c.name.clone()))
                .unwrap_or_default();
            let (cause, fix) = if let Some((column, from, to)) = retyped {
                (
                    format!("changing column {column} from {from} to {to}"),
                    format!(
                        "add a new column of type {to}, fill it in batches (and keep it in sync with a trigger), switch the application to it, then drop {column}; only conversions PostgreSQL can skip (e.g. varchar(n) to text or a longer varchar) avoid the rewrite"
                    ),
                )
            } else if let Some(c) = added {
                let what = if c.identity {
                    "an identity column"
                } else if c.generated {
                    "a stored generated column"
                } else {
                    "a default computed per row (a volatile function such as random(), clock_timestamp() or gen_random_uuid(), or a serial)"
                };
                (
                    format!("adding column {} with {what}", c.name),
                    format!(
                        "add {} without a default (or with a constant one, which PostgreSQL 11+ stores without a rewrite), then ALTER TABLE {table} ALTER COLUMN {} SET DEFAULT … for new rows and fill existing rows in batches",
                        c.name, c.name
                    ),
                )
            } else if words.is_vacuum_full() || words.is_cluster() {
                (
                    format!("{} copying it", words.command()),
                    "use pg_repack or pg_squeeze, which rebuild a table online, or run this outside a migration in a maintenance window".to_string(),
                )
            } else if words.is_refresh() {
                (
                    "refreshing it without CONCURRENTLY".to_string(),
                    format!(
                        "REFRESH MATERIALIZED VIEW CONCURRENTLY {table} (it needs a unique index on the view), which lets reads continue"
                    ),
                )
            } else {
                (
                    format!("{} giving it new storage", words.command()),
                    "find a way to make the change without rewriting the table (see the PostgreSQL documentation of ALTER TABLE), or schedule it for a maintenance window".to_string(),
                )
            };
            let mode = s.held(before.oid).unwrap_or(LockMode::AccessExclusiveLock);
            out.push(cx.finding_at_name(
                RuleId::TableRewrite,
                Severity::Error,
                s,
                &caret,
                Some(format!("{} {table}", before.kind.noun())),
                format!(
                    "rewrites {table} ({cause}): every row is copied while {} is held, so {} waits for the whole copy",
                    mode.as_sql(),
                    mode.blocks()
                ),
                fix,
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

    fn rewritten(s: &mut Sample, i: usize, before: &crate::lint::facts::Relation) {
        let mut after = before.clone();
        after.filenode += 1000;
        s.stmt(i)
            .relations
            .push(changed(Some(before.clone()), Some(after)));
    }

    #[test]
    fn type_change_that_rewrites_is_an_error() {
        let mut s = Sample::new("ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);");
        let orders = rel(10, "orders", RelKind::Table);
        s.existing(&orders)
            .takes(0, 10, LockMode::AccessExclusiveLock);
        rewritten(&mut s, 0, &orders);
        s.stmt(0).columns.push(changed(
            Some(col(10, 2, "total", "integer")),
            Some(col(10, 2, "total", "numeric(12,2)")),
        ));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn volatile_default_is_named_as_the_cause() {
        let mut s =
            Sample::new("ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();");
        let orders = rel(10, "orders", RelKind::Table);
        s.existing(&orders)
            .takes(0, 10, LockMode::AccessExclusiveLock);
        rewritten(&mut s, 0, &orders);
        let mut c = col(10, 5, "token", "uuid");
        c.has_default = true;
        s.stmt(0).columns.push(changed(None, Some(c)));
        let found = s.check(check);
        assert!(found[0]
            .message
            .contains("adding column token with a default computed per row"));
    }

    #[test]
    fn no_new_storage_no_finding() {
        // varchar(20) → text: PostgreSQL keeps the storage.
        let mut s = Sample::new("ALTER TABLE orders ALTER COLUMN note TYPE text;");
        s.existing(&rel(10, "orders", RelKind::Table));
        s.stmt(0).columns.push(changed(
            Some(col(10, 3, "note", "character varying(20)")),
            Some(col(10, 3, "note", "text")),
        ));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn truncate_and_new_tables_are_not_rewrites() {
        let mut s = Sample::new("TRUNCATE orders;");
        let orders = rel(10, "orders", RelKind::Table);
        s.existing(&orders);
        rewritten(&mut s, 0, &orders);
        assert!(s.check(check).is_empty());

        let mut s = Sample::new("ALTER TABLE fresh ALTER COLUMN a TYPE bigint;");
        let fresh = rel(10, "fresh", RelKind::Table);
        s.facts.first_seen.insert(10, fresh.clone());
        rewritten(&mut s, 0, &fresh);
        assert!(s.check(check).is_empty());
    }
}
