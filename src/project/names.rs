//! Migration file names: `{version}_{name}.sql`, `V{version}__{name}.sql`,
//! `{version}_{name}.up.sql` / `.down.sql`, and migration folders `{version}_{name}/` (Diesel,
//! several Go tools) holding `up.sql` and `down.sql`. Pure; no file system.

use super::Version;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameStyle {
    /// `001_name.sql`
    Plain,
    /// `V1__name.sql`
    Flyway,
    /// `001_name.up.sql`
    Up,
    /// `001_name.down.sql` (a rollback)
    Down,
    /// `001_name/up.sql` (+ `down.sql`): a folder per migration.
    Folder,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedName {
    pub version: Version,
    /// The digits as written (for keeping zero-padding in `strata new`).
    pub version_text: String,
    pub name: String,
    pub style: NameStyle,
}

/// Parses a file name; the error says what is wrong with it.
pub fn parse_migration_name(file_name: &str) -> Result<ParsedName, String> {
    let stem = file_name
        .strip_suffix(".sql")
        .or_else(|| file_name.strip_suffix(".SQL"))
        .ok_or_else(|| "not a .sql file".to_string())?;
    let (stem, style) = if let Some(s) = stem.strip_suffix(".up") {
        (s, NameStyle::Up)
    } else if let Some(s) = stem.strip_suffix(".down") {
        (s, NameStyle::Down)
    } else {
        (stem, NameStyle::Plain)
    };
    let (digits, name, style) = if let Some(rest) = stem
        .strip_prefix('V')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()) && style == NameStyle::Plain)
    {
        let (d, n) = rest.split_once("__").ok_or_else(|| {
            "a V-prefixed name needs two underscores: V{version}__{name}".to_string()
        })?;
        (d, n, NameStyle::Flyway)
    } else {
        let end = stem
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(stem.len());
        if end == 0 {
            return Err("the name does not start with a version number".into());
        }
        let rest = &stem[end..];
        let n = rest.strip_prefix('_').ok_or_else(|| {
            format!(
                "the version {} must be followed by `_` and a name",
                &stem[..end]
            )
        })?;
        (&stem[..end], n, style)
    };
    if name.is_empty() {
        return Err("the name after the version is empty".into());
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the version must be digits".into());
    }
    let version: Version = digits.parse()?;
    if version.0 == 0 {
        return Err(
            "the version must be a positive integer (0 is reserved for \"nothing applied\")".into(),
        );
    }
    Ok(ParsedName {
        version,
        version_text: digits.to_string(),
        name: name.to_string(),
        style,
    })
}

/// Parses a migration folder's name: `{version}_{name}`, where the version may be written with
/// dashes as Diesel writes its timestamps (`2024-01-01-120000_create_users` is version
/// 20240101120000). The error says what is wrong with it.
pub fn parse_folder_name(folder: &str) -> Result<ParsedName, String> {
    if !folder.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("the name does not start with a version number".into());
    }
    let (version_part, name) = folder
        .split_once('_')
        .ok_or_else(|| "the folder name needs a version, `_` and a name".to_string())?;
    if !version_part
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-')
        || version_part.ends_with('-')
        || version_part.contains("--")
    {
        return Err(format!(
            "`{version_part}` is not a version (digits, optionally grouped with single dashes)"
        ));
    }
    if name.is_empty() {
        return Err("the name after the version is empty".into());
    }
    let digits: String = version_part.chars().filter(char::is_ascii_digit).collect();
    let version: Version = digits.parse()?;
    if version.0 == 0 {
        return Err(
            "version 0 is reserved (`strata down --to 0` means \"roll back everything\"); renumber the folder, e.g. 00000000000001_name".into(),
        );
    }
    Ok(ParsedName {
        version,
        version_text: digits,
        name: name.to_string(),
        style: NameStyle::Folder,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_names() {
        let p = parse_migration_name("001_create_core_tables.sql").unwrap();
        assert_eq!(
            (p.version, p.name.as_str(), p.style),
            (Version(1), "create_core_tables", NameStyle::Plain)
        );
        let p = parse_migration_name("V12__add_wallet.sql").unwrap();
        assert_eq!((p.version, p.style), (Version(12), NameStyle::Flyway));
        let p = parse_migration_name("20260101120000_add.up.sql").unwrap();
        assert_eq!(p.style, NameStyle::Up);
        let p = parse_migration_name("20260101120000_add.down.sql").unwrap();
        assert_eq!(p.style, NameStyle::Down);
        let p = parse_migration_name("20230101_langchain@embedding_search-1.1.1.sql").unwrap();
        assert_eq!(p.name, "langchain@embedding_search-1.1.1");
        let p = parse_migration_name("20241029153900000001_identities.sql").unwrap();
        assert_eq!(p.version.0, 20241029153900000001);
    }

    #[test]
    fn folder_names() {
        let p = parse_folder_name("20240101120000_create_users").unwrap();
        assert_eq!(
            (p.version.0, p.name.as_str(), p.style),
            (20240101120000, "create_users", NameStyle::Folder)
        );
        let p = parse_folder_name("2024-01-01-120000_create_posts").unwrap();
        assert_eq!(p.version.0, 20240101120000);
        assert_eq!(p.version_text, "20240101120000");
        for (bad, why) in [
            ("create_users", "does not start with a version"),
            ("001", "needs a version"),
            ("001_", "name after the version is empty"),
            ("2024--01_x", "not a version"),
            ("2024-_x", "not a version"),
            (
                "00000000000000_diesel_initial_setup",
                "version 0 is reserved",
            ),
            ("12a_x", "not a version"),
        ] {
            let e = parse_folder_name(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn rejected_names() {
        for bad in [
            "create.sql",
            "0002-storage-schema.sql",
            "001_.sql",
            "001.sql",
            "000_zero.sql",
            "V1_single.sql",
            "Vx__a.sql",
        ] {
            assert!(
                parse_migration_name(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
