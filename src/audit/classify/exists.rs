//! `EXISTS ( SELECT … FROM rel alias WHERE … )` and `col IN ( SELECT … )` classified: the
//! parent's owner, a tenant membership, a user guard, or "visible with" another table, from the
//! correlation with the policy's row and the tests on the user.

use super::body::resolve_table;
use super::text::*;
use super::{mentions_user, unknown, Atom, Scope};
use crate::catalog::ConstraintKind;
use crate::sql::TokenKind;

/// `EXISTS ( SELECT … FROM rel alias WHERE … )`, or `col IN ( SELECT alias.x FROM … )` with
/// `col` the row's column.
pub(super) fn exists(scope: &Scope<'_>, sub: &str, in_column: Option<String>) -> Atom {
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
        let Some((l, r)) = binary(conj, "=") else {
            continue;
        };
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
