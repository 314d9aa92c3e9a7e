//! `strata diff`: no false positives on rich projects and real corpora, and the acceptance
//! cases in `tests/cases/diff/*.case` (each also checks that the `--sql` script converges).

mod support;
use support::*;

/// Copies a corpus's migrations (read in place) into a temp project, with `first` (if any)
/// as an earlier migration. Fails when `../shared/corpora` is absent: its callers are ignored
/// by a plain `cargo test` and run by `.ci/run`.
fn corpus_project(corpus: &str, first: Option<(&str, &str)>, toml: &str) -> Project {
    let dir = corpus_dir(corpus);
    let p = Project::new();
    p.write("strata.toml", toml);
    if let Some((name, support)) = first {
        let text = std::fs::read_to_string(corpus_dir("").join(support))
            .unwrap_or_else(|e| panic!("{support}: {e}"));
        p.write(&format!("migrations/{name}"), &text);
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.join("migrations"))
        .unwrap_or_else(|e| panic!("{corpus}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        p.write(&format!("migrations/{name}"), &text);
    }
    p
}

fn assert_no_differences(p: &Project, db: &TestDb) {
    p.strata(Some(db), &["up"]).assert_ok();
    let r = p.strata(
        Some(db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    );
    r.assert_ok().assert_contains("No differences.");
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn no_false_positives_on_nextjs_subscription_payments() {
    let p = corpus_project(
        "nextjs-subscription-payments",
        None,
        "[auth]\nshim = true\n",
    );
    let db = TestDb::new("diff_nextjs");
    assert_no_differences(&p, &db);
    // Its publication is compared: a table taken out of it is found.
    db.sql("ALTER PUBLICATION supabase_realtime DROP TABLE public.products");
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_code(1)
    .assert_contains("publication-table")
    .assert_contains("supabase_realtime.public.products");
}

#[test]
#[ignore = "needs ../shared/corpora (run by .ci/run)"]
fn no_false_positives_on_basejump() {
    let p = corpus_project(
        "basejump",
        Some((
            "20240414000000_supabase_defaults.sql",
            "_support/supabase-defaults.sql",
        )),
        "[auth]\nshim = true\n[database]\nschemas = [\"public\", \"basejump\"]\n",
    );
    let db = TestDb::new("diff_basejump");
    // `ALTER DATABASE ... SET search_path` in the first migration only reaches new sessions,
    // so the live database gets it in a first run, the rest in a second.
    p.strata(Some(&db), &["up", "--to", "20240414000000"])
        .assert_ok();
    assert_no_differences(&p, &db);
    // And the comparison really covers schema basejump: a drift there is found.
    db.sql("ALTER TABLE basejump.accounts DISABLE ROW LEVEL SECURITY");
    p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    )
    .assert_code(1)
    .assert_contains("basejump.accounts");
}

const RICH: &str = r#"
CREATE TYPE public.order_state AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE public.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    first_name text,
    last_name text,
    full_name text GENERATED ALWAYS AS (coalesce(first_name, '') || ' ' || coalesce(last_name, '')) STORED,
    owner_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_email_check CHECK (position('@' in email) > 1)
);
CREATE UNIQUE INDEX customers_email_lower ON public.customers (lower(email));
CREATE TABLE public.orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES public.customers(id) ON DELETE CASCADE ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    state public.order_state NOT NULL DEFAULT 'new',
    total numeric(10,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    note varchar(200),
    updated_at timestamptz
);
CREATE INDEX orders_open ON public.orders (customer_id) WHERE state <> 'shipped';
CREATE INDEX orders_note_trgm ON public.orders USING btree (lower(note) text_pattern_ops);
CREATE VIEW public.open_orders WITH (security_invoker = true) AS
    SELECT o.id, o.customer_id, o.total FROM public.orders o WHERE o.state <> 'shipped';
CREATE MATERIALIZED VIEW public.customer_totals AS
    SELECT customer_id, sum(total) AS total FROM public.orders GROUP BY customer_id;
CREATE UNIQUE INDEX customer_totals_id ON public.customer_totals (customer_id);
CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE FUNCTION public.order_count(c bigint) RETURNS bigint LANGUAGE sql STABLE
    SET search_path = '' AS $$ SELECT count(*) FROM public.orders WHERE customer_id = c $$;
CREATE FUNCTION public.is_owner(o uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = '' AS $$ SELECT o = auth.uid() $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION public.touch_updated_at();
ALTER TABLE public.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY "owners read" ON public.customers FOR SELECT TO authenticated, anon
    USING ((SELECT auth.uid()) = owner_id);
CREATE POLICY "owners write" ON public.customers AS RESTRICTIVE FOR UPDATE TO authenticated
    USING (public.is_owner(owner_id)) WITH CHECK (public.is_owner(owner_id));
CREATE POLICY orders_by_customer ON public.orders FOR ALL TO authenticated
    USING (EXISTS (SELECT 1 FROM public.customers c WHERE c.id = customer_id AND c.owner_id = auth.uid()));
REVOKE ALL ON public.customers FROM anon;
GRANT SELECT, INSERT ON public.orders TO authenticated;
GRANT UPDATE (note) ON public.orders TO authenticated;
REVOKE EXECUTE ON FUNCTION public.is_owner(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.is_owner(uuid) TO authenticated;
COMMENT ON TABLE public.orders IS 'Customer orders';
COMMENT ON COLUMN public.orders.total IS 'In EUR';
COMMENT ON FUNCTION public.order_count(bigint) IS 'How many orders';
"#;

fn rich_project() -> Project {
    let p = Project::new();
    // security_invoker views arrived in PostgreSQL 15.
    let sql = if pg_major() < 15 {
        RICH.replace("WITH (security_invoker = true) ", "")
    } else {
        RICH.to_string()
    };
    p.write("migrations/001_rich.sql", &sql);
    p
}

#[test]
fn no_false_positives_after_up_of_a_rich_project() {
    let db = TestDb::new("diff_rich");
    let p = rich_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    let shadow = shadow_url();
    let r = p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow]);
    r.assert_ok().assert_contains("No differences.");
    // The JSON report says the same, and names nothing it skipped in silence.
    let r = p.strata(
        Some(&db),
        &["diff", "--format", "json", "--shadow-url", &shadow],
    );
    r.assert_ok();
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    assert_eq!(v["differences"], 0);
    // The comparison is not vacuous: a drift in a policy's roles and a grant is found.
    db.sql("ALTER POLICY \"owners read\" ON public.customers TO anon; REVOKE EXECUTE ON FUNCTION public.is_owner(uuid) FROM authenticated");
    p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow])
        .assert_code(1)
        .assert_contains("public.customers.\"owners read\"")
        .assert_contains("public.is_owner(uuid)");
}

/// The catalog read on two connections in one exported snapshot (what `diff` does) is the one
/// read on one connection, every part of it (issue 14).
#[test]
fn a_catalog_read_on_two_connections_is_the_one_read_on_one() {
    let db = TestDb::new("diff_pair_read");
    let p = rich_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let (one, two) = rt.block_on(async {
        let info = strata::config::ConnInfo::parse(&db.url).unwrap_or_else(|e| panic!("{e}"));
        let connect = || async {
            strata::db::connect(&info)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let (mut a, mut b) = (connect().await, connect().await);
        let schemas = ["public".to_string()];
        let one = strata::catalog::introspect(&mut a, &schemas, &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let two = strata::catalog::introspect_pair(&mut a, &mut b, &schemas, &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (one, two)
    });
    assert!(!one.tables.is_empty() && !one.dependencies.is_empty());
    assert!(!one.indexes.is_empty() && !one.policies.is_empty());
    assert_eq!(one, two);
    // Both halves ran: the split read times every query, as the single one does.
    assert_eq!(one.timings.0.len(), two.timings.0.len());
}

#[test]
fn the_sql_script_is_sql_only_and_runs_with_psql() {
    let db = TestDb::new("diff_sql_only");
    let p = rich_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    let shadow = shadow_url();
    // Nothing to fix: stdout is empty (so `diff --sql > fix.sql && psql -f fix.sql` works).
    let r = p.strata(Some(&db), &["diff", "--sql", "--shadow-url", &shadow]);
    r.assert_ok();
    assert_eq!(r.stdout, "", "stdout must stay empty");
    assert!(r.stderr.contains("No differences."), "{}", r.stderr);
    // Drift: stdout is the script, every line SQL or a `--` comment, in a transaction.
    db.sql("DROP TRIGGER orders_touch ON public.orders; ALTER TABLE public.orders ADD COLUMN extra int; COMMENT ON TABLE public.orders IS 'x'");
    let r = p.strata(Some(&db), &["diff", "--sql", "--shadow-url", &shadow]);
    r.assert_ok();
    assert!(r.stdout.contains("\nBEGIN;\n") && r.stdout.trim_end().ends_with("COMMIT;"));
    assert!(
        !r.stdout.contains("matched the declared state"),
        "notes go to stderr"
    );
    let (ok, out) = psql_script(&db.url, &r.stdout);
    assert!(ok, "{out}\n{}", r.stdout);
    p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow])
        .assert_ok();
}

#[test]
fn the_text_report_says_which_side_has_what() {
    let db = TestDb::new("diff_sides");
    let p = rich_project();
    p.strata(Some(&db), &["up"]).assert_ok();
    db.sql("ALTER TABLE public.orders ADD COLUMN extra int; ALTER TABLE public.orders DROP COLUMN note CASCADE");
    p.strata(Some(&db), &["diff", "--shadow-url", &shadow_url()])
        .assert_ok()
        .assert_contains("extra in live")
        .assert_contains("missing in live")
        .assert_contains("3 missing in live, 1 extra in live")
        .assert_contains("if note is this column renamed");
}

#[test]
fn unmodelled_objects_fail_exit_code_unless_accepted() {
    let db = TestDb::new("diff_unmodelled");
    let p = Project::new();
    p.write(
        "migrations/001_init.sql",
        "CREATE FUNCTION int_eq(a int, b int) RETURNS bool LANGUAGE sql IMMUTABLE AS $$ SELECT a = b $$;\n",
    );
    p.strata(Some(&db), &["up"]).assert_ok();
    db.sql("CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = int_eq)");
    let shadow = shadow_url();
    p.strata(Some(&db), &["diff", "--exit-code", "--shadow-url", &shadow])
        .assert_code(1)
        .assert_contains("No differences.")
        .assert_contains("public.===(integer,integer)")
        .assert_contains("in the live database only")
        .assert_contains("--allow-unmodelled");
    p.strata(
        Some(&db),
        &[
            "diff",
            "--exit-code",
            "--allow-unmodelled",
            "--shadow-url",
            &shadow,
        ],
    )
    .assert_ok()
    .assert_contains("public.===(integer,integer)");
    // Without --exit-code a listing is a report, not a failure.
    p.strata(Some(&db), &["diff", "--shadow-url", &shadow])
        .assert_ok();
}

#[test]
fn schemas_outside_the_configured_ones_are_named_in_a_note() {
    let db = TestDb::new("diff_scope");
    let p = Project::new();
    p.write("migrations/001_init.sql", "CREATE TABLE t (id int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    db.sql("CREATE SCHEMA analytics; CREATE TABLE analytics.events (id int)");
    let r = p.strata(
        Some(&db),
        &["diff", "--exit-code", "--shadow-url", &shadow_url()],
    );
    r.assert_ok();
    assert!(
        r.stderr
            .contains("not compared, outside [database] schemas: schema analytics (live)"),
        "{}",
        r.stderr
    );
}

#[test]
fn verbose_diff_shows_each_catalog_query_time() {
    let db = TestDb::new("diff_verbose");
    let p = Project::new();
    p.write("migrations/001_init.sql", "CREATE TABLE t (id int);\n");
    p.strata(Some(&db), &["up"]).assert_ok();
    let r = p.strata(Some(&db), &["-v", "diff", "--shadow-url", &shadow_url()]);
    r.assert_ok().assert_contains("live: read columns");
    // The declared side is read query by query, or (a template left by an earlier run of the
    // suite) taken from the cache inside the template.
    assert!(
        r.all().contains("declared: read policies")
            || r.all()
                .contains("declared: read the catalog cached in the template"),
        "{}",
        r.all()
    );
}

/// The declared side's catalog is cached inside its template: the second `diff` reads it from
/// there (no catalog query on the declared side), and everything built from it, the
/// differences and the planned script with its order, is the same as from a fresh read.
#[test]
fn a_warm_diff_reads_the_declared_catalog_from_the_template_and_says_the_same() {
    let db = TestDb::new("diff_cache");
    let p = Project::new();
    // Unique files: a template of their own, built (and read) by the first run.
    let unique = format!(
        "-- {} {:?}\n",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    );
    p.write(
        "migrations/001_init.sql",
        &format!(
            "{unique}CREATE TABLE parent (id int PRIMARY KEY);\n\
             CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent, note text);\n\
             COMMENT ON COLUMN child.note IS 'a note';\n\
             CREATE VIEW kids AS SELECT c.id, p.id AS parent FROM child c JOIN parent p ON p.id = c.p;\n\
             CREATE FUNCTION n_kids() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM kids $$;\n\
             CREATE TYPE mood AS ENUM ('a', 'b');\nCREATE STATISTICS st (dependencies) ON id, p FROM child;\n\
             ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;\n"
        ),
    );
    db.sql("CREATE TABLE parent (id int PRIMARY KEY, extra int);");
    let args = [
        "-v",
        "diff",
        "--sql",
        "--format",
        "json",
        "--shadow-url",
        &shadow_url(),
    ];
    let cold = p.strata(Some(&db), &args);
    let warm = p.strata(Some(&db), &args);
    cold.assert_code(0)
        .assert_contains("declared: read columns");
    warm.assert_code(0)
        .assert_contains("declared: read the catalog cached in the template")
        .assert_not_contains("declared: read columns");
    assert!(cold.stdout.contains("\"script\""), "{}", cold.stdout);
    assert_eq!(cold.stdout, warm.stdout);
    // The template is this test's alone: drop it (the suite's cluster outlives the run).
    let root = p.path().display().to_string();
    let tpls = psql(
        &cluster().url_for("postgres"),
        &format!(
            "SELECT datname FROM pg_database WHERE datname LIKE 'strata_tpl_%' \
             AND shobj_description(oid, 'pg_database') LIKE '%{}'",
            root.replace('\'', "''")
        ),
    );
    for t in tpls.lines().filter(|l| !l.trim().is_empty()) {
        psql(
            &cluster().url_for("postgres"),
            &format!("DROP DATABASE IF EXISTS \"{}\"", t.trim()),
        );
    }
}

/// One acceptance case (`tests/cases/diff/*.case`):
/// - `-- <path> --` sections are the project's files;
/// - `-- roles --`: roles the case needs (created on the test cluster if missing);
/// - `-- live.sql --`: the drift, run on the live database after `strata up`;
/// - `-- expect --`: every difference, `kind  object  change  hazard, hazard` (hazards sorted;
///   none: the field is left out);
/// - `-- script has --` / `-- script lacks --`: lines the `--sql` script must or must not
///   contain (a fix that keeps data: `ATTACH PARTITION`, never `DROP TABLE`);
/// - `-- unmodelled --`: objects of kinds strata does not model, `kind  name  side`;
/// - `-- requires --`: the oldest PostgreSQL major version the case runs on (its SQL needs it).
struct Case {
    name: String,
    title: String,
    files: Vec<(String, String)>,
    roles: Vec<String>,
    live: String,
    expect: Vec<String>,
    script_has: Vec<String>,
    script_lacks: Vec<String>,
    unmodelled: Vec<String>,
    requires: u32,
}

fn lines(body: &str) -> Vec<String> {
    body.lines()
        .map(normalize_expect)
        .filter(|l| !l.is_empty())
        .collect()
}

fn parse_case(name: &str, text: &str) -> Case {
    let mut case = Case {
        name: name.to_string(),
        title: String::new(),
        files: Vec::new(),
        roles: Vec::new(),
        live: String::new(),
        expect: Vec::new(),
        script_has: Vec::new(),
        script_lacks: Vec::new(),
        unmodelled: Vec::new(),
        requires: 0,
    };
    let mut section: Option<String> = None;
    let mut body = String::new();
    let flush = |section: &Option<String>, body: &mut String, case: &mut Case| {
        let text = std::mem::take(body);
        match section.as_deref() {
            None => {}
            Some("live.sql") => case.live = text,
            Some("roles") => case.roles = lines(&text),
            Some("expect") => case.expect = lines(&text),
            Some("script has") => {
                case.script_has = text
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect()
            }
            Some("script lacks") => {
                case.script_lacks = text
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect()
            }
            Some("unmodelled") => case.unmodelled = lines(&text),
            Some("requires") => case.requires = text.trim().parse().unwrap_or(u32::MAX),
            Some(path) => case.files.push((path.to_string(), text)),
        }
    };
    for line in text.lines() {
        let t = line.trim();
        if section.is_none() && t.starts_with("# ") {
            case.title = t[2..].to_string();
            continue;
        }
        if t.starts_with("-- ") && t.ends_with(" --") && t.len() > 6 {
            flush(&section, &mut body, &mut case);
            section = Some(t[3..t.len() - 3].trim().to_string());
            continue;
        }
        body.push_str(line);
        body.push('\n');
    }
    flush(&section, &mut body, &mut case);
    case
}

/// `kind  object  change  hazards` with runs of 2+ spaces (or tabs) as separators.
fn normalize_expect(line: &str) -> String {
    let line = line.replace('\t', "  ");
    line.split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("  ")
}

/// Creates the roles the cases need (cluster-wide, so created once and never dropped), in one
/// psql run.
fn ensure_roles(cases: &[Case]) {
    let mut roles: Vec<&String> = cases.iter().flat_map(|c| &c.roles).collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return;
    }
    let body: String = roles
        .iter()
        .map(|r| {
            format!(
                "BEGIN CREATE ROLE {r}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;\n"
            )
        })
        .collect();
    psql(&shadow_url(), &format!("DO $$ BEGIN\n{body}END $$"));
}

/// The differences a `diff --format json` document reports, as expect lines.
fn reported(v: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let mut got: Vec<String> = v["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let mut hz: Vec<String> = c["hazards"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|h| h["id"].as_str().map(str::to_string))
                .collect();
            hz.sort();
            hz.dedup();
            let mut line = format!(
                "{}  {}  {}",
                c["kind"].as_str().unwrap_or("?"),
                c["object"].as_str().unwrap_or("?"),
                c["change"].as_str().unwrap_or("?")
            );
            if !hz.is_empty() {
                line.push_str("  ");
                line.push_str(&hz.join(", "));
            }
            line
        })
        .collect();
    got.sort();
    let mut unmodelled: Vec<String> = v["not_compared"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|n| n["reason"] == "unmodelled")
        .map(|n| {
            format!(
                "{}  {}  {}",
                n["kind"].as_str().unwrap_or("?"),
                n["name"].as_str().unwrap_or("?"),
                n["side"].as_str().unwrap_or("?")
            )
        })
        .collect();
    unmodelled.sort();
    (got, unmodelled)
}

/// Runs one case; returns what went wrong, if anything. Three strata runs: `up`, `diff --sql
/// --format json` (the differences, the script and its proof), and `diff --exit-code` once the
/// script is applied with psql.
fn run_case(case: &Case) -> Result<(), String> {
    let db = TestDb::new(&format!("case_{}", &case.name[..case.name.len().min(12)]));
    let p = Project::new();
    for (path, text) in &case.files {
        p.write(path, text);
    }
    let shadow = shadow_url();
    let up = p.strata(Some(&db), &["up"]);
    if up.code != 0 {
        return Err(format!("strata up failed:\n{}", up.all()));
    }
    let (ok, out) = db.try_sql(&case.live);
    if !ok {
        return Err(format!("live.sql failed: {out}"));
    }
    let r = p.strata(
        Some(&db),
        &["diff", "--sql", "--format", "json", "--shadow-url", &shadow],
    );
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).map_err(|e| format!("{e} ({}): {}", r.code, r.all()))?;
    let (got, unmodelled) = reported(&v);
    let mut want = case.expect.clone();
    want.sort();
    let mut want_unmodelled = case.unmodelled.clone();
    want_unmodelled.sort();
    if got != want || unmodelled != want_unmodelled {
        return Err(format!(
            "expected:\n  {}\n  unmodelled: {:?}\ngot:\n  {}\n  unmodelled: {:?}\ntext output:\n{}",
            want.join("\n  "),
            want_unmodelled,
            got.join("\n  "),
            unmodelled,
            p.strata(Some(&db), &["diff", "--shadow-url", &shadow])
                .all()
        ));
    }
    if r.code != 0 {
        return Err(format!("diff --sql failed ({}):\n{}", r.code, r.all()));
    }
    if !got.is_empty() {
        // The invariant: the script, once proven and applied, leaves nothing to report.
        if v["proof"]["result"] != "converged" {
            return Err(format!(
                "the script was not proven: {}\n{}",
                v["proof"],
                v["script_sql"].as_str().unwrap_or("")
            ));
        }
        let script = v["script_sql"].as_str().unwrap_or("");
        for line in &case.script_has {
            if !script.contains(line.as_str()) {
                return Err(format!("the script lacks `{line}`:\n{script}"));
            }
        }
        for line in &case.script_lacks {
            if script.contains(line.as_str()) {
                return Err(format!("the script has `{line}`:\n{script}"));
            }
        }
        let (ok, out) = psql_script(&db.url, script);
        if !ok {
            return Err(format!("applying the script failed: {out}\n{script}"));
        }
    }
    let mut args = vec!["diff", "--exit-code", "--shadow-url", shadow.as_str()];
    if !case.unmodelled.is_empty() {
        args.push("--allow-unmodelled");
    }
    let again = p.strata(Some(&db), &args);
    if again.code != 0 {
        return Err(format!(
            "after applying the script, diff still differs:\n{}",
            again.all()
        ));
    }
    if !case.unmodelled.is_empty() && !again.stdout.contains("accepted with --allow-unmodelled") {
        return Err(format!(
            "objects strata does not model are listed even when accepted:\n{}",
            again.all()
        ));
    }
    Ok(())
}

fn load_cases() -> Vec<Case> {
    let dir = repo_root().join("tests/cases/diff");
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            parse_case(&name, &text)
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    // `STRATA_CASE=name` runs the cases whose name contains it (while writing one).
    if let Ok(only) = std::env::var("STRATA_CASE") {
        cases.retain(|c| c.name.contains(&only));
    }
    cases
}

#[test]
fn acceptance_cases() {
    let cases = load_cases();
    if std::env::var("STRATA_CASE").is_err() {
        assert!(
            cases.len() >= 90,
            "expected the drift matrix of at least 90 cases"
        );
    }
    for c in &cases {
        assert!(
            !c.expect.is_empty() || !c.unmodelled.is_empty(),
            "{}: no -- expect -- lines",
            c.name
        );
    }
    ensure_roles(&cases);
    let major = pg_major();
    let cases: Vec<Case> = cases.into_iter().filter(|c| c.requires <= major).collect();
    // Several at a time: each case is a handful of strata runs, mostly waiting on the server.
    let failures: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                if let Err(e) = run_case(case) {
                    let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
                    f.push(format!("--- {} ({})\n{e}", case.name, case.title));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    assert!(
        failures.is_empty(),
        "{} of {} diff case(s) failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn from_without_to_is_a_usage_error() {
    let p = Project::new();
    let r = p.strata(None, &["diff", "--from", "postgres://x@127.0.0.1:1/db"]);
    r.assert_code(2).assert_contains("--to");
}
