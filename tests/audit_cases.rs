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
/// attempt public.notes INSERT as authenticated = skipped   (denied, leak, inconclusive)
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
    for t in r["probe"]["probed"].as_array().into_iter().flatten() {
        for a in t["attempts"].as_array().into_iter().flatten() {
            out.push(format!(
                "attempt {} {} as {} = {}",
                s(&t["table"]),
                s(&a["command"]),
                s(&a["role"]),
                s(&a["outcome"])
            ));
        }
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
    for c in &cases {
        assert!(!c.expect.is_empty(), "{}: no -- expect -- lines", c.name);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let problems = run_case(case);
                if !problems.is_empty() {
                    let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
                    f.push(format!("{}:\n  {}", case.name, problems.join("\n  ")));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    assert!(
        failures.is_empty(),
        "{} of {} audit case(s) failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Projects

fn audit_json(p: &Project, db: &TestDb, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["--format", "json", "audit"];
    args.extend_from_slice(extra);
    let run = p.strata(Some(db), &args);
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("audit JSON ({e}):\n{}", run.all()));
    (run, v)
}

#[track_caller]
fn assert_cells(facts: &[String], expected: &[String]) {
    let missing: Vec<&String> = expected.iter().filter(|e| !facts.contains(e)).collect();
    assert!(
        missing.is_empty(),
        "missing matrix cells:\n  {}\nhave:\n  {}",
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        facts
            .iter()
            .filter(|f| f.starts_with("cell "))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// The repository's own project (1MarketPulse): `up` installs its policies, `audit` shows the
/// matrix those policies make.
#[test]
fn repository_project_audit_shows_its_matrix() {
    let db = TestDb::new("audit_repo");
    let p = Project::new();
    for dir in ["migrations", "rollbacks", "policies", "seeds"] {
        p.copy_from_repo(dir);
    }
    std::fs::copy(
        repo_root().join("strata.toml"),
        p.path().join("strata.toml"),
    )
    .unwrap_or_else(|e| panic!("copy strata.toml: {e}"));
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied in one transaction");
    let policies: usize = db
        .sql("SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'public'::regnamespace")
        .parse()
        .unwrap_or(0);
    assert!(policies > 80, "policies installed: {policies}");

    let text = p.strata(Some(&db), &["audit"]);
    text.assert_contains("Access matrix (anon, authenticated, service_role)")
        .assert_contains("│ public.users ")
        .assert_contains(&format!("{policies} policies"));
    let (run, report) = audit_json(&p, &db, &[]);
    assert_eq!(run.code, text.code);
    let f = facts(&report);
    // Read off policies/010_own_data.sql, 020_public_read.sql, 040_admin.sql and the grants of
    // migration 002 (challenge_templates: column-level SELECT for anon/authenticated).
    let cells: Vec<String> = [
        "cell public.users anon SELECT = denied (no policy)",
        "cell public.users authenticated SELECT = allowed by admin_users_full_access, users_select_own",
        "cell public.users authenticated INSERT = allowed by admin_users_full_access, users_insert_own",
        "cell public.users service_role DELETE = bypass (BYPASSRLS)",
        "cell public.sessions authenticated INSERT = allowed by admin_sessions_full_access",
        "cell public.sessions authenticated DELETE = allowed by admin_sessions_full_access, sessions_delete_own",
        "cell public.challenge_templates anon SELECT = allowed by challenge_templates_select_public",
        "cell public.challenge_templates anon INSERT = denied (no policy)",
        "cell public.feature_flags anon SELECT = denied (no policy)",
        "cell public.feature_flags authenticated SELECT = allowed by admin_feature_flags_full_access, feature_flags_select_authenticated",
        "cell public.predictions anon SELECT = allowed by predictions_select_public",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_cells(&f, &cells);
    // Its public-read policies let signed-out visitors read rows that belong to users: errors,
    // so the audit exits 1.
    let errors: Vec<&String> = f.iter().filter(|x| x.starts_with("error ")).collect();
    assert!(
        !errors.is_empty()
            && errors
                .iter()
                .all(|e| e.starts_with("error anon-reads-user-rows policy ")),
        "{errors:#?}"
    );
    assert!(f.contains(
        &"error anon-reads-user-rows policy predictions_select_public on public.predictions"
            .to_string()
    ));
    assert_eq!(run.code, 1);
}

const PORTFOLIO_USER_TABLES: [&str; 9] = [
    "user_profiles",
    "portfolios",
    "transactions",
    "holdings",
    "watchlist",
    "price_alerts",
    "user_dividends",
    "portfolio_metrics_cache",
    "rate_limits",
];
const PORTFOLIO_MARKET_TABLES: [&str; 4] = [
    "historical_prices",
    "stocks",
    "company_financials",
    "forex_rates",
];
const PORTFOLIO_SYSTEM_TABLES: [&str; 3] = ["api_cache", "api_usage", "circuit_breaker_state"];

/// The Portfolio Tracker (shared/seeds/003): its access-control matrix as the document states
/// it, and no leak on its seeded rows.
#[test]
fn portfolio_tracker_matrix_is_the_documented_one_and_the_probe_finds_no_leak() {
    let db = TestDb::new("audit_portfolio");
    let p = Project::new();
    copy_dir(
        &repo_root().join("tests/fixtures/portfolio-tracker"),
        p.path(),
    );
    p.strata(Some(&db), &["up"])
        .assert_ok()
        .assert_contains("Applied 3 migration(s)")
        .assert_contains("Applied in one transaction");
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'public'::regnamespace"),
        "58"
    );
    let (run, report) = audit_json(&p, &db, &[]);
    let f = facts(&report);
    let mut cells = Vec::new();
    let all = PORTFOLIO_USER_TABLES
        .iter()
        .chain(&PORTFOLIO_MARKET_TABLES)
        .chain(&PORTFOLIO_SYSTEM_TABLES)
        .chain(&["audit_log"]);
    for t in all.clone() {
        for cmd in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
            // Anonymous: no database access.
            cells.push(format!("cell public.{t} anon {cmd} = denied (no policy)"));
            // Service role: all tables, full CRUD.
            cells.push(format!(
                "cell public.{t} service_role {cmd} = bypass (BYPASSRLS)"
            ));
        }
    }
    // Authenticated: CRUD on own rows of the user tables...
    for t in PORTFOLIO_USER_TABLES {
        for (cmd, suffix) in [
            ("SELECT", "select"),
            ("INSERT", "insert"),
            ("UPDATE", "update"),
            ("DELETE", "delete"),
        ] {
            cells.push(format!(
                "cell public.{t} authenticated {cmd} = allowed by {t}_user_isolation_{suffix}"
            ));
        }
    }
    // ...its own audit log read-only...
    cells.push(
        "cell public.audit_log authenticated SELECT = allowed by Users can view own audit log"
            .into(),
    );
    cells.push("cell public.audit_log authenticated INSERT = denied (no policy)".into());
    // ...market data read-only...
    for t in PORTFOLIO_MARKET_TABLES {
        let select = if t == "historical_prices" {
            "Authenticated users can view historical prices".to_string()
        } else {
            format!("{t}_authenticated_select")
        };
        cells.push(format!(
            "cell public.{t} authenticated SELECT = allowed by {select}"
        ));
        for cmd in ["INSERT", "UPDATE", "DELETE"] {
            cells.push(format!(
                "cell public.{t} authenticated {cmd} = denied (no policy)"
            ));
        }
    }
    // ...and nothing of the system tables.
    for t in PORTFOLIO_SYSTEM_TABLES {
        for cmd in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
            cells.push(format!(
                "cell public.{t} authenticated {cmd} = denied (no policy)"
            ));
        }
    }
    assert_cells(&f, &cells);
    // The document's only RLS mistake left: auth.uid()/auth.role() evaluated per row.
    let kinds: std::collections::BTreeSet<String> = f
        .iter()
        .filter(|x| !x.starts_with("cell "))
        .map(|x| x.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        vec!["warning auth-function-per-row".to_string()]
    );
    assert_eq!(run.code, 0, "{}", run.all());

    // Seed two users' rows; the probe reaches no other user's row.
    p.strata(Some(&db), &["seed"]).assert_ok();
    assert_eq!(db.sql("SELECT count(*) FROM auth.users"), "2");
    let (run, report) = audit_json(&p, &db, &["--probe"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let probe = &report["probe"];
    assert_eq!(
        probe["leaks"].as_array().map(Vec::len),
        Some(0),
        "{probe:#}"
    );
    assert_eq!(
        probe["not_probed"].as_array().map(Vec::len),
        Some(0),
        "{probe:#}"
    );
    let probed: Vec<&str> = probe["probed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["table"].as_str())
        .collect();
    assert_eq!(probed.len(), 10, "{probed:?}");
    // Every attempt got a verdict (denied), none was skipped or inconclusive.
    for t in probe["probed"].as_array().into_iter().flatten() {
        for a in t["attempts"].as_array().into_iter().flatten() {
            assert_eq!(a["outcome"], "denied", "{t:#}");
        }
    }
    let text = p.strata(Some(&db), &["audit", "--probe"]);
    text.assert_ok()
        .assert_contains("10 tables probed, 0 leaks")
        .assert_contains("No leak");
    // Nothing of the probe outlived its rollback.
    assert_eq!(db.sql("SELECT count(*) FROM public.transactions"), "2");
    assert_eq!(db.sql("SELECT count(*) FROM public.user_profiles"), "2");

    // Its rollbacks take it back down.
    p.strata(Some(&db), &["down", "--to", "0"])
        .assert_ok()
        .assert_contains("Rolled back 3 migration(s)");
}

#[test]
fn probe_under_the_setting_model_without_a_role_is_a_usage_error() {
    let db = TestDb::new("audit_norole");
    let p = Project::new();
    p.write(
        "strata.toml",
        "[auth]\nmodel = \"setting\"\nsetting = \"app.current_user_id\"\n",
    );
    p.strata(Some(&db), &["audit", "--probe"])
        .assert_code(2)
        .assert_contains("needs `[auth] role`");
    // Without --probe there is simply no role column in the matrix.
    p.strata(Some(&db), &["audit"])
        .assert_ok()
        .assert_contains("Access matrix: no roles to show");
}

// ---------------------------------------------------------------------------------------------
// Catalog facts the audit reads (role membership, function owners, relations read by views)

fn introspect(db: &TestDb) -> strata::catalog::Catalog {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    rt.block_on(async {
        let info = strata::config::ConnInfo::parse(&db.url).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = strata::db::connect(&info)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        strata::catalog::introspect(&mut conn, &["public".to_string()], &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

#[test]
fn catalog_reads_memberships_function_owners_and_what_views_read() {
    let db = TestDb::new("audit_catalog_facts");
    let tag = format!("strata_facts_{}", std::process::id());
    db.sql(&format!(
        "CREATE ROLE {tag}_owner NOLOGIN; CREATE ROLE {tag}_app NOLOGIN NOINHERIT; \
         GRANT {tag}_owner TO {tag}_app; \
         CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text); \
         CREATE TABLE public.notes (id int PRIMARY KEY); \
         CREATE VIEW public.people AS SELECT u.id, u.email FROM auth.users u JOIN public.notes n ON n.id = 1; \
         CREATE FUNCTION public.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'; \
         ALTER FUNCTION public.f() OWNER TO {tag}_owner;"
    ));
    let cat = introspect(&db);
    let m = cat
        .memberships
        .iter()
        .find(|m| m.member == format!("{tag}_app"))
        .unwrap_or_else(|| panic!("membership of {tag}_app missing: {:?}", cat.memberships));
    assert_eq!(m.role, format!("{tag}_owner"));
    assert!(!m.inherit, "NOINHERIT member: {m:?}");
    assert_eq!(
        cat.function_owners.get("public.f()"),
        Some(&format!("{tag}_owner"))
    );
    assert_eq!(
        cat.view_reads.get("public.people"),
        Some(&vec!["auth.users".to_string(), "public.notes".to_string()])
    );
    db.sql(&format!(
        "DROP FUNCTION public.f(); DROP ROLE {tag}_app; DROP ROLE {tag}_owner;"
    ));
}
