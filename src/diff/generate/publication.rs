//! Publications and the tables they publish: `CREATE PUBLICATION` (without its tables), then
//! `ALTER PUBLICATION … ADD TABLE` per table (an item of its own).

use super::Sql;
use crate::catalog::{Publication, PublicationTable};
use crate::sql::{quote_ident, quote_literal};

fn with(p: &Publication) -> String {
    format!(
        "(publish = {}, publish_via_partition_root = {})",
        quote_literal(&p.publish.join(", ")),
        p.via_root
    )
}

/// The publication without its tables (those are separate items).
pub fn create_sql(p: &Publication) -> String {
    let mut s = format!("CREATE PUBLICATION {}", quote_ident(&p.name));
    if p.all_tables {
        s.push_str(" FOR ALL TABLES");
    } else if !p.schemas.is_empty() {
        let list: Vec<String> = p
            .schemas
            .iter()
            .map(|n| format!("TABLES IN SCHEMA {n}"))
            .collect();
        s.push_str(&format!(" FOR {}", list.join(", ")));
    }
    s.push_str(&format!(" WITH {};", with(p)));
    s
}

pub fn drop(p: &Publication) -> Sql {
    Sql::one(format!(
        "DROP PUBLICATION IF EXISTS {};",
        quote_ident(&p.name)
    ))
}

/// In place: what is published and the schemas. `FOR ALL TABLES` on or off is a replacement.
pub fn alter(a: &Publication, b: &Publication) -> Option<Sql> {
    if a.all_tables != b.all_tables {
        return None;
    }
    let name = quote_ident(&b.name);
    let mut s = Vec::new();
    if a.publish != b.publish || a.via_root != b.via_root {
        s.push(format!("ALTER PUBLICATION {name} SET {};", with(b)));
    }
    for gone in a.schemas.iter().filter(|n| !b.schemas.contains(n)) {
        s.push(format!(
            "ALTER PUBLICATION {name} DROP TABLES IN SCHEMA {gone};"
        ));
    }
    for new in b.schemas.iter().filter(|n| !a.schemas.contains(n)) {
        s.push(format!(
            "ALTER PUBLICATION {name} ADD TABLES IN SCHEMA {new};"
        ));
    }
    Some(Sql::new(s, Vec::new()))
}

fn table_spec(t: &PublicationTable) -> String {
    let mut s = format!("TABLE {}", t.table);
    if let Some(cols) = &t.columns {
        let cols: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
        s.push_str(&format!(" ({})", cols.join(", ")));
    }
    if let Some(f) = &t.row_filter {
        s.push_str(&format!(" WHERE ({f})"));
    }
    s
}

pub fn add_table_sql(p: &Publication, t: &PublicationTable) -> String {
    format!(
        "ALTER PUBLICATION {} ADD {};",
        quote_ident(&p.name),
        table_spec(t)
    )
}

pub fn drop_table(p: &Publication, t: &PublicationTable) -> Sql {
    Sql::one(format!(
        "ALTER PUBLICATION {} DROP TABLE {};",
        quote_ident(&p.name),
        t.table
    ))
}

/// A changed column list or row filter: out and back in, in one step.
pub fn alter_table(a: &Publication, b: &Publication, t: &PublicationTable) -> Sql {
    let mut s = drop_table(a, t).statements;
    s.push(add_table_sql(b, t));
    Sql::new(s, Vec::new())
}
