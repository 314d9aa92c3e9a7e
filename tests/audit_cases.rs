//! `strata audit [--probe]` on real PostgreSQL: acceptance cases as data files
//! (`tests/cases/audit/*.case`, all failures reported together), the repository's own project,
//! and the Portfolio Tracker fixture (`tests/fixtures/portfolio-tracker/`).

mod support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::*;

// ---------------------------------------------------------------------------------------------
// Acceptance cases

/// A parsed `.case` file.
///
/// ```text
/// # title
/// -- migrations/001_init.sql --      any path: a project file
/// ...
/// -- seed.sql --                     run with psql after `up` (as the superuser)
/// ...
/// -- args --                         optional; default `audit --probe`
/// audit
/// -- expect --
/// error rls-disabled table public.notes       a finding: severity, id, object
/// no auth-function-per-row                    no finding of that id
/// no other errors                             every error finding is listed above
/// leak public.notes UPDATE as authenticated   a probe leak
/// no leak                                     the probe found none
/// not-probed public.notes                     listed as not probed
/// cell public.notes anon SELECT = denied (no policy)
/// exit 1
/// ```
struct Case {
    name: String,
    files: Vec<(String, String)>,
    seed: Option<String>,
    args: Vec<String>,
    expect: Vec<String>,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("-- ") && t.ends_with(" --") && t.len() > 6 {
            sections.push((t[3..t.len() - 3].trim().to_string(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let mut case = Case {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        files: Vec::new(),
        seed: None,
        args: vec!["audit".into(), "--probe".into()],
        expect: Vec::new(),
    };
    for (name, body) in sections {
        match name.as_str() {
            "seed.sql" => case.seed = Some(body),
            "args" => case.args = body.split_whitespace().map(str::to_string).collect(),
            "expect" => {
                case.expect = body
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string)
                    .collect()
            }
            _ => case.files.push((name, body)),
        }
    }
    case
}

const DEFAULT_TOML: &str = "[auth]\nmodel = \"supabase\"\nshim = true\n";

/// Runs one case; the problems found (empty when it passes).
fn run_case(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let db = TestDb::new(&format!("audit_{}", case.name));
    let p = Project::new();
    if !case.files.iter().any(|(f, _)| f == "strata.toml") {
        p.write("strata.toml", DEFAULT_TOML);
    }
    for (f, body) in &case.files {
        p.write(f, body);
    }
    let up = p.strata(Some(&db), &["up"]);
    if up.code != 0 {
        return vec![format!("`strata up` failed:\n{}", up.all())];
    }
    if let Some(seed) = &case.seed {
        let (ok, out) = db.try_sql(seed);
        if !ok {
            return vec![format!("seed failed: {out}")];
        }
    }
    let mut args: Vec<&str> = vec!["--format", "json"];
    args.extend(case.args.iter().map(String::as_str));
    let run = p.strata(Some(&db), &args);
    let report: Value = match serde_json::from_str(&run.stdout) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON ({e}):\n{}", run.all())],
    };
    let text_args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    let text = p.strata(Some(&db), &text_args);
    if text.code != run.code {
        problems.push(format!(
            "text run exited {} but JSON run exited {}",
            text.code, run.code
        ));
    }
    let facts = facts(&report);
    let mut listed_errors = 0usize;
    for e in &case.expect {
        let ok = if let Some(code) = e.strip_prefix("exit ") {
            code.parse::<i32>().ok() == Some(run.code)
        } else if e == "no leak" {
            report["probe"]["leaks"]
                .as_array()
                .is_some_and(|l| l.is_empty())
        } else if e == "no other errors" {
            let errors = facts.iter().filter(|f| f.starts_with("error ")).count();
            errors == listed_errors
        } else if let Some(id) = e.strip_prefix("no ") {
            !facts
                .iter()
                .any(|f| f.split_whitespace().nth(1) == Some(id))
        } else {
            if e.starts_with("error ") {
                listed_errors += 1;
            }
            let found = facts.iter().any(|f| f == e);
            // The text output names the object too.
            if found
                && (e.starts_with("error ")
                    || e.starts_with("warning ")
                    || e.starts_with("info ")
                    || e.starts_with("leak "))
            {
                let table = e.split_whitespace().find(|w| w.starts_with("public."));
                if let Some(t) = table {
                    if !text.stdout.contains(t) {
                        problems.push(format!("text output does not name {t}"));
                    }
                }
            }
            found
        };
        if !ok {
            problems.push(format!("expected `{e}`"));
        }
    }
    if !problems.is_empty() {
        problems.push(format!(
            "exit {}; facts:\n    {}\n--- text:\n{}",
            run.code,
            facts.join("\n    "),
            text.all()
        ));
    }
    problems
}

/// The report as lines the expectations compare with.
fn facts(r: &Value) -> Vec<String> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut out = Vec::new();
    for f in r["findings"].as_array().into_iter().flatten() {
        out.push(format!(
            "{} {} {}",
            s(&f["severity"]),
            s(&f["id"]),
            s(&f["object"])
        ));
    }
    for l in r["probe"]["leaks"].as_array().into_iter().flatten() {
        out.push(format!(
            "leak {} {} as {}",
            s(&l["table"]),
            s(&l["command"]),
            s(&l["role"])
        ));
    }
    for n in r["probe"]["not_probed"].as_array().into_iter().flatten() {
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
    out
}

/// A matrix cell as the text table labels it (mirrors `Access::label`).
fn label(c: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let list = |v: &Value| {
        v.as_array()
            .into_iter()
            .flatten()
            .map(&s)
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

fn case_files() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/cases/audit");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    files.sort();
    files
}

#[test]
fn audit_cases() {
    let cases: Vec<Case> = case_files().iter().map(|p| parse_case(p)).collect();
    assert!(
        cases.len() >= 6,
        "expected the audit cases, found {}",
        cases.len()
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let problems = run_case(case);
                if !problems.is_empty() {
                    if let Ok(mut f) = failures.lock() {
                        f.push(format!("{}:\n  {}", case.name, problems.join("\n  ")));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} of {} audit case(s) failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
