//! `strata seed` and `strata reset` against a real PostgreSQL: SQL and CSV seeds, checksums,
//! `--force`, errors that name the row / table / columns and leave nothing, protected
//! environments, and reset's catalog state.

mod support;
use support::*;

const TOML: &str = "[database]\nschemas = [\"public\", \"app\"]\n\n[environments.prod]\nurl = \"postgres://localhost/prod\"\nprotected = true\n";

fn project() -> Project {
    let p = Project::new();
    p.write("strata.toml", TOML)
        .write(
            "migrations/001_core.sql",
            "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL UNIQUE);\n\
             CREATE TABLE items (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users(id), qty int NOT NULL CHECK (qty > 0), note text, created_at timestamptz NOT NULL DEFAULT now());\n\
             CREATE SCHEMA app;\n\
             CREATE TABLE app.tags (name text PRIMARY KEY);\n",
        )
        .write(
            "rollbacks/001_core.sql",
            "DROP SCHEMA app CASCADE;\nDROP TABLE items;\nDROP TABLE users;\n",
        )
        .write(
            "seeds/000_clear.sql",
            "-- lets --force reload: seeds start from empty tables\nTRUNCATE items, users, app.tags;\n",
        )
        .write(
            "seeds/001_users.sql",
            "INSERT INTO users (id, email) VALUES\n  (1, 'a@example.com'),\n  (2, 'b@example.com'),\n  (3, 'c@example.com');\n",
        )
        .write("seeds/002_items.csv", &items_csv(None))
        .write("seeds/003_app.tags.csv", "name\nred\nblue\n")
        .write("seeds/README.md", "not a seed\n");
    p
}

/// Eight data rows; `bad` replaces row 7's quantity.
fn items_csv(bad: Option<&str>) -> String {
    let mut s = String::from("id,user_id,qty,note\n");
    for i in 1..=8 {
        let qty = if i == 7 {
            bad.unwrap_or("7").to_string()
        } else {
            i.to_string()
        };
        let note = match i {
            2 => "\"with, comma\"".to_string(),
            3 => "\"say \"\"hi\"\"\"".to_string(),
            _ => format!("note {i}"),
        };
        s.push_str(&format!("{i},{},{qty},{note}\n", 1 + i % 3));
    }
    s
}

fn counts(db: &TestDb) -> String {
    db.sql("SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM items) || '/' || (SELECT count(*) FROM app.tags)")
}

#[test]
fn loads_sql_and_csv_then_skips_then_force_reloads() {
    let db = TestDb::new("seed_load");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    let r = p.strata(Some(&db), &["seed"]);
    r.assert_ok()
        .assert_contains("Loaded 4 seed file(s)")
        .assert_contains("seeds/002_items.csv")
        .assert_contains("app.tags")
        .assert_not_contains("README");
    assert_eq!(counts(&db), "3/8/2");
    assert_eq!(db.sql("SELECT note FROM items WHERE id = 3"), "say \"hi\"");
    assert_eq!(db.sql("SELECT note FROM items WHERE id = 2"), "with, comma");
    // defaults fill the columns the header leaves out
    assert_eq!(
        db.sql("SELECT count(*) FROM items WHERE created_at IS NOT NULL"),
        "8"
    );
    assert_eq!(
        db.sql("SELECT string_agg(file || ' ' || length(checksum), ',' ORDER BY file) FROM strata.seeds"),
        "000_clear.sql 64,001_users.sql 64,002_items.csv 64,003_app.tags.csv 64"
    );
    let first_at = db.sql("SELECT max(applied_at) FROM strata.seeds");

    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("seeds unchanged; nothing loaded (use --force to reload)");
    assert_eq!(db.sql("SELECT max(applied_at) FROM strata.seeds"), first_at);

    db.sql("DELETE FROM app.tags WHERE name = 'red'");
    p.strata(Some(&db), &["seed", "--force"])
        .assert_ok()
        .assert_contains("Loaded 4 seed file(s)");
    assert_eq!(counts(&db), "3/8/2");
    assert_ne!(db.sql("SELECT max(applied_at) FROM strata.seeds"), first_at);

    // a changed file is named and everything loads again
    p.write("seeds/003_app.tags.csv", "name\nred\nblue\ngreen\n");
    let json = p.strata(Some(&db), &["seed", "--format", "json"]);
    json.assert_ok();
    let v: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    assert_eq!(v["loaded"], true);
    assert_eq!(v["changes"][0]["file"], "003_app.tags.csv");
    assert_eq!(v["changes"][0]["change"], "changed");
    assert_eq!(v["files"][2]["rows"], 8);
    assert_eq!(v["files"][3]["table"], "app.tags");
    assert_eq!(counts(&db), "3/8/3");
}

#[test]
fn bad_value_names_the_row_and_line_and_leaves_nothing() {
    let db = TestDb::new("seed_bad_row");
    let p = project();
    p.write("seeds/002_items.csv", &items_csv(Some("abc")));
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("seeds/002_items.csv: row 7 (line 8 of the file): invalid input syntax for type integer: \"abc\"")
        .assert_contains("8 | 7,2,abc,note 7")
        .assert_contains("column: qty")
        .assert_contains("Nothing was loaded");
    // the SQL seed before it was rolled back too, and no checksums were recorded
    assert_eq!(counts(&db), "0/0/0");
    assert_eq!(db.sql("SELECT to_regclass('strata.seeds') IS NULL"), "t");

    // a quoted field spanning lines moves the physical line, not the row
    let mut csv = items_csv(Some("-5"));
    csv = csv.replace("note 5", "\"five\non two lines\"");
    p.write("seeds/002_items.csv", &csv);
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains(
            "row 7 (line 9 of the file): new row for relation \"items\" violates check constraint",
        );
    assert_eq!(counts(&db), "0/0/0");
}

#[test]
fn unknown_table_and_unknown_columns_are_named() {
    let db = TestDb::new("seed_names");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.write("seeds/004_nothere.csv", "id\n1\n");
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("seeds/004_nothere.csv: no table nothere");
    p.remove("seeds/004_nothere.csv");
    p.write("seeds/004_Users.csv", "id,email\n9,z@example.com\n");
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("no table Users")
        .assert_contains("did you mean users?");
    p.remove("seeds/004_Users.csv");
    p.write(
        "seeds/002_items.csv",
        "id,user_id,quantity,colour\n1,1,1,red\n",
    );
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("seeds/002_items.csv: the header names column(s) that table items does not have: quantity, colour; its columns are: id, user_id, qty, note, created_at");
    assert_eq!(counts(&db), "0/0/0");
}

#[test]
fn sql_seed_error_is_shown_like_a_migration() {
    let db = TestDb::new("seed_sql_err");
    let p = project();
    p.write(
        "seeds/001_users.sql",
        "INSERT INTO users (id, email) VALUES (1, 'a@example.com');\n\nINSERT INTO users (id, emial) VALUES (2, 'b@example.com');\n",
    );
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("error: seed seeds/001_users.sql failed")
        .assert_contains("--> seeds/001_users.sql:3:24")
        .assert_contains("column \"emial\" of relation \"users\" does not exist")
        .assert_contains("Nothing was loaded");
    assert_eq!(counts(&db), "0/0/0");
    // a runtime error without a position still names its statement
    p.write(
        "seeds/001_users.sql",
        "INSERT INTO users (id, email) VALUES (1, 'a@example.com');\nINSERT INTO users (id, email) VALUES (1, 'dup@example.com');\n",
    );
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("--> seeds/001_users.sql:2:1")
        .assert_contains("duplicate key value violates unique constraint \"users_pkey\"");
    p.write(
        "seeds/001_users.sql",
        "BEGIN;\nINSERT INTO users VALUES (1, 'a');\nCOMMIT;\n",
    );
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("seeds/001_users.sql:1:1: `BEGIN`")
        .assert_contains("seeds/001_users.sql:3:1: `COMMIT`");
}

#[test]
fn protected_environment_refuses_seed_and_always_reset() {
    let db = TestDb::new("seed_protected");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["--env", "prod", "seed"])
        .assert_code(2)
        .assert_contains("refusing `seed` on protected environment `prod` without --yes");
    assert_eq!(db.sql("SELECT to_regclass('strata.seeds') IS NULL"), "t");
    p.strata(Some(&db), &["--env", "prod", "reset", "--yes"])
        .assert_code(2)
        .assert_contains(
            "refusing `reset` on protected environment `prod`: it is development-only",
        );
    assert_eq!(
        db.sql("SELECT to_regclass('public.users') IS NOT NULL"),
        "t"
    );
    // --yes lets seed through
    p.strata(Some(&db), &["--env", "prod", "seed", "--yes"])
        .assert_ok();
    assert_eq!(counts(&db), "3/8/2");
}

fn public_schema(db: &TestDb) -> String {
    db.sql("SELECT nspowner::regrole || ' ' || coalesce(nspacl::text, '') || ' ' || coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname = 'public'")
}

#[test]
fn reset_drops_what_strata_manages_then_ups_and_seeds() {
    let db = TestDb::new("reset");
    let p = project();
    let fresh_public = public_schema(&db);
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"]).assert_ok();
    let objects = schema_objects(&db, "public");
    // things a developer did by hand
    db.sql("INSERT INTO users VALUES (99, 'extra@example.com'); CREATE TABLE stray (x int); CREATE FUNCTION stray_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'");
    let r = p.strata(Some(&db), &["reset", "--yes"]);
    r.assert_ok()
        .assert_contains(
            "Reset: dropped schema(s) public, app, strata; created public again, empty.",
        )
        .assert_contains("Applied 1 migration(s)")
        .assert_contains("Loaded 4 seed file(s)");
    assert_eq!(schema_objects(&db, "public"), objects);
    assert_eq!(counts(&db), "3/8/2");
    assert_eq!(public_schema(&db), fresh_public);
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE kind = 'apply'"),
        "1"
    );
    // one JSON document for the three steps
    let json = p.strata(Some(&db), &["reset", "--yes", "--format", "json"]);
    json.assert_ok();
    let v: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    assert_eq!(v["dropped"]["schemas"][0], "public");
    assert_eq!(v["up"]["applied"][0], "1");
    assert_eq!(v["seed"]["loaded"], true);
    assert_eq!(counts(&db), "3/8/2");
}

#[test]
fn nothing_to_do_without_seeds_or_suites() {
    let db = TestDb::new("seed_empty");
    let p = Project::new();
    p.write("migrations/001_t.sql", "CREATE TABLE t (x int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("No seed files in seeds/.");
    p.strata(Some(&db), &["test"])
        .assert_ok()
        .assert_contains("No validation suites in tests/validation/.");
}

#[test]
fn reset_reinstalls_the_auth_shim_with_its_grants() {
    let db = TestDb::new("reset_shim");
    let p = Project::new();
    p.write("strata.toml", "[auth]\nshim = true\n")
        .write(
            "migrations/001_notes.sql",
            "CREATE TABLE notes (id int PRIMARY KEY, owner uuid NOT NULL REFERENCES auth.users(id));\n\
             ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY notes_own ON notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n",
        )
        .write(
            "seeds/001_users.sql",
            "INSERT INTO auth.users (id, email) VALUES ('00000000-0000-0000-0000-0000000000a1', 'a@example.com');\n\
             INSERT INTO notes VALUES (1, '00000000-0000-0000-0000-0000000000a1');\n",
        )
        .write(
            "tests/validation/01_notes.sql",
            "-- test: the owner sees the seeded note\n-- as: authenticated 00000000-0000-0000-0000-0000000000a1\n-- expect: rows 1\nSELECT * FROM notes;\n",
        );
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"]).assert_ok();
    p.strata(Some(&db), &["test"]).assert_ok();
    p.strata(Some(&db), &["reset", "--yes"])
        .assert_ok()
        .assert_contains("dropped schema(s) public, strata, extensions, auth")
        .assert_contains("installed the Supabase auth shim");
    assert_eq!(db.sql("SELECT count(*) FROM auth.users"), "1");
    p.strata(Some(&db), &["test"])
        .assert_ok()
        .assert_contains("1 passed, 0 failed");
}
