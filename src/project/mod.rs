//! Files on disk: migration and rollback names → [`Version`], rollback pairing, directives,
//! SHA-256 checksums, and the offline checks that need the SQL split into statements.
//!
//! Owns: everything strata knows about a project without a database. Must not: connect.
//! Loading collects *every* problem it finds (like ripgrep's partial errors) so that one run of
//! `strata check` lists them all instead of one per run.

mod names;

use crate::sql;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use names::{parse_folder_name, parse_migration_name, NameStyle, ParsedName};

/// A migration version: a positive integer of any width, compared numerically
/// (`001` == `1`; 20-digit versions fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u128);

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{s}` is not a version (digits only)"));
        }
        t.parse::<u128>()
            .map(Version)
            .map_err(|_| format!("`{s}` is too large for a version"))
    }
}

/// SHA-256 of a file's bytes, lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Checksum(pub String);

impl Checksum {
    pub fn of(bytes: &[u8]) -> Checksum {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = Sha256::digest(bytes);
        let mut s = String::with_capacity(64);
        for b in digest {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        Checksum(s)
    }
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(12)]
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SQL file as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Absolute path.
    pub path: PathBuf,
    /// Path as shown to the user (relative to the project root when possible).
    pub display: String,
    pub text: String,
    pub checksum: Checksum,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset in the file.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        crate::sql::LineIndex::new(&self.text).line_col(&self.text, offset)
    }

    /// A file found but not read (see [`Rollbacks::Named`]): empty text and checksum.
    fn unread(root: &Path, path: &Path) -> SourceFile {
        SourceFile {
            path: path.to_path_buf(),
            display: display_path(root, path),
            text: String::new(),
            checksum: Checksum(String::new()),
        }
    }

    pub fn read(root: &Path, path: &Path) -> Result<SourceFile, ProjectError> {
        let bytes = read_bytes(path).map_err(|e| ProjectError::Io {
            path: display_path(root, path),
            source: IoFailure::new(e),
        })?;
        let checksum = Checksum::of(&bytes);
        let mut text = String::from_utf8(bytes).map_err(|e| ProjectError::NotUtf8 {
            path: display_path(root, path),
            byte: e.utf8_error().valid_up_to(),
        })?;
        // A byte order mark (Windows editors write one) is not SQL: PostgreSQL would report a
        // syntax error at the first word. The checksum stays that of the file's bytes.
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let file = SourceFile {
            path: path.to_path_buf(),
            display: display_path(root, path),
            text,
            checksum,
        };
        if let Some(at) = file.text.find('\0') {
            let (line, col) = file.line_col(at);
            return Err(ProjectError::NulCharacter {
                path: file.display,
                line,
                col,
            });
        }
        Ok(file)
    }
}

/// A file's bytes, as `std::fs::read` gives them, without the `stat` (and, through
/// `File::read_to_end`, the `lseek`) it makes for a size hint: a thousand migrations and their
/// rollbacks are read by every `status`, and those were 4,000 of its 12,000 system calls
/// (issue 14). Each thread reads into one zeroed scratch buffer that it keeps (plain `read`s,
/// no unsafe code) and copies the file out at its exact size, so a project's texts take no
/// more memory than with `std::fs::read`.
fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut file = std::fs::File::open(path)?;
    SCRATCH.with_borrow_mut(|buf| {
        if buf.is_empty() {
            buf.resize(64 << 10, 0);
        }
        let mut len = 0;
        loop {
            if len == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            match file.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let bytes = buf[..len].to_vec();
        // A very large file's buffer is not kept for the rest of the run.
        if buf.len() > 1 << 20 {
            *buf = Vec::new();
        }
        Ok(bytes)
    })
}

pub fn display_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Per-file settings from `-- strata:` directives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Directives {
    /// False when the file says `-- strata:no-transaction`.
    pub transactional: bool,
    pub lock_timeout: Option<String>,
    pub statement_timeout: Option<String>,
    /// `-- strata:replaces VERSION SHA256`, one line per file a squashed migration replaces
    /// (`strata squash`): a database that applied those files has applied this one.
    pub replaces: Vec<(Version, Checksum)>,
}

/// A versioned migration and its rollback, if any.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: Version,
    pub name: String,
    pub file: SourceFile,
    pub directives: Directives,
    pub rollback: Option<Rollback>,
}

#[derive(Debug, Clone)]
pub struct Rollback {
    pub file: SourceFile,
    pub directives: Directives,
}

/// The project's migrations, sorted by version.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub migrations: Vec<Migration>,
}

impl Project {
    pub fn get(&self, v: Version) -> Option<&Migration> {
        self.migrations
            .binary_search_by(|m| m.version.cmp(&v))
            .ok()
            .map(|i| &self.migrations[i])
    }
}

/// An I/O error shared between clones of the problem that carries it (compared by kind and
/// message, so problems stay comparable in tests).
#[derive(Debug, Clone)]
pub struct IoFailure(pub std::sync::Arc<std::io::Error>);

impl IoFailure {
    pub fn new(e: std::io::Error) -> IoFailure {
        IoFailure(std::sync::Arc::new(e))
    }
}

impl PartialEq for IoFailure {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoFailure {}

impl fmt::Display for IoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One problem with the project's files. `line`/`col` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectError {
    Io {
        path: String,
        source: IoFailure,
    },
    NotUtf8 {
        path: String,
        byte: usize,
    },
    /// A `.sql` name that is no readable regular file (a FIFO, a dangling symbolic link).
    NotAFile {
        path: String,
        what: String,
    },
    /// A NUL character, which PostgreSQL never accepts in SQL text (it would end the message).
    NulCharacter {
        path: String,
        line: usize,
        col: usize,
    },
    BadFileName {
        path: String,
        reason: String,
    },
    /// A folder in `migrations/` whose name is not `{version}_{name}`.
    BadFolderName {
        path: String,
        reason: String,
    },
    /// A migration folder with neither `up.sql` nor `down.sql`.
    EmptyMigrationFolder {
        path: String,
    },
    /// A statement that exchanges data with the client (`COPY … FROM STDIN`), which strata
    /// never does: it would wait forever.
    ClientData {
        path: String,
        line: usize,
        col: usize,
        what: String,
    },
    DuplicateVersion {
        version: Version,
        paths: Vec<String>,
    },
    RollbackWithoutMigration {
        path: String,
    },
    TwoRollbacks {
        version: Version,
        paths: Vec<String>,
    },
    UnknownDirective {
        path: String,
        line: usize,
        text: String,
    },
    BadDirective {
        path: String,
        line: usize,
        text: String,
        reason: String,
    },
    DirectiveAfterSql {
        path: String,
        line: usize,
        text: String,
    },
    Syntax {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    NeedsNoTransaction {
        path: String,
        line: usize,
        col: usize,
        what: String,
    },
    TransactionControl {
        path: String,
        line: usize,
        col: usize,
        statement: String,
    },
}

impl ProjectError {
    /// Where the problem is: file, and line and column when the problem has them (1-based).
    pub fn location(&self) -> (String, Option<usize>, Option<usize>) {
        let path = self.path();
        match self {
            ProjectError::UnknownDirective { line, .. }
            | ProjectError::BadDirective { line, .. }
            | ProjectError::DirectiveAfterSql { line, .. } => (path, Some(*line), Some(1)),
            ProjectError::Syntax { line, col, .. }
            | ProjectError::ClientData { line, col, .. }
            | ProjectError::NulCharacter { line, col, .. }
            | ProjectError::NeedsNoTransaction { line, col, .. }
            | ProjectError::TransactionControl { line, col, .. } => (path, Some(*line), Some(*col)),
            _ => (path, None, None),
        }
    }

    /// The message without the `file:line:col: ` it starts with when shown as one line.
    pub fn message(&self) -> String {
        let full = self.to_string();
        let (path, line, col) = self.location();
        let prefix = match (line, col) {
            (Some(l), Some(c)) => format!("{path}:{l}:{c}: "),
            _ => format!("{path}: "),
        };
        match full.strip_prefix(&prefix) {
            Some(rest) => rest.to_string(),
            None => full,
        }
    }

    /// The file the problem is in, for sorting and grouping.
    pub fn path(&self) -> String {
        match self {
            ProjectError::Io { path, .. }
            | ProjectError::NotUtf8 { path, .. }
            | ProjectError::NulCharacter { path, .. }
            | ProjectError::NotAFile { path, .. }
            | ProjectError::BadFileName { path, .. }
            | ProjectError::BadFolderName { path, .. }
            | ProjectError::EmptyMigrationFolder { path }
            | ProjectError::ClientData { path, .. }
            | ProjectError::RollbackWithoutMigration { path }
            | ProjectError::UnknownDirective { path, .. }
            | ProjectError::BadDirective { path, .. }
            | ProjectError::DirectiveAfterSql { path, .. }
            | ProjectError::Syntax { path, .. }
            | ProjectError::NeedsNoTransaction { path, .. }
            | ProjectError::TransactionControl { path, .. } => path.clone(),
            ProjectError::DuplicateVersion { paths, .. }
            | ProjectError::TwoRollbacks { paths, .. } => {
                paths.first().cloned().unwrap_or_default()
            }
        }
    }
}

impl fmt::Display for ProjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectError::Io { path, source } => write!(f, "{path}: cannot read: {source}"),
            ProjectError::NotUtf8 { path, byte } => {
                write!(f, "{path}: not valid UTF-8 (at byte {byte}); save the file as UTF-8")
            }
            ProjectError::NotAFile { path, what } => {
                write!(f, "{path}: {what}; strata reads SQL from regular files only")
            }
            ProjectError::NulCharacter { path, line, col } => write!(
                f,
                "{path}:{line}:{col}: a NUL character (byte 0x00); PostgreSQL accepts no NUL in SQL text: remove it (the file may have been saved as UTF-16 or be binary)"
            ),
            ProjectError::BadFileName { path, reason } => write!(
                f,
                "{path}: {reason}; expected {{version}}_{{name}}.sql (e.g. 001_create_users.sql), V{{version}}__{{name}}.sql, or {{version}}_{{name}}.up.sql / .down.sql"
            ),
            ProjectError::BadFolderName { path, reason } => write!(
                f,
                "{path}: {reason}; a migration folder is named {{version}}_{{name}} (e.g. 20240101120000_create_users, or Diesel's 2024-01-01-120000_create_users) and holds up.sql and optionally down.sql"
            ),
            ProjectError::EmptyMigrationFolder { path } => write!(
                f,
                "{path}: holds neither up.sql nor down.sql; a migration folder holds up.sql (the migration) and optionally down.sql (its rollback)"
            ),
            ProjectError::ClientData {
                path,
                line,
                col,
                what,
            } => write!(
                f,
                "{path}:{line}:{col}: `{what}` exchanges data with the client, which strata does not do (it would wait forever); put the rows in a seed (seeds/NNN_table.csv) or use INSERT … SELECT / COPY with a server-side file"
            ),
            ProjectError::DuplicateVersion { version, paths } => write!(
                f,
                "duplicate version {version}: {} (versions compare as numbers: 001 and 1 are the same); renumber one of them",
                paths.join(" and ")
            ),
            ProjectError::RollbackWithoutMigration { path } => write!(
                f,
                "{path}: rollback without a migration: no migration has this file name; rename it to match its migration or delete it"
            ),
            ProjectError::TwoRollbacks { version, paths } => write!(
                f,
                "version {version} has two rollbacks: {}; keep one",
                paths.join(" and ")
            ),
            ProjectError::UnknownDirective { path, line, text } => write!(
                f,
                "{path}:{line}:1: unknown directive `{text}`; known: -- strata:no-transaction, -- strata:lock-timeout 5s, -- strata:statement-timeout 10min, -- strata:replaces VERSION SHA256"
            ),
            ProjectError::BadDirective {
                path,
                line,
                text,
                reason,
            } => write!(f, "{path}:{line}:1: invalid directive `{text}`: {reason}"),
            ProjectError::DirectiveAfterSql { path, line, text } => write!(
                f,
                "{path}:{line}:1: directive `{text}` after the first SQL statement has no effect; move it to the top of the file"
            ),
            ProjectError::Syntax {
                path,
                line,
                col,
                message,
            } => write!(f, "{path}:{line}:{col}: {message}"),
            ProjectError::NeedsNoTransaction {
                path,
                line,
                col,
                what,
            } => write!(
                f,
                "{path}:{line}:{col}: {what} cannot run inside a transaction block; add `-- strata:no-transaction` as the file's first line (strata then runs it statement by statement)"
            ),
            ProjectError::TransactionControl {
                path,
                line,
                col,
                statement,
            } => write!(
                f,
                "{path}:{line}:{col}: `{statement}`: strata runs each migration in its own transaction; remove BEGIN/COMMIT from the file, or add `-- strata:no-transaction` to manage transactions yourself"
            ),
        }
    }
}

/// All problems found while loading, sorted by file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in the project's files", .0.len())]
pub struct ProjectErrors(pub Vec<ProjectError>);

/// Parses the directive header of a SQL file.
pub fn parse_directives(path: &str, text: &str) -> (Directives, Vec<ProjectError>) {
    let mut d = Directives {
        transactional: true,
        ..Directives::default()
    };
    let mut errors = Vec::new();
    // Every directive names itself `strata:`; most files have none (one search, not a pass
    // over every line: issue 14).
    if !text.contains("strata:") {
        return (d, errors);
    }
    let mut in_header = true;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let line_no = i + 1;
        if in_header {
            if line.is_empty() {
                continue;
            }
            if !line.starts_with("--") {
                in_header = false;
            }
        }
        let Some(body) = line.strip_prefix("--") else {
            continue;
        };
        let body = body.trim_start();
        let Some(directive) = body.strip_prefix("strata:") else {
            continue;
        };
        // `-- strata:allow <rule> <reason>` belongs to a statement anywhere in the file;
        // `strata lint` reads and checks it.
        if directive.split_whitespace().next() == Some("allow") {
            continue;
        }
        if !in_header {
            errors.push(ProjectError::DirectiveAfterSql {
                path: path.into(),
                line: line_no,
                text: line.into(),
            });
            continue;
        }
        let mut parts = directive.split_whitespace();
        let name = parts.next().unwrap_or("");
        let arg: Vec<&str> = parts.collect();
        let bad = |reason: &str| ProjectError::BadDirective {
            path: path.into(),
            line: line_no,
            text: line.into(),
            reason: reason.into(),
        };
        match name {
            "no-transaction" => {
                if !arg.is_empty() {
                    errors.push(bad("takes no argument"));
                }
                d.transactional = false;
            }
            "lock-timeout" | "statement-timeout" => {
                let value = arg.join(" ");
                if arg.len() != 1 || crate::config::parse_duration(&value).is_none() {
                    errors.push(bad("expects one duration such as 500ms, 5s, 10min or 1h"));
                } else if name == "lock-timeout" {
                    d.lock_timeout = Some(value);
                } else {
                    d.statement_timeout = Some(value);
                }
            }
            "replaces" => match parse_replaces(&arg) {
                Some(r) => d.replaces.push(r),
                None => errors.push(bad(
                    "expects a version and the SHA-256 of the file it replaces (64 hex digits)",
                )),
            },
            _ => errors.push(ProjectError::UnknownDirective {
                path: path.into(),
                line: line_no,
                text: line.into(),
            }),
        }
    }
    (d, errors)
}

/// `VERSION SHA256` of a `-- strata:replaces` directive.
fn parse_replaces(arg: &[&str]) -> Option<(Version, Checksum)> {
    let [version, checksum] = arg else {
        return None;
    };
    let version: Version = version.parse().ok()?;
    let hex = checksum.len() == 64 && checksum.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| (version, Checksum(checksum.to_ascii_lowercase())))
}

/// How much of the rollbacks [`load_with`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollbacks {
    /// Read and checked like the migrations (every command that runs or checks them).
    Read,
    /// Found and paired by name only: each [`Rollback`] has an empty text and checksum and
    /// default directives, none of them the file's (use only its presence and path). For `strata
    /// status`, which reports whether a migration has a rollback and reads the project whole when
    /// a partial state names a rollback's statement (issue 14: with a thousand migrations,
    /// reading every rollback was half of its time).
    Named,
}

/// Loads migrations and rollbacks. A missing folder holds nothing (whether that is allowed is
/// the caller's rule, `ops::scope`).
pub fn load(
    root: &Path,
    migrations_dir: &Path,
    rollbacks_dir: &Path,
) -> Result<Project, ProjectErrors> {
    load_with(root, migrations_dir, rollbacks_dir, Rollbacks::Read)
}

/// [`load`], reading the rollbacks or only naming them.
pub fn load_with(
    root: &Path,
    migrations_dir: &Path,
    rollbacks_dir: &Path,
    rollbacks: Rollbacks,
) -> Result<Project, ProjectErrors> {
    let mut errors = Vec::new();
    // version → (parsed name, path)
    let mut ups: BTreeMap<Version, Vec<(ParsedName, PathBuf)>> = BTreeMap::new();
    let mut downs: BTreeMap<Version, Vec<(ParsedName, PathBuf)>> = BTreeMap::new();

    let (files, folders) = list_migrations(root, migrations_dir, &mut errors);
    for path in files {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match parse_migration_name(&file_name) {
            Ok(p) => {
                let bucket = if p.style == NameStyle::Down {
                    &mut downs
                } else {
                    &mut ups
                };
                bucket.entry(p.version).or_default().push((p, path));
            }
            Err(reason) => errors.push(ProjectError::BadFileName {
                path: display_path(root, &path),
                reason,
            }),
        }
    }
    for dir in folders {
        let shown = format!("{}/", display_path(root, &dir));
        let folder_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed = match parse_folder_name(&folder_name) {
            Ok(p) => p,
            Err(reason) => {
                errors.push(ProjectError::BadFolderName {
                    path: shown,
                    reason,
                });
                continue;
            }
        };
        let (up, down) = (dir.join("up.sql"), dir.join("down.sql"));
        match (up.is_file(), down.is_file()) {
            (false, false) => errors.push(ProjectError::EmptyMigrationFolder { path: shown }),
            (true, has_down) => {
                if has_down {
                    downs
                        .entry(parsed.version)
                        .or_default()
                        .push((parsed.clone(), down));
                }
                ups.entry(parsed.version).or_default().push((parsed, up));
            }
            (false, true) => downs
                .entry(parsed.version)
                .or_default()
                .push((parsed, down)),
        }
    }
    let mut rollback_files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in list_sql(root, rollbacks_dir, &mut errors) {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        rollback_files.insert(file_name, path);
    }

    // Read and hash every candidate file up front, on all cores (with a thousand migrations
    // this is most of `strata status`).
    let mut wanted: Vec<&PathBuf> = ups.values().flatten().map(|(_, p)| p).collect();
    if rollbacks == Rollbacks::Read {
        wanted.extend(downs.values().flatten().map(|(_, p)| p));
        wanted.extend(rollback_files.values());
    }
    let mut read = read_files(root, &wanted);
    let mut take = |p: &PathBuf| {
        read.remove(p.as_os_str())
            .unwrap_or_else(|| SourceFile::read(root, p))
    };

    let mut migrations = Vec::with_capacity(ups.len());
    let mut used_rollbacks = std::collections::BTreeSet::new();
    for (version, files) in &ups {
        if files.len() > 1 {
            errors.push(ProjectError::DuplicateVersion {
                version: *version,
                paths: files.iter().map(|(_, p)| display_path(root, p)).collect(),
            });
            continue;
        }
        let (parsed, path) = &files[0];
        let file = match take(path) {
            Ok(f) => f,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let (directives, derr) = parse_directives(&file.display, &file.text);
        errors.extend(derr);

        let mut rollback_paths: Vec<PathBuf> = Vec::new();
        let file_name = pair_name(path, parsed);
        if let Some(p) = rollback_files.get(&file_name) {
            used_rollbacks.insert(file_name.clone());
            rollback_paths.push(p.clone());
        }
        if let Some(d) = downs.get(version) {
            for (_, p) in d {
                rollback_paths.push(p.clone());
            }
        }
        if rollback_paths.len() > 1 {
            errors.push(ProjectError::TwoRollbacks {
                version: *version,
                paths: rollback_paths
                    .iter()
                    .map(|p| display_path(root, p))
                    .collect(),
            });
            continue;
        }
        let rollback = match rollback_paths.first() {
            None => None,
            Some(p) if rollbacks == Rollbacks::Named => Some(Rollback {
                file: SourceFile::unread(root, p),
                directives: Directives::default(),
            }),
            Some(p) => match take(p) {
                Ok(rf) => {
                    let (rd, rerr) = parse_directives(&rf.display, &rf.text);
                    errors.extend(rerr);
                    Some(Rollback {
                        file: rf,
                        directives: rd,
                    })
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        migrations.push(Migration {
            version: *version,
            name: parsed.name.clone(),
            file,
            directives,
            rollback,
        });
    }
    for (name, path) in &rollback_files {
        if !used_rollbacks.contains(name) {
            errors.push(ProjectError::RollbackWithoutMigration {
                path: display_path(root, path),
            });
        }
    }
    for (version, files) in &downs {
        if !ups.contains_key(version) {
            for (_, p) in files {
                errors.push(ProjectError::RollbackWithoutMigration {
                    path: display_path(root, p),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(Project { migrations })
    } else {
        errors.sort_by_key(|e| e.path());
        Err(ProjectErrors(errors))
    }
}

/// Reads files in parallel (one thread per available core, at most 8).
///
/// Keyed by the paths' bytes: hashing a `Path` splits it into components, which with a
/// thousand migrations and their rollbacks was a visible part of `strata status` (issue 14).
fn read_files<'a>(
    root: &Path,
    paths: &[&'a PathBuf],
) -> std::collections::HashMap<&'a std::ffi::OsStr, Result<SourceFile, ProjectError>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut read = std::collections::HashMap::with_capacity(paths.len());
    if paths.len() < 64 || threads == 1 {
        read.extend(
            paths
                .iter()
                .map(|p| (p.as_os_str(), SourceFile::read(root, p))),
        );
        return read;
    }
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| (p.as_os_str(), SourceFile::read(root, p)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // A thread that panicked leaves its files out; they are read again one by one.
        read.extend(handles.into_iter().filter_map(|h| h.join().ok()).flatten());
        read
    })
}

/// The name a migration's rollback has in `rollbacks/`: the migration's file name, or for a
/// migration folder, the folder's name plus `.sql`.
fn pair_name(path: &Path, parsed: &ParsedName) -> String {
    let component = if parsed.style == NameStyle::Folder {
        path.parent().and_then(Path::file_name)
    } else {
        path.file_name()
    };
    let name = component
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if parsed.style == NameStyle::Folder {
        format!("{name}.sql")
    } else {
        name
    }
}

/// `.sql` files and migration folders (hidden folders are skipped) in `migrations/`.
fn list_migrations(
    root: &Path,
    dir: &Path,
    errors: &mut Vec<ProjectError>,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut folders = Vec::new();
    let files = scan_sql(root, dir, errors, Some(&mut folders));
    folders.sort_by(|a, b| a.0.cmp(&b.0));
    (files, folders.into_iter().map(|(_, p)| p).collect())
}

/// Checks that `path` (a `.sql` name, not a folder) is a regular file strata can read:
/// reading a FIFO would wait forever, a socket or device is no SQL file, and a dangling
/// symbolic link must not be skipped as if it were not there. Symbolic links to files are
/// followed.
pub fn regular_file(root: &Path, path: &Path) -> Result<(), ProjectError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(ProjectError::NotAFile {
            path: display_path(root, path),
            what: "not a regular file (a FIFO, socket or device)".into(),
        }),
        Err(e) if path.symlink_metadata().is_ok() => Err(ProjectError::NotAFile {
            path: display_path(root, path),
            what: format!("a symbolic link to a file that cannot be read ({e})"),
        }),
        Err(e) => Err(ProjectError::Io {
            path: display_path(root, path),
            source: IoFailure::new(e),
        }),
    }
}

/// The `*.sql` files of `dir` in name order (none when the folder is absent); what cannot be
/// read as one goes to `errors`.
pub fn list_sql(root: &Path, dir: &Path, errors: &mut Vec<ProjectError>) -> Vec<PathBuf> {
    scan_sql(root, dir, errors, None)
}

/// One pass over `dir`: its `.sql` files, sorted by name, and (when `folders` is given) its
/// subfolders that are not hidden, unsorted.
///
/// The kind of each entry comes from the directory listing itself (`d_type`), so that a
/// thousand plain files cost no `stat` each (issue 14: with 1,000 migrations and their
/// rollbacks, three `stat`s per file were most of `strata status`). Symbolic links, and
/// entries whose kind the file system does not report, get the full checks as before.
fn scan_sql(
    root: &Path,
    dir: &Path,
    errors: &mut Vec<ProjectError>,
    mut folders: Option<&mut Vec<(std::ffi::OsString, PathBuf)>>,
) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            errors.push(ProjectError::Io {
                path: display_path(root, dir),
                source: IoFailure::new(e),
            });
            return Vec::new();
        }
    };
    let mut out: Vec<(std::ffi::OsString, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let path = entry.path();
        // `file_type` does not follow symbolic links: a link is judged by what it points to.
        let kind = entry.file_type().ok();
        let is_dir = match kind {
            Some(k) if k.is_dir() => true,
            Some(k) if k.is_file() => false,
            _ => path.is_dir(),
        };
        if is_dir {
            if let Some(folders) = folders.as_deref_mut() {
                if !name.to_string_lossy().starts_with('.') {
                    folders.push((name.clone(), path.clone()));
                }
            }
        }
        let is_sql = Path::new(&name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"));
        // migration folders are listed on their own
        if !is_sql || is_dir {
            continue;
        }
        let checked = if kind.is_some_and(|k| k.is_file()) {
            Ok(())
        } else {
            regular_file(root, &path)
        };
        match checked {
            Ok(()) => out.push((name, path)),
            Err(e) => errors.push(e),
        }
    }
    // All in one folder: the names alone order the paths as `Path`'s ordering would, without
    // splitting every path into components at each comparison.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, p)| p).collect()
}

/// Splits a file and checks what can be checked offline: syntax of quotes and comments,
/// statements that cannot run in a transaction, BEGIN/COMMIT in a transactional file.
/// Returns the statement spans when the file is usable.
pub fn analyze(
    file: &SourceFile,
    directives: &Directives,
) -> Result<Vec<sql::Span>, Vec<ProjectError>> {
    let index = sql::LineIndex::new(&file.text);
    let at = |byte: usize| index.line_col(&file.text, byte);
    let spans = match sql::split(&file.text) {
        Ok(s) => s,
        Err(e) => {
            let start = match &e {
                sql::SplitError::UnterminatedQuote { start, .. }
                | sql::SplitError::PsqlMetaCommand { start, .. } => *start,
            };
            let (line, col) = at(start);
            let mut message = e.to_string();
            if matches!(e, sql::SplitError::PsqlMetaCommand { .. }) {
                message.push_str(": psql meta-commands are not SQL; strata sends SQL to the server directly, so remove it (use separate migrations instead of \\i)");
            }
            return Err(vec![ProjectError::Syntax {
                path: file.display.clone(),
                line,
                col,
                message,
            }]);
        }
    };
    let mut errors = Vec::new();
    for span in &spans {
        if let Some(what) = sql::client_data(&file.text[span.start..span.end]) {
            let (line, col) = at(span.start);
            errors.push(ProjectError::ClientData {
                path: file.display.clone(),
                line,
                col,
                what: what.to_string(),
            });
        }
    }
    if directives.transactional {
        let mut added_enums: Vec<String> = Vec::new();
        for span in &spans {
            let stmt = &file.text[span.start..span.end];
            let (line, col) = at(span.start);
            if let Some(what) = sql::non_transactional_reason(stmt) {
                errors.push(ProjectError::NeedsNoTransaction {
                    path: file.display.clone(),
                    line,
                    col,
                    what: what.to_string(),
                });
            } else if sql::is_transaction_control(stmt) {
                errors.push(ProjectError::TransactionControl {
                    path: file.display.clone(),
                    line,
                    col,
                    statement: first_line(stmt),
                });
            } else if let Some(value) = enum_value_used(stmt, &added_enums) {
                errors.push(ProjectError::NeedsNoTransaction {
                    path: file.display.clone(),
                    line,
                    col,
                    what: format!(
                        "using the enum value '{value}' added earlier in the same file (a new enum value is usable only after its transaction commits)"
                    ),
                });
            }
            if let Some(v) = added_enum_value(stmt) {
                added_enums.push(v);
            }
        }
    }
    if errors.is_empty() {
        Ok(spans)
    } else {
        Err(errors)
    }
}

fn first_line(stmt: &str) -> String {
    let l = stmt.lines().next().unwrap_or("").trim();
    if l.chars().count() > 60 {
        format!("{}…", l.chars().take(60).collect::<String>())
    } else {
        l.to_string()
    }
}

/// `ALTER TYPE t ADD VALUE [IF NOT EXISTS] 'v' …` → `v`.
fn added_enum_value(stmt: &str) -> Option<String> {
    sql::added_enum_type(stmt)?;
    let upper = stmt.to_ascii_uppercase();
    let i = upper.find("ADD VALUE")?;
    let rest = &stmt[i..];
    let q = rest.find('\'')?;
    let after = &rest[q + 1..];
    let end = after.find('\'')?;
    Some(after[..end].to_string())
}

fn enum_value_used<'a>(stmt: &str, values: &'a [String]) -> Option<&'a str> {
    if values.is_empty() || sql::added_enum_type(stmt).is_some() {
        return None;
    }
    values
        .iter()
        .find(|v| stmt.contains(&format!("'{v}'")))
        .map(String::as_str)
}

/// The parsed name of a migration file's path: its file name, or for `…/{folder}/up.sql` the
/// folder's name.
pub fn parse_path_name(path: &Path) -> Option<ParsedName> {
    let file = path.file_name()?.to_string_lossy().into_owned();
    if file == "up.sql" || file == "down.sql" {
        let folder = path.parent()?.file_name()?.to_string_lossy().into_owned();
        return parse_folder_name(&folder).ok();
    }
    parse_migration_name(&file).ok()
}

/// The next version for `strata new`: keeps the project's style (width of zero-padded
/// sequence numbers, or a UTC timestamp when the project uses 14-digit timestamps or is empty).
pub fn next_version(existing: &[Migration], now_utc: &str) -> String {
    match existing.last() {
        None => now_utc.to_string(),
        Some(last) => {
            let digits = parse_path_name(&last.file.path)
                .map(|p| p.version_text.len())
                .unwrap_or(3);
            if digits >= 14 {
                let candidate: u128 = now_utc.parse().unwrap_or(0);
                let v = candidate.max(last.version.0 + 1);
                format!("{v:0digits$}")
            } else {
                let v = last.version.0 + 1;
                format!("{v:0digits$}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn versions_compare_numerically() {
        let a: Version = "9".parse().unwrap();
        let b: Version = "10".parse().unwrap();
        assert!(a < b);
        assert_eq!("001".parse::<Version>().unwrap(), "1".parse().unwrap());
        assert!("20241029153900000001".parse::<Version>().is_ok());
        assert!("12a".parse::<Version>().is_err());
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            Checksum::of(b"abc").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn directives() {
        let (d, e) = parse_directives(
            "f.sql",
            "-- strata:no-transaction\n-- strata:lock-timeout 5s\n\n-- note\nSELECT 1;\n",
        );
        assert!(e.is_empty(), "{e:?}");
        assert!(!d.transactional);
        assert_eq!(d.lock_timeout.as_deref(), Some("5s"));
        let (_, e) = parse_directives("f.sql", "-- strata:no-transactoin\nSELECT 1;");
        assert!(matches!(
            e[0],
            ProjectError::UnknownDirective { line: 1, .. }
        ));
        let (_, e) = parse_directives("f.sql", "-- strata:lock-timeout soon\n");
        assert!(matches!(e[0], ProjectError::BadDirective { .. }));
        let (_, e) = parse_directives("f.sql", "SELECT 1;\n-- strata:no-transaction\n");
        assert!(matches!(
            e[0],
            ProjectError::DirectiveAfterSql { line: 2, .. }
        ));
        // `strata lint`'s per-statement allows may stand anywhere.
        let (_, e) = parse_directives(
            "f.sql",
            "-- strata:allow table-dropped unused\nDROP TABLE a;\n-- strata:allow column-dropped gone\nSELECT 1;\n",
        );
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn load_pairs_and_reports_everything() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "migrations/001_a.sql", "select 1;");
        write(root, "migrations/1_dup.sql", "select 1;");
        write(root, "migrations/002_b.sql", "select 2;");
        write(root, "migrations/oops.sql", "select 3;");
        write(root, "migrations/README.md", "ignored");
        write(root, "rollbacks/002_b.sql", "select -2;");
        write(root, "rollbacks/009_orphan.sql", "select 9;");
        let err = load(root, &root.join("migrations"), &root.join("rollbacks")).unwrap_err();
        let texts: Vec<String> = err.0.iter().map(|e| e.to_string()).collect();
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert!(texts.iter().any(|t| t.contains("duplicate version 1")));
        assert!(texts.iter().any(|t| t.starts_with("migrations/oops.sql")));
        assert!(texts
            .iter()
            .any(|t| t.contains("009_orphan.sql: rollback without a migration")));
    }

    #[test]
    fn load_up_down_style() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "migrations/20240101000000_init.up.sql",
            "create table t();",
        );
        write(
            root,
            "migrations/20240101000000_init.down.sql",
            "drop table t;",
        );
        write(root, "migrations/V2__more.sql", "select 1;");
        let p = load(root, &root.join("migrations"), &root.join("rollbacks")).unwrap();
        assert_eq!(p.migrations.len(), 2);
        assert_eq!(p.migrations[0].version, Version(2));
        assert!(p.migrations[0].rollback.is_none());
        assert_eq!(p.migrations[1].name, "init");
        assert!(p.migrations[1].rollback.is_some());
    }

    #[test]
    fn load_folder_per_migration() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "migrations/2024-01-01-120000_init/up.sql",
            "create table t();",
        );
        write(
            root,
            "migrations/2024-01-01-120000_init/down.sql",
            "drop table t;",
        );
        write(root, "migrations/20240102000000_more/up.sql", "select 1;");
        write(root, "migrations/20240102000000_more/README.md", "ignored");
        write(root, "migrations/.hidden/x", "ignored");
        let p = load(root, &root.join("migrations"), &root.join("rollbacks")).unwrap();
        assert_eq!(p.migrations.len(), 2);
        assert_eq!(p.migrations[0].version, Version(20240101120000));
        assert_eq!(p.migrations[0].name, "init");
        assert_eq!(
            p.migrations[0].file.display,
            "migrations/2024-01-01-120000_init/up.sql"
        );
        assert_eq!(
            p.migrations[0]
                .rollback
                .as_ref()
                .map(|r| r.file.display.as_str()),
            Some("migrations/2024-01-01-120000_init/down.sql")
        );
        assert!(p.migrations[1].rollback.is_none());
        assert_eq!(
            next_version(&p.migrations, "20260101120000"),
            "20260101120000"
        );
    }

    #[test]
    fn bad_migration_folders_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "migrations/archive/up.sql", "select 1;");
        write(root, "migrations/002_empty/notes.txt", "nothing");
        write(root, "migrations/003_only_down/down.sql", "select 1;");
        write(root, "migrations/004_ok/up.sql", "select 1;");
        write(root, "migrations/004_dup.sql", "select 1;");
        let err = load(root, &root.join("migrations"), &root.join("rollbacks")).unwrap_err();
        let texts: Vec<String> = err.0.iter().map(|e| e.to_string()).collect();
        assert_eq!(texts.len(), 4, "{texts:#?}");
        assert!(texts.iter().any(|t| t.starts_with(
            "migrations/archive/: the name does not start with a version number; a migration folder is named"
        )), "{texts:#?}");
        assert!(texts.iter().any(|t| t
            == "migrations/002_empty/: holds neither up.sql nor down.sql; a migration folder holds up.sql (the migration) and optionally down.sql (its rollback)"), "{texts:#?}");
        assert!(
            texts.iter().any(|t| t
                .starts_with("migrations/003_only_down/down.sql: rollback without a migration")),
            "{texts:#?}"
        );
        assert!(
            texts.iter().any(|t| t.starts_with("duplicate version 4")),
            "{texts:#?}"
        );
    }

    #[test]
    fn next_version_keeps_style() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "migrations/007_a.sql", "select 1;");
        let p = load(root, &root.join("migrations"), &root.join("rollbacks")).unwrap();
        assert_eq!(next_version(&p.migrations, "20260101120000"), "008");
        assert_eq!(next_version(&[], "20260101120000"), "20260101120000");
    }

    #[test]
    fn replaces_directives_name_a_version_and_a_checksum() {
        let sum = "77443d013b06b9c2ef6fb8b3b396f3a2cbcfed7336ea8f64e4cc294215aed77f";
        let text = format!("-- strata:replaces 1 {sum}\n-- strata:replaces 002 {sum}\nSELECT 1;\n");
        let (d, errors) = parse_directives("m.sql", &text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            d.replaces,
            vec![
                (Version(1), Checksum(sum.into())),
                (Version(2), Checksum(sum.into()))
            ]
        );
        let (_, errors) = parse_directives("m.sql", "-- strata:replaces 1 abc\nSELECT 1;\n");
        assert!(
            errors[0]
                .to_string()
                .contains("expects a version and the SHA-256"),
            "{errors:?}"
        );
    }
}
