//! Owner columns: the column of a table that says which user a row belongs to.
//!
//! A column is an owner column when it is a single-column foreign key to a users table
//! (`auth.users`, a table named `users` in the audited schemas, or a table whose primary key is
//! itself a foreign key to `auth.users`, such as `profiles(id)`), or when its name is listed in
//! `[auth] owner_columns`. Foreign-key owners come first (in column order), then configured
//! names (in configured order): the probe uses the first.

use crate::catalog::{Catalog, ConstraintKind, Table};
use serde::Serialize;
use std::collections::BTreeSet;

/// Why a column counts as the owner of its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum OwnerSource {
    /// A foreign key to a users table.
    ForeignKey { references: String },
    /// Named in `[auth] owner_columns`.
    Configured,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerColumn {
    pub column: String,
    #[serde(flatten)]
    pub source: OwnerSource,
}

/// Keys of the tables that hold users.
pub fn users_tables(cat: &Catalog) -> BTreeSet<String> {
    let mut out = BTreeSet::from(["auth.users".to_string()]);
    for (key, t) in &cat.tables {
        if t.name == "users" {
            out.insert(key.clone());
            continue;
        }
        let pk = t
            .constraints
            .values()
            .find(|c| c.kind == ConstraintKind::PrimaryKey);
        let Some(pk) = pk else { continue };
        if pk.columns.len() != 1 {
            continue;
        }
        let is_auth_user = t.constraints.values().any(|c| {
            c.kind == ConstraintKind::ForeignKey
                && c.columns == pk.columns
                && c.references.as_deref() == Some("auth.users")
        });
        if is_auth_user {
            out.insert(key.clone());
        }
    }
    out
}

/// The owner columns of a table.
pub fn owner_columns(
    table: &Table,
    users: &BTreeSet<String>,
    configured: &[String],
) -> Vec<OwnerColumn> {
    let mut out: Vec<OwnerColumn> = Vec::new();
    for col in &table.columns {
        let fk = table.constraints.values().find(|c| {
            c.kind == ConstraintKind::ForeignKey
                && c.columns.len() == 1
                && c.columns[0] == col.name
                && c.references.as_ref().is_some_and(|r| users.contains(r))
        });
        if let Some(fk) = fk {
            out.push(OwnerColumn {
                column: col.name.clone(),
                source: OwnerSource::ForeignKey {
                    references: fk.references.clone().unwrap_or_default(),
                },
            });
        }
    }
    for name in configured {
        if out.iter().any(|o| &o.column == name) {
            continue;
        }
        if table.column(name).is_some() {
            out.push(OwnerColumn {
                column: name.clone(),
                source: OwnerSource::Configured,
            });
        }
    }
    out
}

/// Columns that lead some usable index of the table: the first column of a primary key,
/// unique or exclusion constraint, or of a valid, non-partial index.
pub fn leading_index_columns(cat: &Catalog, table_key: &str, table: &Table) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in table.constraints.values() {
        if matches!(
            c.kind,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
        ) {
            if let Some(first) = c.columns.first() {
                out.insert(first.clone());
            }
        }
    }
    for ix in cat.indexes.values() {
        if ix.table == table_key && ix.valid && !ix.partial {
            if let Some(first) = super::expr::index_first_column(&ix.definition) {
                out.insert(first);
            }
        }
    }
    out
}
