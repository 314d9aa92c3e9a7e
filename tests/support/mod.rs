//! Test harness: a real PostgreSQL started by the suite itself (one throwaway cluster shared by
//! every test process and stopped by the last one to exit, see `cluster.rs`), one fresh database
//! per test, temp project folders, and a runner for the built `strata` binary.
//!
//! The server is the installed one (found the way strata finds it), or the bin folder named by
//! `STRATA_TEST_PG_BIN` (e.g. `.cache/pg/18/bin` from `scripts/fetch-postgres 18`; relative
//! paths are relative to the repository). Each bin folder gets its own cluster; `psql` comes from
//! that folder when it has one, and the `strata` runs of the tests use it for their own local
//! servers (`STRATA_PG_BINDIR`).
#![allow(dead_code)]

pub mod cluster;
#[allow(unused_imports)]
pub use cluster::{cluster, pg_binaries, pg_major, psql_program, TEST_PG_BIN_ENV};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A database of its own for one test; dropped at the end of the test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new(tag: &str) -> TestDb {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let clean: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!("t_{clean}_{}_{n}", std::process::id());
        let server = cluster();
        psql(
            &server.url_for("postgres"),
            &format!("DROP DATABASE IF EXISTS {name}"),
        );
        psql(
            &server.url_for("postgres"),
            &format!("CREATE DATABASE {name}"),
        );
        TestDb {
            url: server.url_for(&name),
            name,
        }
    }

    /// Runs SQL and returns psql's unaligned, tuples-only output.
    pub fn sql(&self, sql: &str) -> String {
        psql(&self.url, sql)
    }

    /// Runs SQL that is expected to succeed or fail; returns (success, stdout+stderr).
    pub fn try_sql(&self, sql: &str) -> (bool, String) {
        try_psql(&self.url, sql)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = try_psql(
            &cluster().url_for("postgres"),
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

pub fn psql(url: &str, sql: &str) -> String {
    let (ok, out) = try_psql(url, sql);
    assert!(ok, "psql failed on {sql}:\n{out}");
    out
}

pub fn try_psql(url: &str, sql: &str) -> (bool, String) {
    let out = Command::new(psql_program())
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env_remove("PGHOST")
        .env_remove("PGUSER")
        .output();
    match out {
        Ok(o) => {
            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&o.stderr));
            (o.status.success(), text.trim_end().to_string())
        }
        Err(e) => (false, format!("cannot run psql: {e}")),
    }
}

/// A temp folder laid out as a strata project.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project: `strata.toml` (defaults) and an empty `migrations/`.
    pub fn new() -> Project {
        let p = Project::bare();
        p.write("strata.toml", "# strata test project (defaults)\n");
        let migrations = p.path().join("migrations");
        std::fs::create_dir_all(&migrations)
            .unwrap_or_else(|e| panic!("mkdir {migrations:?}: {e}"));
        p
    }

    /// An empty folder: not a project (no `strata.toml`).
    pub fn bare() -> Project {
        Project {
            dir: tempfile::Builder::new()
                .prefix("strata-proj-")
                .tempdir()
                .unwrap_or_else(|e| panic!("tempdir: {e}")),
        }
    }

    /// Every file and folder under the project, relative, sorted (to show nothing was created).
    pub fn listing(&self) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let p = entry.path();
                out.push(p.strip_prefix(root).unwrap_or(&p).display().to_string());
                if p.is_dir() {
                    walk(root, &p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out.sort();
        out
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {parent:?}: {e}"));
        }
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {p:?}: {e}"));
        self
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.path().join(rel)).unwrap_or_else(|e| panic!("rm {rel}: {e}"));
    }

    /// Copies a folder of the repository (e.g. "migrations") into the project.
    pub fn copy_from_repo(&self, rel: &str) -> &Self {
        copy_dir(&repo_root().join(rel), &self.dir.path().join(rel));
        self
    }

    /// Runs strata in the project folder against `db` (or with no URL when `db` is None).
    pub fn strata(&self, db: Option<&TestDb>, args: &[&str]) -> Run {
        let mut cmd = strata_cmd(self.path());
        if let Some(db) = db {
            cmd.arg("--database-url").arg(&db.url);
        }
        cmd.args(args);
        Run::from(
            cmd.output()
                .unwrap_or_else(|e| panic!("cannot run strata: {e}")),
        )
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared inputs beside the repository: `../shared`, or the folder `STRATA_SHARED_DIR`
/// names (for a checkout that does not sit beside it, such as a git worktree).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("STRATA_SHARED_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join("..").join("shared"),
    }
}

/// A folder of `../shared/corpora` (read in place), which a user's clone does not have. Tests
/// that call this are `#[ignore = "needs ../shared/corpora (run by .ci/run)"]`, so `cargo test`
/// reports them as ignored instead of passing them vacuously; `.ci/run` runs them with
/// `--ignored`, and there a missing folder fails the test.
#[track_caller]
pub fn corpus_dir(rel: &str) -> PathBuf {
    let dir = shared_dir().join("corpora").join(rel);
    assert!(
        dir.is_dir(),
        "{} is absent: this test needs the shared corpora beside the repository \
         (../shared/corpora, or set STRATA_SHARED_DIR); `cargo test` ignores it, `.ci/run` \
         runs it and needs the data",
        dir.display()
    );
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {to:?}: {e}"));
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(_) => return,
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let target = to.join(entry.file_name());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap_or_else(|e| panic!("copy {p:?}: {e}"));
        }
    }
}

/// A `strata` command in `dir` with a clean environment for connection settings.
pub fn strata_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_ENV")
        .env_remove("PROD_DATABASE_URL");
    if std::env::var_os(TEST_PG_BIN_ENV).is_some_and(|v| !v.is_empty()) {
        cmd.env(strata::localdb::BINDIR_ENV, &pg_binaries().bindir);
    }
    cmd
}

/// The outcome of one strata run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success:\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}:\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.all().contains(needle),
            "expected output to contain {needle:?}:\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        assert!(
            !self.all().contains(needle),
            "expected output NOT to contain {needle:?}:\n{}",
            self.all()
        );
        self
    }
}

/// Every object of a schema, from the catalog (not a table count): relations, types (without
/// array and table row types), functions, policies, triggers, and extensions installed there.
pub fn schema_objects(db: &TestDb, schema: &str) -> String {
    db.sql(&format!(
        "SELECT string_agg(o, E'\\n' ORDER BY o) FROM (
           SELECT 'rel ' || c.relkind::text || ' ' || c.relname AS o FROM pg_class c
             WHERE c.relnamespace = '{schema}'::regnamespace
           UNION ALL SELECT 'type ' || t.typname FROM pg_type t
             WHERE t.typnamespace = '{schema}'::regnamespace AND t.typelem = 0 AND t.typrelid = 0
           UNION ALL SELECT 'fn ' || p.oid::regprocedure::text FROM pg_proc p
             WHERE p.pronamespace = '{schema}'::regnamespace
           UNION ALL SELECT 'policy ' || pol.polname FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
             WHERE c.relnamespace = '{schema}'::regnamespace
           UNION ALL SELECT 'trigger ' || tg.tgname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
             WHERE c.relnamespace = '{schema}'::regnamespace AND NOT tg.tgisinternal
           UNION ALL SELECT 'ext ' || e.extname FROM pg_extension e
             WHERE e.extnamespace = '{schema}'::regnamespace
         ) s"
    ))
}

/// The shared test cluster's maintenance database, for `--shadow-url`: shadow databases of
/// `diff` and `verify-rollbacks` go to the same throwaway cluster as the test databases.
pub fn shadow_url() -> String {
    cluster().url_for("postgres")
}

/// Runs a SQL script the way `psql -f` does (each statement on its own unless the script says
/// otherwise); returns (success, stdout+stderr).
pub fn psql_script(url: &str, script: &str) -> (bool, String) {
    use std::io::Write as _;
    let child = Command::new(psql_program())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"])
        .env_remove("PGHOST")
        .env_remove("PGUSER")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return (false, format!("cannot run psql: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
    }
    match child.wait_with_output() {
        Ok(o) => {
            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&o.stderr));
            (o.status.success(), text)
        }
        Err(e) => (false, format!("psql: {e}")),
    }
}
