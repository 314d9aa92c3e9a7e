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

pub mod model;

pub use model::*;

use crate::db::{self, DbError};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

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

/// Like [`introspect`], but only the objects whose oid is in `oids`: schemas, extensions, types,
/// sequences, functions, and relations with their columns, constraints, indexes, triggers and
/// policies (relations are matched by their own oid). Dependencies, unmodelled objects, owners
/// and roles are left empty. For `verify-rollbacks`, which reads only what a migration touched
/// (see `snapshot`); the caller keeps only the objects it asked for (an oid is unique within
/// one catalog table, not across them).
pub async fn introspect_only(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude_schemas: &[String],
    oids: &[i64],
) -> Result<Catalog, DbError> {
    db::execute_script(
        conn,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET LOCAL search_path = pg_catalog;",
    )
    .await
    .map_err(|e| DbError::query("starting the catalog snapshot", &e))?;
    let result = read_all(conn, schemas, exclude_schemas, Some(oids)).await;
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

/// Which objects one read covers: every object in the schemas, or (`Only`) the rows whose
/// column `column` is one of the oids; `Skip` reads nothing.
#[derive(Clone, Copy)]
enum Filter<'a> {
    All,
    Only(&'static str, &'a [i64]),
    Skip,
}

async fn fetch(
    conn: &mut PgConnection,
    what: &str,
    sql: &'static str,
    schemas: &[String],
    exclude: &[String],
    filter: Filter<'_>,
) -> Result<Vec<PgRow>, DbError> {
    let r = match filter {
        Filter::Skip => return Ok(Vec::new()),
        Filter::All => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(schemas)
                .bind(exclude)
                .fetch_all(&mut *conn)
                .await
        }
        Filter::Only(column, oids) => {
            // The condition is pushed down into the query's scan by the planner, so the
            // deparsers run only for the rows asked for.
            let wrapped = format!("SELECT * FROM (\n{sql}\n) q WHERE q.{column} = ANY($3)");
            sqlx::query(sqlx::AssertSqlSafe(wrapped))
                .bind(schemas)
                .bind(exclude)
                .bind(oids)
                .fetch_all(&mut *conn)
                .await
        }
    };
    r.map_err(|e| DbError::query(format!("reading {what} from the catalog"), &e))
}

fn get<'r, T>(row: &'r PgRow, col: &str) -> Result<T, DbError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col)
        .map_err(|e| DbError::query(format!("decoding catalog column `{col}`"), &e))
}

fn grants(row: &PgRow, col: &str) -> Result<Vec<Grant>, DbError> {
    let v: sqlx::types::Json<Vec<Grant>> = get(row, col)?;
    Ok(v.0)
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
    only: Option<&[i64]>,
) -> Result<Catalog, DbError> {
    // What each query is filtered by when only some objects are read.
    let by = |column: &'static str| match only {
        None => Filter::All,
        Some(oids) => Filter::Only(column, oids),
    };
    let whole = match only {
        None => Filter::All,
        Some(_) => Filter::Skip,
    };
    let mut cat = Catalog::default();
    let mut oids: OidMap = HashMap::new();

    for r in fetch(conn, "schemas", Q_SCHEMAS, schemas, exclude, by("oid")).await? {
        let key: String = get(&r, "key")?;
        oids.insert(
            ("pg_namespace", get(&r, "oid")?, 0),
            oref(ObjectKind::Schema, &key),
        );
        cat.schemas.insert(
            key,
            Schema {
                name: get(&r, "name")?,
                comment: get(&r, "comment")?,
                acl: grants(&r, "acl")?,
            },
        );
    }

    for r in fetch(conn, "extensions", Q_EXTENSIONS, schemas, exclude, by("oid")).await? {
        let key: String = get(&r, "key")?;
        cat.extensions.insert(
            key,
            Extension {
                name: get(&r, "name")?,
                schema: get(&r, "schema")?,
                version: get(&r, "version")?,
                comment: get(&r, "comment")?,
            },
        );
    }

    for r in fetch(conn, "types", Q_TYPES, schemas, exclude, by("oid")).await? {
        let key: String = get(&r, "key")?;
        let kind = match get::<String>(&r, "kind")?.as_str() {
            "enum" => TypeKind::Enum,
            "composite" => TypeKind::Composite,
            "domain" => TypeKind::Domain,
            _ => TypeKind::Range,
        };
        oids.insert(
            ("pg_type", get(&r, "oid")?, 0),
            oref(ObjectKind::Type, &key),
        );
        cat.types.insert(
            key,
            TypeDef {
                schema: get(&r, "schema")?,
                name: get(&r, "name")?,
                kind,
                labels: get(&r, "labels")?,
                attributes: get(&r, "attributes")?,
                base_type: get(&r, "base_type")?,
                not_null: get(&r, "not_null")?,
                default: get(&r, "default_expr")?,
                constraints: get(&r, "constraints")?,
                range_subtype: get(&r, "range_subtype")?,
                comment: get(&r, "comment")?,
            },
        );
    }

    for r in fetch(conn, "sequences", Q_SEQUENCES, schemas, exclude, by("oid")).await? {
        let key: String = get(&r, "key")?;
        oids.insert(
            ("pg_class", get(&r, "oid")?, 0),
            oref(ObjectKind::Sequence, &key),
        );
        cat.sequences.insert(
            key,
            Sequence {
                schema: get(&r, "schema")?,
                name: get(&r, "name")?,
                data_type: get(&r, "data_type")?,
                start: get(&r, "start")?,
                increment: get(&r, "increment")?,
                min_value: get(&r, "min_value")?,
                max_value: get(&r, "max_value")?,
                cache: get(&r, "cache")?,
                cycle: get(&r, "cycle")?,
                owned_by: get(&r, "owned_by")?,
                comment: get(&r, "comment")?,
                acl: grants(&r, "acl")?,
            },
        );
    }

    // Relations by oid, so that columns, constraints, triggers and policies find their table.
    let mut table_by_oid: HashMap<i64, String> = HashMap::new();
    let mut view_by_oid: HashMap<i64, String> = HashMap::new();

    for r in fetch(conn, "tables", Q_TABLES, schemas, exclude, by("oid")).await? {
        let key: String = get(&r, "key")?;
        let oid: i64 = get(&r, "oid")?;
        oids.insert(("pg_class", oid, 0), oref(ObjectKind::Table, &key));
        oids.insert(
            ("pg_type", get(&r, "type_oid")?, 0),
            oref(ObjectKind::Table, &key),
        );
        table_by_oid.insert(oid, key.clone());
        cat.tables.insert(
            key,
            Table {
                schema: get(&r, "schema")?,
                name: get(&r, "name")?,
                partitioned: get(&r, "partitioned")?,
                partition_key: get(&r, "partition_key")?,
                partition_of: get(&r, "partition_of")?,
                partition_bound: get(&r, "partition_bound")?,
                inherits: get(&r, "inherits")?,
                unlogged: get(&r, "unlogged")?,
                options: get(&r, "options")?,
                rls_enabled: get(&r, "rls_enabled")?,
                rls_forced: get(&r, "rls_forced")?,
                columns: Vec::new(),
                constraints: BTreeMap::new(),
                comment: get(&r, "comment")?,
                acl: grants(&r, "acl")?,
            },
        );
    }

    for r in fetch(conn, "views", Q_VIEWS, schemas, exclude, by("oid")).await? {
        let key: String = get(&r, "key")?;
        let oid: i64 = get(&r, "oid")?;
        let materialized: bool = get(&r, "materialized")?;
        let kind = if materialized {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        };
        oids.insert(("pg_class", oid, 0), oref(kind, &key));
        oids.insert(("pg_type", get(&r, "type_oid")?, 0), oref(kind, &key));
        view_by_oid.insert(oid, key.clone());
        cat.views.insert(
            key,
            View {
                schema: get(&r, "schema")?,
                name: get(&r, "name")?,
                materialized,
                definition: get(&r, "definition")?,
                options: get(&r, "options")?,
                columns: Vec::new(),
                comment: get(&r, "comment")?,
                acl: grants(&r, "acl")?,
                column_comments: BTreeMap::new(),
            },
        );
    }

    for r in fetch(conn, "columns", Q_COLUMNS, schemas, exclude, by("rel_oid")).await? {
        let rel: i64 = get(&r, "rel_oid")?;
        let num: i32 = get(&r, "num")?;
        let name: String = get(&r, "name")?;
        if let Some(tkey) = table_by_oid.get(&rel) {
            let Some(table) = cat.tables.get_mut(tkey) else {
                continue;
            };
            let local: bool = get(&r, "local")?;
            let ckey = format!("{tkey}.{}", crate::sql::quote_ident(&name));
            // A partition's inherited columns follow its parent; map them to the table so
            // that dependencies on them still resolve.
            if !local && table.partition_of.is_some() {
                oids.insert(("pg_class", rel, num), oref(ObjectKind::Table, tkey));
                continue;
            }
            oids.insert(("pg_class", rel, num), oref(ObjectKind::Column, &ckey));
            table.columns.push(Column {
                name,
                data_type: get(&r, "data_type")?,
                not_null: get(&r, "not_null")?,
                default: get(&r, "default_expr")?,
                generated: get(&r, "generated")?,
                identity: get(&r, "identity")?,
                collation: get(&r, "collation")?,
                comment: get(&r, "comment")?,
                acl: grants(&r, "acl")?,
            });
        } else if let Some(vkey) = view_by_oid.get(&rel) {
            let Some(view) = cat.views.get_mut(vkey) else {
                continue;
            };
            let kind = if view.materialized {
                ObjectKind::MaterializedView
            } else {
                ObjectKind::View
            };
            oids.insert(("pg_class", rel, num), oref(kind, vkey));
            if let Some(c) = get::<Option<String>>(&r, "comment")? {
                view.column_comments.insert(name.clone(), c);
            }
            view.columns.push((name, get(&r, "data_type")?));
        }
    }

    for r in fetch(conn, "constraints", Q_CONSTRAINTS, schemas, exclude, by("rel_oid")).await? {
        let rel: i64 = get(&r, "rel_oid")?;
        let Some(tkey) = table_by_oid.get(&rel) else {
            continue;
        };
        let name: String = get(&r, "name")?;
        let ckey = format!("{tkey}.{}", crate::sql::quote_ident(&name));
        let kind = match get::<String>(&r, "kind")?.as_str() {
            "primary-key" => ConstraintKind::PrimaryKey,
            "foreign-key" => ConstraintKind::ForeignKey,
            "unique" => ConstraintKind::Unique,
            "exclusion" => ConstraintKind::Exclusion,
            _ => ConstraintKind::Check,
        };
        oids.insert(
            ("pg_constraint", get(&r, "oid")?, 0),
            oref(ObjectKind::Constraint, &ckey),
        );
        let index_oid: i64 = get(&r, "index_oid")?;
        if index_oid != 0 && kind != ConstraintKind::ForeignKey {
            // The index that implements a key is the constraint, for dependencies.
            oids.insert(
                ("pg_class", index_oid, 0),
                oref(ObjectKind::Constraint, &ckey),
            );
        }
        let Some(table) = cat.tables.get_mut(tkey) else {
            continue;
        };
        table.constraints.insert(
            name.clone(),
            Constraint {
                name,
                kind,
                definition: get(&r, "definition")?,
                validated: get(&r, "validated")?,
                deferrable: get(&r, "deferrable")?,
                deferred: get(&r, "deferred")?,
                references: get(&r, "references_table")?,
                columns: get(&r, "columns")?,
                comment: get(&r, "comment")?,
            },
        );
    }

    for r in fetch(conn, "indexes", Q_INDEXES, schemas, exclude, by("rel_oid")).await? {
        let key: String = get(&r, "key")?;
        oids.insert(
            ("pg_class", get(&r, "oid")?, 0),
            oref(ObjectKind::Index, &key),
        );
        cat.indexes.insert(
            key,
            Index {
                schema: get(&r, "schema")?,
                name: get(&r, "name")?,
                table: get(&r, "table_key")?,
                definition: get(&r, "definition")?,
                unique: get(&r, "is_unique")?,
                valid: get(&r, "valid")?,
                partial: get(&r, "partial")?,
                expression: get(&r, "expression")?,
                comment: get(&r, "comment")?,
            },
        );
    }

    for r in fetch(conn, "functions", Q_FUNCTIONS, schemas, exclude, by("oid")).await? {
        let key: String = get(&r, "key")?;
        let procedure: bool = get(&r, "procedure")?;
        let kind = if procedure {
            ObjectKind::Procedure
        } else {
            ObjectKind::Function
        };
        oids.insert(("pg_proc", get(&r, "oid")?, 0), oref(kind, &key));
        let result: Option<String> = get(&r, "result")?;
        cat.functions.insert(
            key,
            Function {
                schema: get(&r, "schema")?,
                name: get(&r, "name")?,
                procedure,
                arguments: get(&r, "arguments")?,
                identity_arguments: get(&r, "identity_arguments")?,
                result: if procedure { None } else { result },
                language: get(&r, "language")?,
                volatility: get(&r, "volatility")?,
                security_definer: get(&r, "security_definer")?,
                leakproof: get(&r, "leakproof")?,
                strict: get(&r, "strict")?,
                parallel: get(&r, "parallel")?,
                config: get(&r, "config")?,
                definition: get(&r, "definition")?,
                sql_body: get(&r, "sql_body")?,
                comment: get(&r, "comment")?,
                acl: grants(&r, "acl")?,
            },
        );
    }

    for r in fetch(conn, "triggers", Q_TRIGGERS, schemas, exclude, by("rel_oid")).await? {
        let tkey: String = get(&r, "table_key")?;
        let name: String = get(&r, "name")?;
        let key = format!("{tkey}.{}", crate::sql::quote_ident(&name));
        oids.insert(
            ("pg_trigger", get(&r, "oid")?, 0),
            oref(ObjectKind::Trigger, &key),
        );
        cat.triggers.insert(
            key,
            Trigger {
                name,
                table: tkey,
                definition: get(&r, "definition")?,
                enabled: get(&r, "enabled")?,
                function: get(&r, "function")?,
                constraint_trigger: get(&r, "constraint_trigger")?,
                comment: get(&r, "comment")?,
            },
        );
    }

    for r in fetch(conn, "policies", Q_POLICIES, schemas, exclude, by("rel_oid")).await? {
        let tkey: String = get(&r, "table_key")?;
        let name: String = get(&r, "name")?;
        let key = format!("{tkey}.{}", crate::sql::quote_ident(&name));
        oids.insert(
            ("pg_policy", get(&r, "oid")?, 0),
            oref(ObjectKind::Policy, &key),
        );
        cat.policies.insert(
            key,
            Policy {
                name,
                table: tkey,
                command: get(&r, "command")?,
                permissive: get(&r, "permissive")?,
                roles: get(&r, "roles")?,
                using: get(&r, "using_expr")?,
                check: get(&r, "check_expr")?,
                comment: get(&r, "comment")?,
            },
        );
    }

    let mut edges = std::collections::BTreeSet::new();
    for r in fetch(conn, "dependencies", Q_DEPENDENCIES, schemas, exclude, whole).await? {
        let class: String = get(&r, "class")?;
        let ref_class: String = get(&r, "ref_class")?;
        let (Some(class), Some(ref_class)) = (static_class(&class), static_class(&ref_class))
        else {
            continue;
        };
        let from = lookup(&oids, class, get(&r, "oid")?, get(&r, "sub")?);
        let to = lookup(&oids, ref_class, get(&r, "ref_oid")?, get(&r, "ref_sub")?);
        if let (Some(from), Some(to)) = (from, to) {
            if from != to {
                edges.insert((from.clone(), to.clone()));
            }
        }
    }
    cat.dependencies = edges.into_iter().collect();

    for r in fetch(conn, "unmodelled objects", Q_UNMODELLED, schemas, exclude, whole).await? {
        cat.not_compared.push(NotCompared {
            kind: get(&r, "kind")?,
            name: get(&r, "name")?,
        });
    }

    for r in fetch(conn, "relation owners", Q_OWNERS, schemas, exclude, whole).await? {
        cat.owners.insert(get(&r, "key")?, get(&r, "owner")?);
    }
    for r in fetch(conn, "roles", Q_ROLES, schemas, exclude, whole).await? {
        cat.roles.insert(
            get(&r, "key")?,
            Role {
                name: get(&r, "name")?,
                superuser: get(&r, "superuser")?,
                bypass_rls: get(&r, "bypass_rls")?,
            },
        );
    }
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
