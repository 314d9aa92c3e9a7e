//! The destructive half of `strata reset`: drop what strata manages, in one transaction, under
//! the run lock. (`cli::suite::reset` then runs the same `up` and `seed` as the commands.)
//!
//! What strata manages: the configured `[database] schemas` (dropped with CASCADE), strata's
//! history schema (dropped; `up` creates it), and the Supabase auth shim
//! when strata installed it (schema `auth` whose `auth.users` carries the shim's comment, and
//! the schemas `extensions`, `storage`, `vault` whose comment says the shim made them): it is
//! dropped so that `up` installs it again, with its grants on the new `public`, and without the
//! users an earlier seed put in `auth.users`. A real Supabase `auth` schema is never touched.
//!
//! Only `public` is created again, as PostgreSQL 15 creates it in a new database: owned by
//! `pg_database_owner`, with `USAGE` for `PUBLIC` and the standard comment. Other schemas are left
//! to the migrations that created them in the first place: creating them here would make a
//! migration's `CREATE SCHEMA app` fail on the reset database. So a reset database is a new
//! database plus the project.
//! Must not: run on a protected environment (the caller checks `config::guard_protected`).
//!
//! Two projects in one database: each keeps its history in its own schema (two projects with
//! one history schema would read each other's migrations as "file missing"), and `DROP SCHEMA
//! public CASCADE` would take the other project's tables with it. So when the database holds
//! another strata history (a table `history` commented as strata's, in another schema), reset
//! refuses and names it: what strata manages is only clear when it is the only project there.

use crate::db::{self, DbError};
use crate::sql::quote_ident;
use serde::Serialize;
use sqlx::postgres::PgConnection;
use std::time::Duration;

/// What was dropped.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    /// Schemas dropped (that existed).
    pub schemas: Vec<String>,
    /// Schemas created again (`public`, when configured).
    pub recreated: Vec<String>,
    /// Whether strata's auth shim was dropped (to be installed again by `up`).
    pub auth_shim: bool,
}

/// Why reset will not drop anything.
#[derive(Debug, thiserror::Error)]
pub enum ResetRefusal {
    #[error("this database also holds the history of another strata project (schema {}): dropping {} would drop that project's objects too. Give each project its own database (or reset by hand)", .others.join(", "), .schemas.join(", "))]
    SharedDatabase {
        others: Vec<String>,
        schemas: Vec<String>,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Drops the managed schemas and creates the configured ones again, empty, in one transaction
/// that holds the run lock.
pub async fn drop_managed(
    conn: &mut PgConnection,
    schemas: &[String],
    history_schema: &str,
    lock_wait: Duration,
    on_wait: impl FnMut(Option<&db::LockHolder>),
) -> Result<Dropped, ResetRefusal> {
    db::execute_script(conn, "BEGIN")
        .await
        .map_err(|e| DbError::query("starting the reset transaction", &e))?;
    let result = drop_in_transaction(conn, schemas, history_schema, lock_wait, on_wait).await;
    if result.is_err() {
        let _ = db::execute_script(conn, "ROLLBACK").await;
    }
    result
}

async fn drop_in_transaction(
    conn: &mut PgConnection,
    schemas: &[String],
    history_schema: &str,
    lock_wait: Duration,
    on_wait: impl FnMut(Option<&db::LockHolder>),
) -> Result<Dropped, ResetRefusal> {
    db::lock(conn, db::lock_key(history_schema), lock_wait, on_wait).await?;
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = 'history' AND c.relkind = 'r' AND n.nspname <> $1 \
           AND coalesce(obj_description(c.oid, 'pg_class'), '') LIKE 'strata: migration history%' \
         ORDER BY 1",
    )
    .bind(history_schema)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| DbError::query("looking for other projects' histories", &e))?;
    if !others.is_empty() {
        return Err(ResetRefusal::SharedDatabase {
            others,
            schemas: schemas.to_vec(),
        });
    }
    let mut targets: Vec<String> = Vec::new();
    for s in schemas.iter().map(String::as_str).chain([history_schema]) {
        if !targets.iter().any(|t| t == s) {
            targets.push(s.to_string());
        }
    }
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname = ANY($1)")
            .bind(&targets)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| DbError::query("looking up the schemas to reset", &e))?;
    let shim: bool = sqlx::query_scalar(
        "SELECT coalesce(obj_description(to_regclass('auth.users'), 'pg_class') LIKE 'strata auth shim%', false)",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| DbError::query("looking for strata's auth shim", &e))?;
    let owner_role: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_database_owner')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| DbError::query("looking up pg_database_owner", &e))?;

    let mut script = String::new();
    let dropped: Vec<String> = targets
        .iter()
        .filter(|t| existing.contains(t))
        .cloned()
        .collect();
    for s in &dropped {
        script.push_str(&format!("DROP SCHEMA {} CASCADE;\n", quote_ident(s)));
    }
    // The shim's other parts (extensions, storage, vault) mark their schemas with a comment.
    let mut shim_schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace \
          WHERE nspname IN ('vault', 'storage', 'extensions', 'auth') \
            AND obj_description(oid, 'pg_namespace') LIKE 'strata auth shim%' ORDER BY 1 DESC",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| DbError::query("looking for strata's shim schemas", &e))?;
    if shim && !shim_schemas.iter().any(|s| s == "auth") {
        shim_schemas.push("auth".into());
    }
    shim_schemas.retain(|s| !dropped.contains(s));
    let drop_shim = !shim_schemas.is_empty();
    for s in &shim_schemas {
        script.push_str(&format!("DROP SCHEMA {} CASCADE;\n", quote_ident(s)));
    }
    let recreated: Vec<String> = schemas.iter().filter(|s| *s == "public").cloned().collect();
    for s in &recreated {
        if owner_role {
            script.push_str(
                "CREATE SCHEMA public AUTHORIZATION pg_database_owner;\n\
                 GRANT ALL ON SCHEMA public TO pg_database_owner;\n\
                 GRANT USAGE ON SCHEMA public TO PUBLIC;\n\
                 COMMENT ON SCHEMA public IS 'standard public schema';\n",
            );
        } else {
            // Before PostgreSQL 14 there is no pg_database_owner; public was open to all.
            script.push_str(&format!(
                "CREATE SCHEMA {};\nGRANT ALL ON SCHEMA public TO PUBLIC;\n\
                 COMMENT ON SCHEMA public IS 'standard public schema';\n",
                quote_ident(s)
            ));
        }
    }
    script.push_str("COMMIT;");
    if let Err(e) = db::execute_script(conn, &script).await {
        return Err(DbError::query("dropping the managed schemas", &e).into());
    }
    let mut schemas_dropped = dropped;
    schemas_dropped.extend(shim_schemas);
    Ok(Dropped {
        schemas: schemas_dropped,
        recreated,
        auth_shim: shim || drop_shim,
    })
}
