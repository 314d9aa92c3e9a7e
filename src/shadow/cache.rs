//! The declared state's catalog, cached inside its template database.
//!
//! A template is immutable (its name is a hash of every file that built it), so its catalog is
//! too: the first read stores it, as JSON, in a table of the template's history schema (never
//! compared, never copied anywhere: templates are only read), and later runs load it instead of
//! introspecting the template again. The row's key covers what else shapes the catalog: the
//! schemas in scope and the catalog reader itself (strata's version, the server's version, the
//! reading role, and every query as rendered for that server).
//! Best effort: a cache that cannot be read, parsed or written is ignored, and the catalog is
//! read from the template as before.

use crate::catalog::{Catalog, ObjectRef, Role};
use crate::db;
use crate::sql::quote_ident;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use std::collections::BTreeMap;

const TABLE: &str = "declared_catalog";

/// The catalog with the parts its JSON form leaves out (they are not shown to users, but the
/// script planner and the audit need them).
#[derive(Serialize, Deserialize)]
struct Cached {
    catalog: Catalog,
    dependencies: Vec<(ObjectRef, ObjectRef)>,
    owners: BTreeMap<String, String>,
    roles: BTreeMap<String, Role>,
}

/// The cache row's key for this scope, this build of the catalog reader and `identity`
/// ([`crate::catalog::reader_identity`]: the server version, the reading role and every query
/// as rendered for that version).
pub fn key(schemas: &[String], exclude: &[String], identity: &str) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(identity);
    for s in schemas {
        h.update(format!("+{s}"));
    }
    for s in exclude {
        h.update(format!("-{s}"));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The cached catalog, if there is one for `key` and it parses.
pub async fn load(conn: &mut PgConnection, history_schema: &str, key: &str) -> Option<Catalog> {
    let sql = format!(
        "SELECT body FROM {}.{TABLE} WHERE key = $1",
        quote_ident(history_schema)
    );
    // The table is missing in templates built before the cache existed: no cache.
    let body: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .ok()
        .flatten();
    let c: Cached = serde_json::from_str(&body?).ok()?;
    let mut catalog = c.catalog;
    catalog.dependencies = c.dependencies;
    catalog.owners = c.owners;
    catalog.roles = c.roles;
    Some(catalog)
}

/// Stores `catalog` under `key` (errors are ignored: the cache is an optimisation).
pub async fn store(conn: &mut PgConnection, history_schema: &str, key: &str, catalog: &Catalog) {
    let c = Cached {
        catalog: catalog.clone(),
        dependencies: catalog.dependencies.clone(),
        owners: catalog.owners.clone(),
        roles: catalog.roles.clone(),
    };
    let Ok(body) = serde_json::to_string(&c) else {
        return;
    };
    let table = format!("{}.{TABLE}", quote_ident(history_schema));
    let create =
        format!("CREATE TABLE IF NOT EXISTS {table} (key text PRIMARY KEY, body text NOT NULL)");
    if db::execute_script(conn, &create).await.is_err() {
        return;
    }
    let insert = format!(
        "INSERT INTO {table} (key, body) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET body = excluded.body"
    );
    let _ = sqlx::query(sqlx::AssertSqlSafe(insert))
        .bind(key)
        .bind(body)
        .execute(&mut *conn)
        .await;
}
