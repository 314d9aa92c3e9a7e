//! Identifier and literal quoting: the one way names and values strata builds into SQL are
//! written.
//!
//! What it must not do: guess. An identifier is left bare only when PostgreSQL would read it
//! back unchanged; a literal means the same whatever `standard_conforming_strings` is.

/// PostgreSQL 15 keywords that cannot be used as a bare column or table name everywhere:
/// reserved, "type or function name" and "column name" keywords (`SELECT * FROM
/// pg_get_keywords() WHERE catcode <> 'U'`). `quote_ident` quotes all of them, as PostgreSQL's
/// own `quote_ident()` does. Sorted, for binary search.
const NON_UNRESERVED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Quote an identifier for SQL: left bare only when it is a plain lowercase identifier
/// (`[a-z_][a-z0-9_]*`) that is not a keyword PostgreSQL reserves in some position; otherwise
/// double-quoted with `"` doubled. This is the one quoting function for names strata builds
/// into SQL.
pub fn quote_ident(name: &str) -> String {
    let bytes = name.as_bytes();
    let plain = bytes
        .first()
        .is_some_and(|&b| b.is_ascii_lowercase() || b == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && NON_UNRESERVED_KEYWORDS.binary_search(&name).is_err();
    if plain {
        return name.to_string();
    }
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        if c == '"' {
            quoted.push('"');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Quote a string literal: `'…'` with `'` doubled; if the value contains a backslash, `E'…'`
/// with backslashes doubled too, so the result means the same whatever
/// `standard_conforming_strings` is.
pub fn quote_literal(value: &str) -> String {
    let backslash = value.contains('\\');
    let mut quoted = String::with_capacity(value.len() + 3);
    if backslash {
        quoted.push('E');
    }
    quoted.push('\'');
    for c in value.chars() {
        if c == '\'' || (backslash && c == '\\') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::split;

    #[test]
    fn quote_ident_leaves_plain_names_bare() {
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("_t1"), "_t1");
    }

    #[test]
    fn quote_ident_quotes_keywords_case_and_specials() {
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("int"), "\"int\"");
        assert_eq!(quote_ident("Users"), "\"Users\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
        assert_eq!(quote_ident("a$"), "\"a$\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("über"), "\"über\"");
    }

    #[test]
    fn keyword_list_is_sorted_lowercase_and_unique() {
        assert!(NON_UNRESERVED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(NON_UNRESERVED_KEYWORDS
            .iter()
            .all(|k| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }

    #[test]
    fn quote_literal_doubles_quotes_and_escapes_backslashes() {
        assert_eq!(quote_literal("abc"), "'abc'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b'c"), r"E'a\\b''c'");
        assert_eq!(quote_literal(""), "''");
    }

    #[test]
    fn quoted_literal_round_trips_through_the_lexer() {
        for value in ["", "x", "'", "\\", "\\'", "a;b", "é'\\"] {
            let sql = format!("SELECT {}; SELECT 2", quote_literal(value));
            assert_eq!(split(&sql).map(|s| s.len()), Ok(2), "{sql}");
        }
    }
}
