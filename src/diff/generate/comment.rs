//! Comments on any object: `COMMENT ON <target> IS …`.

use super::Sql;
use crate::sql::quote_literal;

pub fn create_sql(target: &str, text: &str) -> String {
    format!("COMMENT ON {target} IS {};", quote_literal(text))
}

pub fn set(target: &str, text: &str) -> Sql {
    Sql::one(create_sql(target, text))
}

pub fn drop(target: &str) -> Sql {
    Sql::one(format!("COMMENT ON {target} IS NULL;"))
}
