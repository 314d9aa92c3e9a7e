//! The RLS audit (`strata audit [--probe]`): per table, row-level security enabled/forced and
//! its policies; the access matrix (table × role × command, [`matrix`]); findings with a
//! severity and a one-line fix ([`rules`], one finding kind per file); and, on request, a probe
//! that acts as two users on live rows inside a transaction that is always rolled back
//! ([`probe`]).
//!
//! Owns: judging access from a [`Catalog`]. Must not: introspect on its own (it reads the one
//! `catalog::introspect`), print (that is `report::audit`), or leave anything behind (the probe
//! writes only inside a transaction it rolls back).
//!
//! Why it is shaped so: [`check`] is a pure function of the catalog and the configuration, so
//! every rule is tested without a database; the probe is separate because it needs live rows
//! and a connection, and answers a different question (does isolation hold on the data, not
//! what the catalog allows).

pub mod classify;
pub mod expr;
pub mod matrix;
pub mod owner;
pub mod privilege;
pub mod probe;
pub mod reach;
pub mod rules;

pub use matrix::{Access, Command, MatrixRow};
pub use owner::OwnerColumn;
pub use rules::{Finding, FindingId, Severity};

use crate::catalog::{Catalog, Policy};
use crate::config::{AuthModel, Config};
use serde::Serialize;
use std::collections::BTreeMap;

/// Policies of each table, by table key, in policy-name order.
pub type PoliciesByTable<'a> = BTreeMap<&'a str, Vec<&'a Policy>>;

/// What the audit needs from `strata.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct AuditConfig {
    /// The audited (exposed) schemas: `[database] schemas`.
    pub schemas: Vec<String>,
    pub model: AuthModel,
    /// The matrix's roles: `anon`, `authenticated`, `service_role` under `supabase`; the
    /// configured `role` under `setting`.
    pub roles: Vec<String>,
    /// Roles clients reach the database as: their privileges make a finding an error
    /// (`anon`, `authenticated`; or the `setting` role).
    pub api_roles: Vec<String>,
    /// The signed-out role (`anon` under `supabase`), for which `auth.uid()` is NULL.
    pub anon_role: Option<String>,
    /// The role the probe acts as: `authenticated`, or the `setting` role.
    pub probe_role: Option<String>,
    /// `[auth] owner_columns`.
    pub owner_columns: Vec<String>,
    /// `setting` model: the setting that carries the user id.
    pub setting: Option<String>,
}

impl AuditConfig {
    pub fn from_config(cfg: &Config) -> AuditConfig {
        let auth = &cfg.auth;
        let (roles, api_roles, anon_role, probe_role) = match auth.model {
            AuthModel::Supabase => (
                vec!["anon".into(), "authenticated".into(), "service_role".into()],
                vec!["anon".into(), "authenticated".into()],
                Some("anon".to_string()),
                Some("authenticated".to_string()),
            ),
            AuthModel::Setting => {
                let r: Vec<String> = auth.role.iter().cloned().collect();
                (r.clone(), r, None, auth.role.clone())
            }
        };
        AuditConfig {
            schemas: cfg.database.schemas.clone(),
            model: auth.model,
            roles,
            api_roles,
            anon_role,
            probe_role,
            owner_columns: auth.owner_columns.clone(),
            setting: auth.setting.clone(),
        }
    }
}

/// A policy as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySummary {
    pub name: String,
    pub command: String,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub check: Option<String>,
}

/// One audited table.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub owner: Option<String>,
    pub owner_columns: Vec<OwnerColumn>,
    pub policies: Vec<PolicySummary>,
}

/// An audited role as found in the cluster.
#[derive(Debug, Clone, Serialize)]
pub struct RoleReport {
    pub name: String,
    pub exists: bool,
    pub superuser: bool,
    pub bypass_rls: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub tables: usize,
    pub policies: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// Everything `strata audit` reports; text and JSON render this one struct.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub schemas: Vec<String>,
    pub model: AuthModel,
    pub roles: Vec<RoleReport>,
    pub tables: Vec<TableReport>,
    pub matrix: Vec<MatrixRow>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// With `--probe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<probe::ProbeReport>,
}

impl AuditReport {
    /// A finding of severity `error`, or a probe leak: exit 1.
    pub fn failed(&self) -> bool {
        self.summary.errors > 0 || self.probe.as_ref().is_some_and(|p| !p.leaks.is_empty())
    }
}

/// Policies grouped by table.
pub fn policies_by_table(cat: &Catalog) -> PoliciesByTable<'_> {
    let mut by: PoliciesByTable<'_> = BTreeMap::new();
    for p in cat.policies.values() {
        by.entry(p.table.as_str()).or_default().push(p);
    }
    by
}

/// Owner columns of every table that has one.
pub fn owner_columns(cat: &Catalog, cfg: &AuditConfig) -> BTreeMap<String, Vec<OwnerColumn>> {
    let users = owner::users_tables(cat);
    cat.tables
        .iter()
        .filter_map(|(k, t)| {
            let o = owner::owner_columns(t, &users, &cfg.owner_columns);
            (!o.is_empty()).then(|| (k.clone(), o))
        })
        .collect()
}

/// Audits a catalog: tables, matrix, findings. Pure: no database.
pub fn check(cat: &Catalog, cfg: &AuditConfig) -> AuditReport {
    let by_table = policies_by_table(cat);
    let owners = owner_columns(cat, cfg);
    let matrix = matrix::build(cat, cfg, &by_table);
    let findings = {
        let cx = rules::Context::new(cat, cfg, &by_table, &owners, &matrix);
        rules::run_all(&cx)
    };
    let tables = cat
        .tables
        .iter()
        .map(|(key, t)| TableReport {
            table: key.clone(),
            rls_enabled: t.rls_enabled,
            rls_forced: t.rls_forced,
            owner: cat.owners.get(key).cloned(),
            owner_columns: owners.get(key).cloned().unwrap_or_default(),
            policies: by_table
                .get(key.as_str())
                .map(|ps| {
                    ps.iter()
                        .map(|p| PolicySummary {
                            name: p.name.clone(),
                            command: p.command.clone(),
                            permissive: p.permissive,
                            roles: p.roles.clone(),
                            using: p.using.clone(),
                            check: p.check.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let roles = cfg
        .roles
        .iter()
        .map(|name| {
            let r = cat.roles.get(&crate::sql::quote_ident(name));
            RoleReport {
                name: name.clone(),
                exists: r.is_some(),
                superuser: r.is_some_and(|r| r.superuser),
                bypass_rls: r.is_some_and(|r| r.bypass_rls),
            }
        })
        .collect();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        tables: cat.tables.len(),
        policies: cat.policies.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
    };
    AuditReport {
        schemas: cfg.schemas.clone(),
        model: cfg.model,
        roles,
        tables,
        matrix,
        findings,
        summary,
        probe: None,
    }
}

#[cfg(test)]
mod tests;
