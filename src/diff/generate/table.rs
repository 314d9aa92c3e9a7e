//! Tables: `CREATE TABLE` (plain, partitioned, partition, inheriting); in place, persistence,
//! storage parameters, `ATTACH`/`DETACH PARTITION` and `INHERIT`/`NO INHERIT`, which keep the
//! rows (a new partition key is the only replacement).

use super::column::{add_column_sql, column_def};
use super::{hazard, Sql};
use crate::catalog::Table;
use crate::diff::HazardId;
use crate::sql::quote_ident;

pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

pub(crate) fn key(t: &Table) -> String {
    qualified(&t.schema, &t.name)
}

pub fn create_sql(t: &Table) -> String {
    let key = key(t);
    let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
    let mut s = if let Some(parent) = &t.partition_of {
        format!(
            "CREATE {unlogged}TABLE {key} PARTITION OF {parent} {}",
            t.partition_bound.as_deref().unwrap_or("DEFAULT")
        )
    } else {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("    {}", column_def(c)))
            .collect();
        let body = if cols.is_empty() {
            "()".to_string()
        } else {
            format!("(\n{}\n)", cols.join(",\n"))
        };
        format!("CREATE {unlogged}TABLE {key} {body}")
    };
    if !t.inherits.is_empty() {
        s.push_str(&format!(" INHERITS ({})", t.inherits.join(", ")));
    }
    if let Some(k) = &t.partition_key {
        s.push_str(&format!(" PARTITION BY {k}"));
    }
    if !t.options.is_empty() {
        s.push_str(&format!(" WITH ({})", t.options.join(", ")));
    }
    s.push(';');
    s
}

/// The table-level part that is compared (columns are items of their own, and their order is
/// not compared).
pub fn signature(t: &Table) -> String {
    format!(
        "TABLE {} unlogged={} partition_of={:?} bound={:?} key={:?} inherits={:?} options={:?}",
        key(t),
        t.unlogged,
        t.partition_of,
        t.partition_bound,
        t.partition_key,
        t.inherits,
        t.options
    )
}

pub fn create(t: &Table) -> Sql {
    let mut stmts = vec![create_sql(t)];
    if t.partition_of.is_some() {
        // A partition's own columns are declared by ALTER after PARTITION OF.
        for c in &t.columns {
            stmts.push(add_column_sql(t, c));
        }
    }
    Sql::new(stmts, Vec::new())
}

pub fn drop(key: &str) -> Sql {
    Sql::new(
        vec![format!("DROP TABLE {key};")],
        vec![hazard(
            HazardId::DataLoss,
            "the table and all its rows are deleted",
        )],
    )
}

/// In place: partition membership, inheritance, persistence and storage parameters. A new
/// partition key (or a table becoming partitioned or plain) is a replacement.
pub fn alter(k: &str, a: &Table, b: &Table) -> Option<Sql> {
    if a.partition_key != b.partition_key {
        return None;
    }
    let mut s = Vec::new();
    let mut hz = Vec::new();
    if a.partition_of != b.partition_of || a.partition_bound != b.partition_bound {
        if let Some(p) = &a.partition_of {
            s.push(format!("ALTER TABLE {p} DETACH PARTITION {k};"));
        }
        if let Some(p) = &b.partition_of {
            s.push(format!(
                "ALTER TABLE {p} ATTACH PARTITION {k} {};",
                b.partition_bound.as_deref().unwrap_or("DEFAULT")
            ));
            hz.push(hazard(
                HazardId::LongLock,
                "the rows are scanned to check they fit the partition bound (a CHECK constraint matching the bound skips the scan)",
            ));
            hz.push(hazard(
                HazardId::MayFail,
                "fails if a row is outside the partition bound, or the columns differ from the parent's",
            ));
        }
    }
    if a.inherits != b.inherits {
        // Parents keep their order: the common prefix stays, the rest goes and comes back.
        let common = a
            .inherits
            .iter()
            .zip(&b.inherits)
            .take_while(|(x, y)| x == y)
            .count();
        for p in &a.inherits[common..] {
            s.push(format!("ALTER TABLE {k} NO INHERIT {p};"));
        }
        for p in &b.inherits[common..] {
            s.push(format!("ALTER TABLE {k} INHERIT {p};"));
        }
        if b.inherits.len() > common {
            hz.push(hazard(
                HazardId::MayFail,
                "fails unless the table has the parent's columns and CHECK constraints",
            ));
        }
    }
    if a.unlogged != b.unlogged {
        s.push(format!(
            "ALTER TABLE {k} SET {};",
            if b.unlogged { "UNLOGGED" } else { "LOGGED" }
        ));
        hz.push(hazard(
            HazardId::TableRewrite,
            "changing persistence rewrites the table under an exclusive lock",
        ));
    }
    if a.options != b.options {
        s.extend(options_change(
            &format!("ALTER TABLE {k}"),
            &a.options,
            &b.options,
        ));
    }
    Some(Sql::new(s, hz))
}

/// `RESET` the storage parameters that go, `SET` the ones wanted (`prefix` is `ALTER TABLE x`).
pub(crate) fn options_change(prefix: &str, from: &[String], to: &[String]) -> Vec<String> {
    let mut s = Vec::new();
    let gone: Vec<&str> = from
        .iter()
        .filter(|o| !to.contains(o))
        .filter_map(|o| o.split('=').next())
        .collect();
    if !gone.is_empty() {
        s.push(format!("{prefix} RESET ({});", gone.join(", ")));
    }
    if !to.is_empty() {
        s.push(format!("{prefix} SET ({});", to.join(", ")));
    }
    s
}
