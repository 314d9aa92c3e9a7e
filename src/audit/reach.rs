//! The effective access of the API roles, per table (and view) and command, in contract levels:
//! what `access::compare` holds against the contract, what `--compare` diffs and what
//! `--write-contract` writes.
//!
//! For each API role (`anon` as a signed-out visitor and `authenticated` as a signed-in user
//! under `supabase`; the `setting` role as both, since signed-out requests use it too) the
//! questions are PostgreSQL's own, in its order: the role exists; it holds the privilege
//! (directly, through PUBLIC, through an inherited role, on the table or on a column) and USAGE
//! on the schema; row-level security is enabled; the role does not skip it (SUPERUSER,
//! BYPASSRLS, owner or member of the owner without FORCE). Then every permissive policy that
//! applies to the role (named, `public`, or a role it inherits) and command is read by
//! `audit::classify`, its classes turned into levels from the role's point of view, and capped
//! by the restrictive policies. UPDATE takes the wider of USING (which rows can be targeted) and
//! WITH CHECK (what a row may become): a row given away or taken over is access too.
//!
//! Views: a materialized view has no row-level security; a view without `security_invoker`
//! reads its base tables with its owner's rights (every row when the owner skips their
//! policies), narrowed only by its own WHERE; a `security_invoker` view reaches what its base
//! tables let the caller reach.

use super::classify::{self, Atom, Expr, Scope};
use super::privilege;
use super::{AuditConfig, PoliciesByTable};
use crate::access::{Command, Contract, Level, OwnerRef, Reach, Source, Via};
use crate::catalog::{Catalog, Policy};
use crate::config::AuthModel;
use crate::sql::quote_ident;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// From whose point of view an expression is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perspective {
    /// `anon`: no user.
    SignedOut,
    /// `authenticated`: a user.
    SignedIn,
    /// The `setting` role: with or without a user.
    Both,
}

impl Perspective {
    /// Every row, for this perspective.
    fn any_row(self) -> Level {
        match self {
            Perspective::SignedIn => Level::SignedIn,
            Perspective::SignedOut | Perspective::Both => Level::Public,
        }
    }
}

/// An interval of levels, plus "admins reach every row through it".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub lo: Level,
    pub hi: Level,
    pub admin: bool,
}

impl Bound {
    fn exact(l: Level) -> Bound {
        Bound {
            lo: l,
            hi: l,
            admin: false,
        }
    }
    fn unknown(p: Perspective) -> Bound {
        Bound {
            lo: Level::None,
            hi: p.any_row(),
            admin: false,
        }
    }
    fn or(self, o: Bound) -> Bound {
        Bound {
            lo: self.lo.max(o.lo),
            hi: self.hi.max(o.hi),
            admin: self.admin || o.admin,
        }
    }
    fn and(self, o: Bound) -> Bound {
        let admin_ok = |b: Bound| b.admin || b.lo.any_row();
        Bound {
            lo: self.lo.min(o.lo),
            hi: self.hi.min(o.hi),
            admin: (self.admin || o.admin) && admin_ok(self) && admin_ok(o),
        }
    }
}

/// The perspective of an API role under the configured model.
pub fn perspective(cfg: &AuditConfig, role: &str) -> Perspective {
    match cfg.model {
        AuthModel::Setting => Perspective::Both,
        AuthModel::Supabase if cfg.anon_role.as_deref() == Some(role) => Perspective::SignedOut,
        AuthModel::Supabase => Perspective::SignedIn,
    }
}

/// Computes reaches; memoises the SELECT reach of tables that other policies' `EXISTS` read.
pub struct Reacher<'a> {
    pub cat: &'a Catalog,
    pub cfg: &'a AuditConfig,
    pub contract: Option<&'a Contract>,
    pub policies: &'a PoliciesByTable<'a>,
    memo: RefCell<BTreeMap<(String, String), Bound>>,
    busy: RefCell<BTreeSet<(String, String)>>,
}

impl<'a> Reacher<'a> {
    pub fn new(
        cat: &'a Catalog,
        cfg: &'a AuditConfig,
        contract: Option<&'a Contract>,
        policies: &'a PoliciesByTable<'a>,
    ) -> Self {
        Reacher {
            cat,
            cfg,
            contract,
            policies,
            memo: RefCell::new(BTreeMap::new()),
            busy: RefCell::new(BTreeSet::new()),
        }
    }

    /// Every table and view of the catalog × the four commands, in key order.
    pub fn all(&self) -> Vec<Reach> {
        let mut keys: Vec<&String> = self
            .cat
            .tables
            .keys()
            .chain(self.cat.views.keys())
            .collect();
        keys.sort();
        let mut out = Vec::with_capacity(keys.len() * 4);
        for key in keys {
            for cmd in Command::ALL {
                out.push(self.reach(key, cmd));
            }
        }
        out
    }

    /// One table or view and command, over every API role.
    pub fn reach(&self, key: &str, cmd: Command) -> Reach {
        let mut r = Reach::none(key, cmd);
        for role in &self.cfg.api_roles {
            for s in self.sources(key, role, cmd) {
                r.lo = r.lo.max(s.lo);
                r.hi = r.hi.max(s.hi);
                r.admin_any_row |= s.admin;
                r.sources.push(s);
            }
        }
        r.sources.sort_by_key(|s| std::cmp::Reverse((s.hi, s.lo)));
        r
    }

    /// How one role reaches one table or view with one command (empty: it does not).
    pub fn sources(&self, key: &str, role: &str, cmd: Command) -> Vec<Source> {
        if self.cat.views.contains_key(key) {
            return self.view_sources(key, role, cmd);
        }
        let cat = self.cat;
        let Some(table) = cat.tables.get(key) else {
            return Vec::new();
        };
        let Some(r) = cat.roles.get(&quote_ident(role)) else {
            return Vec::new();
        };
        let p = perspective(self.cfg, role);
        let roles = privilege::inherited(cat, role);
        let owner = cat.owners.get(key).map(String::as_str);
        let priv_name = cmd.as_str();
        let grant =
            privilege::grant_reason(&table.acl, priv_name, role, &roles, owner).or_else(|| {
                if cmd == Command::Delete {
                    return None;
                }
                table.columns.iter().find_map(|c| {
                    privilege::grant_reason(&c.acl, priv_name, role, &roles, owner)
                        .map(|g| format!("{g} on column {}", quote_ident(&c.name)))
                })
            });
        let Some(grant) = grant else {
            return Vec::new();
        };
        if !privilege::schema_usage(cat, &table.schema, &roles) {
            return Vec::new();
        }
        let any = |via: Via| {
            vec![Source {
                role: role.to_string(),
                lo: p.any_row(),
                hi: p.any_row(),
                admin: false,
                via,
                grant: grant.clone(),
                reading: String::new(),
            }]
        };
        if !table.rls_enabled {
            return any(Via::NoRls);
        }
        if r.superuser {
            return any(Via::Bypass {
                reason: format!("{role} is a superuser"),
            });
        }
        if r.bypass_rls {
            return any(Via::Bypass {
                reason: format!("{role} has BYPASSRLS"),
            });
        }
        if !table.rls_forced {
            if let Some(o) = privilege::owns(cat, key, &roles) {
                let reason = if o == quote_ident(role) {
                    format!("{role} owns the table and row-level security is not forced")
                } else {
                    format!("{role} is a member of the table's owner {o} and row-level security is not forced")
                };
                return any(Via::Bypass { reason });
            }
        }
        let policies = self.policies.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let applicable: Vec<&&Policy> = policies
            .iter()
            .filter(|pl| {
                (pl.command == "ALL" || pl.command == cmd.as_str())
                    && pl.roles.iter().any(|x| x == "public" || roles.contains(x))
            })
            .collect();
        let clauses: &[&str] = match cmd {
            Command::Select | Command::Delete => &["USING"],
            Command::Insert => &["WITH CHECK"],
            Command::Update => &["USING", "WITH CHECK"],
        };
        let mut out = Vec::new();
        for clause in clauses {
            let text = |pl: &Policy| -> Option<String> {
                match *clause {
                    "USING" => pl.using.clone(),
                    _ => pl.check.clone().or_else(|| pl.using.clone()),
                }
            };
            // The restrictive policies, ANDed.
            let mut cap: Option<Bound> = None;
            for pl in applicable.iter().filter(|pl| !pl.permissive) {
                if let Some(t) = text(pl) {
                    let b = self.bound(&self.classify(key, &t), p, key, role);
                    cap = Some(match cap {
                        None => b,
                        Some(c) => c.and(b),
                    });
                }
            }
            for pl in applicable.iter().filter(|pl| pl.permissive) {
                let Some(t) = text(pl) else { continue };
                let e = self.classify(key, &t);
                let mut b = self.bound(&e, p, key, role);
                if let Some(c) = cap {
                    b = b.and(c);
                }
                if b.hi == Level::None && !b.admin {
                    continue;
                }
                out.push(Source {
                    role: role.to_string(),
                    lo: b.lo,
                    hi: b.hi,
                    admin: b.admin,
                    via: Via::Policy {
                        name: pl.name.clone(),
                        clause: clause.to_string(),
                    },
                    grant: grant.clone(),
                    reading: e.describe(),
                });
            }
        }
        out
    }

    pub fn classify(&self, key: &str, text: &str) -> Expr {
        let name = self
            .cat
            .tables
            .get(key)
            .map(|t| t.name.to_ascii_lowercase())
            .unwrap_or_default();
        let scope = Scope {
            catalog: self.cat,
            table_key: key,
            table_name: &name,
            setting: self.setting(),
        };
        classify::classify(&scope, text)
    }

    fn setting(&self) -> Option<&'a str> {
        match self.cfg.model {
            AuthModel::Setting => self.cfg.setting.as_deref().or(Some("app.current_user_id")),
            AuthModel::Supabase => None,
        }
    }

    /// The levels an expression grants `role` (of perspective `p`) on `key`.
    pub fn bound(&self, e: &Expr, p: Perspective, key: &str, role: &str) -> Bound {
        match e {
            Expr::Or(v) => v
                .iter()
                .map(|x| self.bound(x, p, key, role))
                .reduce(Bound::or)
                .unwrap_or(Bound::exact(Level::None)),
            Expr::And(v) => v
                .iter()
                .map(|x| self.bound(x, p, key, role))
                .reduce(Bound::and)
                .unwrap_or(Bound::exact(Level::None)),
            Expr::Not(inner) => match inner.as_ref() {
                Expr::Atom(Atom::Const { value }) => {
                    self.bound(&Expr::Atom(Atom::Const { value: !value }), p, key, role)
                }
                Expr::Atom(Atom::RowFilter) => Bound::exact(p.any_row()),
                Expr::Atom(Atom::OwnerTest { columns }) => self.bound(
                    &Expr::Atom(Atom::OwnerNot {
                        columns: columns.clone(),
                    }),
                    p,
                    key,
                    role,
                ),
                Expr::Atom(Atom::OwnerNot { columns }) => self.bound(
                    &Expr::Atom(Atom::OwnerTest {
                        columns: columns.clone(),
                    }),
                    p,
                    key,
                    role,
                ),
                _ => Bound::unknown(p),
            },
            Expr::Atom(a) => self.atom_bound(a, p, key, role),
        }
    }

    fn atom_bound(&self, a: &Atom, p: Perspective, key: &str, role: &str) -> Bound {
        let signed_out = p == Perspective::SignedOut;
        let user_level = |l: Level| Bound::exact(if signed_out { Level::None } else { l });
        let resolved = self.contract.map(|c| c.resolve(key));
        match a {
            Atom::Const { value: true } | Atom::RowFilter => Bound::exact(p.any_row()),
            Atom::Const { value: false } => Bound::exact(Level::None),
            Atom::OwnerTest { columns } => {
                let declared: Vec<&str> = resolved
                    .as_ref()
                    .map(|r| {
                        r.owner
                            .iter()
                            .filter_map(|o| match o {
                                OwnerRef::Column { column } => Some(column.as_str()),
                                OwnerRef::Parent { .. } => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let declares_owner = resolved.as_ref().is_some_and(|r| !r.owner.is_empty());
                if !declares_owner || columns.iter().all(|c| declared.contains(&c.as_str())) {
                    user_level(Level::Owner)
                } else {
                    // A user column that is not the row's owner: rows of others.
                    user_level(Level::SignedIn)
                }
            }
            Atom::OwnerNot { .. } => user_level(Level::SignedIn),
            Atom::ParentOwner {
                column,
                parent,
                parent_column,
            } => {
                let ok = match resolved.as_ref() {
                    None => true,
                    Some(r) if r.owner.is_empty() => true,
                    Some(r) => r.owner.iter().any(|o| {
                        matches!(o, OwnerRef::Parent { column: c, parent: pt, parent_column: pc }
                            if c == column && pt == parent && pc == parent_column)
                    }),
                };
                user_level(if ok { Level::Owner } else { Level::SignedIn })
            }
            Atom::Membership {
                table, row_column, ..
            } => {
                let ok = match (self.contract, resolved.as_ref().and_then(|r| r.tenant)) {
                    (None, _) | (Some(_), None) => true,
                    (Some(c), Some(t)) => {
                        t.column == *row_column
                            && c.tenants
                                .get(&t.relation)
                                .is_some_and(|rel| rel.table == *table)
                    }
                };
                user_level(if ok { Level::Tenant } else { Level::SignedIn })
            }
            Atom::Visible { table, .. } => self.read_bound(table, role, p),
            Atom::SignedIn => user_level(Level::SignedIn),
            Atom::SignedOut => Bound::exact(match p {
                Perspective::SignedIn => Level::None,
                _ => Level::Public,
            }),
            Atom::RoleIs { role: r } => match self.cfg.model {
                AuthModel::Supabase if r == role => Bound::exact(p.any_row()),
                AuthModel::Supabase => Bound::exact(Level::None),
                AuthModel::Setting => Bound::unknown(p),
            },
            Atom::UserGuard { .. } => {
                if signed_out {
                    Bound::exact(Level::None)
                } else {
                    Bound {
                        lo: Level::Admin,
                        hi: Level::Admin,
                        admin: true,
                    }
                }
            }
            Atom::UserMetadata { .. } => user_level(Level::SignedIn),
            Atom::Unknown { .. } => Bound::unknown(p),
        }
    }

    /// The SELECT reach of another table for `role` (an `EXISTS` runs under its policies).
    fn read_bound(&self, table: &str, role: &str, p: Perspective) -> Bound {
        let k = (table.to_string(), role.to_string());
        if let Some(b) = self.memo.borrow().get(&k) {
            return *b;
        }
        if !self.busy.borrow_mut().insert(k.clone()) {
            return Bound::unknown(p);
        }
        let b = self
            .sources(table, role, Command::Select)
            .iter()
            .map(|s| Bound {
                lo: s.lo,
                hi: s.hi,
                admin: s.admin,
            })
            .reduce(Bound::or)
            .unwrap_or(Bound::exact(Level::None));
        self.busy.borrow_mut().remove(&k);
        self.memo.borrow_mut().insert(k, b);
        b
    }

    fn view_sources(&self, key: &str, role: &str, cmd: Command) -> Vec<Source> {
        let cat = self.cat;
        let Some(view) = cat.views.get(key) else {
            return Vec::new();
        };
        if !cat.roles.contains_key(&quote_ident(role)) {
            return Vec::new();
        }
        let p = perspective(self.cfg, role);
        let roles = privilege::inherited(cat, role);
        let owner = cat.owners.get(key).map(String::as_str);
        let Some(grant) = privilege::grant_reason(&view.acl, cmd.as_str(), role, &roles, owner)
        else {
            return Vec::new();
        };
        if !privilege::schema_usage(cat, &view.schema, &roles) {
            return Vec::new();
        }
        let reads: Vec<&String> = cat
            .view_reads
            .get(key)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        if cmd != Command::Select && !(view_updatable(&view.definition) && reads.len() == 1) {
            return Vec::new();
        }
        let source = |b: Bound, reason: String| Source {
            role: role.to_string(),
            lo: b.lo,
            hi: b.hi,
            admin: b.admin,
            via: Via::View { reason },
            grant: grant.clone(),
            reading: String::new(),
        };
        if view.materialized {
            return vec![source(
                Bound::exact(p.any_row()),
                "materialized view: a copy of the rows, without row-level security".into(),
            )];
        }
        let invoker = super::rules::security_invoker(&view.options);
        // The view's WHERE narrows what it shows and which rows a write targets, but bounds
        // the values written only with WITH CHECK OPTION.
        let checked = view.options.iter().any(|o| o.starts_with("check_option="));
        let filter = match cmd {
            Command::Insert | Command::Update if !checked => None,
            _ => self.view_filter(&view.definition, p, role),
        };
        let mut out = Vec::new();
        for base in reads {
            let in_scope = cat.tables.contains_key(base) || cat.views.contains_key(base);
            let b = if invoker {
                if !in_scope {
                    continue;
                }
                self.sources(base, role, cmd)
                    .iter()
                    .map(|s| Bound {
                        lo: s.lo,
                        hi: s.hi,
                        admin: s.admin,
                    })
                    .reduce(Bound::or)
                    .unwrap_or(Bound::exact(Level::None))
            } else if let Some(why) = self.owner_skips_rls(base, owner) {
                let b = Bound::exact(p.any_row());
                out.push(source(
                    filter.map_or(b, |f| b.and(f)),
                    format!("view without security_invoker reads {base} as its owner, who {why}"),
                ));
                continue;
            } else {
                Bound::unknown(p)
            };
            let b = filter.map_or(b, |f| b.and(f));
            if b.hi > Level::None || b.admin {
                out.push(source(
                    b,
                    if invoker {
                        format!("security_invoker view over {base}")
                    } else {
                        format!("view over {base}, read with its owner's rights")
                    },
                ));
            }
        }
        out
    }

    /// Why the view owner `owner` skips row-level security on `base` (None: it does not, or
    /// the relation is not known).
    fn owner_skips_rls(&self, base: &str, owner: Option<&str>) -> Option<String> {
        let owner = owner?;
        let r = self.cat.roles.get(owner);
        if r.is_some_and(|r| r.superuser) {
            return Some("is a superuser".into());
        }
        if r.is_some_and(|r| r.bypass_rls) {
            return Some("has BYPASSRLS".into());
        }
        match self.cat.tables.get(base) {
            Some(t) if !t.rls_enabled => {
                Some("reads it without row-level security (disabled)".into())
            }
            Some(t)
                if !t.rls_forced
                    && self.cat.owners.get(base).map(String::as_str) == Some(owner) =>
            {
                Some("owns it (row-level security not forced)".into())
            }
            Some(_) => None,
            // Outside the audited schemas (auth.users): its owner is not known; a view over it
            // reads what its owner can.
            None => Some("reads a relation outside the audited schemas".into()),
        }
    }

    /// The view's own WHERE, classified as if on its first base table (`FROM t alias WHERE
    /// alias.user_id = auth.uid()`): narrows what the view shows.
    fn view_filter(&self, definition: &str, p: Perspective, role: &str) -> Option<Bound> {
        let (base_key, alias, cond) = view_where(self.cat, definition)?;
        let scope = Scope {
            catalog: self.cat,
            table_key: &base_key,
            table_name: &alias,
            setting: self.setting(),
        };
        let e = classify::classify(&scope, &cond);
        // Owner tests in a view are judged against no contract entry (the view's own).
        let plain = Reacher {
            contract: None,
            ..Reacher::new(self.cat, self.cfg, None, self.policies)
        };
        Some(plain.bound(&e, p, &base_key, role))
    }
}

/// A view PostgreSQL can write through (simple: one relation, no aggregation or set operation).
fn view_updatable(definition: &str) -> bool {
    let lower = definition.to_ascii_lowercase();
    ![
        " group by",
        " distinct",
        " union",
        " intersect",
        " except",
        " limit",
        " having",
        " join ",
        "count(",
        "sum(",
        "max(",
        "min(",
        "avg(",
    ]
    .iter()
    .any(|k| lower.contains(k))
}

/// `(first base table key, its alias or name, top-level WHERE condition)` of a view definition.
fn view_where(cat: &Catalog, definition: &str) -> Option<(String, String, String)> {
    let toks: Vec<crate::sql::Token> = crate::sql::tokens(definition)
        .map_while(Result::ok)
        .collect();
    let text = |t: &crate::sql::Token| definition.get(t.start..t.end).unwrap_or("");
    let is = |t: Option<&crate::sql::Token>, w: &str| {
        t.is_some_and(|t| t.kind == crate::sql::TokenKind::Word && text(t).eq_ignore_ascii_case(w))
    };
    let mut depth = 0i32;
    let mut from = None;
    let mut where_at = None;
    let mut end = definition.len();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            crate::sql::TokenKind::OpenParen => depth += 1,
            crate::sql::TokenKind::CloseParen => depth -= 1,
            _ if depth == 0 => {
                if from.is_none() && is(Some(t), "from") {
                    from = Some(i);
                } else if where_at.is_none() && from.is_some() && is(Some(t), "where") {
                    where_at = Some(i);
                } else if where_at.is_some()
                    && ((is(Some(t), "group") || is(Some(t), "order")) && is(toks.get(i + 1), "by")
                        || is(Some(t), "limit")
                        || is(Some(t), "union")
                        || is(Some(t), "having"))
                {
                    end = t.start;
                    break;
                }
            }
            _ => {}
        }
    }
    let (f, w) = (from?, where_at?);
    let name_tok = toks.get(f + 1)?;
    let (name, next) = if toks.get(f + 2).is_some_and(|t| text(t) == ".") {
        (
            format!("{}.{}", text(name_tok), text(toks.get(f + 3)?)),
            f + 4,
        )
    } else {
        (text(name_tok).to_string(), f + 2)
    };
    let key = classify::resolve_table(cat, &name.to_ascii_lowercase())?;
    let alias = toks
        .get(next)
        .filter(|t| {
            t.kind == crate::sql::TokenKind::Word && !is(Some(t), "where") && !is(Some(t), "join")
        })
        .map(|t| text(t).to_ascii_lowercase())
        .unwrap_or_else(|| {
            name.rsplit('.')
                .next()
                .unwrap_or(&name)
                .to_ascii_lowercase()
        });
    let cond = definition
        .get(toks[w].end..end)?
        .trim()
        .trim_end_matches(';')
        .to_string();
    Some((key, alias, cond))
}
