//! Shadow databases: throwaway databases on a shadow server, built from the project's files by
//! the same engine `up` uses, for `diff` (the declared state) and `verify-rollbacks`.
//!
//! Owns: creating, copying and dropping databases on the shadow server, and the template
//! databases that make repeated runs cheap. Must not: connect to the live database (a caller
//! that wants a copy of it names it as a template on the same server), or print.
//!
//! Why it is shaped so:
//! - The declared state is what PostgreSQL makes of the files, not what a parser thinks they
//!   mean: migrations go through [`engine::apply_up`] (same transactions, same directives, same
//!   auth shim), then `policies/*.sql` in name order in one transaction.
//! - Applying every migration on each run is the slow part, so the result is kept as a template
//!   database `strata_tpl_<16 hex of SHA-256 over every file's checksum>`, which later runs
//!   read without applying anything (or copy with `CREATE DATABASE x TEMPLATE tpl` when they
//!   must change it). Its catalog is cached inside it ([`cache`]), so a warm `diff` reads only
//!   the live side. Templates are built under a temporary name and renamed, so two runs never
//!   see a half-built one. Each template carries a comment naming its project root; building a
//!   new one drops the project's older templates.
//! - Every throwaway database is dropped on every path, error or not.

// `DbError` carries PostgreSQL's whole error report by value (like the rest of the crate);
// boxing it is a crate-wide decision, not this module's.
#![allow(clippy::result_large_err)]

mod cache;

use crate::catalog::{self, Catalog};
use crate::config::{Auth, ConnInfo};
use crate::db::{self, DbError, PgFailure};
use crate::engine::{self, EngineError, Event, Observer, Settings};
use crate::project::{Migration, Project, SourceFile};
use crate::sql::{quote_ident, quote_literal};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// A migration or rollback failed on the shadow database (rendered like `up` renders it).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// `policies/` failed on the shadow database (rendered like `policies apply` renders it).
    #[error(transparent)]
    Policy(crate::policy::PolicyError),
}

/// What the declared state is built from.
pub struct Spec<'a> {
    pub project: &'a Project,
    /// `policies/*.sql`, in name order.
    pub policies: &'a [SourceFile],
    pub auth: &'a Auth,
    pub settings: &'a Settings,
    /// The project root: names the project's templates (stale ones are dropped).
    pub root: &'a Path,
}

/// An observer that ignores everything (the shadow is built silently).
pub struct Silent;
impl Observer for Silent {
    fn event(&mut self, _: &Event) {}
}

/// The template name for a project state: every migration, rollback and policy checksum, the
/// auth shim settings and strata's version go into the hash.
pub fn template_name(spec: &Spec<'_>) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(format!("{:?}{}", spec.auth.model, spec.auth.shim));
    h.update(Sha256::digest(crate::auth::SHIM_SQL.as_bytes()));
    h.update(&spec.settings.history_schema);
    for m in &spec.project.migrations {
        h.update(m.version.to_string());
        h.update(&m.file.checksum.0);
    }
    h.update("policies");
    for p in spec.policies {
        h.update(&p.display);
        h.update(&p.checksum.0);
    }
    let hex: String = h
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("strata_tpl_{hex}")
}

fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

async fn admin(server: &ConnInfo) -> Result<PgConnection, ShadowError> {
    Ok(db::connect(server).await?)
}

/// Runs `sql`, retrying while PostgreSQL says an object is in use (a session that just closed
/// may still be leaving the database).
async fn exec_retry(conn: &mut PgConnection, sql: &str, context: &str) -> Result<(), DbError> {
    let mut tries = 0;
    loop {
        match db::execute_script(conn, sql).await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let f = PgFailure::from_sqlx(&e);
                if f.code == "55006" && tries < 50 {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                return Err(DbError::Query {
                    context: context.to_string(),
                    failure: f,
                });
            }
        }
    }
}

/// Creates an empty database (or a copy of `template`) on the shadow server.
pub async fn create_database(
    server: &ConnInfo,
    prefix: &str,
    template: Option<&str>,
) -> Result<String, ShadowError> {
    let name = unique_name(prefix);
    let mut conn = admin(server).await?;
    let sql = match template {
        Some(t) => format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(t)
        ),
        None => format!("CREATE DATABASE {}", quote_ident(&name)),
    };
    let mut r = exec_retry(&mut conn, &sql, "creating a shadow database").await;
    if let (Ok(()), Some(t)) = (&r, template) {
        r = copy_search_path(&mut conn, t, &name).await;
    }
    if r.is_ok() {
        // A shadow is thrown away, never recovered after a crash: its commits need not wait for
        // the WAL to reach the disk (verify-rollbacks commits three times per migration). Not
        // being allowed to set it (it is the owner's right) only costs that time.
        let sql = format!(
            "ALTER DATABASE {} SET synchronous_commit = off",
            quote_ident(&name)
        );
        let _ = db::execute_script(&mut conn, &sql).await;
    }
    db::close(conn).await;
    r?;
    Ok(name)
}

/// A copy does not inherit its template's `ALTER DATABASE … SET search_path` (per-database
/// settings live in a shared catalog): the Supabase shim's `extensions` must stay on it.
async fn copy_search_path(
    conn: &mut PgConnection,
    template: &str,
    copy: &str,
) -> Result<(), DbError> {
    let path: Option<String> = sqlx::query_scalar(
        "SELECT substr(c, length('search_path=') + 1) FROM pg_db_role_setting s \
           JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c \
          WHERE d.datname = $1 AND s.setrole = 0 AND c LIKE 'search_path=%'",
    )
    .bind(template)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| DbError::query("reading the template's search_path", &e))?;
    let Some(path) = path else {
        return Ok(());
    };
    db::execute_script(
        conn,
        &format!(
            "ALTER DATABASE {} SET search_path = {path}",
            quote_ident(copy)
        ),
    )
    .await
    .map(|_| ())
    .map_err(|e| DbError::query("setting the copy's search_path", &e))
}

/// Drops a throwaway database, disconnecting anyone still in it.
pub async fn drop_database(server: &ConnInfo, name: &str) -> Result<(), ShadowError> {
    let mut conn = admin(server).await?;
    let r = exec_retry(
        &mut conn,
        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)),
        "dropping a shadow database",
    )
    .await;
    db::close(conn).await;
    Ok(r?)
}

/// Connects to database `name` on the shadow server.
pub async fn connect(server: &ConnInfo, name: &str) -> Result<PgConnection, ShadowError> {
    Ok(db::connect(&server.with_database(name)).await?)
}

/// Applies the migrations (and the shim when needed) with the engine, on `conn`. Returns the
/// `search_path` the shim gave the database, when it installed part `extensions`: the caller's
/// later migrations on this connection need it in their settings (`RESET ALL` returns to the
/// default of the session's start).
pub async fn apply_migrations(
    conn: &mut PgConnection,
    steps: &[&Migration],
    auth: &Auth,
    settings: &Settings,
    extra_texts: &[&str],
) -> Result<Option<String>, ShadowError> {
    let mut obs = Silent;
    engine::prepare(conn, settings, &mut obs).await?;
    let texts = steps
        .iter()
        .map(|m| m.file.text.as_str())
        .chain(extra_texts.iter().copied());
    let report = crate::auth::ensure_shim(conn, auth, texts).await?;
    let mut settings = settings.clone();
    let search_path = report.and_then(|r| r.search_path);
    if search_path.is_some() {
        settings.search_path = search_path.clone();
    }
    engine::apply_up(conn, steps, &settings, &mut obs).await?;
    Ok(search_path)
}

/// Runs the policy files in one transaction, the way `policies apply` reads them.
pub async fn apply_policies(
    conn: &mut PgConnection,
    policies: &[SourceFile],
) -> Result<(), ShadowError> {
    if policies.is_empty() {
        return Ok(());
    }
    db::execute_script(conn, "RESET ALL; BEGIN;")
        .await
        .map_err(|e| DbError::query("starting the policies transaction", &e))?;
    if let Err(e) = crate::policy::apply_files(conn, policies).await {
        let _ = db::execute_script(conn, "ROLLBACK").await;
        return Err(ShadowError::Policy(e));
    }
    db::execute_script(conn, "COMMIT; RESET ALL;")
        .await
        .map_err(|e| DbError::query("committing the policies", &e))?;
    Ok(())
}

/// Makes sure the template for `spec` exists on the server; returns its name.
pub async fn ensure_template(server: &ConnInfo, spec: &Spec<'_>) -> Result<String, ShadowError> {
    ensure_template_for(server, spec, "shadow").await
}

/// [`ensure_template`] for one purpose (`shadow` for the declared state, `lint` for the state
/// before the migrations being linted): a new template drops only the project's older
/// templates of the same purpose (`lint` keeps two more), so `diff` and `lint` do not evict
/// each other's.
pub async fn ensure_template_for(
    server: &ConnInfo,
    spec: &Spec<'_>,
    purpose: &str,
) -> Result<String, ShadowError> {
    let tpl = template_name(spec);
    let mut conn = admin(server).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&tpl)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| DbError::query("looking for the shadow template", &e))?;
    db::close(conn).await;
    if exists {
        return Ok(tpl);
    }
    let build = create_database(server, "strata_tplbuild", None).await?;
    let built = build_into(server, &build, spec).await;
    if let Err(e) = built {
        let _ = drop_database(server, &build).await;
        return Err(e);
    }
    let mut conn = admin(server).await?;
    let renamed = exec_retry(
        &mut conn,
        &format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&build),
            quote_ident(&tpl)
        ),
        "naming the shadow template",
    )
    .await;
    if renamed.is_err() {
        // Another run built the same template first: use theirs.
        db::close(conn).await;
        drop_database(server, &build).await?;
        return Ok(tpl);
    }
    let owner_note = format!("strata {purpose} template for {}", spec.root.display());
    let _ = db::execute_script(
        &mut conn,
        &format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(&tpl),
            quote_literal(&owner_note)
        ),
    )
    .await;
    // Older templates of this project are stale now. `lint` keeps its two newest others: its
    // templates are states before different migrations (all pending, one file, another file),
    // which a developer alternates between.
    let keep: i64 = if purpose == "lint" { 2 } else { 0 };
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'strata\\_tpl\\_%' \
         AND datname <> $1 AND shobj_description(oid, 'pg_database') = $2 \
         ORDER BY oid DESC OFFSET $3",
    )
    .bind(&tpl)
    .bind(&owner_note)
    .bind(keep)
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    for s in stale {
        let _ = db::execute_script(
            &mut conn,
            &format!("DROP DATABASE IF EXISTS {}", quote_ident(&s)),
        )
        .await;
    }
    db::close(conn).await;
    Ok(tpl)
}

async fn build_into(server: &ConnInfo, name: &str, spec: &Spec<'_>) -> Result<(), ShadowError> {
    // The shim is decided once, before the first migration, from every file (as `up` does):
    // a part installed in a later segment would reset the database's search_path after a
    // migration had set its own.
    let texts: Vec<&str> = spec
        .policies
        .iter()
        .map(|p| p.text.as_str())
        .chain(spec.project.migrations.iter().map(|m| m.file.text.as_str()))
        .collect();
    let mut segments: Vec<Vec<&Migration>> = vec![Vec::new()];
    for m in &spec.project.migrations {
        if let Some(last) = segments.last_mut() {
            last.push(m);
        }
        if engine::changes_session_defaults(&m.file.text) {
            segments.push(Vec::new());
        }
    }
    let count = segments.len();
    for (i, steps) in segments.iter().enumerate() {
        let mut conn = connect(server, name).await?;
        let r = async {
            apply_migrations(&mut conn, steps, spec.auth, spec.settings, &texts).await?;
            if i + 1 == count {
                apply_policies(&mut conn, spec.policies).await?;
            }
            Ok::<(), ShadowError>(())
        }
        .await;
        db::close(conn).await;
        r?;
    }
    Ok(())
}

/// The declared state: the template's catalog, from the cache inside it (see [`cache`]) or
/// introspected in a read-only snapshot (and then cached).
///
/// The template is read in place rather than copied first: nothing but the cache writes to it
/// (templates are never copied or changed otherwise), and copying
/// costs far more than reading (a 1,000-table schema: ~4 s for `CREATE DATABASE ... TEMPLATE`
/// against ~0.5 s to introspect, see bench/RESULTS-diff.md). Copies are made where something
/// must change (proving a script, verifying rollbacks).
pub async fn declared(
    server: &ConnInfo,
    spec: &Spec<'_>,
    schemas: &[String],
    exclude: &[String],
) -> Result<Catalog, ShadowError> {
    let tpl = ensure_template(server, spec).await?;
    let mut conn = connect(server, &tpl).await?;
    let history = &spec.settings.history_schema;
    // No identity (the server would not say its version): no cache, a plain read.
    let key = match catalog::reader_identity(&mut conn).await {
        Ok(identity) => Some(cache::key(schemas, exclude, &identity)),
        Err(_) => None,
    };
    if let Some(key) = &key {
        let started = std::time::Instant::now();
        if let Some(mut cat) = cache::load(&mut conn, history, key).await {
            db::close(conn).await;
            // For `-v`: the one "query" of a cached read.
            cat.timings
                .0
                .push(("the catalog cached in the template", started.elapsed()));
            return Ok(cat);
        }
    }
    let r = catalog::introspect(&mut conn, schemas, exclude).await;
    if let (Ok(cat), Some(key)) = (&r, &key) {
        cache::store(&mut conn, history, key, cat).await;
    }
    db::close(conn).await;
    Ok(r?)
}

/// Introspects database `name` on the server.
pub async fn introspect_db(
    server: &ConnInfo,
    name: &str,
    schemas: &[String],
    exclude: &[String],
) -> Result<Catalog, ShadowError> {
    let mut conn = connect(server, name).await?;
    let r = catalog::introspect(&mut conn, schemas, exclude).await;
    db::close(conn).await;
    Ok(r?)
}

/// A step of a fix script that failed on a copy.
#[derive(Debug, Clone)]
pub struct ScriptFailure {
    /// The failing step's explanation, or `None` for the final COMMIT.
    pub step: Option<String>,
    pub failure: db::PgFailure,
}

impl std::fmt::Display for ScriptFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.step {
            Some(step) => write!(f, "step `{step}` failed: {}", self.failure),
            None => write!(f, "commit failed: {}", self.failure),
        }
    }
}

/// Runs a fix script on a (copied) database: consecutive transactional steps in one
/// transaction, the others alone, as a user would run the printed script.
pub async fn apply_script(
    conn: &mut PgConnection,
    steps: &[crate::diff::Step],
) -> Result<(), ScriptFailure> {
    let fail = |s: &crate::diff::Step, e: &sqlx::Error| ScriptFailure {
        step: Some(s.explanation.clone()),
        failure: db::PgFailure::from_sqlx(e),
    };
    let _ = db::execute_script(conn, "SET check_function_bodies = off").await;
    let mut i = 0;
    while i < steps.len() {
        if !steps[i].transactional {
            for st in &steps[i].statements {
                db::execute_script(conn, st)
                    .await
                    .map_err(|e| fail(&steps[i], &e))?;
            }
            i += 1;
            continue;
        }
        db::execute_script(conn, "BEGIN")
            .await
            .map_err(|e| fail(&steps[i], &e))?;
        while i < steps.len() && steps[i].transactional {
            for st in &steps[i].statements {
                if let Err(e) = db::execute_script(conn, st).await {
                    let _ = db::execute_script(conn, "ROLLBACK").await;
                    return Err(fail(&steps[i], &e));
                }
            }
            i += 1;
        }
        db::execute_script(conn, "COMMIT")
            .await
            .map_err(|e| ScriptFailure {
                step: None,
                failure: db::PgFailure::from_sqlx(&e),
            })?;
    }
    Ok(())
}

/// The cluster's identity (`pg_control_system().system_identifier`), to tell whether two
/// connections reach the same server. None when the role may not read it.
pub async fn system_identifier(conn: &mut PgConnection) -> Option<i64> {
    sqlx::query_scalar("SELECT system_identifier FROM pg_control_system()")
        .fetch_one(&mut *conn)
        .await
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Checksum;

    fn file(name: &str, text: &str) -> SourceFile {
        SourceFile {
            path: name.into(),
            display: name.into(),
            text: text.into(),
            checksum: Checksum::of(text.as_bytes()),
        }
    }

    #[test]
    fn settings_for_new_sessions_are_detected() {
        assert!(engine::changes_session_defaults(
            "EXECUTE format('ALTER DATABASE %I SET search_path = x', current_database());"
        ));
        assert!(!engine::changes_session_defaults(
            "ALTER TABLE t ALTER c SET DEFAULT 1;"
        ));
    }

    #[test]
    fn template_name_changes_with_policies_and_is_short() {
        let project = Project::default();
        let auth = Auth::default();
        let settings = Settings {
            history_schema: "strata".into(),
            lock_timeout: None,
            statement_timeout: None,
            lock_wait: Duration::from_secs(1),
            search_path: None,
        };
        let p1 = [file("policies/a.sql", "select 1")];
        let p2 = [file("policies/a.sql", "select 2")];
        let spec = |p: &'static [SourceFile]| Spec {
            project: &project,
            policies: p,
            auth: &auth,
            settings: &settings,
            root: Path::new("/x"),
        };
        let a = template_name(&spec(Box::leak(Box::new(p1))));
        let b = template_name(&spec(Box::leak(Box::new(p2))));
        assert_ne!(a, b);
        assert_eq!(a.len(), "strata_tpl_".len() + 16);
        assert!(a.len() < 63, "fits PostgreSQL's name limit");
    }
}
