//! Table constraints: primary keys, foreign keys, unique, check and exclusion constraints.

use super::{hazard, Sql};
use crate::catalog::{Constraint, ConstraintKind, Table};
use crate::diff::HazardId;
use crate::sql::quote_ident;

pub fn create_sql(t: &Table, c: &Constraint) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {};",
        super::table::key(t),
        quote_ident(&c.name),
        c.definition
    )
}

pub fn create(t: &Table, c: &Constraint) -> Sql {
    let hz = match c.kind {
        ConstraintKind::ForeignKey | ConstraintKind::Check if c.validated => vec![
            hazard(
                HazardId::LongLock,
                "existing rows are checked while writes are blocked; on a big table add it NOT VALID, then VALIDATE CONSTRAINT",
            ),
            hazard(HazardId::MayFail, "fails if existing rows violate it"),
        ],
        ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => vec![
            hazard(
                HazardId::IndexBuild,
                "builds an index while writes are blocked; on a big table build a unique index CONCURRENTLY and add the constraint USING INDEX",
            ),
            hazard(HazardId::MayFail, "fails if existing rows violate it"),
        ],
        _ => vec![],
    };
    Sql::new(vec![create_sql(t, c)], hz)
}

pub fn drop(t: &Table, c: &Constraint) -> Sql {
    Sql::one(format!(
        "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
        super::table::key(t),
        quote_ident(&c.name)
    ))
}

/// In place: validating a constraint that was added `NOT VALID`. Anything else is a
/// replacement.
pub fn alter(t: &Table, a: &Constraint, b: &Constraint) -> Option<Sql> {
    let a_def = a.definition.trim_end_matches(" NOT VALID");
    if a_def == b.definition && !a.validated && b.validated {
        return Some(Sql::new(
            vec![format!(
                "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                super::table::key(t),
                quote_ident(&b.name)
            )],
            vec![hazard(
                HazardId::MayFail,
                "fails if existing rows violate it",
            )],
        ));
    }
    None
}
