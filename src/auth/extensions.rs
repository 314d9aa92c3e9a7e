//! Advice for the extensions Supabase projects use that a plain PostgreSQL does not ship
//! (`pg_cron`, `http`, `vector`, `pg_net`, …): when `CREATE EXTENSION` fails because the
//! server lacks one, the error names it and says how to install it.
//!
//! Owns: the table of known extensions and the hint text. Must not: install anything, or
//! change any other error. Decision (docs/supabase-shim.md): strata does not fake these
//! extensions (a stand-in `cron.schedule()` or `http()` would make migrations "pass" while
//! doing nothing); a migration that needs one stops with this advice.

/// How to get an extension onto a Debian/Ubuntu server, or where it comes from.
fn install_advice(name: &str) -> Option<&'static str> {
    Some(match name {
        "pg_cron" => {
            "install the server package postgresql-<major>-cron (Debian/Ubuntu, PGDG) and add \
             `shared_preload_libraries = 'pg_cron'` to postgresql.conf"
        }
        "http" | "pgsql-http" => {
            "install the server package postgresql-<major>-http (Debian/Ubuntu, PGDG)"
        }
        "vector" => "install the server package postgresql-<major>-pgvector (Debian/Ubuntu, PGDG)",
        "postgis" => {
            "install the server package postgresql-<major>-postgis-3 (Debian/Ubuntu, PGDG)"
        }
        "pgtap" => "install the server package postgresql-<major>-pgtap (Debian/Ubuntu, PGDG)",
        "pgsodium" => "install pgsodium (built from source, or the PGDG package where one exists)",
        "pgjwt" => "install pgjwt (a SQL-only extension: `make install` from its source)",
        "pg_net" => "build pg_net from supabase/pg_net (no distribution package) and preload it",
        "pg_graphql" => {
            "build pg_graphql from supabase/pg_graphql (a pgrx extension; no distribution package)"
        }
        "supabase_vault" => {
            "build supabase_vault from supabase/vault, or let strata's shim stand in for it \
             (part \"vault\"; the migration then uses vault.* without creating the extension)"
        }
        "pg_tle" => "build pg_tle from aws/pg_tle and add it to shared_preload_libraries",
        "pg_jsonschema" => "build pg_jsonschema from supabase/pg_jsonschema (a pgrx extension)",
        "pg_stat_monitor" => "install the server package postgresql-<major>-pg-stat-monitor",
        "timescaledb" => "install TimescaleDB's package for this server version and preload it",
        _ => return None,
    })
}

/// The extension named in PostgreSQL's "is not available" error (SQLSTATE 0A000):
/// `extension "pg_cron" is not available`.
pub fn unavailable_extension<'a>(code: &str, message: &'a str) -> Option<&'a str> {
    if code != "0A000" {
        return None;
    }
    let rest = message.strip_prefix("extension \"")?;
    let (name, tail) = rest.split_once('"')?;
    tail.trim_start()
        .starts_with("is not available")
        .then_some(name)
}

/// The hint for an error that says a known extension is missing: what the extension is
/// missing from and how to install it, or how to point strata at a server that has it.
pub fn hint_for(code: &str, message: &str) -> Option<String> {
    let name = unavailable_extension(code, message)?;
    let advice = install_advice(name)?;
    Some(format!(
        "the PostgreSQL server strata uses has no extension \"{name}\" (Supabase ships it, plain PostgreSQL does not): \
         {advice}; or run against a server that has it (--database-url, and --shadow-url for diff and verify-rollbacks). \
         strata does not fake it (docs/supabase-shim.md)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_extension_and_how_to_install_it() {
        let h = hint_for("0A000", "extension \"pg_cron\" is not available").unwrap();
        assert!(h.contains("no extension \"pg_cron\""), "{h}");
        assert!(h.contains("postgresql-<major>-cron"), "{h}");
        assert!(h.contains("shared_preload_libraries"), "{h}");
        assert!(h.contains("--shadow-url"), "{h}");
        let v = hint_for("0A000", "extension \"vector\" is not available").unwrap();
        assert!(v.contains("pgvector"), "{v}");
        assert!(hint_for("0A000", "extension \"http\" is not available")
            .unwrap()
            .contains("postgresql-<major>-http"));
    }

    #[test]
    fn other_errors_and_unknown_extensions_get_no_hint() {
        assert_eq!(
            hint_for("42P01", "extension \"pg_cron\" is not available"),
            None
        );
        assert_eq!(
            hint_for("0A000", "extension \"my_own\" is not available"),
            None
        );
        assert_eq!(hint_for("0A000", "cannot use CONCURRENTLY here"), None);
        assert_eq!(
            unavailable_extension("0A000", "extension \"pg_net\" is not available"),
            Some("pg_net")
        );
    }
}
