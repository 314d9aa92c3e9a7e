//! The conventions users expect (issue 11): completions, `wait` and `--connect-timeout`,
//! `-q` summary lines, colour only on a terminal and never with NO_COLOR, tables that fit the
//! terminal, JSON for every command (errors and flag errors included) and GitHub annotations.

mod support;
use std::process::Stdio;
use support::*;

fn project() -> Project {
    let p = Project::new();
    p.write("strata.toml", "")
        .write("migrations/001_a.sql", "CREATE TABLE a (id int);\n")
        .write(
            "migrations/002_a_migration_with_a_rather_long_name_that_does_not_fit.sql",
            "CREATE TABLE b (id int);\n",
        )
        .write(
            "rollbacks/002_a_migration_with_a_rather_long_name_that_does_not_fit.sql",
            "DROP TABLE b;\n",
        )
        .write(
            "tests/validation/01_a.sql",
            "-- test: a exists\n-- expect: ok\nSELECT * FROM a;\n",
        );
    p
}

fn json_of(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.all()))
}

/// Runs a shell command line under a pseudo-terminal (util-linux `script`); stdout and stderr
/// of the program both arrive on `script`'s stdout.
fn on_a_terminal(dir: &std::path::Path, line: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", line, "/dev/null"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run script(1) from util-linux: {e}")),
    )
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let p = Project::bare();
    for (shell, marker) in [
        ("bash", "complete -F _strata"),
        ("zsh", "#compdef strata"),
        ("fish", "complete -c strata"),
    ] {
        let r = p.strata(None, &["completions", shell]);
        r.assert_ok()
            .assert_contains(marker)
            .assert_contains("verify-rollbacks")
            .assert_contains("connect-timeout");
    }
    // Anywhere, without a project.
    assert!(!p.path().join("strata.toml").exists());
    let v = json_of(&p.strata(None, &["completions", "bash", "--format", "json"]));
    assert_eq!(v["shell"], "bash");
    assert!(v["script"].as_str().is_some_and(|s| s.contains("_strata")));
    p.strata(None, &["completions", "tcsh"])
        .assert_code(2)
        .assert_contains("invalid value 'tcsh'");
}

#[test]
fn wait_returns_when_the_database_accepts_connections_and_gives_up_after_the_timeout() {
    let db = TestDb::new("conv_wait");
    let p = project();
    let r = p.strata(Some(&db), &["wait"]);
    r.assert_ok().assert_contains("accepts connections");
    let v = json_of(&p.strata(Some(&db), &["wait", "--format", "json"]));
    assert_eq!(v["attempts"], 1);
    assert!(v["waited_ms"].is_u64());
    let r = p.strata(
        None,
        &[
            "--database-url",
            "postgres://app:Wt4secret@127.0.0.1:1/app",
            "wait",
            "--timeout",
            "1s",
        ],
    );
    r.assert_code(2)
        .assert_contains("still not accepting connections after 1s")
        .assert_not_contains("Wt4secret");
    p.strata(None, &["wait", "--timeout", "soon"])
        .assert_code(2)
        .assert_contains("--timeout soon: not a duration");
}

/// Forwards every connection on `listener` to `to` (a TCP port on 127.0.0.1).
fn forward(listener: std::net::TcpListener, to: u16) {
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", to)) else {
                continue;
            };
            for (mut a, mut b) in [
                (client.try_clone(), server.try_clone()),
                (server.try_clone(), client.try_clone()),
            ]
            .into_iter()
            .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
            {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut a, &mut b);
                    let _ = b.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
}

#[test]
fn wait_polls_until_a_server_appears() {
    let db = TestDb::new("conv_wait_late");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        l.local_addr().unwrap_or_else(|e| panic!("{e}")).port()
    };
    let db_port: u16 = db
        .url
        .rsplit_once(':')
        .and_then(|(_, r)| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("port of {}", db.url));
    let late_url = format!("postgres://postgres@127.0.0.1:{port}/{}", db.name);
    let p = project();
    let child = strata_cmd(p.path())
        .args([
            "--database-url",
            &late_url,
            "wait",
            "--timeout",
            "60s",
            "--format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let listener =
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    forward(listener, db_port);
    let r = Run::from(child.wait_with_output().unwrap_or_else(|e| panic!("{e}")));
    r.assert_ok();
    let v = json_of(&r);
    assert!(v["attempts"].as_u64().is_some_and(|n| n > 1), "{v}");
}

#[test]
fn connect_timeout_bounds_a_server_that_never_answers() {
    // Accepts TCP connections (the kernel's backlog) and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = silent.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
    let p = project();
    let url = format!("postgres://app@127.0.0.1:{port}/app");
    let r = p.strata(
        None,
        &["--database-url", &url, "--connect-timeout", "1s", "status"],
    );
    r.assert_code(2)
        .assert_contains("no answer within 1s (raise it with --connect-timeout)");
    p.strata(None, &["--connect-timeout", "later", "status"])
        .assert_code(2)
        .assert_contains("--connect-timeout later: not a duration");
    drop(silent);
}

#[test]
fn quiet_prints_only_the_summary_line() {
    let db = TestDb::new("conv_quiet");
    let p = project();
    let r = p.strata(Some(&db), &["up", "-q"]);
    r.assert_ok();
    assert_eq!(r.stdout.lines().count(), 1, "stdout: {}", r.stdout);
    assert!(
        r.stdout.starts_with("Applied 2 migration(s)"),
        "{}",
        r.stdout
    );
    for (args, line) in [
        (&["status", "-q"][..], "2 applied, 0 pending, 0 other\n"),
        (&["test", "-q"], "1 passed, 0 failed\n"),
        (&["check", "-q"], "3 file(s) checked, 0 problem(s); syntax parsed by PostgreSQL and checksums compared with the database\n"),
        (&["down", "-q", "--dry-run"], "Would roll back 1 migration(s).\n"),
    ] {
        let r = p.strata(Some(&db), args);
        r.assert_ok();
        assert_eq!(r.stdout, line, "{args:?}");
    }
    // Findings are still annotated for GitHub with -q; the verdict is the exit code.
    p.write(
        "tests/validation/02_b.sql",
        "-- test: b is missing\n-- expect: ok\nSELECT * FROM nope;\n",
    );
    let r = p.strata(Some(&db), &["test", "-q", "--format", "github"]);
    r.assert_code(1)
        .assert_contains("1 passed, 1 failed\n")
        .assert_contains("::error file=tests/validation/02_b.sql");
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let p = project();
    let line = format!(
        "{} --database-url postgres://u@127.0.0.1:1/x status",
        env!("CARGO_BIN_EXE_strata")
    );
    let r = on_a_terminal(p.path(), &line, &[]);
    r.assert_contains("\u{1b}[")
        .assert_contains("cannot connect");
    let r = on_a_terminal(p.path(), &line, &[("NO_COLOR", "1")]);
    r.assert_contains("cannot connect")
        .assert_not_contains("\u{1b}[");
    // Piped: no colour.
    let r = p.strata(
        None,
        &["--database-url", "postgres://u@127.0.0.1:1/x", "status"],
    );
    r.assert_code(2).assert_not_contains("\u{1b}[");
}

#[test]
fn tables_fit_the_terminal_and_do_not_wrap_in_a_pipe() {
    let db = TestDb::new("conv_width");
    let p = project();
    p.strata(Some(&db), &["up"]).assert_ok();
    let line = format!(
        "{} --database-url '{}' status",
        env!("CARGO_BIN_EXE_strata"),
        db.url
    );
    let r = on_a_terminal(p.path(), &line, &[("COLUMNS", "60"), ("NO_COLOR", "1")]);
    r.assert_ok();
    let widest = r
        .stdout
        .lines()
        .filter(|l| l.starts_with(['│', '├', '┌', '└', '╞']))
        .map(|l| l.trim_end_matches('\r').chars().count())
        .max()
        .unwrap_or(0);
    assert!(
        widest > 0 && widest <= 60,
        "widest table line {widest}:\n{}",
        r.stdout
    );
    let r = p.strata(Some(&db), &["status"]);
    assert!(
        r.stdout
            .contains("a_migration_with_a_rather_long_name_that_does_not_fit"),
        "a pipe gets whole cells:\n{}",
        r.stdout
    );
}

#[test]
fn every_command_speaks_json_including_init_new_db_and_flag_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        Run::from(
            strata_cmd(dir.path())
                .args(args)
                .args(["--format", "json"])
                .output()
                .unwrap_or_else(|e| panic!("{e}")),
        )
    };
    let v = json_of(run(&["init"]).assert_ok());
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["folders"][0], "migrations");
    let v = json_of(run(&["new", "add_things"]).assert_ok());
    assert!(
        v["migration"]
            .as_str()
            .is_some_and(|m| m.ends_with("_add_things.sql")),
        "{v}"
    );
    assert!(v["version"].is_string());
    let v = json_of(run(&["db", "status"]).assert_ok());
    assert_eq!(v["state"], "not-running");
    let v = json_of(run(&["db", "stop"]).assert_ok());
    assert_eq!(v["state"], "was-not-running");
    let v = json_of(run(&["check"]).assert_ok());
    assert_eq!(v["problems"], serde_json::json!([]));
    // A command line that does not parse: a usage error document, secrets masked.
    let r = run(&["status", "postgres://u:Fl5secret@h/db"]);
    r.assert_code(2).assert_not_contains("Fl5secret");
    let v = json_of(&r);
    assert_eq!(v["error"]["kind"], "usage");
    assert_eq!(v["error"]["exit_code"], 2);
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("unexpected argument 'postgres://u:***@h/db'")));
    // In GitHub format: the text plus an annotation.
    let r = Run::from(
        strata_cmd(dir.path())
            .args(["bogus", "--format=github"])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    r.assert_code(2)
        .assert_contains("error: unrecognized subcommand 'bogus'")
        .assert_contains("::error title=strata%3A usage::unrecognized subcommand");
    // Help is not an error.
    let r = Run::from(
        strata_cmd(dir.path())
            .arg("--help")
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    r.assert_ok().assert_contains("Usage: strata");
}
