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
pub mod draft;
pub mod expr;
pub mod matrix;
pub mod owner;
pub mod privilege;
pub mod probe;
pub mod reach;
pub mod rules;

pub use matrix::{Access, Command, MatrixRow};
pub use owner::OwnerColumn;
pub use reach::Reacher;
pub use rules::{Finding, FindingId, Severity};

use crate::access::{compare, Contract, Level, Reach};
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

/// Whether intent is declared: the contract file, or how to write one.
#[derive(Debug, Clone, Serialize)]
pub struct ContractStatus {
    /// `policies/access.toml` when it was read.
    pub path: Option<String>,
    /// `declared` (findings and verdicts compare with the contract) or `unknown` (heuristics).
    pub intent: String,
    /// Without a contract: what that means and how to write one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One cell of the access table: the effective level, the declared one, and how they compare.
#[derive(Debug, Clone, Serialize)]
pub struct AccessCell {
    /// `owner`, `owner..public` (not fully classified), `owner+admin`.
    pub effective: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<Level>,
    /// `exceeds`, `admin-exceeds`, `unclassified`, `below`; absent when it matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<compare::Verdict>,
}

/// A table or view with its four cells.
#[derive(Debug, Clone, Serialize)]
pub struct AccessRow {
    pub table: String,
    /// `table`, `view` or `materialized-view`.
    pub kind: String,
    pub select: AccessCell,
    pub insert: AccessCell,
    pub update: AccessCell,
    pub delete: AccessCell,
}

impl AccessRow {
    pub fn get(&self, cmd: Command) -> &AccessCell {
        match cmd {
            Command::Select => &self.select,
            Command::Insert => &self.insert,
            Command::Update => &self.update,
            Command::Delete => &self.delete,
        }
    }
}

/// The text shown when there is no contract.
pub const INTENT_UNKNOWN: &str = "intent unknown: there is no policies/access.toml, so strata cannot tell intended sharing from a leak and falls back to heuristics (every table with an owner column is treated as owner-only). Write one from what the policies allow today with `strata audit --write-contract`, review it, and commit it.";

/// Everything `strata audit` reports; text and JSON render this one struct.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub schemas: Vec<String>,
    pub model: AuthModel,
    pub contract: ContractStatus,
    pub roles: Vec<RoleReport>,
    /// Roles that skip row-level security everywhere (SUPERUSER or BYPASSRLS): outside the
    /// contract, listed so that nobody forgets them.
    pub bypassing_roles: Vec<String>,
    pub tables: Vec<TableReport>,
    /// Effective (and declared) level per table and command.
    pub access: Vec<AccessRow>,
    /// Per role and command, as PostgreSQL decides it.
    pub matrix: Vec<MatrixRow>,
    /// The full detail behind `access`: every source (role, policy or grant, reading).
    pub reaches: Vec<Reach>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// With `--probe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<probe::ProbeReport>,
    /// With `--write-contract`: the file written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// With `--compare`: who gains and loses access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<crate::access::delta::DeltaReport>,
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

/// Audits a catalog without a contract (heuristics). Pure: no database.
pub fn check(cat: &Catalog, cfg: &AuditConfig) -> AuditReport {
    check_with(cat, cfg, None)
}

/// Audits a catalog: tables, matrix, reach, findings; against the contract when there is one.
/// Pure: no database.
pub fn check_with(cat: &Catalog, cfg: &AuditConfig, contract: Option<&Contract>) -> AuditReport {
    let by_table = policies_by_table(cat);
    let owners = owner_columns(cat, cfg);
    let matrix = matrix::build(cat, cfg, &by_table);
    let reacher = Reacher::new(cat, cfg, contract, &by_table);
    let reaches = reacher.all();
    let judgements = match contract {
        Some(c) => compare::compare(c, &reaches, |k| cat.views.contains_key(k)),
        None => Vec::new(),
    };
    let findings = {
        let cx = rules::Context::new(cat, cfg, &by_table, &owners, &matrix).with_contract(
            contract,
            &reaches,
            &judgements,
            &reacher,
        );
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
    let bypassing_roles = cat
        .roles
        .values()
        .filter(|r| r.superuser || r.bypass_rls)
        .map(|r| r.name.clone())
        .collect();
    let access = access_rows(cat, contract, &reaches, &judgements);
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
        contract: match contract {
            Some(c) => ContractStatus {
                path: Some(c.path.clone()),
                intent: "declared".into(),
                note: None,
            },
            None => ContractStatus {
                path: None,
                intent: "unknown".into(),
                note: Some(INTENT_UNKNOWN.into()),
            },
        },
        roles,
        bypassing_roles,
        tables,
        access,
        matrix,
        reaches,
        findings,
        summary,
        probe: None,
        written: None,
        compare: None,
    }
}

/// The access table: one row per table and view, the reach of each command and, with a
/// contract, the declared level and the verdict.
fn access_rows(
    cat: &Catalog,
    contract: Option<&Contract>,
    reaches: &[Reach],
    judgements: &[compare::Judgement],
) -> Vec<AccessRow> {
    let mut by: BTreeMap<&str, Vec<&Reach>> = BTreeMap::new();
    for r in reaches {
        by.entry(r.table.as_str()).or_default().push(r);
    }
    by.into_iter()
        .map(|(table, rs)| {
            let declared = contract.and_then(|c| {
                let res = c.resolve(table);
                (res.listed || !cat.views.contains_key(table)).then_some(res.levels)
            });
            let cell = |cmd: Command| {
                let r = rs.iter().find(|r| r.command == cmd);
                let verdict = judgements
                    .iter()
                    .filter(|j| j.table == table && j.command == cmd)
                    .map(|j| j.verdict)
                    .min();
                AccessCell {
                    effective: r.map_or_else(|| "none".into(), |r| r.label()),
                    declared: declared.map(|d| d[cmd.index()]),
                    verdict,
                }
            };
            let kind = match cat.views.get(table) {
                Some(v) if v.materialized => "materialized-view",
                Some(_) => "view",
                None => "table",
            };
            AccessRow {
                table: table.to_string(),
                kind: kind.into(),
                select: cell(Command::Select),
                insert: cell(Command::Insert),
                update: cell(Command::Update),
                delete: cell(Command::Delete),
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
