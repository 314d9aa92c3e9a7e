//! Whether a project really uses Supabase's objects: the `auth`, `storage` and `vault` schemas
//! or the API roles referenced as identifiers, read with strata's SQL tokenizer.
//!
//! Owns: the pure decision "which parts of the shim does this SQL need". Must not: connect,
//! install anything, or look at words inside string literals and comments (`DEFAULT 'anon'`,
//! `-- for authenticated users` are not uses). Function bodies in dollar quotes are code and
//! are read like the rest; SQL built at run time inside single-quoted strings (`EXECUTE 'GRANT
//! … TO anon'`) is not seen.

use crate::sql::{tokens, TokenKind};

/// The Supabase API roles the shim creates.
pub const API_ROLES: [&str; 3] = ["anon", "authenticated", "service_role"];

/// What a text uses (`true`) of Supabase's objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// `auth.<name>` (`auth.uid()`, `auth.users`, …).
    pub auth_schema: bool,
    /// `anon`, `authenticated` or `service_role` where a role name goes (`TO`, `FROM`,
    /// `GRANT`, `REVOKE`, `ROLE` other than `CREATE ROLE` / `DROP ROLE`, and the lists after them).
    pub roles: bool,
    /// `storage.<name>`.
    pub storage: bool,
    /// `vault.<name>`.
    pub vault: bool,
    /// `CREATE SCHEMA [IF NOT EXISTS] auth`: the project brings its own auth schema.
    pub defines_auth: bool,
    /// `CREATE SCHEMA [IF NOT EXISTS] storage`.
    pub defines_storage: bool,
    /// `CREATE SCHEMA [IF NOT EXISTS] vault`.
    pub defines_vault: bool,
}

impl Usage {
    /// Anything of Supabase's referenced at all (the trigger of the shim).
    pub fn any(&self) -> bool {
        self.auth_schema || self.roles || self.storage || self.vault
    }

    /// Both texts' uses together.
    pub fn merge(self, other: Usage) -> Usage {
        Usage {
            auth_schema: self.auth_schema || other.auth_schema,
            roles: self.roles || other.roles,
            storage: self.storage || other.storage,
            vault: self.vault || other.vault,
            defines_auth: self.defines_auth || other.defines_auth,
            defines_storage: self.defines_storage || other.defines_storage,
            defines_vault: self.defines_vault || other.defines_vault,
        }
    }
}

/// How deep dollar-quoted bodies inside dollar-quoted bodies are read.
const MAX_DEPTH: usize = 4;

/// The uses in one SQL text.
pub fn usage(sql: &str) -> Usage {
    let mut u = Usage::default();
    scan(sql, 0, &mut u);
    u
}

/// The uses in several texts.
pub fn usage_of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Usage {
    texts
        .into_iter()
        .fold(Usage::default(), |acc, t| acc.merge(usage(t)))
}

/// A significant token: a word (lower-cased; quoted identifiers unquoted, case kept) or a
/// punctuation character.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Punct(char),
    Other,
}

fn scan(sql: &str, depth: usize, u: &mut Usage) {
    let mut toks: Vec<Tok> = Vec::new();
    for token in tokens(sql) {
        let Ok(token) = token else { break };
        let text = sql.get(token.start..token.end).unwrap_or("");
        match token.kind {
            TokenKind::LineComment | TokenKind::BlockComment | TokenKind::MetaCommand => {}
            TokenKind::Word => toks.push(Tok::Word(text.to_ascii_lowercase())),
            TokenKind::QuotedIdent => toks.push(Tok::Word(unquote_ident(text))),
            TokenKind::DollarString => {
                if depth < MAX_DEPTH {
                    scan(dollar_body(text), depth + 1, u);
                }
                toks.push(Tok::Other);
            }
            TokenKind::Semicolon => toks.push(Tok::Punct(';')),
            TokenKind::OpenParen => toks.push(Tok::Punct('(')),
            TokenKind::CloseParen => toks.push(Tok::Punct(')')),
            TokenKind::Other => toks.push(text.chars().next().map_or(Tok::Other, Tok::Punct)),
            TokenKind::String | TokenKind::Number => toks.push(Tok::Other),
        }
    }
    judge(&toks, u);
}

fn judge(toks: &[Tok], u: &mut Usage) {
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let dot_after = |i: usize| toks.get(i + 1) == Some(&Tok::Punct('.'));
    // A role name is expected after these words, and after a comma that follows a role name.
    let mut expecting_role = false;
    for (i, tok) in toks.iter().enumerate() {
        let w = word(i);
        if let Some(w) = w {
            if dot_after(i) && (i == 0 || toks.get(i - 1) != Some(&Tok::Punct('.'))) {
                match w {
                    "auth" => u.auth_schema = true,
                    "storage" => u.storage = true,
                    "vault" => u.vault = true,
                    _ => {}
                }
            }
            if expecting_role && API_ROLES.contains(&w) {
                u.roles = true;
            }
            if w == "schema" && word(i.wrapping_sub(1)) == Some("create") {
                let mut j = i + 1;
                if word(j) == Some("if")
                    && word(j + 1) == Some("not")
                    && word(j + 2) == Some("exists")
                {
                    j += 3;
                }
                match word(j) {
                    Some("auth") if !dot_after(j) => u.defines_auth = true,
                    Some("storage") if !dot_after(j) => u.defines_storage = true,
                    Some("vault") if !dot_after(j) => u.defines_vault = true,
                    _ => {}
                }
            }
        }
        expecting_role = match (tok, w) {
            (_, Some("to" | "from" | "grant" | "revoke")) => true,
            (_, Some("role")) => !matches!(word(i.wrapping_sub(1)), Some("create" | "drop")),
            // `TO anon, authenticated`: the list goes on after a comma.
            (Tok::Punct(','), _) => was_role_list(toks, i),
            _ => false,
        };
    }
}

/// Whether the comma at `comma` continues a list that started right after a role keyword:
/// walks back over `name ,` pairs to the keyword.
fn was_role_list(toks: &[Tok], comma: usize) -> bool {
    let mut i = comma;
    loop {
        // toks[i] is a comma; before it a name, before that a comma or the keyword.
        let Some(name_at) = i.checked_sub(1) else {
            return false;
        };
        if !matches!(toks.get(name_at), Some(Tok::Word(_))) {
            return false;
        }
        let Some(before) = name_at.checked_sub(1) else {
            return false;
        };
        match toks.get(before) {
            Some(Tok::Punct(',')) => i = before,
            Some(Tok::Word(w)) => {
                return match w.as_str() {
                    "to" | "from" | "grant" | "revoke" => true,
                    "role" => !matches!(
                        before.checked_sub(1).and_then(|k| toks.get(k)),
                        Some(Tok::Word(p)) if p == "create" || p == "drop"
                    ),
                    _ => false,
                };
            }
            _ => return false,
        }
    }
}

/// `"my ""name"""` → `my "name"`.
fn unquote_ident(text: &str) -> String {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    inner.replace("\"\"", "\"")
}

/// The text between the opening `$tag$` and the closing one.
fn dollar_body(text: &str) -> &str {
    let Some(rest) = text.strip_prefix('$') else {
        return "";
    };
    let Some(tag_end) = rest.find('$') else {
        return "";
    };
    let delimiter_len = tag_end + 2;
    text.get(delimiter_len..text.len().saturating_sub(delimiter_len))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_schema_references_are_uses() {
        assert!(usage("create table t (u uuid references auth.users(id));").auth_schema);
        assert!(usage("USING ((select AUTH.uid()) = user_id)").auth_schema);
        assert!(usage(r#"select "auth"."uid"()"#).auth_schema);
        assert!(!usage("create table oauth.tokens (); -- auth.users").auth_schema);
        assert!(!usage("select 'auth.uid()'").auth_schema);
        // a column of a table called auth in another schema is not the auth schema
        assert!(!usage("select x.auth.y from x").auth_schema);
    }

    #[test]
    fn role_names_count_only_where_a_role_goes() {
        assert!(usage("grant select on t to anon;").roles);
        assert!(usage("grant select on t to public, authenticated;").roles);
        assert!(usage("create policy p on t for select to authenticated using (true);").roles);
        assert!(usage("revoke all on t from service_role;").roles);
        assert!(
            usage("alter default privileges in schema public grant all on tables to anon").roles
        );
        assert!(usage("set local role authenticated;").roles);
        assert!(usage("grant anon to authenticator;").roles);
        assert!(usage(r#"grant select on t to "anon";"#).roles);
    }

    #[test]
    fn role_words_in_strings_comments_and_columns_are_not_uses() {
        // the bug of issue 13: a default value mentioning a role installed the shim
        assert_eq!(
            usage("create table t (kind text default 'anon');"),
            Usage::default()
        );
        assert_eq!(
            usage("-- only authenticated users\n/* anon */ create table t (id int);"),
            Usage::default()
        );
        assert_eq!(
            usage("create table t (anon boolean, authenticated boolean);"),
            Usage::default()
        );
        assert_eq!(usage("create table t (anonymous bool)"), Usage::default());
        // a project that creates the roles itself does not need the shim's
        assert_eq!(
            usage("create role anon nologin; drop role authenticated;"),
            Usage::default()
        );
    }

    #[test]
    fn function_bodies_in_dollar_quotes_are_code() {
        let f = "create function f() returns uuid language sql as $$ select auth.uid() $$;";
        assert!(usage(f).auth_schema);
        let nested =
            "do $outer$ begin execute $q$ select storage.foldername(name) $q$; end $outer$;";
        assert!(usage(nested).storage);
        let plpgsql = "create function g() returns void language plpgsql as $body$\nbegin\n  perform 'auth.uid()';\nend\n$body$;";
        assert!(!usage(plpgsql).auth_schema);
    }

    #[test]
    fn storage_and_vault_and_own_schemas() {
        let u = usage("insert into storage.buckets (id, name) values ('a', 'a'); select vault.create_secret('x');");
        assert!(u.storage && u.vault && !u.auth_schema && !u.roles);
        assert!(u.any());
        let own = usage("create schema if not exists auth; create table auth.sessions (id int);");
        assert!(own.defines_auth && own.auth_schema);
        assert!(usage("CREATE SCHEMA storage;").defines_storage);
        assert!(!usage("create schema app;").defines_auth);
    }

    #[test]
    fn uses_of_several_texts_add_up() {
        let u = usage_of(["select auth.uid()", "grant select on t to anon", "select 1"]);
        assert!(u.auth_schema && u.roles && !u.storage);
        assert!(!usage_of(["select 1", "create table t (x int)"]).any());
    }
}
