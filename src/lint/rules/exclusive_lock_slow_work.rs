//! `exclusive-lock-slow-work`: a statement that does slow work (scans, rewrites or indexes a
//! table that existed before the migration, e.g. a backfill `UPDATE`) while the migration's
//! transaction already holds ACCESS EXCLUSIVE on a table that existed before, taken by an
//! earlier statement. The lock is held until the transaction commits, so every query on that
//! table waits for all the slow work after it. Slow work that is itself a finding on the same
//! table (a rewrite, an index build, a validation) is left to that finding.

use super::{Context, Finding, RuleId, Severity};
use crate::lint::facts::{LockMode, Oid, StatementFacts};

/// The slow work a statement did on a pre-existing table, and whether another rule already
/// reports it (a rewrite, an index build, a validating scan).
fn slow_work(cx: &Context<'_>, s: &StatementFacts) -> Vec<(Oid, &'static str, bool)> {
    let mut out: Vec<(Oid, &'static str, bool)> = Vec::new();
    for (b, _) in s.rewritten() {
        if b.kind.has_rows() && cx.facts.existed(b.oid) {
            out.push((b.oid, "rewrites", true));
        }
    }
    for (_, table) in s.indexes_created() {
        if cx.facts.existed(table) && !out.iter().any(|o| o.0 == table) {
            out.push((table, "builds an index on", true));
        }
    }
    for scan in &s.scans {
        if scan.seq == 0 || !cx.facts.existed(scan.relation) {
            continue;
        }
        if out.iter().any(|o| o.0 == scan.relation) {
            continue;
        }
        let validates = s.constraints.iter().any(|c| {
            c.after
                .as_ref()
                .is_some_and(|a| a.relation == scan.relation && a.validated)
        }) || s.columns.iter().any(|c| {
            c.after
                .as_ref()
                .is_some_and(|a| a.relation == scan.relation && a.not_null)
        });
        out.push((scan.relation, "scans", validates));
    }
    out
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let statements = &cx.facts.statements;
    for (k, s) in statements.iter().enumerate() {
        // Tables held ACCESS EXCLUSIVE since an earlier statement of the same transaction.
        let held: Vec<(Oid, &StatementFacts)> = s
            .locks_held
            .iter()
            .filter(|l| l.mode == LockMode::AccessExclusiveLock && cx.facts.existed(l.relation))
            .filter(|l| {
                cx.facts
                    .kind(l.relation)
                    .is_some_and(|k| k.has_rows() || k.is_table())
            })
            .filter_map(|l| {
                statements[..k]
                    .iter()
                    .rev()
                    .take_while(|e| e.locks_held.contains(l))
                    .last()
                    .filter(|e| e.locks_taken.contains(l))
                    .map(|e| (l.relation, e))
            })
            .collect();
        if held.is_empty() {
            continue;
        }
        let work = slow_work(cx, s);
        let Some((target, verb, _)) = work
            .iter()
            .find(|(table, _, reported)| !*reported || held.iter().any(|(h, _)| h != table))
        else {
            continue;
        };
        let locked: Vec<String> = held
            .iter()
            .filter(|(h, _)| h != target || verb == &"scans")
            .map(|(h, since)| format!("{} (since line {})", cx.facts.name(*h), cx.line_of(since)))
            .collect();
        if locked.is_empty() {
            continue;
        }
        out.push(cx.finding(
            RuleId::ExclusiveLockSlowWork,
            Severity::Error,
            s,
            Some(format!("table {}", cx.facts.name(*target))),
            format!(
                "{} {verb} {} while this migration holds ACCESS EXCLUSIVE on {}: every query on it waits for this statement and the rest of the migration",
                cx.words(s).command(),
                cx.facts.name(*target),
                locked.join(", ")
            ),
            "do the slow work in a migration of its own (a backfill in batches outside the schema change), or before the statement that takes the lock, so the exclusive lock is held only for an instant".to_string(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::RelKind;

    #[test]
    fn backfill_after_taking_access_exclusive_is_an_error() {
        let mut s = Sample::new(
            "ALTER TABLE orders ADD COLUMN status text;\nUPDATE orders SET status = 'new';",
        );
        s.existing(&rel(10, "orders", RelKind::Table))
            .takes(0, 10, LockMode::AccessExclusiveLock)
            .takes(1, 10, LockMode::RowExclusiveLock);
        s.stmt(1).scans.push(seq_scan(10));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].statement, 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn backfill_in_its_own_migration_is_fine() {
        let mut s = Sample::new("UPDATE orders SET status = 'new';");
        s.existing(&rel(10, "orders", RelKind::Table))
            .takes(0, 10, LockMode::RowExclusiveLock);
        s.stmt(0).scans.push(seq_scan(10));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn a_rewrite_of_the_locked_table_is_left_to_table_rewrite() {
        let mut s = Sample::new(
            "ALTER TABLE orders ADD COLUMN a int;\nALTER TABLE orders ALTER COLUMN b TYPE bigint;",
        );
        let orders = rel(10, "orders", RelKind::Table);
        s.existing(&orders)
            .takes(0, 10, LockMode::AccessExclusiveLock);
        let mut after = orders.clone();
        after.filenode = 77;
        s.stmt(1).relations.push(changed(Some(orders), Some(after)));
        s.stmt(1).scans.push(seq_scan(10));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn index_on_another_table_while_one_is_locked_is_an_error() {
        let mut s =
            Sample::new("ALTER TABLE orders ADD COLUMN a int;\nCREATE INDEX items_x ON items (x);");
        s.existing(&rel(10, "orders", RelKind::Table))
            .existing(&rel(20, "items", RelKind::Table))
            .takes(0, 10, LockMode::AccessExclusiveLock)
            .takes(1, 20, LockMode::ShareLock);
        let mut idx = rel(21, "items_x", RelKind::Index);
        idx.index_of = Some(20);
        s.created(1, &idx);
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("builds an index on public.items"));
        assert!(found[0].message.contains("public.orders (since line 1)"));
    }
}
