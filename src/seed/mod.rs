//! Development seed data: `seeds/*.sql` run as scripts and `seeds/*.csv` streamed through
//! `COPY … FROM STDIN`, in file-name order, all in ONE transaction, with each file's SHA-256
//! recorded in `<history_schema>.seeds` so that an unchanged set of seeds is not loaded twice.
//!
//! Owns: finding seed files, the seeds table, loading. Must not: print (progress goes to a
//! [`SeedObserver`]), or commit anything of a failed load: a seed that fails leaves the database
//! exactly as before, so there is never half a data set to clean up.
//!
//! Why one transaction for everything (and not per file): seeds depend on each other (a CSV of
//! positions needs the users the SQL seed inserted), so a partial load is never a useful state.
//! Why CSV through `COPY` with the header as column list: it is PostgreSQL's fast path, and the
//! header lets the file carry only some columns (defaults fill the rest). CSV files are streamed
//! in chunks, never read whole, so a million-row file costs a buffer, not its size in memory.
//!
//! Loading the same data twice is not made idempotent by strata: `--force` runs every seed
//! again, so SQL seeds meant to be reloaded should say `ON CONFLICT DO NOTHING` (or start
//! with a `TRUNCATE`), and `strata reset` is the way to start from nothing.

pub mod csv;
pub mod data;
pub mod reset;

use crate::db::{self, DbError, LockHolder, PgFailure};
use crate::project::{Checksum, SourceFile};
use crate::sql::{self, quote_ident, quote_literal, LineIndex};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes read from a CSV file and sent per `CopyData` message.
const CHUNK: usize = 1 << 20;

/// What kind of seed a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedKind {
    Sql,
    /// Loaded into `schema.table` (the schema from the file name, or the search path's).
    Csv {
        schema: Option<String>,
        table: String,
    },
}

/// A seed file found on disk.
#[derive(Debug, Clone)]
pub struct SeedFile {
    pub path: PathBuf,
    /// As shown to the user: `seeds/002_items.csv`.
    pub display: String,
    /// File name: the key in the seeds table.
    pub name: String,
    pub kind: SeedKind,
    pub size: u64,
}

impl SeedFile {
    /// The table as SQL (`"app".items`), for a CSV seed.
    pub fn table_sql(&self) -> Option<String> {
        match &self.kind {
            SeedKind::Sql => None,
            SeedKind::Csv { schema, table } => Some(match schema {
                Some(s) => format!("{}.{}", quote_ident(s), quote_ident(table)),
                None => quote_ident(table),
            }),
        }
    }
}

/// A SQL seed statement that failed.
#[derive(Debug, Clone)]
pub struct StatementFailure {
    pub file: SourceFile,
    /// Byte offset in the file of PostgreSQL's error position (or of the failing statement).
    pub offset: Option<usize>,
    pub failure: PgFailure,
}

/// A CSV seed that PostgreSQL refused during `COPY`.
#[derive(Debug, Clone)]
pub struct CopyFailure {
    pub file: String,
    pub table: String,
    /// Data row (1-based, the header excluded), when PostgreSQL named one.
    pub row: Option<u64>,
    /// Physical line of the file PostgreSQL named (for a row spanning lines, its last line).
    pub line: Option<usize>,
    /// That line's text (cut at 200 characters).
    pub line_text: Option<String>,
    pub column: Option<String>,
    pub failure: PgFailure,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Problems found before connecting (names, encodings, transaction control, psql commands).
    #[error("{}", .0.join("; "))]
    Files(Vec<String>),
    #[error("{file}: {message}")]
    Header { file: String, message: String },
    #[error("{file}: no table {table} (the file name names the table: [NNN_]table.csv or [NNN_]schema.table.csv){}", hint.as_ref().map(|h| format!("; did you mean {h}?")).unwrap_or_default())]
    UnknownTable {
        file: String,
        table: String,
        hint: Option<String>,
    },
    #[error("{file}: the header names column(s) that table {table} does not have: {}; its columns are: {}", missing.join(", "), available.join(", "))]
    UnknownColumns {
        file: String,
        table: String,
        missing: Vec<String>,
        available: Vec<String>,
    },
    #[error("seed {} failed: {}", .0.file.display, .0.failure)]
    Statement(Box<StatementFailure>),
    #[error("{}: {}{}", .0.file, match (.0.row, .0.line) { (Some(r), Some(l)) => format!("row {r} (line {l} of the file): "), (Some(r), None) => format!("row {r}: "), _ => String::new() }, .0.failure.message)]
    Copy(Box<CopyFailure>),
    /// Some of the tables the last load filled were emptied or created again, others still hold
    /// their rows: loading again would duplicate those.
    #[error("the seed data is gone from {} but still in {}: loading the seeds again would duplicate the rows that are left. Run `strata seed --force` to load everything again anyway, or `strata reset` to start from nothing", .gone.join(", "), .present.join(", "))]
    DataPartlyGone {
        /// `public.items (recreated)`.
        gone: Vec<String>,
        present: Vec<String>,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What the caller sees of a load in progress.
pub trait SeedObserver {
    fn lock_waiting(&mut self, _holder: Option<&LockHolder>) {}
    fn file_started(&mut self, _file: &SeedFile) {}
    /// Bytes of the current CSV file sent so far.
    fn progress(&mut self, _bytes: u64) {}
    fn file_finished(&mut self, _file: &SeedFile, _rows: u64, _elapsed: Duration) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl SeedObserver for Silent {}

fn io_err(path: &str, e: std::io::Error) -> SeedError {
    SeedError::Io {
        path: path.to_string(),
        source: e,
    }
}

/// Lists `*.sql` and `*.csv` in `dir` in file-name order; other files are ignored. A missing
/// folder has no seeds.
pub fn discover(root: &Path, dir: &Path) -> Result<Vec<SeedFile>, SeedError> {
    let shown = crate::project::display_path(root, dir);
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&shown, e)),
    };
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err(&shown, e))?;
        let path = entry.path();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let kind = match ext.as_deref() {
            Some("sql") => SeedKind::Sql,
            Some("csv") => {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match csv::target_from_stem(&stem) {
                    Ok((schema, table)) => SeedKind::Csv { schema, table },
                    Err(e) => {
                        problems.push(format!(
                            "{}: {e}",
                            crate::project::display_path(root, &path)
                        ));
                        continue;
                    }
                }
            }
            _ => continue,
        };
        if path.is_dir() {
            continue;
        }
        if let Err(e) = crate::project::regular_file(root, &path) {
            problems.push(e.to_string());
            continue;
        }
        // follows a symbolic link to the file
        let meta = std::fs::metadata(&path).map_err(|e| io_err(&shown, e))?;
        found.push(SeedFile {
            display: crate::project::display_path(root, &path),
            name: entry.file_name().to_string_lossy().into_owned(),
            path,
            kind,
            size: meta.len(),
        });
    }
    if !problems.is_empty() {
        return Err(SeedError::Files(problems));
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// SHA-256 of a file, streamed.
pub fn checksum_file(file: &SeedFile) -> Result<Checksum, SeedError> {
    let mut f = std::fs::File::open(&file.path).map_err(|e| io_err(&file.display, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = f.read(&mut buf).map_err(|e| io_err(&file.display, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(hasher))
}

fn hex(hasher: Sha256) -> Checksum {
    let digest = hasher.finalize();
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    Checksum(s)
}

/// How a seed file differs from what was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeedChange {
    pub file: String,
    /// `new`, `changed` or `removed`.
    pub change: &'static str,
}

/// Compares current checksums with the recorded ones. Empty: nothing changed.
pub fn changes(
    current: &[(String, Checksum)],
    recorded: &BTreeMap<String, String>,
) -> Vec<SeedChange> {
    let mut out = Vec::new();
    for (name, sum) in current {
        match recorded.get(name) {
            None => out.push(SeedChange {
                file: name.clone(),
                change: "new",
            }),
            Some(r) if *r != sum.0 => out.push(SeedChange {
                file: name.clone(),
                change: "changed",
            }),
            Some(_) => {}
        }
    }
    for name in recorded.keys() {
        if !current.iter().any(|(n, _)| n == name) {
            out.push(SeedChange {
                file: name.clone(),
                change: "removed",
            });
        }
    }
    out
}

/// The seeds table's qualified name.
pub fn seeds_table(history_schema: &str) -> String {
    format!("{}.seeds", quote_ident(history_schema))
}

/// What was recorded by the last load (file → checksum); nothing when the table is missing.
pub async fn recorded(
    conn: &mut PgConnection,
    history_schema: &str,
) -> Result<BTreeMap<String, String>, DbError> {
    let table = seeds_table(history_schema);
    let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(&table)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| DbError::query("looking for the seeds table", &e))?;
    if exists.is_none() {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT file, checksum FROM {table}"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| DbError::query(format!("reading {table}"), &e))?;
    Ok(rows.into_iter().collect())
}

/// One loaded file.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedSeed {
    pub file: String,
    /// `sql` or `csv`.
    pub kind: &'static str,
    /// The table a CSV file went into.
    pub table: Option<String>,
    /// Rows copied (CSV) or affected (SQL).
    pub rows: u64,
    pub bytes: u64,
    pub checksum: Checksum,
    pub duration_ms: u64,
}

/// The result of `strata seed`.
#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    /// False when every seed was unchanged and nothing ran.
    pub loaded: bool,
    pub forced: bool,
    /// What differed from the last load (empty on a first load or with `--force`).
    pub changes: Vec<SeedChange>,
    pub files: Vec<LoadedSeed>,
    pub duration_ms: u64,
}

/// Settings for a load.
pub struct SeedOptions<'a> {
    pub history_schema: &'a str,
    pub force: bool,
    pub lock_wait: Duration,
}

/// Reads every SQL seed and checks it before anything runs: UTF-8, splittable, no transaction
/// control (which would end the one transaction).
fn read_sql_seeds(
    root: &Path,
    files: &[SeedFile],
) -> Result<BTreeMap<String, SourceFile>, SeedError> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for f in files.iter().filter(|f| f.kind == SeedKind::Sql) {
        let src = match SourceFile::read(root, &f.path) {
            Ok(s) => s,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let index = LineIndex::new(&src.text);
        match sql::split(&src.text) {
            Err(e) => {
                let (line, col) = index.line_col(&src.text, e.start());
                let what = match &e {
                    sql::SplitError::UnterminatedQuote { kind, .. } => {
                        format!("unterminated {kind}")
                    }
                    sql::SplitError::PsqlMetaCommand { command, .. } => format!(
                        "`{command}` is a psql command, not SQL; strata sends seeds to PostgreSQL directly (put CSV data in a .csv seed instead of \\copy)"
                    ),
                };
                problems.push(format!("{}:{line}:{col}: {what}", f.display));
            }
            Ok(spans) => {
                for s in spans {
                    let stmt = s.text(&src.text);
                    if let Some(what) = sql::client_data(stmt) {
                        let (line, col) = index.line_col(&src.text, s.start);
                        problems.push(format!(
                            "{}:{line}:{col}: `{what}` exchanges data with the client, which strata does not do (it would wait forever); put the rows in a CSV seed (seeds/NNN_table.csv)",
                            f.display
                        ));
                    }
                    if sql::is_transaction_control(stmt) {
                        let (line, col) = index.line_col(&src.text, s.start);
                        let short: String = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
                        problems.push(format!(
                            "{}:{line}:{col}: `{short}`: all seeds load in one transaction, and this would end it; remove it",
                            f.display
                        ));
                    }
                }
            }
        }
        out.insert(f.name.clone(), src);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(SeedError::Files(problems))
    }
}

/// Loads the seeds (unless unchanged and not forced), recording their checksums, in one
/// transaction. Takes the run lock for the duration.
pub async fn run(
    conn: &mut PgConnection,
    root: &Path,
    files: &[SeedFile],
    opts: &SeedOptions<'_>,
    obs: &mut dyn SeedObserver,
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let sql_files = read_sql_seeds(root, files)?;
    // One transaction for everything, the run lock taken in it first (so it can never stay
    // behind on a pooled connection), and what was recorded read under that lock.
    db::execute_script(conn, "BEGIN")
        .await
        .map_err(|e| DbError::query("starting the seed transaction", &e))?;
    let result = async {
        db::lock(
            conn,
            db::lock_key(opts.history_schema),
            opts.lock_wait,
            |h| obs.lock_waiting(h),
        )
        .await?;
        let recorded = recorded(conn, opts.history_schema).await?;
        let mut sums: BTreeMap<String, Checksum> = BTreeMap::new();
        let mut change_list = Vec::new();
        if !opts.force && !recorded.is_empty() {
            // Checksums are needed up front only to compare; otherwise CSV files are hashed
            // while they stream, so a big file is read once.
            let mut current = Vec::new();
            for f in files {
                let sum = match sql_files.get(&f.name) {
                    Some(src) => src.checksum.clone(),
                    None => checksum_file(f)?,
                };
                current.push((f.name.clone(), sum.clone()));
                sums.insert(f.name.clone(), sum);
            }
            change_list = changes(&current, &recorded);
            if change_list.is_empty() {
                // The files are unchanged; is what they loaded still there?
                match data::judge(&data::states(conn, opts.history_schema).await?) {
                    data::Verdict::Intact => return Ok(None),
                    data::Verdict::Gone(tables) => {
                        change_list = tables
                            .into_iter()
                            .map(|(table, state)| SeedChange {
                                file: table,
                                change: state.as_str(),
                            })
                            .collect();
                    }
                    data::Verdict::PartlyGone { gone, present } => {
                        return Err(SeedError::DataPartlyGone {
                            gone: gone
                                .into_iter()
                                .map(|(t, s)| format!("{t} ({})", s.as_str()))
                                .collect(),
                            present,
                        })
                    }
                }
            }
        }
        let loaded = load_all(conn, files, &sql_files, &sums, opts.history_schema, obs).await?;
        Ok::<_, SeedError>(Some((change_list, loaded)))
    }
    .await;
    match result {
        Ok(Some((change_list, loaded))) => Ok(SeedReport {
            loaded: true,
            forced: opts.force,
            changes: change_list,
            files: loaded,
            duration_ms: started.elapsed().as_millis() as u64,
        }),
        Ok(None) => {
            let _ = db::execute_script(conn, "ROLLBACK").await;
            Ok(SeedReport {
                loaded: false,
                forced: false,
                changes: Vec::new(),
                files: Vec::new(),
                duration_ms: started.elapsed().as_millis() as u64,
            })
        }
        Err(e) => {
            let _ = db::execute_script(conn, "ROLLBACK").await;
            Err(e)
        }
    }
}

async fn load_all(
    conn: &mut PgConnection,
    files: &[SeedFile],
    sql_files: &BTreeMap<String, SourceFile>,
    sums: &BTreeMap<String, Checksum>,
    history_schema: &str,
    obs: &mut dyn SeedObserver,
) -> Result<Vec<LoadedSeed>, SeedError> {
    let table = seeds_table(history_schema);
    let begin = format!(
        "CREATE SCHEMA IF NOT EXISTS {};\nCREATE TABLE IF NOT EXISTS {table} (\n  file text PRIMARY KEY,\n  checksum text NOT NULL,\n  applied_at timestamptz NOT NULL DEFAULT now()\n);",
        quote_ident(history_schema)
    );
    let begin = format!("{begin}\n{}", data::create_sql(history_schema));
    db::execute_script(conn, &begin)
        .await
        .map_err(|e| DbError::query(format!("creating {table}"), &e))?;
    let mut loaded = Vec::with_capacity(files.len());
    for f in files {
        obs.file_started(f);
        let t0 = Instant::now();
        let (rows, checksum, table_name) = match &f.kind {
            SeedKind::Sql => {
                let src = sql_files.get(&f.name).ok_or_else(|| SeedError::Io {
                    path: f.display.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "disappeared while loading",
                    ),
                })?;
                let rows = run_sql_seed(conn, src).await?;
                (rows, src.checksum.clone(), None)
            }
            SeedKind::Csv { .. } => {
                let (rows, sum, t) = copy_csv(conn, f, sums.get(&f.name).cloned(), obs).await?;
                (rows, sum, Some(t))
            }
        };
        let elapsed = t0.elapsed();
        obs.file_finished(f, rows, elapsed);
        loaded.push(LoadedSeed {
            file: f.display.clone(),
            kind: match f.kind {
                SeedKind::Sql => "sql",
                SeedKind::Csv { .. } => "csv",
            },
            table: table_name,
            rows,
            bytes: f.size,
            checksum,
            duration_ms: elapsed.as_millis() as u64,
        });
    }
    let mut record = format!("RESET ROLE;\nDELETE FROM {table};\n");
    if !files.is_empty() {
        record.push_str(&format!("INSERT INTO {table} (file, checksum) VALUES "));
        let values: Vec<String> = files
            .iter()
            .zip(&loaded)
            .map(|(f, l)| {
                format!(
                    "({}, {})",
                    quote_literal(&f.name),
                    quote_literal(&l.checksum.0)
                )
            })
            .collect();
        record.push_str(&values.join(", "));
        record.push_str(";\n");
    }
    // The tables this load filled, so that the next `seed` sees when their rows are gone.
    record.push_str(&data::record_sql(history_schema));
    record.push_str("COMMIT;");
    db::execute_script(conn, &record)
        .await
        .map_err(|e| DbError::query(format!("recording the seeds in {table}"), &e))?;
    Ok(loaded)
}

/// Runs a SQL seed as one script inside a savepoint; on failure, finds the failing statement
/// (replaying statement by statement after rolling back to the savepoint when PostgreSQL gave no
/// position).
async fn run_sql_seed(conn: &mut PgConnection, src: &SourceFile) -> Result<u64, SeedError> {
    db::execute_script(conn, "SAVEPOINT strata_seed")
        .await
        .map_err(|e| DbError::query("starting a seed", &e))?;
    match db::execute_script(conn, &src.text).await {
        Ok(rows) => {
            db::execute_script(conn, "RELEASE SAVEPOINT strata_seed")
                .await
                .map_err(|e| DbError::query("finishing a seed", &e))?;
            Ok(rows)
        }
        Err(e) => {
            let mut failure = PgFailure::from_sqlx(&e);
            if failure.code.is_empty() {
                return Err(SeedError::Db(DbError::query(
                    format!("running {}", src.display),
                    &e,
                )));
            }
            let mut offset = failure
                .position
                .map(|p| sql::char_pos_to_byte(&src.text, p));
            if offset.is_none() {
                let _ = db::execute_script(conn, "ROLLBACK TO SAVEPOINT strata_seed").await;
                if let Ok(spans) = sql::split(&src.text) {
                    for s in spans {
                        let stmt = s.text(&src.text);
                        if let Err(e) = db::execute_script(conn, stmt).await {
                            let f = PgFailure::from_sqlx(&e);
                            offset = Some(match f.position {
                                Some(p) => s.start + sql::char_pos_to_byte(stmt, p),
                                None => s.start,
                            });
                            failure = f;
                            break;
                        }
                    }
                }
            }
            Err(SeedError::Statement(Box::new(StatementFailure {
                file: src.clone(),
                offset,
                failure,
            })))
        }
    }
}

/// Reads the header record from the start of the file.
fn read_header(file: &SeedFile) -> Result<(Vec<String>, Vec<u8>), SeedError> {
    let mut f = std::fs::File::open(&file.path).map_err(|e| io_err(&file.display, e))?;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut chunk).map_err(|e| io_err(&file.display, e))?;
        buf.extend_from_slice(&chunk[..n]);
        match csv::parse_header(&buf, n == 0) {
            Some(Ok((cols, _))) => return Ok((cols, buf)),
            Some(Err(message)) => {
                return Err(SeedError::Header {
                    file: file.display.clone(),
                    message,
                })
            }
            None if n == 0 => {
                return Err(SeedError::Header {
                    file: file.display.clone(),
                    message: "no header row".into(),
                })
            }
            None => {}
        }
    }
}

/// Checks that the table exists and has every header column; returns the table's name as
/// PostgreSQL prints it.
async fn check_target(
    conn: &mut PgConnection,
    file: &SeedFile,
    table_sql: &str,
    columns: &[String],
) -> Result<String, SeedError> {
    let shown = match &file.kind {
        SeedKind::Csv {
            schema: Some(s),
            table,
        } => format!("{s}.{table}"),
        SeedKind::Csv {
            schema: None,
            table,
        } => table.clone(),
        SeedKind::Sql => String::new(),
    };
    let found: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(table_sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| DbError::query("looking up a seed's table", &e))?;
    let Some(regclass) = found else {
        // A case-insensitive match is probably what was meant.
        let hint: Option<String> = sqlx::query_scalar(
            "SELECT c.oid::regclass::text FROM pg_class c \
             WHERE lower(c.relname) = lower($1) AND c.relkind IN ('r', 'p', 'v', 'f') \
               AND pg_table_is_visible(c.oid) LIMIT 1",
        )
        .bind(match &file.kind {
            SeedKind::Csv { table, .. } => table.as_str(),
            SeedKind::Sql => "",
        })
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| DbError::query("looking up a seed's table", &e))?;
        return Err(SeedError::UnknownTable {
            file: file.display.clone(),
            table: shown,
            hint,
        });
    };
    let available: Vec<String> = sqlx::query_scalar(
        "SELECT attname::text FROM pg_attribute \
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    )
    .bind(&regclass)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| DbError::query("reading a seed table's columns", &e))?;
    let missing: Vec<String> = columns
        .iter()
        .filter(|c| !available.contains(c))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(SeedError::UnknownColumns {
            file: file.display.clone(),
            table: regclass,
            missing,
            available,
        });
    }
    Ok(regclass)
}

/// Streams one CSV file through COPY. Returns rows copied, the file's checksum and the table.
async fn copy_csv(
    conn: &mut PgConnection,
    file: &SeedFile,
    known_sum: Option<Checksum>,
    obs: &mut dyn SeedObserver,
) -> Result<(u64, Checksum, String), SeedError> {
    let table_sql = file.table_sql().unwrap_or_default();
    let (columns, _) = read_header(file)?;
    let regclass = check_target(conn, file, &table_sql, &columns).await?;
    let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
    let statement = format!(
        "COPY {table_sql} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)",
        cols.join(", ")
    );
    let mut source = std::fs::File::open(&file.path).map_err(|e| io_err(&file.display, e))?;
    let mut hasher = known_sum.is_none().then(Sha256::new);
    let mut copy = match conn.copy_in_raw(&statement).await {
        Ok(c) => c,
        Err(e) => return Err(copy_error(file, &regclass, &e)),
    };
    let mut buf = vec![0u8; CHUNK];
    let mut sent = 0u64;
    let read_failure = loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) => break Some(e),
        };
        if let Some(h) = hasher.as_mut() {
            h.update(&buf[..n]);
        }
        if let Err(e) = copy.send(&buf[..n]).await {
            return Err(copy_error(file, &regclass, &e));
        }
        sent += n as u64;
        obs.progress(sent);
    };
    if let Some(source) = read_failure {
        let _ = copy
            .abort(format!("strata could not read {}", file.display))
            .await;
        return Err(SeedError::Io {
            path: file.display.clone(),
            source,
        });
    }
    let rows = match copy.finish().await {
        Ok(r) => r,
        Err(e) => return Err(copy_error(file, &regclass, &e)),
    };
    let sum = match (known_sum, hasher) {
        (Some(s), _) => s,
        (None, Some(h)) => hex(h),
        (None, None) => checksum_file(file)?,
    };
    Ok((rows, sum, regclass))
}

/// Turns a COPY error into "row N (line L of the file)".
fn copy_error(file: &SeedFile, table: &str, e: &sqlx::Error) -> SeedError {
    let failure = PgFailure::from_sqlx(e);
    if failure.code.is_empty() {
        return SeedError::Db(DbError::query(format!("loading {}", file.display), e));
    }
    let (line, column) = failure
        .context
        .as_deref()
        .map(csv::copy_context_position)
        .unwrap_or((None, None));
    let line = line
        .and_then(|l| usize::try_from(l).ok())
        .filter(|l| *l > 1);
    let (row, line_text) = match line {
        Some(l) => record_at_line(file, l),
        None => (None, None),
    };
    SeedError::Copy(Box::new(CopyFailure {
        file: file.display.clone(),
        table: table.to_string(),
        row,
        line: line.filter(|_| row.is_some()),
        line_text,
        column,
        failure,
    }))
}

/// The data row that physical line `line` belongs to, and that line's text (cut at 200
/// characters). Scans the file again, only on error.
fn record_at_line(file: &SeedFile, line: usize) -> (Option<u64>, Option<String>) {
    let Ok(mut f) = std::fs::File::open(&file.path) else {
        return (None, None);
    };
    let mut scan = csv::LineRecords::new(line);
    let mut buf = vec![0u8; CHUNK];
    let mut record = None;
    while record.is_none() {
        let n = match f.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        record = scan.feed(&buf[..n]);
    }
    let row = record.and_then(|r| r.checked_sub(1)).filter(|r| *r > 0);
    let Ok(f) = std::fs::File::open(&file.path) else {
        return (row, None);
    };
    use std::io::BufRead;
    let text = std::io::BufReader::new(f)
        .split(b'\n')
        .nth(line - 1)
        .and_then(Result::ok)
        .map(|bytes| {
            let s = String::from_utf8_lossy(&bytes);
            let s = s.trim_end_matches('\r');
            s.chars().take(200).collect::<String>()
        });
    (row, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_detection() {
        let recorded: BTreeMap<String, String> = [
            ("001_a.sql".to_string(), "aa".to_string()),
            ("002_b.csv".to_string(), "bb".to_string()),
            ("003_gone.sql".to_string(), "cc".to_string()),
        ]
        .into_iter()
        .collect();
        let current = vec![
            ("001_a.sql".to_string(), Checksum("aa".into())),
            ("002_b.csv".to_string(), Checksum("xx".into())),
            ("004_new.csv".to_string(), Checksum("dd".into())),
        ];
        let c = changes(&current, &recorded);
        let pairs: Vec<(&str, &str)> = c.iter().map(|c| (c.file.as_str(), c.change)).collect();
        assert_eq!(
            pairs,
            vec![
                ("002_b.csv", "changed"),
                ("004_new.csv", "new"),
                ("003_gone.sql", "removed")
            ]
        );
        let same = vec![
            ("001_a.sql".to_string(), Checksum("aa".into())),
            ("002_b.csv".to_string(), Checksum("bb".into())),
            ("003_gone.sql".to_string(), Checksum("cc".into())),
        ];
        assert!(changes(&same, &recorded).is_empty());
    }
}
