//! `security-definer-untrusted`: a SECURITY DEFINER function that API roles may call (EXECUTE
//! through PUBLIC, which PostgreSQL grants by default, or a grant) reads or writes tables under
//! row-level security while running as an owner who skips it (superuser, BYPASSRLS, or the
//! tables' owner without FORCE). Whatever it returns or changes is outside the policies, so
//! unless it was reviewed and listed under `[functions] trusted` in the contract it is an
//! error. Without a contract (nothing can be trusted yet) it is a warning. Trigger functions
//! are left out: no client can call them.

use super::{Context, Finding, FindingId, Severity};
use crate::audit::classify::{body_tables, function_body};
use crate::audit::privilege;

/// The API roles that may execute the function, with how.
pub fn callers(cx: &Context<'_>, key: &str, f: &crate::catalog::Function) -> Vec<String> {
    let owner = cx.catalog.function_owners.get(key).map(String::as_str);
    cx.config
        .api_roles
        .iter()
        .filter(|r| cx.catalog.roles.contains_key(&crate::sql::quote_ident(r)))
        .filter(|r| {
            let roles = privilege::inherited(cx.catalog, r);
            privilege::granted(&f.acl, "EXECUTE", &roles, owner)
                && privilege::schema_usage(cx.catalog, &f.schema, &roles)
        })
        .cloned()
        .collect()
}

/// Why the function's owner skips row-level security on `table` (None: it does not).
pub fn owner_skips(cx: &Context<'_>, owner: Option<&str>, table: &str) -> Option<String> {
    let t = cx.catalog.tables.get(table)?;
    if !t.rls_enabled {
        return Some(format!("{table} has row-level security disabled"));
    }
    let owner = owner?;
    let r = cx.catalog.roles.get(owner);
    if r.is_some_and(|r| r.superuser) {
        return Some(format!("its owner {owner} is a superuser"));
    }
    if r.is_some_and(|r| r.bypass_rls) {
        return Some(format!("its owner {owner} has BYPASSRLS"));
    }
    let roles = privilege::inherited(cx.catalog, owner.trim_matches('"'));
    if !t.rls_forced && privilege::owns(cx.catalog, table, &roles).is_some() {
        return Some(format!(
            "its owner {owner} owns {table} (row-level security not forced)"
        ));
    }
    None
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, f) in &cx.catalog.functions {
        if !f.security_definer
            || matches!(f.result.as_deref(), Some("trigger") | Some("event_trigger"))
            || cx.contract.is_some_and(|c| c.trusts(key))
        {
            continue;
        }
        let callers = callers(cx, key, f);
        if callers.is_empty() {
            continue;
        }
        let owner = cx.catalog.function_owners.get(key).map(String::as_str);
        let covered = |t: &str| match cx.contract {
            Some(_) => cx.catalog.tables.contains_key(t),
            None => cx.catalog.tables.get(t).is_some_and(|x| x.rls_enabled),
        };
        let skipped: Vec<String> = body_tables(cx.catalog, function_body(&f.definition))
            .into_iter()
            .filter(|t| covered(t))
            .filter_map(|t| owner_skips(cx, owner, &t).map(|why| format!("{t} ({why})")))
            .collect();
        if skipped.is_empty() {
            continue;
        }
        let kind = if f.procedure { "procedure" } else { "function" };
        out.push(Finding {
            id: FindingId::SecurityDefinerUntrusted,
            severity: if cx.contract.is_some() {
                Severity::Error
            } else {
                Severity::Warning
            },
            object: format!("{kind} {key}"),
            table: None,
            message: format!(
                "SECURITY DEFINER {kind} callable by {} reads or writes {} without their row-level security, and is not listed as trusted in the access contract",
                callers.join(", "),
                skipped.join(", ")
            ),
            fix: format!(
                "review it (does it check the caller, e.g. against {}?), then list it under [functions] trusted in policies/access.toml; or make it SECURITY INVOKER; or REVOKE EXECUTE ON FUNCTION {key} FROM PUBLIC, {}",
                cx.user_expr(),
                callers.join(", ")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::{FindingId, Severity};

    #[test]
    fn an_untrusted_definer_over_contract_tables() {
        let mut cat = catalog();
        good_notes(&mut cat);
        add_function(
            &mut cat,
            "notes_of",
            "p_user uuid",
            "SETOF notes",
            true,
            "SELECT * FROM public.notes WHERE user_id = p_user",
        );
        add_function(
            &mut cat,
            "invoker",
            "p_user uuid",
            "SETOF notes",
            false,
            "SELECT * FROM public.notes",
        );
        add_function(
            &mut cat,
            "touch",
            "",
            "trigger",
            true,
            "UPDATE public.notes SET body = body",
        );
        let r = audit(&cat, &supabase(), Some(NOTES_CONTRACT));
        let f = of(&r, FindingId::SecurityDefinerUntrusted);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "function public.notes_of(uuid)");
        assert_eq!(f[0].severity, Severity::Error);
        insta::assert_snapshot!(render(&r.findings, FindingId::SecurityDefinerUntrusted));
        // Trusted after review: no finding; without a contract only a warning.
        let trusted = audit(
            &cat,
            &supabase(),
            Some(&format!(
                "{NOTES_CONTRACT}\n[functions]\ntrusted = [\"public.notes_of(uuid)\"]\n"
            )),
        );
        assert!(of(&trusted, FindingId::SecurityDefinerUntrusted).is_empty());
        let heuristic = audit(&cat, &supabase(), None);
        assert_eq!(
            of(&heuristic, FindingId::SecurityDefinerUntrusted)[0].severity,
            Severity::Warning
        );
    }
}
