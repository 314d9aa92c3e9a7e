//! The `strata` schema: create it, read it, and the SQL of the rows strata records.
//!
//! Owns: the only SQL on strata's own tables. The history is append-only (apply, rollback,
//! baseline, accept, clear), so `repair` and `baseline` stay auditable; [`fold`] turns the rows
//! into the current state of each version. Must not: run migrations.
//!
//! Rows are written as SQL text (literals quoted by `sql::quote_literal`) rather than bound
//! parameters because the engine sends a migration, its timeouts and its history row as one
//! simple-query message: one round trip per migration, and one transaction.

use crate::db::DbError;
use crate::project::{Checksum, Version};
use crate::sql::{quote_ident, quote_literal};
use sqlx::postgres::PgConnection;
use sqlx::Row;
use std::collections::BTreeMap;

const SCHEMA_SQL: &str = include_str!("schema.sql");

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Apply,
    Rollback,
    Baseline,
    Accept,
    Clear,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Apply => "apply",
            Kind::Rollback => "rollback",
            Kind::Baseline => "baseline",
            Kind::Accept => "accept",
            Kind::Clear => "clear",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "apply" => Kind::Apply,
            "rollback" => Kind::Rollback,
            "baseline" => Kind::Baseline,
            "accept" => Kind::Accept,
            "clear" => Kind::Clear,
            _ => return None,
        })
    }
}

/// One row of `strata.history`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    pub id: i64,
    pub version: Version,
    pub name: String,
    pub kind: Kind,
    pub checksum: Option<Checksum>,
    pub applied_at: String,
    pub applied_by: String,
    pub duration_ms: Option<i64>,
    pub success: bool,
    pub note: Option<String>,
}

/// What the database says about one version after folding its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Applied {
        name: String,
        checksum: Option<Checksum>,
        applied_at: String,
        duration_ms: Option<i64>,
        baselined: bool,
    },
    Failed {
        name: String,
        applied_at: String,
        note: Option<String>,
    },
}

/// Folds rows (in id order) into the state of every version that has one.
pub fn fold(rows: &[HistoryRow]) -> BTreeMap<Version, Recorded> {
    let mut state = BTreeMap::new();
    for r in rows {
        match (r.kind, r.success) {
            (Kind::Apply, true) | (Kind::Baseline, _) => {
                state.insert(
                    r.version,
                    Recorded::Applied {
                        name: r.name.clone(),
                        checksum: r.checksum.clone(),
                        applied_at: r.applied_at.clone(),
                        duration_ms: r.duration_ms,
                        baselined: r.kind == Kind::Baseline,
                    },
                );
            }
            (Kind::Apply, false) => {
                state.insert(
                    r.version,
                    Recorded::Failed {
                        name: r.name.clone(),
                        applied_at: r.applied_at.clone(),
                        note: r.note.clone(),
                    },
                );
            }
            (Kind::Rollback, true) => {
                state.remove(&r.version);
            }
            (Kind::Rollback, false) => {}
            (Kind::Accept, _) => {
                if let Some(Recorded::Applied { checksum, .. }) = state.get_mut(&r.version) {
                    *checksum = r.checksum.clone();
                }
            }
            (Kind::Clear, _) => {
                if matches!(state.get(&r.version), Some(Recorded::Failed { .. })) {
                    state.remove(&r.version);
                }
            }
        }
    }
    state
}

/// The history table's qualified name.
pub fn table(schema: &str) -> String {
    format!("{}.history", quote_ident(schema))
}

/// Creates the schema and table if missing. Call with the run lock held.
pub async fn ensure(conn: &mut PgConnection, schema: &str) -> Result<(), DbError> {
    let sql = SCHEMA_SQL.replace("{schema}", &quote_ident(schema));
    crate::db::execute_script(conn, &sql)
        .await
        .map_err(|e| DbError::query(format!("creating strata's history in schema {schema}"), &e))?;
    Ok(())
}

/// Reads every row, oldest first; an absent table reads as no rows. A hand-edited row that
/// cannot be understood is an error naming the row, never a panic.
pub async fn read(conn: &mut PgConnection, schema: &str) -> Result<Vec<HistoryRow>, DbError> {
    let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(table(schema))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| DbError::query("looking for strata's history", &e))?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, version::text AS version, name, kind, checksum, \
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS applied_at, \
                applied_by, duration_ms, success, note \
         FROM {} ORDER BY id",
        table(schema)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| DbError::query("reading strata's history", &e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let bad = |what: &str| DbError::Query {
            context: "reading strata's history".into(),
            failure: crate::db::PgFailure {
                message: format!(
                    "row {} of {}: {what}; fix or delete that row by hand",
                    r.try_get::<i64, _>("id").unwrap_or_default(),
                    table(schema)
                ),
                ..Default::default()
            },
        };
        let version_text: String = r
            .try_get("version")
            .map_err(|_| bad("unreadable version"))?;
        let version: Version = version_text.parse().map_err(|_| {
            bad(&format!(
                "version `{version_text}` is not a positive integer"
            ))
        })?;
        let kind_text: String = r.try_get("kind").map_err(|_| bad("unreadable kind"))?;
        let kind =
            Kind::parse(&kind_text).ok_or_else(|| bad(&format!("unknown kind `{kind_text}`")))?;
        out.push(HistoryRow {
            id: r.try_get("id").map_err(|_| bad("unreadable id"))?,
            version,
            name: r.try_get("name").map_err(|_| bad("unreadable name"))?,
            kind,
            checksum: r
                .try_get::<Option<String>, _>("checksum")
                .map_err(|_| bad("unreadable checksum"))?
                .map(Checksum),
            applied_at: r
                .try_get("applied_at")
                .map_err(|_| bad("unreadable applied_at"))?,
            applied_by: r
                .try_get("applied_by")
                .map_err(|_| bad("unreadable applied_by"))?,
            duration_ms: r
                .try_get("duration_ms")
                .map_err(|_| bad("unreadable duration"))?,
            success: r
                .try_get("success")
                .map_err(|_| bad("unreadable success"))?,
            note: r.try_get("note").map_err(|_| bad("unreadable note"))?,
        });
    }
    Ok(out)
}

/// A row to record, rendered as an INSERT by [`insert_sql`].
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    pub version: Version,
    pub name: &'a str,
    pub kind: Kind,
    pub checksum: Option<&'a Checksum>,
    pub sql: Option<&'a str>,
    pub success: bool,
    pub note: Option<&'a str>,
    /// Duration from the transaction's start (`now()`) to this statement, measured by the server.
    pub duration_from_txn_start: bool,
    /// A duration measured by strata, when not from the transaction start.
    pub duration_ms: Option<i64>,
}

/// The INSERT for one history row, as SQL text.
pub fn insert_sql(schema: &str, row: &NewRow<'_>) -> String {
    let opt = |v: Option<&str>| v.map_or_else(|| "NULL".to_string(), quote_literal);
    let duration = if row.duration_from_txn_start {
        "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint".to_string()
    } else {
        row.duration_ms
            .map_or_else(|| "NULL".to_string(), |d| d.to_string())
    };
    format!(
        "INSERT INTO {} (version, name, kind, checksum, sql, duration_ms, success, note) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        table(schema),
        row.version,
        quote_literal(row.name),
        quote_literal(row.kind.as_str()),
        opt(row.checksum.map(|c| c.0.as_str())),
        opt(row.sql),
        duration,
        if row.success { "true" } else { "false" },
        opt(row.note),
    )
}

/// Records one row in its own statement (outside the migration's message).
pub async fn record(
    conn: &mut PgConnection,
    schema: &str,
    row: &NewRow<'_>,
) -> Result<(), DbError> {
    crate::db::execute_script(conn, &insert_sql(schema, row))
        .await
        .map_err(|e| DbError::query("recording in strata's history", &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, v: u128, kind: Kind, success: bool, sum: Option<&str>) -> HistoryRow {
        HistoryRow {
            id,
            version: Version(v),
            name: format!("m{v}"),
            kind,
            checksum: sum.map(|s| Checksum(s.into())),
            applied_at: "t".into(),
            applied_by: "u".into(),
            duration_ms: None,
            success,
            note: None,
        }
    }

    #[test]
    fn fold_follows_events() {
        let rows = vec![
            row(1, 1, Kind::Apply, true, Some("a")),
            row(2, 2, Kind::Apply, true, Some("b")),
            row(3, 2, Kind::Rollback, true, None),
            row(4, 3, Kind::Apply, false, None),
            row(5, 1, Kind::Accept, true, Some("a2")),
            row(6, 4, Kind::Apply, false, None),
            row(7, 4, Kind::Clear, true, None),
            row(8, 5, Kind::Baseline, true, Some("e")),
        ];
        let s = fold(&rows);
        assert_eq!(s.len(), 3);
        match &s[&Version(1)] {
            Recorded::Applied { checksum, .. } => assert_eq!(checksum.as_ref().unwrap().0, "a2"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(s[&Version(3)], Recorded::Failed { .. }));
        assert!(matches!(
            s[&Version(5)],
            Recorded::Applied {
                baselined: true,
                ..
            }
        ));
        assert!(!s.contains_key(&Version(2)));
        assert!(!s.contains_key(&Version(4)));
    }

    #[test]
    fn insert_sql_quotes_everything() {
        let c = Checksum("abc".into());
        let sql = insert_sql(
            "strata",
            &NewRow {
                version: Version(7),
                name: "it's",
                kind: Kind::Apply,
                checksum: Some(&c),
                sql: Some("select 'x\\y'"),
                success: true,
                note: None,
                duration_from_txn_start: true,
                duration_ms: None,
            },
        );
        assert!(sql.contains("'it''s'"), "{sql}");
        assert!(sql.contains("E'select ''x\\\\y'''"), "{sql}");
        assert!(sql.starts_with("INSERT INTO strata.history"), "{sql}");
    }
}
