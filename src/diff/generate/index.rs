//! Indexes that do not implement a constraint: `pg_get_indexdef` is their DDL.

use super::{hazard, Sql};
use crate::catalog::Index;
use crate::diff::HazardId;

pub fn create(ddl: String) -> Sql {
    Sql::new(
        vec![ddl],
        vec![hazard(
            HazardId::IndexBuild,
            "CREATE INDEX blocks writes to the table while it builds; on a big table use CREATE INDEX CONCURRENTLY in a no-transaction migration",
        )],
    )
}

pub fn drop(i: &Index) -> Sql {
    Sql::new(
        vec![format!(
            "DROP INDEX IF EXISTS {};",
            super::table::qualified(&i.schema, &i.name)
        )],
        vec![hazard(
            HazardId::IndexDropped,
            "queries that used this index may get slower",
        )],
    )
}
