//! Sequences (not identity sequences, which belong to their column).

use super::{hazard, Sql};
use crate::catalog::Sequence;
use crate::diff::HazardId;

pub fn options(s: &Sequence) -> String {
    format!(
        "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {}{}",
        s.data_type,
        s.increment,
        s.min_value,
        s.max_value,
        s.start,
        s.cache,
        if s.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

/// The canonical DDL: the sequence and, for a serial, the column that owns it.
pub fn create_sql(key: &str, s: &Sequence) -> String {
    let mut ddl = format!("CREATE SEQUENCE {key} {};", options(s));
    if let Some(o) = &s.owned_by {
        ddl.push_str(&format!("\nALTER SEQUENCE {key} OWNED BY {o};"));
    }
    ddl
}

/// The sequence alone: `OWNED BY` is its own step, once the column exists.
pub fn create(key: &str, s: &Sequence) -> Sql {
    Sql::one(format!("CREATE SEQUENCE {key} {};", options(s)))
}

pub fn drop(key: &str) -> Sql {
    Sql::new(
        vec![format!("DROP SEQUENCE IF EXISTS {key};")],
        vec![hazard(
            HazardId::DataLoss,
            "the sequence's current value is lost",
        )],
    )
}

pub fn alter(key: &str, a: &Sequence, b: &Sequence) -> Sql {
    let mut s = Vec::new();
    if options(a) != options(b) {
        s.push(format!("ALTER SEQUENCE {key} {};", options(b)));
    }
    if a.owned_by != b.owned_by && b.owned_by.is_none() {
        s.push(format!("ALTER SEQUENCE {key} OWNED BY NONE;"));
    }
    Sql::new(s, Vec::new())
}

/// `ALTER SEQUENCE … OWNED BY column` (a serial's sequence, once its column exists).
pub fn owned_by(key: &str, column: &str) -> Sql {
    Sql::one(format!("ALTER SEQUENCE {key} OWNED BY {column};"))
}
