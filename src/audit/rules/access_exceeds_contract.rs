//! `access-exceeds-contract`: an API role reaches more than `policies/access.toml` allows, on a
//! table, a listed view, or a column narrower than its table. The finding names the table and
//! command, the role, the policy or grant that opens the access (and how strata read its
//! expression), and the contract line it breaks. Only with a contract.
//!
//! Columns: a column whose `read` is narrower than the level at which a role reads rows, while
//! that role holds SELECT on it (a table-wide grant covers every column), is exposed; a column
//! whose `write` is narrower than the level at which a role inserts or updates rows, while the
//! role holds the privilege on it and the policy's WITH CHECK does not pin its value
//! (`role = 'user'`, `role = (select current_role_of_user())`), can be set by that role.

use super::{Context, Finding, FindingId, Severity};
use crate::access::compare::{Judgement, Verdict};
use crate::access::{Command, Level, Source, Via};
use crate::audit::privilege;
use crate::sql::quote_ident;

/// `policies/access.toml:12` or `policies/access.toml [defaults]`.
pub fn contract_place(path: &str, j_line: usize) -> String {
    if j_line == 0 {
        format!("{path} [defaults]")
    } else {
        format!("{path}:{j_line}")
    }
}

/// The one-line fix for one source that opens more than `declared`.
pub fn fix_for(cx: &Context<'_>, table: &str, cmd: Command, s: &Source, declared: Level) -> String {
    let owner = quote_ident(&cx.owner_column(table));
    let user = cx.user_expr();
    let cond = match declared {
        Level::Owner => format!("{owner} = {user}"),
        Level::Tenant => {
            "<tenant column> IN (SELECT <tenant> FROM <membership table> WHERE <member> = <user>)"
                .to_string()
        }
        Level::SignedIn => format!("{user} IS NOT NULL"),
        Level::Admin => "(select <admin check>())".to_string(),
        Level::None | Level::Public => String::new(),
    };
    let clause = match cmd {
        Command::Select | Command::Delete => format!("USING ({cond})"),
        Command::Insert => format!("WITH CHECK ({cond})"),
        Command::Update => format!("USING ({cond}) WITH CHECK ({cond})"),
    };
    let widen = "or, if this access is intended, widen the contract";
    match &s.via {
        Via::Policy { name, .. } => {
            if declared == Level::None {
                format!("DROP POLICY {} ON {table}; (or restrict it TO service_role), {widen}", quote_ident(name))
            } else if declared == Level::SignedIn && s.role == cx.config.anon_role.clone().unwrap_or_default() {
                format!("ALTER POLICY {} ON {table} TO authenticated; {widen}", quote_ident(name))
            } else {
                format!("ALTER POLICY {} ON {table} {clause}; {widen}", quote_ident(name))
            }
        }
        Via::NoRls => format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; and add policies for what the contract allows"),
        Via::Bypass { .. } => format!(
            "ALTER TABLE {table} FORCE ROW LEVEL SECURITY; better, let {} neither own the table nor inherit its owner (ALTER TABLE {table} OWNER TO <migration role>) nor hold BYPASSRLS",
            s.role
        ),
        Via::View { .. } => format!(
            "ALTER VIEW {table} SET (security_invoker = true); or REVOKE {} ON {table} FROM {}; {widen}",
            cmd.as_str(),
            s.role
        ),
    }
}

fn sources_text(sources: &[Source]) -> String {
    sources
        .iter()
        .map(|s| {
            let mut t = s.describe();
            if !s.grant.is_empty() {
                t.push_str(&format!(" ({})", s.grant));
            }
            t
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn object(cx: &Context<'_>, table: &str) -> String {
    match cx.catalog.views.get(table) {
        Some(v) if v.materialized => format!("materialized view {table}"),
        Some(_) => format!("view {table}"),
        None => format!("table {table}"),
    }
}

fn table_finding(cx: &Context<'_>, j: &Judgement, path: &str) -> Finding {
    let place = contract_place(path, j.pos.line);
    let (message, fix) = if j.verdict == Verdict::AdminExceeds {
        (
            format!(
                "{}: admins reach every row (the policy's user guard), but the contract ({place}) says {} and lists no admin extra for `{}`; opened by {}",
                j.command,
                j.declared,
                j.command.contract_word(),
                sources_text(&j.sources)
            ),
            format!(
                "if admins may do this, add admin = [\"{}\"] to the table in {path}; otherwise drop the user guard from the policy",
                j.command.contract_word()
            ),
        )
    } else {
        let widest = j.sources.iter().map(|s| s.lo).max().unwrap_or(Level::None);
        let roles: Vec<&str> = {
            let mut r: Vec<&str> = j.sources.iter().map(|s| s.role.as_str()).collect();
            r.dedup();
            r
        };
        (
            format!(
                "{} by {}: {} ({}), but the contract ({place}) says {} ({}); opened by {}",
                j.command,
                roles.join(", "),
                widest,
                widest.describe(),
                j.declared,
                j.declared.describe(),
                sources_text(&j.sources)
            ),
            j.sources
                .first()
                .map(|s| fix_for(cx, &j.table, j.command, s, j.declared))
                .unwrap_or_default(),
        )
    };
    Finding {
        id: FindingId::AccessExceedsContract,
        severity: Severity::Error,
        object: object(cx, &j.table),
        table: Some(j.table.clone()),
        message,
        fix,
    }
}

/// The WITH CHECK (or USING) of the named policy sets `col` to a value that does not come from
/// the row being written.
fn pins(cx: &Context<'_>, table: &str, policy: &str, col: &str) -> bool {
    let Some(p) = cx.policies_of(table).iter().find(|p| p.name == policy) else {
        return false;
    };
    let Some(text) = p.check.as_deref().or(p.using.as_deref()) else {
        return false;
    };
    crate::audit::expr::conjuncts(text).iter().any(|c| {
        crate::audit::classify::pinned_column(c)
            .is_some_and(|(pinned, row_free)| pinned == col && row_free)
    })
}

fn column_findings(cx: &Context<'_>, path: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(contract) = cx.contract else {
        return out;
    };
    for (key, tc) in &contract.tables {
        let Some(table) = cx.catalog.tables.get(key) else {
            continue;
        };
        let owner = cx.catalog.owners.get(key).map(String::as_str);
        for (col, rules) in &tc.columns {
            let Some(c) = table.column(col) else { continue };
            let checks = [
                (Command::Select, rules.read, "read"),
                (Command::Insert, rules.write, "write"),
                (Command::Update, rules.write, "write"),
            ];
            for (cmd, limit, word) in checks {
                let Some(limit) = limit else { continue };
                let Some(reach) = cx.reaches.get(&(key.as_str(), cmd)) else {
                    continue;
                };
                let mut opened: Vec<&Source> = Vec::new();
                for s in &reach.sources {
                    if s.lo <= limit || (s.admin && s.lo == Level::Admin) {
                        continue;
                    }
                    let roles = privilege::inherited(cx.catalog, &s.role);
                    let holds = privilege::granted(&table.acl, cmd.as_str(), &roles, owner)
                        || privilege::granted(&c.acl, cmd.as_str(), &roles, owner);
                    if !holds {
                        continue;
                    }
                    if cmd != Command::Select {
                        if let Via::Policy { name, .. } = &s.via {
                            if pins(cx, key, name, col) {
                                continue;
                            }
                        }
                    }
                    opened.push(s);
                }
                if opened.is_empty() {
                    continue;
                }
                let roles: Vec<String> = {
                    let mut r: Vec<String> = opened.iter().map(|s| s.role.clone()).collect();
                    r.dedup();
                    r
                };
                let widest = opened.iter().map(|s| s.lo).max().unwrap_or(Level::None);
                let place = format!("{path}:{}", rules.pos.line);
                let colq = quote_ident(col);
                let (message, fix) = if cmd == Command::Select {
                    (
                        format!(
                            "column {colq} is readable by {} at level {widest} (a privilege that covers the column, and rows {}), but the contract ({place}) says read = {limit}; opened by {}",
                            roles.join(", "),
                            widest.describe(),
                            sources_text(&opened.iter().map(|s| (*s).clone()).collect::<Vec<_>>())
                        ),
                        format!(
                            "REVOKE SELECT ON {key} FROM {r}; GRANT SELECT (<every column but {colq}>) ON {key} TO {r}; and serve {colq} to those allowed through a view or function",
                            r = roles.join(", ")
                        ),
                    )
                } else {
                    (
                        format!(
                            "column {colq} can be set with {cmd} by {} at level {widest}, but the contract ({place}) says {word} = {limit}; nothing pins its value in {}",
                            roles.join(", "),
                            sources_text(&opened.iter().map(|s| (*s).clone()).collect::<Vec<_>>())
                        ),
                        format!(
                            "pin it in the policy's WITH CHECK ({colq} = <its allowed value>), or REVOKE {cmd} ON {key} FROM {r}; GRANT {cmd} (<every column but {colq}>) ON {key} TO {r}",
                            r = roles.join(", ")
                        ),
                    )
                };
                out.push(Finding {
                    id: FindingId::AccessExceedsContract,
                    severity: Severity::Error,
                    object: format!("column {key}.{colq}"),
                    table: Some(key.clone()),
                    message,
                    fix,
                });
            }
        }
    }
    out
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(contract) = cx.contract else {
        return Vec::new();
    };
    let mut out: Vec<Finding> = cx
        .judgements
        .iter()
        .filter(|j| matches!(j.verdict, Verdict::Exceeds | Verdict::AdminExceeds))
        .map(|j| table_finding(cx, j, &contract.path))
        .collect();
    out.extend(column_findings(cx, &contract.path));
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn a_wider_update_policy_exceeds_the_owner_contract() {
        let cat = notes_with(
            "notes_update",
            Some(policy(
                "notes",
                "notes_update",
                "UPDATE",
                &["authenticated"],
                Some("true"),
                None,
            )),
        );
        let r = audit(&cat, &supabase(), Some(NOTES_CONTRACT));
        let f = of(&r, FindingId::AccessExceedsContract);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "table public.notes");
        assert!(
            f[0].message.contains("UPDATE by authenticated: signed-in"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message
                .contains("policy notes_update (USING): constant true"),
            "{}",
            f[0].message
        );
        assert!(f[0].fix.contains(
            "USING (user_id = (select auth.uid())) WITH CHECK (user_id = (select auth.uid()))"
        ));
        assert!(r.failed());
        insta::assert_snapshot!(render(&r.findings, FindingId::AccessExceedsContract));
    }

    #[test]
    fn an_insert_fix_uses_with_check_and_the_real_owner_column() {
        let mut cat = notes_with("notes_insert", None);
        if let Some(t) = cat.tables.get_mut("public.notes") {
            t.columns.push(col("author_id", "uuid"));
        }
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_insert",
                "INSERT",
                &["authenticated"],
                None,
                Some("(body IS NOT NULL)"),
            ),
        );
        let contract = NOTES_CONTRACT.replace("owner = \"user_id\"", "owner = \"author_id\"");
        let r = audit(&cat, &supabase(), Some(&contract));
        let f = of(&r, FindingId::AccessExceedsContract);
        let insert = f
            .iter()
            .find(|x| x.message.starts_with("INSERT"))
            .cloned()
            .unwrap_or_else(|| panic!("{f:#?}"));
        assert_eq!(
            insert.fix,
            "ALTER POLICY notes_insert ON public.notes WITH CHECK (author_id = (select auth.uid())); or, if this access is intended, widen the contract"
        );
    }

    #[test]
    fn admins_reaching_every_row_need_an_admin_line() {
        let mut cat = catalog();
        good_notes(&mut cat);
        add_function(
            &mut cat,
            "is_admin",
            "",
            "boolean",
            true,
            "SELECT auth.uid() IS NOT NULL",
        );
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_admin",
                "DELETE",
                &["authenticated"],
                Some("( SELECT public.is_admin() AS is_admin)"),
                None,
            ),
        );
        let r = audit(
            &cat,
            &supabase(),
            Some(&format!(
                "{NOTES_CONTRACT}\n[functions]\ntrusted = [\"public.is_admin()\"]\n"
            )),
        );
        let f = of(&r, FindingId::AccessExceedsContract);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.starts_with("DELETE: admins reach every row"),
            "{}",
            f[0].message
        );
        let ok = audit(
            &cat,
            &supabase(),
            Some(&format!(
                "{}admin = [\"delete\"]\n\n[functions]\ntrusted = [\"public.is_admin()\"]\n",
                NOTES_CONTRACT
            )),
        );
        assert!(of(&ok, FindingId::AccessExceedsContract).is_empty());
    }

    #[test]
    fn a_narrow_column_exposed_by_a_table_grant() {
        let mut cat = catalog();
        let mut t = user_table("profiles");
        t.columns.push(col("email", "text"));
        add_table(&mut cat, t);
        add_policy(
            &mut cat,
            policy(
                "profiles",
                "read",
                "SELECT",
                &["anon", "authenticated"],
                Some("true"),
                None,
            ),
        );
        let text = "[tables.\"public.profiles\"]\nowner = \"user_id\"\nread = \"public\"\n\n[tables.\"public.profiles\".columns]\nemail = { read = \"owner\" }\n";
        let r = audit(&cat, &supabase(), Some(text));
        let f = of(&r, FindingId::AccessExceedsContract);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "column public.profiles.email");
        insta::assert_snapshot!(render(&r.findings, FindingId::AccessExceedsContract));
    }
}
