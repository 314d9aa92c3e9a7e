//! strata's local development PostgreSQL: find the installed server binaries, create a cluster
//! in a git-ignored folder of the project (`.strata/pg`), start it on a free loopback port, stop it.
//!
//! What it owns: the cluster folder (`data/`, `server.log`, the socket), the lock file beside it,
//! the `pg-location` record, and the `initdb` / `pg_ctl` / `pg_isready` / `createdb` processes.
//!
//! What it must not do: run SQL. The only question it asks the server is "are you ready?"
//! (`pg_isready`, or a TCP connect plus `pg_ctl status`), and the only thing it creates inside the
//! server is the project's database, through the `createdb` binary. Everything else that talks to
//! PostgreSQL goes through `db/` with the URL that [`Server::url`] hands out.
//!
//! Why it is shaped so:
//! - It drives PostgreSQL's own tools instead of reimplementing them: `pg_ctl -w` knows how to wait
//!   for a postmaster and how to cope with most stale `postmaster.pid` files; `createdb` quotes the
//!   name. strata only adds what they do not know: which port, which folder, which OS user.
//! - Every start and stop holds an exclusive `flock` on `<cluster>.lock` beside the cluster folder,
//!   so two strata processes starting at once do not both run `initdb` or both run `pg_ctl start`;
//!   the second one waits and then finds the server running.
//! - PostgreSQL refuses to run as root (a superuser process that reads arbitrary files on behalf of
//!   SQL users is a hole). When strata runs as root, every server binary runs as an unprivileged
//!   user ([`account`]), and a cluster that user cannot reach is placed under the temp folder
//!   instead ([`location`]).
//! - Trust authentication on loopback and on a private (0700) socket folder: the server is a
//!   developer's scratch database (any local user can reach its TCP port, as with most dev
//!   setups), and a URL without a password is what the rest of strata can print without masking.
//! - Decisions that need no processes (search order, pid-file parsing, permission checks, option
//!   quoting) are plain functions with unit tests; the lifecycle is tested against real binaries.

mod account;
mod binaries;
mod location;
mod lock;
mod postmaster;
mod server;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use binaries::PgBinaries;

/// The database superuser that `initdb -U` creates; every URL strata hands out uses it.
pub const SUPERUSER: &str = "postgres";

/// Environment variable naming the folder that holds `initdb` and `pg_ctl`.
pub const BINDIR_ENV: &str = "STRATA_PG_BINDIR";

/// Environment variable naming a cache of `scripts/fetch-postgres` (`<major>/bin` below it),
/// searched when a version is requested.
pub const CACHE_ENV: &str = "STRATA_PG_CACHE";

/// Everything that can go wrong while finding, creating, starting or stopping the local server.
#[derive(Debug, thiserror::Error)]
pub enum LocalDbError {
    /// No folder with both `initdb` and `pg_ctl`; `searched` lists every folder looked at, in order.
    #[error(
        "no PostgreSQL server binaries found (strata needs `initdb` and `pg_ctl` in one folder; searched: {}).\n\
         Install the PostgreSQL server packages (e.g. `apt-get install postgresql-15`, `dnf install postgresql-server`, \
         `brew install postgresql@15`), or set {BINDIR_ENV} to the folder holding initdb and pg_ctl, \
         or point strata at an existing server with --database-url / DATABASE_URL",
        binaries::display_paths(.searched)
    )]
    NoBinaries { searched: Vec<PathBuf> },

    /// `[local] version` names a major version that no folder of the search holds.
    #[error(
        "PostgreSQL {version} is not installed (`[local] version = {version}` in strata.toml; found: {}).\n\
         Install it (e.g. `apt-get install postgresql-{version}`, or `scripts/fetch-postgres {version}` from strata's \
         repository into the project's .cache/pg), set {BINDIR_ENV} to its bin folder, or remove `version` from \
         `[local]` to use the server found first",
        binaries::display_found(.found)
    )]
    VersionNotInstalled {
        version: String,
        found: Vec<(String, PathBuf)>,
    },

    /// A file or folder operation failed.
    #[error("{}: {source}; check that the path exists and that strata may read and write it", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A PostgreSQL binary exited unsuccessfully; `program` is the command line, `stderr` its
    /// output plus, for `pg_ctl start`, the server log lines of that attempt.
    #[error(
        "`{program}` failed ({status}){}\n\
         Fix the cause above and run the command again; the server log is beside the cluster's data folder (server.log)",
        server::indented_block(.stderr)
    )]
    Command {
        program: String,
        status: String,
        stderr: String,
    },

    /// Running as root, and no `postgres` or `nobody` user to run the server as.
    #[error(
        "strata is running as root, and PostgreSQL refuses to run as root, but there is neither a `postgres` nor a \
         `nobody` user to run it as. Create one (e.g. `useradd --system postgres`), run strata as an ordinary user, \
         or point strata at an existing server with --database-url / DATABASE_URL"
    )]
    NoUnprivilegedUser,

    /// The server did not accept connections within 30 s; `tail` is the end of `log`.
    #[error(
        "the local PostgreSQL server did not become ready to accept connections; last lines of {}:{}\n\
         Fix the cause shown in the log, then run the command again",
        .log.display(),
        server::indented_block(.tail)
    )]
    NotReady { log: PathBuf, tail: String },

    /// Running as root, and the server's user cannot traverse `path`, a folder above an explicit
    /// cluster location (project clusters are relocated instead).
    #[error(
        "the PostgreSQL server must run as user `{user}` (PostgreSQL refuses to run as root), but that user cannot \
         enter {}. Make the folders above it traversable (`chmod o+x`), or run strata as an ordinary user",
        .path.display()
    )]
    Unreachable { path: PathBuf, user: String },

    /// The relocated cluster's parent in the shared temp folder exists but belongs to someone else.
    #[error(
        "{} is owned by uid {owner}, not by root or the server's user; strata will not put a database cluster there. \
         Remove it (or set TMPDIR to a private folder) and run the command again",
        .path.display()
    )]
    UnsafeDirectory { path: PathBuf, owner: u32 },

    /// The cluster's `PG_VERSION` differs from the major version of the binaries found.
    #[error(
        "the cluster in {} was created by PostgreSQL {cluster_version}, but the binaries in {} are PostgreSQL \
         {binaries_version}. Set {BINDIR_ENV} to a PostgreSQL {cluster_version} bin folder, or delete {} to \
         recreate the local database (its data is lost)",
        .data_dir.display(),
        .bindir.display(),
        .data_dir.display()
    )]
    VersionMismatch {
        data_dir: PathBuf,
        cluster_version: String,
        bindir: PathBuf,
        binaries_version: String,
    },
}

impl LocalDbError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LocalDbError + '_ {
        move |source| LocalDbError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// How to start the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `false` turns off `fsync`, `synchronous_commit` and `full_page_writes` (and `initdb --no-sync`):
    /// a crash may lose or corrupt data, which is fine for test and shadow servers and much faster.
    pub durable: bool,
    /// Database to create if missing, e.g. `strata_dev`. Empty: create none.
    pub database: String,
}

/// A running local server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The cluster folder (holds `data/` and `server.log`).
    pub cluster_dir: PathBuf,
    /// TCP port on 127.0.0.1 (and the socket's number when the socket folder is used).
    pub port: u16,
    /// Database superuser name: always [`SUPERUSER`].
    pub user: String,
    /// The database [`Server::url`] names: `Options::database` from `start`, `postgres` from `status`.
    pub database: String,
    /// `initdb` ran during this call.
    pub created: bool,
    /// This call started the server (`false`: it was already running).
    pub started: bool,
    /// The cluster is not under the project because the unprivileged user cannot reach it.
    pub relocated: bool,
}

impl Server {
    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`: no password, the server trusts loopback.
    pub fn url(&self) -> String {
        self.url_for(&self.database)
    }

    /// The URL of another database on the same server.
    pub fn url_for(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{}",
            self.port,
            server::percent_encode(database)
        )
    }
}

/// Where the project's cluster lives, or would live: `<project_root>/.strata/pg`, or the relocated
/// folder under the temp directory when strata runs as root and the server's user cannot reach the
/// project (see [`start`]).
pub fn cluster_dir(project_root: &Path) -> PathBuf {
    location::resolve(project_root)
        .map(|found| found.dir)
        .unwrap_or_else(|_| location::default_dir(project_root))
}

/// Creates (first time) and starts the project's server, creates `opts.database` if missing, and
/// waits until it accepts connections. Idempotent: a running server is returned with
/// `started = false`.
pub fn start(project_root: &Path, opts: &Options) -> Result<Server, LocalDbError> {
    start_version(project_root, opts, None)
}

/// [`start`] with the server binaries of major `version` (`[local] version` in strata.toml),
/// chosen among the installed ones by [`PgBinaries::find_version`]; `None` is [`start`].
pub fn start_version(
    project_root: &Path,
    opts: &Options,
    version: Option<&str>,
) -> Result<Server, LocalDbError> {
    let binaries = PgBinaries::find_version(version, Some(project_root))?;
    let found = location::resolve(project_root)?;
    if found.relocated {
        location::prepare_relocated(project_root, &found.dir)?;
    }
    let mut server = server::start_with(&binaries, &found.dir, opts)?;
    server.relocated = found.relocated;
    Ok(server)
}

/// The project's server if it is running (port read from `postmaster.pid`; `database` is `postgres`).
pub fn status(project_root: &Path) -> Result<Option<Server>, LocalDbError> {
    let found = location::resolve(project_root).unwrap_or_else(|_| location::Location {
        dir: location::default_dir(project_root),
        relocated: false,
    });
    let mut server = status_at(&found.dir)?;
    if let Some(server) = server.as_mut() {
        server.relocated = found.relocated;
    }
    Ok(server)
}

/// Stops the project's server (fast mode: open sessions are disconnected). `true` if it was running.
pub fn stop(project_root: &Path) -> Result<bool, LocalDbError> {
    stop_at(&cluster_dir(project_root))
}

/// [`start`] with an explicit cluster folder (tests and shadow servers). Never relocates.
pub fn start_at(cluster_dir: &Path, opts: &Options) -> Result<Server, LocalDbError> {
    let binaries = PgBinaries::find()?;
    server::start_with(&binaries, cluster_dir, opts)
}

/// [`start_at`] with given binaries (the test harness's `STRATA_TEST_PG_BIN`).
pub fn start_at_with(
    binaries: &PgBinaries,
    cluster_dir: &Path,
    opts: &Options,
) -> Result<Server, LocalDbError> {
    server::start_with(binaries, cluster_dir, opts)
}

/// [`status`] with an explicit cluster folder.
pub fn status_at(cluster_dir: &Path) -> Result<Option<Server>, LocalDbError> {
    server::status_in(cluster_dir)
}

/// [`stop`] with an explicit cluster folder.
pub fn stop_at(cluster_dir: &Path) -> Result<bool, LocalDbError> {
    server::stop_in(cluster_dir)
}
