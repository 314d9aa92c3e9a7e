//! Canonical items: every modelled object flattened into an [`Item`] with the statement that
//! creates it as PostgreSQL would print it. Two catalogs are compared item by item on
//! `Item::compare`, which is the DDL minus what is not compared (column order, owners).
//!
//! Owns: what an item is, its key, its parent, and what of it is compared. Must not: produce
//! change statements (the generators do) or order anything (the planner does).

use super::generate::grant::{Privileges, FUNCTION_DEFAULTS, NO_DEFAULTS};
use super::generate::{
    comment, constraint, extension, function, grant, policy, rls, schema, sequence, table, trigger,
    types, view,
};
use crate::catalog::*;
use crate::sql::quote_ident;
use std::collections::BTreeMap;

/// What an item is, with a reference into the catalog it came from.
#[derive(Debug, Clone)]
pub enum Obj<'a> {
    Schema(&'a Schema),
    Extension(&'a Extension),
    Type(&'a TypeDef),
    Sequence(&'a Sequence),
    Table(&'a Table),
    Column(&'a Table, &'a Column),
    Constraint(&'a Table, &'a Constraint),
    Index(&'a Index),
    View(&'a View),
    Function(&'a Function),
    Trigger(&'a Trigger),
    Rls(&'a Table),
    Policy(&'a Policy),
    /// Privileges of one object or column.
    Grant(Privileges<'a>),
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
    /// What is compared (usually `ddl`).
    pub compare: String,
    /// The state an object has right after `CREATE` (RLS off, default privileges): such an item
    /// is not reported when its parent is added or removed.
    pub default_state: bool,
    pub obj: Obj<'a>,
}

/// Items by id.
pub type Items<'a> = BTreeMap<ObjectRef, Item<'a>>;

struct Builder<'a> {
    items: Items<'a>,
}

fn r(kind: ObjectKind, key: &str) -> ObjectRef {
    ObjectRef {
        kind,
        key: key.to_string(),
    }
}

impl<'a> Builder<'a> {
    fn add(
        &mut self,
        id: ObjectRef,
        parent: Option<ObjectRef>,
        ddl: String,
        compare: Option<String>,
        default_state: bool,
        obj: Obj<'a>,
    ) {
        let compare = compare.unwrap_or_else(|| ddl.clone());
        self.items.insert(
            id.clone(),
            Item {
                id,
                parent,
                ddl,
                compare,
                default_state,
                obj,
            },
        );
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

/// Flattens a catalog into comparable items.
pub fn items(cat: &Catalog) -> Items<'_> {
    let mut b = Builder {
        items: BTreeMap::new(),
    };
    for (key, s) in &cat.schemas {
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
        b.comment(me, format!("SCHEMA {key}"), s.comment.as_deref());
    }
    for (key, e) in &cat.extensions {
        let me = r(ObjectKind::Extension, key);
        b.add(
            me.clone(),
            None,
            extension::create_sql(key, e),
            None,
            false,
            Obj::Extension(e),
        );
        b.comment(me, format!("EXTENSION {key}"), e.comment.as_deref());
    }
    for (key, t) in &cat.types {
        let me = r(ObjectKind::Type, key);
        b.add(
            me.clone(),
            None,
            types::create_sql(key, t),
            None,
            false,
            Obj::Type(t),
        );
        b.comment(
            me,
            format!("{} {key}", types::keyword(t)),
            t.comment.as_deref(),
        );
    }
    for (key, s) in &cat.sequences {
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
        b.comment(me, format!("SEQUENCE {key}"), s.comment.as_deref());
    }
    for (key, t) in &cat.tables {
        table_items(&mut b, key, t);
    }
    for (key, i) in &cat.indexes {
        let me = r(ObjectKind::Index, key);
        let ddl = format!("{};", i.definition);
        let compare = if i.valid {
            ddl.clone()
        } else {
            format!("{ddl} -- INVALID")
        };
        let parent_kind = if cat.views.contains_key(&i.table) {
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
    for (key, v) in &cat.views {
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
    for (key, f) in &cat.functions {
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
        b.comment(me, format!("{what} {key}"), f.comment.as_deref());
    }
    for (key, t) in &cat.triggers {
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
    for (key, p) in &cat.policies {
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
    b.items
}

/// A table, its columns (with their privileges and comments), constraints, RLS, privileges
/// and comment.
fn table_items<'a>(b: &mut Builder<'a>, key: &'a String, t: &'a Table) {
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
            table::add_column_sql(t, c),
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
    b.comment(me, format!("TABLE {key}"), t.comment.as_deref());
}
