//! Security labels: `SECURITY LABEL FOR provider ON <object> IS 'label'`.

use super::Sql;
use crate::catalog::SecurityLabel;
use crate::sql::{quote_ident, quote_literal};

fn statement(l: &SecurityLabel, label: Option<&str>) -> String {
    format!(
        "SECURITY LABEL FOR {} ON {} {} IS {};",
        quote_ident(&l.provider),
        l.object_type,
        l.object,
        label.map(quote_literal).unwrap_or_else(|| "NULL".into())
    )
}

pub fn create_sql(l: &SecurityLabel) -> String {
    statement(l, Some(&l.label))
}

pub fn drop(l: &SecurityLabel) -> Sql {
    Sql::one(statement(l, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_like_sql() {
        let l = SecurityLabel {
            provider: "selinux".into(),
            object_type: "TABLE".into(),
            object: "public.t".into(),
            label: "system_u:object_r:sepgsql_table_t:s0".into(),
        };
        assert_eq!(
            create_sql(&l),
            "SECURITY LABEL FOR selinux ON TABLE public.t IS 'system_u:object_r:sepgsql_table_t:s0';"
        );
        assert_eq!(
            drop(&l).statements,
            ["SECURITY LABEL FOR selinux ON TABLE public.t IS NULL;"]
        );
    }
}
