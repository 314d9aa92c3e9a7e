//! Access levels and the four commands, the vocabulary the contract, the matrix and the probe
//! share.
//!
//! Levels are ordered from narrowest to widest (`none` < `admin` < `owner` < `tenant` <
//! `signed-in` < `public`, SPEC 4a), so "wider than the contract" is a comparison. Their
//! strings round-trip through `Display`/`FromStr` and are what the file, the text report and
//! JSON show.

use serde::{Serialize, Serializer};

/// Who, among ordinary users, may use a command on a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// No API role at all; only roles that bypass row-level security.
    None,
    /// Only the listed admins.
    Admin,
    /// The row's owner only.
    Owner,
    /// Members of the row's tenant.
    Tenant,
    /// Any signed-in user, any row.
    SignedIn,
    /// Signed-out visitors and signed-in users, any row.
    Public,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::None,
        Level::Admin,
        Level::Owner,
        Level::Tenant,
        Level::SignedIn,
        Level::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Admin => "admin",
            Level::Owner => "owner",
            Level::Tenant => "tenant",
            Level::SignedIn => "signed-in",
            Level::Public => "public",
        }
    }

    /// Who the level lets in, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Level::None => "no API role",
            Level::Admin => "only admins",
            Level::Owner => "the row's owner",
            Level::Tenant => "members of the row's tenant",
            Level::SignedIn => "any signed-in user, on any row",
            Level::Public => "anyone, signed out too, on any row",
        }
    }

    /// The level holds for every row (no row is singled out).
    pub fn any_row(self) -> bool {
        matches!(self, Level::SignedIn | Level::Public)
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown level `{s}`; expected one of {}",
                    Level::ALL.map(|l| format!("`{l}`")).join(", ")
                )
            })
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The four commands of the matrix and the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Command {
    Select,
    Insert,
    Update,
    Delete,
}

impl Command {
    pub const ALL: [Command; 4] = [
        Command::Select,
        Command::Insert,
        Command::Update,
        Command::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Command::Select => "SELECT",
            Command::Insert => "INSERT",
            Command::Update => "UPDATE",
            Command::Delete => "DELETE",
        }
    }

    /// The contract's word for it: `read`, `insert`, `update`, `delete`.
    pub fn contract_word(self) -> &'static str {
        match self {
            Command::Select => "read",
            Command::Insert => "insert",
            Command::Update => "update",
            Command::Delete => "delete",
        }
    }

    /// Index into per-command arrays.
    pub fn index(self) -> usize {
        match self {
            Command::Select => 0,
            Command::Insert => 1,
            Command::Update => 2,
            Command::Delete => 3,
        }
    }

    /// `read`/`select`, `insert`, `update`, `delete`, or `write` (the three writes).
    pub fn from_contract_word(w: &str) -> Option<Vec<Command>> {
        Some(match w {
            "read" | "select" => vec![Command::Select],
            "insert" => vec![Command::Insert],
            "update" => vec![Command::Update],
            "delete" => vec![Command::Delete],
            "write" => vec![Command::Insert, Command::Update, Command::Delete],
            "all" => Command::ALL.to_vec(),
            _ => return None,
        })
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_and_are_ordered_narrow_to_wide() {
        for l in Level::ALL {
            assert_eq!(l.as_str().parse::<Level>(), Ok(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap_or_default(),
                format!("\"{l}\"")
            );
        }
        assert!(Level::None < Level::Admin);
        assert!(Level::Admin < Level::Owner);
        assert!(Level::Owner < Level::Tenant);
        assert!(Level::Tenant < Level::SignedIn);
        assert!(Level::SignedIn < Level::Public);
        let e = "ownr".parse::<Level>().err().unwrap_or_default();
        assert!(
            e.contains("unknown level `ownr`") && e.contains("`signed-in`"),
            "{e}"
        );
    }

    #[test]
    fn contract_words() {
        assert_eq!(
            Command::from_contract_word("write"),
            Some(vec![Command::Insert, Command::Update, Command::Delete])
        );
        assert_eq!(
            Command::from_contract_word("read"),
            Some(vec![Command::Select])
        );
        assert_eq!(Command::from_contract_word("selct"), None);
        for c in Command::ALL {
            assert_eq!(
                Command::from_contract_word(c.contract_word()),
                Some(vec![c])
            );
            assert_eq!(Command::ALL[c.index()], c);
        }
    }
}
