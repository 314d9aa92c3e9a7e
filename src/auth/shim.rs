//! Installing the Supabase shim: which parts a run installs (a pure decision, [`plan`]) and
//! running their SQL in one transaction ([`ensure_shim`]).
//!
//! Owns: the order of the parts and what the report says was installed. Must not: print, or
//! install anything into a database that has an `auth` schema strata did not create (a real
//! Supabase database, or a project with its own `auth`).

use super::detect::{self, Usage};
use crate::config::{Auth, AuthModel, ShimConfig, ShimPart};
use crate::db::{self, DbError};
use sqlx::postgres::PgConnection;

/// The search path Supabase gives the roles that run migrations.
pub const SUPABASE_SEARCH_PATH: &str = "\"$user\", public, extensions";

/// What the shim installed in this run (for the progress event and the JSON outcome).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShimReport {
    /// The parts installed, in order.
    pub parts: Vec<ShimPart>,
    /// The objects they provide, e.g. `schema auth`, `table auth.users`, `role anon`.
    pub objects: Vec<String>,
    /// The database's new default `search_path`, when part `extensions` set it.
    pub search_path: Option<String>,
}

impl ShimReport {
    /// `auth (roles anon, …), extensions (…)`: one line for a note.
    pub fn summary(&self) -> String {
        self.parts
            .iter()
            .map(|p| format!("{p} ({})", provides(*p).join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What the database already has, as far as the shim cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present {
    /// Schema `auth` exists.
    pub auth: bool,
    /// Schema `auth` exists and strata's shim created it.
    pub auth_is_shim: bool,
    /// `pgcrypto` is installed in schema `extensions`.
    pub extensions: bool,
    pub storage: bool,
    pub vault: bool,
}

/// The parts to install, in order: nothing unless the model is `supabase` and the project
/// uses Supabase's objects; nothing into a database whose `auth` schema is not the shim's;
/// `auth` and `extensions` on any use (every Supabase database has them), `storage` and
/// `vault` only when the project refers to them; only enabled parts, only missing ones, and
/// never a schema the project creates itself.
pub fn plan(
    model: AuthModel,
    enabled: &ShimConfig,
    usage: &Usage,
    present: &Present,
) -> Vec<ShimPart> {
    if model != AuthModel::Supabase || !usage.any() || (present.auth && !present.auth_is_shim) {
        return Vec::new();
    }
    let wanted = [
        (ShimPart::Auth, !present.auth && !usage.defines_auth),
        (ShimPart::Extensions, !present.extensions),
        (
            ShimPart::Storage,
            usage.storage && !usage.defines_storage && !present.storage,
        ),
        (
            ShimPart::Vault,
            usage.vault && !usage.defines_vault && !present.vault,
        ),
    ];
    wanted
        .into_iter()
        .filter(|(part, needed)| *needed && enabled.enabled(*part))
        .map(|(part, _)| part)
        .collect()
}

/// The SQL of one part.
pub fn sql(part: ShimPart) -> &'static str {
    match part {
        ShimPart::Auth => include_str!("sql/auth.sql"),
        ShimPart::Extensions => include_str!("sql/extensions.sql"),
        ShimPart::Storage => include_str!("sql/storage.sql"),
        ShimPart::Vault => include_str!("sql/vault.sql"),
    }
}

/// What a part provides, as the report lists it.
pub fn provides(part: ShimPart) -> &'static [&'static str] {
    match part {
        ShimPart::Auth => &[
            "roles anon, authenticated, service_role, authenticator",
            "schema auth",
            "table auth.users",
            "table auth.identities",
            "functions auth.uid(), auth.role(), auth.email(), auth.jwt()",
            "default privileges on schema public for anon, authenticated, service_role",
        ],
        ShimPart::Extensions => &[
            "schema extensions",
            "extension pgcrypto",
            "extension uuid-ossp",
            "database search_path \"$user\", public, extensions",
        ],
        ShimPart::Storage => &[
            "schema storage",
            "table storage.buckets",
            "table storage.objects",
            "functions storage.foldername(), storage.filename(), storage.extension()",
        ],
        ShimPart::Vault => &[
            "schema vault",
            "table vault.secrets",
            "view vault.decrypted_secrets",
            "functions vault.create_secret(), vault.update_secret() (nothing encrypted)",
        ],
    }
}

/// Installs the parts of the shim this project needs and this database lacks (see [`plan`]),
/// in one transaction. `None` when nothing was installed.
pub async fn ensure_shim<'a>(
    conn: &mut PgConnection,
    auth: &Auth,
    texts: impl Iterator<Item = &'a str>,
) -> Result<Option<ShimReport>, DbError> {
    if auth.model != AuthModel::Supabase || !auth.shim.any() {
        return Ok(None);
    }
    let usage = detect::usage_of(texts);
    if !usage.any() {
        return Ok(None);
    }
    let present = present(conn).await?;
    let parts = plan(auth.model, &auth.shim, &usage, &present);
    if parts.is_empty() {
        return Ok(None);
    }
    install(conn, &parts).await?;
    Ok(Some(ShimReport {
        objects: parts
            .iter()
            .flat_map(|p| provides(*p).iter().map(|s| s.to_string()))
            .collect(),
        search_path: parts
            .contains(&ShimPart::Extensions)
            .then(|| SUPABASE_SEARCH_PATH.to_string()),
        parts,
    }))
}

/// What the database has of the shim's parts (also read by `policies apply --dry-run`).
pub async fn present(conn: &mut PgConnection) -> Result<Present, DbError> {
    // Simple-query protocol: `up` runs this, and must work through a transaction pooler.
    use sqlx::Row;
    let row = sqlx::raw_sql(
        "SELECT to_regnamespace('auth') IS NOT NULL AS auth, \
                coalesce(obj_description(to_regclass('auth.users'), 'pg_class') LIKE 'strata auth shim%', false) AS shim, \
                EXISTS (SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
                         WHERE e.extname = 'pgcrypto' AND n.nspname = 'extensions') AS extensions, \
                to_regnamespace('storage') IS NOT NULL AS storage, \
                to_regnamespace('vault') IS NOT NULL AS vault",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| DbError::query("looking for Supabase's schemas", &e))?;
    let get = |c: &str| -> Result<bool, DbError> {
        row.try_get(c)
            .map_err(|e| DbError::query("looking for Supabase's schemas", &e))
    };
    Ok(Present {
        auth: get("auth")?,
        auth_is_shim: get("shim")?,
        extensions: get("extensions")?,
        storage: get("storage")?,
        vault: get("vault")?,
    })
}

/// Runs `parts` in one transaction.
pub async fn install(conn: &mut PgConnection, parts: &[ShimPart]) -> Result<(), DbError> {
    let mut script = String::from("BEGIN;\n");
    for part in parts {
        script.push_str(sql(*part));
        script.push_str("\n;\n");
    }
    script.push_str("COMMIT;");
    if let Err(e) = db::execute_script(conn, &script).await {
        let _ = db::execute_script(conn, "ROLLBACK").await;
        let names: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        return Err(DbError::query(
            format!("installing the Supabase shim ({})", names.join(", ")),
            &e,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ShimPart::*;

    fn uses(sql: &str) -> Usage {
        detect::usage(sql)
    }

    #[test]
    fn nothing_without_a_real_use_or_outside_the_supabase_model() {
        let all = ShimConfig::all();
        let none = Present::default();
        assert!(plan(
            AuthModel::Supabase,
            &all,
            &uses("create table t (k text default 'anon')"),
            &none
        )
        .is_empty());
        assert!(plan(AuthModel::Setting, &all, &uses("select auth.uid()"), &none).is_empty());
        assert!(plan(
            AuthModel::Supabase,
            &ShimConfig::none(),
            &uses("select auth.uid()"),
            &none
        )
        .is_empty());
    }

    #[test]
    fn auth_and_extensions_on_any_use_storage_and_vault_when_referenced() {
        let all = ShimConfig::all();
        let none = Present::default();
        assert_eq!(
            plan(
                AuthModel::Supabase,
                &all,
                &uses("grant select on t to anon"),
                &none
            ),
            vec![Auth, Extensions]
        );
        assert_eq!(
            plan(
                AuthModel::Supabase,
                &all,
                &uses("create policy p on storage.objects using (auth.uid() is not null); select vault.create_secret('s')"),
                &none
            ),
            vec![Auth, Extensions, Storage, Vault]
        );
    }

    #[test]
    fn each_part_can_be_turned_off_and_present_parts_are_not_installed_again() {
        let u = uses("select storage.foldername(name), auth.uid()");
        let only_auth = ShimConfig::only(&[Auth]);
        assert_eq!(
            plan(AuthModel::Supabase, &only_auth, &u, &Present::default()),
            vec![Auth]
        );
        let shim_there = Present {
            auth: true,
            auth_is_shim: true,
            extensions: true,
            ..Present::default()
        };
        assert_eq!(
            plan(AuthModel::Supabase, &ShimConfig::all(), &u, &shim_there),
            vec![Storage]
        );
    }

    #[test]
    fn a_real_supabase_database_or_the_projects_own_schemas_are_left_alone() {
        let u = uses("select storage.foldername(name), auth.uid()");
        let supabase = Present {
            auth: true,
            ..Present::default()
        };
        assert!(plan(AuthModel::Supabase, &ShimConfig::all(), &u, &supabase).is_empty());
        let own = uses("create schema auth; create table auth.sessions (id int); create schema storage; create table storage.files (id int);");
        assert_eq!(
            plan(
                AuthModel::Supabase,
                &ShimConfig::all(),
                &own,
                &Present::default()
            ),
            vec![Extensions]
        );
    }

    #[test]
    fn the_report_says_what_each_part_provides() {
        let r = ShimReport {
            parts: vec![Auth, Storage],
            objects: Vec::new(),
            search_path: None,
        };
        let s = r.summary();
        assert!(
            s.starts_with("auth (roles anon, authenticated, service_role, authenticator"),
            "{s}"
        );
        assert!(
            s.contains("storage (schema storage, table storage.buckets"),
            "{s}"
        );
        for part in <ShimPart as strum::VariantArray>::VARIANTS {
            assert!(!provides(*part).is_empty());
            assert!(
                sql(*part).contains("strata auth shim"),
                "{part} marks its schema"
            );
        }
    }
}
