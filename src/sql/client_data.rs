//! Statements that exchange data with the client outside the query protocol strata speaks:
//! `COPY … FROM STDIN` waits for rows the client sends, `COPY … TO STDOUT` sends rows the client
//! must read. strata sends migrations as SQL text and reads no copy stream, so such a statement
//! would wait forever while holding the run lock; they are refused before anything runs.
//!
//! Lexical, like the rest of `sql`: the statement's first word is `COPY` and, outside
//! parentheses, `FROM` is followed by `STDIN` or `TO` by `STDOUT` (a quoted `"stdin"` is a table,
//! not the client). `\copy` is a psql meta-command and is refused by the splitter already.

use super::lexer::{tokens, TokenKind};

/// `Some("COPY … FROM STDIN")` or `Some("COPY … TO STDOUT")` when the statement needs the
/// client's data stream.
pub fn client_data(stmt: &str) -> Option<&'static str> {
    let toks: Vec<(TokenKind, &str)> = tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| (t.kind, stmt.get(t.start..t.end).unwrap_or("")))
        .collect();
    let word = |i: usize, w: &str| {
        toks.get(i)
            .is_some_and(|(k, t)| *k == TokenKind::Word && t.eq_ignore_ascii_case(w))
    };
    if !word(0, "copy") {
        return None;
    }
    let mut depth = 0usize;
    for (i, (kind, _)) in toks.iter().enumerate() {
        match kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => depth = depth.saturating_sub(1),
            TokenKind::Word if depth == 0 => {
                if word(i, "from") && word(i + 1, "stdin") {
                    return Some("COPY … FROM STDIN");
                }
                if word(i, "to") && word(i + 1, "stdout") {
                    return Some("COPY … TO STDOUT");
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_with_the_client_is_found() {
        for (stmt, what) in [
            ("COPY t FROM STDIN", "COPY … FROM STDIN"),
            (
                "copy public.t (a, b) from stdin with (format csv)",
                "COPY … FROM STDIN",
            ),
            ("-- load\nCOPY t FROM stdin;", "COPY … FROM STDIN"),
            ("COPY t TO STDOUT", "COPY … TO STDOUT"),
            (
                "COPY (SELECT * FROM t WHERE a = 'from stdin') TO stdout",
                "COPY … TO STDOUT",
            ),
        ] {
            assert_eq!(client_data(stmt), Some(what), "{stmt}");
        }
    }

    #[test]
    fn server_side_copy_and_other_statements_pass() {
        for stmt in [
            "COPY t FROM '/tmp/t.csv'",
            "COPY t TO '/tmp/t.csv'",
            "COPY t FROM PROGRAM 'cat x'",
            "COPY t FROM \"stdin\"",
            "COPY (SELECT 1 FROM stdin) TO '/tmp/x'",
            "SELECT 'COPY t FROM STDIN'",
            "INSERT INTO copy_log SELECT * FROM stdin",
            "",
        ] {
            assert_eq!(client_data(stmt), None, "{stmt}");
        }
    }
}
