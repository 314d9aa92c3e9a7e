//! The probe's pure half: who attacks (principals), what each may do by the contract (as SQL
//! predicates over a row `x`, evaluated as the connecting role), the statements each attempt
//! sends, and how an outcome is judged. No database.
//!
//! Every SQL text here quotes identifiers with `quote_ident` and passes values as parameters
//! (`$1`, `$2`), so hostile table, column or user names cannot change a statement.

use crate::access::contract::TenantRelation;
use crate::access::{Command, Contract, Level, OwnerRef, Resolved};
use crate::catalog::{Catalog, ConstraintKind, Table};
use crate::db::PgFailure;
use crate::sql::quote_ident;
use serde::Serialize;

/// Who the probe acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    /// A user listed in the contract (or found in the data without one).
    User,
    /// A signed-in user who owns nothing and belongs to no tenant.
    Outsider,
    /// No user: `anon`, or the `setting` role without the setting.
    SignedOut,
    /// The `setting` role with the setting set to the empty string.
    SignedOutEmpty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// `user 11111111-…`, `outsider`, `signed-out`, `signed-out (empty setting)`.
    pub label: String,
    /// The user id; none when signed out.
    pub id: Option<String>,
    /// The database role acted as.
    pub role: String,
    pub kind: PrincipalKind,
}

impl Principal {
    pub fn signed_in(&self) -> bool {
        matches!(self.kind, PrincipalKind::User | PrincipalKind::Outsider)
    }
}

/// What an attempt tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Read rows it may not read.
    Read,
    /// Change rows it may not change.
    Update,
    /// Make rows of others its own (`UPDATE … SET owner = me`, no WHERE).
    TakeOver,
    /// Delete rows it may not delete.
    Delete,
    /// Insert a row owned by someone else.
    InsertForeign,
    /// Give one of its own rows to another owner or tenant.
    Move,
    /// Call a SECURITY DEFINER function with another user's id.
    Call,
    /// Use what the contract allows (read, change, delete, insert its own rows).
    Allowed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Update => "update",
            Kind::TakeOver => "take-over",
            Kind::Delete => "delete",
            Kind::InsertForeign => "insert-foreign",
            Kind::Move => "move",
            Kind::Call => "call",
            Kind::Allowed => "allowed",
        }
    }
}

/// What one attempt did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Filtered (0 rows) or refused (42501): the contract held.
    Denied { detail: String },
    /// Reached what the contract forbids.
    Leak { detail: String, rows: u64 },
    /// Something the contract allows was refused.
    ProbeDenied { detail: String },
    /// Allowed and it worked.
    Allowed { detail: String },
    /// An error that says neither.
    Inconclusive { detail: String },
    /// Not attempted.
    Skipped { reason: String },
}

/// A table the probe attacks, with its contract.
pub struct Target<'a> {
    pub key: &'a str,
    pub table: &'a Table,
    pub contract: Resolved<'a>,
    pub tenant: Option<&'a TenantRelation>,
}

impl Target<'_> {
    pub fn level(&self, cmd: Command) -> Level {
        self.contract.level(cmd)
    }

    /// The primary key's columns.
    pub fn pk(&self) -> Option<&[String]> {
        self.table
            .constraints
            .values()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
            .map(|c| c.columns.as_slice())
    }

    /// An expression over row `x` that addresses it in the attacker's statements: its primary
    /// key as JSON (a role granted only some columns cannot read `ctid`), else its `ctid`.
    pub fn address_sql(&self) -> String {
        match self.pk() {
            Some(pk) if !pk.is_empty() => format!(
                "jsonb_build_object({})::text",
                pk.iter()
                    .map(|c| format!("{}, x.{}", crate::sql::quote_literal(c), quote_ident(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => "x.ctid::text".into(),
        }
    }

    /// The WHERE condition matching the rows whose addresses are in `param` (a `text[]`).
    pub fn match_sql(&self, param: &str) -> String {
        match self.pk() {
            Some(pk) if !pk.is_empty() => {
                let cols: Vec<String> = pk.iter().map(|c| quote_ident(c)).collect();
                let r: Vec<String> = cols.iter().map(|c| format!("r.{c}")).collect();
                format!(
                    "({}) IN (SELECT {} FROM unnest({param}::text[]) a, jsonb_populate_record(NULL::{}, a::jsonb) r)",
                    cols.join(", "),
                    r.join(", "),
                    self.key
                )
            }
            _ => format!("ctid = ANY({param}::text[]::tid[])"),
        }
    }

    /// Columns that say who owns the row or which tenant it belongs to.
    pub fn ownership_columns(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .contract
            .owner
            .iter()
            .map(|o| o.column().to_string())
            .collect();
        if let Some(t) = self.contract.tenant {
            v.push(t.column.clone());
        }
        v.sort();
        v.dedup();
        v.retain(|c| self.table.column(c).is_some());
        v
    }
}

/// The single-column primary key of a table, for joining a parent.
fn single_pk(cat: &Catalog, key: &str) -> Option<String> {
    cat.tables
        .get(key)?
        .constraints
        .values()
        .find(|c| c.kind == ConstraintKind::PrimaryKey && c.columns.len() == 1)
        .map(|c| c.columns[0].clone())
}

/// `x` belongs to the user `$1`: one of the owner references holds `$1`.
fn owner_sql(cat: &Catalog, t: &Target<'_>) -> String {
    let parts: Vec<String> = t
        .contract
        .owner
        .iter()
        .map(|o| match o {
            OwnerRef::Column { column } => format!("x.{}::text = $1", quote_ident(column)),
            OwnerRef::Parent {
                column,
                parent,
                parent_column,
            } => match single_pk(cat, parent) {
                Some(pk) => format!(
                    "EXISTS (SELECT 1 FROM {parent} p WHERE p.{} = x.{} AND p.{}::text = $1)",
                    quote_ident(&pk),
                    quote_ident(column),
                    quote_ident(parent_column)
                ),
                None => "false".into(),
            },
        })
        .collect();
    if parts.is_empty() {
        "false".into()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

/// `x` is in a tenant the user `$1` is a member of.
fn tenant_sql(t: &Target<'_>) -> String {
    match (t.contract.tenant, t.tenant) {
        (Some(tr), Some(rel)) => {
            let members: Vec<String> = rel
                .users
                .iter()
                .map(|u| format!("m.{}::text = $1", quote_ident(u)))
                .collect();
            format!(
                "x.{} IN (SELECT m.{} FROM {} m WHERE {})",
                quote_ident(&tr.column),
                quote_ident(&rel.tenant),
                rel.table,
                members.join(" OR ")
            )
        }
        _ => "false".into(),
    }
}

/// What the contract lets a principal do with row `x` (`$1` is the user id, NULL signed out).
pub fn allowed_sql(cat: &Catalog, t: &Target<'_>, cmd: Command, signed_in: bool) -> String {
    match t.level(cmd) {
        Level::Public => "true".into(),
        Level::SignedIn => signed_in.to_string(),
        // Members of the row's tenant, and only them: the level also bounds the values a
        // written row may take, so its tenant must be one of the user's own.
        Level::Tenant if signed_in => format!("({})", tenant_sql(t)),
        // The row's owner, and on a table with tenants only inside the owner's tenants (owner
        // is narrower than tenant): a row moved to another tenant is no longer the owner's to
        // keep.
        Level::Owner if signed_in => match t.contract.tenant {
            Some(tr) if t.tenant.is_some() => format!(
                "({} AND (x.{} IS NULL OR {}))",
                owner_sql(cat, t),
                quote_ident(&tr.column),
                tenant_sql(t)
            ),
            _ => owner_sql(cat, t),
        },
        _ => "false".into(),
    }
}

/// One query: per command, the rows the principal may NOT use and those it may, each as ctids
/// (for the connecting role's checks) and as addresses (for the attacker's statements).
pub fn partition_sql(cat: &Catalog, t: &Target<'_>, signed_in: bool) -> String {
    let mut cols = Vec::new();
    let addr = t.address_sql();
    for cmd in Command::ALL {
        let a = allowed_sql(cat, t, cmd, signed_in);
        for (cond, what) in [
            (format!("NOT coalesce({a}, false)"), "x.ctid::text"),
            (format!("NOT coalesce({a}, false)"), addr.as_str()),
            (format!("coalesce({a}, false)"), "x.ctid::text"),
            (format!("coalesce({a}, false)"), addr.as_str()),
        ] {
            cols.push(format!(
                "coalesce(array_agg({what} ORDER BY x.ctid) FILTER (WHERE {cond}), '{{}}')"
            ));
        }
    }
    format!("SELECT {} FROM {} x", cols.join(", "), t.key)
}

/// Counts the rows the principal may not use with `cmd` (after an attempt: did it add some?).
pub fn count_forbidden_sql(cat: &Catalog, t: &Target<'_>, cmd: Command, signed_in: bool) -> String {
    format!(
        "SELECT count(*) FROM {} x WHERE NOT coalesce({}, false)",
        t.key,
        allowed_sql(cat, t, cmd, signed_in)
    )
}

/// Counts which of the rows (`$1`, ctids) are still there, unchanged.
pub fn count_ctids_sql(key: &str) -> String {
    format!("SELECT count(*) FROM {key} WHERE ctid = ANY($1::text[]::tid[])")
}

/// The keyed attempts on the rows `$1` (addresses): read, update (a column set to itself),
/// delete.
pub fn keyed_sql(t: &Target<'_>, cmd: Command, set_column: &str) -> String {
    let key = t.key;
    let m = t.match_sql("$1");
    match cmd {
        Command::Select => format!("SELECT count(*) FROM {key} WHERE {m}"),
        Command::Update => format!(
            "UPDATE {key} SET {c} = {c} WHERE {m}",
            c = quote_ident(set_column)
        ),
        Command::Delete => format!("DELETE FROM {key} WHERE {m}"),
        Command::Insert => String::new(),
    }
}

/// The statements a client sends without reading anything, so only the UPDATE/DELETE policies
/// apply (not the SELECT ones): `UPDATE t SET owner = $1` (a take-over), `UPDATE t SET c =
/// DEFAULT`, `DELETE FROM t`.
pub fn blind_update_owner_sql(key: &str, column: &str, data_type: &str) -> String {
    format!(
        "UPDATE {key} SET {} = CAST($1::text AS {data_type})",
        quote_ident(column)
    )
}

pub fn blind_update_default_sql(key: &str, column: &str) -> String {
    format!("UPDATE {key} SET {} = DEFAULT", quote_ident(column))
}

pub fn blind_delete_sql(key: &str) -> String {
    format!("DELETE FROM {key}")
}

/// Inserts the row `$1` (JSON), only the listed columns (the rest take their defaults).
pub fn insert_sql(key: &str, columns: &[String]) -> String {
    let list = columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {key} ({list}) OVERRIDING SYSTEM VALUE SELECT {list} FROM jsonb_populate_record(NULL::{key}, $1::jsonb)"
    )
}

/// Sets the columns of the row `$1` (a one-element address array) to the values they have in
/// the JSON row `$2`.
pub fn move_sql(t: &Target<'_>, columns: &[String]) -> String {
    let key = t.key;
    let sets = columns
        .iter()
        .map(|c| {
            let q = quote_ident(c);
            format!("{q} = (SELECT r.{q} FROM jsonb_populate_record(NULL::{key}, $2::jsonb) r)")
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("UPDATE {key} SET {sets} WHERE {}", t.match_sql("$1"))
}

/// Sets the columns of every row the role may update (no WHERE: the SELECT policies do not
/// apply to the new rows) to the values they have in the JSON row `$1`.
pub fn move_blind_sql(key: &str, columns: &[String]) -> String {
    let sets = columns
        .iter()
        .map(|c| {
            let q = quote_ident(c);
            format!("{q} = (SELECT r.{q} FROM jsonb_populate_record(NULL::{key}, $1::jsonb) r)")
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("UPDATE {key} SET {sets}")
}

/// A row as JSON (`$1`, a ctid).
pub fn row_json_sql(key: &str) -> String {
    format!("SELECT to_jsonb(x) FROM {key} x WHERE ctid = $1::text::tid")
}

/// Distinct owners (text) of the rows `$1` (ctids), a few, for messages.
pub fn owners_of_sql(key: &str, column: &str) -> String {
    format!(
        "SELECT DISTINCT {c}::text FROM {key} WHERE ctid = ANY($1::text[]::tid[]) AND {c} IS NOT NULL ORDER BY 1 LIMIT 3",
        c = quote_ident(column)
    )
}

/// Judges a read, an update or a delete of rows the principal may not use.
pub fn judge_forbidden(cmd: Command, result: Result<u64, PgFailure>, of: usize) -> Outcome {
    match (cmd, result) {
        (_, Ok(0)) => Outcome::Denied {
            detail: match cmd {
                Command::Select => format!("none of the {of} rows it may not read is visible"),
                _ => "0 rows affected".into(),
            },
        },
        (Command::Select, Ok(n)) => Outcome::Leak {
            detail: format!("read {n} of the {of} rows it may not read"),
            rows: n,
        },
        (Command::Update, Ok(n)) => Outcome::Leak {
            detail: format!("changed {n} of the {of} rows it may not change"),
            rows: n,
        },
        (Command::Delete, Ok(n)) => Outcome::Leak {
            detail: format!("deleted {n} of the {of} rows it may not delete"),
            rows: n,
        },
        (Command::Insert, Ok(n)) => Outcome::Leak {
            detail: format!("inserted {n} row(s) owned by someone else"),
            rows: n,
        },
        (_, Err(f)) if f.code == "42501" => Outcome::Denied {
            detail: format!("refused: {}", f.message),
        },
        // An integrity error on UPDATE/DELETE comes after the policies let the rows through.
        (Command::Update | Command::Delete, Err(f)) if f.code.starts_with("23") => Outcome::Leak {
            detail: format!("the policies let it reach rows it may not use; only a constraint stopped the statement: {f}"),
            rows: 0,
        },
        // The `setting` model's empty setting fails the cast in the policy: nothing happened.
        (_, Err(f)) if f.code == "22P02" => Outcome::Denied {
            detail: format!("the policy failed on the principal's setting: {}", f.message),
        },
        (_, Err(f)) => Outcome::Inconclusive {
            detail: f.to_string(),
        },
    }
}

/// Judges a use the contract allows (`n` rows reachable, `of` rows allowed).
pub fn judge_allowed(cmd: Command, result: Result<u64, PgFailure>, of: usize) -> Outcome {
    match result {
        Ok(0) if of > 0 || cmd == Command::Insert => Outcome::ProbeDenied {
            detail: match cmd {
                Command::Select => format!("sees none of the {of} rows the contract lets it read"),
                Command::Insert => "its own row was not inserted".into(),
                _ => format!(
                    "0 of the {of} rows the contract lets it {} were affected",
                    cmd.contract_word()
                ),
            },
        },
        Ok(n) => Outcome::Allowed {
            detail: format!("{n} row(s)"),
        },
        Err(f) if f.code == "42501" => Outcome::ProbeDenied {
            detail: format!("refused: {}", f.message),
        },
        Err(f) => Outcome::Inconclusive {
            detail: f.to_string(),
        },
    }
}

/// The table's unique keys: the primary key first, then unique constraints and unique, valid,
/// non-partial indexes on plain columns, as (`primary key` / `unique key`, columns).
pub fn unique_keys(cat: &Catalog, t: &Target<'_>) -> Vec<(&'static str, Vec<String>)> {
    let mut out: Vec<(&'static str, Vec<String>)> = Vec::new();
    if let Some(pk) = t.pk() {
        out.push(("primary key", pk.to_vec()));
    }
    for c in t.table.constraints.values() {
        if c.kind == ConstraintKind::Unique && !out.iter().any(|(_, x)| *x == c.columns) {
            out.push(("unique key", c.columns.clone()));
        }
    }
    for ix in cat.indexes.values() {
        if ix.table != t.key || !ix.unique || !ix.valid || ix.partial || ix.expression {
            continue;
        }
        if let Some(cols) = index_columns(&ix.definition) {
            if !out.iter().any(|(_, x)| *x == cols) {
                out.push(("unique key", cols));
            }
        }
    }
    out
}

/// The plain key columns of `CREATE … INDEX … USING method (a, b DESC)`; None with an expression.
fn index_columns(definition: &str) -> Option<Vec<String>> {
    let using = definition.find(" USING ")?;
    let rest = &definition[using..];
    let open = rest.find('(')?;
    let mut depth = 0;
    let mut end = None;
    for (i, ch) in rest[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &rest[open + 1..end?];
    inner
        .split(',')
        .map(|part| {
            let name = part.split_whitespace().next()?;
            if name.contains('(') {
                return None;
            }
            Some(name.trim_matches('"').to_string())
        })
        .collect()
}

/// SQL that returns a fresh value (text) for a key column of this type, computed from the data.
pub fn fresh_value_sql(key: &str, column: &str, data_type: &str) -> Option<String> {
    let c = quote_ident(column);
    Some(match data_type {
        "uuid" => "SELECT gen_random_uuid()::text".to_string(),
        "date" => format!("SELECT (coalesce(max({c}), CURRENT_DATE) + 1)::text FROM {key}"),
        _ if data_type.starts_with("timestamp") => {
            format!("SELECT (coalesce(max({c}), now()) + interval '1 second')::text FROM {key}")
        }
        "smallint" | "integer" | "bigint" | "numeric" => {
            format!("SELECT (coalesce(max({c}), 0) + 1)::text FROM {key}")
        }
        _ if data_type == "text" || data_type.starts_with("character varying") => {
            "SELECT 'strata-probe-' || substr(md5(random()::text), 1, 8)".to_string()
        }
        _ => return None,
    })
}

/// A value of the owner column's type for a signed-in user who owns nothing.
pub fn outsider_id(data_type: &str) -> String {
    match data_type {
        "uuid" => "00000000-5174-4a7a-8000-0000000005b1".into(),
        "smallint" | "integer" | "bigint" | "numeric" => "-424242".into(),
        _ => "strata-probe-outsider".into(),
    }
}

/// Without a contract: every table with an owner column is owner-only (today's heuristic).
pub fn heuristic_contract(
    owners: &std::collections::BTreeMap<String, Vec<crate::audit::OwnerColumn>>,
) -> Contract {
    let mut c = Contract {
        path: "(heuristic: no policies/access.toml)".into(),
        ..Default::default()
    };
    for (key, cols) in owners {
        let Some(first) = cols.first() else { continue };
        let mut t = crate::access::contract::TableContract {
            key: key.clone(),
            owner: vec![OwnerRef::Column {
                column: first.column.clone(),
            }],
            ..Default::default()
        };
        t.rules.levels = [Some(Level::Owner); 4];
        c.tables.insert(key.clone(), t);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::testkit::*;

    fn target<'a>(cat: &'a Catalog, c: &'a Contract, key: &'a str) -> Target<'a> {
        let res = c.resolve(key);
        let tenant = res.tenant.and_then(|t| c.tenants.get(&t.relation));
        Target {
            key,
            table: &cat.tables[key],
            contract: res,
            tenant,
        }
    }

    #[test]
    fn allowed_predicates_follow_the_levels() {
        let mut cat = catalog();
        add_table(&mut cat, user_table("notes"));
        add_table(&mut cat, user_table("team_members"));
        let c = contract(
            "[tenants.team]\ntable = \"public.team_members\"\ntenant = \"body\"\nuser = \"user_id\"\n\
             [tables.\"public.notes\"]\nowner = [\"user_id\", \"id -> public.team_members.user_id\"]\ntenant = \"team.body\"\n\
             read = \"public\"\ninsert = \"signed-in\"\nupdate = \"tenant\"\ndelete = \"owner\"\n",
        );
        let t = target(&cat, &c, "public.notes");
        assert_eq!(allowed_sql(&cat, &t, Command::Select, false), "true");
        assert_eq!(allowed_sql(&cat, &t, Command::Insert, false), "false");
        assert_eq!(allowed_sql(&cat, &t, Command::Insert, true), "true");
        assert_eq!(
            allowed_sql(&cat, &t, Command::Delete, true),
            "((x.user_id::text = $1 OR EXISTS (SELECT 1 FROM public.team_members p WHERE p.id = x.id AND p.user_id::text = $1)) AND (x.body IS NULL OR x.body IN (SELECT m.body FROM public.team_members m WHERE m.user_id::text = $1)))"
        );
        assert_eq!(allowed_sql(&cat, &t, Command::Delete, false), "false");
        assert_eq!(
            allowed_sql(&cat, &t, Command::Update, true),
            "(x.body IN (SELECT m.body FROM public.team_members m WHERE m.user_id::text = $1))"
        );
        assert_eq!(
            t.ownership_columns(),
            vec!["body".to_string(), "id".into(), "user_id".into()]
        );
        assert!(partition_sql(&cat, &t, true).starts_with("SELECT coalesce(array_agg(x.ctid::text ORDER BY x.ctid) FILTER (WHERE NOT coalesce(true, false)), '{}')"));
    }

    #[test]
    fn hostile_names_are_quoted() {
        let mut cat = catalog();
        let mut t = user_table("t; drop");
        t.constraints.clear();
        cat.tables.insert("public.\"t; drop\"".into(), t);
        let c = contract("[defaults]\nread = \"none\"\n");
        let target = target(&cat, &c, "public.\"t; drop\"");
        assert_eq!(
            keyed_sql(&target, Command::Update, "a\"b"),
            "UPDATE public.\"t; drop\" SET \"a\"\"b\" = \"a\"\"b\" WHERE ctid = ANY($1::text[]::tid[])"
        );
        assert_eq!(
            insert_sql("public.t", &["Owner".into(), "x".into()]),
            "INSERT INTO public.t (\"Owner\", x) OVERRIDING SYSTEM VALUE SELECT \"Owner\", x FROM jsonb_populate_record(NULL::public.t, $1::jsonb)"
        );
    }

    #[test]
    fn rows_are_addressed_by_primary_key() {
        let mut cat = catalog();
        add_table(&mut cat, user_table("notes"));
        let c = contract("[defaults]\nread = \"none\"\n");
        let t = target(&cat, &c, "public.notes");
        assert_eq!(t.address_sql(), "jsonb_build_object('id', x.id)::text");
        assert_eq!(
            keyed_sql(&t, Command::Delete, ""),
            "DELETE FROM public.notes WHERE (id) IN (SELECT r.id FROM unnest($1::text[]) a, jsonb_populate_record(NULL::public.notes, a::jsonb) r)"
        );
        assert!(move_sql(&t, &["user_id".into()]).starts_with(
            "UPDATE public.notes SET user_id = (SELECT r.user_id FROM jsonb_populate_record(NULL::public.notes, $2::jsonb) r) WHERE (id) IN"
        ));
    }

    fn f(code: &str) -> PgFailure {
        PgFailure {
            code: code.into(),
            message: "m".into(),
            ..PgFailure::default()
        }
    }

    #[test]
    fn judges() {
        assert!(matches!(
            judge_forbidden(Command::Select, Ok(0), 3),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge_forbidden(Command::Select, Ok(2), 3),
            Outcome::Leak { rows: 2, .. }
        ));
        assert!(matches!(
            judge_forbidden(Command::Delete, Err(f("23503")), 3),
            Outcome::Leak { .. }
        ));
        assert!(matches!(
            judge_forbidden(Command::Insert, Err(f("42501")), 1),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge_forbidden(Command::Select, Err(f("22P02")), 1),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge_forbidden(Command::Update, Err(f("P0001")), 1),
            Outcome::Inconclusive { .. }
        ));
        assert!(matches!(
            judge_allowed(Command::Select, Ok(0), 2),
            Outcome::ProbeDenied { .. }
        ));
        assert!(matches!(
            judge_allowed(Command::Select, Ok(0), 0),
            Outcome::Allowed { .. }
        ));
        assert!(matches!(
            judge_allowed(Command::Insert, Err(f("42501")), 0),
            Outcome::ProbeDenied { .. }
        ));
        assert!(matches!(
            judge_allowed(Command::Update, Err(f("23505")), 1),
            Outcome::Inconclusive { .. }
        ));
    }

    #[test]
    fn index_key_columns() {
        assert_eq!(
            index_columns("CREATE UNIQUE INDEX i ON public.t USING btree (user_id, symbol DESC)"),
            Some(vec!["user_id".to_string(), "symbol".into()])
        );
        assert_eq!(
            index_columns("CREATE UNIQUE INDEX i ON public.t USING btree (lower(email))"),
            None
        );
        assert!(fresh_value_sql("public.t", "d", "date").is_some());
        assert!(fresh_value_sql("public.t", "j", "jsonb").is_none());
    }

    #[test]
    fn outsiders_fit_the_owner_type() {
        assert_eq!(outsider_id("uuid").len(), 36);
        assert_eq!(outsider_id("bigint"), "-424242");
        assert_eq!(outsider_id("text"), "strata-probe-outsider");
    }
}
