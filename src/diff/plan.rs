//! The planner: which items are created, dropped, altered or replaced; which dependents must
//! leave and come back; and the order of the steps.
//!
//! Owns: the decision per item and the order. Must not: write SQL of its own (statements come
//! from `generate`, one file per kind).
//!
//! Why it is shaped so: the script is planned as drop nodes (dependents first, by the live
//! database's `pg_depend`) then build nodes (dependencies first, by the declared one), and an
//! object that must be dropped or whose column type changes drags its dependents (views,
//! policies, triggers, …) out and back in: the failure modes users report for migra and Atlas
//! (migra#143, #87) are plans that ignore those edges.

use super::generate::{self, Sql};
use super::items::{self, Item, Items, Obj};
use super::rename::{MaybeRename, Rename};
use super::Hazard;
use crate::catalog::{Catalog, ConstraintKind, ObjectKind, ObjectRef, TypeKind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

/// What a step does to its object.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum StepAction {
    Create,
    Drop,
    Alter,
}

/// One step of the script: statements that change one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: ObjectKind,
    pub object: String,
    pub action: StepAction,
    pub statements: Vec<String>,
    /// False for a step that must run outside a transaction block (its own commit).
    pub transactional: bool,
    pub hazards: Vec<Hazard>,
    /// One line: what the step does and why.
    pub explanation: String,
}

/// The steps that turn `live` into `declared`, in an order PostgreSQL accepts.
pub fn script(live: &Catalog, declared: &Catalog) -> Vec<Step> {
    let (live, known) = super::prepare(live, declared);
    let scope = items::Scope::of(&live, declared);
    let a = items::items(&live, &scope);
    let b = items::items(declared, &scope);
    let absorbed = super::inherit::absorbed(&live, declared, &a, &b);
    plan(&live, declared, &a, &b, &known, &absorbed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Drop,
    Build,
}

#[derive(Debug, Clone)]
struct Node {
    id: ObjectRef,
    phase: Phase,
    action: StepAction,
    sql: Sql,
    explanation: String,
    rank: u8,
    after: Vec<ObjectRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Drop,
    Alter,
    /// Drop, then create (the object changed in a way ALTER cannot express, or something it
    /// depends on is dropped or retyped).
    Replace,
}

/// Order among kinds when the dependency graph does not decide.
fn rank(item: &Item<'_>) -> u8 {
    match item.id.kind {
        ObjectKind::Schema => 0,
        ObjectKind::Extension => 1,
        ObjectKind::Collation => 2,
        ObjectKind::Type => 3,
        ObjectKind::Attribute => 4,
        ObjectKind::Sequence => 5,
        ObjectKind::Function | ObjectKind::Procedure => 6,
        ObjectKind::Table => 7,
        ObjectKind::Column => 8,
        ObjectKind::Constraint => match &item.obj {
            Obj::DomainConstraint { .. } => 4,
            Obj::Constraint(_, c) if c.kind == ConstraintKind::ForeignKey => 11,
            _ => 10,
        },
        ObjectKind::Index => 12,
        ObjectKind::Statistics => 13,
        ObjectKind::View => 14,
        ObjectKind::MaterializedView => 15,
        ObjectKind::Rule => 16,
        ObjectKind::Trigger => 17,
        ObjectKind::EventTrigger => 18,
        ObjectKind::Rls => 19,
        ObjectKind::Policy => 20,
        ObjectKind::Publication => 21,
        ObjectKind::PublicationTable => 22,
        ObjectKind::Owner => 23,
        ObjectKind::Grant => 24,
        ObjectKind::DefaultPrivileges => 25,
        ObjectKind::Comment => 26,
        ObjectKind::SecurityLabel => 27,
    }
}

/// Where a serial's `OWNED BY` goes: after its column, before constraints.
const OWNED_BY_RANK: u8 = 9;

/// Kinds that can be dropped and created again without losing data, so they may follow an
/// object they depend on out and back in.
fn kinds_recreatable(kind: ObjectKind) -> bool {
    matches!(
        kind,
        ObjectKind::View
            | ObjectKind::MaterializedView
            | ObjectKind::Policy
            | ObjectKind::Trigger
            | ObjectKind::Constraint
            | ObjectKind::Index
            | ObjectKind::Function
            | ObjectKind::Procedure
            | ObjectKind::Statistics
            | ObjectKind::Rule
            | ObjectKind::EventTrigger
            | ObjectKind::PublicationTable
    )
}

/// Kinds whose "replacement" is a change in place (privileges, comments, owners, labels are
/// set, never dropped first).
fn replaced_in_place(kind: ObjectKind) -> bool {
    matches!(
        kind,
        ObjectKind::Grant
            | ObjectKind::Comment
            | ObjectKind::Owner
            | ObjectKind::SecurityLabel
            | ObjectKind::DefaultPrivileges
    )
}

fn label(kind: ObjectKind, key: &str) -> String {
    format!("{} {key}", kind.as_str().replace('-', " "))
}

pub(super) fn plan<'a>(
    live: &'a Catalog,
    declared: &'a Catalog,
    a: &Items<'a>,
    b: &Items<'a>,
    known: &Known,
    absorbed: &BTreeSet<ObjectRef>,
) -> Vec<Step> {
    // 1. What happens to each differing item.
    let mut actions: BTreeMap<ObjectRef, Action> = BTreeMap::new();
    let mut alters: BTreeMap<ObjectRef, Vec<Sql>> = BTreeMap::new();
    let mut why: BTreeMap<ObjectRef, String> = BTreeMap::new();
    let mut retyped: Vec<ObjectRef> = Vec::new();
    let mut swaps: Vec<(ObjectRef, Vec<ObjectRef>)> = Vec::new();
    let ids: BTreeSet<&ObjectRef> = a.keys().chain(b.keys()).collect();
    for id in ids {
        if absorbed.contains(id) {
            continue;
        }
        match (a.get(id), b.get(id)) {
            (Some(x), Some(y)) if x.compared() == y.compared() => {}
            (Some(x), Some(y)) => match generate::alter(x, y) {
                Some(nodes) => {
                    if let (Obj::Column(_, c1), Obj::Column(_, c2)) = (&x.obj, &y.obj) {
                        if generate::column::retyped(c1, c2) {
                            retyped.push(id.clone());
                        }
                    }
                    actions.insert(id.clone(), Action::Alter);
                    alters.insert(id.clone(), nodes);
                }
                None => match (&x.obj, &y.obj) {
                    // Enum values removed or reordered: the type is swapped under its columns.
                    (Obj::Type(t1), Obj::Type(t2))
                        if t1.kind == TypeKind::Enum && t2.kind == TypeKind::Enum =>
                    {
                        let columns = swap_columns(live, declared, id, &mut actions, &mut alters);
                        retyped.extend(columns.iter().cloned());
                        actions.insert(id.clone(), Action::Alter);
                        alters.insert(id.clone(), vec![generate::types::swap_start(&id.key, t2)]);
                        swaps.push((id.clone(), columns));
                    }
                    _ => {
                        actions.insert(id.clone(), Action::Replace);
                    }
                },
            },
            (Some(_), None) => {
                actions.insert(id.clone(), Action::Drop);
            }
            (None, Some(_)) => {
                actions.insert(id.clone(), Action::Create);
            }
            (None, None) => {}
        }
    }

    // 2. Dependents of what is dropped, replaced or retyped leave and come back.
    let mut dependents: HashMap<&ObjectRef, Vec<&ObjectRef>> = HashMap::new();
    for (from, to) in &live.dependencies {
        dependents.entry(to).or_default().push(from);
    }
    for (id, item) in a {
        if let Some(p) = &item.parent {
            if kinds_recreatable(id.kind) {
                dependents.entry(p).or_default().push(id);
            }
        }
    }
    let mut queue: Vec<(ObjectRef, bool)> = actions
        .iter()
        .filter(|(_, act)| matches!(act, Action::Drop | Action::Replace))
        .map(|(id, _)| (id.clone(), false))
        .collect();
    queue.extend(retyped.iter().map(|id| (id.clone(), true)));
    // What refers to a swapped enum (functions, views, indexes and checks naming its values)
    // leaves before the old type steps aside and comes back with the new one.
    queue.extend(swaps.iter().map(|(id, _)| (id.clone(), false)));
    let mut seen: BTreeSet<ObjectRef> = BTreeSet::new();
    while let Some((root, only_rebuildable)) = queue.pop() {
        if !seen.insert(root.clone()) && !only_rebuildable {
            continue;
        }
        let root_dropped = matches!(actions.get(&root), Some(Action::Drop));
        for dep in dependents.get(&root).cloned().unwrap_or_default() {
            if !kinds_recreatable(dep.kind) {
                continue;
            }
            // PostgreSQL rebuilds a retyped column's indexes and constraints itself.
            if only_rebuildable && matches!(dep.kind, ObjectKind::Index | ObjectKind::Constraint) {
                continue;
            }
            // A child of a dropped table goes with it.
            if root_dropped
                && root.kind == ObjectKind::Table
                && a.get(dep).and_then(|i| i.parent.as_ref()) == Some(&root)
            {
                continue;
            }
            match (actions.get(dep), b.contains_key(dep)) {
                (Some(Action::Drop), _) | (Some(Action::Replace), _) => {}
                (_, true) => {
                    actions.insert(dep.clone(), Action::Replace);
                    alters.remove(dep);
                    why.entry(dep.clone()).or_insert_with(|| {
                        format!("it depends on {}", label(root.kind, &root.key))
                    });
                    queue.push((dep.clone(), false));
                }
                (_, false) => {
                    actions.insert(dep.clone(), Action::Drop);
                    queue.push((dep.clone(), false));
                }
            }
        }
    }

    // 3. Nodes.
    let dropped = |id: &ObjectRef, actions: &BTreeMap<ObjectRef, Action>| {
        matches!(actions.get(id), Some(Action::Drop | Action::Replace))
    };
    // An item whose parent (or grandparent) is dropped goes with it.
    let parent_dropped = |item: &Item<'_>, actions: &BTreeMap<ObjectRef, Action>| {
        let mut p = item.parent.clone();
        while let Some(pid) = p {
            if dropped(&pid, actions) {
                return true;
            }
            p = a.get(&pid).and_then(|i| i.parent.clone());
        }
        false
    };
    // A swapped enum is a new type: its privileges, owner and comment start afresh.
    let swapped: BTreeSet<ObjectRef> = swaps.iter().map(|(id, _)| id.clone()).collect();
    let parent_created = |item: &Item<'_>, actions: &BTreeMap<ObjectRef, Action>| {
        let mut p = item.parent.clone();
        while let Some(pid) = p {
            if matches!(actions.get(&pid), Some(Action::Create | Action::Replace))
                || swapped.contains(&pid)
            {
                return true;
            }
            p = b.get(&pid).and_then(|i| i.parent.clone());
        }
        false
    };
    // Grants and comments of an object that is created or recreated start from scratch.
    let mut extra: Vec<ObjectRef> = Vec::new();
    for (id, item) in b {
        if matches!(
            id.kind,
            ObjectKind::Grant | ObjectKind::Comment | ObjectKind::Rls | ObjectKind::Owner
        ) && !actions.contains_key(id)
            && !item.default_state
            && parent_created(item, &actions)
        {
            extra.push(id.clone());
        }
    }
    for id in extra {
        actions.insert(id, Action::Create);
    }

    let mut nodes: Vec<Node> = Vec::new();
    for (id, act) in &actions {
        let x = a.get(id);
        let y = b.get(id);
        let reason = why.get(id).map(|w| format!(" ({w})")).unwrap_or_default();
        let name = label(id.kind, &id.key);
        if matches!(act, Action::Drop | Action::Replace) {
            if let Some(x) = x {
                let skip = parent_dropped(x, &actions)
                    || (*act == Action::Replace && replaced_in_place(id.kind));
                if !skip {
                    let mut sql = generate::drop(x);
                    if *act == Action::Replace {
                        sql.hazards
                            .retain(|h| h.id != super::HazardId::UntrackedDependencies);
                    }
                    if !sql.statements.is_empty() {
                        nodes.push(Node {
                            id: id.clone(),
                            phase: Phase::Drop,
                            action: StepAction::Drop,
                            sql,
                            explanation: if *act == Action::Replace {
                                format!("drop {name} to create it again{reason}")
                            } else {
                                format!("drop {name}{reason}")
                            },
                            rank: rank(x),
                            after: Vec::new(),
                        });
                    }
                }
            }
        }
        if matches!(act, Action::Create | Action::Replace) {
            if let Some(y) = y {
                // A new table's columns and a new composite type's attributes are in its CREATE.
                if matches!(id.kind, ObjectKind::Column | ObjectKind::Attribute)
                    && parent_created(y, &actions)
                {
                    continue;
                }
                // Grants/comments of a recreated object start from the fresh object's state.
                let fresh = *act == Action::Create || parent_created(y, &actions);
                // A new object already has its default owner and privileges.
                if fresh && y.default_state && replaced_in_place(id.kind) {
                    continue;
                }
                let sql = match (x, fresh) {
                    (Some(x), false) if replaced_in_place(id.kind) => generate::alter(x, y)
                        .and_then(|mut v| v.pop())
                        .unwrap_or_else(|| generate::create(y)),
                    _ => generate::create(y),
                };
                if sql.statements.is_empty() {
                    continue;
                }
                nodes.push(Node {
                    id: id.clone(),
                    phase: Phase::Build,
                    action: StepAction::Create,
                    sql,
                    explanation: if *act == Action::Replace {
                        format!("create {name} again{reason}")
                    } else {
                        format!("create {name}")
                    },
                    rank: rank(y),
                    after: Vec::new(),
                });
                // A serial's sequence is owned by its column once the column exists.
                if let Obj::Sequence(s) = &y.obj {
                    if let Some(owner) = &s.owned_by {
                        nodes.push(owned_by_node(id, owner));
                    }
                }
            }
        }
        if *act == Action::Alter {
            if let (Some(x), Some(y)) = (x, y) {
                for sql in alters.get(id).cloned().unwrap_or_default() {
                    if sql.statements.is_empty() {
                        continue;
                    }
                    nodes.push(Node {
                        id: id.clone(),
                        phase: Phase::Build,
                        action: StepAction::Alter,
                        sql,
                        explanation: format!("alter {name}"),
                        rank: rank(y),
                        after: Vec::new(),
                    });
                }
                if let (Obj::Sequence(s1), Obj::Sequence(s2)) = (&x.obj, &y.obj) {
                    if let (Some(owner), true) = (&s2.owned_by, s1.owned_by != s2.owned_by) {
                        nodes.push(owned_by_node(id, owner));
                    }
                }
            }
        }
    }

    // Renamed columns: one RENAME each, before anything that uses the new name.
    for r in &known.renames {
        nodes.push(Node {
            id: ObjectRef {
                kind: ObjectKind::Column,
                key: r.declared_key(),
            },
            phase: Phase::Build,
            action: StepAction::Alter,
            sql: generate::column::rename(&r.table, &r.from, &r.to),
            explanation: format!(
                "rename column {} to {} (same type, default, position, constraints and comment)",
                r.live_key(),
                crate::sql::quote_ident(&r.to)
            ),
            rank: 8,
            after: Vec::new(),
        });
    }
    // The old enum goes once its columns have moved.
    for (id, columns) in &swaps {
        if let Some(Obj::Type(t)) = a.get(id).map(|i| &i.obj) {
            nodes.push(Node {
                id: id.clone(),
                phase: Phase::Build,
                action: StepAction::Alter,
                sql: generate::types::swap_end(t),
                explanation: format!("drop the old values of {}", label(id.kind, &id.key)),
                rank: 8,
                after: columns.clone(),
            });
        }
    }
    // A dropped column that may be a renamed one says so.
    for n in &mut nodes {
        if n.id.kind != ObjectKind::Column || n.phase != Phase::Drop {
            continue;
        }
        if let Some(m) = known.maybe_renames.iter().find(|m| m.column == n.id.key) {
            for h in &mut n.sql.hazards {
                if h.id == super::HazardId::DataLoss {
                    h.message = maybe_rename_note(m);
                }
            }
        }
    }

    // 4. Order: drops (dependents first), then builds (dependencies first).
    let mut edges_live: BTreeSet<(ObjectRef, ObjectRef)> =
        live.dependencies.iter().cloned().collect();
    for (id, item) in a {
        if let Some(p) = &item.parent {
            edges_live.insert((id.clone(), p.clone()));
        }
    }
    // A part dropped with its object (a foreign key with its table) still orders that object:
    // `DROP TABLE referenced` fails while the referencing table's key exists.
    let top = |id: &ObjectRef| {
        let mut id = id.clone();
        for _ in 0..8 {
            match a.get(&id).and_then(|i| i.parent.clone()) {
                Some(p) => id = p,
                None => break,
            }
        }
        id
    };
    let lifted: Vec<(ObjectRef, ObjectRef)> = live
        .dependencies
        .iter()
        // (A serial sequence's OWNED BY edge is left out below, lifted or not.)
        .filter(|(d, t)| !(d.kind == ObjectKind::Sequence && t.kind == ObjectKind::Column))
        .map(|(d, t)| (top(d), top(t)))
        .filter(|(d, t)| d != t)
        .collect();
    edges_live.extend(lifted);
    let mut edges_declared: BTreeSet<(ObjectRef, ObjectRef)> =
        declared.dependencies.iter().cloned().collect();
    for (id, item) in b {
        if let Some(p) = &item.parent {
            edges_declared.insert((id.clone(), p.clone()));
        }
    }
    // A serial sequence depends on its column only through OWNED BY, which is its own node.
    edges_declared
        .retain(|(f, t)| !(f.kind == ObjectKind::Sequence && t.kind == ObjectKind::Column));
    edges_live.retain(|(f, t)| !(f.kind == ObjectKind::Sequence && t.kind == ObjectKind::Column));

    let (drops, builds): (Vec<Node>, Vec<Node>) =
        nodes.into_iter().partition(|n| n.phase == Phase::Drop);
    let mut ordered = order(drops, &edges_live, true);
    ordered.extend(order(builds, &edges_declared, false));
    commit_where_used(&mut ordered);
    ordered
        .into_iter()
        .map(|n| Step {
            kind: n.id.kind,
            object: n.id.key,
            action: n.action,
            statements: n.sql.statements,
            transactional: n.sql.transactional,
            hazards: n.sql.hazards,
            explanation: n.explanation,
        })
        .collect()
}

/// What the planner knows beyond the two catalogs' items.
#[derive(Debug, Default)]
pub(super) struct Known {
    pub renames: Vec<Rename>,
    pub maybe_renames: Vec<MaybeRename>,
}

fn maybe_rename_note(m: &MaybeRename) -> String {
    let to = if m.to.is_empty() {
        "a new column".to_string()
    } else {
        crate::sql::quote_ident(&m.to)
    };
    format!(
        "the column and its values are deleted; if {to} is this column renamed, write ALTER TABLE … RENAME COLUMN instead (strata did not: {})",
        m.why_not
    )
}

/// The columns (of the live catalog) that use the enum `id`, each given its swap step; their
/// ids are returned so that their dependents leave and come back as for any retyped column.
fn swap_columns(
    live: &Catalog,
    declared: &Catalog,
    id: &ObjectRef,
    actions: &mut BTreeMap<ObjectRef, Action>,
    alters: &mut BTreeMap<ObjectRef, Vec<Sql>>,
) -> Vec<ObjectRef> {
    let array = format!("{}[]", id.key);
    let mut out = Vec::new();
    for (tkey, t) in &live.tables {
        let Some(dt) = declared.tables.get(tkey) else {
            continue;
        };
        for c in &t.columns {
            if c.data_type != id.key && c.data_type != array {
                continue;
            }
            let cid = ObjectRef {
                kind: ObjectKind::Column,
                key: format!("{tkey}.{}", crate::sql::quote_ident(&c.name)),
            };
            // A column changing anyway (or going) is handled by its own step.
            let Some(dc) = dt.column(&c.name) else {
                continue;
            };
            if actions.contains_key(&cid) || dc.data_type != c.data_type {
                continue;
            }
            actions.insert(cid.clone(), Action::Alter);
            alters.insert(
                cid.clone(),
                vec![generate::types::swap_column(
                    tkey,
                    &c.name,
                    &c.data_type,
                    c.default.as_deref(),
                    dc.default.as_deref(),
                )],
            );
            out.push(cid);
        }
    }
    out
}

/// A step whose result a later step needs committed (a new enum value used further down)
/// runs on its own, outside a transaction; otherwise it stays in the transaction.
fn commit_where_used(nodes: &mut [Node]) {
    for i in 0..nodes.len() {
        let Some(text) = nodes[i].sql.commit_before.clone() else {
            continue;
        };
        let used = nodes[i + 1..]
            .iter()
            .any(|n| n.sql.statements.iter().any(|s| s.contains(&text)));
        nodes[i].sql.transactional = !used;
        if !used {
            nodes[i]
                .sql
                .hazards
                .retain(|h| h.id != super::HazardId::NotTransactional);
        }
    }
}

fn owned_by_node(id: &ObjectRef, owner: &str) -> Node {
    // `schema.table.column`: the column's item id is the same text.
    Node {
        id: id.clone(),
        phase: Phase::Build,
        action: StepAction::Alter,
        sql: generate::sequence::owned_by(&id.key, owner),
        explanation: format!("attach sequence {} to column {owner}", id.key),
        rank: OWNED_BY_RANK,
        after: vec![ObjectRef {
            kind: ObjectKind::Column,
            key: owner.to_string(),
        }],
    }
}

/// Topological order with a kind rank as tie-breaker (Kahn's algorithm with a priority queue).
/// `edges` are (dependent, dependency). Drops put dependents first and higher ranks first;
/// builds put dependencies first and lower ranks first. A cycle is broken by rank.
fn order(nodes: Vec<Node>, edges: &BTreeSet<(ObjectRef, ObjectRef)>, drop: bool) -> Vec<Node> {
    let n = nodes.len();
    let mut by_id: HashMap<&ObjectRef, Vec<usize>> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        by_id.entry(&node.id).or_default().push(i);
    }
    let mut succ: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    let mut indeg = vec![0usize; n];
    let mut add = |first: usize, then: usize, succ: &mut Vec<BTreeSet<usize>>| {
        if first != then && succ[first].insert(then) {
            indeg[then] += 1;
        }
    };
    for (dependent, dependency) in edges {
        let (Some(ds), Some(ps)) = (by_id.get(dependent), by_id.get(dependency)) else {
            continue;
        };
        for &d in ds {
            for &p in ps {
                if drop {
                    add(d, p, &mut succ);
                } else {
                    add(p, d, &mut succ);
                }
            }
        }
    }
    for (i, node) in nodes.iter().enumerate() {
        for dep in &node.after {
            for &p in by_id.get(dep).map(|v| v.as_slice()).unwrap_or(&[]) {
                add(p, i, &mut succ);
            }
        }
    }
    // Several nodes of one object keep their relative order.
    for ids in by_id.values() {
        for w in ids.windows(2) {
            add(w[0], w[1], &mut succ);
        }
    }
    let key = |i: usize| {
        let r = nodes[i].rank;
        let r = if drop { u8::MAX - r } else { r };
        std::cmp::Reverse((r, i))
    };
    let mut heap: BinaryHeap<std::cmp::Reverse<(u8, usize)>> =
        (0..n).filter(|&i| indeg[i] == 0).map(key).collect();
    let mut done = vec![false; n];
    let mut out_idx = Vec::with_capacity(n);
    while out_idx.len() < n {
        let next = match heap.pop() {
            Some(std::cmp::Reverse((_, i))) => i,
            None => {
                // A cycle: take the best-ranked remaining node.
                match (0..n).filter(|&i| !done[i]).min_by_key(|&i| key(i).0) {
                    Some(i) => i,
                    None => break,
                }
            }
        };
        if done[next] {
            continue;
        }
        done[next] = true;
        out_idx.push(next);
        for &s in &succ[next] {
            indeg[s] = indeg[s].saturating_sub(1);
            if indeg[s] == 0 && !done[s] {
                heap.push(key(s));
            }
        }
    }
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    out_idx
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}
