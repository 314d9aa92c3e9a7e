//! The statement splitter: SQL text → one byte [`Span`] per statement.
//!
//! What it must not do: parse beyond the lexical level, or drop a statement. PostgreSQL is the
//! parser; strata only needs to know where one statement ends and the next begins, so that it
//! can send statements one at a time (`-- strata:no-transaction` files, `CREATE INDEX
//! CONCURRENTLY`) and map PostgreSQL's error positions back to `file:line:col`.
//!
//! Why it is shaped so: on top of what the lexer hides (quotes, comments, dollar quotes), a `;`
//! inside parentheses (`CREATE RULE … DO ALSO (…; …)`) or inside an SQL-standard routine body
//! (`CREATE FUNCTION … BEGIN ATOMIC …; … END`) does not end a statement, as in psql. Splitting on
//! `;` alone is the bug that makes other migration tools run `CREATE INDEX CONCURRENTLY` inside
//! an implicit transaction.

use super::lexer::{tokens, SplitError, Token, TokenKind};

/// Byte span `[start, end)` of one statement inside the input text: starts at the statement's
/// first token (leading whitespace and comments excluded), ends after its last token, *excluding*
/// the terminating `;`. The text `&input[start..end]` is what strata sends to PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The spanned text, or `""` if the span does not fit `text` (never panics).
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// How far the start of the current statement matches `CREATE [OR REPLACE] FUNCTION|PROCEDURE`,
/// the only statements whose body may be `BEGIN ATOMIC … END` with `;` inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Head {
    #[default]
    Start,
    Create,
    CreateOr,
    CreateOrReplace,
    Routine,
    Other,
}

#[derive(Debug, Default)]
struct Statement {
    start: Option<usize>,
    end: usize,
    paren_depth: usize,
    head: Head,
    /// The previous significant token was `BEGIN` in a routine definition.
    after_begin: bool,
    /// Open `BEGIN ATOMIC` blocks plus the `CASE` expressions inside them (both close with END).
    atomic_depth: usize,
}

impl Statement {
    fn at_top_level(&self) -> bool {
        self.paren_depth == 0 && self.atomic_depth == 0
    }

    fn push(&mut self, sql: &str, token: Token) {
        if self.start.is_none() {
            self.start = Some(token.start);
        }
        self.end = token.end;
        let word = match token.kind {
            TokenKind::Word => sql.get(token.start..token.end),
            _ => None,
        };
        let is = |keyword: &str| word.is_some_and(|w| w.eq_ignore_ascii_case(keyword));
        let after_begin = std::mem::take(&mut self.after_begin);
        let was_routine = self.head == Head::Routine;
        self.head = match self.head {
            Head::Start if is("create") => Head::Create,
            Head::Create if is("or") => Head::CreateOr,
            Head::CreateOr if is("replace") => Head::CreateOrReplace,
            Head::Create | Head::CreateOrReplace if is("function") || is("procedure") => {
                Head::Routine
            }
            Head::Routine => Head::Routine,
            _ => Head::Other,
        };
        match token.kind {
            TokenKind::OpenParen => self.paren_depth += 1,
            TokenKind::CloseParen => self.paren_depth = self.paren_depth.saturating_sub(1),
            _ => {}
        }
        // Same heuristic as psql: only keywords outside parentheses count, and CASE … END is
        // tracked only inside a body, where its END would otherwise close the body.
        if !was_routine || self.paren_depth != 0 || word.is_none() {
            return;
        }
        if after_begin && is("atomic") {
            self.atomic_depth += 1;
        } else if is("begin") {
            self.after_begin = true;
        } else if is("case") && self.atomic_depth > 0 {
            self.atomic_depth += 1;
        } else if is("end") && self.atomic_depth > 0 {
            self.atomic_depth -= 1;
        }
    }

    fn finish(&mut self) -> Option<Span> {
        let span = self.start.map(|start| Span {
            start,
            end: self.end,
        });
        *self = Statement::default();
        span
    }
}

/// Split `sql` into statement spans.
///
/// Statements consisting only of comments, whitespace or `;` produce no span; a final statement
/// without `;` is returned. A `;` inside parentheses or inside a `BEGIN ATOMIC … END` routine
/// body does not end the statement (as in psql). The first unterminated quote or comment, or the
/// first psql meta-command line, is an error.
pub fn split(sql: &str) -> Result<Vec<Span>, SplitError> {
    let mut spans = Vec::new();
    let mut statement = Statement::default();
    for token in tokens(sql) {
        let token = token?;
        match token.kind {
            TokenKind::LineComment | TokenKind::BlockComment => {}
            TokenKind::MetaCommand => {
                let line = sql.get(token.start..token.end).unwrap_or("\\");
                let command = line.split_whitespace().next().unwrap_or("\\");
                return Err(SplitError::PsqlMetaCommand {
                    start: token.start,
                    command: command.to_string(),
                });
            }
            TokenKind::Semicolon if statement.at_top_level() => {
                spans.extend(statement.finish());
            }
            _ => statement.push(sql, token),
        }
    }
    spans.extend(statement.finish());
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql)
            .unwrap_or_else(|e| panic!("split failed: {e}"))
            .iter()
            .map(|s| &sql[s.start..s.end])
            .collect()
    }

    fn split_err(sql: &str) -> SplitError {
        match split(sql) {
            Ok(spans) => panic!("expected an error, got {spans:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn splits_simple_statements() {
        assert_eq!(texts("SELECT 1; SELECT 2;"), ["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn final_statement_without_semicolon_is_returned() {
        assert_eq!(texts("SELECT 1;\nSELECT 2\n"), ["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn empty_statements_produce_no_span() {
        assert!(texts("").is_empty());
        assert!(texts(" ;;\n ; -- c\n/* x */;").is_empty());
        assert_eq!(texts(";;SELECT 1;;"), ["SELECT 1"]);
    }

    #[test]
    fn leading_and_trailing_comments_are_excluded() {
        let sql = "-- head\n/* block */ SELECT 1 -- tail\n/* more */ ;";
        assert_eq!(texts(sql), ["SELECT 1"]);
    }

    #[test]
    fn comments_inside_a_statement_are_kept() {
        assert_eq!(
            texts("SELECT /* ; */ 1 -- ;\n + 2;"),
            ["SELECT /* ; */ 1 -- ;\n + 2"]
        );
    }

    #[test]
    fn strings_with_doubled_quotes() {
        assert_eq!(
            texts("SELECT 'a;''b'; SELECT 2"),
            ["SELECT 'a;''b'", "SELECT 2"]
        );
    }

    #[test]
    fn escape_strings_with_backslash_quote() {
        assert_eq!(
            texts(r"SELECT E'a\';b'; SELECT 2"),
            [r"SELECT E'a\';b'", "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT e'\\'; SELECT 2"),
            [r"SELECT e'\\'", "SELECT 2"]
        );
    }

    #[test]
    fn backslash_is_plain_in_standard_strings() {
        assert_eq!(
            texts(r"SELECT 'a\'; SELECT 2"),
            [r"SELECT 'a\'", "SELECT 2"]
        );
    }

    #[test]
    fn e_at_the_end_of_an_identifier_is_not_an_escape_string() {
        // `some_e` is one identifier; the string after it is a standard one.
        assert_eq!(
            texts(r"SELECT some_e'a\'; SELECT 2"),
            [r"SELECT some_e'a\'", "SELECT 2"]
        );
    }

    #[test]
    fn quoted_identifiers_with_semicolons_and_doubled_quotes() {
        assert_eq!(
            texts(r#"CREATE TABLE "a;""b" (x int); SELECT 1"#),
            [r#"CREATE TABLE "a;""b" (x int)"#, "SELECT 1"]
        );
    }

    #[test]
    fn nested_block_comments() {
        assert_eq!(
            texts("/* a /* ; */ ; */ SELECT 1; SELECT 2"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn dollar_quotes_plain_and_tagged() {
        assert_eq!(
            texts("DO $$ BEGIN PERFORM 1; END $$; SELECT 2"),
            ["DO $$ BEGIN PERFORM 1; END $$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $fn$ a $$ ; $$ b $fn$; SELECT 2"),
            ["SELECT $fn$ a $$ ; $$ b $fn$", "SELECT 2"]
        );
    }

    #[test]
    fn dollar_tag_is_case_sensitive() {
        assert_eq!(
            texts("SELECT $a$ $A$ ; $a$; SELECT 2"),
            ["SELECT $a$ $A$ ; $a$", "SELECT 2"]
        );
    }

    #[test]
    fn positional_parameter_is_not_a_dollar_quote() {
        assert_eq!(texts("SELECT $1; SELECT $2"), ["SELECT $1", "SELECT $2"]);
        // `$1$` is not a delimiter either: tags cannot start with a digit.
        assert_eq!(texts("SELECT $1$; SELECT 2"), ["SELECT $1$", "SELECT 2"]);
    }

    #[test]
    fn dollar_inside_identifier_is_not_a_dollar_quote() {
        assert_eq!(texts("SELECT a$$b; SELECT 2"), ["SELECT a$$b", "SELECT 2"]);
    }

    #[test]
    fn semicolons_inside_parentheses_do_not_split() {
        let sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); DELETE FROM b); SELECT 1";
        assert_eq!(texts(sql).len(), 2);
    }

    #[test]
    fn begin_atomic_body_with_case() {
        let sql = "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\nSELECT 3;";
        let t = texts(sql);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].ends_with("END"));
        assert_eq!(t[1], "SELECT 3");
    }

    #[test]
    fn begin_atomic_in_create_or_replace_procedure() {
        let sql = "create or replace procedure p() language sql begin atomic insert into t values (1); end; select 1";
        assert_eq!(texts(sql).len(), 2);
    }

    #[test]
    fn begin_without_atomic_does_not_open_a_body() {
        // A routine literally named `begin` must not swallow the next statement.
        assert_eq!(
            texts("CREATE FUNCTION begin() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql; SELECT 2"),
            [
                "CREATE FUNCTION begin() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn transaction_begin_and_end_split_normally() {
        assert_eq!(texts("BEGIN; SELECT 1; END;"), ["BEGIN", "SELECT 1", "END"]);
    }

    #[test]
    fn case_outside_routine_is_ignored() {
        assert_eq!(
            texts("SELECT CASE WHEN true THEN 1 END; SELECT 2"),
            ["SELECT CASE WHEN true THEN 1 END", "SELECT 2"]
        );
    }

    #[test]
    fn unterminated_string() {
        assert_eq!(
            split_err("SELECT 1;\nSELECT 'abc"),
            SplitError::UnterminatedQuote {
                start: 17,
                kind: "string",
                delimiter: None
            }
        );
    }

    #[test]
    fn unterminated_escape_string_ending_in_backslash() {
        let e = split_err(r"SELECT E'abc\'");
        assert_eq!(e.start(), 7);
        assert_eq!(e.to_string(), "unterminated string (opened here)");
    }

    #[test]
    fn unterminated_quoted_identifier() {
        let e = split_err("SELECT \"abc");
        assert_eq!(
            e.to_string(),
            "unterminated quoted identifier (opened here)"
        );
    }

    #[test]
    fn unterminated_dollar_quote_names_its_tag() {
        let e = split_err("SELECT 1;\nDO $body$ BEGIN END $bod$;");
        assert_eq!(e.start(), 13);
        assert_eq!(
            e.to_string(),
            "unterminated dollar-quoted string $body$ (opened here; no closing $body$ follows)"
        );
    }

    #[test]
    fn unterminated_nested_block_comment() {
        let e = split_err("/* a /* b */ SELECT 1;");
        assert_eq!(e.start(), 0);
        assert!(e.to_string().starts_with("unterminated block comment"));
    }

    #[test]
    fn psql_meta_command_is_an_error() {
        let e = split_err("SELECT 1;\n  \\set ON_ERROR_STOP 1\nSELECT 2;");
        assert_eq!(
            e,
            SplitError::PsqlMetaCommand {
                start: 12,
                command: "\\set".into()
            }
        );
        assert!(e.to_string().contains("\\set"));
    }

    #[test]
    fn backslash_inside_a_line_or_string_is_not_a_meta_command() {
        assert_eq!(texts("SELECT 1 \\x"), ["SELECT 1 \\x"]);
        assert_eq!(texts("SELECT '\n\\i x\n'"), ["SELECT '\n\\i x\n'"]);
        assert_eq!(texts("/*\n\\i x\n*/ SELECT 1"), ["SELECT 1"]);
    }

    #[test]
    fn shifted_moves_offset() {
        let e = split_err("'").shifted(10);
        assert_eq!(e.start(), 10);
    }

    #[test]
    fn line_comment_ends_at_carriage_return() {
        assert_eq!(
            texts("SELECT 1 -- c\r\n;\r\nSELECT 2\r\n"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn utf8_text_keeps_char_boundaries() {
        let sql = "SELECT 'héllo; wörld' AS ñ; SELECT 日本;";
        assert_eq!(texts(sql), ["SELECT 'héllo; wörld' AS ñ", "SELECT 日本"]);
        assert_eq!(texts("SELECT $é$ ; $é$"), ["SELECT $é$ ; $é$"]);
    }

    #[test]
    fn span_text_never_panics() {
        assert_eq!(Span { start: 0, end: 3 }.text("abc"), "abc");
        assert_eq!(Span { start: 0, end: 9 }.text("abc"), "");
        assert_eq!(Span { start: 1, end: 2 }.text("é"), "");
    }
}
