//! `strata::Error`: every module's error in one type, and the one place that decides exit codes.
//!
//! 0 success; 1 the command ran and found a failure (failed migration, drift, failing test,
//! leak, refused plan); 2 usage, configuration, connection, lock wait. `exit_code` is an
//! exhaustive match without a `_` arm, so a new variant forces a decision.
//!
//! A command that ran to the end and found something wrong is not an error: its outcome says
//! so (`failed()`), and `cli` turns that into exit code 1 after the report is written.

use crate::config::ConfigError;
use crate::db::DbError;
use crate::engine::{BaselineError, EngineError, Refusal, RepairError};
use crate::localdb::LocalDbError;
use crate::policy::PolicyError;
use crate::project::ProjectErrors;
use crate::seed::SeedError;
use crate::shadow::ShadowError;
use crate::validation::ValidationError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Project(#[from] ProjectErrors),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    LocalDb(#[from] LocalDbError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("refused: {}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
    Refused(Vec<Refusal>),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// `reset` that cannot tell what it may drop.
    #[error(transparent)]
    Reset(#[from] crate::seed::reset::ResetRefusal),
    /// `repair --forget` / `--resume-after` that does not fit the database.
    #[error(transparent)]
    Repair(#[from] RepairError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// `policies/access.toml` could not be read, parsed or written.
    #[error(transparent)]
    Access(#[from] crate::access::AccessError),
    /// Run outside a project, or a project folder that is missing.
    #[error(transparent)]
    Scope(#[from] crate::ops::scope::ScopeError),
    /// A version given on the command line that is not one.
    #[error("{flag} {text}: {reason}")]
    BadVersion {
        flag: &'static str,
        text: String,
        reason: String,
    },
    /// A file or folder strata had to read or write.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// `db url` when the local development database is not running.
    #[error("the local development database is not running (cluster location: {cluster_dir}); `strata db start` starts it")]
    LocalNotRunning { cluster_dir: String },
    /// A background task died (a bug or a panic in a worker thread).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Usage mistakes a command finds after its flags parsed.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{} already exists; strata init does not overwrite it", .path.display())]
    AlreadyInitialized { path: PathBuf },
    #[error("`{name}` is not a usable migration name: use letters, digits and underscores")]
    BadMigrationName { name: String },
    #[error("no .sql files in {dir}: nothing declares policies")]
    NoPolicyFiles { dir: String },
    #[error("audit --probe under the `setting` auth model needs `[auth] role` in strata.toml: the role the probe acts as")]
    ProbeNeedsRole,
    #[error("--from and --to go together: give both URLs, or neither to compare the database with the project's files")]
    FromWithoutTo,
    #[error("{flag} {text}: not a duration (use e.g. 500ms, 30s, 2min)")]
    BadDuration { flag: &'static str, text: String },
    /// clap's own report of a command line it cannot parse.
    #[error("{message}")]
    Flags { message: String },
    #[error("`strata {command}` changes a database that is not the local development database ({target}): add --yes to confirm (there is no terminal to ask on)")]
    NeedsYes {
        command: &'static str,
        target: String,
    },
    #[error("`strata {command}` on {target} was not confirmed; nothing was changed")]
    Declined {
        command: &'static str,
        target: String,
    },
    #[error("--to {version}: version {version} is neither a migration file nor applied; use a version from `strata status`{}", if *.down { " (or 0 for everything)" } else { "" })]
    UnknownVersion {
        version: crate::project::Version,
        /// `down --to` (where 0 means everything) rather than `up --to`.
        down: bool,
    },
    #[error("{path} is not one of the project's migrations (they are in {dir}); strata lint judges migration files")]
    NotAMigration { path: String, dir: String },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => 2,
            Error::Project(_) => 1,
            Error::Db(d) => Error::db_code(d),
            Error::LocalDb(_) => 2,
            Error::Engine(EngineError::Db(d)) => Error::db_code(d),
            Error::Engine(EngineError::Statement(_)) => 1,
            Error::Engine(EngineError::Files(_)) => 1,
            Error::Engine(EngineError::Stale { .. }) => 2,
            Error::Engine(EngineError::Refused(_)) => 1,
            Error::Refused(_) => 1,
            Error::Baseline(_) => 1,
            Error::Repair(_) => 2,
            Error::Reset(crate::seed::reset::ResetRefusal::SharedDatabase { .. }) => 2,
            Error::Reset(crate::seed::reset::ResetRefusal::Db(d)) => Error::db_code(d),
            Error::Policy(PolicyError::Db(d)) => Error::db_code(d),
            Error::Policy(PolicyError::Files(_)) => 1,
            Error::Policy(PolicyError::Statement { .. }) => 1,
            Error::Usage(_) => 2,
            Error::Access(_) => 2,
            Error::Scope(_) => 2,
            Error::BadVersion { .. } => 2,
            Error::Io { .. } => 2,
            Error::Validation(ValidationError::Malformed(_)) => 1,
            Error::Validation(ValidationError::NoMatch { .. }) => 2,
            Error::Validation(ValidationError::Io { .. }) => 2,
            Error::Seed(SeedError::Io { .. }) => 2,
            Error::Seed(SeedError::Db(d)) => Error::db_code(d),
            Error::Seed(SeedError::Files(_))
            | Error::Seed(SeedError::Header { .. })
            | Error::Seed(SeedError::UnknownTable { .. })
            | Error::Seed(SeedError::UnknownColumns { .. })
            | Error::Seed(SeedError::Statement(_))
            | Error::Seed(SeedError::Copy(_))
            | Error::Seed(SeedError::DataPartlyGone { .. }) => 1,
            Error::LocalNotRunning { .. } => 2,
            Error::Internal(_) => 2,
        }
    }

    /// Connection-level database errors are 2; a failing query is 1.
    fn db_code(e: &DbError) -> i32 {
        match e {
            DbError::Connect { .. }
            | DbError::ConnectionLost { .. }
            | DbError::LockTimeout { .. }
            | DbError::PoolerDetected { .. } => 2,
            DbError::Query { .. } => 1,
        }
    }

    /// `up`/`down` refusing to start. A `--to` version that does not exist is the user's
    /// mistake in the command line (exit 2), reported alone: the other refusals can wait until
    /// the command names a real version.
    pub fn refused(refusals: Vec<Refusal>, down: bool) -> Error {
        match refusals.iter().find_map(|r| match r {
            Refusal::UnknownTarget { version } => Some(*version),
            _ => None,
        }) {
            Some(version) => Error::Usage(UsageError::UnknownVersion { version, down }),
            None => Error::Refused(refusals),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Engine and database errors from a shadow keep their own rendering and exit codes.
impl From<ShadowError> for Error {
    fn from(e: ShadowError) -> Error {
        match e {
            ShadowError::Engine(e) => Error::Engine(e),
            ShadowError::Db(e) => Error::Db(e),
            ShadowError::Policy(e) => Error::Policy(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Error::Usage(UsageError::FromWithoutTo).exit_code(), 2);
        assert_eq!(
            Error::Db(DbError::LockTimeout {
                waited_s: 1,
                holder: None
            })
            .exit_code(),
            2
        );
        assert_eq!(Error::Refused(vec![]).exit_code(), 1);
        assert_eq!(Error::io("x", std::io::Error::other("boom")).exit_code(), 2);
    }
}
