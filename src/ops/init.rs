//! `strata init`: the project layout and a commented `strata.toml` in a folder.

use crate::config;
use crate::error::{Error, Result, UsageError};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct InitOutcome {
    /// The folder the project was created in.
    pub root: String,
    /// Folders created (or already there), relative to the root.
    pub folders: Vec<String>,
}

/// Creates the layout in `dir`; refuses when `strata.toml` is already there.
pub fn init(dir: &Path) -> Result<InitOutcome> {
    let toml_path = dir.join(config::FILE_NAME);
    if toml_path.exists() {
        return Err(UsageError::AlreadyInitialized { path: toml_path }.into());
    }
    let defaults = config::Paths::default();
    let folders = [
        &defaults.migrations,
        &defaults.rollbacks,
        &defaults.policies,
        &defaults.seeds,
        &defaults.validation,
    ];
    for folder in folders {
        let d = dir.join(folder);
        std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
        let keep = d.join(".gitkeep");
        if !keep.exists() {
            std::fs::write(&keep, "").map_err(|e| Error::io(&keep, e))?;
        }
    }
    std::fs::write(&toml_path, config::TEMPLATE).map_err(|e| Error::io(&toml_path, e))?;
    let gitignore = dir.join(".gitignore");
    let existing = match std::fs::read_to_string(&gitignore) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(&gitignore, e)),
    };
    if !existing.lines().any(|l| l.trim() == ".strata/") {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(".strata/\n.env\n");
        std::fs::write(&gitignore, text).map_err(|e| Error::io(&gitignore, e))?;
    }
    Ok(InitOutcome {
        root: dir.display().to_string(),
        folders: folders.iter().map(|f| f.display().to_string()).collect(),
    })
}
