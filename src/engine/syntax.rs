//! Parse-only syntax check through the server's own parser, without executing anything.
//!
//! Each statement becomes the body of a throwaway PL/pgSQL function created in a transaction
//! that is always rolled back. With `check_function_bodies` on, PL/pgSQL's validator runs
//! PostgreSQL's raw parser over every embedded SQL statement but does not analyse it: a typo
//! (`CREAT TABLE`) is reported with its position, while a table that does not exist yet is not
//! (that is for `up` and the shadow database to find). Statements PL/pgSQL reads differently
//! (transaction control, `BEGIN ATOMIC` bodies, cursor and `EXECUTE`/`DECLARE` commands) are
//! left to the lexical checks.

use crate::db::{self, DbError, PgFailure};
use crate::project::SourceFile;
use crate::sql::{self, Span, TokenKind};
use sqlx::postgres::PgConnection;

/// A syntax error: byte offset in the file and PostgreSQL's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

const PLPGSQL_WORDS: &[&str] = &[
    "BEGIN",
    "START",
    "COMMIT",
    "END",
    "ROLLBACK",
    "ABORT",
    "SAVEPOINT",
    "RELEASE",
    "PREPARE",
    "EXECUTE",
    "DECLARE",
    "FETCH",
    "MOVE",
    "CLOSE",
    "OPEN",
    "GET",
    "RETURN",
    "RAISE",
    "PERFORM",
    "IF",
    "CASE",
    "FOR",
    "LOOP",
    "WHILE",
    "EXIT",
    "CONTINUE",
    "ASSERT",
    "NULL",
    "COPY",
    "FOREACH",
];

fn checkable(stmt: &str) -> bool {
    let mut words = sql::tokens(stmt)
        .filter_map(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment));
    let Some(first) = words.next() else {
        return false;
    };
    let first = stmt[first.start..first.end].to_ascii_uppercase();
    if PLPGSQL_WORDS.contains(&first.as_str()) {
        return false;
    }
    let upper = stmt.to_ascii_uppercase();
    !(upper.contains("BEGIN ATOMIC") || upper.contains("$STRATA_SYNTAX$"))
}

/// Checks every statement of `file`; returns the syntax errors found.
pub async fn check_file(
    conn: &mut PgConnection,
    file: &SourceFile,
    spans: &[Span],
) -> Result<Vec<SyntaxError>, DbError> {
    let mut found = Vec::new();
    db::execute_script(conn, "BEGIN; SET LOCAL check_function_bodies = on")
        .await
        .map_err(|e| DbError::query("starting the syntax check", &e))?;
    for span in spans {
        let stmt = &file.text[span.start..span.end];
        if !checkable(stmt) {
            continue;
        }
        let prefix = "CREATE FUNCTION pg_temp.strata_syntax() RETURNS void LANGUAGE plpgsql AS $strata_syntax$\nBEGIN\n";
        let wrapped = format!(
            "SAVEPOINT s;\n{prefix}{stmt}\n;\nEND\n$strata_syntax$;\nROLLBACK TO SAVEPOINT s"
        );
        if let Err(e) = db::execute_script(conn, &wrapped).await {
            let f = PgFailure::from_sqlx(&e);
            let _ = db::execute_script(conn, "ROLLBACK TO SAVEPOINT s").await;
            // only syntax errors: anything else (e.g. an unknown type in a DECLARE) is not ours
            if f.code != "42601" {
                continue;
            }
            let head = "SAVEPOINT s;\n".chars().count() + prefix.chars().count();
            let offset = match f.position {
                Some(p) if p > head && p - head <= stmt.chars().count() + 1 => {
                    span.start + sql::char_pos_to_byte(stmt, p - head)
                }
                _ => span.start,
            };
            found.push(SyntaxError {
                offset,
                message: f.message,
            });
        }
    }
    let _ = db::execute_script(conn, "ROLLBACK").await;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_what_plpgsql_reads_differently() {
        assert!(checkable("CREATE TABLE t (id int)"));
        assert!(checkable("-- c\nALTER TABLE t ADD c int"));
        assert!(!checkable("COMMIT"));
        assert!(!checkable("EXECUTE stmt"));
        assert!(!checkable(
            "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END"
        ));
    }
}
