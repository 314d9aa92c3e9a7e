//! Auth models (`supabase`, `setting`): the Supabase-compatible shim, and the statements that
//! make a session act as a given role and user (used by `-- as:` and the audit probe).
//!
//! Owns: the shim (`sql/*.sql`, one file per part), the decision which parts a project needs
//! ([`detect`], [`shim::plan`]), installing them, and the advice for Supabase extensions a
//! plain server lacks ([`extensions`]). Must not: decide what a test expects or what a finding
//! is, or print (what the shim installed is a [`ShimReport`] for the caller to render).

pub mod detect;
pub mod extensions;
pub mod shim;

use crate::config::{Auth, AuthModel};
use crate::sql::quote_literal;

pub use shim::{ensure_shim, ShimReport};

/// Every part of the shim, in installation order (for fingerprints of shadow templates).
pub const SHIM_SQL: &str = concat!(
    include_str!("sql/auth.sql"),
    include_str!("sql/extensions.sql"),
    include_str!("sql/storage.sql"),
    include_str!("sql/vault.sql"),
);

/// Whether SQL text really uses Supabase's objects (identifiers, not words in strings or
/// comments; see [`detect`]): the trigger of the shim.
pub fn refers_to_supabase_auth(text: &str) -> bool {
    detect::usage(text).any()
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
    fn assume_quotes_values() {
        let a = Auth::default();
        let s = assume_sql(&a, "authenticated", Some("x'y"));
        assert!(s.contains("x''y"), "{s}");
        assert!(s.ends_with("SET LOCAL ROLE authenticated"), "{s}");
    }
}
