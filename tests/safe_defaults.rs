//! Safe defaults (issue 11): destructive commands confirm on databases that are not the local
//! one, the target is named before anything changes, `--env` does not silently lose to `.env`,
//! `db url` starts nothing, and `policies apply --dry-run` plans what the real run does.

mod support;
use std::process::Stdio;
use support::*;

fn project() -> Project {
    let p = Project::new();
    p.write("strata.toml", "")
        .write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write("rollbacks/001_a.sql", "DROP TABLE a;\n")
        .write("seeds/a.sql", "INSERT INTO a VALUES (1);\n");
    p
}

fn json_of(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.all()))
}

/// Runs strata under a pseudo-terminal (util-linux `script`), typing `input`.
fn on_a_terminal(p: &Project, db: &TestDb, args: &str, input: &str) -> Run {
    use std::io::Write as _;
    let line = format!(
        "{} --database-url '{}' {args}",
        env!("CARGO_BIN_EXE_strata"),
        db.url
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_ENV")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run script(1) from util-linux: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    Run::from(
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("script: {e}")),
    )
}

#[test]
fn reset_on_a_database_that_is_not_the_local_one_needs_yes_or_a_yes_on_the_terminal() {
    let db = TestDb::new("safe_reset");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    // No terminal: refused before anything happens, with the flag to add and the target.
    let r = p.strata(Some(&db), &["reset"]);
    r.assert_code(2)
        .assert_contains(
            "`strata reset` changes a database that is not the local development database",
        )
        .assert_contains(&format!("host 127.0.0.1 port {}", port_of(&db)))
        .assert_contains(&format!("database {}", db.name))
        .assert_contains("user postgres")
        .assert_contains("add --yes to confirm");
    let v = json_of(&p.strata(Some(&db), &["reset", "--format", "json"]));
    assert_eq!(v["error"]["kind"], "confirmation-required");
    assert_eq!(v["error"]["exit_code"], 2);
    assert_eq!(db.sql("SELECT to_regclass('public.a') IS NOT NULL"), "t");
    // On a terminal: asked; "n" changes nothing.
    let r = on_a_terminal(&p, &db, "reset", "n\n");
    r.assert_code(2)
        .assert_contains("`strata reset` will drop everything strata manages")
        .assert_contains("Continue? [y/N]")
        .assert_contains("was not confirmed; nothing was changed");
    db.sql("INSERT INTO a VALUES (42)");
    // "y" goes ahead.
    let r = on_a_terminal(&p, &db, "reset", "y\n");
    r.assert_ok().assert_contains("Reset: dropped schema(s)");
    assert_eq!(db.sql("SELECT count(*) FROM a WHERE id = 42"), "0");
    // --yes: no question.
    p.strata(Some(&db), &["reset", "--yes"])
        .assert_ok()
        .assert_not_contains("Continue?");
}

fn port_of(db: &TestDb) -> String {
    db.url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn down_and_seed_on_another_machine_need_yes_and_ask_before_connecting() {
    let p = project();
    // Nothing listens there and nothing connects: the question comes first.
    let remote = "postgres://deploy:Rm7secret@db.staging.example:5432/app";
    for args in [&["down"][..], &["seed"], &["down", "--to", "0"]] {
        let mut full = vec!["--database-url", remote];
        full.extend_from_slice(args);
        let r = p.strata(None, &full);
        r.assert_code(2)
            .assert_contains(&format!("`strata {}` changes a database", args[0]))
            .assert_contains(
                "host db.staging.example port 5432, database app, user deploy, from --database-url",
            )
            .assert_not_contains("Rm7secret");
    }
    // A dry run changes nothing and asks nothing (it fails on connecting instead).
    let r = p.strata(
        None,
        &[
            "--database-url",
            "postgres://deploy@127.0.0.1:1/app",
            "down",
            "--dry-run",
        ],
    );
    r.assert_code(2).assert_contains("cannot connect");
}

#[test]
fn down_and_seed_on_this_machine_run_without_a_question_and_name_the_target() {
    let db = TestDb::new("safe_local");
    let p = project();
    let r = p.strata(Some(&db), &["up"]);
    r.assert_ok().assert_contains(&format!(
        "strata up: changing host 127.0.0.1 port {}, database {}, user postgres, from --database-url",
        port_of(&db),
        db.name
    ));
    p.strata(Some(&db), &["seed"])
        .assert_ok()
        .assert_contains("strata seed: changing host 127.0.0.1");
    p.strata(Some(&db), &["down"])
        .assert_ok()
        .assert_contains("strata down: changing host 127.0.0.1");
    // Read-only commands and dry runs do not announce a change.
    p.strata(Some(&db), &["status"])
        .assert_ok()
        .assert_not_contains("changing host");
    p.strata(Some(&db), &["up", "--dry-run"])
        .assert_ok()
        .assert_not_contains("changing host");
    // Even -q names the target (on stderr); stdout holds the summary line only.
    let r = p.strata(Some(&db), &["up", "-q"]);
    r.assert_ok();
    assert!(
        r.stderr.contains("strata up: changing host"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
}

#[test]
fn an_explicit_environment_is_not_overridden_by_dotenv_and_the_process_environment_says_so() {
    let db = TestDb::new("safe_env");
    let p = project();
    p.write(
        "strata.toml",
        &format!("[environments.staging]\nurl = \"{}\"\n", db.url),
    )
    .write(
        ".env",
        "DATABASE_URL=postgres://dev:Dv1secret@127.0.0.1:1/dev\n",
    );
    // .env alone: its DATABASE_URL is used.
    let r = p.strata(None, &["status"]);
    r.assert_code(2)
        .assert_contains("cannot connect to postgres://dev:***@127.0.0.1:1/dev")
        .assert_not_contains("Dv1secret");
    // --env staging beats .env.
    let r = p.strata(None, &["--env", "staging", "up"]);
    r.assert_ok()
        .assert_contains(", from environment `staging` in strata.toml");
    // DATABASE_URL in the process environment comes first (SPEC), and strata says so.
    let out = strata_cmd(p.path())
        .env("DATABASE_URL", &db.url)
        .args(["--env", "staging", "status"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = Run::from(out);
    r.assert_ok().assert_contains(
        "note: environment `staging` is selected, but its url is not used: DATABASE_URL comes first",
    );
}

#[test]
fn db_url_never_starts_anything() {
    let p = project();
    let r = p.strata(None, &["db", "url"]);
    r.assert_code(2)
        .assert_contains("the local development database is not running")
        .assert_contains("`strata db start` starts it");
    let v = json_of(&p.strata(None, &["db", "url", "--format", "json"]));
    assert_eq!(v["error"]["kind"], "not-running");
    assert_eq!(v["error"]["exit_code"], 2);
    assert!(
        !p.path().join(".strata/pg/data").exists(),
        "db url created a cluster"
    );
    let r = p.strata(None, &["db", "status"]);
    r.assert_ok().assert_contains("not running");
}

#[test]
fn policies_dry_run_plans_what_the_real_run_applies_when_the_shim_is_needed() {
    let db = TestDb::new("safe_shim_dry");
    let p = Project::new();
    p.write("strata.toml", "[policies]\napply_on_up = false\n")
        .write(
            "migrations/001_notes.sql",
            "CREATE TABLE notes (id int PRIMARY KEY, owner uuid NOT NULL);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n",
        )
        .write(
            "policies/notes.sql",
            "CREATE POLICY notes_own ON notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n",
        );
    p.strata(Some(&db), &["up"]).assert_ok();
    assert_eq!(db.sql("SELECT to_regnamespace('auth') IS NULL"), "t");
    let r = p.strata(Some(&db), &["policies", "apply", "--dry-run"]);
    r.assert_ok()
        .assert_contains("policies: 1 change(s)")
        .assert_contains("notes_own on public.notes")
        .assert_contains("Dry run: nothing was changed.")
        .assert_contains("the real run installs the Supabase auth shim first");
    assert_eq!(
        db.sql("SELECT to_regnamespace('auth') IS NULL"),
        "t",
        "the dry run left the shim behind"
    );
    assert_eq!(db.sql("SELECT count(*) FROM pg_policy"), "0");
    p.strata(Some(&db), &["policies", "apply"])
        .assert_ok()
        .assert_contains("policies: 1 change(s)")
        .assert_contains("Applied in one transaction.");
    assert_eq!(db.sql("SELECT count(*) FROM pg_policy"), "1");
}
