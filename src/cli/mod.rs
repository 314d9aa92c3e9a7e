//! The command line: flags (clap derive), one function per command, and the shared context
//! (configuration, target database, output format). Commands call library functions and hand
//! their results to `report`; they never build SQL.

mod audit;
pub(crate) mod dbcmd;
mod diff;
mod migrate;
mod policies;
mod suite;

use crate::config::{self, Config, Target};
use crate::error::{Error, Result};
use crate::report::{self, Format};
use clap::{Parser, Subcommand};
use sqlx::postgres::PgConnection;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Only errors and results
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail
    #[arg(short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// How long to wait for another strata run's lock, e.g. 60s
    #[arg(long, global = true, value_name = "DURATION")]
    pub lock_wait: Option<String>,
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
        /// Confirm on a protected environment
        #[arg(long)]
        yes: bool,
    },
    /// Offline checks of the project's files (and checksums when a database is reachable)
    Check,
    /// Mark an existing database as already at version V
    Baseline { version: String },
    /// Accept changed checksums of applied files and clear failed entries
    Repair,
    /// RLS policies, triggers and their functions from policies/
    Policies {
        #[command(subcommand)]
        action: PoliciesAction,
    },
    /// RLS report: per table RLS and policies, the access matrix, findings; --probe tests
    /// isolation on live rows (in a transaction that is rolled back)
    Audit {
        /// Also act as two users on live rows and report any cross-user read/write
        #[arg(long)]
        probe: bool,
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
        /// Confirm on a protected environment
        #[arg(long)]
        yes: bool,
    },
    /// Drop everything strata manages, then up and seed (development only)
    Reset {
        /// Confirm (reset still never runs on a protected environment)
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
    },
    /// On a shadow database, apply and roll back each migration and show what is not as before
    VerifyRollbacks {
        /// Server for the shadow database (default: the project's local server)
        #[arg(long, value_name = "URL", env = "STRATA_SHADOW_URL")]
        shadow_url: Option<String>,
    },
    /// The local development database
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
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
    /// Print its connection URL
    Url,
}

/// What every command gets.
pub struct Ctx {
    pub cfg: Config,
    pub cli_url: Option<String>,
    pub cli_env: Option<String>,
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    pub lock_wait: Duration,
}

impl Ctx {
    pub fn target(&self) -> Result<Target> {
        Ok(config::resolve_target(
            &self.cfg,
            self.cli_url.as_deref(),
            self.cli_env.as_deref(),
        )?)
    }

    /// Connects to the target, starting the local database when none is configured.
    pub async fn connect(&self, target: &Target) -> Result<PgConnection> {
        let info = match target {
            Target::Url { info, .. } => info.clone(),
            Target::Local { .. } => {
                let server = dbcmd::start_local(self)?;
                config::ConnInfo::parse(&server.url())?
            }
        };
        Ok(crate::db::connect(&info).await?)
    }

    pub fn settings(&self) -> crate::engine::Settings {
        crate::engine::Settings {
            history_schema: self.cfg.database.history_schema.clone(),
            lock_timeout: self.cfg.database.lock_timeout.clone(),
            statement_timeout: self.cfg.database.statement_timeout.clone(),
            lock_wait: self.lock_wait,
        }
    }

    /// Progress and notes on stderr (suppressed by --quiet).
    pub fn note(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
    }

    /// A result on stdout.
    pub fn out(&self, text: &str) {
        let _ = write!(std::io::stdout(), "{text}");
    }

    pub fn json<T: serde::Serialize>(&self, value: &T) {
        self.out(&report::json(value));
    }
}

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => 0,
        Err(e) => {
            let text = report::render_error(&e);
            let _ = write!(std::io::stderr(), "{text}");
            e.exit_code()
        }
    }
}

async fn dispatch(cli: Cli) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", &e))?;
    if let Command::Init = cli.command {
        return migrate::init(&cwd);
    }
    let cfg = config::load(&cwd, cli.config.as_deref())?;
    let lock_wait_text = cli
        .lock_wait
        .clone()
        .or_else(|| cfg.database.lock_wait.clone())
        .unwrap_or_else(|| "60s".into());
    let lock_wait = config::parse_duration(&lock_wait_text).ok_or_else(|| {
        Error::Usage(format!(
            "--lock-wait {lock_wait_text}: not a duration (use e.g. 500ms, 30s, 2min)"
        ))
    })?;
    let ctx = Ctx {
        cfg,
        cli_url: cli.database_url,
        cli_env: cli.env,
        format: cli.format,
        quiet: cli.quiet,
        verbose: cli.verbose,
        lock_wait,
    };
    match cli.command {
        Command::Init => Ok(()),
        Command::New { name } => migrate::new(&ctx, &name),
        Command::Status { exit_code } => migrate::status(&ctx, exit_code).await,
        Command::Up {
            to,
            dry_run,
            out_of_order,
        } => migrate::up(&ctx, to.as_deref(), dry_run, out_of_order).await,
        Command::Down {
            to,
            steps,
            dry_run,
            yes,
        } => migrate::down(&ctx, to.as_deref(), steps, dry_run, yes).await,
        Command::Check => migrate::check(&ctx).await,
        Command::Baseline { version } => migrate::baseline(&ctx, &version).await,
        Command::Repair => migrate::repair(&ctx).await,
        Command::Policies {
            action:
                PoliciesAction::Apply {
                    dry_run,
                    prune,
                    yes,
                },
        } => policies::apply(&ctx, dry_run, prune, yes).await,
        Command::Audit { probe } => audit::run(&ctx, probe).await,
        Command::Test { pattern, junit } => {
            suite::test(&ctx, pattern.as_deref(), junit.as_deref()).await
        }
        Command::Seed { force, yes } => suite::seed(&ctx, force, yes).await,
        Command::Reset { yes } => suite::reset(&ctx, yes).await,
        Command::Diff {
            exit_code,
            sql,
            from,
            to,
            shadow_url,
        } => {
            diff::diff(
                &ctx,
                diff::DiffArgs {
                    exit_code,
                    sql,
                    from: from.as_deref(),
                    to: to.as_deref(),
                    shadow_url: shadow_url.as_deref(),
                },
            )
            .await
        }
        Command::VerifyRollbacks { shadow_url } => {
            diff::verify_rollbacks(&ctx, shadow_url.as_deref()).await
        }
        Command::Db { action } => dbcmd::run(&ctx, action).await,
    }
}

/// Parses a version given on the command line.
pub fn parse_version_arg(flag: &str, text: &str) -> Result<crate::project::Version> {
    text.parse()
        .map_err(|e: String| Error::Usage(format!("{flag} {text}: {e}")))
}
