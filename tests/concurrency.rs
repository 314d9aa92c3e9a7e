//! Two strata runs at once, a run that gives up waiting, and a run killed mid-migration.

mod support;
use std::time::{Duration, Instant};
use support::*;

fn slow_project(secs: f64) -> Project {
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write(
            "migrations/002_slow.sql",
            &format!("CREATE TABLE slow (id int);\nSELECT pg_sleep({secs});\nINSERT INTO slow VALUES (1);\n"),
        )
        .write("migrations/003_c.sql", "CREATE TABLE c (id int);\n");
    p
}

#[test]
fn two_runs_at_once_apply_each_migration_once_and_the_second_reports_the_wait() {
    let db = TestDb::new("two_runs");
    let p = slow_project(1.5);
    let spawn = || {
        strata_cmd(p.path())
            .args(["--database-url", &db.url, "up"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"))
    };
    let a = spawn();
    let b = spawn();
    let ra = Run::from(a.wait_with_output().unwrap_or_else(|e| panic!("{e}")));
    let rb = Run::from(b.wait_with_output().unwrap_or_else(|e| panic!("{e}")));
    ra.assert_ok();
    rb.assert_ok();
    assert_eq!(
        db.sql("SELECT string_agg(version || ':' || n, ',' ORDER BY version) FROM (SELECT version, count(*) n FROM strata.history WHERE kind = 'apply' GROUP BY version) s"),
        "1:1,2:1,3:1"
    );
    assert_eq!(db.sql("SELECT count(*) FROM slow"), "1");
    let waited: Vec<&Run> = [&ra, &rb]
        .into_iter()
        .filter(|r| r.stderr.contains("waiting for the run lock"))
        .collect();
    assert_eq!(
        waited.len(),
        1,
        "exactly one run waits:\nA: {}\nB: {}",
        ra.all(),
        rb.all()
    );
    waited[0]
        .assert_contains("held by pid")
        .assert_contains("application `strata`")
        .assert_contains("Nothing to apply");
}

#[test]
fn lock_wait_gives_up_with_exit_2_naming_the_holder() {
    let db = TestDb::new("lock_wait");
    let p = slow_project(3.0);
    let mut first = strata_cmd(p.path())
        .args(["--database-url", &db.url, "up"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    // wait until the first run is inside the slow migration
    wait_for(&db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()", "1");
    let r = p.strata(Some(&db), &["up", "--lock-wait", "300ms"]);
    r.assert_code(2)
        .assert_contains("gave up after")
        .assert_contains("held by pid")
        .assert_contains("application `strata`")
        .assert_contains("--lock-wait");
    let status = first.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
}

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

#[test]
fn kill_9_mid_migration_leaves_database_as_before_and_next_up_completes() {
    let db = TestDb::new("kill9");
    db.sql("CREATE TABLE test_control (secs float8); INSERT INTO test_control VALUES (30)");
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write(
            "migrations/002_long.sql",
            "CREATE TABLE half_done (id int);\nINSERT INTO half_done SELECT generate_series(1, 1000);\nSELECT pg_sleep((SELECT secs FROM test_control));\nCREATE TABLE after_sleep (id int);\n",
        );
    let mut child = strata_cmd(p.path())
        .args(["--database-url", &db.url, "up"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    wait_for(&db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()", "1");
    child.kill().unwrap_or_else(|e| panic!("kill: {e}")); // SIGKILL
    let _ = child.wait();
    // the server notices the vanished client and rolls the migration back
    wait_for(&db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'strata'", "0");
    assert_eq!(
        db.sql("SELECT to_regclass('half_done') IS NULL AND to_regclass('after_sleep') IS NULL"),
        "t"
    );
    assert_eq!(
        db.sql("SELECT string_agg(version::text, ',') FROM strata.history"),
        "1"
    );
    db.sql("UPDATE test_control SET secs = 0");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 1 migration(s)");
    assert_eq!(db.sql("SELECT count(*) FROM half_done"), "1000");
}
