//! Comparing two catalogs, and the script that turns one into the other.
//!
//! Owns: canonical items per object (`items`), the comparison ([`compare`]), and the ordered
//! fix script with hazards ([`script`]: one generator per kind in `generate/`, one planner in
//! `plan`). Must not: connect to a database or print. Everything here
//! is a pure function of two [`Catalog`]s, unit-tested on in-memory models.
//!
//! Why it is shaped so:
//! - Both sides come from the same introspection of a real server (the declared side from a
//!   shadow database), so the comparison is between PostgreSQL's own renderings, never between
//!   what a user typed and what the server printed.
//! - Objects are compared as flat items (a column, a policy, the privileges of one table)
//!   keyed by kind and quoted qualified name, so a change is reported once, on the object that
//!   changed, and column order or owners never make two equal schemas differ.
//! - The script is planned as drop nodes (dependents first, by the live database's
//!   `pg_depend`) then build nodes (dependencies first, by the declared one), and an object
//!   that must be dropped or whose column type changes drags its dependents (views, policies,
//!   triggers, …) out and back in: the failure modes users report for migra and Atlas
//!   (migra#143, #87) are plans that ignore those edges.

mod generate;
mod hazard;
mod items;
mod plan;
mod render;

use crate::catalog::{Catalog, ObjectKind};
use serde::Serialize;

pub use hazard::{Hazard, HazardId};
pub use plan::{script, Step, StepAction};
pub use render::render_script;

/// Added (declared but not live), Removed (live but not declared) or Changed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ChangeType {
    Added,
    Removed,
    Changed,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One object that differs between the live database and the declared state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ObjectKind,
    /// The quoted, schema-qualified name (`public.t`, `public.t.col`, `public.f(integer)`).
    pub object: String,
    pub change: ChangeType,
    /// Canonical DDL in the live database (None when added).
    pub from_ddl: Option<String>,
    /// Canonical DDL in the declared state (None when removed).
    pub to_ddl: Option<String>,
    /// Hazards of the steps that make this change.
    pub hazards: Vec<Hazard>,
}

/// Every object that differs, sorted by kind then name. `live` is the database as it is,
/// `declared` what the project's files produce.
pub fn compare(live: &Catalog, declared: &Catalog) -> Vec<Change> {
    let a = items::items(live);
    let b = items::items(declared);
    let mut out = Vec::new();
    let one_sided = |p: &Option<crate::catalog::ObjectRef>| {
        p.as_ref()
            .is_some_and(|p| a.contains_key(p) != b.contains_key(p))
    };
    let mut ids: Vec<&crate::catalog::ObjectRef> = a.keys().chain(b.keys()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let (x, y) = (a.get(id), b.get(id));
        let change = match (x, y) {
            (Some(x), Some(y)) if x.compare == y.compare => continue,
            (Some(_), Some(_)) => ChangeType::Changed,
            (Some(x), None) => {
                if one_sided(&x.parent) && (x.default_state || x.id.kind == ObjectKind::Column) {
                    continue;
                }
                ChangeType::Removed
            }
            (None, Some(y)) => {
                if one_sided(&y.parent) && (y.default_state || y.id.kind == ObjectKind::Column) {
                    continue;
                }
                ChangeType::Added
            }
            (None, None) => continue,
        };
        out.push(Change {
            kind: id.kind,
            object: id.key.clone(),
            change,
            from_ddl: x.map(|i| i.ddl.clone()),
            to_ddl: y.map(|i| i.ddl.clone()),
            hazards: Vec::new(),
        });
    }
    // Hazards come from the planned steps.
    let steps = plan::plan(live, declared, &a, &b);
    for c in &mut out {
        let mut hz: Vec<Hazard> = steps
            .iter()
            .filter(|s| s.kind == c.kind && s.object == c.object)
            .flat_map(|s| s.hazards.iter().cloned())
            .collect();
        hz.sort();
        hz.dedup();
        c.hazards = hz;
    }
    out
}

#[cfg(test)]
mod tests;
