//! Shared by the audit test binaries: the JSON report as lines of facts that expectations
//! compare with, and running `strata audit` for JSON.
#![allow(dead_code)]

use super::support::*;
use serde_json::Value;

/// Runs `strata --format json audit <extra>`; the run and its JSON document.
pub fn audit_json(p: &Project, db: &TestDb, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["--format", "json", "audit"];
    args.extend_from_slice(extra);
    let run = p.strata(Some(db), &args);
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("audit JSON ({e}):\n{}", run.all()));
    (run, v)
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// The report as lines:
///
/// ```text
/// error access-exceeds-contract table public.notes     a finding: severity, id, object
/// error access-exceeds-contract on public.notes        the same, by the table it is listed under
/// leak public.notes UPDATE as authenticated            a probe leak (role)
/// leak public.notes UPDATE take-over as user a1…       a probe leak (kind, principal)
/// leak public.f(uuid) CALL as authenticated            a SECURITY DEFINER function leak
/// denied public.notes INSERT as user a1…               probe-denied
/// attempt public.notes INSERT insert-foreign as user a1… = denied
/// attempt public.notes INSERT as authenticated = denied
/// not-probed public.notes
/// cell public.notes anon SELECT = denied (no policy)   the per-role matrix
/// access public.notes UPDATE = signed-in               the effective level
/// verdict public.notes UPDATE = exceeds                the comparison with the contract
/// change gained public.notes UPDATE owner -> signed-in `--compare`
/// ```
pub fn facts(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for f in r["findings"].as_array().into_iter().flatten() {
        out.push(format!(
            "{} {} {}",
            s(&f["severity"]),
            s(&f["id"]),
            s(&f["object"])
        ));
        if let Some(t) = f["table"].as_str() {
            out.push(format!("{} {} on {t}", s(&f["severity"]), s(&f["id"])));
        }
    }
    let probe = &r["probe"];
    for l in probe["leaks"].as_array().into_iter().flatten() {
        let cmd = l["command"].as_str().unwrap_or("CALL");
        out.push(format!(
            "leak {} {cmd} as {}",
            s(&l["table"]),
            s(&l["role"])
        ));
        out.push(format!(
            "leak {} {cmd} {} as {}",
            s(&l["table"]),
            s(&l["kind"]),
            s(&l["principal"])
        ));
    }
    for d in probe["denied"].as_array().into_iter().flatten() {
        out.push(format!(
            "denied {} {} as {}",
            s(&d["table"]),
            s(&d["command"]),
            s(&d["principal"])
        ));
    }
    for t in probe["probed"].as_array().into_iter().flatten() {
        for a in t["attempts"].as_array().into_iter().flatten() {
            out.push(format!(
                "attempt {} {} {} as {} = {}",
                s(&t["table"]),
                s(&a["command"]),
                s(&a["kind"]),
                s(&a["principal"]),
                s(&a["outcome"])
            ));
            out.push(format!(
                "attempt {} {} as {} = {}",
                s(&t["table"]),
                s(&a["command"]),
                s(&a["role"]),
                s(&a["outcome"])
            ));
        }
    }
    for n in probe["not_probed"].as_array().into_iter().flatten() {
        out.push(format!("not-probed {}", s(&n["table"])));
    }
    for m in r["matrix"].as_array().into_iter().flatten() {
        for cmd in ["select", "insert", "update", "delete"] {
            out.push(format!(
                "cell {} {} {} = {}",
                s(&m["table"]),
                s(&m["role"]),
                cmd.to_uppercase(),
                label(&m[cmd])
            ));
        }
    }
    for a in r["access"].as_array().into_iter().flatten() {
        for cmd in ["select", "insert", "update", "delete"] {
            let c = &a[cmd];
            out.push(format!(
                "access {} {} = {}",
                s(&a["table"]),
                cmd.to_uppercase(),
                s(&c["effective"])
            ));
            if let Some(v) = c["verdict"].as_str() {
                out.push(format!(
                    "verdict {} {} = {v}",
                    s(&a["table"]),
                    cmd.to_uppercase()
                ));
            }
        }
    }
    for c in r["compare"]["changes"].as_array().into_iter().flatten() {
        out.push(format!(
            "change {} {} {} {} -> {}",
            s(&c["direction"]),
            s(&c["table"]),
            s(&c["command"]),
            s(&c["before"]),
            s(&c["after"])
        ));
    }
    out
}

/// A matrix cell as the text table labels it (mirrors `Access::label`).
pub fn label(c: &Value) -> String {
    let list = |v: &Value| {
        v.as_array()
            .into_iter()
            .flatten()
            .map(s)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match c["access"].as_str() {
        Some("allowed") => {
            let mut t = format!("allowed by {}", list(&c["policies"]));
            let r = list(&c["restrictive"]);
            if !r.is_empty() {
                t.push_str(&format!(" (restricted by {r})"));
            }
            t
        }
        Some("denied") => format!(
            "denied ({})",
            match c["reason"].as_str() {
                Some("no-role") => "no such role",
                Some("no-grant") => "no grant",
                Some("no-schema-usage") => "no schema usage",
                _ => "no policy",
            }
        ),
        Some("no-rls") => "no RLS".into(),
        Some("bypass") => format!(
            "bypass ({})",
            match c["reason"].as_str() {
                Some("superuser") => "superuser",
                Some("bypass-rls") => "BYPASSRLS",
                _ => "owner",
            }
        ),
        _ => format!("{c}"),
    }
}

/// Every expected fact is present.
#[track_caller]
pub fn assert_facts(facts: &[String], expected: &[String]) {
    let missing: Vec<&String> = expected.iter().filter(|e| !facts.contains(e)).collect();
    assert!(
        missing.is_empty(),
        "missing:\n  {}\nhave:\n  {}",
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        facts.join("\n  ")
    );
}

/// The leaks and error findings, one line each (for failure messages).
pub fn problems(facts: &[String]) -> Vec<&String> {
    facts
        .iter()
        .filter(|f| f.starts_with("error ") || f.starts_with("leak "))
        .collect()
}
