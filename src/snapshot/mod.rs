//! Incremental catalog snapshots for `verify-rollbacks`: which top-level objects changed between
//! two moments (fingerprints computed in SQL), and a catalog model kept current by reading only
//! those objects.
//!
//! Owns: the fingerprint query (`fingerprints.sql`), the set arithmetic on fingerprints, and the
//! pure functions that cut a [`Catalog`] down to a set of objects ([`restrict`]) or replace a
//! set of objects in it ([`patch`]). Must not: compare catalogs (that is `diff`), write to the
//! database, or print.
//!
//! Why it is shaped so:
//! - Reading the whole catalog before and after every migration made verify-rollbacks grow with
//!   migrations × schema size (most of it PostgreSQL's deparsers). A fingerprint is an md5 over
//!   the row versions (`xmin`) of an object's catalog rows, computed by the server without
//!   deparsing or turning rows into text, so one cheap query says which objects a migration and
//!   its rollback touched; only those are read in full ([`crate::catalog::introspect_only`])
//!   and compared.
//! - A top-level object is a schema, extension, type, sequence, relation (with its columns,
//!   constraints, indexes, triggers, policies and comments) or function, keyed exactly as the
//!   catalog reader keys it, so a set of keys cuts both the model and a fresh read the same way.
//! - Fingerprints may differ for objects that read the same (a row written back unchanged, a
//!   recreated index): that costs one full read of the object, never a wrong verdict. They never
//!   stay equal when what the catalog reader reads changes, because they cover the same catalog
//!   rows and every write of a row gives it a new `xmin`.
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

/// The kinds of top-level objects a fingerprint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TopKind {
    Schema,
    Extension,
    Type,
    Sequence,
    /// A table, view or materialized view with everything that hangs off it.
    Relation,
    Function,
}

impl TopKind {
    fn parse(s: &str) -> Option<TopKind> {
        Some(match s {
            "schema" => TopKind::Schema,
            "extension" => TopKind::Extension,
            "type" => TopKind::Type,
            "sequence" => TopKind::Sequence,
            "relation" => TopKind::Relation,
            "function" => TopKind::Function,
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
    pub md5: String,
}

/// Every top-level object in scope at one moment.
pub type Fingerprints = BTreeMap<TopKey, Print>;

/// Reads the fingerprints of every top-level object in the schemas (one query, one snapshot).
pub async fn fingerprints(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
) -> Result<Fingerprints, DbError> {
    // The same statements run after every migration: a generic plan is made once and reused
    // (planning these queries costs about as much as running them on a small schema).
    db::execute_script(
        conn,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET LOCAL search_path = pg_catalog;\n\
         SET LOCAL plan_cache_mode = force_generic_plan;",
    )
    .await
    .map_err(|e| DbError::query("starting the fingerprint snapshot", &e))?;
    let rows = sqlx::query(Q_FINGERPRINTS)
        .bind(schemas)
        .bind(exclude)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| DbError::query("reading catalog fingerprints", &e));
    let _ = db::execute_script(conn, "ROLLBACK").await;
    let mut out = Fingerprints::new();
    for r in rows? {
        let decode = |e: sqlx::Error| DbError::query("decoding catalog fingerprints", &e);
        let kind: String = r.try_get("kind").map_err(decode)?;
        let Some(kind) = TopKind::parse(&kind) else {
            continue;
        };
        out.insert(
            (kind, r.try_get("key").map_err(decode)?),
            Print {
                oid: r.try_get("oid").map_err(decode)?,
                md5: r.try_get("fp").map_err(decode)?,
            },
        );
    }
    Ok(out)
}

/// The objects that appeared, disappeared or changed between two fingerprint sets.
pub fn changed(before: &Fingerprints, after: &Fingerprints) -> BTreeSet<TopKey> {
    let mut out = BTreeSet::new();
    for (k, p) in before {
        if after.get(k).map(|q| &q.md5) != Some(&p.md5) {
            out.insert(k.clone());
        }
    }
    for k in after.keys() {
        if !before.contains_key(k) {
            out.insert(k.clone());
        }
    }
    out
}

/// Reads the objects `keys` as they are now (those that exist: their oids come from `now`, the
/// fingerprints just taken), cut to exactly those objects.
pub async fn read(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
    keys: &BTreeSet<TopKey>,
    now: &Fingerprints,
) -> Result<Catalog, DbError> {
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
            TopKind::Type => only.types.push(p.oid),
            TopKind::Sequence => only.sequences.push(p.oid),
            TopKind::Relation => only.relations.push(p.oid),
            TopKind::Function => only.functions.push(p.oid),
        }
    }
    if !any {
        return Ok(Catalog::default());
    }
    let cat = catalog::introspect_only(conn, schemas, exclude, &only).await?;
    Ok(restrict(&cat, keys))
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

/// The part of `cat` that belongs to the objects `keys`. Dependencies, unmodelled objects,
/// owners and roles are left out: they are not compared object by object.
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
        not_compared: _,
        dependencies: _,
        owners: _,
        roles: _,
        timings: _,
    } = cat;
    let sch = keys_of(keys, TopKind::Schema);
    let ext = keys_of(keys, TopKind::Extension);
    let typ = keys_of(keys, TopKind::Type);
    let seq = keys_of(keys, TopKind::Sequence);
    let rel = keys_of(keys, TopKind::Relation);
    let fun = keys_of(keys, TopKind::Function);
    Catalog {
        schemas: cut(schemas, |k, _| sch.contains(k.as_str())),
        extensions: cut(extensions, |k, _| ext.contains(k.as_str())),
        types: cut(types, |k, _| typ.contains(k.as_str())),
        sequences: cut(sequences, |k, _| seq.contains(k.as_str())),
        tables: cut(tables, |k, _| rel.contains(k.as_str())),
        indexes: cut(indexes, |_, i| rel.contains(i.table.as_str())),
        views: cut(views, |k, _| rel.contains(k.as_str())),
        functions: cut(functions, |k, _| fun.contains(k.as_str())),
        triggers: cut(triggers, |_, t| rel.contains(t.table.as_str())),
        policies: cut(policies, |_, p| rel.contains(p.table.as_str())),
        not_compared: Vec::new(),
        dependencies: Vec::new(),
        owners: BTreeMap::new(),
        roles: BTreeMap::new(),
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
/// are gone are removed, changed ones replaced, new ones added. Dependencies, unmodelled objects,
/// owners and roles of the model are dropped (a patched model is for [`restrict`] only).
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
        not_compared: _,
        dependencies: _,
        owners: _,
        roles: _,
        timings: _,
    } = fresh;
    let sch = keys_of(keys, TopKind::Schema);
    let ext = keys_of(keys, TopKind::Extension);
    let typ = keys_of(keys, TopKind::Type);
    let seq = keys_of(keys, TopKind::Sequence);
    let rel = keys_of(keys, TopKind::Relation);
    let fun = keys_of(keys, TopKind::Function);
    replace(&mut model.schemas, schemas, |k, _| sch.contains(k.as_str()));
    replace(&mut model.extensions, extensions, |k, _| {
        ext.contains(k.as_str())
    });
    replace(&mut model.types, types, |k, _| typ.contains(k.as_str()));
    replace(&mut model.sequences, sequences, |k, _| {
        seq.contains(k.as_str())
    });
    replace(&mut model.tables, tables, |k, _| rel.contains(k.as_str()));
    replace(&mut model.indexes, indexes, |_, i| {
        rel.contains(i.table.as_str())
    });
    replace(&mut model.views, views, |k, _| rel.contains(k.as_str()));
    replace(&mut model.functions, functions, |k, _| {
        fun.contains(k.as_str())
    });
    replace(&mut model.triggers, triggers, |_, t| {
        rel.contains(t.table.as_str())
    });
    replace(&mut model.policies, policies, |_, p| {
        rel.contains(p.table.as_str())
    });
    model.not_compared.clear();
    model.dependencies.clear();
    model.owners.clear();
    model.roles.clear();
}

#[cfg(test)]
mod tests;
