//! A connection lost in the middle of a run exits 2 and says so (SPEC section 3: connection
//! errors are 2), for `up` and for `test` (issue 11).

mod support;
use std::time::{Duration, Instant};
use support::*;

fn wait_for(db: &TestDb, sql: &str, expected: &str) {
    let start = Instant::now();
    loop {
        if db.sql(sql) == expected {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {sql} = {expected}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs strata in the background, terminates its server session once it sleeps, and returns
/// the run.
fn terminate_while_sleeping(p: &Project, db: &TestDb, args: &[&str]) -> Run {
    let child = strata_cmd(p.path())
        .args(["--database-url", &db.url])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                    AND application_name = 'strata' AND query LIKE '%pg_sleep%'";
    wait_for(db, sleeping, "1");
    db.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = 'strata'",
    );
    Run::from(child.wait_with_output().unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn a_connection_lost_during_up_exits_2_and_says_so() {
    let db = TestDb::new("lost_up");
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write("migrations/002_slow.sql", "SELECT pg_sleep(30);\n");
    let r = terminate_while_sleeping(&p, &db, &["up"]);
    r.assert_code(2)
        .assert_contains(
            "lost the connection to the database while running migrations/002_slow.sql",
        )
        .assert_contains("run `strata status`")
        .assert_not_contains("cannot connect");
    let json = terminate_while_sleeping(&p, &db, &["--format", "json", "up"]);
    json.assert_code(2)
        .assert_contains("\"kind\": \"connection-lost\"");
}

#[test]
fn a_connection_lost_during_test_exits_2_and_is_not_called_cannot_connect() {
    let db = TestDb::new("lost_test");
    let p = Project::new();
    p.write(
        "tests/validation/01_slow.sql",
        "-- test: sleeps\n-- expect: ok\nSELECT pg_sleep(30);\n",
    );
    let r = terminate_while_sleeping(&p, &db, &["test"]);
    r.assert_code(2)
        .assert_contains("lost the connection to the database while running the validation suites")
        .assert_not_contains("cannot connect");
}
