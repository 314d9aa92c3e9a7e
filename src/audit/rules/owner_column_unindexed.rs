//! `owner-column-unindexed`: an owner column (see `audit::owner`) that no index starts with.
//! Every policy of the form `user_id = (select auth.uid())` then scans the whole table, and so
//! does every cascade from the users table.

use super::{Context, Finding, FindingId, Severity};
use crate::audit::owner::{leading_index_columns, OwnerSource};
use crate::sql::quote_ident;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, owners) in cx.owner_columns {
        let Some(t) = cx.catalog.tables.get(key) else {
            continue;
        };
        // A partition's indexes come from its parent's partitioned index.
        if t.partition_of.is_some() {
            continue;
        }
        let indexed = leading_index_columns(cx.catalog, key, t);
        for o in owners {
            if indexed.contains(&o.column) {
                continue;
            }
            let why = match &o.source {
                OwnerSource::ForeignKey { references } => format!("references {references}"),
                OwnerSource::Configured => "named in [auth] owner_columns".to_string(),
            };
            let col = quote_ident(&o.column);
            out.push(Finding {
                id: FindingId::OwnerColumnUnindexed,
                severity: Severity::Warning,
                object: format!("table {key}"),
                table: Some(key.clone()),
                message: format!(
                    "owner column {col} ({why}) has no index that starts with it: policies on the owner scan the whole table"
                ),
                fix: format!("CREATE INDEX ON {key} ({col});"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn owner_column_without_an_index() {
        let mut cat = catalog();
        good_notes(&mut cat);
        cat.indexes.clear();
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::OwnerColumnUnindexed);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].fix, "CREATE INDEX ON public.notes (user_id);");
        insta::assert_snapshot!(render(&r.findings, FindingId::OwnerColumnUnindexed));
    }
}
