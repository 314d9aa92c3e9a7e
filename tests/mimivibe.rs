//! The MimiVibe project (shared/seeds/002_22eeb7b5fa9bc92a.txt) end to end: `up`, `seed`,
//! `test`, `down` to empty; and the document as written, where strata must name each mistake.

mod support;
use support::*;

fn fixture(name: &str) -> Project {
    let p = Project::new();
    copy_dir(&repo_root().join("tests/fixtures").join(name), p.path());
    p
}

fn counts(db: &TestDb) -> String {
    db.sql(
        "SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM payments) || '/' || \
         (SELECT count(*) FROM wallet_transactions) || '/' || (SELECT count(*) FROM jobs)",
    )
}

#[test]
fn mimivibe_up_seed_test_down_to_empty() {
    let db = TestDb::new("mimivibe");
    let p = fixture("mimivibe");
    let before = schema_objects(&db, "public");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("installed the Supabase auth shim")
        .assert_contains("Applied 4 migration(s)");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("Loaded 4 seed file(s)");
    assert_eq!(counts(&db), "3/3/4/1");
    assert_eq!(
        db.sql("SELECT stars_total FROM payments WHERE stripe_payment_intent_id = 'pi_001'"),
        "120"
    );
    assert_eq!(
        db.sql("SELECT processing_time_ms FROM job_attempts"),
        "4200"
    );
    let run = p.strata(Some(&db), &["test"]);
    run.assert_ok().assert_contains("20 passed, 0 failed");
    // the suite left the seeded data as it was
    assert_eq!(counts(&db), "3/3/4/1");
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("seeds unchanged");
    p.strata(Some(&db), &["down", "--to", "0"])
        .assert_ok()
        .assert_contains("Rolled back 4 migration(s)");
    assert_eq!(
        schema_objects(&db, "public"),
        before,
        "down to 0 must leave public empty"
    );
}

#[test]
fn mimivibe_as_written_mistakes_are_reported() {
    let db = TestDb::new("mimivibe_as_written");
    let p = fixture("mimivibe-as-written");
    let before = schema_objects(&db, "public");

    // 1. a generated column calling NOW()
    let r = p.strata(Some(&db), &["up"]);
    r.assert_code(1)
        .assert_contains("error: migration 1 (initial_schema) failed")
        .assert_contains("--> migrations/001_initial_schema.sql:11:1")
        .assert_contains("11 | CREATE TABLE users (")
        .assert_contains("generation expression is not immutable")
        .assert_contains("Nothing of migrations/001_initial_schema.sql was applied");
    assert_eq!(schema_objects(&db, "public"), before);
    assert_eq!(
        db.sql("SELECT count(*) FROM strata.history WHERE kind = 'apply'"),
        "0"
    );

    // 2. after fixing 1 in place: a table referenced before it is created
    let path = p.path().join("migrations/001_initial_schema.sql");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let fixed = text.replace(
        "GENERATED ALWAYS AS (\n        substring(md5(id::text || NOW()::text), 1, 10)\n    ) STORED,",
        "DEFAULT substring(md5(gen_random_uuid()::text), 1, 10),",
    );
    assert_ne!(fixed, text);
    std::fs::write(&path, fixed).unwrap_or_else(|e| panic!("{e}"));
    let r = p.strata(Some(&db), &["up"]);
    r.assert_code(1)
        .assert_contains("error: migration 2 (add_payments_and_wallet) failed")
        .assert_contains("--> migrations/002_add_payments_and_wallet.sql:48:1")
        .assert_contains("48 | CREATE TABLE wallet_transactions (")
        .assert_contains("relation \"tarot_readings\" does not exist")
        .assert_contains("Completed before it in this run: 1.");
    assert_eq!(
        db.sql("SELECT to_regclass('users') IS NOT NULL AND to_regclass('payments') IS NULL"),
        "t",
        "001 applied, nothing of 002"
    );

    // 3. with 001-003 corrected, the document's helper is created, and fails when called
    let db2 = TestDb::new("mimivibe_helper");
    let p2 = fixture("mimivibe-as-written");
    for f in [
        "001_initial_schema.sql",
        "002_add_payments_and_wallet.sql",
        "003_add_job_queue.sql",
    ] {
        for dir in ["migrations", "rollbacks"] {
            let from = repo_root()
                .join("tests/fixtures/mimivibe")
                .join(dir)
                .join(f);
            std::fs::copy(&from, p2.path().join(dir).join(f)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    p2.strata(Some(&db2), &["up"]).assert_ok();
    p2.strata(Some(&db2), &["seed"]).assert_ok();
    let r = p2.strata(Some(&db2), &["test"]);
    r.assert_code(1)
        .assert_contains(
            "tests/validation/01_wallet.sql:93:1: test `the owner can access their reading` (line 91): \
             expected value t, got error 42702: column reference \"user_id\" is ambiguous",
        )
        .assert_contains("expected value f, got error 42702: column reference \"user_id\" is ambiguous")
        .assert_contains("WHERE id = reading_id AND user_id = user_id")
        .assert_contains("18 passed, 2 failed");
}
