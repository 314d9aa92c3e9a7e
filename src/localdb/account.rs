//! Which OS user runs the server binaries, and how a command is built for it.
//!
//! PostgreSQL refuses to run as root (`initdb: cannot be run as root`, and the postmaster likewise),
//! so when strata's effective uid is 0 every `initdb`, `pg_ctl`, `pg_isready` and `createdb` runs as
//! an unprivileged user: the owner of an existing data folder, else `postgres`, else `nobody`.
//! That user must be able to traverse every folder above the cluster; [`Account::first_unreachable`]
//! checks the mode bits the way the kernel does, so the caller can relocate or explain.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::LocalDbError;

/// The OS identity the server binaries run under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Account {
    /// strata is not root: run everything as ourselves.
    Current,
    /// strata is root: switch to this user in the child.
    User { name: String, uid: u32, gid: u32 },
}

pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl Account {
    /// The account for the cluster in `cluster_dir`: ourselves unless root; when root, the owner of
    /// an existing data folder (a developer who once ran strata without sudo keeps their cluster),
    /// else `postgres`, else `nobody`.
    pub(crate) fn for_cluster(cluster_dir: &Path) -> Result<Account, LocalDbError> {
        if !is_root() {
            return Ok(Account::Current);
        }
        if let Ok(meta) = std::fs::metadata(cluster_dir.join("data")) {
            if meta.uid() != 0 {
                let name = user_by_uid(meta.uid())
                    .map(|user| user.name)
                    .unwrap_or_else(|| format!("uid {}", meta.uid()));
                return Ok(Account::User {
                    name,
                    uid: meta.uid(),
                    gid: meta.gid(),
                });
            }
        }
        ["postgres", "nobody"]
            .iter()
            .find_map(|name| user_by_name(name))
            .filter(|user| user.uid != 0)
            .map(|user| Account::User {
                name: user.name,
                uid: user.uid,
                gid: user.gid,
            })
            .ok_or(LocalDbError::NoUnprivilegedUser)
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Account::Current => user_by_uid(current_uid())
                .map(|user| user.name)
                .unwrap_or_else(|| format!("uid {}", current_uid())),
            Account::User { name, .. } => name.clone(),
        }
    }

    /// A command for `program` that runs as this account, in `cluster_dir`, with a clean
    /// environment for PostgreSQL tools.
    pub(crate) fn command(&self, program: &Path, cluster_dir: &Path) -> Command {
        let mut command = Command::new(program);
        // PG* variables (PGHOST, PGSSLMODE, PGOPTIONS, PGDATA, …) meant for the user's own servers
        // must not redirect or reconfigure ours; every connection detail is passed explicitly.
        for (key, _) in std::env::vars_os() {
            if key.as_bytes().starts_with(b"PG") {
                command.env_remove(key);
            }
        }
        // strata reads a few messages ("already exists", "Address already in use"): keep them untranslated.
        command.env("LC_ALL", "C");
        command.current_dir(cluster_dir);
        command.stdin(Stdio::null());
        if let Account::User { uid, gid, .. } = self {
            // std drops the supplementary groups (setgroups(0)) before setuid when it runs as root,
            // so the child has exactly this uid and gid.
            command.uid(*uid).gid(*gid);
            command.env("HOME", cluster_dir);
        }
        command
    }

    /// Makes `dir` belong to this account (no-op unless root).
    pub(crate) fn chown(&self, dir: &Path) -> Result<(), LocalDbError> {
        if let Account::User { uid, gid, .. } = self {
            let meta = std::fs::symlink_metadata(dir).map_err(LocalDbError::io(dir))?;
            if meta.uid() != *uid || meta.gid() != *gid {
                std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
                    .map_err(LocalDbError::io(dir))?;
            }
        }
        Ok(())
    }

    /// The first existing folder above `dir` (`dir` itself excluded: strata owns and chowns it)
    /// that this account cannot traverse. Symlinks are resolved first, so the folders checked are
    /// the ones the kernel walks.
    pub(crate) fn first_unreachable(&self, dir: &Path) -> Option<PathBuf> {
        let Account::User { uid, gid, .. } = self else {
            return None;
        };
        let parent = dir.parent()?;
        let existing = parent.ancestors().find(|ancestor| ancestor.exists())?;
        let real = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
        real.ancestors()
            .find(|ancestor| match std::fs::metadata(ancestor) {
                Ok(meta) => !can_traverse(meta.mode(), meta.uid(), meta.gid(), *uid, *gid),
                Err(_) => true,
            })
            .map(Path::to_path_buf)
    }
}

/// The kernel's rule for search (x) permission on a folder, without ACLs: the owner class if the
/// uid matches, else the group class if the gid matches, else others; only that class's bit counts.
pub(crate) fn can_traverse(mode: u32, owner: u32, group: u32, uid: u32, gid: u32) -> bool {
    if owner == uid {
        mode & 0o100 != 0
    } else if group == gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// `getpwnam_r`: the reentrant form, because tests (and a future multi-threaded strata) look users
/// up from several threads at once.
pub(crate) fn user_by_name(name: &str) -> Option<User> {
    let name = CString::new(name).ok()?;
    lookup(|pwd, buf, len, result| {
        // SAFETY: every pointer is valid for the call; buf has len bytes.
        unsafe { libc::getpwnam_r(name.as_ptr(), pwd, buf, len, result) }
    })
}

pub(crate) fn user_by_uid(uid: u32) -> Option<User> {
    lookup(|pwd, buf, len, result| {
        // SAFETY: every pointer is valid for the call; buf has len bytes.
        unsafe { libc::getpwuid_r(uid, pwd, buf, len, result) }
    })
}

/// Calls a `getpw*_r` function with a growing buffer until it fits.
fn lookup<F>(call: F) -> Option<User>
where
    F: Fn(
        *mut libc::passwd,
        *mut libc::c_char,
        libc::size_t,
        *mut *mut libc::passwd,
    ) -> libc::c_int,
{
    let mut size = 4096usize;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        // SAFETY: passwd is a plain C struct; all-zero is a valid (if meaningless) value.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = call(&mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc == libc::ERANGE && size < 1 << 20 {
            size *= 4;
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside buf, alive here.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) }
            .to_string_lossy()
            .into_owned();
        return Some(User {
            name,
            uid: pwd.pw_uid,
            gid: pwd.pw_gid,
        });
    }
}
