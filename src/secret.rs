//! Secrets in output: [`mask`] is the one function every printed string goes through (errors,
//! notes, progress lines, tables, JSON values, GitHub annotations, JUnit files), so that no
//! password strata was given is ever shown.
//!
//! Owns: recognising secrets in text and the registry of secrets strata has been handed. Must
//! not: print, or decide what is printed; it only rewrites text.
//!
//! Two layers, because neither alone is enough:
//! - **Patterns**: the password of a URL's userinfo (`scheme://user:PASSWORD@host`, also with
//!   unencoded `@`, `/`, `?`, `#` or `:` in the password, and malformed shapes such as
//!   `postgres:/user:pw@host` or `postgres:user:pw@host`), and the value of every key that
//!   names a secret in `key=value` text (query strings, libpq conninfo, `.env` lines), also when
//!   the key is repeated or percent-encoded (`p%61ssword=`).
//! - **Known secrets**: every connection string strata reads is [`register`]ed before it is
//!   parsed, so that the passwords it holds are replaced wherever they reappear, whatever a
//!   driver did to the text around them. Secrets shorter than [`MIN_KNOWN_LEN`] characters are
//!   not replaced this way (they would erase ordinary words); the patterns still catch them.

use std::borrow::Cow;
use std::sync::Mutex;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Known secrets shorter than this are left to the patterns.
pub const MIN_KNOWN_LEN: usize = 4;

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Whether [`KNOWN`] holds anything (read without its lock, for every string printed).
static ANY_KNOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Masks every secret in `text`: URL passwords, `password=…`-style values, and every registered
/// secret. Idempotent.
pub fn mask(text: &str) -> String {
    mask_cow(text).into_owned()
}

/// [`mask`] without a copy of text that holds no secret (nearly all of it): a report of a
/// thousand migrations is some fifteen thousand JSON strings (issue 14).
pub fn mask_cow(text: &str) -> Cow<'_, str> {
    // A string without `=` (a `key=value` secret) or `:` (a URL), when no secret is known, has
    // nothing to mask: most of a JSON report, checked without the registry's lock.
    if !text.contains(['=', ':']) && !ANY_KNOWN.load(std::sync::atomic::Ordering::Acquire) {
        return Cow::Borrowed(text);
    }
    // Known secrets first, whole, so that no pattern leaves a piece of one behind.
    let text = replace_known(text);
    let mut ranges = secret_values(&text);
    ranges.extend(userinfo_passwords(&text));
    if ranges.is_empty() {
        return text;
    }
    Cow::Owned(replace_ranges(&text, ranges))
}

/// Masks every string of a JSON value (keys and values), leaving its structure intact.
pub fn mask_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Cow::Owned(masked) = mask_cow(s) {
                if masked != *s {
                    *s = masked;
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        serde_json::Value::Object(fields) => {
            // Keys are field names nearly always: the map is rebuilt only when one changes.
            if fields.keys().any(|k| mask_cow(k) != k.as_str()) {
                let taken = std::mem::take(fields);
                for (k, mut val) in taken {
                    mask_json(&mut val);
                    fields.insert(mask(&k), val);
                }
            } else {
                fields.values_mut().for_each(mask_json);
            }
        }
        _ => {}
    }
}

/// Remembers the secrets a connection string holds (its userinfo password in every reading of
/// a possibly malformed URL, and the values of secret keys), raw and percent-decoded.
pub fn register_connection_string(raw: &str) {
    let mut found = Vec::new();
    for (start, end) in userinfo_password_candidates(raw) {
        found.push(raw[start..end].to_string());
    }
    for (start, end) in secret_values(raw) {
        found.push(raw[start..end].to_string());
    }
    for s in found {
        register(&s);
    }
}

/// Remembers one secret (and its percent-decoded form).
pub fn register(secret: &str) {
    let decoded = percent_decode(secret);
    let quoted = secret
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .map(str::to_string);
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    for s in [Some(secret.to_string()), Some(decoded), quoted]
        .into_iter()
        .flatten()
    {
        if s.chars().count() >= MIN_KNOWN_LEN && s != MASK && !known.contains(&s) {
            known.push(s);
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
    if !known.is_empty() {
        ANY_KNOWN.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Registers the secrets of a `.env` file: values of keys that name a secret, and every value
/// that looks like a connection string.
pub fn register_env_value(key: &str, value: &str) {
    if is_secret_key(key) {
        register(value);
    }
    if looks_like_connection_string(value) {
        register_connection_string(value);
    }
}

/// Whether a value is probably a connection string (URL or libpq `key=value` list).
pub fn looks_like_connection_string(value: &str) -> bool {
    value.contains("://")
        || value.to_ascii_lowercase().starts_with("postgres")
        || !secret_values(value).is_empty()
}

fn replace_known(text: &str) -> Cow<'_, str> {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for s in known.iter() {
        if out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), MASK));
        }
    }
    out
}

/// Whether a (decoded, any case) key names a secret: `password`, `PGPASSWORD`,
/// `sslpassword`, `DB_PASSWORD`, `passwd`, `pwd`, `pass`, `API_SECRET`, `AUTH_TOKEN`, …
pub fn is_secret_key(key: &str) -> bool {
    let k = percent_decode(key).to_ascii_lowercase();
    let k = k.trim();
    k.ends_with("password")
        || k.ends_with("passwd")
        || k.ends_with("secret")
        || k.ends_with("token")
        || k == "pwd"
        || k == "pass"
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_%.-".contains(&b)
}

/// Byte ranges of the values of secret keys in `key=value` text: up to whitespace or `&`, or a
/// quoted value (libpq's `'…'` with `\'` escapes, `.env`'s `"…"`).
fn secret_values(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for (eq, _) in text.match_indices('=') {
        let mut k = eq;
        while k > 0 && is_key_byte(bytes[k - 1]) {
            k -= 1;
        }
        if k == eq || !is_secret_key(&text[k..eq]) {
            continue;
        }
        let start = eq + 1;
        let end = if let Some(&q @ (b'\'' | b'"')) = bytes.get(start) {
            let mut i = start + 1;
            loop {
                match bytes.get(i) {
                    None => break text.len(),
                    Some(b'\\') => i += 2,
                    Some(&b) if b == q => break i + 1,
                    Some(_) => i += 1,
                }
            }
            .min(text.len())
        } else {
            let end = text[start..]
                .find(|c: char| c.is_whitespace() || c == '&')
                .map_or(text.len(), |i| start + i);
            // `…?password=x: connection refused`: the colon belongs to the sentence. (A
            // registered password that ends in `:` was replaced whole before this.)
            if end > start + 1 && bytes[end - 1] == b':' {
                end - 1
            } else {
                end
            }
        };
        if end > start && &text[start..end] != MASK {
            ranges.push((start, end));
        }
    }
    ranges
}

/// Byte ranges of URL userinfo passwords, one per URL in `text`: the pattern layer.
fn userinfo_passwords(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    for u in url_starts(text) {
        let token_end = text[u..]
            .find(char::is_whitespace)
            .map_or(text.len(), |i| u + i);
        let token = &text[u..token_end];
        let Some(at) = choose_at(token) else {
            continue;
        };
        let userinfo = &token[..at];
        if let Some(colon) = userinfo.find(':') {
            let (s, e) = (u + colon + 1, u + at);
            if e > s && &text[s..e] != MASK {
                ranges.push((s, e));
            }
        }
    }
    ranges
}

/// Every reading of a connection string's userinfo password (used for the registry): between
/// the first `:` and each `@` of the whole string.
fn userinfo_password_candidates(raw: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for u in url_starts(raw) {
        let rest = &raw[u..];
        let Some(colon) = rest.find(':') else {
            continue;
        };
        for (at, _) in rest.match_indices('@') {
            if at > colon + 1 {
                out.push((u + colon + 1, u + at));
            }
        }
    }
    out
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '.' || c == '-'
}

/// Where the authority of each URL in `text` starts: after `scheme:` and its slashes. A scheme
/// is followed by at least one `/`, except `postgres:`/`postgresql:`, which count without.
fn url_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    for (colon, _) in text.match_indices(':') {
        let mut s = colon;
        while s > 0 && is_scheme_char(bytes[s - 1] as char) {
            s -= 1;
        }
        // The scheme starts with a letter and is not the tail of a longer word.
        while s < colon && !bytes[s].is_ascii_alphabetic() {
            s += 1;
        }
        if s == colon {
            continue;
        }
        let scheme = text[s..colon].to_ascii_lowercase();
        let mut after = colon + 1;
        while bytes.get(after) == Some(&b'/') {
            after += 1;
        }
        let slashes = after - colon - 1;
        let postgres = scheme.ends_with("postgres") || scheme.ends_with("postgresql");
        if slashes > 0 || postgres {
            // A userinfo cannot start with the `:` of `scheme::` (nor is `host:port` one).
            starts.push(after);
        }
    }
    starts
}

/// The `@` that ends a URL's userinfo in `token`: the last one followed by something that looks
/// like a host (then the end, `/`, `?`, `#` or punctuation); else the last one at all.
fn choose_at(token: &str) -> Option<usize> {
    let ats: Vec<usize> = token.match_indices('@').map(|(i, _)| i).collect();
    let last = *ats.last()?;
    for &at in ats.iter().rev() {
        let rest = &token[at + 1..];
        let host_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._~%-[]:,".contains(c)))
            .unwrap_or(rest.len());
        let next = rest[host_len..].chars().next();
        if host_len > 0 && !matches!(next, Some('=' | '&' | '@')) {
            return Some(at);
        }
    }
    Some(last)
}

/// Replaces each range with [`MASK`]; overlapping or touching ranges become one.
fn replace_ranges(text: &str, mut ranges: Vec<(usize, usize)>) -> String {
    if ranges.is_empty() {
        return text.to_string();
    }
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e) in merged {
        out.push_str(&text[pos..s]);
        out.push_str(MASK);
        pos = e;
    }
    out.push_str(&text[pos..]);
    out
}

/// `%XX` decoded; invalid sequences and non-UTF-8 results are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests;
