//! `strata audit --write-contract`: the contract as the policies define it today.
//!
//! [`draft`] (pure) reads the reach the audit computed (each table's level per command, admin
//! extras) and the classified policies (who owns a row: the columns owner tests name, the
//! parents `EXISTS` joins reach; which membership relation makes a tenant). [`discover`] asks
//! the database who the principals are: owners found in the data, split into admins (a user
//! guard of the policies, such as `is_admin()`, holds for them) and ordinary users, inside a
//! transaction that is rolled back.

use super::classify::{Atom, Expr};
use super::{AuditConfig, OwnerColumn, PoliciesByTable, Reacher};
use crate::access::contract::TenantRelation;
use crate::access::write::{Draft, DraftTable};
use crate::access::{Command, Level, OwnerRef, Reach, TenantRef};
use crate::catalog::{Catalog, ConstraintKind};
use crate::config::{Auth, AuthModel};
use crate::db::{self, DbError};
use crate::sql::quote_ident;
use sqlx::postgres::PgConnection;
use std::collections::BTreeMap;

/// Every classified expression of a table's policies.
fn expressions(reacher: &Reacher<'_>, policies: &PoliciesByTable<'_>, key: &str) -> Vec<Expr> {
    policies
        .get(key)
        .map(|ps| {
            ps.iter()
                .flat_map(|p| [p.using.as_deref(), p.check.as_deref()])
                .flatten()
                .map(|e| reacher.classify(key, e))
                .collect()
        })
        .unwrap_or_default()
}

/// The name of a membership relation after its table: `tribe_members` → `tribe`.
fn relation_name(table_key: &str) -> String {
    let bare = table_key
        .rsplit('.')
        .next()
        .unwrap_or(table_key)
        .trim_matches('"');
    for suffix in [
        "_memberships",
        "_membership",
        "_members",
        "_member",
        "_users",
        "_user",
    ] {
        if let Some(s) = bare.strip_suffix(suffix) {
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    bare.to_string()
}

fn single_pk(cat: &Catalog, key: &str) -> Option<String> {
    cat.tables
        .get(key)?
        .constraints
        .values()
        .find(|c| c.kind == ConstraintKind::PrimaryKey && c.columns.len() == 1)
        .map(|c| c.columns[0].clone())
}

/// Owner references of a table from its policies, following `EXISTS` over parents (depth 3).
fn owner_refs(
    reacher: &Reacher<'_>,
    policies: &PoliciesByTable<'_>,
    key: &str,
    depth: usize,
) -> Vec<OwnerRef> {
    let mut out: Vec<OwnerRef> = Vec::new();
    let mut add = |r: OwnerRef| {
        if !out.contains(&r) {
            out.push(r);
        }
    };
    for e in expressions(reacher, policies, key) {
        for a in e.atoms() {
            match a {
                Atom::OwnerTest { columns } => {
                    for c in columns {
                        add(OwnerRef::Column { column: c.clone() });
                    }
                }
                Atom::ParentOwner {
                    column,
                    parent,
                    parent_column,
                } => add(OwnerRef::Parent {
                    column: column.clone(),
                    parent: parent.clone(),
                    parent_column: parent_column.clone(),
                }),
                // Visible where the parent is: the parent's owners own it too, when the parent
                // is owner-only (a public parent says nothing about ownership).
                Atom::Visible {
                    table,
                    column,
                    parent_column,
                } if depth > 0
                    && single_pk(reacher.cat, table).as_deref() == Some(parent_column.as_str())
                    && reacher.reach(table, Command::Select).hi <= Level::Owner =>
                {
                    for r in owner_refs(reacher, policies, table, depth - 1) {
                        if let OwnerRef::Column { column: pc } = r {
                            add(OwnerRef::Parent {
                                column: column.clone(),
                                parent: table.clone(),
                                parent_column: pc,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The contract of what the policies allow today.
pub fn draft(
    cat: &Catalog,
    cfg: &AuditConfig,
    policies: &PoliciesByTable<'_>,
    reaches: &[Reach],
    heuristic_owners: &BTreeMap<String, Vec<OwnerColumn>>,
) -> Draft {
    let reacher = Reacher::new(cat, cfg, None, policies);
    let mut tenants: BTreeMap<String, TenantRelation> = BTreeMap::new();
    let mut tables = Vec::new();
    let mut by: BTreeMap<&str, Vec<&Reach>> = BTreeMap::new();
    for r in reaches {
        by.entry(r.table.as_str()).or_default().push(r);
    }
    for (key, rs) in by {
        let view = cat.views.contains_key(key);
        if view && rs.iter().all(|r| r.hi == crate::access::Level::None) {
            continue;
        }
        let mut t = DraftTable {
            key: key.to_string(),
            view,
            ..Default::default()
        };
        t.owner = owner_refs(&reacher, policies, key, 3);
        if t.owner.is_empty() {
            if let Some(o) = heuristic_owners.get(key).and_then(|o| o.first()) {
                t.owner.push(OwnerRef::Column {
                    column: o.column.clone(),
                });
            }
        }
        for e in expressions(&reacher, policies, key) {
            for a in e.atoms() {
                if let Atom::Membership {
                    table,
                    tenant_column,
                    member_columns,
                    row_column,
                    ..
                } = a
                {
                    if t.tenant.is_some() {
                        continue;
                    }
                    let name = relation_name(table);
                    let rel = tenants
                        .entry(name.clone())
                        .or_insert_with(|| TenantRelation {
                            name: name.clone(),
                            table: table.clone(),
                            tenant: tenant_column.clone(),
                            users: member_columns.clone(),
                            pos: Default::default(),
                        });
                    if rel.table == *table && rel.tenant == *tenant_column {
                        t.tenant = Some(TenantRef {
                            relation: name,
                            column: row_column.clone(),
                        });
                    }
                }
            }
        }
        for r in rs {
            let i = r.command.index();
            t.levels[i] = Some(r.hi);
            if !r.exact() {
                t.unclassified[i] = Some(r.label());
            }
            if r.admin_any_row {
                t.admin.insert(r.command);
            }
        }
        tables.push(t);
    }
    // SECURITY DEFINER helpers the policies call are part of what they do today.
    let mut trusted = Vec::new();
    let mut untrusted = Vec::new();
    let called: Vec<String> = cat
        .policies
        .values()
        .flat_map(|p| [p.using.clone(), p.check.clone()])
        .flatten()
        .collect();
    for (key, f) in &cat.functions {
        if !f.security_definer
            || matches!(f.result.as_deref(), Some("trigger") | Some("event_trigger"))
        {
            continue;
        }
        let qualified = format!("{}.{}(", quote_ident(&f.schema), quote_ident(&f.name));
        if called.iter().any(|e| e.contains(&qualified)) {
            trusted.push(key.clone());
        } else {
            untrusted.push(key.clone());
        }
    }
    Draft {
        model: match cfg.model {
            AuthModel::Supabase => "supabase".into(),
            AuthModel::Setting => format!(
                "setting: role {}, setting {}",
                cfg.probe_role.as_deref().unwrap_or("?"),
                cfg.setting.as_deref().unwrap_or("app.current_user_id")
            ),
        },
        users: Vec::new(),
        admins: Vec::new(),
        tenants: tenants.into_values().collect(),
        tables,
        trusted,
        untrusted,
    }
}

/// User guards of the policies, as SQL a user can be tested with.
fn guards(reacher: &Reacher<'_>, policies: &PoliciesByTable<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for key in policies.keys() {
        for e in expressions(reacher, policies, key) {
            for a in e.atoms() {
                if let Atom::UserGuard { sql, .. } = a {
                    if sql != "false" && !out.contains(sql) {
                        out.push(sql.clone());
                    }
                }
            }
        }
    }
    out
}

/// Owners found in the data (up to `cap`), split into (users, admins) by the policies' user
/// guards, evaluated as each of them in a transaction that is rolled back.
pub async fn discover(
    conn: &mut PgConnection,
    cat: &Catalog,
    cfg: &AuditConfig,
    auth: &Auth,
    policies: &PoliciesByTable<'_>,
    owners: &BTreeMap<String, Vec<OwnerColumn>>,
    cap: usize,
) -> Result<(Vec<String>, Vec<String>), DbError> {
    let Some(role) = cfg.probe_role.clone() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let reacher = Reacher::new(cat, cfg, None, policies);
    let guards = guards(&reacher, policies);
    db::execute_script(conn, "BEGIN READ ONLY")
        .await
        .map_err(|e| DbError::query("starting the principals' lookup", &e))?;
    let result = async {
        let mut candidates: Vec<String> = Vec::new();
        for (key, cols) in owners {
            let Some(o) = cols.first() else { continue };
            let sql = format!(
                "SELECT DISTINCT {c}::text FROM {key} WHERE {c} IS NOT NULL ORDER BY 1 LIMIT {cap}",
                c = quote_ident(&o.column)
            );
            let step = |x: &str| x.to_string();
            db::execute_script(conn, "SAVEPOINT strata_discover")
                .await
                .map_err(|e| DbError::query(step("principals"), &e))?;
            let rows: Vec<Option<String>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await
                .unwrap_or_default();
            db::execute_script(
                conn,
                "ROLLBACK TO SAVEPOINT strata_discover; RELEASE SAVEPOINT strata_discover",
            )
            .await
            .map_err(|e| DbError::query(step("principals"), &e))?;
            for v in rows.into_iter().flatten() {
                if !candidates.contains(&v) {
                    candidates.push(v);
                }
            }
        }
        candidates.sort();
        let (mut users, mut admins) = (Vec::new(), Vec::new());
        for c in candidates {
            let mut admin = false;
            for g in &guards {
                db::execute_script(conn, "SAVEPOINT strata_discover")
                    .await
                    .map_err(|e| DbError::query("principals", &e))?;
                let assume = crate::auth::assume_sql(auth, &role, Some(&c));
                let holds = match db::execute_script(conn, &assume).await {
                    Ok(_) => sqlx::query_scalar::<_, Option<bool>>(sqlx::AssertSqlSafe(format!(
                        "SELECT ({g})::boolean"
                    )))
                    .fetch_one(&mut *conn)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(false),
                    Err(_) => false,
                };
                db::execute_script(
                    conn,
                    "ROLLBACK TO SAVEPOINT strata_discover; RELEASE SAVEPOINT strata_discover",
                )
                .await
                .map_err(|e| DbError::query("principals", &e))?;
                if holds {
                    admin = true;
                    break;
                }
            }
            if admin {
                admins.push(c);
            } else if users.len() < cap {
                users.push(c);
            }
        }
        Ok((users, admins))
    }
    .await;
    let _ = db::execute_script(conn, "ROLLBACK").await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_names() {
        assert_eq!(relation_name("public.tribe_members"), "tribe");
        assert_eq!(relation_name("public.team_memberships"), "team");
        assert_eq!(relation_name("public.mentorships"), "mentorships");
        assert_eq!(relation_name("public._members"), "_members");
    }
}
