//! `postmaster.pid`: whether a postmaster is running on a data folder, and on which port.
//!
//! The file's lines (PostgreSQL `src/include/utils/pidfile.h`): 1 pid, 2 data folder, 3 start time,
//! 4 port, 5 socket folder, 6 listen address, 7 shared memory key and id, 8 status. A postmaster
//! killed with `kill -9` leaves the file behind; so does a machine that lost power, after which the
//! pid may belong to an unrelated process, and a container whose init does not reap orphans keeps
//! the dead postmaster as a zombie that `kill(pid, 0)` still reports. [`is_alive`] sees through all
//! three on Linux (`/proc/<pid>/stat` and `/proc/<pid>/cwd`: a postmaster's cwd is its data folder).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::LocalDbError;

pub(crate) const PID_FILE: &str = "postmaster.pid";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PidFile {
    pub pid: i32,
    pub port: u16,
    /// The System V shared memory id (second number on line 7), when written yet.
    pub shm_id: Option<i32>,
}

pub(crate) fn parse(text: &str) -> Option<PidFile> {
    let lines: Vec<&str> = text.lines().collect();
    let pid = lines.first()?.trim().parse().ok()?;
    let port = lines.get(3)?.trim().parse().ok()?;
    let shm_id = lines
        .get(6)
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok());
    Some(PidFile { pid, port, shm_id })
}

/// The pid file's content, `None` if there is none. An empty or half-written file (a crash during
/// startup) also reads as `None`: "not running"; `start` removes it if PostgreSQL complains.
pub(crate) fn read(data_dir: &Path) -> Result<Option<PidFile>, LocalDbError> {
    let path = data_dir.join(PID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(parse(&text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(LocalDbError::Io { path, source: err }),
    }
}

/// The running postmaster of `data_dir`, if any.
pub(crate) fn running(data_dir: &Path) -> Result<Option<PidFile>, LocalDbError> {
    Ok(read(data_dir)?.filter(|pid_file| is_alive(pid_file.pid, data_dir)))
}

/// Whether `pid` is a live postmaster serving `data_dir`.
pub(crate) fn is_alive(pid: i32, data_dir: &Path) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    if unsafe { libc::kill(pid, 0) } != 0
        && std::io::Error::last_os_error().raw_os_error() != Some(libc::EPERM)
    {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            if is_zombie(&stat) {
                return false;
            }
        }
        // Unreadable (another user's process while we are not root): trust kill().
        if let (Ok(cwd), Ok(data)) = (
            std::fs::read_link(format!("/proc/{pid}/cwd")),
            std::fs::canonicalize(data_dir),
        ) {
            return cwd == data;
        }
    }
    true
}

/// `/proc/<pid>/stat` is `pid (comm) S …`; comm may hold spaces and parentheses, so the state is
/// the first field after the last `)`.
pub(crate) fn is_zombie(stat: &str) -> bool {
    stat.rfind(')')
        .and_then(|end| stat[end + 1..].split_whitespace().next())
        .is_some_and(|state| state == "Z" || state == "X")
}

/// Removes a pid file whose postmaster is dead, after waiting (up to `timeout`) for the processes
/// that were attached to its shared memory to exit: PostgreSQL's own startup check relies on the
/// pid file to find that segment, so removing it early could let a new postmaster run beside
/// orphaned backends of the old one.
pub(crate) fn remove_stale(data_dir: &Path, timeout: Duration) -> Result<bool, LocalDbError> {
    let Some(pid_file) = read(data_dir)? else {
        return remove_file(&data_dir.join(PID_FILE));
    };
    if is_alive(pid_file.pid, data_dir) {
        return Ok(false);
    }
    if let Some(shm_id) = pid_file.shm_id {
        let deadline = Instant::now() + timeout;
        while shm_attached(shm_id) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    remove_file(&data_dir.join(PID_FILE))
}

fn remove_file(path: &PathBuf) -> Result<bool, LocalDbError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(LocalDbError::Io {
            path: path.clone(),
            source: err,
        }),
    }
}

/// Whether any process is still attached to the System V segment `shm_id`.
fn shm_attached(shm_id: i32) -> bool {
    // SAFETY: shmid_ds is a plain C struct; all-zero is a valid value to be overwritten.
    let mut info: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid, writable shmid_ds; IPC_STAT only fills it in.
    let rc = unsafe { libc::shmctl(shm_id, libc::IPC_STAT, &mut info) };
    rc == 0 && info.shm_nattch > 0
}
