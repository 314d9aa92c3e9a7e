//! What the text of a statement says, for what running it cannot show: which command it is
//! (to word a finding and pick its fix), whether it sets `lock_timeout`, whether it is a
//! `TRUNCATE` (new storage, but no rewrite).
//!
//! Owns: lexical classification on top of [`crate::sql::tokens`]. Must not: parse SQL beyond
//! its leading keywords; anything that needs meaning is observed on the shadow instead.

use crate::sql::{self, TokenKind};

/// The leading keywords of a statement and what they imply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Words {
    /// Up to the first eight words and quoted names, lower-cased, comments skipped.
    words: Vec<String>,
    /// For `SET lock_timeout` / `RESET lock_timeout` / `set_config('lock_timeout', …)`:
    /// whether the statement leaves a (non-zero) lock timeout in force.
    pub lock_timeout: Option<bool>,
}

impl Words {
    pub fn of(stmt: &str) -> Words {
        let toks: Vec<(TokenKind, &str)> = sql::tokens(stmt)
            .map_while(Result::ok)
            .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
            .map(|t| (t.kind, stmt.get(t.start..t.end).unwrap_or("")))
            .collect();
        let words: Vec<String> = toks
            .iter()
            .filter(|(k, _)| matches!(k, TokenKind::Word | TokenKind::QuotedIdent))
            .take(8)
            .map(|(_, t)| t.to_ascii_lowercase())
            .collect();
        let lock_timeout = lock_timeout_effect(&toks);
        Words {
            words,
            lock_timeout,
        }
    }

    /// The statement starts with these keywords.
    pub fn starts(&self, keywords: &[&str]) -> bool {
        self.words.len() >= keywords.len() && keywords.iter().zip(&self.words).all(|(k, w)| k == w)
    }

    /// One of the first eight words is `word`.
    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    pub fn is_truncate(&self) -> bool {
        self.starts(&["truncate"])
    }

    pub fn is_vacuum_full(&self) -> bool {
        self.starts(&["vacuum"]) && self.has("full")
    }

    pub fn is_cluster(&self) -> bool {
        self.starts(&["cluster"])
    }

    pub fn is_refresh(&self) -> bool {
        self.starts(&["refresh", "materialized", "view"])
    }

    pub fn concurrently(&self) -> bool {
        self.has("concurrently")
    }

    /// The command as PostgreSQL's documentation names it (`ALTER TABLE`, `CREATE INDEX`),
    /// for messages.
    pub fn command(&self) -> String {
        let n = match self.words.first().map(String::as_str) {
            Some("create" | "alter" | "drop") => {
                if self.words.get(1).is_some_and(|w| {
                    matches!(
                        w.as_str(),
                        "unique" | "materialized" | "or" | "temp" | "temporary" | "unlogged"
                    )
                }) {
                    3
                } else {
                    2
                }
            }
            _ => 1,
        };
        self.words
            .iter()
            .take(n)
            .map(|w| w.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `SET [SESSION | LOCAL] lock_timeout {= | TO} value`, `RESET lock_timeout`,
/// `SELECT set_config('lock_timeout', 'value', …)`.
fn lock_timeout_effect(toks: &[(TokenKind, &str)]) -> Option<bool> {
    let word = |i: usize, w: &str| {
        toks.get(i)
            .is_some_and(|(k, t)| *k == TokenKind::Word && t.eq_ignore_ascii_case(w))
    };
    if word(0, "reset") && word(1, "lock_timeout") {
        return Some(false);
    }
    if word(0, "set") {
        let mut i = 1;
        if word(1, "session") || word(1, "local") {
            i = 2;
        }
        if !word(i, "lock_timeout") {
            return None;
        }
        let mut v = i + 1;
        if toks
            .get(v)
            .is_some_and(|(_, t)| *t == "=" || t.eq_ignore_ascii_case("to"))
        {
            v += 1;
        }
        return Some(toks.get(v).is_some_and(|(_, t)| value_is_nonzero(t)));
    }
    // set_config('lock_timeout', 'value', is_local)
    let at = toks
        .iter()
        .position(|(k, t)| *k == TokenKind::Word && t.eq_ignore_ascii_case("set_config"))?;
    let name = toks.get(at + 2)?;
    if name.0 != TokenKind::String
        || !name
            .1
            .trim_matches('\'')
            .eq_ignore_ascii_case("lock_timeout")
    {
        return None;
    }
    let value = toks.get(at + 4)?;
    Some(value_is_nonzero(value.1))
}

/// A `lock_timeout` value other than 0 and DEFAULT.
fn value_is_nonzero(text: &str) -> bool {
    let v = text.trim_matches('\'').trim().to_ascii_lowercase();
    if v.is_empty() || v == "default" {
        return false;
    }
    let digits: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    match digits.parse::<f64>() {
        Ok(n) => n > 0.0,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_timeout_statements() {
        assert_eq!(
            Words::of("SET lock_timeout = '5s'").lock_timeout,
            Some(true)
        );
        assert_eq!(
            Words::of("set local lock_timeout to 500").lock_timeout,
            Some(true)
        );
        assert_eq!(Words::of("SET lock_timeout = 0").lock_timeout, Some(false));
        assert_eq!(
            Words::of("SET lock_timeout TO DEFAULT").lock_timeout,
            Some(false)
        );
        assert_eq!(Words::of("RESET lock_timeout").lock_timeout, Some(false));
        assert_eq!(
            Words::of("SELECT set_config('lock_timeout', '2s', true)").lock_timeout,
            Some(true)
        );
        assert_eq!(Words::of("SET statement_timeout = '5s'").lock_timeout, None);
        assert_eq!(Words::of("ALTER TABLE t ADD c int").lock_timeout, None);
    }

    #[test]
    fn commands_are_named() {
        assert_eq!(
            Words::of("create unique index i on t (c)").command(),
            "CREATE UNIQUE INDEX"
        );
        assert_eq!(
            Words::of("-- c\nALTER TABLE t ADD c int").command(),
            "ALTER TABLE"
        );
        assert_eq!(Words::of("vacuum full t").command(), "VACUUM");
        assert!(Words::of("VACUUM (FULL) t").is_vacuum_full());
        assert!(Words::of("TRUNCATE t").is_truncate());
        assert!(Words::of("REFRESH MATERIALIZED VIEW v").is_refresh());
        assert!(Words::of("CREATE INDEX CONCURRENTLY i ON t (c)").concurrently());
    }
}
