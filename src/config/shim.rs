//! `[auth] shim` (which parts of the Supabase shim strata may install) and `[local]` (which
//! PostgreSQL major version the local development database runs).
//!
//! Owns: parsing and printing these two settings. Must not: decide when the shim is needed
//! (that is `auth::detect`) or find binaries (that is `localdb`).

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// One part of the Supabase shim (docs/supabase-shim.md).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    strum::EnumString,
    strum::Display,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum ShimPart {
    /// Roles `anon`, `authenticated`, `service_role`, `authenticator`; schema `auth` with
    /// `users`, `identities` and the claim functions; Supabase's default privileges on `public`.
    Auth,
    /// Schema `extensions` with `pgcrypto` and `uuid-ossp`, on the database's `search_path`.
    Extensions,
    /// Schema `storage`: `buckets`, `objects`, `foldername()`, `filename()`, `extension()`.
    Storage,
    /// Schema `vault`: `secrets`, `decrypted_secrets`, `create_secret()`, `update_secret()`
    /// (stand-ins: nothing is encrypted).
    Vault,
}

/// `[auth] shim`: `true` (every part, the default), `false` (none), or a list of parts such as
/// `["auth", "extensions"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShimConfig {
    parts: Vec<ShimPart>,
}

impl ShimConfig {
    /// Every part.
    pub fn all() -> ShimConfig {
        ShimConfig {
            parts: <ShimPart as strum::VariantArray>::VARIANTS.to_vec(),
        }
    }

    /// No part: the shim is off.
    pub fn none() -> ShimConfig {
        ShimConfig { parts: Vec::new() }
    }

    /// Exactly these parts.
    pub fn only(parts: &[ShimPart]) -> ShimConfig {
        let mut parts = parts.to_vec();
        parts.sort();
        parts.dedup();
        ShimConfig { parts }
    }

    pub fn enabled(&self, part: ShimPart) -> bool {
        self.parts.contains(&part)
    }

    /// Whether any part may be installed.
    pub fn any(&self) -> bool {
        !self.parts.is_empty()
    }

    pub fn parts(&self) -> &[ShimPart] {
        &self.parts
    }
}

impl Default for ShimConfig {
    fn default() -> Self {
        ShimConfig::all()
    }
}

impl fmt::Display for ShimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.parts.iter().map(|p| p.into()).collect();
        write!(f, "[{}]", names.join(", "))
    }
}

impl<'de> Deserialize<'de> for ShimConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ShimConfig;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "true, false, or a list of shim parts: \"auth\", \"extensions\", \"storage\", \"vault\"",
                )
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ShimConfig, E> {
                Ok(if v {
                    ShimConfig::all()
                } else {
                    ShimConfig::none()
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ShimConfig, A::Error> {
                let mut parts = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    let part = name.parse::<ShimPart>().map_err(|_| {
                        de::Error::invalid_value(
                            de::Unexpected::Str(&name),
                            &"a shim part: \"auth\", \"extensions\", \"storage\" or \"vault\"",
                        )
                    })?;
                    parts.push(part);
                }
                Ok(ShimConfig::only(&parts))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[local]`: the project's local development database.
///
/// ```toml
/// [local]
/// version = 17        # PostgreSQL major version, chosen among the installed ones
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Local {
    /// The major version (`"17"`); `None`: the server found first.
    #[serde(deserialize_with = "major_version")]
    pub version: Option<String>,
}

fn major_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a PostgreSQL major version such as 17")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<String>, E> {
            if (10..=99).contains(&v) {
                Ok(Some(v.to_string()))
            } else {
                Err(E::invalid_value(de::Unexpected::Signed(v), &self))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
            match v.trim().parse::<i64>() {
                Ok(n) => self.visit_i64(n),
                Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        shim: ShimConfig,
    }

    fn shim(toml_text: &str) -> Result<ShimConfig, String> {
        toml::from_str::<T>(toml_text)
            .map(|t| t.shim)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn shim_is_a_switch_or_a_list_of_parts() {
        assert_eq!(shim("shim = true").unwrap(), ShimConfig::all());
        assert_eq!(shim("shim = false").unwrap(), ShimConfig::none());
        let some = shim(r#"shim = ["extensions", "auth", "auth"]"#).unwrap();
        assert_eq!(some.parts(), &[ShimPart::Auth, ShimPart::Extensions]);
        assert!(some.enabled(ShimPart::Auth) && !some.enabled(ShimPart::Storage));
        assert_eq!(some.to_string(), "[auth, extensions]");
        assert!(!shim("shim = []").unwrap().any());
        let err = shim(r#"shim = ["auth", "realtime"]"#).unwrap_err();
        assert!(
            err.contains("realtime") && err.contains("\"storage\""),
            "{err}"
        );
        let err = shim("shim = 3").unwrap_err();
        assert!(err.contains("true, false, or a list"), "{err}");
    }

    #[test]
    fn local_version_is_a_major_version() {
        let v = |t: &str| toml::from_str::<Local>(t).map_err(|e| e.to_string());
        assert_eq!(v("version = 17").unwrap().version.as_deref(), Some("17"));
        assert_eq!(
            v("version = \"16\"").unwrap().version.as_deref(),
            Some("16")
        );
        assert_eq!(v("").unwrap().version, None);
        assert!(v("version = 170").unwrap_err().contains("major version"));
        assert!(v("version = \"latest\"")
            .unwrap_err()
            .contains("major version"));
    }
}
