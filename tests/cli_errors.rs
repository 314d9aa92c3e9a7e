//! Every malformed input a user can hit: its message and its exit code.

mod support;
use support::*;

#[test]
fn bad_file_name_is_named_with_the_expected_pattern() {
    let p = Project::new();
    p.write("migrations/0002-storage-schema.sql", "select 1;")
        .write("migrations/README.md", "ignored")
        .write("migrations/.gitkeep", "");
    p.strata(None, &["check"])
        .assert_code(1)
        .assert_contains("migrations/0002-storage-schema.sql")
        .assert_contains("expected {version}_{name}.sql");
}

#[test]
fn duplicate_versions_are_an_error_even_with_different_padding() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "select 1;")
        .write("migrations/1_b.sql", "select 2;");
    p.strata(None, &["check"])
        .assert_code(1)
        .assert_contains("duplicate version 1: migrations/001_a.sql and migrations/1_b.sql");
}

#[test]
fn rollback_without_migration() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "select 1;")
        .write("rollbacks/002_b.sql", "select 2;");
    p.strata(None, &["check"])
        .assert_code(1)
        .assert_contains("rollbacks/002_b.sql: rollback without a migration");
}

#[test]
fn unknown_and_malformed_directives() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "-- strata:no-transation\nselect 1;")
        .write(
            "migrations/002_b.sql",
            "-- strata:lock-timeout soon\nselect 1;",
        );
    let r = p.strata(None, &["check"]);
    r.assert_code(1)
        .assert_contains("migrations/001_a.sql:1:1: unknown directive `-- strata:no-transation`")
        .assert_contains("migrations/002_b.sql:1:1: invalid directive")
        .assert_contains("duration");
}

#[test]
fn check_reports_sql_problems_with_positions_offline() {
    let p = Project::new();
    p.write(
        "migrations/001_a.sql",
        "CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1;\n",
    )
    .write(
        "migrations/002_b.sql",
        "BEGIN;\nCREATE TABLE u (id int);\nCOMMIT;\n",
    )
    .write(
        "migrations/003_c.sql",
        "\\set ON_ERROR_STOP 1\nCREATE TABLE v (id int);\n",
    )
    .write("migrations/004_d.sql", "CREATE TABLE ok (id int);\n");
    let r = p.strata(None, &["check"]);
    r.assert_code(1)
        .assert_contains("migrations/001_a.sql:2:")
        .assert_contains("unterminated")
        .assert_contains("migrations/002_b.sql:1:1")
        .assert_contains("remove BEGIN/COMMIT")
        .assert_contains("migrations/003_c.sql:1:1")
        .assert_contains("psql meta-command");
}

#[test]
fn check_passes_on_a_clean_project() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE t (id int);")
        .write("rollbacks/001_a.sql", "DROP TABLE t;");
    p.strata(None, &["check"])
        .assert_ok()
        .assert_contains("2 file(s) checked, 0 problem(s)");
}

#[test]
fn invalid_strata_toml_names_line_and_key() {
    let p = Project::new();
    p.write(
        "strata.toml",
        "[database]\nschemas = [\"public\"]\nhistory_shema = \"x\"\n",
    );
    p.strata(None, &["status"])
        .assert_code(2)
        .assert_contains("strata.toml:3:1: invalid strata.toml")
        .assert_contains("history_shema");
    p.write("strata.toml", "[database\n");
    p.strata(None, &["status"])
        .assert_code(2)
        .assert_contains("strata.toml:1:");
    p.write("strata.toml", "[database]\nhistory_schema = \"public\"\n");
    p.strata(None, &["status"])
        .assert_code(2)
        .assert_contains("never public");
}

#[test]
fn undefined_variable_in_strata_toml() {
    let p = Project::new();
    p.write(
        "strata.toml",
        "[environments.prod]\nurl = \"${STRATA_TEST_SURELY_UNSET_VAR}\"\nprotected = true\n",
    );
    p.strata(None, &["status", "--env", "prod"])
        .assert_code(2)
        .assert_contains("environments.prod.url")
        .assert_contains("STRATA_TEST_SURELY_UNSET_VAR");
}

#[test]
fn env_file_supplies_variables_and_unknown_env_is_named() {
    let p = Project::new();
    p.write(
        "strata.toml",
        "[environments.staging]\nurl = \"${STAGING_URL}\"\n",
    )
    .write(
        ".env",
        "STAGING_URL=postgres://app:hunter2@127.0.0.1:1/app\n",
    );
    let r = p.strata(None, &["status", "--env", "staging"]);
    r.assert_code(2)
        .assert_contains("postgres://app:***@127.0.0.1:1/app")
        .assert_not_contains("hunter2");
    p.strata(None, &["status", "--env", "prod"])
        .assert_code(2)
        .assert_contains("unknown environment `prod`")
        .assert_contains("staging");
}

#[test]
fn unreachable_server_masks_the_password() {
    let p = Project::new();
    let r = p.strata(
        None,
        &[
            "status",
            "--database-url",
            "postgres://admin:s3cr3t-pw@127.0.0.1:1/app",
        ],
    );
    r.assert_code(2)
        .assert_contains("cannot connect to postgres://admin:***@127.0.0.1:1/app")
        .assert_not_contains("s3cr3t-pw");
    let r = p.strata(
        None,
        &["up", "--database-url", "mysql://root:pw@localhost/x"],
    );
    r.assert_code(2)
        .assert_contains("invalid connection string")
        .assert_not_contains(":pw@");
}

#[test]
fn protected_environment_refuses_down_without_yes() {
    let p = Project::new();
    p.write(
        "strata.toml",
        "[environments.prod]\nurl = \"postgres://u:topsecret@127.0.0.1:1/db\"\nprotected = true\n",
    )
    .write("migrations/001_a.sql", "select 1;");
    p.strata(None, &["down", "--env", "prod"])
        .assert_code(2)
        .assert_contains("refusing `down` on protected environment `prod` without --yes")
        .assert_not_contains("topsecret");
}

#[test]
fn missing_postgresql_binaries_say_how_to_fix() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "select 1;");
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = strata_cmd(p.path())
        .env("STRATA_PG_BINDIR", empty.path())
        .arg("up")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = Run::from(out);
    r.assert_code(2)
        .assert_contains("no PostgreSQL server binaries found")
        .assert_contains("apt-get install postgresql")
        .assert_contains("--database-url");
}

#[test]
fn bad_flags_are_usage_errors() {
    let p = Project::new();
    p.strata(None, &["up", "--to", "abc"])
        .assert_code(2)
        .assert_contains("--to abc");
    p.strata(None, &["frobnicate"]).assert_code(2);
    p.strata(None, &["status", "--lock-wait", "forever"])
        .assert_code(2)
        .assert_contains("--lock-wait forever");
}

#[test]
fn init_and_new_create_the_layout() {
    let p = Project::bare();
    let r = Run::from(
        strata_cmd(p.path())
            .arg("init")
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    r.assert_ok();
    for d in [
        "migrations",
        "rollbacks",
        "policies",
        "seeds",
        "tests/validation",
    ] {
        assert!(p.path().join(d).is_dir(), "{d} missing");
    }
    assert!(p.path().join("strata.toml").is_file());
    Run::from(
        strata_cmd(p.path())
            .arg("init")
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .assert_code(2)
    .assert_contains("already exists");
    p.strata(None, &["new", "Create Users"])
        .assert_ok()
        .assert_contains("_create_users.sql");
    p.write("migrations/005_x.sql", "select 1;");
    p.strata(None, &["new", "next one"])
        .assert_ok()
        .assert_contains("migrations/");
    p.strata(None, &["check"]).assert_ok();
}

#[test]
fn check_with_a_database_runs_postgres_parser_without_executing() {
    let db = TestDb::new("check_syntax");
    let p = Project::new();
    p.write(
        "migrations/001_a.sql",
        "CREATE TABLE t (id int);\n\nCREAT TABLE u (id int);\nCREATE TABLE v (id int REFERENCES not_yet_created(id));\n",
    )
    .write("rollbacks/001_a.sql", "DROP TABLE t;\nDROP TABLE t2 CASCADE extra;\n");
    let r = p.strata(Some(&db), &["check"]);
    r.assert_code(1)
        .assert_contains("migrations/001_a.sql:3:1: syntax error at or near \"CREAT\"")
        .assert_contains("rollbacks/001_a.sql:2:")
        .assert_contains("syntax error at or near \"extra\"")
        .assert_not_contains("not_yet_created");
    // nothing was executed
    assert_eq!(db.sql("SELECT to_regclass('t') IS NULL"), "t");
}

#[test]
fn new_with_an_unusable_name_is_a_usage_error() {
    let p = Project::new();
    p.strata(None, &["new", "!!!"])
        .assert_code(2)
        .assert_contains("`!!!` is not a usable migration name");
}

#[test]
fn baseline_below_every_file_is_refused() {
    let db = TestDb::new("baseline_none");
    let p = Project::new();
    p.write("migrations/005_a.sql", "CREATE TABLE a (id int);");
    p.strata(Some(&db), &["baseline", "3"])
        .assert_code(1)
        .assert_contains("no migration file has a version at or below 3");
    p.strata(Some(&db), &["baseline", "x"])
        .assert_code(2)
        .assert_contains("baseline x");
}

fn json_of(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// Issue 8: `check --format json` keeps each problem's file, line and column as fields.
#[test]
fn check_json_has_file_line_and_column_of_a_syntax_error() {
    let db = TestDb::new("check_json");
    let p = Project::new();
    p.write(
        "migrations/001_a.sql",
        "CREATE TABLE t (id int);\n\nCREAT TABLE u (id int);\n",
    );
    let r = p.strata(Some(&db), &["--format", "json", "check"]);
    r.assert_code(1);
    let v = json_of(&r);
    assert_eq!(v["format_version"], 1);
    let problem = &v["problems"][0];
    assert_eq!(problem["kind"], "syntax");
    assert_eq!(problem["file"], "migrations/001_a.sql");
    assert_eq!(problem["line"], 3);
    assert_eq!(problem["column"], 1);
    assert_eq!(problem["message"], "syntax error at or near \"CREAT\"");
    // offline, a lexical problem has its position too
    let p = Project::new();
    p.write("migrations/002_b.sql", "select 'unterminated;\n");
    let r = p.strata(None, &["--format", "json", "check"]);
    r.assert_code(1);
    let v = json_of(&r);
    let problems = v["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["file"] == "migrations/002_b.sql" && p["line"] == 1 && p["column"] == 8),
        "{v}"
    );
}

/// Errors are one JSON document on stdout with `error.kind` and the position.
#[test]
fn errors_are_json_documents_with_format_json() {
    let db = TestDb::new("json_error");
    let p = Project::new();
    p.write(
        "migrations/001_a.sql",
        "CREATE TABLE a (id int);\nINSERT INTO nope VALUES (1);\n",
    );
    let r = p.strata(Some(&db), &["--format", "json", "up"]);
    r.assert_code(1);
    let v = json_of(&r);
    assert_eq!(v["error"]["kind"], "migration-failed");
    assert_eq!(v["error"]["file"], "migrations/001_a.sql");
    assert_eq!(v["error"]["line"], 2);
    assert_eq!(v["error"]["column"], 13);
    assert_eq!(v["error"]["sqlstate"], "42P01");
    assert_eq!(v["error"]["exit_code"], 1);
    // a usage error too, with exit 2
    let r = p.strata(Some(&db), &["--format", "json", "up", "--to", "x"]);
    r.assert_code(2);
    assert_eq!(json_of(&r)["error"]["kind"], "usage");
}

#[test]
fn github_format_prints_annotations_next_to_the_report() {
    let p = Project::new();
    p.write("migrations/001_a.sql", "-- strata:no-transation\nselect 1;");
    let r = p.strata(None, &["--format", "github", "check"]);
    r.assert_code(1)
        .assert_contains("1 problem(s) in the project's files")
        .assert_contains(
            "::error file=migrations/001_a.sql,line=1,col=1,title=strata check::unknown directive",
        );
}
