//! Statement classification: the few things strata must know about a statement before it runs
//! it (transaction control, statements PostgreSQL refuses inside a transaction block,
//! `ALTER TYPE … ADD VALUE`), read from its leading keywords.
//!
//! What it must not do: parse. Only the significant tokens at the start of one statement are
//! read; anything the rules do not recognise is "no", and PostgreSQL decides the rest.

use super::lexer::{tokens, Token, TokenKind};

/// The significant tokens of a statement (comments dropped), stopping at a lexing error.
fn significant(stmt: &str) -> Vec<(TokenKind, &str)> {
    tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| (t.kind, stmt.get(t.start..t.end).unwrap_or("")))
        .collect()
}

fn is_word(token: Option<&(TokenKind, &str)>, keyword: &str) -> bool {
    token.is_some_and(|(kind, text)| *kind == TokenKind::Word && text.eq_ignore_ascii_case(keyword))
}

/// Whether the words of `toks` start with `keywords` (case-insensitive).
fn starts_with_words(toks: &[(TokenKind, &str)], keywords: &[&str]) -> bool {
    toks.len() >= keywords.len()
        && keywords
            .iter()
            .zip(toks)
            .all(|(keyword, token)| is_word(Some(token), keyword))
}

/// Whether the option list following `WITH (` sets `option` to false (`false`, `off`, `0`,
/// `'false'` …). Options absent or true keep PostgreSQL's default.
fn option_is_false(toks: &[(TokenKind, &str)], option: &str) -> bool {
    toks.iter().enumerate().any(|(i, token)| {
        if !is_word(Some(token), option) {
            return false;
        }
        let mut value = toks.get(i + 1);
        if value.is_some_and(|(_, text)| *text == "=") {
            value = toks.get(i + 2);
        }
        value.is_some_and(|(_, text)| {
            let text = text.trim_matches('\'').to_ascii_lowercase();
            matches!(text.as_str(), "false" | "off" | "0" | "no" | "f" | "n")
        })
    })
}

/// Why a statement cannot run inside a transaction block, if PostgreSQL 15 refuses to run it
/// there: the command name PostgreSQL puts in "… cannot run inside a transaction block" (or
/// "… cannot be executed from a function"), e.g. `Some("CREATE INDEX CONCURRENTLY")`.
///
/// Covers `CREATE [UNIQUE] INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX …
/// CONCURRENTLY` / `REINDEX SCHEMA|DATABASE|SYSTEM`, `VACUUM`, `CLUSTER` without a table,
/// `CREATE|DROP DATABASE`, `ALTER DATABASE … SET TABLESPACE`, `CREATE|DROP TABLESPACE`,
/// `ALTER SYSTEM`, `DISCARD ALL`, `ALTER TABLE … DETACH PARTITION … CONCURRENTLY`,
/// `COMMIT|ROLLBACK PREPARED`, and the subscription commands that create, refresh or drop a
/// replication slot. `ALTER TYPE … ADD VALUE` is not here: since PostgreSQL 12 it runs in a
/// transaction (the new value is only usable after commit; see [`added_enum_type`]). Leading
/// comments are ignored; keywords are case-insensitive.
pub fn non_transactional_reason(stmt: &str) -> Option<&'static str> {
    let toks = significant(stmt);
    let w = |keywords: &[&str]| starts_with_words(&toks, keywords);
    if w(&["create", "index", "concurrently"]) || w(&["create", "unique", "index", "concurrently"])
    {
        return Some("CREATE INDEX CONCURRENTLY");
    }
    if w(&["drop", "index", "concurrently"]) {
        return Some("DROP INDEX CONCURRENTLY");
    }
    if w(&["reindex"]) {
        return reindex_reason(toks.get(1..).unwrap_or(&[]));
    }
    if w(&["vacuum"]) {
        return Some("VACUUM");
    }
    if w(&["cluster"]) {
        // Only the database-wide form (no table named) is refused.
        let mut rest = toks.get(1..).unwrap_or(&[]);
        if rest.first().is_some_and(|t| t.0 == TokenKind::OpenParen) {
            let close = rest.iter().position(|t| t.0 == TokenKind::CloseParen);
            rest = close.and_then(|c| rest.get(c + 1..)).unwrap_or(&[]);
        }
        if is_word(rest.first(), "verbose") {
            rest = rest.get(1..).unwrap_or(&[]);
        }
        return rest.is_empty().then_some("CLUSTER");
    }
    for (keywords, reason) in [
        (&["create", "database"][..], "CREATE DATABASE"),
        (&["drop", "database"][..], "DROP DATABASE"),
        (&["create", "tablespace"][..], "CREATE TABLESPACE"),
        (&["drop", "tablespace"][..], "DROP TABLESPACE"),
        (&["alter", "system"][..], "ALTER SYSTEM"),
        (&["discard", "all"][..], "DISCARD ALL"),
        (&["commit", "prepared"][..], "COMMIT PREPARED"),
        (&["rollback", "prepared"][..], "ROLLBACK PREPARED"),
        (&["drop", "subscription"][..], "DROP SUBSCRIPTION"),
    ] {
        if w(keywords) {
            return Some(reason);
        }
    }
    if w(&["alter", "database"]) {
        let set_tablespace = toks
            .windows(2)
            .any(|pair| is_word(pair.first(), "set") && is_word(pair.get(1), "tablespace"));
        return set_tablespace.then_some("ALTER DATABASE SET TABLESPACE");
    }
    if w(&["create", "subscription"]) {
        // The slot is created unless `connect = false` or `create_slot = false`.
        let no_slot = option_is_false(&toks, "connect") || option_is_false(&toks, "create_slot");
        return (!no_slot).then_some("CREATE SUBSCRIPTION ... WITH (create_slot = true)");
    }
    if w(&["alter", "subscription"]) {
        let action = toks.get(3);
        if is_word(action, "refresh") {
            return Some("ALTER SUBSCRIPTION ... REFRESH");
        }
        let publication_change = ["set", "add", "drop"].iter().any(|a| is_word(action, a))
            && is_word(toks.get(4), "publication");
        if publication_change && !option_is_false(&toks, "refresh") {
            return Some("ALTER SUBSCRIPTION with refresh");
        }
        return None;
    }
    if w(&["alter", "table"]) {
        let detach = toks.iter().position(|t| is_word(Some(t), "detach"));
        let concurrently = detach.is_some_and(|d| {
            toks.iter()
                .skip(d)
                .take_while(|t| !(t.0 == TokenKind::Other && t.1 == ","))
                .any(|t| is_word(Some(t), "concurrently"))
        });
        return concurrently.then_some("ALTER TABLE ... DETACH CONCURRENTLY");
    }
    None
}

fn reindex_reason(rest: &[(TokenKind, &str)]) -> Option<&'static str> {
    let mut rest = rest;
    let mut concurrently = false;
    if rest.first().is_some_and(|t| t.0 == TokenKind::OpenParen) {
        let close = rest
            .iter()
            .position(|t| t.0 == TokenKind::CloseParen)
            .unwrap_or(rest.len());
        let options = rest.get(1..close).unwrap_or(&[]);
        concurrently = options.iter().enumerate().any(|(i, t)| {
            is_word(Some(t), "concurrently")
                && !option_is_false(options.get(i..).unwrap_or(&[]), "concurrently")
        });
        rest = rest.get(close + 1..).unwrap_or(&[]);
    }
    let kind = rest.first();
    if is_word(rest.get(1), "concurrently") || concurrently {
        return Some("REINDEX CONCURRENTLY");
    }
    if is_word(kind, "schema") {
        Some("REINDEX SCHEMA")
    } else if is_word(kind, "database") {
        Some("REINDEX DATABASE")
    } else if is_word(kind, "system") {
        Some("REINDEX SYSTEM")
    } else {
        None
    }
}

/// True for top-level transaction control, which would end or nest strata's own transaction:
/// `BEGIN` (not `BEGIN ATOMIC`), `START TRANSACTION`, `COMMIT` (also `COMMIT PREPARED`), `END`,
/// `ROLLBACK` (also `ROLLBACK PREPARED`, but not `ROLLBACK TO SAVEPOINT`), `ABORT`,
/// `PREPARE TRANSACTION`. `SAVEPOINT`, `RELEASE` and `ROLLBACK TO` are not: they work inside
/// the surrounding transaction and cannot end it. A `BEGIN` inside a `DO` block or function body
/// is inside a string, not at the start of the statement, so it never counts.
pub fn is_transaction_control(stmt: &str) -> bool {
    let toks = significant(stmt);
    let first = toks.first();
    if is_word(first, "begin") {
        return !is_word(toks.get(1), "atomic");
    }
    if is_word(first, "rollback") {
        let mut next = 1;
        if is_word(toks.get(1), "work") || is_word(toks.get(1), "transaction") {
            next = 2;
        }
        return !is_word(toks.get(next), "to");
    }
    ["commit", "end", "abort"]
        .iter()
        .any(|keyword| is_word(first, keyword))
        || starts_with_words(&toks, &["start", "transaction"])
        || starts_with_words(&toks, &["prepare", "transaction"])
}

/// `ALTER TYPE name ADD VALUE …`: the type name as written (`mood`, `public.mood`,
/// `"Mood"`), if this is one.
pub fn added_enum_type(stmt: &str) -> Option<String> {
    let mut toks = tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment));
    let word = |t: Option<Token>, keyword: &str| {
        t.is_some_and(|t| {
            t.kind == TokenKind::Word
                && stmt
                    .get(t.start..t.end)
                    .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
        })
    };
    if !word(toks.next(), "alter") || !word(toks.next(), "type") {
        return None;
    }
    // The name: identifiers separated by dots.
    let first = toks.next()?;
    if !matches!(first.kind, TokenKind::Word | TokenKind::QuotedIdent) {
        return None;
    }
    let mut end = first.end;
    let mut next = toks.next();
    while let Some(dot) =
        next.filter(|t| t.kind == TokenKind::Other && stmt.get(t.start..t.end) == Some("."))
    {
        let part = toks.next()?;
        if !matches!(part.kind, TokenKind::Word | TokenKind::QuotedIdent) || part.start < dot.end {
            return None;
        }
        end = part.end;
        next = toks.next();
    }
    if word(next, "add") && word(toks.next(), "value") {
        stmt.get(first.start..end).map(str::to_string)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_transactional_statements() {
        let cases = [
            (
                "CREATE INDEX CONCURRENTLY i ON t (a)",
                Some("CREATE INDEX CONCURRENTLY"),
            ),
            (
                "-- why\n/* c */ create unique index concurrently if not exists i on t (a)",
                Some("CREATE INDEX CONCURRENTLY"),
            ),
            ("CREATE INDEX i ON t (a)", None),
            (
                "DROP INDEX CONCURRENTLY IF EXISTS i",
                Some("DROP INDEX CONCURRENTLY"),
            ),
            ("DROP INDEX i", None),
            ("REINDEX INDEX CONCURRENTLY i", Some("REINDEX CONCURRENTLY")),
            (
                "REINDEX (CONCURRENTLY) TABLE t",
                Some("REINDEX CONCURRENTLY"),
            ),
            ("REINDEX (CONCURRENTLY false) TABLE t", None),
            ("REINDEX (VERBOSE) SCHEMA s", Some("REINDEX SCHEMA")),
            ("REINDEX DATABASE d", Some("REINDEX DATABASE")),
            ("REINDEX SYSTEM postgres", Some("REINDEX SYSTEM")),
            ("REINDEX TABLE t", None),
            ("VACUUM", Some("VACUUM")),
            ("vacuum (analyze) t", Some("VACUUM")),
            ("ANALYZE t", None),
            ("CLUSTER", Some("CLUSTER")),
            ("CLUSTER VERBOSE", Some("CLUSTER")),
            ("CLUSTER t USING i", None),
            ("CREATE DATABASE d", Some("CREATE DATABASE")),
            ("DROP DATABASE IF EXISTS d", Some("DROP DATABASE")),
            (
                "ALTER DATABASE d SET TABLESPACE x",
                Some("ALTER DATABASE SET TABLESPACE"),
            ),
            ("ALTER DATABASE d SET search_path = a", None),
            (
                "CREATE TABLESPACE x LOCATION '/x'",
                Some("CREATE TABLESPACE"),
            ),
            ("DROP TABLESPACE x", Some("DROP TABLESPACE")),
            ("ALTER SYSTEM SET work_mem = '1MB'", Some("ALTER SYSTEM")),
            ("DISCARD ALL", Some("DISCARD ALL")),
            ("DISCARD PLANS", None),
            ("COMMIT PREPARED 'x'", Some("COMMIT PREPARED")),
            ("ROLLBACK PREPARED 'x'", Some("ROLLBACK PREPARED")),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'c' PUBLICATION p",
                Some("CREATE SUBSCRIPTION ... WITH (create_slot = true)"),
            ),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'c' PUBLICATION p WITH (connect = false)",
                None,
            ),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'c' PUBLICATION p WITH (create_slot = false)",
                None,
            ),
            (
                "ALTER SUBSCRIPTION s REFRESH PUBLICATION",
                Some("ALTER SUBSCRIPTION ... REFRESH"),
            ),
            (
                "ALTER SUBSCRIPTION s SET PUBLICATION p",
                Some("ALTER SUBSCRIPTION with refresh"),
            ),
            (
                "ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)",
                None,
            ),
            ("ALTER SUBSCRIPTION s DISABLE", None),
            ("DROP SUBSCRIPTION s", Some("DROP SUBSCRIPTION")),
            (
                "ALTER TABLE p DETACH PARTITION c CONCURRENTLY",
                Some("ALTER TABLE ... DETACH CONCURRENTLY"),
            ),
            ("ALTER TABLE p DETACH PARTITION c", None),
            ("ALTER TABLE t ADD COLUMN a int", None),
            ("ALTER TYPE mood ADD VALUE 'x'", None),
            ("REFRESH MATERIALIZED VIEW CONCURRENTLY m", None),
            ("SELECT 'CREATE INDEX CONCURRENTLY'", None),
            ("", None),
        ];
        for (stmt, expected) in cases {
            assert_eq!(non_transactional_reason(stmt), expected, "{stmt}");
        }
    }

    #[test]
    fn transaction_control_statements() {
        let yes = [
            "BEGIN",
            "begin isolation level serializable",
            "BEGIN WORK",
            "START TRANSACTION",
            "COMMIT",
            "commit and chain",
            "END",
            "END TRANSACTION",
            "ROLLBACK",
            "ROLLBACK WORK",
            "ABORT",
            "COMMIT PREPARED 'x'",
            "ROLLBACK PREPARED 'x'",
            "PREPARE TRANSACTION 'x'",
            "-- c\nCOMMIT",
        ];
        let no = [
            "BEGIN ATOMIC SELECT 1; END",
            "ROLLBACK TO SAVEPOINT s",
            "ROLLBACK TO s",
            "ROLLBACK TRANSACTION TO SAVEPOINT s",
            "SAVEPOINT s",
            "RELEASE SAVEPOINT s",
            "PREPARE q AS SELECT 1",
            "DO $$ BEGIN COMMIT; END $$",
            "SELECT 1",
            "START",
            "",
        ];
        for stmt in yes {
            assert!(is_transaction_control(stmt), "{stmt}");
        }
        for stmt in no {
            assert!(!is_transaction_control(stmt), "{stmt}");
        }
    }

    #[test]
    fn added_enum_type_returns_name_as_written() {
        assert_eq!(
            added_enum_type("ALTER TYPE mood ADD VALUE 'x'"),
            Some("mood".into())
        );
        assert_eq!(
            added_enum_type(
                "/* c */ alter type public.\"Mood\" add value if not exists 'x' before 'y'"
            ),
            Some("public.\"Mood\"".into())
        );
        assert_eq!(
            added_enum_type("ALTER TYPE mood RENAME VALUE 'a' TO 'b'"),
            None
        );
        assert_eq!(added_enum_type("ALTER TYPE t ADD ATTRIBUTE a int"), None);
        assert_eq!(added_enum_type("ALTER TABLE t ADD VALUE"), None);
        assert_eq!(added_enum_type("ALTER TYPE"), None);
        assert_eq!(added_enum_type("ALTER TYPE a. ADD VALUE 'x'"), None);
    }
}
