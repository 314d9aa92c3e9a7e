//! `contract-invalid`: `policies/access.toml` names something the database does not have — a
//! table or view, an owner or tenant column, a parent table or column, a tenant relation's
//! table or columns, a narrowed column, a trusted function. Only the live schema can say, so
//! this is a finding (with the file position), not a parse error. An error: a contract that
//! does not describe the schema cannot vouch for it.

use super::{Context, Finding, FindingId, Severity};
use crate::access::contract::Pos;
use crate::access::OwnerRef;
use crate::sql::quote_ident;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.contract else {
        return Vec::new();
    };
    let cat = cx.catalog;
    let mut out = Vec::new();
    let mut push =
        |pos: Pos, table: Option<&str>, severity: Severity, message: String, fix: &str| {
            out.push(Finding {
                id: FindingId::ContractInvalid,
                severity,
                object: format!("contract {}:{}:{}", c.path, pos.line, pos.col),
                table: table.map(str::to_string),
                message,
                fix: fix.to_string(),
            });
        };
    let has_col = |table: &str, col: &str| {
        cat.tables
            .get(table)
            .map(|t| t.column(col).is_some())
            .or_else(|| {
                cat.views
                    .get(table)
                    .map(|v| v.columns.iter().any(|(n, _)| n == col))
            })
    };
    for rel in c.tenants.values() {
        match cat.tables.get(&rel.table) {
            None => push(
                rel.pos,
                None,
                Severity::Error,
                format!(
                    "tenant relation `{}`: table {} does not exist",
                    rel.name, rel.table
                ),
                "name the membership table as `schema.table`",
            ),
            Some(t) => {
                for col in std::iter::once(&rel.tenant).chain(&rel.users) {
                    if t.column(col).is_none() {
                        push(
                            rel.pos,
                            Some(&rel.table),
                            Severity::Error,
                            format!(
                                "tenant relation `{}`: {} has no column {}",
                                rel.name,
                                rel.table,
                                quote_ident(col)
                            ),
                            "name columns of the membership table",
                        );
                    }
                }
            }
        }
    }
    for (key, t) in &c.tables {
        let exists = cat.tables.contains_key(key) || cat.views.contains_key(key);
        if !exists {
            push(
                t.pos,
                Some(key),
                Severity::Error,
                format!(
                    "{key} is neither a table nor a view of the audited schemas ({})",
                    cx.config.schemas.join(", ")
                ),
                "fix the name, or remove the entry for a table that is gone",
            );
            continue;
        }
        for o in &t.owner {
            if has_col(key, o.column()) == Some(false) {
                push(
                    t.pos,
                    Some(key),
                    Severity::Error,
                    format!("owner: {key} has no column {}", quote_ident(o.column())),
                    "name the column that holds the row owner's id",
                );
            }
            if let OwnerRef::Parent {
                parent,
                parent_column,
                ..
            } = o
            {
                match cat.tables.get(parent) {
                    None => push(
                        t.pos,
                        Some(key),
                        Severity::Error,
                        format!("owner: parent table {parent} does not exist"),
                        "write `column -> schema.table.owner_column`",
                    ),
                    Some(pt) if pt.column(parent_column).is_none() => push(
                        t.pos,
                        Some(key),
                        Severity::Error,
                        format!(
                            "owner: {parent} has no column {}",
                            quote_ident(parent_column)
                        ),
                        "write `column -> schema.table.owner_column`",
                    ),
                    Some(_) => {}
                }
            }
        }
        if let Some(tn) = &t.tenant {
            if has_col(key, &tn.column) == Some(false) {
                push(
                    t.pos,
                    Some(key),
                    Severity::Error,
                    format!("tenant: {key} has no column {}", quote_ident(&tn.column)),
                    "name the column that holds the row's tenant",
                );
            }
        }
        for (col, rules) in &t.columns {
            if has_col(key, col) == Some(false) {
                push(
                    rules.pos,
                    Some(key),
                    Severity::Error,
                    format!("columns: {key} has no column {}", quote_ident(col)),
                    "fix the column name",
                );
            }
        }
    }
    for f in &c.trusted {
        let found = cat.functions.keys().any(|k| {
            c.trusts(k) && {
                let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
                squash(k) == squash(f) || k.split_once('(').map(|(n, _)| n) == Some(f.as_str())
            }
        });
        if !found {
            push(
                Pos::default(),
                None,
                Severity::Warning,
                format!("[functions] trusted: no function {f} in the audited schemas"),
                "write it as the audit lists functions, e.g. public.is_admin() or public.member_of(uuid)",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn names_the_database_lacks_are_errors_with_their_line() {
        let mut cat = catalog();
        good_notes(&mut cat);
        let text = "[tenants.team]\ntable = \"public.members\"\ntenant = \"team_id\"\nuser = \"user_id\"\n\n\
                    [tables.\"public.notes\"]\nowner = \"author_id\"\nread = \"owner\"\n\n\
                    [tables.\"public.gone\"]\nread = \"public\"\n\n[functions]\ntrusted = [\"public.nope()\"]\n";
        let r = audit(&cat, &supabase(), Some(text));
        let f = of(&r, FindingId::ContractInvalid);
        let msgs: Vec<&str> = f.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(f.len(), 4, "{msgs:#?}");
        assert!(msgs
            .iter()
            .any(|m| m.contains("public.members does not exist")));
        assert!(msgs
            .iter()
            .any(|m| m.contains("owner: public.notes has no column author_id")));
        assert!(msgs
            .iter()
            .any(|m| m.contains("public.gone is neither a table nor a view")));
        assert!(msgs.iter().any(|m| m.contains("no function public.nope()")));
        insta::assert_snapshot!(render(&r.findings, FindingId::ContractInvalid));
    }
}
