//! The repository's own project (1MarketPulse): what the README's run command does on a fresh
//! clone, on strata's own local development database.

mod support;
use support::*;

fn repo_project() -> Project {
    let p = Project::new();
    for dir in [
        "migrations",
        "rollbacks",
        "policies",
        "seeds",
        "tests/validation",
    ] {
        p.copy_from_repo(dir);
    }
    std::fs::copy(
        repo_root().join("strata.toml"),
        p.path().join("strata.toml"),
    )
    .unwrap_or_else(|e| panic!("copy strata.toml: {e}"));
    p
}

/// Stops the project's local server even when the test fails.
struct StopOnDrop<'a>(&'a Project);
impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.strata(None, &["db", "stop"]);
    }
}

#[test]
fn run_command_starts_local_database_applies_everything_and_is_idempotent() {
    let p = repo_project();
    let _stop = StopOnDrop(&p);
    let r = p.strata(None, &["up"]);
    r.assert_ok()
        .assert_contains(
            "created and started the local development database postgres://postgres@127.0.0.1:",
        )
        .assert_contains("Applied 6 migration(s)")
        .assert_contains("policies: ")
        .assert_contains("Applied in one transaction");
    p.strata(None, &["up"])
        .assert_ok()
        .assert_contains("using the local development database")
        .assert_contains("Nothing to apply: the database is up to date (6 migration(s) applied)")
        .assert_contains("policies: 0 changes");
    p.strata(None, &["policies", "apply"])
        .assert_ok()
        .assert_contains("policies: 0 changes");
    p.strata(None, &["db", "status"])
        .assert_ok()
        .assert_contains("running: postgres://postgres@127.0.0.1:");
    let url = p.strata(None, &["db", "url"]);
    url.assert_ok();
    let url = url.stdout.trim().to_string();
    assert!(url.ends_with("/strata_dev"), "{url}");
    let tables = psql(
        &url,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
    );
    assert!(
        tables.parse::<i32>().unwrap_or(0) >= 25,
        "expected the 1MarketPulse tables, got {tables}"
    );
    p.strata(None, &["status", "--exit-code"]).assert_ok();
    p.strata(None, &["db", "stop"])
        .assert_ok()
        .assert_contains("stopped");
    p.strata(None, &["db", "status"])
        .assert_ok()
        .assert_contains("not running");
}

#[test]
fn down_to_zero_empties_public_and_up_again_works() {
    let db = TestDb::new("repo_down");
    let p = repo_project();
    let empty = schema_objects(&db, "public");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 6 migration(s)");
    p.strata(Some(&db), &["down", "--to", "0"])
        .assert_ok()
        .assert_contains("Rolled back 6 migration(s)");
    assert_eq!(
        schema_objects(&db, "public"),
        empty,
        "public must hold nothing after down to zero"
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 6 migration(s)");
    p.strata(Some(&db), &["check"])
        .assert_ok()
        .assert_contains("0 problem(s)");
}

#[test]
fn seeds_load_and_the_validation_suites_pass() {
    let db = TestDb::new("repo_suites");
    let p = repo_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("in one transaction");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("seeds unchanged");
    let users_before = db.sql("SELECT count(*) FROM users");
    let r = p.strata(Some(&db), &["test"]);
    r.assert_ok().assert_contains(" passed, 0 failed");
    let passed: usize = r
        .stdout
        .lines()
        .find_map(|l| l.strip_suffix(" passed, 0 failed"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        passed >= 25,
        "1MarketPulse needs at least 25 validation tests, ran {passed}"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM users"),
        users_before,
        "tests leave nothing behind"
    );
}

#[test]
fn no_drift_after_up_between_databases_and_every_rollback_is_exact() {
    let db = TestDb::new("repo_diff");
    let other = TestDb::new("repo_diff_b");
    let p = repo_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&other), &["up"]).assert_ok();
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_ok()
    .assert_contains("No differences.");
    p.strata(
        None,
        &["diff", "--exit-code", "--from", &db.url, "--to", &other.url],
    )
    .assert_ok()
    .assert_contains("No differences.");
    p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow_url()])
        .assert_ok()
        .assert_contains("6 exact");
    // a manual change is drift
    db.sql("DROP POLICY users_select_own ON users");
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_code(1)
    .assert_contains("users_select_own");
}
