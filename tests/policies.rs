//! `strata policies apply` and the convergence at the end of `up`.

mod support;
use support::*;

fn project() -> Project {
    let p = Project::new();
    p.write(
        "migrations/001_notes.sql",
        "CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text, updated_at timestamptz);\n\
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n",
    )
    .write(
        "policies/010_notes.sql",
        "CREATE POLICY notes_own ON notes FOR SELECT USING (owner = current_user);\n\
         CREATE POLICY notes_insert ON notes FOR INSERT WITH CHECK (owner = current_user);\n",
    )
    .write(
        "policies/020_triggers.sql",
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n\
         CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n",
    );
    p
}

#[test]
fn up_installs_policies_and_a_second_apply_changes_nothing() {
    let db = TestDb::new("pol_up");
    let p = project();
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("policies: 3 change(s)")
        .assert_contains("notes_own on public.notes")
        .assert_contains("notes_touch on public.notes");
    assert_eq!(db.sql("SELECT count(*) FROM pg_policy"), "2");
    let oid_before = db.sql("SELECT oid FROM pg_policy WHERE polname = 'notes_own'");
    p.strata(Some(&db), &["policies", "apply"])
        .assert_ok()
        .assert_contains("policies: 0 changes");
    // "touches nothing": the same catalog rows, not recreated ones
    assert_eq!(
        db.sql("SELECT oid FROM pg_policy WHERE polname = 'notes_own'"),
        oid_before
    );
}

#[test]
fn changed_using_is_replaced_dry_run_changes_nothing_and_prune_drops_extras() {
    let db = TestDb::new("pol_change");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    db.sql("CREATE POLICY extra ON notes FOR DELETE USING (true)");
    p.write(
        "policies/010_notes.sql",
        "CREATE POLICY notes_own ON notes FOR SELECT USING (owner = session_user);\n\
         CREATE POLICY notes_insert ON notes FOR INSERT WITH CHECK (owner = current_user);\n",
    );
    p.strata(Some(&db), &["policies", "apply", "--dry-run"])
        .assert_ok()
        .assert_contains("notes_own on public.notes")
        .assert_contains("replace")
        .assert_contains("Dry run: nothing was changed");
    assert!(db
        .sql("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'notes_own'")
        .contains("CURRENT_USER"));
    p.strata(Some(&db), &["policies", "apply"])
        .assert_ok()
        .assert_contains("Applied in one transaction");
    assert!(db
        .sql("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'notes_own'")
        .contains("SESSION_USER"));
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_policy WHERE polname = 'extra'"),
        "1",
        "no prune without --prune"
    );
    p.strata(Some(&db), &["policies", "apply", "--prune"])
        .assert_ok()
        .assert_contains("extra on public.notes")
        .assert_contains("drop");
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_policy WHERE polname = 'extra'"),
        "0"
    );
    p.strata(Some(&db), &["policies", "apply", "--prune"])
        .assert_ok()
        .assert_contains("0 changes");
}

#[test]
fn a_failing_policy_file_names_the_position_and_applies_nothing() {
    let db = TestDb::new("pol_fail");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    p.write(
        "policies/030_broken.sql",
        "ALTER TABLE notes FORCE ROW LEVEL SECURITY;\nCREATE POLICY broken ON notes FOR UPDATE USING (ownr = current_user);\n",
    );
    p.strata(Some(&db), &["policies", "apply"])
        .assert_code(1)
        .assert_contains("policies/030_broken.sql:2:")
        .assert_contains("column \"ownr\" does not exist")
        .assert_contains("Nothing from policies/ was applied");
    assert_eq!(
        db.sql("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'notes'"),
        "f"
    );
}

#[test]
fn prune_on_a_protected_environment_needs_yes() {
    let db = TestDb::new("pol_prot");
    let p = project();
    p.write(
        "strata.toml",
        &format!(
            "[environments.prod]\nurl = \"{}\"\nprotected = true\n",
            db.url
        ),
    );
    p.strata(None, &["--env", "prod", "up"]).assert_ok();
    p.strata(None, &["--env", "prod", "policies", "apply", "--prune"])
        .assert_code(2)
        .assert_contains(
            "refusing `policies apply --prune` on protected environment `prod` without --yes",
        );
    p.strata(
        None,
        &["--env", "prod", "policies", "apply", "--prune", "--yes"],
    )
    .assert_ok();
}

#[test]
fn apply_on_up_can_be_turned_off() {
    let db = TestDb::new("pol_off");
    let p = project();
    p.write("strata.toml", "[policies]\napply_on_up = false\n");
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_not_contains("policies:");
    assert_eq!(db.sql("SELECT count(*) FROM pg_policy"), "0");
}

#[test]
fn apply_without_policy_files_is_a_usage_error() {
    let db = TestDb::new("pol_none");
    let p = Project::new();
    p.write("migrations/001_a.sql", "CREATE TABLE a (id int);");
    p.strata(Some(&db), &["policies", "apply"])
        .assert_code(2)
        .assert_contains("nothing declares policies");
}
