//! Triggers: `pg_get_triggerdef` plus their enabled state.

use super::Sql;
use crate::catalog::Trigger;
use crate::sql::quote_ident;

fn enable_sql(t: &Trigger) -> Option<String> {
    let action = match t.enabled.as_str() {
        "disabled" => "DISABLE TRIGGER",
        "replica" => "ENABLE REPLICA TRIGGER",
        "always" => "ENABLE ALWAYS TRIGGER",
        _ => return None,
    };
    Some(format!(
        "ALTER TABLE {} {action} {};",
        t.table,
        quote_ident(&t.name)
    ))
}

pub fn create_sql(t: &Trigger) -> String {
    let mut s = format!("{};", t.definition.trim_end().trim_end_matches(';'));
    if let Some(e) = enable_sql(t) {
        s.push('\n');
        s.push_str(&e);
    }
    s
}

pub fn drop(t: &Trigger) -> Sql {
    Sql::one(format!(
        "DROP TRIGGER IF EXISTS {} ON {};",
        quote_ident(&t.name),
        t.table
    ))
}

/// In place: enabling or disabling. A changed definition is a replacement.
pub fn alter(a: &Trigger, b: &Trigger) -> Option<Sql> {
    if a.definition != b.definition {
        return None;
    }
    let stmt = enable_sql(b).unwrap_or_else(|| {
        format!(
            "ALTER TABLE {} ENABLE TRIGGER {};",
            b.table,
            quote_ident(&b.name)
        )
    });
    Some(Sql::one(stmt))
}
