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
        let bad = |reason: &'static str| {
            // Whatever the line holds, it is never printed; its secrets are remembered so that
            // they are masked should they turn up in any other message.
            crate::secret::register_connection_string(line);
            let first = line
                .split(|c: char| c == '=' || c.is_whitespace())
                .next()
                .unwrap_or("");
            ConfigError::EnvFile {
                path: path.to_path_buf(),
                line: i + 1,
                key: is_name(first).then(|| first.to_string()),
                reason,
            }
        };
        let (key, value) = line.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let key = key.trim();
        if !is_name(key) {
            return Err(bad("the part before `=` is not a variable name"));
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
        crate::secret::register_env_value(key, &value);
        vars.insert(key.to_string(), value);
    }
    Ok(vars)
}

/// A variable name: letters, digits and `_`, not empty.
fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
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
    fn rejects_garbage_with_line_but_never_shows_it() {
        let e = parse_env_file(Path::new(".env"), "A=1\nnot a line\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(".env:2: invalid .env line starting with `not`: no `=`"),
            "{text}"
        );
        assert!(!text.contains("a line"), "{text}");
        let e = parse_env_file(
            Path::new(".env"),
            "DATABASE_URL postgres://u:Wq8hidden@h/db\n",
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("starting with `DATABASE_URL`"), "{text}");
        assert!(!text.contains("Wq8hidden"), "{text}");
        let e = parse_env_file(Path::new(".env"), "postgres://u:Wq9hidden@h/db\n").unwrap_err();
        let text = e.to_string();
        assert!(
            !text.contains("Wq9hidden") && !text.contains("starting with"),
            "{text}"
        );
        assert_eq!(
            crate::secret::mask("echo Wq9hidden"),
            "echo ***",
            "the secret of a bad line is remembered"
        );
    }
}
