//! `strata audit` on whole projects, on real PostgreSQL: the repository's own (1MarketPulse),
//! the Portfolio Tracker fixture whose documented access matrix is its contract, and correct
//! projects of other shapes (`tests/fixtures/access/`: a social app, mentor/mentee messaging
//! under the `setting` model, multi-tenant teams under both models). Each passes `audit` and
//! `audit --probe` against its contract; `--write-contract` gives back a contract the project
//! satisfies and a planted leak violates; `--compare` lists exactly the cells that changed;
//! contract errors are usage errors at file:line:col.

mod audit_support;
mod support;
use audit_support::*;
use serde_json::Value;
use support::*;

/// A project copied from `dir` (relative to the repository), migrated and seeded.
fn project_from(dir: &str, tag: &str) -> (TestDb, Project) {
    let db = TestDb::new(tag);
    let p = Project::new();
    copy_dir(&repo_root().join(dir), p.path());
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"]).assert_ok();
    (db, p)
}

/// Every row of every table in `public` and every sequence's position: what a probe must leave
/// exactly as it found it.
fn fingerprint(db: &TestDb) -> String {
    db.sql(
        "CREATE TEMP TABLE IF NOT EXISTS strata_fp (x text); \
         DO $$ DECLARE r record; BEGIN \
           FOR r IN SELECT c.oid::regclass AS t, c.relkind FROM pg_class c \
                     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S') ORDER BY 1 LOOP \
             IF r.relkind = 'S' THEN \
               EXECUTE format('INSERT INTO strata_fp SELECT %L || last_value::text FROM %s', r.t::text, r.t); \
             ELSE \
               EXECUTE format('INSERT INTO strata_fp SELECT %L || count(*)::text || md5(coalesce(string_agg(x::text, '','' ORDER BY x::text), '''')) FROM %s x', r.t::text, r.t); \
             END IF; \
           END LOOP; END $$; \
         SELECT md5(string_agg(x, ';' ORDER BY x)) FROM strata_fp",
    )
}

fn leaks(report: &Value) -> Vec<String> {
    report["probe"]["leaks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| format!("{l}"))
        .collect()
}

#[track_caller]
fn assert_clean(run: &Run, report: &Value) {
    let f = facts(report);
    let bad = problems(&f);
    assert!(
        bad.is_empty() && run.code == 0,
        "exit {}; leaks and errors:\n  {}\n{}",
        run.code,
        bad.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// The repository's own project

fn repository_project(tag: &str) -> (TestDb, Project) {
    let db = TestDb::new(tag);
    let p = Project::new();
    for dir in ["migrations", "rollbacks", "policies", "seeds"] {
        p.copy_from_repo(dir);
    }
    std::fs::copy(
        repo_root().join("strata.toml"),
        p.path().join("strata.toml"),
    )
    .unwrap_or_else(|e| panic!("copy strata.toml: {e}"));
    p.strata(Some(&db), &["up"]).assert_ok();
    p.strata(Some(&db), &["seed"]).assert_ok();
    (db, p)
}

#[test]
fn repository_project_satisfies_its_contract_and_the_probe_finds_no_leak() {
    let (db, p) = repository_project("audit_repo_contract");
    let (run, report) = audit_json(&p, &db, &[]);
    assert_clean(&run, &report);
    assert_eq!(report["contract"]["path"], "policies/access.toml");
    let f = facts(&report);
    // Intended sharing is not a finding any more: public predictions, the mentor directory,
    // the learning catalogue; own data stays owner-only; admins reach what the contract says.
    assert_facts(
        &f,
        &[
            "access public.predictions SELECT = public".into(),
            "access public.mentor_profiles SELECT = public".into(),
            "access public.challenge_templates SELECT = public".into(),
            "access public.mentor_messages SELECT = owner+admin".into(),
            "access public.paper_positions UPDATE = owner+admin".into(),
            "access public.tribe_members SELECT = tenant+admin".into(),
            "access public.engagement_metrics SELECT = admin".into(),
            "access public.sessions INSERT = admin".into(),
            "cell public.users anon SELECT = denied (no policy)".into(),
        ],
    );
    assert!(
        !f.iter()
            .any(|x| x.starts_with("verdict ") && x.ends_with("= exceeds")),
        "{f:#?}"
    );

    let before = fingerprint(&db);
    let (run, report) = audit_json(&p, &db, &["--probe"]);
    assert_clean(&run, &report);
    let probe = &report["probe"];
    assert_eq!(probe["judged_against"], "declared");
    assert_eq!(
        probe["probed"].as_array().map(Vec::len),
        Some(33),
        "{probe:#}"
    );
    let principals: Vec<&str> = probe["principals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["label"].as_str())
        .collect();
    assert_eq!(
        principals,
        vec![
            "user 10000000-0000-4000-8000-000000000001",
            "user 10000000-0000-4000-8000-000000000002",
            "user 10000000-0000-4000-8000-000000000004",
            "outsider",
            "signed-out"
        ],
        "carol (…003) is the admin: never an attacker"
    );
    assert!(
        probe["cost"]["attempts"].as_u64().unwrap_or(0) > 500,
        "{}",
        probe["cost"]
    );
    // One transaction, rolled back: nothing changed, sequences included.
    assert_eq!(fingerprint(&db), before);
    let text = p.strata(Some(&db), &["audit", "--probe"]);
    text.assert_ok()
        .assert_contains("Access contract: policies/access.toml")
        .assert_contains("33 tables probed")
        .assert_contains("No leak");
}

#[test]
fn repository_project_without_its_contract_says_intent_is_unknown() {
    let (db, p) = repository_project("audit_repo_heuristic");
    p.remove("policies/access.toml");
    let (run, report) = audit_json(&p, &db, &[]);
    assert_eq!(
        run.code, 1,
        "the heuristics cannot tell public reads from leaks"
    );
    assert_eq!(report["contract"]["intent"], "unknown");
    let f = facts(&report);
    assert!(f.contains(
        &"error anon-reads-user-rows policy predictions_select_public on public.predictions"
            .to_string()
    ));
    p.strata(Some(&db), &["audit"])
        .assert_code(1)
        .assert_contains("intent unknown")
        .assert_contains("--write-contract`, review it, and commit it");
    assert!(report["contract"]["note"]
        .as_str()
        .is_some_and(|n| n.contains("`strata audit --write-contract`")));
}

// ---------------------------------------------------------------------------------------------
// The Portfolio Tracker: its documented matrix is its contract

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

#[test]
fn portfolio_tracker_satisfies_its_documented_matrix() {
    let (db, p) = project_from(
        "tests/fixtures/portfolio-tracker",
        "audit_portfolio_contract",
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'public'::regnamespace"),
        "58"
    );
    let (run, report) = audit_json(&p, &db, &[]);
    assert_clean(&run, &report);
    let f = facts(&report);
    let mut expected = Vec::new();
    for t in PORTFOLIO_USER_TABLES {
        for cmd in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
            expected.push(format!("access public.{t} {cmd} = owner"));
            expected.push(format!("cell public.{t} anon {cmd} = denied (no policy)"));
            expected.push(format!(
                "cell public.{t} service_role {cmd} = bypass (BYPASSRLS)"
            ));
        }
    }
    for t in PORTFOLIO_MARKET_TABLES {
        expected.push(format!("access public.{t} SELECT = signed-in"));
        for cmd in ["INSERT", "UPDATE", "DELETE"] {
            expected.push(format!("access public.{t} {cmd} = none"));
        }
    }
    for t in PORTFOLIO_SYSTEM_TABLES {
        for cmd in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
            expected.push(format!("access public.{t} {cmd} = none"));
        }
    }
    expected.push("access public.audit_log SELECT = owner".into());
    expected.push("access public.audit_log INSERT = none".into());
    assert_facts(&f, &expected);
    // The document's one RLS mistake left is a performance one.
    let kinds: std::collections::BTreeSet<String> = f
        .iter()
        .filter(|x| x.starts_with("warning ") || x.starts_with("error "))
        .map(|x| x.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        vec!["warning auth-function-per-row".to_string()]
    );

    let (run, report) = audit_json(&p, &db, &["--probe"]);
    assert_clean(&run, &report);
    assert_eq!(report["probe"]["probed"].as_array().map(Vec::len), Some(14));
    assert!(leaks(&report).is_empty());
    p.strata(Some(&db), &["down", "--to", "0"]).assert_ok();
}

// ---------------------------------------------------------------------------------------------
// Correct projects of other shapes

#[test]
fn correct_projects_pass_audit_and_probe_in_both_auth_models() {
    for (dir, model, must) in [
        (
            "social",
            "supabase",
            vec![
                // public posts, comments, profiles: intended, no leak
                "access public.posts SELECT = public",
                "access public.comments SELECT = public",
                "attempt public.posts SELECT allowed as signed-out = allowed",
            ],
        ),
        (
            "mentoring",
            "setting",
            vec![
                // a mentee reads the mentor's messages
                "access public.messages SELECT = owner",
                "attempt public.messages SELECT allowed as user 3e000000-0000-4000-8000-0000000000b2 = allowed",
                "attempt public.messages SELECT read as user 3e000000-0000-4000-8000-0000000000b2 = denied",
            ],
        ),
        (
            "teams",
            "supabase",
            vec![
                "access public.docs SELECT = tenant+admin",
                "attempt public.docs SELECT read as user 7e000000-0000-4000-8000-0000000000a1 = denied",
                "attempt public.docs INSERT insert-foreign as user 7e000000-0000-4000-8000-0000000000a1 = denied",
                "attempt public.docs UPDATE move as user 7e000000-0000-4000-8000-0000000000a1 = denied",
            ],
        ),
        (
            "teams-setting",
            "setting",
            vec![
                "access public.docs SELECT = tenant+admin",
                "attempt public.docs SELECT read as signed-out (empty setting) = denied",
                "attempt public.docs SELECT read as signed-out (no setting) = denied",
            ],
        ),
    ] {
        let (db, p) = project_from(&format!("tests/fixtures/access/{dir}"), &format!("audit_fx_{dir}"));
        let (run, report) = audit_json(&p, &db, &[]);
        assert_clean(&run, &report);
        assert_eq!(report["model"], model, "{dir}");
        let before = fingerprint(&db);
        let (run, report) = audit_json(&p, &db, &["--probe"]);
        assert_clean(&run, &report);
        assert_facts(&facts(&report), &must.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(fingerprint(&db), before, "{dir}: the probe left something behind");
        // Admins are never attackers.
        for a in report["probe"]["admins"].as_array().into_iter().flatten() {
            let a = a.as_str().unwrap_or("");
            assert!(
                !report["probe"]["principals"].to_string().contains(a),
                "{dir}: admin {a} acted as an attacker"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// --write-contract

#[test]
fn written_contracts_hold_and_a_planted_leak_breaks_them() {
    for (dir, leak_sql, table) in [
        (
            "social",
            "CREATE POLICY posts_fix_typos ON posts FOR UPDATE TO authenticated USING (true);\n",
            "public.posts",
        ),
        (
            "teams-setting",
            "CREATE POLICY docs_cleanup ON docs FOR DELETE TO strata_fx_teams_app USING (true);\n",
            "public.docs",
        ),
    ] {
        let (db, p) = project_from(
            &format!("tests/fixtures/access/{dir}"),
            &format!("audit_wc_{dir}"),
        );
        p.remove("policies/access.toml");
        let written = p.strata(Some(&db), &["audit", "--write-contract"]);
        written
            .assert_ok()
            .assert_contains("Wrote policies/access.toml");
        let text = std::fs::read_to_string(p.path().join("policies/access.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.contains("[principals]") && text.contains("[defaults]"),
            "{text}"
        );
        // The project satisfies the contract it got, statically and on live rows.
        let (run, report) = audit_json(&p, &db, &["--probe"]);
        assert_clean(&run, &report);
        // Writing again would overwrite a reviewed contract: refused.
        p.strata(Some(&db), &["audit", "--write-contract"])
            .assert_code(2)
            .assert_contains("policies/access.toml already exists");
        // A leak planted afterwards violates it, and is named.
        p.write("policies/zz_leak.sql", leak_sql);
        p.strata(Some(&db), &["policies", "apply"]).assert_ok();
        let (run, report) = audit_json(&p, &db, &["--probe"]);
        assert_eq!(run.code, 1, "{dir}");
        let f = facts(&report);
        assert!(
            f.contains(&format!("error access-exceeds-contract table {table}"))
                && f.iter().any(|x| x.starts_with(&format!("leak {table} "))),
            "{dir}: {f:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --compare

#[test]
fn compare_lists_exactly_the_gained_and_lost_cells() {
    let (db, p) = project_from("tests/fixtures/access/teams", "audit_compare");
    // The declared state changes: any member may delete a team's documents (gained), and only
    // admins see the member lists (lost). Not applied: live is the base.
    let policies = std::fs::read_to_string(p.path().join("policies/teams.sql"))
        .unwrap_or_else(|e| panic!("{e}"));
    let changed = policies
        .replace(
            "USING (author_id = (SELECT auth.uid()) OR (SELECT public.is_admin()));",
            "USING (public.is_member(team_id) OR (SELECT public.is_admin()));",
        )
        .replace(
            "CREATE POLICY members_read ON team_members FOR SELECT TO authenticated\n    USING (public.is_member(team_id) OR (SELECT public.is_admin()));",
            "CREATE POLICY members_read ON team_members FOR SELECT TO authenticated\n    USING ((SELECT public.is_admin()));",
        );
    assert_ne!(changed, policies);
    p.write("policies/teams.sql", &changed);
    let shadow = shadow_url();
    let (run, report) = audit_json(&p, &db, &["--compare", "--shadow-url", &shadow]);
    assert_eq!(run.code, 0, "{}", run.all());
    let changes: Vec<String> = facts(&report)
        .into_iter()
        .filter(|f| f.starts_with("change "))
        .collect();
    assert_eq!(
        changes,
        vec![
            "change gained public.docs DELETE owner+admin -> tenant+admin".to_string(),
            "change lost public.team_members SELECT tenant+admin -> admin".to_string(),
        ]
    );
    let text = p.strata(Some(&db), &["audit", "--compare", "--shadow-url", &shadow]);
    text.assert_ok()
        .assert_contains("Access changes from the live database to the declared state")
        .assert_contains("+ public.docs DELETE: owner+admin → tenant+admin")
        .assert_contains("- public.team_members SELECT: tenant+admin → admin");

    // --compare URL: that database is the base, the audited one the new state.
    let other = TestDb::new("audit_compare_other");
    p.strata(Some(&other), &["up"]).assert_ok();
    let (run, report) = audit_json(&p, &db, &["--compare", &other.url]);
    assert_eq!(run.code, 0, "{}", run.all());
    let changes: Vec<String> = facts(&report)
        .into_iter()
        .filter(|f| f.starts_with("change "))
        .collect();
    assert_eq!(
        changes,
        vec![
            "change lost public.docs DELETE tenant+admin -> owner+admin".to_string(),
            "change gained public.team_members SELECT admin -> tenant+admin".to_string(),
        ]
    );
    assert!(!report["compare"]["base"]
        .as_str()
        .unwrap_or("")
        .contains("password"));
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn contract_errors_are_usage_errors_at_file_line_col() {
    let db = TestDb::new("audit_contract_errors");
    let p = Project::new();
    p.write("strata.toml", "[auth]\nmodel = \"supabase\"\nshim = true\n");
    p.write("policies/access.toml", "[defaults]\nread = \"ownr\"\n");
    p.strata(Some(&db), &["audit"])
        .assert_code(2)
        .assert_contains("policies/access.toml:2:8: invalid access contract: unknown level `ownr`");
    let run = p.strata(Some(&db), &["--format", "json", "audit"]);
    assert_eq!(run.code, 2);
    let v: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(v["error"]["kind"], "contract");
    assert_eq!(v["error"]["file"], "policies/access.toml");
    assert_eq!(v["error"]["line"], 2);
    assert_eq!(v["error"]["column"], 8);

    p.write(
        "policies/access.toml",
        "[tables.\"public.t\"]\nreed = \"owner\"\n",
    );
    p.strata(Some(&db), &["audit"])
        .assert_code(2)
        .assert_contains("policies/access.toml:2:1:")
        .assert_contains("reed");

    // A contract naming what the database does not have: a finding (exit 1), with the line.
    p.write(
        "policies/access.toml",
        "[tables.\"public.gone\"]\nowner = \"user_id\"\nread = \"owner\"\n",
    );
    p.strata(Some(&db), &["audit"])
        .assert_code(1)
        .assert_contains("error[contract-invalid] contract policies/access.toml:1:9")
        .assert_contains("public.gone is neither a table nor a view");

    // Outside a project nothing is written: --write-contract needs the project's folder.
    let outside = Project::bare();
    outside
        .strata(Some(&db), &["audit", "--write-contract"])
        .assert_code(2)
        .assert_contains("no strata.toml");
    assert!(!outside.path().join("policies").exists());
    // ...while auditing a database given by URL works anywhere.
    outside.strata(Some(&db), &["audit"]).assert_ok();

    // --compare with a database that cannot be reached: a connection error.
    p.write("policies/access.toml", "[defaults]\nread = \"none\"\n");
    p.strata(
        Some(&db),
        &[
            "audit",
            "--compare",
            "postgres://nobody:secret@127.0.0.1:1/none",
        ],
    )
    .assert_code(2)
    .assert_not_contains("secret");
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
    p.strata(Some(&db), &["audit"])
        .assert_ok()
        .assert_contains("Access matrix: no roles to show");
}
