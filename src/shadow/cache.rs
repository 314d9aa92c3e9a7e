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

use crate::catalog::{Catalog, Membership, ObjectRef, Role};
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
    memberships: Vec<Membership>,
    function_owners: BTreeMap<String, String>,
    view_reads: BTreeMap<String, Vec<String>>,
}

impl Cached {
    /// Every field of the catalog is named (no `..`): a field added to the model, which its
    /// JSON form may leave out, does not compile here until it is cached.
    fn of(catalog: &Catalog) -> Cached {
        let Catalog {
            schemas: _,
            extensions: _,
            types: _,
            sequences: _,
            tables: _,
            indexes: _,
            views: _,
            functions: _,
            triggers: _,
            policies: _,
            default_privileges: _,
            event_triggers: _,
            publications: _,
            statistics: _,
            rules: _,
            collations: _,
            security_labels: _,
            current_role: _,
            not_compared: _,
            dependencies,
            owners,
            roles,
            memberships,
            function_owners,
            view_reads,
            timings: _,
        } = catalog;
        Cached {
            catalog: catalog.clone(),
            dependencies: dependencies.clone(),
            owners: owners.clone(),
            roles: roles.clone(),
            memberships: memberships.clone(),
            function_owners: function_owners.clone(),
            view_reads: view_reads.clone(),
        }
    }

    fn catalog(self) -> Catalog {
        Catalog {
            dependencies: self.dependencies,
            owners: self.owners,
            roles: self.roles,
            memberships: self.memberships,
            function_owners: self.function_owners,
            view_reads: self.view_reads,
            ..self.catalog
        }
    }
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
    Some(c.catalog())
}

/// Stores `catalog` under `key` (errors are ignored: the cache is an optimisation).
pub async fn store(conn: &mut PgConnection, history_schema: &str, key: &str, catalog: &Catalog) {
    let Ok(body) = serde_json::to_string(&Cached::of(catalog)) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the JSON form of a catalog leaves out comes back from the cache.
    #[test]
    fn a_cached_catalog_comes_back_whole() {
        let mut c = Catalog {
            current_role: "me".into(),
            ..Catalog::default()
        };
        let r = |key: &str| ObjectRef {
            kind: crate::catalog::ObjectKind::Table,
            key: key.into(),
        };
        c.dependencies.push((r("public.a"), r("public.b")));
        c.owners.insert("public.a".into(), "me".into());
        c.roles.insert("me".into(), Role::default());
        c.memberships.push(Membership {
            member: "me".into(),
            role: "app".into(),
            inherit: true,
        });
        c.function_owners.insert("public.f()".into(), "me".into());
        c.view_reads
            .insert("public.v".into(), vec!["public.a".into()]);
        let json = serde_json::to_string(&Cached::of(&c)).unwrap_or_default();
        let back: Option<Cached> = serde_json::from_str(&json).ok();
        assert_eq!(back.map(Cached::catalog), Some(c));
    }
}
