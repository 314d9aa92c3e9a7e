//! `constraint-without-not-valid`: a CHECK constraint or foreign key added to a table that
//! existed before the migration, validated on the spot: PostgreSQL reads every row while
//! holding a lock that blocks writes (ACCESS EXCLUSIVE for a CHECK; SHARE ROW EXCLUSIVE on both
//! tables for a foreign key). Added `NOT VALID`, the constraint holds for new rows at once, and
//! a later `VALIDATE CONSTRAINT` checks the old ones under SHARE UPDATE EXCLUSIVE, which lets
//! reads and writes continue (in a transaction of its own: validating in the transaction that
//! added the constraint keeps the first lock for the whole scan, and is reported too).

use super::{Context, Finding, RuleId, Severity};
use crate::lint::facts::{ConstraintKind, LockMode};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        let rewritten: Vec<u32> = s.rewritten().map(|(b, _)| b.oid).collect();
        for c in s.constraints.iter().filter(|c| c.created()) {
            let Some(c) = &c.after else { continue };
            if !matches!(c.kind, ConstraintKind::Check | ConstraintKind::ForeignKey)
                || !c.validated
                || !cx.facts.existed(c.relation)
                || rewritten.contains(&c.relation)
            {
                continue;
            }
            let table = cx.facts.name(c.relation);
            let mode = s.held(c.relation).unwrap_or(match c.kind {
                ConstraintKind::ForeignKey => LockMode::ShareRowExclusiveLock,
                _ => LockMode::AccessExclusiveLock,
            });
            // A column type change without a rewrite (numeric(12,2) to numeric(14,2)) drops and
            // re-creates the constraints on the column: each is checked again on every row.
            let retyped = retyped_column(s, c.relation);
            let mut message = match &retyped {
                Some(column) => format!(
                    "changes the type of {table}.{column}, which re-creates {} {} on it and checks every existing row again while holding {} on {table}: {} waits for the scan",
                    c.kind.noun(),
                    c.name,
                    mode.as_sql(),
                    mode.blocks()
                ),
                None => format!(
                    "adds {} {} to {table}, which existed before this migration, and checks every existing row while holding {} on it: {} waits for the scan",
                    c.kind.noun(),
                    c.name,
                    mode.as_sql(),
                    mode.blocks()
                ),
            };
            if let Some(r) = c.references.filter(|r| cx.facts.existed(*r)) {
                if let Some(m) = s.held(r) {
                    message.push_str(&format!(
                        "; the referenced table {} is held {} meanwhile",
                        cx.facts.name(r),
                        m.as_sql()
                    ));
                }
            }
            if s.any_scans(c.relation) > 0 {
                message.push_str(" (the shadow saw the scan)");
            }
            out.push(cx.finding_at_name(
                RuleId::ConstraintWithoutNotValid,
                Severity::Error,
                s,
                &c.name,
                Some(format!("constraint {} on {table}", c.name)),
                message,
                match &retyped {
                    Some(column) => format!(
                        "drop the constraint and add it back NOT VALID in the same statement (ALTER TABLE {table} DROP CONSTRAINT {name}, ALTER COLUMN {column} TYPE …, ADD CONSTRAINT {name} … NOT VALID;), then ALTER TABLE {table} VALIDATE CONSTRAINT {name}; in a later transaction: validation holds SHARE UPDATE EXCLUSIVE, so reads and writes continue",
                        name = c.name
                    ),
                    None => format!(
                        "add it with NOT VALID (… ADD CONSTRAINT {name} … NOT VALID;), which checks only new rows, then ALTER TABLE {table} VALIDATE CONSTRAINT {name}; in a later statement or migration: validation holds SHARE UPDATE EXCLUSIVE, so reads and writes continue",
                        name = c.name
                    ),
                },
            ));
        }
        // VALIDATE in the same transaction as the statement that added the constraint (or any
        // other that blocks writes on the table): the earlier lock is still held during the scan.
        for c in &s.constraints {
            let (Some(b), Some(a)) = (&c.before, &c.after) else {
                continue;
            };
            if b.validated || !a.validated || !cx.facts.existed(a.relation) {
                continue;
            }
            let earlier = s.locks_held.iter().find(|l| {
                l.relation == a.relation && l.mode.blocks_writes() && !s.locks_taken.contains(l)
            });
            let Some(lock) = earlier else { continue };
            let table = cx.facts.name(a.relation);
            out.push(cx.finding_at_name(
                RuleId::ConstraintWithoutNotValid,
                Severity::Error,
                s,
                &a.name,
                Some(format!("constraint {} on {table}", a.name)),
                format!(
                    "validates {} in the same transaction that took {} on {table}: that lock is still held while every row is checked, so NOT VALID gains nothing here",
                    a.name,
                    lock.mode.as_sql()
                ),
                format!(
                    "validate in a migration of its own (ALTER TABLE {table} VALIDATE CONSTRAINT {};), or start this file with `-- strata:no-transaction` so that the ADD … NOT VALID commits before the VALIDATE",
                    a.name
                ),
            ));
        }
    }
    out
}

/// The column of `relation` whose type the statement changed, if any.
fn retyped_column(s: &crate::lint::facts::StatementFacts, relation: u32) -> Option<String> {
    s.columns
        .iter()
        .find_map(|ch| match (&ch.before, &ch.after) {
            (Some(b), Some(a)) if a.relation == relation && b.type_name != a.type_name => {
                Some(a.name.clone())
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::RelKind;

    #[test]
    fn validated_foreign_key_on_an_existing_table_is_an_error() {
        let mut s = Sample::new(
            "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);",
        );
        s.existing(&rel(10, "orders", RelKind::Table))
            .existing(&rel(20, "customers", RelKind::Table))
            .takes(0, 10, LockMode::ShareRowExclusiveLock)
            .takes(0, 20, LockMode::ShareRowExclusiveLock);
        let mut fk = constraint(30, "orders_customer_fk", ConstraintKind::ForeignKey, 10);
        fk.references = Some(20);
        s.stmt(0).constraints.push(changed(None, Some(fk)));
        s.stmt(0).scans.push(seq_scan(10));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn not_valid_then_validate_is_fine() {
        let mut s = Sample::new(
            "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT positive;",
        );
        s.existing(&rel(10, "orders", RelKind::Table));
        let mut c = constraint(30, "positive", ConstraintKind::Check, 10);
        c.validated = false;
        let mut valid = c.clone();
        valid.validated = true;
        s.stmt(0).constraints.push(changed(None, Some(c.clone())));
        s.stmt(1).constraints.push(changed(Some(c), Some(valid)));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn validate_in_the_same_transaction_is_an_error() {
        let mut s = Sample::new(
            "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT positive;",
        );
        s.existing(&rel(10, "orders", RelKind::Table))
            .takes(0, 10, LockMode::AccessExclusiveLock)
            .takes(1, 10, LockMode::ShareUpdateExclusiveLock);
        let mut c = constraint(30, "positive", ConstraintKind::Check, 10);
        c.validated = false;
        let mut valid = c.clone();
        valid.validated = true;
        s.stmt(0).constraints.push(changed(None, Some(c.clone())));
        s.stmt(1).constraints.push(changed(Some(c), Some(valid)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].statement, 1);
        assert!(found[0].message.contains("same transaction"));
    }

    #[test]
    fn a_type_change_that_re_checks_a_constraint_says_so() {
        let mut s = Sample::new("ALTER TABLE orders ALTER COLUMN amount TYPE numeric(14,2);");
        s.existing(&rel(10, "orders", RelKind::Table))
            .takes(0, 10, LockMode::AccessExclusiveLock);
        s.stmt(0).columns.push(changed(
            Some(col(10, 2, "amount", "numeric(12,2)")),
            Some(col(10, 2, "amount", "numeric(14,2)")),
        ));
        s.stmt(0).constraints.push(changed(
            None,
            Some(constraint(
                31,
                "orders_amount_check",
                ConstraintKind::Check,
                10,
            )),
        ));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.starts_with("changes the type of public.orders.amount, which re-creates CHECK constraint orders_amount_check"),
            "{}",
            found[0].message
        );
        assert!(found[0].fix.contains("DROP CONSTRAINT orders_amount_check, ALTER COLUMN amount TYPE …, ADD CONSTRAINT orders_amount_check … NOT VALID"), "{}", found[0].fix);
    }

    #[test]
    fn constraint_on_a_new_table_is_fine() {
        let mut s = Sample::new("CREATE TABLE t (a int CHECK (a > 0));");
        s.created(0, &rel(10, "t", RelKind::Table));
        s.stmt(0).constraints.push(changed(
            None,
            Some(constraint(30, "t_a_check", ConstraintKind::Check, 10)),
        ));
        assert!(s.check(check).is_empty());
    }
}
