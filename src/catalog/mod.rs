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
//!   `SET LOCAL jit = off`: the catalog queries' estimated costs can pass `jit_above_cost` on
//!   a large schema, and compiling them takes far longer than running them (10x measured).
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
mod version;

pub use code::UnexpectedCode;

pub use model::*;

use crate::db::{self, DbError};
use rows::*;
use sqlx::postgres::{PgConnection, PgRow};
use std::collections::HashMap;

const Q_SCHEMAS: &str = include_str!("queries/schemas.sql");
const Q_EXTENSIONS: &str = include_str!("queries/extensions.sql");
const Q_COLLATIONS: &str = include_str!("queries/collations.sql");
const Q_TYPES: &str = include_str!("queries/types.sql");
const Q_SEQUENCES: &str = include_str!("queries/sequences.sql");
const Q_TABLES: &str = include_str!("queries/tables.sql");
const Q_COLUMNS: &str = include_str!("queries/columns.sql");
const Q_CONSTRAINTS: &str = include_str!("queries/constraints.sql");
const Q_INDEXES: &str = include_str!("queries/indexes.sql");
const Q_STATISTICS: &str = include_str!("queries/statistics.sql");
const Q_VIEWS: &str = include_str!("queries/views.sql");
const Q_RULES: &str = include_str!("queries/rules.sql");
const Q_FUNCTIONS: &str = include_str!("queries/functions.sql");
const Q_TRIGGERS: &str = include_str!("queries/triggers.sql");
const Q_EVENT_TRIGGERS: &str = include_str!("queries/event_triggers.sql");
const Q_POLICIES: &str = include_str!("queries/policies.sql");
const Q_PUBLICATIONS: &str = include_str!("queries/publications.sql");
const Q_DEFAULT_PRIVILEGES: &str = include_str!("queries/default_privileges.sql");
const Q_SECURITY_LABELS: &str = include_str!("queries/security_labels.sql");
const Q_DEPENDENCIES: &str = include_str!("queries/dependencies.sql");
const Q_NOT_COMPARED: &str = include_str!("queries/not_compared.sql");
const Q_ROLES: &str = include_str!("queries/roles.sql");
const Q_ROLE_MEMBERS: &str = include_str!("queries/role_members.sql");
const Q_VIEW_READS: &str = include_str!("queries/view_reads.sql");

/// Every catalog query by name (each is run once per introspection). A cache of a catalog
/// read is valid only for the same texts ([`reader_identity`]); [`Reader::fetch_filtered`]
/// checks (in debug builds) that every query it runs is listed here.
pub(crate) const QUERIES: &[(&str, &str)] = &[
    ("schemas", Q_SCHEMAS),
    ("extensions", Q_EXTENSIONS),
    ("collations", Q_COLLATIONS),
    ("types", Q_TYPES),
    ("sequences", Q_SEQUENCES),
    ("tables", Q_TABLES),
    ("columns", Q_COLUMNS),
    ("constraints", Q_CONSTRAINTS),
    ("indexes", Q_INDEXES),
    ("statistics", Q_STATISTICS),
    ("views", Q_VIEWS),
    ("rules", Q_RULES),
    ("functions", Q_FUNCTIONS),
    ("triggers", Q_TRIGGERS),
    ("event triggers", Q_EVENT_TRIGGERS),
    ("policies", Q_POLICIES),
    ("publications", Q_PUBLICATIONS),
    ("default privileges", Q_DEFAULT_PRIVILEGES),
    ("security labels", Q_SECURITY_LABELS),
    ("dependencies", Q_DEPENDENCIES),
    ("objects not compared", Q_NOT_COMPARED),
    ("roles", Q_ROLES),
    ("role memberships", Q_ROLE_MEMBERS),
    ("relations read by views", Q_VIEW_READS),
];

/// Reads the schemas `schemas` (minus `exclude_schemas`, e.g. strata's history schema) in one
/// read-only snapshot.
pub async fn introspect(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude_schemas: &[String],
) -> Result<Catalog, DbError> {
    begin_snapshot(conn, Plans::PerRead).await?;
    let result = read_all(conn, schemas, exclude_schemas, None).await;
    let _ = db::execute_script(conn, "ROLLBACK").await;
    result
}

/// How the statements of a snapshot are planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plans {
    /// As PostgreSQL chooses (a read made once).
    PerRead,
    /// One generic plan per statement, reused (verify-rollbacks reads after every migration, and
    /// planning these queries costs about as much as running them on a small schema).
    Generic,
}

/// Starts a catalog snapshot: read-only, repeatable read, `search_path = pg_catalog` (so the
/// deparsers qualify every name the same way), no JIT (the queries' estimates pass
/// `jit_above_cost`, and compiling took longer than running them).
pub async fn begin_snapshot(conn: &mut PgConnection, plans: Plans) -> Result<(), DbError> {
    let generic = match plans {
        Plans::PerRead => "",
        Plans::Generic => "\nSET LOCAL plan_cache_mode = force_generic_plan;",
    };
    let sql = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET LOCAL search_path = pg_catalog;\n\
         SET LOCAL jit = off;{generic}"
    );
    db::execute_script(conn, &sql)
        .await
        .map(|_| ())
        .map_err(|e| DbError::query("starting the catalog snapshot", &e))
}

/// [`introspect`] on two connections to the same database at once: `b` imports the snapshot
/// `a` exports (`pg_export_snapshot`, as `pg_dump -j` does), so both halves read the same
/// state, and each reads about half of the catalog ([`read_split`]). Where `b` cannot join the
/// snapshot (a server that refuses to export one, a pooler that puts `b` elsewhere), `a` reads
/// alone, as [`introspect`] does.
pub async fn introspect_pair(
    a: &mut PgConnection,
    b: &mut PgConnection,
    schemas: &[String],
    exclude_schemas: &[String],
) -> Result<Catalog, DbError> {
    begin_snapshot(a, Plans::PerRead).await?;
    let exported: Result<String, _> = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *a)
        .await;
    let Ok(snapshot) = exported else {
        // The failed statement aborted `a`'s transaction: start again, on `a` alone.
        let _ = db::execute_script(a, "ROLLBACK").await;
        return introspect(a, schemas, exclude_schemas).await;
    };
    let join = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET TRANSACTION SNAPSHOT {};\n\
         SET LOCAL search_path = pg_catalog;\nSET LOCAL jit = off;",
        crate::sql::quote_literal(&snapshot)
    );
    let result = if db::execute_script(b, &join).await.is_ok() {
        read_split(a, b, schemas, exclude_schemas).await
    } else {
        read_all(a, schemas, exclude_schemas, None).await
    };
    let _ = db::execute_script(b, "ROLLBACK").await;
    let _ = db::execute_script(a, "ROLLBACK").await;
    result
}

/// The objects [`introspect_only_in_snapshot`] reads, by oid and kind (a relation with its columns,
/// constraints, indexes, rules, triggers and policies). A kind with no oids is not queried at
/// all; default privileges and security labels are read whole or not at all.
#[derive(Debug, Clone, Default)]
pub struct Only {
    pub schemas: Vec<i64>,
    pub extensions: Vec<i64>,
    pub collations: Vec<i64>,
    pub types: Vec<i64>,
    pub sequences: Vec<i64>,
    /// Tables, views and materialized views.
    pub relations: Vec<i64>,
    pub statistics: Vec<i64>,
    pub functions: Vec<i64>,
    pub event_triggers: Vec<i64>,
    pub publications: Vec<i64>,
    pub default_privileges: bool,
    pub security_labels: bool,
}

/// The server version and the reading role of one connection: read once by a caller that reads
/// the same database many times ([`introspect_only_in_snapshot`]).
#[derive(Debug, Clone)]
pub struct Session {
    version: i32,
    role: String,
}

impl Session {
    pub async fn of(conn: &mut PgConnection) -> Result<Session, DbError> {
        let (version, role) = session(conn).await?;
        Ok(Session { version, role })
    }
}

/// Only the objects in `only`, inside the caller's snapshot ([`begin_snapshot`] with
/// [`Plans::Generic`]), as `session`; dependencies, objects not compared and roles are left
/// empty. For `snapshot::Reader`, which reads the fingerprints and the objects they name in one
/// snapshot, without a round trip for the version.
/// With `b`, a second connection in the same state as `a` (the caller's snapshots of a database
/// nothing writes to meanwhile), the queries are split between the two as [`read_split`] splits
/// them.
pub async fn introspect_only_in_snapshot(
    a: &mut PgConnection,
    b: Option<&mut PgConnection>,
    session: &Session,
    schemas: &[String],
    exclude_schemas: &[String],
    only: &Only,
) -> Result<Catalog, DbError> {
    let known = (session.version, session.role.clone());
    match b {
        Some(b) => read_split_as(a, b, schemas, exclude_schemas, Some(only), known).await,
        None => read_all_as(a, schemas, exclude_schemas, Some(only), Some(known)).await,
    }
}

/// What shapes a catalog read besides the database: the server version, the role that reads
/// (it decides owners "by default" and default-privilege keys) and every query as rendered
/// for that version. A cached catalog is valid only for the same identity.
pub async fn reader_identity(conn: &mut PgConnection) -> Result<String, DbError> {
    let (version, role) = session(conn).await?;
    let mut out = format!("{version}\n{role}\n");
    for (name, q) in QUERIES {
        out.push_str(name);
        out.push('\n');
        out.push_str(&version::render(q, version));
        out.push('\n');
    }
    Ok(out)
}

/// `server_version_num` and the current role (quoted).
async fn session(conn: &mut PgConnection) -> Result<(i32, String), DbError> {
    sqlx::query_as("SELECT current_setting('server_version_num')::int4, quote_ident(current_user)")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| DbError::query("reading the server version", &e))
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
        "SAVEPOINT strata_catalog;\nSET LOCAL search_path = pg_catalog;\nSET LOCAL jit = off;",
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

/// One introspection's connection, scope and server version.
struct Reader<'c> {
    conn: &'c mut PgConnection,
    schemas: &'c [String],
    exclude: &'c [String],
    /// `server_version_num`, for the version-dependent query fragments.
    version: i32,
    /// Reading only some objects ([`introspect_only_in_snapshot`]): queries run with plain
    /// [`Reader::fetch`] (dependencies, objects not compared, roles) are skipped.
    partial: bool,
    timings: Timings,
}

/// Which objects one query reads: all in the schemas, or (`Only`) the rows whose column
/// `column` is one of the oids; `Skip` reads nothing.
#[derive(Clone, Copy)]
enum Filter<'a> {
    All,
    Only(&'static str, &'a [i64]),
    Skip,
}

impl<'a> Filter<'a> {
    /// For [`introspect_only_in_snapshot`] (`Some`): the rows with these oids, none when there are none;
    /// for a whole read (`None`): all.
    fn by(oids: Option<&'a [i64]>, column: &'static str) -> Filter<'a> {
        match oids {
            None => Filter::All,
            Some([]) => Filter::Skip,
            Some(oids) => Filter::Only(column, oids),
        }
    }

    /// All or nothing: a kind read whole when `read`.
    fn whole(read: bool) -> Filter<'a> {
        if read {
            Filter::All
        } else {
            Filter::Skip
        }
    }
}

impl Reader<'_> {
    /// Runs one catalog query that reads the whole catalog (skipped when only some objects
    /// are read) and decodes its rows; `$1` is the schemas in scope, `$2` those left out. A
    /// decode error (a catalog code strata does not know) names the query and the column.
    async fn fetch<R>(&mut self, what: &'static str, sql: &'static str) -> Result<Vec<R>, DbError>
    where
        R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        let filter = Filter::whole(!self.partial);
        self.fetch_filtered(what, sql, filter).await
    }

    /// [`Reader::fetch`], limited by `filter`: with `Only`, the query is wrapped and `$3` is
    /// the oids (the planner pushes the condition down into the query's scans, so the
    /// deparsers run only for the rows asked for).
    async fn fetch_filtered<R>(
        &mut self,
        what: &'static str,
        sql: &'static str,
        filter: Filter<'_>,
    ) -> Result<Vec<R>, DbError>
    where
        R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        debug_assert!(
            QUERIES.iter().any(|(_, q)| *q == sql),
            "catalog query {what} is not listed in QUERIES (the declared catalog's cache key)"
        );
        let started = std::time::Instant::now();
        let sql = version::render(sql, self.version);
        let rows = match filter {
            Filter::Skip => return Ok(Vec::new()),
            Filter::All => {
                sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql))
                    .bind(self.schemas)
                    .bind(self.exclude)
                    .fetch_all(&mut *self.conn)
                    .await
            }
            Filter::Only(column, oids) => {
                let wrapped = format!("SELECT * FROM (\n{sql}\n) q WHERE q.{column} = ANY($3)");
                sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(wrapped))
                    .bind(self.schemas)
                    .bind(self.exclude)
                    .bind(oids)
                    .fetch_all(&mut *self.conn)
                    .await
            }
        }
        .map_err(|e| DbError::query(format!("reading {what} from the catalog"), &e))?;
        self.timings.0.push((what, started.elapsed()));
        Ok(rows)
    }
}

/// (catalog name, oid, sub id) → the modelled object it is.
type OidMap = HashMap<(&'static str, i64, i32), ObjectRef>;

fn oref(kind: ObjectKind, key: &str) -> ObjectRef {
    ObjectRef {
        kind,
        key: key.to_string(),
    }
}

/// What a part of a catalog read builds: the model's maps it fills, the oid of every object it
/// read (dependencies are resolved through them once all parts are in), and edges of its own.
struct Part {
    cat: Catalog,
    oids: OidMap,
    extra_edges: Vec<(ObjectRef, ObjectRef)>,
}

impl Part {
    fn new(current_role: String) -> Part {
        Part {
            cat: Catalog {
                current_role,
                ..Catalog::default()
            },
            oids: HashMap::new(),
            extra_edges: Vec::new(),
        }
    }
}

/// The `by` and `whole` filters of one query (see [`Filter`]).
fn by<'a>(only: Option<&'a Only>, oids: fn(&Only) -> &[i64], column: &'static str) -> Filter<'a> {
    Filter::by(only.map(oids), column)
}

fn whole<'a>(only: Option<&Only>, read: fn(&Only) -> bool) -> Filter<'a> {
    Filter::whole(only.is_none_or(read))
}

/// Reads every kind, or with `only` just those objects (see [`introspect_only_in_snapshot`]), on one
/// connection.
async fn read_all(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
    only: Option<&Only>,
) -> Result<Catalog, DbError> {
    read_all_as(conn, schemas, exclude, only, None).await
}

/// [`read_all`], with the connection's version and role when the caller already knows them.
async fn read_all_as(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
    only: Option<&Only>,
    known: Option<(i32, String)>,
) -> Result<Catalog, DbError> {
    let (version, current_role) = match known {
        Some(k) => k,
        None => session(conn).await?,
    };
    let mut rd = Reader {
        conn,
        schemas,
        exclude,
        version,
        partial: only.is_some(),
        timings: Timings::default(),
    };
    let mut part = Part::new(current_role);
    read_relations(&mut rd, only, &mut part).await?;
    read_objects(&mut rd, only, &mut part).await?;
    let dependencies = rd
        .fetch::<DependencyRow>("dependencies", Q_DEPENDENCIES)
        .await?;
    read_rest(&mut rd, &mut part.cat).await?;
    Ok(finish(part, dependencies, rd.timings))
}

/// [`read_all`] of the whole catalog on two connections at once, `b` already in the snapshot
/// `a` exported: relations, their columns and constraints, and the whole-catalog lists on `a`;
/// indexes, functions, triggers, policies and the rest, and the dependencies, on `b`. The two
/// halves cost about the same on the server, so the wall time is about half of one read
/// (issue 14: a `diff` below one `pg_dump -s`).
async fn read_split(
    a: &mut PgConnection,
    b: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
) -> Result<Catalog, DbError> {
    let known = session(a).await?;
    read_split_as(a, b, schemas, exclude, None, known).await
}

/// [`read_split`], of only some objects when `only` is given, as the known session.
async fn read_split_as(
    a: &mut PgConnection,
    b: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
    only: Option<&Only>,
    (version, current_role): (i32, String),
) -> Result<Catalog, DbError> {
    let reader = |conn| Reader {
        conn,
        schemas,
        exclude,
        version,
        partial: only.is_some(),
        timings: Timings::default(),
    };
    let (mut ra, mut rb) = (reader(a), reader(b));
    let mut pa = Part::new(current_role.clone());
    let mut pb = Part::new(current_role);
    let (ta, tb) = tokio::join!(
        async {
            read_relations(&mut ra, only, &mut pa).await?;
            read_rest(&mut ra, &mut pa.cat).await
        },
        async {
            read_objects(&mut rb, only, &mut pb).await?;
            rb.fetch::<DependencyRow>("dependencies", Q_DEPENDENCIES)
                .await
        }
    );
    ta?;
    let dependencies = tb?;
    let mut timings = ra.timings;
    timings.0.extend(rb.timings.0);
    absorb(&mut pa.cat, pb.cat);
    pa.oids.extend(pb.oids);
    pa.extra_edges.extend(pb.extra_edges);
    Ok(finish(pa, dependencies, timings))
}

/// Moves what [`read_objects`] filled in `from` into `into`. Every field is named (no `..`):
/// a field added to the model does not compile here until it is decided which part reads it.
fn absorb(into: &mut Catalog, from: Catalog) {
    let Catalog {
        schemas: _,
        extensions: _,
        types: _,
        sequences: _,
        tables: _,
        indexes,
        views: _,
        functions,
        triggers,
        policies,
        default_privileges,
        event_triggers,
        publications,
        statistics,
        rules,
        collations: _,
        security_labels,
        current_role: _,
        not_compared: _,
        dependencies: _,
        owners: _,
        roles: _,
        memberships: _,
        function_owners: _,
        view_reads: _,
        timings: _,
    } = from;
    into.indexes = indexes;
    into.functions = functions;
    into.triggers = triggers;
    into.policies = policies;
    into.default_privileges = default_privileges;
    into.event_triggers = event_triggers;
    into.publications = publications;
    into.statistics = statistics;
    into.rules = rules;
    into.security_labels = security_labels;
}

/// Schemas, extensions, collations, types, sequences, tables and views, then the columns and
/// constraints, which find their relation by oid.
async fn read_relations(
    rd: &mut Reader<'_>,
    only: Option<&Only>,
    part: &mut Part,
) -> Result<(), DbError> {
    let Part { cat, oids, .. } = part;
    for r in rd
        .fetch_filtered::<SchemaRow>("schemas", Q_SCHEMAS, by(only, |o| &o.schemas, "oid"))
        .await?
    {
        oids.insert(("pg_namespace", r.oid, 0), oref(ObjectKind::Schema, &r.key));
        cat.schemas.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<ExtensionRow>(
            "extensions",
            Q_EXTENSIONS,
            by(only, |o| &o.extensions, "oid"),
        )
        .await?
    {
        cat.extensions.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<CollationRow>(
            "collations",
            Q_COLLATIONS,
            by(only, |o| &o.collations, "oid"),
        )
        .await?
    {
        oids.insert(
            ("pg_collation", r.oid, 0),
            oref(ObjectKind::Collation, &r.key),
        );
        cat.collations.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<TypeRow>("types", Q_TYPES, by(only, |o| &o.types, "oid"))
        .await?
    {
        oids.insert(("pg_type", r.oid, 0), oref(ObjectKind::Type, &r.key));
        cat.types.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<SequenceRow>("sequences", Q_SEQUENCES, by(only, |o| &o.sequences, "oid"))
        .await?
    {
        oids.insert(("pg_class", r.oid, 0), oref(ObjectKind::Sequence, &r.key));
        cat.sequences.insert(r.key.clone(), r.model());
    }

    // Relations by oid, so that columns, constraints, triggers and policies find their table.
    let mut table_by_oid: HashMap<i64, String> = HashMap::new();
    let mut view_by_oid: HashMap<i64, (String, ObjectKind)> = HashMap::new();

    for r in rd
        .fetch_filtered::<TableRow>("tables", Q_TABLES, by(only, |o| &o.relations, "oid"))
        .await?
    {
        oids.insert(("pg_class", r.oid, 0), oref(ObjectKind::Table, &r.key));
        oids.insert(("pg_type", r.type_oid, 0), oref(ObjectKind::Table, &r.key));
        table_by_oid.insert(r.oid, r.key.clone());
        cat.owners.insert(r.key.clone(), r.owner.clone());
        cat.tables.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<ViewRow>("views", Q_VIEWS, by(only, |o| &o.relations, "oid"))
        .await?
    {
        let kind = r.kind();
        oids.insert(("pg_class", r.oid, 0), oref(kind, &r.key));
        oids.insert(("pg_type", r.type_oid, 0), oref(kind, &r.key));
        view_by_oid.insert(r.oid, (r.key.clone(), kind));
        cat.owners.insert(r.key.clone(), r.owner.clone());
        cat.views.insert(r.key.clone(), r.model());
    }

    for r in rd
        .fetch_filtered::<ColumnRow>("columns", Q_COLUMNS, by(only, |o| &o.relations, "rel_oid"))
        .await?
    {
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

    for r in rd
        .fetch_filtered::<ConstraintRow>(
            "constraints",
            Q_CONSTRAINTS,
            by(only, |o| &o.relations, "rel_oid"),
        )
        .await?
    {
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
    Ok(())
}

/// Indexes, statistics, rules, functions, triggers, event triggers, policies, publications,
/// default privileges and security labels: each row names its own object.
async fn read_objects(
    rd: &mut Reader<'_>,
    only: Option<&Only>,
    part: &mut Part,
) -> Result<(), DbError> {
    let Part {
        cat,
        oids,
        extra_edges,
    } = part;
    for r in rd
        .fetch_filtered::<IndexRow>("indexes", Q_INDEXES, by(only, |o| &o.relations, "rel_oid"))
        .await?
    {
        oids.insert(("pg_class", r.oid, 0), oref(ObjectKind::Index, &r.key));
        cat.indexes.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<StatisticsRow>(
            "statistics",
            Q_STATISTICS,
            by(only, |o| &o.statistics, "oid"),
        )
        .await?
    {
        oids.insert(
            ("pg_statistic_ext", r.oid, 0),
            oref(ObjectKind::Statistics, &r.key),
        );
        cat.statistics.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<RuleRow>("rules", Q_RULES, by(only, |o| &o.relations, "rel_oid"))
        .await?
    {
        let key = format!("{}.{}", r.relation_key, crate::sql::quote_ident(&r.name));
        oids.insert(("pg_rewrite", r.oid, 0), oref(ObjectKind::Rule, &key));
        cat.rules.insert(key, r.model());
    }
    for r in rd
        .fetch_filtered::<FunctionRow>("functions", Q_FUNCTIONS, by(only, |o| &o.functions, "oid"))
        .await?
    {
        oids.insert(("pg_proc", r.oid, 0), oref(r.kind(), &r.key));
        cat.functions.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<TriggerRow>(
            "triggers",
            Q_TRIGGERS,
            by(only, |o| &o.relations, "rel_oid"),
        )
        .await?
    {
        let key = format!("{}.{}", r.table_key, crate::sql::quote_ident(&r.name));
        oids.insert(("pg_trigger", r.oid, 0), oref(ObjectKind::Trigger, &key));
        cat.triggers.insert(key, r.model());
    }
    for r in rd
        .fetch_filtered::<EventTriggerRow>(
            "event triggers",
            Q_EVENT_TRIGGERS,
            by(only, |o| &o.event_triggers, "oid"),
        )
        .await?
    {
        oids.insert(
            ("pg_event_trigger", r.oid, 0),
            oref(ObjectKind::EventTrigger, &r.key),
        );
        cat.event_triggers.insert(r.key.clone(), r.model());
    }
    for r in rd
        .fetch_filtered::<PolicyRow>(
            "policies",
            Q_POLICIES,
            by(only, |o| &o.relations, "rel_oid"),
        )
        .await?
    {
        let key = format!("{}.{}", r.table_key, crate::sql::quote_ident(&r.name));
        oids.insert(("pg_policy", r.oid, 0), oref(ObjectKind::Policy, &key));
        cat.policies.insert(key, r.model());
    }
    for r in rd
        .fetch_filtered::<PublicationRow>(
            "publications",
            Q_PUBLICATIONS,
            by(only, |o| &o.publications, "oid"),
        )
        .await?
    {
        let key = r.key.clone();
        let p = r.model();
        // A published table is one with its table: it leaves and comes back with it.
        for t in p.tables.keys() {
            extra_edges.push((
                oref(ObjectKind::PublicationTable, &format!("{key}.{t}")),
                oref(ObjectKind::Table, t),
            ));
        }
        cat.publications.insert(key, p);
    }
    for r in rd
        .fetch_filtered::<DefaultPrivilegesRow>(
            "default privileges",
            Q_DEFAULT_PRIVILEGES,
            whole(only, |o| o.default_privileges),
        )
        .await?
    {
        let d = r.model();
        cat.default_privileges
            .insert(default_privileges_key(&d, &cat.current_role), d);
    }
    for r in rd
        .fetch_filtered::<SecurityLabelRow>(
            "security labels",
            Q_SECURITY_LABELS,
            whole(only, |o| o.security_labels),
        )
        .await?
    {
        cat.security_labels.insert(r.key(), r.model());
    }

    Ok(())
}

/// The whole-catalog lists (skipped when only some objects are read): objects not compared,
/// roles and their memberships, and the relations each view reads.
async fn read_rest(rd: &mut Reader<'_>, cat: &mut Catalog) -> Result<(), DbError> {
    let rows = rd
        .fetch::<NotComparedRow>("objects not compared", Q_NOT_COMPARED)
        .await?;
    cat.not_compared
        .extend(rows.into_iter().map(NotComparedRow::model));
    cat.not_compared.sort();

    let rows = rd.fetch::<RoleRow>("roles", Q_ROLES).await?;
    cat.roles = rows
        .into_iter()
        .map(|r| (r.key.clone(), r.model()))
        .collect();
    let rows: Vec<MembershipRow> = rd.fetch("role memberships", Q_ROLE_MEMBERS).await?;
    cat.memberships = rows.into_iter().map(MembershipRow::model).collect();

    let rows: Vec<ViewReadsRow> = rd.fetch("relations read by views", Q_VIEW_READS).await?;
    cat.view_reads = rows.into_iter().map(|r| (r.view, r.reads)).collect();
    Ok(())
}

/// The dependencies between the objects read (both ends resolved through the parts' oids),
/// the function owners, and the timings.
fn finish(part: Part, dependencies: Vec<DependencyRow>, timings: Timings) -> Catalog {
    let Part {
        mut cat,
        oids,
        extra_edges,
    } = part;
    let mut edges: std::collections::BTreeSet<_> = extra_edges.into_iter().collect();
    for r in dependencies {
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

    cat.function_owners = cat
        .functions
        .iter()
        .map(|(key, f)| (key.clone(), f.owner.clone()))
        .collect();
    cat.timings = timings;
    cat
}

/// `[FOR ROLE r] [IN SCHEMA s] ON TABLES`: the role is left out when it is the one that read
/// the catalog, so that entries a migration made without `FOR ROLE` compare equal whoever ran
/// it.
pub fn default_privileges_key(d: &DefaultPrivileges, current_role: &str) -> String {
    let mut key = String::new();
    if d.role != current_role {
        key.push_str(&format!("FOR ROLE {} ", d.role));
    }
    if let Some(s) = &d.schema {
        key.push_str(&format!("IN SCHEMA {} ", crate::sql::quote_ident(s)));
    }
    key.push_str("ON ");
    key.push_str(d.objects.sql());
    key
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
        "pg_collation" => "pg_collation",
        "pg_rewrite" => "pg_rewrite",
        "pg_statistic_ext" => "pg_statistic_ext",
        "pg_event_trigger" => "pg_event_trigger",
        _ => return None,
    })
}

/// A column reference falls back to its relation when the column itself is not modelled.
fn lookup<'a>(oids: &'a OidMap, class: &'static str, oid: i64, sub: i32) -> Option<&'a ObjectRef> {
    oids.get(&(class, oid, sub))
        .or_else(|| (sub != 0).then(|| oids.get(&(class, oid, 0))).flatten())
}
