//! SPEC section 1: what a project is, which commands need one, missing folders, the
//! folder-per-migration layout, and statements that would wait for the client (issue 11).

mod support;
use support::*;

#[test]
fn commands_that_need_a_project_stop_outside_one_and_create_nothing() {
    let p = Project::bare();
    for args in [
        &["status"][..],
        &["up"],
        &["down"],
        &["new", "x"],
        &["check"],
        &["seed"],
        &["test"],
        &["reset", "--yes"],
        &["repair"],
        &["baseline", "1"],
        &["policies", "apply"],
        &["diff"],
        &["verify-rollbacks"],
        &["db", "start"],
        &["db", "status"],
        &["db", "url"],
        &["audit"],
    ] {
        let r = p.strata(None, args);
        r.assert_code(2)
            .assert_contains("and there is no strata.toml in")
            .assert_contains("Nothing was created.");
        let name = if args[0] == "db" || args[0] == "policies" {
            format!("`strata {} {}`", args[0], args[1])
        } else {
            format!("`strata {}`", args[0])
        };
        r.assert_contains(&name);
        assert_eq!(
            p.listing(),
            Vec::<String>::new(),
            "{args:?} created something"
        );
    }
    // Given a database, a project command still needs the project's files.
    let db = TestDb::new("scope_status");
    p.strata(Some(&db), &["status"])
        .assert_code(2)
        .assert_contains("`strata status` works on a project")
        .assert_contains("strata init");
    // audit without a database names the way to give one.
    p.strata(None, &["audit"])
        .assert_contains("--database-url URL (or DATABASE_URL)");
    assert_eq!(p.listing(), Vec::<String>::new());
}

#[test]
fn a_project_is_found_from_a_subfolder() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write("src/deep/README.md", "x");
    let db = TestDb::new("scope_subfolder");
    let r = Run::from(
        strata_cmd(&p.path().join("src/deep"))
            .args(["--database-url", &db.url, "up"])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    r.assert_ok().assert_contains("Applied 1 migration(s)");
}

#[test]
fn commands_given_a_database_work_anywhere() {
    let p = Project::bare();
    let a = TestDb::new("scope_audit");
    a.sql("CREATE TABLE notes (id int)");
    let r = p.strata(Some(&a), &["audit"]);
    assert!(r.code == 0 || r.code == 1, "audit ran: {}", r.all());
    r.assert_contains("notes");
    let b = TestDb::new("scope_diff_b");
    let r = p.strata(None, &["diff", "--from", &a.url, "--to", &b.url]);
    assert!(r.code == 0, "diff --from --to ran: {}", r.all());
    r.assert_contains("notes");
    assert_eq!(p.listing(), Vec::<String>::new(), "nothing created");
}

#[test]
fn a_missing_migrations_folder_is_an_error_never_nothing_to_apply() {
    let p = Project::new();
    std::fs::remove_dir(p.path().join("migrations")).unwrap_or_else(|e| panic!("{e}"));
    let db = TestDb::new("scope_missing");
    for args in [&["up"][..], &["status"], &["down"], &["check"]] {
        p.strata(Some(&db), args)
            .assert_code(2)
            .assert_contains(
                "migrations/ does not exist ([paths] migrations = \"migrations\" in strata.toml)",
            )
            .assert_contains("never reads a missing migrations folder as \"nothing to apply\"")
            .assert_not_contains("Nothing to apply");
    }
    // A folder named in [paths] must exist too.
    p.write("strata.toml", "[paths]\nmigrations = \"db/migrations\"\n");
    p.strata(Some(&db), &["up"])
        .assert_code(2)
        .assert_contains("db/migrations/ does not exist ([paths] migrations = \"db/migrations\"");
    p.write("db/migrations/001_a.sql", "CREATE TABLE a (id int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.write(
        "strata.toml",
        "[paths]\nmigrations = \"db/migrations\"\nseeds = \"db/seed\"\n",
    );
    p.strata(Some(&db), &["seed"])
        .assert_code(2)
        .assert_contains("db/seed/ does not exist ([paths] seeds = \"db/seed\" in strata.toml). A folder named in [paths] must exist");
    // Optional folders at their default place may be absent: no rollbacks, seeds or suites.
    p.write("strata.toml", "[paths]\nmigrations = \"db/migrations\"\n");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("seeds");
    p.strata(Some(&db), &["test"]).assert_ok();
}

/// A `policies` folder named in `[paths]` must exist for every command that reads it (it is
/// read through one place): lint, diff and up say so and exit 2 instead of reading no policies.
#[test]
fn a_missing_policies_folder_named_in_paths_is_an_error_for_every_command_that_reads_it() {
    let p = Project::new();
    p.write("strata.toml", "[paths]\npolicies = \"db/policies\"\n")
        .write("migrations/001_a.sql", "CREATE TABLE a (id int);\n");
    let db = TestDb::new("scope_policies");
    let shown = "db/policies/ does not exist ([paths] policies = \"db/policies\" in strata.toml)";
    p.strata(None, &["lint", "migrations/001_a.sql"])
        .assert_code(2)
        .assert_contains(shown);
    p.strata(Some(&db), &["diff"])
        .assert_code(2)
        .assert_contains(shown);
    p.strata(Some(&db), &["up"])
        .assert_code(2)
        .assert_contains(shown);
}

#[test]
fn new_creates_the_migrations_folder() {
    let p = Project::new();
    std::fs::remove_dir(p.path().join("migrations")).unwrap_or_else(|e| panic!("{e}"));
    p.strata(None, &["new", "first"])
        .assert_ok()
        .assert_contains("_first.sql");
    assert!(p.path().join("migrations").is_dir());
}

#[test]
fn folder_per_migration_layout_applies_and_rolls_back() {
    let p = Project::new();
    p.write(
        "migrations/2024-01-01-120000_create_users/up.sql",
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    )
    .write(
        "migrations/2024-01-01-120000_create_users/down.sql",
        "DROP TABLE users;\n",
    )
    .write(
        "migrations/20240102000000_posts/up.sql",
        "CREATE TABLE posts (id int, user_id int REFERENCES users);\n",
    )
    .write(
        "migrations/20240102000000_posts/down.sql",
        "DROP TABLE posts;\n",
    );
    p.strata(None, &["check"])
        .assert_ok()
        .assert_contains("4 file(s) checked, 0 problem(s)");
    let db = TestDb::new("folder_layout");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 2 migration(s)");
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_contains("20240101120000")
        .assert_contains("create_users");
    p.strata(Some(&db), &["down"]).assert_ok();
    assert_eq!(db.sql("SELECT to_regclass('posts') IS NULL"), "t");
    // `new` keeps the layout.
    p.strata(None, &["new", "comments"])
        .assert_ok()
        .assert_contains("_comments/up.sql")
        .assert_contains("_comments/down.sql");
}

#[test]
fn bad_migration_folders_are_errors_naming_them() {
    let p = Project::new();
    p.write("migrations/001_ok/up.sql", "SELECT 1;\n")
        .write("migrations/archive/up.sql", "SELECT 1;\n")
        .write("migrations/002_empty/notes.md", "todo\n");
    p.strata(None, &["check"])
        .assert_code(1)
        .assert_contains("migrations/archive/: the name does not start with a version number")
        .assert_contains("migrations/002_empty/: holds neither up.sql nor down.sql");
    let db = TestDb::new("folder_bad");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migrations/002_empty/");
    assert_eq!(db.sql("SELECT to_regclass('strata.history') IS NULL"), "t");
}

/// A NUL character ends PostgreSQL's message (the server calls it a protocol error): strata
/// names it at file:line:col before anything runs. A byte order mark is not SQL and is skipped.
#[test]
fn a_nul_character_is_an_error_at_its_position_and_a_byte_order_mark_is_skipped() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "\u{feff}CREATE TABLE a (id int);\n")
        .write(
            "migrations/002_b.sql",
            "CREATE TABLE b (id int);\n  SELECT 1;\0\n",
        );
    p.strata(None, &["check"])
        .assert_code(1)
        .assert_contains("migrations/002_b.sql:2:12: a NUL character")
        .assert_not_contains("001_a.sql");
    let db = TestDb::new("nul_char");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("migrations/002_b.sql:2:12: a NUL character");
    assert_eq!(db.sql("SELECT to_regclass('strata.history') IS NULL"), "t");
    p.write("migrations/002_b.sql", "CREATE TABLE b (id int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_eq!(db.sql("SELECT to_regclass('public.a') IS NOT NULL"), "t");
}

/// A `.sql` name that is a FIFO (reading it would wait forever) or a dangling symbolic link is
/// an error naming it, never skipped as if it were not there.
#[test]
fn a_fifo_or_a_dangling_link_named_like_a_migration_is_an_error() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "SELECT 1;\n");
    let migrations = p.path().join("migrations");
    let fifo = std::process::Command::new("mkfifo")
        .arg(migrations.join("002_pipe.sql"))
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(fifo.success());
    std::os::unix::fs::symlink("/nonexistent/003.sql", migrations.join("003_gone.sql"))
        .unwrap_or_else(|e| panic!("symlink: {e}"));
    let r = p.strata(None, &["check"]);
    r.assert_code(1)
        .assert_contains("migrations/002_pipe.sql: not a regular file (a FIFO, socket or device)")
        .assert_contains("migrations/003_gone.sql: a symbolic link to a file that cannot be read");
}

/// The same for the other folders strata reads SQL from: policies, seeds, validation suites.
#[test]
fn a_fifo_in_policies_seeds_or_suites_is_an_error_never_a_hang() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write(
            "policies/001_ok.sql",
            "ALTER TABLE a ENABLE ROW LEVEL SECURITY;\n",
        )
        .write("seeds/001_ok.sql", "INSERT INTO a VALUES (1);\n")
        .write("tests/validation/ok.sql", "-- test: one\nSELECT 1;\n");
    for fifo in [
        "policies/002_pipe.sql",
        "seeds/002_a.csv",
        "tests/validation/pipe.sql",
    ] {
        let status = std::process::Command::new("mkfifo")
            .arg(p.path().join(fifo))
            .status()
            .unwrap_or_else(|e| panic!("mkfifo: {e}"));
        assert!(status.success());
    }
    let db = TestDb::new("fifo_folders");
    let not_regular = "not a regular file (a FIFO, socket or device)";
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains(&format!("policies/002_pipe.sql: {not_regular}"));
    // reported before any migration ran
    assert_eq!(db.sql("SELECT to_regclass('public.a') IS NULL"), "t");
    p.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains(&format!("seeds/002_a.csv: {not_regular}"));
    p.strata(Some(&db), &["test"])
        .assert_code(1)
        .assert_contains(&format!("tests/validation/pipe.sql: {not_regular}"));
}

/// `up` converges policies/ after the migrations; a policy file that cannot even be split is
/// reported before any migration runs (and before `reset` drops anything), so nothing is left
/// half-done.
#[test]
fn a_broken_policy_file_stops_up_and_reset_before_anything_runs() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write(
            "policies/001_a.sql",
            "ALTER TABLE a ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON a USING ('open);\n",
        );
    let db = TestDb::new("policy_broken_first");
    p.strata(Some(&db), &["up"])
        .assert_code(1)
        .assert_contains("policies/001_a.sql:2:");
    assert_eq!(db.sql("SELECT to_regclass('public.a') IS NULL"), "t");
    // `reset` checks them before it drops anything: what it would drop is still there.
    db.sql("CREATE TABLE keep (id int)");
    p.strata(Some(&db), &["reset", "--yes"])
        .assert_code(1)
        .assert_contains("policies/001_a.sql:2:");
    assert_eq!(db.sql("SELECT to_regclass('public.keep') IS NOT NULL"), "t");
}

#[test]
fn copy_from_stdin_is_refused_before_anything_runs() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write(
            "migrations/002_load.sql",
            "CREATE TABLE b (id int);\n\nCOPY b (id) FROM stdin;\n",
        )
        .write(
            "migrations/003_export.sql",
            "-- strata:no-transaction\nSELECT 1;\n  COPY (SELECT 1) TO STDOUT;\n",
        );
    p.strata(None, &["check"])
        .assert_code(1)
        .assert_contains(
            "migrations/002_load.sql:3:1: `COPY … FROM STDIN` exchanges data with the client",
        )
        .assert_contains(
            "migrations/003_export.sql:3:3: `COPY … TO STDOUT` exchanges data with the client",
        );
    let db = TestDb::new("copy_stdin");
    let r = p.strata(Some(&db), &["up"]);
    r.assert_code(1)
        .assert_contains("migrations/002_load.sql:3:1");
    // Nothing ran: not even the first migration.
    assert_eq!(db.sql("SELECT to_regclass('public.a') IS NULL"), "t");
    // The shadow refuses it the same way (diff builds the declared state with the same engine).
    let r = p.strata(Some(&db), &["diff", "--shadow-url", &shadow_url()]);
    r.assert_code(1)
        .assert_contains("migrations/002_load.sql:3:1");
    // A seed that would wait for the client is refused as well.
    let q = Project::new();
    q.write("seeds/001_x.sql", "COPY t FROM STDIN;\n");
    q.strata(Some(&db), &["seed"])
        .assert_code(1)
        .assert_contains("seeds/001_x.sql:1:1: `COPY … FROM STDIN` exchanges data with the client");
}

/// `status` names rollbacks without reading them (issue 14: with a thousand migrations, reading
/// every rollback was half of its time): a rollback that is not UTF-8 still shows as present, and
/// the commands that read rollbacks (`check`, `down`) name the file.
#[test]
fn status_names_rollbacks_without_reading_them_and_check_reads_them() {
    let db = TestDb::new("status_unread_rollback");
    let p = Project::new();
    p.write("migrations/001_t.sql", "CREATE TABLE t (id int);\n")
        .write("rollbacks/001_t.sql", "DROP TABLE t;\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    std::fs::write(
        p.path().join("rollbacks/001_t.sql"),
        b"DROP TABLE t; -- caf\xe9\n",
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let status = p.strata(Some(&db), &["--format", "json", "status"]);
    status.assert_ok();
    let v: serde_json::Value = serde_json::from_str(&status.stdout)
        .unwrap_or_else(|e| panic!("status --format json: {e}\n{}", status.stdout));
    assert_eq!(v["migrations"][0]["state"], "applied", "{v}");
    assert_eq!(v["migrations"][0]["rollback"], true, "{v}");
    p.strata(Some(&db), &["check"])
        .assert_code(1)
        .assert_contains("rollbacks/001_t.sql: not valid UTF-8 (at byte 20)");
    p.strata(Some(&db), &["down"])
        .assert_code(1)
        .assert_contains("rollbacks/001_t.sql: not valid UTF-8 (at byte 20)");
}
