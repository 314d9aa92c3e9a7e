//! `missing-lock-timeout`: the migration takes a lock that blocks writes (SHARE or stronger) on
//! a table that existed before it, and no lock timeout applies. If any other session holds a
//! conflicting lock (a long query, an idle transaction), the statement waits, and every query
//! on the table queues behind the waiting lock: an outage caused by a statement that would take
//! milliseconds. A timeout comes from `-- strata:lock-timeout`, `[database] lock_timeout` in
//! strata.toml, or a `SET lock_timeout` earlier in the file. Reported once per migration, at
//! the first such lock.

use super::{Context, Finding, RuleId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    if cx.lock_timeout.is_some() {
        return Vec::new();
    }
    let mut timeout_set = false;
    for s in &cx.facts.statements {
        if let Some(set) = cx.words(s).lock_timeout {
            timeout_set = set;
            continue;
        }
        if timeout_set {
            continue;
        }
        let strong = s.locks_taken.iter().filter(|l| {
            l.mode.blocks_writes()
                && cx.facts.existed(l.relation)
                && cx
                    .facts
                    .kind(l.relation)
                    .is_some_and(|k| k.is_table() || k.has_rows())
        });
        let Some(lock) = strong.max_by_key(|l| l.mode) else {
            continue;
        };
        let table = cx.facts.name(lock.relation);
        return vec![cx.finding(
            RuleId::MissingLockTimeout,
            Severity::Error,
            s,
            Some(format!("table {table}")),
            format!(
                "takes {} on {table}, which existed before this migration, with no lock timeout: if another session holds a lock on {table}, this statement waits, and every later query on {table} waits behind it",
                lock.mode.as_sql()
            ),
            "start the migration with `-- strata:lock-timeout 5s` (or set lock_timeout = \"5s\" under [database] in strata.toml for every migration), and run it again when it times out".to_string(),
        )];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::{LockMode, RelKind};

    fn sample(text: &str) -> Sample {
        let mut s = Sample::new(text);
        s.existing(&rel(10, "orders", RelKind::Table));
        let last = s.facts.statements.len() - 1;
        s.takes(last, 10, LockMode::AccessExclusiveLock);
        s
    }

    #[test]
    fn strong_lock_without_timeout_is_an_error() {
        let s = sample("ALTER TABLE orders ADD COLUMN note text;");
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn a_timeout_from_the_file_directive_or_configuration_is_enough() {
        let s = sample("SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text;");
        assert!(s.check(check).is_empty());
        let mut s = sample("ALTER TABLE orders ADD COLUMN note text;");
        s.lock_timeout = Some("5s".into());
        assert!(s.check(check).is_empty());
        let s = sample("SET lock_timeout = 0;\nALTER TABLE orders ADD COLUMN note text;");
        assert_eq!(s.check(check).len(), 1);
    }

    #[test]
    fn weak_locks_and_new_tables_need_no_timeout() {
        let mut s =
            Sample::new("CREATE INDEX CONCURRENTLY i ON orders (a);\nCREATE TABLE t (a int);");
        s.existing(&rel(10, "orders", RelKind::Table))
            .takes(0, 10, LockMode::ShareUpdateExclusiveLock)
            .created(1, &rel(11, "t", RelKind::Table))
            .takes(1, 11, LockMode::AccessExclusiveLock);
        assert!(s.check(check).is_empty());
    }
}
