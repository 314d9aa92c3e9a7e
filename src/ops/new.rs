//! `strata new NAME`: a migration and its rollback with the next version.

use super::Workspace;
use crate::error::{Error, Result, UsageError};
use crate::project::{self, NameStyle};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct NewOutcome {
    pub version: String,
    /// The migration file, relative to the project root.
    pub migration: String,
    /// The rollback file, relative to the project root.
    pub rollback: String,
}

/// `NAME` as a file-name slug: lower-case letters, digits and single underscores.
pub fn slug(name: &str) -> Option<String> {
    let slug = name
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
    (!slug.is_empty()).then_some(slug)
}

pub fn new(ws: &Workspace, name: &str) -> Result<NewOutcome> {
    let slug = slug(name).ok_or_else(|| UsageError::BadMigrationName {
        name: name.to_string(),
    })?;
    ws.require_project()?;
    // `new` is the command that creates migrations/ when it is missing.
    let migrations = ws.cfg.migrations_dir();
    let project = match super::scope::on_disk(&migrations) {
        super::scope::OnDisk::Absent => project::Project::default(),
        _ => ws.load_project()?,
    };
    let version = project::next_version(&project.migrations, &utc_timestamp());
    // Keep the project's layout: a folder per migration, `.up.sql`/`.down.sql` pairs, or
    // migrations/ + rollbacks/.
    let style = project
        .migrations
        .last()
        .and_then(|m| project::parse_path_name(&m.file.path))
        .map(|p| p.style);
    let (up, down) = match style {
        Some(NameStyle::Folder) => {
            let dir = migrations.join(format!("{version}_{slug}"));
            (dir.join("up.sql"), dir.join("down.sql"))
        }
        Some(NameStyle::Up) => (
            migrations.join(format!("{version}_{slug}.up.sql")),
            migrations.join(format!("{version}_{slug}.down.sql")),
        ),
        _ => {
            let file_name = format!("{version}_{slug}.sql");
            (
                migrations.join(&file_name),
                ws.rollbacks_dir()?.join(&file_name),
            )
        }
    };
    for (path, text) in [
        (&up, format!("-- {slug}: migration {version}\n\n")),
        (
            &down,
            format!("-- rollback of {version}_{slug}: undo everything the migration does\n\n"),
        ),
    ] {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
    }
    Ok(NewOutcome {
        version,
        migration: ws.display(&up),
        rollback: ws.display(&down),
    })
}

/// `YYYYMMDDHHMMSS` in UTC. Written out (Howard Hinnant's civil-from-days) rather than adding a
/// date library for one timestamp.
pub fn utc_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    timestamp_of(secs)
}

fn timestamp_of(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Add wallet!").as_deref(), Some("add_wallet"));
        assert_eq!(slug("  --  "), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp_of(0), "19700101000000");
        assert_eq!(timestamp_of(1_709_210_096), "20240229123456");
    }
}
