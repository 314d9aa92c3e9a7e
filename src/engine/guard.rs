//! The guard every change runs under, and sending a guarded change.
//!
//! Every transaction in which strata changes a database (a migration, one statement of a
//! no-transaction file with its progress row, a history entry of `repair`) begins with a `DO`
//! block that, in that same transaction:
//! 1. takes the run lock with `pg_try_advisory_xact_lock` (released when the transaction ends,
//!    so it can never stay behind on a pooled server connection), raising `ST001` when another
//!    run holds it;
//! 2. checks that the history of the version it changes is still what this run planned from
//!    (the id of the version's newest row), raising `ST002` when another run changed it in
//!    between, so a migration is never applied twice, whatever pools the connection;
//! 3. for a no-transaction file, checks that the statement runs on the same server session as
//!    the file's earlier statements (`ST003`), which a transaction-pooling proxy breaks.
//!
//! On `ST001` the change is sent again once the lock is free, until the run's lock wait runs
//! out. `ST002` and `ST003` stop the change before it did anything.

use crate::db::{self, DbError, LockHolder};
use crate::project::Version;
use crate::sql::quote_literal;
use sqlx::postgres::PgConnection;
use std::time::{Duration, Instant};

/// SQLSTATE raised when another run holds the run lock.
pub const BUSY: &str = "ST001";
/// SQLSTATE raised when the history changed since the run planned.
pub const STALE: &str = "ST002";
/// SQLSTATE raised when a no-transaction file's statement reaches another server session.
pub const MOVED: &str = "ST003";

/// What a guarded change checks before it does anything.
#[derive(Debug, Clone)]
pub struct Guard {
    pub key: i64,
    /// `"strata".history`, for the history check.
    pub history: String,
    /// The version changed and the id of its newest history row when the run planned.
    pub expect: Option<(Version, i64)>,
    /// The newest history row of all, for changes that touch many versions (repair, baseline).
    pub expect_all: Option<i64>,
    /// The server process the change must run on (no-transaction files).
    pub backend: Option<i32>,
}

impl Guard {
    /// The `DO` block, as the first statement of a transaction.
    pub fn sql(&self) -> String {
        let mut body = String::new();
        if let Some(pid) = self.backend {
            body.push_str(&format!(
                "IF pg_catalog.pg_backend_pid() <> {pid} THEN RAISE EXCEPTION USING ERRCODE = '{MOVED}', MESSAGE = 'strata: this statement reached another server session'; END IF;\n"
            ));
        }
        body.push_str(&format!(
            "IF NOT {} THEN RAISE EXCEPTION USING ERRCODE = '{BUSY}', MESSAGE = 'strata: another run holds the run lock'; END IF;\n",
            db::try_lock_sql(self.key)
        ));
        if let Some((v, id)) = self.expect {
            body.push_str(&format!(
                "IF COALESCE((SELECT pg_catalog.max(id) FROM {} WHERE version = {v}), 0) <> {id} THEN RAISE EXCEPTION USING ERRCODE = '{STALE}', MESSAGE = {}; END IF;\n",
                self.history,
                quote_literal(&format!("strata: the history of version {v} changed since this run read it"))
            ));
        }
        if let Some(id) = self.expect_all {
            body.push_str(&format!(
                "IF COALESCE((SELECT pg_catalog.max(id) FROM {}), 0) <> {id} THEN RAISE EXCEPTION USING ERRCODE = '{STALE}', MESSAGE = 'strata: the history changed since this run read it'; END IF;\n",
                self.history
            ));
        }
        format!("DO $strata_guard$\nBEGIN\n{body}END\n$strata_guard$;\n")
    }
}

/// Why a guarded change did not happen.
#[derive(Debug)]
pub enum Refused {
    /// The lock wait ran out.
    Lock(DbError),
    /// The history changed since the run planned.
    Stale,
    /// The statement reached another server session.
    Moved,
    /// The change itself failed (or the connection did).
    Failed(sqlx::Error),
}

/// The SQLSTATE of a database error, if it is one.
pub fn code_of(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.to_string()),
        _ => None,
    }
}

/// Sends `message` (a transaction that starts with a guard) and returns the history id it
/// recorded. While another run holds the lock, waits until it is free (polling every 100 ms,
/// telling `on_wait` the holder once) and sends it again, for at most `wait`. An aborted
/// transaction is always ended.
pub async fn send(
    conn: &mut PgConnection,
    message: &str,
    key: i64,
    wait: Duration,
    on_wait: &mut dyn FnMut(Option<&LockHolder>),
) -> Result<Option<i64>, Refused> {
    let started = Instant::now();
    let mut told = false;
    loop {
        match db::execute_for_id(conn, message).await {
            Ok(id) => return Ok(id),
            Err(e) => {
                let _ = db::execute_script(conn, "ROLLBACK").await;
                match code_of(&e).as_deref() {
                    Some(BUSY) => {}
                    Some(STALE) => return Err(Refused::Stale),
                    Some(MOVED) => return Err(Refused::Moved),
                    _ => return Err(Refused::Failed(e)),
                }
            }
        }
        // Busy: wait until the lock is free, then send the change again.
        loop {
            let holder = db::lock_holder(conn, key).await.map_err(Refused::Lock)?;
            if holder.is_none() {
                break;
            }
            if !told {
                on_wait(holder.as_ref());
                told = true;
            }
            if started.elapsed() >= wait {
                return Err(Refused::Lock(DbError::LockTimeout {
                    waited_s: started.elapsed().as_secs(),
                    holder,
                }));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_checks_session_lock_and_history_in_that_order() {
        let g = Guard {
            key: 42,
            history: "\"strata\".history".into(),
            expect: Some((Version(7), 19)),
            expect_all: None,
            backend: Some(1234),
        };
        let sql = g.sql();
        let moved = sql.find("pg_backend_pid() <> 1234").unwrap_or(usize::MAX);
        let lock = sql
            .find("pg_try_advisory_xact_lock(42)")
            .unwrap_or(usize::MAX);
        let stale = sql
            .find("FROM \"strata\".history WHERE version = 7), 0) <> 19")
            .unwrap_or(usize::MAX);
        assert!(moved < lock && lock < stale, "{sql}");
        assert!(sql.starts_with("DO $strata_guard$"), "{sql}");
        let plain = Guard {
            key: 1,
            history: "h".into(),
            expect: None,
            expect_all: Some(0),
            backend: None,
        }
        .sql();
        assert!(!plain.contains("pg_backend_pid"), "{plain}");
        assert!(plain.contains("FROM h), 0) <> 0"), "{plain}");
    }
}
