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
    /// `ALTER DEFAULT PRIVILEGES` entries, keyed like `IN SCHEMA public ON TABLES` (with
    /// `FOR ROLE r` first when `r` is not the role that read the catalog).
    pub default_privileges: BTreeMap<String, DefaultPrivileges>,
    /// Event triggers (compared when their function is in a schema in scope on either side),
    /// by quoted name.
    pub event_triggers: BTreeMap<String, EventTrigger>,
    /// Publications (compared when they publish something in scope, or all tables, on either
    /// side), by quoted name.
    pub publications: BTreeMap<String, Publication>,
    /// Extended statistics (`CREATE STATISTICS`), keyed `schema.name`.
    pub statistics: BTreeMap<String, Statistics>,
    /// Rewrite rules other than a view's own, keyed `schema.relation.rule`.
    pub rules: BTreeMap<String, Rule>,
    /// Collations, keyed `schema.name`.
    pub collations: BTreeMap<String, Collation>,
    /// Security labels on objects in scope, keyed `provider TYPE identity`.
    pub security_labels: BTreeMap<String, SecurityLabel>,
    /// The role that read the catalog (quoted): objects it owns are owned "by default", the
    /// way a migration run by it creates them.
    pub current_role: String,
    /// Objects that are not compared: kinds strata does not model (reported as differences
    /// that fail `diff --exit-code` unless accepted) and objects outside the configured
    /// schemas (a note). Never skipped in silence.
    pub not_compared: Vec<NotCompared>,
    /// Dependency edges between modelled objects: (dependent, what it depends on).
    #[serde(skip)]
    pub dependencies: Vec<(ObjectRef, ObjectRef)>,
    /// Owner (quoted role name) of each table, view and materialized view, by relation key
    /// (the same as their `owner` field; kept for the RLS audit).
    #[serde(skip)]
    pub owners: BTreeMap<String, String>,
    /// Every role of the cluster by quoted name, with the attributes that exempt it from
    /// row-level security. For the RLS audit only; not compared.
    #[serde(skip)]
    pub roles: BTreeMap<String, Role>,
    /// Role memberships (direct grants of one role to another), sorted by member then role.
    /// For the RLS audit only; not compared.
    #[serde(skip)]
    pub memberships: Vec<Membership>,
    /// Owner (quoted role name) of each function and procedure, by function key. For the RLS
    /// audit only (a SECURITY DEFINER function runs with its owner's rights); not compared.
    #[serde(skip)]
    pub function_owners: BTreeMap<String, String>,
    /// The relations (any schema, `auth.users` included) each view and materialized view reads
    /// directly, by view key, sorted. For the RLS audit only; not compared.
    #[serde(skip)]
    pub view_reads: BTreeMap<String, Vec<String>>,
    /// How long each query took to read this catalog (for `-v`).
    #[serde(skip)]
    pub timings: Timings,
}

/// `GRANT role TO member`: the member may act as the role, and with `inherit` holds its
/// privileges (and its ownerships) without `SET ROLE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Membership {
    /// Quoted role name of the member.
    pub member: String,
    /// Quoted role name of the role granted.
    pub role: String,
    pub inherit: bool,
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
    Collation,
    Type,
    /// An attribute of a composite type.
    Attribute,
    Sequence,
    Function,
    Procedure,
    Table,
    Column,
    Constraint,
    Index,
    Statistics,
    View,
    MaterializedView,
    Rule,
    Trigger,
    EventTrigger,
    Rls,
    Policy,
    Publication,
    /// A table in a publication.
    PublicationTable,
    Owner,
    Grant,
    DefaultPrivileges,
    Comment,
    SecurityLabel,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub name: String,
    /// Quoted role name.
    pub owner: String,
    pub comment: Option<String>,
    pub acl: Vec<Grant>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    pub schema: String,
    /// The installed version (`ALTER EXTENSION … UPDATE TO` changes it).
    pub version: String,
    /// Installed in a schema in scope (compared when either side has it in scope).
    pub in_scope: bool,
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
    pub owner: String,
    /// Enum labels in sort order.
    pub labels: Vec<String>,
    /// Composite attributes, in order.
    pub attributes: Vec<Attribute>,
    /// Domain base type.
    pub base_type: Option<String>,
    /// Domain collation, when not the base type's default.
    pub collation: Option<String>,
    pub not_null: bool,
    pub default: Option<String>,
    /// Domain CHECK constraints, sorted by name.
    pub constraints: Vec<DomainConstraint>,
    pub range_subtype: Option<String>,
    pub comment: Option<String>,
    pub acl: Vec<Grant>,
}

/// An attribute of a composite type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub data_type: String,
    /// A collation other than the type's default.
    pub collation: Option<String>,
    pub comment: Option<String>,
}

/// A CHECK constraint of a domain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainConstraint {
    pub name: String,
    /// `pg_get_constraintdef`: `CHECK ((VALUE > 0))`, with ` NOT VALID` when not validated.
    pub definition: String,
    pub validated: bool,
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
    pub owner: String,
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
    pub owner: String,
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
    pub owner: String,
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
    pub owner: String,
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

/// The kind of objects an `ALTER DEFAULT PRIVILEGES` entry is for.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum DefaultObjects {
    #[default]
    Tables,
    Sequences,
    Functions,
    Types,
    Schemas,
    LargeObjects,
}

impl DefaultObjects {
    /// As `ALTER DEFAULT PRIVILEGES … ON <this>` spells it.
    pub fn sql(self) -> &'static str {
        match self {
            DefaultObjects::Tables => "TABLES",
            DefaultObjects::Sequences => "SEQUENCES",
            DefaultObjects::Functions => "FUNCTIONS",
            DefaultObjects::Types => "TYPES",
            DefaultObjects::Schemas => "SCHEMAS",
            DefaultObjects::LargeObjects => "LARGE OBJECTS",
        }
    }
}

/// One `pg_default_acl` entry: the privileges objects get when `role` creates them (in
/// `schema`, or anywhere).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DefaultPrivileges {
    /// Quoted role name.
    pub role: String,
    pub schema: Option<String>,
    pub objects: DefaultObjects,
    /// The role's own privileges are written `(owner)`.
    pub acl: Vec<Grant>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventTrigger {
    pub name: String,
    /// `ddl_command_start`, `ddl_command_end`, `table_rewrite`, `sql_drop`, `login`.
    pub event: String,
    /// `schema.name()` of the function.
    pub function: String,
    /// Its function is in a schema in scope (else it is only named, as not compared).
    pub in_scope: bool,
    /// `WHEN TAG IN (…)`, sorted.
    pub tags: Vec<String>,
    /// `enabled`, `disabled`, `replica` or `always`.
    pub enabled: String,
    pub owner: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub name: String,
    pub all_tables: bool,
    /// Published operations: `insert`, `update`, `delete`, `truncate` (in that order).
    pub publish: Vec<String>,
    pub via_root: bool,
    /// It publishes all tables, a table in scope or a schema in scope (else it is only named,
    /// as not compared).
    pub in_scope: bool,
    /// Tables published one by one, by key.
    pub tables: BTreeMap<String, PublicationTable>,
    /// `TABLES IN SCHEMA` (PostgreSQL 15+), sorted.
    pub schemas: Vec<String>,
    pub owner: String,
    pub comment: Option<String>,
}

/// A table in a publication, with its column list and row filter (PostgreSQL 15+).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicationTable {
    pub table: String,
    pub columns: Option<Vec<String>>,
    pub row_filter: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    pub schema: String,
    pub name: String,
    pub table: String,
    /// `pg_get_statisticsobjdef`: the `CREATE STATISTICS` statement.
    pub definition: String,
    /// `ALTER STATISTICS … SET STATISTICS`; -1 for the default.
    pub target: i32,
    pub owner: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    /// The table or view it is on.
    pub relation: String,
    /// `table`, `view` or `materialized-view`.
    pub relation_kind: ObjectKind,
    /// `pg_get_ruledef`: the `CREATE RULE` statement.
    pub definition: String,
    /// `enabled`, `disabled`, `replica` or `always`.
    pub enabled: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Collation {
    pub schema: String,
    pub name: String,
    /// `libc`, `icu` or `builtin`.
    pub provider: String,
    pub deterministic: bool,
    pub lc_collate: Option<String>,
    pub lc_ctype: Option<String>,
    /// ICU or builtin locale.
    pub locale: Option<String>,
    /// ICU tailoring rules (PostgreSQL 16+).
    pub rules: Option<String>,
    pub owner: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecurityLabel {
    pub provider: String,
    /// As `SECURITY LABEL … ON <type>` spells it: `TABLE`, `COLUMN`, `FUNCTION`, …
    pub object_type: String,
    /// The object, as `pg_identify_object` names it.
    pub object: String,
    pub label: String,
}

/// Why an object is not compared.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum NotComparedReason {
    /// A kind strata does not model: it may differ, so it fails `diff --exit-code` unless
    /// accepted with `--allow-unmodelled`.
    Unmodelled,
    /// Outside `[database] schemas` (a schema, or an event trigger or publication that
    /// touches nothing in them on either side): a note.
    OutOfScope,
}

/// An object that is not compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NotCompared {
    /// e.g. `operator`, `aggregate`, `schema`, `publication`.
    pub kind: String,
    pub name: String,
    pub reason: NotComparedReason,
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
