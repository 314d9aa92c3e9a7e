//! `.env` files: `KEY=value` lines, `export KEY=value`, `#` comments, single or double quotes.
//! Values are taken literally (no nested expansion), as docker-compose and dotenv do by default.

use super::ConfigError;
use std::collections::BTreeMap;
use std::path::Path;

pub fn parse_env_file(path: &Path, text: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut vars = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let bad = || ConfigError::EnvFile {
            path: path.to_path_buf(),
            line: i + 1,
            text: raw.to_string(),
        };
        let (key, value) = line.split_once('=').ok_or_else(bad)?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad());
        }
        let value = value.trim();
        let value = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            value[1..value.len() - 1].to_string()
        } else {
            // an unquoted value ends at ` #`
            match value.find(" #") {
                Some(i) => value[..i].trim_end().to_string(),
                None => value.to_string(),
            }
        };
        vars.insert(key.to_string(), value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let v = parse_env_file(
            Path::new(".env"),
            "# c\nA=1\nexport B=\"two words\"\nC='x#y' \nD=plain # comment\n\n",
        )
        .unwrap();
        assert_eq!(v["A"], "1");
        assert_eq!(v["B"], "two words");
        assert_eq!(v["C"], "x#y");
        assert_eq!(v["D"], "plain");
    }

    #[test]
    fn rejects_garbage_with_line() {
        let e = parse_env_file(Path::new(".env"), "A=1\nnot a line\n").unwrap_err();
        assert!(e.to_string().contains(".env:2"), "{e}");
    }
}
