//! Tables and their columns: `CREATE TABLE` (plain, partitioned, partition, inheriting),
//! `ALTER TABLE … ADD/DROP/ALTER COLUMN`, persistence and storage parameters.

use super::{hazard, Sql};
use crate::catalog::{Column, Table};
use crate::diff::HazardId;
use crate::sql::quote_ident;

pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

pub(crate) fn key(t: &Table) -> String {
    qualified(&t.schema, &t.name)
}

pub fn column_def(c: &Column) -> String {
    let mut s = format!("{} {}", quote_ident(&c.name), c.data_type);
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {coll}"));
    }
    if let Some(g) = &c.generated {
        let how = if c.virtual_generated {
            "VIRTUAL"
        } else {
            "STORED"
        };
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) {how}"));
    }
    if let Some(i) = &c.identity {
        s.push_str(&format!(
            " GENERATED {} AS IDENTITY",
            i.to_ascii_uppercase()
        ));
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    s
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

pub fn add_column_sql(t: &Table, c: &Column) -> String {
    format!("ALTER TABLE {} ADD COLUMN {};", key(t), column_def(c))
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

/// In place: persistence and storage parameters. Partitioning and inheritance changes are a
/// replacement.
pub fn alter(k: &str, a: &Table, b: &Table) -> Option<Sql> {
    if a.partition_of != b.partition_of
        || a.partition_bound != b.partition_bound
        || a.partition_key != b.partition_key
        || a.inherits != b.inherits
    {
        return None;
    }
    let mut s = Vec::new();
    let mut hz = Vec::new();
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

pub fn add_column(t: &Table, c: &Column) -> Sql {
    let mut hz = Vec::new();
    if c.not_null && c.default.is_none() && c.identity.is_none() && c.generated.is_none() {
        hz.push(hazard(
            HazardId::MayFail,
            "NOT NULL without a default fails if the table has rows; add a default or backfill first",
        ));
    }
    if (c.generated.is_some() && !c.virtual_generated) || c.identity.is_some() {
        hz.push(hazard(
            HazardId::TableRewrite,
            "every row gets a computed value: the table is rewritten under an exclusive lock",
        ));
    }
    Sql::new(vec![add_column_sql(t, c)], hz)
}

pub fn drop_column(t: &Table, c: &Column) -> Sql {
    Sql::new(
        vec![format!(
            "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
            key(t),
            quote_ident(&c.name)
        )],
        vec![hazard(
            HazardId::DataLoss,
            "the column and its values are deleted",
        )],
    )
}

/// Whether the column's type (or collation) changes: its dependents must leave and come back.
pub fn retyped(a: &Column, b: &Column) -> bool {
    a.data_type != b.data_type || a.collation != b.collation
}

/// In place: type, default, NOT NULL, identity. A generation change is a replacement.
pub fn alter_column(t: &Table, a: &Column, b: &Column) -> Option<Sql> {
    let tk = key(t);
    let col = quote_ident(&b.name);
    let pre = format!("ALTER TABLE {tk} ALTER COLUMN {col}");
    if a.generated != b.generated || a.virtual_generated != b.virtual_generated {
        return None;
    }
    let mut s = Vec::new();
    let mut hz = Vec::new();
    if a.identity.is_some() && b.identity.is_none() {
        s.push(format!("{pre} DROP IDENTITY IF EXISTS;"));
    }
    let type_changes = retyped(a, b);
    if a.default.is_some() && (a.default != b.default || type_changes) {
        s.push(format!("{pre} DROP DEFAULT;"));
    }
    if type_changes {
        let coll = b
            .collation
            .as_ref()
            .map(|c| format!(" COLLATE {c}"))
            .unwrap_or_default();
        s.push(format!(
            "{pre} TYPE {}{coll} USING {col}::{};",
            b.data_type, b.data_type
        ));
        hz.push(hazard(
            HazardId::TableRewrite,
            "changing a column's type usually rewrites the table and its indexes under an exclusive lock",
        ));
        hz.push(hazard(
            HazardId::MayFail,
            "fails if an existing value cannot be converted",
        ));
    }
    if b.default.is_some() && (a.default != b.default || type_changes) {
        s.push(format!(
            "{pre} SET DEFAULT {};",
            b.default.as_deref().unwrap_or("NULL")
        ));
    }
    if a.not_null && !b.not_null {
        s.push(format!("{pre} DROP NOT NULL;"));
    } else if !a.not_null && b.not_null {
        s.push(format!("{pre} SET NOT NULL;"));
        hz.push(hazard(
            HazardId::LongLock,
            "SET NOT NULL scans the whole table under an exclusive lock; add a CHECK (col IS NOT NULL) NOT VALID and validate it first",
        ));
        hz.push(hazard(HazardId::MayFail, "fails if the column holds NULLs"));
    }
    match (&a.identity, &b.identity) {
        (None, Some(i)) => s.push(format!(
            "{pre} ADD GENERATED {} AS IDENTITY;",
            i.to_ascii_uppercase()
        )),
        (Some(i), Some(j)) if i != j => {
            s.push(format!("{pre} SET GENERATED {};", j.to_ascii_uppercase()))
        }
        _ => {}
    }
    Some(Sql::new(s, hz))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            data_type: ty.into(),
            ..Default::default()
        }
    }

    #[test]
    fn column_definitions_read_like_sql() {
        let mut c = col("id", "bigint");
        c.identity = Some("by default".into());
        c.not_null = true;
        assert_eq!(
            column_def(&c),
            "id bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL"
        );
        let mut c = col("Full Name", "text");
        c.generated = Some("(first || last)".into());
        assert_eq!(
            column_def(&c),
            "\"Full Name\" text GENERATED ALWAYS AS ((first || last)) STORED"
        );
        c.virtual_generated = true;
        assert!(column_def(&c).ends_with(" VIRTUAL"));
    }
}
