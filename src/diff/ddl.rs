//! Canonical DDL: every modelled object flattened into an [`Item`] with the statement that
//! creates it as PostgreSQL would print it. Two catalogs are compared item by item on
//! `Item::compare`, which is the DDL minus what is not compared (column order, owners).

use crate::catalog::*;
use crate::sql::{quote_ident, quote_literal};
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
    /// Privileges of the object `target` (its SQL object type, e.g. `TABLE`, and key).
    Grant {
        object_type: &'static str,
        target: &'a str,
        column: Option<&'a str>,
        acl: &'a [Grant],
        default: &'static [(&'static str, &'static str)],
    },
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

pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

fn table_key(t: &Table) -> String {
    qualified(&t.schema, &t.name)
}

pub(crate) fn column_def(c: &Column) -> String {
    let mut s = format!("{} {}", quote_ident(&c.name), c.data_type);
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {coll}"));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    }
    if let Some(i) = &c.identity {
        s.push_str(&format!(
            " GENERATED {} AS IDENTITY",
            i.to_ascii_uppercase()
        ));
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    s
}

pub(crate) fn create_table(t: &Table) -> String {
    let key = table_key(t);
    let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
    let mut s = if let Some(parent) = &t.partition_of {
        format!(
            "CREATE {unlogged}TABLE {key} PARTITION OF {parent} {}",
            t.partition_bound.as_deref().unwrap_or("DEFAULT")
        )
    } else {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("    {}", column_def(c)))
            .collect();
        let body = if cols.is_empty() {
            "()".to_string()
        } else {
            format!("(\n{}\n)", cols.join(",\n"))
        };
        format!("CREATE {unlogged}TABLE {key} {body}")
    };
    if !t.inherits.is_empty() {
        s.push_str(&format!(" INHERITS ({})", t.inherits.join(", ")));
    }
    if let Some(k) = &t.partition_key {
        s.push_str(&format!(" PARTITION BY {k}"));
    }
    if !t.options.is_empty() {
        s.push_str(&format!(" WITH ({})", t.options.join(", ")));
    }
    s.push(';');
    s
}

/// The table-level part that is compared (columns are items of their own, and their order is
/// not compared).
fn table_signature(t: &Table) -> String {
    format!(
        "TABLE {} unlogged={} partition_of={:?} bound={:?} key={:?} inherits={:?} options={:?}",
        table_key(t),
        t.unlogged,
        t.partition_of,
        t.partition_bound,
        t.partition_key,
        t.inherits,
        t.options
    )
}

pub(crate) fn add_column(t: &Table, c: &Column) -> String {
    format!("ALTER TABLE {} ADD COLUMN {};", table_key(t), column_def(c))
}

pub(crate) fn add_constraint(t: &Table, c: &Constraint) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {};",
        table_key(t),
        quote_ident(&c.name),
        c.definition
    )
}

pub(crate) fn create_type(key: &str, t: &TypeDef) -> String {
    match t.kind {
        TypeKind::Enum => format!(
            "CREATE TYPE {key} AS ENUM ({});",
            t.labels
                .iter()
                .map(|l| quote_literal(l))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeKind::Composite => format!(
            "CREATE TYPE {key} AS (\n    {}\n);",
            t.attributes.join(",\n    ")
        ),
        TypeKind::Domain => {
            let mut s = format!(
                "CREATE DOMAIN {key} AS {}",
                t.base_type.as_deref().unwrap_or("text")
            );
            if let Some(d) = &t.default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if t.not_null {
                s.push_str(" NOT NULL");
            }
            for c in &t.constraints {
                s.push_str(&format!(" {c}"));
            }
            s.push(';');
            s
        }
        TypeKind::Range => format!(
            "CREATE TYPE {key} AS RANGE (SUBTYPE = {});",
            t.range_subtype.as_deref().unwrap_or("integer")
        ),
    }
}

pub(crate) fn sequence_options(s: &Sequence) -> String {
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

pub(crate) fn create_view(key: &str, v: &View, or_replace: bool) -> String {
    let with = if v.options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", v.options.join(", "))
    };
    let def = v.definition.trim().trim_end_matches(';');
    if v.materialized {
        format!("CREATE MATERIALIZED VIEW {key}{with} AS\n{def};")
    } else {
        let or = if or_replace { "OR REPLACE " } else { "" };
        format!("CREATE {or}VIEW {key}{with} AS\n{def};")
    }
}

pub(crate) fn function_def(f: &Function) -> String {
    format!("{};", f.definition.trim_end().trim_end_matches(';'))
}

pub(crate) fn trigger_enable_sql(t: &Trigger) -> Option<String> {
    let action = match t.enabled.as_str() {
        "disabled" => "DISABLE TRIGGER",
        "replica" => "ENABLE REPLICA TRIGGER",
        "always" => "ENABLE ALWAYS TRIGGER",
        _ => return None,
    };
    Some(format!(
        "ALTER TABLE {} {action} {};",
        t.table,
        quote_ident(&t.name)
    ))
}

pub(crate) fn create_trigger(t: &Trigger) -> String {
    let mut s = format!("{};", t.definition.trim_end().trim_end_matches(';'));
    if let Some(e) = trigger_enable_sql(t) {
        s.push('\n');
        s.push_str(&e);
    }
    s
}

pub(crate) fn rls_sql(t: &Table) -> String {
    let key = table_key(t);
    format!(
        "ALTER TABLE {key} {} ROW LEVEL SECURITY;\nALTER TABLE {key} {} ROW LEVEL SECURITY;",
        if t.rls_enabled { "ENABLE" } else { "DISABLE" },
        if t.rls_forced { "FORCE" } else { "NO FORCE" }
    )
}

pub(crate) fn create_policy(p: &Policy) -> String {
    let mut s = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        quote_ident(&p.name),
        p.table,
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command,
        p.roles.join(", ")
    );
    if let Some(u) = &p.using {
        s.push_str(&format!("\n    USING ({u})"));
    }
    if let Some(c) = &p.check {
        s.push_str(&format!("\n    WITH CHECK ({c})"));
    }
    s.push(';');
    s
}

pub(crate) fn grant_sql(
    object_type: &str,
    target: &str,
    column: Option<&str>,
    g: &Grant,
    revoke: bool,
) -> String {
    let privilege = match column {
        Some(c) => format!("{} ({})", g.privilege, quote_ident(c)),
        None => g.privilege.clone(),
    };
    if revoke {
        format!(
            "REVOKE {privilege} ON {object_type} {target} FROM {};",
            g.grantee
        )
    } else {
        format!(
            "GRANT {privilege} ON {object_type} {target} TO {}{};",
            g.grantee,
            if g.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    }
}

fn grant_ddl(object_type: &str, target: &str, column: Option<&str>, acl: &[Grant]) -> String {
    acl.iter()
        .map(|g| grant_sql(object_type, target, column, g, false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Privileges an object has right after `CREATE`, besides its owner's: (grantee, privilege).
const NO_DEFAULTS: &[(&str, &str)] = &[];
const FUNCTION_DEFAULTS: &[(&str, &str)] = &[("PUBLIC", "EXECUTE")];

/// Whether `acl` is what a freshly created object has.
pub(crate) fn is_default_acl(acl: &[Grant], default: &[(&str, &str)]) -> bool {
    let mut extra: Vec<(&str, &str)> = acl
        .iter()
        .filter(|g| g.grantee != "(owner)")
        .map(|g| (g.grantee.as_str(), g.privilege.as_str()))
        .collect();
    extra.sort();
    let mut d = default.to_vec();
    d.sort();
    extra == d
}

/// The privileges a freshly created object has (owner privileges are never scripted).
pub(crate) fn default_acl(default: &[(&str, &str)]) -> Vec<Grant> {
    default
        .iter()
        .map(|(g, p)| Grant {
            grantee: g.to_string(),
            privilege: p.to_string(),
            grantable: false,
        })
        .collect()
}

fn comment_ddl(target: &str, text: &str) -> String {
    format!("COMMENT ON {target} IS {};", quote_literal(text))
}

struct Builder<'a> {
    items: BTreeMap<ObjectRef, Item<'a>>,
}

impl<'a> Builder<'a> {
    fn add(
        &mut self,
        kind: ObjectKind,
        key: &str,
        parent: Option<ObjectRef>,
        ddl: String,
        obj: Obj<'a>,
    ) {
        let compare = ddl.clone();
        self.add_with(kind, key, parent, ddl, compare, false, obj);
    }

    #[allow(clippy::too_many_arguments)]
    fn add_with(
        &mut self,
        kind: ObjectKind,
        key: &str,
        parent: Option<ObjectRef>,
        ddl: String,
        compare: String,
        default_state: bool,
        obj: Obj<'a>,
    ) {
        let id = ObjectRef {
            kind,
            key: key.to_string(),
        };
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

    #[allow(clippy::too_many_arguments)]
    fn grants(
        &mut self,
        parent: ObjectRef,
        object_type: &'static str,
        target: &'a str,
        column: Option<&'a str>,
        key: String,
        acl: &'a [Grant],
        default: &'static [(&'static str, &'static str)],
    ) {
        let ddl = grant_ddl(object_type, target, column, acl);
        let default_state = is_default_acl(acl, default);
        self.add_with(
            ObjectKind::Grant,
            &key,
            Some(parent),
            ddl.clone(),
            ddl,
            default_state,
            Obj::Grant {
                object_type,
                target,
                column,
                acl,
                default,
            },
        );
    }

    fn comment(&mut self, parent: ObjectRef, target: String, text: &'a Option<String>) {
        if let Some(text) = text {
            let ddl = comment_ddl(&target, text);
            let key = target.clone();
            self.add(
                ObjectKind::Comment,
                &key,
                Some(parent),
                ddl,
                Obj::Comment { target, text },
            );
        }
    }
}

fn r(kind: ObjectKind, key: &str) -> ObjectRef {
    ObjectRef {
        kind,
        key: key.to_string(),
    }
}

/// Flattens a catalog into comparable items.
pub fn items(cat: &Catalog) -> BTreeMap<ObjectRef, Item<'_>> {
    let mut b = Builder {
        items: BTreeMap::new(),
    };
    for (key, s) in &cat.schemas {
        let me = r(ObjectKind::Schema, key);
        // `public` exists in every database: created by initdb, not by a migration.
        if s.name != "public" {
            b.add(
                ObjectKind::Schema,
                key,
                None,
                format!("CREATE SCHEMA {key};"),
                Obj::Schema(s),
            );
        }
        b.grants(
            me.clone(),
            "SCHEMA",
            key,
            None,
            key.clone(),
            &s.acl,
            NO_DEFAULTS,
        );
        b.comment(me, format!("SCHEMA {key}"), &s.comment);
    }
    for (key, e) in &cat.extensions {
        let me = r(ObjectKind::Extension, key);
        b.add(
            ObjectKind::Extension,
            key,
            None,
            format!(
                "CREATE EXTENSION IF NOT EXISTS {key} WITH SCHEMA {};",
                quote_ident(&e.schema)
            ),
            Obj::Extension(e),
        );
        b.comment(me, format!("EXTENSION {key}"), &e.comment);
    }
    for (key, t) in &cat.types {
        let me = r(ObjectKind::Type, key);
        b.add(
            ObjectKind::Type,
            key,
            None,
            create_type(key, t),
            Obj::Type(t),
        );
        let what = if t.kind == TypeKind::Domain {
            "DOMAIN"
        } else {
            "TYPE"
        };
        b.comment(me, format!("{what} {key}"), &t.comment);
    }
    for (key, s) in &cat.sequences {
        let me = r(ObjectKind::Sequence, key);
        let mut ddl = format!("CREATE SEQUENCE {key} {};", sequence_options(s));
        if let Some(o) = &s.owned_by {
            ddl.push_str(&format!("\nALTER SEQUENCE {key} OWNED BY {o};"));
        }
        b.add(ObjectKind::Sequence, key, None, ddl, Obj::Sequence(s));
        b.grants(
            me.clone(),
            "SEQUENCE",
            key,
            None,
            key.clone(),
            &s.acl,
            NO_DEFAULTS,
        );
        b.comment(me, format!("SEQUENCE {key}"), &s.comment);
    }
    for (key, t) in &cat.tables {
        let me = r(ObjectKind::Table, key);
        b.add_with(
            ObjectKind::Table,
            key,
            None,
            create_table(t),
            table_signature(t),
            false,
            Obj::Table(t),
        );
        for c in &t.columns {
            let ckey = format!("{key}.{}", quote_ident(&c.name));
            let cme = r(ObjectKind::Column, &ckey);
            let ddl = add_column(t, c);
            b.add_with(
                ObjectKind::Column,
                &ckey,
                Some(me.clone()),
                ddl.clone(),
                ddl,
                true,
                Obj::Column(t, c),
            );
            if !c.acl.is_empty() {
                b.grants(
                    cme.clone(),
                    "TABLE",
                    key,
                    Some(&c.name),
                    ckey.clone(),
                    &c.acl,
                    NO_DEFAULTS,
                );
            }
            b.comment(cme, format!("COLUMN {ckey}"), &c.comment);
        }
        for c in t.constraints.values() {
            let ckey = format!("{key}.{}", quote_ident(&c.name));
            let cme = r(ObjectKind::Constraint, &ckey);
            b.add(
                ObjectKind::Constraint,
                &ckey,
                Some(me.clone()),
                add_constraint(t, c),
                Obj::Constraint(t, c),
            );
            b.comment(
                cme,
                format!("CONSTRAINT {} ON {key}", quote_ident(&c.name)),
                &c.comment,
            );
        }
        let ddl = rls_sql(t);
        b.add_with(
            ObjectKind::Rls,
            key,
            Some(me.clone()),
            ddl.clone(),
            ddl,
            !t.rls_enabled && !t.rls_forced,
            Obj::Rls(t),
        );
        b.grants(
            me.clone(),
            "TABLE",
            key,
            None,
            key.clone(),
            &t.acl,
            NO_DEFAULTS,
        );
        b.comment(me, format!("TABLE {key}"), &t.comment);
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
        b.add_with(
            ObjectKind::Index,
            key,
            Some(r(parent_kind, &i.table)),
            ddl,
            compare,
            false,
            Obj::Index(i),
        );
        b.comment(me, format!("INDEX {key}"), &i.comment);
    }
    for (key, v) in &cat.views {
        let kind = if v.materialized {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        };
        let me = r(kind, key);
        let ddl = create_view(key, v, false);
        // The output columns' types are compared too: a view's text stays the same when a
        // column it selects changes type.
        let compare = format!("{ddl}\n-- columns: {:?}", v.columns);
        b.add_with(kind, key, None, ddl, compare, false, Obj::View(v));
        b.grants(
            me.clone(),
            "TABLE",
            key,
            None,
            key.clone(),
            &v.acl,
            NO_DEFAULTS,
        );
        let what = if v.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        b.comment(me.clone(), format!("{what} {key}"), &v.comment);
        for (col, _) in &v.columns {
            if let Some(text) = v.column_comments.get(col) {
                let target = format!("COLUMN {key}.{}", quote_ident(col));
                b.add(
                    ObjectKind::Comment,
                    &target.clone(),
                    Some(me.clone()),
                    comment_ddl(&target, text),
                    Obj::Comment { target, text },
                );
            }
        }
    }
    for (key, f) in &cat.functions {
        let kind = if f.procedure {
            ObjectKind::Procedure
        } else {
            ObjectKind::Function
        };
        let me = r(kind, key);
        b.add(kind, key, None, function_def(f), Obj::Function(f));
        let what = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
        b.grants(
            me.clone(),
            what,
            key,
            None,
            key.clone(),
            &f.acl,
            FUNCTION_DEFAULTS,
        );
        b.comment(me, format!("{what} {key}"), &f.comment);
    }
    for (key, t) in &cat.triggers {
        let me = r(ObjectKind::Trigger, key);
        b.add(
            ObjectKind::Trigger,
            key,
            Some(r(ObjectKind::Table, &t.table)),
            create_trigger(t),
            Obj::Trigger(t),
        );
        b.comment(
            me,
            format!("TRIGGER {} ON {}", quote_ident(&t.name), t.table),
            &t.comment,
        );
    }
    for (key, p) in &cat.policies {
        let me = r(ObjectKind::Policy, key);
        b.add(
            ObjectKind::Policy,
            key,
            Some(r(ObjectKind::Table, &p.table)),
            create_policy(p),
            Obj::Policy(p),
        );
        b.comment(
            me,
            format!("POLICY {} ON {}", quote_ident(&p.name), p.table),
            &p.comment,
        );
    }
    b.items
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            data_type: ty.into(),
            not_null: false,
            default: None,
            generated: None,
            identity: None,
            collation: None,
            comment: None,
            acl: vec![],
        }
    }

    #[test]
    fn column_definitions_read_like_sql() {
        let mut c = col("id", "bigint");
        c.identity = Some("by default".into());
        c.not_null = true;
        assert_eq!(
            column_def(&c),
            "id bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL"
        );
        let mut c = col("Full Name", "text");
        c.generated = Some("(first || last)".into());
        assert_eq!(
            column_def(&c),
            "\"Full Name\" text GENERATED ALWAYS AS ((first || last)) STORED"
        );
    }

    #[test]
    fn default_acl_ignores_owner_and_knows_function_defaults() {
        let g = |who: &str, p: &str| Grant {
            grantee: who.into(),
            privilege: p.into(),
            grantable: false,
        };
        assert!(is_default_acl(&[g("(owner)", "SELECT")], NO_DEFAULTS));
        assert!(!is_default_acl(
            &[g("(owner)", "SELECT"), g("anon", "SELECT")],
            NO_DEFAULTS
        ));
        assert!(is_default_acl(
            &[g("(owner)", "EXECUTE"), g("PUBLIC", "EXECUTE")],
            FUNCTION_DEFAULTS
        ));
        assert!(!is_default_acl(
            &[g("(owner)", "EXECUTE")],
            FUNCTION_DEFAULTS
        ));
    }
}
