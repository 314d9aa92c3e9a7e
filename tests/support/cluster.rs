//! The suite's PostgreSQL: one throwaway cluster per target folder, shared by every test process,
//! started by the first process that needs it and stopped by the last one to exit.
//!
//! Why it is shaped so: `cargo test` runs test binaries one after another (tests inside one in
//! parallel threads) and nextest runs many test processes at once, so no single process knows
//! whether it is the last user. Each process that uses the cluster therefore holds a *shared*
//! `flock` on `<cluster>.users` for its whole life; the kernel drops it when the process ends,
//! however it ends, so a killed run leaves no stale registration. At exit (an `atexit` handler)
//! a process tries to turn its shared lock into an exclusive one without waiting: that succeeds
//! only when no other process holds the cluster, and then it runs `pg_ctl stop -m fast`.
//! Registering and the last-one check both happen under an exclusive `flock` on
//! `<cluster>.lifecycle`, so a process cannot register while another is deciding to stop the
//! server (it waits, then starts the server again). A cluster left running by a killed run has no
//! holders: the next run's first process finds it running and uses it (`localdb::start_at` is
//! idempotent and copes with a stale `postmaster.pid`), and its last process stops it.

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use strata::localdb::{self, Options, PgBinaries, Server};

/// Environment variable naming the bin folder of the server the tests run against.
pub const TEST_PG_BIN_ENV: &str = "STRATA_TEST_PG_BIN";

/// The server binaries of the tests: `STRATA_TEST_PG_BIN` (relative paths are relative to the
/// repository), else the installed ones found the way strata finds them.
pub fn pg_binaries() -> &'static PgBinaries {
    static BINARIES: OnceLock<PgBinaries> = OnceLock::new();
    BINARIES.get_or_init(|| match std::env::var_os(TEST_PG_BIN_ENV) {
        Some(dir) if !dir.is_empty() => {
            let dir = super::repo_root().join(PathBuf::from(dir));
            let dir = std::fs::canonicalize(&dir)
                .unwrap_or_else(|e| panic!("{TEST_PG_BIN_ENV}={}: {e}", dir.display()));
            assert!(
                dir.join("initdb").is_file() && dir.join("pg_ctl").is_file(),
                "{TEST_PG_BIN_ENV}={} holds no initdb and pg_ctl (scripts/fetch-postgres fetches them)",
                dir.display()
            );
            PgBinaries { bindir: dir }
        }
        _ => PgBinaries::find().unwrap_or_else(|e| panic!("no PostgreSQL for the tests: {e}")),
    })
}

/// The major version of the test server (`15`, `18`), from its binaries.
pub fn pg_major() -> u32 {
    static MAJOR: OnceLock<u32> = OnceLock::new();
    *MAJOR.get_or_init(|| {
        let text = pg_binaries()
            .major_version()
            .unwrap_or_else(|e| panic!("version of the test PostgreSQL: {e}"));
        text.parse()
            .unwrap_or_else(|e| panic!("version of the test PostgreSQL {text:?}: {e}"))
    })
}

/// `psql` of the test server's bin folder when it has one (a 15 psql prints warnings against
/// an 18 server), else the one on PATH.
pub fn psql_program() -> PathBuf {
    let own = pg_binaries().tool("psql");
    if own.is_file() {
        own
    } else {
        PathBuf::from("psql")
    }
}

/// This process's registration: the `<cluster>.users` file, locked shared. Never dropped (a
/// static), so the lock lasts until the process exits.
static REGISTRATION: OnceLock<File> = OnceLock::new();

/// The shared test cluster (durability off), started on first use. Lives under the temp folder
/// so that the unprivileged server user can reach it even when the clone sits under /root.
pub fn cluster() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = cluster_dir();
        match start_registered(&dir) {
            Ok(server) => server,
            Err(e) => panic!("cannot start the test PostgreSQL in {}: {e}", dir.display()),
        }
    })
}

/// Names another cluster folder for the suite (the lifecycle tests use it for a private one).
pub const DIR_ENV: &str = "STRATA_TEST_PG_DIR";

/// `$TMPDIR/strata-test-pg-<hash of this target folder and the bin folder>` (one cluster per
/// checkout, profile and PostgreSQL version), or the folder `STRATA_TEST_PG_DIR` names.
pub fn cluster_dir() -> PathBuf {
    match std::env::var_os(DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir().join(format!(
            "strata-test-pg-{}",
            path_hash(&format!(
                "{}\n{}",
                env!("CARGO_TARGET_TMPDIR"),
                pg_binaries().bindir.display()
            ))
        )),
    }
}

/// The file every process using the cluster in `dir` holds a shared lock on.
pub fn users_file(dir: &Path) -> PathBuf {
    sibling(dir, "users")
}

fn path_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Registers this process as a user of the cluster, then starts it (or finds it running).
fn start_registered(dir: &Path) -> Result<Server, String> {
    let _lifecycle = lock(&sibling(dir, "lifecycle"), libc::LOCK_EX)?;
    let users = lock(&users_file(dir), libc::LOCK_SH)?;
    if REGISTRATION.set(users).is_ok() {
        // SAFETY: `release_at_exit` is an `extern "C" fn()` that never unwinds.
        if unsafe { libc::atexit(release_at_exit) } != 0 {
            eprintln!(
                "strata tests: cannot register the exit handler; the test PostgreSQL in {} \
                 will keep running",
                dir.display()
            );
        }
    }
    localdb::start_at_with(
        pg_binaries(),
        dir,
        &Options {
            durable: false,
            database: String::new(),
        },
    )
    .map_err(|e| e.to_string())
}

/// Runs when the test process exits: the last process holding the cluster stops it.
extern "C" fn release_at_exit() {
    // A panic must not unwind out of an `extern "C"` function (it would abort the process).
    let _ = std::panic::catch_unwind(|| {
        if let Err(e) = stop_if_last(&cluster_dir()) {
            eprintln!("strata tests: {e}");
        }
    });
}

/// Stops the cluster unless another process still holds it. `Ok(true)` when it was stopped.
fn stop_if_last(dir: &Path) -> Result<bool, String> {
    let Some(users) = REGISTRATION.get() else {
        return Ok(false);
    };
    let _lifecycle = lock(&sibling(dir, "lifecycle"), libc::LOCK_EX)?;
    // Shared → exclusive without waiting: only possible when no other process holds a lock.
    // SAFETY: the descriptor is open for the life of the static `File`.
    let last = unsafe { libc::flock(users.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if !last {
        return Ok(false);
    }
    localdb::stop_at(dir).map_err(|e| {
        format!(
            "cannot stop the test PostgreSQL in {}: {e} (stop it with `pg_ctl -D {} stop`)",
            dir.display(),
            dir.join("data").display()
        )
    })
}

/// `<parent>/<cluster folder name>.<suffix>`, beside the cluster like localdb's own lock.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{suffix}"));
    dir.with_file_name(name)
}

/// Opens `path` (creating it) and takes a `flock` of kind `operation` (`libc::LOCK_SH`,
/// `libc::LOCK_EX`), waiting for it. The lock lasts as long as the returned file is open.
pub fn lock(path: &Path, operation: libc::c_int) -> Result<File, String> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    loop {
        // SAFETY: the descriptor is open for the lifetime of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(file);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("cannot lock {}: {err}", path.display()));
        }
    }
}
