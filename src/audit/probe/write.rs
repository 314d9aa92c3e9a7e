//! The probe's writing attempts on one table: blind updates (a take-over of other users' rows,
//! or a column set to DEFAULT), the foreign insert (a copy of someone else's row with fresh
//! keys), the move of one of the attacker's own rows to another owner or tenant, and the
//! choice of columns they use. Each runs in its own savepoint through `Session::attempt`.

use super::attack::{Bind, Session};
use super::plan::{self, Kind, Outcome, Principal, Target};
use crate::access::{Command, OwnerRef};
use crate::audit::privilege;
use crate::catalog::ConstraintKind;
use crate::db::DbError;
use crate::sql::quote_ident;
use sqlx::Row;

impl Session<'_, '_> {
    /// The column an UPDATE sets to itself: the owner column when the role may update the
    /// whole table, else one it holds a column privilege on.
    pub(super) fn set_column(&self, t: &Target<'_>, role: &str) -> Option<String> {
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
            return first.or_else(|| {
                t.table
                    .columns
                    .iter()
                    .find(|c| c.generated.is_none())
                    .map(|c| c.name.clone())
            });
        }
        t.table
            .columns
            .iter()
            .find(|c| c.generated.is_none() && privilege::granted(&c.acl, "UPDATE", &roles, owner))
            .map(|c| c.name.clone())
    }

    /// A column a blind UPDATE can set to DEFAULT: no key, no ownership column, not named by the
    /// table's policies, nullable or with a default, updatable by the role.
    pub(super) fn blind_column(&self, t: &Target<'_>, role: &str) -> Option<String> {
        let cat = self.cat();
        let roles = privilege::inherited(cat, role);
        let owner = cat.owners.get(t.key).map(String::as_str);
        let table_level = privilege::granted(&t.table.acl, "UPDATE", &roles, owner);
        let keyed: Vec<&String> = t
            .table
            .constraints
            .values()
            .filter(|c| {
                matches!(
                    c.kind,
                    ConstraintKind::PrimaryKey
                        | ConstraintKind::Unique
                        | ConstraintKind::Exclusion
                        | ConstraintKind::ForeignKey
                )
            })
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

    /// `UPDATE t SET owner = me` without WHERE (a take-over), else `SET c = DEFAULT`: judged by
    /// which of the forbidden rows are still there unchanged.
    pub(super) async fn blind_update(
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
                || t.table
                    .column(col)
                    .is_some_and(|c| privilege::granted(&c.acl, "UPDATE", &roles, owner_role))
        };
        let mut tries: Vec<(Kind, String, Vec<Bind>)> = Vec::new();
        if let (true, Some(OwnerRef::Column { column })) = (p.signed_in(), t.contract.owner.first())
        {
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
            tries.push((
                Kind::Update,
                plan::blind_update_default_sql(t.key, &c),
                Vec::new(),
            ));
        }
        let count = plan::count_ctids_sql(t.key);
        let binds = [Bind::TextArray(forbidden.to_vec())];
        for (kind, sql, b) in tries {
            let (r, after) = self
                .attempt(p, &sql, &b, false, Some((&count, &binds)))
                .await?;
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
                                detail: format!(
                                    "`{sql}` (no WHERE) changed none of the rows it may not change"
                                ),
                            }
                        },
                    )));
                }
                (Err(f), _) if f.code == "42501" => {
                    return Ok(Some((
                        kind,
                        Outcome::Denied {
                            detail: format!("refused: {}", f.message),
                        },
                    )));
                }
                // A constraint or trigger stopped the whole statement: try the next form.
                _ => continue,
            }
        }
        Ok(None)
    }

    /// A copy of a row the principal may not insert (someone else's), with a fresh key.
    pub(super) async fn insert_foreign(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        template: &str,
        as_own: bool,
    ) -> Result<Outcome, DbError> {
        let row = match self
            .read_rows(
                &plan::row_json_sql(t.key),
                &[Bind::Text(Some(template.to_string()))],
            )
            .await?
        {
            Ok(rows) => rows
                .first()
                .and_then(|r| r.try_get::<sqlx::types::Json<serde_json::Value>, _>(0).ok())
                .map(|j| j.0),
            Err(f) => {
                return Ok(Outcome::Inconclusive {
                    detail: format!("cannot read a row to copy: {f}"),
                })
            }
        };
        let Some(row) = row else {
            return Ok(Outcome::Skipped {
                reason: "the row to copy vanished".into(),
            });
        };
        let mut new_row = match self.fresh_key(t, row).await? {
            Ok(r) => r,
            Err(reason) => return Ok(Outcome::Skipped { reason }),
        };
        if as_own {
            // Into another tenant, as its own author.
            for o in t.contract.owner {
                if let (OwnerRef::Column { column }, Some(obj), Some(id)) =
                    (o, new_row.as_object_mut(), &p.id)
                {
                    obj.insert(column.clone(), serde_json::Value::String(id.clone()));
                }
            }
        }
        let cols = self.insertable_columns(t, &p.role);
        if cols.is_empty() {
            return Ok(Outcome::Denied {
                detail: "no column it may insert".into(),
            });
        }
        let count = plan::count_forbidden_sql(self.cat(), t, Command::Insert, p.signed_in());
        let id = [Bind::Text(p.id.clone())];
        let before = match self.count(&count, &id).await? {
            Ok(n) => n,
            Err(f) => {
                return Ok(Outcome::Inconclusive {
                    detail: f.to_string(),
                })
            }
        };
        let (r, after) = self
            .attempt(
                p,
                &plan::insert_sql(t.key, &cols),
                &[Bind::Json(new_row)],
                false,
                Some((&count, &id)),
            )
            .await?;
        Ok(match (r, after) {
            (Ok(n), Some(Ok(a))) if n > 0 && a > before => Outcome::Leak {
                detail: if as_own {
                    "inserted a row into a tenant it does not belong to (a copy of one of its rows, with itself as owner)".into()
                } else {
                    "inserted a row owned by someone else (a copy of theirs with a fresh key)"
                        .into()
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
    pub(super) async fn move_row(
        &mut self,
        t: &Target<'_>,
        p: &Principal,
        own: &str,
        other: &str,
        cols: &[String],
    ) -> Result<Outcome, DbError> {
        let cols = cols.to_vec();
        if cols.is_empty() {
            return Ok(Outcome::Skipped {
                reason: "no ownership column to move".into(),
            });
        }
        let other_row = match self
            .read_rows(
                &plan::row_json_sql(t.key),
                &[Bind::Text(Some(other.to_string()))],
            )
            .await?
        {
            Ok(rows) => rows
                .first()
                .and_then(|r| r.try_get::<sqlx::types::Json<serde_json::Value>, _>(0).ok())
                .map(|j| j.0),
            Err(f) => {
                return Ok(Outcome::Inconclusive {
                    detail: f.to_string(),
                })
            }
        };
        let Some(other_row) = other_row else {
            return Ok(Outcome::Skipped {
                reason: "the row to copy ownership from vanished".into(),
            });
        };
        let count = plan::count_forbidden_sql(self.cat(), t, Command::Update, p.signed_in());
        let id = [Bind::Text(p.id.clone())];
        let before = match self.count(&count, &id).await? {
            Ok(n) => n,
            Err(f) => {
                return Ok(Outcome::Inconclusive {
                    detail: f.to_string(),
                })
            }
        };
        let cols_text = cols
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        // Keyed first; a WHERE clause makes PostgreSQL check the new row against the SELECT
        // policies too, so when that is refused the same change is sent without one.
        let (r, after) = self
            .attempt(
                p,
                &plan::move_sql(t, &cols),
                &[
                    Bind::TextArray(vec![own.to_string()]),
                    Bind::Json(other_row.clone()),
                ],
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
            .attempt(
                p,
                &sql,
                &[Bind::Json(other_row)],
                false,
                Some((&count, &id)),
            )
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
    pub(super) async fn other_tenant_row(
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
            .read_rows(
                &sql,
                &[
                    Bind::TextArray(candidates.to_vec()),
                    Bind::Text(Some(own.to_string())),
                ],
            )
            .await?;
        Ok(rows.ok().and_then(|r| {
            r.first()
                .and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten())
        }))
    }

    /// Columns the role may insert (not generated).
    pub(super) fn insertable_columns(&self, t: &Target<'_>, role: &str) -> Vec<String> {
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
    pub(super) async fn fresh_key(
        &mut self,
        t: &Target<'_>,
        mut row: serde_json::Value,
    ) -> Result<Result<serde_json::Value, String>, DbError> {
        let ownership = t.ownership_columns();
        // The primary key, then every other unique key: one column of each made fresh, never
        // an ownership column (the copy must stay someone else's).
        for (what, cols) in plan::unique_keys(self.cat(), t) {
            let fresh: Vec<&String> = cols.iter().filter(|c| !ownership.contains(c)).collect();
            let Some(col) = fresh.iter().find(|c| {
                t.table
                    .column(c)
                    .is_some_and(|x| plan::fresh_value_sql(t.key, c, &x.data_type).is_some())
            }) else {
                return Ok(Err(if fresh.is_empty() {
                    format!(
                        "the {what} ({}) is the ownership column, so nobody can own a second row",
                        cols.join(", ")
                    )
                } else {
                    format!(
                        "cannot make a fresh value for the {what} ({})",
                        cols.join(", ")
                    )
                }));
            };
            let ty = t
                .table
                .column(col)
                .map(|c| c.data_type.clone())
                .unwrap_or_default();
            let Some(sql) = plan::fresh_value_sql(t.key, col, &ty) else {
                continue;
            };
            let v = match self.read_rows(&sql, &[]).await? {
                Ok(rows) => rows
                    .first()
                    .and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()),
                Err(f) => return Ok(Err(format!("cannot make a fresh key: {f}"))),
            };
            if let (Some(obj), Some(v)) = (row.as_object_mut(), v) {
                obj.insert((*col).clone(), serde_json::Value::String(v));
            }
        }
        Ok(Ok(row))
    }
}
