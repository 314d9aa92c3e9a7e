//! One typed row per catalog query (`queries/*.sql`), decoded by `sqlx::FromRow`.
//!
//! Owns: the shape of each query's result, column by column, and the conversion of a row
//! into its model value. Must not: run queries (that is `read_all` in `mod.rs`) or fold rows
//! into each other (attaching columns to their table is `mod.rs` too).
//!
//! A field's name is the query's column alias; a misspelt alias or a changed type is a decode
//! error naming the column, and a catalog code strata does not know (`code::*`) is an error
//! naming the catalog column and the value, never a default.

use super::code::{
    CollationProvider, ConstraintCode, DefaultObjectsCode, Enabled, EventTriggerEnabled, Generated,
    Identity, Parallel, PolicyCommand, ProcKind, Reason, RelationKind, RuleEnabled, TableKind,
    TypeCode, ViewKind,
};
use super::model::*;
use sqlx::types::Json;
use std::collections::BTreeMap;

#[derive(Debug, sqlx::FromRow)]
pub struct SchemaRow {
    pub oid: i64,
    pub key: String,
    pub name: String,
    pub owner: String,
    pub comment: Option<String>,
    pub acl: Json<Vec<Grant>>,
}

impl SchemaRow {
    pub fn model(self) -> Schema {
        Schema {
            name: self.name,
            owner: self.owner,
            comment: self.comment,
            acl: self.acl.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ExtensionRow {
    pub key: String,
    pub in_scope: bool,
    pub name: String,
    pub schema: String,
    pub version: String,
    pub comment: Option<String>,
}

impl ExtensionRow {
    pub fn model(self) -> Extension {
        Extension {
            name: self.name,
            in_scope: self.in_scope,
            schema: self.schema,
            version: self.version,
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TypeRow {
    pub oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub kind: TypeCode,
    pub owner: String,
    pub labels: Vec<String>,
    pub attributes: Json<Vec<Attribute>>,
    pub base_type: Option<String>,
    pub collation: Option<String>,
    pub not_null: bool,
    pub default_expr: Option<String>,
    pub constraints: Json<Vec<DomainConstraint>>,
    pub range_subtype: Option<String>,
    pub comment: Option<String>,
    pub acl: Json<Vec<Grant>>,
}

impl TypeRow {
    pub fn model(self) -> TypeDef {
        TypeDef {
            schema: self.schema,
            name: self.name,
            kind: self.kind.0,
            owner: self.owner,
            labels: self.labels,
            attributes: self.attributes.0,
            base_type: self.base_type,
            collation: self.collation,
            not_null: self.not_null,
            default: self.default_expr,
            constraints: self.constraints.0,
            range_subtype: self.range_subtype,
            comment: self.comment,
            acl: self.acl.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct SequenceRow {
    pub oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    pub owner: String,
    pub owned_by: Option<String>,
    pub comment: Option<String>,
    pub acl: Json<Vec<Grant>>,
}

impl SequenceRow {
    pub fn model(self) -> Sequence {
        Sequence {
            schema: self.schema,
            name: self.name,
            data_type: self.data_type,
            start: self.start,
            increment: self.increment,
            min_value: self.min_value,
            max_value: self.max_value,
            cache: self.cache,
            cycle: self.cycle,
            owned_by: self.owned_by,
            owner: self.owner,
            comment: self.comment,
            acl: self.acl.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TableRow {
    pub oid: i64,
    pub type_oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub relkind: TableKind,
    pub partition_key: Option<String>,
    pub partition_of: Option<String>,
    pub partition_bound: Option<String>,
    pub inherits: Vec<String>,
    pub unlogged: bool,
    pub owner: String,
    pub options: Vec<String>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub comment: Option<String>,
    pub acl: Json<Vec<Grant>>,
}

impl TableRow {
    /// The table without its columns and constraints (their rows come later).
    pub fn model(self) -> Table {
        Table {
            schema: self.schema,
            name: self.name,
            partitioned: self.relkind.0,
            partition_key: self.partition_key,
            partition_of: self.partition_of,
            partition_bound: self.partition_bound,
            inherits: self.inherits,
            owner: self.owner,
            unlogged: self.unlogged,
            options: self.options,
            rls_enabled: self.rls_enabled,
            rls_forced: self.rls_forced,
            columns: Vec::new(),
            constraints: BTreeMap::new(),
            comment: self.comment,
            acl: self.acl.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ViewRow {
    pub oid: i64,
    pub type_oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub relkind: ViewKind,
    pub owner: String,
    pub definition: String,
    pub options: Vec<String>,
    pub comment: Option<String>,
    pub acl: Json<Vec<Grant>>,
}

impl ViewRow {
    pub fn kind(&self) -> ObjectKind {
        self.relkind.0
    }

    pub fn model(self) -> View {
        View {
            schema: self.schema,
            name: self.name,
            materialized: self.relkind.0 == ObjectKind::MaterializedView,
            owner: self.owner,
            definition: self.definition,
            options: self.options,
            columns: Vec::new(),
            comment: self.comment,
            acl: self.acl.0,
            column_comments: BTreeMap::new(),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ColumnRow {
    pub rel_oid: i64,
    pub num: i32,
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    pub default_expr: Option<String>,
    #[sqlx(try_from = "String")]
    pub generated_kind: Generated,
    pub generated: Option<String>,
    #[sqlx(try_from = "String")]
    pub identity: Identity,
    pub collation: Option<String>,
    pub local: bool,
    pub comment: Option<String>,
    pub acl: Json<Vec<Grant>>,
}

impl ColumnRow {
    pub fn model(self) -> Column {
        Column {
            name: self.name,
            data_type: self.data_type,
            not_null: self.not_null,
            default: self.default_expr,
            generated: self.generated,
            virtual_generated: self.generated_kind.0 == Some("VIRTUAL"),
            identity: self.identity.0.map(str::to_string),
            collation: self.collation,
            comment: self.comment,
            acl: self.acl.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ConstraintRow {
    pub oid: i64,
    pub rel_oid: i64,
    pub index_oid: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub kind: ConstraintCode,
    pub definition: String,
    pub validated: bool,
    pub deferrable: bool,
    pub deferred: bool,
    pub references_table: Option<String>,
    pub columns: Vec<String>,
    pub comment: Option<String>,
}

impl ConstraintRow {
    pub fn model(self) -> Constraint {
        Constraint {
            name: self.name,
            kind: self.kind.0,
            definition: self.definition,
            validated: self.validated,
            deferrable: self.deferrable,
            deferred: self.deferred,
            references: self.references_table,
            columns: self.columns,
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct IndexRow {
    pub oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    pub table_key: String,
    pub definition: String,
    pub is_unique: bool,
    pub valid: bool,
    pub partial: bool,
    pub expression: bool,
    pub comment: Option<String>,
}

impl IndexRow {
    pub fn model(self) -> Index {
        Index {
            schema: self.schema,
            name: self.name,
            table: self.table_key,
            definition: self.definition,
            unique: self.is_unique,
            valid: self.valid,
            partial: self.partial,
            expression: self.expression,
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct FunctionRow {
    pub oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub prokind: ProcKind,
    pub owner: String,
    pub arguments: String,
    pub identity_arguments: String,
    pub result: Option<String>,
    pub language: String,
    #[sqlx(try_from = "String")]
    pub volatility: super::code::Volatility,
    pub security_definer: bool,
    pub leakproof: bool,
    pub strict: bool,
    #[sqlx(try_from = "String")]
    pub parallel: Parallel,
    pub config: Vec<String>,
    pub definition: String,
    pub sql_body: bool,
    pub comment: Option<String>,
    pub acl: Json<Vec<Grant>>,
}

impl FunctionRow {
    pub fn kind(&self) -> ObjectKind {
        if self.prokind.0 {
            ObjectKind::Procedure
        } else {
            ObjectKind::Function
        }
    }

    pub fn model(self) -> Function {
        let procedure = self.prokind.0;
        Function {
            schema: self.schema,
            name: self.name,
            procedure,
            owner: self.owner,
            arguments: self.arguments,
            identity_arguments: self.identity_arguments,
            result: if procedure { None } else { self.result },
            language: self.language,
            volatility: self.volatility.0.to_string(),
            security_definer: self.security_definer,
            leakproof: self.leakproof,
            strict: self.strict,
            parallel: self.parallel.0.to_string(),
            config: self.config,
            definition: self.definition,
            sql_body: self.sql_body,
            comment: self.comment,
            acl: self.acl.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TriggerRow {
    pub oid: i64,
    pub table_key: String,
    pub name: String,
    pub definition: String,
    #[sqlx(try_from = "String")]
    pub enabled: Enabled,
    pub function: Option<String>,
    pub constraint_trigger: bool,
    pub comment: Option<String>,
}

impl TriggerRow {
    pub fn model(self) -> Trigger {
        Trigger {
            name: self.name,
            table: self.table_key,
            definition: self.definition,
            enabled: self.enabled.0.to_string(),
            function: self.function,
            constraint_trigger: self.constraint_trigger,
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct PolicyRow {
    pub oid: i64,
    pub table_key: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub command: PolicyCommand,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub using_expr: Option<String>,
    pub check_expr: Option<String>,
    pub comment: Option<String>,
}

impl PolicyRow {
    pub fn model(self) -> Policy {
        Policy {
            name: self.name,
            table: self.table_key,
            command: self.command.0.to_string(),
            permissive: self.permissive,
            roles: self.roles,
            using: self.using_expr,
            check: self.check_expr,
            comment: self.comment,
        }
    }
}

/// One `pg_depend` edge, with a view's rewrite rule and a column default already folded into
/// the relation and the column they belong to.
#[derive(Debug, sqlx::FromRow)]
pub struct DependencyRow {
    pub class: String,
    pub oid: i64,
    pub sub: i32,
    pub ref_class: String,
    pub ref_oid: i64,
    pub ref_sub: i32,
}

#[derive(Debug, sqlx::FromRow)]
pub struct NotComparedRow {
    pub kind: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub reason: Reason,
}

impl NotComparedRow {
    pub fn model(self) -> NotCompared {
        NotCompared {
            kind: self.kind,
            name: self.name,
            reason: self.reason.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct DefaultPrivilegesRow {
    pub role: String,
    pub schema: Option<String>,
    #[sqlx(try_from = "String")]
    pub objects: DefaultObjectsCode,
    pub acl: Json<Vec<Grant>>,
}

impl DefaultPrivilegesRow {
    pub fn model(self) -> DefaultPrivileges {
        DefaultPrivileges {
            role: self.role,
            schema: self.schema,
            objects: self.objects.0,
            acl: self.acl.0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct EventTriggerRow {
    pub oid: i64,
    pub key: String,
    pub name: String,
    pub event: String,
    pub function: String,
    pub tags: Vec<String>,
    #[sqlx(try_from = "String")]
    pub enabled: EventTriggerEnabled,
    pub owner: String,
    pub comment: Option<String>,
    pub in_scope: bool,
}

impl EventTriggerRow {
    pub fn model(self) -> EventTrigger {
        EventTrigger {
            name: self.name,
            event: self.event,
            function: self.function,
            tags: self.tags,
            enabled: self.enabled.0.to_string(),
            owner: self.owner,
            comment: self.comment,
            in_scope: self.in_scope,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct PublicationRow {
    pub key: String,
    pub name: String,
    pub all_tables: bool,
    pub publish: Vec<String>,
    pub via_root: bool,
    pub tables: Json<Vec<PublicationTable>>,
    pub schemas: Vec<String>,
    pub owner: String,
    pub comment: Option<String>,
    pub in_scope: bool,
}

impl PublicationRow {
    pub fn model(self) -> Publication {
        Publication {
            name: self.name,
            all_tables: self.all_tables,
            publish: self.publish,
            via_root: self.via_root,
            in_scope: self.in_scope,
            tables: self
                .tables
                .0
                .into_iter()
                .map(|t| (t.table.clone(), t))
                .collect(),
            schemas: self.schemas,
            owner: self.owner,
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct StatisticsRow {
    pub oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    pub table_key: String,
    pub definition: String,
    pub target: i32,
    pub owner: String,
    pub comment: Option<String>,
}

impl StatisticsRow {
    pub fn model(self) -> Statistics {
        Statistics {
            schema: self.schema,
            name: self.name,
            table: self.table_key,
            definition: self.definition,
            target: self.target,
            owner: self.owner,
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct RuleRow {
    pub oid: i64,
    pub relation_key: String,
    #[sqlx(try_from = "String")]
    pub relkind: RelationKind,
    pub name: String,
    pub definition: String,
    #[sqlx(try_from = "String")]
    pub enabled: RuleEnabled,
    pub comment: Option<String>,
}

impl RuleRow {
    pub fn model(self) -> Rule {
        Rule {
            name: self.name,
            relation: self.relation_key,
            relation_kind: self.relkind.0,
            definition: self.definition,
            enabled: self.enabled.0.to_string(),
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct CollationRow {
    pub oid: i64,
    pub key: String,
    pub schema: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub provider: CollationProvider,
    pub deterministic: bool,
    pub lc_collate: Option<String>,
    pub lc_ctype: Option<String>,
    pub locale: Option<String>,
    pub rules: Option<String>,
    pub owner: String,
    pub comment: Option<String>,
}

impl CollationRow {
    pub fn model(self) -> Collation {
        Collation {
            schema: self.schema,
            name: self.name,
            provider: self.provider.0.to_string(),
            deterministic: self.deterministic,
            lc_collate: self.lc_collate,
            lc_ctype: self.lc_ctype,
            locale: self.locale,
            rules: self.rules,
            owner: self.owner,
            comment: self.comment,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct SecurityLabelRow {
    pub provider: String,
    pub object_type: String,
    pub object: String,
    pub label: String,
}

impl SecurityLabelRow {
    pub fn key(&self) -> String {
        format!("{} {} {}", self.provider, self.object_type, self.object)
    }

    pub fn model(self) -> SecurityLabel {
        SecurityLabel {
            provider: self.provider,
            object_type: self.object_type,
            object: self.object,
            label: self.label,
        }
    }
}

/// `role_members.sql`.
#[derive(Debug, sqlx::FromRow)]
pub struct MembershipRow {
    pub member: String,
    pub role: String,
    pub inherit: bool,
}

impl MembershipRow {
    pub fn model(self) -> Membership {
        Membership {
            member: self.member,
            role: self.role,
            inherit: self.inherit,
        }
    }
}

/// `view_reads.sql`.
#[derive(Debug, sqlx::FromRow)]
pub struct ViewReadsRow {
    pub view: String,
    pub reads: Vec<String>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct RoleRow {
    pub key: String,
    pub name: String,
    pub superuser: bool,
    pub bypass_rls: bool,
}

impl RoleRow {
    pub fn model(self) -> Role {
        Role {
            name: self.name,
            superuser: self.superuser,
            bypass_rls: self.bypass_rls,
        }
    }
}
