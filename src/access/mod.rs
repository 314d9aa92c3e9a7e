//! The access contract, `policies/access.toml` (SPEC 4a): what each role may reach, so the
//! audit judges intent instead of guessing it.
//!
//! Owns: parsing the file with spans (errors at `file:line:col`, [`parse`]), the levels
//! ([`level`]), the contract model ([`contract`]), the comparison of the contract with what
//! the catalog allows ([`compare`], over [`reach::Reach`] values the audit computes), the
//! authorization delta between two states ([`delta`]) and the write-out of a contract from what
//! the policies allow today ([`write`]).
//!
//! Must not: connect to a database or read the catalog itself (the audit hands it the reach it
//! computed from the one `catalog::introspect`), or print (that is `report::audit`). Reading
//! the one file is the only I/O here, as `config` reads `strata.toml`.

pub mod compare;
pub mod contract;
pub mod delta;
pub mod level;
pub mod parse;
pub mod reach;
pub mod write;

pub use contract::{Contract, OwnerRef, Resolved, TenantRef};
pub use level::{Command, Level};
pub use reach::{Reach, Source, Via};

use std::path::Path;

/// The contract's file name inside the policies folder.
pub const FILE_NAME: &str = "access.toml";

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("{path}: cannot read the access contract: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}:{col}: invalid access contract: {message}")]
    Toml {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}:{line}:{col}: invalid access contract: {message}")]
    Invalid {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}: cannot write the access contract: {message}")]
    Write { path: String, message: String },
    #[error("{path} already exists; `--write-contract` does not overwrite a contract (move it away to write a fresh one)")]
    Exists { path: String },
}

/// Reads `file` (shown as `shown` in messages) when it exists; `None` when it does not.
pub fn load(file: &Path, shown: &str) -> Result<Option<Contract>, AccessError> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(AccessError::Read {
                path: shown.to_string(),
                message: e.to_string(),
            })
        }
    };
    parse::parse(shown, &text).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_reads_a_file_or_says_none() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = dir.path().join(FILE_NAME);
        assert!(matches!(load(&f, "policies/access.toml"), Ok(None)));
        std::fs::write(&f, "[defaults]\nread = \"public\"\n").unwrap_or_else(|e| panic!("{e}"));
        let c = load(&f, "policies/access.toml")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
        assert_eq!(c.resolve("public.x").level(Command::Select), Level::Public);
        std::fs::write(&f, "[defaults]\nread = 1\n").unwrap_or_else(|e| panic!("{e}"));
        let e = load(&f, "policies/access.toml")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.starts_with("policies/access.toml:2:8: invalid access contract")),
            "{e:?}"
        );
        // A folder where the file should be: a read error, not "no contract".
        let d = dir.path().join("dir.toml");
        std::fs::create_dir(&d).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(load(&d, "x"), Err(AccessError::Read { .. })));
    }
}
