//! The probe's attempts on one table, each in its own savepoint inside the probe's transaction:
//! the statements of `plan`, sent as the attacker, judged from the rows they reached. Reads
//! that decide what to attack run as the connecting role (which skips the table's row-level
//! security: `connecting_role_filtered` makes sure).

use super::plan::{self, Kind, Outcome, Principal, PrincipalKind, Target};
use super::{Attempt, Denied, Input, Leak, ProbeReport, ProbedTable};
use crate::access::{Command, Level, OwnerRef};
use crate::audit::privilege;
use crate::catalog::{Catalog, ConstraintKind};
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
    conn: &'c mut PgConnection,
    input: &'i Input<'i>,
    pub statements: u64,
    /// The next attempt runs with `session_replication_role = replica` (no cascades).
    replica: bool,
    /// The connecting role is a superuser (only one may set `session_replication_role`).
    pub superuser: bool,
}

/// The rows a principal may not / may use, per command: ctids (for the connecting role's
/// checks) and, in the same order, addresses (for the attacker's statements).
struct Partition {
    forbidden: [Vec<String>; 4],
    forbidden_addr: [Vec<String>; 4],
    allowed: [Vec<String>; 4],
    allowed_addr: [Vec<String>; 4],
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

    fn cat(&self) -> &'i Catalog {
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
    async fn read_rows(&mut self, sql: &str, binds: &[Bind]) -> Result<Result<Vec<sqlx::postgres::PgRow>, PgFailure>, DbError> {
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
        let r = q.fetch_all(&mut *self.conn).await.map_err(|e| PgFailure::from_sqlx(&e));
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
            let Some(OwnerRef::Column { column }) = t.owner.first() else { continue };
            if self.cat().tables.get(key).and_then(|x| x.column(column)).is_none() {
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
    fn assume(&self, p: &Principal) -> String {
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
    async fn attempt(
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
            self.script("SET LOCAL session_replication_role = replica").await?;
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
        self.script("ROLLBACK TO SAVEPOINT strata_probe_attempt; RELEASE SAVEPOINT strata_probe_attempt")
            .await?;
        Ok((result, checked))
    }

    async fn count(&mut self, sql: &str, binds: &[Bind]) -> Result<Result<u64, PgFailure>, DbError> {
        self.script("SAVEPOINT strata_probe_read").await?;
        let r = self.run(sql, binds, true).await;
        self.script("ROLLBACK TO SAVEPOINT strata_probe_read; RELEASE SAVEPOINT strata_probe_read")
            .await?;
        Ok(r)
    }

    /// What principal `p` may not / may use, per command.
    async fn partition(&mut self, t: &Target<'_>, p: &Principal) -> Result<Result<Partition, String>, DbError> {
        let sql = plan::partition_sql(self.cat(), t, p.signed_in());
        let rows = match self.read_rows(&sql, &[Bind::Text(p.id.clone())]).await? {
            Ok(r) => r,
            Err(f) => return Ok(Err(format!("cannot read which rows the contract allows: {f}"))),
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
        let rows = match self.count(&format!("SELECT count(*) FROM {}", t.key), &[]).await? {
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
                || (p.kind == PrincipalKind::Outsider && t.level(Command::Select) >= Level::SignedIn)
            {
                self.allowed(t, p, &part, &mut attempts).await?;
            }
        }
        if attempts.iter().all(|a| matches!(a.outcome, Outcome::Skipped { .. })) && !attempts.is_empty() {
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

    fn push(out: &mut Vec<Attempt>, p: &Principal, command: Command, kind: Kind, outcome: Outcome) {
        out.push(Attempt {
            principal: p.label.clone(),
            role: p.role.clone(),
            command,
            kind,
            outcome,
            victims: Vec::new(),
        });
    }

    /// The column an UPDATE sets to itself: the owner column when the role may update the
    /// whole table, else one it holds a column privilege on.
    fn set_column(&self, t: &Target<'_>, role: &str) -> Option<String> {
        let cat = self.cat();
        let roles = privilege::inherited(cat, role);
        let owner = cat.owners.get(t.key).map(String::as_str);
        let table_level = privilege::granted(&t.table.acl, "UPDATE", &roles, owner);
        let first = t
            .contract
            .owner
            .first()
            .map(|o| o.column().to_string())
            .filter(|c| t.table.column(c).is_some());
        if table_level {
            return first.or_else(|| t.table.columns.iter().find(|c| c.generated.is_none()).map(|c| c.name.clone()));
        }
        t.table
            .columns
            .iter()
            .find(|c| c.generated.is_none() && privilege::granted(&c.acl, "UPDATE", &roles, owner))
            .map(|c| c.name.clone())
    }

    /// A column a blind UPDATE can set to DEFAULT: no key, no ownership column, not named by the
    /// table's policies, nullable or with a default, updatable by the role.
    fn blind_column(&self, t: &Target<'_>, role: &str) -> Option<String> {
        let cat = self.cat();
        let roles = privilege::inherited(cat, role);
        let owner = cat.owners.get(t.key).map(String::as_str);
        let table_level = privilege::granted(&t.table.acl, "UPDATE", &roles, owner);
        let keyed: Vec<&String> = t
            .table
            .constraints
            .values()
            .filter(|c| matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion | ConstraintKind::ForeignKey))
            .flat_map(|c| c.columns.iter())
            .collect();
        let words: std::collections::BTreeSet<String> = cat
            .policies
            .values()
            .filter(|p| p.table == t.key)
            .flat_map(|p| p.using.iter().chain(p.check.iter()))
            .flat_map(|e| crate::audit::expr::identifiers(e))
            .collect();
        let ownership = t.ownership_columns();
        t.table
            .columns
            .iter()
            .find(|c| {
                c.generated.is_none()
                    && !ownership.contains(&c.name)
                    && !keyed.contains(&&c.name)
                    && !words.contains(&c.name)
                    && (!c.not_null || c.default.is_some() || c.identity.is_some())
                    && (table_level || privilege::granted(&c.acl, "UPDATE", &roles, owner))
            })
            .map(|c| c.name.clone())
    }

    /// Owners of some forbidden rows, for the report.
    async fn victims(&mut self, t: &Target<'_>, ctids: &[String]) -> Result<Vec<String>, DbError> {
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
            .read_rows(&plan::owners_of_sql(t.key, &col), &[Bind::TextArray(ctids.to_vec())])
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
                .attempt(p, &plan::keyed_sql(t, Command::Select, ""), &[Bind::TextArray(addr)], true, None)
                .await?;
            let o = plan::judge_forbidden(Command::Select, r, fs.len());
            self.record(t, p, Command::Select, Kind::Read, o, fs, out).await?;
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
                        .attempt(p, &plan::keyed_sql(t, Command::Update, &c), &[Bind::TextArray(addr)], false, None)
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
            self.record(t, p, Command::Update, kind, o, &fu, out).await?;
        }
        // Delete: keyed, then blind.
        let fd = part.forbidden[Command::Delete.index()].clone();
        if !fd.is_empty() {
            let addr = part.forbidden_addr[Command::Delete.index()].clone();
            let (r, _) = self
                .attempt(p, &plan::keyed_sql(t, Command::Delete, ""), &[Bind::TextArray(addr)], false, None)
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
                    .attempt(p, &plan::blind_delete_sql(key), &[], false, Some((&count, &binds)))
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
            self.record(t, p, Command::Delete, Kind::Delete, o, &fd, out).await?;
        }
        // Insert a row owned by someone else.
        let fi = part.forbidden[Command::Insert.index()].clone();
        if let Some(template) = fi.first() {
            let mut o = self.insert_foreign(t, p, template, false).await?;
            let owned_columns = t.contract.owner.iter().any(|r| matches!(r, OwnerRef::Column { .. }));
            if !matches!(o, Outcome::Leak { .. }) && t.contract.tenant.is_some() && owned_columns && p.signed_in() {
                let second = self.insert_foreign(t, p, template, true).await?;
                if matches!(second, Outcome::Leak { .. }) {
                    o = second;
                }
            }
            self.record(t, p, Command::Insert, Kind::InsertForeign, o, &fi, out).await?;
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
                self.record(t, p, Command::Update, Kind::Move, o, &fu, out).await?;
            }
        }
        Ok(())
    }

    /// `UPDATE t SET owner = me` without WHERE (a take-over), else `SET c = DEFAULT`: judged by
    /// which of the forbidden rows are still there unchanged.
    async fn blind_update(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        forbidden: &[String],
    ) -> Result<Option<(Kind, Outcome)>, DbError> {
        let cat = self.cat();
        let roles = privilege::inherited(cat, &p.role);
        let owner_role = cat.owners.get(t.key).map(String::as_str);
        let can_update = |col: &str| {
            privilege::granted(&t.table.acl, "UPDATE", &roles, owner_role)
                || t.table.column(col).is_some_and(|c| privilege::granted(&c.acl, "UPDATE", &roles, owner_role))
        };
        let mut tries: Vec<(Kind, String, Vec<Bind>)> = Vec::new();
        if let (true, Some(OwnerRef::Column { column })) = (p.signed_in(), t.contract.owner.first()) {
            if let Some(c) = t.table.column(column) {
                if can_update(column) {
                    tries.push((
                        Kind::TakeOver,
                        plan::blind_update_owner_sql(t.key, column, &c.data_type),
                        vec![Bind::Text(p.id.clone())],
                    ));
                }
            }
        }
        if let Some(c) = self.blind_column(t, &p.role) {
            tries.push((Kind::Update, plan::blind_update_default_sql(t.key, &c), Vec::new()));
        }
        let count = plan::count_ctids_sql(t.key);
        let binds = [Bind::TextArray(forbidden.to_vec())];
        for (kind, sql, b) in tries {
            let (r, after) = self.attempt(p, &sql, &b, false, Some((&count, &binds))).await?;
            match (r, after) {
                (Ok(_), Some(Ok(left))) => {
                    let changed = (forbidden.len() as u64).saturating_sub(left);
                    return Ok(Some((
                        kind,
                        if changed > 0 {
                            Outcome::Leak {
                                detail: format!(
                                    "{} {changed} of the {} rows it may not change with `{sql}` (no WHERE: only the UPDATE policies apply)",
                                    if kind == Kind::TakeOver { "took over" } else { "changed" },
                                    forbidden.len()
                                ),
                                rows: changed,
                            }
                        } else {
                            Outcome::Denied {
                                detail: format!("`{sql}` (no WHERE) changed none of the rows it may not change"),
                            }
                        },
                    )));
                }
                (Err(f), _) if f.code == "42501" => {
                    return Ok(Some((kind, Outcome::Denied { detail: format!("refused: {}", f.message) })));
                }
                // A constraint or trigger stopped the whole statement: try the next form.
                _ => continue,
            }
        }
        Ok(None)
    }

    /// A copy of a row the principal may not insert (someone else's), with a fresh key.
    async fn insert_foreign(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        template: &str,
        as_own: bool,
    ) -> Result<Outcome, DbError> {
        let row = match self.read_rows(&plan::row_json_sql(t.key), &[Bind::Text(Some(template.to_string()))]).await? {
            Ok(rows) => rows
                .first()
                .and_then(|r| r.try_get::<sqlx::types::Json<serde_json::Value>, _>(0).ok())
                .map(|j| j.0),
            Err(f) => return Ok(Outcome::Inconclusive { detail: format!("cannot read a row to copy: {f}") }),
        };
        let Some(row) = row else {
            return Ok(Outcome::Skipped { reason: "the row to copy vanished".into() });
        };
        let mut new_row = match self.fresh_key(t, row).await? {
            Ok(r) => r,
            Err(reason) => return Ok(Outcome::Skipped { reason }),
        };
        if as_own {
            // Into another tenant, as its own author.
            for o in t.contract.owner {
                if let (OwnerRef::Column { column }, Some(obj), Some(id)) = (o, new_row.as_object_mut(), &p.id) {
                    obj.insert(column.clone(), serde_json::Value::String(id.clone()));
                }
            }
        }
        let cols = self.insertable_columns(t, &p.role);
        if cols.is_empty() {
            return Ok(Outcome::Denied { detail: "no column it may insert".into() });
        }
        let count = plan::count_forbidden_sql(self.cat(), t, Command::Insert, p.signed_in());
        let id = [Bind::Text(p.id.clone())];
        let before = match self.count(&count, &id).await? {
            Ok(n) => n,
            Err(f) => return Ok(Outcome::Inconclusive { detail: f.to_string() }),
        };
        let (r, after) = self
            .attempt(p, &plan::insert_sql(t.key, &cols), &[Bind::Json(new_row)], false, Some((&count, &id)))
            .await?;
        Ok(match (r, after) {
            (Ok(n), Some(Ok(a))) if n > 0 && a > before => Outcome::Leak {
                detail: if as_own {
                    "inserted a row into a tenant it does not belong to (a copy of one of its rows, with itself as owner)".into()
                } else {
                    "inserted a row owned by someone else (a copy of theirs with a fresh key)".into()
                },
                rows: a - before,
            },
            (Ok(n), _) if n > 0 => Outcome::Denied {
                detail: "inserted, but a trigger made the row its own".into(),
            },
            (r, _) => plan::judge_forbidden(Command::Insert, r.map(|_| 0), 1),
        })
    }

    /// Sets the ownership columns of one of its own rows to another's values.
    async fn move_row(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        own: &str,
        other: &str,
        cols: &[String],
    ) -> Result<Outcome, DbError> {
        let cols = cols.to_vec();
        if cols.is_empty() {
            return Ok(Outcome::Skipped { reason: "no ownership column to move".into() });
        }
        let other_row = match self.read_rows(&plan::row_json_sql(t.key), &[Bind::Text(Some(other.to_string()))]).await? {
            Ok(rows) => rows
                .first()
                .and_then(|r| r.try_get::<sqlx::types::Json<serde_json::Value>, _>(0).ok())
                .map(|j| j.0),
            Err(f) => return Ok(Outcome::Inconclusive { detail: f.to_string() }),
        };
        let Some(other_row) = other_row else {
            return Ok(Outcome::Skipped { reason: "the row to copy ownership from vanished".into() });
        };
        let count = plan::count_forbidden_sql(self.cat(), t, Command::Update, p.signed_in());
        let id = [Bind::Text(p.id.clone())];
        let before = match self.count(&count, &id).await? {
            Ok(n) => n,
            Err(f) => return Ok(Outcome::Inconclusive { detail: f.to_string() }),
        };
        let cols_text = cols.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
        // Keyed first; a WHERE clause makes PostgreSQL check the new row against the SELECT
        // policies too, so when that is refused the same change is sent without one.
        let (r, after) = self
            .attempt(
                p,
                &plan::move_sql(t, &cols),
                &[Bind::TextArray(vec![own.to_string()]), Bind::Json(other_row.clone())],
                false,
                Some((&count, &id)),
            )
            .await?;
        let keyed = match (r, after) {
            (Ok(n), Some(Ok(a))) if n > 0 && a > before => {
                return Ok(Outcome::Leak {
                    detail: format!("moved one of its own rows to another owner or tenant ({cols_text} set to another's values)"),
                    rows: a - before,
                })
            }
            (Ok(0), _) => Outcome::Denied { detail: "0 rows affected".into() },
            (Ok(_), _) => Outcome::Denied { detail: "the row stayed its own".into() },
            (Err(f), _) if f.code == "42501" => Outcome::Denied { detail: format!("refused: {}", f.message) },
            (Err(f), _) if f.code.starts_with("23") => Outcome::Denied {
                detail: format!("a constraint kept the row where it was: {}", f.message),
            },
            (Err(f), _) => Outcome::Inconclusive { detail: f.to_string() },
        };
        let sql = plan::move_blind_sql(t.key, &cols);
        let (r, after) = self
            .attempt(p, &sql, &[Bind::Json(other_row)], false, Some((&count, &id)))
            .await?;
        Ok(match (r, after) {
            (Ok(n), Some(Ok(a))) if n > 0 && a > before => Outcome::Leak {
                detail: format!(
                    "gave {} of its own rows away ({cols_text} set to another's values) with an UPDATE without WHERE (only the UPDATE policies apply)",
                    a - before
                ),
                rows: a - before,
            },
            _ => keyed,
        })
    }

    /// A row among `candidates` (ctids) whose tenant differs from the row `own`'s.
    async fn other_tenant_row(
        &mut self,
        t: &Target<'_>,
        column: &str,
        own: &str,
        candidates: &[String],
    ) -> Result<Option<String>, DbError> {
        let c = quote_ident(column);
        let sql = format!(
            "SELECT ctid::text FROM {key} WHERE ctid = ANY($1::text[]::tid[]) \
             AND {c} IS DISTINCT FROM (SELECT o.{c} FROM {key} o WHERE o.ctid = $2::text::tid) LIMIT 1",
            key = t.key
        );
        let rows = self
            .read_rows(&sql, &[Bind::TextArray(candidates.to_vec()), Bind::Text(Some(own.to_string()))])
            .await?;
        Ok(rows
            .ok()
            .and_then(|r| r.first().and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten())))
    }

    /// Columns the role may insert (not generated).
    fn insertable_columns(&self, t: &Target<'_>, role: &str) -> Vec<String> {
        let cat = self.cat();
        let roles = privilege::inherited(cat, role);
        let owner = cat.owners.get(t.key).map(String::as_str);
        let table_level = privilege::granted(&t.table.acl, "INSERT", &roles, owner);
        t.table
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .filter(|c| table_level || privilege::granted(&c.acl, "INSERT", &roles, owner))
            .map(|c| c.name.clone())
            .collect()
    }

    /// The row with a fresh primary key (computed as the connecting role), or why not.
    async fn fresh_key(&mut self, t: &Target<'_>, mut row: serde_json::Value) -> Result<Result<serde_json::Value, String>, DbError> {
        let ownership = t.ownership_columns();
        // The primary key, then every other unique key: one column of each made fresh, never
        // an ownership column (the copy must stay someone else's).
        for (what, cols) in plan::unique_keys(self.cat(), t) {
            let fresh: Vec<&String> = cols.iter().filter(|c| !ownership.contains(c)).collect();
            let Some(col) = fresh
                .iter()
                .find(|c| t.table.column(c).is_some_and(|x| plan::fresh_value_sql(t.key, c, &x.data_type).is_some()))
            else {
                return Ok(Err(if fresh.is_empty() {
                    format!(
                        "the {what} ({}) is the ownership column, so nobody can own a second row",
                        cols.join(", ")
                    )
                } else {
                    format!("cannot make a fresh value for the {what} ({})", cols.join(", "))
                }));
            };
            let ty = t.table.column(col).map(|c| c.data_type.clone()).unwrap_or_default();
            let Some(sql) = plan::fresh_value_sql(t.key, col, &ty) else { continue };
            let v = match self.read_rows(&sql, &[]).await? {
                Ok(rows) => rows.first().and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()),
                Err(f) => return Ok(Err(format!("cannot make a fresh key: {f}"))),
            };
            if let (Some(obj), Some(v)) = (row.as_object_mut(), v) {
                obj.insert((*col).clone(), serde_json::Value::String(v));
            }
        }
        Ok(Ok(row))
    }

    /// What the contract allows the principal: refusals are `probe-denied`.
    async fn allowed(&mut self, t: &Target<'_>, p: &Principal, part: &Partition, out: &mut Vec<Attempt>) -> Result<(), DbError> {
        let key = t.key;
        let sel = part.allowed_addr[Command::Select.index()].clone();
        if !sel.is_empty() {
            let (r, _) = self
                .attempt(p, &plan::keyed_sql(t, Command::Select, ""), &[Bind::TextArray(sel.clone())], true, None)
                .await?;
            Self::push(out, p, Command::Select, Kind::Allowed, plan::judge_allowed(Command::Select, r, sel.len()));
        }
        if p.kind != PrincipalKind::User {
            return Ok(());
        }
        let upd = part.allowed_addr[Command::Update.index()].clone();
        if let (Some(first), Some(c)) = (upd.first(), self.set_column(t, &p.role)) {
            let (r, _) = self
                .attempt(p, &plan::keyed_sql(t, Command::Update, &c), &[Bind::TextArray(vec![first.clone()])], false, None)
                .await?;
            Self::push(out, p, Command::Update, Kind::Allowed, plan::judge_allowed(Command::Update, r, 1));
        }
        let del = part.allowed_addr[Command::Delete.index()].clone();
        if let Some(first) = del.first() {
            let (r, _) = self
                .attempt(p, &plan::keyed_sql(t, Command::Delete, ""), &[Bind::TextArray(vec![first.clone()])], false, None)
                .await?;
            Self::push(out, p, Command::Delete, Kind::Allowed, plan::judge_allowed(Command::Delete, r, 1));
        }
        let ins = part.allowed[Command::Insert.index()].clone();
        if let Some(first) = ins.first() {
            let row = self
                .read_rows(&plan::row_json_sql(key), &[Bind::Text(Some(first.clone()))])
                .await?
                .ok()
                .and_then(|rows| rows.first().and_then(|r| r.try_get::<sqlx::types::Json<serde_json::Value>, _>(0).ok()))
                .map(|j| j.0);
            if let Some(row) = row {
                if let Ok(new_row) = self.fresh_key(t, row).await? {
                    let cols = self.insertable_columns(t, &p.role);
                    let (r, _) = self
                        .attempt(p, &plan::insert_sql(key, &cols), &[Bind::Json(new_row)], false, None)
                        .await?;
                    Self::push(out, p, Command::Insert, Kind::Allowed, plan::judge_allowed(Command::Insert, r, 1));
                }
            }
        }
        Ok(())
    }

    /// Adds an attempt, with the owners of the rows reached when it leaked.
    #[allow(clippy::too_many_arguments)]
    async fn record(
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

    /// A fingerprint of rows, as the connecting role (None when it cannot be read).
    pub async fn fingerprint(&mut self, sql: &str) -> Result<Option<String>, DbError> {
        Ok(self
            .read_rows(sql, &[])
            .await?
            .ok()
            .and_then(|r| r.first().and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten())))
    }

    /// Calls as `p` (one text value back), then takes the fingerprint as the connecting role,
    /// all rolled back.
    pub async fn call_as(
        &mut self,
        p: &Principal,
        sql: &str,
        binds: &[Bind],
        fingerprint: &str,
    ) -> Result<(Result<Option<String>, PgFailure>, Option<String>), DbError> {
        let assume = self.assume(p);
        self.script("SAVEPOINT strata_probe_attempt").await?;
        self.statements += 2;
        let value = match db::execute_script(self.conn, &assume).await {
            Err(e) => Err(PgFailure::from_sqlx(&e)),
            Ok(_) => {
                let mut q = sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql.to_string()));
                for b in binds {
                    if let Bind::Text(t) = b {
                        q = q.bind(t.clone());
                    }
                }
                q.fetch_one(&mut *self.conn).await.map_err(|e| PgFailure::from_sqlx(&e))
            }
        };
        let mut after = None;
        if value.is_ok() {
            self.statements += 2;
            if db::execute_script(self.conn, "RESET ROLE").await.is_ok() {
                after = sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(fingerprint.to_string()))
                    .fetch_one(&mut *self.conn)
                    .await
                    .ok()
                    .flatten();
            }
        }
        self.script("ROLLBACK TO SAVEPOINT strata_probe_attempt; RELEASE SAVEPOINT strata_probe_attempt")
            .await?;
        Ok((value, after))
    }
}

/// What the audit's reach says let `role` use `cmd` on the table.
pub fn allowed_by(reaches: &[crate::access::Reach], table: &str, cmd: Command, role: &str) -> Vec<String> {
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

