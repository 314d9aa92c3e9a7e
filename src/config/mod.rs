//! `strata.toml`, `${VAR}` expansion (process environment, then `.env`), connection precedence,
//! environments and `protected`.
//!
//! Owns: turning files and flags into a [`Config`] and a [`Target`]. Must not: connect to
//! anything. The raw connection string leaves this module only through
//! [`ConnInfo::dangerous_raw_url`]; `Display` masks the password everywhere else
//! (through `secret::mask`, which also learns the password when the string is parsed).

mod env_file;
mod shim;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use env_file::parse_env_file;
pub use shim::{Local, ShimConfig, ShimPart};

/// The configuration file's name, looked up in the current folder and its parents.
pub const FILE_NAME: &str = "strata.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: invalid strata.toml: {message}")]
    Toml {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "{path}: `{key}` refers to ${{{var}}}, which is not set in the environment or in .env"
    )]
    UndefinedVariable {
        path: PathBuf,
        key: String,
        var: String,
    },
    /// A `.env` line that is not `KEY=value`. The line itself is never shown (it may hold a
    /// secret); `key` is its first word when that is a variable name.
    #[error("{path}:{line}: invalid .env line{}: {reason} (expected KEY=value; the line is not shown because it may hold a secret)", key.as_ref().map(|k| format!(" starting with `{k}`")).unwrap_or_default())]
    EnvFile {
        path: PathBuf,
        line: usize,
        key: Option<String>,
        reason: &'static str,
    },
    #[error("unknown environment `{name}` (from {from}); strata.toml defines: {known}")]
    UnknownEnvironment {
        name: String,
        from: String,
        known: String,
    },
    #[error("environment `{name}` has no `url`")]
    EnvironmentWithoutUrl { name: String },
    #[error("invalid connection string {masked}: {reason}")]
    BadUrl { masked: String, reason: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("refusing `{command}` on protected environment `{env}`{why}")]
    Protected {
        command: String,
        env: String,
        why: String,
    },
}

/// `[paths]`: where the project's folders are, relative to the project root.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    pub migrations: PathBuf,
    pub rollbacks: PathBuf,
    pub policies: PathBuf,
    pub seeds: PathBuf,
    pub validation: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            migrations: "migrations".into(),
            rollbacks: "rollbacks".into(),
            policies: "policies".into(),
            seeds: "seeds".into(),
            validation: "tests/validation".into(),
        }
    }
}

/// `[database]`.
///
/// ```toml
/// [database]
/// schemas = ["public"]          # what diff and audit look at
/// history_schema = "strata"     # never "public": an API exposing public would expose history
/// lock_timeout = "10s"          # default for every migration (a file's directive wins)
/// statement_timeout = "15min"
/// lock_wait = "60s"             # how long a second strata run waits for the first
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    pub schemas: Vec<String>,
    pub history_schema: String,
    pub lock_timeout: Option<String>,
    pub statement_timeout: Option<String>,
    pub lock_wait: Option<String>,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            schemas: vec!["public".into()],
            history_schema: "strata".into(),
            lock_timeout: None,
            statement_timeout: None,
            lock_wait: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthModel {
    Supabase,
    Setting,
}

/// `[auth]`: how `-- as:` and the audit probe become a user, and whether to install the shim.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    pub model: AuthModel,
    /// Which parts of the Supabase-compatible shim strata may install when schema `auth` is
    /// missing and the project really uses Supabase's objects (docs/supabase-shim.md).
    pub shim: ShimConfig,
    /// `setting` model: the role `-- as:` switches to when none is named.
    pub role: Option<String>,
    /// `setting` model: the setting that carries the user id.
    pub setting: Option<String>,
    /// Column names that mark a row's owner, for the audit probe.
    pub owner_columns: Vec<String>,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            model: AuthModel::Supabase,
            shim: ShimConfig::all(),
            role: None,
            setting: None,
            owner_columns: vec![
                "user_id".into(),
                "owner_id".into(),
                "profile_id".into(),
                "created_by".into(),
            ],
        }
    }
}

/// `[policies]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policies {
    /// Converge `policies/` at the end of every `up`.
    pub apply_on_up: bool,
}

impl Default for Policies {
    fn default() -> Self {
        Policies { apply_on_up: true }
    }
}

/// `[environments.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub url: Option<String>,
    #[serde(default)]
    pub protected: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FileConfig {
    paths: Paths,
    database: Database,
    auth: Auth,
    policies: Policies,
    local: Local,
    environments: BTreeMap<String, Environment>,
}

/// The loaded configuration; paths are absolute.
#[derive(Debug, Clone)]
pub struct Config {
    /// The project root: the folder holding `strata.toml` (or the current folder without one).
    pub root: PathBuf,
    /// The configuration file, when one was found.
    pub file: Option<PathBuf>,
    pub paths: Paths,
    pub database: Database,
    pub auth: Auth,
    pub policies: Policies,
    /// `[local]`: the local development database (SPEC section 6).
    pub local: Local,
    pub environments: BTreeMap<String, Environment>,
    /// Variables from `.env`, used after the process environment.
    pub dotenv: BTreeMap<String, String>,
}

impl Config {
    pub fn migrations_dir(&self) -> PathBuf {
        self.root.join(&self.paths.migrations)
    }
    pub fn rollbacks_dir(&self) -> PathBuf {
        self.root.join(&self.paths.rollbacks)
    }
    pub fn policies_dir(&self) -> PathBuf {
        self.root.join(&self.paths.policies)
    }
    pub fn seeds_dir(&self) -> PathBuf {
        self.root.join(&self.paths.seeds)
    }
    pub fn validation_dir(&self) -> PathBuf {
        self.root.join(&self.paths.validation)
    }

    /// A variable from the process environment, else from `.env`.
    pub fn var(&self, name: &str) -> Option<String> {
        lookup_var(name, &self.dotenv)
    }
}

fn lookup_var(name: &str, dotenv: &BTreeMap<String, String>) -> Option<String> {
    match std::env::var(name) {
        Ok(v) => Some(v),
        Err(_) => dotenv.get(name).cloned(),
    }
}

/// Loads the configuration: `explicit` (from `--config`) or `strata.toml` found from `cwd`
/// upwards; defaults when there is none.
pub fn load(cwd: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let file = match explicit {
        Some(p) => Some(if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        }),
        None => find_upwards(cwd),
    };
    let root = match &file {
        Some(f) => f
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.to_path_buf()),
        None => cwd.to_path_buf(),
    };
    let dotenv_path = root.join(".env");
    let dotenv = match std::fs::read_to_string(&dotenv_path) {
        Ok(text) => parse_env_file(&dotenv_path, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: dotenv_path,
                source,
            })
        }
    };
    let parsed = match &file {
        None => FileConfig::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            parse_file(path, &text, &dotenv)?
        }
    };
    let cfg = Config {
        root,
        file,
        paths: parsed.paths,
        database: parsed.database,
        auth: parsed.auth,
        policies: parsed.policies,
        local: parsed.local,
        environments: parsed.environments,
        dotenv,
    };
    validate(&cfg)?;
    Ok(cfg)
}

fn find_upwards(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

fn parse_file(
    path: &Path,
    text: &str,
    dotenv: &BTreeMap<String, String>,
) -> Result<FileConfig, ConfigError> {
    let mut value: toml::Table = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    expand_table(path, "", &mut value, dotenv)?;
    FileConfig::deserialize(toml::Value::Table(value)).map_err(|e| {
        // Spans are lost after expansion; re-parse the raw text for a position when we can.
        match toml::from_str::<FileConfig>(text) {
            Err(raw) => toml_error(path, text, &raw),
            Ok(_) => ConfigError::Toml {
                path: path.to_path_buf(),
                line: 1,
                col: 1,
                message: e.message().to_string(),
            },
        }
    })
}

fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let (line, col) = match e.span() {
        Some(span) => line_col(text, span.start),
        None => (1, 1),
    };
    ConfigError::Toml {
        path: path.to_path_buf(),
        line,
        col,
        message: e.message().trim().to_string(),
    }
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn expand_table(
    path: &Path,
    prefix: &str,
    table: &mut toml::Table,
    dotenv: &BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    for (key, value) in table.iter_mut() {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        // An environment's values expand only when it is selected (resolve_target): a
        // developer without PROD_DATABASE_URL must still be able to work locally.
        if full == "environments" {
            continue;
        }
        expand_value(path, &full, value, dotenv)?;
    }
    Ok(())
}

fn expand_value(
    path: &Path,
    key: &str,
    value: &mut toml::Value,
    dotenv: &BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    match value {
        toml::Value::String(s) => {
            *s = expand_vars(s, |v| lookup_var(v, dotenv)).map_err(|var| {
                ConfigError::UndefinedVariable {
                    path: path.to_path_buf(),
                    key: key.to_string(),
                    var,
                }
            })?;
        }
        toml::Value::Array(items) => {
            for item in items {
                expand_value(path, key, item, dotenv)?;
            }
        }
        toml::Value::Table(t) => expand_table(path, key, t, dotenv)?,
        _ => {}
    }
    Ok(())
}

/// Replaces every `${NAME}` using `lookup`; `$${` is a literal `${`. Returns the first
/// undefined name as the error.
pub fn expand_vars(input: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix("${") {
            out.push_str("${");
            rest = stripped;
        } else if let Some(body) = after.strip_prefix('{') {
            match body.find('}') {
                Some(end) => {
                    let name = &body[..end];
                    match lookup(name) {
                        Some(v) => out.push_str(&v),
                        None => return Err(name.to_string()),
                    }
                    rest = &body[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn validate(cfg: &Config) -> Result<(), ConfigError> {
    let path = cfg.file.clone().unwrap_or_else(|| cfg.root.join(FILE_NAME));
    let invalid = |message: String| ConfigError::Invalid {
        path: path.clone(),
        message,
    };
    let h = &cfg.database.history_schema;
    if h.is_empty() || h == "public" {
        return Err(invalid(format!(
            "[database] history_schema = \"{h}\": strata keeps its history in its own schema, never public (an API that exposes public would expose it)"
        )));
    }
    if cfg.database.schemas.is_empty() {
        return Err(invalid(
            "[database] schemas is empty: name at least one schema, e.g. [\"public\"]".into(),
        ));
    }
    for (key, v) in [
        ("lock_timeout", &cfg.database.lock_timeout),
        ("statement_timeout", &cfg.database.statement_timeout),
        ("lock_wait", &cfg.database.lock_wait),
    ] {
        if let Some(v) = v {
            if parse_duration(v).is_none() {
                return Err(invalid(format!(
                    "[database] {key} = \"{v}\" is not a duration (use e.g. 500ms, 5s, 10min, 1h)"
                )));
            }
        }
    }
    if cfg.auth.model == AuthModel::Setting && cfg.auth.setting.is_none() {
        return Err(invalid(
            "[auth] model = \"setting\" needs `setting`, the name of the setting that carries the user id (e.g. \"app.current_user_id\")".into(),
        ));
    }
    Ok(())
}

/// Parses `500ms`, `5s`, `10min`, `1h`, `2d` or a bare number of milliseconds, as PostgreSQL
/// accepts them for timeouts.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let t = text.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits_end == 0 {
        return None;
    }
    let n: u64 = t[..digits_end].parse().ok()?;
    let unit = t[digits_end..].trim();
    let ms = match unit {
        "" | "ms" => n,
        "s" => n.checked_mul(1000)?,
        "min" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        "d" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(ms))
}

/// A duration as [`parse_duration`] reads it: `500ms`, `15s`, `2min`.
pub fn format_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms > 0 && ms.is_multiple_of(60_000) {
        format!("{}min", ms / 60_000)
    } else if ms > 0 && ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A connection string whose `Display` masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnInfo {
    raw: String,
}

impl ConnInfo {
    pub fn parse(raw: &str) -> Result<ConnInfo, ConfigError> {
        // Before anything can fail: whatever happens to this text later, its passwords are known.
        crate::secret::register_connection_string(raw);
        let info = ConnInfo {
            raw: raw.trim().to_string(),
        };
        if !(info.raw.starts_with("postgres://") || info.raw.starts_with("postgresql://")) {
            return Err(ConfigError::BadUrl {
                masked: info.to_string(),
                reason: "expected a postgres:// or postgresql:// URL, e.g. postgres://app@db.example.com:5432/app (a password goes after the user name, percent-encoded)".into(),
            });
        }
        Ok(info)
    }

    /// The unmasked connection string. Only for handing to the driver; never print it.
    pub fn dangerous_raw_url(&self) -> &str {
        &self.raw
    }

    /// The database name in the URL path, if any.
    pub fn database(&self) -> Option<String> {
        let after_scheme = self.raw.split_once("://")?.1;
        let path = after_scheme.split_once('/')?.1;
        let db = path.split(['?', '#']).next()?;
        (!db.is_empty()).then(|| db.to_string())
    }

    /// The same server with another database.
    pub fn with_database(&self, database: &str) -> ConnInfo {
        let (scheme, after) = match self.raw.split_once("://") {
            Some(p) => p,
            None => return self.clone(),
        };
        let (authority, query) = match after.split_once('/') {
            Some((a, rest)) => (a, rest.split_once('?').map(|(_, q)| q)),
            None => match after.split_once('?') {
                Some((a, q)) => (a, Some(q)),
                None => (after, None),
            },
        };
        let mut raw = format!("{scheme}://{authority}/{database}");
        if let Some(q) = query {
            raw.push('?');
            raw.push_str(q);
        }
        ConnInfo { raw }
    }
}

impl fmt::Display for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::secret::mask(&self.raw))
    }
}

impl fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnInfo({self})")
    }
}

/// Where a connection came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--database-url`.
    Flag,
    /// `DATABASE_URL` in the process environment.
    EnvVar,
    /// The selected environment's `url` in strata.toml.
    Environment(String),
    /// `DATABASE_URL` in the project's `.env` file.
    DotEnv,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("--database-url"),
            Source::EnvVar => f.write_str("DATABASE_URL"),
            Source::Environment(n) => write!(f, "environment `{n}` in strata.toml"),
            Source::DotEnv => f.write_str("DATABASE_URL in .env"),
        }
    }
}

/// The database a command works on.
#[derive(Debug, Clone)]
pub enum Target {
    Url {
        info: ConnInfo,
        source: Source,
        /// The selected environment, if one was.
        env: Option<String>,
        protected: bool,
        /// The selected environment has a `url`, but a source that comes first won
        /// (`--database-url` or `DATABASE_URL` in the process environment): say so.
        env_url_unused: bool,
    },
    /// No connection configured: the project's local development database.
    Local { env: Option<String> },
}

impl Target {
    pub fn protected_env(&self) -> Option<&str> {
        match self {
            Target::Url {
                env: Some(e),
                protected: true,
                ..
            } => Some(e),
            _ => None,
        }
    }
}

/// Connection precedence: `--database-url`, then `DATABASE_URL` from the process environment,
/// then the selected environment's `url` (`--env` or `STRATA_ENV`), then `DATABASE_URL` from
/// `.env`, then the local development database.
///
/// `.env` comes after an explicitly selected environment: it holds a developer's local
/// defaults, and `--env staging` must not silently lose to them. The process environment comes
/// before it (SPEC section 2), and then [`Target::Url::env_url_unused`] says that the
/// environment's `url` was passed over. The environment's `protected` flag applies whichever
/// URL wins, so `--env prod` stays protected.
pub fn resolve_target(
    cfg: &Config,
    flag_url: Option<&str>,
    flag_env: Option<&str>,
) -> Result<Target, ConfigError> {
    let process_url = std::env::var("DATABASE_URL").ok();
    resolve_target_with(cfg, flag_url, flag_env, process_url)
}

/// [`resolve_target`] with `DATABASE_URL` from the process environment given (tests).
fn resolve_target_with(
    cfg: &Config,
    flag_url: Option<&str>,
    flag_env: Option<&str>,
    process_url: Option<String>,
) -> Result<Target, ConfigError> {
    let (env_name, env_from) = match flag_env {
        Some(e) => (Some(e.to_string()), "--env"),
        None => (
            cfg.var("STRATA_ENV").filter(|s| !s.is_empty()),
            "STRATA_ENV",
        ),
    };
    let env = match &env_name {
        None => None,
        Some(name) => {
            Some(
                cfg.environments
                    .get(name)
                    .ok_or_else(|| ConfigError::UnknownEnvironment {
                        name: name.clone(),
                        from: env_from.to_string(),
                        known: if cfg.environments.is_empty() {
                            "(none)".to_string()
                        } else {
                            cfg.environments
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        },
                    })?,
            )
        }
    };
    let protected = env.is_some_and(|e| e.protected);
    let env_url = match (&env_name, env) {
        (Some(name), Some(e)) => match &e.url {
            Some(u) if !u.is_empty() => {
                let url =
                    expand_vars(u, |v| cfg.var(v)).map_err(|var| ConfigError::UndefinedVariable {
                        path: cfg.file.clone().unwrap_or_else(|| cfg.root.join(FILE_NAME)),
                        key: format!("environments.{name}.url"),
                        var,
                    });
                Some((name.clone(), url))
            }
            _ => None,
        },
        _ => None,
    };
    let process_url = process_url.filter(|s| !s.is_empty());
    let dotenv_url = cfg.dotenv.get("DATABASE_URL").filter(|s| !s.is_empty());
    let env_url_present = env_url.is_some();
    let (url, source) = if let Some(u) = flag_url {
        (u.to_string(), Source::Flag)
    } else if let Some(u) = process_url {
        (u, Source::EnvVar)
    } else if let Some((name, url)) = env_url {
        // An undefined variable matters only now: a source that comes first makes it moot.
        (url?, Source::Environment(name))
    } else if let Some(u) = dotenv_url {
        (u.clone(), Source::DotEnv)
    } else if let Some(name) = &env_name {
        return Err(ConfigError::EnvironmentWithoutUrl { name: name.clone() });
    } else {
        return Ok(Target::Local { env: None });
    };
    let env_url_unused = env_url_present && !matches!(source, Source::Environment(_));
    Ok(Target::Url {
        info: ConnInfo::parse(&url)?,
        source,
        env: env_name,
        protected,
        env_url_unused,
    })
}

/// Refuses a command on a protected environment unless `yes` (and always for `reset`).
pub fn guard_protected(
    target: &Target,
    command: &str,
    yes: bool,
    always: bool,
) -> Result<(), ConfigError> {
    if let Some(env) = target.protected_env() {
        if always {
            return Err(ConfigError::Protected {
                command: command.into(),
                env: env.into(),
                why: ": it is development-only and never runs on a protected environment".into(),
            });
        }
        if !yes {
            return Err(ConfigError::Protected {
                command: command.into(),
                env: env.into(),
                why: " without --yes (the environment is marked `protected = true` in strata.toml)"
                    .into(),
            });
        }
    }
    Ok(())
}

/// The commented `strata.toml` that `strata init` writes.
pub const TEMPLATE: &str = r#"# strata.toml: every key is optional; the values shown are the defaults.
# ${VAR} expands from the environment, then from .env in this folder.

[paths]
migrations = "migrations"
rollbacks = "rollbacks"
policies = "policies"
seeds = "seeds"
validation = "tests/validation"

[database]
schemas = ["public"]          # the schemas strata diffs and audits
history_schema = "strata"     # strata's own schema (never public)
# lock_timeout = "10s"        # per-migration default; `-- strata:lock-timeout` wins
# statement_timeout = "15min"
# lock_wait = "60s"           # how long a second strata run waits for the first

[auth]
model = "supabase"            # or "setting"
shim = true                   # Supabase shim parts strata may install: true, false, or a list
                              # of "auth", "extensions", "storage", "vault" (docs/supabase-shim.md)
# with model = "setting":
# role = "application_user"
# setting = "app.current_user_id"

[policies]
apply_on_up = true            # converge policies/ after `strata up`

# [local]
# version = 17                # PostgreSQL major version of the local database (docs/postgres-versions.md)

# [environments.prod]
# url = "${PROD_DATABASE_URL}"
# protected = true
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conninfo_display_masks_and_swaps_database() {
        let c = ConnInfo::parse("postgresql://a:b@localhost:1/x?sslmode=disable").unwrap();
        assert_eq!(
            c.to_string(),
            "postgresql://a:***@localhost:1/x?sslmode=disable"
        );
        assert_eq!(c.database().as_deref(), Some("x"));
        assert_eq!(
            c.with_database("y").dangerous_raw_url(),
            "postgresql://a:b@localhost:1/y?sslmode=disable"
        );
        assert!(ConnInfo::parse("mysql://x").is_err());
    }

    #[test]
    fn expands_variables() {
        let look = |n: &str| (n == "A").then(|| "1".to_string());
        assert_eq!(expand_vars("x${A}y", look).unwrap(), "x1y");
        assert_eq!(expand_vars("$${A} $5", look).unwrap(), "${A} $5");
        assert_eq!(expand_vars("${B}", look).unwrap_err(), "B");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap().as_millis(), 5000);
        assert_eq!(parse_duration("10min").unwrap().as_secs(), 600);
        assert_eq!(parse_duration("250").unwrap().as_millis(), 250);
        assert!(parse_duration("5 parsecs").is_none());
        assert!(parse_duration("s").is_none());
        for text in ["500ms", "15s", "2min", "0ms"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }

    #[test]
    fn toml_errors_have_positions() {
        let err = parse_file(
            Path::new("strata.toml"),
            "[database]\nschemaz = [\"x\"]\n",
            &BTreeMap::new(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("strata.toml:2:1: invalid strata.toml"),
            "{text}"
        );
        assert!(text.contains("schemaz"), "{text}");
    }

    #[test]
    fn precedence() {
        let mut cfg = Config {
            root: PathBuf::from("/p"),
            file: None,
            paths: Paths::default(),
            database: Database::default(),
            auth: Auth::default(),
            policies: Policies::default(),
            local: Default::default(),
            environments: BTreeMap::new(),
            dotenv: BTreeMap::new(),
        };
        cfg.environments.insert(
            "prod".into(),
            Environment {
                url: Some("postgres://p:pw@prod/db".into()),
                protected: true,
            },
        );
        let t = resolve_target(&cfg, Some("postgres://flag/db"), Some("prod")).unwrap();
        match &t {
            Target::Url {
                source, protected, ..
            } => {
                assert_eq!(*source, Source::Flag);
                assert!(*protected);
            }
            Target::Local { .. } => panic!("expected url"),
        }
        assert!(guard_protected(&t, "seed", false, false).is_err());
        assert!(guard_protected(&t, "seed", true, false).is_ok());
        assert!(guard_protected(&t, "reset", true, true).is_err());
        let err = resolve_target(&cfg, None, Some("staging")).unwrap_err();
        assert!(err.to_string().contains("prod"));
    }

    fn source_of(t: &Target) -> (Source, bool) {
        match t {
            Target::Url {
                source,
                env_url_unused,
                ..
            } => (source.clone(), *env_url_unused),
            Target::Local { .. } => panic!("expected a URL target"),
        }
    }

    #[test]
    fn an_explicit_environment_beats_dotenv_but_not_the_process_environment() {
        let mut cfg = Config {
            root: PathBuf::from("/p"),
            file: None,
            paths: Paths::default(),
            database: Database::default(),
            auth: Auth::default(),
            policies: Policies::default(),
            environments: BTreeMap::new(),
            dotenv: BTreeMap::new(),
            local: Default::default(),
        };
        cfg.environments.insert(
            "staging".into(),
            Environment {
                url: Some("postgres://s@staging/db".into()),
                protected: false,
            },
        );
        cfg.environments.insert(
            "prod".into(),
            Environment {
                url: None,
                protected: true,
            },
        );
        cfg.dotenv
            .insert("DATABASE_URL".into(), "postgres://dev@localhost/db".into());
        let t = resolve_target_with(&cfg, None, Some("staging"), None).unwrap();
        assert_eq!(
            source_of(&t),
            (Source::Environment("staging".into()), false)
        );
        let t = resolve_target_with(&cfg, None, None, None).unwrap();
        assert_eq!(source_of(&t), (Source::DotEnv, false));
        let t = resolve_target_with(
            &cfg,
            None,
            Some("staging"),
            Some("postgres://ci@ci/db".into()),
        )
        .unwrap();
        assert_eq!(source_of(&t), (Source::EnvVar, true));
        let t =
            resolve_target_with(&cfg, Some("postgres://f@f/db"), Some("staging"), None).unwrap();
        assert_eq!(source_of(&t), (Source::Flag, true));
        // An environment without a url takes the URL from elsewhere and stays protected.
        let t = resolve_target_with(&cfg, None, Some("prod"), None).unwrap();
        assert_eq!(source_of(&t), (Source::DotEnv, false));
        assert_eq!(t.protected_env(), Some("prod"));
        cfg.dotenv.clear();
        let e = resolve_target_with(&cfg, None, Some("prod"), None).unwrap_err();
        assert!(
            e.to_string().contains("environment `prod` has no `url`"),
            "{e}"
        );
        assert!(matches!(
            resolve_target_with(&cfg, None, None, None).unwrap(),
            Target::Local { env: None }
        ));
    }
}
