//! `api-role-bypasses-rls`: a role clients reach the database as has BYPASSRLS or is a
//! superuser: no policy applies to it, on any table. Always an error; the report lists such
//! roles apart (`service_role`), but a client role must never be one.

use super::{Context, Finding, FindingId, Severity};
use crate::sql::quote_ident;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for role in &cx.config.api_roles {
        let Some(r) = cx.catalog.roles.get(&quote_ident(role)) else {
            continue;
        };
        let what = match (r.superuser, r.bypass_rls) {
            (true, _) => "is a superuser",
            (false, true) => "has BYPASSRLS",
            _ => continue,
        };
        out.push(Finding {
            id: FindingId::ApiRoleBypassesRls,
            severity: Severity::Error,
            object: format!("role {role}"),
            table: None,
            message: format!("{role}, a role clients use, {what}: row-level security never applies to it, on any table"),
            fix: format!("ALTER ROLE {} NOSUPERUSER NOBYPASSRLS;", quote_ident(role)),
        });
    }
    out
}
