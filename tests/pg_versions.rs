//! The test server is the one `STRATA_TEST_PG_BIN` names (or the installed one), and strata's
//! catalog reading is right on each PostgreSQL major version: one test per version-specific
//! difference the catalog layer handles (docs/postgres-versions.md).

mod support;
use support::*;

#[test]
fn the_test_server_is_the_version_of_the_test_binaries() {
    let db = TestDb::new("pgver");
    let num: u32 = db
        .sql("SELECT current_setting('server_version_num')")
        .parse()
        .unwrap_or_else(|e| panic!("server_version_num: {e}"));
    assert_eq!(
        num / 10000,
        pg_major(),
        "server {num}, binaries {}",
        pg_major()
    );
    assert!(
        (14..=18).contains(&pg_major()),
        "strata is tested on PostgreSQL 14 to 18, not {}",
        pg_major()
    );
}

fn project(files: &[(&str, &str)]) -> Project {
    let p = Project::new();
    p.write("strata.toml", "[auth]\nshim = false\n");
    for (path, text) in files {
        p.write(path, text);
    }
    p
}

fn diff(p: &Project, db: &TestDb) -> Run {
    p.strata(
        Some(db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
}

/// PostgreSQL 18 keeps NOT NULL as named constraints in `pg_constraint` (`contype = 'n'`),
/// which migrations add and drop by name; before 18 that syntax does not exist.
#[test]
fn named_not_null_constraints_exist_from_18_and_roll_back_exactly() {
    let p = project(&[
        (
            "migrations/001_t.sql",
            "CREATE TABLE t (id int, name text);\n",
        ),
        ("rollbacks/001_t.sql", "DROP TABLE t;\n"),
        (
            "migrations/002_required.sql",
            "ALTER TABLE t ADD CONSTRAINT t_id_required NOT NULL id;\n",
        ),
        (
            "rollbacks/002_required.sql",
            "ALTER TABLE t DROP CONSTRAINT t_id_required;\n",
        ),
    ]);
    let db = TestDb::new("pgver_nn");
    if pg_major() < 18 {
        p.strata(Some(&db), &["up"])
            .assert_code(1)
            .assert_contains("migrations/002_required.sql")
            .assert_contains("syntax error");
        return;
    }
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_eq!(
        db.sql(
            "SELECT conname FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'n'"
        ),
        "t_id_required"
    );
    diff(&p, &db).assert_ok().assert_contains("No differences.");
    // the column's NOT NULL is what diff compares: dropping the constraint is a drift
    db.sql("ALTER TABLE t DROP CONSTRAINT t_id_required");
    diff(&p, &db).assert_code(1).assert_contains("public.t");
    p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow_url()])
        .assert_ok()
        .assert_contains("2 exact");
}

/// From PostgreSQL 17 a domain's NOT NULL is also a row of `pg_constraint`; the catalog reads
/// it once (as the domain's NOT NULL), so a drift in it is found and nothing is doubled.
#[test]
fn domain_not_null_is_read_once_on_every_version() {
    let p = project(&[(
        "migrations/001_domain.sql",
        "CREATE DOMAIN posint AS int NOT NULL CONSTRAINT posint_positive CHECK (VALUE > 0);\n\
         CREATE TABLE t (n posint);\n",
    )]);
    let db = TestDb::new("pgver_domain");
    p.strata(Some(&db), &["up"]).assert_ok();
    let clean = diff(&p, &db);
    clean.assert_ok().assert_contains("No differences.");
    db.sql("ALTER DOMAIN posint DROP NOT NULL");
    let drift = diff(&p, &db);
    drift.assert_code(1).assert_contains("public.posint");
    let text = drift.all();
    let declared = text
        .lines()
        .find(|l| l.starts_with("+CREATE DOMAIN public.posint"))
        .unwrap_or_else(|| panic!("no declared domain line in:\n{text}"));
    assert_eq!(declared.matches("NOT NULL").count(), 1, "{declared}");
}

/// `security_invoker` views exist from PostgreSQL 15; on 14 the option is refused, and from
/// 15 the audit does not report such a view as bypassing row level security.
#[test]
fn security_invoker_views_exist_from_15() {
    let p = project(&[(
        "migrations/001_views.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, body text);\n\
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
         CREATE VIEW notes_safe WITH (security_invoker = true) AS SELECT id, body FROM notes;\n",
    )]);
    let db = TestDb::new("pgver_invoker");
    if pg_major() < 15 {
        p.strata(Some(&db), &["up"])
            .assert_code(1)
            .assert_contains("unrecognized parameter \"security_invoker\"");
        return;
    }
    p.strata(Some(&db), &["up"]).assert_ok();
    diff(&p, &db).assert_ok();
    db.sql("ALTER VIEW notes_safe RESET (security_invoker)");
    diff(&p, &db)
        .assert_code(1)
        .assert_contains("public.notes_safe");
}

/// PostgreSQL 17 added the MAINTAIN table privilege (part of `GRANT ALL`): a revoked MAINTAIN
/// is a privilege drift there; before 17 the privilege does not exist.
#[test]
fn maintain_privilege_exists_from_17() {
    let p = project(&[(
        "migrations/001_t.sql",
        // a predefined role: roles are cluster-wide, and the shadow runs the migration too
        "CREATE TABLE t (id int);\nGRANT ALL ON t TO pg_monitor;\n",
    )]);
    let db = TestDb::new("pgver_maintain");
    p.strata(Some(&db), &["up"]).assert_ok();
    diff(&p, &db).assert_ok();
    let (ok, out) = db.try_sql("REVOKE MAINTAIN ON t FROM pg_monitor");
    if pg_major() < 17 {
        assert!(!ok && out.contains("unrecognized privilege type"), "{out}");
        return;
    }
    assert!(ok, "{out}");
    diff(&p, &db).assert_code(1).assert_contains("MAINTAIN");
}

/// `[local] version` picks the local development database's server among the installed ones;
/// a version that is not installed is a usage error that lists what is and says how to get it.
#[test]
fn local_version_picks_the_installed_server_of_that_version() {
    let missing = Project::new();
    missing.write("strata.toml", "[local]\nversion = 13\n");
    missing
        .strata(None, &["db", "start"])
        .assert_code(2)
        .assert_contains("PostgreSQL 13 is not installed")
        .assert_contains("scripts/fetch-postgres 13");

    let p = Project::new();
    p.write(
        "strata.toml",
        &format!("[local]\nversion = {}\n", pg_major()),
    );
    let started = p.strata(None, &["db", "start"]);
    let stopped = p.strata(None, &["db", "stop"]);
    started.assert_ok();
    stopped.assert_ok();
    let version = std::fs::read_to_string(p.path().join(".strata/pg/data/PG_VERSION"))
        .or_else(|_| {
            // relocated when root cannot share the project folder with the server's user
            let found = started.all();
            let dir = found
                .split("cluster in ")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
                .unwrap_or_default()
                .to_string();
            std::fs::read_to_string(std::path::Path::new(&dir).join("data/PG_VERSION"))
        })
        .unwrap_or_else(|e| panic!("PG_VERSION of the local cluster: {e}\n{}", started.all()));
    assert_eq!(version.trim(), pg_major().to_string());
}
