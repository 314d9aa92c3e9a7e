//! `strata audit [--probe]` on real PostgreSQL: acceptance cases as data files
//! (`tests/cases/audit/*.case`, all failures reported together), and the catalog facts the
//! audit reads. The projects (the repository's, the fixtures', `--write-contract`,
//! `--compare`) are in `tests/audit_projects.rs`.
//!
//! A case is a project, seed rows, and what `strata audit --probe` must say about it:
//!
//! ```text
//! # title
//! -- strata.toml --                    optional (default: supabase with the shim)
//! -- migrations/001_init.sql --        any path: a project file, in every run
//! -- policies/access.toml --
//! -- seed.sql --                       run with psql after `up` (as the superuser)
//! -- mistake policies/notes.sql --     only in the mistake run
//! -- control policies/notes.sql --     only in the control run
//! -- leaks --                          the objects the mistake exposes (each must be named)
//! public.notes
//! -- args --                           optional; default `audit --probe`
//! -- expect --                         facts of every run (see audit_support::facts), and
//! error rls-disabled table public.notes
//! no auth-function-per-row             no finding of that id
//! no other errors                      every error finding is listed
//! no leak                              the probe found none
//! exit 1
//! -- expect mistake --                 facts of the mistake run only
//! -- expect control --                 facts of the control run only
//! ```
//!
//! A case with a mistake is run twice: the mistake run must exit 1 and name every object of
//! `-- leaks --` in a leak or an error finding (JSON and text); the control run (the correct
//! way to write the same thing) must exit 0 with no leak and no error, for `audit` and for
//! `audit --probe`.

mod audit_support;
mod support;
use audit_support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::*;

/// A parsed `.case` file.
struct Case {
    name: String,
    /// (path, text, variant): variant `None` in every run, `Some(true)` mistake only,
    /// `Some(false)` control only.
    files: Vec<(String, String, Option<bool>)>,
    seed: Option<String>,
    args: Vec<String>,
    leaks: Vec<String>,
    expect: Vec<String>,
    expect_mistake: Vec<String>,
    expect_control: Vec<String>,
}

impl Case {
    fn has_variants(&self) -> bool {
        self.files.iter().any(|f| f.2.is_some())
    }
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim_end();
        if t.starts_with("-- ") && t.ends_with(" --") && t.len() > 6 {
            sections.push((t[3..t.len() - 3].trim().to_string(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let lines = |body: &str| -> Vec<String> {
        body.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let mut case = Case {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        files: Vec::new(),
        seed: None,
        args: vec!["audit".into(), "--probe".into()],
        leaks: Vec::new(),
        expect: Vec::new(),
        expect_mistake: Vec::new(),
        expect_control: Vec::new(),
    };
    for (name, body) in sections {
        match name.as_str() {
            "seed.sql" => case.seed = Some(body),
            "args" => case.args = body.split_whitespace().map(str::to_string).collect(),
            "leaks" => case.leaks = lines(&body),
            "expect" => case.expect = lines(&body),
            "expect mistake" => case.expect_mistake = lines(&body),
            "expect control" => case.expect_control = lines(&body),
            _ => {
                if let Some(f) = name.strip_prefix("mistake ") {
                    case.files.push((f.to_string(), body, Some(true)));
                } else if let Some(f) = name.strip_prefix("control ") {
                    case.files.push((f.to_string(), body, Some(false)));
                } else {
                    case.files.push((name, body, None));
                }
            }
        }
    }
    case
}

const DEFAULT_TOML: &str = "[auth]\nmodel = \"supabase\"\nshim = true\n";

/// One run of a case: `variant` None (no variants), Some(true) mistake, Some(false) control.
fn run_variant(case: &Case, variant: Option<bool>) -> Vec<String> {
    let tag = match variant {
        None => "",
        Some(true) => "_m",
        Some(false) => "_c",
    };
    let db = TestDb::new(&format!("audit_{}{tag}", case.name));
    let p = Project::new();
    if !case.files.iter().any(|(f, _, _)| f == "strata.toml") {
        p.write("strata.toml", DEFAULT_TOML);
    }
    for (f, body, v) in &case.files {
        if v.is_none() || *v == variant {
            p.write(f, body);
        }
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
    // The text report is read where it must name something (a control's JSON says it all).
    let text = if variant == Some(false) {
        Run {
            code: run.code,
            stdout: String::new(),
            stderr: String::new(),
        }
    } else {
        p.strata(Some(&db), &text_args)
    };
    let mut problems = Vec::new();
    if text.code != run.code {
        problems.push(format!(
            "text run exited {} but JSON run exited {}",
            text.code, run.code
        ));
    }
    let facts = facts(&report);
    let mut expect: Vec<String> = case.expect.clone();
    match variant {
        Some(true) => {
            expect.extend(case.expect_mistake.iter().cloned());
            if run.code != 1 {
                problems.push(format!("the mistake run exited {}, not 1", run.code));
            }
            for obj in &case.leaks {
                let named = facts.iter().any(|f| {
                    f.starts_with(&format!("leak {obj} "))
                        || (f.starts_with("error ")
                            && (f.ends_with(&format!(" on {obj}"))
                                || f.ends_with(&format!(" {obj}"))))
                });
                if !named {
                    problems.push(format!("the mistake run names no leak or error on {obj}"));
                }
                if !text.stdout.contains(obj.as_str()) {
                    problems.push(format!("the text report does not name {obj}"));
                }
            }
        }
        Some(false) => {
            expect.extend(case.expect_control.iter().cloned());
            if run.code != 0 {
                problems.push(format!("the control run exited {}, not 0", run.code));
            }
            let bad = audit_support::problems(&facts);
            if !bad.is_empty() {
                problems.push(format!(
                    "the control run has leaks or errors: {}",
                    bad.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            let plain = p.strata(Some(&db), &["audit"]);
            if plain.code != 0 {
                problems.push(format!(
                    "plain `audit` on the control exited {}",
                    plain.code
                ));
            }
        }
        None => {}
    }
    let mut listed_errors = 0usize;
    for e in &expect {
        let ok = if let Some(code) = e.strip_prefix("exit ") {
            code.parse::<i32>().ok() == Some(run.code)
        } else if e == "no leak" {
            report["probe"]["leaks"]
                .as_array()
                .is_some_and(|l| l.is_empty())
        } else if e == "no other errors" {
            let errors = facts
                .iter()
                .filter(|f| f.starts_with("error ") && !f.contains(" on "))
                .count();
            errors == listed_errors
        } else if let Some(id) = e.strip_prefix("no ") {
            !facts
                .iter()
                .any(|f| f.split_whitespace().nth(1) == Some(id))
        } else {
            if e.starts_with("error ") && !e.contains(" on ") {
                listed_errors += 1;
            }
            facts.iter().any(|f| f == e)
        };
        if !ok {
            problems.push(format!("expected `{e}`"));
        }
    }
    if !problems.is_empty() {
        problems.push(format!(
            "exit {}; facts:\n    {}\n--- text:\n{}",
            run.code,
            facts
                .iter()
                .filter(
                    |f| !f.starts_with("cell ") && !f.starts_with("attempt ") || f.contains("leak")
                )
                .cloned()
                .collect::<Vec<_>>()
                .join("\n    "),
            text.all()
        ));
    }
    problems
}

fn run_case(case: &Case) -> Vec<String> {
    if !case.has_variants() {
        return run_variant(case, None);
    }
    let mut out = Vec::new();
    for (v, what) in [(true, "mistake"), (false, "control")] {
        for p in run_variant(case, Some(v)) {
            out.push(format!("[{what}] {p}"));
        }
    }
    out
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
    let only = std::env::var("AUDIT_CASE").ok();
    let cases: Vec<Case> = case_files()
        .iter()
        .map(|p| parse_case(p))
        .filter(|c| only.as_deref().is_none_or(|o| c.name.contains(o)))
        .collect();
    assert!(!cases.is_empty(), "no audit case matches {only:?}");
    if only.is_none() {
        let mistakes = cases.iter().filter(|c| c.has_variants()).count();
        assert!(
            mistakes >= 35,
            "expected at least 35 planted mistakes with controls, found {mistakes}"
        );
    }
    for c in &cases {
        assert!(
            !c.expect.is_empty() || c.has_variants(),
            "{}: no -- expect -- lines and no mistake/control",
            c.name
        );
        if c.has_variants() {
            assert!(
                !c.leaks.is_empty(),
                "{}: a mistake names what it leaks in -- leaks --",
                c.name
            );
            assert!(
                c.files.iter().any(|f| f.2 == Some(true))
                    && c.files.iter().any(|f| f.2 == Some(false)),
                "{}: a mistake needs its control",
                c.name
            );
        }
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
