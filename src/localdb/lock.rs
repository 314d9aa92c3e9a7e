//! The exclusive lock around start and stop: `flock(2)` on `<cluster>.lock` beside the cluster
//! folder. flock locks belong to the open file, so they are released when the guard is dropped or
//! the process dies (no stale lock after a crash), and two threads of one process exclude each
//! other too because each opens the file anew.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::LocalDbError;

/// Holds the lock until dropped.
#[derive(Debug)]
pub(crate) struct ClusterLock {
    _file: File,
}

/// `<parent>/<cluster folder name>.lock`: beside the cluster, so `.strata/pg` and a shadow cluster
/// `.strata/shadow` have separate locks, and deleting the cluster folder does not delete a lock
/// another process is waiting on.
pub(crate) fn lock_path(cluster_dir: &Path) -> PathBuf {
    match (cluster_dir.parent(), cluster_dir.file_name()) {
        (Some(parent), Some(name)) => {
            let mut file = name.to_os_string();
            file.push(".lock");
            parent.join(file)
        }
        _ => cluster_dir.join(".lock"),
    }
}

/// Blocks until the exclusive lock for `cluster_dir` is ours.
pub(crate) fn lock_cluster(cluster_dir: &Path) -> Result<ClusterLock, LocalDbError> {
    let path = lock_path(cluster_dir);
    // std opens files with O_CLOEXEC, so the postmaster that `pg_ctl start` leaves running does not
    // inherit this descriptor and keep the lock held for its whole life.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(LocalDbError::io(&path))?;
    loop {
        // SAFETY: the descriptor is open for the lifetime of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(ClusterLock { _file: file });
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(LocalDbError::Io { path, source: err });
        }
    }
}
