//! Rewrite rules: `CREATE [OR REPLACE] RULE`, enabled state by `ALTER TABLE … ENABLE RULE`.

use super::Sql;
use crate::catalog::{ObjectKind, Rule};
use crate::sql::quote_ident;

fn enable_sql(r: &Rule) -> Option<String> {
    let action = match r.enabled.as_str() {
        "disabled" => "DISABLE RULE",
        "replica" => "ENABLE REPLICA RULE",
        "always" => "ENABLE ALWAYS RULE",
        _ => return None,
    };
    Some(format!(
        "ALTER TABLE {} {action} {};",
        r.relation,
        quote_ident(&r.name)
    ))
}

fn definition(r: &Rule) -> String {
    format!("{};", r.definition.trim_end().trim_end_matches(';'))
}

pub fn create_sql(r: &Rule) -> String {
    let mut s = definition(r);
    if let Some(e) = enable_sql(r) {
        s.push('\n');
        s.push_str(&e);
    }
    s
}

pub fn drop(r: &Rule) -> Sql {
    Sql::one(format!(
        "DROP RULE IF EXISTS {} ON {};",
        quote_ident(&r.name),
        r.relation
    ))
}

/// In place: `CREATE OR REPLACE RULE` for a new definition, `ALTER TABLE … ENABLE/DISABLE
/// RULE` for the state (tables only).
pub fn alter(a: &Rule, b: &Rule) -> Option<Sql> {
    let mut s = Vec::new();
    if a.definition != b.definition {
        s.push(definition(b).replacen("CREATE RULE", "CREATE OR REPLACE RULE", 1));
    }
    if a.enabled != b.enabled {
        if b.relation_kind != ObjectKind::Table {
            return None;
        }
        s.push(enable_sql(b).unwrap_or_else(|| {
            format!(
                "ALTER TABLE {} ENABLE RULE {};",
                b.relation,
                quote_ident(&b.name)
            )
        }));
    }
    Some(Sql::new(s, Vec::new()))
}
