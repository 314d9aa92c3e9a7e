//! SQL generators, one file per object kind (after pg-schema-diff's `*_sql_generator.go`):
//! each knows how to create, drop and alter its kind, and the hazards of doing so.
//!
//! Owns: statements and hazards for one item at a time. Must not: order statements or decide
//! which objects must leave and come back (that is the planner, `plan.rs`), or look at other
//! items than the ones it is given.

pub mod collation;
pub mod column;
pub mod comment;
pub mod constraint;
pub mod default_privileges;
pub mod event_trigger;
pub mod extension;
pub mod function;
pub mod grant;
pub mod index;
pub mod owner;
pub mod policy;
pub mod publication;
pub mod retype;
pub mod rls;
pub mod rule;
pub mod schema;
pub mod security_label;
pub mod sequence;
pub mod statistics;
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
    /// Must commit before a later statement that contains this text (a new enum value, quoted)
    /// runs: PostgreSQL cannot use an enum value in the transaction that added it. The planner
    /// makes such a step non-transactional only when a later step uses the value.
    pub commit_before: Option<String>,
}

impl Sql {
    pub fn new(statements: Vec<String>, hazards: Vec<Hazard>) -> Sql {
        Sql {
            statements,
            hazards,
            transactional: true,
            commit_before: None,
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
        Obj::Collation(c) => collation::drop(c),
        Obj::Type(t) => types::drop(k, t),
        Obj::Attribute {
            type_key,
            attribute,
        } => types::drop_attribute(type_key, attribute),
        Obj::DomainConstraint { domain, constraint } => types::drop_constraint(domain, constraint),
        Obj::Sequence(_) => sequence::drop(k),
        Obj::Table(_) => table::drop(k),
        Obj::Column(t, c) => column::drop_column(t, c),
        Obj::Constraint(t, c) => constraint::drop(t, c),
        Obj::Index(i) => index::drop(i),
        Obj::Statistics(_) => statistics::drop(k),
        Obj::View(v) => view::drop(k, v),
        Obj::Rule(r) => rule::drop(r),
        Obj::Function(f) => function::drop(k, f),
        Obj::Trigger(t) => trigger::drop(t),
        Obj::EventTrigger(e) => event_trigger::drop(e),
        Obj::Rls(t) => rls::drop(t),
        Obj::Policy(p) => policy::drop(p),
        Obj::Publication(p) => publication::drop(p),
        Obj::PublicationTable(p, t) => publication::drop_table(p, t),
        // An object always has an owner: it goes with the object.
        Obj::Owner(_) => Sql::new(Vec::new(), Vec::new()),
        Obj::Grant(g) => grant::drop(g),
        Obj::DefaultPrivileges(d) => default_privileges::drop(d),
        Obj::Comment { target, .. } => comment::drop(target),
        Obj::SecurityLabel(l) => security_label::drop(l),
    }
}

/// Statements that create `item` from nothing (a grant: from the privileges a new object has).
pub fn create(item: &Item<'_>) -> Sql {
    match &item.obj {
        Obj::Schema(_)
        | Obj::Extension(_)
        | Obj::Collation(_)
        | Obj::Type(_)
        | Obj::Function(_)
        | Obj::Trigger(_)
        | Obj::EventTrigger(_)
        | Obj::Statistics(_)
        | Obj::Rule(_)
        | Obj::Publication(_)
        | Obj::PublicationTable(..)
        | Obj::SecurityLabel(_)
        | Obj::Comment { .. } => Sql::one(item.ddl.clone()),
        Obj::Attribute {
            type_key,
            attribute,
        } => types::add_attribute(type_key, attribute),
        Obj::DomainConstraint { domain, constraint } => types::add_constraint(domain, constraint),
        Obj::Owner(o) => owner::set(o),
        Obj::DefaultPrivileges(d) => default_privileges::create(d),
        Obj::Sequence(s) => sequence::create(&item.id.key, s),
        Obj::Table(t) => table::create(t),
        Obj::Column(t, c) => column::add_column(t, c),
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
        (Obj::Extension(a), Obj::Extension(b)) => one(extension::alter(k, a, b)),
        (Obj::Type(a), Obj::Type(b)) => types::alter(k, a, b),
        (
            Obj::Attribute { .. },
            Obj::Attribute {
                type_key,
                attribute: b,
            },
        ) => one(types::alter_attribute(type_key, b)),
        (
            Obj::DomainConstraint { constraint: a, .. },
            Obj::DomainConstraint {
                domain,
                constraint: b,
            },
        ) => types::alter_constraint(domain, a, b).map(|s| vec![s]),
        (Obj::Statistics(a), Obj::Statistics(b)) => statistics::alter(k, a, b).map(|s| vec![s]),
        (Obj::Rule(a), Obj::Rule(b)) => rule::alter(a, b).map(|s| vec![s]),
        (Obj::EventTrigger(a), Obj::EventTrigger(b)) => event_trigger::alter(a, b).map(|s| vec![s]),
        (Obj::Publication(a), Obj::Publication(b)) => publication::alter(a, b).map(|s| vec![s]),
        (Obj::PublicationTable(a, _), Obj::PublicationTable(b, t)) => {
            one(publication::alter_table(a, b, t))
        }
        (Obj::Owner(_), Obj::Owner(o)) => one(owner::set(o)),
        (Obj::DefaultPrivileges(a), Obj::DefaultPrivileges(b)) => {
            one(default_privileges::alter(a, b))
        }
        (Obj::SecurityLabel(_), Obj::SecurityLabel(_)) => one(Sql::one(y.ddl.clone())),
        (Obj::Sequence(a), Obj::Sequence(b)) => one(sequence::alter(k, a, b)),
        (Obj::Table(a), Obj::Table(b)) => table::alter(k, a, b).map(|s| vec![s]),
        (Obj::Column(_, a), Obj::Column(t, b)) => column::alter_column(t, a, b).map(|s| vec![s]),
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
