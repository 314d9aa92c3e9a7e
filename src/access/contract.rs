//! The access contract as data: who the principals are, the tenant relations, and per table the
//! level of each command, its owner and tenant, admin extras and per-column narrowing.
//!
//! Built by `parse` from `policies/access.toml`; read by the audit (comparison, probe) and
//! written back by `write`. Table keys are catalog keys (`schema.name`, each part quoted only
//! where PostgreSQL would quote it), so lookups need no normalising.

use super::level::{Command, Level};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A position in the contract file (1-based), kept for messages about a table or a column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Principals {
    /// Ordinary users the probe acts as (ids as the auth model sees them).
    pub users: Vec<String>,
    /// Users with elevated rights: never used as attackers.
    pub admins: Vec<String>,
    /// JSON claims that make a user an admin (`{"app_metadata": {"role": "admin"}}`).
    pub admin_claims: Option<serde_json::Value>,
}

/// `[tenants.NAME]`: a membership relation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantRelation {
    pub name: String,
    /// The membership table's key.
    pub table: String,
    /// Its column naming the tenant.
    pub tenant: String,
    /// Its column(s) naming the member (several for relations such as mentor/mentee).
    pub users: Vec<String>,
    pub pos: Pos,
}

/// How a row's owner is found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OwnerRef {
    /// A column of the row itself.
    Column { column: String },
    /// Through a parent row: `post_id -> public.posts.user_id`.
    Parent {
        column: String,
        parent: String,
        parent_column: String,
    },
}

impl OwnerRef {
    /// The column of the row itself (the foreign key for a parent owner).
    pub fn column(&self) -> &str {
        match self {
            OwnerRef::Column { column } | OwnerRef::Parent { column, .. } => column,
        }
    }
}

impl std::fmt::Display for OwnerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OwnerRef::Column { column } => f.write_str(column),
            OwnerRef::Parent {
                column,
                parent,
                parent_column,
            } => write!(f, "{column} -> {parent}.{parent_column}"),
        }
    }
}

/// `tenant = "team.team_id"`: relation `team`, this table's column `team_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRef {
    pub relation: String,
    pub column: String,
}

/// Levels per command (unset ones come from `[defaults]`) and admin extras.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rules {
    /// Indexed by `Command::index`.
    pub levels: [Option<Level>; 4],
    /// `admin = [...]`: what admins may do on every row beyond the levels. `None` when unset.
    pub admin: Option<BTreeSet<Command>>,
}

/// A column narrower than its table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ColumnRules {
    pub read: Option<Level>,
    /// Bounds INSERT and UPDATE of the column.
    pub write: Option<Level>,
    pub pos: Pos,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableContract {
    pub key: String,
    pub owner: Vec<OwnerRef>,
    pub tenant: Option<TenantRef>,
    pub rules: Rules,
    pub columns: BTreeMap<String, ColumnRules>,
    pub pos: Pos,
}

/// The whole contract.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Contract {
    /// The file as the user names it (`policies/access.toml`), for messages.
    pub path: String,
    pub principals: Principals,
    pub tenants: BTreeMap<String, TenantRelation>,
    pub defaults: Rules,
    pub tables: BTreeMap<String, TableContract>,
    /// `[functions] trusted`: function keys (`public.is_admin()`) or bare names
    /// (`public.is_admin`, every overload).
    pub trusted: Vec<String>,
}

/// A table's contract with `[defaults]` applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved<'a> {
    pub key: &'a str,
    /// Listed under `[tables]` (else covered by `[defaults]`).
    pub listed: bool,
    pub levels: [Level; 4],
    pub admin: BTreeSet<Command>,
    pub owner: &'a [OwnerRef],
    pub tenant: Option<&'a TenantRef>,
    pub columns: Option<&'a BTreeMap<String, ColumnRules>>,
    pub pos: Pos,
}

impl Resolved<'_> {
    pub fn level(&self, cmd: Command) -> Level {
        self.levels[cmd.index()]
    }

    /// Admins may use `cmd` on every row: the level is `admin` or wider than row-scoped, or
    /// `cmd` is an admin extra.
    pub fn admin_any_row(&self, cmd: Command) -> bool {
        let l = self.level(cmd);
        l == Level::Admin || l.any_row() || self.admin.contains(&cmd)
    }
}

impl Contract {
    /// The contract for a table: its own entry over `[defaults]`; a command set in neither is
    /// `none`.
    pub fn resolve<'a>(&'a self, key: &'a str) -> Resolved<'a> {
        let t = self.tables.get(key);
        let mut levels = [Level::None; 4];
        for c in Command::ALL {
            let i = c.index();
            levels[i] = t
                .and_then(|t| t.rules.levels[i])
                .or(self.defaults.levels[i])
                .unwrap_or(Level::None);
        }
        let admin = t
            .and_then(|t| t.rules.admin.clone())
            .or_else(|| self.defaults.admin.clone())
            .unwrap_or_default();
        Resolved {
            key,
            listed: t.is_some(),
            levels,
            admin,
            owner: t.map(|t| t.owner.as_slice()).unwrap_or(&[]),
            tenant: t.and_then(|t| t.tenant.as_ref()),
            columns: t.map(|t| &t.columns),
            pos: t.map(|t| t.pos).unwrap_or_default(),
        }
    }

    /// A function is listed as trusted, by key or by name (every overload).
    pub fn trusts(&self, function_key: &str) -> bool {
        let name = function_key
            .split_once('(')
            .map_or(function_key, |(n, _)| n);
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let key = squash(function_key);
        self.trusted
            .iter()
            .any(|t| squash(t) == key || t.as_str() == name)
    }

    pub fn is_admin(&self, user: &str) -> bool {
        self.principals.admins.iter().any(|a| a == user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_falls_back_to_defaults_then_none() {
        let mut c = Contract::default();
        c.defaults.levels[Command::Select.index()] = Some(Level::Owner);
        c.defaults.admin = Some(BTreeSet::from([Command::Delete]));
        let mut t = TableContract {
            key: "public.posts".into(),
            ..Default::default()
        };
        t.rules.levels[Command::Select.index()] = Some(Level::Public);
        c.tables.insert(t.key.clone(), t);
        let r = c.resolve("public.posts");
        assert!(r.listed);
        assert_eq!(r.level(Command::Select), Level::Public);
        assert_eq!(r.level(Command::Insert), Level::None);
        assert!(r.admin_any_row(Command::Delete));
        assert!(r.admin_any_row(Command::Select)); // public: every row anyway
        assert!(!r.admin_any_row(Command::Insert));
        let u = c.resolve("public.other");
        assert!(!u.listed);
        assert_eq!(u.level(Command::Select), Level::Owner);
    }

    #[test]
    fn trusted_by_key_or_name() {
        let c = Contract {
            trusted: vec!["public.is_admin()".into(), "public.member_of".into()],
            ..Default::default()
        };
        assert!(c.trusts("public.is_admin()"));
        assert!(c.trusts("public.member_of(uuid)"));
        assert!(c.trusts("public.member_of(uuid, text)"));
        assert!(!c.trusts("public.is_admin(uuid)"));
        assert!(!c.trusts("public.is_admin_too()"));
    }
}
