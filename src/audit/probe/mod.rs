//! `audit --probe`: the contract tested on live rows, inside ONE transaction that is always
//! rolled back.
//!
//! Who attacks: every user the contract lists (without a contract: up to four owners found in
//! the data), an outsider (a signed-in user who owns nothing and belongs to no tenant) and a
//! signed-out visitor (`anon`; under `setting`, the role without the setting and with an empty
//! one). Admins are never attackers.
//!
//! For each table the contract covers and each attacker, the probe first asks, as the
//! connecting role (which must skip the table's row-level security), which rows the contract
//! forbids the attacker per command ([`plan::allowed_sql`]). Then, each attempt in its own
//! savepoint, acting as the attacker (`auth::assume_sql`): read every forbidden row; update
//! and delete them by key, and when that is filtered, without a WHERE clause (`UPDATE t SET
//! owner = me` takes rows over, `DELETE FROM t`), since then only the UPDATE/DELETE policies
//! apply, judged by which forbidden rows are still there, unchanged; insert a copy of a row
//! owned by someone else (fresh key); move one of its own rows to another owner or tenant.
//! What the contract allows is tried too, and a refusal is reported as `probe-denied`.
//! SECURITY DEFINER functions that API roles may call and the contract does not trust are
//! called with other users' ids ([`functions`]).
//!
//! Each leak names the policy, grant or function that let it through (from the reach the audit
//! computed). Writes nothing that outlives the rollback, with one PostgreSQL exception:
//! sequences advanced by triggers of the tables probed (`nextval` is not transactional); the
//! probe itself supplies every column of the rows it inserts.

mod allowed;
mod attack;
mod functions;
pub mod plan;
mod write;

pub use plan::{Kind, Outcome, Principal, PrincipalKind};

use super::{AuditConfig, OwnerColumn};
use crate::access::{Command, Contract, Reach};
use crate::catalog::Catalog;
use crate::config::{Auth, AuthModel};
use crate::db::{self, DbError};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("audit --probe under the `setting` auth model needs `[auth] role` in strata.toml: the role the probe acts as")]
    NoRole,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// One attempt, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// The principal's label (`user 1111…`, `outsider`, `signed-out`).
    pub principal: String,
    /// The database role acted as.
    pub role: String,
    pub command: Command,
    pub kind: Kind,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Owners of the rows reached, when it leaked (a few).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub victims: Vec<String>,
}

/// A table the probe ran against.
#[derive(Debug, Clone, Serialize)]
pub struct ProbedTable {
    pub table: String,
    pub rows: u64,
    pub attempts: Vec<Attempt>,
}

/// Something the contract forbids, done.
#[derive(Debug, Clone, Serialize)]
pub struct Leak {
    /// The table, or the function called.
    pub table: String,
    /// `table` or `function`.
    pub object: String,
    pub command: Option<Command>,
    pub kind: Kind,
    pub principal: String,
    pub role: String,
    /// The attacker's id; empty when signed out.
    pub user: String,
    /// Rows reached (0 when only a constraint stopped the statement).
    pub rows: u64,
    /// Owners of the rows reached (a few), or the user whose id a function was called with.
    pub victims: Vec<String>,
    /// The policies, grants or function that let it through.
    pub allowed_by: Vec<String>,
    pub detail: String,
}

/// Something the contract allows, refused.
#[derive(Debug, Clone, Serialize)]
pub struct Denied {
    pub table: String,
    pub command: Command,
    pub principal: String,
    pub role: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotProbed {
    pub table: String,
    pub reason: String,
}

/// What the probe cost, for the benchmark.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cost {
    pub tables: usize,
    pub principals: usize,
    pub attempts: usize,
    pub statements: u64,
    pub elapsed_ms: u64,
    /// Milliseconds per probed table and principal.
    pub ms_per_table_principal: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// `declared` (the contract) or `heuristic` (owner-only on tables with an owner column).
    pub judged_against: String,
    pub principals: Vec<Principal>,
    /// Listed admins: never attackers.
    pub admins: Vec<String>,
    pub probed: Vec<ProbedTable>,
    pub leaks: Vec<Leak>,
    /// Uses the contract allows that were refused (`probe-denied`).
    pub denied: Vec<Denied>,
    pub not_probed: Vec<NotProbed>,
    /// SECURITY DEFINER functions called with other users' ids.
    pub functions: Vec<functions::FunctionProbe>,
    pub cost: Cost,
}

/// What the probe reads.
pub struct Input<'a> {
    pub catalog: &'a Catalog,
    pub config: &'a AuditConfig,
    pub auth: &'a Auth,
    /// The contract; `None` for the heuristic (owner-only tables, principals from the data).
    pub contract: Option<&'a Contract>,
    pub reaches: &'a [Reach],
    pub owners: &'a BTreeMap<String, Vec<OwnerColumn>>,
}

/// Runs the probe in one transaction and rolls it back, whatever happens.
pub async fn run(conn: &mut PgConnection, input: &Input<'_>) -> Result<ProbeReport, ProbeError> {
    let role = input.config.probe_role.clone().ok_or(ProbeError::NoRole)?;
    db::execute_script(
        conn,
        "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;\nSET LOCAL lock_timeout = '5s';\nSET LOCAL statement_timeout = '60s';",
    )
    .await
    .map_err(|e| DbError::query("starting the probe transaction", &e))?;
    let started = std::time::Instant::now();
    let result = probe_all(conn, input, &role).await;
    let end = db::execute_script(conn, "ROLLBACK")
        .await
        .map_err(|e| DbError::query("rolling back the probe transaction", &e));
    let mut report = result?;
    end?;
    let c = &mut report.cost;
    c.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let pairs = (c.tables * c.principals).max(1);
    c.ms_per_table_principal = c.elapsed_ms as f64 / pairs as f64;
    Ok(report)
}

/// The contract the probe judges against: the file, or the heuristic. Tables the file does not
/// list (or lists without an owner) take their owner column from the catalog (a foreign key to
/// a users table, or `[auth] owner_columns`), so `[defaults] read = "owner"` can be tested.
fn effective_contract(input: &Input<'_>) -> Contract {
    match input.contract {
        Some(c) => {
            let mut c = c.clone();
            for (key, cols) in input.owners {
                let Some(first) = cols.first() else { continue };
                let entry = c.tables.entry(key.clone()).or_insert_with(|| {
                    crate::access::contract::TableContract {
                        key: key.clone(),
                        ..Default::default()
                    }
                });
                if entry.owner.is_empty() {
                    entry.owner.push(crate::access::OwnerRef::Column {
                        column: first.column.clone(),
                    });
                }
            }
            c
        }
        None => plan::heuristic_contract(input.owners),
    }
}

async fn probe_all(
    conn: &mut PgConnection,
    input: &Input<'_>,
    role: &str,
) -> Result<ProbeReport, DbError> {
    let contract = effective_contract(input);
    let cat = input.catalog;
    let mut session = attack::Session::new(conn, input);
    let me: String = session.current_user().await?;
    session.superuser = cat
        .roles
        .get(&crate::sql::quote_ident(&me))
        .is_some_and(|r| r.superuser);
    let principals = principals(&mut session, input, &contract, role).await?;
    let mut report = ProbeReport {
        judged_against: if input.contract.is_some() {
            "declared".into()
        } else {
            "heuristic".into()
        },
        principals: principals.clone(),
        admins: contract.principals.admins.clone(),
        probed: Vec::new(),
        leaks: Vec::new(),
        denied: Vec::new(),
        not_probed: Vec::new(),
        functions: Vec::new(),
        cost: Cost::default(),
    };
    // Tables the contract covers: listed ones, and under a real contract every table.
    let keys: Vec<&String> = cat
        .tables
        .keys()
        .filter(|k| contract.tables.contains_key(*k) || input.contract.is_some())
        .collect();
    for key in keys {
        let Some(table) = cat.tables.get(key) else {
            continue;
        };
        let np = |reason: &str| NotProbed {
            table: key.clone(),
            reason: reason.to_string(),
        };
        if table.partition_of.is_some() {
            report
                .not_probed
                .push(np("a partition: probed through its parent"));
            continue;
        }
        if let Some(why) = attack::connecting_role_filtered(cat, key, &me) {
            report.not_probed.push(np(&why));
            continue;
        }
        let res = contract.resolve(key);
        if res
            .levels
            .iter()
            .all(|l| *l == crate::access::Level::Public)
        {
            report
                .not_probed
                .push(np("the contract lets everyone do everything with it"));
            continue;
        }
        let tenant = res.tenant.and_then(|t| contract.tenants.get(&t.relation));
        let target = plan::Target {
            key,
            table,
            contract: res,
            tenant,
        };
        match session.probe_table(&target, &principals).await? {
            Err(reason) => report.not_probed.push(np(&reason)),
            Ok(p) => {
                report.cost.tables += 1;
                for a in &p.attempts {
                    session.collect(&target, a, &mut report);
                }
                report.probed.push(p);
            }
        }
    }
    let users: Vec<&Principal> = principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::User)
        .collect();
    report.functions =
        functions::probe(&mut session, input, &contract, &users, &mut report.leaks).await?;
    report.cost.principals = principals.len();
    report.cost.attempts = report.probed.iter().map(|t| t.attempts.len()).sum();
    report.cost.statements = session.statements;
    Ok(report)
}

/// The attackers: listed users (or owners found in the data), an outsider, the signed-out.
async fn principals(
    session: &mut attack::Session<'_, '_>,
    input: &Input<'_>,
    contract: &Contract,
    role: &str,
) -> Result<Vec<Principal>, DbError> {
    let mut ids: Vec<String> = contract.principals.users.clone();
    if ids.is_empty() {
        ids = session.owners_in_data(&contract.tables, 4).await?;
        ids.retain(|u| !contract.is_admin(u));
    }
    let mut out: Vec<Principal> = ids
        .into_iter()
        .map(|id| Principal {
            label: format!("user {id}"),
            id: Some(id),
            role: role.to_string(),
            kind: PrincipalKind::User,
        })
        .collect();
    let owner_type = contract
        .tables
        .values()
        .find_map(|t| {
            let col = t.owner.first()?.column();
            input
                .catalog
                .tables
                .get(&t.key)?
                .column(col)
                .map(|c| c.data_type.clone())
        })
        .unwrap_or_else(|| "uuid".into());
    out.push(Principal {
        label: "outsider".into(),
        id: Some(plan::outsider_id(&owner_type)),
        role: role.to_string(),
        kind: PrincipalKind::Outsider,
    });
    match input.config.model {
        AuthModel::Supabase => {
            if let Some(anon) = &input.config.anon_role {
                out.push(Principal {
                    label: "signed-out".into(),
                    id: None,
                    role: anon.clone(),
                    kind: PrincipalKind::SignedOut,
                });
            }
        }
        AuthModel::Setting => {
            out.push(Principal {
                label: "signed-out (no setting)".into(),
                id: None,
                role: role.to_string(),
                kind: PrincipalKind::SignedOut,
            });
            out.push(Principal {
                label: "signed-out (empty setting)".into(),
                id: None,
                role: role.to_string(),
                kind: PrincipalKind::SignedOutEmpty,
            });
        }
    }
    Ok(out)
}
