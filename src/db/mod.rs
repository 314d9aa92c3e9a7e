//! Connections, the run lock, and PostgreSQL errors as data.
//!
//! Owns: connecting (with the password masked in every error), the session advisory lock that
//! lets one strata run change a database at a time, and turning a driver error into a
//! [`PgFailure`]. Must not: know about migrations or history.

use crate::config::ConnInfo;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgDatabaseError, PgErrorPosition};
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// A PostgreSQL error, as data. `position` is PostgreSQL's 1-based character offset into the
/// statement that was sent; `internal` is the query inside a function body it points into.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PgFailure {
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub context: Option<String>,
    pub position: Option<usize>,
    pub internal_query: Option<String>,
    pub internal_position: Option<usize>,
}

impl PgFailure {
    pub fn from_sqlx(e: &sqlx::Error) -> PgFailure {
        match e {
            sqlx::Error::Database(db) => match db.try_downcast_ref::<PgDatabaseError>() {
                Some(pg) => {
                    let (position, internal_query, internal_position) = match pg.position() {
                        Some(PgErrorPosition::Original(p)) => (Some(p), None, None),
                        Some(PgErrorPosition::Internal { position, query }) => {
                            (None, Some(query.to_string()), Some(position))
                        }
                        None => (None, None, None),
                    };
                    PgFailure {
                        code: pg.code().to_string(),
                        message: pg.message().to_string(),
                        detail: pg.detail().map(str::to_string),
                        // A Supabase extension the server lacks: say how to install it.
                        hint: crate::auth::extensions::hint_for(pg.code(), pg.message())
                            .or_else(|| pg.hint().map(str::to_string)),
                        context: pg.r#where().map(str::to_string),
                        position,
                        internal_query,
                        internal_position,
                    }
                }
                None => PgFailure {
                    code: db.code().map(|c| c.to_string()).unwrap_or_default(),
                    message: db.message().to_string(),
                    ..PgFailure::default()
                },
            },
            other => PgFailure {
                code: String::new(),
                message: other.to_string(),
                ..PgFailure::default()
            },
        }
    }
}

impl std::fmt::Display for PgFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} (SQLSTATE {})", self.message, self.code)
        }
    }
}

/// Who holds the run lock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LockHolder {
    pub pid: i32,
    pub application: String,
    pub client: String,
    pub since: String,
    pub user: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} (application `{}`, user {}, client {}, since {})",
            self.pid,
            if self.application.is_empty() {
                "?"
            } else {
                &self.application
            },
            self.user,
            if self.client.is_empty() {
                "local socket"
            } else {
                &self.client
            },
            self.since
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to {target}: {message}\nCheck that the server is running and the URL is right (set it with --database-url, DATABASE_URL or [environments] in strata.toml).")]
    Connect { target: String, message: String },
    #[error("{context}: {failure}")]
    Query { context: String, failure: PgFailure },
    /// The connection broke while a command was running (server restarted or terminated the
    /// session, network gone): exit 2, like any connection error.
    #[error("lost the connection to the database while {context}: {message}\nWhat was committed before stays committed; run `strata status` to see where things stand, then run the command again.")]
    ConnectionLost { context: String, message: String },
    #[error("gave up after {waited_s}s waiting for another strata run to finish{}; it holds the lock on this database. Try again later, or raise --lock-wait.", holder.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    LockTimeout {
        waited_s: u64,
        holder: Option<LockHolder>,
    },
    #[error("the run lock is not held by this session after taking it: the connection goes through a transaction-pooling proxy (such as PgBouncer in transaction mode), where session locks do not hold. Connect to the database directly (e.g. port 5432 instead of the pooler's) for strata.")]
    PoolerDetected,
}

impl DbError {
    /// A failed query, or [`DbError::ConnectionLost`] when the connection itself failed.
    pub fn query(context: impl Into<String>, e: &sqlx::Error) -> DbError {
        let failure = PgFailure::from_sqlx(e);
        if connection_lost(e) {
            return DbError::ConnectionLost {
                context: context.into(),
                message: crate::config::mask_password(&failure.to_string()),
            };
        }
        DbError::Query {
            context: context.into(),
            failure,
        }
    }
}

/// Whether an error means the connection is gone (rather than a statement failing): an I/O
/// error, a protocol break, or PostgreSQL ending the session (SQLSTATE class 08, 57P01
/// admin_shutdown / pg_terminate_backend, 57P02 crash_shutdown, 57P03 cannot_connect_now).
pub fn connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// Opens one connection with `application_name = strata`.
pub async fn connect(info: &ConnInfo) -> Result<PgConnection, DbError> {
    let fail = |message: String| DbError::Connect {
        target: info.to_string(),
        message: crate::config::mask_password(&message),
    };
    let opts = PgConnectOptions::from_str(info.dangerous_raw_url())
        .map_err(|e| fail(e.to_string()))?
        .application_name("strata")
        .disable_statement_logging();
    // No `options` startup parameter: PgBouncer (default settings) refuses to connect with one.
    // Settings a run needs are set with SET LOCAL inside each transaction instead (see
    // `engine`), which also keeps them off a pooled server connection.
    try_connect(&opts).await.map_err(fail)
}

async fn try_connect(opts: &PgConnectOptions) -> Result<PgConnection, String> {
    match tokio::time::timeout(Duration::from_secs(15), PgConnection::connect_with(opts)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(describe_connect_error(&e)),
        Err(_) => Err("no answer within 15s".into()),
    }
}

fn describe_connect_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

/// The advisory-lock key for a history schema: stable across runs and versions of strata.
pub fn lock_key(history_schema: &str) -> i64 {
    // FNV-1a over a fixed prefix: stable, no dependency on std's randomized hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "strata-run-lock:".bytes().chain(history_schema.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// Takes the session advisory lock, polling until `wait` runs out. `on_wait` is called once
/// with the holder when the lock is busy. Verifies afterwards that this backend really holds
/// it (a transaction-pooling proxy would hand the next statement to another backend).
pub async fn lock(
    conn: &mut PgConnection,
    key: i64,
    wait: Duration,
    mut on_wait: impl FnMut(Option<&LockHolder>),
) -> Result<(), DbError> {
    let started = Instant::now();
    let mut told = false;
    loop {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| DbError::query("taking the run lock", &e))?;
        if got {
            break;
        }
        let holder = lock_holder(conn, key).await?;
        if !told {
            on_wait(holder.as_ref());
            told = true;
        }
        if started.elapsed() >= wait {
            return Err(DbError::LockTimeout {
                waited_s: started.elapsed().as_secs(),
                holder,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mine: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND pid = pg_backend_pid() AND classid = (($1::bigint >> 32) & 4294967295)::oid \
         AND objid = ($1::bigint & 4294967295)::oid AND objsubid = 1)",
    )
    .bind(key)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| DbError::query("checking the run lock", &e))?;
    if mine {
        Ok(())
    } else {
        Err(DbError::PoolerDetected)
    }
}

async fn lock_holder(conn: &mut PgConnection, key: i64) -> Result<Option<LockHolder>, DbError> {
    let row = sqlx::query(
        "SELECT a.pid, coalesce(a.application_name, '') AS app, \
                coalesce(host(a.client_addr), '') AS client, \
                coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '') AS since, \
                coalesce(a.usename::text, '') AS usr \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted \
           AND l.classid = (($1::bigint >> 32) & 4294967295)::oid \
           AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1 \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| DbError::query("looking up the lock holder", &e))?;
    Ok(row.map(|r| LockHolder {
        pid: r.try_get("pid").unwrap_or_default(),
        application: r.try_get("app").unwrap_or_default(),
        client: r.try_get("client").unwrap_or_default(),
        since: r.try_get("since").unwrap_or_default(),
        user: r.try_get("usr").unwrap_or_default(),
    }))
}

/// `SET [LOCAL] client_connection_check_interval = '1s';` on PostgreSQL 14 and later (empty
/// before): the server then notices within a second that strata vanished (killed, network gone)
/// during a long statement, and rolls the transaction back instead of finishing it for nobody.
/// Set inside strata's own transactions (LOCAL) rather than for the session, so that nothing of
/// it stays on a server connection a pooler hands to someone else.
pub fn client_check_sql(conn: &PgConnection, local: bool) -> &'static str {
    match (conn.server_version_num(), local) {
        (Some(v), true) if v >= 140_000 => "SET LOCAL client_connection_check_interval = '1s';\n",
        (Some(v), false) if v >= 140_000 => "SET client_connection_check_interval = '1s';\n",
        _ => "",
    }
}

/// Runs SQL text with the simple-query protocol (several statements allowed, no parameters).
pub async fn execute_script(conn: &mut PgConnection, sql: &str) -> Result<u64, sqlx::Error> {
    let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected())
}

/// Closes a connection politely; errors are irrelevant at that point.
pub async fn close(conn: PgConnection) {
    let _ = conn.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_is_stable_and_schema_specific() {
        assert_eq!(lock_key("strata"), lock_key("strata"));
        assert_ne!(lock_key("strata"), lock_key("other"));
    }
}
