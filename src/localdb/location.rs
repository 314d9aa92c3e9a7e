//! Where a project's cluster lives: `<project>/.strata/pg`, or, when strata runs as root and the
//! server's user cannot reach the project (a checkout under `/root`, mode 0700), a folder under the
//! temp directory named after a stable hash of the project root. The relocated path is recorded in
//! `<project>/.strata/pg-location` so `status` and `stop` find the cluster again.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::account::{is_root, Account};
use super::LocalDbError;

const STATE_DIR: &str = ".strata";
const CLUSTER_NAME: &str = "pg";
const LOCATION_FILE: &str = "pg-location";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub dir: PathBuf,
    pub relocated: bool,
}

pub(crate) fn default_dir(project_root: &Path) -> PathBuf {
    project_root.join(STATE_DIR).join(CLUSTER_NAME)
}

fn location_file(project_root: &Path) -> PathBuf {
    project_root.join(STATE_DIR).join(LOCATION_FILE)
}

/// `<temp>/strata-<16 hex>/pg`, the hash taken over the canonical project root.
pub(crate) fn relocated_dir(project_root: &Path) -> PathBuf {
    std::env::temp_dir()
        .join(relocated_folder_name(project_root))
        .join(CLUSTER_NAME)
}

fn relocated_folder_name(project_root: &Path) -> String {
    let canonical =
        std::fs::canonicalize(project_root).unwrap_or_else(|_| project_root.to_path_buf());
    format!("strata-{:016x}", fnv1a64(canonical.as_os_str().as_bytes()))
}

/// FNV-1a, 64 bits. Hand-written because the folder name must not change between strata builds:
/// std's `DefaultHasher` is explicitly allowed to change its algorithm between Rust releases.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Decides the location without changing anything on disk.
pub(crate) fn resolve(project_root: &Path) -> Result<Location, LocalDbError> {
    let project_root =
        &std::path::absolute(project_root).unwrap_or_else(|_| project_root.to_path_buf());
    if let Some(dir) = recorded(project_root) {
        return Ok(Location {
            dir,
            relocated: true,
        });
    }
    let dir = default_dir(project_root);
    if !is_root() {
        return Ok(Location {
            dir,
            relocated: false,
        });
    }
    let account = Account::for_cluster(&dir)?;
    if account.first_unreachable(&dir).is_none() {
        return Ok(Location {
            dir,
            relocated: false,
        });
    }
    Ok(Location {
        dir: relocated_dir(project_root),
        relocated: true,
    })
}

/// The recorded relocated path, if the record exists and belongs to this project: a copied or
/// moved project hashes differently, and must not share (or stop) the original's server.
fn recorded(project_root: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(location_file(project_root)).ok()?;
    let dir = PathBuf::from(OsStr::from_bytes(bytes.trim_ascii_end()));
    let folder = dir.parent()?.file_name()?;
    let expected = relocated_folder_name(project_root);
    (dir.is_absolute() && folder == OsStr::new(&expected)).then_some(dir)
}

/// Creates the relocated cluster's parent folder (0700, owned by the server's user) after checking
/// that an existing one was not planted by someone else in the shared temp folder, and records the
/// location in the project.
pub(crate) fn prepare_relocated(project_root: &Path, dir: &Path) -> Result<(), LocalDbError> {
    let account = Account::for_cluster(dir)?;
    if let Some(parent) = dir.parent() {
        match std::fs::symlink_metadata(parent) {
            Ok(meta) => {
                let allowed = match &account {
                    Account::User { uid, .. } => meta.uid() == 0 || meta.uid() == *uid,
                    Account::Current => meta.uid() == 0,
                };
                if !meta.is_dir() || !allowed {
                    return Err(LocalDbError::UnsafeDirectory {
                        path: parent.to_path_buf(),
                        owner: meta.uid(),
                    });
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::DirBuilder::new().mode(0o700).create(parent) {
                    Ok(()) => {}
                    // Another strata process made it between our look and our mkdir.
                    Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(err) => return Err(LocalDbError::io(parent)(err)),
                }
            }
            Err(err) => return Err(LocalDbError::io(parent)(err)),
        }
        account.chown(parent)?;
    }
    write_record(project_root, dir)
}

fn write_record(project_root: &Path, dir: &Path) -> Result<(), LocalDbError> {
    let state = project_root.join(STATE_DIR);
    std::fs::create_dir_all(&state).map_err(LocalDbError::io(&state))?;
    let file = location_file(project_root);
    let mut text = dir.as_os_str().as_bytes().to_vec();
    text.push(b'\n');
    if std::fs::read(&file).ok().as_deref() == Some(text.as_slice()) {
        return Ok(());
    }
    // Write then rename, so a concurrent reader sees the old record or the new one, never half.
    static WRITES: AtomicUsize = AtomicUsize::new(0);
    let unique = WRITES.fetch_add(1, Ordering::Relaxed);
    let temp = state.join(format!(
        "{LOCATION_FILE}.{}-{unique}.tmp",
        std::process::id()
    ));
    std::fs::write(&temp, &text).map_err(LocalDbError::io(&temp))?;
    std::fs::rename(&temp, &file).map_err(LocalDbError::io(&file))
}
