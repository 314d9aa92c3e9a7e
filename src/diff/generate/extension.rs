//! Extensions: created in their schema; moved with `ALTER EXTENSION … SET SCHEMA`.

use super::{hazard, Sql};
use crate::catalog::Extension;
use crate::diff::HazardId;
use crate::sql::quote_ident;

pub fn create_sql(key: &str, e: &Extension) -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS {key} WITH SCHEMA {};",
        quote_ident(&e.schema)
    )
}

pub fn drop(key: &str) -> Sql {
    Sql::new(
        vec![format!("DROP EXTENSION {key};")],
        vec![hazard(
            HazardId::DataLoss,
            "objects of the extension (and columns of its types) go with it",
        )],
    )
}

pub fn alter(key: &str, to: &Extension) -> Sql {
    Sql::one(format!(
        "ALTER EXTENSION {key} SET SCHEMA {};",
        quote_ident(&to.schema)
    ))
}
