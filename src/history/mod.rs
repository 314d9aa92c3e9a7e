//! The `strata` schema: create it, read it, and the SQL of the rows strata records.
//!
//! Owns: the only SQL on strata's own tables. The history is append-only (apply, rollback,
//! baseline, accept, clear, forget, and the per-statement `progress`/`started` rows of
//! no-transaction files), so `repair` and `baseline` stay auditable and a run that stopped
//! midway can be named exactly; [`fold`] turns the rows into the current state of each version.
//! Must not: run migrations.
//!
//! Rows are written as SQL text (literals quoted by `sql::quote_literal`) rather than bound
//! parameters because the engine sends a migration, its timeouts and its history row as one
//! simple-query message: one round trip per migration, and one transaction. Reads use the
//! simple-query protocol too, so that they work through a transaction-pooling proxy (prepared
//! statements do not survive one).

use crate::db::{self, DbError};
use crate::project::{Checksum, Version};
use crate::sql::{quote_ident, quote_literal};
use sqlx::postgres::PgConnection;
use sqlx::Row;
use std::collections::BTreeMap;

const SCHEMA_SQL: &str = include_str!("schema.sql");

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Apply,
    Rollback,
    Baseline,
    Accept,
    Clear,
    /// `repair --forget V`: an applied migration whose file was deliberately deleted.
    Forget,
    /// No-transaction migration: statements up to `step` are committed.
    Progress,
    /// No-transaction migration: statement `step` was sent; its outcome is not recorded yet.
    Started,
    /// The same two for a no-transaction rollback.
    RollbackProgress,
    RollbackStarted,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Apply => "apply",
            Kind::Rollback => "rollback",
            Kind::Baseline => "baseline",
            Kind::Accept => "accept",
            Kind::Clear => "clear",
            Kind::Forget => "forget",
            Kind::Progress => "progress",
            Kind::Started => "started",
            Kind::RollbackProgress => "rollback-progress",
            Kind::RollbackStarted => "rollback-started",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "apply" => Kind::Apply,
            "rollback" => Kind::Rollback,
            "baseline" => Kind::Baseline,
            "accept" => Kind::Accept,
            "clear" => Kind::Clear,
            "forget" => Kind::Forget,
            "progress" => Kind::Progress,
            "started" => Kind::Started,
            "rollback-progress" => Kind::RollbackProgress,
            "rollback-started" => Kind::RollbackStarted,
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
    /// The statement (1-based) a per-statement row is about.
    pub step: Option<i64>,
}

/// Which way a partly run file was going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Way {
    /// Applying the migration.
    Apply,
    /// Running its rollback.
    Rollback,
}

/// A no-transaction file that stopped midway: some of its statements are committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    pub name: String,
    pub way: Way,
    /// Statements known to be committed, in file order; `None` for a failed row written by an
    /// older strata that did not record it.
    pub committed: Option<usize>,
    /// A statement that was sent and whose outcome is not recorded (the run stopped during it).
    pub running: Option<usize>,
    /// The failure that stopped the run, when a statement failed.
    pub failed: Option<String>,
    /// SHA-256 of the file's text up to the end of the last committed statement, so that a
    /// resumed run knows the committed statements are still the ones in the file.
    pub committed_checksum: Option<Checksum>,
    pub at: String,
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
    /// A no-transaction migration or rollback that stopped midway (failed, killed, connection
    /// lost).
    Partial(Partial),
}

impl Recorded {
    pub fn name(&self) -> &str {
        match self {
            Recorded::Applied { name, .. } => name,
            Recorded::Partial(p) => &p.name,
        }
    }
}

fn step_of(r: &HistoryRow) -> Option<usize> {
    r.step.and_then(|s| usize::try_from(s).ok())
}

/// Folds rows (in id order) into the state of every version that has one.
pub fn fold(rows: &[HistoryRow]) -> BTreeMap<Version, Recorded> {
    let mut state = BTreeMap::new();
    for r in rows {
        let partial = |way: Way, committed: Option<usize>, running, failed| {
            Recorded::Partial(Partial {
                name: r.name.clone(),
                way,
                committed,
                running,
                failed,
                committed_checksum: r.checksum.clone(),
                at: r.applied_at.clone(),
            })
        };
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
                let committed = step_of(r).map(|s| s.saturating_sub(1));
                // An old failed row (no step) carried the file's checksum, not the committed
                // prefix's.
                let mut p = partial(Way::Apply, committed, None, r.note.clone());
                if committed.is_none() {
                    if let Recorded::Partial(p) = &mut p {
                        p.committed_checksum = None;
                    }
                }
                state.insert(r.version, p);
            }
            (Kind::Progress, _) => {
                state.insert(r.version, partial(Way::Apply, step_of(r), None, None));
            }
            (Kind::Started, _) => {
                let s = step_of(r).unwrap_or(1);
                state.insert(
                    r.version,
                    partial(Way::Apply, Some(s.saturating_sub(1)), Some(s), None),
                );
            }
            (Kind::Rollback, true) => {
                state.remove(&r.version);
            }
            (Kind::Rollback, false) => {
                // A transactional rollback that failed changed nothing (no step): the version
                // stays applied. A no-transaction one stopped at statement `step`.
                if let Some(s) = step_of(r) {
                    state.insert(
                        r.version,
                        partial(
                            Way::Rollback,
                            Some(s.saturating_sub(1)),
                            None,
                            r.note.clone(),
                        ),
                    );
                }
            }
            (Kind::RollbackProgress, _) => {
                state.insert(r.version, partial(Way::Rollback, step_of(r), None, None));
            }
            (Kind::RollbackStarted, _) => {
                let s = step_of(r).unwrap_or(1);
                state.insert(
                    r.version,
                    partial(Way::Rollback, Some(s.saturating_sub(1)), Some(s), None),
                );
            }
            (Kind::Accept, _) => {
                if let Some(Recorded::Applied { checksum, .. }) = state.get_mut(&r.version) {
                    *checksum = r.checksum.clone();
                }
            }
            (Kind::Clear, _) => {
                if matches!(state.get(&r.version), Some(Recorded::Partial(_))) {
                    state.remove(&r.version);
                }
            }
            (Kind::Forget, _) => {
                if matches!(state.get(&r.version), Some(Recorded::Applied { .. })) {
                    state.remove(&r.version);
                }
            }
        }
    }
    state
}

/// The id of each version's newest row: what a run saw when it planned. A change of the
/// database is made only if the version's newest row is still that one (another run may have
/// changed it in between; see `engine`).
pub fn last_ids(rows: &[HistoryRow]) -> BTreeMap<Version, i64> {
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(r.version, r.id);
    }
    out
}

/// The newest row of all (0 when there is none).
pub fn last_id(rows: &[HistoryRow]) -> i64 {
    rows.iter().map(|r| r.id).max().unwrap_or(0)
}

/// The history table's qualified name.
pub fn table(schema: &str) -> String {
    format!("{}.history", quote_ident(schema))
}

/// The SQL that creates the schema and table if missing and brings an older table up to date.
/// Run it inside a transaction that holds the run lock.
pub fn ensure_sql(schema: &str) -> String {
    SCHEMA_SQL
        .replace("{table_literal}", &quote_literal(&table(schema)))
        .replace("{schema}", &quote_ident(schema))
}

/// Creates the schema and table if missing (no lock: for throwaway databases and tests; the
/// engine runs [`ensure_sql`] under the run lock).
pub async fn ensure(conn: &mut PgConnection, schema: &str) -> Result<(), DbError> {
    db::execute_script(conn, &ensure_sql(schema))
        .await
        .map_err(|e| DbError::query(format!("creating strata's history in schema {schema}"), &e))?;
    Ok(())
}

/// Reads every row, oldest first; an absent table reads as no rows. A hand-edited row that
/// cannot be understood is an error naming the row, never a panic.
pub async fn read(conn: &mut PgConnection, schema: &str) -> Result<Vec<HistoryRow>, DbError> {
    // Whether the table exists, and whether it has the `step` column (a history written by an
    // older strata has none), in one round trip: `status` is a handful of them in all.
    let probe_sql = format!(
        "SELECT to_regclass({t})::text AS t, \
                (SELECT count(*) FROM pg_catalog.pg_attribute \
                 WHERE attrelid = to_regclass({t}) AND attname = 'step' AND NOT attisdropped) AS n",
        t = quote_literal(&table(schema))
    );
    let probe = sqlx::raw_sql(sqlx::AssertSqlSafe(probe_sql))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| DbError::query("looking for strata's history", &e))?;
    let exists: Option<String> = probe
        .try_get("t")
        .map_err(|e| DbError::query("looking for strata's history", &e))?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let has_step: i64 = probe
        .try_get("n")
        .map_err(|e| DbError::query("reading strata's history", &e))?;
    let sql = format!(
        "SELECT id, version::text AS version, name, kind, checksum, \
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS applied_at, \
                applied_by, duration_ms, success, note, {} AS step \
         FROM {} ORDER BY id",
        if has_step > 0 {
            "step::bigint"
        } else {
            "NULL::bigint"
        },
        table(schema)
    );
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
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
            step: r.try_get("step").map_err(|_| bad("unreadable step"))?,
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
    /// The statement (1-based) a per-statement row is about.
    pub step: Option<usize>,
}

/// The INSERT for one history row, as SQL text. It returns the new row's id as
/// `strata_history_id`.
pub fn insert_sql(schema: &str, row: &NewRow<'_>) -> String {
    let opt = |v: Option<&str>| v.map_or_else(|| "NULL".to_string(), quote_literal);
    let duration = if row.duration_from_txn_start {
        "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint".to_string()
    } else {
        row.duration_ms
            .map_or_else(|| "NULL".to_string(), |d| d.to_string())
    };
    let (step_col, step_val) = match row.step {
        Some(s) => (", step", format!(", {s}")),
        None => ("", String::new()),
    };
    format!(
        "INSERT INTO {} (version, name, kind, checksum, sql, duration_ms, success, note{step_col}) VALUES ({}, {}, {}, {}, {}, {}, {}, {}{step_val}) RETURNING id AS strata_history_id",
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
            step: None,
        }
    }

    fn step(mut r: HistoryRow, s: i64) -> HistoryRow {
        r.step = Some(s);
        r
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
            row(9, 6, Kind::Apply, true, Some("f")),
            row(10, 6, Kind::Forget, true, None),
            // a failed transactional rollback changes nothing
            row(11, 5, Kind::Rollback, false, None),
        ];
        let s = fold(&rows);
        assert_eq!(s.len(), 3);
        match &s[&Version(1)] {
            Recorded::Applied { checksum, .. } => assert_eq!(checksum.as_ref().unwrap().0, "a2"),
            other => panic!("{other:?}"),
        }
        match &s[&Version(3)] {
            Recorded::Partial(p) => assert_eq!((p.way, p.committed), (Way::Apply, None)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            s[&Version(5)],
            Recorded::Applied {
                baselined: true,
                ..
            }
        ));
        assert!(!s.contains_key(&Version(2)));
        assert!(!s.contains_key(&Version(4)));
        assert!(!s.contains_key(&Version(6)), "forgotten");
    }

    #[test]
    fn fold_names_the_statement_a_no_transaction_file_stopped_at() {
        let partial = |rows: Vec<HistoryRow>| match fold(&rows).remove(&Version(7)) {
            Some(Recorded::Partial(p)) => (p.way, p.committed, p.running, p.failed.is_some()),
            other => panic!("{other:?}"),
        };
        let p = |id, kind, s| step(row(id, 7, kind, true, Some("c")), s);
        assert_eq!(
            partial(vec![p(1, Kind::Progress, 1), p(2, Kind::Progress, 2)]),
            (Way::Apply, Some(2), None, false)
        );
        assert_eq!(
            partial(vec![p(1, Kind::Progress, 2), p(2, Kind::Started, 3)]),
            (Way::Apply, Some(2), Some(3), false)
        );
        let mut failed = step(row(3, 7, Kind::Apply, false, Some("c")), 3);
        failed.note = Some("boom".into());
        assert_eq!(
            partial(vec![p(1, Kind::Progress, 2), failed]),
            (Way::Apply, Some(2), None, true)
        );
        let applied = row(1, 7, Kind::Apply, true, Some("c"));
        assert_eq!(
            partial(vec![applied.clone(), p(2, Kind::RollbackProgress, 1)]),
            (Way::Rollback, Some(1), None, false)
        );
        assert_eq!(
            partial(vec![applied.clone(), p(2, Kind::RollbackStarted, 2)]),
            (Way::Rollback, Some(1), Some(2), false)
        );
        let mut rb_failed = step(row(2, 7, Kind::Rollback, false, None), 1);
        rb_failed.note = Some("boom".into());
        assert_eq!(
            partial(vec![applied, rb_failed]),
            (Way::Rollback, Some(0), None, true)
        );
        // finishing clears the partial state
        let done = fold(&[
            p(1, Kind::Progress, 2),
            row(2, 7, Kind::Apply, true, Some("c")),
        ]);
        assert!(matches!(done[&Version(7)], Recorded::Applied { .. }));
    }

    #[test]
    fn last_ids_are_per_version() {
        let rows = vec![
            row(1, 1, Kind::Apply, true, None),
            row(2, 2, Kind::Apply, true, None),
            row(3, 1, Kind::Accept, true, None),
        ];
        let ids = last_ids(&rows);
        assert_eq!((ids[&Version(1)], ids[&Version(2)]), (3, 2));
        assert_eq!(last_id(&rows), 3);
        assert_eq!(last_id(&[]), 0);
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
                step: Some(2),
            },
        );
        assert!(sql.contains("'it''s'"), "{sql}");
        assert!(sql.contains("E'select ''x\\\\y'''"), "{sql}");
        assert!(sql.starts_with("INSERT INTO strata.history"), "{sql}");
        assert!(sql.contains(", step) VALUES ("), "{sql}");
        assert!(
            sql.ends_with(", 2) RETURNING id AS strata_history_id"),
            "{sql}"
        );
    }
}
