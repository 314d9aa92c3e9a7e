//! SQL generators, one file per object kind (after pg-schema-diff's `*_sql_generator.go`):
//! each knows how to create, drop and alter its kind, and the hazards of doing so.
//!
//! Owns: statements and hazards for one item at a time. Must not: order statements or decide
//! which objects must leave and come back (that is the planner, `plan.rs`), or look at other
//! items than the ones it is given.

pub mod comment;
pub mod constraint;
pub mod extension;
pub mod function;
pub mod grant;
pub mod index;
pub mod policy;
pub mod rls;
pub mod schema;
pub mod sequence;
pub mod table;
pub mod trigger;
pub mod types;
pub mod view;

use super::items::{Item, Obj};
use super::{Hazard, HazardId};

/// Statements that change one object, their hazards, and whether they may run inside a
/// transaction block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    pub statements: Vec<String>,
    pub hazards: Vec<Hazard>,
    pub transactional: bool,
}

impl Sql {
    pub fn new(statements: Vec<String>, hazards: Vec<Hazard>) -> Sql {
        Sql {
            statements,
            hazards,
            transactional: true,
        }
    }

    /// One statement without hazards.
    pub fn one(statement: String) -> Sql {
        Sql::new(vec![statement], Vec::new())
    }
}

pub(crate) fn hazard(id: HazardId, message: &str) -> Hazard {
    Hazard::new(id, message)
}

pub(crate) fn authz(message: &str) -> Hazard {
    Hazard::new(HazardId::AuthzChange, message)
}

/// Statements that remove `item`.
pub fn drop(item: &Item<'_>) -> Sql {
    let k = &item.id.key;
    match &item.obj {
        Obj::Schema(s) => schema::drop(s),
        Obj::Extension(_) => extension::drop(k),
        Obj::Type(t) => types::drop(k, t),
        Obj::Sequence(_) => sequence::drop(k),
        Obj::Table(_) => table::drop(k),
        Obj::Column(t, c) => table::drop_column(t, c),
        Obj::Constraint(t, c) => constraint::drop(t, c),
        Obj::Index(i) => index::drop(i),
        Obj::View(v) => view::drop(k, v),
        Obj::Function(f) => function::drop(k, f),
        Obj::Trigger(t) => trigger::drop(t),
        Obj::Rls(t) => rls::drop(t),
        Obj::Policy(p) => policy::drop(p),
        Obj::Grant(g) => grant::drop(g),
        Obj::Comment { target, .. } => comment::drop(target),
    }
}

/// Statements that create `item` from nothing (a grant: from the privileges a new object has).
pub fn create(item: &Item<'_>) -> Sql {
    match &item.obj {
        Obj::Schema(_)
        | Obj::Extension(_)
        | Obj::Type(_)
        | Obj::Function(_)
        | Obj::Trigger(_)
        | Obj::Comment { .. } => Sql::one(item.ddl.clone()),
        Obj::Sequence(s) => sequence::create(&item.id.key, s),
        Obj::Table(t) => table::create(t),
        Obj::Column(t, c) => table::add_column(t, c),
        Obj::Constraint(t, c) => constraint::create(t, c),
        Obj::Index(_) => index::create(item.ddl.clone()),
        Obj::View(v) => view::create(item.ddl.clone(), v),
        Obj::Rls(t) => rls::create(t),
        Obj::Policy(_) => policy::create(item.ddl.clone()),
        Obj::Grant(g) => grant::create(g),
    }
}

/// The in-place change from `x` to `y` (same id), or None when the object must be dropped and
/// created again. Several results are separate steps (one enum value each).
pub fn alter(x: &Item<'_>, y: &Item<'_>) -> Option<Vec<Sql>> {
    let k = &y.id.key;
    let one = |s: Sql| Some(vec![s]);
    match (&x.obj, &y.obj) {
        (Obj::Extension(_), Obj::Extension(e)) => one(extension::alter(k, e)),
        (Obj::Type(a), Obj::Type(b)) => types::alter(k, a, b),
        (Obj::Sequence(a), Obj::Sequence(b)) => one(sequence::alter(k, a, b)),
        (Obj::Table(a), Obj::Table(b)) => table::alter(k, a, b).map(|s| vec![s]),
        (Obj::Column(_, a), Obj::Column(t, b)) => table::alter_column(t, a, b).map(|s| vec![s]),
        (Obj::Constraint(_, a), Obj::Constraint(t, b)) => {
            constraint::alter(t, a, b).map(|s| vec![s])
        }
        (Obj::View(a), Obj::View(b)) => view::alter(k, a, b).map(|s| vec![s]),
        (Obj::Function(a), Obj::Function(b)) => function::alter(a, b).map(|s| vec![s]),
        (Obj::Trigger(a), Obj::Trigger(b)) => trigger::alter(a, b).map(|s| vec![s]),
        (Obj::Rls(a), Obj::Rls(b)) => one(rls::alter(a, b)),
        (Obj::Policy(a), Obj::Policy(b)) => policy::alter(a, b).map(|s| vec![s]),
        (Obj::Grant(a), Obj::Grant(b)) => one(grant::alter(a, b)),
        (Obj::Comment { .. }, Obj::Comment { target, text }) => one(comment::set(target, text)),
        _ => None,
    }
}
