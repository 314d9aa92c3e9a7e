//! Token-level reading of deparsed SQL for the classifier: significant tokens, enclosing
//! parentheses, top-level splits, operators, a side without casts and scalar-SELECT wrappers,
//! calls. Pure text functions over `sql::tokens`, so strings and quoted names never confuse
//! them.

use crate::sql::{tokens, TokenKind};

#[derive(Clone, Copy)]
pub(super) struct Tok<'a> {
    pub(super) kind: TokenKind,
    pub(super) text: &'a str,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) fn toks(text: &str) -> Vec<Tok<'_>> {
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

pub(super) fn word(t: Option<&Tok<'_>>, w: &str) -> bool {
    t.is_some_and(|t| t.kind == TokenKind::Word && t.text.eq_ignore_ascii_case(w))
}

pub(super) fn ch(t: Option<&Tok<'_>>, c: &str) -> bool {
    t.is_some_and(|t| t.kind == TokenKind::Other && t.text == c)
}

pub(super) fn ident(t: &Tok<'_>) -> Option<String> {
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

pub(super) const KEYWORDS: [&str; 24] = [
    "select", "from", "where", "and", "or", "not", "exists", "in", "is", "null", "true", "false",
    "as", "join", "on", "group", "order", "limit", "any", "all", "array", "case", "when", "then",
];

pub(super) fn is_keyword(t: &Tok<'_>) -> bool {
    t.kind == TokenKind::Word && KEYWORDS.iter().any(|k| t.text.eq_ignore_ascii_case(k))
}

/// The text without enclosing parentheses: `((a = b))` → `a = b`.
pub fn strip_parens(text: &str) -> &str {
    crate::audit::expr::strip_parens(text)
}

/// Splits at depth-0 tokens chosen by `is_sep`; parts trimmed.
pub(super) fn split_top(text: &str, is_sep: impl Fn(&[Tok<'_>], usize) -> bool) -> Vec<&str> {
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

pub(super) fn split_word<'a>(text: &'a str, w: &str) -> Vec<&'a str> {
    split_top(text, |t, i| word(t.get(i), w))
}

pub(super) const OPERATOR_CHARS: &str = "<>!=-+*/~|&^#@%";

/// The tokens from `i` spell exactly the operator `op` (each character its own token, glued
/// together, and not part of a longer operator: `=` is not found in `<=`, `>=`, `<>`).
pub(super) fn is_op(t: &[Tok<'_>], i: usize, op: &str) -> bool {
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
    !(glued(t.get(i + n), last, false) || i > 0 && glued(t.get(i - 1), first, true))
}

/// `a OP b` split at the first depth-0 `op`.
pub(super) fn binary<'a>(text: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
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
pub(super) fn core(text: &str) -> &str {
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
pub(super) fn call_at(t: &[Tok<'_>], i: usize) -> Option<(String, usize)> {
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
pub(super) fn whole_call(text: &str) -> Option<(String, Vec<&str>)> {
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
