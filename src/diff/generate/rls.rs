//! Row-level security of a table: ENABLE/DISABLE and FORCE/NO FORCE.

use super::{authz, Sql};
use crate::catalog::Table;

pub fn create_sql(t: &Table) -> String {
    let key = super::table::key(t);
    format!(
        "ALTER TABLE {key} {} ROW LEVEL SECURITY;\nALTER TABLE {key} {} ROW LEVEL SECURITY;",
        if t.rls_enabled { "ENABLE" } else { "DISABLE" },
        if t.rls_forced { "FORCE" } else { "NO FORCE" }
    )
}

fn change(from: &Table, to: &Table) -> Vec<String> {
    let key = super::table::key(to);
    let mut out = Vec::new();
    if from.rls_enabled != to.rls_enabled {
        out.push(format!(
            "ALTER TABLE {key} {} ROW LEVEL SECURITY;",
            if to.rls_enabled { "ENABLE" } else { "DISABLE" }
        ));
    }
    if from.rls_forced != to.rls_forced {
        out.push(format!(
            "ALTER TABLE {key} {} ROW LEVEL SECURITY;",
            if to.rls_forced { "FORCE" } else { "NO FORCE" }
        ));
    }
    out
}

fn off(t: &Table) -> Table {
    Table {
        rls_enabled: false,
        rls_forced: false,
        ..t.clone()
    }
}

pub fn create(t: &Table) -> Sql {
    Sql::new(
        change(&off(t), t),
        vec![authz("row-level security changes who sees which rows")],
    )
}

pub fn drop(t: &Table) -> Sql {
    Sql::new(change(t, &off(t)), Vec::new())
}

pub fn alter(a: &Table, b: &Table) -> Sql {
    Sql::new(
        change(a, b),
        vec![authz(if b.rls_enabled && !a.rls_enabled {
            "enabling row-level security hides every row no policy allows"
        } else {
            "disabling row-level security lets every role with table privileges see all rows"
        })],
    )
}
