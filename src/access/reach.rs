//! What the catalog lets the API roles reach, per table (or view) and command: the effective
//! side of the contract comparison, computed by `audit::reach` and judged by
//! [`super::compare`], diffed by [`super::delta`], written out by [`super::write`].
//!
//! A policy expression is not always fully classified, so a reach is an interval: `lo` is the
//! widest level ordinary users certainly get, `hi` the widest they may get (equal when every
//! part was classified). Each [`Source`] says which role, policy or grant opens it.

use super::level::{Command, Level};
use serde::Serialize;

/// How a role gets at the rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "kebab-case")]
pub enum Via {
    /// A permissive policy; `clause` is `USING` or `WITH CHECK`.
    Policy { name: String, clause: String },
    /// A privilege on a table whose row-level security is disabled.
    NoRls,
    /// The role skips the policies (`owner`, `BYPASSRLS`, `member of the owner …`).
    Bypass { reason: String },
    /// A view or materialized view that reads other tables with its owner's rights.
    View { reason: String },
}

impl Via {
    pub fn describe(&self) -> String {
        match self {
            Via::Policy { name, clause } => {
                format!("policy {} ({clause})", crate::sql::quote_ident(name))
            }
            Via::NoRls => "row-level security disabled".into(),
            Via::Bypass { reason } => format!("bypasses row-level security: {reason}"),
            Via::View { reason } => reason.clone(),
        }
    }
}

/// One way a role reaches rows of a table with a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The API role (`anon`, `authenticated`, or the `setting` role).
    pub role: String,
    pub lo: Level,
    pub hi: Level,
    /// Admins (a user guard such as `is_admin()`) reach every row through it.
    pub admin: bool,
    #[serde(flatten)]
    pub via: Via,
    /// The privilege that lets the role run the command at all: `GRANT UPDATE TO authenticated`.
    pub grant: String,
    /// How the expression was read: `owner test on user_id OR constant true`.
    pub reading: String,
}

impl Source {
    /// `authenticated via policy notes_update (USING): owner test on user_id OR constant true`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} via {}", self.role, self.via.describe());
        if !self.reading.is_empty() {
            s.push_str(&format!(": {}", self.reading));
        }
        s
    }
}

/// What the API roles may do with one table and command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub table: String,
    pub command: Command,
    pub lo: Level,
    pub hi: Level,
    /// Admins reach every row (through a user guard).
    pub admin_any_row: bool,
    pub sources: Vec<Source>,
}

impl Reach {
    /// No API role reaches anything.
    pub fn none(table: &str, command: Command) -> Reach {
        Reach {
            table: table.to_string(),
            command,
            lo: Level::None,
            hi: Level::None,
            admin_any_row: false,
            sources: Vec::new(),
        }
    }

    /// Fully classified.
    pub fn exact(&self) -> bool {
        self.lo == self.hi
    }

    /// `owner`, or `owner..public` when not fully classified, `+admin` when admins reach every
    /// row beyond it.
    pub fn label(&self) -> String {
        let mut s = if self.exact() {
            self.hi.to_string()
        } else {
            format!("{}..{}", self.lo, self.hi)
        };
        if self.admin_any_row && !self.hi.any_row() && self.hi != Level::Admin {
            s.push_str("+admin");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let mut r = Reach::none("public.t", Command::Select);
        assert_eq!(r.label(), "none");
        r.lo = Level::Owner;
        r.hi = Level::Owner;
        r.admin_any_row = true;
        assert_eq!(r.label(), "owner+admin");
        r.hi = Level::Public;
        assert_eq!(r.label(), "owner..public");
    }
}
