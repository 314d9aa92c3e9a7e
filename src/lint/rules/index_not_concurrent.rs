//! `index-not-concurrent`: an index built without `CONCURRENTLY` on a table that existed before
//! the migration. `CREATE INDEX` holds SHARE on the table while it reads every row, so writes
//! wait; an index built for a new PRIMARY KEY or UNIQUE constraint holds ACCESS EXCLUSIVE, so
//! reads wait too. An index on a table the same migration created is fine (it is empty), and so
//! is one rebuilt by a column type change (that is `table-rewrite`).

use super::{one_line, Context, Finding, RuleId, Severity};
use crate::lint::facts::LockMode;
use crate::sql::{self, TokenKind};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.facts.statements {
        if !s.in_transaction {
            // CREATE INDEX CONCURRENTLY (it cannot run in a transaction).
            continue;
        }
        let rewritten: Vec<u32> = s.rewritten().map(|(b, _)| b.oid).collect();
        // An index on a partitioned table creates one on each partition too: one finding.
        let is_partition = |t: u32| cx.facts.first_seen.get(&t).is_some_and(|r| r.partition);
        let on_parent = s
            .indexes_created()
            .any(|(_, t)| cx.facts.kind(t) == Some(crate::lint::facts::RelKind::PartitionedTable));
        let partitions = s
            .indexes_created()
            .filter(|(_, t)| on_parent && is_partition(*t) && cx.facts.existed(*t))
            .count();
        let mut seen_tables = Vec::new();
        for (index, table) in s.indexes_created() {
            if !cx.facts.existed(table)
                || rewritten.contains(&table)
                || seen_tables.contains(&table)
                || (on_parent && is_partition(table))
            {
                continue;
            }
            seen_tables.push(table);
            let table_name = cx.facts.name(table);
            let mode = s
                .taken(table)
                .or(s.held(table))
                .unwrap_or(LockMode::ShareLock);
            let words = cx.words(s);
            let by_constraint = s
                .constraints
                .iter()
                .filter_map(|c| c.after.as_ref().filter(|_| c.before.is_none()))
                .find(|c| c.relation == table && c.name == index.name);
            let earlier_ae = mode != LockMode::AccessExclusiveLock
                && s.held(table) == Some(LockMode::AccessExclusiveLock);
            let (message, fix) = match by_constraint {
                Some(c) => (
                    format!(
                        "{} builds index {} for {} {} on {table_name}, which existed before this migration, while holding {} on it: {} wait until every row is indexed",
                        words.command(),
                        index.name,
                        c.kind.noun(),
                        c.name,
                        mode.as_sql(),
                        mode.blocks()
                    ),
                    format!(
                        "in a migration of its own that starts with `-- strata:no-transaction`: CREATE UNIQUE INDEX CONCURRENTLY {} ON {table_name} (…); then ALTER TABLE {table_name} ADD CONSTRAINT {} {} USING INDEX {};",
                        index.name,
                        c.name,
                        if c.kind == crate::lint::facts::ConstraintKind::PrimaryKey {
                            "PRIMARY KEY"
                        } else {
                            "UNIQUE"
                        },
                        index.name
                    ),
                ),
                None => {
                    let mut message = format!(
                        "{} builds {} on {table_name}, which existed before this migration, while holding {} on it: {} waits until every row is indexed",
                        words.command(),
                        index.name,
                        mode.as_sql(),
                        mode.blocks()
                    );
                    if partitions > 0 {
                        message.push_str(&format!(
                            "; the same is done on each of its {partitions} partition(s)"
                        ));
                    }
                    if earlier_ae {
                        message.push_str(
                            " (and an earlier statement's ACCESS EXCLUSIVE lock makes reads wait too)",
                        );
                    }
                    let concurrent = with_concurrently(cx.statement_text(s))
                        .unwrap_or_else(|| format!("CREATE INDEX CONCURRENTLY {} ON {table_name} (…)", index.name));
                    (
                        message,
                        format!(
                            "build it in a migration of its own that starts with `-- strata:no-transaction`: {concurrent};"
                        ),
                    )
                }
            };
            let caret = by_constraint.map(|c| c.name.clone()).unwrap_or_default();
            out.push(cx.finding_at_name(
                RuleId::IndexNotConcurrent,
                Severity::Error,
                s,
                &caret,
                Some(format!("index {}", index.name)),
                message,
                fix,
            ));
        }
    }
    out
}

/// The statement with `CONCURRENTLY` after `CREATE [UNIQUE] INDEX`, on one line.
fn with_concurrently(stmt: &str) -> Option<String> {
    let words: Vec<_> = sql::tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .take(3)
        .collect();
    let word = |i: usize| {
        words
            .get(i)
            .and_then(|t| stmt.get(t.start..t.end))
            .map(str::to_ascii_lowercase)
    };
    if word(0).as_deref() != Some("create") {
        return None;
    }
    let at = match (word(1).as_deref(), word(2).as_deref()) {
        (Some("index"), _) => words.get(1)?.end,
        (Some("unique"), Some("index")) => words.get(2)?.end,
        _ => return None,
    };
    let first = words.first()?.start;
    let text = format!("{} CONCURRENTLY{}", stmt.get(first..at)?, stmt.get(at..)?);
    Some(one_line(&text, 200))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::{ConstraintKind, RelKind};

    fn index(oid: u32, name: &str, table: u32) -> crate::lint::facts::Relation {
        let mut i = rel(oid, name, RelKind::Index);
        i.index_of = Some(table);
        i
    }

    #[test]
    fn index_on_an_existing_table_is_an_error_with_the_concurrent_statement() {
        let mut s = Sample::new("CREATE INDEX orders_created_idx ON orders (created_at);");
        let orders = rel(10, "orders", RelKind::Table);
        s.existing(&orders)
            .created(0, &index(11, "orders_created_idx", 10))
            .takes(0, 10, LockMode::ShareLock);
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .fix
            .contains("CREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);"));
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn index_on_a_table_created_in_the_same_migration_is_fine() {
        let mut s = Sample::new("CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);");
        s.created(0, &rel(10, "t", RelKind::Table))
            .created(1, &index(11, "t_id", 10))
            .takes(0, 10, LockMode::AccessExclusiveLock);
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn concurrent_build_outside_a_transaction_is_fine() {
        let mut s = Sample::new("CREATE INDEX CONCURRENTLY i ON orders (a);");
        s.existing(&rel(10, "orders", RelKind::Table))
            .created(0, &index(11, "i", 10));
        s.stmt(0).in_transaction = false;
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn unique_constraint_index_holds_access_exclusive() {
        let mut s = Sample::new("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);");
        s.existing(&rel(10, "users", RelKind::Table))
            .created(0, &index(11, "users_email_key", 10))
            .takes(0, 10, LockMode::AccessExclusiveLock);
        s.stmt(0).constraints.push(changed(
            None,
            Some(constraint(
                12,
                "users_email_key",
                ConstraintKind::Unique,
                10,
            )),
        ));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("ACCESS EXCLUSIVE"));
        assert!(found[0].fix.contains("UNIQUE USING INDEX users_email_key"));
    }

    #[test]
    fn indexes_rebuilt_by_a_rewrite_are_left_to_table_rewrite() {
        let mut s = Sample::new("ALTER TABLE orders ALTER COLUMN id TYPE bigint;");
        let before = rel(10, "orders", RelKind::Table);
        let mut after = before.clone();
        after.filenode = 99;
        s.existing(&before)
            .created(0, &index(11, "orders_pkey", 10));
        s.stmt(0).relations.push(changed(Some(before), Some(after)));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn an_index_on_a_partitioned_table_is_one_finding() {
        let mut s = Sample::new("CREATE INDEX events_at ON events (at);");
        s.existing(&rel(10, "events", RelKind::PartitionedTable));
        for (oid, name) in [(20, "events_2025"), (21, "events_2026")] {
            let mut p = rel(oid, name, RelKind::Table);
            p.partition = true;
            s.existing(&p);
            s.created(0, &index(oid + 10, &format!("{name}_at_idx"), oid));
        }
        let mut parent = rel(40, "events_at", RelKind::PartitionedIndex);
        parent.index_of = Some(10);
        s.created(0, &parent).takes(0, 10, LockMode::ShareLock);
        let found = s.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("each of its 2 partition(s)"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn concurrently_is_inserted_after_index() {
        assert_eq!(
            with_concurrently("create unique index if not exists u on t (a)").as_deref(),
            Some("create unique index CONCURRENTLY if not exists u on t (a)")
        );
        assert_eq!(with_concurrently("ALTER TABLE t ADD UNIQUE (a)"), None);
    }
}
