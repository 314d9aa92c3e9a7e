//! The Supabase shim (docs/supabase-shim.md): installed only on real use, says what it
//! installs, gives exactly Supabase's default privileges, each part can be turned off, and
//! real Supabase projects apply on it without edits (the chatbot fixture here; basejump and
//! supabase-dbdev from ../shared/corpora).

mod support;
use support::*;

const SHIM_NOTE: &str = "installed the Supabase auth shim";

fn project(toml: &str, migration: &str) -> Project {
    let p = Project::new();
    p.write("strata.toml", toml)
        .write("migrations/001_init.sql", migration);
    p
}

#[test]
fn role_names_in_strings_and_comments_install_nothing() {
    // issue 13: `DEFAULT 'anon'` used to install the shim and open every table to anon
    let p = project(
        "[auth]\nshim = true\n",
        "-- readable by authenticated users later\n\
         create table public.visits (id int primary key, kind text not null default 'anon');\n",
    );
    let db = TestDb::new("shim_strings");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_not_contains(SHIM_NOTE);
    assert_eq!(
        db.sql("SELECT to_regnamespace('auth') IS NULL AND to_regnamespace('extensions') IS NULL"),
        "t"
    );
    assert_eq!(db.sql("SELECT count(*) FROM pg_default_acl"), "0");
}

#[test]
fn a_real_use_installs_auth_and_extensions_with_supabases_default_privileges() {
    let p = project(
        "[auth]\nshim = true\n",
        "create table public.notes (id uuid primary key default uuid_generate_v4(), \
           owner uuid references auth.users (id), body text);\n",
    );
    let db = TestDb::new("shim_use");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("installed the Supabase auth shim: auth (roles anon, authenticated, service_role, authenticator")
        .assert_contains("extensions (schema extensions, extension pgcrypto, extension uuid-ossp")
        .assert_not_contains("storage (")
        .assert_not_contains("vault (");
    // exactly Supabase's: ALL on tables, sequences, functions in public for postgres and the
    // three API roles, for the role that ran the migrations
    assert_eq!(
        db.sql(
            "SELECT string_agg(format('%s %s %s', pg_get_userbyid(d.defaclrole), d.defaclobjtype, \
               (SELECT string_agg(r.rolname, ',' ORDER BY r.rolname) FROM aclexplode(d.defaclacl) a \
                  JOIN pg_roles r ON r.oid = a.grantee WHERE a.privilege_type IN ('SELECT', 'EXECUTE'))), \
               E'\\n' ORDER BY d.defaclobjtype) \
             FROM pg_default_acl d WHERE d.defaclnamespace = 'public'::regnamespace"
        ),
        "postgres S anon,authenticated,postgres,service_role\n\
         postgres f anon,authenticated,postgres,service_role\n\
         postgres r anon,authenticated,postgres,service_role"
    );
    assert_eq!(
        db.sql("SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'"),
        "t"
    );
    assert_eq!(
        db.sql("SELECT pg_has_role('authenticator', 'anon', 'MEMBER')"),
        "t"
    );
    assert_eq!(
        db.sql("SELECT to_regclass('auth.identities') IS NOT NULL"),
        "t"
    );
    // the migration's unqualified uuid_generate_v4() came from schema extensions
    assert!(db
        .sql("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'public.notes'::regclass")
        .contains("uuid_generate_v4()"));
    assert!(db
        .sql("SELECT setconfig::text FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())")
        .contains("extensions"));
}

/// A migration that sets the database's search_path after the shim set its own: the later
/// migrations (in a new session) and the shadow database behind `diff` both follow the
/// migration's path, not the shim's (supabase/storage relies on `search_path=storage,public`).
#[test]
fn a_search_path_set_by_a_migration_wins_over_the_shims_live_and_on_the_shadow() {
    let p = project(
        "[auth]\nshim = true\n",
        "CREATE SCHEMA app;\n\
         DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = app, public, extensions', current_database()); END $$;\n",
    );
    // a later migration whose file names the Supabase roles (the shim is needed from the start)
    // and relies on the path: `notes` must land in schema app
    p.write(
        "migrations/002_notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, body text);\n\
         GRANT SELECT ON notes TO authenticated;\n",
    )
    .write(
        "strata.toml",
        "[auth]\nshim = true\n[database]\nschemas = [\"public\", \"app\"]\n",
    );
    let db = TestDb::new("shim_search_path");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains(SHIM_NOTE);
    assert_eq!(db.sql("SELECT to_regclass('app.notes') IS NOT NULL"), "t");
    p.strata(Some(&db), &["diff", "--exit-code"])
        .assert_ok()
        .assert_contains("No differences.");
}

#[test]
fn each_part_can_be_turned_off() {
    let migration = "create table public.t (id int primary key, owner uuid default auth.uid());\n\
                     create policy p on storage.objects for select to authenticated using (true);\n";
    let only_auth = project("[auth]\nshim = [\"auth\"]\n", migration);
    let db = TestDb::new("shim_only_auth");
    // storage is off: the migration that needs it fails on PostgreSQL's own error
    only_auth
        .strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("installed the Supabase auth shim: auth (")
        .assert_not_contains("extensions (")
        .assert_contains("schema \"storage\" does not exist");
    assert_eq!(db.sql("SELECT to_regnamespace('extensions') IS NULL"), "t");

    let off = project("[auth]\nshim = false\n", migration);
    let db = TestDb::new("shim_off");
    off.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_not_contains(SHIM_NOTE)
        .assert_contains("schema \"auth\" does not exist");

    let bad = project("[auth]\nshim = [\"auth\", \"realtime\"]\n", migration);
    bad.strata(Some(&db), &["status"])
        .assert_code(2)
        .assert_contains("realtime")
        .assert_contains("\"storage\"");
}

fn chatbot() -> Project {
    let p = Project::new();
    copy_dir(&repo_root().join("tests/fixtures/chatbot"), p.path());
    p
}

#[test]
fn a_chatbot_project_with_storage_policies_applies_diffs_clean_and_rolls_back() {
    let p = chatbot();
    let db = TestDb::new("shim_chatbot");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("storage (schema storage, table storage.buckets")
        .assert_contains("vault (schema vault")
        .assert_contains("Applied 3 migration(s)");
    assert_eq!(
        db.sql("SELECT storage.foldername('u1/c1/report.pdf')::text, storage.filename('u1/c1/report.pdf'), \
                storage.extension('u1/c1/report.tar.gz'), public.attachment_kind('a/b.pdf')"),
        "{u1,c1}|report.pdf|gz|document"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_policy WHERE polrelid = 'storage.objects'::regclass"),
        "3"
    );
    assert_eq!(
        db.sql("SELECT public.model_api_key()"),
        "sk-test-not-a-real-key"
    );
    // the gen_random_bytes() default works for a signed-in user's insert
    let uid = "11111111-1111-4111-8111-111111111111";
    db.sql(&format!(
        "INSERT INTO auth.users (id, email) VALUES ('{uid}', 'a@example.com')"
    ));
    assert_eq!(
        db.sql(&format!(
            "BEGIN; SELECT set_config('request.jwt.claims', '{{\"sub\": \"{uid}\", \"role\": \"authenticated\"}}', true); \
             SET LOCAL ROLE authenticated; \
             INSERT INTO public.chats (user_id) VALUES ('{uid}') RETURNING length(share_token); COMMIT;"
        ))
        .lines()
        .last()
        .unwrap_or(""),
        "24"
    );
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_ok()
    .assert_contains("No differences.");
    p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow_url()])
        .assert_ok()
        .assert_contains("3 exact");
}

/// A corpus's migrations (read in place) in a temp project with `toml`.
fn corpus_project(corpus: &str, toml: &str, first: usize) -> Project {
    let dir = corpus_dir(&format!("{corpus}/migrations"));
    let p = Project::new();
    p.write("strata.toml", toml);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|f| f.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for f in files.into_iter().take(first) {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        p.write(&format!("migrations/{name}"), &text);
    }
    p
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn basejump_applies_on_the_shim_without_edits_and_diffs_clean() {
    // No supabase-defaults file first: the shim's extensions part gives it gen_random_bytes().
    let p = corpus_project(
        "basejump",
        "[auth]\nshim = true\n[database]\nschemas = [\"public\", \"basejump\"]\n",
        usize::MAX,
    );
    let db = TestDb::new("shim_basejump");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("extensions (schema extensions")
        .assert_contains("Applied 4 migration(s)");
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_ok()
    .assert_contains("No differences.");
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn supabase_dbdev_stops_at_pg_cron_naming_it_and_how_to_install_it() {
    // Its first twelve files (the schema; later files also carry their own BEGIN/END blocks,
    // which strata refuses in a migration, and need http and pg_tle).
    let p = corpus_project("supabase-dbdev", "[auth]\nshim = true\n", 12);
    let db = TestDb::new("shim_dbdev");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migrations/20220117141357_extensions.sql:4:1")
        .assert_contains("extension \"pg_cron\" is not available")
        .assert_contains("no extension \"pg_cron\"")
        .assert_contains("postgresql-<major>-cron")
        .assert_contains("shared_preload_libraries");
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE success"),
        "0"
    );
}
