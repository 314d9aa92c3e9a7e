//! Extended statistics: `CREATE STATISTICS` and `ALTER STATISTICS … SET STATISTICS`.

use super::Sql;
use crate::catalog::Statistics;

fn target_sql(key: &str, s: &Statistics) -> String {
    format!("ALTER STATISTICS {key} SET STATISTICS {};", s.target)
}

pub fn create_sql(key: &str, s: &Statistics) -> String {
    let mut ddl = format!("{};", s.definition.trim_end().trim_end_matches(';'));
    if s.target != -1 {
        ddl.push('\n');
        ddl.push_str(&target_sql(key, s));
    }
    ddl
}

pub fn drop(key: &str) -> Sql {
    Sql::one(format!("DROP STATISTICS IF EXISTS {key};"))
}

/// In place: the statistics target. A changed definition is a replacement.
pub fn alter(key: &str, a: &Statistics, b: &Statistics) -> Option<Sql> {
    if a.definition != b.definition {
        return None;
    }
    Some(Sql::one(target_sql(key, b)))
}
