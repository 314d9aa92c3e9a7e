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

pub mod dump;
mod generate;
mod hazard;
mod inherit;
mod items;
mod plan;
mod rename;
mod render;

use crate::catalog::{Catalog, NotCompared, NotComparedReason, ObjectKind};
use serde::Serialize;

pub use hazard::{Hazard, HazardId};
pub use plan::{script, Step, StepAction};
pub use render::{render_migration, render_script};

/// How an object differs, said from the live database's side: declared but missing in live,
/// extra in live (not declared), or changed. JSON ids are kebab-case (`missing-in-live`);
/// `Display` is the words the text report shows.
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
pub enum ChangeType {
    /// In the declared state, not in the live database.
    #[strum(serialize = "missing-in-live", to_string = "missing in live")]
    MissingInLive,
    /// In the live database, not in the declared state.
    #[strum(serialize = "extra-in-live", to_string = "extra in live")]
    ExtraInLive,
    #[strum(to_string = "changed")]
    Changed,
    /// The same column under another name in the live database (`live_object`).
    #[strum(serialize = "renamed-in-live", to_string = "renamed in live")]
    RenamedInLive,
}

impl ChangeType {
    /// The words of the text report.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Which side an object that is not compared was found on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Side {
    Live,
    Declared,
    Both,
}

/// An object that is not compared, with the side it is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NotComparedObject {
    pub kind: String,
    pub name: String,
    pub reason: NotComparedReason,
    pub side: Side,
}

/// Every object either side does not compare, once, with its side; sorted (unmodelled kinds
/// first).
pub fn not_compared(live: &Catalog, declared: &Catalog) -> Vec<NotComparedObject> {
    let scope = items::Scope::of(live, declared);
    // Publications and event triggers neither side has in scope.
    let outside = |cat: &Catalog| -> Vec<NotCompared> {
        let p = cat
            .publications
            .keys()
            .filter(|k| !scope.publications.contains(*k))
            .map(|k| ("publication", k));
        let e = cat
            .event_triggers
            .keys()
            .filter(|k| !scope.event_triggers.contains(*k))
            .map(|k| ("event-trigger", k));
        p.chain(e)
            .map(|(kind, name)| NotCompared {
                kind: kind.into(),
                name: name.clone(),
                reason: NotComparedReason::OutOfScope,
            })
            .collect()
    };
    let key = |n: &NotCompared| (n.reason, n.kind.clone(), n.name.clone());
    let a: std::collections::BTreeSet<_> = live
        .not_compared
        .iter()
        .chain(&outside(live))
        .map(key)
        .collect();
    let b: std::collections::BTreeSet<_> = declared
        .not_compared
        .iter()
        .chain(&outside(declared))
        .map(key)
        .collect();
    a.union(&b)
        .map(|k| NotComparedObject {
            reason: k.0,
            kind: k.1.clone(),
            name: k.2.clone(),
            side: match (a.contains(k), b.contains(k)) {
                (true, true) => Side::Both,
                (true, false) => Side::Live,
                _ => Side::Declared,
            },
        })
        .collect()
}

/// One object that differs between the live database and the declared state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ObjectKind,
    /// The quoted, schema-qualified name (`public.t`, `public.t.col`, `public.f(integer)`).
    pub object: String,
    pub change: ChangeType,
    /// The object's name in the live database, when it is renamed there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_object: Option<String>,
    /// Canonical DDL in the live database (None when missing there).
    pub from_ddl: Option<String>,
    /// Canonical DDL in the declared state (None when extra in live).
    pub to_ddl: Option<String>,
    /// Hazards of the steps that make this change.
    pub hazards: Vec<Hazard>,
}

/// The live catalog as the comparison sees it (columns renamed where the evidence says so),
/// and what was found on the way.
fn prepare<'a>(
    live: &'a Catalog,
    declared: &Catalog,
) -> (std::borrow::Cow<'a, Catalog>, plan::Known) {
    let (renames, maybe_renames) = rename::find(live, declared);
    let live = if renames.is_empty() {
        std::borrow::Cow::Borrowed(live)
    } else {
        std::borrow::Cow::Owned(rename::apply(live, &renames))
    };
    (
        live,
        plan::Known {
            renames,
            maybe_renames,
        },
    )
}

/// Every object that differs, sorted by kind then name. `live` is the database as it is,
/// `declared` what the project's files produce.
pub fn compare(live: &Catalog, declared: &Catalog) -> Vec<Change> {
    let (renamed, known) = prepare(live, declared);
    let scope = items::Scope::of(&renamed, declared);
    // The common case, nothing changed, is decided object by object without building (and
    // keeping) every item of both sides; any doubt goes the full way below.
    if known.renames.is_empty() && items::same(&renamed, declared, &scope) {
        return Vec::new();
    }
    // The renamed columns' DDL as the live database has it (only needed when there are any).
    let original = if known.renames.is_empty() {
        items::Items::new()
    } else {
        items::items(live, &items::Scope::of(live, declared))
    };
    let live: &Catalog = &renamed;
    let a = items::items(live, &scope);
    let b = items::items(declared, &scope);
    let absorbed = inherit::absorbed(live, declared, &a, &b);
    let mut out = Vec::new();
    let one_sided = |p: &Option<crate::catalog::ObjectRef>| {
        p.as_ref()
            .is_some_and(|p| a.contains_key(p) != b.contains_key(p))
    };
    let mut ids: Vec<&crate::catalog::ObjectRef> = a.keys().chain(b.keys()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        if absorbed.contains(id) {
            continue;
        }
        let (x, y) = (a.get(id), b.get(id));
        let change = match (x, y) {
            (Some(x), Some(y)) if x.compared() == y.compared() => continue,
            (Some(_), Some(_)) => ChangeType::Changed,
            (Some(x), None) => {
                if one_sided(&x.parent) && x.default_state {
                    continue;
                }
                ChangeType::ExtraInLive
            }
            (None, Some(y)) => {
                if one_sided(&y.parent) && y.default_state {
                    continue;
                }
                ChangeType::MissingInLive
            }
            (None, None) => continue,
        };
        out.push(Change {
            kind: id.kind,
            object: id.key.clone(),
            change,
            live_object: None,
            from_ddl: x.map(|i| i.ddl.clone()),
            to_ddl: y.map(|i| i.ddl.clone()),
            hazards: Vec::new(),
        });
    }
    for r in &known.renames {
        let old = crate::catalog::ObjectRef {
            kind: ObjectKind::Column,
            key: r.live_key(),
        };
        let new = crate::catalog::ObjectRef {
            kind: ObjectKind::Column,
            key: r.declared_key(),
        };
        out.push(Change {
            kind: ObjectKind::Column,
            object: new.key.clone(),
            change: ChangeType::RenamedInLive,
            live_object: Some(old.key.clone()),
            from_ddl: original.get(&old).map(|i| i.ddl.clone()),
            to_ddl: b.get(&new).map(|i| i.ddl.clone()),
            hazards: Vec::new(),
        });
    }
    out.sort_by(|x, y| (x.kind, &x.object).cmp(&(y.kind, &y.object)));
    if out.is_empty() {
        return out;
    }
    // Hazards come from the planned steps.
    let steps = plan::plan(live, declared, &a, &b, &known, &absorbed);
    // Each object's steps' hazards, looked up once per change (a scan of every step per change
    // was quadratic: 24,000 changes against as many steps when a whole schema is missing).
    let mut by_object: std::collections::HashMap<(ObjectKind, &str), Vec<&Hazard>> =
        std::collections::HashMap::new();
    for s in &steps {
        by_object
            .entry((s.kind, s.object.as_str()))
            .or_default()
            .extend(&s.hazards);
    }
    for c in &mut out {
        let mut hz: Vec<Hazard> = by_object
            .get(&(c.kind, c.object.as_str()))
            .into_iter()
            .flatten()
            .map(|h| (*h).clone())
            .collect();
        hz.sort();
        hz.dedup();
        c.hazards = hz;
    }
    out
}

#[cfg(test)]
mod tests;
