//! What running a migration on a shadow database showed, statement by statement: the relation
//! locks its transaction held, the catalog rows it wrote (before and after), the tables it
//! scanned, and the final state of the objects the security rules look at.
//!
//! Owns: the data the rules decide from. Must not: query (that is [`super::observe`]) or judge
//! (that is [`super::rules`]). Everything here is plain data, so every rule is tested on facts
//! written by hand, without a database.

use crate::db::PgFailure;
use crate::sql::{quote_ident, Span};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An object id (`pg_class.oid`, `pg_proc.oid`, …).
pub type Oid = u32;

/// PostgreSQL's table-level lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LockMode {
    AccessShareLock,
    RowShareLock,
    RowExclusiveLock,
    ShareUpdateExclusiveLock,
    ShareLock,
    ShareRowExclusiveLock,
    ExclusiveLock,
    AccessExclusiveLock,
}

impl LockMode {
    /// The name in PostgreSQL's documentation (`ACCESS EXCLUSIVE`).
    pub fn as_sql(self) -> &'static str {
        match self {
            LockMode::AccessShareLock => "ACCESS SHARE",
            LockMode::RowShareLock => "ROW SHARE",
            LockMode::RowExclusiveLock => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusiveLock => "SHARE UPDATE EXCLUSIVE",
            LockMode::ShareLock => "SHARE",
            LockMode::ShareRowExclusiveLock => "SHARE ROW EXCLUSIVE",
            LockMode::ExclusiveLock => "EXCLUSIVE",
            LockMode::AccessExclusiveLock => "ACCESS EXCLUSIVE",
        }
    }

    /// Conflicts with `ROW EXCLUSIVE`: while it is held (or waited for), nobody can write.
    pub fn blocks_writes(self) -> bool {
        self >= LockMode::ShareLock
    }

    /// Conflicts with `ACCESS SHARE`: while it is held (or waited for), nobody can even read.
    pub fn blocks_reads(self) -> bool {
        self == LockMode::AccessExclusiveLock
    }

    /// What queries it stops, for messages.
    pub fn blocks(self) -> &'static str {
        if self.blocks_reads() {
            "every query on it (reads included)"
        } else if self.blocks_writes() {
            "every write to it"
        } else {
            "schema changes and VACUUM on it"
        }
    }
}

/// A relation lock held by the migration's own backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Lock {
    pub relation: Oid,
    pub mode: LockMode,
}

/// `pg_class.relkind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    Index,
    PartitionedIndex,
    Sequence,
    ForeignTable,
    Other,
}

impl RelKind {
    pub fn from_code(code: &str) -> RelKind {
        match code {
            "r" => RelKind::Table,
            "p" => RelKind::PartitionedTable,
            "v" => RelKind::View,
            "m" => RelKind::MaterializedView,
            "i" => RelKind::Index,
            "I" => RelKind::PartitionedIndex,
            "S" => RelKind::Sequence,
            "f" => RelKind::ForeignTable,
            _ => RelKind::Other,
        }
    }

    pub fn is_table(self) -> bool {
        matches!(self, RelKind::Table | RelKind::PartitionedTable)
    }

    pub fn is_index(self) -> bool {
        matches!(self, RelKind::Index | RelKind::PartitionedIndex)
    }

    pub fn is_view(self) -> bool {
        matches!(self, RelKind::View | RelKind::MaterializedView)
    }

    /// Holds rows of its own (a rewrite or a scan of it costs time).
    pub fn has_rows(self) -> bool {
        matches!(self, RelKind::Table | RelKind::MaterializedView)
    }

    pub fn noun(self) -> &'static str {
        match self {
            RelKind::Table | RelKind::PartitionedTable => "table",
            RelKind::View => "view",
            RelKind::MaterializedView => "materialized view",
            RelKind::Index | RelKind::PartitionedIndex => "index",
            RelKind::Sequence => "sequence",
            RelKind::ForeignTable => "foreign table",
            RelKind::Other => "relation",
        }
    }
}

/// A `pg_class` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    #[serde(
        deserialize_with = "relkind_from_code",
        serialize_with = "relkind_to_code"
    )]
    pub kind: RelKind,
    pub filenode: i64,
    pub rls: bool,
    pub rls_forced: bool,
    /// `aclitem`s as text (`grantee=privileges/grantor`; an empty grantee is PUBLIC), with the
    /// default privileges written out when the catalog holds NULL.
    pub acl: Vec<String>,
    /// `reloptions` (`security_invoker=true`, `fillfactor=70`, …).
    pub options: Vec<String>,
    pub partition: bool,
    /// For an index: the table it indexes.
    pub index_of: Option<Oid>,
}

fn relkind_from_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<RelKind, D::Error> {
    let code = String::deserialize(d)?;
    Ok(RelKind::from_code(&code))
}

fn relkind_to_code<S: serde::Serializer>(k: &RelKind, s: S) -> Result<S::Ok, S::Error> {
    k.serialize(s)
}

impl Relation {
    /// `schema.name`, each part quoted when needed.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// `security_invoker` set to a true value (PostgreSQL 15+ views).
    pub fn security_invoker(&self) -> bool {
        self.options.iter().any(|o| {
            o.split_once('=').is_some_and(|(k, v)| {
                k == "security_invoker"
                    && matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "1")
            })
        })
    }
}

/// A `pg_attribute` row of a table, view or materialized view (`attnum > 0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub relation: Oid,
    pub num: i16,
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub not_null: bool,
    pub has_default: bool,
    pub dropped: bool,
    pub identity: bool,
    pub generated: bool,
}

/// `pg_constraint.contype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConstraintKind {
    Check,
    ForeignKey,
    PrimaryKey,
    Unique,
    Exclusion,
    Trigger,
    Other,
}

impl ConstraintKind {
    pub fn from_code(code: &str) -> ConstraintKind {
        match code {
            "c" => ConstraintKind::Check,
            "f" => ConstraintKind::ForeignKey,
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "x" => ConstraintKind::Exclusion,
            "t" => ConstraintKind::Trigger,
            _ => ConstraintKind::Other,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            ConstraintKind::Check => "CHECK constraint",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "UNIQUE constraint",
            ConstraintKind::Exclusion => "exclusion constraint",
            ConstraintKind::Trigger => "constraint trigger",
            ConstraintKind::Other => "constraint",
        }
    }
}

/// A `pg_constraint` row of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub oid: Oid,
    pub name: String,
    #[serde(deserialize_with = "contype_from_code")]
    pub kind: ConstraintKind,
    pub validated: bool,
    pub relation: Oid,
    /// For a foreign key: the referenced table.
    pub references: Option<Oid>,
}

fn contype_from_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ConstraintKind, D::Error> {
    let code = String::deserialize(d)?;
    Ok(ConstraintKind::from_code(&code))
}

/// A `pg_policy` row (its expressions are in [`PolicyDetail`], read once at the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub oid: Oid,
    pub relation: Oid,
    pub name: String,
}

/// A function or procedure in a user schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub oid: Oid,
    pub schema: String,
    /// `schema.name(argument types)` as `regprocedure` prints it.
    pub signature: String,
    pub security_definer: bool,
    /// `proconfig`: `search_path=…` and other `SET` clauses.
    pub config: Vec<String>,
    pub acl: Vec<String>,
}

impl Function {
    /// The function pins `search_path` (`SET search_path = …` on the function).
    pub fn fixed_search_path(&self) -> bool {
        self.config
            .iter()
            .any(|c| c.to_ascii_lowercase().starts_with("search_path="))
    }
}

/// A schema and its privileges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub oid: Oid,
    pub name: String,
    pub acl: Vec<String>,
}

/// One catalog row before and after a statement (`None`: it did not exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    pub before: Option<T>,
    pub after: Option<T>,
}

impl<T> Change<T> {
    pub fn created(&self) -> bool {
        self.before.is_none() && self.after.is_some()
    }
    pub fn dropped(&self) -> bool {
        self.before.is_some() && self.after.is_none()
    }
}

/// How many times a relation was scanned by one statement (`pg_stat_xact_*` deltas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scan {
    pub relation: Oid,
    /// Sequential scans of the table.
    pub seq: i64,
    /// Scans of any of its indexes.
    pub index: i64,
}

/// What one statement did.
#[derive(Debug, Clone, Serialize)]
pub struct StatementFacts {
    /// 0-based position among the file's statements.
    pub index: usize,
    #[serde(skip)]
    pub span: Span,
    /// Ran inside a transaction (its own or the file's), so its locks are known.
    pub in_transaction: bool,
    /// Relation locks first taken by this statement.
    pub locks_taken: Vec<Lock>,
    /// Every relation lock the transaction held after this statement.
    pub locks_held: Vec<Lock>,
    pub relations: Vec<Change<Relation>>,
    pub columns: Vec<Change<Column>>,
    pub constraints: Vec<Change<Constraint>>,
    pub policies: Vec<Change<PolicyRow>>,
    pub functions: Vec<Change<Function>>,
    pub schemas: Vec<Change<Schema>>,
    /// Views whose query (rewrite rule) this statement created or replaced.
    pub views_defined: Vec<Oid>,
    pub scans: Vec<Scan>,
}

impl StatementFacts {
    pub fn new(index: usize, span: Span) -> StatementFacts {
        StatementFacts {
            index,
            span,
            in_transaction: true,
            locks_taken: Vec::new(),
            locks_held: Vec::new(),
            relations: Vec::new(),
            columns: Vec::new(),
            constraints: Vec::new(),
            policies: Vec::new(),
            functions: Vec::new(),
            schemas: Vec::new(),
            views_defined: Vec::new(),
            scans: Vec::new(),
        }
    }

    /// The strongest lock the transaction held on `relation` after this statement.
    pub fn held(&self, relation: Oid) -> Option<LockMode> {
        self.locks_held
            .iter()
            .filter(|l| l.relation == relation)
            .map(|l| l.mode)
            .max()
    }

    /// The strongest lock this statement took on `relation` (first taken here).
    pub fn taken(&self, relation: Oid) -> Option<LockMode> {
        self.locks_taken
            .iter()
            .filter(|l| l.relation == relation)
            .map(|l| l.mode)
            .max()
    }

    /// Relations whose storage was replaced (a new relfilenode).
    pub fn rewritten(&self) -> impl Iterator<Item = (&Relation, &Relation)> {
        self.relations
            .iter()
            .filter_map(|c| match (&c.before, &c.after) {
                (Some(b), Some(a)) if a.filenode != b.filenode && b.filenode != 0 => Some((b, a)),
                _ => None,
            })
    }

    /// Sequential scans of `relation` by this statement.
    pub fn seq_scans(&self, relation: Oid) -> i64 {
        self.scans
            .iter()
            .filter(|s| s.relation == relation)
            .map(|s| s.seq)
            .sum()
    }

    /// Any scan (sequential or through an index) of `relation` by this statement.
    pub fn any_scans(&self, relation: Oid) -> i64 {
        self.scans
            .iter()
            .filter(|s| s.relation == relation)
            .map(|s| s.seq + s.index)
            .sum()
    }

    /// Indexes this statement created: (index, table).
    pub fn indexes_created(&self) -> impl Iterator<Item = (&Relation, Oid)> {
        self.relations
            .iter()
            .filter_map(|c| match (&c.before, &c.after) {
                (None, Some(a)) if a.kind.is_index() => a.index_of.map(|t| (a, t)),
                _ => None,
            })
    }
}

/// The final state of a policy the migration created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDetail {
    pub oid: Oid,
    pub relation: Oid,
    pub table: String,
    pub name: String,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE` or `ALL`.
    pub command: String,
    pub permissive: bool,
    /// Role names; `public` for PUBLIC.
    pub roles: Vec<String>,
    #[serde(rename = "using")]
    pub using_expr: Option<String>,
    #[serde(rename = "check")]
    pub check_expr: Option<String>,
}

/// A table a view reads (through other views too), at the end of the migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseTable {
    pub oid: Oid,
    pub name: String,
    pub rls: bool,
}

/// The final state of a view the migration created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewDetail {
    pub relation: Relation,
    pub base_tables: Vec<BaseTable>,
}

/// The state at the end of the migration (inside its transaction) of what the security rules
/// look at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FinalState {
    /// Every relation the migration created or changed, as it ended.
    pub relations: BTreeMap<Oid, Relation>,
    pub policies: Vec<PolicyDetail>,
    pub views: Vec<ViewDetail>,
    pub functions: BTreeMap<Oid, Function>,
}

/// A statement PostgreSQL refused on the shadow.
#[derive(Debug, Clone)]
pub struct Failure {
    pub statement: usize,
    /// Byte offset in the file (PostgreSQL's position, or the statement's start).
    pub offset: usize,
    pub failure: PgFailure,
}

/// Everything observed while running one migration on the shadow.
#[derive(Debug, Clone, Default)]
pub struct MigrationFacts {
    pub statements: Vec<StatementFacts>,
    /// Relations that existed before the migration started (of those it touched).
    pub pre_existing: BTreeSet<Oid>,
    /// Every relation the migration touched, as it was when first seen (before the migration
    /// for pre-existing ones, when created for new ones), for naming them in messages.
    pub first_seen: BTreeMap<Oid, Relation>,
    pub final_state: FinalState,
    /// `pg_total_relation_size` on the shadow of the pre-existing tables the migration locked.
    pub sizes: BTreeMap<Oid, i64>,
    /// Set when a statement failed (the statements after it did not run).
    pub failure: Option<Failure>,
    /// PostgreSQL's `server_version_num` on the shadow server.
    pub server_version: i32,
}

impl MigrationFacts {
    /// The relation existed before the migration.
    pub fn existed(&self, oid: Oid) -> bool {
        self.pre_existing.contains(&oid)
    }

    /// `schema.name` of a relation the migration touched (its name before the migration).
    pub fn name(&self, oid: Oid) -> String {
        self.first_seen
            .get(&oid)
            .map(Relation::qualified)
            .unwrap_or_else(|| format!("relation {oid}"))
    }

    /// What the relation is (table, index, …), if known.
    pub fn kind(&self, oid: Oid) -> Option<RelKind> {
        self.first_seen.get(&oid).map(|r| r.kind)
    }
}

/// Whether an ACL gives `role` (`""` = PUBLIC) any privilege; returns the privilege letters.
pub fn acl_privileges(acl: &[String], role: &str) -> String {
    let mut out = String::new();
    for item in acl {
        let Some((grantee, rest)) = item.split_once('=') else {
            continue;
        };
        let grantee = grantee.trim_matches('"');
        if grantee != role {
            continue;
        }
        let privileges = rest.split('/').next().unwrap_or("");
        for c in privileges.chars().filter(|c| c.is_ascii_alphabetic()) {
            if !out.contains(c) {
                out.push(c);
            }
        }
    }
    out
}

/// Privileges `role` holds in `after` but not in `before`.
pub fn acl_added(before: &[String], after: &[String], role: &str) -> String {
    let had = acl_privileges(before, role);
    acl_privileges(after, role)
        .chars()
        .filter(|c| !had.contains(*c))
        .collect()
}

/// The SQL name of a privilege letter of an `aclitem`.
pub fn privilege_name(letter: char) -> &'static str {
    match letter {
        'r' => "SELECT",
        'a' => "INSERT",
        'w' => "UPDATE",
        'd' => "DELETE",
        'D' => "TRUNCATE",
        'x' => "REFERENCES",
        't' => "TRIGGER",
        'X' => "EXECUTE",
        'U' => "USAGE",
        'C' => "CREATE",
        'c' => "CONNECT",
        'T' => "TEMPORARY",
        _ => "a privilege",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_items_are_read_per_grantee() {
        let acl = vec![
            "postgres=arwdDxt/postgres".to_string(),
            "anon=r/postgres".to_string(),
            "=X/postgres".to_string(),
        ];
        assert_eq!(acl_privileges(&acl, "anon"), "r");
        assert_eq!(acl_privileges(&acl, ""), "X");
        assert_eq!(acl_privileges(&acl, "authenticated"), "");
        let after = vec!["anon=rwD/postgres".to_string()];
        assert_eq!(acl_added(&acl, &after, "anon"), "wD");
    }

    #[test]
    fn lock_modes_order_and_conflicts() {
        assert!(LockMode::ShareLock.blocks_writes());
        assert!(!LockMode::ShareUpdateExclusiveLock.blocks_writes());
        assert!(LockMode::AccessExclusiveLock.blocks_reads());
        assert!(!LockMode::ExclusiveLock.blocks_reads());
        assert_eq!(
            LockMode::ShareRowExclusiveLock.as_sql(),
            "SHARE ROW EXCLUSIVE"
        );
    }

    #[test]
    fn security_invoker_option() {
        let mut r = Relation {
            oid: 1,
            schema: "public".into(),
            name: "v".into(),
            kind: RelKind::View,
            filenode: 0,
            rls: false,
            rls_forced: false,
            acl: vec![],
            options: vec!["security_invoker=true".into()],
            partition: false,
            index_of: None,
        };
        assert!(r.security_invoker());
        r.options = vec!["security_invoker=off".into()];
        assert!(!r.security_invoker());
        assert_eq!(r.qualified(), "public.v");
    }
}
