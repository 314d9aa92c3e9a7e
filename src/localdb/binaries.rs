//! Finding the folder that holds the PostgreSQL server binaries (`initdb`, `pg_ctl`, and the client
//! tools `pg_isready` and `createdb` beside them).
//!
//! The search is a pure walk over a [`Search`] value so tests can inject the environment instead of
//! setting process-global variables. With a requested major version (`[local] version = 17`),
//! every candidate folder is asked for its version (`pg_ctl --version`) and the first folder of
//! that version wins; the cache of `scripts/fetch-postgres` (`.cache/pg/<major>/bin` under the
//! project, or `$STRATA_PG_CACHE/<major>/bin`) is searched as well.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{LocalDbError, BINDIR_ENV, CACHE_ENV};

/// The folder holding `initdb` and `pg_ctl` (both present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    pub bindir: PathBuf,
}

impl PgBinaries {
    /// Search order: `STRATA_PG_BINDIR` (and nothing else when it is set); `initdb` on PATH, symlinks
    /// resolved to the real folder; `pg_config --bindir`; `/usr/lib/postgresql/*/bin` (newest first);
    /// `/usr/pgsql-*/bin`; `/usr/local/pgsql/bin`; Homebrew, Postgres.app and MacPorts folders.
    pub fn find() -> Result<PgBinaries, LocalDbError> {
        find_with(&Search::from_env(None))
    }

    /// The first folder of the search whose binaries are PostgreSQL `version` (a major version,
    /// `"17"`); `project_root` adds the project's `.cache/pg/<version>/bin`. `None`: [`find`].
    ///
    /// [`find`]: PgBinaries::find
    pub fn find_version(
        version: Option<&str>,
        project_root: Option<&Path>,
    ) -> Result<PgBinaries, LocalDbError> {
        match version {
            None => PgBinaries::find(),
            Some(version) => find_version_with(&Search::from_env(project_root), version, |dir| {
                PgBinaries {
                    bindir: dir.to_path_buf(),
                }
                .major_version()
                .ok()
            }),
        }
    }

    /// Path of a tool in the bin folder (it may not exist: `pg_isready` is optional).
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }

    /// Major version of the binaries (`"15"`, `"9.6"`), from `pg_ctl --version`.
    pub fn major_version(&self) -> Result<String, LocalDbError> {
        let program = self.tool("pg_ctl");
        let output = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(LocalDbError::io(&program))?;
        let text = String::from_utf8_lossy(&output.stdout);
        match parse_major_version(&text) {
            Some(version) if output.status.success() => Ok(version),
            _ => Err(LocalDbError::Command {
                program: format!("{} --version", program.display()),
                status: output.status.to_string(),
                stderr: format!("{text}{}", String::from_utf8_lossy(&output.stderr)),
            }),
        }
    }
}

/// The inputs of the search, separated from the process environment for tests.
pub(crate) struct Search {
    /// `STRATA_PG_BINDIR`: when set, the only folder considered.
    pub explicit: Option<PathBuf>,
    /// `PATH`.
    pub path: Option<OsString>,
    /// Run `pg_config --bindir` (found on `path`).
    pub pg_config: bool,
    /// Well-known folders, in order.
    pub fixed: Vec<PathBuf>,
    /// Caches of `scripts/fetch-postgres`, each holding `<major>/bin`: searched only when a
    /// version is requested.
    pub caches: Vec<PathBuf>,
}

impl Search {
    fn from_env(project_root: Option<&Path>) -> Search {
        let mut caches: Vec<PathBuf> = std::env::var_os(CACHE_ENV)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .into_iter()
            .collect();
        if let Some(root) = project_root {
            caches.push(root.join(".cache").join("pg"));
        }
        Search {
            explicit: std::env::var_os(BINDIR_ENV)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from),
            path: std::env::var_os("PATH"),
            pg_config: true,
            fixed: well_known_dirs(),
            caches,
        }
    }
}

/// The first candidate whose binaries `version_of` reports as `version`; the error lists every
/// version found (and where), so the user sees what is installed.
pub(crate) fn find_version_with(
    search: &Search,
    version: &str,
    version_of: impl Fn(&Path) -> Option<String>,
) -> Result<PgBinaries, LocalDbError> {
    let mut candidates = candidates(search);
    if search.explicit.is_none() {
        for cache in &search.caches {
            let dir = cache.join(version).join("bin");
            if has_server_binaries(&dir) && !candidates.contains(&dir) {
                candidates.insert(0, dir);
            }
        }
    }
    let mut found = Vec::new();
    for dir in candidates {
        match version_of(&dir) {
            Some(v) if v == version => return Ok(PgBinaries { bindir: dir }),
            Some(v) => found.push((v, dir)),
            None => {}
        }
    }
    Err(LocalDbError::VersionNotInstalled {
        version: version.to_string(),
        found,
    })
}

/// Every folder of the search that holds the server binaries, in search order, without
/// duplicates (with `explicit` set, only that folder).
fn candidates(search: &Search) -> Vec<PathBuf> {
    let mut searched = Vec::new();
    let mut found = Vec::new();
    let mut add = |dir: PathBuf, searched: &mut Vec<PathBuf>| {
        if let Some(b) = consider(dir, searched) {
            if !found.contains(&b.bindir) {
                found.push(b.bindir);
            }
        }
    };
    if let Some(dir) = &search.explicit {
        add(dir.clone(), &mut searched);
        return found;
    }
    let path_dirs: Vec<PathBuf> = search
        .path
        .as_ref()
        .map(|path| std::env::split_paths(path).collect())
        .unwrap_or_default();
    for dir in &path_dirs {
        let initdb = dir.join("initdb");
        if !is_executable(&initdb) {
            continue;
        }
        if let Some(real) = std::fs::canonicalize(&initdb)
            .ok()
            .and_then(|real| real.parent().map(Path::to_path_buf))
        {
            add(real, &mut searched);
        }
        add(dir.clone(), &mut searched);
    }
    if search.pg_config {
        let pg_config = path_dirs
            .iter()
            .map(|dir| dir.join("pg_config"))
            .find(|candidate| is_executable(candidate));
        if let Some(dir) = pg_config.as_deref().and_then(pg_config_bindir) {
            add(dir, &mut searched);
        }
    }
    for dir in &search.fixed {
        add(dir.clone(), &mut searched);
    }
    found
}

pub(crate) fn find_with(search: &Search) -> Result<PgBinaries, LocalDbError> {
    let mut searched: Vec<PathBuf> = Vec::new();

    if let Some(dir) = &search.explicit {
        // An explicit setting that is wrong must say so, not silently pick other binaries.
        return consider(dir.clone(), &mut searched).ok_or(LocalDbError::NoBinaries { searched });
    }

    let path_dirs: Vec<PathBuf> = search
        .path
        .as_ref()
        .map(|path| std::env::split_paths(path).collect())
        .unwrap_or_default();

    // `initdb` on PATH is often a symlink (`/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb`);
    // the real folder is the one that also holds `postgres`, `pg_isready` and `createdb`.
    for dir in &path_dirs {
        let initdb = dir.join("initdb");
        if !is_executable(&initdb) {
            continue;
        }
        let real = std::fs::canonicalize(&initdb)
            .ok()
            .and_then(|real| real.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| dir.clone());
        if let Some(found) = consider(real, &mut searched) {
            return Ok(found);
        }
        if let Some(found) = consider(dir.clone(), &mut searched) {
            return Ok(found);
        }
    }

    if search.pg_config {
        let pg_config = path_dirs
            .iter()
            .map(|dir| dir.join("pg_config"))
            .find(|candidate| is_executable(candidate));
        if let Some(dir) = pg_config.as_deref().and_then(pg_config_bindir) {
            if let Some(found) = consider(dir, &mut searched) {
                return Ok(found);
            }
        }
    }

    for dir in &search.fixed {
        if let Some(found) = consider(dir.clone(), &mut searched) {
            return Ok(found);
        }
    }
    Err(LocalDbError::NoBinaries { searched })
}

/// Records `dir` as searched and returns it if it holds both server binaries.
fn consider(dir: PathBuf, searched: &mut Vec<PathBuf>) -> Option<PgBinaries> {
    if !searched.contains(&dir) {
        searched.push(dir.clone());
    }
    has_server_binaries(&dir).then_some(PgBinaries { bindir: dir })
}

fn has_server_binaries(dir: &Path) -> bool {
    is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn pg_config_bindir(pg_config: &Path) -> Option<PathBuf> {
    let output = Command::new(pg_config)
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let dir = text.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

fn well_known_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    // Debian / Ubuntu (apt.postgresql.org too): one folder per major version.
    dirs.extend(versioned_dirs(Path::new("/usr/lib/postgresql"), "", "bin"));
    // RHEL / Fedora PGDG packages.
    dirs.extend(versioned_dirs(Path::new("/usr"), "pgsql-", "bin"));
    // Source builds.
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    // Homebrew (Apple silicon, then Intel): keg-only versioned formulae, then linked ones.
    dirs.extend(versioned_dirs(
        Path::new("/opt/homebrew/opt"),
        "postgresql@",
        "bin",
    ));
    dirs.push(PathBuf::from("/opt/homebrew/bin"));
    dirs.extend(versioned_dirs(
        Path::new("/usr/local/opt"),
        "postgresql@",
        "bin",
    ));
    dirs.push(PathBuf::from("/usr/local/bin"));
    // Postgres.app and MacPorts.
    dirs.push(PathBuf::from(
        "/Applications/Postgres.app/Contents/Versions/latest/bin",
    ));
    dirs.extend(versioned_dirs(
        Path::new("/opt/local/lib"),
        "postgresql",
        "bin",
    ));
    dirs
}

/// `<parent>/<prefix><version>/<rest>` for every child of `parent` whose name is `prefix` followed by
/// a version number, highest version first (numerically: 16 before 9.6).
pub(crate) fn versioned_dirs(parent: &Path, prefix: &str, rest: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = parse_version(name.strip_prefix(prefix)?)?;
            Some((version, parent.join(&name).join(rest)))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, dir)| dir).collect()
}

fn parse_version(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|part| part.parse().ok()).collect()
}

/// `"pg_ctl (PostgreSQL) 15.8 (Debian 15.8-1)"` → `"15"`; `"… 9.6.24"` → `"9.6"`; `"… 16beta1"` → `"16"`.
pub(crate) fn parse_major_version(text: &str) -> Option<String> {
    let after = text
        .split("(PostgreSQL)")
        .nth(1)?
        .split_whitespace()
        .next()?;
    let mut parts = after.split('.').map(|part| {
        part.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    });
    let first = parts.next().filter(|part| !part.is_empty())?;
    let first_number: u32 = first.parse().ok()?;
    if first_number >= 10 {
        return Some(first);
    }
    let second = parts.next().filter(|part| !part.is_empty())?;
    Some(format!("{first}.{second}"))
}

/// `"15 in /usr/lib/postgresql/15/bin, 18 in /p/.cache/pg/18/bin"`, or `"none"`.
pub(crate) fn display_found(found: &[(String, PathBuf)]) -> String {
    if found.is_empty() {
        return "none".to_string();
    }
    found
        .iter()
        .map(|(version, dir)| format!("{version} in {}", dir.display()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nothing: PATH is empty and no well-known folder exists".to_string();
    }
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
