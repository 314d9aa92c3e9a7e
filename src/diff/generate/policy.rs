//! Row-level-security policies: `CREATE POLICY`, `ALTER POLICY` where it can express the
//! change, else drop and create.

use super::{authz, Sql};
use crate::catalog::Policy;
use crate::sql::quote_ident;

pub fn create_sql(p: &Policy) -> String {
    let mut s = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        quote_ident(&p.name),
        p.table,
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command,
        p.roles.join(", ")
    );
    if let Some(u) = &p.using {
        s.push_str(&format!("\n    USING ({u})"));
    }
    if let Some(c) = &p.check {
        s.push_str(&format!("\n    WITH CHECK ({c})"));
    }
    s.push(';');
    s
}

pub fn create(ddl: String) -> Sql {
    Sql::new(
        vec![ddl],
        vec![authz(
            "a permissive policy can let roles see or change more rows; a restrictive one can make queries fail",
        )],
    )
}

pub fn drop(p: &Policy) -> Sql {
    Sql::new(
        vec![format!(
            "DROP POLICY IF EXISTS {} ON {};",
            quote_ident(&p.name),
            p.table
        )],
        vec![authz(
            "dropping a permissive policy takes access away; dropping a restrictive one widens it",
        )],
    )
}

/// In place: roles and expressions. A changed command or kind, or an expression that goes
/// away (ALTER POLICY cannot remove one), is a replacement.
pub fn alter(a: &Policy, b: &Policy) -> Option<Sql> {
    if a.command != b.command
        || a.permissive != b.permissive
        || (a.using.is_some() && b.using.is_none())
        || (a.check.is_some() && b.check.is_none())
    {
        return None;
    }
    let mut s = format!(
        "ALTER POLICY {} ON {} TO {}",
        quote_ident(&b.name),
        b.table,
        b.roles.join(", ")
    );
    if let Some(u) = &b.using {
        s.push_str(&format!("\n    USING ({u})"));
    }
    if let Some(c) = &b.check {
        s.push_str(&format!("\n    WITH CHECK ({c})"));
    }
    s.push(';');
    Some(Sql::new(
        vec![s],
        vec![authz(
            "the policy's roles or expressions change which rows are visible or writable",
        )],
    ))
}
