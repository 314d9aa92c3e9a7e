//! `strata verify-rollbacks`: apply, roll back and compare each migration on a shadow database.

mod support;
use support::*;

fn base(p: &Project) {
    p.write(
        "migrations/001_init.sql",
        "CREATE TABLE t (id int PRIMARY KEY, c text, owner uuid);\n\
         CREATE FUNCTION t_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM t $$;\n",
    )
    .write(
        "rollbacks/001_init.sql",
        "DROP FUNCTION t_count();\nDROP TABLE t;\n",
    );
}

#[test]
fn passes_on_a_correct_project_and_lists_migrations_without_rollback() {
    let p = Project::new();
    base(&p);
    p.write(
        "migrations/002_index_policy.sql",
        "CREATE INDEX t_c ON t (lower(c)) WHERE c IS NOT NULL;\n\
         ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY mine ON t FOR SELECT USING (owner = current_setting('app.user', true)::uuid);\n\
         CREATE TYPE mood AS ENUM ('a', 'b');\nALTER TABLE t ADD COLUMN m mood;\n",
    )
    .write(
        "rollbacks/002_index_policy.sql",
        "ALTER TABLE t DROP COLUMN m;\nDROP TYPE mood;\nDROP POLICY mine ON t;\n\
         ALTER TABLE t DISABLE ROW LEVEL SECURITY;\nDROP INDEX t_c;\n",
    )
    .write("migrations/003_data.sql", "INSERT INTO t (id, c) VALUES (1, 'x');\n");
    let r = p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow_url()]);
    r.assert_ok()
        .assert_contains("no rollback (skipped)")
        .assert_contains(
            "3 migration(s): 2 exact, 0 not exact, 0 failed, 1 without rollback (skipped).",
        );
}

#[test]
fn names_the_index_a_rollback_forgets_and_the_column_it_drops_too_many() {
    let p = Project::new();
    base(&p);
    p.write(
        "migrations/002_index.sql",
        "CREATE INDEX t_c_idx ON t (c);\n",
    )
    .write("rollbacks/002_index.sql", "-- forgot the index\n")
    .write(
        "migrations/003_col.sql",
        "ALTER TABLE t ADD COLUMN b int;\n",
    )
    .write(
        "rollbacks/003_col.sql",
        "ALTER TABLE t DROP COLUMN b;\nALTER TABLE t DROP COLUMN c;\n",
    );
    let r = p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow_url()]);
    r.assert_code(1)
        .assert_contains("NOT EXACT")
        .assert_contains("index  public.t_c_idx  left behind by the rollback")
        .assert_contains("column  public.t.c  missing after the rollback")
        .assert_contains("1 exact, 2 not exact");
    // JSON names the same objects.
    let r = p.strata(
        None,
        &[
            "verify-rollbacks",
            "--format",
            "json",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_code(1);
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    assert_eq!(v["migrations"][1]["result"], "not-exact");
    assert_eq!(v["migrations"][1]["differences"][0]["kind"], "index");
    assert_eq!(
        v["migrations"][1]["differences"][0]["object"],
        "public.t_c_idx"
    );
    assert_eq!(v["migrations"][2]["differences"][0]["object"], "public.t.c");
}

#[test]
fn a_failing_rollback_is_reported_with_its_file() {
    let p = Project::new();
    base(&p);
    p.write("migrations/002_x.sql", "CREATE TABLE x (id int);\n")
        .write("rollbacks/002_x.sql", "DROP TABLE not_there;\n");
    let r = p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow_url()]);
    r.assert_code(1)
        .assert_contains("FAILED")
        .assert_contains("rollbacks/002_x.sql")
        .assert_contains("not_there");
}
