//! Extensions: created in their schema; moved with `ALTER EXTENSION … SET SCHEMA`, upgraded or
//! downgraded with `ALTER EXTENSION … UPDATE TO`.

use super::{hazard, Sql};
use crate::catalog::Extension;
use crate::diff::HazardId;
use crate::sql::{quote_ident, quote_literal};

pub fn create_sql(key: &str, e: &Extension) -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS {key} WITH SCHEMA {} VERSION {};",
        quote_ident(&e.schema),
        quote_literal(&e.version)
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

pub fn alter(key: &str, a: &Extension, b: &Extension) -> Sql {
    let mut s = Vec::new();
    let mut hz = Vec::new();
    if a.version != b.version {
        s.push(format!(
            "ALTER EXTENSION {key} UPDATE TO {};",
            quote_literal(&b.version)
        ));
        hz.push(hazard(
            HazardId::ExtensionVersion,
            "the extension's objects change with its version; the server must have an update path to it",
        ));
    }
    if a.schema != b.schema {
        s.push(format!(
            "ALTER EXTENSION {key} SET SCHEMA {};",
            quote_ident(&b.schema)
        ));
    }
    Sql::new(s, hz)
}
