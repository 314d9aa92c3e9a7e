//! Canonical items: every modelled object flattened into an [`Item`] with the statement that
//! creates it as PostgreSQL would print it. Two catalogs are compared item by item on
//! `Item::compare`, which is the DDL minus what is not compared (column order, owners).
//!
//! Owns: what an item is, its key, its parent, and what of it is compared. Must not: produce
//! change statements (the generators do) or order anything (the planner does).

use super::generate::default_privileges::{self, Defaults};
use super::generate::grant::{Privileges, FUNCTION_DEFAULTS, NO_DEFAULTS, TYPE_DEFAULTS};
use super::generate::owner::{self, Ownership};
use super::generate::{
    collation, column, comment, constraint, event_trigger, extension, function, grant, policy,
    publication, rls, rule, schema, security_label, sequence, statistics, table, trigger, types,
    view,
};
use crate::catalog::*;
use crate::sql::quote_ident;
use std::collections::{BTreeMap, BTreeSet};

/// What an item is, with a reference into the catalog it came from.
#[derive(Debug, Clone)]
pub enum Obj<'a> {
    Schema(&'a Schema),
    Extension(&'a Extension),
    Collation(&'a Collation),
    Type(&'a TypeDef),
    /// An attribute of the composite type keyed `type_key`.
    Attribute {
        type_key: &'a str,
        attribute: &'a Attribute,
    },
    /// A CHECK constraint of the domain keyed `domain`.
    DomainConstraint {
        domain: &'a str,
        constraint: &'a DomainConstraint,
    },
    Sequence(&'a Sequence),
    Table(&'a Table),
    Column(&'a Table, &'a Column),
    Constraint(&'a Table, &'a Constraint),
    Index(&'a Index),
    Statistics(&'a Statistics),
    View(&'a View),
    Rule(&'a Rule),
    Function(&'a Function),
    Trigger(&'a Trigger),
    EventTrigger(&'a EventTrigger),
    Rls(&'a Table),
    Policy(&'a Policy),
    Publication(&'a Publication),
    PublicationTable(&'a Publication, &'a PublicationTable),
    Owner(Ownership<'a>),
    /// Privileges of one object or column.
    Grant(Privileges<'a>),
    DefaultPrivileges(Defaults<'a>),
    SecurityLabel(&'a SecurityLabel),
    /// Comment on `target` (`TABLE public.t`, `CONSTRAINT c ON public.t`, …).
    Comment {
        target: String,
        text: &'a str,
    },
}

/// One comparable unit.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub id: ObjectRef,
    /// The object that owns this one (a column's table, a grant's object), if any.
    pub parent: Option<ObjectRef>,
    /// The statement(s) that create it, for display.
    pub ddl: String,
    /// What is compared when it is not `ddl` itself (see [`Item::compared`]): most items
    /// compare their DDL, and a copy of it would double the memory a large catalog takes.
    compare: Option<String>,
    /// The state an object has right after `CREATE` (RLS off, default privileges), or a part
    /// reported with its parent (columns, attributes, published tables): such an item is not
    /// reported when its parent is added or removed.
    pub default_state: bool,
    pub obj: Obj<'a>,
}

/// Items by id.
pub type Items<'a> = BTreeMap<ObjectRef, Item<'a>>;

impl Item<'_> {
    /// What is compared: the DDL minus what is not compared (column order, owners).
    pub fn compared(&self) -> &str {
        self.compare.as_deref().unwrap_or(&self.ddl)
    }

    /// Whether two items (of two catalogs) compare equal and sit in the same place: same id,
    /// parent and default state, same compared text.
    fn same(&self, other: &Item<'_>) -> bool {
        self.id == other.id
            && self.parent == other.parent
            && self.default_state == other.default_state
            && self.compared() == other.compared()
    }
}

/// Collects the items of one catalog, in the order they are added.
struct Builder<'a, 's> {
    out: Vec<Item<'a>>,
    cat: &'a Catalog,
    scope: &'s Scope,
    /// The role that read the catalog: what it owns is owned by default.
    current_role: &'a str,
}

fn r(kind: ObjectKind, key: &str) -> ObjectRef {
    ObjectRef {
        kind,
        key: key.to_string(),
    }
}

impl<'a, 's> Builder<'a, 's> {
    fn new(cat: &'a Catalog, scope: &'s Scope) -> Builder<'a, 's> {
        Builder {
            out: Vec::new(),
            cat,
            scope,
            current_role: &cat.current_role,
        }
    }

    fn add(
        &mut self,
        id: ObjectRef,
        parent: Option<ObjectRef>,
        ddl: String,
        compare: Option<String>,
        default_state: bool,
        obj: Obj<'a>,
    ) {
        // A compared text equal to the DDL is not kept twice.
        let compare = compare.filter(|c| *c != ddl);
        self.out.push(Item {
            id,
            parent,
            ddl,
            compare,
            default_state,
            obj,
        });
    }

    fn grants(&mut self, parent: ObjectRef, key: String, p: Privileges<'a>) {
        let ddl = grant::create_sql(&p);
        let default_state = grant::is_default(p.acl, p.default);
        self.add(
            r(ObjectKind::Grant, &key),
            Some(parent),
            ddl,
            None,
            default_state,
            Obj::Grant(p),
        );
    }

    /// The owner of the object `target` (`TABLE public.t`).
    fn owner(&mut self, parent: ObjectRef, target: String, role: &'a str) {
        let o = Ownership::new(target.clone(), role, self.current_role);
        let default_state = o.owner.is_none();
        self.add(
            r(ObjectKind::Owner, &target),
            Some(parent),
            owner::create_sql(&o),
            None,
            default_state,
            Obj::Owner(o),
        );
    }

    fn comment(&mut self, parent: ObjectRef, target: String, text: Option<&'a str>) {
        if let Some(text) = text {
            let ddl = comment::create_sql(&target, text);
            self.add(
                r(ObjectKind::Comment, &target),
                Some(parent),
                ddl,
                None,
                false,
                Obj::Comment { target, text },
            );
        }
    }
}

/// Objects that are compared when either side has them in scope: extensions (by their schema),
/// publications and event triggers (by what they touch).
#[derive(Debug, Default)]
pub struct Scope {
    pub extensions: BTreeSet<String>,
    pub publications: BTreeSet<String>,
    pub event_triggers: BTreeSet<String>,
}

impl Scope {
    pub fn of(live: &Catalog, declared: &Catalog) -> Scope {
        let mut s = Scope::default();
        for cat in [live, declared] {
            s.extensions.extend(
                cat.extensions
                    .iter()
                    .filter(|(_, e)| e.in_scope)
                    .map(|(k, _)| k.clone()),
            );
            s.publications.extend(
                cat.publications
                    .iter()
                    .filter(|(_, p)| p.in_scope)
                    .map(|(k, _)| k.clone()),
            );
            s.event_triggers.extend(
                cat.event_triggers
                    .iter()
                    .filter(|(_, e)| e.in_scope)
                    .map(|(k, _)| k.clone()),
            );
        }
        s
    }
}

/// Every section of a catalog with the function that flattens one of its objects, in the
/// order [`items`] adds them: `$each!(field, function)`.
macro_rules! sections {
    ($each:ident) => {
        $each!(schemas, schema_items);
        $each!(extensions, extension_items);
        $each!(collations, collation_items);
        $each!(types, type_items);
        $each!(sequences, sequence_items);
        $each!(tables, table_items);
        $each!(indexes, index_items);
        $each!(statistics, statistics_items);
        $each!(views, view_items);
        $each!(functions, function_items);
        $each!(rules, rule_items);
        $each!(triggers, trigger_items);
        $each!(event_triggers, event_trigger_items);
        $each!(publications, publication_items);
        $each!(default_privileges, default_privileges_items);
        $each!(security_labels, security_label_items);
        $each!(policies, policy_items);
    };
}

/// Flattens a catalog into comparable items.
pub fn items<'a>(cat: &'a Catalog, scope: &Scope) -> Items<'a> {
    let mut b = Builder::new(cat, scope);
    macro_rules! each {
        ($field:ident, $f:ident) => {
            for (key, x) in &cat.$field {
                $f(&mut b, key, x);
            }
        };
    }
    sections!(each);
    let mut map = BTreeMap::new();
    for item in b.out {
        map.insert(item.id.clone(), item);
    }
    map
}

/// Whether `live` and `declared` flatten into the same items: `true` means [`items`] of the two
/// add the same items (ids, parents, default states, compared texts) in the same order, so
/// their maps are equal item for item and there is nothing to report; `false` means they may
/// differ (the full comparison decides). It builds the items of one object of each side at a
/// time and keeps none, so a large schema that did not change costs no memory beyond its two
/// catalogs (issue 14).
///
/// An object equal in both models is not even flattened: its items are a function of the
/// object, its key, the shared `scope` and the reading role (checked equal here), and for an
/// index whether its relation is a view on that side (checked too), so equal inputs give equal
/// items.
pub fn same(live: &Catalog, declared: &Catalog, scope: &Scope) -> bool {
    let mut x = Builder::new(live, scope);
    let mut y = Builder::new(declared, scope);
    let same_role = live.current_role == declared.current_role;
    // What an object's items depend on besides the object, its key, the scope and the role.
    let context = |field: &str, key: &str| -> bool {
        field != "indexes"
            || live.indexes.get(key).is_some_and(|i| {
                live.views.contains_key(&i.table) == declared.views.contains_key(&i.table)
            })
    };
    macro_rules! each {
        ($field:ident, $f:ident) => {
            if live.$field.len() != declared.$field.len() {
                return false;
            }
            for ((kx, vx), (ky, vy)) in live.$field.iter().zip(&declared.$field) {
                if kx != ky {
                    return false;
                }
                if same_role && vx == vy && context(stringify!($field), kx) {
                    continue;
                }
                x.out.clear();
                y.out.clear();
                $f(&mut x, kx, vx);
                $f(&mut y, ky, vy);
                if x.out.len() != y.out.len() || x.out.iter().zip(&y.out).any(|(i, j)| !i.same(j)) {
                    return false;
                }
            }
        };
    }
    sections!(each);
    true
}

/// A schema (but `public`'s own row), its privileges, owner and comment.
fn schema_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, s: &'a Schema) {
    let me = r(ObjectKind::Schema, key);
    // `public` exists in every database: created by initdb, not by a migration.
    if s.name != "public" {
        b.add(
            me.clone(),
            None,
            schema::create_sql(key),
            None,
            false,
            Obj::Schema(s),
        );
    }
    b.grants(
        me.clone(),
        key.clone(),
        Privileges {
            object_type: "SCHEMA",
            target: key,
            column: None,
            acl: &s.acl,
            default: NO_DEFAULTS,
        },
    );
    b.owner(me.clone(), format!("SCHEMA {key}"), &s.owner);
    b.comment(me, format!("SCHEMA {key}"), s.comment.as_deref());
}

/// An extension in scope and the comment its control file sets.
fn extension_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, e: &'a Extension) {
    if !b.scope.extensions.contains(key) {
        return;
    }
    let me = r(ObjectKind::Extension, key);
    b.add(
        me.clone(),
        None,
        extension::create_sql(key, e),
        None,
        false,
        Obj::Extension(e),
    );
    // CREATE EXTENSION sets the comment of its control file: it comes and goes with it.
    if let Some(text) = e.comment.as_deref() {
        let target = format!("EXTENSION {key}");
        b.add(
            r(ObjectKind::Comment, &target),
            Some(me),
            comment::create_sql(&target, text),
            None,
            true,
            Obj::Comment { target, text },
        );
    }
}

/// A collation, its owner and comment.
fn collation_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, c: &'a Collation) {
    let me = r(ObjectKind::Collation, key);
    b.add(
        me.clone(),
        None,
        collation::create_sql(key, c),
        None,
        false,
        Obj::Collation(c),
    );
    b.owner(me.clone(), format!("COLLATION {key}"), &c.owner);
    b.comment(me, format!("COLLATION {key}"), c.comment.as_deref());
}

/// A sequence (not an identity's), its privileges, owner and comment.
fn sequence_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, s: &'a Sequence) {
    let me = r(ObjectKind::Sequence, key);
    b.add(
        me.clone(),
        None,
        sequence::create_sql(key, s),
        None,
        false,
        Obj::Sequence(s),
    );
    b.grants(
        me.clone(),
        key.clone(),
        Privileges {
            object_type: "SEQUENCE",
            target: key,
            column: None,
            acl: &s.acl,
            default: NO_DEFAULTS,
        },
    );
    // A serial's sequence belongs to its table's owner (ALTER TABLE … OWNER moves it).
    if s.owned_by.is_none() {
        b.owner(me.clone(), format!("SEQUENCE {key}"), &s.owner);
    }
    b.comment(me, format!("SEQUENCE {key}"), s.comment.as_deref());
}

/// An index (not a constraint's) and its comment.
fn index_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, i: &'a Index) {
    let me = r(ObjectKind::Index, key);
    let ddl = format!("{};", i.definition);
    let compare = if i.valid {
        ddl.clone()
    } else {
        format!("{ddl} -- INVALID")
    };
    let parent_kind = if b.cat.views.contains_key(&i.table) {
        ObjectKind::MaterializedView
    } else {
        ObjectKind::Table
    };
    b.add(
        me.clone(),
        Some(r(parent_kind, &i.table)),
        ddl,
        Some(compare),
        false,
        Obj::Index(i),
    );
    b.comment(me, format!("INDEX {key}"), i.comment.as_deref());
}

/// Extended statistics, their owner and comment.
fn statistics_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, s: &'a Statistics) {
    let me = r(ObjectKind::Statistics, key);
    b.add(
        me.clone(),
        Some(r(ObjectKind::Table, &s.table)),
        statistics::create_sql(key, s),
        None,
        false,
        Obj::Statistics(s),
    );
    b.owner(me.clone(), format!("STATISTICS {key}"), &s.owner);
    b.comment(me, format!("STATISTICS {key}"), s.comment.as_deref());
}

/// A view or materialized view, its privileges, owner and comments.
fn view_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, v: &'a View) {
    let kind = if v.materialized {
        ObjectKind::MaterializedView
    } else {
        ObjectKind::View
    };
    let me = r(kind, key);
    let ddl = view::create_sql(key, v, false);
    // The output columns' types are compared too: a view's text stays the same when a
    // column it selects changes type.
    let compare = format!("{ddl}\n-- columns: {:?}", v.columns);
    b.add(me.clone(), None, ddl, Some(compare), false, Obj::View(v));
    b.grants(
        me.clone(),
        key.clone(),
        Privileges {
            object_type: "TABLE",
            target: key,
            column: None,
            acl: &v.acl,
            default: NO_DEFAULTS,
        },
    );
    b.owner(me.clone(), format!("{} {key}", view::keyword(v)), &v.owner);
    b.comment(
        me.clone(),
        format!("{} {key}", view::keyword(v)),
        v.comment.as_deref(),
    );
    for (col, _) in &v.columns {
        let text = v.column_comments.get(col).map(String::as_str);
        b.comment(
            me.clone(),
            format!("COLUMN {key}.{}", quote_ident(col)),
            text,
        );
    }
}

/// A function or procedure, its privileges, owner and comment.
fn function_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, f: &'a Function) {
    let kind = if f.procedure {
        ObjectKind::Procedure
    } else {
        ObjectKind::Function
    };
    let me = r(kind, key);
    b.add(
        me.clone(),
        None,
        function::create_sql(f),
        None,
        false,
        Obj::Function(f),
    );
    let what = function::keyword(f);
    b.grants(
        me.clone(),
        key.clone(),
        Privileges {
            object_type: what,
            target: key,
            column: None,
            acl: &f.acl,
            default: FUNCTION_DEFAULTS,
        },
    );
    b.owner(me.clone(), format!("{what} {key}"), &f.owner);
    b.comment(me, format!("{what} {key}"), f.comment.as_deref());
}

/// A rewrite rule and its comment.
fn rule_items<'a>(b: &mut Builder<'a, '_>, key: &'a str, rl: &'a Rule) {
    let me = r(ObjectKind::Rule, key);
    b.add(
        me.clone(),
        Some(r(rl.relation_kind, &rl.relation)),
        rule::create_sql(rl),
        None,
        false,
        Obj::Rule(rl),
    );
    b.comment(
        me,
        format!("RULE {} ON {}", quote_ident(&rl.name), rl.relation),
        rl.comment.as_deref(),
    );
}

/// A trigger and its comment.
fn trigger_items<'a>(b: &mut Builder<'a, '_>, key: &'a str, t: &'a Trigger) {
    let me = r(ObjectKind::Trigger, key);
    b.add(
        me.clone(),
        Some(r(ObjectKind::Table, &t.table)),
        trigger::create_sql(t),
        None,
        false,
        Obj::Trigger(t),
    );
    b.comment(
        me,
        format!("TRIGGER {} ON {}", quote_ident(&t.name), t.table),
        t.comment.as_deref(),
    );
}

/// An event trigger in scope, its owner and comment.
fn event_trigger_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, e: &'a EventTrigger) {
    if !b.scope.event_triggers.contains(key) {
        return;
    }
    let me = r(ObjectKind::EventTrigger, key);
    b.add(
        me.clone(),
        None,
        event_trigger::create_sql(e),
        None,
        false,
        Obj::EventTrigger(e),
    );
    b.owner(me.clone(), format!("EVENT TRIGGER {key}"), &e.owner);
    b.comment(me, format!("EVENT TRIGGER {key}"), e.comment.as_deref());
}

/// A publication in scope, its tables, owner and comment.
fn publication_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, p: &'a Publication) {
    if !b.scope.publications.contains(key) {
        return;
    }
    let me = r(ObjectKind::Publication, key);
    b.add(
        me.clone(),
        None,
        publication::create_sql(p),
        None,
        false,
        Obj::Publication(p),
    );
    for (tkey, t) in &p.tables {
        b.add(
            r(ObjectKind::PublicationTable, &format!("{key}.{tkey}")),
            Some(me.clone()),
            publication::add_table_sql(p, t),
            None,
            true,
            Obj::PublicationTable(p, t),
        );
    }
    b.owner(me.clone(), format!("PUBLICATION {key}"), &p.owner);
    b.comment(me, format!("PUBLICATION {key}"), p.comment.as_deref());
}

/// One `ALTER DEFAULT PRIVILEGES` entry.
fn default_privileges_items<'a>(
    b: &mut Builder<'a, '_>,
    key: &'a String,
    d: &'a DefaultPrivileges,
) {
    let x = Defaults { key, entry: d };
    b.add(
        r(ObjectKind::DefaultPrivileges, key),
        None,
        default_privileges::create_sql(&x),
        None,
        default_privileges::is_builtin(d),
        Obj::DefaultPrivileges(x),
    );
}

/// One security label.
fn security_label_items<'a>(b: &mut Builder<'a, '_>, key: &'a str, l: &'a SecurityLabel) {
    b.add(
        r(ObjectKind::SecurityLabel, key),
        None,
        security_label::create_sql(l),
        None,
        false,
        Obj::SecurityLabel(l),
    );
}

/// A policy and its comment.
fn policy_items<'a>(b: &mut Builder<'a, '_>, key: &'a str, p: &'a Policy) {
    let me = r(ObjectKind::Policy, key);
    b.add(
        me.clone(),
        Some(r(ObjectKind::Table, &p.table)),
        policy::create_sql(p),
        None,
        false,
        Obj::Policy(p),
    );
    b.comment(
        me,
        format!("POLICY {} ON {}", quote_ident(&p.name), p.table),
        p.comment.as_deref(),
    );
}

/// A table, its columns (with their privileges and comments), constraints, RLS, privileges
/// and comment.
fn table_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, t: &'a Table) {
    let me = r(ObjectKind::Table, key);
    b.add(
        me.clone(),
        None,
        table::create_sql(t),
        Some(table::signature(t)),
        false,
        Obj::Table(t),
    );
    for c in &t.columns {
        let ckey = format!("{key}.{}", quote_ident(&c.name));
        let cme = r(ObjectKind::Column, &ckey);
        b.add(
            cme.clone(),
            Some(me.clone()),
            column::add_column_sql(t, c),
            None,
            true,
            Obj::Column(t, c),
        );
        if !c.acl.is_empty() {
            b.grants(
                cme.clone(),
                ckey.clone(),
                Privileges {
                    object_type: "TABLE",
                    target: key,
                    column: Some(&c.name),
                    acl: &c.acl,
                    default: NO_DEFAULTS,
                },
            );
        }
        b.comment(cme, format!("COLUMN {ckey}"), c.comment.as_deref());
    }
    for c in t.constraints.values() {
        let ckey = format!("{key}.{}", quote_ident(&c.name));
        let cme = r(ObjectKind::Constraint, &ckey);
        b.add(
            cme.clone(),
            Some(me.clone()),
            constraint::create_sql(t, c),
            None,
            false,
            Obj::Constraint(t, c),
        );
        b.comment(
            cme,
            format!("CONSTRAINT {} ON {key}", quote_ident(&c.name)),
            c.comment.as_deref(),
        );
    }
    b.add(
        r(ObjectKind::Rls, key),
        Some(me.clone()),
        rls::create_sql(t),
        None,
        !t.rls_enabled && !t.rls_forced,
        Obj::Rls(t),
    );
    b.grants(
        me.clone(),
        key.clone(),
        Privileges {
            object_type: "TABLE",
            target: key,
            column: None,
            acl: &t.acl,
            default: NO_DEFAULTS,
        },
    );
    b.owner(me.clone(), format!("TABLE {key}"), &t.owner);
    b.comment(me, format!("TABLE {key}"), t.comment.as_deref());
}

/// A type, its attributes (composite) or constraints (domain), privileges, owner, comment.
fn type_items<'a>(b: &mut Builder<'a, '_>, key: &'a String, t: &'a TypeDef) {
    let me = r(ObjectKind::Type, key);
    let what = types::keyword(t);
    b.add(
        me.clone(),
        None,
        types::create_sql(key, t),
        Some(types::signature(key, t)),
        false,
        Obj::Type(t),
    );
    for a in &t.attributes {
        let akey = format!("{key}.{}", quote_ident(&a.name));
        let ame = r(ObjectKind::Attribute, &akey);
        b.add(
            ame.clone(),
            Some(me.clone()),
            types::add_attribute_sql(key, a),
            None,
            true,
            Obj::Attribute {
                type_key: key,
                attribute: a,
            },
        );
        b.comment(ame, format!("COLUMN {akey}"), a.comment.as_deref());
    }
    for c in &t.constraints {
        let ckey = format!("{key}.{}", quote_ident(&c.name));
        let cme = r(ObjectKind::Constraint, &ckey);
        b.add(
            cme.clone(),
            Some(me.clone()),
            types::add_constraint_sql(key, c),
            None,
            false,
            Obj::DomainConstraint {
                domain: key,
                constraint: c,
            },
        );
        b.comment(
            cme,
            format!("CONSTRAINT {} ON DOMAIN {key}", quote_ident(&c.name)),
            c.comment.as_deref(),
        );
    }
    b.grants(
        me.clone(),
        key.clone(),
        Privileges {
            object_type: what,
            target: key,
            column: None,
            acl: &t.acl,
            default: TYPE_DEFAULTS,
        },
    );
    b.owner(me.clone(), format!("{what} {key}"), &t.owner);
    b.comment(me, format!("{what} {key}"), t.comment.as_deref());
}
