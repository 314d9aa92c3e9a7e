//! Columns of tables: `ADD COLUMN`, `DROP COLUMN`, `ALTER COLUMN` (type, default, NOT NULL,
//! identity), `RENAME COLUMN`.

use super::retype;
use super::table::key;
use super::{hazard, Sql};
use crate::catalog::{Column, Table};
use crate::diff::HazardId;
use crate::sql::quote_ident;

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

pub fn add_column_sql(t: &Table, c: &Column) -> String {
    format!("ALTER TABLE {} ADD COLUMN {};", key(t), column_def(c))
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

pub fn rename(table: &str, from: &str, to: &str) -> Sql {
    Sql::one(format!(
        "ALTER TABLE {table} RENAME COLUMN {} TO {};",
        quote_ident(from),
        quote_ident(to)
    ))
}

pub fn drop_column(t: &Table, c: &Column) -> Sql {
    // A generated column's values are computed from the others: nothing is lost.
    let hz = if c.generated.is_some() {
        vec![]
    } else {
        vec![hazard(
            HazardId::DataLoss,
            "the column and its values are deleted",
        )]
    };
    Sql::new(
        vec![format!(
            "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
            key(t),
            quote_ident(&c.name)
        )],
        hz,
    )
}

/// The hazards of a new type (or collation) for a column.
pub fn retype_hazards(a: &Column, b: &Column) -> Vec<crate::diff::Hazard> {
    let r = retype::classify(&a.data_type, &b.data_type);
    let mut hz = Vec::new();
    if r.rewrite {
        hz.push(hazard(
            HazardId::TableRewrite,
            "the new type is not binary compatible: the table and its indexes are rewritten under an exclusive lock",
        ));
    } else if a.collation != b.collation {
        hz.push(hazard(
            HazardId::IndexBuild,
            "the indexes on the column are rebuilt for the new collation under an exclusive lock",
        ));
    }
    if r.may_fail {
        hz.push(hazard(
            HazardId::MayFail,
            "fails if an existing value cannot be converted",
        ));
    }
    if r.rounds {
        hz.push(hazard(
            HazardId::DataLoss,
            "existing values are rounded to the new scale or precision",
        ));
    }
    hz
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
        hz.extend(retype_hazards(a, b));
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
