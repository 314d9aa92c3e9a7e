//! The workflows: one file per command. Each takes a [`Workspace`] (the resolved configuration
//! and how to reach the target database), typed options and a [`Sink`] for progress events, and
//! returns one typed outcome that `report` renders as text, JSON or GitHub annotations.
//!
//! This is the only layer that sequences: it opens connections, takes the run lock, and calls the
//! modules below (`project`, `engine`, `catalog`, `diff`, `shadow`, `policy`, `audit`, `seed`,
//! `validation`, `localdb`) in order. It never prints and never imports `cli`: a fleet run or
//! another front end calls the same functions (the sqlx-cli lesson in STYLE.md: a CLI that
//! re-implements the library's loop loses the lock on the way).
//!
//! A command that ran and found a failure (drift, a failing test, a leak) returns `Ok` with an
//! outcome whose `failed()` says so; `Err` is for errors that stopped the command.

pub mod audit;
pub mod author;
pub mod check;
pub mod diff;
pub mod down;
pub mod dump;
pub mod init;
pub mod lint;
pub mod local;
pub mod new;
pub mod new_migration;
pub mod policies;
pub mod pull;
pub mod repair;
pub mod reset;
pub mod scope;
pub mod seed;
pub mod squash;
pub mod status;
pub mod test;
pub mod up;
pub mod verify_rollbacks;
pub mod wait;

use crate::config::{self, Config, ConnInfo, Target};
use crate::error::{Error, Result, UsageError};
use crate::project::{self, Project};
use sqlx::postgres::PgConnection;
use std::path::PathBuf;
use std::time::Duration;

/// The database strata creates in its local server.
pub const LOCAL_DATABASE: &str = "strata_dev";

/// What a command works with: the loaded configuration and the connection choice made on the
/// command line. Built by `cli` (or any other front end) and passed down.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub cfg: Config,
    /// `--database-url`, if given.
    pub url: Option<String>,
    /// `--env`, if given (else `STRATA_ENV`).
    pub env: Option<String>,
    /// How long to wait for another run's lock.
    pub lock_wait: Duration,
}

impl Workspace {
    /// The database the command works on (connection precedence of SPEC section 2).
    pub fn target(&self) -> Result<Target> {
        Ok(config::resolve_target(
            &self.cfg,
            self.url.as_deref(),
            self.env.as_deref(),
        )?)
    }

    /// The target's connection info, starting the local development database when no
    /// connection is configured.
    pub fn conn_info(&self, target: &Target, sink: &mut dyn Sink) -> Result<ConnInfo> {
        match target {
            Target::Url { info, .. } => Ok(info.clone()),
            Target::Local { .. } => {
                // Never create or start a database outside a project (SPEC section 1); the
                // command line stops earlier with the command's name, this is the backstop.
                if !scope::in_project(&self.cfg) {
                    return Err(scope::ScopeError::NotAProject {
                        command: None,
                        needs: scope::Needs::Database,
                        start: self.cfg.root.clone(),
                    }
                    .into());
                }
                let server = local::start_local(self, sink)?;
                Ok(ConnInfo::parse(&server.url())?)
            }
        }
    }

    /// Connects to the target (see [`Workspace::conn_info`]). When a selected environment's
    /// `url` was passed over for a source that comes first, a note says so.
    pub async fn connect(&self, target: &Target, sink: &mut dyn Sink) -> Result<PgConnection> {
        if let Target::Url {
            source,
            env: Some(env),
            env_url_unused: true,
            ..
        } = target
        {
            sink.event(&Event::Note(Note::EnvironmentUrlUnused {
                env: env.clone(),
                source: source.to_string(),
            }));
        }
        let info = self.conn_info(target, sink)?;
        Ok(crate::db::connect(&info).await?)
    }

    /// Before a command changes the target: names it when it is not the local development
    /// database ([`Event::Target`]).
    pub fn announce(&self, target: &Target, command: &'static str, sink: &mut dyn Sink) {
        if let Some(t) = TargetInfo::of(target) {
            sink.event(&Event::Target { command, target: t });
        }
    }

    /// A command that deletes data about to run on a database that is not the local development
    /// database (`reset`), or on a server on another machine (`down`, `seed`; see [`Reach`]):
    /// goes on with `--yes`, else asks through the sink (a terminal prompt), else stops and
    /// names the flag. `what` says what would happen. Called before connecting.
    pub fn confirm_destructive(
        &self,
        target: &Target,
        reach: Reach,
        command: &'static str,
        what: String,
        yes: bool,
        sink: &mut dyn Sink,
    ) -> Result<()> {
        let Some(info) = TargetInfo::of(target) else {
            return Ok(());
        };
        if yes || (reach == Reach::RemoteHost && info.is_on_this_machine()) {
            return Ok(());
        }
        let question = Confirm {
            command,
            what,
            target: info.clone(),
        };
        match sink.confirm(&question) {
            Answer::Yes => Ok(()),
            Answer::No => Err(UsageError::Declined {
                command,
                target: info.to_string(),
            }
            .into()),
            Answer::CannotAsk => Err(UsageError::NeedsYes {
                command,
                target: info.to_string(),
            }
            .into()),
        }
    }

    /// The engine's settings for this run.
    pub fn settings(&self) -> crate::engine::Settings {
        crate::engine::Settings {
            history_schema: self.cfg.database.history_schema.clone(),
            lock_timeout: self.cfg.database.lock_timeout.clone(),
            statement_timeout: self.cfg.database.statement_timeout.clone(),
            lock_wait: self.lock_wait,
            search_path: None,
        }
    }

    /// The project's migrations and rollbacks, every file problem collected. A missing
    /// `migrations/` is an error (exit 2), never "nothing to apply".
    pub fn load_project(&self) -> Result<Project> {
        self.require_project()?;
        Ok(project::load(
            &self.cfg.root,
            &self.migrations_dir()?,
            &self.rollbacks_dir()?,
        )?)
    }

    /// The policy files of `policies/` (a folder named in `[paths]` must exist; the default one
    /// may be absent), every file problem collected.
    pub fn load_policies(&self) -> Result<Vec<crate::project::SourceFile>> {
        Ok(crate::policy::load(&self.cfg.root, &self.policies_dir()?)?)
    }

    /// Stops when there is no project (the backstop behind the command line's check).
    pub fn require_project(&self) -> Result<()> {
        if scope::in_project(&self.cfg) {
            Ok(())
        } else {
            Err(scope::ScopeError::NotAProject {
                command: None,
                needs: scope::Needs::Project,
                start: self.cfg.root.clone(),
            }
            .into())
        }
    }

    /// `migrations/` (must exist).
    pub fn migrations_dir(&self) -> Result<PathBuf> {
        Ok(scope::folder(&self.cfg, scope::Folder::Migrations)?)
    }

    /// `rollbacks/` (optional at its default place; a missing one holds no rollbacks).
    pub fn rollbacks_dir(&self) -> Result<PathBuf> {
        Ok(scope::folder(&self.cfg, scope::Folder::Rollbacks)?)
    }

    /// `policies/` (optional at its default place).
    pub fn policies_dir(&self) -> Result<PathBuf> {
        Ok(scope::folder(&self.cfg, scope::Folder::Policies)?)
    }

    /// `seeds/` (optional at its default place).
    pub fn seeds_dir(&self) -> Result<PathBuf> {
        Ok(scope::folder(&self.cfg, scope::Folder::Seeds)?)
    }

    /// `tests/validation/` (optional at its default place).
    pub fn validation_dir(&self) -> Result<PathBuf> {
        Ok(scope::folder(&self.cfg, scope::Folder::Validation)?)
    }

    /// The schemas strata never compares or audits (its own history).
    pub fn excluded_schemas(&self) -> Vec<String> {
        vec![self.cfg.database.history_schema.clone()]
    }

    /// A path as shown to the user (relative to the project root).
    pub fn display(&self, path: &std::path::Path) -> String {
        project::display_path(&self.cfg.root, path)
    }

    /// The server for shadow databases: `flag` (its database is used for administration), else
    /// the project's local server, started if needed.
    pub fn shadow_server(&self, flag: Option<&str>, sink: &mut dyn Sink) -> Result<ConnInfo> {
        if let Some(u) = flag {
            return Ok(ConnInfo::parse(u)?);
        }
        let server = local::start_server(self)?;
        sink.event(&Event::ShadowServer {
            url: server.url_for("postgres"),
        });
        Ok(ConnInfo::parse(&server.url_for("postgres"))?)
    }
}

/// How the target is named in reports: the masked URL, or the local development database.
pub fn target_label(target: &Target) -> String {
    match target {
        Target::Url { info, .. } => info.to_string(),
        Target::Local { .. } => "the local development database".to_string(),
    }
}

/// A database as shown before changing it: never its password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetInfo {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// Where the connection string came from (`--database-url`, `DATABASE_URL`, …).
    pub source: String,
}

impl TargetInfo {
    /// `None` for the local development database.
    pub fn of(target: &Target) -> Option<TargetInfo> {
        match target {
            Target::Local { .. } => None,
            Target::Url { info, source, .. } => Some(TargetInfo::from_conn(info, source)),
        }
    }

    fn from_conn(info: &ConnInfo, source: &config::Source) -> TargetInfo {
        use std::str::FromStr;
        let source = source.to_string();
        match sqlx::postgres::PgConnectOptions::from_str(info.dangerous_raw_url()) {
            Ok(o) => TargetInfo {
                host: o
                    .get_socket()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| o.get_host().to_string()),
                port: o.get_port(),
                database: o.get_database().unwrap_or(o.get_username()).to_string(),
                user: o.get_username().to_string(),
                source,
            },
            // Unparsable: connecting will say why; show what can be shown.
            Err(_) => TargetInfo {
                host: info.to_string(),
                port: 0,
                database: info.database().unwrap_or_default(),
                user: String::new(),
                source,
            },
        }
    }
}

impl TargetInfo {
    /// A loopback address, `localhost` or a Unix socket: a server on this machine (by name, not
    /// resolved).
    pub fn is_on_this_machine(&self) -> bool {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h.starts_with('/')
            || h.eq_ignore_ascii_case("localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// Which databases a destructive command asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every database but the local development one (`reset`, SPEC section 2).
    AnyUrl,
    /// Servers on other machines only (`down`, `seed`): a developer's own server on
    /// `localhost` is where rollbacks and seeds are routine.
    RemoteHost,
}

impl std::fmt::Display for TargetInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "host {} port {}, database {}, user {}, from {}",
            self.host, self.port, self.database, self.user, self.source
        )
    }
}

/// A question for the user before a destructive change.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub command: &'static str,
    /// What would happen, e.g. "drop everything strata manages, then up and seed".
    pub what: String,
    pub target: TargetInfo,
}

/// The user's answer, or that nobody can be asked (no terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    CannotAsk,
}

/// Progress and notes a workflow reports while it runs (results come back as its outcome).
#[derive(Debug, Clone)]
pub enum Event {
    /// About to change a database that is not the local development database.
    Target {
        command: &'static str,
        target: TargetInfo,
    },
    /// The migration engine's events (lock wait, shim, plan, each migration).
    Engine(crate::engine::Event),
    /// The seed loader's events.
    Seed(SeedEvent),
    /// The local development database was created, started or found running.
    LocalServer {
        action: ServerAction,
        url: String,
        cluster_dir: PathBuf,
        /// Placed outside the project because the server's user cannot enter it.
        relocated: bool,
    },
    /// Where shadow databases are built.
    ShadowServer { url: String },
    /// A note the user should read (not a result).
    Note(Note),
    /// How long a phase took (shown with `-v`).
    Timing { phase: String, elapsed: Duration },
}

/// What happened to the local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAction {
    Created,
    Started,
    Using,
}

/// Seed loading progress.
#[derive(Debug, Clone)]
pub enum SeedEvent {
    LockWaiting(Option<crate::db::LockHolder>),
    FileStarted {
        display: String,
        bytes: u64,
        csv: bool,
    },
    Progress {
        bytes: u64,
    },
    FileFinished {
        display: String,
        rows: u64,
        elapsed: Duration,
    },
}

/// Notes: typed, so every front end words them its own way.
#[derive(Debug, Clone)]
pub enum Note {
    /// `check` had no database: SQL was checked lexically only.
    CheckedLexicallyOnly,
    /// `check` could not reach the database it would have used.
    ServerCheckSkipped { reason: String },
    /// `policies apply --dry-run` planned with the auth shim installed in its transaction (the
    /// real run installs it; the dry run's rollback removes it).
    DryRunWithShim,
    /// `--env NAME` (or `STRATA_ENV`) was given, but a source that comes first supplied the URL.
    EnvironmentUrlUnused { env: String, source: String },
}

/// Receives a workflow's events, and answers its questions.
pub trait Sink {
    fn event(&mut self, e: &Event);

    /// Asks the user to confirm a destructive change. The default: nobody can be asked, so
    /// the command needs `--yes`.
    fn confirm(&mut self, _question: &Confirm) -> Answer {
        Answer::CannotAsk
    }
}

/// A sink that drops everything.
pub struct Discard;

impl Sink for Discard {
    fn event(&mut self, _: &Event) {}
}

/// A sink that keeps every event (tests).
#[derive(Default)]
pub struct Recorder(pub Vec<Event>);

impl Sink for Recorder {
    fn event(&mut self, e: &Event) {
        self.0.push(e.clone());
    }
}

/// Hands the engine's events to a sink.
pub(crate) struct EngineEvents<'a>(pub &'a mut dyn Sink);

impl crate::engine::Observer for EngineEvents<'_> {
    fn event(&mut self, e: &crate::engine::Event) {
        self.0.event(&Event::Engine(e.clone()));
    }
}

/// Parses a version given as an option (`--to`, `baseline V`).
pub fn parse_version(flag: &'static str, text: &str) -> Result<crate::project::Version> {
    text.parse().map_err(|reason: String| Error::BadVersion {
        flag,
        text: text.to_string(),
        reason,
    })
}
