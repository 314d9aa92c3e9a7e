//! `init`, `new`, `status`, `up`, `down`, `check`, `baseline`, `repair`.

use super::{parse_version_arg, Ctx};
use crate::config::{self, Target};
use crate::engine::{self, DownTarget, MigrationState};
use crate::error::{Error, Result};
use crate::history;
use crate::project::{self, Project};
use crate::report::{self, Format, ProgressObserver};
use serde::Serialize;
use std::path::Path;

pub(crate) fn load_project(ctx: &Ctx) -> Result<Project> {
    Ok(project::load(
        &ctx.cfg.root,
        &ctx.cfg.migrations_dir(),
        &ctx.cfg.rollbacks_dir(),
    )?)
}

pub fn init(cwd: &Path) -> Result<()> {
    let toml_path = cwd.join(config::FILE_NAME);
    if toml_path.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; strata init does not overwrite it",
            toml_path.display()
        )));
    }
    let defaults = config::Paths::default();
    for dir in [
        &defaults.migrations,
        &defaults.rollbacks,
        &defaults.policies,
        &defaults.seeds,
        &defaults.validation,
    ] {
        let d = cwd.join(dir);
        std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, &e))?;
        let keep = d.join(".gitkeep");
        if !keep.exists() {
            std::fs::write(&keep, "").map_err(|e| Error::io(&keep, &e))?;
        }
    }
    std::fs::write(&toml_path, config::TEMPLATE).map_err(|e| Error::io(&toml_path, &e))?;
    let gitignore = cwd.join(".gitignore");
    let existing = std::fs::read_to_string(&gitignore).unwrap_or_default();
    if !existing.lines().any(|l| l.trim() == ".strata/") {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(".strata/\n.env\n");
        std::fs::write(&gitignore, text).map_err(|e| Error::io(&gitignore, &e))?;
    }
    println!(
        "created strata.toml, migrations/, rollbacks/, policies/, seeds/, tests/validation/ in {}",
        cwd.display()
    );
    Ok(())
}

pub fn new(ctx: &Ctx, name: &str) -> Result<()> {
    let slug: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if slug.is_empty() {
        return Err(Error::Usage(format!(
            "`{name}` is not a usable migration name: use letters, digits and underscores"
        )));
    }
    let project = load_project(ctx)?;
    let version = project::next_version(&project.migrations, &utc_timestamp());
    let file_name = format!("{version}_{slug}.sql");
    let up = ctx.cfg.migrations_dir().join(&file_name);
    let down = ctx.cfg.rollbacks_dir().join(&file_name);
    for (path, text) in [
        (&up, format!("-- {slug}: migration {version}\n\n")),
        (
            &down,
            format!("-- rollback of {version}_{slug}: undo everything the migration does\n\n"),
        ),
    ] {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, &e))?;
        }
        std::fs::write(path, text).map_err(|e| Error::io(path, &e))?;
    }
    ctx.out(&format!(
        "{}\n{}\n",
        project::display_path(&ctx.cfg.root, &up),
        project::display_path(&ctx.cfg.root, &down)
    ));
    Ok(())
}

/// `YYYYMMDDHHMMSS` in UTC, without a date library.
fn utc_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[derive(Serialize)]
struct StatusReport {
    database: String,
    migrations: Vec<engine::StatusRow>,
    pending: usize,
    not_as_written: usize,
}

fn target_label(target: &Target) -> String {
    match target {
        Target::Url { info, .. } => info.to_string(),
        Target::Local { .. } => "local development database".to_string(),
    }
}

pub async fn status(ctx: &Ctx, exit_code: bool) -> Result<()> {
    let target = ctx.target()?;
    // Read and hash the files on a blocking thread while connecting and reading the history:
    // the two take about the same time with a thousand migrations.
    let (root, mig, rb) = (
        ctx.cfg.root.clone(),
        ctx.cfg.migrations_dir(),
        ctx.cfg.rollbacks_dir(),
    );
    let loading = tokio::task::spawn_blocking(move || project::load(&root, &mig, &rb));
    let rows = async {
        let mut conn = ctx.connect(&target).await?;
        let rows = history::read(&mut conn, &ctx.cfg.database.history_schema).await?;
        crate::db::close(conn).await;
        Ok::<_, Error>(rows)
    }
    .await;
    let project = loading
        .await
        .map_err(|e| Error::Usage(format!("reading the project's files: {e}")))??;
    let rows = rows?;
    let state = history::fold(&rows);
    let status = engine::status(&project, &state);
    let pending = status
        .iter()
        .filter(|r| r.state == MigrationState::Pending)
        .count();
    let not_as_written = status
        .iter()
        .filter(|r| r.state != MigrationState::Applied)
        .count();
    match ctx.format {
        Format::Json => ctx.json(&StatusReport {
            database: target_label(&target),
            migrations: status.clone(),
            pending,
            not_as_written,
        }),
        Format::Text => {
            ctx.out(&report::render_status(&status));
            let applied = status.len() - not_as_written;
            ctx.out(&format!(
                "{applied} applied, {pending} pending, {} other\n",
                not_as_written - pending
            ));
        }
    }
    if exit_code && not_as_written > 0 {
        return Err(Error::Failed(String::new()));
    }
    Ok(())
}

#[derive(Serialize)]
struct UpReport {
    applied: Vec<String>,
    up_to_date: bool,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    policies: Option<crate::policy::ConvergeReport>,
}

pub async fn up(ctx: &Ctx, to: Option<&str>, dry_run: bool, out_of_order: bool) -> Result<()> {
    let project = load_project(ctx)?;
    let to = to.map(|t| parse_version_arg("--to", t)).transpose()?;
    let target = ctx.target()?;
    let mut conn = ctx.connect(&target).await?;
    if dry_run {
        let rows = history::read(&mut conn, &ctx.cfg.database.history_schema).await?;
        let state = history::fold(&rows);
        let steps = engine::plan_up(&project, &state, to, out_of_order).map_err(Error::Refused)?;
        // Check the files too, so a dry run finds what a real run would refuse.
        engine::analyze_all(steps.iter().map(|m| (&m.file, &m.directives)))?;
        match ctx.format {
            Format::Json => ctx.json(&UpReport {
                applied: steps.iter().map(|m| m.version.to_string()).collect(),
                up_to_date: steps.is_empty(),
                dry_run: true,
                policies: None,
            }),
            Format::Text => {
                if steps.is_empty() {
                    ctx.out("Nothing to apply: the database is up to date.\n");
                } else {
                    ctx.out(&format!("Would apply {} migration(s):\n", steps.len()));
                    for m in &steps {
                        let mode = if m.directives.transactional {
                            ""
                        } else {
                            "  (no transaction)"
                        };
                        ctx.out(&format!(
                            "  {} {} ({}){mode}\n",
                            m.version, m.name, m.file.display
                        ));
                    }
                }
            }
        }
        crate::db::close(conn).await;
        return Ok(());
    }
    let outcome = run_up(ctx, &mut conn, &project, to, out_of_order).await?;
    crate::db::close(conn).await;
    match ctx.format {
        Format::Json => ctx.json(&outcome.report()),
        Format::Text => ctx.out(&outcome.text()),
    }
    Ok(())
}

/// What `up` did; `reset` runs the same path and reports it too.
pub(crate) struct UpOutcome {
    pub applied: Vec<crate::project::Version>,
    /// Migrations applied in all, after this run.
    pub total: usize,
    pub elapsed: std::time::Duration,
    /// The convergence of policies/ that followed, when configured and present.
    pub policies: Option<crate::policy::ConvergeReport>,
}

impl UpOutcome {
    fn report(&self) -> UpReport {
        UpReport {
            applied: self.applied.iter().map(|v| v.to_string()).collect(),
            up_to_date: self.applied.is_empty(),
            dry_run: false,
            policies: self.policies.clone(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self.report()).unwrap_or(serde_json::Value::Null)
    }

    pub fn text(&self) -> String {
        let mut out = if self.applied.is_empty() {
            format!(
                "Nothing to apply: the database is up to date ({} migration(s) applied).\n",
                self.total
            )
        } else {
            format!(
                "Applied {} migration(s) in {} ms; {} applied in all.\n",
                self.applied.len(),
                self.elapsed.as_millis(),
                self.total
            )
        };
        if let Some(p) = &self.policies {
            out.push_str(&super::policies::render_plan(p));
        }
        out
    }
}

/// The part of `up` that changes the database, shared with `reset`: take the run lock, read
/// the history, plan, install the auth shim when needed, apply.
pub(crate) async fn run_up(
    ctx: &Ctx,
    conn: &mut sqlx::postgres::PgConnection,
    project: &Project,
    to: Option<crate::project::Version>,
    out_of_order: bool,
) -> Result<UpOutcome> {
    let settings = ctx.settings();
    let mut obs = ProgressObserver::new(ctx.quiet);
    let rows = engine::prepare(conn, &settings, &mut obs).await?;
    let state = history::fold(&rows);
    let steps = engine::plan_up(project, &state, to, out_of_order).map_err(Error::Refused)?;
    if !steps.is_empty() {
        let texts = steps.iter().map(|m| m.file.text.as_str());
        if crate::auth::ensure_shim(conn, &ctx.cfg.auth, texts).await? {
            crate::engine::Observer::event(&mut obs, &crate::engine::Event::ShimInstalled);
        }
    }
    let started = std::time::Instant::now();
    let applied = engine::apply_up(conn, &steps, &settings, &mut obs).await?;
    let elapsed = started.elapsed();
    drop(obs);
    let policies = if ctx.cfg.policies.apply_on_up {
        super::policies::converge(ctx, conn, false, false).await?
    } else {
        None
    };
    Ok(UpOutcome {
        total: state.len() + applied.len(),
        applied,
        elapsed,
        policies,
    })
}

#[derive(Serialize)]
struct DownReport {
    rolled_back: Vec<String>,
    dry_run: bool,
}

pub async fn down(
    ctx: &Ctx,
    to: Option<&str>,
    steps: Option<usize>,
    dry_run: bool,
    yes: bool,
) -> Result<()> {
    let project = load_project(ctx)?;
    let down_target = match (to, steps) {
        (Some(t), _) => DownTarget::To(parse_version_arg("--to", t)?),
        (None, Some(n)) => DownTarget::Steps(n),
        (None, None) => DownTarget::Steps(1),
    };
    let target = ctx.target()?;
    if !dry_run {
        config::guard_protected(&target, "down", yes, false)?;
    }
    let mut conn = ctx.connect(&target).await?;
    let settings = ctx.settings();
    let mut obs = ProgressObserver::new(ctx.quiet);
    // A dry run reads only: no lock, no history schema created.
    let rows = if dry_run {
        history::read(&mut conn, &settings.history_schema).await?
    } else {
        engine::prepare(&mut conn, &settings, &mut obs).await?
    };
    let state = history::fold(&rows);
    let plan = engine::plan_down(&project, &state, down_target).map_err(Error::Refused)?;
    if dry_run {
        match ctx.format {
            Format::Json => ctx.json(&DownReport {
                rolled_back: plan.iter().map(|m| m.version.to_string()).collect(),
                dry_run: true,
            }),
            Format::Text => {
                if plan.is_empty() {
                    ctx.out("Nothing to roll back.\n");
                } else {
                    ctx.out(&format!("Would roll back {} migration(s):\n", plan.len()));
                    for m in &plan {
                        ctx.out(&format!("  {} {}\n", m.version, m.name));
                    }
                }
            }
        }
        crate::db::close(conn).await;
        return Ok(());
    }
    let done = engine::apply_down(&mut conn, &plan, &settings, &mut obs).await?;
    drop(obs);
    crate::db::close(conn).await;
    match ctx.format {
        Format::Json => ctx.json(&DownReport {
            rolled_back: done.iter().map(|v| v.to_string()).collect(),
            dry_run: false,
        }),
        Format::Text => {
            if done.is_empty() {
                ctx.out("Nothing to roll back.\n");
            } else {
                ctx.out(&format!("Rolled back {} migration(s).\n", done.len()));
            }
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct CheckReport {
    files: usize,
    problems: Vec<String>,
    database_checked: bool,
}

pub async fn check(ctx: &Ctx) -> Result<()> {
    let project = load_project(ctx)?;
    let mut problems: Vec<String> = Vec::new();
    // every file that analyses cleanly, with its statements, for the server-side syntax check
    let mut analysed = Vec::new();
    let mut files = 0;
    for m in &project.migrations {
        let mut files_of_m = vec![(&m.file, &m.directives)];
        if let Some(r) = &m.rollback {
            files_of_m.push((&r.file, &r.directives));
        }
        for (f, d) in files_of_m {
            files += 1;
            match project::analyze(f, d) {
                Ok(spans) => analysed.push((f, spans)),
                Err(errs) => problems.extend(errs.iter().map(|e| e.to_string())),
            }
        }
    }
    // With a reachable database (never started for this): PostgreSQL's parser on every
    // statement, and the checksums of applied files.
    let target = ctx.target()?;
    let info = match &target {
        Target::Url { info, .. } => Some(info.clone()),
        Target::Local { .. } => crate::localdb::status(&ctx.cfg.root)
            .ok()
            .flatten()
            .and_then(|s| config::ConnInfo::parse(&s.url_for(super::dbcmd::LOCAL_DATABASE)).ok()),
    };
    let mut database_checked = false;
    match info {
        None => ctx.note(
            "note: SQL checked lexically only; with a database (`strata db start` or --database-url) strata also runs PostgreSQL's parser and compares checksums",
        ),
        Some(info) => match crate::db::connect(&info).await {
            Ok(mut conn) => {
                for (f, spans) in &analysed {
                    for e in engine::syntax::check_file(&mut conn, f, spans).await? {
                        let index = crate::sql::LineIndex::new(&f.text);
                        let (line, col) = index.line_col(&f.text, e.offset);
                        problems.push(format!("{}:{line}:{col}: {}", f.display, e.message));
                    }
                }
                let rows = history::read(&mut conn, &ctx.cfg.database.history_schema).await?;
                crate::db::close(conn).await;
                database_checked = true;
                let state = history::fold(&rows);
                for r in engine::status(&project, &state) {
                    if r.state == MigrationState::Changed {
                        problems.push(format!(
                            "migration {} ({}) was changed after it was applied to {}; restore it or run `strata repair`",
                            r.version,
                            r.name,
                            target_label(&target)
                        ));
                    }
                }
            }
            Err(e) => ctx.note(&format!("note: syntax and checksums not checked by the server: {e}")),
        },
    }
    match ctx.format {
        Format::Json => ctx.json(&CheckReport {
            files,
            problems: problems.clone(),
            database_checked,
        }),
        Format::Text => {
            for p in &problems {
                ctx.out(&format!("error: {p}\n"));
            }
            ctx.out(&format!(
                "{files} file(s) checked, {} problem(s){}\n",
                problems.len(),
                if database_checked {
                    "; syntax parsed by PostgreSQL and checksums compared with the database"
                } else {
                    ""
                }
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Failed(String::new()))
    }
}

pub async fn baseline(ctx: &Ctx, version: &str) -> Result<()> {
    let v = parse_version_arg("baseline", version)?;
    let project = load_project(ctx)?;
    let target = ctx.target()?;
    let mut conn = ctx.connect(&target).await?;
    let settings = ctx.settings();
    let mut obs = ProgressObserver::new(ctx.quiet);
    let rows = engine::prepare(&mut conn, &settings, &mut obs).await?;
    let marked = engine::baseline(&mut conn, &project, &rows, v, &settings).await??;
    crate::db::close(conn).await;
    match ctx.format {
        Format::Json => ctx.json(&marked.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
        Format::Text => ctx.out(&format!(
            "Baseline at {v}: marked {} migration(s) as applied without running them.\n",
            marked.len()
        )),
    }
    Ok(())
}

pub async fn repair(ctx: &Ctx) -> Result<()> {
    let project = load_project(ctx)?;
    let target = ctx.target()?;
    let mut conn = ctx.connect(&target).await?;
    let settings = ctx.settings();
    let mut obs = ProgressObserver::new(ctx.quiet);
    let rows = engine::prepare(&mut conn, &settings, &mut obs).await?;
    let actions = engine::repair(&mut conn, &project, &rows, &settings).await?;
    crate::db::close(conn).await;
    match ctx.format {
        Format::Json => ctx.json(&actions),
        Format::Text => {
            if actions.is_empty() {
                ctx.out("Nothing to repair.\n");
            } else {
                for a in &actions {
                    ctx.out(&format!("{} {}: {}\n", a.version, a.name, a.action));
                }
            }
        }
    }
    Ok(())
}
