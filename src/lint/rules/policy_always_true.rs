//! `policy-always-true`: a permissive policy the migration creates or changes whose USING or
//! WITH CHECK is the constant `true`, so everyone it applies to gets every row. An error for
//! commands that write (INSERT, UPDATE, DELETE, ALL): anyone can change anyone's rows. A
//! warning for SELECT, where it is sometimes meant (public data), which an allow with the
//! reason records. Restrictive policies that are always true restrict nothing and harm nothing.

use super::{Context, Finding, RuleId, Severity};
use crate::audit::expr::is_constant_true;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &cx.facts.final_state.policies {
        if !p.permissive {
            continue;
        }
        let using = p.using_expr.as_deref().is_some_and(is_constant_true);
        let checked = p.check_expr.as_deref().is_some_and(is_constant_true);
        if !using && !checked {
            continue;
        }
        let Some(s) = cx.facts.statements.iter().rev().find(|s| {
            s.policies
                .iter()
                .any(|c| c.after.as_ref().is_some_and(|a| a.oid == p.oid))
        }) else {
            continue;
        };
        let severity = if p.command == "SELECT" {
            Severity::Warning
        } else {
            Severity::Error
        };
        let clause = match (using, checked) {
            (true, true) => "USING (true) WITH CHECK (true)",
            (true, false) => "USING (true)",
            _ => "WITH CHECK (true)",
        };
        let roles = p.roles.join(", ");
        let effect = match p.command.as_str() {
            "SELECT" => "read every row",
            "INSERT" => "insert any row",
            "UPDATE" if using => "change every row",
            "UPDATE" => "change rows into anything",
            "DELETE" => "delete every row",
            _ if using => "read, change and delete every row",
            _ => "write any row",
        };
        out.push(cx.finding(
            RuleId::PolicyAlwaysTrue,
            severity,
            s,
            Some(format!("policy {} on {}", p.name, p.table)),
            format!(
                "policy {} on {} is {clause} for {} ({roles}): they can {effect}",
                p.name, p.table, p.command
            ),
            "make the condition name whose rows they are, e.g. USING (user_id = (SELECT auth.uid())) and the same WITH CHECK; if every row really is public, keep it to SELECT and record why: -- strata:allow policy-always-true <reason>".to_string(),
        ));
    }
    out.sort_by_key(|f| f.offset);
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::lint::facts::{PolicyRow, RelKind};

    fn sample(command: &str, using: Option<&str>, check_expr: Option<&str>) -> Sample {
        let mut s = Sample::new("CREATE POLICY notes_write ON notes FOR UPDATE USING (true);");
        let t = rel(10, "notes", RelKind::Table);
        s.existing(&t);
        let mut p = policy(40, &t, "notes_write", command);
        p.roles = vec!["authenticated".into()];
        p.using_expr = using.map(str::to_string);
        p.check_expr = check_expr.map(str::to_string);
        s.facts.final_state.policies.push(p);
        s.stmt(0).policies.push(changed(
            None,
            Some(PolicyRow {
                oid: 40,
                relation: 10,
                name: "notes_write".into(),
            }),
        ));
        s
    }

    #[test]
    fn update_using_true_is_an_error() {
        let s = sample("UPDATE", Some("true"), None);
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Error);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn select_using_true_is_a_warning_and_owned_rows_are_fine() {
        let s = sample("SELECT", Some("true"), None);
        assert_eq!(s.check(check)[0].severity, Severity::Warning);
        let s = sample(
            "UPDATE",
            Some("(user_id = ( SELECT auth.uid() AS uid))"),
            None,
        );
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn restrictive_true_is_harmless() {
        let mut s = sample("ALL", Some("true"), None);
        s.facts.final_state.policies[0].permissive = false;
        assert!(s.check(check).is_empty());
    }
}
