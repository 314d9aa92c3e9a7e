//! Policy expressions classified: what kind of condition each part of a USING / WITH CHECK is,
//! as PostgreSQL deparsed it (`pg_get_expr` with a pinned search_path, so tables in sub-selects
//! are schema-qualified).
//!
//! The expression becomes a tree of `OR`, `AND`, `NOT` over atoms; each atom is one of the
//! shapes row-level security is written in: an owner test (`user_id = (select auth.uid())`,
//! `auth.uid() IN (a, b)`, the `setting` model's `current_setting(...)`), ownership through a
//! parent row (`EXISTS (SELECT 1 FROM parent p WHERE p.id = t.parent_id AND p.user_id = …)`),
//! tenant membership (an `EXISTS`/`IN` over a membership table, or a helper function whose body
//! reads one), a role guard (`auth.role() = 'x'`), a user guard (a condition on the user alone:
//! `is_admin()`, an `app_metadata` claim, `EXISTS (… admins WHERE user_id = uid)`), a row filter
//! (columns and constants only: `is_public`, `status = 'published'`), a constant, trust in
//! user-editable `user_metadata`, or "visible with another table" (an `EXISTS` that runs under
//! that table's own policies). Anything else is [`Atom::Unknown`]: said so, and left to the
//! probe.
//!
//! Pure functions over text; the catalog is consulted only for function bodies and primary
//! keys. What the classes mean in levels is decided by `audit::reach`, not here.

use crate::catalog::{Catalog, ConstraintKind};
use crate::sql::{tokens, TokenKind};
use serde::Serialize;

/// One classified condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "kebab-case")]
pub enum Atom {
    Const {
        value: bool,
    },
    /// The signed-in user's id equals one of these columns of the row.
    OwnerTest {
        columns: Vec<String>,
    },
    /// The user's id differs from the column (`user_id <> auth.uid()`): other users' rows.
    OwnerNot {
        columns: Vec<String>,
    },
    /// The row's parent (through foreign-key column `column`) is owned by the user.
    ParentOwner {
        column: String,
        parent: String,
        parent_column: String,
    },
    /// The user is a member (one of `member_columns` of `table`) of the tenant the row's
    /// `row_column` names (`table.tenant_column`).
    Membership {
        table: String,
        tenant_column: String,
        member_columns: Vec<String>,
        row_column: String,
        /// Through this helper function, when not written inline.
        function: Option<String>,
    },
    /// Visible where a row of `table` is (an `EXISTS` that runs under that table's policies):
    /// the row's `column` matches `table.parent_column`.
    Visible {
        table: String,
        column: String,
        parent_column: String,
    },
    /// `auth.uid() IS NOT NULL`, `auth.role() = 'authenticated'`.
    SignedIn,
    /// `auth.uid() IS NULL`: only signed-out visitors.
    SignedOut,
    /// `auth.role() = 'x'`.
    RoleIs {
        role: String,
    },
    /// A condition on the user alone (no row column): `is_admin()`, an `app_metadata` claim.
    UserGuard {
        what: String,
        /// The condition as SQL, evaluable for a user (no row column in it).
        sql: String,
    },
    /// Reads JWT `user_metadata`, which every user can set for themselves.
    UserMetadata {
        what: String,
    },
    /// Only the row's columns and constants: true for some rows whoever asks.
    RowFilter,
    Unknown {
        text: String,
    },
}

/// A classified expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "of", rename_all = "kebab-case")]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Atom(Atom),
}

impl Expr {
    /// Every atom, depth first.
    pub fn atoms(&self) -> Vec<&Atom> {
        match self {
            Expr::Atom(a) => vec![a],
            Expr::Not(e) => e.atoms(),
            Expr::Or(v) | Expr::And(v) => v.iter().flat_map(Expr::atoms).collect(),
        }
    }

    /// A short reading for messages: `owner test on user_id OR row filter`.
    pub fn describe(&self) -> String {
        match self {
            Expr::Atom(a) => a.describe(),
            Expr::Not(e) => format!("NOT ({})", e.describe()),
            Expr::Or(v) => v.iter().map(Expr::describe).collect::<Vec<_>>().join(" OR "),
            Expr::And(v) => v
                .iter()
                .map(|e| match e {
                    Expr::Or(_) => format!("({})", e.describe()),
                    _ => e.describe(),
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        }
    }
}

impl Atom {
    pub fn describe(&self) -> String {
        match self {
            Atom::Const { value } => format!("constant {value}"),
            Atom::OwnerTest { columns } => format!("owner test on {}", columns.join("/")),
            Atom::OwnerNot { columns } => format!("rows NOT owned by the user ({})", columns.join("/")),
            Atom::ParentOwner {
                column,
                parent,
                parent_column,
            } => format!("owner through {column} -> {parent}.{parent_column}"),
            Atom::Membership {
                table,
                row_column,
                function,
                ..
            } => match function {
                Some(f) => format!("tenant membership of {row_column} via {f} ({table})"),
                None => format!("tenant membership of {row_column} in {table}"),
            },
            Atom::Visible { table, .. } => format!("visible with {table}"),
            Atom::SignedIn => "signed-in test".into(),
            Atom::SignedOut => "signed-out test".into(),
            Atom::RoleIs { role } => format!("role guard {role}"),
            Atom::UserGuard { what, .. } => format!("user guard {what}"),
            Atom::UserMetadata { what } => format!("user_metadata claim {what}"),
            Atom::RowFilter => "row filter".into(),
            Atom::Unknown { text } => format!("unclassified `{text}`"),
        }
    }
}

/// What the classifier needs to know besides the text.
pub struct Scope<'a> {
    pub catalog: &'a Catalog,
    /// The policy's table: its key and bare name (deparsed column references use the name).
    pub table_key: &'a str,
    pub table_name: &'a str,
    /// The `setting` model's setting (`app.current_user_id`), whose value is the user's id.
    pub setting: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Clone, Copy)]
struct Tok<'a> {
    kind: TokenKind,
    text: &'a str,
    start: usize,
    end: usize,
}

fn toks(text: &str) -> Vec<Tok<'_>> {
    tokens(text)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| Tok {
            kind: t.kind,
            text: text.get(t.start..t.end).unwrap_or(""),
            start: t.start,
            end: t.end,
        })
        .collect()
}

fn word(t: Option<&Tok<'_>>, w: &str) -> bool {
    t.is_some_and(|t| t.kind == TokenKind::Word && t.text.eq_ignore_ascii_case(w))
}

fn ch(t: Option<&Tok<'_>>, c: &str) -> bool {
    t.is_some_and(|t| t.kind == TokenKind::Other && t.text == c)
}

fn ident(t: &Tok<'_>) -> Option<String> {
    match t.kind {
        TokenKind::Word => Some(t.text.to_ascii_lowercase()),
        TokenKind::QuotedIdent => Some(
            t.text
                .get(1..t.text.len().saturating_sub(1))
                .unwrap_or("")
                .replace("\"\"", "\""),
        ),
        _ => None,
    }
}

const KEYWORDS: [&str; 24] = [
    "select", "from", "where", "and", "or", "not", "exists", "in", "is", "null", "true", "false",
    "as", "join", "on", "group", "order", "limit", "any", "all", "array", "case", "when", "then",
];

fn is_keyword(t: &Tok<'_>) -> bool {
    t.kind == TokenKind::Word && KEYWORDS.iter().any(|k| t.text.eq_ignore_ascii_case(k))
}

/// The text without enclosing parentheses: `((a = b))` → `a = b`.
pub fn strip_parens(text: &str) -> &str {
    super::expr::strip_parens(text)
}

/// Splits at depth-0 tokens chosen by `is_sep`; parts trimmed.
fn split_top<'a>(text: &'a str, is_sep: impl Fn(&[Tok<'_>], usize) -> bool) -> Vec<&'a str> {
    let t = toks(text);
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0usize;
    let mut bracket = 0i32;
    for i in 0..t.len() {
        match t[i].kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => depth -= 1,
            TokenKind::Other if t[i].text == "[" => bracket += 1,
            TokenKind::Other if t[i].text == "]" => bracket -= 1,
            _ if depth == 0 && bracket == 0 && is_sep(&t, i) => {
                parts.push(text.get(start..t[i].start).unwrap_or("").trim());
                start = t[i].end;
            }
            _ => {}
        }
    }
    parts.push(text.get(start..).unwrap_or("").trim());
    parts
}

fn split_word<'a>(text: &'a str, w: &str) -> Vec<&'a str> {
    split_top(text, |t, i| word(t.get(i), w))
}

const OPERATOR_CHARS: &str = "<>!=-+*/~|&^#@%";

/// The tokens from `i` spell exactly the operator `op` (each character its own token, glued
/// together, and not part of a longer operator: `=` is not found in `<=`, `>=`, `<>`).
fn is_op(t: &[Tok<'_>], i: usize, op: &str) -> bool {
    let n = op.chars().count();
    for (k, c) in op.chars().enumerate() {
        let Some(x) = t.get(i + k) else { return false };
        if x.kind != TokenKind::Other || !x.text.starts_with(c) || x.text.len() != 1 {
            return false;
        }
        if k > 0 && t[i + k - 1].end != x.start {
            return false;
        }
    }
    let glued = |x: Option<&Tok<'_>>, at: usize, before: bool| {
        x.is_some_and(|x| {
            (if before { x.end == at } else { x.start == at })
                && x.kind == TokenKind::Other
                && OPERATOR_CHARS.contains(x.text)
        })
    };
    let first = t[i].start;
    let last = t[i + n - 1].end;
    !(i > 0 && glued(t.get(i - 1), first, true)) && !glued(t.get(i + n), last, false)
}

/// `a OP b` split at the first depth-0 `op`.
fn binary<'a>(text: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    let t = toks(text);
    let n = op.chars().count();
    let mut depth = 0i32;
    for i in 0..t.len() {
        match t[i].kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => depth -= 1,
            _ if depth == 0 && is_op(&t, i, op) => {
                return Some((
                    text.get(..t[i].start).unwrap_or("").trim(),
                    text.get(t[i + n - 1].end..).unwrap_or("").trim(),
                ));
            }
            _ => {}
        }
    }
    None
}

/// A side without parentheses, casts and a scalar `SELECT x AS alias` wrapper:
/// `( SELECT auth.uid() AS uid)` → `auth.uid()`, `(x)::text` → `x`.
fn core(text: &str) -> &str {
    let mut s = text.trim();
    loop {
        let before = s;
        s = strip_parens(s);
        // A cast at depth 0: keep what precedes the first `::`.
        let t = toks(s);
        let mut depth = 0i32;
        let mut cut = None;
        for i in 0..t.len() {
            match t[i].kind {
                TokenKind::OpenParen => depth += 1,
                TokenKind::CloseParen => depth -= 1,
                TokenKind::Other
                    if depth == 0
                        && t[i].text == ":"
                        && ch(t.get(i + 1), ":")
                        && t.get(i + 1).is_some_and(|n| n.start == t[i].end) =>
                {
                    cut = Some(t[i].start);
                    break;
                }
                _ => {}
            }
        }
        if let Some(c) = cut {
            s = s.get(..c).unwrap_or("").trim();
        }
        // `SELECT e [AS alias]` with nothing else (no FROM).
        let t = toks(s);
        if word(t.first(), "select") && !t.iter().any(|x| word(Some(x), "from")) {
            let end = match t.iter().rposition(|x| word(Some(x), "as")) {
                Some(i) if i + 2 == t.len() => t[i].start,
                _ => s.len(),
            };
            s = s.get(t[0].end..end).unwrap_or("").trim();
        }
        if s == before {
            return s;
        }
    }
}

/// `schema.f(` / `f(` at the start of `t`: the function name and the index of `(`.
fn call_at(t: &[Tok<'_>], i: usize) -> Option<(String, usize)> {
    let a = t.get(i).and_then(ident)?;
    if ch(t.get(i + 1), ".") {
        let b = t.get(i + 2).and_then(ident)?;
        if t.get(i + 3).is_some_and(|x| x.kind == TokenKind::OpenParen) {
            return Some((format!("{a}.{b}"), i + 3));
        }
        return None;
    }
    if t.get(i + 1).is_some_and(|x| x.kind == TokenKind::OpenParen) && !is_keyword(&t[i]) {
        return Some((a, i + 1));
    }
    None
}

/// The whole text is one call `name(args)`: name and argument texts.
fn whole_call(text: &str) -> Option<(String, Vec<&str>)> {
    let t = toks(text);
    let (name, open) = call_at(&t, 0)?;
    let close = t.last()?;
    if close.kind != TokenKind::CloseParen {
        return None;
    }
    // The call's parenthesis must close at the end.
    let mut depth = 0i32;
    for (i, x) in t.iter().enumerate().skip(open) {
        match x.kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => {
                depth -= 1;
                if depth == 0 && i != t.len() - 1 {
                    return None;
                }
            }
            _ => {}
        }
    }
    let inner = text.get(t[open].end..close.start).unwrap_or("").trim();
    let args = if inner.is_empty() {
        Vec::new()
    } else {
        split_top(inner, |t, i| ch(t.get(i), ","))
    };
    Some((name, args))
}

// ---------------------------------------------------------------------------------------------
// Sides

impl Scope<'_> {
    /// The side is the current user's id: `auth.uid()`, `auth.jwt() ->> 'sub'`, or the
    /// `setting` model's `current_setting('<setting>', …)`; wrapped or cast.
    fn is_user(&self, side: &str) -> bool {
        let c = core(side);
        if let Some((name, args)) = whole_call(c) {
            return match name.as_str() {
                "auth.uid" => args.is_empty(),
                "current_setting" | "pg_catalog.current_setting" => {
                    let want = self.setting.unwrap_or("app.current_user_id");
                    args.first()
                        .is_some_and(|a| literal_text(a).as_deref() == Some(want))
                }
                _ => false,
            };
        }
        // auth.jwt() ->> 'sub'
        if let Some((l, r)) = binary(c, "->>") {
            return is_call(l, "auth.jwt") && literal_text(r).as_deref() == Some("sub");
        }
        false
    }

    /// A column of the policy's table: `col`, `t.col`, `schema.t.col`, cast or wrapped.
    fn column(&self, side: &str) -> Option<String> {
        let t = toks(core(side));
        let ids: Vec<String> = t.iter().filter_map(ident).collect();
        let dots = t.iter().filter(|x| ch(Some(x), ".")).count();
        if ids.len() != t.len() - dots || t.iter().any(is_keyword) {
            return None;
        }
        match (ids.as_slice(), dots) {
            ([c], 0) => Some(c.clone()),
            ([tb, c], 1) if tb == self.table_name => Some(c.clone()),
            ([s, tb, c], 2) if format!("{s}.{tb}") == self.table_key => Some(c.clone()),
            _ => None,
        }
    }

    /// Columns of the table in `ARRAY[a, b]` / `(a, b)`.
    fn column_list(&self, side: &str) -> Option<Vec<String>> {
        let c = core(side);
        let c = c.strip_prefix("ARRAY").unwrap_or(c).trim();
        let inner = c
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or_else(|| strip_parens(c));
        let cols: Option<Vec<String>> = split_top(inner, |t, i| ch(t.get(i), ","))
            .into_iter()
            .map(|x| self.column(x))
            .collect();
        cols.filter(|v| !v.is_empty())
    }
}

fn is_call(side: &str, name: &str) -> bool {
    whole_call(core(side)).is_some_and(|(n, a)| n == name && a.is_empty())
}

/// A string literal's value (`'x'::text` → `x`).
fn literal_text(side: &str) -> Option<String> {
    let t = toks(core(side));
    match t.as_slice() {
        [s] if s.kind == TokenKind::String && !s.text.starts_with(['E', 'e']) => s
            .text
            .get(1..s.text.len().saturating_sub(1))
            .map(|x| x.replace("''", "'")),
        _ => None,
    }
}

/// Only literals, casts, arrays and operators: no column, no call, no sub-select.
fn is_constant(side: &str) -> bool {
    let t = toks(side);
    let mut in_type = false;
    !t.is_empty()
        && t.iter().all(|x| match x.kind {
            TokenKind::String | TokenKind::Number | TokenKind::OpenParen | TokenKind::CloseParen => {
                in_type = false;
                true
            }
            TokenKind::Other => {
                if x.text == ":" {
                    in_type = true;
                } else if x.text != "[" && x.text != "]" {
                    in_type = false;
                }
                true
            }
            TokenKind::Word => {
                in_type
                    || matches!(
                        x.text.to_ascii_lowercase().as_str(),
                        "true" | "false" | "null" | "array"
                    )
            }
            _ => false,
        })
}

/// Mentions the user: auth.uid/jwt/role/email or current_setting.
fn mentions_user(text: &str) -> bool {
    let t = toks(text);
    (0..t.len()).any(|i| {
        (word(t.get(i), "auth") && ch(t.get(i + 1), ".")
            && ["uid", "jwt", "role", "email"].iter().any(|f| word(t.get(i + 2), f)))
            || word(t.get(i), "current_setting")
    })
}

/// Only the row's columns, literals, operators and immutable-looking built-ins: no user, no
/// sub-select, no function of the schema.
fn row_only(scope: &Scope<'_>, text: &str) -> bool {
    let t = toks(text);
    if mentions_user(text) || t.iter().any(|x| word(Some(x), "select")) {
        return false;
    }
    // No call of a function that lives in the audited schemas (it could look at the user).
    (0..t.len()).all(|i| match call_at(&t, i) {
        Some((name, _)) => !name.contains('.') && find_function(scope.catalog, &name).is_none(),
        None => true,
    }) && t.iter().all(|x| x.kind != TokenKind::DollarString)
}

// ---------------------------------------------------------------------------------------------
// Classification

/// Classifies one expression of a policy on `scope`'s table.
pub fn classify(scope: &Scope<'_>, text: &str) -> Expr {
    let s = strip_parens(text);
    let ors = split_word(s, "or");
    if ors.len() > 1 {
        return Expr::Or(ors.into_iter().map(|p| classify(scope, p)).collect());
    }
    let ands = split_word(s, "and");
    if ands.len() > 1 {
        return Expr::And(ands.into_iter().map(|p| classify(scope, p)).collect());
    }
    let t = toks(s);
    if word(t.first(), "not") {
        let rest = s.get(t[0].end..).unwrap_or("");
        return Expr::Not(Box::new(classify(scope, rest)));
    }
    Expr::Atom(atom(scope, s))
}

fn unknown(text: &str) -> Atom {
    Atom::Unknown {
        text: crate::audit::rules::one_line(text),
    }
}

fn atom(scope: &Scope<'_>, text: &str) -> Atom {
    let s = strip_parens(text);
    let t = toks(s);
    if t.is_empty() {
        return unknown(text);
    }
    if t.len() == 1 && word(t.first(), "true") {
        return Atom::Const { value: true };
    }
    if t.len() == 1 && word(t.first(), "false") {
        return Atom::Const { value: false };
    }
    if let Some(a) = metadata(s) {
        return a;
    }
    // IS [NOT] NULL
    let n = t.len();
    if n >= 3 && word(t.get(n - 1), "null") {
        let not = word(t.get(n - 2), "not");
        let is_at = if not { n - 3 } else { n - 2 };
        if word(t.get(is_at), "is") {
            let subject = s.get(..t[is_at].start).unwrap_or("");
            if scope.is_user(subject) {
                return if not { Atom::SignedIn } else { Atom::SignedOut };
            }
            if row_only(scope, subject) {
                return Atom::RowFilter;
            }
            return unknown(s);
        }
    }
    if word(t.first(), "exists") {
        return exists(scope, s.get(t[0].end..).unwrap_or(""), None);
    }
    // x IN ( SELECT ... )
    let ins = split_word(s, "in");
    if ins.len() == 2 {
        let rhs = strip_parens(ins[1]);
        if word(toks(rhs).first(), "select") {
            return match scope.column(ins[0]) {
                Some(col) => exists(scope, rhs, Some(col)),
                None => unknown(s),
            };
        }
        if scope.is_user(ins[0]) {
            if let Some(cols) = scope.column_list(ins[1]) {
                return Atom::OwnerTest { columns: cols };
            }
        }
        if let Some(a) = call_atom(scope, ins[0], s) {
            return a;
        }
    }
    if let Some((l, r)) = binary(s, "=") {
        return equality(scope, l, r, s);
    }
    for op in ["<>", "!="] {
        if let Some((l, r)) = binary(s, op) {
            if scope.is_user(l) || scope.is_user(r) {
                let other = if scope.is_user(l) { r } else { l };
                return match scope.column(other) {
                    Some(c) => Atom::OwnerNot { columns: vec![c] },
                    None => unknown(s),
                };
            }
            if let Some(role) = role_literal(l, r) {
                // auth.role() <> 'anon'
                return if role == "anon" { Atom::SignedIn } else { unknown(s) };
            }
        }
    }
    if let Some(a) = call_atom(scope, s, s) {
        return a;
    }
    if row_only(scope, s) {
        return Atom::RowFilter;
    }
    unknown(s)
}

/// `auth.role() = 'x'` → `x`.
fn role_literal(l: &str, r: &str) -> Option<String> {
    if is_call(l, "auth.role") {
        literal_text(r)
    } else if is_call(r, "auth.role") {
        literal_text(l)
    } else {
        None
    }
}

/// `user_metadata` / `raw_user_meta_data` anywhere in the atom.
fn metadata(s: &str) -> Option<Atom> {
    let lower = s.to_ascii_lowercase();
    (lower.contains("'user_metadata'") || lower.contains("raw_user_meta_data")).then(|| {
        Atom::UserMetadata {
            what: crate::audit::rules::one_line(s),
        }
    })
}

fn equality(scope: &Scope<'_>, l: &str, r: &str, whole: &str) -> Atom {
    for (a, b) in [(l, r), (r, l)] {
        if scope.is_user(a) {
            if let Some(c) = scope.column(b) {
                return Atom::OwnerTest { columns: vec![c] };
            }
            // uid = ANY (ARRAY[a, b])
            let bt = toks(b);
            if word(bt.first(), "any") {
                if let Some(cols) = scope.column_list(b.get(bt[0].end..).unwrap_or("")) {
                    return Atom::OwnerTest { columns: cols };
                }
            }
            return unknown(whole);
        }
    }
    if let Some(role) = role_literal(l, r) {
        return match role.as_str() {
            "authenticated" => Atom::SignedIn,
            "anon" => Atom::SignedOut,
            _ => Atom::RoleIs { role },
        };
    }
    // A JWT claim compared with a constant: app_metadata and other claims the user cannot set.
    for (a, b) in [(l, r), (r, l)] {
        let lower = a.to_ascii_lowercase();
        if lower.contains("auth.jwt()") && is_constant(b) && !mentions_row(scope, a) {
            return Atom::UserGuard {
                what: crate::audit::rules::one_line(whole),
                sql: whole.to_string(),
            };
        }
    }
    if is_constant(l) && is_constant(r) {
        let (a, b) = (crate::audit::rules::one_line(core(l)), crate::audit::rules::one_line(core(r)));
        return if a == b {
            Atom::Const { value: true }
        } else {
            unknown(whole)
        };
    }
    for (a, b) in [(l, r), (r, l)] {
        if let Some(at) = call_atom(scope, a, whole) {
            if is_constant(b) || toks(b).first().is_some_and(|x| word(Some(x), "any")) {
                return at;
            }
        }
    }
    if row_only(scope, whole) {
        return Atom::RowFilter;
    }
    unknown(whole)
}

/// The side names a column of the policy's table somewhere.
fn mentions_row(scope: &Scope<'_>, text: &str) -> bool {
    toks(text).iter().any(|t| {
        ident(t).is_some_and(|c| {
            scope
                .catalog
                .tables
                .get(scope.table_key)
                .is_some_and(|tb| tb.column(&c).is_some())
        })
    })
}

/// A call of a function of the audited schemas (maybe wrapped, cast, compared with a
/// constant): a membership helper, a user guard, or a row filter, from its body.
fn call_atom(scope: &Scope<'_>, side: &str, whole: &str) -> Option<Atom> {
    let (name, args) = whole_call(core(side))?;
    if name == "auth.uid" || name == "auth.role" || name == "auth.jwt" || name == "auth.email" {
        return None;
    }
    let f = find_function(scope.catalog, &name)?;
    let body = function_body(&f.definition);
    let user = mentions_user(body);
    let row_args: Vec<(usize, String)> = args
        .iter()
        .enumerate()
        .filter_map(|(i, a)| scope.column(a).map(|c| (i, c)))
        .collect();
    let other_args_constant = args
        .iter()
        .enumerate()
        .all(|(i, a)| row_args.iter().any(|(j, _)| *j == i) || is_constant(a));
    if !other_args_constant {
        return Some(unknown(whole));
    }
    if !user {
        return Some(if row_args.is_empty() {
            // A function of nothing: a constant as far as the user and the row go.
            Atom::RowFilter
        } else {
            Atom::RowFilter
        });
    }
    if lower_contains(body, "user_metadata") || lower_contains(body, "raw_user_meta_data") {
        return Some(Atom::UserMetadata {
            what: format!("{name}() reads user_metadata"),
        });
    }
    if row_args.is_empty() {
        return Some(Atom::UserGuard {
            what: format!("{name}()"),
            sql: core(side).to_string(),
        });
    }
    if row_args.len() == 1 {
        let (i, col) = &row_args[0];
        let param = param_name(&f.arguments, *i);
        if let Some(m) = body_membership(scope, body, param.as_deref()) {
            return Some(Atom::Membership {
                table: m.0,
                tenant_column: m.1,
                member_columns: m.2,
                row_column: col.clone(),
                function: Some(format!("{name}()")),
            });
        }
    }
    Some(unknown(whole))
}

fn lower_contains(text: &str, what: &str) -> bool {
    text.to_ascii_lowercase().contains(what)
}

/// A function of the catalog by `schema.name` or bare name (the first overload).
pub fn find_function<'a>(cat: &'a Catalog, name: &str) -> Option<&'a crate::catalog::Function> {
    let (schema, bare) = match name.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, name),
    };
    cat.functions
        .values()
        .find(|f| f.name == bare && schema.is_none_or(|s| f.schema == s))
}

/// The body of a `CREATE FUNCTION` as `pg_get_functiondef` prints it: the dollar-quoted text,
/// or a `BEGIN ATOMIC` body (everything after `AS`/the options).
pub fn function_body(definition: &str) -> &str {
    for t in toks(definition) {
        if t.kind == TokenKind::DollarString {
            let tag_end = t.text.get(1..).and_then(|x| x.find('$')).map_or(0, |i| i + 2);
            return t
                .text
                .get(tag_end..t.text.len().saturating_sub(tag_end))
                .unwrap_or(t.text);
        }
    }
    definition
}

/// The name of the function's argument `i` (`p_tribe_id uuid, x int` → `p_tribe_id`).
fn param_name(arguments: &str, i: usize) -> Option<String> {
    let arg = split_top(arguments, |t, j| ch(t.get(j), ",")).into_iter().nth(i)?;
    let t = toks(arg);
    let first = t.first()?;
    let mode = ["in", "out", "inout", "variadic"]
        .iter()
        .any(|m| first.text.eq_ignore_ascii_case(m));
    let name_tok = if mode { t.get(1)? } else { first };
    // A lone type (`uuid`) has no name.
    (t.len() >= if mode { 3 } else { 2 }).then(|| ident(name_tok)).flatten()
}

/// In a helper's body: a table read with a user column compared to the user and a column
/// compared to the parameter `param` (or, without a name, `$1`): `(table, tenant column, member
/// columns)`.
fn body_membership(
    scope: &Scope<'_>,
    body: &str,
    param: Option<&str>,
) -> Option<(String, String, Vec<String>)> {
    let t = toks(body);
    // Tables read: FROM/JOIN <name> [alias].
    let mut tables: Vec<(String, Option<String>)> = Vec::new();
    for i in 0..t.len() {
        if word(t.get(i), "from") || word(t.get(i), "join") {
            let Some(a) = t.get(i + 1).and_then(ident) else { continue };
            let (name, next) = if ch(t.get(i + 2), ".") {
                match t.get(i + 3).and_then(ident) {
                    Some(b) => (format!("{a}.{b}"), i + 4),
                    None => continue,
                }
            } else {
                (a, i + 2)
            };
            let alias = t
                .get(next)
                .filter(|x| !is_keyword(x) && x.kind == TokenKind::Word)
                .and_then(ident);
            tables.push((name, alias));
        }
    }
    let (table, alias) = tables.into_iter().find_map(|(n, a)| {
        resolve_table(scope.catalog, &n).map(|k| (k, a))
    })?;
    let strip = |c: &str| -> Option<String> {
        let ids: Vec<&str> = c.split('.').collect();
        match ids.as_slice() {
            [col] => Some(col.to_string()),
            [q, col] if Some(*q) == alias.as_deref() || table.ends_with(&format!(".{q}")) => {
                Some(col.to_string())
            }
            _ => None,
        }
    };
    let mut member = Vec::new();
    let mut tenant = None;
    for i in 0..t.len() {
        if !is_op(&t, i, "=") {
            continue;
        }
        let left = chain_before(&t, i);
        let right_text = operand_after(body, &t, i);
        let is_param = |x: &str| {
            let x = core(x).to_ascii_lowercase();
            param.is_some_and(|p| x == p) || x == "$1"
        };
        if let Some(l) = left.as_deref().and_then(strip) {
            if scope.is_user(right_text) || mentions_user(right_text) && right_text.len() < 60 {
                member.push(l);
            } else if is_param(right_text) {
                tenant = Some(l);
            }
        }
    }
    let tenant = tenant?;
    if member.is_empty() {
        return None;
    }
    member.dedup();
    Some((table, tenant, member))
}

/// The identifier chain (`tm.user_id`) ending just before token `i`, lower-cased.
fn chain_before(t: &[Tok<'_>], i: usize) -> Option<String> {
    let mut j = i;
    let mut parts = Vec::new();
    loop {
        let id = t.get(j.checked_sub(1)?).and_then(ident)?;
        if is_keyword(&t[j - 1]) {
            return None;
        }
        parts.push(id);
        j -= 1;
        if j >= 1 && ch(t.get(j - 1), ".") {
            j -= 1;
        } else {
            break;
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// The operand text after the `=` at token `i`: a balanced group or an identifier chain with
/// an optional call.
fn operand_after<'a>(text: &'a str, t: &[Tok<'_>], i: usize) -> &'a str {
    let Some(first) = t.get(i + 1) else { return "" };
    let mut j = i + 1;
    let mut depth = 0i32;
    while let Some(x) = t.get(j) {
        match x.kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                if depth == 0 {
                    j += 1;
                    break;
                }
            }
            TokenKind::Word if depth == 0 && is_keyword(x) && j > i + 1 => break,
            TokenKind::Semicolon if depth == 0 => break,
            _ => {}
        }
        j += 1;
    }
    let end = t.get(j.saturating_sub(1)).map_or(first.end, |x| x.end);
    text.get(first.start..end.max(first.start)).unwrap_or("")
}

/// `col = <value>` (either order) with `col` a bare column name: the column, and whether the
/// value is free of row columns (a constant, or a call with constant arguments such as
/// `(select app_user_role())`), so the conjunct pins what the column may hold.
pub fn pinned_column(conj: &str) -> Option<(String, bool)> {
    let (l, r) = binary(strip_parens(conj), "=")?;
    for (a, b) in [(l, r), (r, l)] {
        let t = toks(core(a));
        if let [one] = t.as_slice() {
            if is_keyword(one) {
                continue;
            }
            if let Some(c) = ident(one) {
                let free = is_constant(b)
                    || whole_call(core(b)).is_some_and(|(_, args)| args.iter().all(|x| is_constant(x)));
                return Some((c, free));
            }
        }
    }
    None
}

/// The tables of the catalog a function body reads or writes (`FROM`, `JOIN`, `UPDATE`,
/// `INTO`, `DELETE FROM` followed by a name), as keys, sorted, each once.
pub fn body_tables(cat: &Catalog, body: &str) -> Vec<String> {
    let t = toks(body);
    let mut out = Vec::new();
    for i in 0..t.len() {
        let after = ["from", "join", "update", "into", "table"]
            .iter()
            .any(|w| word(t.get(i), w));
        if !after {
            continue;
        }
        let Some(a) = t.get(i + 1).and_then(ident) else { continue };
        let name = if ch(t.get(i + 2), ".") {
            match t.get(i + 3).and_then(ident) {
                Some(b) => format!("{a}.{b}"),
                None => continue,
            }
        } else {
            a
        };
        if let Some(k) = resolve_table(cat, &name) {
            out.push(k);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A table of the catalog named `schema.name` or bare (any audited schema).
pub fn resolve_table(cat: &Catalog, name: &str) -> Option<String> {
    if let Some((s, n)) = name.split_once('.') {
        let key = format!("{}.{}", crate::sql::quote_ident(s), crate::sql::quote_ident(n));
        return cat.tables.contains_key(&key).then_some(key);
    }
    cat.tables
        .iter()
        .find(|(_, t)| t.name == name)
        .map(|(k, _)| k.clone())
}

/// `EXISTS ( SELECT … FROM rel alias WHERE … )`, or `col IN ( SELECT alias.x FROM … )` with
/// `col` the row's column.
fn exists(scope: &Scope<'_>, sub: &str, in_column: Option<String>) -> Atom {
    let s = strip_parens(sub);
    let t = toks(s);
    let whole = || unknown(sub);
    if !word(t.first(), "select") {
        return whole();
    }
    let Some(from) = t.iter().position(|x| word(Some(x), "from")) else {
        return whole();
    };
    let Some(a) = t.get(from + 1).and_then(ident) else {
        return whole();
    };
    let (rel_name, mut next) = if ch(t.get(from + 2), ".") {
        match t.get(from + 3).and_then(ident) {
            Some(b) => (format!("{a}.{b}"), from + 4),
            None => return whole(),
        }
    } else {
        (a, from + 2)
    };
    let Some(rel) = resolve_table(scope.catalog, &rel_name) else {
        return whole();
    };
    let rel_bare = rel_name.rsplit('.').next().unwrap_or(&rel_name).to_string();
    let mut alias = None;
    if let Some(x) = t.get(next) {
        if x.kind == TokenKind::Word && !is_keyword(x) {
            alias = ident(x);
            next += 1;
        }
    }
    // One relation only.
    if t.get(next).is_some_and(|x| !word(Some(x), "where")) {
        return whole();
    }
    let selected = s.get(t[0].end..t[from].start).unwrap_or("").trim();
    let cond = match t.get(next) {
        Some(w) => s.get(w.end..).unwrap_or(""),
        None => "",
    };
    // A reference to a column of the inner relation.
    let inner_col = |x: &str| -> Option<String> {
        let ct = toks(core(x));
        let ids: Vec<String> = ct.iter().filter_map(ident).collect();
        let dots = ct.iter().filter(|y| ch(Some(y), ".")).count();
        if ids.len() != ct.len() - dots || ct.iter().any(is_keyword) {
            return None;
        }
        match (ids.as_slice(), dots) {
            ([c], 0) => Some(c.clone()),
            ([q, c], 1) if Some(q) == alias.as_ref() || *q == rel_bare => Some(c.clone()),
            _ => None,
        }
    };
    let outer_col = |x: &str| -> Option<String> {
        let ct = toks(core(x));
        let ids: Vec<String> = ct.iter().filter_map(ident).collect();
        match (ids.as_slice(), ct.len()) {
            ([tb, c], 3) if *tb == scope.table_name && alias.as_deref() != Some(tb) => {
                Some(c.clone())
            }
            ([s2, tb, c], 5) if format!("{s2}.{tb}") == scope.table_key => Some(c.clone()),
            _ => None,
        }
    };
    let mut user_cols = Vec::new();
    let mut correlation: Option<(String, String)> = None;
    if let Some(col) = &in_column {
        match inner_col(selected) {
            Some(x) => correlation = Some((x, col.clone())),
            None => return whole(),
        }
    }
    for conj in split_word(strip_parens(cond), "and") {
        let conj = strip_parens(conj);
        if split_word(conj, "or").len() > 1 {
            // An OR inside: only narrowing conditions are safe to skip; this one may widen.
            if mentions_user(conj) {
                return whole();
            }
            continue;
        }
        let Some((l, r)) = binary(conj, "=") else { continue };
        for (x, y) in [(l, r), (r, l)] {
            if scope.is_user(y) {
                if let Some(c) = inner_col(x) {
                    user_cols.push(c);
                }
            } else if let (Some(i), Some(o)) = (inner_col(x), outer_col(y)) {
                correlation = Some((i, o));
            }
        }
    }
    user_cols.dedup();
    match (correlation, user_cols.is_empty()) {
        (Some((inner, outer)), false) => {
            let pk_single = scope.catalog.tables.get(&rel).and_then(|tb| {
                tb.constraints
                    .values()
                    .find(|c| c.kind == ConstraintKind::PrimaryKey)
                    .filter(|c| c.columns.len() == 1)
                    .map(|c| c.columns[0].clone())
            });
            if pk_single.as_deref() == Some(inner.as_str()) && user_cols.len() == 1 {
                Atom::ParentOwner {
                    column: outer,
                    parent: rel,
                    parent_column: user_cols.remove(0),
                }
            } else {
                Atom::Membership {
                    table: rel,
                    tenant_column: inner,
                    member_columns: user_cols,
                    row_column: outer,
                    function: None,
                }
            }
        }
        (None, false) => Atom::UserGuard {
            what: format!("a row of {rel} for the user"),
            sql: match in_column {
                None => format!("EXISTS ({s})"),
                Some(_) => "false".into(),
            },
        },
        (Some((inner, outer)), true) => Atom::Visible {
            table: rel,
            column: outer,
            parent_column: inner,
        },
        (None, true) => {
            if mentions_user(cond) {
                whole()
            } else {
                Atom::RowFilter
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, Constraint, Function, Table};

    fn table(name: &str, cols: &[&str], pk: &str) -> Table {
        let mut t = Table {
            schema: "public".into(),
            name: name.into(),
            partitioned: false,
            partition_key: None,
            partition_of: None,
            partition_bound: None,
            inherits: Vec::new(),
            unlogged: false,
            options: Vec::new(),
            rls_enabled: true,
            rls_forced: false,
            columns: cols
                .iter()
                .map(|c| Column {
                    name: c.to_string(),
                    data_type: "uuid".into(),
                    not_null: false,
                    default: None,
                    generated: None,
                    identity: None,
                    collation: None,
                    comment: None,
                    acl: Vec::new(),
                })
                .collect(),
            constraints: Default::default(),
            comment: None,
            acl: Vec::new(),
        };
        t.constraints.insert(
            format!("{name}_pkey"),
            Constraint {
                name: format!("{name}_pkey"),
                kind: ConstraintKind::PrimaryKey,
                definition: String::new(),
                validated: true,
                deferrable: false,
                deferred: false,
                references: None,
                columns: vec![pk.into()],
                comment: None,
            },
        );
        t
    }

    fn function(name: &str, args: &str, body: &str) -> Function {
        Function {
            schema: "public".into(),
            name: name.into(),
            procedure: false,
            arguments: args.into(),
            identity_arguments: String::new(),
            result: Some("boolean".into()),
            language: "sql".into(),
            volatility: "stable".into(),
            security_definer: true,
            leakproof: false,
            strict: false,
            parallel: "unsafe".into(),
            config: Vec::new(),
            definition: format!(
                "CREATE OR REPLACE FUNCTION public.{name}({args})\n RETURNS boolean\n LANGUAGE sql\nAS $function$ {body} $function$\n"
            ),
            sql_body: false,
            comment: None,
            acl: Vec::new(),
        }
    }

    fn cat() -> Catalog {
        let mut c = Catalog::default();
        for t in [
            table("notes", &["id", "user_id", "team_id", "is_public", "body"], "id"),
            table("posts", &["id", "user_id"], "id"),
            table("team_members", &["id", "team_id", "user_id"], "id"),
            table("mentorships", &["id", "mentor_id", "mentee_id"], "id"),
        ] {
            c.tables.insert(format!("public.{}", t.name), t);
        }
        for f in [
            function(
                "is_admin",
                "",
                "SELECT EXISTS (SELECT 1 FROM public.users u WHERE u.id = (SELECT auth.uid()) AND u.role = 'admin')",
            ),
            function(
                "is_member",
                "p_team uuid",
                "SELECT EXISTS (SELECT 1 FROM public.team_members tm WHERE tm.team_id = p_team AND tm.user_id = (SELECT auth.uid()))",
            ),
            function(
                "member_role",
                "p_team uuid",
                "SELECT tm.role FROM team_members tm WHERE tm.team_id = p_team AND tm.user_id = auth.uid()",
            ),
            function("slug", "t text", "SELECT lower(t)"),
            function(
                "meta_admin",
                "",
                "SELECT (auth.jwt() -> 'user_metadata' ->> 'role') = 'admin'",
            ),
        ] {
            c.functions.insert(format!("public.{}()", f.name), f);
        }
        c
    }

    fn class(text: &str) -> String {
        let c = cat();
        let scope = Scope {
            catalog: &c,
            table_key: "public.notes",
            table_name: "notes",
            setting: Some("app.current_user_id"),
        };
        classify(&scope, text).describe()
    }

    #[test]
    fn owner_tests_in_every_spelling() {
        for e in [
            "(user_id = ( SELECT auth.uid() AS uid))",
            "(( SELECT auth.uid() AS uid) = user_id)",
            "(auth.uid() = user_id)",
            "(notes.user_id = auth.uid())",
            "((user_id)::text = (auth.uid())::text)",
            "(user_id = (current_setting('app.current_user_id'::text, true))::uuid)",
            "(user_id = ( SELECT (current_setting('app.current_user_id'::text, true))::uuid AS current_setting))",
            "(user_id = ((auth.jwt() ->> 'sub'::text))::uuid)",
        ] {
            assert_eq!(class(e), "owner test on user_id", "{e}");
        }
        assert_eq!(
            class("(( SELECT auth.uid() AS uid) = ANY (ARRAY[mentor_id, mentee_id]))"),
            "owner test on mentor_id/mentee_id"
        );
        assert_eq!(class("(user_id <> auth.uid())"), "rows NOT owned by the user (user_id)");
        // another setting is not the user
        assert!(class("(user_id = (current_setting('app.tenant'::text))::uuid)").starts_with("unclassified"));
    }

    #[test]
    fn constants_tautologies_and_row_filters() {
        assert_eq!(class("true"), "constant true");
        assert_eq!(class("false"), "constant false");
        assert_eq!(class("(1 = 1)"), "constant true");
        assert_eq!(
            class("((user_id = ( SELECT auth.uid() AS uid)) OR true)"),
            "owner test on user_id OR constant true"
        );
        assert_eq!(class("is_public"), "row filter");
        assert_eq!(class("(is_public = true)"), "row filter");
        assert_eq!(class("(body IS NOT NULL)"), "row filter");
        assert_eq!(class("(lower(body) = 'x'::text)"), "row filter");
        assert_eq!(
            class("((is_public = true) OR (user_id = ( SELECT auth.uid() AS uid)))"),
            "row filter OR owner test on user_id"
        );
    }

    #[test]
    fn signed_in_out_and_roles() {
        assert_eq!(class("(auth.uid() IS NOT NULL)"), "signed-in test");
        assert_eq!(class("(( SELECT auth.uid() AS uid) IS NULL)"), "signed-out test");
        assert_eq!(class("(auth.role() = 'authenticated'::text)"), "signed-in test");
        assert_eq!(class("(auth.role() = 'service_role'::text)"), "role guard service_role");
        assert_eq!(class("(auth.role() <> 'anon'::text)"), "signed-in test");
        assert_eq!(
            class("(current_setting('app.current_user_id'::text, true) IS NOT NULL)"),
            "signed-in test"
        );
    }

    #[test]
    fn guards_and_metadata() {
        assert_eq!(class("( SELECT public.is_admin() AS is_admin)"), "user guard public.is_admin()");
        assert_eq!(class("public.is_admin()"), "user guard public.is_admin()");
        assert!(class("(((auth.jwt() -> 'app_metadata'::text) ->> 'role'::text) = 'admin'::text)")
            .starts_with("user guard"));
        assert!(class("(((auth.jwt() -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text)")
            .starts_with("user_metadata claim"));
        assert!(class("public.meta_admin()").starts_with("user_metadata claim"));
        assert_eq!(
            class("(EXISTS ( SELECT 1 FROM public.team_members m WHERE (m.user_id = ( SELECT auth.uid() AS uid))))"),
            "user guard a row of public.team_members for the user"
        );
    }

    #[test]
    fn parents_tenants_and_visibility() {
        assert_eq!(
            class("(EXISTS ( SELECT 1\n   FROM public.posts p\n  WHERE ((p.id = notes.team_id) AND (p.user_id = ( SELECT auth.uid() AS uid)))))"),
            "owner through team_id -> public.posts.user_id"
        );
        assert_eq!(
            class("(EXISTS ( SELECT 1 FROM public.team_members m WHERE ((m.team_id = notes.team_id) AND (m.user_id = auth.uid()))))"),
            "tenant membership of team_id in public.team_members"
        );
        assert_eq!(
            class("(team_id IN ( SELECT m.team_id FROM public.team_members m WHERE (m.user_id = ( SELECT auth.uid() AS uid))))"),
            "tenant membership of team_id in public.team_members"
        );
        assert_eq!(
            class("public.is_member(team_id)"),
            "tenant membership of team_id via public.is_member() (public.team_members)"
        );
        assert_eq!(
            class("((public.member_role(team_id))::text = ANY ((ARRAY['leader'::character varying, 'moderator'::character varying])::text[]))"),
            "tenant membership of team_id via public.member_role() (public.team_members)"
        );
        assert_eq!(
            class("((team_id IS NOT NULL) AND public.is_member(team_id))"),
            "row filter AND tenant membership of team_id via public.is_member() (public.team_members)"
        );
        assert_eq!(
            class("(EXISTS ( SELECT 1 FROM public.posts p WHERE (p.id = notes.team_id)))"),
            "visible with public.posts"
        );
        assert_eq!(class("public.slug(body)"), "row filter");
    }

    #[test]
    fn pinned_columns() {
        assert_eq!(pinned_column("(role = 'user'::text)"), Some(("role".into(), true)));
        assert_eq!(
            pinned_column("((role)::text = ( SELECT public.app_user_role() AS app_user_role))"),
            Some(("role".into(), true))
        );
        assert_eq!(pinned_column("(role = other)"), Some(("role".into(), false)));
        assert_eq!(pinned_column("(a > 1)"), None);
    }

    #[test]
    fn tables_a_body_touches() {
        let c = cat();
        assert_eq!(
            body_tables(&c, "BEGIN DELETE FROM public.notes WHERE id = $1; SELECT * FROM posts p JOIN team_members m ON true; INSERT INTO nowhere VALUES (1); END"),
            vec!["public.notes".to_string(), "public.posts".into(), "public.team_members".into()]
        );
    }

    #[test]
    fn the_rest_is_unclassified() {
        assert!(class("(user_id = some_schema.f())").starts_with("unclassified"));
        assert!(class("(body ~~ (auth.email() || '%'::text))").starts_with("unclassified"));
        assert!(class("(EXISTS ( SELECT 1 FROM public.posts p, public.notes n WHERE true))")
            .starts_with("unclassified"));
    }
}
