//! `diff` and `verify-rollbacks`: catalogs from the live database and a shadow database,
//! compared by `diff::compare`; the fix script proven on a copy of the live database.

// `DbError` carries PostgreSQL's whole error report by value (like the rest of the crate);
// boxing it is a crate-wide decision, not this module's.
#![allow(clippy::result_large_err)]

use super::Ctx;
use crate::catalog::{self, Catalog, NotCompared};
use crate::config::{ConnInfo, Target};
use crate::db::{self, PgFailure};
use crate::diff::{self, Change, ChangeType, Step};
use crate::engine::{self, EngineError};
use crate::error::{Error, Result};
use crate::localdb;
use crate::project::{self, Migration, Project};
use crate::report::{self, Format};
use crate::shadow::{self, ShadowError, Spec};
use serde::Serialize;

/// Flags of `strata diff`.
pub struct DiffArgs<'a> {
    pub exit_code: bool,
    pub sql: bool,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub shadow_url: Option<&'a str>,
}

fn load_project(ctx: &Ctx) -> Result<Project> {
    Ok(project::load(
        &ctx.cfg.root,
        &ctx.cfg.migrations_dir(),
        &ctx.cfg.rollbacks_dir(),
    )?)
}

/// The shadow server: `--shadow-url` (its database is used for administration), else the
/// project's local server (started if needed).
fn shadow_server(ctx: &Ctx, flag: Option<&str>) -> Result<ConnInfo> {
    if let Some(u) = flag {
        return Ok(ConnInfo::parse(u)?);
    }
    let server = localdb::start(
        &ctx.cfg.root,
        &localdb::Options {
            durable: true,
            database: super::dbcmd::LOCAL_DATABASE.into(),
        },
    )?;
    ctx.note(&format!(
        "shadow databases go to the local development server {} (use --shadow-url for another server)",
        server.url_for("postgres")
    ));
    Ok(ConnInfo::parse(&server.url_for("postgres"))?)
}

/// The live database's connection info (starting the local database when none is configured).
fn live_info(ctx: &Ctx) -> Result<ConnInfo> {
    Ok(match ctx.target()? {
        Target::Url { info, .. } => info,
        Target::Local { .. } => {
            let server = super::dbcmd::start_local(ctx)?;
            ConnInfo::parse(&server.url())?
        }
    })
}

fn exclude(ctx: &Ctx) -> Vec<String> {
    vec![ctx.cfg.database.history_schema.clone()]
}

async fn introspect_url(
    ctx: &Ctx,
    info: &ConnInfo,
    schemas: &[String],
    ex: &[String],
) -> Result<Catalog> {
    let started = std::time::Instant::now();
    let mut conn = db::connect(info).await?;
    let r = catalog::introspect(&mut conn, schemas, ex).await;
    db::close(conn).await;
    if ctx.verbose > 0 {
        ctx.note(&format!(
            "introspected {info} in {} ms",
            started.elapsed().as_millis()
        ));
    }
    Ok(r?)
}

/// Whether the fix script was shown to converge.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Proof {
    /// Applied to a copy of the live database, which then matched the declared state.
    Converged,
    /// Not tried (the reason says why).
    Skipped { reason: String },
    /// Applied to a copy, and it failed or left differences.
    Failed {
        reason: String,
        remaining: Vec<Change>,
    },
}

#[derive(Serialize)]
struct DiffReport<'a> {
    differences: usize,
    changes: &'a [Change],
    not_compared: &'a [NotCompared],
    #[serde(skip_serializing_if = "Option::is_none")]
    script: Option<&'a [Step]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proof: Option<&'a Proof>,
}

pub async fn diff(ctx: &Ctx, args: DiffArgs<'_>) -> Result<()> {
    let schemas = ctx.cfg.database.schemas.clone();
    let ex = exclude(ctx);
    let (source, live, declared, server) = match (args.from, args.to) {
        (Some(from), Some(to)) => {
            let from = ConnInfo::parse(from)?;
            let to = ConnInfo::parse(to)?;
            // Both sides at once: each is read by its own server backend, so on a machine
            // with two cores the wall time is one introspection, not two.
            let (live, declared) = tokio::join!(
                introspect_url(ctx, &from, &schemas, &ex),
                introspect_url(ctx, &to, &schemas, &ex)
            );
            let (live, declared) = (live?, declared?);
            // Proving copies `from` on the shadow server: only where the user pointed us.
            let server = args.shadow_url.map(ConnInfo::parse).transpose()?;
            (from, live, declared, server)
        }
        (None, None) => {
            let project = load_project(ctx)?;
            let policies = crate::policy::load(&ctx.cfg.root, &ctx.cfg.policies_dir())?;
            let source = live_info(ctx)?;
            let server = shadow_server(ctx, args.shadow_url)?;
            let settings = ctx.settings();
            let spec = Spec {
                project: &project,
                policies: &policies,
                auth: &ctx.cfg.auth,
                settings: &settings,
                root: &ctx.cfg.root,
            };
            // The live side is read while the shadow side is built or read.
            let (live, declared) = tokio::join!(
                introspect_url(ctx, &source, &schemas, &ex),
                shadow::declared(&server, &spec, &schemas, &ex)
            );
            let (live, declared) = (live?, declared?);
            (source, live, declared, Some(server))
        }
        _ => {
            return Err(Error::Usage(
                "--from and --to go together: give both URLs, or neither to compare the database with the project's files".into(),
            ))
        }
    };

    let started = std::time::Instant::now();
    let changes = diff::compare(&live, &declared);
    if ctx.verbose > 0 {
        ctx.note(&format!(
            "compared in {} ms: {} difference(s)",
            started.elapsed().as_millis(),
            changes.len()
        ));
    }
    let mut not_compared: Vec<NotCompared> = live
        .not_compared
        .iter()
        .chain(declared.not_compared.iter())
        .cloned()
        .collect();
    not_compared.sort();
    not_compared.dedup();
    if !not_compared.is_empty() {
        let list: Vec<String> = not_compared
            .iter()
            .map(|n| format!("{} {}", n.kind, n.name))
            .collect();
        ctx.note(&format!(
            "note: {} object(s) of kinds strata does not compare: {}",
            not_compared.len(),
            list.join(", ")
        ));
    }

    let mut steps: Option<Vec<Step>> = None;
    let mut proof: Option<Proof> = None;
    if args.sql && !changes.is_empty() {
        let s = diff::script(&live, &declared);
        let p = match &server {
            Some(server) => prove(&source, server, &s, &declared, &schemas, &ex).await,
            None => Proof::Skipped {
                reason: "no shadow server".into(),
            },
        };
        steps = Some(s);
        proof = Some(p);
    }

    match ctx.format {
        Format::Json => ctx.json(&DiffReport {
            differences: changes.len(),
            changes: &changes,
            not_compared: &not_compared,
            script: steps.as_deref(),
            proof: proof.as_ref(),
        }),
        Format::Text => {
            if changes.is_empty() {
                ctx.out("No differences.\n");
            } else if args.sql {
                match (&steps, &proof) {
                    (Some(s), Some(Proof::Converged)) => {
                        ctx.note("the script was applied to a copy of the live database, which then matched the declared state");
                        ctx.out(&diff::render_script(s));
                    }
                    (Some(s), Some(Proof::Skipped { reason })) => {
                        ctx.note(&format!("warning: the script was not proven: {reason}"));
                        ctx.out(&diff::render_script(s));
                    }
                    (Some(s), Some(Proof::Failed { reason, remaining })) => {
                        let mut text = format!(
                            "error: the generated script does not bring the live database to the declared state, so it is not printed as a fix.\nOn a copy of the live database: {reason}\n"
                        );
                        if !remaining.is_empty() {
                            text.push_str("Differences left after applying it:\n");
                            text.push_str(&summary_table(remaining));
                        }
                        if ctx.verbose > 0 {
                            text.push_str("The script that was tried:\n");
                            text.push_str(&diff::render_script(s));
                        } else {
                            text.push_str("Run with -v to see the script that was tried. Write this change as a migration by hand.\n");
                        }
                        eprint!("{text}");
                        return Err(Error::Failed(String::new()));
                    }
                    _ => {}
                }
            } else {
                ctx.out(&render_changes(&changes));
            }
        }
    }
    if let Some(Proof::Failed { .. }) = proof {
        return Err(Error::Failed(String::new()));
    }
    if args.exit_code && !changes.is_empty() {
        return Err(Error::Failed(String::new()));
    }
    Ok(())
}

fn summary_table(changes: &[Change]) -> String {
    report::table(
        &["kind", "object", "change"],
        changes
            .iter()
            .map(|c| vec![c.kind.to_string(), c.object.clone(), c.change.to_string()])
            .collect(),
    )
}

/// The summary table, counts, then a unified diff of each changed object's DDL.
pub fn render_changes(changes: &[Change]) -> String {
    let mut out = summary_table(changes);
    let count = |t: ChangeType| changes.iter().filter(|c| c.change == t).count();
    out.push_str(&format!(
        "{} difference(s): {} added, {} removed, {} changed (live database → declared state).\n",
        changes.len(),
        count(ChangeType::Added),
        count(ChangeType::Removed),
        count(ChangeType::Changed)
    ));
    for c in changes {
        let from = c.from_ddl.clone().map(|s| s + "\n").unwrap_or_default();
        let to = c.to_ddl.clone().map(|s| s + "\n").unwrap_or_default();
        let text = similar::TextDiff::from_lines(&from, &to);
        out.push('\n');
        out.push_str(
            &text
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("live: {} {}", c.kind, c.object),
                    &format!("declared: {} {}", c.kind, c.object),
                )
                .to_string(),
        );
        for h in &c.hazards {
            out.push_str(&format!("  hazard: {}: {}\n", h.id, h.message));
        }
    }
    out
}

/// Applies `steps` to a copy of the source database (made on the shadow server when both are
/// the same server) and compares the result with `declared`.
async fn prove(
    source: &ConnInfo,
    server: &ConnInfo,
    steps: &[Step],
    declared: &Catalog,
    schemas: &[String],
    ex: &[String],
) -> Proof {
    let skip = |reason: &str| Proof::Skipped {
        reason: reason.to_string(),
    };
    let Some(source_db) = source.database() else {
        return skip("the live database's URL names no database");
    };
    let same = async {
        let mut a = db::connect(source).await.ok()?;
        let x = shadow::system_identifier(&mut a).await;
        db::close(a).await;
        let mut b = db::connect(server).await.ok()?;
        let y = shadow::system_identifier(&mut b).await;
        db::close(b).await;
        Some(x.is_some() && x == y)
    }
    .await;
    if same != Some(true) {
        return skip("the live database is not on the shadow server (or the role may not read pg_control_system()), so it cannot be copied there; apply the script to a staging copy first");
    }
    let copy = match shadow::create_database(server, "strata_prove", Some(&source_db)).await {
        Ok(c) => c,
        Err(e) => {
            return skip(&format!(
                "could not copy the live database (CREATE DATABASE ... TEMPLATE needs it to have no other connections): {e}"
            ))
        }
    };
    let result = async {
        let mut conn = shadow::connect(server, &copy).await?;
        let applied = apply_steps(&mut conn, steps).await;
        db::close(conn).await;
        if let Err(reason) = applied {
            return Ok::<Proof, ShadowError>(Proof::Failed {
                reason,
                remaining: Vec::new(),
            });
        }
        let after = shadow::introspect_db(server, &copy, schemas, ex).await?;
        let remaining = diff::compare(&after, declared);
        Ok(if remaining.is_empty() {
            Proof::Converged
        } else {
            Proof::Failed {
                reason: format!(
                    "the script ran, but {} difference(s) remain",
                    remaining.len()
                ),
                remaining,
            }
        })
    }
    .await;
    let _ = shadow::drop_database(server, &copy).await;
    match result {
        Ok(p) => p,
        Err(e) => skip(&format!("the copy could not be checked: {e}")),
    }
}

/// Runs steps: consecutive transactional steps in one transaction, the others alone.
async fn apply_steps(
    conn: &mut sqlx::postgres::PgConnection,
    steps: &[Step],
) -> std::result::Result<(), String> {
    let fail = |s: &Step, e: &sqlx::Error| {
        let f = PgFailure::from_sqlx(e);
        format!("step `{}` failed: {f}", s.explanation)
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
            .map_err(|e| format!("commit failed: {}", PgFailure::from_sqlx(&e)))?;
    }
    Ok(())
}

/// What one migration's rollback did to the schema.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackCheck {
    pub version: String,
    pub name: String,
    /// `exact`, `not-exact`, `no-rollback` or `failed`.
    pub result: String,
    /// Objects that differ from before the migration (change as seen from the snapshot:
    /// `removed` = left behind by the rollback, `added` = missing after it).
    pub differences: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub async fn verify_rollbacks(ctx: &Ctx, shadow_url: Option<&str>) -> Result<()> {
    let project = load_project(ctx)?;
    let server = shadow_server(ctx, shadow_url)?;
    let mut run = Verifier {
        ctx,
        server: &server,
        settings: ctx.settings(),
        schemas: ctx.cfg.database.schemas.clone(),
        exclude: exclude(ctx),
        database: None,
    };
    let result = run.check_each(&project).await;
    if let Some((name, conn)) = run.database.take() {
        db::close(conn).await;
        let _ = shadow::drop_database(&server, &name).await;
    }
    let checks = result?;

    let bad = checks
        .iter()
        .filter(|c| c.result == "not-exact" || c.result == "failed")
        .count();
    match ctx.format {
        Format::Json => ctx.json(&checks),
        Format::Text => ctx.out(&render_rollback_checks(&checks)),
    }
    if bad > 0 {
        return Err(Error::Failed(String::new()));
    }
    Ok(())
}

/// One shadow database that follows the migrations forward; each migration is applied, rolled
/// back, compared with the snapshot from before it, and applied again.
struct Verifier<'a> {
    ctx: &'a Ctx,
    server: &'a ConnInfo,
    settings: engine::Settings,
    schemas: Vec<String>,
    exclude: Vec<String>,
    database: Option<(String, sqlx::postgres::PgConnection)>,
}

impl Verifier<'_> {
    /// A fresh shadow database with `done` applied (replacing the current one).
    async fn fresh(
        &mut self,
        done: &[&Migration],
        all: &[&Migration],
    ) -> std::result::Result<(), ShadowError> {
        if let Some((name, conn)) = self.database.take() {
            db::close(conn).await;
            let _ = shadow::drop_database(self.server, &name).await;
        }
        let name = shadow::create_database(self.server, "strata_verify", None).await?;
        match shadow::connect(self.server, &name).await {
            Ok(conn) => self.database = Some((name, conn)),
            Err(e) => {
                let _ = shadow::drop_database(self.server, &name).await;
                return Err(e);
            }
        }
        let texts: Vec<&str> = all.iter().map(|m| m.file.text.as_str()).collect();
        let (auth, settings) = (&self.ctx.cfg.auth, self.settings.clone());
        let conn = self.conn()?;
        shadow::apply_migrations(conn, done, auth, &settings, &texts).await
    }

    fn conn(&mut self) -> std::result::Result<&mut sqlx::postgres::PgConnection, ShadowError> {
        match self.database.as_mut() {
            Some((_, c)) => Ok(c),
            None => Err(ShadowError::Io {
                path: "shadow database".into(),
                message: "not created".into(),
            }),
        }
    }

    async fn check_each(
        &mut self,
        project: &Project,
    ) -> std::result::Result<Vec<RollbackCheck>, ShadowError> {
        let all: Vec<&Migration> = project.migrations.iter().collect();
        self.fresh(&[], &all).await?;
        let mut obs = shadow::Silent;
        let mut checks = Vec::new();
        for (i, m) in project.migrations.iter().enumerate() {
            let one = [m];
            let mut check = RollbackCheck {
                version: m.version.to_string(),
                name: m.name.clone(),
                result: "exact".into(),
                differences: Vec::new(),
                error: None,
            };
            let settings = self.settings.clone();
            if m.rollback.is_none() {
                engine::apply_up(self.conn()?, &one, &settings, &mut obs).await?;
                check.result = "no-rollback".into();
                checks.push(check);
                continue;
            }
            let (schemas, ex) = (self.schemas.clone(), self.exclude.clone());
            let before = catalog::introspect(self.conn()?, &schemas, &ex).await?;
            engine::apply_up(self.conn()?, &one, &settings, &mut obs).await?;
            if let Err(e) = engine::apply_down(self.conn()?, &one, &settings, &mut obs).await {
                let text = match &e {
                    EngineError::Statement(_) => report::render_error(&Error::Engine(e)),
                    other => other.to_string(),
                };
                check.result = "failed".into();
                check.error = Some(text.trim_end().to_string());
                checks.push(check);
                // Carry on from a clean state with this migration applied.
                self.fresh(&all[..=i], &all).await?;
                continue;
            }
            let after = catalog::introspect(self.conn()?, &schemas, &ex).await?;
            check.differences = diff::compare(&after, &before);
            let exact = check.differences.is_empty();
            if !exact {
                check.result = "not-exact".into();
            }
            checks.push(check);
            if exact {
                engine::apply_up(self.conn()?, &one, &settings, &mut obs).await?;
            } else {
                // What the rollback left behind could make the migration fail again.
                self.fresh(&all[..=i], &all).await?;
            }
        }
        Ok(checks)
    }
}

fn render_rollback_checks(checks: &[RollbackCheck]) -> String {
    if checks.is_empty() {
        return "No migrations.\n".into();
    }
    let rows = checks
        .iter()
        .map(|c| {
            let verdict = match c.result.as_str() {
                "exact" => "exact".to_string(),
                "no-rollback" => "no rollback (skipped)".to_string(),
                "failed" => "FAILED: the rollback did not run".to_string(),
                _ => format!("NOT EXACT: {} object(s) differ", c.differences.len()),
            };
            vec![c.version.clone(), c.name.clone(), verdict]
        })
        .collect();
    let mut out = report::table(&["version", "name", "rollback"], rows);
    for c in checks {
        if !c.differences.is_empty() {
            out.push_str(&format!(
                "\n{} {}: after the migration and its rollback, these objects are not as before:\n",
                c.version, c.name
            ));
            for d in &c.differences {
                let what = match d.change {
                    ChangeType::Removed => "left behind by the rollback",
                    ChangeType::Added => "missing after the rollback",
                    ChangeType::Changed => "changed by the migration and its rollback",
                };
                out.push_str(&format!("  {}  {}  {what}\n", d.kind, d.object));
            }
        }
        if let Some(e) = &c.error {
            out.push_str(&format!(
                "\n{} {}: the rollback failed:\n{e}\n",
                c.version, c.name
            ));
        }
    }
    let count = |r: &str| checks.iter().filter(|c| c.result == r).count();
    out.push_str(&format!(
        "\n{} migration(s): {} exact, {} not exact, {} failed, {} without rollback (skipped).\n",
        checks.len(),
        count("exact"),
        count("not-exact"),
        count("failed"),
        count("no-rollback")
    ));
    out
}
