//! Functions and procedures: PostgreSQL's own `CREATE OR REPLACE FUNCTION` text.

use super::{authz, hazard, Sql};
use crate::catalog::Function;
use crate::diff::HazardId;

pub fn create_sql(f: &Function) -> String {
    format!("{};", f.definition.trim_end().trim_end_matches(';'))
}

/// `FUNCTION` or `PROCEDURE`.
pub fn keyword(f: &Function) -> &'static str {
    if f.procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    }
}

pub fn drop(key: &str, f: &Function) -> Sql {
    let mut hz = Vec::new();
    if !f.sql_body {
        hz.push(hazard(
            HazardId::UntrackedDependencies,
            "function bodies that call it are not tracked by PostgreSQL and break at run time",
        ));
    }
    Sql::new(vec![format!("DROP {} IF EXISTS {key};", keyword(f))], hz)
}

/// In place: `CREATE OR REPLACE` when the arguments, result and kind stay.
pub fn alter(a: &Function, b: &Function) -> Option<Sql> {
    if a.arguments != b.arguments || a.result != b.result || a.procedure != b.procedure {
        return None;
    }
    let mut hz = Vec::new();
    if a.security_definer != b.security_definer {
        hz.push(authz(
            "SECURITY DEFINER changes whose privileges the function runs with",
        ));
    }
    Some(Sql::new(vec![create_sql(b)], hz))
}
