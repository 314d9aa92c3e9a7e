//! Parts of a table that move with a parent. When a table is attached as a partition, its
//! columns, constraints and indexes that match the parent's become the parent's (PostgreSQL
//! merges them); when it inherits, its CHECK constraints named like the parent's merge too.
//! Detaching and `NO INHERIT` do the reverse: the parent's become the table's own.
//!
//! Owns: finding those parts, so that they are neither reported nor scripted (the `ATTACH` or
//! `INHERIT` step takes care of them). Must not: decide anything else; the proof on a copy
//! checks that the statements converge.

use super::items::{Items, Obj};
use crate::catalog::{Catalog, Constraint, ConstraintKind, Index, ObjectKind, ObjectRef, Table};
use std::collections::BTreeSet;

/// A constraint of the table that the parent's constraint stands for once they are joined.
fn same_constraint(c: &Constraint, p: &Constraint) -> bool {
    if c.kind != p.kind {
        return false;
    }
    match c.kind {
        ConstraintKind::Check => c.name == p.name,
        ConstraintKind::ForeignKey => c.definition == p.definition,
        _ => c.columns == p.columns,
    }
}

/// `USING btree (v) WHERE …`: an index's definition without its name and table.
fn index_body(i: &Index) -> &str {
    i.definition
        .find(" USING ")
        .map(|at| &i.definition[at..])
        .unwrap_or(&i.definition)
}

/// A table joined to (or parted from) a parent.
struct Join<'x> {
    table: &'x str,
    parent: &'x Table,
    parent_key: &'x str,
    /// The catalog the parent was read from (for its indexes).
    parent_side: &'x Catalog,
    /// As a partition (columns, keys and indexes join), or by inheritance (CHECK constraints).
    partition: bool,
}

/// Items of `side` (parts of the joined table) that the parent stands for once the two are
/// joined.
fn parts_of(side: &Items<'_>, j: &Join<'_>, out: &mut BTreeSet<ObjectRef>) {
    let me = ObjectRef {
        kind: ObjectKind::Table,
        key: j.table.to_string(),
    };
    for (id, item) in side {
        if item.parent.as_ref() != Some(&me) {
            continue;
        }
        let joined = match &item.obj {
            Obj::Column(_, c) => j.partition && j.parent.column(&c.name).is_some(),
            Obj::Constraint(_, c) => {
                (j.partition || c.kind == ConstraintKind::Check)
                    && j.parent.constraints.values().any(|p| same_constraint(c, p))
            }
            Obj::Index(i) => {
                j.partition
                    && j.parent_side
                        .indexes
                        .values()
                        .any(|p| p.table == j.parent_key && index_body(p) == index_body(i))
            }
            _ => false,
        };
        if joined {
            out.insert(id.clone());
        }
    }
}

/// Every item that a change of parent (partition or inheritance) takes care of, on either
/// side.
pub fn absorbed(
    live: &Catalog,
    declared: &Catalog,
    a: &Items<'_>,
    b: &Items<'_>,
) -> BTreeSet<ObjectRef> {
    let mut out = BTreeSet::new();
    for (key, x) in &live.tables {
        let Some(y) = declared.tables.get(key) else {
            continue;
        };
        if x.partition_of != y.partition_of {
            // Attached: the live table's parts become the declared parent's.
            if let Some(p) = &y.partition_of {
                if let Some(parent) = declared.tables.get(p) {
                    let j = Join {
                        table: key,
                        parent,
                        parent_key: p,
                        parent_side: declared,
                        partition: true,
                    };
                    parts_of(a, &j, &mut out);
                }
            }
            // Detached: the live parent's parts become the table's own.
            if let Some(p) = &x.partition_of {
                if let Some(parent) = live.tables.get(p) {
                    let j = Join {
                        table: key,
                        parent,
                        parent_key: p,
                        parent_side: live,
                        partition: true,
                    };
                    parts_of(b, &j, &mut out);
                }
            }
        }
        for p in y.inherits.iter().filter(|p| !x.inherits.contains(p)) {
            if let Some(parent) = declared.tables.get(p) {
                let j = Join {
                    table: key,
                    parent,
                    parent_key: p,
                    parent_side: declared,
                    partition: false,
                };
                parts_of(a, &j, &mut out);
            }
        }
        for p in x.inherits.iter().filter(|p| !y.inherits.contains(p)) {
            if let Some(parent) = live.tables.get(p) {
                let j = Join {
                    table: key,
                    parent,
                    parent_key: p,
                    parent_side: live,
                    partition: false,
                };
                parts_of(b, &j, &mut out);
            }
        }
    }
    out
}
