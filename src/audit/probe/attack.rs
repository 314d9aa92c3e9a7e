//! The probe's attempts on one table, each in its own savepoint inside the probe's transaction:
//! the statements of `plan`, sent as the attacker, judged from the rows they reached. Reads
//! that decide what to attack run as the connecting role (which skips the table's row-level
//! security: `connecting_role_filtered` makes sure).

use super::plan::{self, Kind, Outcome, Principal, PrincipalKind, Target};
use super::{Attempt, Denied, Input, Leak, ProbeReport, ProbedTable};
use crate::access::{Command, Level, OwnerRef};
use crate::audit::privilege;
use crate::catalog::Catalog;
use crate::config::AuthModel;
use crate::db::{self, DbError, PgFailure};
use crate::sql::quote_ident;
use sqlx::postgres::PgConnection;
use sqlx::Row;
use std::collections::BTreeMap;

/// A statement parameter.
#[derive(Clone)]
pub enum Bind {
    Text(Option<String>),
    TextArray(Vec<String>),
    Json(serde_json::Value),
}

/// Why the connecting role would not see every row of the table (None: it does).
pub fn connecting_role_filtered(cat: &Catalog, key: &str, me: &str) -> Option<String> {
    let t = cat.tables.get(key)?;
    if !t.rls_enabled {
        return None;
    }
    let r = cat.roles.get(&quote_ident(me));
    if r.is_some_and(|r| r.superuser || r.bypass_rls) {
        return None;
    }
    let roles = privilege::inherited(cat, me);
    if !t.rls_forced && privilege::owns(cat, key, &roles).is_some() {
        return None;
    }
    Some(format!(
        "the probe connects as {me}, which is subject to this table's row-level security and cannot see every row; connect as its owner (without FORCE), a BYPASSRLS role or a superuser"
    ))
}

pub struct Session<'c, 'i> {
    pub(super) conn: &'c mut PgConnection,
    pub(super) input: &'i Input<'i>,
    pub statements: u64,
    /// The next attempt runs with `session_replication_role = replica` (no cascades).
    pub(super) replica: bool,
    /// The connecting role is a superuser (only one may set `session_replication_role`).
    pub superuser: bool,
}

/// The rows a principal may not / may use, per command: ctids (for the connecting role's
/// checks) and, in the same order, addresses (for the attacker's statements).
pub(super) struct Partition {
    pub(super) forbidden: [Vec<String>; 4],
    pub(super) forbidden_addr: [Vec<String>; 4],
    pub(super) allowed: [Vec<String>; 4],
    pub(super) allowed_addr: [Vec<String>; 4],
}

impl<'c, 'i> Session<'c, 'i> {
    pub fn new(conn: &'c mut PgConnection, input: &'i Input<'i>) -> Self {
        Session {
            conn,
            input,
            statements: 0,
            replica: false,
            superuser: false,
        }
    }

    pub(super) fn cat(&self) -> &'i Catalog {
        self.input.catalog
    }

    pub async fn script(&mut self, sql: &str) -> Result<(), DbError> {
        self.statements += 1;
        db::execute_script(self.conn, sql)
            .await
            .map(|_| ())
            .map_err(|e| DbError::query(format!("probe: {sql}"), &e))
    }

    /// Runs one statement: rows affected, or the count it selects when `count`.
    pub async fn run(&mut self, sql: &str, binds: &[Bind], count: bool) -> Result<u64, PgFailure> {
        self.statements += 1;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for b in binds {
            q = match b {
                Bind::Text(t) => q.bind(t.clone()),
                Bind::TextArray(v) => q.bind(v.clone()),
                Bind::Json(v) => q.bind(sqlx::types::Json(v.clone())),
            };
        }
        if count {
            let r = q
                .fetch_one(&mut *self.conn)
                .await
                .map_err(|e| PgFailure::from_sqlx(&e))?;
            let n: i64 = r.try_get(0).map_err(|e| PgFailure::from_sqlx(&e))?;
            Ok(u64::try_from(n).unwrap_or(0))
        } else {
            q.execute(&mut *self.conn)
                .await
                .map(|r| r.rows_affected())
                .map_err(|e| PgFailure::from_sqlx(&e))
        }
    }

    pub async fn current_user(&mut self) -> Result<String, DbError> {
        self.statements += 1;
        sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut *self.conn)
            .await
            .map_err(|e| DbError::query("probe: who am I", &e))
    }

    /// Reads as the connecting role, in a savepoint so that a failing read does not end the
    /// transaction.
    pub(super) async fn read_rows(
        &mut self,
        sql: &str,
        binds: &[Bind],
    ) -> Result<Result<Vec<sqlx::postgres::PgRow>, PgFailure>, DbError> {
        self.script("SAVEPOINT strata_probe_read").await?;
        self.statements += 1;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for b in binds {
            q = match b {
                Bind::Text(t) => q.bind(t.clone()),
                Bind::TextArray(v) => q.bind(v.clone()),
                Bind::Json(v) => q.bind(sqlx::types::Json(v.clone())),
            };
        }
        let r = q
            .fetch_all(&mut *self.conn)
            .await
            .map_err(|e| PgFailure::from_sqlx(&e));
        self.script("ROLLBACK TO SAVEPOINT strata_probe_read; RELEASE SAVEPOINT strata_probe_read")
            .await?;
        Ok(r)
    }

    /// Up to `cap` distinct owner ids found in the owner columns of the tables (sorted).
    pub async fn owners_in_data(
        &mut self,
        tables: &BTreeMap<String, crate::access::contract::TableContract>,
        cap: usize,
    ) -> Result<Vec<String>, DbError> {
        let mut out: Vec<String> = Vec::new();
        for (key, t) in tables {
            let Some(OwnerRef::Column { column }) = t.owner.first() else {
                continue;
            };
            if self
                .cat()
                .tables
                .get(key)
                .and_then(|x| x.column(column))
                .is_none()
            {
                continue;
            }
            let sql = format!(
                "SELECT DISTINCT {c}::text FROM {key} WHERE {c} IS NOT NULL ORDER BY 1 LIMIT {cap}",
                c = quote_ident(column)
            );
            if let Ok(rows) = self.read_rows(&sql, &[]).await? {
                for r in rows {
                    if let Ok(Some(v)) = r.try_get::<Option<String>, _>(0) {
                        if !out.contains(&v) {
                            out.push(v);
                        }
                    }
                }
            }
        }
        out.sort();
        out.truncate(cap);
        Ok(out)
    }

    /// The statements that make the transaction act as the principal.
    pub(super) fn assume(&self, p: &Principal) -> String {
        let auth = self.input.auth;
        match (p.kind, auth.model) {
            (PrincipalKind::SignedOut, AuthModel::Setting) => {
                format!("SET LOCAL ROLE {}", quote_ident(&p.role))
            }
            (PrincipalKind::SignedOutEmpty, _) | (PrincipalKind::SignedOut, _) => {
                crate::auth::assume_sql(auth, &p.role, None)
            }
            _ => crate::auth::assume_sql(auth, &p.role, p.id.as_deref()),
        }
    }

    /// One attempt as `p`, rolled back to a savepoint; with `verify`, a count taken afterwards
    /// as the connecting role, before the rollback.
    pub(super) async fn attempt(
        &mut self,
        p: &Principal,
        sql: &str,
        binds: &[Bind],
        count: bool,
        verify: Option<(&str, &[Bind])>,
    ) -> Result<(Result<u64, PgFailure>, Option<Result<u64, PgFailure>>), DbError> {
        let assume = self.assume(p);
        self.script("SAVEPOINT strata_probe_attempt").await?;
        if self.replica && self.superuser {
            self.script("SET LOCAL session_replication_role = replica")
                .await?;
        }
        self.statements += 1;
        let result = match db::execute_script(self.conn, &assume).await {
            Err(e) => Err(PgFailure::from_sqlx(&e)),
            Ok(_) => self.run(sql, binds, count).await,
        };
        let mut checked = None;
        if let (Ok(_), Some((vsql, vbinds))) = (&result, verify) {
            self.statements += 1;
            checked = Some(match db::execute_script(self.conn, "RESET ROLE").await {
                Err(e) => Err(PgFailure::from_sqlx(&e)),
                Ok(_) => self.run(vsql, vbinds, true).await,
            });
        }
        self.script(
            "ROLLBACK TO SAVEPOINT strata_probe_attempt; RELEASE SAVEPOINT strata_probe_attempt",
        )
        .await?;
        Ok((result, checked))
    }

    pub(super) async fn count(
        &mut self,
        sql: &str,
        binds: &[Bind],
    ) -> Result<Result<u64, PgFailure>, DbError> {
        self.script("SAVEPOINT strata_probe_read").await?;
        let r = self.run(sql, binds, true).await;
        self.script("ROLLBACK TO SAVEPOINT strata_probe_read; RELEASE SAVEPOINT strata_probe_read")
            .await?;
        Ok(r)
    }

    /// What principal `p` may not / may use, per command.
    async fn partition(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
    ) -> Result<Result<Partition, String>, DbError> {
        let sql = plan::partition_sql(self.cat(), t, p.signed_in());
        let rows = match self.read_rows(&sql, &[Bind::Text(p.id.clone())]).await? {
            Ok(r) => r,
            Err(f) => {
                return Ok(Err(format!(
                    "cannot read which rows the contract allows: {f}"
                )))
            }
        };
        let Some(r) = rows.first() else {
            return Ok(Err("cannot read which rows the contract allows".into()));
        };
        let mut part = Partition {
            forbidden: Default::default(),
            forbidden_addr: Default::default(),
            allowed: Default::default(),
            allowed_addr: Default::default(),
        };
        for c in Command::ALL {
            let i = c.index();
            let col = |k: usize| r.try_get::<Vec<String>, _>(4 * i + k).unwrap_or_default();
            part.forbidden[i] = col(0);
            part.forbidden_addr[i] = col(1);
            part.allowed[i] = col(2);
            part.allowed_addr[i] = col(3);
        }
        Ok(Ok(part))
    }

    /// Probes one table as every principal. The outer `Err` is a failure of the probe's own
    /// bookkeeping; the inner `Err` is why the table could not be probed.
    pub async fn probe_table(
        &mut self,
        t: &Target<'_>,
        principals: &[Principal],
    ) -> Result<Result<ProbedTable, String>, DbError> {
        let rows = match self
            .count(&format!("SELECT count(*) FROM {}", t.key), &[])
            .await?
        {
            Ok(n) => n,
            Err(f) => return Ok(Err(format!("cannot count its rows: {f}"))),
        };
        if rows == 0 {
            return Ok(Err(
                "no rows: seed rows of at least two users (and, for tenants, two tenants) to probe it".into(),
            ));
        }
        let mut attempts = Vec::new();
        for p in principals {
            let part = match self.partition(t, p).await? {
                Ok(x) => x,
                Err(reason) => return Ok(Err(reason)),
            };
            self.attack(t, p, &part, &mut attempts).await?;
            if p.kind == PrincipalKind::User
                || (!p.signed_in() && t.level(Command::Select) == Level::Public)
                || (p.kind == PrincipalKind::Outsider
                    && t.level(Command::Select) >= Level::SignedIn)
            {
                self.allowed(t, p, &part, &mut attempts).await?;
            }
        }
        if attempts
            .iter()
            .all(|a| matches!(a.outcome, Outcome::Skipped { .. }))
            && !attempts.is_empty()
        {
            return Ok(Err(
                "every row is every principal's to use, or no principal has rows to attack: seed rows of at least two users".into(),
            ));
        }
        Ok(Ok(ProbedTable {
            table: t.key.to_string(),
            rows,
            attempts,
        }))
    }

    pub(super) fn push(
        out: &mut Vec<Attempt>,
        p: &Principal,
        command: Command,
        kind: Kind,
        outcome: Outcome,
    ) {
        out.push(Attempt {
            principal: p.label.clone(),
            role: p.role.clone(),
            command,
            kind,
            outcome,
            victims: Vec::new(),
        });
    }

    /// Owners of some forbidden rows, for the report.
    pub(super) async fn victims(
        &mut self,
        t: &Target<'_>,
        ctids: &[String],
    ) -> Result<Vec<String>, DbError> {
        let Some(col) = t.contract.owner.iter().find_map(|o| match o {
            OwnerRef::Column { column } => Some(column.clone()),
            OwnerRef::Parent { .. } => None,
        }) else {
            return Ok(Vec::new());
        };
        if t.table.column(&col).is_none() {
            return Ok(Vec::new());
        }
        let rows = self
            .read_rows(
                &plan::owners_of_sql(t.key, &col),
                &[Bind::TextArray(ctids.to_vec())],
            )
            .await?;
        Ok(rows
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.try_get::<Option<String>, _>(0).ok().flatten())
            .collect())
    }

    /// Every forbidden command on every forbidden row.
    async fn attack(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        part: &Partition,
        out: &mut Vec<Attempt>,
    ) -> Result<(), DbError> {
        let key = t.key;
        // Read.
        let fs = &part.forbidden[Command::Select.index()];
        if !fs.is_empty() {
            let addr = part.forbidden_addr[Command::Select.index()].clone();
            let (r, _) = self
                .attempt(
                    p,
                    &plan::keyed_sql(t, Command::Select, ""),
                    &[Bind::TextArray(addr)],
                    true,
                    None,
                )
                .await?;
            let o = plan::judge_forbidden(Command::Select, r, fs.len());
            self.record(t, p, Command::Select, Kind::Read, o, fs, out)
                .await?;
        }
        // Update: keyed, then blind (take-over, or a column set to DEFAULT).
        let fu = part.forbidden[Command::Update.index()].clone();
        if !fu.is_empty() {
            let mut o = match self.set_column(t, &p.role) {
                None => Outcome::Denied {
                    detail: "no column it may update".into(),
                },
                Some(c) => {
                    let addr = part.forbidden_addr[Command::Update.index()].clone();
                    let (r, _) = self
                        .attempt(
                            p,
                            &plan::keyed_sql(t, Command::Update, &c),
                            &[Bind::TextArray(addr)],
                            false,
                            None,
                        )
                        .await?;
                    plan::judge_forbidden(Command::Update, r, fu.len())
                }
            };
            let mut kind = Kind::Update;
            if matches!(o, Outcome::Denied { .. }) {
                if let Some((blind_kind, blind)) = self.blind_update(t, p, &fu).await? {
                    kind = blind_kind;
                    o = blind;
                }
            }
            self.record(t, p, Command::Update, kind, o, &fu, out)
                .await?;
        }
        // Delete: keyed, then blind.
        let fd = part.forbidden[Command::Delete.index()].clone();
        if !fd.is_empty() {
            let addr = part.forbidden_addr[Command::Delete.index()].clone();
            let (r, _) = self
                .attempt(
                    p,
                    &plan::keyed_sql(t, Command::Delete, ""),
                    &[Bind::TextArray(addr)],
                    false,
                    None,
                )
                .await?;
            let mut o = plan::judge_forbidden(Command::Delete, r, fd.len());
            if matches!(o, Outcome::Denied { .. }) {
                let count = plan::count_ctids_sql(key);
                let binds = [Bind::TextArray(fd.clone())];
                // Foreign keys' cascades would delete other users' rows that hang off the
                // attacker's own: schema design, not a policy. Replica mode (superuser only)
                // turns them off for this one statement.
                self.replica = true;
                let result = self
                    .attempt(
                        p,
                        &plan::blind_delete_sql(key),
                        &[],
                        false,
                        Some((&count, &binds)),
                    )
                    .await;
                self.replica = false;
                let (r, after) = result?;
                if let (Ok(_), Some(Ok(left))) = (r, after) {
                    let gone = (fd.len() as u64).saturating_sub(left);
                    if gone > 0 {
                        o = Outcome::Leak {
                            detail: format!("deleted {gone} of the {} rows it may not delete with `DELETE FROM {key}` (no WHERE: only the DELETE policies apply)", fd.len()),
                            rows: gone,
                        };
                    }
                }
            }
            self.record(t, p, Command::Delete, Kind::Delete, o, &fd, out)
                .await?;
        }
        // Insert a row owned by someone else.
        let fi = part.forbidden[Command::Insert.index()].clone();
        if let Some(template) = fi.first() {
            let mut o = self.insert_foreign(t, p, template, false).await?;
            let owned_columns = t
                .contract
                .owner
                .iter()
                .any(|r| matches!(r, OwnerRef::Column { .. }));
            if !matches!(o, Outcome::Leak { .. })
                && t.contract.tenant.is_some()
                && owned_columns
                && p.signed_in()
            {
                let second = self.insert_foreign(t, p, template, true).await?;
                if matches!(second, Outcome::Leak { .. }) {
                    o = second;
                }
            }
            self.record(t, p, Command::Insert, Kind::InsertForeign, o, &fi, out)
                .await?;
        }
        // Move one of its own rows to another owner or tenant.
        let level = t.level(Command::Update);
        let own = part.allowed[Command::Update.index()].first().cloned();
        let own_addr = part.allowed_addr[Command::Update.index()].first().cloned();
        if p.signed_in() && matches!(level, Level::Owner | Level::Tenant) {
            if let (Some(own), Some(own_addr), Some(other)) = (own, own_addr, fu.first()) {
                let all = t.ownership_columns();
                let mut o = self.move_row(t, p, &own_addr, other, &all).await?;
                // Another tenant, keeping itself as the owner.
                if let (false, Some(tn)) = (matches!(o, Outcome::Leak { .. }), t.contract.tenant) {
                    let other_tenant = if all.len() > 1 && t.table.column(&tn.column).is_some() {
                        self.other_tenant_row(t, &tn.column, &own, &fu).await?
                    } else {
                        None
                    };
                    if let Some(other) = other_tenant {
                        let second = self
                            .move_row(t, p, &own_addr, &other, std::slice::from_ref(&tn.column))
                            .await?;
                        if matches!(second, Outcome::Leak { .. }) {
                            o = second;
                        }
                    }
                }
                self.record(t, p, Command::Update, Kind::Move, o, &fu, out)
                    .await?;
            }
        }
        Ok(())
    }

    /// Adds an attempt, with the owners of the rows reached when it leaked.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        command: Command,
        kind: Kind,
        outcome: Outcome,
        rows: &[String],
        out: &mut Vec<Attempt>,
    ) -> Result<(), DbError> {
        let victims = if matches!(outcome, Outcome::Leak { .. }) {
            self.victims(t, rows).await?
        } else {
            Vec::new()
        };
        out.push(Attempt {
            principal: p.label.clone(),
            role: p.role.clone(),
            command,
            kind,
            outcome,
            victims,
        });
        Ok(())
    }

    /// Turns leaks and refusals of one attempt into the report's lists.
    pub fn collect(&self, t: &Target<'_>, a: &Attempt, report: &mut ProbeReport) {
        let p = report.principals.iter().find(|p| p.label == a.principal);
        match &a.outcome {
            Outcome::Leak { detail, rows } => {
                let allowed_by = allowed_by(self.input.reaches, t.key, a.command, &a.role);
                report.leaks.push(Leak {
                    table: t.key.to_string(),
                    object: "table".into(),
                    command: Some(a.command),
                    kind: a.kind,
                    principal: a.principal.clone(),
                    role: a.role.clone(),
                    user: p.and_then(|p| p.id.clone()).unwrap_or_default(),
                    rows: *rows,
                    victims: a.victims.clone(),
                    allowed_by,
                    detail: detail.clone(),
                });
            }
            Outcome::ProbeDenied { detail } => report.denied.push(Denied {
                table: t.key.to_string(),
                command: a.command,
                principal: a.principal.clone(),
                role: a.role.clone(),
                detail: detail.clone(),
            }),
            _ => {}
        }
    }
}

/// What the audit's reach says let `role` use `cmd` on the table.
pub fn allowed_by(
    reaches: &[crate::access::Reach],
    table: &str,
    cmd: Command,
    role: &str,
) -> Vec<String> {
    let found: Vec<String> = reaches
        .iter()
        .filter(|r| r.table == table && r.command == cmd)
        .flat_map(|r| r.sources.iter())
        .filter(|s| s.role == role)
        .map(|s| {
            let mut d = s.via.describe();
            if !s.grant.is_empty() {
                d.push_str(&format!(" ({})", s.grant));
            }
            d
        })
        .collect();
    if found.is_empty() {
        vec!["(not predicted by the catalog: see the attempt's detail)".into()]
    } else {
        found
    }
}
