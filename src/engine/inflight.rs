//! A statement of a no-transaction file that was sent and whose outcome was never recorded: the
//! run stopped while PostgreSQL ran it (killed, connection lost). Statements that can run in a
//! transaction never end up here, because strata commits each of them together with its
//! progress row; only the ones PostgreSQL refuses inside a transaction block do (`CREATE INDEX
//! CONCURRENTLY`, `VACUUM`, …).
//!
//! Owns: deciding, from the statement's text, how the next run can find out whether it took
//! effect ([`Check`]), and the catalog queries that answer it. Must not: run the statement.
//!
//! Why it is shaped so: re-running blindly is wrong (a second `CREATE INDEX CONCURRENTLY` fails,
//! or worse, succeeds twice for a statement without a name) and so is assuming it finished (a
//! killed `CREATE INDEX CONCURRENTLY` leaves an INVALID index behind). The catalog knows: a
//! valid index of that name means it finished, an invalid one is the debris of the interrupted
//! build (dropped and built again), none means it never got that far. Statements that change
//! nothing when run twice (`VACUUM`, `REINDEX`, …) are simply run again. For anything else the
//! user decides, and the refusal names both exact commands.

use crate::db::DbError;
use crate::sql::{quote_literal, tokens, TokenKind};
use sqlx::postgres::PgConnection;
use sqlx::Row;

/// How to find out whether an interrupted statement took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `CREATE INDEX CONCURRENTLY name ON table`: look for the index.
    CreatedIndex { name: String, table: String },
    /// `DROP INDEX CONCURRENTLY name`: is it gone?
    DroppedIndex { name: String },
    /// Running it again changes nothing that the first run did not (VACUUM, REINDEX, CLUSTER,
    /// ANALYZE, ALTER SYSTEM, DISCARD, CHECKPOINT).
    Rerun,
    /// strata cannot tell (an unnamed index, CREATE DATABASE, subscriptions, …).
    Unknown,
}

/// What the catalog says about an interrupted statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// It took effect: record it as committed and go on.
    Done,
    /// It did not: run it again.
    NotDone,
    /// The interrupted index build left this INVALID index: drop it, then build again.
    InvalidIndex { drop: String },
    /// strata cannot tell.
    Unknown,
}

/// The significant tokens' texts (comments dropped; quoted identifiers kept as written).
fn words(stmt: &str) -> Vec<(TokenKind, &str)> {
    tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| (t.kind, stmt.get(t.start..t.end).unwrap_or("")))
        .collect()
}

fn is(tok: Option<&(TokenKind, &str)>, word: &str) -> bool {
    tok.is_some_and(|(k, t)| *k == TokenKind::Word && t.eq_ignore_ascii_case(word))
}

/// A (possibly qualified) name starting at `i`: its text as written and the index after it.
fn name_at(toks: &[(TokenKind, &str)], mut i: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    loop {
        let (k, t) = toks.get(i)?;
        if !matches!(k, TokenKind::Word | TokenKind::QuotedIdent) {
            return None;
        }
        out.push_str(t);
        i += 1;
        match toks.get(i) {
            Some((TokenKind::Other, ".")) => {
                out.push('.');
                i += 1;
            }
            _ => return Some((out, i)),
        }
    }
}

/// Decides how to check an interrupted statement, from its text.
pub fn check_for(stmt: &str) -> Check {
    let t = words(stmt);
    if is(t.first(), "create") {
        let mut i = 1;
        if is(t.get(i), "unique") {
            i += 1;
        }
        if !(is(t.get(i), "index") && is(t.get(i + 1), "concurrently")) {
            return Check::Unknown;
        }
        i += 2;
        if is(t.get(i), "if") && is(t.get(i + 1), "not") && is(t.get(i + 2), "exists") {
            i += 3;
        }
        if is(t.get(i), "on") {
            return Check::Unknown; // no name: PostgreSQL chooses one
        }
        let Some((name, after)) = name_at(&t, i) else {
            return Check::Unknown;
        };
        if !is(t.get(after), "on") {
            return Check::Unknown;
        }
        let mut j = after + 1;
        if is(t.get(j), "only") {
            j += 1;
        }
        return match name_at(&t, j) {
            Some((table, _)) => Check::CreatedIndex { name, table },
            None => Check::Unknown,
        };
    }
    if is(t.first(), "drop") && is(t.get(1), "index") && is(t.get(2), "concurrently") {
        let mut i = 3;
        if is(t.get(i), "if") && is(t.get(i + 1), "exists") {
            i += 2;
        }
        return match name_at(&t, i) {
            // one index only: DROP INDEX CONCURRENTLY takes exactly one
            Some((name, after)) if t.get(after).is_none_or(|(k, _)| *k != TokenKind::Other) => {
                Check::DroppedIndex { name }
            }
            _ => Check::Unknown,
        };
    }
    let first = t.first();
    if [
        "vacuum",
        "analyze",
        "analyse",
        "reindex",
        "cluster",
        "checkpoint",
    ]
    .iter()
    .any(|w| is(first, w))
        || (is(first, "alter") && is(t.get(1), "system"))
        || (is(first, "discard"))
    {
        return Check::Rerun;
    }
    Check::Unknown
}

/// Asks the catalog whether an interrupted statement took effect.
pub async fn find(conn: &mut PgConnection, check: &Check) -> Result<Finding, DbError> {
    match check {
        Check::Rerun => Ok(Finding::NotDone),
        Check::Unknown => Ok(Finding::Unknown),
        Check::DroppedIndex { name } => {
            let sql = format!(
                "SELECT to_regclass({}) IS NULL AS gone",
                quote_literal(name)
            );
            let gone: bool = query_one(conn, &sql, "gone").await?;
            Ok(if gone {
                Finding::Done
            } else {
                Finding::NotDone
            })
        }
        Check::CreatedIndex { name, table } => {
            // The index lives in its table's schema; its name is the one written (unquoted
            // names fold to lower case, as PostgreSQL folds them).
            let sql = format!(
                "SELECT coalesce((SELECT CASE WHEN i.indisvalid THEN 'valid' ELSE 'invalid' END \
                   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid \
                   WHERE c.relnamespace = (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = to_regclass({table})) \
                     AND c.relname = {name}), 'absent') AS state, \
                 (SELECT format('%I.%I', n.nspname, {name}) FROM pg_catalog.pg_class t \
                   JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
                   WHERE t.oid = to_regclass({table})) AS qualified",
                table = quote_literal(table),
                name = quote_literal(&fold_ident(name)),
            );
            let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| DbError::query("looking for an interrupted index build", &e))?;
            let state: String = row.try_get("state").unwrap_or_default();
            let qualified: Option<String> = row.try_get("qualified").unwrap_or_default();
            Ok(match (state.as_str(), qualified) {
                ("valid", _) => Finding::Done,
                ("invalid", Some(q)) => Finding::InvalidIndex { drop: q },
                ("absent", Some(_)) => Finding::NotDone,
                // the table itself is gone or unreadable: strata cannot tell
                _ => Finding::Unknown,
            })
        }
    }
}

async fn query_one(conn: &mut PgConnection, sql: &str, col: &str) -> Result<bool, DbError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get(col))
        .map_err(|e| DbError::query("looking at an interrupted statement", &e))
}

/// An identifier as PostgreSQL stores it: unquoted names fold to lower case, quoted ones keep
/// their text (`""` unescaped).
fn fold_ident(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => name.to_lowercase(),
    }
}

/// Whether another session is running this statement right now (a run that is still going,
/// rather than one that stopped): an active backend whose query is the statement's text.
pub async fn running_elsewhere(conn: &mut PgConnection, stmt: &str) -> Result<bool, DbError> {
    // pg_stat_activity keeps the first track_activity_query_size bytes of the query.
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity \
           WHERE pid <> pg_catalog.pg_backend_pid() AND state = 'active' \
             AND datname = current_database() AND length(query) > 0 \
             AND left({}, length(query)) = query) AS busy",
        quote_literal(stmt)
    );
    query_one(conn, &sql, "busy").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_builds_are_checked_by_name() {
        assert_eq!(
            check_for("CREATE INDEX CONCURRENTLY posts_user ON public.posts (user_id)"),
            Check::CreatedIndex {
                name: "posts_user".into(),
                table: "public.posts".into()
            }
        );
        assert_eq!(
            check_for("-- fast\ncreate unique index concurrently if not exists \"Ix\" on only \"T\" using btree (a)"),
            Check::CreatedIndex {
                name: "\"Ix\"".into(),
                table: "\"T\"".into()
            }
        );
        assert_eq!(
            check_for("CREATE INDEX CONCURRENTLY ON posts (user_id)"),
            Check::Unknown
        );
        assert_eq!(
            check_for("DROP INDEX CONCURRENTLY IF EXISTS app.posts_user"),
            Check::DroppedIndex {
                name: "app.posts_user".into()
            }
        );
        assert_eq!(check_for("DROP INDEX CONCURRENTLY a, b"), Check::Unknown);
    }

    #[test]
    fn statements_that_can_run_twice_are_rerun_and_the_rest_unknown() {
        for s in [
            "VACUUM ANALYZE t",
            "REINDEX TABLE CONCURRENTLY t",
            "ALTER SYSTEM SET work_mem = '64MB'",
            "CLUSTER",
            "DISCARD ALL",
        ] {
            assert_eq!(check_for(s), Check::Rerun, "{s}");
        }
        for s in [
            "CREATE DATABASE x",
            "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p",
            "ALTER TABLE t DETACH PARTITION p CONCURRENTLY",
        ] {
            assert_eq!(check_for(s), Check::Unknown, "{s}");
        }
    }

    #[test]
    fn identifiers_fold_like_postgresql() {
        assert_eq!(fold_ident("Posts_User"), "posts_user");
        assert_eq!(fold_ident("\"Ix\"\"2\""), "Ix\"2");
    }
}
