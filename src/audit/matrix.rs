//! The access matrix: for each table × audited role × command, what PostgreSQL would let that
//! role do, from the catalog alone.
//!
//! The order of the questions follows PostgreSQL's own checks (see "Row Security Policies" in
//! the PostgreSQL docs, `CREATE POLICY` notes): a superuser skips everything; without a table
//! privilege (from the table ACL, a column privilege, or PUBLIC) and USAGE on the schema the
//! statement fails; with RLS disabled the privilege gives every row; a BYPASSRLS role, or the
//! owner of a table whose RLS is not forced, skips the policies; otherwise at least one
//! permissive policy must apply to the role (its roles include it or `public`) and command.
//!
//! Policies are read as PostgreSQL deparsed them. Under the `supabase` model a top-level
//! `auth.role() = 'x'` conjunct limits a policy to role `x`, and an `auth.uid() = …` conjunct
//! can never hold for `anon` (no `sub` claim): such a policy is listed as not applying to the
//! other roles. Anything else is assumed to possibly pass: the matrix says which policies can
//! let rows through, the probe tests whether they do.
//!
//! Role membership is followed (`audit::privilege`): privileges of inherited roles, policies
//! naming them, and ownership (a member of the owner skips unforced row-level security too).

use super::expr;
use super::privilege;
use super::AuditConfig;
use crate::catalog::{Catalog, Policy, Table};
use crate::config::AuthModel;
use crate::sql::quote_ident;
use serde::Serialize;

pub use crate::access::Command;

/// Why a role cannot use a command at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DenyReason {
    /// The role does not exist in this cluster.
    NoRole,
    /// No table (or column) privilege for the command, neither directly nor through PUBLIC.
    NoGrant,
    /// No USAGE on the table's schema.
    NoSchemaUsage,
    /// RLS is enabled and no permissive policy applies to the role and command.
    NoPolicy,
}

/// Why a role is not subject to the table's policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BypassReason {
    Superuser,
    BypassRls,
    /// The role owns the table and RLS is not forced.
    Owner,
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "access", rename_all = "kebab-case")]
pub enum Access {
    /// RLS applies; these permissive policies can let rows through (restrictive ones narrow them).
    Allowed {
        policies: Vec<String>,
        restrictive: Vec<String>,
    },
    Denied {
        reason: DenyReason,
    },
    /// The role has the privilege and RLS is disabled: every row.
    NoRls,
    /// The role skips the policies: every row.
    Bypass {
        reason: BypassReason,
    },
}

impl Access {
    /// The cell as the text table shows it.
    pub fn label(&self) -> String {
        match self {
            Access::Allowed {
                policies,
                restrictive,
            } => {
                let mut s = format!("allowed by {}", policies.join(", "));
                if !restrictive.is_empty() {
                    s.push_str(&format!(" (restricted by {})", restrictive.join(", ")));
                }
                s
            }
            Access::Denied { reason } => match reason {
                DenyReason::NoRole => "denied (no such role)".into(),
                DenyReason::NoGrant => "denied (no grant)".into(),
                DenyReason::NoSchemaUsage => "denied (no schema usage)".into(),
                DenyReason::NoPolicy => "denied (no policy)".into(),
            },
            Access::NoRls => "no RLS".into(),
            Access::Bypass { reason } => match reason {
                BypassReason::Superuser => "bypass (superuser)".into(),
                BypassReason::BypassRls => "bypass (BYPASSRLS)".into(),
                BypassReason::Owner => "bypass (owner)".into(),
            },
        }
    }

    /// Rows may be reachable: allowed, no RLS or bypass.
    pub fn reaches_rows(&self) -> bool {
        !matches!(self, Access::Denied { .. })
    }
}

/// One row of the matrix: a table and a role, the four commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    pub table: String,
    pub role: String,
    pub select: Access,
    pub insert: Access,
    pub update: Access,
    pub delete: Access,
}

impl MatrixRow {
    pub fn get(&self, cmd: Command) -> &Access {
        match cmd {
            Command::Select => &self.select,
            Command::Insert => &self.insert,
            Command::Update => &self.update,
            Command::Delete => &self.delete,
        }
    }
}

/// Whether a policy takes part for a role and command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicability {
    Applies,
    /// Its command is another one.
    OtherCommand,
    /// Its roles do not include the role (nor `public`).
    OtherRole,
    /// It names the role, but its expression can never hold for it (the reason).
    Guarded(String),
}

/// The role holds `cmd` on the table, directly, through PUBLIC, through a role it inherits,
/// as its owner, or on at least one column (`GRANT SELECT (a, b)`).
pub fn has_table_privilege(
    cat: &Catalog,
    table_key: &str,
    table: &Table,
    role: &str,
    cmd: Command,
) -> bool {
    let roles = privilege::inherited(cat, role);
    let owner = cat.owners.get(table_key).map(String::as_str);
    let p = cmd.as_str();
    privilege::granted(&table.acl, p, &roles, owner)
        || (cmd != Command::Delete
            && table
                .columns
                .iter()
                .any(|c| privilege::granted(&c.acl, p, &roles, owner)))
}

/// The role may use objects in the schema (USAGE, directly, through PUBLIC or a role it
/// inherits). A schema the catalog did not read counts as usable.
pub fn has_schema_usage(cat: &Catalog, schema: &str, role: &str) -> bool {
    privilege::schema_usage(cat, schema, &privilege::inherited(cat, role))
}

/// The expressions PostgreSQL evaluates for a command: USING for SELECT and DELETE, WITH CHECK
/// (or USING when there is none) for INSERT, both for UPDATE.
fn expressions(p: &Policy, cmd: Command) -> Vec<&str> {
    let using = p.using.as_deref();
    let check = p.check.as_deref().or(using);
    match cmd {
        Command::Select | Command::Delete => using.into_iter().collect(),
        Command::Insert => check.into_iter().collect(),
        Command::Update => using.into_iter().chain(check).collect(),
    }
}

/// Whether `p` takes part when `role` runs `cmd`.
pub fn applicability(
    p: &Policy,
    role: &str,
    roles: &std::collections::BTreeSet<String>,
    cmd: Command,
    cfg: &AuditConfig,
) -> Applicability {
    if p.command != "ALL" && p.command != cmd.as_str() {
        return Applicability::OtherCommand;
    }
    if !p.roles.iter().any(|r| r == "public" || roles.contains(r)) {
        return Applicability::OtherRole;
    }
    for e in expressions(p, cmd) {
        for conj in expr::conjuncts(e) {
            if expr::is_constant_false(conj) {
                return Applicability::Guarded("false".into());
            }
            if cfg.model != AuthModel::Supabase {
                continue;
            }
            if let Some(r) = expr::role_guard(conj) {
                if r != role {
                    return Applicability::Guarded(format!("auth.role() = '{r}'"));
                }
            }
            if cfg.anon_role.as_deref() == Some(role) && expr::requires_uid(conj) {
                return Applicability::Guarded(format!(
                    "needs auth.uid(), which is NULL for {role}"
                ));
            }
        }
    }
    Applicability::Applies
}

/// One cell: what `role` may do with `cmd` on the table.
pub fn access(
    cat: &Catalog,
    cfg: &AuditConfig,
    table_key: &str,
    table: &Table,
    policies: &[&Policy],
    role: &str,
    cmd: Command,
) -> Access {
    let role_key = quote_ident(role);
    let Some(r) = cat.roles.get(&role_key) else {
        return Access::Denied {
            reason: DenyReason::NoRole,
        };
    };
    if r.superuser {
        return Access::Bypass {
            reason: BypassReason::Superuser,
        };
    }
    if !has_table_privilege(cat, table_key, table, role, cmd) {
        return Access::Denied {
            reason: DenyReason::NoGrant,
        };
    }
    if !has_schema_usage(cat, &table.schema, role) {
        return Access::Denied {
            reason: DenyReason::NoSchemaUsage,
        };
    }
    if !table.rls_enabled {
        return Access::NoRls;
    }
    if r.bypass_rls {
        return Access::Bypass {
            reason: BypassReason::BypassRls,
        };
    }
    let roles = privilege::inherited(cat, role);
    if !table.rls_forced && privilege::owns(cat, table_key, &roles).is_some() {
        return Access::Bypass {
            reason: BypassReason::Owner,
        };
    }
    let mut permissive = Vec::new();
    let mut restrictive = Vec::new();
    for p in policies {
        if applicability(p, role, &roles, cmd, cfg) == Applicability::Applies {
            if p.permissive {
                permissive.push(p.name.clone());
            } else {
                restrictive.push(p.name.clone());
            }
        }
    }
    if permissive.is_empty() {
        Access::Denied {
            reason: DenyReason::NoPolicy,
        }
    } else {
        Access::Allowed {
            policies: permissive,
            restrictive,
        }
    }
}

/// The whole matrix, tables in key order, roles in configured order.
pub fn build(
    cat: &Catalog,
    cfg: &AuditConfig,
    by_table: &super::PoliciesByTable<'_>,
) -> Vec<MatrixRow> {
    let mut rows = Vec::with_capacity(cat.tables.len() * cfg.roles.len());
    for (key, table) in &cat.tables {
        let policies = by_table.get(key.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        for role in &cfg.roles {
            let cell = |cmd| access(cat, cfg, key, table, policies, role, cmd);
            rows.push(MatrixRow {
                table: key.clone(),
                role: role.clone(),
                select: cell(Command::Select),
                insert: cell(Command::Insert),
                update: cell(Command::Update),
                delete: cell(Command::Delete),
            });
        }
    }
    rows
}
