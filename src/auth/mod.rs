//! Auth models (`supabase`, `setting`): the Supabase-compatible shim, and the statements that
//! make a session act as a given role and user (used by `-- as:` and the audit probe).
//!
//! Owns: `shim.sql` and the decision whether a project needs it. Must not: decide what a test
//! expects or what a finding is.

use crate::config::{Auth, AuthModel};
use crate::db::{self, DbError};
use crate::sql::quote_literal;
use sqlx::postgres::PgConnection;

/// The shim: roles `anon`, `authenticated`, `service_role`, schema `auth`, `auth.users`,
/// `auth.uid()`, `auth.role()`, `auth.email()`, `auth.jwt()`. Idempotent.
pub const SHIM_SQL: &str = include_str!("shim.sql");

/// Whether SQL text refers to Supabase's auth schema or roles (a word-boundary match on
/// `auth.` and on the three role names).
pub fn refers_to_supabase_auth(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let word_at = |i: usize, w: &str| -> bool {
        let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let end = i + w.len();
        let after_ok = w.ends_with('.')
            || end >= bytes.len()
            || !(bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
        before_ok && after_ok
    };
    for w in ["auth.", "anon", "authenticated", "service_role"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(w) {
            let at = from + i;
            if word_at(at, w) {
                return true;
            }
            from = at + w.len();
        }
    }
    false
}

/// Installs the shim when configured, missing, and needed by `texts`. Returns whether it did.
pub async fn ensure_shim<'a>(
    conn: &mut PgConnection,
    auth: &Auth,
    mut texts: impl Iterator<Item = &'a str>,
) -> Result<bool, DbError> {
    if !auth.shim || auth.model != AuthModel::Supabase {
        return Ok(false);
    }
    let present: bool = sqlx::query_scalar("SELECT to_regnamespace('auth') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| DbError::query("looking for schema auth", &e))?;
    if present || !texts.any(refers_to_supabase_auth) {
        return Ok(false);
    }
    install_shim(conn).await?;
    Ok(true)
}

/// Runs the shim in one transaction.
pub async fn install_shim(conn: &mut PgConnection) -> Result<(), DbError> {
    let script = format!("BEGIN;\n{SHIM_SQL}\n;\nCOMMIT;");
    if let Err(e) = db::execute_script(conn, &script).await {
        let _ = db::execute_script(conn, "ROLLBACK").await;
        return Err(DbError::query("installing the Supabase auth shim", &e));
    }
    Ok(())
}

/// SQL that makes the current transaction act as `role` (and user `user_id`) under the
/// configured model, until the transaction or savepoint ends. Values are quoted literals.
pub fn assume_sql(auth: &Auth, role: &str, user_id: Option<&str>) -> String {
    let ident = crate::sql::quote_ident(role);
    match auth.model {
        AuthModel::Supabase => {
            let mut claims = serde_json::Map::new();
            claims.insert("role".into(), serde_json::Value::String(role.into()));
            if let Some(u) = user_id {
                claims.insert("sub".into(), serde_json::Value::String(u.into()));
            }
            let claims = serde_json::Value::Object(claims).to_string();
            let mut s = format!(
                "SELECT set_config('request.jwt.claims', {}, true), set_config('request.jwt.claim.sub', {}, true), set_config('request.jwt.claim.role', {}, true)",
                quote_literal(&claims),
                quote_literal(user_id.unwrap_or("")),
                quote_literal(role)
            );
            if let Some(setting) = &auth.setting {
                s.push_str(&format!(
                    ", set_config({}, {}, true)",
                    quote_literal(setting),
                    quote_literal(user_id.unwrap_or(""))
                ));
            }
            s.push_str(&format!(";\nSET LOCAL ROLE {ident}"));
            s
        }
        AuthModel::Setting => {
            let setting = auth.setting.as_deref().unwrap_or("app.current_user_id");
            format!(
                "SELECT set_config({}, {}, true);\nSET LOCAL ROLE {ident}",
                quote_literal(setting),
                quote_literal(user_id.unwrap_or(""))
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_supabase_references() {
        assert!(refers_to_supabase_auth("references auth.users(id)"));
        assert!(refers_to_supabase_auth(
            "grant select on t to authenticated;"
        ));
        assert!(refers_to_supabase_auth(
            "USING ((select AUTH.uid()) = user_id)"
        ));
        assert!(!refers_to_supabase_auth(
            "create table oauth.tokens(); -- authentication"
        ));
        assert!(!refers_to_supabase_auth("create table t (anonymous bool)"));
    }

    #[test]
    fn assume_quotes_values() {
        let a = Auth::default();
        let s = assume_sql(&a, "authenticated", Some("x'y"));
        assert!(s.contains("x''y"), "{s}");
        assert!(s.ends_with("SET LOCAL ROLE authenticated"), "{s}");
    }
}
