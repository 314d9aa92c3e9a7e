//! Catalog introspection: the schemas in scope read from `pg_catalog` into the typed model of
//! [`model`], for `diff`, `verify-rollbacks`, policy convergence and the RLS audit.
//!
//! Owns: the SQL in `queries/*.sql` (one query per object kind, never one per object) and the
//! folding of their rows into [`Catalog`]. Must not: write anything (the transaction is
//! `READ ONLY`), compare catalogs (that is `diff`), or print.
//!
//! Why it is shaped so:
//! - Every query runs in ONE `REPEATABLE READ READ ONLY` transaction, so all kinds come from
//!   the same snapshot even while migrations run elsewhere.
//! - `SET LOCAL search_path = pg_catalog` pins the deparsers (`pg_get_expr`, `pg_get_viewdef`,
//!   `format_type`, `regprocedure`), so everything they print is schema-qualified and both
//!   sides of a comparison are spelled the same way whatever the caller's search_path was.
//!   Expressions are never compared as the user wrote them: PostgreSQL parses and prints both
//!   sides (the policy-diff loops of pgmold#54 and pgschema#220 come from comparing text).
//! - `pg_catalog` only, never `information_schema`, which hides objects the role cannot access.
//! - Objects that belong to an extension (`pg_depend.deptype = 'e'`) are left out: the
//!   extension itself is compared. Objects of kinds the model does not know are listed in
//!   [`Catalog::not_compared`] (pg-schema-diff#169: never skip in silence).
//! - Arrays (roles, privileges, options) are sorted in SQL, so equal states compare equal.

// `DbError` carries PostgreSQL's whole error report by value (like the rest of the crate);
// boxing it is a crate-wide decision, not this module's.
#![allow(clippy::result_large_err)]

mod code;
pub mod model;
mod rows;

pub use code::UnexpectedCode;

pub use model::*;

use crate::db::{self, DbError};
use rows::*;
use sqlx::postgres::{PgConnection, PgRow};
use std::collections::HashMap;

const Q_SCHEMAS: &str = include_str!("queries/schemas.sql");
const Q_EXTENSIONS: &str = include_str!("queries/extensions.sql");
const Q_TYPES: &str = include_str!("queries/types.sql");
const Q_SEQUENCES: &str = include_str!("queries/sequences.sql");
const Q_TABLES: &str = include_str!("queries/tables.sql");
const Q_COLUMNS: &str = include_str!("queries/columns.sql");
const Q_CONSTRAINTS: &str = include_str!("queries/constraints.sql");
const Q_INDEXES: &str = include_str!("queries/indexes.sql");
const Q_VIEWS: &str = include_str!("queries/views.sql");
const Q_FUNCTIONS: &str = include_str!("queries/functions.sql");
const Q_TRIGGERS: &str = include_str!("queries/triggers.sql");
const Q_POLICIES: &str = include_str!("queries/policies.sql");
const Q_DEPENDENCIES: &str = include_str!("queries/dependencies.sql");
const Q_UNMODELLED: &str = include_str!("queries/unmodelled.sql");
const Q_OWNERS: &str = include_str!("queries/owners.sql");
const Q_ROLES: &str = include_str!("queries/roles.sql");

/// Every query the reader runs: a cache of a catalog read is valid only for the same texts.
pub const QUERY_TEXTS: [&str; 16] = [
    Q_SCHEMAS,
    Q_EXTENSIONS,
    Q_TYPES,
    Q_SEQUENCES,
    Q_TABLES,
    Q_COLUMNS,
    Q_CONSTRAINTS,
    Q_INDEXES,
    Q_VIEWS,
    Q_FUNCTIONS,
    Q_TRIGGERS,
    Q_POLICIES,
    Q_DEPENDENCIES,
    Q_UNMODELLED,
    Q_OWNERS,
    Q_ROLES,
];

/// Reads the schemas `schemas` (minus `exclude_schemas`, e.g. strata's history schema) in one
/// read-only snapshot.
pub async fn introspect(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude_schemas: &[String],
) -> Result<Catalog, DbError> {
    db::execute_script(
        conn,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET LOCAL search_path = pg_catalog;",
    )
    .await
    .map_err(|e| DbError::query("starting the catalog snapshot", &e))?;
    let result = read_all(conn, schemas, exclude_schemas, None).await;
    let _ = db::execute_script(conn, "ROLLBACK").await;
    result
}

/// The objects [`introspect_only`] reads, by oid and kind (a relation with its columns,
/// constraints, indexes, triggers and policies). A kind with no oids is not queried at all.
#[derive(Debug, Clone, Default)]
pub struct Only {
    pub schemas: Vec<i64>,
    pub extensions: Vec<i64>,
    pub types: Vec<i64>,
    pub sequences: Vec<i64>,
    /// Tables, views and materialized views.
    pub relations: Vec<i64>,
    pub functions: Vec<i64>,
}

/// Like [`introspect`], but only the objects in `only`. Dependencies, unmodelled objects,
/// owners and roles are left empty. For `verify-rollbacks`, which reads only what a migration
/// touched (see `snapshot`).
pub async fn introspect_only(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude_schemas: &[String],
    only: &Only,
) -> Result<Catalog, DbError> {
    // The same statements run after every migration: a generic plan is made once and reused
    // (planning these queries costs about as much as running them on a small schema).
    db::execute_script(
        conn,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET LOCAL search_path = pg_catalog;\n\
         SET LOCAL plan_cache_mode = force_generic_plan;",
    )
    .await
    .map_err(|e| DbError::query("starting the catalog snapshot", &e))?;
    let result = read_all(conn, schemas, exclude_schemas, Some(only)).await;
    let _ = db::execute_script(conn, "ROLLBACK").await;
    result
}

/// Reads the catalog inside the caller's open transaction (for `policies apply`, which compares
/// snapshots taken before and after its own changes). The pinned search_path is undone by
/// rolling back to a savepoint, so the caller's session is left as it was.
pub async fn introspect_in_transaction(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude_schemas: &[String],
) -> Result<Catalog, DbError> {
    db::execute_script(
        conn,
        "SAVEPOINT strata_catalog;\nSET LOCAL search_path = pg_catalog;",
    )
    .await
    .map_err(|e| DbError::query("starting the catalog snapshot", &e))?;
    let result = read_all(conn, schemas, exclude_schemas, None).await;
    let end = db::execute_script(
        conn,
        "ROLLBACK TO SAVEPOINT strata_catalog;\nRELEASE SAVEPOINT strata_catalog;",
    )
    .await
    .map_err(|e| DbError::query("ending the catalog snapshot", &e));
    let cat = result?;
    end?;
    Ok(cat)
}

/// Which objects one query reads: all in the schemas, or (`Only`) the rows whose column
/// `column` is one of the oids; `Skip` reads nothing.
#[derive(Clone, Copy)]
enum Filter<'a> {
    All,
    Only(&'static str, &'a [i64]),
    Skip,
}

/// Runs one catalog query and decodes its rows; `$1` is the schemas in scope, `$2` those left
/// out. A decode error (a catalog code strata does not know) names the query and the column.
async fn fetch<R>(
    conn: &mut PgConnection,
    timings: &mut Timings,
    what: &'static str,
    sql: &'static str,
    schemas: &[String],
    exclude: &[String],
    filter: Filter<'_>,
) -> Result<Vec<R>, DbError>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let started = std::time::Instant::now();
    let rows = match filter {
        Filter::Skip => return Ok(Vec::new()),
        Filter::All => {
            sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql))
                .bind(schemas)
                .bind(exclude)
                .fetch_all(&mut *conn)
                .await
        }
        Filter::Only(column, oids) => {
            // The planner pushes the condition down into the query's scans, so the deparsers
            // run only for the rows asked for.
            let wrapped = format!("SELECT * FROM (\n{sql}\n) q WHERE q.{column} = ANY($3)");
            sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(wrapped))
                .bind(schemas)
                .bind(exclude)
                .bind(oids)
                .fetch_all(&mut *conn)
                .await
        }
    }
    .map_err(|e| DbError::query(format!("reading {what} from the catalog"), &e))?;
    timings.0.push((what, started.elapsed()));
    Ok(rows)
}

/// (catalog name, oid, sub id) → the modelled object it is.
type OidMap = HashMap<(&'static str, i64, i32), ObjectRef>;

fn oref(kind: ObjectKind, key: &str) -> ObjectRef {
    ObjectRef {
        kind,
        key: key.to_string(),
    }
}

async fn read_all(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
    only: Option<&Only>,
) -> Result<Catalog, DbError> {
    // With `only`: what each query is filtered by, and the whole-catalog reads skipped.
    fn by<'a>(oids: Option<&'a [i64]>, column: &'static str) -> Filter<'a> {
        match oids {
            None => Filter::All,
            Some([]) => Filter::Skip,
            Some(oids) => Filter::Only(column, oids),
        }
    }
    let whole = match only {
        None => Filter::All,
        Some(_) => Filter::Skip,
    };
    let mut cat = Catalog::default();
    let mut oids: OidMap = HashMap::new();
    let t = &mut cat.timings;

    let rows: Vec<SchemaRow> = fetch(
        conn,
        t,
        "schemas",
        Q_SCHEMAS,
        schemas,
        exclude,
        by(only.map(|o| &o.schemas[..]), "oid"),
    )
    .await?;
    for r in rows {
        oids.insert(("pg_namespace", r.oid, 0), oref(ObjectKind::Schema, &r.key));
        cat.schemas.insert(r.key.clone(), r.model());
    }

    let rows: Vec<ExtensionRow> = fetch(
        conn,
        t,
        "extensions",
        Q_EXTENSIONS,
        schemas,
        exclude,
        by(only.map(|o| &o.extensions[..]), "oid"),
    )
    .await?;
    for r in rows {
        cat.extensions.insert(r.key.clone(), r.model());
    }

    let rows: Vec<TypeRow> = fetch(
        conn,
        t,
        "types",
        Q_TYPES,
        schemas,
        exclude,
        by(only.map(|o| &o.types[..]), "oid"),
    )
    .await?;
    for r in rows {
        oids.insert(("pg_type", r.oid, 0), oref(ObjectKind::Type, &r.key));
        cat.types.insert(r.key.clone(), r.model());
    }

    let rows: Vec<SequenceRow> = fetch(
        conn,
        t,
        "sequences",
        Q_SEQUENCES,
        schemas,
        exclude,
        by(only.map(|o| &o.sequences[..]), "oid"),
    )
    .await?;
    for r in rows {
        oids.insert(("pg_class", r.oid, 0), oref(ObjectKind::Sequence, &r.key));
        cat.sequences.insert(r.key.clone(), r.model());
    }

    // Relations by oid, so that columns, constraints, triggers and policies find their table.
    let mut table_by_oid: HashMap<i64, String> = HashMap::new();
    let mut view_by_oid: HashMap<i64, (String, ObjectKind)> = HashMap::new();

    let rows: Vec<TableRow> = fetch(
        conn,
        t,
        "tables",
        Q_TABLES,
        schemas,
        exclude,
        by(only.map(|o| &o.relations[..]), "oid"),
    )
    .await?;
    for r in rows {
        oids.insert(("pg_class", r.oid, 0), oref(ObjectKind::Table, &r.key));
        oids.insert(("pg_type", r.type_oid, 0), oref(ObjectKind::Table, &r.key));
        table_by_oid.insert(r.oid, r.key.clone());
        cat.tables.insert(r.key.clone(), r.model());
    }

    let rows: Vec<ViewRow> = fetch(
        conn,
        t,
        "views",
        Q_VIEWS,
        schemas,
        exclude,
        by(only.map(|o| &o.relations[..]), "oid"),
    )
    .await?;
    for r in rows {
        let kind = r.kind();
        oids.insert(("pg_class", r.oid, 0), oref(kind, &r.key));
        oids.insert(("pg_type", r.type_oid, 0), oref(kind, &r.key));
        view_by_oid.insert(r.oid, (r.key.clone(), kind));
        cat.views.insert(r.key.clone(), r.model());
    }

    let rows: Vec<ColumnRow> = fetch(
        conn,
        t,
        "columns",
        Q_COLUMNS,
        schemas,
        exclude,
        by(only.map(|o| &o.relations[..]), "rel_oid"),
    )
    .await?;
    for r in rows {
        let (rel, num) = (r.rel_oid, r.num);
        if let Some(tkey) = table_by_oid.get(&rel) {
            let Some(table) = cat.tables.get_mut(tkey) else {
                continue;
            };
            // A partition's inherited columns follow its parent; map them to the table so
            // that dependencies on them still resolve.
            if !r.local && table.partition_of.is_some() {
                oids.insert(("pg_class", rel, num), oref(ObjectKind::Table, tkey));
                continue;
            }
            let ckey = format!("{tkey}.{}", crate::sql::quote_ident(&r.name));
            oids.insert(("pg_class", rel, num), oref(ObjectKind::Column, &ckey));
            table.columns.push(r.model());
        } else if let Some((vkey, kind)) = view_by_oid.get(&rel) {
            let Some(view) = cat.views.get_mut(vkey) else {
                continue;
            };
            oids.insert(("pg_class", rel, num), oref(*kind, vkey));
            if let Some(c) = r.comment {
                view.column_comments.insert(r.name.clone(), c);
            }
            view.columns.push((r.name, r.data_type));
        }
    }

    let rows: Vec<ConstraintRow> = fetch(
        conn,
        t,
        "constraints",
        Q_CONSTRAINTS,
        schemas,
        exclude,
        by(only.map(|o| &o.relations[..]), "rel_oid"),
    )
    .await?;
    for r in rows {
        let Some(tkey) = table_by_oid.get(&r.rel_oid) else {
            continue;
        };
        let ckey = format!("{tkey}.{}", crate::sql::quote_ident(&r.name));
        oids.insert(
            ("pg_constraint", r.oid, 0),
            oref(ObjectKind::Constraint, &ckey),
        );
        if r.index_oid != 0 && r.kind.0 != ConstraintKind::ForeignKey {
            // The index that implements a key is the constraint, for dependencies.
            oids.insert(
                ("pg_class", r.index_oid, 0),
                oref(ObjectKind::Constraint, &ckey),
            );
        }
        if let Some(table) = cat.tables.get_mut(tkey) {
            table.constraints.insert(r.name.clone(), r.model());
        }
    }

    let rows: Vec<IndexRow> = fetch(
        conn,
        t,
        "indexes",
        Q_INDEXES,
        schemas,
        exclude,
        by(only.map(|o| &o.relations[..]), "rel_oid"),
    )
    .await?;
    for r in rows {
        oids.insert(("pg_class", r.oid, 0), oref(ObjectKind::Index, &r.key));
        cat.indexes.insert(r.key.clone(), r.model());
    }

    let rows: Vec<FunctionRow> = fetch(
        conn,
        t,
        "functions",
        Q_FUNCTIONS,
        schemas,
        exclude,
        by(only.map(|o| &o.functions[..]), "oid"),
    )
    .await?;
    for r in rows {
        oids.insert(("pg_proc", r.oid, 0), oref(r.kind(), &r.key));
        cat.functions.insert(r.key.clone(), r.model());
    }

    let rows: Vec<TriggerRow> = fetch(
        conn,
        t,
        "triggers",
        Q_TRIGGERS,
        schemas,
        exclude,
        by(only.map(|o| &o.relations[..]), "rel_oid"),
    )
    .await?;
    for r in rows {
        let key = format!("{}.{}", r.table_key, crate::sql::quote_ident(&r.name));
        oids.insert(("pg_trigger", r.oid, 0), oref(ObjectKind::Trigger, &key));
        cat.triggers.insert(key, r.model());
    }

    let rows: Vec<PolicyRow> = fetch(
        conn,
        t,
        "policies",
        Q_POLICIES,
        schemas,
        exclude,
        by(only.map(|o| &o.relations[..]), "rel_oid"),
    )
    .await?;
    for r in rows {
        let key = format!("{}.{}", r.table_key, crate::sql::quote_ident(&r.name));
        oids.insert(("pg_policy", r.oid, 0), oref(ObjectKind::Policy, &key));
        cat.policies.insert(key, r.model());
    }

    let rows: Vec<DependencyRow> = fetch(
        conn,
        t,
        "dependencies",
        Q_DEPENDENCIES,
        schemas,
        exclude,
        whole,
    )
    .await?;
    let mut edges = std::collections::BTreeSet::new();
    for r in rows {
        let (Some(class), Some(ref_class)) = (static_class(&r.class), static_class(&r.ref_class))
        else {
            continue;
        };
        let from = lookup(&oids, class, r.oid, r.sub);
        let to = lookup(&oids, ref_class, r.ref_oid, r.ref_sub);
        if let (Some(from), Some(to)) = (from, to) {
            if from != to {
                edges.insert((from.clone(), to.clone()));
            }
        }
    }
    cat.dependencies = edges.into_iter().collect();

    let rows: Vec<NotComparedRow> = fetch(
        conn,
        t,
        "unmodelled objects",
        Q_UNMODELLED,
        schemas,
        exclude,
        whole,
    )
    .await?;
    cat.not_compared = rows
        .into_iter()
        .map(|r| NotCompared {
            kind: r.kind,
            name: r.name,
        })
        .collect();

    let rows: Vec<OwnerRow> = fetch(
        conn,
        t,
        "relation owners",
        Q_OWNERS,
        schemas,
        exclude,
        whole,
    )
    .await?;
    cat.owners = rows.into_iter().map(|r| (r.key, r.owner)).collect();

    let rows: Vec<RoleRow> = fetch(conn, t, "roles", Q_ROLES, schemas, exclude, whole).await?;
    cat.roles = rows
        .into_iter()
        .map(|r| (r.key.clone(), r.model()))
        .collect();
    Ok(cat)
}

fn static_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "pg_class" => "pg_class",
        "pg_proc" => "pg_proc",
        "pg_type" => "pg_type",
        "pg_constraint" => "pg_constraint",
        "pg_trigger" => "pg_trigger",
        "pg_policy" => "pg_policy",
        "pg_namespace" => "pg_namespace",
        _ => return None,
    })
}

/// A column reference falls back to its relation when the column itself is not modelled.
fn lookup<'a>(oids: &'a OidMap, class: &'static str, oid: i64, sub: i32) -> Option<&'a ObjectRef> {
    oids.get(&(class, oid, sub))
        .or_else(|| (sub != 0).then(|| oids.get(&(class, oid, 0))).flatten())
}
