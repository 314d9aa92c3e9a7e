//! up, down, status, repair and failure behaviour against a real PostgreSQL.

mod support;
use support::*;

fn small_project() -> Project {
    let p = Project::new();
    p.write(
        "migrations/001_users.sql",
        "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);\n",
    )
    .write("rollbacks/001_users.sql", "DROP TABLE users;\n")
    .write(
        "migrations/002_posts.sql",
        "CREATE TYPE post_state AS ENUM ('draft', 'published');\n\
         CREATE TABLE posts (\n  id bigserial PRIMARY KEY,\n  user_id bigint NOT NULL REFERENCES users(id),\n  state post_state NOT NULL DEFAULT 'draft'\n);\n\
         CREATE INDEX posts_user ON posts (user_id);\n\
         CREATE FUNCTION post_count(u bigint) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM posts WHERE user_id = u $$;\n",
    )
    .write(
        "rollbacks/002_posts.sql",
        "DROP FUNCTION post_count(bigint);\nDROP TABLE posts;\nDROP TYPE post_state;\n",
    )
    .write(
        "migrations/003_seed_admin.sql",
        "INSERT INTO users (email) VALUES ('admin@example.com');\n",
    )
    .write("rollbacks/003_seed_admin.sql", "DELETE FROM users WHERE email = 'admin@example.com';\n");
    p
}

#[test]
fn up_applies_then_reports_up_to_date() {
    let db = TestDb::new("up_twice");
    let p = small_project();
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 3 migration(s)");
    assert_eq!(db.sql("SELECT count(*) FROM users"), "1");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Nothing to apply: the database is up to date (3 migration(s) applied)");
    // history lives in its own schema, with the SQL text and checksum
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE kind = 'apply' AND success AND sql IS NOT NULL AND length(checksum) = 64"),
        "3"
    );
}

#[test]
fn down_to_zero_leaves_nothing_and_up_again_works() {
    let db = TestDb::new("down_zero");
    let p = small_project();
    let before = schema_objects(&db, "public");
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_ne!(schema_objects(&db, "public"), before);
    p.strata(Some(&db), &["down", "--to", "0"])
        .assert_ok()
        .assert_contains("Rolled back 3 migration(s)");
    assert_eq!(
        schema_objects(&db, "public"),
        before,
        "public must be as before the first up"
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 3 migration(s)");
    p.strata(Some(&db), &["down", "--steps", "1"]).assert_ok();
    assert_eq!(db.sql("SELECT count(*) FROM users"), "0");
    let st = p.strata(Some(&db), &["status", "--format", "json"]);
    st.assert_ok();
    let v: serde_json::Value =
        serde_json::from_str(&st.stdout).unwrap_or_else(|e| panic!("{e}: {}", st.stdout));
    assert_eq!(v["pending"], 1);
    assert_eq!(v["migrations"][2]["state"], "pending");
    assert_eq!(v["migrations"][0]["state"], "applied");
}

#[test]
fn down_dry_run_and_up_dry_run_change_nothing() {
    let db = TestDb::new("dry");
    let p = small_project();
    p.strata(Some(&db), &["up", "--dry-run"])
        .assert_ok()
        .assert_contains("Would apply 3 migration(s)")
        .assert_contains("1 users (migrations/001_users.sql)")
        .assert_not_contains("Applied");
    assert_eq!(
        db.sql("SELECT to_regclass('users') IS NULL AND to_regnamespace('strata') IS NULL"),
        "t"
    );
    p.strata(Some(&db), &["up", "--to", "2"])
        .assert_ok()
        .assert_contains("Applied 2 migration(s)");
    p.strata(Some(&db), &["down", "--to", "0", "--dry-run"])
        .assert_ok()
        .assert_contains("Would roll back 2 migration(s)");
    assert_eq!(db.sql("SELECT to_regclass('posts') IS NOT NULL"), "t");
}

#[test]
fn down_refuses_before_doing_anything_when_a_rollback_is_missing() {
    let db = TestDb::new("down_missing");
    let p = small_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.remove("rollbacks/002_posts.sql");
    p.strata(Some(&db), &["down", "--to", "0"])
        .assert_code(1)
        .assert_contains("migration 2 (posts) has no rollback file")
        .assert_contains("Nothing was run");
    // 003 was not rolled back either: refusal comes before anything runs
    assert_eq!(db.sql("SELECT count(*) FROM users"), "1");
}

#[test]
fn changed_migration_blocks_up_until_repair_and_missing_file_is_shown() {
    let db = TestDb::new("changed");
    let p = small_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.write(
        "migrations/001_users.sql",
        "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE); -- edited\n",
    );
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_contains("changed since applied");
    p.strata(Some(&db), &["status", "--exit-code"])
        .assert_code(1);
    p.write("migrations/004_more.sql", "CREATE TABLE more (id int);\n");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migration 1 (users) was changed after it was applied")
        .assert_contains("strata repair");
    assert_eq!(db.sql("SELECT to_regclass('more') IS NULL"), "t");
    p.strata(Some(&db), &["repair"])
        .assert_ok()
        .assert_contains("accepted checksum");
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE kind = 'accept'"),
        "1"
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 1 migration(s)");
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
    p.remove("migrations/003_seed_admin.sql");
    p.remove("rollbacks/003_seed_admin.sql");
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_contains("applied, file missing");
}

#[test]
fn error_in_third_statement_reports_position_and_leaves_nothing() {
    let db = TestDb::new("third_stmt");
    let p = small_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    let before = schema_objects(&db, "public");
    let history_before = db.sql("SELECT count(*) FROM strata.history");
    p.write(
        "migrations/004_broken.sql",
        "CREATE TABLE tags (id int PRIMARY KEY);\n\
         CREATE INDEX tags_id ON tags (id);\n\
         ALTER TABLE posts ADD COLUMN tag_id int REFERENCES tagz(id);\n\
         CREATE TABLE after_error (id int);\n",
    );
    let r = p.strata(Some(&db), &["up"]);
    r.assert_code(1)
        .assert_contains("migrations/004_broken.sql:3:1")
        .assert_contains("relation \"tagz\" does not exist")
        .assert_contains("42P01")
        .assert_contains("^")
        .assert_contains("Nothing of migrations/004_broken.sql was applied");
    assert_eq!(schema_objects(&db, "public"), before);
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history"),
        history_before
    );
}

#[test]
fn runtime_error_without_position_names_the_statement() {
    let db = TestDb::new("runtime_err");
    let p = Project::new();
    p.write(
        "migrations/001_t.sql",
        "CREATE TABLE t (n int CHECK (n > 0));\nINSERT INTO t VALUES (1);\n\nINSERT INTO t VALUES (-1);\n",
    );
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migrations/001_t.sql:4:1")
        .assert_contains("violates check constraint")
        .assert_contains("23514");
    assert_eq!(db.sql("SELECT to_regclass('t') IS NULL"), "t");
}

#[test]
fn no_transaction_migration_runs_statement_by_statement_and_records_failure() {
    let db = TestDb::new("notx");
    let p = Project::new();
    p.write("migrations/001_t.sql", "CREATE TABLE t (id int, v text);\n")
        .write(
            "migrations/002_idx.sql",
            "-- strata:no-transaction\n-- strata:lock-timeout 5s\nCREATE INDEX CONCURRENTLY t_id ON t (id);\nCREATE INDEX CONCURRENTLY t_v ON t (nope);\n",
        );
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migrations/002_idx.sql:4:")
        .assert_contains("column \"nope\" does not exist")
        .assert_contains(
            "its first 1 statement(s) are committed, and it is recorded as failed at statement 2",
        )
        .assert_contains("then `strata up` continues at statement 2");
    assert_eq!(db.sql("SELECT to_regclass('t_id') IS NOT NULL"), "t");
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_contains("failed")
        .assert_contains(
            "statement 2 (line 4: CREATE INDEX CONCURRENTLY t_v ON t (nope)) of 2 failed",
        )
        .assert_contains("1 of 2 statement(s) of migrations/002_idx.sql committed")
        .assert_contains("next: fix statement 2 in the file (statement 1 must stay as it is)");
    p.strata(Some(&db), &["status", "--exit-code"])
        .assert_code(1);
    // Unchanged, it fails again at the same statement (statement 1 is not run twice).
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("column \"nope\" does not exist");
    // Changing a committed statement is refused with the fix.
    p.write(
        "migrations/002_idx.sql",
        "-- strata:no-transaction\n-- strata:lock-timeout 5s\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n",
    );
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("the file's first 1 statement(s) are no longer the ones that ran")
        .assert_contains("strata repair --resume-after 2:1");
    // Fixing the failed statement only: `up` continues at statement 2.
    p.write(
        "migrations/002_idx.sql",
        "-- strata:no-transaction\n-- strata:lock-timeout 5s\nCREATE INDEX CONCURRENTLY t_id ON t (id);\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n",
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("continuing the migration 2 idx after statement 1")
        .assert_contains("Applied 1 migration(s)");
    assert_eq!(db.sql("SELECT to_regclass('t_v') IS NOT NULL"), "t");
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
}

#[test]
fn concurrent_index_without_directive_is_refused_before_running() {
    let db = TestDb::new("cic");
    let p = Project::new();
    p.write("migrations/001_t.sql", "CREATE TABLE t (id int);\n")
        .write(
            "migrations/002_idx.sql",
            "CREATE INDEX CONCURRENTLY t_id ON t (id);\n",
        );
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migrations/002_idx.sql:1:1")
        .assert_contains("-- strata:no-transaction");
    assert_eq!(
        db.sql("SELECT to_regclass('t') IS NULL"),
        "t",
        "nothing runs when a file is refused"
    );
}

#[test]
fn baseline_marks_existing_database() {
    let db = TestDb::new("baseline");
    let p = small_project();
    db.sql("CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE)");
    p.strata(Some(&db), &["baseline", "1"])
        .assert_ok()
        .assert_contains("marked 1 migration(s)");
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_contains("applied (baseline)");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 2 migration(s)");
    p.strata(Some(&db), &["baseline", "2"])
        .assert_code(1)
        .assert_contains("already has applied migrations");
}

#[test]
fn up_out_of_order_is_refused_unless_asked() {
    let db = TestDb::new("ooo");
    let p = Project::new();
    p.write("migrations/002_b.sql", "CREATE TABLE b (id int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migration 1 (a) is pending but 2 is already applied");
    p.strata(Some(&db), &["up", "--out-of-order"]).assert_ok();
}

#[test]
fn session_settings_do_not_leak_between_migrations() {
    let db = TestDb::new("leak");
    let p = Project::new();
    p.write(
        "migrations/001_a.sql",
        "CREATE SCHEMA other;\nSET search_path = other;\nCREATE TABLE a (id int);\n",
    )
    .write("migrations/002_b.sql", "CREATE TABLE b (id int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_eq!(
        db.sql("SELECT to_regclass('other.a') IS NOT NULL AND to_regclass('public.b') IS NOT NULL"),
        "t"
    );
}

#[test]
fn timeouts_from_directives_and_config_apply_per_migration() {
    let db = TestDb::new("timeouts");
    let p = Project::new();
    p.write("migrations/001_fast.sql", "CREATE TABLE a (id int);\n")
        .write(
            "migrations/002_slow.sql",
            "-- strata:statement-timeout 200ms\nCREATE TABLE b (id int);\nSELECT pg_sleep(2);\n",
        );
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migrations/002_slow.sql:3:1")
        .assert_contains("57014")
        .assert_contains("statement timeout");
    assert_eq!(
        db.sql("SELECT to_regclass('b') IS NULL AND to_regclass('a') IS NOT NULL"),
        "t"
    );
    // the config default applies to files without a directive; the directive wins over it
    p.write("strata.toml", "[database]\nstatement_timeout = \"100ms\"\n")
        .write(
            "migrations/002_slow.sql",
            "CREATE TABLE b (id int);\nSELECT pg_sleep(1);\n",
        );
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("statement timeout");
    p.write(
        "migrations/002_slow.sql",
        "-- strata:statement-timeout 10s\nCREATE TABLE b (id int);\nSELECT pg_sleep(0.3);\n",
    );
    p.strata(Some(&db), &["up"]).assert_ok();
    // timeouts do not outlive their migration
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE kind = 'apply'"),
        "2"
    );
}
