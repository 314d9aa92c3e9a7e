//! The catalog model: plain data, `pub` fields, every map a `BTreeMap` keyed by the object's
//! quoted, schema-qualified name (so iteration order, JSON and comparisons are deterministic).
//!
//! Keys: schemas and extensions `name`; relations, types, sequences `schema.name`; functions
//! `schema.name(argtypes)` as `regprocedure` prints it; columns, constraints, triggers and
//! policies `schema.table.name` (each part quoted only when PostgreSQL would quote it).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One privilege held by one role, as `aclexplode` reports it. The object's owner is written
/// `(owner)` (owners are not compared, so their name must not make two catalogs differ);
/// `PUBLIC` is everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: String,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `REFERENCES`, `TRIGGER`, `USAGE`,
    /// `CREATE`, `EXECUTE`.
    pub privilege: String,
    pub grantable: bool,
}

/// The whole introspected state of the schemas in scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, Extension>,
    /// Enum, composite, domain and range types.
    pub types: BTreeMap<String, TypeDef>,
    /// Sequences, except identity sequences (those are part of their column).
    pub sequences: BTreeMap<String, Sequence>,
    /// Tables, partitioned tables and partitions, with their columns and constraints.
    pub tables: BTreeMap<String, Table>,
    /// Indexes that do not implement a constraint (those are in `Table::constraints`).
    pub indexes: BTreeMap<String, Index>,
    /// Views and materialized views.
    pub views: BTreeMap<String, View>,
    /// Functions and procedures.
    pub functions: BTreeMap<String, Function>,
    /// Keyed `schema.table.trigger`.
    pub triggers: BTreeMap<String, Trigger>,
    /// Keyed `schema.table.policy`.
    pub policies: BTreeMap<String, Policy>,
    /// Objects of kinds strata does not model, found in the schemas in scope: reported, never
    /// compared (so never silently skipped).
    pub not_compared: Vec<NotCompared>,
    /// Dependency edges between modelled objects: (dependent, what it depends on).
    #[serde(skip)]
    pub dependencies: Vec<(ObjectRef, ObjectRef)>,
    /// Owner (quoted role name) of each table, view and materialized view, by relation key.
    /// For the RLS audit only: owners are not compared (a shadow database's objects belong to
    /// whoever built it).
    #[serde(skip)]
    pub owners: BTreeMap<String, String>,
    /// Every role of the cluster by quoted name, with the attributes that exempt it from
    /// row-level security. For the RLS audit only; not compared.
    #[serde(skip)]
    pub roles: BTreeMap<String, Role>,
    /// How long each query took to read this catalog (for `-v`).
    #[serde(skip)]
    pub timings: Timings,
}

/// How long each catalog query took (for `-v`). Never part of a comparison: two catalogs
/// are equal whatever their timings.
#[derive(Debug, Clone, Default)]
pub struct Timings(pub Vec<(&'static str, std::time::Duration)>);

impl PartialEq for Timings {
    fn eq(&self, _: &Timings) -> bool {
        true
    }
}

/// A role's attributes that decide whether row-level security applies to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub superuser: bool,
    /// `BYPASSRLS`.
    pub bypass_rls: bool,
}

/// A reference to one modelled object, used by dependency edges.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub key: String,
}

/// Every kind of object strata compares. Ids are kebab-case (`Display` and `FromStr` round-trip).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ObjectKind {
    Schema,
    Extension,
    Type,
    Sequence,
    Function,
    Procedure,
    Table,
    Column,
    Constraint,
    Index,
    View,
    MaterializedView,
    Trigger,
    Rls,
    Policy,
    Grant,
    Comment,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub name: String,
    pub comment: Option<String>,
    pub acl: Vec<Grant>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    pub schema: String,
    /// Informational: not compared (it is the server's package version).
    pub version: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeKind {
    #[default]
    Enum,
    Composite,
    Domain,
    Range,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    pub schema: String,
    pub name: String,
    pub kind: TypeKind,
    /// Enum labels in sort order.
    pub labels: Vec<String>,
    /// Composite attributes, `name type [COLLATE c]`, in order.
    pub attributes: Vec<String>,
    /// Domain base type.
    pub base_type: Option<String>,
    pub not_null: bool,
    pub default: Option<String>,
    /// Domain constraints, `CONSTRAINT name CHECK (...)`, sorted by name.
    pub constraints: Vec<String>,
    pub range_subtype: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sequence {
    pub schema: String,
    pub name: String,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `schema.table.column` for a sequence owned by a column (serial).
    pub owned_by: Option<String>,
    pub comment: Option<String>,
    pub acl: Vec<Grant>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// `PARTITION BY ...` key for a partitioned table.
    pub partitioned: bool,
    pub partition_key: Option<String>,
    /// Parent table key, for a partition.
    pub partition_of: Option<String>,
    /// `FOR VALUES ...` of a partition.
    pub partition_bound: Option<String>,
    /// Parents by (non-partition) inheritance.
    pub inherits: Vec<String>,
    pub unlogged: bool,
    /// Storage parameters (`fillfactor=70`), sorted.
    pub options: Vec<String>,
    /// `ALTER TABLE ... ENABLE ROW LEVEL SECURITY`.
    pub rls_enabled: bool,
    /// `ALTER TABLE ... FORCE ROW LEVEL SECURITY`.
    pub rls_forced: bool,
    /// Columns in attribute order (a partition's inherited columns are left out).
    pub columns: Vec<Column>,
    /// Constraints keyed by name.
    pub constraints: BTreeMap<String, Constraint>,
    pub comment: Option<String>,
    pub acl: Vec<Grant>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type` output, with modifiers (`character varying(20)`, `numeric(10,2)`).
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression.
    pub generated: Option<String>,
    /// A generated column computed when read (`VIRTUAL`, PostgreSQL 18), not stored.
    pub virtual_generated: bool,
    /// `always` or `by default` for identity columns.
    pub identity: Option<String>,
    /// A collation other than the type's default.
    pub collation: Option<String>,
    pub comment: Option<String>,
    /// Column-level privileges (`GRANT UPDATE (col)`).
    pub acl: Vec<Grant>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConstraintKind {
    PrimaryKey,
    ForeignKey,
    Unique,
    #[default]
    Check,
    Exclusion,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef`: e.g. `FOREIGN KEY (a) REFERENCES public.t(id) ON DELETE CASCADE`,
    /// `CHECK ((x > 0)) NOT VALID`. Match type, actions and deferrability are part of it.
    pub definition: String,
    pub validated: bool,
    pub deferrable: bool,
    pub deferred: bool,
    /// Referenced table key, for a foreign key.
    pub references: Option<String>,
    /// Constrained columns in order.
    pub columns: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub schema: String,
    pub name: String,
    pub table: String,
    /// `pg_get_indexdef`: `CREATE [UNIQUE] INDEX name ON schema.table USING method (...) [WHERE ...]`.
    pub definition: String,
    pub unique: bool,
    /// False for an index left invalid by a failed `CREATE INDEX CONCURRENTLY`.
    pub valid: bool,
    pub partial: bool,
    pub expression: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub schema: String,
    pub name: String,
    pub materialized: bool,
    /// `pg_get_viewdef(oid, true)`.
    pub definition: String,
    /// `security_invoker=true`, `check_option=local`, … sorted.
    pub options: Vec<String>,
    /// Output columns: (name, type), in order.
    pub columns: Vec<(String, String)>,
    pub comment: Option<String>,
    pub acl: Vec<Grant>,
    /// Column comments and column privileges of the view.
    pub column_comments: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub schema: String,
    pub name: String,
    pub procedure: bool,
    /// `pg_get_function_arguments` (names, modes, defaults).
    pub arguments: String,
    pub identity_arguments: String,
    /// `pg_get_function_result` (None for a procedure).
    pub result: Option<String>,
    pub language: String,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: String,
    pub security_definer: bool,
    pub leakproof: bool,
    pub strict: bool,
    pub parallel: String,
    /// `SET` clauses, e.g. `search_path=public, pg_temp`.
    pub config: Vec<String>,
    /// `pg_get_functiondef`: the complete `CREATE OR REPLACE FUNCTION` statement.
    pub definition: String,
    /// A SQL-standard body (`BEGIN ATOMIC`), whose dependencies PostgreSQL tracks.
    pub sql_body: bool,
    pub comment: Option<String>,
    pub acl: Vec<Grant>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    /// `pg_get_triggerdef`: the `CREATE [CONSTRAINT] TRIGGER` statement.
    pub definition: String,
    /// `enabled`, `disabled`, `replica` or `always` (`tgenabled`).
    pub enabled: String,
    /// The trigger function, `schema.name()`.
    pub function: Option<String>,
    pub constraint_trigger: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub table: String,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    pub permissive: bool,
    /// Sorted role names; `public` for everyone.
    pub roles: Vec<String>,
    /// `USING`, deparsed by `pg_get_expr` with a pinned search_path.
    pub using: Option<String>,
    /// `WITH CHECK`, deparsed likewise.
    pub check: Option<String>,
    pub comment: Option<String>,
}

/// An object of a kind strata does not model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NotCompared {
    /// e.g. `operator`, `aggregate`, `publication`, `default-privileges`.
    pub kind: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_kind_ids_round_trip() {
        use strum::VariantArray;
        for &k in ObjectKind::VARIANTS {
            assert_eq!(k.as_str().parse::<ObjectKind>(), Ok(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap_or_default(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert!("tabel".parse::<ObjectKind>().is_err());
    }
}
