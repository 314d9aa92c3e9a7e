//! What a command needs from the folder it runs in (SPEC section 1), and the project's folders.
//!
//! A project is a folder with `strata.toml`, found in the current folder or above it. A command
//! that needs the project's files or its local development database stops outside a project
//! with exit 2 *before* it creates anything (no `.strata/pg`, no folder, no file): without this
//! rule, `strata status` in an empty folder started a database there and a CI job that forgot
//! `DATABASE_URL` compared an empty database. Commands that are given a database and need no
//! project file work anywhere.
//!
//! Folders: `migrations/` must exist (a missing one is an error, never "nothing to apply").
//! The other folders are optional at their default place (a project without rollbacks,
//! policies, seeds or suites is normal), but a folder named in `[paths]` must exist: a typo
//! there would otherwise turn into a silent "no seeds" or "no policies".
//!
//! Pure decisions on the loaded configuration and the file system; no database, no printing.

use crate::config::{Config, Paths};
use std::path::{Path, PathBuf};

/// What a command needs to run (see [`require`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Works anywhere: `init`, `completions`, `diff --from URL --to URL`.
    Nothing,
    /// A database: the one given (`--database-url`, `DATABASE_URL`, an environment), else the
    /// project's local development database, which only exists inside a project
    /// (`audit`, `dump --live`).
    Database,
    /// The project's files (`status`, `up`, `down`, `new`, `check`, `seed`, `test`, `reset`,
    /// `diff` against the declared state, `db …`).
    Project,
}

/// Why a command cannot run where it was started, or a folder problem.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("{} {}, and there is no strata.toml in {} or any folder above it. {} Nothing was created.", command_name(.command), needs_what(.needs), .start.display(), advice(.needs))]
    NotAProject {
        /// `status`, `db start`…; `None` where the caller does not know it.
        command: Option<String>,
        needs: Needs,
        /// The folder the search started from.
        start: PathBuf,
    },
    #[error("{shown} does not exist ([paths] {key} = \"{configured}\" in strata.toml). {}", missing_advice(.key, .required))]
    MissingFolder {
        key: &'static str,
        configured: String,
        shown: String,
        /// Always required (migrations) rather than named in `[paths]`.
        required: bool,
    },
    #[error(
        "{shown} is not a folder ([paths] {key} in strata.toml names it); point {key} at a folder"
    )]
    NotAFolder { key: &'static str, shown: String },
}

fn command_name(command: &Option<String>) -> String {
    match command {
        Some(c) => format!("`strata {c}`"),
        None => "This command".to_string(),
    }
}

fn needs_what(needs: &Needs) -> &'static str {
    match needs {
        Needs::Database => "without a database works on the project's local development database",
        Needs::Project | Needs::Nothing => "works on a project",
    }
}

fn advice(needs: &Needs) -> &'static str {
    match needs {
        Needs::Database => "Give it a database with --database-url URL (or DATABASE_URL), or run it inside the project (or name its strata.toml with --config FILE).",
        Needs::Project | Needs::Nothing => "Run it inside the project, name the project's file with --config FILE, or create a project here with `strata init`.",
    }
}

fn missing_advice(key: &str, required: &bool) -> String {
    if *required {
        format!("strata never reads a missing {key} folder as \"nothing to apply\": create it (`strata new NAME` does), or fix the path")
    } else {
        "A folder named in [paths] must exist: create it, or fix or remove the setting".to_string()
    }
}

/// Whether `cfg` came from a project (a `strata.toml` was found or given).
pub fn in_project(cfg: &Config) -> bool {
    cfg.file.is_some()
}

/// Stops a command that cannot run here. `database_given`: a database was named on the command
/// line or in the environment (the caller resolved the target), so a [`Needs::Database`] command
/// needs no project.
pub fn require(
    cfg: &Config,
    command: &str,
    needs: Needs,
    database_given: bool,
) -> Result<(), ScopeError> {
    let ok = match needs {
        Needs::Nothing => true,
        Needs::Database => database_given || in_project(cfg),
        Needs::Project => in_project(cfg),
    };
    if ok {
        Ok(())
    } else {
        Err(ScopeError::NotAProject {
            command: Some(command.to_string()),
            needs,
            start: cfg.root.clone(),
        })
    }
}

/// The project's folders, by their `[paths]` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    Migrations,
    Rollbacks,
    Policies,
    Seeds,
    Validation,
}

impl Folder {
    pub fn key(self) -> &'static str {
        match self {
            Folder::Migrations => "migrations",
            Folder::Rollbacks => "rollbacks",
            Folder::Policies => "policies",
            Folder::Seeds => "seeds",
            Folder::Validation => "validation",
        }
    }

    fn configured(self, paths: &Paths) -> &Path {
        match self {
            Folder::Migrations => &paths.migrations,
            Folder::Rollbacks => &paths.rollbacks,
            Folder::Policies => &paths.policies,
            Folder::Seeds => &paths.seeds,
            Folder::Validation => &paths.validation,
        }
    }
}

/// What is on disk at a folder's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDisk {
    Folder,
    Absent,
    NotAFolder,
}

/// Looks at `path` on disk.
pub fn on_disk(path: &Path) -> OnDisk {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => OnDisk::Folder,
        Ok(_) => OnDisk::NotAFolder,
        Err(_) => OnDisk::Absent,
    }
}

/// The rule, as a pure function: `Ok(())` when the folder may be used (an absent optional folder
/// reads as empty).
pub fn judge_folder(
    folder: Folder,
    paths: &Paths,
    state: OnDisk,
    shown: &str,
) -> Result<(), ScopeError> {
    let configured = folder.configured(paths);
    match state {
        OnDisk::Folder => Ok(()),
        OnDisk::NotAFolder => Err(ScopeError::NotAFolder {
            key: folder.key(),
            shown: shown.to_string(),
        }),
        OnDisk::Absent => {
            let required = folder == Folder::Migrations;
            let named = configured != Folder::configured(folder, &Paths::default());
            if required || named {
                Err(ScopeError::MissingFolder {
                    key: folder.key(),
                    configured: configured.display().to_string(),
                    shown: shown.to_string(),
                    required,
                })
            } else {
                Ok(())
            }
        }
    }
}

/// The folder's absolute path after checking the rule on disk.
pub fn folder(cfg: &Config, which: Folder) -> Result<PathBuf, ScopeError> {
    let path = cfg.root.join(which.configured(&cfg.paths));
    let shown = format!(
        "{}/",
        crate::project::display_path(&cfg.root, &path).trim_end_matches('/')
    );
    judge_folder(which, &cfg.paths, on_disk(&path), &shown)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(file: bool) -> Config {
        let mut c = crate::config::load(Path::new("/nonexistent-strata-test"), None)
            .unwrap_or_else(|e| panic!("{e}"));
        if file {
            c.file = Some("/p/strata.toml".into());
        }
        c
    }

    #[test]
    fn outside_a_project_only_commands_that_need_nothing_or_are_given_a_database_run() {
        let outside = cfg(false);
        assert!(require(&outside, "init", Needs::Nothing, false).is_ok());
        assert!(require(&outside, "audit", Needs::Database, true).is_ok());
        let e = require(&outside, "audit", Needs::Database, false).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("`strata audit` without a database"), "{text}");
        assert!(text.contains("--database-url"), "{text}");
        assert!(text.contains("Nothing was created."), "{text}");
        let e = require(&outside, "status", Needs::Project, true).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("`strata status` works on a project, and there is no strata.toml in /nonexistent-strata-test"), "{text}");
        assert!(text.contains("strata init"), "{text}");
        let inside = cfg(true);
        assert!(require(&inside, "status", Needs::Project, false).is_ok());
        assert!(require(&inside, "audit", Needs::Database, false).is_ok());
    }

    #[test]
    fn migrations_must_exist_and_named_optional_folders_too() {
        let defaults = Paths::default();
        let e =
            judge_folder(Folder::Migrations, &defaults, OnDisk::Absent, "migrations/").unwrap_err();
        assert_eq!(
            e.to_string(),
            "migrations/ does not exist ([paths] migrations = \"migrations\" in strata.toml). strata never reads a missing migrations folder as \"nothing to apply\": create it (`strata new NAME` does), or fix the path"
        );
        for f in [
            Folder::Rollbacks,
            Folder::Policies,
            Folder::Seeds,
            Folder::Validation,
        ] {
            assert!(
                judge_folder(f, &defaults, OnDisk::Absent, "x/").is_ok(),
                "{f:?}"
            );
            assert!(
                judge_folder(f, &defaults, OnDisk::Folder, "x/").is_ok(),
                "{f:?}"
            );
        }
        let named = Paths {
            seeds: "data/seed".into(),
            ..Paths::default()
        };
        let e = judge_folder(Folder::Seeds, &named, OnDisk::Absent, "data/seed/").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("data/seed/ does not exist ([paths] seeds = \"data/seed\""),
            "{e}"
        );
        let e =
            judge_folder(Folder::Policies, &defaults, OnDisk::NotAFolder, "policies/").unwrap_err();
        assert!(e.to_string().contains("is not a folder"), "{e}");
    }
}
