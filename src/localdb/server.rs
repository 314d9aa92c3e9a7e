//! The cluster lifecycle: `initdb` once, `pg_ctl start` on the port of the last start when it is
//! free (remembered in `<cluster>/port`), else on a free one, wait for readiness, `createdb`,
//! `pg_ctl stop`. All of it under the cluster lock (see `lock.rs`).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::account::Account;
use super::lock::lock_cluster;
use super::{postmaster, LocalDbError, Options, PgBinaries, Server, SUPERUSER};

const DATA_DIR: &str = "data";
const LOG_FILE: &str = "server.log";
/// Written after `initdb` succeeds: a data folder without it is the remnant of an interrupted
/// `initdb` (strata killed mid-way) and is removed and created again.
const INIT_MARKER: &str = "initdb.done";
/// How long `pg_ctl -w` waits for the postmaster, in seconds (passed as `-t`).
const PG_CTL_WAIT_SECONDS: &str = "60";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Start attempts: a port can be taken between choosing it and the postmaster binding it, and the
/// orphans of a killed postmaster can take a moment to let go of its shared memory.
const START_ATTEMPTS: usize = 5;
/// Lines of `server.log` shown when the server does not come up.
const LOG_TAIL_LINES: usize = 20;
/// Longest socket path strata uses; `sun_path` holds 108 bytes on Linux and 104 on macOS.
const MAX_SOCKET_PATH: usize = 100;
/// The database that always exists; `status` names it because it knows no other.
const MAINTENANCE_DB: &str = "postgres";
/// The bin folder the cluster was last started with, so that `stop` uses the same version's
/// `pg_ctl` (a cluster of `[local] version = 17` on a machine whose default is 15).
const BINDIR_FILE: &str = "bindir";

pub(crate) fn start_with(
    binaries: &PgBinaries,
    cluster_dir: &Path,
    opts: &Options,
) -> Result<Server, LocalDbError> {
    let cluster_dir = absolute(cluster_dir)?;
    let account = Account::for_cluster(&cluster_dir)?;
    // Checked before creating anything; folders created below belong to the account anyway.
    if let Some(blocked) = account.first_unreachable(&cluster_dir) {
        return Err(LocalDbError::Unreachable {
            path: blocked,
            user: account.name(),
        });
    }
    if let Some(parent) = cluster_dir.parent() {
        if !parent.exists() {
            std::fs::create_dir_all(parent).map_err(LocalDbError::io(parent))?;
            account.chown(parent)?;
        }
    }
    let _lock = lock_cluster(&cluster_dir)?;
    create_private_dir(&cluster_dir)?;
    account.chown(&cluster_dir)?;

    let data = cluster_dir.join(DATA_DIR);
    let created = ensure_cluster(binaries, &account, &cluster_dir, opts.durable)?;
    let (port, started) = match postmaster::running(&data)? {
        Some(pid_file) => (pid_file.port, false),
        None => {
            if !created {
                check_version(binaries, &data)?;
            }
            let port = launch(binaries, &account, &cluster_dir, opts.durable)?;
            let record = cluster_dir.join(BINDIR_FILE);
            std::fs::write(&record, binaries.bindir.as_os_str().as_encoded_bytes())
                .map_err(LocalDbError::io(&record))?;
            (port, true)
        }
    };
    wait_ready(binaries, &account, &cluster_dir, port)?;
    ensure_database(binaries, &account, &cluster_dir, port, &opts.database)?;
    Ok(Server {
        cluster_dir,
        port,
        user: SUPERUSER.to_string(),
        database: opts.database.clone(),
        created,
        started,
        relocated: false,
    })
}

pub(crate) fn status_in(cluster_dir: &Path) -> Result<Option<Server>, LocalDbError> {
    let cluster_dir = absolute(cluster_dir)?;
    let running = postmaster::running(&cluster_dir.join(DATA_DIR))?;
    Ok(running.map(|pid_file| Server {
        cluster_dir,
        port: pid_file.port,
        user: SUPERUSER.to_string(),
        database: MAINTENANCE_DB.to_string(),
        created: false,
        started: false,
        relocated: false,
    }))
}

pub(crate) fn stop_in(cluster_dir: &Path) -> Result<bool, LocalDbError> {
    let cluster_dir = absolute(cluster_dir)?;
    let data = cluster_dir.join(DATA_DIR);
    if !data.exists() {
        return Ok(false);
    }
    let _lock = lock_cluster(&cluster_dir)?;
    if postmaster::running(&data)?.is_none() {
        return Ok(false);
    }
    let binaries = started_with(&cluster_dir)?;
    let account = Account::for_cluster(&cluster_dir)?;
    let mut command = account.command(&binaries.tool("pg_ctl"), &cluster_dir);
    command
        .arg("-D")
        .arg(&data)
        .args(["-m", "fast", "-w", "-t", PG_CTL_WAIT_SECONDS, "stop"]);
    let output = run(&mut command)?;
    if output.status.success() || postmaster::running(&data)?.is_none() {
        return Ok(true);
    }
    Err(command_failed(&command, &output, ""))
}

/// The binaries recorded at the last start when they still exist, else the default search.
fn started_with(cluster_dir: &Path) -> Result<PgBinaries, LocalDbError> {
    let recorded = std::fs::read_to_string(cluster_dir.join(BINDIR_FILE))
        .ok()
        .map(|text| PathBuf::from(text.trim_end()))
        .filter(|dir| dir.join("pg_ctl").is_file());
    match recorded {
        Some(bindir) => Ok(PgBinaries { bindir }),
        None => PgBinaries::find(),
    }
}

fn absolute(path: &Path) -> Result<PathBuf, LocalDbError> {
    std::path::absolute(path).map_err(LocalDbError::io(path))
}

fn create_private_dir(dir: &Path) -> Result<(), LocalDbError> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(LocalDbError::io(dir)(err)),
    }
}

/// Runs `initdb` unless a complete cluster exists. Returns whether it ran.
fn ensure_cluster(
    binaries: &PgBinaries,
    account: &Account,
    cluster_dir: &Path,
    durable: bool,
) -> Result<bool, LocalDbError> {
    let data = cluster_dir.join(DATA_DIR);
    let marker = cluster_dir.join(INIT_MARKER);
    if marker.exists() && data.exists() {
        return Ok(false);
    }
    if data.exists() {
        // An initdb that never finished (the marker is written last): nothing in it is worth keeping.
        std::fs::remove_dir_all(&data).map_err(LocalDbError::io(&data))?;
    }
    remove_if_present(&marker)?;
    // C.UTF-8 sorts by code point like C but knows which characters are letters; some systems
    // (older macOS, minimal images) lack it, and then plain C is the portable choice.
    match run_initdb(binaries, account, cluster_dir, durable, "C.UTF-8") {
        Err(LocalDbError::Command { stderr, .. }) if stderr.contains("locale") => {
            run_initdb(binaries, account, cluster_dir, durable, "C")?;
        }
        other => other?,
    }
    std::fs::write(&marker, b"").map_err(LocalDbError::io(&marker))?;
    Ok(true)
}

fn run_initdb(
    binaries: &PgBinaries,
    account: &Account,
    cluster_dir: &Path,
    durable: bool,
    locale: &str,
) -> Result<(), LocalDbError> {
    let data = cluster_dir.join(DATA_DIR);
    let mut command = account.command(&binaries.tool("initdb"), cluster_dir);
    command
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", SUPERUSER, "-E", "UTF8"])
        .arg(format!("--locale={locale}"));
    if !durable {
        command.arg("--no-sync");
    }
    let output = run(&mut command)?;
    if output.status.success() {
        return Ok(());
    }
    // Never leave a half-created cluster behind: the next start would take it for a real one.
    if data.exists() {
        std::fs::remove_dir_all(&data).map_err(LocalDbError::io(&data))?;
    }
    Err(command_failed(&command, &output, ""))
}

fn check_version(binaries: &PgBinaries, data: &Path) -> Result<(), LocalDbError> {
    let path = data.join("PG_VERSION");
    let cluster_version = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_string(),
        // Let pg_ctl report a damaged data folder in its own words.
        Err(_) => return Ok(()),
    };
    let binaries_version = binaries.major_version()?;
    if cluster_version == binaries_version {
        return Ok(());
    }
    Err(LocalDbError::VersionMismatch {
        data_dir: data.to_path_buf(),
        cluster_version,
        bindir: binaries.bindir.clone(),
        binaries_version,
    })
}

/// Why a `pg_ctl start` failed, read from what the postmaster wrote to the log during this attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartFailure {
    /// Another process took the port after we chose it: choose another.
    PortTaken,
    /// Processes of a killed postmaster still hold its shared memory: wait, then try again.
    SharedMemoryInUse,
    /// `postmaster.pid` names a process that is not our postmaster (zombie, reused pid) or is
    /// empty/garbled: remove it if it is really stale, then try again.
    PidFile,
    Other,
}

pub(crate) fn classify_start_failure(log: &str) -> StartFailure {
    if log.contains("Address already in use") {
        StartFailure::PortTaken
    } else if log.contains("pre-existing shared memory block") {
        StartFailure::SharedMemoryInUse
    } else if log.contains("lock file \"postmaster.pid\"") {
        StartFailure::PidFile
    } else {
        StartFailure::Other
    }
}

/// Starts the postmaster on a free port; returns the port.
fn launch(
    binaries: &PgBinaries,
    account: &Account,
    cluster_dir: &Path,
    durable: bool,
) -> Result<u16, LocalDbError> {
    let data = cluster_dir.join(DATA_DIR);
    let log = cluster_dir.join(LOG_FILE);
    let mut attempt = 1;
    // The port of the last start, while it is free: URLs in a developer's tools keep working
    // across restarts.
    let remembered = remembered_port(cluster_dir).filter(|p| port_is_free(*p));
    loop {
        let port = match remembered.filter(|_| attempt == 1) {
            Some(p) => p,
            None => free_port()?,
        };
        let log_start = std::fs::metadata(&log).map(|meta| meta.len()).unwrap_or(0);
        let mut command = account.command(&binaries.tool("pg_ctl"), cluster_dir);
        command
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", PG_CTL_WAIT_SECONDS, "start", "-o"])
            .arg(server_options(cluster_dir, port, durable));
        let output = run(&mut command)?;
        if output.status.success() {
            remember_port(cluster_dir, port);
            return Ok(port);
        }
        let new_log = read_from(&log, log_start);
        let failure = classify_start_failure(&new_log);
        let error = command_failed(&command, &output, &last_lines(&new_log, LOG_TAIL_LINES));
        if attempt >= START_ATTEMPTS {
            return Err(error);
        }
        match failure {
            StartFailure::PortTaken => {}
            StartFailure::SharedMemoryInUse => std::thread::sleep(Duration::from_secs(1)),
            StartFailure::PidFile => {
                if !postmaster::remove_stale(&data, Duration::from_secs(10))? {
                    return Err(error);
                }
            }
            StartFailure::Other => return Err(error),
        }
        attempt += 1;
    }
}

/// The `-o` string `pg_ctl` hands to the postmaster. pg_ctl runs it through `/bin/sh`, so every
/// word is shell-quoted.
pub(crate) fn server_options(cluster_dir: &Path, port: u16, durable: bool) -> String {
    let mut words = vec![
        "-p".to_string(),
        port.to_string(),
        "-c".to_string(),
        "listen_addresses=127.0.0.1".to_string(),
        "-c".to_string(),
        format!(
            "unix_socket_directories={}",
            socket_dir(cluster_dir, port).unwrap_or_default()
        ),
        "-c".to_string(),
        "max_connections=200".to_string(),
    ];
    if !durable {
        // https://www.postgresql.org/docs/current/non-durability.html
        for setting in [
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
        ] {
            words.push("-c".to_string());
            words.push(setting.to_string());
        }
    }
    words
        .iter()
        .map(|word| shell_quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cluster folder as socket folder when `<dir>/.s.PGSQL.<port>` fits in a socket address and
/// the path survives PostgreSQL's list syntax (no `,` or `"`); otherwise `None`: TCP only.
/// A private socket folder instead of `/tmp` or `/var/run/postgresql`: no clash with a system
/// server on the same port, and the 0700 folder keeps other users off the trust-authenticated socket.
pub(crate) fn socket_dir(cluster_dir: &Path, port: u16) -> Option<String> {
    let dir = cluster_dir.to_str()?;
    let socket_len = dir.len() + "/.s.PGSQL.".len() + port.to_string().len();
    (socket_len <= MAX_SOCKET_PATH && !dir.contains([',', '"'])).then(|| dir.to_string())
}

pub(crate) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=./:,@%+".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The file in the cluster folder that remembers the port of the last start.
const PORT_FILE: &str = "port";

pub(crate) fn remembered_port(cluster_dir: &Path) -> Option<u16> {
    std::fs::read_to_string(cluster_dir.join(PORT_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|p| *p != 0)
}

/// Best effort: a port that is not remembered is chosen afresh next time, nothing worse.
fn remember_port(cluster_dir: &Path, port: u16) {
    let _ = std::fs::write(cluster_dir.join(PORT_FILE), format!("{port}\n"));
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_ok()
}

fn free_port() -> Result<u16, LocalDbError> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let describe = PathBuf::from("127.0.0.1:0 (choosing a free port)");
    let listener = TcpListener::bind(address).map_err(LocalDbError::io(&describe))?;
    let port = listener
        .local_addr()
        .map_err(LocalDbError::io(&describe))?
        .port();
    Ok(port)
}

/// Waits until the server accepts connections: `pg_isready`, or where the bin folder lacks it,
/// a TCP connect plus `pg_ctl status`. No SQL.
fn wait_ready(
    binaries: &PgBinaries,
    account: &Account,
    cluster_dir: &Path,
    port: u16,
) -> Result<(), LocalDbError> {
    let data = cluster_dir.join(DATA_DIR);
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if ping(binaries, account, cluster_dir, port)? {
            return Ok(());
        }
        if Instant::now() >= deadline || postmaster::running(&data)?.is_none() {
            let log = cluster_dir.join(LOG_FILE);
            let tail = last_lines(&read_from(&log, 0), LOG_TAIL_LINES);
            return Err(LocalDbError::NotReady { log, tail });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn ping(
    binaries: &PgBinaries,
    account: &Account,
    cluster_dir: &Path,
    port: u16,
) -> Result<bool, LocalDbError> {
    let pg_isready = binaries.tool("pg_isready");
    if pg_isready.is_file() {
        let mut command = account.command(&pg_isready, cluster_dir);
        command
            .args(["-q", "-h", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .args(["-U", SUPERUSER, "-d", MAINTENANCE_DB, "-t", "2"]);
        return Ok(run(&mut command)?.status.success());
    }
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
        return Ok(false);
    }
    let mut command = account.command(&binaries.tool("pg_ctl"), cluster_dir);
    command
        .arg("-D")
        .arg(cluster_dir.join(DATA_DIR))
        .arg("status");
    Ok(run(&mut command)?.status.success())
}

/// `createdb NAME` unless it exists. "already exists" is success: another strata may have won the
/// race, and `CREATE DATABASE` has no `IF NOT EXISTS`.
fn ensure_database(
    binaries: &PgBinaries,
    account: &Account,
    cluster_dir: &Path,
    port: u16,
    database: &str,
) -> Result<(), LocalDbError> {
    if database.is_empty() {
        return Ok(());
    }
    let mut command = account.command(&binaries.tool("createdb"), cluster_dir);
    command
        .args(["-w", "-h", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-U", SUPERUSER, "--", database]);
    let output = run(&mut command)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success()
        || stderr.contains("already exists")
        || stderr.contains("pg_database_datname_index")
    {
        return Ok(());
    }
    Err(command_failed(&command, &output, ""))
}

fn run(command: &mut Command) -> Result<Output, LocalDbError> {
    let program = PathBuf::from(command.get_program());
    command.output().map_err(LocalDbError::io(&program))
}

fn command_failed(command: &Command, output: &Output, log_tail: &str) -> LocalDbError {
    let mut stderr = String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_string();
    if stderr.is_empty() {
        stderr = String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string();
    }
    if !log_tail.trim().is_empty() {
        stderr.push_str("\nserver log:\n");
        stderr.push_str(log_tail.trim_end());
    }
    LocalDbError::Command {
        program: render_command(command),
        status: output.status.to_string(),
        stderr,
    }
}

/// The command line as a user could paste it into a shell.
pub(crate) fn render_command(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| shell_quote(&word.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The log from byte `offset` on (the whole log if it shrank); empty if unreadable.
fn read_from(log: &Path, offset: u64) -> String {
    let bytes = std::fs::read(log).unwrap_or_default();
    let start = usize::try_from(offset)
        .ok()
        .filter(|start| *start <= bytes.len())
        .unwrap_or(0);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

pub(crate) fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

fn remove_if_present(path: &Path) -> Result<(), LocalDbError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(LocalDbError::io(path)(err)),
    }
}

/// Percent-encodes a database name for the path of a URL (RFC 3986 unreserved characters stay).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(byte) {
            out.push(char::from(*byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Text for an error message: on its own lines, indented; nothing if empty.
pub(crate) fn indented_block(text: &str) -> String {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return String::new();
    }
    text.lines()
        .map(|line| format!("\n    {line}"))
        .collect::<String>()
}
