//! The probe's uses of what the contract allows (a refusal is `probe-denied`), and the
//! calls of SECURITY DEFINER functions as another user, with the rows they touch
//! fingerprinted before and after.

use super::attack::{Bind, Partition, Session};
use super::plan::{self, Kind, Principal, PrincipalKind, Target};
use super::Attempt;
use crate::access::Command;
use crate::db::{self, DbError, PgFailure};
use sqlx::Row;

impl Session<'_, '_> {
    /// What the contract allows the principal: refusals are `probe-denied`.
    pub(super) async fn allowed(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        part: &Partition,
        out: &mut Vec<Attempt>,
    ) -> Result<(), DbError> {
        let key = t.key;
        let sel = part.allowed_addr[Command::Select.index()].clone();
        if !sel.is_empty() {
            let (r, _) = self
                .attempt(
                    p,
                    &plan::keyed_sql(t, Command::Select, ""),
                    &[Bind::TextArray(sel.clone())],
                    true,
                    None,
                )
                .await?;
            Self::push(
                out,
                p,
                Command::Select,
                Kind::Allowed,
                plan::judge_allowed(Command::Select, r, sel.len()),
            );
        }
        if p.kind != PrincipalKind::User {
            return Ok(());
        }
        let upd = part.allowed_addr[Command::Update.index()].clone();
        if let (Some(first), Some(c)) = (upd.first(), self.set_column(t, &p.role)) {
            let (r, _) = self
                .attempt(
                    p,
                    &plan::keyed_sql(t, Command::Update, &c),
                    &[Bind::TextArray(vec![first.clone()])],
                    false,
                    None,
                )
                .await?;
            Self::push(
                out,
                p,
                Command::Update,
                Kind::Allowed,
                plan::judge_allowed(Command::Update, r, 1),
            );
        }
        let del = part.allowed_addr[Command::Delete.index()].clone();
        if let Some(first) = del.first() {
            let (r, _) = self
                .attempt(
                    p,
                    &plan::keyed_sql(t, Command::Delete, ""),
                    &[Bind::TextArray(vec![first.clone()])],
                    false,
                    None,
                )
                .await?;
            Self::push(
                out,
                p,
                Command::Delete,
                Kind::Allowed,
                plan::judge_allowed(Command::Delete, r, 1),
            );
        }
        let ins = part.allowed[Command::Insert.index()].clone();
        if let Some(first) = ins.first() {
            let row = self
                .read_rows(&plan::row_json_sql(key), &[Bind::Text(Some(first.clone()))])
                .await?
                .ok()
                .and_then(|rows| {
                    rows.first()
                        .and_then(|r| r.try_get::<sqlx::types::Json<serde_json::Value>, _>(0).ok())
                })
                .map(|j| j.0);
            if let Some(row) = row {
                if let Ok(new_row) = self.fresh_key(t, row).await? {
                    let cols = self.insertable_columns(t, &p.role);
                    let (r, _) = self
                        .attempt(
                            p,
                            &plan::insert_sql(key, &cols),
                            &[Bind::Json(new_row)],
                            false,
                            None,
                        )
                        .await?;
                    Self::push(
                        out,
                        p,
                        Command::Insert,
                        Kind::Allowed,
                        plan::judge_allowed(Command::Insert, r, 1),
                    );
                }
            }
        }
        Ok(())
    }

    /// A fingerprint of rows, as the connecting role (None when it cannot be read).
    pub async fn fingerprint(&mut self, sql: &str) -> Result<Option<String>, DbError> {
        Ok(self.read_rows(sql, &[]).await?.ok().and_then(|r| {
            r.first()
                .and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten())
        }))
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
                let mut q =
                    sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql.to_string()));
                for b in binds {
                    if let Bind::Text(t) = b {
                        q = q.bind(t.clone());
                    }
                }
                q.fetch_one(&mut *self.conn)
                    .await
                    .map_err(|e| PgFailure::from_sqlx(&e))
            }
        };
        let mut after = None;
        if value.is_ok() {
            self.statements += 2;
            if db::execute_script(self.conn, "RESET ROLE").await.is_ok() {
                after = sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(
                    fingerprint.to_string(),
                ))
                .fetch_one(&mut *self.conn)
                .await
                .ok()
                .flatten();
            }
        }
        self.script(
            "ROLLBACK TO SAVEPOINT strata_probe_attempt; RELEASE SAVEPOINT strata_probe_attempt",
        )
        .await?;
        Ok((value, after))
    }
}
