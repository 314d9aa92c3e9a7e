//! Incremental catalog snapshots for `verify-rollbacks`: which top-level objects changed between
//! two moments (fingerprints computed in SQL), and a catalog model kept current by reading only
//! those objects.
//!
//! Owns: the fingerprint queries (`fingerprints.sql`, `marked.sql`), a reading of the shadow
//! after a step ([`Reader`]), the set arithmetic on fingerprints, and the pure functions that cut a [`Catalog`] down to a set of objects ([`restrict`]) or replace a
//! set of objects in it ([`patch`]). Must not: compare catalogs (that is `diff`), write to the
//! database, or print.
//!
//! Why it is shaped so:
//! - Reading the whole catalog before and after every migration made verify-rollbacks grow with
//!   migrations × schema size (most of it PostgreSQL's deparsers). A fingerprint says, without
//!   deparsing anything, whether an object may have changed since an earlier reading: the number
//!   of catalog rows that make it up, and whether any of them (or of what its parts depend on by
//!   name) was written since the transaction id the earlier reading ended at (`xmin` at or after
//!   its [`Boundary`]). Two cheap queries, run at once on two connections, say which objects a
//!   migration and its rollback touched; only those are read in full, in the same snapshot
//!   ([`crate::catalog::introspect_only_in_snapshot`]), and compared.
//! - The queries scan each catalog once: `fingerprints.sql` groups the rows that can be removed
//!   alone by the object they belong to, `marked.sql` follows only the rows written since the
//!   boundary (to their object, and through `pg_depend` to what names them). An earlier form
//!   hashed every object's row versions every time (per-object subqueries, text and md5 for the
//!   whole schema): 40 ms a reading at 200 tables, most of verify-rollbacks' time; now about
//!   1.7 ms, plus 1.1 ms for the objects read (docs/performance.md).
//! - A top-level object is a schema, extension, collation, type, sequence, relation (with its
//!   columns, constraints, indexes, rules, triggers, policies and comments), extended
//!   statistics, function, event trigger or publication, keyed exactly as the catalog reader
//!   keys it, so a set of keys cuts both the model and a fresh read the same way. Default
//!   privileges and security labels are one object each (fingerprinted over their content).
//! - A fingerprint may call an object changed when it reads the same (a row written back
//!   unchanged, a recreated index): that costs one full read of the object, never a wrong
//!   verdict. It never misses a change to what the catalog reader reads, because it covers the
//!   same catalog rows, every write of a row gives it a new `xmin`, a removed row lowers the
//!   count, and the rows of what the object's parts depend on (`pg_depend`), which the deparsers
//!   print by name, are followed when they are written. (Role renames are not
//!   followed: owners and grantees print role names, and roles are not in `pg_depend`.)
//! - [`restrict`] and [`patch`] destructure [`Catalog`] without `..`: a field added to the model
//!   does not compile here until someone decides how it is cut.

// `DbError` carries PostgreSQL's whole error report by value (like the rest of the crate).
#![allow(clippy::result_large_err)]

use crate::catalog::{self, Catalog};
use crate::db::{self, DbError};
use sqlx::postgres::PgConnection;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

const Q_FINGERPRINTS: &str = include_str!("fingerprints.sql");
const Q_MARKED: &str = include_str!("marked.sql");

/// The kinds of top-level objects a fingerprint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TopKind {
    Schema,
    Extension,
    Collation,
    Type,
    Sequence,
    /// A table, view or materialized view with everything that hangs off it (columns,
    /// constraints, indexes, rules, triggers, policies).
    Relation,
    Statistics,
    Function,
    EventTrigger,
    Publication,
    /// Every `ALTER DEFAULT PRIVILEGES` entry in scope, as one object (key `""`).
    DefaultPrivileges,
    /// Every security label, as one object (key `""`).
    SecurityLabels,
}

impl TopKind {
    fn parse(s: &str) -> Option<TopKind> {
        Some(match s {
            "schema" => TopKind::Schema,
            "extension" => TopKind::Extension,
            "collation" => TopKind::Collation,
            "type" => TopKind::Type,
            "sequence" => TopKind::Sequence,
            "relation" => TopKind::Relation,
            "statistics" => TopKind::Statistics,
            "function" => TopKind::Function,
            "event-trigger" => TopKind::EventTrigger,
            "publication" => TopKind::Publication,
            "default-privileges" => TopKind::DefaultPrivileges,
            "security-labels" => TopKind::SecurityLabels,
            _ => return None,
        })
    }
}

/// A top-level object: its kind and catalog key.
pub type TopKey = (TopKind, String);

/// One object's oid and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Print {
    pub oid: i64,
    /// The number of catalog rows that make up the object (for default privileges and security
    /// labels, an md5 of their content).
    pub rows: String,
    /// Some row of the object, or of what it depends on by name, was written since the boundary
    /// the reading was taken against.
    pub written: bool,
}

/// Every top-level object in scope at one moment.
pub type Fingerprints = BTreeMap<TopKey, Print>;

/// The first transaction id not yet assigned when a reading was taken: rows written later have
/// an `xmin` at or after it. (PostgreSQL's 64-bit id, cut to the 32 bits rows carry.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boundary(u32);

/// One reading of the shadow after a step: the fingerprints, the boundary the next reading is
/// taken against, the objects that changed since the previous reading, and those objects as they
/// are now.
pub struct Reading {
    pub prints: Fingerprints,
    pub boundary: Boundary,
    pub keys: BTreeSet<TopKey>,
    pub objects: Catalog,
    /// Time spent on the fingerprints and on reading the objects.
    pub took: (std::time::Duration, std::time::Duration),
}

/// Reads a shadow database's catalog between the steps one connection applies.
///
/// With a second connection to the same database (`side`), every reading runs in two halves
/// at once, one on each connection (two server processes: a reading is CPU on the server, and
/// the applying connection is idle meanwhile): `fingerprints.sql` with `marked.sql`, then the
/// changed objects' queries split as `catalog::introspect_pair` splits a whole read. The two
/// snapshots see the same state because nothing writes to the shadow while it is read: it is
/// created for the run under a unique name, only the applying connection writes to it, and a
/// reading starts after that connection's last step has committed and returned. Without a
/// second connection, both halves run one after the other on the applying connection; when the
/// second one fails during a reading, the reading is taken again that way, and the applying
/// connection reads alone from then on.
pub struct Reader {
    /// The server version and the reading role (read once, not at every reading).
    session: catalog::Session,
    side: Option<PgConnection>,
}

/// What a reading is taken against: the schemas in scope, and the previous reading's
/// fingerprints and boundary (empty and `None` for the first reading, which reads every object).
#[derive(Clone, Copy)]
pub struct Since<'a> {
    pub schemas: &'a [String],
    pub exclude: &'a [String],
    pub before: &'a Fingerprints,
    pub boundary: Option<Boundary>,
}

impl Reader {
    pub async fn new(
        conn: &mut PgConnection,
        side: Option<PgConnection>,
    ) -> Result<Reader, DbError> {
        Ok(Reader {
            session: catalog::Session::of(conn).await?,
            side,
        })
    }

    pub async fn close(self) {
        if let Some(side) = self.side {
            db::close(side).await;
        }
    }

    /// A reading after a step: fingerprints since `since.boundary`, the objects that changed
    /// from `since.before` ([`changed`]), and those of them that exist, read in full and cut to
    /// exactly them.
    pub async fn reading(
        &mut self,
        conn: &mut PgConnection,
        since: Since<'_>,
    ) -> Result<Reading, DbError> {
        let Some(mut side) = self.side.take() else {
            return read_on(&self.session, conn, None, since).await;
        };
        match read_on(&self.session, conn, Some(&mut side), since).await {
            Ok(reading) => {
                self.side = Some(side);
                Ok(reading)
            }
            // The second connection may be gone (a server's `idle_session_timeout` closes it
            // while a long migration runs on the first): the reading is taken again on the
            // applying connection alone, which reads alone from then on. (A failure of the
            // applying connection fails again, and is reported.)
            Err(_) => {
                db::close(side).await;
                read_on(&self.session, conn, None, since).await
            }
        }
    }

    /// [`Reader::reading`] on `conn` alone, as without a second connection (for
    /// `verify-rollbacks --crosscheck`, which compares the two).
    pub async fn reading_alone(
        &mut self,
        conn: &mut PgConnection,
        since: Since<'_>,
    ) -> Result<Reading, DbError> {
        read_on(&self.session, conn, None, since).await
    }
}

/// A reading on `conn`, with `side` in the same state reading half of it when given.
async fn read_on(
    session: &catalog::Session,
    conn: &mut PgConnection,
    mut side: Option<&mut PgConnection>,
    since: Since<'_>,
) -> Result<Reading, DbError> {
    let began = match side.as_deref_mut() {
        Some(side) => {
            let (a, b) = tokio::join!(begin(conn), begin(side));
            a.and(b)
        }
        None => begin(conn).await,
    };
    let read = match began {
        Ok(()) => read_both(session, conn, side.as_deref_mut(), since).await,
        Err(e) => Err(e),
    };
    match side {
        Some(side) => {
            tokio::join!(rollback(conn), rollback(side));
        }
        None => rollback(conn).await,
    }
    read
}

async fn read_both(
    session: &catalog::Session,
    conn: &mut PgConnection,
    mut side: Option<&mut PgConnection>,
    since: Since<'_>,
) -> Result<Reading, DbError> {
    let Since {
        schemas,
        exclude,
        before,
        boundary: since,
    } = since;
    let t = std::time::Instant::now();
    let (prints, marked) = match side.as_deref_mut() {
        Some(side) => {
            let (p, m) = tokio::join!(
                read_prints(conn, schemas, exclude, since),
                read_marked(side, since)
            );
            (p?, m?)
        }
        None => (
            read_prints(conn, schemas, exclude, since).await?,
            read_marked(conn, since).await?,
        ),
    };
    let (mut prints, boundary, classes) = prints;
    for ((_, p), cls) in prints.iter_mut().zip(classes) {
        p.written = p.written || marked.contains(&(cls, p.oid));
    }
    let fingerprinted = t.elapsed();
    let t = std::time::Instant::now();
    let keys = changed(before, &prints);
    let objects = match only(&keys, &prints) {
        None => Catalog::default(),
        Some(only) => {
            let cat =
                catalog::introspect_only_in_snapshot(conn, side, session, schemas, exclude, &only)
                    .await?;
            restrict(&cat, &keys)
        }
    };
    Ok(Reading {
        prints,
        boundary,
        keys,
        objects,
        took: (fingerprinted, t.elapsed()),
    })
}

/// Starts a reading's snapshot: one for the fingerprints and the objects read after them, with
/// generic plans (the same statements run after every migration).
async fn begin(conn: &mut PgConnection) -> Result<(), DbError> {
    catalog::begin_snapshot(conn, catalog::Plans::Generic).await
}

async fn rollback(conn: &mut PgConnection) {
    let _ = db::execute_script(conn, "ROLLBACK").await;
}

/// `fingerprints.sql`: every top-level object (with the oid of its row's catalog, in the map's
/// order), and the boundary.
async fn read_prints(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
    since: Option<Boundary>,
) -> Result<(Fingerprints, Boundary, Vec<i64>), DbError> {
    let rows = sqlx::query(Q_FINGERPRINTS)
        .bind(schemas)
        .bind(exclude)
        .bind(since.map(|b| b.0.to_string()))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| DbError::query("reading catalog fingerprints", &e))?;
    let decode = |e: sqlx::Error| DbError::query("decoding catalog fingerprints", &e);
    let mut out = BTreeMap::new();
    let mut boundary = None;
    for r in rows {
        let kind: String = r.try_get("kind").map_err(decode)?;
        if kind == "boundary" {
            let xmax: String = r.try_get("fp").map_err(decode)?;
            boundary = Some(parse_boundary(&xmax).map_err(decode)?);
            continue;
        }
        let Some(kind) = TopKind::parse(&kind) else {
            continue;
        };
        let cls: i64 = r.try_get("cls").map_err(decode)?;
        out.insert(
            (kind, r.try_get("key").map_err(decode)?),
            (
                Print {
                    oid: r.try_get("oid").map_err(decode)?,
                    rows: r.try_get("fp").map_err(decode)?,
                    written: r.try_get("new").map_err(decode)?,
                },
                cls,
            ),
        );
    }
    let boundary = boundary.ok_or_else(|| {
        let e = sqlx::Error::RowNotFound;
        DbError::query("reading the snapshot's transaction boundary", &e)
    })?;
    let mut prints = Fingerprints::new();
    let mut classes = Vec::with_capacity(out.len());
    for (k, (p, cls)) in out {
        prints.insert(k, p);
        classes.push(cls);
    }
    Ok((prints, boundary, classes))
}

/// `marked.sql`: (catalog, oid) of the top-level objects with other rows, or rows of what they
/// depend on by name, written at or after `since`.
async fn read_marked(
    conn: &mut PgConnection,
    since: Option<Boundary>,
) -> Result<std::collections::HashSet<(i64, i64)>, DbError> {
    let Some(since) = since else {
        return Ok(Default::default());
    };
    let rows: Vec<(i64, i64)> = sqlx::query_as(Q_MARKED)
        .bind(since.0.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| {
            DbError::query(
                "reading the catalog rows written since the last reading",
                &e,
            )
        })?;
    Ok(rows.into_iter().collect())
}

/// PostgreSQL's 64-bit transaction id, cut to the 32 bits rows carry.
fn parse_boundary(xmax: &str) -> Result<Boundary, sqlx::Error> {
    xmax.parse::<u64>()
        .map(|x| Boundary((x & 0xFFFF_FFFF) as u32))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The objects that appeared, disappeared or changed between two fingerprint sets.
pub fn changed(before: &Fingerprints, after: &Fingerprints) -> BTreeSet<TopKey> {
    let mut out = BTreeSet::new();
    for (k, p) in before {
        if after.get(k).map(|q| &q.rows) != Some(&p.rows) {
            out.insert(k.clone());
        }
    }
    for (k, p) in after {
        if p.written || !before.contains_key(k) {
            out.insert(k.clone());
        }
    }
    out
}

/// The oids of the objects `keys` that exist `now`, by kind; `None` when none does.
fn only(keys: &BTreeSet<TopKey>, now: &Fingerprints) -> Option<catalog::Only> {
    let mut only = catalog::Only::default();
    let mut any = false;
    for k in keys {
        let Some(p) = now.get(k) else {
            continue;
        };
        any = true;
        match k.0 {
            TopKind::Schema => only.schemas.push(p.oid),
            TopKind::Extension => only.extensions.push(p.oid),
            TopKind::Collation => only.collations.push(p.oid),
            TopKind::Type => only.types.push(p.oid),
            TopKind::Sequence => only.sequences.push(p.oid),
            TopKind::Relation => only.relations.push(p.oid),
            TopKind::Statistics => only.statistics.push(p.oid),
            TopKind::Function => only.functions.push(p.oid),
            TopKind::EventTrigger => only.event_triggers.push(p.oid),
            TopKind::Publication => only.publications.push(p.oid),
            TopKind::DefaultPrivileges => only.default_privileges = true,
            TopKind::SecurityLabels => only.security_labels = true,
        }
    }
    any.then_some(only)
}

fn keys_of(keys: &BTreeSet<TopKey>, kind: TopKind) -> BTreeSet<&str> {
    keys.iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, key)| key.as_str())
        .collect()
}

fn cut<V: Clone>(
    m: &BTreeMap<String, V>,
    keep: impl Fn(&String, &V) -> bool,
) -> BTreeMap<String, V> {
    m.iter()
        .filter(|(k, v)| keep(k, v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The keys of each kind in a set of top-level keys.
struct Keys<'a> {
    schemas: BTreeSet<&'a str>,
    extensions: BTreeSet<&'a str>,
    collations: BTreeSet<&'a str>,
    types: BTreeSet<&'a str>,
    sequences: BTreeSet<&'a str>,
    relations: BTreeSet<&'a str>,
    statistics: BTreeSet<&'a str>,
    functions: BTreeSet<&'a str>,
    event_triggers: BTreeSet<&'a str>,
    publications: BTreeSet<&'a str>,
    default_privileges: bool,
    security_labels: bool,
}

impl<'a> Keys<'a> {
    fn of(keys: &'a BTreeSet<TopKey>) -> Keys<'a> {
        Keys {
            schemas: keys_of(keys, TopKind::Schema),
            extensions: keys_of(keys, TopKind::Extension),
            collations: keys_of(keys, TopKind::Collation),
            types: keys_of(keys, TopKind::Type),
            sequences: keys_of(keys, TopKind::Sequence),
            relations: keys_of(keys, TopKind::Relation),
            statistics: keys_of(keys, TopKind::Statistics),
            functions: keys_of(keys, TopKind::Function),
            event_triggers: keys_of(keys, TopKind::EventTrigger),
            publications: keys_of(keys, TopKind::Publication),
            default_privileges: !keys_of(keys, TopKind::DefaultPrivileges).is_empty(),
            security_labels: !keys_of(keys, TopKind::SecurityLabels).is_empty(),
        }
    }
}

/// The part of `cat` that belongs to the objects `keys`. Dependencies, objects not compared,
/// owners, roles, memberships and what views read are left out: they are not compared object
/// by object.
pub fn restrict(cat: &Catalog, keys: &BTreeSet<TopKey>) -> Catalog {
    let Catalog {
        schemas,
        extensions,
        types,
        sequences,
        tables,
        indexes,
        views,
        functions,
        triggers,
        policies,
        default_privileges,
        event_triggers,
        publications,
        statistics,
        rules,
        collations,
        security_labels,
        current_role,
        not_compared: _,
        dependencies: _,
        owners: _,
        roles: _,
        memberships: _,
        function_owners: _,
        view_reads: _,
        timings: _,
    } = cat;
    let k = Keys::of(keys);
    let rel = &k.relations;
    Catalog {
        schemas: cut(schemas, |key, _| k.schemas.contains(key.as_str())),
        extensions: cut(extensions, |key, _| k.extensions.contains(key.as_str())),
        types: cut(types, |key, _| k.types.contains(key.as_str())),
        sequences: cut(sequences, |key, _| k.sequences.contains(key.as_str())),
        tables: cut(tables, |key, _| rel.contains(key.as_str())),
        indexes: cut(indexes, |_, i| rel.contains(i.table.as_str())),
        views: cut(views, |key, _| rel.contains(key.as_str())),
        functions: cut(functions, |key, _| k.functions.contains(key.as_str())),
        triggers: cut(triggers, |_, t| rel.contains(t.table.as_str())),
        policies: cut(policies, |_, p| rel.contains(p.table.as_str())),
        default_privileges: cut(default_privileges, |_, _| k.default_privileges),
        event_triggers: cut(event_triggers, |key, _| {
            k.event_triggers.contains(key.as_str())
        }),
        publications: cut(publications, |key, _| k.publications.contains(key.as_str())),
        statistics: cut(statistics, |key, _| k.statistics.contains(key.as_str())),
        rules: cut(rules, |_, r| rel.contains(r.relation.as_str())),
        collations: cut(collations, |key, _| k.collations.contains(key.as_str())),
        security_labels: cut(security_labels, |_, _| k.security_labels),
        current_role: current_role.clone(),
        not_compared: Vec::new(),
        dependencies: Vec::new(),
        owners: BTreeMap::new(),
        roles: BTreeMap::new(),
        memberships: Vec::new(),
        function_owners: BTreeMap::new(),
        view_reads: BTreeMap::new(),
        timings: Default::default(),
    }
}

fn replace<V>(
    m: &mut BTreeMap<String, V>,
    fresh: BTreeMap<String, V>,
    belongs: impl Fn(&String, &V) -> bool,
) {
    m.retain(|k, v| !belongs(k, v));
    m.extend(fresh);
}

/// Replaces the objects `keys` in `model` by `fresh` (a [`read`] of the same keys): objects that
/// are gone are removed, changed ones replaced, new ones added. Dependencies, objects not
/// compared, owners and roles of the model are dropped (a patched model is for [`restrict`]
/// only).
pub fn patch(model: &mut Catalog, keys: &BTreeSet<TopKey>, fresh: Catalog) {
    let Catalog {
        schemas,
        extensions,
        types,
        sequences,
        tables,
        indexes,
        views,
        functions,
        triggers,
        policies,
        default_privileges,
        event_triggers,
        publications,
        statistics,
        rules,
        collations,
        security_labels,
        current_role,
        not_compared: _,
        dependencies: _,
        owners: _,
        roles: _,
        memberships: _,
        function_owners: _,
        view_reads: _,
        timings: _,
    } = fresh;
    let k = Keys::of(keys);
    let rel = &k.relations;
    replace(&mut model.schemas, schemas, |key, _| {
        k.schemas.contains(key.as_str())
    });
    replace(&mut model.extensions, extensions, |key, _| {
        k.extensions.contains(key.as_str())
    });
    replace(&mut model.types, types, |key, _| {
        k.types.contains(key.as_str())
    });
    replace(&mut model.sequences, sequences, |key, _| {
        k.sequences.contains(key.as_str())
    });
    replace(&mut model.tables, tables, |key, _| {
        rel.contains(key.as_str())
    });
    replace(&mut model.indexes, indexes, |_, i| {
        rel.contains(i.table.as_str())
    });
    replace(&mut model.views, views, |key, _| rel.contains(key.as_str()));
    replace(&mut model.functions, functions, |key, _| {
        k.functions.contains(key.as_str())
    });
    replace(&mut model.triggers, triggers, |_, t| {
        rel.contains(t.table.as_str())
    });
    replace(&mut model.policies, policies, |_, p| {
        rel.contains(p.table.as_str())
    });
    replace(&mut model.default_privileges, default_privileges, |_, _| {
        k.default_privileges
    });
    replace(&mut model.event_triggers, event_triggers, |key, _| {
        k.event_triggers.contains(key.as_str())
    });
    replace(&mut model.publications, publications, |key, _| {
        k.publications.contains(key.as_str())
    });
    replace(&mut model.statistics, statistics, |key, _| {
        k.statistics.contains(key.as_str())
    });
    replace(&mut model.rules, rules, |_, r| {
        rel.contains(r.relation.as_str())
    });
    replace(&mut model.collations, collations, |key, _| {
        k.collations.contains(key.as_str())
    });
    replace(&mut model.security_labels, security_labels, |_, _| {
        k.security_labels
    });
    // A read of nothing (every named object gone) does not say who read it.
    if !current_role.is_empty() {
        model.current_role = current_role;
    }
    model.not_compared.clear();
    model.dependencies.clear();
    model.owners.clear();
    model.roles.clear();
    model.memberships.clear();
    model.function_owners.clear();
    model.view_reads.clear();
}

#[cfg(test)]
mod tests;
