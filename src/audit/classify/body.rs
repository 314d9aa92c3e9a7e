//! Helper functions seen from their bodies (`pg_get_functiondef`): which tables a body reads
//! or writes, and whether it is a tenant-membership test (a table read with a member column
//! compared to the user and another compared to the function's parameter). Also where a name
//! resolves in the catalog, and `col = <value>` pins.

use super::text::*;
use super::{is_constant, mentions_user, Scope};
use crate::catalog::Catalog;
use crate::sql::TokenKind;

pub(super) fn lower_contains(text: &str, what: &str) -> bool {
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
            let tag_end = t
                .text
                .get(1..)
                .and_then(|x| x.find('$'))
                .map_or(0, |i| i + 2);
            return t
                .text
                .get(tag_end..t.text.len().saturating_sub(tag_end))
                .unwrap_or(t.text);
        }
    }
    definition
}

/// The name of the function's argument `i` (`p_tribe_id uuid, x int` → `p_tribe_id`).
pub(super) fn param_name(arguments: &str, i: usize) -> Option<String> {
    let arg = split_top(arguments, |t, j| ch(t.get(j), ","))
        .into_iter()
        .nth(i)?;
    let t = toks(arg);
    let first = t.first()?;
    let mode = ["in", "out", "inout", "variadic"]
        .iter()
        .any(|m| first.text.eq_ignore_ascii_case(m));
    let name_tok = if mode { t.get(1)? } else { first };
    // A lone type (`uuid`) has no name.
    (t.len() >= if mode { 3 } else { 2 })
        .then(|| ident(name_tok))
        .flatten()
}

/// In a helper's body: a table read with a user column compared to the user and a column
/// compared to the parameter `param` (or, without a name, `$1`): `(table, tenant column, member
/// columns)`.
pub(super) fn body_membership(
    scope: &Scope<'_>,
    body: &str,
    param: Option<&str>,
) -> Option<(String, String, Vec<String>)> {
    let t = toks(body);
    // Tables read: FROM/JOIN <name> [alias].
    let mut tables: Vec<(String, Option<String>)> = Vec::new();
    for i in 0..t.len() {
        if word(t.get(i), "from") || word(t.get(i), "join") {
            let Some(a) = t.get(i + 1).and_then(ident) else {
                continue;
            };
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
    let (table, alias) = tables
        .into_iter()
        .find_map(|(n, a)| resolve_table(scope.catalog, &n).map(|k| (k, a)))?;
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
pub(super) fn chain_before(t: &[Tok<'_>], i: usize) -> Option<String> {
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
pub(super) fn operand_after<'a>(text: &'a str, t: &[Tok<'_>], i: usize) -> &'a str {
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
                    || whole_call(core(b))
                        .is_some_and(|(_, args)| args.iter().all(|x| is_constant(x)));
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
        let Some(a) = t.get(i + 1).and_then(ident) else {
            continue;
        };
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
        let key = format!(
            "{}.{}",
            crate::sql::quote_ident(s),
            crate::sql::quote_ident(n)
        );
        return cat.tables.contains_key(&key).then_some(key);
    }
    cat.tables
        .iter()
        .find(|(_, t)| t.name == name)
        .map(|(k, _)| k.clone())
}
