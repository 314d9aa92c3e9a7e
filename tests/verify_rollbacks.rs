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

/// A rollback that fails inside its transaction leaves the shadow as the migration left it: the
/// run carries on from there without rebuilding the shadow (the model takes a reading, which
/// `--crosscheck` compares with a full read), and the next migrations get their own verdicts. A
/// no-transaction rollback that fails after a committed statement makes the run rebuild the shadow.
#[test]
fn after_a_failed_rollback_the_next_migrations_are_checked_from_the_state_the_migration_left() {
    let p = Project::new();
    base(&p);
    p.write(
        "migrations/002_x.sql",
        "CREATE TABLE x (id int);
ALTER TABLE t ADD COLUMN d int DEFAULT 1;
CREATE INDEX t_d ON t (d);
",
    )
    .write(
        "rollbacks/002_x.sql",
        "DROP INDEX t_d;
DROP TABLE not_there;
",
    )
    .write(
        "migrations/003_y.sql",
        "ALTER TABLE x ADD COLUMN y text;
COMMENT ON INDEX t_d IS 'd';
",
    )
    .write(
        "rollbacks/003_y.sql",
        "COMMENT ON INDEX t_d IS NULL;
ALTER TABLE x DROP COLUMN y;
",
    )
    .write(
        "migrations/004_z.sql",
        "CREATE INDEX x_id ON x (id);
",
    )
    .write(
        "rollbacks/004_z.sql",
        "-- strata:no-transaction
DROP INDEX x_id;
DROP TABLE not_there_either;
",
    )
    .write(
        "migrations/005_w.sql",
        "ALTER TABLE x ADD COLUMN w int;
",
    )
    .write(
        "rollbacks/005_w.sql",
        "ALTER TABLE x DROP COLUMN w;
DROP INDEX t_d;
",
    );
    let r = p.strata(
        None,
        &[
            "-v",
            "verify-rollbacks",
            "--crosscheck",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_code(1)
        .assert_contains("not_there")
        .assert_contains("not_there_either")
        .assert_contains(
            "5 migration(s): 2 exact, 1 not exact, 2 failed, 0 without rollback (skipped).",
        )
        // 005's rollback drops the index 002 made and 002's failed rollback left in place.
        .assert_contains("t_d")
        // one rebuild for 004's no-transaction rollback, one for 005's inexact one; none for 002
        .assert_contains("2 rebuild(s)");
}

/// Objects of every kind, changed by migrations whose rollbacks are exact, then rollbacks that
/// each get one detail wrong (a comment, a grant, a default, a function body, an enum value, a
/// view, a sequence option, a policy, a renamed table). `--crosscheck` makes strata read the whole
/// catalog after every step and fail if the incrementally kept model differs from it.
#[test]
fn incremental_snapshots_see_every_kind_of_change_and_match_full_reads() {
    let p = Project::new();
    p.write(
        "strata.toml",
        "[database]\nschemas = [\"public\", \"app\"]\n",
    );
    let steps: &[(&str, &str, &str)] = &[
        (
            "001_base",
            "CREATE SCHEMA app;\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
             CREATE TYPE app.mood AS ENUM ('a', 'b');\nCREATE DOMAIN app.pos AS int CHECK (VALUE > 0);\n\
             CREATE TYPE app.pair AS (x int, y text);\nCREATE SEQUENCE app.s START 5;\n\
             CREATE TABLE app.t (id int PRIMARY KEY, c text DEFAULT 'x', m app.mood, n app.pos);\n\
             COMMENT ON COLUMN app.t.c IS 'the c';\nCREATE VIEW app.v AS SELECT id, c FROM app.t;\n\
             CREATE FUNCTION app.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 1 $$;\n\
             CREATE FUNCTION app.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
             CREATE TRIGGER t_trg BEFORE UPDATE ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg();\n\
             ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY p ON app.t USING (id > 0);\nCREATE INDEX t_c ON app.t (lower(c));\n",
            "DROP TABLE app.t CASCADE;\nDROP FUNCTION app.f(int);\nDROP FUNCTION app.trg();\n\
             DROP SEQUENCE app.s;\nDROP TYPE app.pair;\nDROP DOMAIN app.pos;\nDROP TYPE app.mood;\n\
             DROP EXTENSION pg_trgm;\nDROP SCHEMA app;\n",
        ),
        (
            "002_exact_churn",
            "ALTER TABLE app.t ADD COLUMN d int;\nDROP VIEW app.v;\n\
             CREATE VIEW app.v AS SELECT id, c, d FROM app.t;\nALTER TABLE app.t RENAME TO t2;\n\
             CREATE INDEX t_d ON app.t2 (d);\nALTER TABLE app.t2 RENAME TO t;\n",
            "DROP INDEX app.t_d;\nDROP VIEW app.v;\n\
             ALTER TABLE app.t DROP COLUMN d;\nCREATE VIEW app.v AS SELECT id, c FROM app.t;\n",
        ),
        (
            "003_comment",
            "COMMENT ON COLUMN app.t.c IS 'changed';\n",
            "COMMENT ON COLUMN app.t.c IS 'not the same';\n",
        ),
        (
            "004_grant",
            "GRANT SELECT ON app.t TO PUBLIC;\n",
            "-- forgot REVOKE\n",
        ),
        (
            "005_default",
            "ALTER TABLE app.t ALTER COLUMN c SET DEFAULT 'y';\n",
            "ALTER TABLE app.t ALTER COLUMN c DROP DEFAULT;\n",
        ),
        (
            "006_function",
            "CREATE OR REPLACE FUNCTION app.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 2 $$;\n",
            "CREATE OR REPLACE FUNCTION app.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 3 $$;\n",
        ),
        (
            "007_enum",
            "ALTER TYPE app.mood ADD VALUE 'c';\n",
            "-- enum values cannot be dropped\n",
        ),
        (
            "008_view",
            "CREATE OR REPLACE VIEW app.v AS SELECT id, c, d, 1 AS one FROM app.t;\n",
            "DROP VIEW app.v;\nCREATE VIEW app.v AS SELECT id FROM app.t;\n",
        ),
        (
            "009_sequence",
            "ALTER SEQUENCE app.s INCREMENT 2;\n",
            "ALTER SEQUENCE app.s INCREMENT 3;\n",
        ),
        (
            "010_policy",
            "ALTER POLICY p ON app.t USING (id > 1);\n",
            "ALTER POLICY p ON app.t USING (id > 2);\n",
        ),
        (
            "011_rename",
            "ALTER TABLE app.t RENAME TO t3;\n",
            "-- forgot to rename it back\n",
        ),
    ];
    for (name, up, down) in steps {
        p.write(&format!("migrations/{name}.sql"), up)
            .write(&format!("rollbacks/{name}.sql"), down);
    }
    let r = p.strata(
        None,
        &[
            "verify-rollbacks",
            "--crosscheck",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_code(1)
        .assert_not_contains("cross-checking")
        .assert_not_contains("stopped at")
        .assert_contains("11 migration(s): 2 exact, 9 not exact, 0 failed");
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
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let differing = |i: usize| -> Vec<String> {
        v["migrations"][i]["differences"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| {
                        format!(
                            "{} {}",
                            d["kind"].as_str().unwrap_or(""),
                            d["object"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(v["migrations"][0]["result"], "exact");
    assert_eq!(v["migrations"][1]["result"], "exact");
    assert!(
        differing(2).contains(&"comment COLUMN app.t.c".to_string()),
        "{:?}",
        differing(2)
    );
    assert!(
        differing(3).iter().any(|d| d.starts_with("grant ")),
        "{:?}",
        differing(3)
    );
    assert!(
        differing(4).contains(&"column app.t.c".to_string()),
        "{:?}",
        differing(4)
    );
    assert!(
        differing(5).contains(&"function app.f(integer)".to_string()),
        "{:?}",
        differing(5)
    );
    assert!(
        differing(6).contains(&"type app.mood".to_string()),
        "{:?}",
        differing(6)
    );
    assert!(
        differing(7).contains(&"view app.v".to_string()),
        "{:?}",
        differing(7)
    );
    assert!(
        differing(8).contains(&"sequence app.s".to_string()),
        "{:?}",
        differing(8)
    );
    assert!(
        differing(9).contains(&"policy app.t.p".to_string()),
        "{:?}",
        differing(9)
    );
    assert!(
        differing(10).contains(&"table app.t".to_string()),
        "{:?}",
        differing(10)
    );
    assert!(
        differing(10).contains(&"table app.t3".to_string()),
        "{:?}",
        differing(10)
    );
}

/// The kinds beyond relations, types and functions (collations, extended statistics, rules,
/// publications, default privileges, event triggers), and renames that change how other
/// objects print (a view, a publication and statistics name the renamed table and column
/// without a write to their own rows): `--crosscheck` fails if the incrementally kept model
/// goes stale, and each inexact rollback is named by its kind.
#[test]
fn incremental_snapshots_follow_every_kind_and_renames_of_what_objects_name() {
    let p = Project::new();
    p.write(
        "strata.toml",
        "[database]\nschemas = [\"public\", \"app\"]\n",
    );
    let steps: &[(&str, &str, &str)] = &[
        (
            "001_base",
            "CREATE SCHEMA app;\nCREATE COLLATION app.c2 FROM \"C\";\n\
             CREATE TABLE app.t (id int PRIMARY KEY, c text COLLATE app.c2, d int);\n\
             CREATE VIEW app.v AS SELECT id, c FROM app.t;\n\
             CREATE STATISTICS app.st (dependencies) ON id, d FROM app.t;\n\
             CREATE RULE r AS ON INSERT TO app.t WHERE NEW.id < 0 DO INSTEAD NOTHING;\n\
             CREATE PUBLICATION pub FOR TABLE app.t;\n\
             ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;\n\
             CREATE FUNCTION app.evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;\n\
             CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION app.evt();\n",
            "DROP EVENT TRIGGER et;\nDROP FUNCTION app.evt();\n\
             ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM PUBLIC;\n\
             DROP PUBLICATION pub;\nDROP TABLE app.t CASCADE;\nDROP COLLATION app.c2;\n\
             DROP SCHEMA app;\n",
        ),
        (
            "002_rename_table",
            "ALTER TABLE app.t RENAME TO t2;\n",
            "ALTER TABLE app.t2 RENAME TO t;\n",
        ),
        (
            "003_rename_column",
            "ALTER TABLE app.t2 RENAME COLUMN c TO c2;\n",
            "ALTER TABLE app.t2 RENAME COLUMN c2 TO c;\n",
        ),
        (
            "004_collation_comment",
            "COMMENT ON COLLATION app.c2 IS 'x';\n",
            "COMMENT ON COLLATION app.c2 IS 'y';\n",
        ),
        (
            "005_statistics",
            "ALTER STATISTICS app.st SET STATISTICS 50;\n",
            "-- forgot to reset it\n",
        ),
        (
            "006_rule",
            "ALTER TABLE app.t2 DISABLE RULE r;\n",
            "-- forgot to enable it\n",
        ),
        (
            "007_publication",
            "ALTER PUBLICATION pub SET (publish = 'insert');\n",
            "-- forgot to reset it\n",
        ),
        (
            "008_default_privileges",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT INSERT ON TABLES TO PUBLIC;\n",
            "-- forgot to revoke it\n",
        ),
        (
            "009_event_trigger",
            "ALTER EVENT TRIGGER et DISABLE;\n",
            "-- forgot to enable it\n",
        ),
    ];
    for (name, up, down) in steps {
        p.write(&format!("migrations/{name}.sql"), up)
            .write(&format!("rollbacks/{name}.sql"), down);
    }
    let r = p.strata(
        None,
        &[
            "verify-rollbacks",
            "--crosscheck",
            "--format",
            "json",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_code(1)
        .assert_not_contains("cross-checking")
        .assert_not_contains("\"stopped\"");
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let result = |i: usize| {
        v["migrations"][i]["result"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let kinds = |i: usize| -> Vec<String> {
        v["migrations"][i]["differences"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| d["kind"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    for i in 0..3 {
        assert_eq!(result(i), "exact", "{i}: {:?}", v["migrations"][i]);
    }
    for (i, kind) in [
        (3, "comment"),
        (4, "statistics"),
        (5, "rule"),
        (6, "publication"),
        (7, "default-privileges"),
        (8, "event-trigger"),
    ] {
        assert_eq!(result(i), "not-exact", "{i}: {:?}", v["migrations"][i]);
        assert!(kinds(i).iter().any(|k| k == kind), "{i}: {:?}", kinds(i));
    }
}

/// A migration that fails on the shadow stops the run, but the verdicts so far are reported
/// first, then the failure with its file and position.
#[test]
fn a_migration_that_fails_stops_the_run_after_reporting_what_was_checked() {
    let p = Project::new();
    base(&p);
    p.write("migrations/002_ok.sql", "ALTER TABLE t ADD COLUMN b int;\n")
        .write("rollbacks/002_ok.sql", "ALTER TABLE t DROP COLUMN b;\n")
        .write(
            "migrations/003_bad.sql",
            "ALTER TABLE t ADD COLUMN e int;\nSELECT no_such_column FROM t;\n",
        )
        .write("rollbacks/003_bad.sql", "ALTER TABLE t DROP COLUMN e;\n")
        .write("migrations/004_never.sql", "CREATE TABLE never (id int);\n");
    let r = p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow_url()]);
    r.assert_code(1)
        .assert_contains("│ 2       ┆ ok   ┆ exact    │")
        .assert_contains("stopped at 3 bad: the migration failed on the shadow database")
        .assert_contains("migrations/003_bad.sql:2:8")
        .assert_contains("no_such_column")
        .assert_contains("2 migration(s): 2 exact, 0 not exact, 0 failed, 0 without rollback (skipped); stopped at 3.")
        .assert_not_contains("never");
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
    assert_eq!(v["migrations"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["stopped"]["step"], "up");
    assert_eq!(v["stopped"]["version"], "3");
    assert_eq!(v["stopped"]["error"]["line"], 2);
    assert_eq!(v["stopped"]["error"]["sqlstate"], "42703");
}

/// Migrations that only remove a row that belongs to a table (a policy, a trigger, a comment, a
/// foreign key, a rule, an index): nothing else of the table is written, so the incremental
/// snapshot must notice the removal itself. Each rollback forgets to put it back, and each must
/// be reported; an identity option and a recreated policy come back exactly. `--crosscheck`
/// fails the run if the kept model ever differs from a full read.
#[test]
fn incremental_snapshots_notice_parts_removed_without_other_writes() {
    let p = Project::new();
    let steps: &[(&str, &str, &str)] = &[
        (
            "001_base",
            "CREATE TABLE u (id int PRIMARY KEY);\n\
             CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             u_id int CONSTRAINT t_u_fk REFERENCES u (id), c text);\n\
             COMMENT ON TABLE t IS 'the t';\nCOMMENT ON CONSTRAINT t_u_fk ON t IS 'the fk';\n\
             CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
             CREATE TRIGGER t_trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg();\n\
             ALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON t USING (id > 0);\n\
             CREATE POLICY q ON t FOR SELECT USING (true);\n\
             CREATE RULE t_no_delete AS ON DELETE TO t DO INSTEAD NOTHING;\n\
             CREATE INDEX t_c ON t (c);\n",
            "DROP TABLE t;\nDROP TABLE u;\nDROP FUNCTION trg();\n",
        ),
        ("002_policy", "DROP POLICY q ON t;\n", "-- forgot\n"),
        ("003_trigger", "DROP TRIGGER t_trg ON t;\n", "-- forgot\n"),
        ("004_comment", "COMMENT ON CONSTRAINT t_u_fk ON t IS NULL;\n", "-- forgot\n"),
        ("005_foreign_key", "ALTER TABLE t DROP CONSTRAINT t_u_fk;\n", "-- forgot\n"),
        ("006_rule", "DROP RULE t_no_delete ON t;\n", "-- forgot\n"),
        ("007_index", "DROP INDEX t_c;\n", "-- forgot\n"),
        (
            "008_identity",
            "ALTER TABLE t ALTER COLUMN id SET INCREMENT BY 5;\n",
            "ALTER TABLE t ALTER COLUMN id SET INCREMENT BY 1;\n",
        ),
        (
            "009_policy_again",
            "DROP POLICY p ON t;\n",
            "CREATE POLICY p ON t USING (id > 0);\n",
        ),
    ];
    for (name, up, down) in steps {
        p.write(&format!("migrations/{name}.sql"), up)
            .write(&format!("rollbacks/{name}.sql"), down);
    }
    let r = p.strata(
        None,
        &[
            "verify-rollbacks",
            "--crosscheck",
            "--format",
            "json",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_code(1);
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let results: Vec<&str> = v["migrations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["result"].as_str().unwrap_or(""))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        results,
        [
            "exact",
            "not-exact",
            "not-exact",
            "not-exact",
            "not-exact",
            "not-exact",
            "not-exact",
            "exact",
            "exact"
        ],
        "{}",
        r.stdout
    );
}

/// A reading runs on two connections; the server may close the second one while a migration runs
/// on the first (`idle_session_timeout`, set here for one role, 1 s: the second connection idles
/// through a 2.5 s migration, the first is never idle that long): the run goes on, each reading
/// on the applying connection alone, and every verdict is the same.
#[test]
fn readings_go_on_alone_when_the_server_closes_the_second_connection() {
    let admin = shadow_url();
    let (ok, out) = psql_script(
        &admin,
        "DO $$ BEGIN CREATE ROLE strata_idle_verify LOGIN SUPERUSER; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n\
         ALTER ROLE strata_idle_verify SET idle_session_timeout = '1s';\n",
    );
    assert!(ok, "{out}");
    let (scheme, rest) = admin.split_once("://").unwrap_or_else(|| panic!("{admin}"));
    let (_, host) = rest.split_once('@').unwrap_or_else(|| panic!("{admin}"));
    let url = format!("{scheme}://strata_idle_verify@{host}");
    let p = Project::new();
    base(&p);
    p.write(
        "migrations/002_slow.sql",
        "SELECT pg_sleep(2.5);\nCREATE TABLE u (id int PRIMARY KEY, t_id int);\n",
    )
    .write("rollbacks/002_slow.sql", "DROP TABLE u;\n")
    .write(
        "migrations/003_more.sql",
        "ALTER TABLE u ADD COLUMN c text;\nCREATE INDEX u_c ON u (c);\n",
    )
    .write("rollbacks/003_more.sql", "ALTER TABLE u DROP COLUMN c;\n");
    // Without and with --crosscheck (which also reads every step on the first connection
    // alone, and compares the model with a full read). 003's rollback leaves nothing behind
    // (dropping the column drops its index): exact.
    for extra in [&[][..], &["--crosscheck"][..]] {
        let mut args = vec!["verify-rollbacks", "--shadow-url", &url];
        args.extend_from_slice(extra);
        p.strata(None, &args).assert_ok().assert_contains(
            "3 migration(s): 3 exact, 0 not exact, 0 failed, 0 without rollback (skipped).",
        );
    }
}
