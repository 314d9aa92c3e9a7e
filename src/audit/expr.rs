//! Reading policy expressions as PostgreSQL deparsed them (`pg_get_expr` with a pinned
//! search_path, see `catalog`): top-level `AND` conjuncts, constant `true`/`false`, role guards
//! (`auth.role() = 'x'`), "needs a signed-in user" (`auth.uid() = col`), and auth calls that
//! are evaluated per row because they are not wrapped in a sub-SELECT.
//!
//! Pure text functions over `sql::tokens`, so strings and quoted names never confuse them.
//! They only recognise the shapes PostgreSQL prints; anything else reads as "unknown", which
//! the callers treat as "may pass" (an audit must not hide access it cannot rule out).

use crate::sql::{tokens, TokenKind};

/// One significant token: kind and text.
type Tok<'a> = (TokenKind, &'a str, usize, usize);

fn toks(text: &str) -> Vec<Tok<'_>> {
    tokens(text)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| {
            (
                t.kind,
                text.get(t.start..t.end).unwrap_or(""),
                t.start,
                t.end,
            )
        })
        .collect()
}

fn is_word(t: Option<&Tok<'_>>, word: &str) -> bool {
    t.is_some_and(|(k, s, _, _)| *k == TokenKind::Word && s.eq_ignore_ascii_case(word))
}

fn is_char(t: Option<&Tok<'_>>, c: &str) -> bool {
    t.is_some_and(|(k, s, _, _)| *k == TokenKind::Other && *s == c)
}

/// The text without redundant outer parentheses: `((a = b))` → `a = b`.
pub fn strip_parens(text: &str) -> &str {
    let mut s = text.trim();
    loop {
        let t = toks(s);
        let (Some(first), Some(last)) = (t.first(), t.last()) else {
            return s;
        };
        if first.0 != TokenKind::OpenParen || last.0 != TokenKind::CloseParen {
            return s;
        }
        // The opening parenthesis must close at the very end.
        let mut depth = 0i32;
        let mut closes_at_end = false;
        for (i, tok) in t.iter().enumerate() {
            match tok.0 {
                TokenKind::OpenParen => depth += 1,
                TokenKind::CloseParen => {
                    depth -= 1;
                    if depth == 0 {
                        closes_at_end = i == t.len() - 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        if !closes_at_end {
            return s;
        }
        s = s.get(first.3..last.2).unwrap_or("").trim();
    }
}

/// Splits `text` at a depth-0 separator chosen by `is_sep`; parts are trimmed.
fn split_top(text: &str, is_sep: impl Fn(&Tok<'_>) -> bool) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0usize;
    for tok in toks(text) {
        match tok.0 {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => depth -= 1,
            _ if depth == 0 && is_sep(&tok) => {
                parts.push(text.get(start..tok.2).unwrap_or("").trim());
                start = tok.3;
            }
            _ => {}
        }
    }
    parts.push(text.get(start..).unwrap_or("").trim());
    parts
}

/// The top-level `AND` conjuncts of an expression, each without outer parentheses.
pub fn conjuncts(expr: &str) -> Vec<&str> {
    split_top(strip_parens(expr), |t| {
        t.0 == TokenKind::Word && t.1.eq_ignore_ascii_case("and")
    })
    .into_iter()
    .map(strip_parens)
    .collect()
}

/// The expression is the constant `true`.
pub fn is_constant_true(expr: &str) -> bool {
    strip_parens(expr).eq_ignore_ascii_case("true")
}

/// The expression is the constant `false`.
pub fn is_constant_false(expr: &str) -> bool {
    strip_parens(expr).eq_ignore_ascii_case("false")
}

/// `auth.<name>()` or `( SELECT auth.<name>() AS x)` and nothing else.
fn is_auth_call(side: &str, name: &str) -> bool {
    let t = toks(strip_parens(side));
    let bare = |t: &[Tok<'_>]| {
        t.len() == 5
            && is_word(t.first(), "auth")
            && is_char(t.get(1), ".")
            && is_word(t.get(2), name)
            && t.get(3).is_some_and(|x| x.0 == TokenKind::OpenParen)
            && t.get(4).is_some_and(|x| x.0 == TokenKind::CloseParen)
    };
    if bare(&t) {
        return true;
    }
    // SELECT auth.name() [AS alias]
    is_word(t.first(), "select")
        && t.len() >= 6
        && bare(&t[1..6])
        && (t.len() == 6 || (t.len() == 8 && is_word(t.get(6), "as")))
}

/// A string literal, optionally cast (`'x'::text`): its value.
fn string_literal(side: &str) -> Option<String> {
    let t = toks(strip_parens(side));
    let (kind, text, _, _) = *t.first()?;
    if kind != TokenKind::String || text.starts_with(['E', 'e']) {
        return None;
    }
    // Anything after the literal must be a cast.
    if t.len() > 1 && !(is_char(t.get(1), ":") && is_char(t.get(2), ":")) {
        return None;
    }
    let inner = text.get(1..text.len().saturating_sub(1))?;
    Some(inner.replace("''", "'"))
}

/// The two sides of a top-level `=`, when the conjunct is one equality.
fn equality(conj: &str) -> Option<(&str, &str)> {
    let parts = split_top(conj, |t| t.0 == TokenKind::Other && t.1 == "=");
    match parts.as_slice() {
        [a, b] if !a.is_empty() && !b.is_empty() => Some((a, b)),
        _ => None,
    }
}

/// `auth.role() = 'x'` (either order, wrapped or not): the role `x`.
pub fn role_guard(conj: &str) -> Option<String> {
    let (a, b) = equality(strip_parens(conj))?;
    if is_auth_call(a, "role") {
        string_literal(b)
    } else if is_auth_call(b, "role") {
        string_literal(a)
    } else {
        None
    }
}

/// The conjunct compares `auth.uid()` with something (`auth.uid() = user_id`), or says
/// `auth.uid() IS NOT NULL`: it is never true without a signed-in user (for `anon`,
/// `auth.uid()` is NULL).
pub fn requires_uid(conj: &str) -> bool {
    let conj = strip_parens(conj);
    if let Some((a, b)) = equality(conj) {
        return is_auth_call(a, "uid") || is_auth_call(b, "uid");
    }
    let t = toks(conj);
    let n = t.len();
    n >= 4
        && is_word(t.get(n - 3), "is")
        && is_word(t.get(n - 2), "not")
        && is_word(t.get(n - 1), "null")
        && is_auth_call(conj.get(..t[n - 3].2).unwrap_or(""), "uid")
}

/// Calls of `auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()` and `current_setting()`
/// that are not inside a sub-SELECT, so PostgreSQL evaluates them once per row instead of once
/// per statement (Supabase's `auth_rls_initplan`). Each name once, in order of appearance.
pub fn per_row_auth_calls(expr: &str) -> Vec<String> {
    let t = toks(expr);
    let mut found: Vec<String> = Vec::new();
    // One entry per open parenthesis: does it start a sub-SELECT?
    let mut stack: Vec<bool> = Vec::new();
    let mut in_select = 0usize;
    for i in 0..t.len() {
        match t[i].0 {
            TokenKind::OpenParen => {
                let sub = is_word(t.get(i + 1), "select");
                if sub {
                    in_select += 1;
                }
                stack.push(sub);
            }
            TokenKind::CloseParen if stack.pop() == Some(true) => {
                in_select = in_select.saturating_sub(1);
            }
            TokenKind::Word if in_select == 0 => {
                let next_is_call = t.get(i + 1).is_some_and(|x| x.0 == TokenKind::OpenParen);
                let name = if t[i].1.eq_ignore_ascii_case("current_setting") && next_is_call {
                    Some("current_setting()".to_string())
                } else if is_word(t.get(i), "auth")
                    && is_char(t.get(i + 1), ".")
                    && t.get(i + 3).is_some_and(|x| x.0 == TokenKind::OpenParen)
                    && ["uid", "jwt", "role", "email"]
                        .iter()
                        .any(|f| is_word(t.get(i + 2), f))
                {
                    t.get(i + 2)
                        .map(|x| format!("auth.{}()", x.1.to_ascii_lowercase()))
                } else {
                    None
                };
                if let Some(n) = name {
                    if !found.contains(&n) {
                        found.push(n);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Every identifier in an expression, lower-cased (quoted ones unquoted, case kept).
pub fn identifiers(expr: &str) -> Vec<String> {
    toks(expr)
        .into_iter()
        .filter_map(|(k, s, _, _)| match k {
            TokenKind::Word => Some(s.to_ascii_lowercase()),
            TokenKind::QuotedIdent => Some(
                s.get(1..s.len().saturating_sub(1))
                    .unwrap_or("")
                    .replace("\"\"", "\""),
            ),
            _ => None,
        })
        .collect()
}

/// The first key column of an index as `pg_get_indexdef` prints it (`CREATE INDEX i ON s.t
/// USING btree (user_id, …)`), or `None` when the first key is an expression.
pub fn index_first_column(definition: &str) -> Option<String> {
    let t = toks(definition);
    let using = t.iter().position(|x| is_word(Some(x), "using"))?;
    let open = t[using..]
        .iter()
        .position(|x| x.0 == TokenKind::OpenParen)?
        + using;
    let first = t.get(open + 1)?;
    let after = t.get(open + 2);
    if after.is_some_and(|x| x.0 == TokenKind::OpenParen) {
        return None; // a function call
    }
    match first.0 {
        TokenKind::Word => Some(first.1.to_ascii_lowercase()),
        TokenKind::QuotedIdent => Some(
            first
                .1
                .get(1..first.1.len().saturating_sub(1))
                .unwrap_or("")
                .replace("\"\"", "\""),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_enclosing_parentheses() {
        assert_eq!(strip_parens("((a = b))"), "a = b");
        assert_eq!(strip_parens("(a) AND (b)"), "(a) AND (b)");
        assert_eq!(strip_parens(" true "), "true");
        assert_eq!(strip_parens("(')' = x)"), "')' = x");
    }

    #[test]
    fn splits_top_level_and() {
        assert_eq!(
            conjuncts("((( SELECT auth.uid() AS uid) = user_id) AND is_public)"),
            vec!["( SELECT auth.uid() AS uid) = user_id", "is_public"]
        );
        assert_eq!(conjuncts("((a AND b) OR c)"), vec!["(a AND b) OR c"]);
        assert_eq!(
            conjuncts("(x = 'a AND b'::text)"),
            vec!["x = 'a AND b'::text"]
        );
    }

    #[test]
    fn constants() {
        assert!(is_constant_true("true"));
        assert!(is_constant_true("(true)"));
        assert!(!is_constant_true("(true AND x)"));
        assert!(is_constant_false("false"));
    }

    #[test]
    fn role_guards() {
        assert_eq!(
            role_guard("(auth.role() = 'service_role'::text)"),
            Some("service_role".into())
        );
        assert_eq!(
            role_guard("('authenticated'::text = ( SELECT auth.role() AS role))"),
            Some("authenticated".into())
        );
        assert_eq!(role_guard("(auth.role() <> 'anon'::text)"), None);
        assert_eq!(role_guard("(auth.uid() = user_id)"), None);
    }

    #[test]
    fn uid_requirements() {
        assert!(requires_uid("(auth.uid() = user_id)"));
        assert!(requires_uid("(user_id = ( SELECT auth.uid() AS uid))"));
        assert!(requires_uid("(auth.uid() IS NOT NULL)"));
        assert!(!requires_uid("((auth.uid() = user_id) OR is_public)"));
        assert!(!requires_uid("(auth.uid() IS NULL)"));
    }

    #[test]
    fn per_row_calls() {
        assert_eq!(
            per_row_auth_calls("(auth.uid() = user_id)"),
            vec!["auth.uid()".to_string()]
        );
        assert!(per_row_auth_calls("(( SELECT auth.uid() AS uid) = user_id)").is_empty());
        assert_eq!(
            per_row_auth_calls(
                "((EXISTS ( SELECT 1 FROM t WHERE (t.u = auth.uid()))) OR (current_setting('app.x'::text, true) = 'y'::text))"
            ),
            vec!["current_setting()".to_string()]
        );
        assert_eq!(
            per_row_auth_calls("((auth.jwt() ->> 'role'::text) = 'x'::text)"),
            vec!["auth.jwt()".to_string()]
        );
        assert!(per_row_auth_calls("(author.uid = 1)").is_empty());
    }

    #[test]
    fn index_first_columns() {
        assert_eq!(
            index_first_column(
                "CREATE INDEX i ON public.t USING btree (user_id, symbol) INCLUDE (x)"
            ),
            Some("user_id".into())
        );
        assert_eq!(
            index_first_column("CREATE UNIQUE INDEX i ON public.t USING btree (\"User\" DESC)"),
            Some("User".into())
        );
        assert_eq!(
            index_first_column("CREATE INDEX i ON public.t USING btree (lower(email))"),
            None
        );
        assert_eq!(
            index_first_column("CREATE INDEX i ON public.t USING btree (((a * b)))"),
            None
        );
    }
}
