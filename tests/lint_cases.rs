//! `strata lint` acceptance cases as data (`tests/cases/lint/*.case`): each rule's hazard and its
//! control (the safe way to make the same change), run on shadow databases of the test cluster,
//! every failing case reported together.
//!
//! The cases run in-process through the library (`lint::lint_migrations`), several at a time:
//! each case builds one small template, cached by content in the test cluster, so a second run
//! of the suite starts from the cached templates.

mod support;
use std::path::{Path, PathBuf};
use strata::lint::{self, LintOutcome, LintStatus};
use support::*;

/// A parsed `.case` file.
///
/// ```text
/// # title
/// -- strata.toml --                          optional (default: supabase model with the shim)
/// -- migrations/001_base.sql --              any path: a project file
/// ...
/// -- expect --
/// error index-not-concurrent migrations/002_hazard.sql:3      a finding nobody allowed
/// warning policy-always-true migrations/002_hazard.sql:4:1     (column optional)
/// allowed table-dropped migrations/003_control.sql:2          a finding an allow silenced
/// clean migrations/003_control.sql                            no finding nobody allowed
/// not-run migrations/004_after.sql                            not judged (an earlier one failed)
/// no other findings                                           every finding is listed above
/// exit 1                                                      the run fails (1) or passes (0)
/// requires postgresql 15                                      skipped on older servers
/// ```
/// The migrations linted are those the expectations name; the others are the state before.
struct Case {
    name: String,
    files: Vec<(String, String)>,
    expect: Vec<String>,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let header = (t.starts_with("-- ") && t.ends_with(" --") && t.len() > 6)
            .then(|| t[3..t.len() - 3].trim())
            .filter(|n| *n == "expect" || (n.contains('.') && !n.contains(' ')));
        if let Some(name) = header {
            sections.push((name.to_string(), String::new()));
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
        expect: Vec::new(),
    };
    for (name, body) in sections {
        if name == "expect" {
            case.expect = body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
        } else {
            case.files.push((name, body));
        }
    }
    case
}

const DEFAULT_TOML: &str = "[auth]\nmodel = \"supabase\"\nshim = true\n";

/// The files an expectation names.
fn named_files(expect: &[String]) -> Vec<String> {
    let mut out: Vec<String> = expect
        .iter()
        .filter_map(|e| {
            let words: Vec<&str> = e.split_whitespace().collect();
            let file = match words.as_slice() {
                ["clean" | "not-run", file] => *file,
                [_, _, location] => location.split(':').next().unwrap_or(""),
                _ => return None,
            };
            file.starts_with("migrations/").then(|| file.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Lints the case's project; the outcome or why it could not run.
fn run_lint(dir: &Path, targets: &[String]) -> Result<LintOutcome, String> {
    let cfg = strata::config::load(dir, None).map_err(|e| format!("config: {e}"))?;
    let project = strata::project::load(&cfg.root, &cfg.migrations_dir(), &cfg.rollbacks_dir())
        .map_err(|e| format!("project: {:?}", e.0))?;
    let policies =
        strata::policy::load(&cfg.root, &cfg.policies_dir()).map_err(|e| format!("{e}"))?;
    let mut versions = Vec::new();
    for t in targets {
        let m = project
            .migrations
            .iter()
            .find(|m| m.file.display == *t)
            .ok_or_else(|| format!("{t} is not a migration of the case"))?;
        versions.push(m.version);
    }
    let settings = strata::engine::Settings {
        history_schema: cfg.database.history_schema.clone(),
        lock_timeout: cfg.database.lock_timeout.clone(),
        statement_timeout: cfg.database.statement_timeout.clone(),
        lock_wait: std::time::Duration::from_secs(30),
        search_path: None,
    };
    let server = strata::config::ConnInfo::parse(&cluster().url_for("postgres"))
        .map_err(|e| format!("{e}"))?;
    let lint_cfg = lint::LintConfig::from_config(&cfg, &policies);
    let plan = lint::Plan {
        project: &project,
        targets: &versions,
        auth: &cfg.auth,
        settings: &settings,
        root: &cfg.root,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(lint::lint_migrations(&server, &plan, &lint_cfg))
        .map_err(|e| format!("lint failed: {e}"))
}

/// The outcome as lines the expectations compare with.
fn facts(o: &LintOutcome) -> Vec<String> {
    let mut out = Vec::new();
    for m in &o.migrations {
        if m.status == LintStatus::NotRun {
            out.push(format!("not-run {}", m.file));
        }
        for f in &m.findings {
            let head = match &f.allowed {
                Some(_) => "allowed".to_string(),
                None => f.severity.to_string(),
            };
            out.push(format!(
                "{head} {} {}:{}:{}",
                f.rule, f.file, f.line, f.column
            ));
        }
    }
    out
}

/// Whether fact `f` (`sev rule file:line:col`) satisfies expectation `e` (column optional).
fn matches(e: &str, f: &str) -> bool {
    if e == f {
        return true;
    }
    let (ew, fw): (Vec<&str>, Vec<&str>) = (
        e.split_whitespace().collect(),
        f.split_whitespace().collect(),
    );
    ew.len() == 3
        && fw.len() == 3
        && ew[0] == fw[0]
        && ew[1] == fw[1]
        && fw[2].rsplit_once(':').map(|(head, _)| head) == Some(ew[2])
}

fn run_case(case: &Case) -> Vec<String> {
    let required = case.expect.iter().find_map(|e| {
        e.strip_prefix("requires postgresql ")
            .and_then(|v| v.trim().parse::<u32>().ok())
    });
    if required.is_some_and(|v| pg_major() < v) {
        return Vec::new();
    }
    let p = Project::new();
    if !case.files.iter().any(|(f, _)| f == "strata.toml") {
        p.write("strata.toml", DEFAULT_TOML);
    }
    for (f, body) in &case.files {
        p.write(f, body);
    }
    let targets = named_files(&case.expect);
    let outcome = match run_lint(p.path(), &targets) {
        Ok(o) => o,
        Err(e) => return vec![e],
    };
    let facts = facts(&outcome);
    let mut problems = Vec::new();
    let mut listed = 0usize;
    for e in &case.expect {
        let ok = if e.starts_with("requires postgresql ") {
            true
        } else if let Some(code) = e.strip_prefix("exit ") {
            let failed = outcome.failed();
            (code == "1") == failed
        } else if e == "no other findings" {
            let unlisted: Vec<&String> = facts
                .iter()
                .filter(|f| !case.expect.iter().any(|e| matches(e, f)))
                .collect();
            if !unlisted.is_empty() {
                problems.push(format!("unexpected findings: {unlisted:?}"));
            }
            true
        } else if let Some(file) = e.strip_prefix("clean ") {
            let dirty: Vec<&String> = facts
                .iter()
                .filter(|f| {
                    !f.starts_with("allowed ")
                        && f.split_whitespace()
                            .nth(2)
                            .is_some_and(|l| l.split(':').next() == Some(file))
                })
                .collect();
            if !dirty.is_empty() {
                problems.push(format!("{file} is not clean: {dirty:?}"));
            }
            true
        } else {
            listed += 1;
            facts.iter().any(|f| matches(e, f))
        };
        if !ok {
            problems.push(format!("expected `{e}`"));
        }
    }
    if listed == 0 && !case.expect.iter().any(|e| e.starts_with("clean ")) {
        problems.push("the case expects nothing (no finding, no clean file)".into());
    }
    if !problems.is_empty() {
        let text = strata::report::lint::render_text(&outcome, true);
        problems.push(format!(
            "facts:\n    {}\n--- report:\n{text}",
            facts.join("\n    ")
        ));
    }
    problems
}

fn case_files() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/cases/lint");
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
fn lint_cases() {
    let mut files = case_files();
    assert!(files.len() >= 10, "the lint cases are missing");
    // `LINT_CASE=part` runs only the cases whose name contains it (while writing one).
    if let Ok(only) = std::env::var("LINT_CASE") {
        files.retain(|f| f.to_string_lossy().contains(&only));
    }
    // A few at a time: most of a case's time is PostgreSQL building its template.
    let workers = 3;
    let chunks: Vec<Vec<PathBuf>> = (0..workers)
        .map(|w| files.iter().skip(w).step_by(workers).cloned().collect())
        .collect();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for f in chunk {
                        let case = parse_case(f);
                        let problems = run_case(&case);
                        if !problems.is_empty() {
                            out.push(format!("case {}:\n  {}", case.name, problems.join("\n  ")));
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec!["a case panicked".into()]))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} lint case(s) failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// Every rule has a case where it fires and a case file with a clean control.
#[test]
fn every_rule_has_a_hazard_and_a_control() {
    let mut missing = Vec::new();
    let cases: Vec<Case> = case_files().iter().map(|f| parse_case(f)).collect();
    for rule in strata::lint::RuleId::ALL {
        let id = rule.as_str();
        let hazard = cases.iter().any(|c| {
            c.expect
                .iter()
                .any(|e| e.split_whitespace().nth(1) == Some(id) && !e.starts_with("allowed"))
        });
        let control = cases.iter().any(|c| {
            c.expect
                .iter()
                .any(|e| e.split_whitespace().nth(1) == Some(id) && !e.starts_with("allowed"))
                && c.expect.iter().any(|e| e.starts_with("clean "))
        });
        if !hazard || !control {
            missing.push(id);
        }
    }
    assert!(
        missing.is_empty(),
        "rules without a hazard and a control case: {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The command line

fn project_with_two_migrations() -> Project {
    let p = Project::new();
    p.write("strata.toml", DEFAULT_TOML)
        .write(
            "migrations/001_init.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, total int);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n",
        )
        .write(
            "migrations/002_index.sql",
            "-- strata:lock-timeout 5s\nCREATE INDEX orders_total ON orders (total);\n",
        );
    p
}

#[test]
fn lint_named_file_reports_with_source_and_exits_1() {
    let p = project_with_two_migrations();
    let run = p.strata(
        None,
        &[
            "lint",
            "migrations/002_index.sql",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    run.assert_code(1)
        .assert_contains("error[index-not-concurrent]")
        .assert_contains("--> migrations/002_index.sql:2:1")
        .assert_contains("2 | CREATE INDEX orders_total ON orders (total);")
        .assert_contains("= fix: build it in a migration of its own")
        .assert_contains("Linted 1 migration on a shadow database: 1 error.");

    let gh = p.strata(
        None,
        &[
            "lint",
            "migrations/002_index.sql",
            "--shadow-url",
            &shadow_url(),
            "--format",
            "github",
        ],
    );
    gh.assert_code(1).assert_contains(
        "::error file=migrations/002_index.sql,line=2,col=1,title=strata lint%3A index-not-concurrent::",
    );

    let json = p.strata(
        None,
        &[
            "lint",
            "migrations/002_index.sql",
            "--shadow-url",
            &shadow_url(),
            "--format",
            "json",
        ],
    );
    assert_eq!(json.code, 1, "{}", json.all());
    let v: serde_json::Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", json.stdout));
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["summary"]["errors"], 1);
    let f = &v["migrations"][0]["findings"][0];
    assert_eq!(f["rule"], "index-not-concurrent");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        v["migrations"][0]["statements"][0]["locks"][0]["mode"],
        "SHARE"
    );
}

#[test]
fn lint_without_files_judges_what_the_database_has_not_applied() {
    let p = project_with_two_migrations();
    let db = TestDb::new("lint_pending");
    p.strata(Some(&db), &["up", "--to", "1"]).assert_ok();
    let run = p.strata(Some(&db), &["lint", "--shadow-url", &shadow_url()]);
    run.assert_code(1)
        .assert_contains("migrations/002_index.sql:2:1")
        .assert_not_contains("001_init");
    p.strata(Some(&db), &["up"]).assert_ok();
    let run = p.strata(Some(&db), &["lint", "--shadow-url", &shadow_url()]);
    run.assert_code(0)
        .assert_contains("Nothing to lint: no pending migrations.");
}

#[test]
fn lint_of_a_file_that_is_not_a_migration_is_a_usage_error() {
    let p = project_with_two_migrations();
    p.write("notes.sql", "SELECT 1;\n");
    let run = p.strata(None, &["lint", "notes.sql", "--shadow-url", &shadow_url()]);
    run.assert_code(2)
        .assert_contains("notes.sql is not one of the project's migrations");
    let run = p.strata(
        None,
        &["lint", "missing.sql", "--shadow-url", &shadow_url()],
    );
    run.assert_code(2)
        .assert_contains("missing.sql is not one of");
}

#[test]
fn allowed_findings_pass_and_keep_their_reason() {
    let p = project_with_two_migrations();
    p.write(
        "migrations/002_index.sql",
        "-- strata:lock-timeout 5s\n-- strata:allow index-not-concurrent orders holds ten rows in production\nCREATE INDEX orders_total ON orders (total);\n",
    );
    let run = p.strata(
        None,
        &[
            "lint",
            "migrations/002_index.sql",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    run.assert_code(0)
        .assert_contains("allowed[index-not-concurrent]")
        .assert_contains("= allowed because: orders holds ten rows in production")
        .assert_contains("1 allowed");
    // `up` and `check` accept the allow comment.
    p.strata(None, &["check"]).assert_ok();
}

#[test]
fn verbose_lint_shows_each_phase_time() {
    let p = project_with_two_migrations();
    // One migration in a transaction: judged in place on the template.
    let run = p.strata(
        None,
        &[
            "-v",
            "lint",
            "migrations/002_index.sql",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    run.assert_code(1)
        .assert_contains("lint: template in ")
        .assert_contains("lint: in place in ")
        .assert_not_contains("lint: walk in ");
    // Two: walked forward on a copy of the template, which is dropped.
    p.write(
        "migrations/003_note.sql",
        "-- strata:lock-timeout 5s\nALTER TABLE orders ADD COLUMN note text;\n",
    );
    let run = p.strata(
        None,
        &[
            "-v",
            "lint",
            "migrations/002_index.sql",
            "migrations/003_note.sql",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    run.assert_code(1)
        .assert_contains("lint: copy in ")
        .assert_contains("lint: walk in ")
        .assert_contains("lint: drop in ");
    // Without -v, no timings.
    let run = p.strata(
        None,
        &[
            "lint",
            "migrations/002_index.sql",
            "--shadow-url",
            &shadow_url(),
        ],
    );
    run.assert_code(1).assert_not_contains(" ms\n");
}
