//! `policies/access.toml` → [`Contract`], every error at `file:line:col` (the way `strata.toml`
//! errors are reported): TOML syntax and unknown keys from the TOML parser's spans, unknown
//! levels, commands and malformed owner/tenant references from the span of the value itself.
//!
//! No database: whether the tables and columns named exist is checked by the audit against the
//! catalog (finding `contract-invalid`), since only the live schema can say.

use super::contract::{
    ColumnRules, Contract, OwnerRef, Pos, Principals, Rules, TableContract, TenantRef,
    TenantRelation,
};
use super::level::{Command, Level};
use super::AccessError;
use crate::sql::{quote_ident, LineIndex};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    principals: Option<RawPrincipals>,
    #[serde(default)]
    tenants: BTreeMap<Spanned<String>, RawTenant>,
    #[serde(default)]
    defaults: Option<RawRules>,
    #[serde(default)]
    tables: BTreeMap<Spanned<String>, RawTable>,
    #[serde(default)]
    functions: Option<RawFunctions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipals {
    #[serde(default)]
    users: Vec<Spanned<String>>,
    #[serde(default)]
    admins: Vec<Spanned<String>>,
    #[serde(default)]
    admin_claims: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    table: Spanned<String>,
    tenant: Spanned<String>,
    user: Spanned<OneOrMany>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    read: Option<Spanned<String>>,
    #[serde(default)]
    insert: Option<Spanned<String>>,
    #[serde(default)]
    update: Option<Spanned<String>>,
    #[serde(default)]
    delete: Option<Spanned<String>>,
    #[serde(default)]
    write: Option<Spanned<String>>,
    #[serde(default)]
    admin: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    owner: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    tenant: Option<Spanned<String>>,
    #[serde(default)]
    read: Option<Spanned<String>>,
    #[serde(default)]
    insert: Option<Spanned<String>>,
    #[serde(default)]
    update: Option<Spanned<String>>,
    #[serde(default)]
    delete: Option<Spanned<String>>,
    #[serde(default)]
    write: Option<Spanned<String>>,
    #[serde(default)]
    admin: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<RawColumn>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    #[serde(default)]
    read: Option<Spanned<String>>,
    #[serde(default)]
    write: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunctions {
    #[serde(default)]
    trusted: Vec<Spanned<String>>,
}

struct Ctx<'a> {
    path: &'a str,
    text: &'a str,
    index: LineIndex,
}

impl Ctx<'_> {
    fn pos(&self, byte: usize) -> Pos {
        let (line, col) = self.index.line_col(self.text, byte);
        Pos { line, col }
    }

    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Result<T, AccessError> {
        let p = self.pos(span.start);
        Err(AccessError::Invalid {
            path: self.path.to_string(),
            line: p.line,
            col: p.col,
            message: message.into(),
        })
    }

    fn level(&self, v: &Spanned<String>) -> Result<Level, AccessError> {
        match v.get_ref().parse::<Level>() {
            Ok(l) => Ok(l),
            Err(e) => self.err(v.span(), e),
        }
    }

    fn rules(&self, r: RawRules) -> Result<Rules, AccessError> {
        let mut out = Rules::default();
        // `write` first: an explicit insert/update/delete wins whatever the order in the file.
        if let Some(w) = &r.write {
            let l = self.level(w)?;
            for c in [Command::Insert, Command::Update, Command::Delete] {
                out.levels[c.index()] = Some(l);
            }
        }
        for (c, v) in [
            (Command::Select, &r.read),
            (Command::Insert, &r.insert),
            (Command::Update, &r.update),
            (Command::Delete, &r.delete),
        ] {
            if let Some(v) = v {
                out.levels[c.index()] = Some(self.level(v)?);
            }
        }
        if let Some(a) = &r.admin {
            let mut set = BTreeSet::new();
            for w in a.get_ref() {
                match Command::from_contract_word(w.get_ref()) {
                    Some(cs) => set.extend(cs),
                    None => {
                        return self.err(
                            w.span(),
                            format!(
                                "unknown command `{}` in `admin`; expected `read`, `insert`, `update`, `delete`, `write` or `all`",
                                w.get_ref()
                            ),
                        )
                    }
                }
            }
            out.admin = Some(set);
        }
        Ok(out)
    }
}

/// `schema.table` (or `table`, in `public`), parts optionally double-quoted → catalog key.
pub fn table_key(text: &str) -> Result<String, String> {
    let parts = split_name(text)?;
    match parts.as_slice() {
        [t] => Ok(format!("public.{}", quote_ident(t))),
        [s, t] => Ok(format!("{}.{}", quote_ident(s), quote_ident(t))),
        _ => Err(format!(
            "`{text}` is not a table name; expected `schema.table`"
        )),
    }
}

/// Splits a dotted name; `"..."` parts keep their case and dots.
fn split_name(text: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut quoted_part = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted_part = true;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            cur.push('"');
                        }
                        Some('"') => break,
                        Some(x) => cur.push(x),
                        None => return Err(format!("unterminated quote in `{text}`")),
                    }
                }
            }
            '.' => {
                if cur.is_empty() {
                    return Err(format!("empty name part in `{text}`"));
                }
                parts.push(std::mem::take(&mut cur));
                quoted_part = false;
            }
            c if c.is_whitespace() => return Err(format!("unexpected space in `{text}`")),
            c => {
                if quoted_part {
                    return Err(format!("unexpected `{c}` after a quoted part in `{text}`"));
                }
                cur.push(c.to_ascii_lowercase());
            }
        }
    }
    if cur.is_empty() {
        return Err(format!("`{text}` is not a name"));
    }
    parts.push(cur);
    Ok(parts)
}

/// `user_id` or `post_id -> public.posts.user_id`.
pub fn owner_ref(text: &str) -> Result<OwnerRef, String> {
    match text.split_once("->") {
        None => {
            let parts = split_name(text)?;
            match parts.as_slice() {
                [c] => Ok(OwnerRef::Column { column: c.clone() }),
                _ => Err(format!(
                    "owner `{text}` must be a column of the table, or `column -> schema.table.column`"
                )),
            }
        }
        Some((col, target)) => {
            let c = split_name(col)?;
            let t = split_name(target)?;
            match (c.as_slice(), t.as_slice()) {
                ([c], [s, tb, pc]) => Ok(OwnerRef::Parent {
                    column: c.clone(),
                    parent: format!("{}.{}", quote_ident(s), quote_ident(tb)),
                    parent_column: pc.clone(),
                }),
                _ => Err(format!(
                    "owner `{text}` must read `column -> schema.table.column` (the foreign key of this table, then the parent's owner column)"
                )),
            }
        }
    }
}

/// Parses the contract text. `path` is how messages name the file.
pub fn parse(path: &str, text: &str) -> Result<Contract, AccessError> {
    let cx = Ctx {
        path,
        text,
        index: LineIndex::new(text),
    };
    let raw: Raw = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let p = cx.pos(e.span().map_or(0, |s| s.start));
            return Err(AccessError::Toml {
                path: path.to_string(),
                line: p.line,
                col: p.col,
                message: e.message().trim().to_string(),
            });
        }
    };
    let mut c = Contract {
        path: path.to_string(),
        ..Default::default()
    };
    if let Some(p) = raw.principals {
        let admin_claims = match p.admin_claims {
            None => None,
            Some(s) => match serde_json::from_str::<serde_json::Value>(s.get_ref()) {
                Ok(v @ serde_json::Value::Object(_)) => Some(v),
                Ok(_) => return cx.err(s.span(), "`admin_claims` must be a JSON object"),
                Err(e) => {
                    return cx.err(s.span(), format!("`admin_claims` is not valid JSON: {e}"))
                }
            },
        };
        for u in &p.users {
            if p.admins.iter().any(|a| a.get_ref() == u.get_ref()) {
                return cx.err(
                    u.span(),
                    format!(
                        "user `{}` is listed both in `users` and in `admins`; admins are never used as ordinary users",
                        u.get_ref()
                    ),
                );
            }
        }
        c.principals = Principals {
            users: p.users.into_iter().map(Spanned::into_inner).collect(),
            admins: p.admins.into_iter().map(Spanned::into_inner).collect(),
            admin_claims,
        };
    }
    for (name, t) in raw.tenants {
        let table = match table_key(t.table.get_ref()) {
            Ok(k) => k,
            Err(e) => return cx.err(t.table.span(), e),
        };
        let pos = cx.pos(name.span().start);
        let users = t.user.into_inner().into_vec();
        if users.is_empty() {
            return cx.err(name.span(), "`user` names no column");
        }
        let name = name.into_inner();
        c.tenants.insert(
            name.clone(),
            TenantRelation {
                name,
                table,
                tenant: t.tenant.into_inner().to_ascii_lowercase(),
                users: users.into_iter().map(|u| u.to_ascii_lowercase()).collect(),
                pos,
            },
        );
    }
    if let Some(d) = raw.defaults {
        c.defaults = cx.rules(d)?;
    }
    for (name, t) in raw.tables {
        let key = match table_key(name.get_ref()) {
            Ok(k) => k,
            Err(e) => return cx.err(name.span(), e),
        };
        let pos = cx.pos(name.span().start);
        let mut owner = Vec::new();
        if let Some(o) = &t.owner {
            let list = match o.get_ref() {
                OneOrMany::One(s) => vec![s.clone()],
                OneOrMany::Many(v) => v.clone(),
            };
            for s in list {
                match owner_ref(&s) {
                    Ok(r) => owner.push(r),
                    Err(e) => return cx.err(o.span(), e),
                }
            }
        }
        let tenant = match &t.tenant {
            None => None,
            Some(v) => match v.get_ref().split_once('.') {
                Some((rel, col)) if c.tenants.contains_key(rel) && !col.is_empty() => {
                    Some(TenantRef {
                        relation: rel.to_string(),
                        column: col.to_ascii_lowercase(),
                    })
                }
                Some((rel, _)) if !c.tenants.contains_key(rel) => {
                    return cx.err(
                        v.span(),
                        format!(
                            "tenant relation `{rel}` is not defined; add [tenants.{rel}] with its table, tenant and user columns"
                        ),
                    )
                }
                _ => {
                    return cx.err(
                        v.span(),
                        format!(
                            "tenant `{}` must read `relation.column` (a [tenants.*] name, then this table's column naming the tenant)",
                            v.get_ref()
                        ),
                    )
                }
            },
        };
        let rules = cx.rules(RawRules {
            read: t.read,
            insert: t.insert,
            update: t.update,
            delete: t.delete,
            write: t.write,
            admin: t.admin,
        })?;
        for (cmd, l) in Command::ALL.iter().zip(rules.levels) {
            if l == Some(Level::Owner) && owner.is_empty() {
                return cx.err(
                    name.span(),
                    format!(
                        "{key}: `{}` is `owner` but the table has no `owner`; name its owner column",
                        cmd.contract_word()
                    ),
                );
            }
            if l == Some(Level::Tenant) && tenant.is_none() {
                return cx.err(
                    name.span(),
                    format!(
                        "{key}: `{}` is `tenant` but the table has no `tenant`; add tenant = \"relation.column\"",
                        cmd.contract_word()
                    ),
                );
            }
        }
        let mut columns = BTreeMap::new();
        for (cname, col) in t.columns {
            let cpos = cx.pos(cname.span().start);
            let col = col.into_inner();
            columns.insert(
                cname.into_inner(),
                ColumnRules {
                    read: col.read.as_ref().map(|v| cx.level(v)).transpose()?,
                    write: col.write.as_ref().map(|v| cx.level(v)).transpose()?,
                    pos: cpos,
                },
            );
        }
        c.tables.insert(
            key.clone(),
            TableContract {
                key,
                owner,
                tenant,
                rules,
                columns,
                pos,
            },
        );
    }
    if let Some(f) = raw.functions {
        c.trusted = f.trusted.into_iter().map(Spanned::into_inner).collect();
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"
[principals]                   # who the probe acts as (ids as the auth model sees them)
users  = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
admins = ["44444444-4444-4444-8444-444444444444"]      # optional: users with elevated rights
# admin_claims = '{"app_metadata": {"role": "admin"}}' # or: admins are whoever carries these JWT claims

[tenants.team]                 # optional: a membership relation (team, account, organisation)
table  = "public.team_members"
tenant = "team_id"             # its column naming the tenant
user   = "user_id"             # its column naming the member

[defaults]                     # tables in the audited schemas that are not listed below
read  = "owner"
write = "owner"                # shorthand for insert, update and delete

[tables."public.posts"]
owner  = "user_id"             # the column naming the row's owner
read   = "public"
insert = "owner"
update = "owner"
delete = "owner"

[tables."public.team_docs"]
owner  = "author_id"
tenant = "team.team_id"        # tenant relation `team`, this table's column `team_id`
read   = "tenant"
insert = "tenant"
write  = "owner"               # update and delete (insert set above wins)
admin  = ["read", "delete"]    # optional: what admins may do beyond the levels above

[tables."public.profiles".columns]      # optional: single columns narrower than their table
email = { read = "owner" }              # others may read the row but not this column
role  = { write = "admin" }             # nobody but admins may set it, the owner included

[tables."public.post_tickers"]
owner  = "post_id -> public.posts.user_id"   # owned through its parent row (one foreign key)
read   = "public"
write  = "owner"

[functions]                    # SECURITY DEFINER functions that API roles may call
trusted = ["public.is_admin()"]          # reviewed: they reveal or change nothing beyond the contract
"#;

    fn err(text: &str) -> String {
        match parse("policies/access.toml", text) {
            Ok(_) => panic!("parsed: {text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_spec_example_parses() {
        let c = parse("policies/access.toml", SPEC_EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.principals.users.len(), 2);
        assert_eq!(c.principals.admins.len(), 1);
        let team = &c.tenants["team"];
        assert_eq!(team.table, "public.team_members");
        assert_eq!(team.users, vec!["user_id".to_string()]);
        let docs = c.resolve("public.team_docs");
        assert_eq!(docs.level(Command::Select), Level::Tenant);
        assert_eq!(docs.level(Command::Insert), Level::Tenant);
        assert_eq!(docs.level(Command::Update), Level::Owner);
        assert_eq!(docs.level(Command::Delete), Level::Owner);
        assert_eq!(
            docs.admin,
            BTreeSet::from([Command::Select, Command::Delete])
        );
        assert_eq!(
            docs.tenant,
            Some(&TenantRef {
                relation: "team".into(),
                column: "team_id".into()
            })
        );
        let tickers = c.resolve("public.post_tickers");
        assert_eq!(
            tickers.owner,
            &[OwnerRef::Parent {
                column: "post_id".into(),
                parent: "public.posts".into(),
                parent_column: "user_id".into()
            }]
        );
        let profiles = c.resolve("public.profiles");
        assert!(profiles.listed);
        assert_eq!(profiles.level(Command::Select), Level::Owner); // [defaults]
        let cols = profiles.columns.cloned().unwrap_or_default();
        assert_eq!(cols["email"].read, Some(Level::Owner));
        assert_eq!(cols["role"].write, Some(Level::Admin));
        assert_eq!(cols["role"].pos.line, 33);
        assert_eq!(c.trusted, vec!["public.is_admin()".to_string()]);
        assert_eq!(c.tables["public.posts"].pos.line, 16);
    }

    #[test]
    fn errors_point_at_the_value() {
        let e = err("[defaults]\nread = \"ownr\"\n");
        assert_eq!(
            e,
            "policies/access.toml:2:8: invalid access contract: unknown level `ownr`; expected one of `none`, `admin`, `owner`, `tenant`, `signed-in`, `public`"
        );
        let e = err("[tables.\"public.t\"]\nowner = \"user_id\"\nadmin = [\"read\", \"selct\"]\n");
        assert!(e.starts_with("policies/access.toml:3:18: "), "{e}");
        assert!(e.contains("unknown command `selct`"), "{e}");
        let e = err("[tables.\"public.t\"]\nreed = \"owner\"\n");
        assert!(e.starts_with("policies/access.toml:2:1: "), "{e}");
        assert!(e.contains("reed"), "{e}");
        let e = err("[tables.\"public.t\"]\nread = \"owner\"\n");
        assert!(e.starts_with("policies/access.toml:1:9: "), "{e}");
        assert!(e.contains("has no `owner`"), "{e}");
        let e = err("[tables.\"public.t\"]\nowner = \"a\"\ntenant = \"team.team_id\"\n");
        assert!(e.starts_with("policies/access.toml:3:10: "), "{e}");
        assert!(e.contains("tenant relation `team` is not defined"), "{e}");
        let e = err("[tables.\"public.t\"]\nowner = \"post_id -> posts\"\n");
        assert!(e.starts_with("policies/access.toml:2:9: "), "{e}");
        let e = err("[tables.\"a.b.c\"]\n");
        assert!(e.starts_with("policies/access.toml:1:9: "), "{e}");
        let e = err("[principals]\nadmin_claims = '{\"role\": '\n");
        assert!(e.starts_with("policies/access.toml:2:16: "), "{e}");
        assert!(e.contains("not valid JSON"), "{e}");
        let e = err("[tables\n");
        assert!(e.starts_with("policies/access.toml:1:"), "{e}");
        assert!(e.contains("invalid access contract"), "{e}");
    }

    #[test]
    fn names_normalise_to_catalog_keys() {
        assert_eq!(table_key("posts"), Ok("public.posts".to_string()));
        assert_eq!(table_key("Public.Posts"), Ok("public.posts".to_string()));
        assert_eq!(
            table_key("app.\"Order Items\""),
            Ok("app.\"Order Items\"".to_string())
        );
        assert!(table_key("a..b").is_err());
        assert!(table_key("a b").is_err());
        assert_eq!(
            owner_ref("author_id"),
            Ok(OwnerRef::Column {
                column: "author_id".into()
            })
        );
        assert!(owner_ref("a.b").is_err());
    }

    #[test]
    fn owner_lists_and_multi_column_tenants() {
        let c = parse(
            "a.toml",
            "[tenants.pair]\ntable = \"public.mentorships\"\ntenant = \"id\"\nuser = [\"mentor_id\", \"mentee_id\"]\n\
             [tables.\"public.mentorships\"]\nowner = [\"mentor_id\", \"mentee_id\"]\nread = \"owner\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.tenants["pair"].users.len(), 2);
        assert_eq!(c.tables["public.mentorships"].owner.len(), 2);
    }
}
