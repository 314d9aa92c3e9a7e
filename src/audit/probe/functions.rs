//! The probe's calls of SECURITY DEFINER functions: those API roles may execute, that the
//! contract does not trust, and that take a user id, are called by each listed user with every
//! other principal's id. A function that returns something for another user (a value that is
//! not NULL, false, 0 or empty; a row), or changes rows of the tables it names, leaked.

use super::attack::{Bind, Session};
use super::plan::{Kind, Principal};
use super::{Input, Leak};
use crate::access::Contract;
use crate::audit::classify::{body_tables, function_body};
use crate::audit::privilege;
use crate::catalog::Function;
use crate::db::{DbError, PgFailure};
use crate::sql::quote_ident;
use serde::Serialize;

/// One function call as another user.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionProbe {
    pub function: String,
    pub principal: String,
    /// The id it was called with.
    pub with: String,
    #[serde(flatten)]
    pub outcome: super::Outcome,
}

/// Arguments: index of the one the user id goes in; the others must have defaults.
fn id_argument(f: &Function) -> Option<usize> {
    let args: Vec<&str> = if f.identity_arguments.trim().is_empty() {
        Vec::new()
    } else {
        f.identity_arguments.split(',').map(str::trim).collect()
    };
    let defaults = f.arguments.matches(" DEFAULT ").count().min(args.len());
    let id = args.iter().position(|a| {
        let ty = a.rsplit(' ').next().unwrap_or(a);
        matches!(ty, "uuid" | "text" | "bigint" | "integer")
    })?;
    // Every argument but the id must be optional (defaults come last).
    let required = args.len() - defaults;
    (required == 0 || (required == 1 && id == 0)).then_some(id)
}

fn set_returning(f: &Function) -> bool {
    f.result
        .as_deref()
        .is_some_and(|r| r.starts_with("SETOF ") || r.starts_with("TABLE("))
}

/// Calls the candidates; leaks go to `leaks`.
pub async fn probe(
    session: &mut Session<'_, '_>,
    input: &Input<'_>,
    contract: &Contract,
    users: &[&Principal],
    leaks: &mut Vec<Leak>,
) -> Result<Vec<FunctionProbe>, DbError> {
    let cat = input.catalog;
    let mut out = Vec::new();
    if input.contract.is_none() {
        // Without a contract nothing says whose data a function may return.
        return Ok(out);
    }
    let victims: Vec<String> = users
        .iter()
        .filter_map(|u| u.id.clone())
        .chain(contract.principals.admins.iter().cloned())
        .collect();
    for (key, f) in &cat.functions {
        if !f.security_definer
            || f.procedure
            || matches!(f.result.as_deref(), Some("trigger") | Some("event_trigger"))
            || contract.trusts(key)
        {
            continue;
        }
        let Some(arg) = id_argument(f) else { continue };
        let tables = body_tables(cat, function_body(&f.definition));
        for p in users {
            let roles = privilege::inherited(cat, &p.role);
            let owner = cat.function_owners.get(key).map(String::as_str);
            if !privilege::granted(&f.acl, "EXECUTE", &roles, owner) {
                continue;
            }
            for v in victims.iter().filter(|v| Some(*v) != p.id.as_ref()) {
                let outcome = call(session, p, key, f, arg, v, &tables).await?;
                if let super::Outcome::Leak { detail, rows } = &outcome {
                    leaks.push(Leak {
                        table: key.clone(),
                        object: "function".into(),
                        command: None,
                        kind: Kind::Call,
                        principal: p.label.clone(),
                        role: p.role.clone(),
                        user: p.id.clone().unwrap_or_default(),
                        rows: *rows,
                        victims: vec![v.clone()],
                        allowed_by: vec![format!(
                            "SECURITY DEFINER function {key}, executable by {}, not trusted in the contract",
                            p.role
                        )],
                        detail: detail.clone(),
                    });
                }
                out.push(FunctionProbe {
                    function: key.clone(),
                    principal: p.label.clone(),
                    with: v.clone(),
                    outcome,
                });
            }
        }
    }
    Ok(out)
}

/// A fingerprint of the tables' rows (count and hash), as the connecting role.
fn fingerprint_sql(tables: &[String]) -> String {
    if tables.is_empty() {
        return "SELECT ''".into();
    }
    let parts: Vec<String> = tables
        .iter()
        .map(|t| format!("(SELECT count(*)::text || ':' || coalesce(sum(hashtext(x::text)::bigint), 0)::text FROM {t} x)"))
        .collect();
    format!("SELECT {}", parts.join(" || ',' || "))
}

async fn call(
    session: &mut Session<'_, '_>,
    p: &Principal,
    key: &str,
    f: &Function,
    arg: usize,
    victim: &str,
    tables: &[String],
) -> Result<super::Outcome, DbError> {
    let name = format!("{}.{}", quote_ident(&f.schema), quote_ident(&f.name));
    let ty = f
        .identity_arguments
        .split(',')
        .nth(arg)
        .and_then(|a| a.trim().rsplit(' ').next())
        .unwrap_or("text")
        .to_string();
    let sql = if set_returning(f) {
        format!("SELECT count(*)::text FROM {name}(CAST($1::text AS {ty})) r")
    } else {
        format!("SELECT ({name}(CAST($1::text AS {ty})))::text")
    };
    let fp = fingerprint_sql(tables);
    let before = session.fingerprint(&fp).await?;
    let (value, after) = session
        .call_as(p, &sql, &[Bind::Text(Some(victim.to_string()))], &fp)
        .await?;
    Ok(judge(key, value, before, after, set_returning(f)))
}

fn judge(
    key: &str,
    value: Result<Option<String>, PgFailure>,
    before: Option<String>,
    after: Option<String>,
    setof: bool,
) -> super::Outcome {
    if before.is_some() && after.is_some() && before != after {
        return super::Outcome::Leak {
            detail: format!(
                "{key} changed rows of the tables it names when called with another user's id"
            ),
            rows: 0,
        };
    }
    match value {
        Err(f) if f.code == "42501" => super::Outcome::Denied {
            detail: format!("refused: {}", f.message),
        },
        Err(f)
            if f.code.starts_with("P0") || f.code.starts_with("22") || f.code.starts_with("23") =>
        {
            super::Outcome::Denied {
                detail: format!("the function refused: {}", f.message),
            }
        }
        Err(f) => super::Outcome::Inconclusive {
            detail: f.to_string(),
        },
        Ok(v) => {
            let v = v.unwrap_or_default();
            let empty = matches!(v.as_str(), "" | "f" | "false" | "0" | "[]" | "{}" | "null");
            if empty {
                super::Outcome::Denied {
                    detail: format!(
                        "returned nothing for another user ({})",
                        if v.is_empty() { "NULL" } else { &v }
                    ),
                }
            } else {
                super::Outcome::Leak {
                    detail: if setof {
                        format!("returned {v} row(s) of another user")
                    } else {
                        format!(
                            "returned another user's data ({} characters)",
                            v.chars().count()
                        )
                    },
                    rows: if setof { v.parse().unwrap_or(1) } else { 1 },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(identity: &str, arguments: &str, result: &str) -> Function {
        Function {
            owner: "postgres".into(),
            schema: "public".into(),
            name: "f".into(),
            procedure: false,
            arguments: arguments.into(),
            identity_arguments: identity.into(),
            result: Some(result.into()),
            language: "sql".into(),
            volatility: "stable".into(),
            security_definer: true,
            leakproof: false,
            strict: false,
            parallel: "unsafe".into(),
            config: Vec::new(),
            definition: String::new(),
            sql_body: false,
            comment: None,
            acl: Vec::new(),
        }
    }

    #[test]
    fn id_arguments() {
        assert_eq!(
            id_argument(&f("p_user uuid", "p_user uuid", "text")),
            Some(0)
        );
        assert_eq!(id_argument(&f("", "", "text")), None);
        assert_eq!(id_argument(&f("p_x jsonb", "p_x jsonb", "text")), None);
        assert_eq!(
            id_argument(&f(
                "p_user uuid, p_limit integer",
                "p_user uuid, p_limit integer DEFAULT 10",
                "text"
            )),
            Some(0)
        );
        assert_eq!(
            id_argument(&f("p_a uuid, p_b uuid", "p_a uuid, p_b uuid", "text")),
            None
        );
        assert!(set_returning(&f("", "", "SETOF public.notes")));
        assert!(set_returning(&f("", "", "TABLE(a integer)")));
    }

    #[test]
    fn judging_calls() {
        use super::super::Outcome;
        assert!(matches!(
            judge("f", Ok(Some("a@b.c".into())), None, None, false),
            Outcome::Leak { .. }
        ));
        assert!(matches!(
            judge("f", Ok(None), None, None, false),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge("f", Ok(Some("0".into())), None, None, true),
            Outcome::Denied { .. }
        ));
        assert!(matches!(
            judge("f", Ok(Some("2".into())), None, None, true),
            Outcome::Leak { rows: 2, .. }
        ));
        assert!(matches!(
            judge("f", Ok(None), Some("1:5".into()), Some("0:0".into()), false),
            Outcome::Leak { .. }
        ));
        let err = PgFailure {
            code: "P0001".into(),
            message: "not yours".into(),
            ..PgFailure::default()
        };
        assert!(matches!(
            judge("f", Err(err), None, None, false),
            Outcome::Denied { .. }
        ));
    }
}
