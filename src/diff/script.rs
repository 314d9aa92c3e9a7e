//! The fix script: per-item actions (prefer ALTER, else drop + create), the dependents that
//! must leave and come back, and the order.

use super::ddl::{self, Item, Obj};
use super::{Hazard, HazardId};
use crate::catalog::{
    Catalog, ConstraintKind, Grant, ObjectKind, ObjectRef, Table, TypeKind, View,
};
use crate::sql::{quote_ident, quote_literal};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

/// One step of the script: statements that change one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: ObjectKind,
    pub object: String,
    /// `create`, `drop` or `alter`.
    pub action: String,
    pub statements: Vec<String>,
    /// False for a step that must run outside a transaction block (its own commit).
    pub transactional: bool,
    pub hazards: Vec<Hazard>,
    /// One line: what the step does and why.
    pub explanation: String,
}

type Items<'a> = BTreeMap<ObjectRef, Item<'a>>;

/// Statements, their hazards, and whether they may run in a transaction.
type AlterNode = (Vec<String>, Vec<Hazard>, bool);

/// The steps that turn `live` into `declared`, in an order PostgreSQL accepts.
pub fn script(live: &Catalog, declared: &Catalog) -> Vec<Step> {
    let a = ddl::items(live);
    let b = ddl::items(declared);
    plan(live, declared, &a, &b)
}

/// The script as SQL text: `-- hazard:` comments before each step's statements. Starts with
/// `-- strata:no-transaction` when a step cannot run in a transaction, so the text can be saved
/// as a migration as it is.
pub fn render_script(steps: &[Step]) -> String {
    let mut out = String::new();
    if steps.iter().any(|s| !s.transactional) {
        out.push_str("-- strata:no-transaction\n");
    }
    out.push_str(&format!(
        "-- strata diff: {} step(s) that turn the live database into the declared state\n",
        steps.len()
    ));
    if steps.iter().any(|s| {
        matches!(s.kind, ObjectKind::Function | ObjectKind::Procedure) && s.action != "drop"
    }) {
        out.push_str("SET check_function_bodies = off;\n");
    }
    for s in steps {
        out.push_str(&format!("\n-- {}\n", s.explanation));
        for h in &s.hazards {
            out.push_str(&format!("-- hazard: {}: {}\n", h.id, h.message));
        }
        for st in &s.statements {
            out.push_str(st);
            out.push('\n');
        }
    }
    out
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
    action: &'static str,
    statements: Vec<String>,
    transactional: bool,
    hazards: Vec<Hazard>,
    explanation: String,
    rank: u8,
    after: Vec<ObjectRef>,
}

fn rank(item: &Item<'_>) -> u8 {
    match item.id.kind {
        ObjectKind::Schema => 0,
        ObjectKind::Extension => 1,
        ObjectKind::Type => 2,
        ObjectKind::Sequence => 3,
        ObjectKind::Function | ObjectKind::Procedure => 4,
        ObjectKind::Table => 5,
        ObjectKind::Column => 6,
        ObjectKind::Constraint => match &item.obj {
            Obj::Constraint(_, c) if c.kind == ConstraintKind::ForeignKey => 9,
            _ => 8,
        },
        ObjectKind::Index => 10,
        ObjectKind::View => 11,
        ObjectKind::MaterializedView => 12,
        ObjectKind::Trigger => 13,
        ObjectKind::Rls => 14,
        ObjectKind::Policy => 15,
        ObjectKind::Grant => 16,
        ObjectKind::Comment => 17,
    }
}

fn h(id: HazardId, msg: &str) -> Hazard {
    Hazard::new(id, msg)
}

fn authz(msg: &str) -> Hazard {
    h(HazardId::AuthzChange, msg)
}

// ---------------------------------------------------------------------------------------------
// Statements per item

fn drop_sql(item: &Item<'_>) -> (Vec<String>, Vec<Hazard>) {
    let k = &item.id.key;
    match &item.obj {
        Obj::Schema(_) => (vec![format!("DROP SCHEMA {k};")], vec![]),
        Obj::Extension(_) => (
            vec![format!("DROP EXTENSION {k};")],
            vec![h(
                HazardId::DataLoss,
                "objects of the extension (and columns of its types) go with it",
            )],
        ),
        Obj::Type(t) => (
            vec![format!(
                "DROP {} {k};",
                if t.kind == TypeKind::Domain {
                    "DOMAIN"
                } else {
                    "TYPE"
                }
            )],
            vec![],
        ),
        Obj::Sequence(_) => (
            vec![format!("DROP SEQUENCE IF EXISTS {k};")],
            vec![h(HazardId::DataLoss, "the sequence's current value is lost")],
        ),
        Obj::Table(_) => (
            vec![format!("DROP TABLE {k};")],
            vec![h(HazardId::DataLoss, "the table and all its rows are deleted")],
        ),
        Obj::Column(t, c) => (
            vec![format!(
                "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
                ddl::qualified(&t.schema, &t.name),
                quote_ident(&c.name)
            )],
            vec![h(
                HazardId::DataLoss,
                "the column and its values are deleted",
            )],
        ),
        Obj::Constraint(t, c) => (
            vec![format!(
                "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
                ddl::qualified(&t.schema, &t.name),
                quote_ident(&c.name)
            )],
            vec![],
        ),
        Obj::Index(_) => (
            vec![format!("DROP INDEX IF EXISTS {k};")],
            vec![h(
                HazardId::IndexDropped,
                "queries that used this index may get slower",
            )],
        ),
        Obj::View(v) => (
            vec![format!(
                "DROP {}VIEW IF EXISTS {k};",
                if v.materialized { "MATERIALIZED " } else { "" }
            )],
            vec![],
        ),
        Obj::Function(f) => {
            let mut hz = Vec::new();
            if !f.sql_body {
                hz.push(h(
                    HazardId::UntrackedDependencies,
                    "function bodies that call it are not tracked by PostgreSQL and break at run time",
                ));
            }
            (
                vec![format!(
                    "DROP {} IF EXISTS {k};",
                    if f.procedure { "PROCEDURE" } else { "FUNCTION" }
                )],
                hz,
            )
        }
        Obj::Trigger(t) => (
            vec![format!(
                "DROP TRIGGER IF EXISTS {} ON {};",
                quote_ident(&t.name),
                t.table
            )],
            vec![],
        ),
        Obj::Rls(t) => {
            let off = Table {
                rls_enabled: false,
                rls_forced: false,
                ..(*t).clone()
            };
            (rls_change(t, &off), vec![])
        }
        Obj::Policy(p) => (
            vec![format!(
                "DROP POLICY IF EXISTS {} ON {};",
                quote_ident(&p.name),
                p.table
            )],
            vec![authz(
                "dropping a permissive policy takes access away; dropping a restrictive one widens it",
            )],
        ),
        Obj::Grant {
            object_type,
            target,
            column,
            acl,
            default,
        } => (
            grant_changes(object_type, target, *column, acl, &ddl::default_acl(default)),
            vec![authz("privileges are revoked")],
        ),
        Obj::Comment { ref target, .. } => (vec![format!("COMMENT ON {target} IS NULL;")], vec![]),
    }
}

/// Statements that create `item` from nothing (a grant: from the privileges a new object has).
fn create_sql(item: &Item<'_>) -> (Vec<String>, Vec<Hazard>) {
    match &item.obj {
        Obj::Column(t, c) => {
            let mut hz = Vec::new();
            if c.not_null && c.default.is_none() && c.identity.is_none() && c.generated.is_none() {
                hz.push(h(
                    HazardId::MayFail,
                    "NOT NULL without a default fails if the table has rows; add a default or backfill first",
                ));
            }
            if c.generated.is_some() || c.identity.is_some() {
                hz.push(h(
                    HazardId::TableRewrite,
                    "every row gets a computed value: the table is rewritten under an exclusive lock",
                ));
            }
            (vec![ddl::add_column(t, c)], hz)
        }
        Obj::Constraint(t, c) => {
            let hz = match c.kind {
                ConstraintKind::ForeignKey | ConstraintKind::Check if c.validated => vec![h(
                    HazardId::LongLock,
                    "existing rows are checked while writes are blocked; on a big table add it NOT VALID, then VALIDATE CONSTRAINT",
                ), h(HazardId::MayFail, "fails if existing rows violate it")],
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => {
                    vec![h(
                        HazardId::IndexBuild,
                        "builds an index while writes are blocked; on a big table build a unique index CONCURRENTLY and add the constraint USING INDEX",
                    ), h(HazardId::MayFail, "fails if existing rows violate it")]
                }
                _ => vec![],
            };
            (vec![ddl::add_constraint(t, c)], hz)
        }
        Obj::Index(_) => (
            vec![item.ddl.clone()],
            vec![h(
                HazardId::IndexBuild,
                "CREATE INDEX blocks writes to the table while it builds; on a big table use CREATE INDEX CONCURRENTLY in a no-transaction migration",
            )],
        ),
        Obj::View(v) if v.materialized => (
            vec![item.ddl.clone()],
            vec![h(
                HazardId::LongLock,
                "the materialized view's query runs to populate it",
            )],
        ),
        Obj::Rls(t) => {
            let off = Table {
                rls_enabled: false,
                rls_forced: false,
                ..(*t).clone()
            };
            (
                rls_change(&off, t),
                vec![authz("row-level security changes who sees which rows")],
            )
        }
        Obj::Policy(_) => (
            vec![item.ddl.clone()],
            vec![authz(
                "a permissive policy can let roles see or change more rows; a restrictive one can make queries fail",
            )],
        ),
        Obj::Grant {
            object_type,
            target,
            column,
            acl,
            default,
        } => (
            grant_changes(object_type, target, *column, &ddl::default_acl(default), acl),
            vec![authz("privileges change")],
        ),
        Obj::Table(t) => {
            let mut stmts = vec![ddl::create_table(t)];
            if t.partition_of.is_some() {
                // A partition's own columns are declared by ALTER after PARTITION OF.
                for c in &t.columns {
                    stmts.push(ddl::add_column(t, c));
                }
            }
            (stmts, vec![])
        }
        Obj::Sequence(s) => (
            vec![format!(
                "CREATE SEQUENCE {} {};",
                item.id.key,
                ddl::sequence_options(s)
            )],
            vec![],
        ),
        _ => (vec![item.ddl.clone()], vec![]),
    }
}

fn rls_change(from: &Table, to: &Table) -> Vec<String> {
    let key = ddl::qualified(&to.schema, &to.name);
    let mut out = Vec::new();
    if from.rls_enabled != to.rls_enabled {
        out.push(format!(
            "ALTER TABLE {key} {} ROW LEVEL SECURITY;",
            if to.rls_enabled { "ENABLE" } else { "DISABLE" }
        ));
    }
    if from.rls_forced != to.rls_forced {
        out.push(format!(
            "ALTER TABLE {key} {} ROW LEVEL SECURITY;",
            if to.rls_forced { "FORCE" } else { "NO FORCE" }
        ));
    }
    out
}

/// REVOKE/GRANT statements from one privilege list to another (owner entries are never
/// scripted: owners are not compared).
pub(crate) fn grant_changes(
    object_type: &str,
    target: &str,
    column: Option<&str>,
    from: &[Grant],
    to: &[Grant],
) -> Vec<String> {
    let key = |g: &Grant| (g.grantee.clone(), g.privilege.clone());
    let from_map: BTreeMap<_, bool> = from
        .iter()
        .filter(|g| g.grantee != "(owner)")
        .map(|g| (key(g), g.grantable))
        .collect();
    let to_map: BTreeMap<_, bool> = to
        .iter()
        .filter(|g| g.grantee != "(owner)")
        .map(|g| (key(g), g.grantable))
        .collect();
    let mut out = Vec::new();
    for ((grantee, privilege), grantable) in &from_map {
        let g = Grant {
            grantee: grantee.clone(),
            privilege: privilege.clone(),
            grantable: *grantable,
        };
        match to_map.get(&(grantee.clone(), privilege.clone())) {
            None => out.push(ddl::grant_sql(object_type, target, column, &g, true)),
            Some(false) if *grantable => {
                let s = ddl::grant_sql(object_type, target, column, &g, true);
                out.push(s.replacen("REVOKE ", "REVOKE GRANT OPTION FOR ", 1));
            }
            _ => {}
        }
    }
    for ((grantee, privilege), grantable) in &to_map {
        let before = from_map.get(&(grantee.clone(), privilege.clone()));
        if before.is_none() || (*grantable && before == Some(&false)) {
            let g = Grant {
                grantee: grantee.clone(),
                privilege: privilege.clone(),
                grantable: *grantable,
            };
            out.push(ddl::grant_sql(object_type, target, column, &g, false));
        }
    }
    out
}

/// In-place change from `x` to `y` (same id), or None when the object must be dropped and
/// created again. Several alternatives can be returned as separate nodes (enum values).
fn alter_sql(x: &Item<'_>, y: &Item<'_>) -> Option<Vec<AlterNode>> {
    let k = &y.id.key;
    let one = |s: Vec<String>, hz: Vec<Hazard>| Some(vec![(s, hz, true)]);
    match (&x.obj, &y.obj) {
        (Obj::Extension(_), Obj::Extension(e)) => one(
            vec![format!(
                "ALTER EXTENSION {k} SET SCHEMA {};",
                quote_ident(&e.schema)
            )],
            vec![],
        ),
        (Obj::Type(a), Obj::Type(b)) if a.kind == TypeKind::Enum && b.kind == TypeKind::Enum => {
            // Only additions that keep the existing order can be made in place.
            let kept: Vec<&String> = b.labels.iter().filter(|l| a.labels.contains(l)).collect();
            if kept.len() != a.labels.len() || kept.iter().zip(&a.labels).any(|(p, q)| *p != q) {
                return None;
            }
            let mut nodes = Vec::new();
            for (i, l) in b.labels.iter().enumerate() {
                if a.labels.contains(l) {
                    continue;
                }
                let position = match i.checked_sub(1).and_then(|j| b.labels.get(j)) {
                    Some(prev) => format!(" AFTER {}", quote_literal(prev)),
                    None => match b.labels.get(i + 1) {
                        Some(next) => format!(" BEFORE {}", quote_literal(next)),
                        None => String::new(),
                    },
                };
                nodes.push((
                    vec![format!(
                        "ALTER TYPE {k} ADD VALUE IF NOT EXISTS {}{position};",
                        quote_literal(l)
                    )],
                    vec![h(
                        HazardId::NotTransactional,
                        "the new value cannot be used in the same transaction that adds it: this step commits on its own",
                    )],
                    false,
                ));
            }
            Some(nodes)
        }
        (Obj::Sequence(a), Obj::Sequence(b)) => {
            let mut s = Vec::new();
            if ddl::sequence_options(a) != ddl::sequence_options(b) {
                s.push(format!("ALTER SEQUENCE {k} {};", ddl::sequence_options(b)));
            }
            if a.owned_by != b.owned_by && b.owned_by.is_none() {
                s.push(format!("ALTER SEQUENCE {k} OWNED BY NONE;"));
            }
            one(s, vec![])
        }
        (Obj::Table(a), Obj::Table(b)) => {
            if a.partition_of != b.partition_of
                || a.partition_bound != b.partition_bound
                || a.partition_key != b.partition_key
                || a.inherits != b.inherits
            {
                return None;
            }
            let mut s = Vec::new();
            let mut hz = Vec::new();
            if a.unlogged != b.unlogged {
                s.push(format!(
                    "ALTER TABLE {k} SET {};",
                    if b.unlogged { "UNLOGGED" } else { "LOGGED" }
                ));
                hz.push(h(
                    HazardId::TableRewrite,
                    "changing persistence rewrites the table under an exclusive lock",
                ));
            }
            if a.options != b.options {
                let gone: Vec<&str> = a
                    .options
                    .iter()
                    .filter(|o| !b.options.contains(o))
                    .filter_map(|o| o.split('=').next())
                    .collect();
                if !gone.is_empty() {
                    s.push(format!("ALTER TABLE {k} RESET ({});", gone.join(", ")));
                }
                if !b.options.is_empty() {
                    s.push(format!("ALTER TABLE {k} SET ({});", b.options.join(", ")));
                }
            }
            one(s, hz)
        }
        (Obj::Column(_, a), Obj::Column(t, b)) => {
            let tk = ddl::qualified(&t.schema, &t.name);
            let col = quote_ident(&b.name);
            let pre = format!("ALTER TABLE {tk} ALTER COLUMN {col}");
            if a.generated != b.generated {
                return None;
            }
            let mut s = Vec::new();
            let mut hz = Vec::new();
            if a.identity.is_some() && b.identity.is_none() {
                s.push(format!("{pre} DROP IDENTITY IF EXISTS;"));
            }
            let type_changes = a.data_type != b.data_type || a.collation != b.collation;
            if a.default.is_some() && (a.default != b.default || type_changes) {
                s.push(format!("{pre} DROP DEFAULT;"));
            }
            if type_changes {
                let coll = b
                    .collation
                    .as_ref()
                    .map(|c| format!(" COLLATE {c}"))
                    .unwrap_or_default();
                s.push(format!(
                    "{pre} TYPE {}{coll} USING {col}::{};",
                    b.data_type, b.data_type
                ));
                hz.push(h(
                    HazardId::TableRewrite,
                    "changing a column's type usually rewrites the table and its indexes under an exclusive lock",
                ));
                hz.push(h(
                    HazardId::MayFail,
                    "fails if an existing value cannot be converted",
                ));
            }
            if b.default.is_some() && (a.default != b.default || type_changes) {
                s.push(format!(
                    "{pre} SET DEFAULT {};",
                    b.default.as_deref().unwrap_or("NULL")
                ));
            }
            if a.not_null && !b.not_null {
                s.push(format!("{pre} DROP NOT NULL;"));
            } else if !a.not_null && b.not_null {
                s.push(format!("{pre} SET NOT NULL;"));
                hz.push(h(
                    HazardId::LongLock,
                    "SET NOT NULL scans the whole table under an exclusive lock; add a CHECK (col IS NOT NULL) NOT VALID and validate it first",
                ));
                hz.push(h(HazardId::MayFail, "fails if the column holds NULLs"));
            }
            match (&a.identity, &b.identity) {
                (None, Some(i)) => s.push(format!(
                    "{pre} ADD GENERATED {} AS IDENTITY;",
                    i.to_ascii_uppercase()
                )),
                (Some(i), Some(j)) if i != j => {
                    s.push(format!("{pre} SET GENERATED {};", j.to_ascii_uppercase()))
                }
                _ => {}
            }
            one(s, hz)
        }
        (Obj::Constraint(_, a), Obj::Constraint(t, b)) => {
            let a_def = a.definition.trim_end_matches(" NOT VALID");
            if a_def == b.definition && !a.validated && b.validated {
                return one(
                    vec![format!(
                        "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                        ddl::qualified(&t.schema, &t.name),
                        quote_ident(&b.name)
                    )],
                    vec![h(HazardId::MayFail, "fails if existing rows violate it")],
                );
            }
            None
        }
        (Obj::View(a), Obj::View(b)) if !a.materialized && !b.materialized => {
            let prefix = a.columns.len() <= b.columns.len()
                && a.columns.iter().zip(&b.columns).all(|(p, q)| p == q);
            if !prefix {
                return None;
            }
            let mut s = Vec::new();
            if a.definition != b.definition {
                let plain = View {
                    options: a.options.clone(),
                    ..(*b).clone()
                };
                s.push(ddl::create_view(k, &plain, true));
            }
            if a.options != b.options {
                let gone: Vec<&str> = a
                    .options
                    .iter()
                    .filter(|o| !b.options.contains(o))
                    .filter_map(|o| o.split('=').next())
                    .collect();
                if !gone.is_empty() {
                    s.push(format!("ALTER VIEW {k} RESET ({});", gone.join(", ")));
                }
                if !b.options.is_empty() {
                    s.push(format!("ALTER VIEW {k} SET ({});", b.options.join(", ")));
                }
            }
            let hz = if a.options != b.options {
                vec![authz(
                    "view options such as security_invoker decide whose row-level security applies",
                )]
            } else {
                vec![]
            };
            one(s, hz)
        }
        (Obj::Function(a), Obj::Function(b)) => {
            if a.arguments != b.arguments || a.result != b.result || a.procedure != b.procedure {
                return None;
            }
            let mut hz = Vec::new();
            if a.security_definer != b.security_definer {
                hz.push(authz(
                    "SECURITY DEFINER changes whose privileges the function runs with",
                ));
            }
            one(vec![ddl::function_def(b)], hz)
        }
        (Obj::Trigger(a), Obj::Trigger(b)) => {
            if a.definition != b.definition {
                return None;
            }
            let stmt = match ddl::trigger_enable_sql(b) {
                Some(s) => s,
                None => format!(
                    "ALTER TABLE {} ENABLE TRIGGER {};",
                    b.table,
                    quote_ident(&b.name)
                ),
            };
            one(vec![stmt], vec![])
        }
        (Obj::Rls(a), Obj::Rls(b)) => one(
            rls_change(a, b),
            vec![authz(if b.rls_enabled && !a.rls_enabled {
                "enabling row-level security hides every row no policy allows"
            } else {
                "disabling row-level security lets every role with table privileges see all rows"
            })],
        ),
        (Obj::Policy(a), Obj::Policy(b)) => {
            if a.command != b.command
                || a.permissive != b.permissive
                || (a.using.is_some() && b.using.is_none())
                || (a.check.is_some() && b.check.is_none())
            {
                return None;
            }
            let mut s = format!(
                "ALTER POLICY {} ON {} TO {}",
                quote_ident(&b.name),
                b.table,
                b.roles.join(", ")
            );
            if let Some(u) = &b.using {
                s.push_str(&format!("\n    USING ({u})"));
            }
            if let Some(c) = &b.check {
                s.push_str(&format!("\n    WITH CHECK ({c})"));
            }
            s.push(';');
            one(
                vec![s],
                vec![authz(
                    "the policy's roles or expressions change which rows are visible or writable",
                )],
            )
        }
        (
            Obj::Grant { acl: from, .. },
            Obj::Grant {
                object_type,
                target,
                column,
                acl: to,
                ..
            },
        ) => one(
            grant_changes(object_type, target, *column, from, to),
            vec![authz("privileges change")],
        ),
        (Obj::Comment { .. }, Obj::Comment { ref target, text }) => one(
            vec![format!("COMMENT ON {target} IS {};", quote_literal(text))],
            vec![],
        ),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Planning

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Drop,
    Alter,
    /// Drop, then create (the object changed in a way ALTER cannot express, or something it
    /// depends on is dropped or retyped).
    Replace,
}

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
) -> Vec<Step> {
    // 1. What happens to each differing item.
    let mut actions: BTreeMap<ObjectRef, Action> = BTreeMap::new();
    let mut alters: BTreeMap<ObjectRef, Vec<AlterNode>> = BTreeMap::new();
    let mut why: BTreeMap<ObjectRef, String> = BTreeMap::new();
    let mut retyped: Vec<ObjectRef> = Vec::new();
    let ids: BTreeSet<&ObjectRef> = a.keys().chain(b.keys()).collect();
    for id in ids {
        match (a.get(id), b.get(id)) {
            (Some(x), Some(y)) if x.compare == y.compare => {}
            (Some(x), Some(y)) => match alter_sql(x, y) {
                Some(nodes) => {
                    if let (Obj::Column(_, c1), Obj::Column(_, c2)) = (&x.obj, &y.obj) {
                        if c1.data_type != c2.data_type || c1.collation != c2.collation {
                            retyped.push(id.clone());
                        }
                    }
                    actions.insert(id.clone(), Action::Alter);
                    alters.insert(id.clone(), nodes);
                }
                None => {
                    actions.insert(id.clone(), Action::Replace);
                }
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
    let parent_created = |item: &Item<'_>, actions: &BTreeMap<ObjectRef, Action>| {
        let mut p = item.parent.clone();
        while let Some(pid) = p {
            if matches!(actions.get(&pid), Some(Action::Create | Action::Replace)) {
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
            ObjectKind::Grant | ObjectKind::Comment | ObjectKind::Rls
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
                    || (*act == Action::Replace
                        && matches!(id.kind, ObjectKind::Grant | ObjectKind::Comment));
                if !skip {
                    let (statements, mut hazards) = drop_sql(x);
                    if *act == Action::Replace {
                        hazards.retain(|h| h.id != HazardId::UntrackedDependencies);
                    }
                    if !statements.is_empty() {
                        nodes.push(Node {
                            id: id.clone(),
                            phase: Phase::Drop,
                            action: "drop",
                            statements,
                            transactional: true,
                            hazards,
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
                if id.kind == ObjectKind::Column && parent_created(y, &actions) {
                    continue;
                }
                // Grants/comments of a recreated object start from the fresh object's state.
                let fresh = *act == Action::Create || parent_created(y, &actions);
                let (statements, hazards) = match (x, fresh) {
                    (Some(x), false)
                        if matches!(id.kind, ObjectKind::Grant | ObjectKind::Comment) =>
                    {
                        alter_sql(x, y)
                            .and_then(|mut v| v.pop())
                            .map(|(s, hz, _)| (s, hz))
                            .unwrap_or_else(|| create_sql(y))
                    }
                    _ => create_sql(y),
                };
                if statements.is_empty() {
                    continue;
                }
                nodes.push(Node {
                    id: id.clone(),
                    phase: Phase::Build,
                    action: "create",
                    statements,
                    transactional: true,
                    hazards,
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
                for (statements, hazards, transactional) in
                    alters.get(id).cloned().unwrap_or_default()
                {
                    if statements.is_empty() {
                        continue;
                    }
                    nodes.push(Node {
                        id: id.clone(),
                        phase: Phase::Build,
                        action: "alter",
                        statements,
                        transactional,
                        hazards,
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

    // 4. Order: drops (dependents first), then builds (dependencies first).
    let mut edges_live: BTreeSet<(ObjectRef, ObjectRef)> =
        live.dependencies.iter().cloned().collect();
    for (id, item) in a {
        if let Some(p) = &item.parent {
            edges_live.insert((id.clone(), p.clone()));
        }
    }
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
    ordered
        .into_iter()
        .map(|n| Step {
            kind: n.id.kind,
            object: n.id.key,
            action: n.action.to_string(),
            statements: n.statements,
            transactional: n.transactional,
            hazards: n.hazards,
            explanation: n.explanation,
        })
        .collect()
}

fn owned_by_node(id: &ObjectRef, owner: &str) -> Node {
    // `schema.table.column`: the column's item id is the same text.
    Node {
        id: id.clone(),
        phase: Phase::Build,
        action: "alter",
        statements: vec![format!("ALTER SEQUENCE {} OWNED BY {owner};", id.key)],
        transactional: true,
        hazards: vec![],
        explanation: format!("attach sequence {} to column {owner}", id.key),
        rank: 7,
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
    // before[i]: nodes that must come before node i.
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
