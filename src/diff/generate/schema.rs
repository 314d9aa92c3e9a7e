//! Schemas: `CREATE SCHEMA` / `DROP SCHEMA`.

use super::Sql;
use crate::catalog::Schema;
use crate::sql::quote_ident;

pub fn create_sql(key: &str) -> String {
    format!("CREATE SCHEMA {key};")
}

pub fn drop(s: &Schema) -> Sql {
    Sql::one(format!("DROP SCHEMA {};", quote_ident(&s.name)))
}
