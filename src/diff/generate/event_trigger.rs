//! Event triggers: `CREATE EVENT TRIGGER`, enabled state by `ALTER EVENT TRIGGER`.

use super::Sql;
use crate::catalog::EventTrigger;
use crate::sql::{quote_ident, quote_literal};

fn enable_sql(e: &EventTrigger) -> Option<String> {
    let action = match e.enabled.as_str() {
        "disabled" => "DISABLE",
        "replica" => "ENABLE REPLICA",
        "always" => "ENABLE ALWAYS",
        _ => return None,
    };
    Some(format!(
        "ALTER EVENT TRIGGER {} {action};",
        quote_ident(&e.name)
    ))
}

pub fn create_sql(e: &EventTrigger) -> String {
    let mut s = format!(
        "CREATE EVENT TRIGGER {} ON {}",
        quote_ident(&e.name),
        quote_ident(&e.event)
    );
    if !e.tags.is_empty() {
        let tags: Vec<String> = e.tags.iter().map(|t| quote_literal(t)).collect();
        s.push_str(&format!("\n    WHEN TAG IN ({})", tags.join(", ")));
    }
    s.push_str(&format!("\n    EXECUTE FUNCTION {};", e.function));
    if let Some(en) = enable_sql(e) {
        s.push('\n');
        s.push_str(&en);
    }
    s
}

pub fn drop(e: &EventTrigger) -> Sql {
    Sql::one(format!(
        "DROP EVENT TRIGGER IF EXISTS {};",
        quote_ident(&e.name)
    ))
}

/// In place: the enabled state. Anything else is a replacement.
pub fn alter(a: &EventTrigger, b: &EventTrigger) -> Option<Sql> {
    if (&a.event, &a.function, &a.tags) != (&b.event, &b.function, &b.tags) {
        return None;
    }
    Some(Sql::one(enable_sql(b).unwrap_or_else(|| {
        format!("ALTER EVENT TRIGGER {} ENABLE;", quote_ident(&b.name))
    })))
}
