//! Connections, the run lock, and PostgreSQL errors as data.
//!
//! Owns: connecting (with the password masked in every error), the session advisory lock that
//! lets one strata run change a database at a time, and turning a driver error into a
//! [`PgFailure`]. Must not: know about migrations or history.

use crate::config::ConnInfo;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgDatabaseError, PgErrorPosition};
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// A no-transaction file's statements must run on one server session, and the connection
    /// was moved to another one (a transaction-pooling proxy).
    #[error("the connection goes through a transaction-pooling proxy (such as PgBouncer in transaction mode): {what} was sent to a different server session than the statements before it. A no-transaction migration needs one session (its statements share timeouts and SET commands): run it over a direct connection or through session pooling. What is recorded as committed is exact; run `strata status`.")]
    PoolerDetected { what: String },
}

impl DbError {
    /// A failed query, or [`DbError::ConnectionLost`] when the connection itself failed.
    pub fn query(context: impl Into<String>, e: &sqlx::Error) -> DbError {
        let failure = PgFailure::from_sqlx(e);
        if connection_lost(e) {
            return DbError::ConnectionLost {
                context: context.into(),
                message: crate::secret::mask(&failure.to_string()),
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
        message: crate::secret::mask(&message),
    };
    let opts = PgConnectOptions::from_str(info.dangerous_raw_url())
        .map_err(|e| fail(e.to_string()))?
        .application_name("strata")
        // PgBouncer refuses startup parameters it does not track (`extra_float_digits` among
        // them) unless told to ignore them; PostgreSQL 12+ prints floats exactly by default.
        .extra_float_digits(None)
        .disable_statement_logging();
    // No `options` startup parameter: PgBouncer (default settings) refuses to connect with one.
    // Settings a run needs are set with SET LOCAL inside each transaction instead (see
    // `engine`), which also keeps them off a pooled server connection.
    try_connect(&opts).await.map_err(fail)
}

/// How long one connection attempt may take unless `--connect-timeout` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

static CONNECT_TIMEOUT_MS: AtomicU64 = AtomicU64::new(DEFAULT_CONNECT_TIMEOUT.as_millis() as u64);

/// Sets how long every later connection attempt of this process may take (`--connect-timeout`):
/// a process-wide setting, like libpq's `connect_timeout`, so that shadow and `--from`/`--to`
/// connections obey it too.
pub fn set_connect_timeout(timeout: Duration) {
    let ms = u64::try_from(timeout.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    CONNECT_TIMEOUT_MS.store(ms, Ordering::Relaxed);
}

/// The current connection timeout.
pub fn connect_timeout() -> Duration {
    Duration::from_millis(CONNECT_TIMEOUT_MS.load(Ordering::Relaxed))
}

async fn try_connect(opts: &PgConnectOptions) -> Result<PgConnection, String> {
    let limit = connect_timeout();
    match tokio::time::timeout(limit, PgConnection::connect_with(opts)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(describe_connect_error(&e)),
        Err(_) => Err(format!(
            "no answer within {} (raise it with --connect-timeout)",
            crate::config::format_duration(limit)
        )),
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

/// The run lock's SQL condition: this transaction takes the advisory lock `key` (released at
/// its end, so it can never stay behind on a pooled server connection).
pub fn try_lock_sql(key: i64) -> String {
    format!("pg_catalog.pg_try_advisory_xact_lock({key})")
}

/// Waits until the run lock is free and takes it **for the current transaction**: call it
/// inside `BEGIN … COMMIT`. Polls every 100 ms until `wait` runs out; `on_wait` is called once
/// with the holder when the lock is busy.
///
/// strata never holds the lock at session level: a session lock taken through a
/// transaction-pooling proxy (PgBouncer in transaction mode) stays on a server connection after
/// strata is gone and blocks every later run, and whether the session is pinned cannot be
/// proven from inside it. A transaction lock is released when its transaction ends, on any
/// connection, and each change strata makes re-checks in the same transaction that the history
/// is still what the run planned from (see `engine`).
pub async fn lock(
    conn: &mut PgConnection,
    key: i64,
    wait: Duration,
    mut on_wait: impl FnMut(Option<&LockHolder>),
) -> Result<(), DbError> {
    let started = Instant::now();
    let mut told = false;
    loop {
        if try_lock(conn, key).await? {
            return Ok(());
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
}

/// One attempt at the run lock (in the current transaction, or for one statement outside one).
pub async fn try_lock(conn: &mut PgConnection, key: i64) -> Result<bool, DbError> {
    let sql = format!("SELECT {} AS got", try_lock_sql(key));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get("got"))
        .map_err(|e| DbError::query("taking the run lock", &e))
}

/// Who holds the run lock, if anyone (simple-query protocol, so that it works through a
/// transaction pooler).
pub async fn lock_holder(conn: &mut PgConnection, key: i64) -> Result<Option<LockHolder>, DbError> {
    let sql = format!(
        "SELECT a.pid, coalesce(a.application_name, '') AS app, \
                coalesce(host(a.client_addr), '') AS client, \
                coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '') AS since, \
                coalesce(a.usename::text, '') AS usr \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted \
           AND l.classid = (({key}::bigint >> 32) & 4294967295)::oid \
           AND l.objid = ({key}::bigint & 4294967295)::oid AND l.objsubid = 1 \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         LIMIT 1"
    );
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
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

/// Runs SQL text (simple-query protocol) and returns the last `strata_history_id` it produced
/// (the `RETURNING` of a history row), keeping no other row in memory.
pub async fn execute_for_id(
    conn: &mut PgConnection,
    sql: &str,
) -> Result<Option<i64>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    let mut id = None;
    while let Some(row) = rows.try_next().await? {
        if let Ok(v) = row.try_get::<i64, _>("strata_history_id") {
            id = Some(v);
        }
    }
    Ok(id)
}

/// The server process of this session (`pg_backend_pid()`).
pub async fn backend_pid(conn: &mut PgConnection) -> Result<i32, DbError> {
    sqlx::raw_sql("SELECT pg_catalog.pg_backend_pid() AS pid")
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get("pid"))
        .map_err(|e| DbError::query("asking the server for its process id", &e))
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
