//! Exit codes exactly as SPEC section 3 says, path by path: 0 success, 1 the command ran and
//! found a failure, 2 usage, configuration or connection. Each case checks the message too, and
//! the JSON error document's `kind` and `exit_code`.

mod support;
use support::*;

/// An address nothing listens on: connecting fails at once.
const UNREACHABLE: &str = "postgres://app:Ux3pass@127.0.0.1:1/app";

fn project() -> Project {
    let p = Project::new();
    p.write("strata.toml", "")
        .write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write("rollbacks/001_a.sql", "DROP TABLE a;\n")
        .write(
            "policies/a.sql",
            "ALTER TABLE a ENABLE ROW LEVEL SECURITY;\n",
        )
        .write("seeds/a.sql", "INSERT INTO a VALUES (1);\n")
        .write(
            "tests/validation/01_a.sql",
            "-- test: a exists\n-- expect: ok\nSELECT * FROM a;\n",
        );
    p
}

fn json_of(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.all()))
}

#[track_caller]
fn error_kind(r: &Run, kind: &str, code: i32) {
    r.assert_code(code);
    let v = json_of(r);
    assert_eq!(v["format_version"], 1, "{v}");
    assert_eq!(v["error"]["kind"], kind, "{v}");
    assert_eq!(v["error"]["exit_code"], code, "{v}");
}

#[test]
fn every_command_that_connects_reports_an_unreachable_server_as_exit_2() {
    let p = project();
    let commands: &[&[&str]] = &[
        &["status"],
        &["status", "--exit-code"],
        &["up"],
        &["up", "--dry-run"],
        &["down"],
        &["down", "--dry-run"],
        &["baseline", "1"],
        &["repair"],
        &["policies", "apply"],
        &["policies", "apply", "--dry-run"],
        &["audit"],
        &["test"],
        &["seed"],
        &["reset", "--yes"],
        &["diff"],
    ];
    for args in commands {
        let mut full = vec!["--database-url", UNREACHABLE];
        full.extend_from_slice(args);
        if args[0] == "diff" {
            full.extend_from_slice(&["--shadow-url", UNREACHABLE]);
        }
        let r = p.strata(None, &full);
        r.assert_code(2)
            .assert_contains("cannot connect to postgres://app:***@127.0.0.1:1/app")
            .assert_not_contains("Ux3pass");
        full.extend_from_slice(&["--format", "json"]);
        error_kind(&p.strata(None, &full), "connection", 2);
    }
    let r = p.strata(None, &["verify-rollbacks", "--shadow-url", UNREACHABLE]);
    r.assert_code(2).assert_contains("cannot connect");
    let r = p.strata(None, &["diff", "--from", UNREACHABLE, "--to", UNREACHABLE]);
    r.assert_code(2).assert_contains("cannot connect");
}

#[test]
fn a_test_pattern_that_matches_nothing_is_a_usage_error() {
    let p = project();
    // Selection happens before connecting: no database needed.
    let r = p.strata(None, &["--database-url", UNREACHABLE, "test", "nomatch"]);
    r.assert_code(2)
        .assert_contains("no validation test matches `nomatch`");
    error_kind(
        &p.strata(
            None,
            &[
                "--database-url",
                UNREACHABLE,
                "test",
                "nomatch",
                "--format",
                "json",
            ],
        ),
        "usage",
        2,
    );
}

#[test]
fn a_to_version_that_does_not_exist_is_a_usage_error() {
    let db = TestDb::new("exit_to_999");
    let p = project();
    let r = p.strata(Some(&db), &["up", "--to", "999"]);
    r.assert_code(2).assert_contains(
        "--to 999: version 999 is neither a migration file nor applied; use a version from `strata status`",
    );
    error_kind(
        &p.strata(Some(&db), &["up", "--to", "999", "--format", "json"]),
        "usage",
        2,
    );
    // Nothing ran.
    assert_eq!(db.sql("SELECT to_regclass('public.a') IS NULL"), "t");
    p.strata(Some(&db), &["up", "--to", "999", "--dry-run"])
        .assert_code(2);
    p.strata(Some(&db), &["up", "--to", "1"]).assert_ok();
    let r = p.strata(Some(&db), &["down", "--to", "999"]);
    r.assert_code(2)
        .assert_contains("--to 999: version 999")
        .assert_contains("(or 0 for everything)");
    assert_eq!(db.sql("SELECT to_regclass('public.a') IS NOT NULL"), "t");
    // A real refusal stays exit 1.
    p.write("migrations/001_a.sql", "CREATE TABLE a (id bigint);\n");
    let r = p.strata(Some(&db), &["up"]);
    r.assert_code(1)
        .assert_contains("was changed after it was applied");
}

#[test]
fn found_failures_are_exit_1_and_success_is_0() {
    let db = TestDb::new("exit_found");
    let p = project();
    p.strata(Some(&db), &["status", "--exit-code"])
        .assert_code(1);
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
    p.strata(Some(&db), &["test"]).assert_ok();
    p.write(
        "tests/validation/02_b.sql",
        "-- test: b exists\n-- expect: ok\nSELECT * FROM b;\n",
    );
    p.strata(Some(&db), &["test"])
        .assert_code(1)
        .assert_contains("1 passed, 1 failed");
}

#[test]
fn bad_configuration_is_exit_2() {
    let p = project();
    p.write("strata.toml", "[database]\nlock_wait = \"soon\"\n");
    let r = p.strata(None, &["status", "--format", "json"]);
    error_kind(&r, "config", 2);
    p.write("strata.toml", "");
    let r = p.strata(None, &["status", "--lock-wait", "soon"]);
    r.assert_code(2)
        .assert_contains("--lock-wait soon: not a duration");
}

#[test]
fn test_on_a_lost_connection_is_a_connection_error_not_a_failing_test() {
    let db = TestDb::new("exit_test_lost");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.write(
        "tests/validation/02_lost.sql",
        "-- test: the server ends this session\n-- expect: ok\nSELECT pg_terminate_backend(pg_backend_pid());\n",
    );
    let r = p.strata(Some(&db), &["test"]);
    r.assert_code(2)
        .assert_contains("lost the connection to the database")
        .assert_not_contains("cannot connect")
        .assert_not_contains("passed, ");
    let v = json_of(&p.strata(Some(&db), &["test", "--format", "json"]));
    assert_eq!(v["error"]["exit_code"], 2, "{v}");
    assert_eq!(v["error"]["kind"], "connection-lost", "{v}");
    // The same suites against a server that is not there: "cannot connect", also exit 2.
    let r = p.strata(None, &["--database-url", UNREACHABLE, "test"]);
    r.assert_code(2).assert_contains("cannot connect");
}
