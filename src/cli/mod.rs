//! The command line: flags (clap derive) mapped to options, one `ops::` call per command, and
//! its outcome handed to `report`. Nothing here builds SQL, controls transactions or prints:
//! each arm of [`dispatch`] names the command's library entry point.

use crate::config;
use crate::engine::DownTarget;
use crate::error::{Result, UsageError};
use crate::ops::{self, Workspace};
use crate::report::{Format, Printer, Progress, Render};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version,
    about = "PostgreSQL schema management: migrations, rollbacks, RLS policies, drift, validation suites, seeds"
)]
pub struct Cli {
    /// Connection string (wins over DATABASE_URL and strata.toml)
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Environment from strata.toml [environments.NAME] (or STRATA_ENV)
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// Path to strata.toml (default: found from the current folder upwards)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format for results
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub format: Format,
    /// Only the summary line on stdout (errors, warnings and the target still on stderr)
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail
    #[arg(short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// How long to wait for another strata run's lock, e.g. 60s
    #[arg(long, global = true, value_name = "DURATION")]
    pub lock_wait: Option<String>,
    /// How long one connection attempt may take, e.g. 5s (default 15s)
    #[arg(long, global = true, value_name = "DURATION")]
    pub connect_timeout: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the project layout and a commented strata.toml here
    Init,
    /// Create a migration and its rollback with the next version
    New { name: String },
    /// Show every migration and its state
    Status {
        /// Exit 1 when anything is not applied as written (for CI)
        #[arg(long)]
        exit_code: bool,
    },
    /// Apply pending migrations, then converge policies
    Up {
        /// Stop after this version
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        /// Print the plan; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Apply pending migrations older than the newest applied one
        #[arg(long)]
        out_of_order: bool,
    },
    /// Run rollbacks, newest first (default: one step)
    Down {
        /// Roll back everything above this version (0 = everything)
        #[arg(long, value_name = "VERSION", conflicts_with = "steps")]
        to: Option<String>,
        /// Roll back this many migrations
        #[arg(long)]
        steps: Option<usize>,
        #[arg(long)]
        dry_run: bool,
        /// Confirm on a protected environment or a server on another machine
        #[arg(long)]
        yes: bool,
    },
    /// Offline checks of the project's files (and checksums when a database is reachable)
    Check,
    /// Mark an existing database as already at version V
    Baseline { version: String },
    /// Accept changed checksums of applied files and clear failed entries
    Repair {
        /// Accept that an applied migration's file was deleted on purpose (recorded in history)
        #[arg(long, value_name = "VERSION")]
        forget: Vec<String>,
        /// A stopped no-transaction migration: its first N statements are committed
        #[arg(long, value_name = "VERSION:N")]
        resume_after: Option<String>,
    },
    /// RLS policies, triggers and their functions from policies/
    Policies {
        #[command(subcommand)]
        action: PoliciesAction,
    },
    /// RLS report: per table RLS and policies, the access matrix, findings; --probe tests
    /// isolation on live rows (in a transaction that is rolled back)
    Audit {
        /// Also act as every listed user, an outsider and a signed-out visitor on live rows
        /// (one transaction, rolled back) and report every access beyond the contract
        #[arg(long)]
        probe: bool,
        /// Write policies/access.toml from what the policies allow today (for review)
        #[arg(long)]
        write_contract: bool,
        /// List who gains and loses access: the live database against the declared state,
        /// or, with a URL, that database against the audited one
        #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
        compare: Option<String>,
        /// Server for the shadow database of `--compare` (default: the local one)
        #[arg(long, value_name = "URL")]
        shadow_url: Option<String>,
    },
    /// Run the validation suites (tests/validation/*.sql)
    Test {
        /// Only suites whose file name, or tests whose name, contains this
        pattern: Option<String>,
        /// Also write JUnit XML to FILE (for CI)
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Load seeds/ (*.sql and *.csv) in one transaction
    Seed {
        /// Load even when every seed is unchanged since the last load
        #[arg(long)]
        force: bool,
        /// Confirm on a protected environment or a server on another machine
        #[arg(long)]
        yes: bool,
    },
    /// Drop everything strata manages, then up and seed (development only)
    Reset {
        /// Confirm on any database but the local development one (reset still never runs on a
        /// protected environment)
        #[arg(long)]
        yes: bool,
    },
    /// Compare the live database with the declared state (migrations + policies on a shadow)
    Diff {
        /// Exit 1 when anything differs (for CI)
        #[arg(long)]
        exit_code: bool,
        /// Print a script that turns the live database into the declared state (proven on a copy first)
        #[arg(long)]
        sql: bool,
        /// Compare two databases instead: this one as the live side...
        #[arg(long, value_name = "URL", requires = "to")]
        from: Option<String>,
        /// ...and this one as the declared side
        #[arg(long, value_name = "URL", requires = "from")]
        to: Option<String>,
        /// Server for shadow databases (default: the project's local server)
        #[arg(long, value_name = "URL", env = "STRATA_SHADOW_URL")]
        shadow_url: Option<String>,
        /// Objects of kinds strata does not model do not fail --exit-code (they are still listed)
        #[arg(long)]
        allow_unmodelled: bool,
    },
    /// Judge pending (or the named) migrations by running them on a shadow database: locks,
    /// table rewrites, validations, dropped or renamed objects, RLS and grants
    Lint {
        /// Migration files to judge (default: the migrations the database has not applied)
        files: Vec<PathBuf>,
        /// Server for shadow databases (default: the project's local server)
        #[arg(long, value_name = "URL", env = "STRATA_SHADOW_URL")]
        shadow_url: Option<String>,
    },
    /// On a shadow database, apply and roll back each migration and show what is not as before
    VerifyRollbacks {
        /// Server for the shadow database (default: the project's local server)
        #[arg(long, value_name = "URL", env = "STRATA_SHADOW_URL")]
        shadow_url: Option<String>,
        /// Also read the whole catalog after every step and check the incrementally kept one
        /// against it (slow; for testing strata itself)
        #[arg(long, hide = true)]
        crosscheck: bool,
    },
    /// The local development database
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Wait until the database accepts connections (never starts one)
    Wait {
        /// Give up after this long, e.g. 60s
        #[arg(long, value_name = "DURATION", default_value = "30s")]
        timeout: String,
    },
    /// Print a shell completion script: bash, zsh, fish (also elvish, powershell)
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum PoliciesAction {
    /// Converge the database to policies/ in one transaction
    Apply {
        /// Show the plan; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Also drop policies and triggers on managed tables that no file declares
        #[arg(long)]
        prune: bool,
        /// Confirm --prune on a protected environment
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Create (first time) and start the project's local PostgreSQL
    Start,
    /// Stop it
    Stop,
    /// Is it running, where, on which port
    Status,
    /// Print its connection URL (exit 2 when it is not running; starts nothing)
    Url,
}

/// Parses `args` (the program name first) and runs them; returns the process exit code. A
/// command line clap cannot parse is a usage error (exit 2), reported in the format the line
/// asked for, secrets masked.
pub fn main(args: Vec<std::ffi::OsString>) -> i32 {
    match Cli::try_parse_from(&args) {
        Ok(cli) => run(cli),
        Err(e) => flag_error(&e, &args),
    }
}

fn flag_error(e: &clap::Error, args: &[std::ffi::OsString]) -> i32 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return e.exit_code();
    }
    let printer = Printer {
        format: format_in(args),
        quiet: false,
        verbose: 0,
    };
    let text = e.render().to_string();
    let message = text.trim().trim_start_matches("error: ").to_string();
    printer.error(&crate::Error::Usage(UsageError::Flags { message }));
    2
}

/// `--format` as written on a command line that did not parse (text when absent or unclear).
fn format_in(args: &[std::ffi::OsString]) -> Format {
    use clap::ValueEnum;
    let mut value = None;
    let mut iter = args.iter().map(|a| a.to_string_lossy());
    while let Some(a) = iter.next() {
        if a == "--format" {
            value = iter.next().map(|v| v.to_string());
        } else if let Some(v) = a.strip_prefix("--format=") {
            value = Some(v.to_string());
        }
    }
    value
        .and_then(|v| Format::from_str(&v, true).ok())
        .unwrap_or(Format::Text)
}

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let printer = Printer {
        format: cli.format,
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    // The driver reads PGPASSWORD itself; should it ever be echoed, it is masked.
    if let Ok(pw) = std::env::var("PGPASSWORD") {
        crate::secret::register(&pw);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            printer.error(&crate::Error::Internal(format!(
                "cannot start the async runtime: {e}"
            )));
            return 2;
        }
    };
    let mut progress = Progress::new(cli.quiet, cli.verbose);
    match runtime.block_on(dispatch(cli, &printer, &mut progress)) {
        Ok(failed) => i32::from(failed),
        Err(e) => {
            drop(progress);
            printer.error(&e);
            e.exit_code()
        }
    }
}

/// Hands an outcome to the printer; `true` when the command found a failure (exit 1).
fn show<T: Render>(printer: &Printer, outcome: &T, failed: bool) -> bool {
    printer.outcome(outcome);
    failed
}

/// Builds the workspace: configuration found from the current folder (or `--config`), the
/// connection flags, the lock wait.
fn workspace(cli: &Cli) -> Result<Workspace> {
    let cwd = std::env::current_dir().map_err(|e| crate::Error::io(".", e))?;
    let cfg = config::load(&cwd, cli.config.as_deref())?;
    let lock_wait_text = cli
        .lock_wait
        .clone()
        .or_else(|| cfg.database.lock_wait.clone())
        .unwrap_or_else(|| "60s".into());
    let lock_wait =
        config::parse_duration(&lock_wait_text).ok_or_else(|| UsageError::BadDuration {
            flag: "--lock-wait",
            text: lock_wait_text.clone(),
        })?;
    Ok(Workspace {
        cfg,
        url: cli.database_url.clone(),
        env: cli.env.clone(),
        lock_wait,
    })
}

/// A duration flag.
fn duration(flag: &'static str, text: &str) -> Result<std::time::Duration> {
    Ok(
        config::parse_duration(text).ok_or_else(|| UsageError::BadDuration {
            flag,
            text: text.to_string(),
        })?,
    )
}

/// The command's name (for messages) and what it needs from the folder it runs in (SPEC 1).
fn needs(command: &Command) -> (&'static str, ops::scope::Needs) {
    use ops::scope::Needs;
    match command {
        Command::Init => ("init", Needs::Nothing),
        Command::New { .. } => ("new", Needs::Project),
        Command::Status { .. } => ("status", Needs::Project),
        Command::Up { .. } => ("up", Needs::Project),
        Command::Down { .. } => ("down", Needs::Project),
        Command::Check => ("check", Needs::Project),
        Command::Baseline { .. } => ("baseline", Needs::Project),
        Command::Repair { .. } => ("repair", Needs::Project),
        Command::Policies { .. } => ("policies apply", Needs::Project),
        Command::Audit { .. } => ("audit", Needs::Database),
        Command::Test { .. } => ("test", Needs::Project),
        Command::Seed { .. } => ("seed", Needs::Project),
        Command::Reset { .. } => ("reset", Needs::Project),
        Command::Diff { from: Some(_), .. } => ("diff", Needs::Nothing),
        Command::Diff { .. } => ("diff", Needs::Project),
        Command::Lint { .. } => ("lint", Needs::Project),
        Command::VerifyRollbacks { .. } => ("verify-rollbacks", Needs::Project),
        Command::Wait { .. } => ("wait", Needs::Database),
        Command::Completions { .. } => ("completions", Needs::Nothing),
        Command::Db { action } => (
            match action {
                DbAction::Start => "db start",
                DbAction::Stop => "db stop",
                DbAction::Status => "db status",
                DbAction::Url => "db url",
            },
            Needs::Project,
        ),
    }
}

async fn dispatch(cli: Cli, p: &Printer, sink: &mut Progress) -> Result<bool> {
    if let Some(t) = &cli.connect_timeout {
        crate::db::set_connect_timeout(duration("--connect-timeout", t)?);
    }
    // Commands that need no project and no configuration.
    match &cli.command {
        Command::Init => {
            let cwd = std::env::current_dir().map_err(|e| crate::Error::io(".", e))?;
            return Ok(show(p, &ops::init::init(&cwd)?, false));
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "strata", &mut script);
            let outcome = crate::report::shell::Completions {
                shell: shell.to_string(),
                script: String::from_utf8_lossy(&script).into_owned(),
            };
            return Ok(show(p, &outcome, false));
        }
        _ => {}
    }
    let ws = workspace(&cli)?;
    let (name, needs) = needs(&cli.command);
    let database_given =
        needs == ops::scope::Needs::Database && matches!(ws.target()?, config::Target::Url { .. });
    ops::scope::require(&ws.cfg, name, needs, database_given)?;
    Ok(match cli.command {
        Command::Init | Command::Completions { .. } => false,
        Command::Wait { timeout } => {
            let opts = ops::wait::WaitOptions {
                timeout: duration("--timeout", &timeout)?,
            };
            show(p, &ops::wait::wait(&ws, &opts).await?, false)
        }
        Command::New { name } => show(p, &ops::new::new(&ws, &name)?, false),
        Command::Status { exit_code } => {
            let o = ops::status::status(&ws, exit_code, sink).await?;
            show(p, &o, o.failed())
        }
        Command::Up {
            to,
            dry_run,
            out_of_order,
        } => {
            let opts = ops::up::UpOptions {
                to: to.map(|t| ops::parse_version("--to", &t)).transpose()?,
                dry_run,
                out_of_order,
            };
            show(p, &ops::up::up(&ws, &opts, sink).await?, false)
        }
        Command::Down {
            to,
            steps,
            dry_run,
            yes,
        } => {
            let target = match (to, steps) {
                (Some(t), _) => DownTarget::To(ops::parse_version("--to", &t)?),
                (None, Some(n)) => DownTarget::Steps(n),
                (None, None) => DownTarget::Steps(1),
            };
            let opts = ops::down::DownOptions {
                target,
                dry_run,
                yes,
            };
            show(p, &ops::down::down(&ws, &opts, sink).await?, false)
        }
        Command::Check => {
            let o = ops::check::check(&ws, sink).await?;
            show(p, &o, o.failed())
        }
        Command::Baseline { version } => {
            let v = ops::parse_version("baseline", &version)?;
            show(p, &ops::repair::baseline(&ws, v, sink).await?, false)
        }
        Command::Repair {
            forget,
            resume_after,
        } => {
            let opts = ops::repair::RepairOptions {
                forget: forget
                    .iter()
                    .map(|v| ops::parse_version("--forget", v))
                    .collect::<Result<_>>()?,
                resume_after: resume_after
                    .as_deref()
                    .map(crate::engine::parse_resume_after)
                    .transpose()?,
            };
            show(p, &ops::repair::repair(&ws, &opts, sink).await?, false)
        }
        Command::Policies {
            action:
                PoliciesAction::Apply {
                    dry_run,
                    prune,
                    yes,
                },
        } => {
            let opts = ops::policies::ApplyOptions {
                dry_run,
                prune,
                yes,
            };
            show(p, &ops::policies::apply(&ws, &opts, sink).await?, false)
        }
        Command::Audit {
            probe,
            write_contract,
            compare,
            shadow_url,
        } => {
            let opts = ops::audit::AuditOptions {
                probe,
                write_contract,
                compare: compare.map(|u| {
                    if u.is_empty() {
                        ops::audit::CompareWith::Declared
                    } else {
                        ops::audit::CompareWith::Url(u)
                    }
                }),
                shadow_url,
            };
            let o = ops::audit::audit(&ws, &opts, sink).await?;
            show(p, &o, o.failed())
        }
        Command::Test { pattern, junit } => {
            let opts = ops::test::TestOptions { pattern, junit };
            let o = ops::test::test(&ws, &opts, sink).await?;
            show(p, &o, o.failed())
        }
        Command::Seed { force, yes } => {
            let opts = ops::seed::SeedOpts { force, yes };
            show(p, &ops::seed::seed(&ws, &opts, sink).await?, false)
        }
        Command::Reset { yes } => {
            let opts = ops::reset::ResetOptions { yes };
            show(p, &ops::reset::reset(&ws, &opts, sink).await?, false)
        }
        Command::Diff {
            exit_code,
            sql,
            from,
            to,
            shadow_url,
            allow_unmodelled,
        } => {
            let opts = ops::diff::DiffOptions {
                exit_code,
                sql,
                from,
                to,
                shadow_url,
                allow_unmodelled,
            };
            let o = ops::diff::diff(&ws, &opts, sink).await?;
            show(p, &o, o.failed())
        }
        Command::Lint { files, shadow_url } => {
            let opts = ops::lint::LintOptions { files, shadow_url };
            let o = ops::lint::lint(&ws, &opts, sink).await?;
            show(p, &o, o.failed())
        }
        Command::VerifyRollbacks {
            shadow_url,
            crosscheck,
        } => {
            let opts = ops::verify_rollbacks::VerifyOptions {
                shadow_url,
                crosscheck,
            };
            let o = ops::verify_rollbacks::verify_rollbacks(&ws, &opts, sink).await?;
            show(p, &o, o.failed())
        }
        Command::Db { action } => {
            let action = match action {
                DbAction::Start => ops::local::DbAction::Start,
                DbAction::Stop => ops::local::DbAction::Stop,
                DbAction::Status => ops::local::DbAction::Status,
                DbAction::Url => ops::local::DbAction::Url,
            };
            show(p, &ops::local::db(&ws, action, sink)?, false)
        }
    })
}
