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

mod body;
mod exists;
mod text;

pub use body::{body_tables, find_function, function_body, pinned_column, resolve_table};
pub use text::strip_parens;

use crate::catalog::Catalog;
use crate::sql::TokenKind;
use body::{body_membership, lower_contains, param_name};
use exists::exists;
use serde::Serialize;
use text::*;

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
            Expr::Or(v) => v
                .iter()
                .map(Expr::describe)
                .collect::<Vec<_>>()
                .join(" OR "),
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
            Atom::OwnerNot { columns } => {
                format!("rows NOT owned by the user ({})", columns.join("/"))
            }
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
// Sides

impl Scope<'_> {
    /// The side is the current user's id: `auth.uid()`, `auth.jwt() ->> 'sub'`, or the
    /// `setting` model's `current_setting('<setting>', …)`; wrapped or cast.
    fn is_user(&self, side: &str) -> bool {
        let c = core(side);
        if let Some((name, args)) = whole_call(c) {
            return match name.as_str() {
                "auth.uid" => args.is_empty(),
                // nullif(<user>, '') is the user, or NULL when there is none
                "nullif" => args.first().is_some_and(|a| self.is_user(a)),
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

pub(super) fn is_call(side: &str, name: &str) -> bool {
    whole_call(core(side)).is_some_and(|(n, a)| n == name && a.is_empty())
}

/// A string literal's value (`'x'::text` → `x`).
pub(super) fn literal_text(side: &str) -> Option<String> {
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
pub(super) fn is_constant(side: &str) -> bool {
    let t = toks(side);
    let mut in_type = false;
    !t.is_empty()
        && t.iter().all(|x| match x.kind {
            TokenKind::String
            | TokenKind::Number
            | TokenKind::OpenParen
            | TokenKind::CloseParen => {
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
pub(super) fn mentions_user(text: &str) -> bool {
    let t = toks(text);
    (0..t.len()).any(|i| {
        (word(t.get(i), "auth")
            && ch(t.get(i + 1), ".")
            && ["uid", "jwt", "role", "email"]
                .iter()
                .any(|f| word(t.get(i + 2), f)))
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

pub(super) fn unknown(text: &str) -> Atom {
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
                if literal_text(other).as_deref() == Some("") {
                    return Atom::SignedIn;
                }
                return match scope.column(other) {
                    Some(c) => Atom::OwnerNot { columns: vec![c] },
                    None => unknown(s),
                };
            }
            if let Some(role) = role_literal(l, r) {
                // auth.role() <> 'anon'
                return if role == "anon" {
                    Atom::SignedIn
                } else {
                    unknown(s)
                };
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
            if literal_text(b).as_deref() == Some("") {
                return Atom::SignedOut;
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
        let (a, b) = (
            crate::audit::rules::one_line(core(l)),
            crate::audit::rules::one_line(core(r)),
        );
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

#[cfg(test)]
mod tests;
