//! Seed state tied to the data: which tables a load filled, so that "unchanged" means the
//! files *and* their rows are still there.
//!
//! Checksums alone said "unchanged" after `strata down --to 0` + `strata up` although every
//! seeded table was new and empty. Now a load records, in `<history>.seed_tables`, every table
//! it inserted rows into (PostgreSQL's own count of the transaction's inserts,
//! `pg_stat_xact_user_tables`, which includes COPY and the rows of SQL seeds) with the table's
//! oid. The next `seed` compares: a table that was dropped and created again (another oid) or
//! that is empty no longer holds what was loaded.
//!
//! Decisions (pure, [`judge`]): every seeded table gone or empty → the data set is gone, load
//! again (as on a first load); only some → refuse and name them, because loading again on top
//! of the tables that kept their rows would duplicate them (`--force` or `strata reset` is the
//! user's call); all present → unchanged.

use crate::db::DbError;
use crate::sql::{quote_ident, quote_literal};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::Row;

/// The table of seeded tables.
pub fn table(history_schema: &str) -> String {
    format!("{}.seed_tables", quote_ident(history_schema))
}

/// Creates the table (inside the seed transaction).
pub fn create_sql(history_schema: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n  relid oid NOT NULL,\n  name text PRIMARY KEY\n);\n",
        table(history_schema)
    )
}

/// Records the tables this transaction inserted rows into (run just before COMMIT).
pub fn record_sql(history_schema: &str) -> String {
    let t = table(history_schema);
    format!(
        "DELETE FROM {t};\nINSERT INTO {t} (relid, name) SELECT relid, format('%I.%I', schemaname, relname) FROM pg_catalog.pg_stat_xact_user_tables WHERE n_tup_ins > 0 AND schemaname <> {};\n",
        quote_literal(history_schema)
    )
}

/// What became of a seeded table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableState {
    /// Same table, with rows.
    Present,
    /// Dropped, or dropped and created again (another oid).
    Recreated,
    /// Same table, no rows.
    Emptied,
}

impl TableState {
    pub fn as_str(self) -> &'static str {
        match self {
            TableState::Present => "present",
            TableState::Recreated => "recreated",
            TableState::Emptied => "emptied",
        }
    }
}

/// The verdict on the seeded data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing recorded, or every seeded table still holds rows.
    Intact,
    /// Every seeded table was recreated or emptied: load again.
    Gone(Vec<(String, TableState)>),
    /// Some were: refuse.
    PartlyGone {
        gone: Vec<(String, TableState)>,
        present: Vec<String>,
    },
}

/// Decides from the state of every seeded table.
pub fn judge(tables: &[(String, TableState)]) -> Verdict {
    let gone: Vec<(String, TableState)> = tables
        .iter()
        .filter(|(_, s)| *s != TableState::Present)
        .cloned()
        .collect();
    if gone.is_empty() {
        Verdict::Intact
    } else if gone.len() == tables.len() {
        Verdict::Gone(gone)
    } else {
        Verdict::PartlyGone {
            gone,
            present: tables
                .iter()
                .filter(|(_, s)| *s == TableState::Present)
                .map(|(n, _)| n.clone())
                .collect(),
        }
    }
}

/// The state of every table the last load filled (none when nothing is recorded).
pub async fn states(
    conn: &mut PgConnection,
    history_schema: &str,
) -> Result<Vec<(String, TableState)>, DbError> {
    let t = table(history_schema);
    let exists_sql = format!("SELECT to_regclass({})::text AS t", quote_literal(&t));
    let exists: Option<String> = sqlx::raw_sql(sqlx::AssertSqlSafe(exists_sql))
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get("t"))
        .map_err(|e| DbError::query("looking for the seeded tables", &e))?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SELECT name, coalesce(to_regclass(name)::oid = relid, false) AS same FROM {t} ORDER BY name"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| DbError::query(format!("reading {t}"), &e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name: String = r.try_get("name").unwrap_or_default();
        let same: bool = r.try_get("same").unwrap_or(false);
        let state = if !same {
            TableState::Recreated
        } else {
            // `name` was written by format('%I.%I'): a quoted, qualified name.
            let has_rows = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM {name}) AS any"
            )))
            .fetch_one(&mut *conn)
            .await
            .and_then(|r| r.try_get::<bool, _>("any"))
            .map_err(|e| DbError::query(format!("looking at the seeded table {name}"), &e))?;
            if has_rows {
                TableState::Present
            } else {
                TableState::Emptied
            }
        };
        out.push((name, state));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_gone_reloads_some_gone_refuses() {
        use TableState::*;
        let t = |n: &str, s| (n.to_string(), s);
        assert_eq!(judge(&[]), Verdict::Intact);
        assert_eq!(judge(&[t("a", Present), t("b", Present)]), Verdict::Intact);
        assert_eq!(
            judge(&[t("a", Recreated), t("b", Emptied)]),
            Verdict::Gone(vec![t("a", Recreated), t("b", Emptied)])
        );
        assert_eq!(
            judge(&[t("a", Recreated), t("b", Present)]),
            Verdict::PartlyGone {
                gone: vec![t("a", Recreated)],
                present: vec!["b".into()]
            }
        );
    }
}
