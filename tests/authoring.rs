//! Authoring from the catalog: `diff --new-migration`, `dump`, `pull`, `squash` (SPEC 3,
//! issue 10 "What it must show" item 3), against the suite's real PostgreSQL.

mod support;
use support::*;

const INIT: &str = "CREATE TABLE public.accounts (id bigint PRIMARY KEY, email text NOT NULL, owner uuid);\n\
CREATE FUNCTION public.account_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM public.accounts $$;\n";
const INIT_DOWN: &str = "DROP FUNCTION public.account_count();\nDROP TABLE public.accounts;\n";

/// Drift of several kinds made by hand on a database.
const DRIFT: &str = "CREATE TYPE public.mood AS ENUM ('happy', 'sad');\n\
ALTER TABLE public.accounts ADD COLUMN mood public.mood, ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();\n\
CREATE INDEX accounts_email_idx ON public.accounts (lower(email));\n\
CREATE TABLE public.notes (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE, body text CHECK (length(body) < 1000));\n\
CREATE VIEW public.happy_accounts AS SELECT id, email FROM public.accounts WHERE mood = 'happy';\n\
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n\
CREATE POLICY notes_mine ON public.notes FOR SELECT USING (account_id > 0);\n\
COMMENT ON TABLE public.notes IS 'Free text per account';\n\
DROP FUNCTION public.account_count();\n";

fn project() -> Project {
    let p = Project::new();
    p.write("migrations/001_init.sql", INIT)
        .write("rollbacks/001_init.sql", INIT_DOWN);
    p
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn read(p: &Project, rel: &str) -> String {
    std::fs::read_to_string(p.path().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

#[test]
fn new_migration_reproduces_live_and_its_rollback_is_exact() {
    let db = TestDb::new("author_newmig");
    let p = project();
    let shadow = shadow_url();
    p.strata(Some(&db), &["up"]).assert_ok();
    db.sql(DRIFT);
    p.strata(
        Some(&db),
        &[
            "diff",
            "--new-migration",
            "Hand changes",
            "--shadow-url",
            &shadow,
        ],
    )
    .assert_ok()
    .assert_contains("Wrote migrations/002_hand_changes.sql")
    .assert_contains("rollbacks/002_hand_changes.sql");
    let up = read(&p, "migrations/002_hand_changes.sql");
    assert!(up.contains("CREATE TABLE public.notes"), "{up}");
    assert!(read(&p, "rollbacks/002_hand_changes.sql").contains("DROP TABLE public.notes"));
    // The live database now matches the declared state…
    p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow])
        .assert_ok();
    // …a fresh database brought up from the files is the live schema exactly…
    let fresh = TestDb::new("author_newmig_fresh");
    p.strata(Some(&fresh), &["up"]).assert_ok();
    p.strata(
        None,
        &["diff", "--exit-code", "--from", &fresh.url, "--to", &db.url],
    )
    .assert_ok()
    .assert_contains("No differences.");
    // …and the rollback undoes it exactly.
    p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow])
        .assert_ok()
        .assert_contains("2 exact");
    // Nothing differs any more: nothing is written, exit 0.
    let before = p.listing();
    p.strata(
        Some(&db),
        &["diff", "--new-migration", "again", "--shadow-url", &shadow],
    )
    .assert_ok()
    .assert_contains("No differences");
    assert_eq!(p.listing(), before, "nothing written");
}

#[test]
fn new_migration_keeps_a_folder_per_migration_layout_and_reports_json() {
    let db = TestDb::new("author_newmig_folder");
    let p = Project::new();
    p.write("migrations/0001_init/up.sql", INIT)
        .write("migrations/0001_init/down.sql", INIT_DOWN);
    p.strata(Some(&db), &["up"]).assert_ok();
    db.sql("ALTER TABLE public.accounts ADD COLUMN nickname text");
    let r = p.strata(
        Some(&db),
        &[
            "diff",
            "--new-migration",
            "nickname",
            "--format",
            "json",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_ok();
    let v = json(&r);
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["written"], true);
    assert_eq!(v["proof"]["result"], "converged");
    assert_eq!(v["migration"], "migrations/0002_nickname/up.sql");
    assert_eq!(v["rollback"], "migrations/0002_nickname/down.sql");
    assert!(read(&p, "migrations/0002_nickname/up.sql").contains("nickname"));
}

#[test]
fn a_migration_that_does_not_converge_is_not_written() {
    let db = TestDb::new("author_newmig_fail");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    // A column of a type outside the compared schemas: the migration cannot create it on a
    // database at the declared state.
    db.sql("CREATE SCHEMA other; CREATE TYPE other.level AS ENUM ('a'); ALTER TABLE public.accounts ADD COLUMN level other.level");
    let before = p.listing();
    p.strata(
        Some(&db),
        &[
            "diff",
            "--new-migration",
            "level",
            "--shadow-url",
            &shadow_url(),
        ],
    )
    .assert_code(1)
    .assert_contains(
        "the generated migration does not converge on a shadow database, so nothing was written",
    )
    .assert_contains("schema \"other\" does not exist");
    assert_eq!(p.listing(), before, "nothing written");
}

#[test]
fn new_migration_failures_name_the_problem() {
    let p = project();
    p.strata(None, &["diff", "--new-migration", "!!!"])
        .assert_code(2)
        .assert_contains("`!!!` is not a usable migration name");
    p.strata(None, &["diff", "--new-migration", "x", "--sql"])
        .assert_code(2)
        .assert_contains("cannot be used with");
}

#[test]
fn dump_is_stable_and_the_same_for_the_declared_state_and_the_database_up_built() {
    let db = TestDb::new("author_dump");
    let p = project();
    p.write(
        "migrations/002_more.sql",
        DRIFT
            .replace("DROP FUNCTION public.account_count();\n", "")
            .as_str(),
    );
    let shadow = shadow_url();
    p.strata(Some(&db), &["up"]).assert_ok();
    let a = p.strata(None, &["dump", "--declared", "--shadow-url", &shadow]);
    a.assert_ok();
    let b = p.strata(None, &["dump", "--shadow-url", &shadow]);
    b.assert_ok();
    assert_eq!(
        a.stdout, b.stdout,
        "same bytes twice (and --declared is the default in a project)"
    );
    assert!(
        a.stdout.contains("CREATE TABLE public.notes"),
        "{}",
        a.stdout
    );
    assert!(
        a.stdout.contains("CREATE POLICY notes_mine"),
        "{}",
        a.stdout
    );
    let live = p.strata(Some(&db), &["dump"]);
    live.assert_ok();
    assert_eq!(
        live.stdout, a.stdout,
        "a --database-url means the live database; same schema, same text"
    );
    // Objects come sorted: the enum before the tables, accounts before notes.
    let pos = |s: &str| a.stdout.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(pos("-- type public.mood") < pos("-- table public.accounts"));
    assert!(pos("-- table public.accounts") < pos("-- table public.notes"));
    // -o writes the same bytes; JSON lists the objects.
    let file = p.path().join("schema.sql");
    let file_arg = file.display().to_string();
    p.strata(Some(&db), &["dump", "--live", "-o", &file_arg])
        .assert_ok()
        .assert_contains("Wrote");
    assert_eq!(read(&p, "schema.sql"), a.stdout);
    let r = p.strata(Some(&db), &["dump", "--live", "--format", "json"]);
    r.assert_ok();
    let v = json(&r);
    assert_eq!(v["source"], "live");
    assert!(v["objects"].as_array().is_some_and(|o| o.len() >= 4), "{v}");
    // Drift shows in the dump.
    db.sql("ALTER TABLE public.notes ADD COLUMN extra int");
    let drifted = p.strata(Some(&db), &["dump"]);
    assert_ne!(drifted.stdout, a.stdout);
}

#[test]
fn dump_failures_name_the_problem() {
    let bare = Project::bare();
    bare.strata(None, &["dump", "--declared"])
        .assert_code(2)
        .assert_contains("there is no strata.toml");
    bare.strata(None, &["dump"])
        .assert_code(2)
        .assert_contains("--database-url");
    project()
        .strata(None, &["dump", "--declared", "--live"])
        .assert_code(2)
        .assert_contains("cannot be used with");
}

#[test]
fn pull_adopts_a_database_and_baselines_it() {
    let db = TestDb::new("author_pull");
    db.sql(INIT);
    db.sql(&DRIFT.replace("DROP FUNCTION public.account_count();\n", ""));
    let p = Project::new();
    let shadow = shadow_url();
    let r = p.strata(Some(&db), &["pull", "initial", "--shadow-url", &shadow]);
    r.assert_ok().assert_contains("baselined");
    let files: Vec<String> = p
        .listing()
        .into_iter()
        .filter(|f| f.ends_with("_initial.sql"))
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    // The database is at that version: status shows it applied, up has nothing to do.
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Nothing to apply");
    p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow])
        .assert_ok();
    // A fresh database built from the files is the adopted schema exactly.
    let fresh = TestDb::new("author_pull_fresh");
    p.strata(Some(&fresh), &["up"]).assert_ok();
    p.strata(
        None,
        &["diff", "--exit-code", "--from", &fresh.url, "--to", &db.url],
    )
    .assert_ok();
    p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow])
        .assert_ok()
        .assert_contains("1 exact");
}

#[test]
fn pull_refuses_a_project_with_migrations_or_a_database_with_history() {
    let db = TestDb::new("author_pull_refused");
    let p = project();
    let before = p.listing();
    p.strata(Some(&db), &["pull", "x", "--shadow-url", &shadow_url()])
        .assert_code(2)
        .assert_contains("already holds 1 migration(s)");
    assert_eq!(p.listing(), before);
    p.strata(Some(&db), &["up"]).assert_ok();
    let empty = Project::new();
    let r = empty.strata(
        Some(&db),
        &[
            "pull",
            "x",
            "--format",
            "json",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_code(2);
    let v = json(&r);
    assert_eq!(v["error"]["kind"], "database-has-history");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already records 1 row(s) of history")),
        "{v}"
    );
    assert!(empty.listing().iter().all(|f| !f.ends_with(".sql")));
}

fn three_migrations() -> Project {
    let p = project();
    p.write(
        "migrations/002_notes.sql",
        "CREATE TABLE public.notes (id bigserial PRIMARY KEY, account_id bigint REFERENCES public.accounts (id), body text);\n",
    )
    .write("rollbacks/002_notes.sql", "DROP TABLE public.notes;\n")
    .write(
        "migrations/003_index.sql",
        "CREATE INDEX notes_account_idx ON public.notes (account_id);\nALTER TABLE public.accounts ADD COLUMN nickname text;\n",
    )
    .write(
        "rollbacks/003_index.sql",
        "ALTER TABLE public.accounts DROP COLUMN nickname;\nDROP INDEX public.notes_account_idx;\n",
    )
    .write(
        "migrations/004_later.sql",
        "ALTER TABLE public.notes ADD COLUMN done boolean NOT NULL DEFAULT false;\n",
    )
    .write(
        "rollbacks/004_later.sql",
        "ALTER TABLE public.notes DROP COLUMN done;\n",
    );
    p
}

#[test]
fn squash_keeps_the_schema_and_databases_at_the_old_head_stay_up_to_date() {
    let db = TestDb::new("author_squash");
    let p = three_migrations();
    let shadow = shadow_url();
    p.strata(Some(&db), &["up"]).assert_ok();
    let partly = TestDb::new("author_squash_partly");
    p.strata(Some(&partly), &["up", "--to", "1"]).assert_ok();
    p.strata(None, &["squash", "--to", "3", "--shadow-url", &shadow])
        .assert_ok()
        .assert_contains("migrations/003_squashed.sql");
    let files = p.listing();
    assert!(
        !files.contains(&"migrations/001_init.sql".to_string()),
        "{files:?}"
    );
    assert!(
        !files.contains(&"rollbacks/002_notes.sql".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"migrations/004_later.sql".to_string()),
        "{files:?}"
    );
    let squashed = read(&p, "migrations/003_squashed.sql");
    assert!(squashed.starts_with("-- strata:replaces 1 "), "{squashed}");
    // The database at the old head: up to date, nothing to apply, no difference.
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Nothing to apply");
    p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow])
        .assert_ok();
    // A fresh database from the squashed files has the same schema.
    let fresh = TestDb::new("author_squash_fresh");
    p.strata(Some(&fresh), &["up"]).assert_ok();
    p.strata(
        None,
        &["diff", "--exit-code", "--from", &fresh.url, "--to", &db.url],
    )
    .assert_ok();
    p.strata(None, &["verify-rollbacks", "--shadow-url", &shadow])
        .assert_ok()
        .assert_contains("2 exact");
    // Rolling the squashed migration back on the old database takes the old versions too.
    p.strata(Some(&db), &["down", "--to", "0"]).assert_ok();
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_not_contains("file missing");
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow])
        .assert_ok();
    // A database part of the way through the old files is refused, with what to do.
    p.strata(Some(&partly), &["up"])
        .assert_code(1)
        .assert_contains("is a squash of files of which this database applied only 1");
}

#[test]
fn squash_failures_name_the_problem() {
    let p = three_migrations();
    let before = p.listing();
    p.strata(
        None,
        &["squash", "--to", "9", "--shadow-url", &shadow_url()],
    )
    .assert_code(2)
    .assert_contains("9 is not a migration file of the project");
    p.strata(
        None,
        &["squash", "--to", "1", "--shadow-url", &shadow_url()],
    )
    .assert_code(2)
    .assert_contains("only 1 migration(s) up to 1, nothing to squash");
    p.strata(None, &["squash", "--to", "x"])
        .assert_code(2)
        .assert_contains("not a version");
    assert_eq!(p.listing(), before);
}

#[test]
fn squash_warns_about_files_that_insert_rows() {
    let p = project();
    p.write(
        "migrations/002_seed.sql",
        "CREATE TABLE public.kinds (k text PRIMARY KEY);\nINSERT INTO public.kinds VALUES ('a');\n",
    );
    p.strata(
        None,
        &["squash", "--to", "2", "--shadow-url", &shadow_url()],
    )
    .assert_ok()
    .assert_contains("warning: these replaced files change rows")
    .assert_contains("migrations/002_seed.sql");
}

/// A type in a schema outside `[database] schemas`: a script from an empty database cannot
/// create the column that uses it.
const OUTSIDE: &str = "CREATE SCHEMA other;\nCREATE TYPE other.level AS ENUM ('a');\nCREATE TABLE public.levels (id int PRIMARY KEY, level other.level);\n";

#[test]
fn pull_and_squash_write_nothing_when_the_proof_fails() {
    let db = TestDb::new("author_pull_fail");
    db.sql(OUTSIDE);
    let p = Project::new();
    let before = p.listing();
    p.strata(Some(&db), &["pull", "initial", "--shadow-url", &shadow_url()])
        .assert_code(1)
        .assert_contains("pull: the generated migration does not converge on a shadow database, so nothing was written")
        .assert_contains("schema \"other\" does not exist");
    assert_eq!(p.listing(), before, "nothing written");
    // Not baselined either: the database has no history.
    assert_eq!(db.sql("SELECT to_regclass('strata.history') IS NULL"), "t");
    let p = project();
    p.write("migrations/002_outside.sql", OUTSIDE);
    let before = p.listing();
    let r = p.strata(
        None,
        &[
            "squash",
            "--to",
            "2",
            "--format",
            "json",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    r.assert_code(1);
    let v = json(&r);
    assert_eq!(v["written"], false);
    assert_eq!(v["proof"]["result"], "failed");
    assert_eq!(v["proof"]["file"], "migration");
    assert_eq!(p.listing(), before, "old files kept, nothing written");
}
