//! `strata::Error`: every module's error in one type, and the one place that decides exit codes.
//!
//! 0 success; 1 the command ran and found a failure (failed migration, drift, failing test,
//! leak, refused plan); 2 usage, configuration, connection, lock wait. `exit_code` is an
//! exhaustive match without a `_` arm, so a new variant forces a decision.

use crate::config::ConfigError;
use crate::db::DbError;
use crate::engine::{BaselineError, EngineError, Refusal};
use crate::localdb::LocalDbError;
use crate::policy::PolicyError;
use crate::project::ProjectErrors;
use crate::seed::SeedError;
use crate::validation::ValidationError;

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
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// The command ran and found something wrong; the report was already written.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => 2,
            Error::Project(_) => 1,
            Error::Db(DbError::Connect { .. })
            | Error::Db(DbError::LockTimeout { .. })
            | Error::Db(DbError::PoolerDetected) => 2,
            Error::Db(DbError::Query { .. }) => 1,
            Error::LocalDb(_) => 2,
            Error::Engine(EngineError::Db(DbError::Connect { .. }))
            | Error::Engine(EngineError::Db(DbError::LockTimeout { .. }))
            | Error::Engine(EngineError::Db(DbError::PoolerDetected)) => 2,
            Error::Engine(EngineError::Db(DbError::Query { .. })) => 1,
            Error::Engine(EngineError::Statement(_)) => 1,
            Error::Engine(EngineError::Files(_)) => 1,
            Error::Refused(_) => 1,
            Error::Baseline(_) => 1,
            Error::Policy(PolicyError::Db(d)) => Error::db_code(d),
            Error::Policy(PolicyError::Files(_)) => 1,
            Error::Policy(PolicyError::Statement { .. }) => 1,
            Error::Usage(_) => 2,
            Error::Io { .. } => 2,
            Error::Failed(_) => 1,
            Error::Validation(ValidationError::Malformed(_))
            | Error::Validation(ValidationError::NoMatch { .. }) => 1,
            Error::Validation(ValidationError::Io { .. }) => 2,
            Error::Seed(SeedError::Io { .. }) => 2,
            Error::Seed(SeedError::Db(DbError::Connect { .. }))
            | Error::Seed(SeedError::Db(DbError::LockTimeout { .. }))
            | Error::Seed(SeedError::Db(DbError::PoolerDetected)) => 2,
            Error::Seed(SeedError::Db(DbError::Query { .. })) => 1,
            Error::Seed(SeedError::Files(_))
            | Error::Seed(SeedError::Header { .. })
            | Error::Seed(SeedError::UnknownTable { .. })
            | Error::Seed(SeedError::UnknownColumns { .. })
            | Error::Seed(SeedError::Statement(_))
            | Error::Seed(SeedError::Copy(_)) => 1,
        }
    }

    /// Connection-level database errors are 2; a failing query is 1.
    fn db_code(e: &DbError) -> i32 {
        match e {
            DbError::Connect { .. } | DbError::LockTimeout { .. } | DbError::PoolerDetected => 2,
            DbError::Query { .. } => 1,
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, e: &std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::Failed("x".into()).exit_code(), 1);
        assert_eq!(
            Error::Db(DbError::LockTimeout {
                waited_s: 1,
                holder: None
            })
            .exit_code(),
            2
        );
        assert_eq!(Error::Refused(vec![]).exit_code(), 1);
    }
}
