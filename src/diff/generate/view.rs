//! Views and materialized views: `CREATE [OR REPLACE] VIEW` with options.

use super::{authz, hazard, Sql};
use crate::catalog::View;
use crate::diff::HazardId;

pub fn create_sql(key: &str, v: &View, or_replace: bool) -> String {
    let with = if v.options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", v.options.join(", "))
    };
    let def = v.definition.trim().trim_end_matches(';');
    if v.materialized {
        format!("CREATE MATERIALIZED VIEW {key}{with} AS\n{def};")
    } else {
        let or = if or_replace { "OR REPLACE " } else { "" };
        format!("CREATE {or}VIEW {key}{with} AS\n{def};")
    }
}

/// `VIEW` or `MATERIALIZED VIEW`.
pub fn keyword(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

pub fn create(ddl: String, v: &View) -> Sql {
    let hz = if v.materialized {
        vec![hazard(
            HazardId::LongLock,
            "the materialized view's query runs to populate it",
        )]
    } else {
        vec![]
    };
    Sql::new(vec![ddl], hz)
}

pub fn drop(key: &str, v: &View) -> Sql {
    Sql::one(format!("DROP {} IF EXISTS {key};", keyword(v)))
}

/// In place: `CREATE OR REPLACE VIEW` when the old output columns are a prefix of the new
/// ones, and options by `ALTER VIEW … SET/RESET`. Materialized views are replaced.
pub fn alter(k: &str, a: &View, b: &View) -> Option<Sql> {
    if a.materialized || b.materialized {
        return None;
    }
    let prefix =
        a.columns.len() <= b.columns.len() && a.columns.iter().zip(&b.columns).all(|(p, q)| p == q);
    if !prefix {
        return None;
    }
    let mut s = Vec::new();
    if a.definition != b.definition {
        let plain = View {
            options: a.options.clone(),
            ..b.clone()
        };
        s.push(create_sql(k, &plain, true));
    }
    if a.options != b.options {
        s.extend(super::table::options_change(
            &format!("ALTER VIEW {k}"),
            &a.options,
            &b.options,
        ));
    }
    let hz = if a.options != b.options {
        vec![authz(
            "view options such as security_invoker decide whose row-level security applies",
        )]
    } else {
        vec![]
    };
    Some(Sql::new(s, hz))
}
