//! `audit --probe`: real queries as two different users against every table that has an owner
//! column, inside ONE transaction that is always rolled back.
//!
//! For each table: take the rows of two different owners A and B from the data present (as the
//! connecting role), then act as A (`auth::assume_sql`: role `authenticated` with A's id under
//! `supabase`, the configured role and setting under `setting`) and try, each attempt in its
//! own savepoint that is rolled back, to read B's row by primary key, update it
//! (`SET col = col WHERE pk = …`), delete it (`WHERE pk = …`), and insert a copy of it owned by
//! B with a fresh primary key. Under `supabase`, a signed-out visitor (`anon`, no user) also
//! tries to read B's row. Any success is a leak, named with the policies the matrix says
//! allowed it.
//!
//! A WHERE clause makes PostgreSQL apply the SELECT policies to an UPDATE or DELETE as well, so
//! a wide-open UPDATE/DELETE policy hides behind a strict SELECT policy from a keyed attempt.
//! When the keyed attempt is filtered, the probe also sends the statement a client can send
//! without reading anything (`UPDATE t SET c = DEFAULT`, `DELETE FROM t`, no WHERE) and looks
//! at B's row afterwards, as the connecting role: a new row version (`xmin`) or a missing row
//! is a leak.
//!
//! How outcomes are judged (PostgreSQL's order of checks, `ExecInsert`/`ExecUpdate`): a
//! filtered SELECT/UPDATE/DELETE touches 0 rows; a refused write raises 42501. An UPDATE or
//! DELETE that fails with an integrity error (class 23) had already passed the policies (the
//! row was matched), so it is a leak too. An INSERT has no RETURNING (which would apply the
//! SELECT policies to the new row) and counts only when it succeeded and the row is still B's
//! afterwards (a trigger may have rewritten the owner). Any other error is reported as
//! inconclusive, not as a leak.
//!
//! Writes nothing that outlives the rollback, with one PostgreSQL exception: sequences advanced
//! by triggers of the tables probed (`nextval` is not transactional). The probe itself never
//! calls `nextval`: fresh keys are computed from the data.

use super::matrix::{Access, Command, MatrixRow};
use super::owner::OwnerColumn;
use super::AuditConfig;
use crate::catalog::{Catalog, ConstraintKind, Table};
use crate::config::Auth;
use crate::db::{self, DbError, PgFailure};
use crate::sql::quote_ident;
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

/// What one attempt did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Filtered (0 rows) or refused (42501): isolation held.
    Denied { detail: String },
    /// B's row was read, changed, deleted, or a row owned by B was inserted.
    Leak { detail: String },
    /// An error that says neither.
    Inconclusive { detail: String },
    /// Not attempted.
    Skipped { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// The role acted as: the probe role with user A's id, or the anonymous role (no user).
    pub role: String,
    pub command: Command,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A table the probe ran against.
#[derive(Debug, Clone, Serialize)]
pub struct ProbedTable {
    pub table: String,
    pub owner_column: String,
    /// The user acted as.
    pub user_a: String,
    /// The user whose row was attacked.
    pub user_b: String,
    pub attempts: Vec<Attempt>,
}

/// A successful cross-user attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Leak {
    pub table: String,
    /// The role acted as (`authenticated` as user A, or `anon`).
    pub role: String,
    pub command: Command,
    /// User A's id; empty for the anonymous role.
    pub user_a: String,
    pub user_b: String,
    /// Policies (or "row-level security disabled", "bypass …") that let it through.
    pub allowed_by: Vec<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotProbed {
    pub table: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub role: String,
    pub probed: Vec<ProbedTable>,
    pub leaks: Vec<Leak>,
    pub not_probed: Vec<NotProbed>,
}

/// Runs the probe in one transaction and rolls it back, whatever happens.
pub async fn run(
    conn: &mut PgConnection,
    cat: &Catalog,
    cfg: &AuditConfig,
    auth: &Auth,
    matrix: &[MatrixRow],
    owners: &BTreeMap<String, Vec<OwnerColumn>>,
) -> Result<ProbeReport, ProbeError> {
    let role = cfg.probe_role.clone().ok_or(ProbeError::NoRole)?;
    db::execute_script(
        conn,
        "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;\nSET LOCAL lock_timeout = '5s';\nSET LOCAL statement_timeout = '60s';",
    )
    .await
    .map_err(|e| DbError::query("starting the probe transaction", &e))?;
    let result = probe_all(conn, cat, cfg, auth, &role, matrix, owners).await;
    let end = db::execute_script(conn, "ROLLBACK")
        .await
        .map_err(|e| DbError::query("rolling back the probe transaction", &e));
    let report = result?;
    end?;
    Ok(report)
}

async fn probe_all(
    conn: &mut PgConnection,
    cat: &Catalog,
    cfg: &AuditConfig,
    auth: &Auth,
    role: &str,
    matrix: &[MatrixRow],
    owners: &BTreeMap<String, Vec<OwnerColumn>>,
) -> Result<ProbeReport, DbError> {
    let mut report = ProbeReport {
        role: role.to_string(),
        probed: Vec::new(),
        leaks: Vec::new(),
        not_probed: Vec::new(),
    };
    let cells: BTreeMap<(&str, &str), &MatrixRow> = matrix
        .iter()
        .map(|r| ((r.table.as_str(), r.role.as_str()), r))
        .collect();
    for (key, cols) in owners {
        let (Some(table), Some(owner)) = (cat.tables.get(key), cols.first()) else {
            continue;
        };
        let not_probed = |reason: String| NotProbed {
            table: key.clone(),
            reason,
        };
        if table.partition_of.is_some() {
            report
                .not_probed
                .push(not_probed("a partition: probed through its parent".into()));
            continue;
        }
        let Some(pk) = table
            .constraints
            .values()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
        else {
            report
                .not_probed
                .push(not_probed("no primary key to address one row by".into()));
            continue;
        };
        step(conn, "SAVEPOINT strata_probe_table").await?;
        let t = TableProbe {
            key,
            table,
            owner: &owner.column,
            pk: &pk.columns,
            policy_words: cat
                .policies
                .values()
                .filter(|p| p.table == *key)
                .flat_map(|p| p.using.iter().chain(p.check.iter()))
                .flat_map(|e| super::expr::identifiers(e))
                .collect(),
        };
        let outcome = probe_table(conn, &t, auth, role, cfg.anon_role.as_deref()).await;
        step(conn, "ROLLBACK TO SAVEPOINT strata_probe_table").await?;
        step(conn, "RELEASE SAVEPOINT strata_probe_table").await?;
        match outcome? {
            Err(reason) => report.not_probed.push(not_probed(reason)),
            Ok(p) => {
                for a in &p.attempts {
                    if let Outcome::Leak { detail } = &a.outcome {
                        let cell = cells
                            .get(&(key.as_str(), a.role.as_str()))
                            .map(|r| r.get(a.command));
                        let anonymous = a.role != role;
                        report.leaks.push(Leak {
                            table: key.clone(),
                            role: a.role.clone(),
                            command: a.command,
                            user_a: if anonymous {
                                String::new()
                            } else {
                                p.user_a.clone()
                            },
                            user_b: p.user_b.clone(),
                            allowed_by: allowed_by(cell),
                            detail: detail.clone(),
                        });
                    }
                }
                report.probed.push(p);
            }
        }
    }
    Ok(report)
}

/// What the matrix says let an attempt through.
fn allowed_by(cell: Option<&Access>) -> Vec<String> {
    match cell {
        Some(Access::Allowed { policies, .. }) => policies.clone(),
        Some(Access::NoRls) => vec!["row-level security disabled".into()],
        Some(a @ Access::Bypass { .. }) => vec![a.label()],
        Some(Access::Denied { .. }) | None => {
            vec!["(not predicted by the access matrix)".into()]
        }
    }
}

async fn step(conn: &mut PgConnection, sql: &str) -> Result<(), DbError> {
    db::execute_script(conn, sql)
        .await
        .map(|_| ())
        .map_err(|e| DbError::query(format!("probe: {sql}"), &e))
}

struct TableProbe<'a> {
    key: &'a str,
    table: &'a Table,
    owner: &'a str,
    pk: &'a [String],
    /// Lower-cased identifiers in the table's policy expressions.
    policy_words: std::collections::BTreeSet<String>,
}

impl TableProbe<'_> {
    fn col_type(&self, col: &str) -> Option<&str> {
        self.table.column(col).map(|c| c.data_type.as_str())
    }

    /// `(pk1, pk2) = (SELECT pk1, pk2 FROM jsonb_populate_record(NULL::t, $1))`.
    fn pk_match(&self) -> String {
        let cols: Vec<String> = self.pk.iter().map(|c| quote_ident(c)).collect();
        let list = cols.join(", ");
        let qualified: Vec<String> = cols.iter().map(|c| format!("r.{c}")).collect();
        format!(
            "({list}) = (SELECT {} FROM jsonb_populate_record(NULL::{}, $1::jsonb) r)",
            qualified.join(", "),
            self.key
        )
    }
}

/// Runs one statement with the row as `$1`: rows affected (or counted), or PostgreSQL's error.
async fn attempt_sql(
    conn: &mut PgConnection,
    sql: &str,
    row: &serde_json::Value,
    fetch_count: bool,
) -> Result<u64, PgFailure> {
    let q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(sqlx::types::Json(row));
    if fetch_count {
        use sqlx::Row;
        let r = q
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| PgFailure::from_sqlx(&e))?;
        let n: i64 = r.try_get(0).map_err(|e| PgFailure::from_sqlx(&e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    } else {
        q.execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| PgFailure::from_sqlx(&e))
    }
}

/// Probes one table inside the caller's savepoint. The outer `Err` is a failure of the probe's
/// own bookkeeping; the inner `Err` is a reason the table could not be probed.
async fn probe_table(
    conn: &mut PgConnection,
    t: &TableProbe<'_>,
    auth: &Auth,
    role: &str,
    anon: Option<&str>,
) -> Result<Result<ProbedTable, String>, DbError> {
    let owner = quote_ident(t.owner);
    let Some(owner_type) = t.col_type(t.owner) else {
        return Ok(Err(format!("owner column {owner} not found")));
    };
    // Two owners, lowest first (index-friendly), from the rows present.
    let owners_sql = format!(
        "WITH a AS (SELECT {owner} AS o FROM {key} WHERE {owner} IS NOT NULL ORDER BY 1 LIMIT 1) \
         SELECT (SELECT o::text FROM a), \
                (SELECT x.{owner}::text FROM {key} x, a WHERE x.{owner} > a.o ORDER BY x.{owner} LIMIT 1)",
        key = t.key
    );
    let two: Result<(Option<String>, Option<String>), sqlx::Error> =
        sqlx::query_as(sqlx::AssertSqlSafe(owners_sql))
            .fetch_one(&mut *conn)
            .await;
    let (a, b) = match two {
        Ok((Some(a), Some(b))) => (a, b),
        Ok((Some(_), None)) => {
            return Ok(Err(
                "fewer than two owners' rows (rows of one owner only); seed rows of two users to probe it".into(),
            ))
        }
        Ok((None, _)) => {
            return Ok(Err(
                "fewer than two owners' rows (no rows); seed rows of two users to probe it".into(),
            ))
        }
        Err(e) => {
            return Ok(Err(format!(
                "cannot read its owners: {}",
                PgFailure::from_sqlx(&e)
            )))
        }
    };
    let row_sql = format!(
        "SELECT to_jsonb(x) FROM {key} x WHERE x.{owner} = CAST($1::text AS {owner_type}) LIMIT 1",
        key = t.key
    );
    let row: Option<sqlx::types::Json<serde_json::Value>> =
        match sqlx::query_scalar(sqlx::AssertSqlSafe(row_sql))
            .bind(&b)
            .fetch_optional(&mut *conn)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return Ok(Err(format!(
                    "cannot read a row of the second owner: {}",
                    PgFailure::from_sqlx(&e)
                )))
            }
        };
    let Some(sqlx::types::Json(row)) = row else {
        return Ok(Err("the second owner's row vanished while probing".into()));
    };
    // Reads only; the savepoint is there so that a failing read does not abort the probe.
    step(conn, "SAVEPOINT strata_probe_prep").await?;
    let fresh = fresh_row(conn, t, &row).await;
    step(conn, "ROLLBACK TO SAVEPOINT strata_probe_prep").await?;
    step(conn, "RELEASE SAVEPOINT strata_probe_prep").await?;
    let fresh = fresh?;

    let assume = crate::auth::assume_sql(auth, role, Some(&a));
    let pk_match = t.pk_match();
    let set_col = update_column(t, role);
    let mut attempts = Vec::new();
    for cmd in Command::ALL {
        let (sql, fetch_count, payload) = match cmd {
            Command::Select => (
                format!("SELECT count(*) FROM {} WHERE {pk_match}", t.key),
                true,
                &row,
            ),
            Command::Update => (
                format!(
                    "UPDATE {} SET {c} = {c} WHERE {pk_match}",
                    t.key,
                    c = quote_ident(&set_col)
                ),
                false,
                &row,
            ),
            Command::Delete => (
                format!("DELETE FROM {} WHERE {pk_match}", t.key),
                false,
                &row,
            ),
            Command::Insert => match &fresh {
                Err(reason) => {
                    attempts.push(Attempt {
                        role: role.to_string(),
                        command: cmd,
                        outcome: Outcome::Skipped {
                            reason: reason.clone(),
                        },
                    });
                    continue;
                }
                Ok(new_row) => {
                    let cols: Vec<String> = t
                        .table
                        .columns
                        .iter()
                        .filter(|c| c.generated.is_none())
                        .map(|c| quote_ident(&c.name))
                        .collect();
                    let list = cols.join(", ");
                    // No RETURNING: it would apply the SELECT policies to the new row too,
                    // and hide an INSERT policy that lets the row in.
                    (
                        format!(
                            "INSERT INTO {key} ({list}) OVERRIDING SYSTEM VALUE \
                             SELECT {list} FROM jsonb_populate_record(NULL::{key}, $1::jsonb)",
                            key = t.key
                        ),
                        false,
                        new_row,
                    )
                }
            },
        };
        step(conn, "SAVEPOINT strata_probe_attempt").await?;
        let outcome = match db::execute_script(conn, &assume).await {
            Err(e) => Outcome::Inconclusive {
                detail: format!("cannot act as {role}: {}", PgFailure::from_sqlx(&e)),
            },
            Ok(_) => {
                let mut result = attempt_sql(conn, &sql, payload, fetch_count).await;
                if cmd == Command::Insert && matches!(result, Ok(n) if n > 0) {
                    // Still B's after the triggers? Asked as the connecting role.
                    result = still_owned_by(conn, t, payload, &b).await;
                }
                judge(cmd, result)
            }
        };
        step(conn, "ROLLBACK TO SAVEPOINT strata_probe_attempt").await?;
        step(conn, "RELEASE SAVEPOINT strata_probe_attempt").await?;
        let mut outcome = outcome;
        if matches!(outcome, Outcome::Denied { .. }) {
            if let Some(blind) = blind_attempt(conn, t, cmd, &assume, &row, role).await? {
                outcome = blind;
            }
        }
        attempts.push(Attempt {
            role: role.to_string(),
            command: cmd,
            outcome,
        });
    }
    if let Some(anon) = anon {
        // A signed-out visitor reading B's row.
        let sql = format!("SELECT count(*) FROM {} WHERE {pk_match}", t.key);
        step(conn, "SAVEPOINT strata_probe_attempt").await?;
        let outcome =
            match db::execute_script(conn, &crate::auth::assume_sql(auth, anon, None)).await {
                Err(e) => Outcome::Inconclusive {
                    detail: format!("cannot act as {anon}: {}", PgFailure::from_sqlx(&e)),
                },
                Ok(_) => judge(Command::Select, attempt_sql(conn, &sql, &row, true).await),
            };
        step(conn, "ROLLBACK TO SAVEPOINT strata_probe_attempt").await?;
        step(conn, "RELEASE SAVEPOINT strata_probe_attempt").await?;
        attempts.push(Attempt {
            role: anon.to_string(),
            command: Command::Select,
            outcome,
        });
    }
    Ok(Ok(ProbedTable {
        table: t.key.to_string(),
        owner_column: t.owner.to_string(),
        user_a: a,
        user_b: b,
        attempts,
    }))
}

/// The xmin of B's row as the connecting role (None when the row is gone).
async fn row_version(
    conn: &mut PgConnection,
    t: &TableProbe<'_>,
    row: &serde_json::Value,
) -> Result<Option<String>, PgFailure> {
    let sql = format!("SELECT xmin::text FROM {} WHERE {}", t.key, t.pk_match());
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(sqlx::types::Json(row))
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| PgFailure::from_sqlx(&e))
}

/// A column the blind UPDATE can set to DEFAULT without reading anything and without
/// disturbing A's own rows: not a key, not the owner, not unique, not named by any policy of
/// the table, not generated, nullable or with a default, updatable by the role.
fn blind_column<'a>(t: &'a TableProbe<'_>, role: &str) -> Option<&'a str> {
    let rk = quote_ident(role);
    let grant = |acl: &[crate::catalog::Grant]| {
        acl.iter()
            .any(|g| g.privilege == "UPDATE" && (g.grantee == rk || g.grantee == "PUBLIC"))
    };
    let table_level = grant(&t.table.acl);
    let keyed: Vec<&String> = t
        .table
        .constraints
        .values()
        .filter(|c| {
            matches!(
                c.kind,
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
            )
        })
        .flat_map(|c| c.columns.iter())
        .collect();
    t.table
        .columns
        .iter()
        .find(|c| {
            c.generated.is_none()
                && c.name != t.owner
                && !keyed.contains(&&c.name)
                && !t.policy_words.contains(&c.name)
                && !t.policy_words.contains(&c.name.to_ascii_lowercase())
                && (!c.not_null || c.default.is_some() || c.identity.is_some())
                && (table_level || grant(&c.acl))
        })
        .map(|c| c.name.as_str())
}

/// When the targeted UPDATE/DELETE was filtered: the same command without a WHERE clause, which
/// reads no column, so PostgreSQL applies only the UPDATE/DELETE policies and not the SELECT
/// ones (a client can always send `UPDATE t SET c = DEFAULT`). Judged by looking at B's row
/// afterwards as the connecting role: a new row version, or the row gone. `None` when this
/// says nothing (not applicable, or an error).
async fn blind_attempt(
    conn: &mut PgConnection,
    t: &TableProbe<'_>,
    cmd: Command,
    assume: &str,
    row: &serde_json::Value,
    role: &str,
) -> Result<Option<Outcome>, DbError> {
    let sql = match cmd {
        Command::Update => match blind_column(t, role) {
            Some(c) => format!("UPDATE {} SET {} = DEFAULT", t.key, quote_ident(c)),
            None => return Ok(None),
        },
        Command::Delete => format!("DELETE FROM {}", t.key),
        Command::Select | Command::Insert => return Ok(None),
    };
    step(conn, "SAVEPOINT strata_probe_prep").await?;
    let before = row_version(conn, t, row).await;
    step(conn, "ROLLBACK TO SAVEPOINT strata_probe_prep").await?;
    step(conn, "RELEASE SAVEPOINT strata_probe_prep").await?;
    let Ok(before) = before else {
        return Ok(None);
    };
    step(conn, "SAVEPOINT strata_probe_blind").await?;
    let after = match db::execute_script(conn, assume).await {
        Err(_) => None,
        Ok(_) => match db::execute_script(conn, &sql).await {
            Err(_) => None,
            Ok(_) => match db::execute_script(conn, "RESET ROLE").await {
                Err(_) => None,
                Ok(_) => row_version(conn, t, row).await.ok(),
            },
        },
    };
    step(conn, "ROLLBACK TO SAVEPOINT strata_probe_blind").await?;
    step(conn, "RELEASE SAVEPOINT strata_probe_blind").await?;
    Ok(match (cmd, after) {
        (Command::Update, Some(Some(v))) if Some(&v) != before.as_ref() => Some(Outcome::Leak {
            detail: format!("changed B's row with `{sql}` (no WHERE: only UPDATE policies apply)"),
        }),
        (Command::Delete, Some(None)) if before.is_some() => Some(Outcome::Leak {
            detail: format!("deleted B's row with `{sql}` (no WHERE: only DELETE policies apply)"),
        }),
        _ => None,
    })
}

/// After an INSERT as A: back to the connecting role, count the inserted row if its owner is
/// still B (1) or not (0).
async fn still_owned_by(
    conn: &mut PgConnection,
    t: &TableProbe<'_>,
    row: &serde_json::Value,
    b: &str,
) -> Result<u64, PgFailure> {
    db::execute_script(conn, "RESET ROLE")
        .await
        .map_err(|e| PgFailure::from_sqlx(&e))?;
    let sql = format!(
        "SELECT count(*) FROM {} WHERE {} AND {}::text = {}",
        t.key,
        t.pk_match(),
        quote_ident(t.owner),
        crate::sql::quote_literal(b)
    );
    attempt_sql(conn, &sql, row, true).await
}

/// Leak, denied or inconclusive, from the result of one attempt.
fn judge(cmd: Command, result: Result<u64, PgFailure>) -> Outcome {
    match (cmd, result) {
        (Command::Select, Ok(0)) => Outcome::Denied {
            detail: "B's row is not visible (0 rows)".into(),
        },
        (Command::Select, Ok(n)) => Outcome::Leak {
            detail: format!("read B's row ({n} row)"),
        },
        (Command::Update, Ok(0)) | (Command::Delete, Ok(0)) => Outcome::Denied {
            detail: "0 rows affected".into(),
        },
        (Command::Update, Ok(n)) => Outcome::Leak {
            detail: format!("updated B's row ({n} row affected)"),
        },
        (Command::Delete, Ok(n)) => Outcome::Leak {
            detail: format!("deleted B's row ({n} row affected)"),
        },
        (Command::Insert, Ok(0)) => Outcome::Denied {
            detail: "inserted, but a trigger made the row A's".into(),
        },
        (Command::Insert, Ok(_)) => Outcome::Leak {
            detail: "inserted a row owned by B".into(),
        },
        (_, Err(f)) if f.code == "42501" => Outcome::Denied {
            detail: format!("refused: {}", f.message),
        },
        (Command::Update | Command::Delete, Err(f)) if f.code.starts_with("23") => Outcome::Leak {
            detail: format!(
                "the policies let A reach B's row; only a constraint stopped this attempt: {f}"
            ),
        },
        (_, Err(f)) => Outcome::Inconclusive {
            detail: f.to_string(),
        },
    }
}

/// The column the UPDATE attempt sets to itself: the owner column when the role may update the
/// whole table, else a column it holds a column-level UPDATE privilege on.
fn update_column(t: &TableProbe<'_>, role: &str) -> String {
    let rk = quote_ident(role);
    let table_level = t
        .table
        .acl
        .iter()
        .any(|g| g.privilege == "UPDATE" && (g.grantee == rk || g.grantee == "PUBLIC"));
    if !table_level {
        if let Some(c) = t.table.columns.iter().find(|c| {
            c.generated.is_none()
                && c.acl
                    .iter()
                    .any(|g| g.privilege == "UPDATE" && (g.grantee == rk || g.grantee == "PUBLIC"))
        }) {
            return c.name.clone();
        }
    }
    t.owner.to_string()
}

/// B's row with a fresh primary key (computed as the connecting role, before acting as A), or
/// why one cannot be built.
async fn fresh_row(
    conn: &mut PgConnection,
    t: &TableProbe<'_>,
    row: &serde_json::Value,
) -> Result<Result<serde_json::Value, String>, DbError> {
    let mut new_row = row.clone();
    let keys: Vec<&String> = t.pk.iter().filter(|c| c.as_str() != t.owner).collect();
    if keys.is_empty() {
        return Ok(Err(format!(
            "the primary key is the owner column {}, so B cannot own a second row",
            quote_ident(t.owner)
        )));
    }
    for col in keys {
        let ty = t.col_type(col).unwrap_or("");
        let c = quote_ident(col);
        let sql = match ty {
            "uuid" => "SELECT gen_random_uuid()::text".to_string(),
            "smallint" | "integer" | "bigint" | "numeric" => {
                format!("SELECT (coalesce(max({c}), 0) + 1)::text FROM {}", t.key)
            }
            _ if ty == "text" || ty.starts_with("character varying") => {
                "SELECT 'strata-probe-' || substr(md5(random()::text), 1, 8)".to_string()
            }
            _ => {
                return Ok(Err(format!(
                    "cannot build a fresh value for primary key column {c} of type {ty}"
                )))
            }
        };
        let v: Option<String> = match sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
        {
            Ok(v) => v,
            Err(e) => {
                return Ok(Err(format!(
                    "cannot compute a fresh primary key: {}",
                    PgFailure::from_sqlx(&e)
                )))
            }
        };
        if let (Some(obj), Some(v)) = (new_row.as_object_mut(), v) {
            obj.insert(col.clone(), serde_json::Value::String(v));
        }
    }
    Ok(Ok(new_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(code: &str) -> PgFailure {
        PgFailure {
            code: code.into(),
            message: "m".into(),
            ..PgFailure::default()
        }
    }

    #[test]
    fn judges_outcomes() {
        assert!(matches!(
            judge(Command::Select, Ok(0)),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge(Command::Select, Ok(1)),
            Outcome::Leak { .. }
        ));
        assert!(matches!(
            judge(Command::Update, Ok(0)),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge(Command::Delete, Ok(1)),
            Outcome::Leak { .. }
        ));
        assert!(matches!(
            judge(Command::Insert, Ok(1)),
            Outcome::Leak { .. }
        ));
        assert!(matches!(
            judge(Command::Insert, Ok(0)),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge(Command::Insert, Err(f("42501"))),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge(Command::Delete, Err(f("23503"))),
            Outcome::Leak { .. }
        ));
        assert!(matches!(
            judge(Command::Insert, Err(f("23505"))),
            Outcome::Inconclusive { .. }
        ));
        assert!(matches!(
            judge(Command::Update, Err(f("P0001"))),
            Outcome::Inconclusive { .. }
        ));
    }
}
