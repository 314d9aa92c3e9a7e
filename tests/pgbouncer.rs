//! strata through PgBouncer (issue 11): it connects with PgBouncer's default settings (no
//! `ignore_startup_parameters`), and in transaction pooling mode 10 concurrent `up` runs apply
//! each migration exactly once or stop with a clean refusal, and leave no lock behind; 7 rounds.
//!
//! PgBouncer comes from the Debian package (`apt-get install pgbouncer`), started here by the
//! test itself, as an unprivileged user when the tests run as root, in front of the test
//! cluster. A clone without it reports these tests as ignored; `.ci/run` installs the package
//! and runs them with `--ignored`, where a missing binary fails them.

mod support;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn pgbouncer_binary() -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"] {
        let p = Path::new(dir).join("pgbouncer");
        if p.is_file() {
            return p;
        }
    }
    panic!("pgbouncer is not installed: `apt-get install pgbouncer` (this test is run by .ci/run, which installs it)");
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    l.local_addr().unwrap_or_else(|e| panic!("{e}")).port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PgBouncer in front of the test cluster, stopped when dropped.
struct Bouncer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Bouncer {
    fn start(pool_mode: &str) -> Bouncer {
        let binary = pgbouncer_binary();
        let server = cluster();
        let dir = tempfile::Builder::new()
            .prefix("strata-pgbouncer-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        let ini = dir.path().join("pgbouncer.ini");
        // Default settings but the pool mode: no ignore_startup_parameters, default pool size.
        std::fs::write(
            &ini,
            format!(
                "[databases]\n* = host=127.0.0.1 port={}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {}\npool_mode = {pool_mode}\nlogfile = {}\npidfile = {}\n",
                server.port,
                dir.path().join("userlist.txt").display(),
                dir.path().join("pgbouncer.log").display(),
                dir.path().join("pgbouncer.pid").display(),
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("userlist.txt"), "\"postgres\" \"\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut cmd = Command::new(binary);
        if is_root() {
            // PgBouncer refuses to run as root: run it as the cluster's unprivileged user.
            let user = if Command::new("id")
                .arg("postgres")
                .output()
                .is_ok_and(|o| o.status.success())
            {
                "postgres"
            } else {
                "nobody"
            };
            let status = Command::new("chown")
                .args(["-R", user])
                .arg(dir.path())
                .status()
                .unwrap_or_else(|e| panic!("chown: {e}"));
            assert!(status.success(), "chown {user} {}", dir.path().display());
            cmd.args(["-u", user]);
        }
        let child = cmd
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("pgbouncer: {e}"));
        let b = Bouncer { child, port, dir };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "pgbouncer did not listen on {port}; log:\n{}",
                std::fs::read_to_string(b.dir.path().join("pgbouncer.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        b
    }

    fn url(&self, db: &TestDb) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, db.name)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn project() -> Project {
    let p = Project::new();
    for i in 1..=6 {
        p.write(
            &format!("migrations/00{i}_m{i}.sql"),
            &format!("CREATE TABLE m{i} (id int);\nINSERT INTO m{i} VALUES ({i});\nSELECT pg_sleep(0.02);\n"),
        );
    }
    p
}

/// What a run may end with: success, or a refusal that says what happened (exit 2).
fn assert_clean(r: &Run) {
    match r.code {
        0 => {}
        2 => assert!(
            [
                "transaction-pooling proxy",
                "gave up after",
                "another strata run changed"
            ]
            .iter()
            .any(|m| r.stderr.contains(m)),
            "exit 2 without a clean explanation:\n{}",
            r.all()
        ),
        _ => panic!("unexpected exit {}:\n{}", r.code, r.all()),
    }
    assert!(
        !r.all().contains("prepared statement"),
        "a prepared statement reached the pooler:\n{}",
        r.all()
    );
}

#[test]
#[ignore = "needs pgbouncer (Debian package `pgbouncer`); .ci/run installs it and runs these with --ignored"]
fn ten_concurrent_ups_through_transaction_pooling_apply_each_migration_once_seven_times() {
    let bouncer = Bouncer::start("transaction");
    let p = project();
    for round in 1..=7 {
        let db = TestDb::new(&format!("bouncer_{round}"));
        let url = bouncer.url(&db);
        let children: Vec<Child> = (0..10)
            .map(|_| {
                strata_cmd(p.path())
                    .args(["--database-url", &url, "--lock-wait", "120s", "up"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("spawn: {e}"))
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|c| Run::from(c.wait_with_output().unwrap_or_else(|e| panic!("{e}"))))
            .collect();
        for r in &runs {
            assert_clean(r);
        }
        if std::env::var_os("STRATA_TEST_VERBOSE").is_some() {
            for r in &runs {
                eprintln!(
                    "round {round}: exit {}: {}",
                    r.code,
                    r.all().replace('\n', " | ")
                );
            }
        }
        assert!(
            runs.iter().any(|r| r.code == 0),
            "round {round}: no run succeeded; pgbouncer log:\n{}",
            bouncer.log()
        );
        // Each migration exactly once, by whichever run got it.
        assert_eq!(
            db.sql("SELECT string_agg(version || ':' || n, ',' ORDER BY version) FROM (SELECT version, count(*) n FROM strata.history WHERE kind = 'apply' GROUP BY version) s"),
            "1:1,2:1,3:1,4:1,5:1,6:1",
            "round {round}"
        );
        for i in 1..=6 {
            assert_eq!(
                db.sql(&format!("SELECT count(*) FROM m{i}")),
                "1",
                "round {round}"
            );
        }
        // No lock left behind on any server connection of the pool.
        assert_eq!(
            db.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            "0",
            "round {round}"
        );
        // A later run through the pooler is not blocked by anything.
        strata_cmd(p.path())
            .args(["--database-url", &url, "--lock-wait", "5s", "up"])
            .output()
            .map(Run::from)
            .unwrap_or_else(|e| panic!("{e}"))
            .assert_ok()
            .assert_contains("Nothing to apply");
    }
}

#[test]
#[ignore = "needs pgbouncer (Debian package `pgbouncer`); .ci/run installs it and runs these with --ignored"]
fn strata_connects_through_pgbouncer_with_default_settings() {
    // Session pooling is PgBouncer's default mode.
    let bouncer = Bouncer::start("session");
    let db = TestDb::new("bouncer_session");
    let p = project();
    p.write(
        "migrations/007_idx.sql",
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY m1_i ON m1 (id);\nCREATE INDEX CONCURRENTLY m2_i ON m2 (id);\n",
    );
    let url = bouncer.url(&db);
    let run = |args: &[&str]| {
        Run::from(
            strata_cmd(p.path())
                .args(["--database-url", &url])
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("{e}")),
        )
    };
    run(&["up"])
        .assert_ok()
        .assert_contains("Applied 7 migration(s)");
    run(&["status", "--exit-code"]).assert_ok();
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        "0"
    );
}

#[test]
#[ignore = "needs pgbouncer (Debian package `pgbouncer`); .ci/run installs it and runs these with --ignored"]
fn a_no_transaction_migration_through_transaction_pooling_completes_or_stops_exactly() {
    let bouncer = Bouncer::start("transaction");
    let db = TestDb::new("bouncer_notx");
    let p = project();
    p.write(
        "migrations/007_idx.sql",
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY m1_i ON m1 (id);\nINSERT INTO m2 VALUES (20);\nCREATE INDEX CONCURRENTLY m2_i ON m2 (id);\n",
    );
    let url = bouncer.url(&db);
    // Other clients keep the pool busy, so that statements may reach other server sessions.
    let busy: Vec<Child> = (0..3)
        .map(|_| {
            Command::new("psql")
                .args([
                    "-X",
                    "-q",
                    "-d",
                    &url,
                    "-c",
                    "SELECT pg_sleep(0.01) FROM generate_series(1, 200)",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("psql: {e}"))
        })
        .collect();
    let r = Run::from(
        strata_cmd(p.path())
            .args(["--database-url", &url, "up"])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    for mut b in busy {
        let _ = b.wait();
    }
    assert_clean(&r);
    // Whatever happened, the history is exact: a direct connection finishes the job, and the
    // INSERT ran exactly once.
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["status", "--exit-code"]).assert_ok();
    assert_eq!(db.sql("SELECT count(*) FROM m2"), "2");
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        "0"
    );
}
