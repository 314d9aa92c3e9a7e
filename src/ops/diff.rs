//! `strata diff`: the live database's catalog against the declared state's (migrations and
//! policies applied to a shadow database), or two databases; with `--sql`, the fix script,
//! proven on a copy of the live database before it is shown.

use super::{Event, Sink, Workspace};
use crate::catalog::{self, Catalog, NotComparedReason};
use crate::config::ConnInfo;
use crate::db;
use crate::diff::{self, Change, NotComparedObject, Step};
use crate::error::{Result, UsageError};
use crate::shadow::{self, ShadowError, Spec};
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// `--exit-code`: any difference is a failure.
    pub exit_code: bool,
    /// Also write (and prove) the fix script.
    pub sql: bool,
    /// Compare two databases: this one as the live side…
    pub from: Option<String>,
    /// …and this one as the declared side.
    pub to: Option<String>,
    /// Server for shadow databases (default: the project's local server).
    pub shadow_url: Option<String>,
    /// `--allow-unmodelled`: objects of kinds strata does not model do not fail
    /// `--exit-code` (they are still listed).
    pub allow_unmodelled: bool,
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

#[derive(Debug, Clone, Serialize)]
pub struct DiffOutcome {
    pub differences: usize,
    pub changes: Vec<Change>,
    /// Objects of kinds strata does not model, on either side: they may differ.
    pub unmodelled: usize,
    /// Every object that is not compared, with why and on which side.
    pub not_compared: Vec<NotComparedObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<Vec<Step>>,
    /// The script as SQL text, as `diff --sql` prints it (check `proof` before running it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_sql: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
    #[serde(skip)]
    pub exit_code: bool,
    #[serde(skip)]
    pub allow_unmodelled: bool,
    /// `--sql` was asked for.
    #[serde(skip)]
    pub sql: bool,
}

impl DiffOutcome {
    /// A script that does not converge, or under `--exit-code` any difference or (unless
    /// `--allow-unmodelled`) any object of a kind strata does not model.
    pub fn failed(&self) -> bool {
        matches!(self.proof, Some(Proof::Failed { .. }))
            || (self.exit_code
                && (self.differences > 0 || (self.unmodelled > 0 && !self.allow_unmodelled)))
    }
}

/// Each catalog query's time, for `-v`.
fn query_timings(sink: &mut dyn Sink, side: &str, cat: &Catalog) {
    for (what, elapsed) in &cat.timings.0 {
        timing(sink, &format!("{side}: read {what}"), *elapsed);
    }
}

/// Reads one database's catalog. With `pair`, two connections read half of it each, in one
/// snapshot (when the second cannot connect, a connection limit, the first reads it all);
/// without, one connection reads it all: `--from/--to` already reads two databases at once,
/// and four backends on a two-core machine were slower than two (bench/RESULTS-diff.md).
async fn introspect_url(
    info: &ConnInfo,
    schemas: &[String],
    exclude: &[String],
    pair: bool,
) -> Result<(Catalog, std::time::Duration)> {
    let started = Instant::now();
    if !pair {
        let mut a = db::connect(info).await?;
        let r = catalog::introspect(&mut a, schemas, exclude).await;
        db::close(a).await;
        return Ok((r?, started.elapsed()));
    }
    let (a, b) = tokio::join!(db::connect(info), db::connect(info));
    let mut a = a?;
    let r = match b {
        Ok(mut b) => {
            let r = catalog::introspect_pair(&mut a, &mut b, schemas, exclude).await;
            db::close(b).await;
            r
        }
        Err(_) => catalog::introspect(&mut a, schemas, exclude).await,
    };
    db::close(a).await;
    Ok((r?, started.elapsed()))
}

pub async fn diff(ws: &Workspace, opts: &DiffOptions, sink: &mut dyn Sink) -> Result<DiffOutcome> {
    let schemas = ws.cfg.database.schemas.clone();
    let ex = ws.excluded_schemas();
    let (source, live, declared, server) = match (&opts.from, &opts.to) {
        (Some(from), Some(to)) => {
            let from = ConnInfo::parse(from)?;
            let to = ConnInfo::parse(to)?;
            // Both sides at once: each is read by its own server backend, so on a machine
            // with two cores the wall time is one introspection, not two.
            let (live, declared) = tokio::join!(
                introspect_url(&from, &schemas, &ex, false),
                introspect_url(&to, &schemas, &ex, false)
            );
            let ((live, t_live), (declared, t_declared)) = (live?, declared?);
            query_timings(sink, "live", &live);
            timing(sink, &format!("introspected {from}"), t_live);
            query_timings(sink, "declared", &declared);
            timing(sink, &format!("introspected {to}"), t_declared);
            // Proving copies `from` on the shadow server: only where the user pointed us.
            let server = opts
                .shadow_url
                .as_deref()
                .map(ConnInfo::parse)
                .transpose()?;
            (from, live, declared, server)
        }
        (None, None) => {
            let project = ws.load_project()?;
            let policies = ws.load_policies()?;
            let target = ws.target()?;
            let source = ws.conn_info(&target, sink)?;
            let server = ws.shadow_server(opts.shadow_url.as_deref(), sink)?;
            let settings = ws.settings();
            let spec = Spec {
                project: &project,
                policies: &policies,
                auth: &ws.cfg.auth,
                settings: &settings,
                root: &ws.cfg.root,
            };
            // The live side is read while the shadow side is built or read.
            let (live, (declared, t_declared)) =
                tokio::join!(introspect_url(&source, &schemas, &ex, true), async {
                    let started = Instant::now();
                    let r = shadow::declared(&server, &spec, &schemas, &ex).await;
                    (r, started.elapsed())
                });
            let (live, t_live) = live?;
            let declared = declared?;
            query_timings(sink, "live", &live);
            timing(sink, &format!("introspected {source}"), t_live);
            query_timings(sink, "declared", &declared);
            timing(
                sink,
                "declared state (shadow template built or found, then read)",
                t_declared,
            );
            (source, live, declared, Some(server))
        }
        _ => return Err(UsageError::FromWithoutTo.into()),
    };

    let started = Instant::now();
    let changes = diff::compare(&live, &declared);
    timing(
        sink,
        &format!("compared: {} difference(s)", changes.len()),
        started.elapsed(),
    );
    let not_compared = diff::not_compared(&live, &declared);
    let unmodelled = not_compared
        .iter()
        .filter(|n| n.reason == NotComparedReason::Unmodelled)
        .count();

    let (script, proof) = if opts.sql && !changes.is_empty() {
        let started = Instant::now();
        let steps = diff::script(&live, &declared);
        timing(
            sink,
            &format!("planned the script: {} step(s)", steps.len()),
            started.elapsed(),
        );
        let started = Instant::now();
        let proof = match &server {
            Some(server) => {
                let ctx = ProofContext {
                    source: &source,
                    server,
                    live: &live,
                    declared: &declared,
                    schemas: &schemas,
                    exclude: &ex,
                };
                prove(&ctx, &steps, sink).await
            }
            None => Proof::Skipped {
                reason: "no shadow server".into(),
            },
        };
        timing(sink, "proved the script on a copy", started.elapsed());
        (Some(steps), Some(proof))
    } else {
        (None, None)
    };
    Ok(DiffOutcome {
        differences: changes.len(),
        changes,
        unmodelled,
        not_compared,
        script_sql: script.as_deref().map(diff::render_script),
        script,
        proof,
        exit_code: opts.exit_code,
        allow_unmodelled: opts.allow_unmodelled,
        sql: opts.sql,
    })
}

fn timing(sink: &mut dyn Sink, phase: &str, elapsed: std::time::Duration) {
    sink.event(&Event::Timing {
        phase: phase.to_string(),
        elapsed,
    });
}

/// What the proof works with.
#[derive(Clone, Copy)]
struct ProofContext<'a> {
    source: &'a ConnInfo,
    server: &'a ConnInfo,
    live: &'a Catalog,
    declared: &'a Catalog,
    schemas: &'a [String],
    exclude: &'a [String],
}

/// Applies `steps` to a copy of the source database (made on the shadow server when both are
/// the same server) and compares the result with `declared`. The script runs as the live
/// side's role where the shadow server's role may take it (`SET ROLE`), and the copy is read as
/// that role would see it, so that "owned by the role that runs the script" means the same on
/// the copy as on the live database.
async fn prove(ctx: &ProofContext<'_>, steps: &[Step], sink: &mut dyn Sink) -> Proof {
    let ProofContext {
        source,
        server,
        live,
        declared,
        schemas,
        exclude: ex,
    } = *ctx;
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
    let started = Instant::now();
    let copy = match shadow::create_database(server, "strata_prove", Some(&source_db)).await {
        Ok(c) => c,
        Err(e) => {
            return skip(&format!(
                "could not copy the live database (CREATE DATABASE ... TEMPLATE needs it to have no other connections): {e}"
            ))
        }
    };
    timing(sink, "proof: copied the live database", started.elapsed());
    let started = Instant::now();
    let result = async {
        let mut conn = shadow::connect(server, &copy).await?;
        // Best effort: a role that may not become the live role runs the script as itself.
        let _ = db::execute_script(&mut conn, &format!("SET ROLE {}", live.current_role)).await;
        let applied = shadow::apply_script(&mut conn, steps).await;
        db::close(conn).await;
        if let Err(failure) = applied {
            return Ok::<Proof, ShadowError>(Proof::Failed {
                reason: failure.to_string(),
                remaining: Vec::new(),
            });
        }
        let mut after = shadow::introspect_db(server, &copy, schemas, ex).await?;
        after.current_role = live.current_role.clone();
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
    timing(
        sink,
        "proof: applied the script and read the copy",
        started.elapsed(),
    );
    let started = Instant::now();
    let _ = shadow::drop_database(server, &copy).await;
    timing(sink, "proof: dropped the copy", started.elapsed());
    match result {
        Ok(p) => p,
        Err(e) => skip(&format!("the copy could not be checked: {e}")),
    }
}
