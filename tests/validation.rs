//! `strata test`: every expectation form, precise failure reasons, nothing persists, JUnit and
//! JSON output, pattern selection, malformed suites, and `-- as:` under both auth models.

mod support;
use support::*;

const A: &str = "00000000-0000-0000-0000-0000000000a1";

/// A project on the supabase model with the shim: accounts under RLS (owners see their own),
/// a ledger the API roles may not touch at all.
fn project() -> Project {
    let p = Project::new();
    p.write("strata.toml", "[auth]\nmodel = \"supabase\"\nshim = true\n")
        .write(
            "migrations/001_core.sql",
            "CREATE TABLE accounts (\n  id uuid PRIMARY KEY,\n  owner uuid NOT NULL,\n  balance numeric(12,2) NOT NULL DEFAULT 0 CHECK (balance >= 0),\n  label text UNIQUE\n);\n\
             ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY accounts_own ON accounts FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n\
             CREATE TABLE ledger (id bigserial PRIMARY KEY, amount int NOT NULL);\n\
             REVOKE ALL ON ledger FROM anon, authenticated;\n\
             CREATE FUNCTION level_for(xp int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 + xp / 250 $$;\n",
        )
        .write(
            "tests/validation/01_forms.sql",
            &format!(
                "-- setup: two accounts and a scratch table, all rolled back\n\
INSERT INTO accounts (id, owner, balance, label) VALUES\n  ('{A}', '{A}', 10, 'a'),\n  ('00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000b2', 20, 'b');\n\
CREATE TABLE scratch (x int);\n\
\n\
-- test: ok\n-- expect: ok\nINSERT INTO scratch VALUES (1);\n\
\n\
-- test: rows returned\n-- expect: rows 2\nSELECT * FROM accounts;\n\
\n\
-- test: rows affected\n-- expect: rows 2\nUPDATE accounts SET balance = balance + 1;\n\
\n\
-- test: check violation by code\n-- expect: error 23514\nUPDATE accounts SET balance = -1 WHERE label = 'a';\n\
\n\
-- test: unique violation by name\n-- expect: error unique_violation\nINSERT INTO accounts (id, owner, label) VALUES ('00000000-0000-0000-0000-0000000000c3', '{A}', 'a');\n\
\n\
-- test: value from a function\n-- expect: value 3\nSELECT level_for(500);\n\
\n\
-- test: value as PostgreSQL prints a numeric\n-- expect: value 10.00\nSELECT balance FROM accounts WHERE label = 'a';\n\
\n\
-- test: several statements, the last is judged\n-- expect: value 2\nINSERT INTO scratch VALUES (1);\nINSERT INTO scratch VALUES (2);\nSELECT count(*) FROM scratch;\n\
\n\
-- test: tests do not see each other's changes\n-- expect: value 0\nSELECT count(*) FROM scratch;\n\
\n\
-- test: a user sees only their own account\n-- as: authenticated {A}\n-- expect: rows 1\nSELECT * FROM accounts;\n\
\n\
-- test: anon sees nothing\n-- as: anon\n-- expect: rows 0\nSELECT * FROM accounts;\n\
\n\
-- test: a user may not insert accounts\n-- as: authenticated {A}\n-- expect: error insufficient_privilege\nINSERT INTO accounts (id, owner) VALUES ('00000000-0000-0000-0000-0000000000d4', '{A}');\n\
\n\
-- test: the role is restored after as\n-- expect: value 2\nSELECT count(*) FROM accounts;\n"
            ),
        );
    p
}

fn wrong_suite() -> String {
    format!(
        "INSERT INTO accounts (id, owner, balance, label) VALUES ('{A}', '{A}', 10, 'a'), ('00000000-0000-0000-0000-0000000000b2', '{A}', 5, 'b'), ('00000000-0000-0000-0000-0000000000c3', '{A}', 5, 'c');\n\
\n\
-- test: passes\n-- expect: rows 3\nSELECT * FROM accounts;\n\
\n\
-- test: wrong row count\n-- expect: rows 1\nSELECT * FROM accounts;\n\
\n\
-- test: wrong error\n-- expect: error check_violation\nUPDATE accounts SET balance = 1;\n\
\n\
-- test: ledger is closed to users\n-- as: authenticated {A}\n-- expect: ok\nINSERT INTO ledger (amount) VALUES (1);\n\
\n\
-- test: wrong value <&>\n-- expect: value 4\nSELECT level_for(500);\n"
    )
}

fn public_state(db: &TestDb) -> String {
    format!(
        "{}\n--rows {}",
        schema_objects(db, "public"),
        db.sql("SELECT (SELECT count(*) FROM accounts) || '/' || (SELECT count(*) FROM ledger)")
    )
}

#[test]
fn every_expectation_form_passes_and_nothing_persists() {
    let db = TestDb::new("val_forms");
    let p = project();
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("installed the Supabase auth shim");
    let before = public_state(&db);
    let run = p.strata(Some(&db), &["test"]);
    run.assert_ok()
        .assert_contains("13 passed, 0 failed")
        .assert_contains("tests/validation/01_forms.sql")
        .assert_not_contains("FAIL");
    assert!(
        run.stdout.lines().any(|l| l == "13 passed, 0 failed"),
        "summary on its own line:\n{}",
        run.stdout
    );
    assert_eq!(public_state(&db), before, "the suite left something behind");
    assert_eq!(db.sql("SELECT to_regclass('scratch') IS NULL"), "t");
    // nothing from strata either: no transaction left open, no prepared transaction
    assert_eq!(db.sql("SELECT count(*) FROM pg_prepared_xacts"), "0");
}

#[test]
fn a_wrong_expectation_fails_with_the_precise_reason() {
    let db = TestDb::new("val_wrong");
    let p = project();
    p.remove("tests/validation/01_forms.sql");
    p.write("tests/validation/02_wrong.sql", &wrong_suite());
    p.strata(Some(&db), &["up"]).assert_ok();
    let before = public_state(&db);
    let junit = p.path().join("out/junit.xml");
    let run = p.strata(
        Some(&db),
        &["test", "--junit", junit.to_str().unwrap_or_default()],
    );
    run.assert_code(1)
        .assert_contains("expected rows 1, got 3")
        .assert_contains("expected error 23514 (check_violation), statement succeeded")
        .assert_contains("expected ok, got error 42501: permission denied for table ledger")
        .assert_contains("expected value 4, got 3")
        // the failing statement, by file:line:col, with the source
        .assert_contains("tests/validation/02_wrong.sql:18:1: test `ledger is closed to users`")
        .assert_contains("18 | INSERT INTO ledger (amount) VALUES (1);")
        .assert_contains("1 passed, 4 failed");
    assert_eq!(public_state(&db), before);

    // JUnit: well-formed, with the failures and escaped names
    let xml = std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("{e}"));
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("5"));
    assert_eq!(root.attribute("failures"), Some("4"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 5);
    let wrong_value = cases
        .iter()
        .find(|c| c.attribute("name") == Some("wrong value <&>"))
        .unwrap_or_else(|| panic!("no testcase named with markup:\n{xml}"));
    let failure = wrong_value
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap_or_else(|| panic!("no failure element"));
    assert_eq!(
        failure.attribute("message"),
        Some("expected value 4, got 3")
    );
    let ledger = cases
        .iter()
        .find(|c| c.attribute("name") == Some("ledger is closed to users"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
        .unwrap_or_else(|| panic!("ledger failure missing"));
    assert_eq!(ledger.attribute("type"), Some("42501"));
    assert!(ledger
        .text()
        .unwrap_or_default()
        .contains("tests/validation/02_wrong.sql:18:1"));

    // JSON: parses, same numbers
    let json = p.strata(Some(&db), &["test", "--format", "json"]);
    json.assert_code(1);
    let v: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    assert_eq!(v["passed"], 1);
    assert_eq!(v["failed"], 4);
    let t = &v["suites"][0]["tests"][1];
    assert_eq!(t["name"], "wrong row count");
    assert_eq!(t["result"], "fail");
    assert_eq!(t["reason"], "expected rows 1, got 3");
    assert_eq!(t["failure"]["location"]["line"], 9);
    let ledger = &v["suites"][0]["tests"][3];
    assert_eq!(ledger["failure"]["error"]["code"], "42501");
}

#[test]
fn pattern_selects_suites_and_tests() {
    let db = TestDb::new("val_pattern");
    let p = project();
    p.write("tests/validation/02_wrong.sql", &wrong_suite());
    p.strata(Some(&db), &["up"]).assert_ok();
    // by file name: only the passing suite
    p.strata(Some(&db), &["test", "forms"])
        .assert_ok()
        .assert_contains("13 passed, 0 failed")
        .assert_not_contains("02_wrong");
    // by test name, across files
    let r = p.strata(Some(&db), &["test", "wrong row"]);
    r.assert_code(1).assert_contains("0 passed, 1 failed");
    let r = p.strata(Some(&db), &["test", "passes"]);
    r.assert_ok().assert_contains("1 passed, 0 failed");
    p.strata(Some(&db), &["test", "no-such-test"])
        .assert_code(2)
        .assert_contains("no validation test matches `no-such-test`");
}

#[test]
fn malformed_suites_name_file_and_line_and_run_nothing() {
    let db = TestDb::new("val_malformed");
    let p = project();
    p.write(
        "tests/validation/03_bad.sql",
        "-- as: authenticated\nSELECT 1;\n\n-- test: unknown expectation\n-- expect: maybe\nSELECT 1;\n\n-- test: empty\n-- expect: ok\n",
    );
    p.write(
        "tests/validation/04_commit.sql",
        "-- test: commits\nCOMMIT;\n",
    );
    p.strata(Some(&db), &["up"]).assert_ok();
    let r = p.strata(Some(&db), &["test"]);
    r.assert_code(1)
        .assert_contains("tests/validation/03_bad.sql:1: `-- as:` before any `-- test:`")
        .assert_contains("tests/validation/03_bad.sql:5: unknown expectation `maybe`")
        .assert_contains("tests/validation/03_bad.sql:8: test `empty` has no statements")
        .assert_contains("tests/validation/04_commit.sql:2: `COMMIT`")
        .assert_contains("Nothing was run")
        .assert_not_contains("passed");
}

#[test]
fn setup_failure_fails_every_test_with_its_location() {
    let db = TestDb::new("val_setup");
    let p = project();
    p.remove("tests/validation/01_forms.sql");
    p.write(
        "tests/validation/01_setup.sql",
        "INSERT INTO accounts (id, owner) VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a1');\nINSERT INTO nowhere VALUES (1);\n\n-- test: one\nSELECT 1;\n\n-- test: two\nSELECT 2;\n",
    );
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["test"])
        .assert_code(1)
        .assert_contains("tests/validation/01_setup.sql:2:13: the suite's setup failed")
        .assert_contains("relation \"nowhere\" does not exist")
        .assert_contains("0 passed, 2 failed");
    assert_eq!(db.sql("SELECT count(*) FROM accounts"), "0");
}

#[test]
fn connection_error_exits_2() {
    let p = project();
    p.strata(
        None,
        &["--database-url", "postgres://nobody@127.0.0.1:1/x", "test"],
    )
    .assert_code(2)
    .assert_contains("cannot connect");
}

#[test]
fn as_works_through_the_setting_model() {
    let db = TestDb::new("val_setting");
    let role = format!("app_user_{}", db.name);
    let p = Project::new();
    p.write(
        "strata.toml",
        &format!(
            "[auth]\nmodel = \"setting\"\nrole = \"{role}\"\nsetting = \"app.current_user_id\"\nshim = false\n"
        ),
    )
    .write(
        "migrations/001_notes.sql",
        &format!(
            "DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n\
             CREATE TABLE notes (id serial PRIMARY KEY, user_id int NOT NULL, body text);\n\
             ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY notes_own ON notes USING (user_id = current_setting('app.current_user_id', true)::int);\n\
             GRANT SELECT, INSERT ON notes TO {role};\n\
             GRANT USAGE ON SEQUENCE notes_id_seq TO {role};\n"
        ),
    )
    .write(
        "tests/validation/01_notes.sql",
        &format!(
            "INSERT INTO notes (user_id, body) VALUES (1, 'a'), (1, 'b'), (2, 'c');\n\n\
             -- test: user 1 sees two notes (user id alone, configured role)\n-- as: 1\n-- expect: rows 2\nSELECT * FROM notes;\n\n\
             -- test: user 2 sees one note (role and user id)\n-- as: {role} 2\n-- expect: value c\nSELECT body FROM notes;\n\n\
             -- test: the role is in force\n-- as: 2\n-- expect: value {role}\nSELECT current_user;\n\n\
             -- test: writing another user's note is refused\n-- as: 2\n-- expect: error 42501\nINSERT INTO notes (user_id, body) VALUES (1, 'x');\n\n\
             -- test: the superuser sees all again\n-- expect: rows 3\nSELECT * FROM notes;\n"
        ),
    );
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["test"])
        .assert_ok()
        .assert_contains("5 passed, 0 failed");
    assert_eq!(db.sql("SELECT count(*) FROM notes"), "0");
}
